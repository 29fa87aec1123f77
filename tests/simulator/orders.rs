//! GET order, id validation, unknown orders, seeding and expiry.

use std::time::Duration;

use klarna_mcp::simulator::SeedOrder;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::common::{Api, assert_refused, klarna_error};

fn ts(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

#[tokio::test]
async fn get_order_has_klarna_shape() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .merchant_reference("SHOP-1")
            .customer("Testa", "Person", "testa@example.com"),
    );
    let resp = api.get(&id, "").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("klarna-correlation-id"));
    let o: Value = resp.json().await.unwrap();
    assert_eq!(o["order_id"], id.as_str());
    assert_eq!(o["status"], "AUTHORIZED");
    assert_eq!(o["fraud_status"], "ACCEPTED");
    for (field, value) in [
        ("order_amount", 10_000),
        ("original_order_amount", 10_000),
        ("captured_amount", 0),
        ("refunded_amount", 0),
        ("remaining_authorized_amount", 10_000),
    ] {
        assert_eq!(o[field], value, "{field}");
    }
    assert_eq!(o["purchase_country"], "DE");
    assert_eq!(o["purchase_currency"], "EUR");
    assert_eq!(o["locale"], "de-DE");
    assert_eq!(o["merchant_reference1"], "SHOP-1");
    assert!(o.get("merchant_reference2").is_none());
    let lines = o["order_lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["total_amount"], 10_000);
    let kref = o["klarna_reference"].as_str().unwrap();
    assert_eq!(kref.len(), 8);
    assert!(
        kref.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );
    for addr in ["billing_address", "shipping_address"] {
        assert_eq!(o[addr]["given_name"], "Testa");
        assert_eq!(o[addr]["family_name"], "Person");
        assert_eq!(o[addr]["email"], "testa@example.com");
        assert!(o[addr]["phone"].is_string());
        assert!(o[addr]["street_address"].is_string());
        assert_eq!(o[addr]["country"], "DE");
    }
    assert!(o["customer"]["date_of_birth"].is_string());
    // Like Klarna's samples: three fraction digits, UTC, and the authorization
    // ends at midnight UTC 28 days after the purchase date.
    let created = o["created_at"].as_str().unwrap();
    let expires = o["expires_at"].as_str().unwrap();
    assert_eq!(
        (created.len(), &created[19..20], &created[23..]),
        (24, ".", "Z")
    );
    assert!(expires.ends_with("T00:00:00.000Z"), "{expires}");
    assert_eq!(
        ts(&o["expires_at"]).date(),
        ts(&o["created_at"]).date() + time::Duration::days(28)
    );
    assert_eq!(o["captures"], serde_json::json!([]));
    assert_eq!(o["refunds"], serde_json::json!([]));
    assert_eq!(o["initial_payment_method"]["type"], "INVOICE");
    assert_eq!(api.sim.order_json(&id).unwrap(), o);
}

#[tokio::test]
async fn currency_determines_country() {
    let api = Api::new().await;
    for (cur, country) in [
        ("EUR", "DE"),
        ("SEK", "SE"),
        ("USD", "US"),
        ("GBP", "GB"),
        ("AUD", "AU"),
        ("NOK", "DE"),
    ] {
        let id = api.sim.seed(SeedOrder::new(100, cur));
        let o = api.sim.order_json(&id).unwrap();
        assert_eq!(o["purchase_country"], country);
        assert_eq!(o["purchase_currency"], cur);
    }
    // The purchase country can be set apart from the currency and the host.
    let id = api.sim.seed(
        SeedOrder::new(100, "EUR")
            .on_host("API-NA.klarna.com")
            .purchase_country("de")
            .customer("Ada", "Example", "ada@example.com"),
    );
    let o = api.sim.order_json(&id).unwrap();
    assert_eq!(o["purchase_country"], "DE");
    assert_eq!(o["billing_address"]["country"], "DE");
    assert_eq!(api.sim.snapshot(&id).unwrap().host, "api-na.klarna.com");
}

#[tokio::test]
async fn seed_builder_history() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .id("AAAAAAAA-0000-4000-8000-000000000001")
            .line("A", "REF-A", 2, 3_000)
            .line("B", "REF-B", 1, 4_000)
            .captured(6_000)
            .refunded(1_000)
            .released(),
    );
    assert_eq!(id, "aaaaaaaa-0000-4000-8000-000000000001");
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(s.status, "CAPTURED");
    assert_eq!(
        (
            s.captured_amount,
            s.refunded_amount,
            s.remaining_authorized_amount
        ),
        (6_000, 1_000, 0)
    );
    assert_eq!(s.captures.len(), 1);
    assert_eq!(s.captures[0].refunded_amount, 1_000);
    assert_eq!(s.refunds.len(), 1);
    let o = api
        .get_json("AAAAAAAA-0000-4000-8000-000000000001", "")
        .await;
    assert_eq!(o["order_lines"].as_array().unwrap().len(), 2);
    // The capture of exactly the first line carries that line.
    assert_eq!(o["captures"][0]["order_lines"][0]["reference"], "REF-A");
    let closed = api.sim.seed(SeedOrder::new(500, "EUR").closed());
    assert_eq!(api.sim.snapshot(&closed).unwrap().status, "CLOSED");
    // An impossible step is skipped, not applied.
    let odd = api.sim.seed(SeedOrder::new(500, "EUR").refunded(100));
    assert_eq!(api.sim.snapshot(&odd).unwrap().refunded_amount, 0);
}

#[tokio::test]
async fn malformed_order_ids_are_400() {
    let api = Api::new().await;
    for bad in ["not-a-uuid", "0d3f1a2e000040008000000000000001", "12345"] {
        for (method, suffix) in [
            ("GET", ""),
            ("GET", "/captures"),
            ("POST", "/cancel"),
            ("POST", "/captures"),
        ] {
            let resp = if method == "GET" {
                api.get(bad, suffix).await
            } else {
                api.post(
                    bad,
                    suffix,
                    Some(serde_json::json!({"captured_amount": 1})),
                    None,
                )
                .await
            };
            let (status, code, msgs) = klarna_error(resp).await;
            assert_eq!(
                (status, code.as_str()),
                (400, "INVALID_ORDER_ID"),
                "{method} {bad}{suffix}"
            );
            assert_eq!(msgs, vec!["Order ID must be a valid UUID."]);
        }
    }
}

#[tokio::test]
async fn unknown_orders_are_404_on_every_route() {
    let api = Api::new().await;
    let id = uuid::Uuid::new_v4().to_string();
    let cid = uuid::Uuid::new_v4().to_string();
    let body = Some(serde_json::json!({"captured_amount": 1, "refunded_amount": 1}));
    let responses = vec![
        api.get(&id, "").await,
        api.get(&id, "/captures").await,
        api.get(&id, &format!("/captures/{cid}")).await,
        api.get(&id, &format!("/refunds/{cid}")).await,
        api.post(&id, "/captures", body.clone(), None).await,
        api.post(&id, "/refunds", body, None).await,
        api.post(&id, "/cancel", None, None).await,
        api.post(&id, "/release-remaining-authorization", None, None)
            .await,
    ];
    for resp in responses {
        let (status, code, msgs) = klarna_error(resp).await;
        assert_eq!((status, code.as_str()), (404, "NO_SUCH_ORDER"));
        assert_eq!(msgs, vec![format!("Order {id} cannot be found")]);
    }
    assert!(api.sim.order_json(&id).is_none());
    assert!(api.sim.snapshot(&id).is_none());
}

/// The authorization lasts more than 27 and at most 28 days (it ends at midnight
/// UTC), so it holds after 26 simulated days and has lapsed after 28.
#[tokio::test]
async fn authorization_expires_within_28_simulated_days() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(5_000, "EUR"));
    let part = api.sim.seed(SeedOrder::new(5_000, "EUR").captured(1_000));
    api.sim.advance_clock(Duration::from_secs(26 * 24 * 3600));
    assert_eq!(api.get_json(&id, "").await["status"], "AUTHORIZED");
    api.sim.advance_clock(Duration::from_secs(2 * 24 * 3600));
    let o = api.get_json(&id, "").await;
    assert_eq!(o["status"], "EXPIRED");
    assert_eq!(o["remaining_authorized_amount"], 0);
    assert_eq!(api.sim.snapshot(&part).unwrap().status, "EXPIRED");
    let msg = "Order has expired. Capture not possible.";
    assert_refused(api.capture(&id, 100).await, "CAPTURE_NOT_ALLOWED", msg).await;
    assert_refused(api.capture(&part, 100).await, "CAPTURE_NOT_ALLOWED", msg).await;
    // Refunds of what was captured stay possible after expiry.
    assert_eq!(api.refund(&part, 1_000).await.status(), 201);
    let seeded = api.sim.seed(SeedOrder::new(5_000, "EUR").expired());
    assert_eq!(api.sim.snapshot(&seeded).unwrap().status, "EXPIRED");
}

/// The later routes check the order id first (400), then find the order (404).
#[tokio::test]
async fn the_later_routes_check_ids_and_find_orders_like_the_others() {
    let api = Api::new().await;
    let cid = uuid::Uuid::new_v4().to_string();
    let unknown = uuid::Uuid::new_v4().to_string();
    let tracking = serde_json::json!({"shipping_info": [{"tracking_number": "1"}]});
    let routes: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (
            reqwest::Method::POST,
            "/extend-authorization-time".into(),
            None,
        ),
        (
            reqwest::Method::PATCH,
            "/authorization".into(),
            Some(serde_json::json!({"order_amount": 1})),
        ),
        (
            reqwest::Method::PATCH,
            "/customer-details".into(),
            Some(serde_json::json!({})),
        ),
        (
            reqwest::Method::POST,
            "/shipping-info".into(),
            Some(tracking.clone()),
        ),
        (
            reqwest::Method::POST,
            format!("/captures/{cid}/shipping-info"),
            Some(tracking),
        ),
        (
            reqwest::Method::POST,
            format!("/captures/{cid}/trigger-send-out"),
            None,
        ),
        (
            reqwest::Method::GET,
            format!("/captures/{cid}/extend-due-date-options"),
            None,
        ),
        (
            reqwest::Method::PATCH,
            format!("/captures/{cid}/extend-due-date"),
            Some(serde_json::json!({"number_of_days": 7})),
        ),
    ];
    for (method, suffix, body) in &routes {
        for (id, status, code) in [
            ("not-a-uuid", 400, "INVALID_ORDER_ID"),
            (unknown.as_str(), 404, "NO_SUCH_ORDER"),
        ] {
            let mut req = api
                .client
                .request(method.clone(), api.order_url(id, suffix))
                .basic_auth(crate::common::USER, Some(crate::common::PASS));
            if let Some(body) = body {
                req = req.json(body);
            }
            let (s, c, msgs) = klarna_error(req.send().await.unwrap()).await;
            assert_eq!((s, c.as_str()), (status, code), "{method} {id}{suffix}");
            if status == 404 {
                assert_eq!(msgs, vec![format!("Order {id} cannot be found")]);
            }
        }
    }
    // A wrong method on a known path is 405; an unknown path 404.
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let resp = api.post(&id, "/authorization", None, None).await;
    let (s, c, _) = klarna_error(resp).await;
    assert_eq!((s, c.as_str()), (405, "METHOD_NOT_ALLOWED"));
    let resp = api.get(&id, "/extend-due-date-options").await;
    let (s, c, _) = klarna_error(resp).await;
    assert_eq!((s, c.as_str()), (404, "RESOURCE_NOT_FOUND"));
}
