//! Roles with the real Klarna tools: a principal with the read role sees only the read tools
//! and gets `403 insufficient_scope` for a write; a writer's money movements name them in the
//! operation journal.

use klarna_mcp::auth::{Role, tokens::mint};
use serde_json::json;

use crate::{
    harness::{call, config, legacy_client, modern_client, post, start_klarna, text},
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
