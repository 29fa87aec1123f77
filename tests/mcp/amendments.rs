//! The `amendments` toolset against the simulator: `update_order_amount` (a decrease, an
//! increase, Klarna's risk refusal, the increase cap), `get_due_date_extension_options` and
//! `extend_due_date` (the fee said, a number of days not offered refused before sending),
//! `update_customer_details` (personal data only with KLARNA_INCLUDE_PERSONAL_DATA, never
//! in the journal), and bad input with nothing sent.

use std::time::Duration;

use klarna_mcp::{
    journal::{Journal, JournalLocation},
    simulator::{CannedResponse, Fault, FaultRule, Operation, SeedOrder},
};
use serde_json::{Value, json};

use crate::common::{start_all, start_all_with};

fn line(name: &str, amount: i64) -> Value {
    json!({ "name": name, "quantity": 1, "unitPrice": amount, "totalAmount": amount })
}

#[tokio::test]
async fn a_lower_total_replaces_the_lines_and_frees_the_rest() {
    let h = start_all().await;
    let id = h.seed(
        SeedOrder::new(12000, "EUR")
            .line("Chair", "C-1", 1, 10000)
            .line("Cushion", "C-2", 1, 2000),
    );
    let result = h
        .call(
            "update_order_amount",
            json!({ "orderId": id, "newOrderAmount": 10000, "description": "cushion out of stock", "orderLines": [line("Chair", 10000)] }),
        )
        .await;
    let text = crate::common::text(&result);
    assert_eq!(result.is_error, Some(false), "{text}");
    let receipt = result.structured_content.unwrap();
    assert_eq!(receipt["previousOrderAmount"], 12000);
    assert_eq!(receipt["newOrderAmount"], 10000);
    assert_eq!(receipt["orderLinesSent"], 1);
    assert_eq!(receipt["orderAfter"]["orderAmount"], 10000);
    assert!(
        text.contains("from 120.00 EUR (12000) to 100.00 EUR (10000) (a decrease of 20.00 EUR (2000), no longer authorized)"),
        "{text}"
    );
    let patch = h
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(
        patch.path,
        format!("/ordermanagement/v1/orders/{id}/authorization")
    );
    let body = patch.body.unwrap();
    assert_eq!(body["order_amount"], 10000);
    assert_eq!(body["order_lines"][0]["name"], "Chair");
    assert_eq!(body["description"], "cushion out of stock");
    let s = h.sim.snapshot(&id).unwrap();
    assert_eq!(s.order_amount, 10000);
    assert_eq!(s.remaining_authorized_amount, 10000);
}

#[tokio::test]
async fn an_increase_is_capped_here_and_decided_by_klarna() {
    let h = start_all_with(|c| c.max_order_increase_amount = Some(5000)).await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    // above the cap: refused before anything is sent
    let text = h
        .err(
            "update_order_amount",
            json!({ "orderId": id, "newOrderAmount": 15001 }),
        )
        .await;
    assert!(
        text.contains("an increase of the order total of 50.01 EUR (5001)")
            && text.contains("KLARNA_MAX_ORDER_INCREASE_AMOUNT=5000"),
        "{text}"
    );
    assert!(h.writes().is_empty());
    // within it: Klarna authorizes it
    let receipt = h
        .ok(
            "update_order_amount",
            json!({ "orderId": id, "newOrderAmount": 15000 }),
        )
        .await;
    assert_eq!(receipt["orderAfter"]["orderAmount"], 15000);
    assert_eq!(
        h.sim.snapshot(&id).unwrap().remaining_authorized_amount,
        15000
    );
    // Klarna's risk assessment says no: its 403, advice, nothing changed
    let refused = h.seed(SeedOrder::new(12000, "EUR").refuses_increase());
    let text = h
        .err(
            "update_order_amount",
            json!({ "orderId": refused, "newOrderAmount": 15000 }),
        )
        .await;
    assert!(text.contains("HTTP 403 NOT_ALLOWED"), "{text}");
    assert!(
        text.contains("declined by Klarna's risk assessment"),
        "{text}"
    );
    assert!(
        text.contains("An increase is a new risk decision"),
        "{text}"
    );
    assert!(text.contains("Klarna did not apply it"), "{text}");
    assert_eq!(h.sim.snapshot(&refused).unwrap().order_amount, 12000);
    // a card payment cannot be raised at all
    let card = h.seed(SeedOrder::new(10000, "EUR").payment_method("CARD", "Card"));
    let text = h
        .err(
            "update_order_amount",
            json!({ "orderId": card, "newOrderAmount": 11000 }),
        )
        .await;
    assert!(
        text.contains("not supported for payment method CARD"),
        "{text}"
    );
}

#[tokio::test]
async fn a_new_total_klarna_would_refuse_is_refused_before_sending() {
    let h = start_all().await;
    let part = h.seed(SeedOrder::new(10000, "EUR").captured(4000));
    let text = h
        .err(
            "update_order_amount",
            json!({ "orderId": part, "newOrderAmount": 3000 }),
        )
        .await;
    assert!(
        text.contains("below what was already captured, 40.00 EUR (4000)"),
        "{text}"
    );
    let full = h.seed(SeedOrder::new(10000, "EUR").captured(10000));
    let text = h
        .err(
            "update_order_amount",
            json!({ "orderId": full, "newOrderAmount": 12000 }),
        )
        .await;
    assert!(
        text.contains("fully captured") && text.contains("refund_order"),
        "{text}"
    );
    let text = h
        .err(
            "update_order_amount",
            json!({ "orderId": part, "newOrderAmount": 9000, "currency": "SEK" }),
        )
        .await;
    assert!(text.contains("meant in SEK"), "{text}");
    assert!(h.writes().is_empty());
}

#[tokio::test]
async fn bad_amounts_and_lines_name_the_field_and_send_nothing() {
    let h = start_all().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    for (args, field) in [
        (json!({ "orderId": id }), "`newOrderAmount`"),
        (
            json!({ "orderId": id, "newOrderAmount": 0 }),
            "`newOrderAmount`",
        ),
        (
            json!({ "orderId": id, "newOrderAmount": "9000" }),
            "`newOrderAmount`",
        ),
        (
            json!({ "orderId": id, "newOrderAmount": 90.5 }),
            "`newOrderAmount`",
        ),
        (
            json!({ "orderId": id, "newOrderAmount": 9000, "orderLines": [line("Chair", 8000)] }),
            "`orderLines`",
        ),
        (
            json!({ "orderId": id, "newOrderAmount": 9000, "amount": 9000 }),
            "`amount`",
        ),
    ] {
        let text = h.err("update_order_amount", args).await;
        assert!(
            text.contains(&format!("Invalid argument {field}")),
            "{text}"
        );
        assert!(text.contains("Nothing was sent"), "{text}");
    }
    assert!(h.sim.requests().is_empty());
}

#[tokio::test]
async fn due_date_options_name_the_fees_and_an_extension_says_what_it_cost() {
    let h = start_all().await;
    let id = h.seed(SeedOrder::new(19900, "EUR").captured(19900));
    let cap = h.capture_id(&id, 0);
    let result = h
        .call(
            "get_due_date_extension_options",
            json!({ "orderId": id, "captureId": cap }),
        )
        .await;
    let text = crate::common::text(&result);
    let view = result.structured_content.unwrap();
    assert_eq!(view["currency"], "EUR");
    assert_eq!(
        view["options"],
        json!([
            { "numberOfDays": 7, "feeAmount": 195 },
            { "numberOfDays": 14, "feeAmount": 295 },
            { "numberOfDays": 30, "feeAmount": 495 }
        ])
    );
    assert!(
        text.contains(
            "7 days for 1.95 EUR (195), 14 days for 2.95 EUR (295), 30 days for 4.95 EUR (495)"
        ),
        "{text}"
    );

    // a number of days not on offer: refused before sending, naming what is
    let text = h
        .err(
            "extend_due_date",
            json!({ "orderId": id, "captureId": cap, "numberOfDays": 10 }),
        )
        .await;
    assert!(text.contains("does not offer 10 days"), "{text}");
    assert!(text.contains("14 days for 2.95 EUR (295)"), "{text}");
    assert!(h.writes().is_empty());

    let result = h
        .call(
            "extend_due_date",
            json!({ "orderId": id, "captureId": cap, "numberOfDays": 14 }),
        )
        .await;
    let text = crate::common::text(&result);
    assert_eq!(result.is_error, Some(false), "{text}");
    let receipt = result.structured_content.unwrap();
    assert_eq!(receipt["feeAmount"], 295);
    assert_eq!(receipt["feeCurrency"], "EUR");
    assert_eq!(receipt["numberOfDays"], 14);
    assert!(
        text.contains(&format!("Extended the payment due date of capture {cap} of order {id} at api.klarna.com by 14 days; Klarna charges the merchant a fee of 2.95 EUR (295)")),
        "{text}"
    );
    let patch = h
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(
        patch.path,
        format!("/ordermanagement/v1/orders/{id}/captures/{cap}/extend-due-date")
    );
    assert_eq!(patch.body.unwrap(), json!({ "number_of_days": 14 }));
    let s = h.sim.snapshot(&id).unwrap();
    assert_eq!(s.fees.len(), 1);
    assert_eq!(s.fees[0].amount, 295);
    assert_eq!(s.captures[0].due_date_extension_days, Some(14));

    // once extended, nothing more is offered: a second extension is refused before sending
    let text = h
        .err(
            "extend_due_date",
            json!({ "orderId": id, "captureId": cap, "numberOfDays": 7, "idempotencyKey": "second" }),
        )
        .await;
    assert!(text.contains("offers no due date extension"), "{text}");
    assert_eq!(h.writes().len(), 1);
    assert_eq!(h.sim.snapshot(&id).unwrap().fees.len(), 1);
}

#[tokio::test]
async fn due_date_refusals_local_and_klarnas() {
    let h = start_all().await;
    // a card payment: nothing offered, nothing sent
    let card = h.seed(
        SeedOrder::new(5000, "EUR")
            .payment_method("CARD", "Card")
            .captured(5000),
    );
    let cap = h.capture_id(&card, 0);
    let text = h
        .err(
            "extend_due_date",
            json!({ "orderId": card, "captureId": cap, "numberOfDays": 14 }),
        )
        .await;
    assert!(text.contains("offers no due date extension"), "{text}");
    assert!(h.writes().is_empty());
    // offered by a stale answer, refused by Klarna: a verdict with advice, no fee
    h.sim.inject_fault(FaultRule::once(
        Operation::GetOptionsForExtendDueDate,
        Fault::Respond(CannedResponse::json(
            200,
            &json!({ "currency": "eur", "options": [{ "number_of_days": 14, "amount": 295 }] }),
        )),
    ));
    let text = h
        .err(
            "extend_due_date",
            json!({ "orderId": card, "captureId": cap, "numberOfDays": 14 }),
        )
        .await;
    assert!(text.contains("HTTP 403 NOT_ALLOWED"), "{text}");
    assert!(text.contains("not a pay later method"), "{text}");
    assert!(
        text.contains("get_due_date_extension_options shows"),
        "{text}"
    );
    assert!(h.sim.snapshot(&card).unwrap().fees.is_empty());
    // an unknown capture: Klarna's 404 on the options read
    let text = h
        .err(
            "get_due_date_extension_options",
            json!({ "orderId": card, "captureId": "00000000-0000-4000-8000-0000000000cc" }),
        )
        .await;
    assert!(text.contains("HTTP 404 NO_SUCH_CAPTURE"), "{text}");
    // bad input
    for (args, field) in [
        (
            json!({ "orderId": card, "captureId": cap, "numberOfDays": 0 }),
            "`numberOfDays`",
        ),
        (
            json!({ "orderId": card, "captureId": cap }),
            "`numberOfDays`",
        ),
        (
            json!({ "orderId": card, "captureId": "c", "numberOfDays": 7 }),
            "`captureId`",
        ),
    ] {
        let before = h.sim.request_count();
        let text = h.err("extend_due_date", args).await;
        assert!(
            text.contains(&format!("Invalid argument {field}")),
            "{text}"
        );
        assert_eq!(h.sim.request_count(), before);
    }
}

const STREET: &str = "Drottninggatan 71";

fn new_address() -> Value {
    json!({ "streetAddress": STREET, "postalCode": "11136", "city": "Stockholm" })
}

async fn journal_at(path: &std::path::Path) -> Journal {
    Journal::open(&JournalLocation::Sqlite(path.to_path_buf()), Duration::ZERO)
        .await
        .unwrap()
}

fn temp_journal(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "klarna-mcp-{name}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("journal.sqlite")
}

#[tokio::test]
async fn a_new_address_reaches_klarna_and_stays_out_of_the_result_and_the_journal() {
    let path = temp_journal("pd-off");
    let h = start_all_with(|c| c.journal = Some(JournalLocation::Sqlite(path.clone()))).await;
    let id = h.seed(SeedOrder::new(2900, "SEK").customer("Klara", "Joyce", "klara@example.com"));
    let result = h
        .call(
            "update_customer_details",
            json!({ "orderId": id, "shippingAddress": new_address() }),
        )
        .await;
    let text = crate::common::text(&result);
    assert_eq!(result.is_error, Some(false), "{text}");
    let receipt = result.structured_content.unwrap();
    assert_eq!(
        receipt["fieldsChanged"],
        json!(["city", "postal_code", "street_address"])
    );
    assert!(receipt.get("shippingAddress").is_none());
    for shown in [text.as_str(), &receipt.to_string()] {
        assert!(
            !shown.contains(STREET) && !shown.contains("11136"),
            "{shown}"
        );
    }
    assert!(
        text.contains("KLARNA_INCLUDE_PERSONAL_DATA is off"),
        "{text}"
    );
    // it reached Klarna
    let order = h.sim.order_json(&id).unwrap();
    assert_eq!(order["shipping_address"]["street_address"], STREET);
    let patch = h
        .sim
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(
        patch.path,
        format!("/ordermanagement/v1/orders/{id}/customer-details")
    );
    assert_eq!(
        patch.body.unwrap()["shipping_address"]["postal_code"],
        "11136"
    );
    // the journal holds neither the address nor a digest of it
    let records = journal_at(&path).await.all_records().await.unwrap();
    assert!(!records.is_empty());
    for r in &records {
        assert_eq!(r.record.tool, "update_customer_details");
        assert_eq!(r.record.body_digest, "", "no digest of personal data");
    }
    let raw = std::fs::read(&path).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(!raw.contains(STREET) && !raw.contains("Stockholm"));
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[tokio::test]
async fn with_personal_data_configured_the_result_shows_the_address_sent() {
    let h = start_all_with(|c| c.include_personal_data = true).await;
    let id = h.seed(SeedOrder::new(2900, "SEK"));
    let result = h
        .call(
            "update_customer_details",
            json!({ "orderId": id, "shippingAddress": new_address() }),
        )
        .await;
    let text = crate::common::text(&result);
    assert_eq!(result.is_error, Some(false), "{text}");
    assert!(
        text.contains(&format!("street_address \"{STREET}\"")),
        "{text}"
    );
    let receipt = result.structured_content.unwrap();
    assert_eq!(receipt["shippingAddress"]["street_address"], STREET);
}

#[tokio::test]
async fn an_address_klarna_declines_or_that_is_malformed_never_echoes_the_address() {
    let h = start_all().await;
    let id = h.seed(SeedOrder::new(2900, "SEK"));
    // another country than the purchase country: Klarna's risk decision says no
    let text = h
        .err(
            "update_customer_details",
            json!({ "orderId": id, "shippingAddress": { "streetAddress": STREET, "country": "NO" } }),
        )
        .await;
    assert!(text.contains("HTTP 403 NOT_ALLOWED"), "{text}");
    assert!(
        text.contains("another country than the purchase country"),
        "{text}"
    );
    assert!(!text.contains(STREET), "{text}");
    let writes = h.writes().len();
    // bad input: the field and the fix, never the value
    for (address, field) in [
        (json!({}), "`shippingAddress`"),
        (json!({ "givenName": "" }), "`shippingAddress.givenName`"),
        (
            json!({ "postalCode": "1234567890123" }),
            "`shippingAddress.postalCode`",
        ),
        (json!({ "country": "Sweden" }), "`shippingAddress.country`"),
        (json!({ "country": "S1" }), "`shippingAddress.country`"),
        (
            json!({ "city": "Stock\u{202e}holm" }),
            "`shippingAddress.city`",
        ),
        (
            json!({ "billingAddress": {} }),
            "`shippingAddress.billingAddress`: unknown field",
        ),
    ] {
        let text = h
            .err(
                "update_customer_details",
                json!({ "orderId": id, "shippingAddress": address }),
            )
            .await;
        assert!(
            text.contains(&format!("Invalid argument {field}")),
            "{text}"
        );
        for secret in ["1234567890123", "Sweden", "Stock"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
    assert_eq!(h.writes().len(), writes);
    // a cancelled order: refused before sending
    let cancelled = h.seed(SeedOrder::new(2900, "SEK").cancelled());
    let text = h
        .err(
            "update_customer_details",
            json!({ "orderId": cancelled, "shippingAddress": new_address() }),
        )
        .await;
    assert!(text.contains("the order is cancelled"), "{text}");
    assert_eq!(h.writes().len(), writes);
}
