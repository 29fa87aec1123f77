//! `refund_order` against the simulator.

use crate::common::{order_args, start, start_with};
use klarna_mcp::simulator::SeedOrder;
use serde_json::json;

#[tokio::test]
async fn partial_refund_reports_the_new_refunded_total() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10500, "EUR").captured(10500));
    let result = h
        .call(
            "refund_order",
            order_args(
                &id,
                json!({ "amount": 2500, "description": "Damaged item", "reference": "RMA-7" }),
            ),
        )
        .await;
    assert_eq!(
        result.is_error,
        Some(false),
        "{}",
        crate::common::text(&result)
    );
    let receipt = result.structured_content.clone().unwrap();
    assert_eq!(receipt["refundedAmount"], 2500);
    assert_eq!(receipt["orderAfter"]["refundedAmount"], 2500);
    assert_eq!(receipt["orderAfter"]["refundableAmount"], 8000);
    assert_eq!(receipt["currency"], "EUR");
    assert!(receipt["refundId"].as_str().unwrap().len() == 36);
    let text = crate::common::text(&result);
    assert!(text.contains("Refunded 25.00 EUR (2500)"), "{text}");
    assert!(text.contains("refunded 25.00 EUR (2500)"), "{text}");
    let body = h
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap()
        .body
        .unwrap();
    assert_eq!(
        body,
        json!({ "refunded_amount": 2500, "description": "Damaged item", "reference": "RMA-7" })
    );
    let snap = h.sim.snapshot(&id).unwrap();
    assert_eq!(snap.refunded_amount, 2500);
    assert_eq!(snap.captures[0].refunded_amount, 2500);
}

#[tokio::test]
async fn refund_before_any_capture_says_capture_what_was_kept_then_release() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let text = h
        .err("refund_order", order_args(&id, json!({ "amount": 100 })))
        .await;
    assert!(text.contains("nothing has been captured"), "{text}");
    assert!(
        text.contains("capture_order for what they kept, then release_remaining_authorization"),
        "{text}"
    );
    assert!(text.contains("cancel_order"), "{text}");
    assert!(h.nothing_written());
    assert_eq!(h.sim.snapshot(&id).unwrap().refunded_amount, 0);
}

/// A refund over the refundable amount never reaches the confirmation, nor Klarna.
#[tokio::test]
async fn over_refund_is_refused_before_confirmation_and_names_what_can_still_be_refunded() {
    let h = start_with(|c| c.confirm_writes = klarna_mcp::config::ConfirmWrites::Always).await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(10000).refunded(7000));
    let text = h
        .err("refund_order", order_args(&id, json!({ "amount": 3001 })))
        .await;
    assert!(text.contains("at most 30.00 EUR (3000)"), "{text}");
    assert!(!text.contains("confirm"), "no question was asked: {text}");
    assert!(h.nothing_written());
    assert_eq!(h.sim.snapshot(&id).unwrap().refunded_amount, 7000);
}

/// Klarna's REFUND_NOT_ALLOWED when someone refunded in between: a verdict, with what can
/// still be refunded now.
#[tokio::test]
async fn klarna_refusing_a_refund_names_what_can_still_be_refunded_now() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(10000).refunded(7000));
    h.serve_stale(&id, |o| {
        o["refunded_amount"] = json!(0);
        o["refunds"] = json!([]);
    });
    let text = h
        .err("refund_order", order_args(&id, json!({ "amount": 5000 })))
        .await;
    assert!(text.contains("REFUND_NOT_ALLOWED"), "{text}");
    assert!(text.contains("At most 30.00 EUR (3000)"), "{text}");
    assert_eq!(h.sim.snapshot(&id).unwrap().refunded_amount, 7000);
}

#[tokio::test]
async fn refunding_the_rest_exactly_is_allowed() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "SEK").captured(10000).refunded(7000));
    let receipt = h
        .ok("refund_order", order_args(&id, json!({ "amount": 3000 })))
        .await;
    assert_eq!(receipt["orderAfter"]["refundedAmount"], 10000);
    assert_eq!(receipt["orderAfter"]["refundableAmount"], 0);
}

#[tokio::test]
async fn refund_lines_are_sent_in_klarna_wire_format() {
    let h = start().await;
    let id = h.seed(
        SeedOrder::new(8000, "EUR")
            .line("Mug", "MUG-1", 4, 2000)
            .captured(8000),
    );
    h.ok(
        "refund_order",
        order_args(&id, json!({ "amount": 2000, "orderLines": [{ "name": "Mug", "reference": "MUG-1", "quantity": 1, "unitPrice": 2000, "totalAmount": 2000, "taxRate": 2500, "totalTaxAmount": 400 }] })),
    )
    .await;
    let body = h
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap()
        .body
        .unwrap();
    assert_eq!(body["order_lines"][0]["tax_rate"], 2500);
    assert_eq!(body["order_lines"][0]["total_tax_amount"], 400);
    assert_eq!(body["order_lines"][0]["reference"], "MUG-1");
}
