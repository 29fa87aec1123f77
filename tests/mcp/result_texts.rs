//! What each tool typically says — success, replay, each kind of refusal, outcome unknown —
//! kept as reviewed text files, `tests/snapshots/results/<tool>/<case>.txt`, so a change of
//! wording shows in review as a diff of the text the model reads. Ids, keys and times are
//! replaced by placeholders (`<uuid>`, `<time>`), so the files are stable. A change fails
//! here until it is reviewed and the files are rewritten with
//! `UPDATE_SNAPSHOTS=1 cargo test --test mcp result_texts`; in CI a missing file fails.

use std::path::{Path, PathBuf};

use klarna_mcp::simulator::{Fault, FaultRule, Operation, SeedOrder};
use serde_json::{Value, json};

use crate::common::{Harness, order_args, start, text};

/// Replaces what differs between runs: UUIDs and RFC 3339 times.
fn normalize(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some(len) = uuid_at(&chars[i..]) {
            out.push_str("<uuid>");
            i += len;
        } else if let Some(len) = time_at(&chars[i..]) {
            out.push_str("<time>");
            i += len;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Length of a UUID (8-4-4-4-12 hex) starting here.
fn uuid_at(s: &[char]) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let mut at = 0;
    for (n, len) in GROUPS.iter().enumerate() {
        if n > 0 {
            (s.get(at) == Some(&'-')).then_some(())?;
            at += 1;
        }
        for _ in 0..*len {
            s.get(at).filter(|c| c.is_ascii_hexdigit())?;
            at += 1;
        }
    }
    Some(at)
}

/// Length of a time `YYYY-MM-DDTHH:MM:SS[.fff]Z` starting here.
fn time_at(s: &[char]) -> Option<usize> {
    let shape = "dddd-dd-ddTdd:dd:dd";
    for (i, want) in shape.chars().enumerate() {
        let c = *s.get(i)?;
        let ok = if want == 'd' {
            c.is_ascii_digit()
        } else {
            c == want
        };
        ok.then_some(())?;
    }
    let mut at = shape.len();
    if s.get(at) == Some(&'.') {
        at += 1;
        while s.get(at).is_some_and(|c| c.is_ascii_digit()) {
            at += 1;
        }
    }
    (s.get(at) == Some(&'Z')).then_some(at + 1)
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/results")
}

/// Compares (or, with `UPDATE_SNAPSHOTS`, writes) one case; returns the problem, if any.
fn check(tool: &str, case: &str, actual: &str) -> Option<String> {
    let actual = normalize(actual) + "\n";
    let dir = snapshot_dir().join(tool);
    let path = dir.join(format!("{case}.txt"));
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let in_ci = std::env::var_os("CI").is_some();
    match std::fs::read_to_string(&path) {
        Ok(_) if update => {
            std::fs::write(&path, &actual).unwrap();
            None
        }
        Ok(expected) if expected == actual => None,
        Ok(expected) => Some(format!(
            "{tool}/{case} changed. Review it, then run `UPDATE_SNAPSHOTS=1 cargo test --test mcp result_texts`.\n--- was ---\n{expected}--- now ---\n{actual}"
        )),
        Err(_) if update || !in_ci => {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &actual).unwrap();
            (!update).then(|| {
                format!("{tool}/{case} was missing and has been written; review and commit it")
            })
        }
        Err(e) => Some(format!("{} missing in CI: {e}", path.display())),
    }
}

/// Runs a tool and returns its text, whatever the outcome.
async fn said(h: &Harness, tool: &str, args: Value) -> String {
    text(&h.call(tool, args).await)
}

#[tokio::test]
async fn every_typical_answer_matches_its_reviewed_text() {
    let h = start().await;
    let mut cases: Vec<(&str, &str, String)> = Vec::new();

    // get_order: an open order with lines; one with a capture and a refund; an expired one.
    let open = h.seed(SeedOrder::new(10000, "EUR").line("Boots", "B-1", 1, 10000));
    cases.push((
        "get_order",
        "authorized",
        said(&h, "get_order", json!({ "orderId": open })).await,
    ));
    let busy = h.seed(
        SeedOrder::new(25000, "EUR")
            .line("Shoes", "SKU-1", 1, 15000)
            .line("Socks", "SKU-2", 2, 5000)
            .captured(15000)
            .refunded(5000),
    );
    cases.push((
        "get_order",
        "part_captured_with_refund",
        said(&h, "get_order", json!({ "orderId": busy })).await,
    ));
    let expired = h.seed(SeedOrder::new(5000, "SEK").expired());
    cases.push((
        "get_order",
        "expired",
        said(&h, "get_order", json!({ "orderId": expired })).await,
    ));
    cases.push((
        "get_order",
        "not_found",
        said(
            &h,
            "get_order",
            json!({ "orderId": crate::common::UNKNOWN_ORDER }),
        )
        .await,
    ));

    // capture_order: success, replay, local refusals, Klarna's refusal, a repeat without a
    // key, outcome unknown.
    let order = h.seed(SeedOrder::new(10000, "EUR"));
    let args = order_args(
        &order,
        json!({ "amount": 4000, "reference": "SHIP-1", "idempotencyKey": "ship-1",
                "shippingInfo": [{ "shippingCompany": "DHL", "trackingNumber": "JD1" }] }),
    );
    cases.push((
        "capture_order",
        "captured",
        said(&h, "capture_order", args.clone()).await,
    ));
    cases.push((
        "capture_order",
        "replay",
        said(&h, "capture_order", args).await,
    ));
    cases.push((
        "capture_order",
        "over_remaining",
        said(
            &h,
            "capture_order",
            order_args(&order, json!({ "amount": 7000 })),
        )
        .await,
    ));
    let pending = h.seed(SeedOrder::new(10000, "EUR").fraud_status("PENDING"));
    cases.push((
        "capture_order",
        "fraud_pending",
        said(&h, "capture_order", json!({ "orderId": pending })).await,
    ));
    let raced = h.seed(SeedOrder::new(10000, "EUR").captured(7000));
    h.serve_stale(&raced, |o| {
        o["captured_amount"] = json!(0);
        o["remaining_authorized_amount"] = json!(10000);
        o["status"] = json!("AUTHORIZED");
        o["captures"] = json!([]);
    });
    cases.push((
        "capture_order",
        "refused_by_klarna",
        said(
            &h,
            "capture_order",
            order_args(
                &raced,
                json!({ "amount": 5000, "idempotencyKey": "raced-1" }),
            ),
        )
        .await,
    ));
    let twice = h.seed(SeedOrder::new(10000, "EUR"));
    said(
        &h,
        "capture_order",
        order_args(&twice, json!({ "amount": 1000 })),
    )
    .await;
    cases.push((
        "capture_order",
        "repeat_without_key",
        said(
            &h,
            "capture_order",
            order_args(&twice, json!({ "amount": 1000 })),
        )
        .await,
    ));
    let lost = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule {
        operation: Operation::Capture,
        fault: Fault::CommitThenDrop,
        times: 3,
    });
    cases.push((
        "capture_order",
        "outcome_unknown",
        said(
            &h,
            "capture_order",
            order_args(&lost, json!({ "amount": 2500, "idempotencyKey": "lost-1" })),
        )
        .await,
    ));

    // refund_order: success, more than refundable, nothing captured.
    let captured = h.seed(SeedOrder::new(10000, "EUR").captured(10000));
    cases.push((
        "refund_order",
        "refunded",
        said(
            &h,
            "refund_order",
            order_args(
                &captured,
                json!({ "amount": 2500, "reference": "RMA-1", "idempotencyKey": "rma-1" }),
            ),
        )
        .await,
    ));
    cases.push((
        "refund_order",
        "over_refundable",
        said(
            &h,
            "refund_order",
            order_args(&captured, json!({ "amount": 9999 })),
        )
        .await,
    ));
    cases.push((
        "refund_order",
        "nothing_captured",
        said(
            &h,
            "refund_order",
            order_args(&open, json!({ "amount": 100 })),
        )
        .await,
    ));

    // cancel and release.
    let cancellable = h.seed(SeedOrder::new(7000, "SEK"));
    cases.push((
        "cancel_order",
        "cancelled",
        said(
            &h,
            "cancel_order",
            json!({ "orderId": cancellable, "idempotencyKey": "cancel-1" }),
        )
        .await,
    ));
    cases.push((
        "cancel_order",
        "has_captures",
        said(&h, "cancel_order", json!({ "orderId": busy })).await,
    ));
    let partly = h.seed(SeedOrder::new(25000, "EUR").captured(18000));
    cases.push((
        "release_remaining_authorization",
        "released",
        said(
            &h,
            "release_remaining_authorization",
            json!({ "orderId": partly, "idempotencyKey": "release-1" }),
        )
        .await,
    ));
    cases.push((
        "release_remaining_authorization",
        "nothing_captured",
        said(
            &h,
            "release_remaining_authorization",
            json!({ "orderId": open }),
        )
        .await,
    ));

    // get_capture, and the journal's view of all of the above.
    let receipt = h
        .ok(
            "capture_order",
            order_args(
                &open,
                json!({ "amount": 2000, "description": "Boots, size 42", "reference": "SHIP-9" }),
            ),
        )
        .await;
    cases.push((
        "get_capture",
        "with_reference_and_description",
        said(
            &h,
            "get_capture",
            json!({ "orderId": open, "captureId": receipt["captureId"] }),
        )
        .await,
    ));
    cases.push((
        "list_operations",
        "recent",
        said(&h, "list_operations", json!({ "limit": 5 })).await,
    ));

    let problems: Vec<String> = cases
        .iter()
        .filter_map(|(tool, case, text)| check(tool, case, text))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The texts of the opt-in `fulfilment` and `amendments` tools, and an order view whose next
/// steps name them.
#[tokio::test]
async fn every_fulfilment_and_amendment_answer_matches_its_reviewed_text() {
    let h = crate::common::start_all_with(|c| c.max_order_increase_amount = Some(5000)).await;
    let mut cases: Vec<(&str, &str, String)> = Vec::new();

    // An order whose authorization lapses within the week, with a capture without tracking.
    let due = h.seed(
        SeedOrder::new(14900, "EUR")
            .line("Bookshelf", "BS-1", 1, 9900)
            .line("Shelf pins", "BS-2", 1, 5000)
            .captured(9900)
            .placed_days_ago(23),
    );
    cases.push((
        "get_order",
        "fulfilment_next_steps",
        said(&h, "get_order", json!({ "orderId": due })).await,
    ));
    let cap = h.capture_id(&due, 0);
    let track = json!({ "orderId": due, "captureId": cap,
        "shippingInfo": [{ "shippingCompany": "DHL SE", "shippingMethod": "Home", "trackingNumber": "JJD01" }] });
    cases.push((
        "add_shipping_info",
        "added",
        said(&h, "add_shipping_info", track.clone()).await,
    ));
    cases.push((
        "add_shipping_info",
        "repeat_without_key",
        said(&h, "add_shipping_info", track).await,
    ));
    cases.push((
        "add_shipping_info",
        "no_such_capture",
        said(
            &h,
            "add_shipping_info",
            json!({ "orderId": due, "captureId": crate::common::UNKNOWN_ORDER,
                "shippingInfo": [{ "trackingNumber": "X1" }] }),
        )
        .await,
    ));
    cases.push((
        "list_captures",
        "with_tracking",
        said(&h, "list_captures", json!({ "orderId": due })).await,
    ));
    cases.push((
        "extend_authorization_time",
        "extended",
        said(
            &h,
            "extend_authorization_time",
            json!({ "orderId": due, "idempotencyKey": "extend-1" }),
        )
        .await,
    ));
    cases.push((
        "resend_customer_communication",
        "sent",
        said(
            &h,
            "resend_customer_communication",
            json!({ "orderId": due, "captureId": cap, "idempotencyKey": "send-1" }),
        )
        .await,
    ));
    let lost = h.seed(SeedOrder::new(5000, "EUR").captured(5000));
    let lost_cap = h.capture_id(&lost, 0);
    h.sim.inject_fault(FaultRule {
        operation: Operation::AppendShippingInfo,
        fault: Fault::CommitThenDrop,
        times: 3,
    });
    cases.push((
        "add_shipping_info",
        "outcome_unknown",
        said(
            &h,
            "add_shipping_info",
            json!({ "orderId": lost, "captureId": lost_cap, "idempotencyKey": "lost-1",
                "shippingInfo": [{ "trackingNumber": "L1" }] }),
        )
        .await,
    ));
    cases.push((
        "get_order",
        "unresolved_tracking",
        said(&h, "get_order", json!({ "orderId": lost })).await,
    ));
    let ghost = "0d3f1a2e-0000-4000-8000-00000000c0de";
    h.serve_stale(&lost, |o| o["captures"][0]["capture_id"] = json!(ghost));
    cases.push((
        "add_shipping_info",
        "refused_by_klarna",
        said(
            &h,
            "add_shipping_info",
            json!({ "orderId": lost, "captureId": ghost, "idempotencyKey": "ghost-1",
                "shippingInfo": [{ "trackingNumber": "G1" }] }),
        )
        .await,
    ));
    let open = h.seed(SeedOrder::new(10000, "EUR").merchant_reference("OLD-1"));
    cases.push((
        "add_order_shipping_info",
        "added",
        said(
            &h,
            "add_order_shipping_info",
            json!({ "orderId": open, "idempotencyKey": "order-track-1",
                "shippingInfo": [{ "shippingCompany": "PostNord", "trackingNumber": "PN1" }] }),
        )
        .await,
    ));
    cases.push((
        "update_merchant_references",
        "updated",
        said(
            &h,
            "update_merchant_references",
            json!({ "orderId": open, "merchantReference1": "ERP-2", "merchantReference2": "",
                "idempotencyKey": "refs-1" }),
        )
        .await,
    ));
    let cancelled = h.seed(SeedOrder::new(3000, "EUR").cancelled());
    cases.push((
        "extend_authorization_time",
        "cancelled",
        said(
            &h,
            "extend_authorization_time",
            json!({ "orderId": cancelled }),
        )
        .await,
    ));
    let kco = h.seed(SeedOrder::new(2900, "EUR").klarna_checkout());
    cases.push((
        "acknowledge_order",
        "acknowledged",
        said(
            &h,
            "acknowledge_order",
            json!({ "orderId": kco, "idempotencyKey": "ack-1" }),
        )
        .await,
    ));
    cases.push((
        "acknowledge_order",
        "not_klarna_checkout",
        said(
            &h,
            "acknowledge_order",
            json!({ "orderId": open, "idempotencyKey": "ack-2" }),
        )
        .await,
    ));
    let refunded = h.seed(SeedOrder::new(10000, "EUR").captured(10000).refunded(2500));
    let refund_id = h.sim.snapshot(&refunded).unwrap().refunds[0]
        .refund_id
        .clone();
    cases.push((
        "get_refund",
        "refunded",
        said(
            &h,
            "get_refund",
            json!({ "orderId": refunded, "refundId": refund_id }),
        )
        .await,
    ));

    // amendments
    let chair = h.seed(SeedOrder::new(12000, "EUR").line("Chair", "C-1", 1, 12000));
    cases.push((
        "update_order_amount",
        "decreased",
        said(
            &h,
            "update_order_amount",
            json!({ "orderId": chair, "newOrderAmount": 10000, "idempotencyKey": "amount-1",
                "orderLines": [{ "name": "Chair", "quantity": 1, "unitPrice": 10000, "totalAmount": 10000 }] }),
        )
        .await,
    ));
    cases.push((
        "update_order_amount",
        "above_cap",
        said(
            &h,
            "update_order_amount",
            json!({ "orderId": chair, "newOrderAmount": 20000 }),
        )
        .await,
    ));
    let risky = h.seed(SeedOrder::new(12000, "EUR").refuses_increase());
    cases.push((
        "update_order_amount",
        "risk_refused",
        said(
            &h,
            "update_order_amount",
            json!({ "orderId": risky, "newOrderAmount": 15000, "idempotencyKey": "amount-2" }),
        )
        .await,
    ));
    let part = h.seed(SeedOrder::new(10000, "EUR").captured(4000));
    cases.push((
        "update_order_amount",
        "below_captured",
        said(
            &h,
            "update_order_amount",
            json!({ "orderId": part, "newOrderAmount": 3000 }),
        )
        .await,
    ));
    let coat = h.seed(SeedOrder::new(19900, "EUR").captured(19900));
    let coat_cap = h.capture_id(&coat, 0);
    cases.push((
        "get_due_date_extension_options",
        "offered",
        said(
            &h,
            "get_due_date_extension_options",
            json!({ "orderId": coat, "captureId": coat_cap }),
        )
        .await,
    ));
    cases.push((
        "extend_due_date",
        "not_offered",
        said(
            &h,
            "extend_due_date",
            json!({ "orderId": coat, "captureId": coat_cap, "numberOfDays": 10 }),
        )
        .await,
    ));
    cases.push((
        "extend_due_date",
        "extended",
        said(
            &h,
            "extend_due_date",
            json!({ "orderId": coat, "captureId": coat_cap, "numberOfDays": 14,
                "idempotencyKey": "due-1" }),
        )
        .await,
    ));
    cases.push((
        "get_due_date_extension_options",
        "none_offered",
        said(
            &h,
            "get_due_date_extension_options",
            json!({ "orderId": coat, "captureId": coat_cap }),
        )
        .await,
    ));
    let moving = h.seed(SeedOrder::new(2900, "SEK"));
    cases.push((
        "update_customer_details",
        "updated_without_personal_data",
        said(
            &h,
            "update_customer_details",
            json!({ "orderId": moving, "idempotencyKey": "address-1",
                "shippingAddress": { "streetAddress": "Drottninggatan 71", "postalCode": "11136", "city": "Stockholm" } }),
        )
        .await,
    ));
    cases.push((
        "update_customer_details",
        "declined",
        said(
            &h,
            "update_customer_details",
            json!({ "orderId": moving, "idempotencyKey": "address-2",
                "shippingAddress": { "country": "NO" } }),
        )
        .await,
    ));
    cases.push((
        "list_operations",
        "fulfilment_and_amendments",
        said(&h, "list_operations", json!({ "limit": 6 })).await,
    ));

    let problems: Vec<String> = cases
        .iter()
        .filter_map(|(tool, case, text)| check(tool, case, text))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn the_normalizer_replaces_ids_and_times_only() {
    assert_eq!(
        normalize(
            "capture 4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f at 2026-12-05T08:17:52.007Z, key k-1"
        ),
        "capture <uuid> at <time>, key k-1"
    );
    assert_eq!(
        normalize("2026-12-05 and 4f1c0b7e"),
        "2026-12-05 and 4f1c0b7e"
    );
}
