//! What a write's verdict and its replay are decided from: ids and amounts Klarna and the
//! order show, never text the sanitizer may have changed on its way back; a success the
//! order afterwards denies is no verdict; and an amount from Klarna's answer is checked
//! before it is sent.

use klarna_mcp::{
    Config, KlarnaServer,
    simulator::{
        CannedResponse, DEMO_USERNAME, Fault, FaultRule, Operation, SeedOrder, Simulator,
        SimulatorConfig,
    },
};
use serde_json::json;

use crate::common::{Harness, connect, order_args, start, text};

/// A password shaped like an API key: its head is `klarna_test_api_`, the kind of text a
/// reference may well end with.
const KEYLIKE_PASSWORD: &str = "klarna_test_api_c2VjcmV0LXBhcnQtb25lLXR3bw";

async fn harness_with_password(password: &str) -> Harness {
    let sim = Simulator::start(SimulatorConfig::single(DEMO_USERNAME, password))
        .await
        .unwrap();
    let base = sim.base_url();
    let mut config = Config::from_vars(|name| match name {
        "KLARNA_API_USERNAME" => Some(DEMO_USERNAME.to_string()),
        "KLARNA_API_PASSWORD" => Some(password.to_string()),
        "KLARNA_BASE_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap();
    config.client.retry.max_retries = 0;
    config.journal = Some(klarna_mcp::journal::JournalLocation::Memory);
    let client = connect(KlarnaServer::new(config).unwrap()).await;
    Harness { sim, client }
}

/// A fresh capture or refund whose reference ends with the head of the configured secret
/// (or begins with its tail) comes back scrubbed; it is still this call's own write —
/// applied, never "REPLAY — nothing new was applied" (which would invite a second one).
#[tokio::test]
async fn a_reference_the_sanitizer_changes_is_still_a_first_write() {
    let h = harness_with_password(KEYLIKE_PASSWORD).await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let tail = &KEYLIKE_PASSWORD[KEYLIKE_PASSWORD.len() - 12..];
    for (tool, args) in [
        (
            "capture_order",
            json!({ "amount": 6000, "reference": "SHIP-7-klarna_test_api_c2Vj" }),
        ),
        (
            "refund_order",
            json!({ "amount": 1000, "reference": format!("{tail}-RMA-1") }),
        ),
    ] {
        let result = h.call(tool, order_args(&id, args)).await;
        let shown = text(&result);
        assert_eq!(result.is_error, Some(false), "{shown}");
        assert!(!shown.starts_with("REPLAY"), "{tool}: {shown}");
        assert!(!shown.contains(KEYLIKE_PASSWORD), "{shown}");
        let receipt = result.structured_content.unwrap();
        assert_eq!(receipt["replayed"], false, "{tool}: {receipt}");
    }
    // The premise: the references do come back changed.
    let order = h.ok("get_order", json!({ "orderId": id })).await;
    assert_ne!(
        order["captures"][0]["reference"], "SHIP-7-klarna_test_api_c2Vj",
        "{order}"
    );
    assert_ne!(
        order["refunds"][0]["reference"],
        format!("{tail}-RMA-1"),
        "{order}"
    );
    let ops = h.ok("list_operations", json!({})).await;
    let verdicts: Vec<&str> = ops["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["applied", "applied"], "{ops}");
    let snap = h.sim.snapshot(&id).unwrap();
    assert_eq!((snap.captured_amount, snap.refunded_amount), (6000, 1000));
}

/// Something in front of Klarna answers 201 with a `Capture-Id`, but the order read
/// afterwards has no such capture and its captured total did not move: OUTCOME UNKNOWN with
/// the evidence and the key, journaled so — never "Captured".
#[tokio::test]
async fn a_201_naming_a_capture_the_order_does_not_have_is_outcome_unknown() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule::once(
        Operation::Capture,
        Fault::Respond(
            CannedResponse::new(201)
                .header("Capture-Id", "9d7c7b0e-1111-4a4a-8b8b-222222222222")
                .header(
                    "Location",
                    &format!(
                        "/ordermanagement/v1/orders/{id}/captures/9d7c7b0e-1111-4a4a-8b8b-222222222222"
                    ),
                ),
        ),
    ));
    let shown = h
        .err("capture_order", order_args(&id, json!({ "amount": 2500 })))
        .await;
    assert!(shown.starts_with("OUTCOME UNKNOWN"), "{shown}");
    assert!(
        shown.contains("no such capture") && shown.contains("did not move"),
        "{shown}"
    );
    assert!(shown.contains("idempotencyKey"), "{shown}");
    let ops = h.ok("list_operations", json!({ "orderId": id })).await;
    assert_eq!(ops["operations"][0]["verdict"], "outcome_unknown", "{ops}");
    assert_eq!(h.sim.snapshot(&id).unwrap().captured_amount, 0);
}

/// "Capture everything" takes the remaining amount from Klarna's answer; an answer whose
/// remaining amount is negative or above Klarna's own limit is refused as implausible, and
/// nothing is sent.
#[tokio::test]
async fn an_implausible_remaining_amount_is_never_posted() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    for absurd in [-500_i64, 200_000_001, 9_007_199_254_740_993] {
        h.serve_stale(&id, |o| {
            o["remaining_authorized_amount"] = json!(absurd);
        });
        let shown = h.err("capture_order", json!({ "orderId": id })).await;
        assert!(
            shown.contains("not a plausible amount"),
            "{absurd}: {shown}"
        );
        assert!(shown.contains(&absurd.to_string()), "{shown}");
    }
    assert!(h.nothing_written());
}
