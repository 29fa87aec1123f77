//! Klarna's rules for what follows a shipment: shipping info on a capture or
//! on the order, sending the customer communication again, and extending a
//! capture's payment due date for a fee the merchant pays (recorded on the
//! order as an [`AppliedFee`] so settlements can show it). Pure, like `rules`:
//! no HTTP, no locks, time is passed in; finding the capture is the caller's.

use serde_json::Value;
use time::OffsetDateTime;

use super::order::{AppliedFee, Capture, Order, Status};
use super::rules::{NOT_ALLOWED, Refusal, refuse};
use super::snapshot::FeeKind;

/// Most shipping-info entries one capture, or one order, can hold.
pub(crate) const MAX_SHIPPING_INFO: usize = 500;

// Klarna does not document a limit on shipping info accumulated over several
// requests (one request carries at most 500 entries); we choose 500 in total,
// refused with 403 NOT_ALLOWED, so a capture never holds more than one capture
// request could have given it and memory stays bounded.
fn append(held: &mut Vec<Value>, new: Vec<Value>, what: &str) -> Result<(), Refusal> {
    if held.len().saturating_add(new.len()) > MAX_SHIPPING_INFO {
        return Err(refuse(
            NOT_ALLOWED,
            format!(
                "At most {MAX_SHIPPING_INFO} shipping info entries can be held by one {what}; it holds {}. Shipping info cannot be added.",
                held.len()
            ),
        ));
    }
    held.extend(new);
    Ok(())
}

/// `POST …/captures/{capture_id}/shipping-info`: appends, never replaces.
pub(crate) fn append_capture_shipping_info(
    capture: &mut Capture,
    info: Vec<Value>,
) -> Result<(), Refusal> {
    append(&mut capture.shipping_info, info, "capture")
}

// Klarna documents no refusal for order-level shipping info (only 404); we
// choose to accept it in every status, the limit above aside.
/// `POST …/shipping-info`: appends to the order's own shipping info.
pub(crate) fn append_order_shipping_info(
    order: &mut Order,
    info: Vec<Value>,
) -> Result<(), Refusal> {
    append(&mut order.shipping_info, info, "order")
}

// Klarna documents only "order has no captures" as a refusal (the caller
// checks it); we choose to allow a send-out for every capture that exists,
// refunded or not, because the customer may need the credit note too.
/// `POST …/captures/{capture_id}/trigger-send-out`: counted, nothing else.
pub(crate) fn trigger_send_out(capture: &mut Capture) {
    capture.send_outs = capture.send_outs.saturating_add(1);
}

/// The due-date extensions offered on an eligible capture: (days, fee in minor
/// units of the purchase currency).
// Klarna documents that the options carry the fee the merchant pays but not
// the fees themselves (they are in the merchant's contract); we choose flat
// fees of 1.95, 2.95 and 4.95 in the purchase currency for 7, 14 and 30 days,
// so a test can predict them exactly.
pub(crate) const DUE_DATE_OPTIONS: &[(i64, i64)] = &[(7, 195), (14, 295), (30, 495)];

/// Pay-later methods, the only ones whose due date Klarna extends.
const PAY_LATER: &[&str] = &[
    "INVOICE",
    "INVOICE_BUSINESS",
    "B2B_INVOICE",
    "PAY_IN_X",
    "PAY_LATER_IN_PARTS",
    "PAY_LATER_BY_CARD",
];

// Klarna documents that only pay-later orders can have their due date
// extended and that the options "may be empty, meaning no options are
// currently available". We choose these further rules: a capture is extended
// at most once (Klarna's merchant tooling speaks of one postponement per
// invoice); a fully refunded capture has nothing left to pay; a CLOSED order's
// invoices are settled.
/// Why `capture` cannot have its due date extended, if it cannot.
fn due_date_refusal(order: &Order, capture: &Capture, now: OffsetDateTime) -> Option<Refusal> {
    const WHAT: &str = "Extension of due date not possible.";
    let method = order.payment_method();
    let reason = if !PAY_LATER.contains(&method) {
        format!("Payment method {method} is not a pay later method. {WHAT}")
    } else if order.effective_status(now) == Status::Closed {
        format!("Order is closed. {WHAT}")
    } else if let Some(days) = capture.due_date_extension_days {
        format!(
            "Due date of capture {} was already extended by {days} days. {WHAT}",
            capture.capture_id
        )
    } else if capture.refundable() <= 0 {
        format!("Capture {} is fully refunded. {WHAT}", capture.capture_id)
    } else {
        return None;
    };
    Some(refuse(NOT_ALLOWED, reason))
}

/// `GET …/extend-due-date-options`: every option, or none when the capture
/// cannot be extended (Klarna answers 200 with an empty list then).
pub(crate) fn due_date_options(
    order: &Order,
    capture: &Capture,
    now: OffsetDateTime,
) -> &'static [(i64, i64)] {
    if due_date_refusal(order, capture, now).is_some() {
        &[]
    } else {
        DUE_DATE_OPTIONS
    }
}

/// `PATCH …/extend-due-date`: extends the capture `capture_id` (which the
/// caller found) by one of the offered `number_of_days` and charges its fee.
pub(crate) fn extend_due_date(
    order: &mut Order,
    capture_id: &str,
    number_of_days: i64,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    let Some(capture) = order.captures.iter().find(|c| c.capture_id == capture_id) else {
        return Err(refuse(NOT_ALLOWED, "Capture not found."));
    };
    if let Some(refusal) = due_date_refusal(order, capture, now) {
        return Err(refusal);
    }
    let Some(&(_, fee)) = DUE_DATE_OPTIONS
        .iter()
        .find(|(days, _)| *days == number_of_days)
    else {
        let offered: Vec<String> = DUE_DATE_OPTIONS
            .iter()
            .map(|(d, _)| d.to_string())
            .collect();
        return Err(refuse(
            NOT_ALLOWED,
            format!(
                "{number_of_days} days is not one of the available options ({} days). Extension of due date not possible.",
                offered.join(", ")
            ),
        ));
    };
    let currency = order.purchase_currency.clone();
    if let Some(capture) = order.capture_mut(capture_id) {
        capture.due_date_extension_days = Some(number_of_days);
    }
    order.fees.push(AppliedFee {
        kind: FeeKind::ExtendDueDate,
        capture_id: capture_id.to_owned(),
        amount: fee,
        currency,
        charged_at: now,
        number_of_days,
    });
    Ok(())
}
