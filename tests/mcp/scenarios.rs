//! The three tasks merchants ask for, end to end, and the prompts that describe them.

use crate::common::{order_args, start};
use klarna_mcp::simulator::SeedOrder;
use rmcp::model::GetPromptRequestParams;
use serde_json::json;

#[tokio::test]
async fn summarize_an_order() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10500, "EUR").captured(6000).refunded(1000));
    let result = h.call("get_order", json!({ "orderId": id })).await;
    let text = crate::common::text(&result);
    for expected in [
        "PART_CAPTURED",
        "order amount 105.00 EUR (10500)",
        "captured 60.00 EUR (6000)",
        "refunded 10.00 EUR (1000)",
        "remaining authorized 45.00 EUR (4500)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
}

#[tokio::test]
async fn capture_the_full_remaining_amount_with_a_shipment_reference() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10500, "EUR").captured(2500));
    let receipt = h
        .ok(
            "capture_order",
            order_args(&id, json!({ "reference": "DHL-00340434161234567890" })),
        )
        .await;
    assert_eq!(receipt["capturedAmount"], 8000);
    assert_eq!(receipt["orderAfter"]["status"], "CAPTURED");
    assert_eq!(receipt["orderAfter"]["remainingAuthorizedAmount"], 0);
    let capture = h
        .ok(
            "get_capture",
            json!({ "orderId": id, "captureId": receipt["captureId"] }),
        )
        .await;
    assert_eq!(capture["capture"]["reference"], "DHL-00340434161234567890");
}

#[tokio::test]
async fn partial_refund_and_confirm_the_new_refunded_total() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10500, "EUR").captured(10500).refunded(500));
    let result = h
        .call(
            "refund_order",
            order_args(
                &id,
                json!({ "amount": 2000, "description": "Late delivery" }),
            ),
        )
        .await;
    let receipt = result.structured_content.clone().unwrap();
    assert_eq!(receipt["orderAfter"]["refundedAmount"], 2500);
    assert!(crate::common::text(&result).contains("refunded 25.00 EUR (2500)"));
}

#[tokio::test]
async fn prompts_are_listed_with_their_arguments() {
    let h = start().await;
    let prompts = h.client.list_all_prompts().await.unwrap();
    let mut names: Vec<String> = prompts.iter().map(|p| p.name.to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        ["capture_remaining", "partial_refund", "summarize_order"]
    );
    let capture = prompts
        .iter()
        .find(|p| p.name == "capture_remaining")
        .unwrap();
    let args: Vec<(String, bool)> = capture
        .arguments
        .clone()
        .unwrap()
        .into_iter()
        .map(|a| (a.name, a.required.unwrap_or(false)))
        .collect();
    assert!(args.contains(&("orderId".into(), true)), "{args:?}");
    assert!(
        args.contains(&("shipmentReference".into(), true)),
        "{args:?}"
    );
    assert!(args.contains(&("apiHost".into(), false)), "{args:?}");
}

async fn prompt_text(h: &crate::common::Harness, name: &str, args: serde_json::Value) -> String {
    let got = h
        .client
        .get_prompt(GetPromptRequestParams::new(name).with_arguments(rmcp::model::object(args)))
        .await
        .unwrap();
    got.messages[0].content.as_text().unwrap().text.clone()
}

#[tokio::test]
async fn each_prompt_names_the_tools_in_order_and_what_to_report() {
    let h = start().await;
    let id = "0d3f1a2e-0000-4000-8000-000000000001";
    let text = prompt_text(&h, "summarize_order", json!({ "orderId": id })).await;
    assert!(
        text.contains(&format!("get_order with orderId \"{id}\""))
            && text.contains("Call no other tool"),
        "{text}"
    );

    let text = prompt_text(
        &h,
        "capture_remaining",
        json!({ "orderId": id, "shipmentReference": "SHIP-9", "apiHost": "api-na.klarna.com" }),
    )
    .await;
    let get = text.find("get_order").unwrap();
    let capture = text.find("capture_order with").unwrap();
    assert!(get < capture, "{text}");
    assert!(
        text.contains("reference \"SHIP-9\"")
            && text.contains("no amount")
            && text.contains("apiHost \"api-na.klarna.com\""),
        "{text}"
    );

    let text = prompt_text(
        &h,
        "partial_refund",
        json!({ "orderId": id, "amount": "2500", "reason": "Damaged \"box\"" }),
    )
    .await;
    assert!(
        text.contains("amount 2500") && text.contains("orderAfter.refundedAmount"),
        "{text}"
    );
    assert!(text.contains(r#"description "Damaged \"box\"""#), "{text}");
}

#[tokio::test]
async fn prompts_refuse_bad_arguments() {
    let h = start().await;
    for (name, args) in [
        ("summarize_order", json!({ "orderId": "x" })),
        (
            "summarize_order",
            json!({ "orderId": "0d3f1a2e-0000-4000-8000-000000000001", "apiHost": "evil.example" }),
        ),
        (
            "partial_refund",
            json!({ "orderId": "0d3f1a2e-0000-4000-8000-000000000001", "amount": "25.00" }),
        ),
        (
            "capture_remaining",
            json!({ "orderId": "0d3f1a2e-0000-4000-8000-000000000001", "shipmentReference": "" }),
        ),
    ] {
        let result = h
            .client
            .get_prompt(
                GetPromptRequestParams::new(name).with_arguments(rmcp::model::object(args.clone())),
            )
            .await;
        assert!(result.is_err(), "{name} {args}");
    }
}

/// The 2026-07-28 lifecycle (no `initialize`: `server/discover` and per-request `_meta`)
/// serves the same tools and results.
#[tokio::test]
async fn the_2026_lifecycle_serves_tools_and_structured_results() {
    use rmcp::{ClientLifecycleMode, ClientServiceExt, ServiceExt, model::ProtocolVersion};
    let sim =
        klarna_mcp::simulator::Simulator::start(klarna_mcp::simulator::SimulatorConfig::demo())
            .await
            .unwrap();
    let id = sim.seed(SeedOrder::new(10500, "EUR"));
    let server = klarna_mcp::KlarnaServer::new(crate::common::config_for(&sim)).unwrap();
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = ()
        .serve_with_lifecycle(
            client_io,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2026_07_28
    );
    assert_eq!(client.list_all_tools().await.unwrap().len(), 7);
    let result = client
        .call_tool(
            rmcp::model::CallToolRequestParams::new("capture_order")
                .with_arguments(rmcp::model::object(json!({ "orderId": id }))),
        )
        .await
        .unwrap();
    assert_eq!(
        result.is_error,
        Some(false),
        "{}",
        crate::common::text(&result)
    );
    assert_eq!(result.structured_content.unwrap()["capturedAmount"], 10500);
}
