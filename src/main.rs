//! The `klarna-mcp` binary: parses the command line and runs it. Everything it does lives in
//! the library ([`klarna_mcp::cli`]), where tests can drive it.

use std::process::ExitCode;

use clap::Parser;
use klarna_mcp::cli::{self, Cli};

#[tokio::main]
async fn main() -> ExitCode {
    cli::run(Cli::parse()).await
}
