//! `klarna-mcp config <client>`: a ready-to-paste configuration for an MCP client on stdout
//! (see [`crate::clients`]), and where to paste it on stderr.

use std::process::ExitCode;

use super::Output;
use crate::clients::{self, ClientKind};

#[derive(clap::Args)]
pub struct Args {
    /// Which client.
    #[arg(value_enum)]
    client: ClientKind,
}

/// Prints the configuration for `args.client` (with `demo`: for the demo server).
pub fn run(args: Args, demo: bool) -> ExitCode {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map_or_else(|| "klarna-mcp".to_string(), |p| p.display().to_string());
    // stdout is free here: this command does not speak MCP.
    if let Err(stop) = Output::stdout().line(clients::render(args.client, &binary, demo)) {
        return stop.exit_code();
    }
    eprintln!("{}", clients::where_it_goes(args.client));
    ExitCode::SUCCESS
}
