//! Roles with the real Klarna tools: a principal with the read role sees only the read tools
//! and gets `403 insufficient_scope` for a write; a writer's money movements name them in the
//! operation journal.

use klarna_mcp::auth::{Role, tokens::mint};
use serde_json::json;

use crate::{
    harness::{
        call, config, legacy_client, modern_client, modern_eliciting_client, post, start_klarna,
        start_klarna_with, text,
    },
    transport::tempdir,
};

#[tokio::test]
async fn a_reader_cannot_see_or_call_writes_and_a_writer_is_named_in_the_journal() {
    let alice = mint("alice", Role::Write).unwrap();
    let bob = mint("bob", Role::Read).unwrap();
    let file = tempdir().join("tokens");
    std::fs::write(&file, format!("{}\n{}\n", alice.line, bob.line)).unwrap();
    let server = start_klarna(config(&[(
        "KLARNA_HTTP_TOKENS_FILE",
        file.to_str().unwrap(),
    )]))
    .await;
    let sim = server.sim.clone().unwrap();
    let order = sim.seed(klarna_mcp::simulator::SeedOrder::new(10000, "EUR"));

    // bob reads: only the read tools are listed, on both lifecycles
    for reader in [
        legacy_client(&server.mcp, Some(&bob.token)).await,
        modern_client(&server.mcp, Some(&bob.token)).await,
    ] {
        let mut names: Vec<String> = reader
            .list_all_tools()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name.to_string())
            .collect();
        names.sort();
        assert_eq!(names, ["get_capture", "get_order", "list_operations"]);
        // Only the prompts whose tools a reader may call.
        let prompts: Vec<String> = reader
            .list_all_prompts()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name.to_string())
            .collect();
        assert_eq!(prompts, ["summarize_order"]);
        let refused = reader
            .get_prompt(
                rmcp::model::GetPromptRequestParams::new("capture_remaining").with_arguments(
                    rmcp::model::object(json!({ "orderId": order, "shipmentReference": "s-1" })),
                ),
            )
            .await;
        assert!(refused.is_err(), "{refused:?}");
        let read = call(&reader, "get_order", json!({ "orderId": order })).await;
        assert_eq!(read.is_error, Some(false), "{}", text(&read));
        reader.cancel().await.unwrap();
    }

    // bob's capture is refused at the HTTP layer: 403 with the step-up challenge
    let capture = json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{
        "name":"capture_order","arguments":{"orderId": order, "amount": 1000}}});
    let response = post(&server.mcp, Some(&bob.token), &capture)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.contains("insufficient_scope") && challenge.contains("klarna.write"),
        "{challenge}"
    );
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "nothing was sent"
    );

    // alice writes, and the journal names her
    let writer = legacy_client(&server.mcp, Some(&alice.token)).await;
    let done = call(
        &writer,
        "capture_order",
        json!({ "orderId": order, "amount": 1000 }),
    )
    .await;
    assert_eq!(done.is_error, Some(false), "{}", text(&done));
    let ops = call(&writer, "list_operations", json!({ "orderId": order })).await;
    let ops = ops.structured_content.unwrap();
    assert_eq!(
        ops["operations"][0]["principal"], "token:alice (alice)",
        "{ops}"
    );
    writer.cancel().await.unwrap();
    server.stop().await.unwrap();
}

/// The tool layer refuses a reader's write on its own: with the HTTP scope check off, a
/// reader's capture, refund, cancel and release each get an `isError` refusal naming the
/// write role, on both lifecycles, and nothing is sent to Klarna.
#[tokio::test]
async fn without_the_http_check_the_tool_layer_still_refuses_a_readers_write() {
    let bob = mint("bob", Role::Read).unwrap();
    let file = tempdir().join("tokens");
    std::fs::write(&file, format!("{}\n", bob.line)).unwrap();
    let server = start_klarna_with(
        config(&[("KLARNA_HTTP_TOKENS_FILE", file.to_str().unwrap())]),
        false,
        |_| {},
    )
    .await;
    let sim = server.sim.clone().unwrap();
    let order = sim.seed(klarna_mcp::simulator::SeedOrder::new(10000, "EUR").captured(5000));

    // The HTTP layer lets the call through: it is the tool layer that answers.
    let capture = json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{
        "name":"capture_order","arguments":{"orderId": order, "amount": 1000}}});
    let response = post(&server.mcp, Some(&bob.token), &capture)
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), 403);

    for reader in [
        legacy_client(&server.mcp, Some(&bob.token)).await,
        modern_client(&server.mcp, Some(&bob.token)).await,
    ] {
        for (tool, args) in [
            ("capture_order", json!({ "orderId": order, "amount": 1000 })),
            ("refund_order", json!({ "orderId": order, "amount": 1000 })),
            ("cancel_order", json!({ "orderId": order })),
            (
                "release_remaining_authorization",
                json!({ "orderId": order }),
            ),
        ] {
            let refused = call(&reader, tool, args).await;
            let said = text(&refused);
            assert_eq!(refused.is_error, Some(true), "{tool}: {said}");
            assert!(
                said.contains("write role") && said.contains("bob"),
                "{tool}: {said}"
            );
        }
        reader.cancel().await.unwrap();
    }
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "nothing was sent"
    );
    server.stop().await.unwrap();
}

/// A confirmation is personal: the sealed question alice's call got, answered "yes" and
/// replayed by bob (another writer), confirms nothing for bob — he is asked himself, and
/// nothing is sent; alice's own answer goes through once.
#[tokio::test]
async fn a_confirmation_obtained_by_one_writer_does_not_confirm_for_another() {
    use rmcp::model::{CallToolRequestParams, CallToolResponse};
    let alice = mint("alice", Role::Write).unwrap();
    let bob = mint("bob", Role::Write).unwrap();
    let file = tempdir().join("tokens");
    std::fs::write(&file, format!("{}\n{}\n", alice.line, bob.line)).unwrap();
    let server = start_klarna_with(
        config(&[("KLARNA_HTTP_TOKENS_FILE", file.to_str().unwrap())]),
        true,
        |c| c.confirm_writes = klarna_mcp::config::ConfirmWrites::Always,
    )
    .await;
    let sim = server.sim.clone().unwrap();
    let order = sim.seed(klarna_mcp::simulator::SeedOrder::new(10000, "EUR"));
    let (a, b) = (
        modern_eliciting_client(&server.mcp, Some(&alice.token)).await,
        modern_eliciting_client(&server.mcp, Some(&bob.token)).await,
    );
    let capture = CallToolRequestParams::new("capture_order").with_arguments(rmcp::model::object(
        json!({ "orderId": order, "amount": 1000 }),
    ));
    let CallToolResponse::InputRequired(ask) = a.call_tool_once(capture.clone()).await.unwrap()
    else {
        panic!("alice is asked first")
    };
    let mut answered = capture.clone();
    answered.request_state = ask.request_state.clone();
    answered.input_responses = Some(
        [(
            "confirm".to_string(),
            json!({ "action": "accept", "content": { "confirm": true } }),
        )]
        .into_iter()
        .collect(),
    );

    match b.call_tool_once(answered.clone()).await.unwrap() {
        CallToolResponse::InputRequired(_) => {}
        CallToolResponse::Complete(result) => {
            assert_eq!(result.is_error, Some(true), "{}", text(&result));
        }
        other => panic!("bob's replay: {other:?}"),
    }
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "alice's confirmation sent bob's capture"
    );

    let CallToolResponse::Complete(done) = a.call_tool_once(answered).await.unwrap() else {
        panic!("alice's answer completes her call")
    };
    assert_eq!(done.is_error, Some(false), "{}", text(&done));
    assert_eq!(sim.snapshot(&order).unwrap().captured_amount, 1000);
    a.cancel().await.unwrap();
    b.cancel().await.unwrap();
    server.stop().await.unwrap();
}

/// With every toolset served, a reader sees exactly the tools annotated read-only — the new
/// fulfilment and amendments reads among them, none of their writes — and the tool layer
/// refuses each of those writes on its own, sending nothing.
#[tokio::test]
async fn a_reader_gets_the_fulfilment_and_amendments_reads_and_none_of_their_writes() {
    let bob = mint("bob", Role::Read).unwrap();
    let file = tempdir().join("tokens");
    std::fs::write(&file, format!("{}\n", bob.line)).unwrap();
    let server = start_klarna_with(
        config(&[("KLARNA_HTTP_TOKENS_FILE", file.to_str().unwrap())]),
        false,
        |c| c.toolsets = Some(["all".to_string()].into()),
    )
    .await;
    let sim = server.sim.clone().unwrap();
    let order = sim.seed(klarna_mcp::simulator::SeedOrder::new(10000, "EUR").captured(10000));
    let capture = sim.snapshot(&order).unwrap().captures[0].capture_id.clone();
    let reader = modern_client(&server.mcp, Some(&bob.token)).await;
    let names: Vec<String> = reader
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    for read in [
        "list_captures",
        "get_refund",
        "get_due_date_extension_options",
    ] {
        assert!(names.contains(&read.to_string()), "{read}: {names:?}");
    }
    let writes = [
        (
            "add_shipping_info",
            json!({ "orderId": order, "captureId": capture, "shippingInfo": [{ "trackingNumber": "T1" }] }),
        ),
        (
            "add_order_shipping_info",
            json!({ "orderId": order, "shippingInfo": [{ "trackingNumber": "T1" }] }),
        ),
        (
            "resend_customer_communication",
            json!({ "orderId": order, "captureId": capture }),
        ),
        ("extend_authorization_time", json!({ "orderId": order })),
        (
            "update_merchant_references",
            json!({ "orderId": order, "merchantReference1": "X" }),
        ),
        ("acknowledge_order", json!({ "orderId": order })),
        (
            "update_order_amount",
            json!({ "orderId": order, "newOrderAmount": 10000 }),
        ),
        (
            "extend_due_date",
            json!({ "orderId": order, "captureId": capture, "numberOfDays": 14 }),
        ),
        (
            "update_customer_details",
            json!({ "orderId": order, "shippingAddress": { "city": "Köln" } }),
        ),
    ];
    for (tool, args) in writes {
        assert!(
            !names.contains(&tool.to_string()),
            "{tool} listed for a reader"
        );
        let refused = call(&reader, tool, args).await;
        let said = text(&refused);
        assert_eq!(refused.is_error, Some(true), "{tool}: {said}");
        assert!(said.contains("write role"), "{tool}: {said}");
    }
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "nothing was sent"
    );
    reader.cancel().await.unwrap();
    server.stop().await.unwrap();
}
