//! Fault injection.

use std::time::Duration;

use klarna_mcp::simulator::{Fault, FaultRule, Operation, SeedOrder};
use reqwest::Client;
use serde_json::json;

use crate::common::{Api, PASS, USER, header, klarna_error};

fn rule(operation: Operation, fault: Fault, times: u32) -> FaultRule {
    FaultRule {
        operation,
        fault,
        times,
    }
}

#[tokio::test]
async fn status_faults_apply_nothing() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    for (status, code) in [
        (503, "TEMPORARILY_UNAVAILABLE"),
        (502, "TEMPORARILY_UNAVAILABLE"),
        (500, "INTERNAL_SERVER_ERROR"),
        (409, "CONFLICT"),
    ] {
        api.sim
            .inject_fault(FaultRule::once(Operation::Capture, Fault::Status(status)));
        let resp = api
            .post(
                &id,
                "/captures",
                Some(json!({"captured_amount": 1_000})),
                Some("k"),
            )
            .await;
        let (s, c, _) = klarna_error(resp).await;
        assert_eq!((s, c.as_str()), (status, code));
    }
    assert!(api.sim.snapshot(&id).unwrap().captures.is_empty());
    // Faults are not stored for replay: the retry with the same key executes.
    let resp = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 1_000})),
            Some("k"),
        )
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(api.sim.snapshot(&id).unwrap().captured_amount, 1_000);
}

#[tokio::test]
async fn too_many_requests_with_and_without_retry_after() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    api.sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::TooManyRequests {
            retry_after_secs: Some(7),
        },
    ));
    api.sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::TooManyRequests {
            retry_after_secs: None,
        },
    ));
    let first = api.get(&id, "").await;
    assert_eq!(header(&first, "retry-after").as_deref(), Some("7"));
    let (s, c, _) = klarna_error(first).await;
    assert_eq!((s, c.as_str()), (429, "TOO_MANY_REQUESTS"));
    let second = api.get(&id, "").await;
    assert_eq!(header(&second, "retry-after"), None);
    assert_eq!(second.status(), 429);
    assert_eq!(api.get(&id, "").await.status(), 200);
}

#[tokio::test]
async fn commit_then_status_stores_the_real_success() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    api.sim.inject_fault(FaultRule::once(
        Operation::Capture,
        Fault::CommitThenStatus(500),
    ));
    let resp = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 2_000})),
            Some("k"),
        )
        .await;
    let (s, c, _) = klarna_error(resp).await;
    assert_eq!((s, c.as_str()), (500, "INTERNAL_SERVER_ERROR"));
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(s.captured_amount, 2_000);
    let retry = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 2_000})),
            Some("k"),
        )
        .await;
    assert_eq!(retry.status(), 201);
    assert_eq!(
        header(&retry, "capture-id").unwrap(),
        s.captures[0].capture_id
    );
    assert_eq!(api.sim.snapshot(&id).unwrap().captures.len(), 1);
}

#[tokio::test]
async fn commit_then_drop_closes_the_connection_without_a_response() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    api.sim
        .inject_fault(FaultRule::once(Operation::Refund, Fault::Status(503)));
    api.sim
        .inject_fault(FaultRule::once(Operation::Capture, Fault::CommitThenDrop));
    let client = Client::new();
    let send = || {
        client
            .post(api.order_url(&id, "/captures"))
            .basic_auth(USER, Some(PASS))
            .header("Klarna-Idempotency-Key", "drop-1")
            .json(&json!({"captured_amount": 3_000}))
            .send()
    };
    let err = send().await.unwrap_err();
    assert!(!err.is_status(), "{err:?}");
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(s.captured_amount, 3_000);
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(
        header(&retry, "capture-id").unwrap(),
        s.captures[0].capture_id
    );
    assert_eq!(api.sim.snapshot(&id).unwrap().captures.len(), 1);
    let log = api.sim.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![0, 201]
    );
    assert_eq!(api.sim.request_count(), 2);
    assert_eq!(api.sim.connections_accepted(), 2);
    // The unrelated Refund rule is still queued.
    let (status, _, _) = klarna_error(api.refund(&id, 100).await).await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn delay_applies_then_answers() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    api.sim.inject_fault(FaultRule::once(
        Operation::Cancel,
        Fault::Delay(Duration::from_millis(150)),
    ));
    let (slow, other) = tokio::join!(api.post(&id, "/cancel", None, Some("c")), async {
        // Another request is not blocked by the delayed one.
        api.get_json(&id, "").await
    });
    assert_eq!(slow.status(), 204);
    assert!(other.is_object());
    assert_eq!(api.sim.snapshot(&id).unwrap().status, "CANCELLED");
    assert_eq!(
        api.post(&id, "/cancel", None, Some("c")).await.status(),
        204
    );
}

#[tokio::test]
async fn rules_match_by_operation_in_fifo_order() {
    let api = Api::new().await;
    let id = api
        .sim
        .seed(SeedOrder::new(10_000, "EUR").captured(1_000).refunded(100));
    let rid = api.sim.snapshot(&id).unwrap().refunds[0].refund_id.clone();
    api.sim
        .inject_fault(rule(Operation::Capture, Fault::Status(503), 2));
    api.sim
        .inject_fault(rule(Operation::Any, Fault::Status(500), 1));
    api.sim
        .inject_fault(rule(Operation::GetCapture, Fault::Status(502), 1));
    api.sim
        .inject_fault(rule(Operation::Release, Fault::Status(504), 0));
    // GetOrder skips the Capture rule and takes the Any rule.
    assert_eq!(api.get(&id, "").await.status(), 500);
    assert_eq!(api.get(&id, "").await.status(), 200);
    assert_eq!(api.capture(&id, 100).await.status(), 503);
    assert_eq!(api.capture(&id, 100).await.status(), 503);
    assert_eq!(api.capture(&id, 100).await.status(), 201);
    assert_eq!(api.get(&id, "/captures").await.status(), 502);
    assert_eq!(api.get(&id, "/captures").await.status(), 200);
    assert_eq!(
        api.post(&id, "/release-remaining-authorization", None, None)
            .await
            .status(),
        204
    );
    // A refund read is only matched by Any; 401s and 404 routes consume nothing.
    api.sim
        .inject_fault(rule(Operation::Refund, Fault::Status(503), 1));
    assert_eq!(api.get(&id, &format!("/refunds/{rid}")).await.status(), 200);
    api.sim
        .inject_fault(rule(Operation::Any, Fault::Status(500), 1));
    let unauth = api.client.get(api.order_url(&id, "")).send().await.unwrap();
    assert_eq!(unauth.status(), 401);
    let missing = api
        .client
        .get(api.url("/nope"))
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(api.refund(&id, 100).await.status(), 503);
    assert_eq!(api.get(&id, &format!("/refunds/{rid}")).await.status(), 500);
    api.sim
        .inject_fault(rule(Operation::Any, Fault::Status(500), 5));
    api.sim.clear_faults();
    assert_eq!(api.get(&id, "").await.status(), 200);
}

#[tokio::test]
async fn a_delayed_request_abandoned_by_the_client_is_logged_and_replayed() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    api.sim.inject_fault(FaultRule::once(
        Operation::Capture,
        Fault::Delay(Duration::from_millis(400)),
    ));
    let impatient = Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let send = |client: &Client| {
        client
            .post(api.order_url(&id, "/captures"))
            .basic_auth(USER, Some(PASS))
            .header("Klarna-Idempotency-Key", "slow-1")
            .json(&json!({"captured_amount": 3_000}))
            .send()
    };
    assert!(send(&impatient).await.unwrap_err().is_timeout());
    // The capture was committed before the delay; the retry replays it.
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(s.captures.len(), 1);
    let retry = send(&api.client).await.unwrap();
    assert_eq!(retry.status(), 201);
    assert_eq!(
        header(&retry, "capture-id").unwrap(),
        s.captures[0].capture_id
    );
    let log = api.sim.requests();
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|r| r.idempotency_key.as_deref() == Some("slow-1"))
    );
    assert_eq!(log[1].status, 201);
    assert_eq!(api.sim.snapshot(&id).unwrap().captures.len(), 1);
}

/// Each later operation has its own `Operation`: a rule for it fires on that
/// route only, a status fault applies nothing, and a commit-then fault applies
/// once and is replayed for the same key.
#[tokio::test]
async fn the_later_operations_each_take_their_own_faults() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .klarna_checkout()
            .captured(4_000)
            .refunded(500),
    );
    let cid = api.first_capture(&id);
    let rid = api.sim.snapshot(&id).unwrap().refunds[0].refund_id.clone();
    let tracking = json!({"shipping_info": [{"tracking_number": "1"}]});
    let calls: Vec<(Operation, &str, String, Option<serde_json::Value>)> = vec![
        (Operation::GetRefund, "GET", format!("/refunds/{rid}"), None),
        (
            Operation::ExtendAuthorizationTime,
            "POST",
            "/extend-authorization-time".into(),
            None,
        ),
        (
            Operation::UpdateAuthorization,
            "PATCH",
            "/authorization".into(),
            Some(json!({"order_amount": 9_000})),
        ),
        (
            Operation::UpdateMerchantReferences,
            "PATCH",
            "/merchant-references".into(),
            Some(json!({"merchant_reference2": "R"})),
        ),
        (
            Operation::UpdateConsumerDetails,
            "PATCH",
            "/customer-details".into(),
            Some(json!({"shipping_address": {"city": "Bonn"}})),
        ),
        (
            Operation::AppendShippingInfo,
            "POST",
            format!("/captures/{cid}/shipping-info"),
            Some(tracking.clone()),
        ),
        (
            Operation::AppendOrderShippingInfo,
            "POST",
            "/shipping-info".into(),
            Some(tracking),
        ),
        (
            Operation::TriggerSendOut,
            "POST",
            format!("/captures/{cid}/trigger-send-out"),
            None,
        ),
        (
            Operation::GetOptionsForExtendDueDate,
            "GET",
            format!("/captures/{cid}/extend-due-date-options"),
            None,
        ),
        (
            Operation::ExtendDueDate,
            "PATCH",
            format!("/captures/{cid}/extend-due-date"),
            Some(json!({"number_of_days": 7})),
        ),
        (
            Operation::AcknowledgeOrder,
            "POST",
            "/acknowledge".into(),
            None,
        ),
    ];
    let send = |method: &str, suffix: &str, body: Option<serde_json::Value>| {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = api
            .client
            .request(method, api.order_url(&id, suffix))
            .basic_auth(USER, Some(PASS))
            .header("Klarna-Idempotency-Key", format!("key {suffix}"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    let before = api.sim.snapshot(&id).unwrap();
    for (op, method, suffix, body) in &calls {
        // A rule for another operation does not fire here; this one's does.
        api.sim
            .inject_fault(FaultRule::once(Operation::Capture, Fault::Status(500)));
        api.sim
            .inject_fault(FaultRule::once(*op, Fault::Status(503)));
        let resp = send(method, suffix, body.clone()).await.unwrap();
        let (s, c, _) = klarna_error(resp).await;
        assert_eq!((s, c.as_str()), (503, "TEMPORARILY_UNAVAILABLE"), "{op:?}");
        api.sim.clear_faults();
    }
    assert_eq!(
        api.sim.snapshot(&id).unwrap(),
        before,
        "503 applied nothing"
    );
    for (op, method, suffix, body) in &calls {
        api.sim
            .inject_fault(FaultRule::once(*op, Fault::CommitThenStatus(502)));
        let resp = send(method, suffix, body.clone()).await.unwrap();
        assert_eq!(resp.status(), 502, "{op:?}");
        // The retry with the same key gets the committed answer.
        let retry = send(method, suffix, body.clone()).await.unwrap();
        assert!(retry.status().is_success(), "{op:?}: {}", retry.status());
    }
    let after = api.sim.snapshot(&id).unwrap();
    assert_eq!(after.order_amount, 9_000);
    assert_eq!(after.merchant_reference2.as_deref(), Some("R"));
    assert_eq!(
        (
            after.captures[0].shipping_info_count,
            after.shipping_info_count,
            after.captures[0].send_outs,
            after.fees.len()
        ),
        (1, 1, 1, 1),
        "each change applied exactly once"
    );
    assert_eq!(
        api.get_json(&id, "").await["shipping_address"]["city"],
        "Bonn"
    );
}
