//! Canned responses: faults that make "Klarna" answer anything a test builds.

use klarna_mcp::simulator::{CannedResponse, Fault, FaultRule, Operation, SeedOrder};
use serde_json::json;

use crate::common::{Api, NA, PASS, USER, header, klarna_error};

#[tokio::test]
async fn respond_answers_anything_and_applies_nothing() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let canned = CannedResponse::text(502, "<html>bad gateway</html>")
        .header("X-Upstream", "edge-7")
        .header("Retry-After", "3");
    api.sim
        .inject_fault(FaultRule::once(Operation::Capture, Fault::Respond(canned)));
    let resp = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 1_000})),
            Some("k"),
        )
        .await;
    assert_eq!(resp.status(), 502);
    assert_eq!(header(&resp, "x-upstream").as_deref(), Some("edge-7"));
    assert_eq!(header(&resp, "retry-after").as_deref(), Some("3"));
    assert_eq!(
        header(&resp, "content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    // Nothing is added to what the test asked for.
    assert_eq!(header(&resp, "klarna-correlation-id"), None);
    assert_eq!(resp.text().await.unwrap(), "<html>bad gateway</html>");
    assert!(api.sim.snapshot(&id).unwrap().captures.is_empty());
    // Not stored for replay: the retry with the same key runs the capture.
    let retry = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 1_000})),
            Some("k"),
        )
        .await;
    assert_eq!(retry.status(), 201);
    // An empty canned answer is possible too.
    api.sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::Respond(CannedResponse::new(503)),
    ));
    let empty = api.get(&id, "").await;
    assert_eq!(empty.status(), 503);
    assert!(empty.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn commit_then_respond_applies_then_answers_the_canned_response() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let canned = CannedResponse::klarna_error(
        500,
        "INTERNAL_SERVER_ERROR",
        &["Something went wrong"],
        "11111111-2222-4333-8444-555555555555",
    );
    api.sim.inject_fault(FaultRule::once(
        Operation::Capture,
        Fault::CommitThenRespond(canned),
    ));
    let body = json!({"captured_amount": 2_500});
    let resp = api
        .post(&id, "/captures", Some(body.clone()), Some("k"))
        .await;
    let (status, code, messages) = klarna_error(resp).await;
    assert_eq!((status, code.as_str()), (500, "INTERNAL_SERVER_ERROR"));
    assert_eq!(messages, vec!["Something went wrong"]);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(s.captured_amount, 2_500, "the capture was applied");
    // The real outcome was stored: the retry replays it.
    let retry = api.post(&id, "/captures", Some(body), Some("k")).await;
    assert_eq!(retry.status(), 201);
    assert_eq!(
        header(&retry, "capture-id").unwrap(),
        s.captures[0].capture_id
    );
    assert_eq!(api.sim.snapshot(&id).unwrap().captures.len(), 1);
}

/// An upstream that echoes the caller's `Authorization` header into its answer.
#[tokio::test]
async fn canned_responses_can_echo_the_authorization_header() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let canned = CannedResponse::text(400, "bad request from {authorization}")
        .header("X-Seen", "{authorization}")
        .echoing_authorization();
    api.sim
        .inject_fault(FaultRule::once(Operation::Cancel, Fault::Respond(canned)));
    let resp = api.post(&id, "/cancel", None, None).await;
    let sent = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{USER}:{PASS}")
        )
    );
    assert_eq!(resp.status(), 400);
    assert_eq!(header(&resp, "x-seen"), Some(sent.clone()));
    assert_eq!(
        resp.text().await.unwrap(),
        format!("bad request from {sent}")
    );
    assert_eq!(api.sim.snapshot(&id).unwrap().status, "AUTHORIZED");
}

/// Tests can serve any order JSON: nulls, floats, missing fields.
#[tokio::test]
async fn a_canned_200_replaces_the_order_json() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "USD").on_host(NA));
    let mut odd = api.sim.order_json(&id).unwrap();
    odd["order_amount"] = json!(100.5);
    odd["captured_amount"] = json!(null);
    odd["order_lines"][0]["quantity"] = json!(1.5);
    odd.as_object_mut()
        .unwrap()
        .remove("remaining_authorized_amount");
    api.sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::Respond(CannedResponse::json(200, &odd)),
    ));
    let served = api.get_on(NA, &id, "").await;
    assert_eq!(served.status(), 200);
    assert_eq!(
        header(&served, "content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(served.json::<serde_json::Value>().await.unwrap(), odd);
    // The next read is the real order again.
    let real = api.get_on(NA, &id, "").await;
    assert_eq!(
        real.json::<serde_json::Value>().await.unwrap()["order_amount"],
        10_000
    );
}
