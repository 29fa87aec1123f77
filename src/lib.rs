//! klarna-mcp: an MCP server that lets an AI assistant run Klarna Order Management for a
//! merchant — look up an order, capture, refund, cancel, release the remaining
//! authorization, look up a capture — with exactly-once writes and credentials that go
//! nowhere but Klarna.
//!
//! # Layout
//!
//! A tool call flows MCP client → [`server`] → [`tools`] → [`klarna`] → Klarna HTTP:
//!
//! - [`config`] — environment variables (and `.env`) parsed once into [`Config`].
//! - [`host`] — the six Klarna hosts ([`host::ApiHost`]) and the environment guard.
//! - [`server`] — [`KlarnaServer`]: the rmcp `ServerHandler`, instructions, panic guard.
//! - [`tools`] — the six tools, one file per area, on one template; `tools::errors` is the
//!   one place failures become `isError` results; `tools::args` validates input.
//! - [`prompts`] — the three task prompts (summarize, capture remaining, partial refund).
//! - [`klarna`] — the API client: one pooled `reqwest::Client`, Basic auth, retries with one
//!   idempotency key per write, wire types, errors.
//! - [`money`] — minor units and how they are shown.
//! - [`audit`] — one audit line per tool call.
//! - [`simulator`] — a stateful Klarna OM simulator (axum on loopback) for tests and `--demo`.
//! - [`clients`] — ready-to-paste MCP client configurations (`klarna-mcp config …`).
//! - [`http`] — the team server: MCP over Streamable HTTP with authentication, roles, rate
//!   limits and a DNS-rebinding guard (`klarna-mcp serve --http ADDR`).
//! - [`auth`] — who is calling: OAuth 2.1 access tokens (JWT) or static tokens, mapped to a
//!   [`auth::Principal`] with a read or write role.

// Unit tests may unwrap and panic; library code may not (the normal lib target is linted
// without this, so `cargo clippy --all-targets` still enforces it on everything shipped).
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::print_stdout
    )
)]

pub mod audit;
pub mod auth;
pub mod clients;
pub mod config;
pub mod host;
pub mod http;
pub mod klarna;
pub mod money;
pub mod prompts;
pub mod server;
pub mod simulator;
pub mod tools;

pub use config::Config;
pub use klarna::KlarnaClient;
pub use server::KlarnaServer;
