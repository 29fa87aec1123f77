//! Tests of the real `klarna-mcp` binary: the command line, and MCP over real stdio (the
//! only tests that catch a stray byte on stdout, broken environment wiring, or a secret in
//! a log line). Kept apart from the in-process tests because they spawn processes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
mod client_log;
mod closed_pipe;
mod config_errors;
mod hardening;
mod journal;
mod metrics;
mod packaging;
mod regions;
mod stdio;
mod traces;

/// A journal file of its own for one server process, so tests never share records.
pub fn fresh_journal() -> std::path::PathBuf {
    std::env::temp_dir()
        .join(format!("klarna-mcp-test-{}", uuid::Uuid::new_v4()))
        .join("journal.sqlite3")
}
