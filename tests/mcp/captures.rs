//! `capture_order` and `get_capture` against the simulator.

use crate::common::{UNKNOWN_ORDER, order_args, start};
use klarna_mcp::simulator::SeedOrder;
use serde_json::json;

#[tokio::test]
async fn capture_without_amount_takes_the_whole_remaining_authorization() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10500, "EUR").captured(500));
    let result = h
        .call(
            "capture_order",
            order_args(&id, json!({ "reference": "SHIP-42" })),
        )
        .await;
    assert_eq!(
        result.is_error,
        Some(false),
        "{}",
        crate::common::text(&result)
    );
    let receipt = result.structured_content.clone().unwrap();
    assert_eq!(receipt["capturedAmount"], 10000);
    assert_eq!(receipt["reference"], "SHIP-42");
    assert_eq!(receipt["orderAfter"]["status"], "CAPTURED");
    assert_eq!(receipt["orderAfter"]["capturedAmount"], 10500);
    assert_eq!(receipt["orderAfter"]["remainingAuthorizedAmount"], 0);
    let capture_id = receipt["captureId"].as_str().unwrap().to_string();
    assert!(
        receipt.get("location").is_none(),
        "Klarna's internal URL is noise"
    );
    let text = crate::common::text(&result);
    assert!(text.contains("Captured 100.00 EUR (10000)"), "{text}");
    assert!(text.contains(&capture_id), "{text}");

    // the wire request was Klarna's snake_case body with the key and JSON content type
    let post = h
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(
        post.path,
        format!("/ordermanagement/v1/orders/{id}/captures")
    );
    assert_eq!(post.body.as_ref().unwrap()["captured_amount"], 10000);
    assert_eq!(post.body.as_ref().unwrap()["reference"], "SHIP-42");
    assert_eq!(
        post.idempotency_key.as_deref(),
        receipt["idempotencyKey"].as_str()
    );
    assert!(
        post.content_type
            .as_deref()
            .unwrap()
            .starts_with("application/json")
    );
    assert!(
        post.user_agent
            .as_deref()
            .unwrap()
            .starts_with("klarna-mcp/")
    );
    let snap = h.sim.snapshot(&id).unwrap();
    assert_eq!(snap.captures.len(), 2);
    assert_eq!(snap.captures[1].reference.as_deref(), Some("SHIP-42"));
}

#[tokio::test]
async fn partial_capture_with_lines_and_tracking_leaves_the_rest_authorized() {
    let h = start().await;
    let id = h.seed(
        SeedOrder::new(10000, "EUR")
            .line("Shoes", "SKU-1", 1, 6000)
            .line("Socks", "SKU-2", 2, 2000),
    );
    let receipt = h
        .ok(
            "capture_order",
            order_args(
                &id,
                json!({
                    "amount": 6000,
                    "description": "Shoes shipped",
                    "orderLines": [{ "name": "Shoes", "reference": "SKU-1", "quantity": 1, "unitPrice": 6000, "totalAmount": 6000 }],
                    "shippingInfo": [{ "shippingCompany": "DHL SE", "shippingMethod": "Home", "trackingNumber": "TRK1" }]
                }),
            ),
        )
        .await;
    assert_eq!(receipt["orderAfter"]["status"], "PART_CAPTURED");
    assert_eq!(receipt["orderAfter"]["remainingAuthorizedAmount"], 4000);
    let body = h
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap()
        .body
        .unwrap();
    assert_eq!(body["order_lines"][0]["unit_price"], 6000);
    assert_eq!(body["order_lines"][0]["total_amount"], 6000);
    assert_eq!(body["shipping_info"][0]["tracking_number"], "TRK1");
    assert_eq!(body["description"], "Shoes shipped");

    // and the capture can be read back
    let capture_id = receipt["captureId"].as_str().unwrap();
    let details = h
        .ok(
            "get_capture",
            json!({ "orderId": id, "captureId": capture_id }),
        )
        .await;
    assert_eq!(details["capture"]["capturedAmount"], 6000);
    assert_eq!(
        details["capture"]["shippingInfo"][0]["trackingNumber"],
        "TRK1"
    );
    assert_eq!(details["currency"], "EUR");
}

#[tokio::test]
async fn capture_when_nothing_remains_sends_nothing() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(5000, "EUR").captured(5000));
    let text = h.err("capture_order", json!({ "orderId": id })).await;
    assert!(text.contains("nothing remains to capture"), "{text}");
    assert!(text.contains("Nothing was sent"), "{text}");
    assert!(h.sim.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn over_capture_is_refused_before_sending_and_names_the_remaining_amount() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(7000));
    let text = h
        .err("capture_order", order_args(&id, json!({ "amount": 5000 })))
        .await;
    assert!(text.contains("at most 30.00 EUR (3000)"), "{text}");
    assert!(text.contains("Nothing was sent"), "{text}");
    assert!(!text.contains("Idempotency key"), "no key was sent: {text}");
    assert!(h.nothing_written());
    assert_eq!(h.sim.snapshot(&id).unwrap().captured_amount, 7000);
}

/// The order changed between the server's read and the capture (someone else captured):
/// Klarna's own CAPTURE_NOT_ALLOWED is a verdict, and the advice comes from the order as it
/// is now, read again.
#[tokio::test]
async fn klarna_refusing_a_capture_the_stale_order_allowed_is_a_verdict_with_current_advice() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(7000));
    h.serve_stale(&id, |o| {
        o["captured_amount"] = json!(0);
        o["remaining_authorized_amount"] = json!(10000);
        o["status"] = json!("AUTHORIZED");
        o["captures"] = json!([]);
    });
    let text = h
        .err("capture_order", order_args(&id, json!({ "amount": 5000 })))
        .await;
    assert!(text.contains("HTTP 403 CAPTURE_NOT_ALLOWED"), "{text}");
    assert!(text.contains("At most 30.00 EUR (3000)"), "{text}");
    assert!(text.contains("Klarna did not apply it"), "{text}");
    assert!(text.contains("Idempotency key"), "{text}");
    assert_eq!(h.sim.snapshot(&id).unwrap().captured_amount, 7000);
}

#[tokio::test]
async fn capture_while_fraud_status_is_not_accepted_is_refused_locally_with_advice() {
    let h = start().await;
    for (fraud, advice) in [("PENDING", "do not ship yet"), ("REJECTED", "cancel_order")] {
        let id = h.seed(SeedOrder::new(10000, "EUR").fraud_status(fraud));
        let text = h.err("capture_order", json!({ "orderId": id })).await;
        assert!(text.contains(&format!("fraud status {fraud}")), "{text}");
        assert!(text.contains(advice), "{text}");
        assert!(text.contains("Nothing was sent to Klarna"), "{text}");
        assert_eq!(h.sim.snapshot(&id).unwrap().captured_amount, 0);
    }
    assert!(h.nothing_written(), "refused before anything was sent");
}

#[tokio::test]
async fn capture_on_cancelled_or_expired_orders_is_refused_before_sending() {
    let h = start().await;
    for (seed, state) in [
        (
            SeedOrder::new(1000, "EUR").cancelled(),
            "the order is cancelled",
        ),
        (
            SeedOrder::new(1000, "EUR").expired(),
            "the authorization has expired",
        ),
    ] {
        let id = h.seed(seed);
        let text = h
            .err("capture_order", order_args(&id, json!({ "amount": 500 })))
            .await;
        assert!(text.contains(state), "{state}: {text}");
        assert!(text.contains("nothing can be captured"), "{text}");
    }
    assert!(h.nothing_written());
}

#[tokio::test]
async fn capture_on_an_unknown_order_fails_on_the_first_read_and_sends_no_post() {
    let h = start().await;
    let text = h
        .err(
            "capture_order",
            order_args(UNKNOWN_ORDER, json!({ "amount": 100 })),
        )
        .await;
    assert!(text.contains("NO_SUCH_ORDER"), "{text}");
    assert!(h.sim.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn get_capture_of_an_unknown_capture_points_to_get_order() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(1000, "EUR").captured(1000));
    let text = h
        .err(
            "get_capture",
            json!({ "orderId": id, "captureId": UNKNOWN_ORDER }),
        )
        .await;
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(text.contains("get_order"), "{text}");
}

#[tokio::test]
async fn order_lines_that_do_not_add_up_are_refused_before_sending() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let text = h
        .err(
            "capture_order",
            order_args(&id, json!({ "amount": 1000, "orderLines": [{ "name": "A", "quantity": 2, "unitPrice": 600, "totalAmount": 1000 }] })),
        )
        .await;
    assert!(text.contains("orderLines[0].totalAmount"), "{text}");
    assert_eq!(h.sim.request_count(), 0);
}

#[tokio::test]
async fn order_lines_must_add_up_to_the_amount_and_need_an_amount() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let line = json!({ "name": "A", "quantity": 2, "unitPrice": 500, "totalAmount": 1000 });
    let text = h
        .err(
            "capture_order",
            order_args(&id, json!({ "amount": 1500, "orderLines": [line.clone()] })),
        )
        .await;
    assert!(
        text.contains("`orderLines`") && text.contains("add up to 1000"),
        "{text}"
    );
    let text = h
        .err(
            "capture_order",
            order_args(&id, json!({ "orderLines": [line.clone()] })),
        )
        .await;
    assert!(
        text.contains("`amount`") && text.contains("pass amount 1000"),
        "{text}"
    );
    let text = h
        .err(
            "refund_order",
            order_args(&id, json!({ "amount": 999, "orderLines": [line] })),
        )
        .await;
    assert!(text.contains("`orderLines`"), "{text}");
    assert_eq!(h.sim.request_count(), 0);
}

/// A write refused before anything was sent shows the caller's own key and says it was not
/// sent; a key the server made for it is not shown at all (it went nowhere, so it is no key to
/// repeat anything with).
#[tokio::test]
async fn write_refusals_before_sending_show_only_the_callers_key_as_unsent() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(5000, "EUR").captured(5000));
    let text = h
        .err(
            "capture_order",
            json!({ "orderId": id, "idempotencyKey": "k-123" }),
        )
        .await;
    assert!(
        text.contains("nothing remains")
            && text.contains("Your idempotencyKey \"k-123\" was not sent to Klarna"),
        "{text}"
    );
    let text = h.err("capture_order", json!({ "orderId": id })).await;
    assert!(!text.contains("dempotency key:"), "{text}");
    assert!(h.nothing_written());
    let text = h
        .err(
            "refund_order",
            order_args(
                crate::common::UNKNOWN_ORDER,
                json!({ "amount": 5, "idempotencyKey": "k-456" }),
            ),
        )
        .await;
    assert!(
        text.contains("NO_SUCH_ORDER") && text.contains("\"k-456\" was not sent"),
        "{text}"
    );
}
