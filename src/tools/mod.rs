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
pub(crate) mod confirm;
pub mod errors;
pub mod lines;
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

/// Output schema of a result type, made portable: results never contain `null` (absent
/// fields are left out), so `"type": ["string", "null"]` becomes `"type": "string"` and
/// `anyOf: [X, {"type": "null"}]` becomes `X` — single-`type` dialects (Gemini's OpenAPI
/// subset) then accept the schema as is.
pub(crate) fn output_schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    let mut schema = serde_json::Value::Object(
        (*rmcp::handler::server::common::schema_for_output::<T>()).clone(),
    );
    drop_null(&mut schema);
    match schema {
        serde_json::Value::Object(map) => Arc::new(map),
        _ => rmcp::handler::server::common::schema_for_output::<T>(),
    }
}

fn drop_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let single = types.remove(0);
                    map.insert("type".into(), single);
                }
            }
            if let Some(Value::Array(branches)) = map.get("anyOf") {
                let kept: Vec<Value> = branches
                    .iter()
                    .filter(|b| b.get("type") != Some(&Value::from("null")))
                    .cloned()
                    .collect();
                if kept.len() == 1 && kept.len() < branches.len() {
                    map.remove("anyOf");
                    if let Some(Value::Object(inner)) = kept.into_iter().next() {
                        for (k, v) in inner {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_partition_the_six_tools() {
        let mut both: Vec<&str> = READ_TOOLS
            .iter()
            .chain(WRITE_TOOLS.iter())
            .copied()
            .collect();
        both.sort_unstable();
        let mut all = ALL_TOOLS.to_vec();
        all.sort_unstable();
        assert_eq!(both, all);
        assert!(READ_TOOLS.iter().all(|r| !WRITE_TOOLS.contains(r)));
    }

    #[test]
    fn every_tool_in_the_router_is_named_in_the_lists_with_matching_annotations() {
        let router = router();
        let listed = router.list_all();
        assert_eq!(listed.len(), ALL_TOOLS.len());
        for tool in listed {
            let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
            assert_eq!(
                read_only,
                READ_TOOLS.contains(&tool.name.as_ref()),
                "{}",
                tool.name
            );
            assert_eq!(
                !read_only,
                WRITE_TOOLS.contains(&tool.name.as_ref()),
                "{}",
                tool.name
            );
        }
    }
}
