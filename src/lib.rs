//! klarna-mcp: an MCP server that lets an AI assistant run Klarna Order Management for a
//! merchant — look up an order, capture, refund, cancel, release the remaining
//! authorization, look up a capture; in opt-in toolsets, the rest of Order Management
//! (tracking, more authorization time, references, a new order total, a due date for a fee,
//! the shipping address) and Klarna's Settlements API — with exactly-once writes and
//! credentials that go nowhere but Klarna.
//!
//! # Layout
//!
//! A tool call flows MCP client → [`server`] → [`tools`] → [`klarna`] → Klarna HTTP. Each
//! module depends only on the ones below it in this list:
//!
//! - [`server`] — [`KlarnaServer`]: the rmcp `ServerHandler`, instructions, panic guard.
//! - [`prompts`] — the three task prompts (summarize, capture remaining, partial refund).
//! - [`tools`] — the tools, one file per area on one template:
//!   - `tools::write` — the one pipeline every write runs through (order read, guards,
//!     confirmation, one idempotency key, verdict, order afterwards), each write kind a
//!     spec in `tools::write::kind`;
//!   - `tools::fulfilment`, `tools::amendments`, `tools::finance` — the opt-in toolsets;
//!   - `tools::confirm` — asking the human (MCP elicitation) with a sealed, typed state;
//!   - `tools::errors` — the one place failures become `isError` results;
//!   - `tools::args`, `tools::lines` — argument types and checks before anything is sent;
//!   - `tools::output`, `tools::receipts` — what tools return, personal data left out
//!     unless configured.
//! - [`config`] — environment variables (and `.env`) parsed once into [`Config`].
//! - [`klarna`] — the API client, which knows nothing of MCP: its own configuration
//!   (credentials per host, base URL, retries), a transport that sends, retries and reads
//!   answers, the policy that judges them, wire types, errors.
//! - [`host`] — the six Klarna hosts ([`host::ApiHost`]) and the environment guard.
//! - [`money`] — minor units and how they are shown.
//! - [`audit`] — one audit line per tool call.
//! - [`clients`] — ready-to-paste MCP client configurations (`klarna-mcp config …`).
//! - [`stdio`] — MCP over stdin/stdout, answering even requests too large to read.
//! - [`http`] — the team server: MCP over Streamable HTTP with authentication, roles, rate
//!   limits and a DNS-rebinding guard (`klarna-mcp serve --http ADDR`).
//! - [`auth`] — who is calling: OAuth 2.1 access tokens (JWT) or static tokens, mapped to a
//!   [`auth::Principal`] with a read or write role.
//! - [`journal`] — the operation journal: every write recorded before it is sent, the guards
//!   that stop a repeat from moving money twice (SQLite, or PostgreSQL for a team).
//! - [`telemetry`] — the server's account of itself: logs on stderr; Prometheus metrics on
//!   a listener of their own (`KLARNA_METRICS_LISTEN`) and OpenTelemetry traces over OTLP
//!   (the real environment's `OTEL_*`), each off unless configured.
//! - [`simulator`] — a stateful Klarna OM and Settlements simulator (axum on loopback) for
//!   tests and `--demo`; it shares no code with the rest on purpose.

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
pub mod cli;
pub mod clients;
pub mod config;
pub mod demo;
pub mod host;
pub mod http;
pub mod journal;
pub mod klarna;
pub mod money;
pub mod prompts;
pub mod server;
pub mod simulator;
pub mod stdio;
pub mod telemetry;
pub mod tools;

pub use config::Config;
pub use klarna::KlarnaClient;
pub use server::KlarnaServer;
