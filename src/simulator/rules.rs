//! Klarna's business rules: the order state machine (capture, refund, cancel,
//! release) and the 403 refusals with Klarna's codes and messages. The orders
//! themselves live in `order` and the shared state in `shared`; this module
//! only decides. Pure: no HTTP, no locks, time is passed in.

use serde_json::Value;
use time::OffsetDateTime;

use super::order::{Capture, Order, Refund, Status};

/// A 403 business-rule refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

pub(crate) fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// A validated capture request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CaptureRequest {
    pub(crate) captured_amount: i64,
    pub(crate) description: Option<String>,
    pub(crate) reference: Option<String>,
    pub(crate) order_lines: Vec<Value>,
    pub(crate) shipping_info: Vec<Value>,
}

/// A validated refund request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RefundRequest {
    pub(crate) refunded_amount: i64,
    pub(crate) description: Option<String>,
    pub(crate) reference: Option<String>,
    pub(crate) order_lines: Vec<Value>,
}

const CAPTURE_NOT_ALLOWED: &str = "CAPTURE_NOT_ALLOWED";
const REFUND_NOT_ALLOWED: &str = "REFUND_NOT_ALLOWED";
const CANCEL_NOT_ALLOWED: &str = "CANCEL_NOT_ALLOWED";
/// The code of every refusal outside capture, refund and cancel.
pub(crate) const NOT_ALLOWED: &str = "NOT_ALLOWED";

/// Creates a capture; returns its id.
pub(crate) fn capture(
    order: &mut Order,
    req: CaptureRequest,
    now: OffsetDateTime,
) -> Result<String, Refusal> {
    match order.effective_status(now) {
        Status::Cancelled => {
            return Err(refuse(
                CAPTURE_NOT_ALLOWED,
                "Order is cancelled. Capture not possible.",
            ));
        }
        Status::Expired => {
            return Err(refuse(
                CAPTURE_NOT_ALLOWED,
                "Order has expired. Capture not possible.",
            ));
        }
        Status::Closed => {
            return Err(refuse(
                CAPTURE_NOT_ALLOWED,
                "Order is closed. Capture not possible.",
            ));
        }
        Status::Authorized | Status::PartCaptured | Status::Captured => {}
    }
    // Klarna does not document the code for a PENDING/REJECTED fraud status; we
    // choose CAPTURE_NOT_ALLOWED because it is the one code Klarna uses for
    // "this order cannot be captured now", and Klarna's own order-management
    // plugins refuse to capture until the fraud status is ACCEPTED.
    match order.fraud_status.as_str() {
        "PENDING" => {
            return Err(refuse(
                CAPTURE_NOT_ALLOWED,
                "Order fraud status is PENDING: it cannot be captured until Klarna has accepted it. Capture not possible.",
            ));
        }
        "REJECTED" => {
            return Err(refuse(
                CAPTURE_NOT_ALLOWED,
                "Order fraud status is REJECTED. Capture not possible.",
            ));
        }
        _ => {}
    }
    // Klarna does not document what a zero capture does (the request schema
    // allows 0, a stored capture has minimum 1); we choose a 403 refusal
    // because the body is schema-valid and it is a business rule that rejects it.
    if req.captured_amount <= 0 {
        return Err(refuse(
            CAPTURE_NOT_ALLOWED,
            "Captured amount must be greater than zero. Capture not possible.",
        ));
    }
    if req.captured_amount > order.effective_remaining(now) {
        return Err(refuse(
            CAPTURE_NOT_ALLOWED,
            "Captured amount is higher than the remaining authorized amount. Capture not possible.",
        ));
    }
    let capture_id = uuid::Uuid::new_v4().to_string();
    let number = order.captures.len().saturating_add(1);
    order.captures.push(Capture {
        capture_id: capture_id.clone(),
        klarna_reference: format!("{}-{number}", order.klarna_reference),
        captured_amount: req.captured_amount,
        captured_at: now,
        description: req.description,
        reference: req.reference,
        order_lines: req.order_lines,
        refunded_amount: 0,
        shipping_info: req.shipping_info,
        shipping_address: order.shipping_address.clone(),
        due_date_extension_days: None,
        send_outs: 0,
    });
    order.captured_amount = order.captured_amount.saturating_add(req.captured_amount);
    order.remaining_authorized_amount = order
        .remaining_authorized_amount
        .saturating_sub(req.captured_amount);
    order.status = if order.remaining_authorized_amount <= 0 {
        Status::Captured
    } else {
        Status::PartCaptured
    };
    Ok(capture_id)
}

// Klarna does not document the status after a full refund; we choose to leave
// it unchanged (CAPTURED / PART_CAPTURED) because CLOSED is only a guess.
//
// Klarna does not document refunds on expired orders; we choose to allow them
// because expiry ends the right to capture, not the money already captured.
//
// Klarna does not document how it allocates a refund whose lines match no
// capture; we choose oldest capture first because it is the simplest order a
// reader can predict, and every refund must land on some capture for
// `capture.refunded_amount` to add up.
/// Creates a refund, allocated to captures; returns its id.
pub(crate) fn refund(
    order: &mut Order,
    req: RefundRequest,
    now: OffsetDateTime,
) -> Result<String, Refusal> {
    if order.captures.is_empty() {
        return Err(refuse(
            REFUND_NOT_ALLOWED,
            "Order has no captures. Refund not possible.",
        ));
    }
    // Klarna does not document a zero refund; we choose to refuse it like a zero
    // capture because it would create an empty credit note.
    if req.refunded_amount <= 0 {
        return Err(refuse(
            REFUND_NOT_ALLOWED,
            "Refunded amount must be greater than zero. Refund not possible.",
        ));
    }
    if req.refunded_amount > order.refundable() {
        return Err(refuse(
            REFUND_NOT_ALLOWED,
            "Over refund is not allowed. Refund not possible.",
        ));
    }
    allocate(&mut order.captures, req.refunded_amount, &req.order_lines);
    let refund_id = uuid::Uuid::new_v4().to_string();
    order.refunds.push(Refund {
        refund_id: refund_id.clone(),
        refunded_amount: req.refunded_amount,
        refunded_at: now,
        description: req.description,
        reference: req.reference,
        order_lines: req.order_lines,
    });
    order.refunded_amount = order.refunded_amount.saturating_add(req.refunded_amount);
    Ok(refund_id)
}

/// Spreads `amount` over captures: first to captures whose lines share a
/// `reference` with a refund line (up to that line's total), then FIFO.
/// The caller guarantees `amount` ≤ the order's refundable total.
fn allocate(captures: &mut [Capture], amount: i64, lines: &[Value]) {
    let mut left = amount;
    for line in lines {
        let reference = line.get("reference").and_then(Value::as_str).unwrap_or("");
        let total = line
            .get("total_amount")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if reference.is_empty() || total <= 0 {
            continue;
        }
        let mut want = total.min(left);
        for c in captures
            .iter_mut()
            .filter(|c| c.has_line_reference(reference))
        {
            let take = c.refundable().min(want);
            c.refunded_amount = c.refunded_amount.saturating_add(take);
            want = want.saturating_sub(take);
            left = left.saturating_sub(take);
        }
    }
    for c in captures.iter_mut() {
        let take = c.refundable().min(left);
        c.refunded_amount = c.refunded_amount.saturating_add(take);
        left = left.saturating_sub(take);
    }
}

/// Cancels an order that has no captures.
pub(crate) fn cancel(order: &mut Order, now: OffsetDateTime) -> Result<(), Refusal> {
    if !order.captures.is_empty() {
        return Err(refuse(
            CANCEL_NOT_ALLOWED,
            "Order has previous captures. Cancel not possible.",
        ));
    }
    match order.effective_status(now) {
        // Klarna does not document cancelling a cancelled order; we choose 403
        // (like a closed order) rather than a silent 204 because a client must
        // not mistake "nothing happened" for "I cancelled it".
        Status::Cancelled => Err(refuse(
            CANCEL_NOT_ALLOWED,
            "Order is already cancelled. Cancel not possible.",
        )),
        Status::Closed => Err(refuse(
            CANCEL_NOT_ALLOWED,
            "Order is closed. Cancel not possible.",
        )),
        Status::Expired => Err(refuse(
            CANCEL_NOT_ALLOWED,
            "Order has expired. Cancel not possible.",
        )),
        Status::Authorized | Status::PartCaptured | Status::Captured => {
            order.status = Status::Cancelled;
            order.remaining_authorized_amount = 0;
            Ok(())
        }
    }
}

// Klarna does not document the status after a release; we choose CAPTURED
// (with `remaining_authorized_amount` 0) because everything that will ever be
// captured has been, which is what CAPTURED means to a reader.
//
// Klarna does not document release on an expired or closed order; we choose
// 403 NOT_ALLOWED because there is no authorization left to release.
/// Releases the remaining authorization of a partly captured order.
pub(crate) fn release(order: &mut Order, now: OffsetDateTime) -> Result<(), Refusal> {
    match order.effective_status(now) {
        Status::Cancelled => {
            return Err(refuse(
                NOT_ALLOWED,
                "Order is cancelled. Remaining authorization cannot be released.",
            ));
        }
        Status::Closed => {
            return Err(refuse(
                NOT_ALLOWED,
                "Order is closed. Remaining authorization cannot be released.",
            ));
        }
        Status::Expired => {
            return Err(refuse(
                NOT_ALLOWED,
                "Order has expired. Remaining authorization cannot be released.",
            ));
        }
        Status::Authorized | Status::PartCaptured | Status::Captured => {}
    }
    if order.captures.is_empty() {
        return Err(refuse(
            NOT_ALLOWED,
            "Order has no captures. Remaining authorization cannot be released; cancel the order instead.",
        ));
    }
    if order.remaining_authorized_amount <= 0 {
        return Err(refuse(
            NOT_ALLOWED,
            "Order is fully captured. Remaining authorization cannot be released.",
        ));
    }
    order.remaining_authorized_amount = 0;
    order.status = Status::Captured;
    Ok(())
}
