//! The six MCP tools, one file per Klarna area, all on one template:
//! parse arguments → validate (nothing sent on failure) → resolve `apiHost` → call
//! [`KlarnaClient`](crate::klarna::KlarnaClient) → answer with structured content and a
//! short text. Failures go through [`errors`], the one place that turns them into results;
//! every call ends in one audit line ([`call::Call::finish`]).
//!
//! | file | tools |
//! |---|---|
//! | `orders.rs` | `get_order`, `cancel_order`, `release_remaining_authorization` |
//! | `captures.rs` | `capture_order`, `get_capture` |
//! | `refunds.rs` | `refund_order` |
//!
//! Writes share `write.rs`: read the order first (currency, remaining amount, context
//! for errors), enforce caps, ask the human when configured, send with one idempotency key,
//! then read the order again so the result shows the totals afterwards.

pub mod args;
pub(crate) mod call;
mod captures;
mod confirm;
pub mod errors;
mod orders;
pub mod output;
pub mod receipts;
mod refunds;
mod write;

use std::sync::Arc;

use rmcp::{handler::server::router::tool::ToolRouter, model::JsonObject};
use schemars::JsonSchema;

use crate::server::KlarnaServer;

/// Tools that only read.
pub const READ_TOOLS: [&str; 2] = ["get_order", "get_capture"];
/// Tools that move money or end an authorization.
pub const WRITE_TOOLS: [&str; 4] = [
    "capture_order",
    "refund_order",
    "cancel_order",
    "release_remaining_authorization",
];
/// All six, reads first.
pub const ALL_TOOLS: [&str; 6] = [
    "get_order",
    "get_capture",
    "capture_order",
    "refund_order",
    "cancel_order",
    "release_remaining_authorization",
];

/// The router with every tool; the server removes the ones configuration disables.
pub(crate) fn router() -> ToolRouter<KlarnaServer> {
    KlarnaServer::orders_router() + KlarnaServer::captures_router() + KlarnaServer::refunds_router()
}

/// Input schema of an argument type (root `type: object`, as MCP requires).
pub(crate) fn input_schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    rmcp::handler::server::common::schema_for_input::<T>()
        .unwrap_or_else(|_| rmcp::handler::server::common::schema_for_empty_input())
}

/// Output schema of a result type.
pub(crate) fn output_schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    rmcp::handler::server::common::schema_for_output::<T>()
}
