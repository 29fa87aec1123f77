//! `get_order`, `cancel_order` and `release_remaining_authorization` against the simulator.

use crate::common::{UNKNOWN_ORDER, order_args, start, start_with};
use klarna_mcp::simulator::SeedOrder;
use serde_json::json;

#[tokio::test]
async fn get_order_returns_status_totals_lines_captures_and_refunds() {
    // given a captured order with a partial refund
    let h = start().await;
    let id = h.seed(
        SeedOrder::new(10500, "EUR")
            .captured(10500)
            .refunded(2500)
            .merchant_reference("SO-1001"),
    );

    // when
    let result = h.call("get_order", json!({ "orderId": id })).await;

    // then
    assert_eq!(result.is_error, Some(false));
    let order = result.structured_content.clone().unwrap();
    assert_eq!(order["orderId"], id.as_str());
    assert_eq!(order["apiHost"], "api.klarna.com");
    assert_eq!(order["status"], "CAPTURED");
    assert_eq!(order["fraudStatus"], "ACCEPTED");
    assert_eq!(order["currency"], "EUR");
    assert_eq!(order["orderAmount"], 10500);
    assert_eq!(order["capturedAmount"], 10500);
    assert_eq!(order["refundedAmount"], 2500);
    assert_eq!(order["refundableAmount"], 8000);
    assert_eq!(order["remainingAuthorizedAmount"], 0);
    assert_eq!(order["merchantReference1"], "SO-1001");
    assert_eq!(order["captures"].as_array().unwrap().len(), 1);
    assert_eq!(order["captures"][0]["refundedAmount"], 2500);
    assert_eq!(order["refunds"][0]["refundedAmount"], 2500);
    assert!(!order["orderLines"].as_array().unwrap().is_empty());
    let text = crate::common::text(&result);
    assert!(text.contains("105.00 EUR (10500)"), "{text}");
    assert!(text.contains("refunded 25.00 EUR (2500)"), "{text}");
}

#[tokio::test]
async fn get_order_accepts_an_explicit_host_case_insensitively() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(5000, "USD"));
    let order = h
        .ok(
            "get_order",
            order_args(&id, json!({ "apiHost": "API-NA.klarna.com" })),
        )
        .await;
    assert_eq!(order["apiHost"], "api-na.klarna.com");
    assert_eq!(order["currency"], "USD");
}

#[tokio::test]
async fn get_order_of_an_unknown_order_says_check_the_id_and_region() {
    let h = start().await;
    let text = h
        .err("get_order", json!({ "orderId": UNKNOWN_ORDER }))
        .await;
    assert!(text.contains("HTTP 404 NO_SUCH_ORDER"), "{text}");
    assert!(text.contains("correlation id"), "{text}");
    assert!(text.contains("region"), "{text}");
    assert!(text.contains("api.klarna.com"), "{text}");
}

#[tokio::test]
async fn wrong_credentials_get_a_401_explained_by_environment_and_region() {
    let h = start_with(|c| {
        c.client.credentials = klarna_mcp::klarna::HostCredentials::same_for_all(Ok(
            klarna_mcp::klarna::Credentials {
                username: Some(klarna_mcp::simulator::DEMO_USERNAME.into()),
                secret: secrecy::SecretString::from("wrong-password".to_string()),
                source: "KLARNA_API_USERNAME/KLARNA_API_PASSWORD".into(),
            },
        ));
    })
    .await;
    let id = h.seed(SeedOrder::new(1000, "EUR"));
    let text = h.err("get_order", json!({ "orderId": id })).await;
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("playground"), "{text}");
    assert!(text.contains("region"), "{text}");
    assert!(
        text.contains("from KLARNA_API_USERNAME/KLARNA_API_PASSWORD"),
        "{text}"
    );
    assert!(text.contains("two months"), "{text}");
    assert!(!text.contains("wrong-password"), "{text}");
}

#[tokio::test]
async fn personal_data_is_left_out_unless_configured() {
    let h = start().await;
    let id =
        h.seed(SeedOrder::new(1000, "EUR").customer("Testina", "Testsson", "testina@example.com"));
    let result = h.call("get_order", json!({ "orderId": id })).await;
    let everything = format!("{:?}", result);
    assert!(
        !everything.contains("Testina") && !everything.contains("testina@example.com"),
        "{everything}"
    );
    assert!(
        result
            .structured_content
            .unwrap()
            .get("personalData")
            .is_none()
    );

    let h = start_with(|c| c.include_personal_data = true).await;
    let id =
        h.seed(SeedOrder::new(1000, "EUR").customer("Testina", "Testsson", "testina@example.com"));
    let order = h.ok("get_order", json!({ "orderId": id })).await;
    assert!(
        order["personalData"]
            .to_string()
            .contains("testina@example.com"),
        "{order}"
    );
}

#[tokio::test]
async fn cancel_order_cancels_an_uncaptured_order_and_reports_the_state_after() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(7000, "SEK"));
    let receipt = h.ok("cancel_order", json!({ "orderId": id })).await;
    assert_eq!(receipt["releasedAmount"], 7000);
    assert_eq!(receipt["orderAfter"]["status"], "CANCELLED");
    assert_eq!(receipt["orderAfter"]["remainingAuthorizedAmount"], 0);
    assert_eq!(receipt["idempotencyKey"].as_str().unwrap().len(), 36);
    assert_eq!(h.sim.snapshot(&id).unwrap().status, "CANCELLED");
    let cancels: Vec<_> = h
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/cancel"))
        .collect();
    assert_eq!(cancels.len(), 1);
    assert_eq!(cancels[0].method, "POST");
    assert_eq!(
        cancels[0].idempotency_key.as_deref(),
        receipt["idempotencyKey"].as_str()
    );
}

#[tokio::test]
async fn cancel_after_a_capture_is_refused_with_refund_and_release_as_next_steps() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(4000));
    let text = h.err("cancel_order", json!({ "orderId": id })).await;
    assert!(
        text.starts_with(&format!(
            "Refused (order {id} at api.klarna.com): the order has captures"
        )),
        "{text}"
    );
    assert!(
        text.contains("refund_order") && text.contains("release_remaining_authorization"),
        "{text}"
    );
    assert!(!text.contains("Idempotency key"), "{text}");
    assert!(h.nothing_written());
    assert_eq!(h.sim.snapshot(&id).unwrap().status, "PART_CAPTURED");
}

/// Klarna's CANCEL_NOT_ALLOWED for an order that was captured after the server read it.
#[tokio::test]
async fn klarna_refusing_a_cancel_is_a_verdict_naming_refund_and_release() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(4000));
    h.serve_stale(&id, |o| {
        o["captured_amount"] = json!(0);
        o["remaining_authorized_amount"] = json!(10000);
        o["status"] = json!("AUTHORIZED");
        o["captures"] = json!([]);
    });
    let text = h.err("cancel_order", json!({ "orderId": id })).await;
    assert!(
        text.starts_with(&format!("Cancel order {id} at api.klarna.com failed: ")),
        "{text}"
    );
    assert!(text.contains("HTTP 403 CANCEL_NOT_ALLOWED"), "{text}");
    assert!(
        text.contains("refund_order") && text.contains("release_remaining_authorization"),
        "{text}"
    );
    assert!(text.contains("Idempotency key"), "{text}");
    assert_eq!(h.sim.snapshot(&id).unwrap().status, "PART_CAPTURED");
}

#[tokio::test]
async fn cancel_on_a_cancelled_or_expired_order_is_refused() {
    let h = start().await;
    for (seed, why) in [
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
        let text = h.err("cancel_order", json!({ "orderId": id })).await;
        assert!(
            text.contains(why) && text.contains("nothing to cancel"),
            "{text}"
        );
    }
    assert!(h.nothing_written());
}

#[tokio::test]
async fn release_frees_the_rest_of_a_partly_captured_order() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(6000));
    let receipt = h
        .ok("release_remaining_authorization", json!({ "orderId": id }))
        .await;
    assert_eq!(receipt["releasedAmount"], 4000);
    assert_eq!(receipt["orderAfter"]["remainingAuthorizedAmount"], 0);
    assert_eq!(receipt["orderAfter"]["capturedAmount"], 6000);
    assert_eq!(h.sim.snapshot(&id).unwrap().remaining_authorized_amount, 0);
}

#[tokio::test]
async fn release_without_captures_points_to_cancel() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let text = h
        .err("release_remaining_authorization", json!({ "orderId": id }))
        .await;
    assert!(text.contains("nothing has been captured"), "{text}");
    assert!(text.contains("cancel_order"), "{text}");
    assert!(h.nothing_written());
}

#[tokio::test]
async fn release_on_a_fully_captured_order_says_nothing_remains() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(10000));
    let text = h
        .err("release_remaining_authorization", json!({ "orderId": id }))
        .await;
    assert!(text.contains("nothing remains authorized"), "{text}");
    assert!(h.nothing_written());
}

#[tokio::test]
async fn release_on_a_cancelled_order_is_refused() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").cancelled());
    let text = h
        .err("release_remaining_authorization", json!({ "orderId": id }))
        .await;
    assert!(
        text.contains("the order is cancelled: nothing to release"),
        "{text}"
    );
    assert!(h.nothing_written());
}

/// Klarna's NOT_ALLOWED for a release the stale view allowed (the order was fully captured
/// meanwhile): a verdict, with advice from the order as it is now.
#[tokio::test]
async fn klarna_refusing_a_release_is_a_verdict_saying_what_it_found() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(10000));
    h.serve_stale(&id, |o| {
        o["captured_amount"] = json!(6000);
        o["remaining_authorized_amount"] = json!(4000);
        o["status"] = json!("PART_CAPTURED");
    });
    let text = h
        .err("release_remaining_authorization", json!({ "orderId": id }))
        .await;
    assert!(text.contains("HTTP 403 NOT_ALLOWED"), "{text}");
    assert!(text.contains("fully captured"), "{text}");
    assert!(text.contains("Klarna did not apply it"), "{text}");
}
