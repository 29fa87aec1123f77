//! The tool definitions are the contract the model reads: names, titles, descriptions,
//! annotations and both schemas. Each tool is snapshotted in its own file,
//! `tests/snapshots/tools/<name>.json`, so a change shows which tool changed; any change
//! fails here until it is reviewed and the snapshots are rewritten with
//! `UPDATE_SNAPSHOTS=1 cargo test --test mcp tools_list`. In CI a missing snapshot fails.

use std::path::{Path, PathBuf};

use klarna_mcp::{Config, KlarnaServer};
use serde_json::{Value, json};

/// Every tool of every toolset.
async fn listed_tools() -> Vec<rmcp::model::Tool> {
    let config =
        Config::from_vars(|name| (name == "KLARNA_TOOLSETS").then(|| "all".into())).unwrap();
    let client = crate::common::connect(KlarnaServer::new(config).unwrap()).await;
    let mut tools = client.list_all_tools().await.unwrap();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    tools
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/tools")
}

#[tokio::test]
async fn every_tool_matches_its_reviewed_snapshot_and_no_snapshot_is_stale() {
    let tools = listed_tools().await;
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let in_ci = std::env::var_os("CI").is_some();
    let mut problems = Vec::new();
    for tool in &tools {
        let actual = serde_json::to_string_pretty(tool).unwrap() + "\n";
        let path = snapshot_dir().join(format!("{}.json", tool.name));
        match std::fs::read_to_string(&path) {
            Ok(_) if update => std::fs::write(&path, &actual).unwrap(),
            Ok(expected) if expected == actual => {}
            Ok(_) => problems.push(format!(
                "{} changed. Review it, then run `UPDATE_SNAPSHOTS=1 cargo test --test mcp tools_list`.\n--- new {} ---\n{actual}",
                tool.name,
                path.display()
            )),
            Err(_) if update || !in_ci => {
                std::fs::write(&path, &actual).unwrap();
                if !update {
                    problems.push(format!(
                        "snapshot {} was missing and has been written; review and commit it",
                        path.display()
                    ));
                }
            }
            Err(e) => problems.push(format!("snapshot {} missing in CI: {e}", path.display())),
        }
    }
    let names: Vec<String> = tools.iter().map(|t| format!("{}.json", t.name)).collect();
    for entry in std::fs::read_dir(snapshot_dir()).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().to_string();
        if !names.contains(&file) {
            problems.push(format!("snapshot {file} names no tool; delete it"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[tokio::test]
async fn every_tool_has_a_title_all_four_annotations_and_both_schemas() {
    let expected = json!({
        "get_order": [true, false, true],
        "get_capture": [true, false, true],
        "capture_order": [false, true, false],
        "refund_order": [false, true, false],
        "cancel_order": [false, true, true],
        "release_remaining_authorization": [false, true, true],
        "list_operations": [true, false, true],
        "list_payouts": [true, false, true],
        "get_payout": [true, false, true],
        "get_payout_summary": [true, false, true],
        "list_settlement_transactions": [true, false, true],
        "get_payout_report": [true, false, true],
        "reconcile_settlements": [true, false, true],
        "list_captures": [true, false, true],
        "get_refund": [true, false, true],
        // Appends tracking: nothing is lost, but a repeat without a key appends again.
        "add_shipping_info": [false, false, false],
        "add_order_shipping_info": [false, false, false],
        // Each call sends the customer another message.
        "resend_customer_communication": [false, false, false],
        // Another day, another date: a repeat can move the expiry again.
        "extend_authorization_time": [false, false, false],
        // Overwrites the old references; the same values again change nothing.
        "update_merchant_references": [false, true, true],
        // Acknowledging an acknowledged order changes nothing.
        "acknowledge_order": [false, false, true],
        // Replaces the lines and frees (or asks for) authorization; the same total again
        // changes nothing.
        "update_order_amount": [false, true, true],
        "get_due_date_extension_options": [true, false, true],
        // Costs the merchant a fee that cannot be taken back.
        "extend_due_date": [false, true, false],
        // Overwrites the shipping address.
        "update_customer_details": [false, true, true],
    });
    let tools = listed_tools().await;
    assert_eq!(tools.len(), 25);
    for tool in tools {
        let name = tool.name.to_string();
        let hints = &expected[&name];
        assert!(tool.title.is_some(), "{name}: no title");
        let a = tool
            .annotations
            .clone()
            .unwrap_or_else(|| panic!("{name}: no annotations"));
        assert!(a.title.is_some(), "{name}");
        assert_eq!(
            a.read_only_hint,
            Some(hints[0].as_bool().unwrap()),
            "{name} readOnlyHint"
        );
        assert_eq!(
            a.destructive_hint,
            Some(hints[1].as_bool().unwrap()),
            "{name} destructiveHint"
        );
        assert_eq!(
            a.idempotent_hint,
            Some(hints[2].as_bool().unwrap()),
            "{name} idempotentHint"
        );
        // Only the journal is not Klarna: every other tool reaches the outside world.
        let klarna = name != "list_operations";
        assert_eq!(a.open_world_hint, Some(klarna), "{name} openWorldHint");
        let input = Value::Object((*tool.input_schema).clone());
        assert_eq!(input["type"], "object", "{name}");
        assert_eq!(input["additionalProperties"], false, "{name}");
        if let Some(order_id) = input["properties"].get("orderId") {
            assert_eq!(order_id["format"], "uuid", "{name}");
        }
        if klarna {
            assert_eq!(
                input["properties"]["apiHost"]["enum"]
                    .as_array()
                    .unwrap()
                    .len(),
                6,
                "{name}"
            );
        }
        for (prop, schema) in input["properties"].as_object().unwrap() {
            let doc = schema["description"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}.{prop} has no description"));
            assert!(doc.len() > 15, "{name}.{prop}: {doc}");
        }
        let output = tool
            .output_schema
            .clone()
            .unwrap_or_else(|| panic!("{name}: no output schema"));
        assert_eq!(output.get("type"), Some(&json!("object")), "{name}");
        assert!(tool.description.as_deref().unwrap().len() > 80, "{name}");
    }
}

#[tokio::test]
async fn amounts_say_minor_units_and_write_tools_explain_idempotency_keys() {
    for tool in listed_tools().await {
        let input = Value::Object((*tool.input_schema).clone());
        if let Some(amount) = input["properties"].get("amount") {
            assert!(
                amount["description"]
                    .as_str()
                    .unwrap()
                    .contains("minor units"),
                "{}",
                tool.name
            );
            assert_eq!(amount["type"], "integer");
            assert_eq!(amount["minimum"], 1);
            assert_eq!(amount["maximum"], 200_000_000);
        }
        if let Some(key) = input["properties"].get("idempotencyKey") {
            let doc = key["description"].as_str().unwrap();
            assert!(
                doc.contains("SAME key") && doc.contains("new"),
                "{}: {doc}",
                tool.name
            );
        }
    }
}
