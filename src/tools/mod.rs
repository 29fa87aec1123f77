//! The MCP tools, one file per Klarna area, all on one template:
//! parse arguments → validate (nothing sent on failure) → resolve `apiHost` → call
//! [`KlarnaClient`](crate::klarna::KlarnaClient) → answer with structured content and a
//! short text. Failures go through [`errors`], the one place that turns them into results;
//! every call ends in one audit line ([`call::ToolCall::finish`]).
//!
//! | file | tools |
//! |---|---|
//! | `orders.rs` | `get_order`, `cancel_order`, `release_remaining_authorization` |
//! | `captures.rs` | `capture_order`, `get_capture` |
//! | `refunds.rs` | `refund_order` |
//! | `operations.rs` | `list_operations` (the operation journal) |
//! | `fulfilment/` | `list_captures`, `get_refund`, `add_shipping_info`, `add_order_shipping_info`, `resend_customer_communication`, `extend_authorization_time`, `update_merchant_references`, `acknowledge_order` |
//! | `amendments/` | `update_order_amount`, `get_due_date_extension_options`, `extend_due_date`, `update_customer_details` |
//! | `finance/` | `list_payouts`, `get_payout`, `get_payout_summary`, `list_settlement_transactions`, `get_payout_report`, `reconcile_settlements` (Klarna's Settlements API, read-only) |
//!
//! Every write runs through one pipeline in `write/` (read the order, guards,
//! confirmation, one idempotency key, verdict, the order afterwards); `confirm.rs` asks the
//! human; `output.rs` and `receipts.rs` are what the tools return, personal data left out
//! unless configured.
//!
//! Tools take their arguments as a raw JSON object and parse it themselves ([`args::parse`])
//! instead of letting rmcp deserialize them: a bad argument then becomes an `isError` result
//! that names the field and the fix, which the model reads and acts on, rather than a
//! JSON-RPC error that clients show opaquely or not at all.
//!
//! Which tools exist is decided by the served toolsets (`toolsets.rs`, `KLARNA_TOOLSETS`),
//! `KLARNA_TOOLS`, and each tool's own `readOnlyHint` annotation (read-only mode keeps only
//! the tools annotated read-only), so no hand-kept list can disagree with the tools themselves.

mod amendments;
pub mod args;
pub(crate) mod call;
mod captures;
pub(crate) mod confirm;
pub mod errors;
pub mod finance;
mod fulfilment;
pub mod in_flight;
pub mod lines;
pub mod next_steps;
pub mod operations;
mod orders;
pub mod output;
pub mod receipts;
mod refunds;
mod target;
pub mod toolsets;
pub mod write;

use std::sync::Arc;

use rmcp::{
    handler::server::router::tool::ToolRouter,
    model::{JsonObject, Tool},
};
use schemars::JsonSchema;

use crate::{
    config::{Config, ConfigError, invalid},
    server::KlarnaServer,
};

/// Whether a tool only reads, from its own `readOnlyHint` annotation.
pub(crate) fn is_read_only(tool: &Tool) -> bool {
    tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)
}

/// The router with the tools `config` enables: those of the served toolsets
/// (`KLARNA_TOOLSETS`), narrowed by `KLARNA_TOOLS`; in read-only mode only those annotated
/// read-only. A name in `KLARNA_TOOLS` that is no tool, or a tool of a toolset not served,
/// is a configuration error that says which.
pub(crate) fn router_for(config: &Config) -> Result<ToolRouter<KlarnaServer>, ConfigError> {
    let served = toolsets::served(config)?;
    let mut router = served
        .iter()
        .fold(ToolRouter::new(), |router, set| router + set.router());
    let tools = router.list_all();
    if let Some(names) = &config.tools {
        let listed = || names.iter().cloned().collect::<Vec<_>>().join(",");
        for name in names {
            if router.get(name).is_some() {
                continue;
            }
            let fix = match toolsets::toolset_of(name) {
                Some(set) => format!(
                    "`{name}` is in the toolset `{}`, which is not served; add it to KLARNA_TOOLSETS",
                    set.name
                ),
                None => {
                    let known: Vec<String> = toolsets::all_tools()
                        .list_all()
                        .iter()
                        .map(|t| t.name.to_string())
                        .collect();
                    format!("unknown tool `{name}`; valid names: {}", known.join(", "))
                }
            };
            return Err(invalid("KLARNA_TOOLS", &listed(), fix));
        }
    }
    for tool in &tools {
        let named = config
            .tools
            .as_ref()
            .is_none_or(|names| names.contains(tool.name.as_ref()));
        if !named || (config.read_only && !is_read_only(tool)) {
            router.remove_route(tool.name.as_ref());
        }
    }
    Ok(router)
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

    fn config(read_only: bool, tools: Option<&[&str]>) -> Config {
        let mut config = Config::from_vars(|_| None).unwrap();
        config.toolsets = None;
        config.read_only = read_only;
        config.tools = tools.map(|t| t.iter().map(|s| s.to_string()).collect());
        config
    }

    fn names(router: &ToolRouter<KlarnaServer>) -> Vec<String> {
        let mut names: Vec<String> = router
            .list_all()
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn read_only_mode_keeps_exactly_the_tools_annotated_read_only() {
        let all = toolsets::all_tools().list_all();
        let mut every_toolset = config(true, None);
        every_toolset.toolsets = Some(["all".to_string()].into());
        let router = router_for(&every_toolset).unwrap();
        let kept = names(&router);
        assert!(!kept.is_empty());
        for tool in all {
            assert_eq!(
                kept.contains(&tool.name.to_string()),
                is_read_only(&tool),
                "{}",
                tool.name
            );
        }
    }

    #[test]
    fn klarna_tools_selects_by_name_and_read_only_still_wins() {
        let router = router_for(&config(false, Some(&["get_order", "refund_order"]))).unwrap();
        assert_eq!(names(&router), ["get_order", "refund_order"]);
        let router = router_for(&config(true, Some(&["get_order", "refund_order"]))).unwrap();
        assert_eq!(names(&router), ["get_order"]);
        let err = router_for(&config(false, Some(&["get_order", "refund"])))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("unknown tool `refund`") && err.contains("refund_order"),
            "{err}"
        );
    }

    #[test]
    fn toolsets_choose_the_groups_and_unknown_names_say_the_valid_ones() {
        let mut c = config(false, None);
        let default = names(&router_for(&c).unwrap());
        let defaults: Vec<String> = toolsets::TOOLSETS
            .iter()
            .filter(|t| t.default_on)
            .flat_map(|t| t.tool_names())
            .collect();
        assert_eq!(default.len(), defaults.len());
        assert!(default.contains(&"get_order".to_string()));
        c.toolsets = Some(["all".to_string()].into());
        assert_eq!(
            names(&router_for(&c).unwrap()).len(),
            toolsets::all_tools().list_all().len()
        );
        c.toolsets = Some(["orders".to_string(), "nope".to_string()].into());
        let err = router_for(&c).err().unwrap().to_string();
        assert!(
            err.contains("unknown toolset `nope`") && err.contains("orders"),
            "{err}"
        );
    }

    #[test]
    fn every_tool_belongs_to_exactly_one_toolset() {
        for tool in toolsets::all_tools().list_all() {
            let homes = toolsets::TOOLSETS
                .iter()
                .filter(|t| t.router().get(&tool.name).is_some())
                .count();
            assert_eq!(homes, 1, "{}", tool.name);
        }
    }
}
