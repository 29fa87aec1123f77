//! `klarna-mcp token new`: mints a static bearer token for the team server. The token goes to
//! stdout once; the line for the token file (its SHA-256, never the token) to stderr.

use std::process::ExitCode;

use clap::Subcommand;

use super::Output;
use crate::auth::{Role, tokens};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Mint a token: prints the token once on stdout and, on stderr, the line to add to the
    /// token file (which stores only its SHA-256).
    New {
        /// Who the token is for (1-64 of A-Z a-z 0-9 . _ @ -); logs show `token:NAME`.
        #[arg(long)]
        name: String,
        /// `read` (read tools only) or `write` (also capture, refund, cancel, release).
        #[arg(long, value_parser = ["read", "write"])]
        role: String,
    },
}

/// Runs `token new`.
pub fn run(args: Args) -> ExitCode {
    let TokenCommand::New { name, role } = args.command;
    let Some(role) = Role::parse(&role) else {
        eprintln!("klarna-mcp token new: --role must be `read` or `write`");
        return ExitCode::from(2);
    };
    match tokens::mint(&name, role) {
        Ok(minted) => {
            // A token nobody read is no token: without it, the line for the file is no use.
            if let Err(stop) = Output::stdout().line(&minted.token) {
                return stop.exit_code();
            }
            eprintln!(
                "Give the token above to {name}; it is shown only this once. Add this line to the file \
                 named by KLARNA_HTTP_TOKENS_FILE and restart the server:\n{}",
                minted.line
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("klarna-mcp token new: {e}");
            ExitCode::from(2)
        }
    }
}
