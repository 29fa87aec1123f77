//! Due-date extension of a capture (options, then the extension and its fee)
//! and the ledger of applied captures, refunds and fees.

use klarna_mcp::simulator::{DetailedType, FeeKind, MovementKind, SeedOrder, TransactionType};
use reqwest::Method;
use serde_json::json;

use crate::common::{Api, NA, assert_error, assert_no_content, assert_refused};

fn options_path(cid: &str) -> String {
    format!("/captures/{cid}/extend-due-date-options")
}

fn extend_path(cid: &str) -> String {
    format!("/captures/{cid}/extend-due-date")
}

const NONE_LEFT: &str = r#"{"currency":"EUR","options":[]}"#;

#[tokio::test]
async fn a_due_date_is_extended_once_for_the_fee_offered() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(10_000));
    let cid = api.first_capture(&id);
    let options = api.get_json(&id, &options_path(&cid)).await;
    assert_eq!(
        options,
        json!({"currency": "EUR", "options": [
            {"number_of_days": 7, "amount": 195},
            {"number_of_days": 14, "amount": 295},
            {"number_of_days": 30, "amount": 495}]})
    );
    let resp = api
        .patch(&id, &extend_path(&cid), json!({"number_of_days": 14}), None)
        .await;
    assert_no_content(resp).await;
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(s.captures[0].due_date_extension_days, Some(14));
    assert_eq!(s.fees.len(), 1);
    let fee = &s.fees[0];
    assert_eq!(fee.kind, FeeKind::ExtendDueDate);
    assert_eq!(fee.kind.as_str(), "EXTEND_DUE_DATE_FEE");
    assert_eq!(
        (
            fee.capture_id.as_str(),
            fee.amount,
            fee.currency.as_str(),
            fee.number_of_days
        ),
        (cid.as_str(), 295, "EUR", 14)
    );
    assert!(fee.charged_at >= s.captures[0].captured_at);
    // The order's amounts are the customer's; the fee is the merchant's.
    assert_eq!((s.captured_amount, s.refunded_amount), (10_000, 0));
    // The merchant pays it: a FEE transaction in the Settlements API, on that capture.
    let fees: Vec<_> = api
        .sim
        .settlement_transactions()
        .into_iter()
        .filter(|t| t.order_id == id && t.transaction_type == TransactionType::Fee)
        .collect();
    assert_eq!(fees.len(), 1, "{fees:?}");
    assert_eq!(
        fees[0].detailed_type,
        Some(DetailedType::EXTEND_DUE_DATE_FEE)
    );
    assert_eq!(
        (
            fees[0].amount,
            fees[0].currency.as_str(),
            fees[0].capture_id.as_deref()
        ),
        (295, "EUR", Some(cid.as_str()))
    );
    // Once extended, nothing more is offered and a second extension is refused.
    let resp = api.get(&id, &options_path(&cid)).await;
    assert_eq!(resp.text().await.unwrap(), NONE_LEFT);
    let msg = format!(
        "Due date of capture {cid} was already extended by 14 days. Extension of due date not possible."
    );
    let resp = api
        .patch(&id, &extend_path(&cid), json!({"number_of_days": 7}), None)
        .await;
    assert_refused(resp, "NOT_ALLOWED", &msg).await;
    assert_eq!(api.sim.snapshot(&id).unwrap().fees.len(), 1);
}

#[tokio::test]
async fn only_an_offered_number_of_days_is_accepted() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "SEK").captured(10_000));
    let cid = api.first_capture(&id);
    for days in [10, 0, -7] {
        let resp = api
            .patch(
                &id,
                &extend_path(&cid),
                json!({"number_of_days": days}),
                None,
            )
            .await;
        let msg = format!(
            "{days} days is not one of the available options (7, 14, 30 days). Extension of due date not possible."
        );
        assert_refused(resp, "NOT_ALLOWED", &msg).await;
    }
    let s = api.sim.snapshot(&id).unwrap();
    assert!(s.fees.is_empty());
    assert_eq!(s.captures[0].due_date_extension_days, None);
    // The fee is in the order's currency.
    let resp = api
        .patch(&id, &extend_path(&cid), json!({"number_of_days": 30}), None)
        .await;
    assert_no_content(resp).await;
    let fee = &api.sim.snapshot(&id).unwrap().fees[0];
    assert_eq!((fee.amount, fee.currency.as_str()), (495, "SEK"));
}

#[tokio::test]
async fn ineligible_captures_get_no_options_and_a_refusal() {
    let api = Api::new().await;
    let what = "Extension of due date not possible.";
    let card = api.sim.seed(
        SeedOrder::new(1_000, "EUR")
            .payment_method("CARD", "Card")
            .captured(1_000),
    );
    let refunded = api
        .sim
        .seed(SeedOrder::new(1_000, "EUR").captured(1_000).refunded(1_000));
    let closed = api
        .sim
        .seed(SeedOrder::new(1_000, "EUR").captured(1_000).closed());
    let cases = [
        (
            card,
            "Payment method CARD is not a pay later method.".to_owned(),
        ),
        (refunded.clone(), String::new()),
        (closed, "Order is closed.".to_owned()),
    ];
    for (id, reason) in cases {
        let cid = api.first_capture(&id);
        let resp = api.get(&id, &options_path(&cid)).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.text().await.unwrap(), NONE_LEFT);
        let reason = if reason.is_empty() {
            format!("Capture {cid} is fully refunded.")
        } else {
            reason
        };
        let resp = api
            .patch(&id, &extend_path(&cid), json!({"number_of_days": 7}), None)
            .await;
        assert_refused(resp, "NOT_ALLOWED", &format!("{reason} {what}")).await;
        assert!(api.sim.snapshot(&id).unwrap().fees.is_empty());
    }
    // A partly refunded capture still has something to pay.
    let part = api
        .sim
        .seed(SeedOrder::new(1_000, "EUR").captured(1_000).refunded(400));
    let cid = api.first_capture(&part);
    let options = api.get_json(&part, &options_path(&cid)).await;
    assert_eq!(options["options"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn unknown_captures_and_orders_without_captures() {
    let api = Api::new().await;
    let someone = uuid::Uuid::new_v4().to_string();
    let none = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    // The options document only 200 and 404: no capture at all is a 404 there.
    let messages = assert_error(
        api.get(&none, &options_path(&someone)).await,
        404,
        "NO_SUCH_CAPTURE",
    )
    .await;
    assert_eq!(
        messages,
        vec![format!(
            "Capture could not be found. Capture {someone} does not exist for order {none}"
        )]
    );
    let resp = api
        .patch(
            &none,
            &extend_path(&someone),
            json!({"number_of_days": 7}),
            None,
        )
        .await;
    assert_refused(
        resp,
        "NOT_ALLOWED",
        "Order has no captures. Extension of due date not possible.",
    )
    .await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR").captured(1_000));
    assert_error(
        api.get(&id, &options_path(&someone)).await,
        404,
        "NO_SUCH_CAPTURE",
    )
    .await;
    let resp = api
        .patch(
            &id,
            &extend_path(&someone),
            json!({"number_of_days": 7}),
            None,
        )
        .await;
    assert_error(resp, 404, "NO_SUCH_CAPTURE").await;
    assert_error(
        api.get(&id, &options_path("x")).await,
        400,
        "INVALID_CAPTURE_ID",
    )
    .await;
}

#[tokio::test]
async fn due_date_bodies_are_validated() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR").captured(1_000));
    let cid = api.first_capture(&id);
    for (body, message) in [
        (json!({}), "'number_of_days' may not be null"),
        (
            json!({"number_of_days": "14"}),
            "'number_of_days' must be an integer (int64)",
        ),
        (
            json!({"number_of_days": 2_147_483_648_i64}),
            "'number_of_days' must be between -2147483648 and 2147483647",
        ),
    ] {
        let messages = assert_error(
            api.patch(&id, &extend_path(&cid), body, None).await,
            422,
            "UNPROCESSABLE_ENTITY",
        )
        .await;
        assert_eq!(messages, vec![message.to_owned()]);
    }
    let resp = api
        .raw(
            Method::PATCH,
            &id,
            &extend_path(&cid),
            "application/xml",
            "<days>7</days>",
        )
        .await;
    assert_error(resp, 400, "BAD_REQUEST").await;
    assert!(api.sim.snapshot(&id).unwrap().fees.is_empty());
}

#[tokio::test]
async fn the_ledger_lists_what_was_applied_and_nothing_else() {
    let api = Api::new().await;
    let eu = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .merchant_reference("SHOP-1")
            .klarna_reference("LEDGER01"),
    );
    let na = api
        .sim
        .seed(SeedOrder::new(5_000, "USD").on_host(NA).captured(5_000));
    let body = json!({"captured_amount": 6_000, "reference": "CAP-REF"});
    assert_eq!(
        api.post(&eu, "/captures", Some(body), None).await.status(),
        201
    );
    let cid = api.first_capture(&eu);
    let body = json!({"refunded_amount": 1_000, "reference": "RET-REF"});
    assert_eq!(
        api.post(&eu, "/refunds", Some(body), None).await.status(),
        201
    );
    // Refused and replayed requests move nothing.
    assert_eq!(api.capture(&eu, 99_999).await.status(), 403);
    for _ in 0..2 {
        let resp = api
            .patch(
                &eu,
                &extend_path(&cid),
                json!({"number_of_days": 7}),
                Some("fee-1"),
            )
            .await;
        assert_eq!(resp.status(), 204);
    }
    let ledger = api.sim.ledger();
    let kinds: Vec<(&str, &str, i64)> = ledger
        .iter()
        .map(|e| (e.order_id.as_str(), e.kind.as_str(), e.amount))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (na.as_str(), "CAPTURE", 5_000),
            (eu.as_str(), "CAPTURE", 6_000),
            (eu.as_str(), "REFUND", 1_000),
            (eu.as_str(), "EXTEND_DUE_DATE_FEE", 195),
        ]
    );
    assert!(ledger.windows(2).all(|w| w[0].at <= w[1].at));
    let (capture, refund, fee) = (&ledger[1], &ledger[2], &ledger[3]);
    assert_eq!(capture.kind, MovementKind::Capture);
    assert_eq!(
        (capture.capture_id.as_deref(), capture.reference.as_deref()),
        (Some(cid.as_str()), Some("CAP-REF"))
    );
    assert_eq!(
        (refund.refund_id.is_some(), refund.capture_id.as_deref()),
        (true, None)
    );
    assert_eq!(refund.reference.as_deref(), Some("RET-REF"));
    assert_eq!(fee.kind, MovementKind::Fee(FeeKind::ExtendDueDate));
    assert_eq!(fee.capture_id.as_deref(), Some(cid.as_str()));
    for e in &ledger[1..] {
        assert_eq!(
            (
                e.host.as_str(),
                e.currency.as_str(),
                e.purchase_country.as_str()
            ),
            ("api.klarna.com", "EUR", "DE")
        );
        assert_eq!(
            (
                e.klarna_reference.as_str(),
                e.merchant_reference1.as_deref()
            ),
            ("LEDGER01", Some("SHOP-1"))
        );
        assert_eq!(e.payment_method, "INVOICE");
        assert!(e.order_created_at <= e.at);
    }
    assert_eq!(
        (ledger[0].host.as_str(), ledger[0].currency.as_str()),
        (NA, "USD")
    );
}
