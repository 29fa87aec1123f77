//! Changes to an order after the purchase: extend-authorization-time, a new
//! order amount and lines (updateAuthorization), merchant references, the
//! customer's shipping address, and acknowledging a Klarna Checkout order.

use std::time::Duration;

use klarna_mcp::simulator::SeedOrder;
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::common::{Api, assert_error, assert_no_content, assert_refused};

const EXTEND: &str = "/extend-authorization-time";
const AUTHORIZATION: &str = "/authorization";
const REFERENCES: &str = "/merchant-references";
const CUSTOMER: &str = "/customer-details";
const ACKNOWLEDGE: &str = "/acknowledge";
const DAY: Duration = Duration::from_secs(24 * 3600);

fn ts(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

/// Midnight UTC starting the day `days` after `t`'s date.
fn midnight_after(t: OffsetDateTime, days: i64) -> OffsetDateTime {
    (t.date() + time::Duration::days(days))
        .midnight()
        .assume_utc()
}

#[tokio::test]
async fn extending_the_authorization_counts_28_days_from_today() {
    let api = Api::new().await;
    let id = api
        .sim
        .seed(SeedOrder::new(10_000, "EUR").placed_days_ago(20));
    let before = api.get_json(&id, "").await;
    assert_eq!(
        ts(&before["expires_at"]),
        midnight_after(ts(&before["created_at"]), 28)
    );
    // Any body and content type are ignored, as for cancel.
    let asked = OffsetDateTime::now_utc();
    let resp = api
        .raw(Method::POST, &id, EXTEND, "text/plain", "please")
        .await;
    assert_no_content(resp).await;
    let answered = OffsetDateTime::now_utc();
    // 28 days from the day of the request (either side of a midnight it may straddle).
    let from_today =
        |t: OffsetDateTime| t == midnight_after(asked, 28) || t == midnight_after(answered, 28);
    let after = api.get_json(&id, "").await;
    assert!(
        from_today(ts(&after["expires_at"])),
        "{}",
        after["expires_at"]
    );
    assert!(
        after["expires_at"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00.000Z")
    );
    assert_eq!(
        api.sim.snapshot(&id).unwrap().expires_at,
        ts(&after["expires_at"])
    );
    // The same day gives the same date (Klarna documents that).
    assert_no_content(api.post(&id, EXTEND, None, None).await).await;
    assert_eq!(
        api.get_json(&id, "").await["expires_at"],
        after["expires_at"]
    );
    // A partly captured order can be extended as well.
    let part = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .placed_days_ago(10)
            .captured(4_000),
    );
    assert_no_content(api.post(&part, EXTEND, None, None).await).await;
    let expires = api.sim.snapshot(&part).unwrap().expires_at;
    assert!(expires > midnight_after(asked, 27), "{expires}");
}

#[tokio::test]
async fn the_authorization_never_reaches_past_180_days_after_the_purchase() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let created = ts(&api.get_json(&id, "").await["created_at"]);
    let ceiling = midnight_after(created, 180);
    for _ in 0..8 {
        api.sim.advance_clock(DAY * 20);
        assert_no_content(api.post(&id, EXTEND, None, None).await).await;
        assert_eq!(api.get_json(&id, "").await["status"], "AUTHORIZED");
    }
    // Day 160: 28 more days would pass the ceiling, so the expiry stops there.
    assert_eq!(api.sim.snapshot(&id).unwrap().expires_at, ceiling);
    let msg = "Order authorization cannot be extended beyond 180 days after the purchase. Authorization time cannot be extended.";
    assert_refused(api.post(&id, EXTEND, None, None).await, "NOT_ALLOWED", msg).await;
    // It still lapses there.
    api.sim.advance_clock(DAY * 21);
    assert_eq!(api.get_json(&id, "").await["status"], "EXPIRED");
}

#[tokio::test]
async fn extension_refusals() {
    let api = Api::new().await;
    let what = "Authorization time cannot be extended.";
    for (seed, state) in [
        (SeedOrder::new(5_000, "EUR").expired(), "Order is expired."),
        (
            SeedOrder::new(5_000, "EUR").cancelled(),
            "Order is cancelled.",
        ),
        (SeedOrder::new(5_000, "EUR").closed(), "Order is closed."),
        (
            SeedOrder::new(5_000, "EUR").captured(5_000),
            "Order is fully captured.",
        ),
        (
            SeedOrder::new(5_000, "EUR").captured(1_000).released(),
            "Order is fully captured.",
        ),
    ] {
        let id = api.sim.seed(seed);
        let expires = api.sim.snapshot(&id).unwrap().expires_at;
        assert_refused(
            api.post(&id, EXTEND, None, None).await,
            "NOT_ALLOWED",
            &format!("{state} {what}"),
        )
        .await;
        assert_eq!(api.sim.snapshot(&id).unwrap().expires_at, expires);
    }
    // Slice it (Fixed-Sum Credit) cannot be extended in the US, elsewhere it can.
    let slice = |currency| {
        SeedOrder::new(5_000, currency)
            .placed_days_ago(5)
            .payment_method("FIXED_SUM_CREDIT", "Slice it")
    };
    let us = api.sim.seed(slice("USD"));
    assert_refused(
        api.post(&us, EXTEND, None, None).await,
        "NOT_ALLOWED",
        &format!("US orders paid with Slice it (Fixed-Sum Credit) cannot be extended. {what}"),
    )
    .await;
    let se = api.sim.seed(slice("SEK"));
    assert_no_content(api.post(&se, EXTEND, None, None).await).await;
}

#[tokio::test]
async fn a_new_order_amount_replaces_amount_and_lines() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .line("A", "REF-A", 1, 6_000)
            .line("B", "REF-B", 1, 4_000),
    );
    let line = json!({"type": "physical", "reference": "REF-A", "name": "A", "quantity": 1,
        "unit_price": 6_000, "total_amount": 6_000, "tax_rate": 1900, "total_tax_amount": 958, "extra": 1});
    let body = json!({"order_amount": 6_000, "description": "Removed B", "order_lines": [line]});
    assert_no_content(api.patch(&id, AUTHORIZATION, body, None).await).await;
    let o = api.get_json(&id, "").await;
    assert_eq!(o["order_amount"], 6_000);
    assert_eq!(o["original_order_amount"], 10_000);
    assert_eq!(o["remaining_authorized_amount"], 6_000);
    assert_eq!(o["status"], "AUTHORIZED");
    let lines = o["order_lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["reference"], "REF-A");
    assert!(lines[0].get("extra").is_none());
    // Without lines the old ones are deleted (Klarna documents that).
    let body = json!({"order_amount": 5_000});
    assert_no_content(api.patch(&id, AUTHORIZATION, body, None).await).await;
    let o = api.get_json(&id, "").await;
    assert_eq!(o["order_lines"], json!([]));
    // An increase within what the risk assessment grants works (INVOICE, DE).
    let body = json!({"order_amount": 20_000});
    assert_no_content(api.patch(&id, AUTHORIZATION, body, None).await).await;
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (s.order_amount, s.remaining_authorized_amount),
        (20_000, 20_000)
    );
    assert_eq!(api.capture(&id, 20_000).await.status(), 201);
}

#[tokio::test]
async fn a_new_amount_never_goes_below_what_was_captured() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(8_000));
    let msg = "Resulting authorization amount 7000 cannot be less than the captured amount 8000 for order. Order authorization cannot be updated";
    let body = json!({"order_amount": 7_000});
    assert_refused(
        api.patch(&id, AUTHORIZATION, body, None).await,
        "NOT_ALLOWED",
        msg,
    )
    .await;
    // Down to exactly the captured amount: fully captured.
    let body = json!({"order_amount": 8_000});
    assert_no_content(api.patch(&id, AUTHORIZATION, body, None).await).await;
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (
            s.status.as_str(),
            s.order_amount,
            s.remaining_authorized_amount
        ),
        ("CAPTURED", 8_000, 0)
    );
    let msg = "Order is fully captured. Order authorization cannot be updated.";
    let body = json!({"order_amount": 9_000});
    assert_refused(
        api.patch(&id, AUTHORIZATION, body, None).await,
        "NOT_ALLOWED",
        msg,
    )
    .await;
    // Nothing captured and nothing left: refused, cancel instead.
    let fresh = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let msg = "Order amount cannot be updated to 0; cancel the order instead. Order authorization cannot be updated.";
    let body = json!({"order_amount": 0});
    assert_refused(
        api.patch(&fresh, AUTHORIZATION, body, None).await,
        "NOT_ALLOWED",
        msg,
    )
    .await;
}

#[tokio::test]
async fn klarnas_risk_assessment_refuses_some_increases() {
    let api = Api::new().await;
    let risk = "The increase was declined by Klarna's risk assessment; the customer can place a new order for the added items. Order authorization cannot be updated.";
    let refusing = api
        .sim
        .seed(SeedOrder::new(10_000, "EUR").refuses_increase());
    let pending = api
        .sim
        .seed(SeedOrder::new(10_000, "EUR").fraud_status("PENDING"));
    let plain = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    for (id, amount) in [(&refusing, 10_001), (&pending, 12_000), (&plain, 20_001)] {
        let body = json!({"order_amount": amount});
        assert_refused(
            api.patch(id, AUTHORIZATION, body, None).await,
            "NOT_ALLOWED",
            risk,
        )
        .await;
        assert_eq!(api.sim.snapshot(id).unwrap().order_amount, 10_000);
    }
    // Decreases are not a risk decision.
    for id in [&refusing, &pending] {
        let body = json!({"order_amount": 9_000});
        assert_no_content(api.patch(id, AUTHORIZATION, body, None).await).await;
    }
    // Twice the original is still granted.
    let body = json!({"order_amount": 20_000});
    assert_no_content(api.patch(&plain, AUTHORIZATION, body, None).await).await;
}

#[tokio::test]
async fn only_some_payment_methods_and_markets_can_increase() {
    let api = Api::new().await;
    let cases = [
        ("EUR", "CARD", "DE", false),
        ("EUR", "DIRECT_DEBIT", "DE", true),
        ("SEK", "FIXED_AMOUNT", "SE", true),
        ("GBP", "FIXED_AMOUNT", "GB", false),
        ("USD", "DEFERRED_INTEREST", "US", true),
        ("EUR", "INVOICE", "CH", false),
    ];
    for (currency, method, country, allowed) in cases {
        let id = api.sim.seed(
            SeedOrder::new(10_000, currency)
                .purchase_country(country)
                .payment_method(method, "test"),
        );
        let resp = api
            .patch(&id, AUTHORIZATION, json!({"order_amount": 11_000}), None)
            .await;
        if allowed {
            assert_no_content(resp).await;
        } else {
            let msg = format!(
                "Increasing the order amount is not supported for payment method {method} in {country}. Order authorization cannot be updated."
            );
            assert_refused(resp, "NOT_ALLOWED", &msg).await;
        }
        // A decrease works whatever the method.
        let resp = api
            .patch(&id, AUTHORIZATION, json!({"order_amount": 9_000}), None)
            .await;
        assert_no_content(resp).await;
    }
}

#[tokio::test]
async fn a_new_amount_is_refused_for_final_orders() {
    let api = Api::new().await;
    for (seed, state) in [
        (
            SeedOrder::new(5_000, "EUR").cancelled(),
            "Order is cancelled.",
        ),
        (SeedOrder::new(5_000, "EUR").expired(), "Order is expired."),
        (SeedOrder::new(5_000, "EUR").closed(), "Order is closed."),
    ] {
        let id = api.sim.seed(seed);
        let body = json!({"order_amount": 4_000});
        assert_refused(
            api.patch(&id, AUTHORIZATION, body, None).await,
            "NOT_ALLOWED",
            &format!("{state} Order authorization cannot be updated."),
        )
        .await;
    }
}

#[tokio::test]
async fn authorization_bodies_are_validated() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let long = "x".repeat(256);
    for (body, message) in [
        (json!({}), "'order_amount' may not be null"),
        (
            json!({"order_amount": -1}),
            "'order_amount' must be between 0 and 200000000",
        ),
        (
            json!({"order_amount": 200_000_001}),
            "'order_amount' must be between 0 and 200000000",
        ),
        (
            json!({"order_amount": "100"}),
            "'order_amount' must be an integer (int64)",
        ),
        (
            json!({"order_amount": 1.5}),
            "'order_amount' must be an integer (int64)",
        ),
        (
            json!({"order_amount": 100, "description": long}),
            "The size of the description value must be between 0 and 255",
        ),
        (
            json!({"order_amount": 100, "order_lines": [{"quantity": 1, "unit_price": 100, "total_amount": 100}]}),
            "'order_lines[0].name' may not be null",
        ),
        (
            json!({"order_amount": 100, "order_lines": {}}),
            "'order_lines' must be an array",
        ),
    ] {
        let messages = assert_error(
            api.patch(&id, AUTHORIZATION, body.clone(), None).await,
            422,
            "UNPROCESSABLE_ENTITY",
        )
        .await;
        assert!(
            messages.contains(&message.to_owned()),
            "{body}: {messages:?}"
        );
    }
    for (content_type, body) in [
        ("application/json", "{"),
        ("application/json", "[1]"),
        ("text/plain", "{\"order_amount\": 1}"),
    ] {
        let resp = api
            .raw(Method::PATCH, &id, AUTHORIZATION, content_type, body)
            .await;
        assert_error(resp, 400, "BAD_REQUEST").await;
    }
    assert_eq!(api.sim.snapshot(&id).unwrap().order_amount, 10_000);
}

#[tokio::test]
async fn merchant_references_are_overwritten_cleared_or_kept() {
    let api = Api::new().await;
    let id = api
        .sim
        .seed(SeedOrder::new(1_000, "EUR").merchant_reference("OLD-1"));
    let body = json!({"merchant_reference1": "ERP-42", "merchant_reference2": "batch 7"});
    assert_no_content(api.patch(&id, REFERENCES, body, None).await).await;
    let o = api.get_json(&id, "").await;
    assert_eq!(
        (
            o["merchant_reference1"].as_str(),
            o["merchant_reference2"].as_str()
        ),
        (Some("ERP-42"), Some("batch 7"))
    );
    // "" clears; an absent field (or null) is kept.
    let body = json!({"merchant_reference1": "", "merchant_reference2": null});
    assert_no_content(api.patch(&id, REFERENCES, body, None).await).await;
    let o = api.get_json(&id, "").await;
    assert!(o.get("merchant_reference1").is_none());
    assert_eq!(o["merchant_reference2"], "batch 7");
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (s.merchant_reference1, s.merchant_reference2.as_deref()),
        (None, Some("batch 7"))
    );
    // An empty body changes nothing.
    assert_no_content(api.patch(&id, REFERENCES, json!({}), None).await).await;
    // Expired orders take new references; cancelled ones do not.
    let expired = api.sim.seed(SeedOrder::new(1_000, "EUR").expired());
    let body = json!({"merchant_reference1": "LATE"});
    assert_no_content(api.patch(&expired, REFERENCES, body.clone(), None).await).await;
    let cancelled = api.sim.seed(SeedOrder::new(1_000, "EUR").cancelled());
    let msg = "Order is cancelled. Merchant references cannot be updated.";
    assert_refused(
        api.patch(&cancelled, REFERENCES, body.clone(), None).await,
        "NOT_ALLOWED",
        msg,
    )
    .await;
    // Klarna's documented message for an unknown order.
    let unknown = uuid::Uuid::new_v4().to_string();
    let messages = assert_error(
        api.patch(&unknown, REFERENCES, body, None).await,
        404,
        "NO_SUCH_ORDER",
    )
    .await;
    assert_eq!(
        messages,
        vec!["Order cannot be found. Merchant references cannot be updated."]
    );
}

#[tokio::test]
async fn merchant_reference_bodies_are_validated() {
    let api = Api::new().await;
    let id = api
        .sim
        .seed(SeedOrder::new(1_000, "EUR").merchant_reference("KEEP"));
    for (body, message) in [
        (
            json!({"merchant_reference1": "x".repeat(256)}),
            "The size of the merchant_reference1 value must be between 0 and 255",
        ),
        (
            json!({"merchant_reference2": 7}),
            "'merchant_reference2' must be a string",
        ),
    ] {
        let messages = assert_error(
            api.patch(&id, REFERENCES, body, None).await,
            422,
            "UNPROCESSABLE_ENTITY",
        )
        .await;
        assert_eq!(messages, vec![message.to_owned()]);
    }
    let resp = api
        .raw(Method::PATCH, &id, REFERENCES, "application/json", "null")
        .await;
    assert_error(resp, 400, "BAD_REQUEST").await;
    assert_eq!(
        api.sim
            .snapshot(&id)
            .unwrap()
            .merchant_reference1
            .as_deref(),
        Some("KEEP")
    );
}

#[tokio::test]
async fn the_shipping_address_changes_field_by_field() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .customer("Ada", "Example", "ada@example.com")
            .captured(4_000),
    );
    let before = api.get_json(&id, "").await;
    let body = json!({"shipping_address": {
        "street_address": "Neue Straße 5", "city": "Hamburg", "postal_code": "20095",
        "phone": "", "country": "de", "attention": "Reception", "unknown": "dropped"}});
    assert_no_content(api.patch(&id, CUSTOMER, body, None).await).await;
    let o = api.get_json(&id, "").await;
    let shipping = &o["shipping_address"];
    assert_eq!(shipping["street_address"], "Neue Straße 5");
    assert_eq!(shipping["city"], "Hamburg");
    assert_eq!(shipping["postal_code"], "20095");
    assert_eq!(shipping["attention"], "Reception");
    assert_eq!(shipping["country"], "DE");
    assert_eq!(shipping["given_name"], "Ada", "untouched fields stay");
    assert!(
        shipping.get("phone").is_none(),
        "\"\" clears an optional field"
    );
    assert!(shipping.get("unknown").is_none());
    assert_eq!(
        o["billing_address"], before["billing_address"],
        "billing stays"
    );
    // The parcel already captured went to the old address; a new capture goes to the new one.
    assert_eq!(
        o["captures"][0]["shipping_address"],
        before["shipping_address"]
    );
    assert_eq!(api.capture(&id, 1_000).await.status(), 201);
    let o = api.get_json(&id, "").await;
    assert_eq!(o["captures"][1]["shipping_address"], o["shipping_address"]);
}

#[tokio::test]
async fn customer_detail_refusals() {
    let api = Api::new().await;
    let what = "Customer details cannot be updated.";
    let id =
        api.sim
            .seed(SeedOrder::new(10_000, "EUR").customer("Ada", "Example", "ada@example.com"));
    let before = api.get_json(&id, "").await;
    let billing = json!({"billing_address": {"city": "Köln"}});
    assert_refused(
        api.patch(&id, CUSTOMER, billing, None).await,
        "NOT_ALLOWED",
        &format!("Billing address cannot be updated. {what}"),
    )
    .await;
    let abroad = json!({"shipping_address": {"country": "se", "city": "Malmö"}});
    assert_refused(
        api.patch(&id, CUSTOMER, abroad, None).await,
        "NOT_ALLOWED",
        &format!("Shipping address country SE differs from the purchase country DE; the change was declined by Klarna's risk assessment. {what}"),
    )
    .await;
    assert_eq!(api.get_json(&id, "").await, before, "nothing changed");
    let body = json!({"shipping_address": {"city": "Hamburg"}});
    for (seed, state) in [
        (
            SeedOrder::new(5_000, "EUR").cancelled(),
            "Order is cancelled.",
        ),
        (SeedOrder::new(5_000, "EUR").expired(), "Order is expired."),
        (SeedOrder::new(5_000, "EUR").closed(), "Order is closed."),
    ] {
        let other = api.sim.seed(seed);
        assert_refused(
            api.patch(&other, CUSTOMER, body.clone(), None).await,
            "NOT_ALLOWED",
            &format!("{state} {what}"),
        )
        .await;
    }
}

#[tokio::test]
async fn customer_detail_bodies_are_validated() {
    let api = Api::new().await;
    let id =
        api.sim
            .seed(SeedOrder::new(10_000, "EUR").customer("Ada", "Example", "ada@example.com"));
    let before = api.get_json(&id, "").await;
    for (address, message) in [
        (
            json!({"street_address": ""}),
            "'shipping_address.street_address' is mandatory and cannot be cleared",
        ),
        (
            json!({"postal_code": "12345678901"}),
            "The size of the shipping_address.postal_code value must be between 0 and 10",
        ),
        (
            json!({"title": "x".repeat(21)}),
            "The size of the shipping_address.title value must be between 0 and 20",
        ),
        (
            json!({"country": "DEU"}),
            "'shipping_address.country' must be an ISO 3166 alpha-2 country code",
        ),
        (
            json!({"city": 5}),
            "'shipping_address.city' must be a string",
        ),
    ] {
        let body = json!({"shipping_address": address});
        let messages = assert_error(
            api.patch(&id, CUSTOMER, body, None).await,
            422,
            "UNPROCESSABLE_ENTITY",
        )
        .await;
        assert_eq!(messages, vec![message.to_owned()]);
    }
    let messages = assert_error(
        api.patch(&id, CUSTOMER, json!({"shipping_address": "Hamburg"}), None)
            .await,
        422,
        "UNPROCESSABLE_ENTITY",
    )
    .await;
    assert_eq!(messages, vec!["'shipping_address' must be an object"]);
    assert_eq!(api.get_json(&id, "").await, before);
    // A body without a shipping address is valid and changes nothing.
    assert_no_content(api.patch(&id, CUSTOMER, json!({}), None).await).await;
    assert_eq!(api.get_json(&id, "").await, before);
}

#[tokio::test]
async fn only_klarna_checkout_orders_are_acknowledged() {
    let api = Api::new().await;
    let kco = api.sim.seed(SeedOrder::new(2_000, "EUR").klarna_checkout());
    let s = api.sim.snapshot(&kco).unwrap();
    assert!(s.klarna_checkout && !s.acknowledged);
    assert_no_content(api.post(&kco, ACKNOWLEDGE, None, None).await).await;
    assert!(api.sim.snapshot(&kco).unwrap().acknowledged);
    // Again: nothing to do, still 204.
    assert_no_content(api.post(&kco, ACKNOWLEDGE, None, None).await).await;
    let what = "Acknowledgement not possible.";
    let payments = api.sim.seed(SeedOrder::new(2_000, "EUR"));
    assert_refused(
        api.post(&payments, ACKNOWLEDGE, None, None).await,
        "NOT_ALLOWED",
        &format!("Order was not placed through Klarna Checkout. {what}"),
    )
    .await;
    // A capture counts as an acknowledgement (Klarna documents that).
    let captured = api.sim.seed(
        SeedOrder::new(2_000, "EUR")
            .klarna_checkout()
            .captured(2_000),
    );
    assert!(api.sim.snapshot(&captured).unwrap().acknowledged);
    assert_no_content(api.post(&captured, ACKNOWLEDGE, None, None).await).await;
    let cancelled = api
        .sim
        .seed(SeedOrder::new(2_000, "EUR").klarna_checkout().cancelled());
    assert_refused(
        api.post(&cancelled, ACKNOWLEDGE, None, None).await,
        "NOT_ALLOWED",
        &format!("Order is cancelled. {what}"),
    )
    .await;
    assert!(!api.sim.snapshot(&cancelled).unwrap().acknowledged);
    let unknown = uuid::Uuid::new_v4().to_string();
    let messages = assert_error(
        api.post(&unknown, ACKNOWLEDGE, None, None).await,
        404,
        "NO_SUCH_ORDER",
    )
    .await;
    assert_eq!(
        messages,
        vec![format!("Order {unknown} cannot be found. {what}")]
    );
}
