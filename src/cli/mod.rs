//! The command line: the arguments (clap) and what each subcommand does. The binary parses
//! them and calls [`run`]; the rest lives here, in the library, where tests reach it.
//!
//! One file per subcommand, on one template: its `Args` (the flags, with their help text)
//! and its `run`, which returns the process's exit status — 0 done, 1 failed, 2 the
//! configuration or the arguments cannot be used. What a command prints for people and
//! scripts goes through [`Output`] (standard output; a reader that goes away ends the
//! command quietly); everything else goes to stderr.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod config;
pub mod journal;
mod output;
pub mod probe;
pub mod serve;
mod signals;
pub mod simulator;
pub mod token;

pub use output::{Output, Stop};
pub use signals::Signals;

/// MCP server for Klarna Order Management: look up, capture, refund, cancel and release
/// Klarna orders from an AI assistant over stdio.
///
/// Credentials come from KLARNA_API_USERNAME / KLARNA_API_PASSWORD (environment or .env).
/// Run with --demo to try it on a built-in simulator without a Klarna account.
#[derive(Parser)]
#[command(name = "klarna-mcp", version, about, long_about)]
pub struct Cli {
    /// Serve against a built-in Klarna simulator seeded with demo orders (no account, no real money).
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP on stdin/stdout (the default), or over HTTP for a team with --http.
    Serve(serve::Args),
    /// Manage the static bearer tokens of the HTTP server (KLARNA_HTTP_TOKENS_FILE).
    Token(token::Args),
    /// Run only the Klarna simulator over HTTP, seeded with the demo orders, until stopped.
    Simulator(simulator::Args),
    /// Print a ready-to-paste configuration for an MCP client (with --demo: the demo server).
    Config(config::Args),
    /// Read the operation journal: the file KLARNA_JOURNAL names, else the platform default.
    Journal(journal::Args),
    /// Ask a running team server whether it is up (GET /healthz): exit 0 if it is.
    Probe(probe::Args),
}

/// Runs the command line: without a subcommand, `serve` on stdio.
pub async fn run(cli: Cli) -> ExitCode {
    let demo = cli.demo;
    match cli.command {
        None => serve::run(serve::Args::default(), demo).await,
        Some(Command::Serve(args)) => serve::run(args, demo).await,
        Some(Command::Token(args)) => token::run(args),
        Some(Command::Simulator(args)) => simulator::run(args).await,
        Some(Command::Config(args)) => config::run(args, demo),
        Some(Command::Journal(args)) => journal::run(args).await,
        Some(Command::Probe(args)) => probe::run(args).await,
    }
}
