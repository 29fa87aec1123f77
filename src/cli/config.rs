//! `klarna-mcp config <client>`: a ready-to-paste configuration for an MCP client on stdout
//! (see [`crate::clients`]) — for this binary over stdio, or with `--url` for a team server
//! over HTTP — and where to paste it on stderr.

use std::process::ExitCode;

use super::Output;
use crate::clients::{self, Target};

pub use crate::clients::ConfigArgs as Args;

/// Prints the entry for `args.client` (with `demo`: for the demo server).
pub fn run(args: Args, demo: bool) -> ExitCode {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map_or_else(|| "klarna-mcp".to_string(), |p| p.display().to_string());
    let url = match &args.url {
        None => None,
        Some(_) if demo => {
            eprintln!(
                "klarna-mcp: --demo starts the demo server on this machine; it does not go with --url (a team server)"
            );
            return ExitCode::from(2);
        }
        Some(url) => match clients::team_url(url) {
            Ok(url) => Some(url),
            Err(message) => {
                eprintln!("klarna-mcp: --url: {message}");
                return ExitCode::from(2);
            }
        },
    };
    let target = match &url {
        Some(url) => Target::Http {
            url: url.as_str(),
            auth: args.auth,
        },
        None => Target::Stdio {
            binary: &binary,
            demo,
        },
    };
    // stdout is free here: this command does not speak MCP.
    if let Err(stop) = Output::stdout().line(clients::render(args.client, target)) {
        return stop.exit_code();
    }
    eprintln!("{}", clients::where_it_goes(args.client, target));
    ExitCode::SUCCESS
}
