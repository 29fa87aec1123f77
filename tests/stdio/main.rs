//! Tests of the real `klarna-mcp` binary: the command line, and MCP over real stdio (the
//! only tests that catch a stray byte on stdout, broken environment wiring, or a secret in
//! a log line). Kept apart from the in-process tests because they spawn processes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;
mod hardening;
mod packaging;
mod stdio;
