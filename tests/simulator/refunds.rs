//! POST/GET refunds: success, allocation, refusals and validation.

use klarna_mcp::simulator::SeedOrder;
use serde_json::json;

use crate::common::{Api, assert_refused, header, klarna_error};

#[tokio::test]
async fn refund_then_read_it_back() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(10_000));
    let body =
        json!({"refunded_amount": 2_500, "description": "Returned one item", "reference": "RET-1"});
    let resp = api.post(&id, "/refunds", Some(body), None).await;
    assert_eq!(resp.status(), 201);
    let rid = header(&resp, "refund-id").unwrap();
    uuid::Uuid::parse_str(&rid).unwrap();
    assert_eq!(
        header(&resp, "location").unwrap(),
        format!(
            "http://{}/ordermanagement/v1/orders/{id}/refunds/{rid}",
            api.sim.addr()
        )
    );
    let r = api.get_json(&id, &format!("/refunds/{rid}")).await;
    assert_eq!(r["refund_id"], rid.as_str());
    assert_eq!(r["refunded_amount"], 2_500);
    assert_eq!(r["description"], "Returned one item");
    assert_eq!(r["reference"], "RET-1");
    assert!(r["refunded_at"].is_string());
    assert_eq!(r["order_lines"], json!([]));
    let o = api.get_json(&id, "").await;
    assert_eq!(o["refunded_amount"], 2_500);
    assert_eq!(o["status"], "CAPTURED");
    assert_eq!(o["refunds"][0], r);
    assert_eq!(o["captures"][0]["refunded_amount"], 2_500);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(s.refunds[0].refund_id, rid);
    // Refund the rest, then nothing is left.
    assert_eq!(api.refund(&id, 7_500).await.status(), 201);
    let over = "Over refund is not allowed. Refund not possible.";
    assert_refused(api.refund(&id, 1).await, "REFUND_NOT_ALLOWED", over).await;
    assert_eq!(api.sim.snapshot(&id).unwrap().status, "CAPTURED");
}

#[tokio::test]
async fn refund_refusals() {
    let api = Api::new().await;
    let none = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let no_captures = "Order has no captures. Refund not possible.";
    assert_refused(
        api.refund(&none, 100).await,
        "REFUND_NOT_ALLOWED",
        no_captures,
    )
    .await;
    let cancelled = api.sim.seed(SeedOrder::new(10_000, "EUR").cancelled());
    assert_refused(
        api.refund(&cancelled, 100).await,
        "REFUND_NOT_ALLOWED",
        no_captures,
    )
    .await;
    let part = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .captured(3_000)
            .refunded(1_000),
    );
    let over = "Over refund is not allowed. Refund not possible.";
    assert_refused(api.refund(&part, 2_001).await, "REFUND_NOT_ALLOWED", over).await;
    let zero = "Refunded amount must be greater than zero. Refund not possible.";
    assert_refused(api.refund(&part, 0).await, "REFUND_NOT_ALLOWED", zero).await;
    assert_eq!(api.refund(&part, 2_000).await.status(), 201);
    assert_eq!(api.sim.snapshot(&part).unwrap().refunded_amount, 3_000);
}

#[tokio::test]
async fn refund_body_validation() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(10_000));
    let cases = vec![
        (json!({}), "'refunded_amount' may not be null"),
        (
            json!({"refunded_amount": -5}),
            "'refunded_amount' must be between 0 and 200000000",
        ),
        (
            json!({"refunded_amount": 1, "description": "d".repeat(256)}),
            "The size of the description value must be between 0 and 255",
        ),
        (
            json!({"refunded_amount": 1, "order_lines": [{"name": "n"}]}),
            "'order_lines[0].quantity' may not be null",
        ),
    ];
    for (body, message) in cases {
        let resp = api.post(&id, "/refunds", Some(body.clone()), None).await;
        let (status, code, msgs) = klarna_error(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "UNPROCESSABLE_ENTITY"),
            "{body}"
        );
        assert_eq!(msgs[0], message, "{body}");
    }
    let (status, code, _) =
        klarna_error(api.post(&id, "/refunds", Some(json!([1])), None).await).await;
    assert_eq!((status, code.as_str()), (400, "BAD_REQUEST"));
    assert!(api.sim.snapshot(&id).unwrap().refunds.is_empty());
}

#[tokio::test]
async fn refunds_allocate_by_line_reference_then_fifo() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .line("A", "REF-A", 1, 6_000)
            .line("B", "REF-B", 1, 4_000),
    );
    let line = |r: &str, amount: i64| json!({"name": r, "reference": r, "quantity": 1, "unit_price": amount, "total_amount": amount});
    for (r, amount) in [("REF-A", 6_000), ("REF-B", 4_000)] {
        let body = json!({"captured_amount": amount, "order_lines": [line(r, amount)]});
        assert_eq!(
            api.post(&id, "/captures", Some(body), None).await.status(),
            201
        );
    }
    // Matches the second capture by reference.
    let body = json!({"refunded_amount": 4_000, "order_lines": [line("REF-B", 4_000)]});
    assert_eq!(
        api.post(&id, "/refunds", Some(body), None).await.status(),
        201
    );
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (s.captures[0].refunded_amount, s.captures[1].refunded_amount),
        (0, 4_000)
    );
    // No lines: FIFO.
    assert_eq!(api.refund(&id, 2_000).await.status(), 201);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (s.captures[0].refunded_amount, s.captures[1].refunded_amount),
        (2_000, 4_000)
    );
    let o = api.get_json(&id, "").await;
    assert_eq!(o["captures"][1]["refunded_amount"], 4_000);
    assert_eq!(o["refunds"][0]["order_lines"][0]["reference"], "REF-B");
}

#[tokio::test]
async fn fifo_allocation_spills_over() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .captured(3_000)
            .captured(3_000),
    );
    assert_eq!(api.refund(&id, 4_000).await.status(), 201);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (s.captures[0].refunded_amount, s.captures[1].refunded_amount),
        (3_000, 1_000)
    );
}

#[tokio::test]
async fn unknown_and_malformed_refund_ids() {
    let api = Api::new().await;
    let id = api
        .sim
        .seed(SeedOrder::new(1_000, "EUR").captured(1_000).refunded(100));
    let rid = uuid::Uuid::new_v4().to_string();
    let (status, code, msgs) = klarna_error(api.get(&id, &format!("/refunds/{rid}")).await).await;
    assert_eq!((status, code.as_str()), (404, "NOT_FOUND"));
    assert_eq!(
        msgs,
        vec![format!("Refund {rid} cannot be found for order {id}")]
    );
    let (status, code, msgs) = klarna_error(api.get(&id, "/refunds/xyz").await).await;
    assert_eq!((status, code.as_str()), (400, "INVALID_REFUND_ID"));
    assert_eq!(msgs, vec!["Refund ID must be a valid UUID."]);
    let seeded = api.sim.snapshot(&id).unwrap().refunds[0].refund_id.clone();
    assert_eq!(
        api.get_json(&id, &format!("/refunds/{seeded}")).await["refunded_amount"],
        100
    );
}
