//! The order model: orders, captures, refunds, the fees Klarna charged the
//! merchant, and their status. Pure data plus the derived "effective" view
//! (expiry is computed from simulated time).

use serde_json::Value;
use time::OffsetDateTime;

use super::snapshot::{
    CaptureSnapshot, FeeKind, FeeSnapshot, LedgerEntry, MovementKind, OrderSnapshot, RefundSnapshot,
};

/// How long an authorization lasts (Klarna's default authorization period).
pub(crate) const AUTHORIZATION_PERIOD: time::Duration = time::Duration::days(28);

/// How far after the purchase an authorization can be extended (Klarna: "up
/// to 180 days after it's created").
pub(crate) const MAX_AUTHORIZATION_SPAN: time::Duration = time::Duration::days(180);

// Klarna documents a default authorization period of 28 days but not the time
// of day an authorization ends; its sample order created at
// 2022-07-08T09:48:16.680Z expires at 2022-08-05T00:00:00.000Z. We choose that
// rule: an authorization ends at midnight UTC starting the 28th day after the
// purchase date, so it lasts a little less than 28 days (more than 27).
/// When an authorization made at `created_at` expires.
pub(crate) fn authorization_expiry(created_at: OffsetDateTime) -> OffsetDateTime {
    let date = created_at.to_offset(time::UtcOffset::UTC).date();
    let date = date.checked_add(AUTHORIZATION_PERIOD).unwrap_or(date);
    date.midnight().assume_utc()
}

/// The latest expiry an extension can give an order made at `created_at`:
/// midnight UTC starting the 180th day after the purchase date (the same
/// day-based rule as [`authorization_expiry`]).
pub(crate) fn latest_authorization_expiry(created_at: OffsetDateTime) -> OffsetDateTime {
    let date = created_at.to_offset(time::UtcOffset::UTC).date();
    let date = date.checked_add(MAX_AUTHORIZATION_SPAN).unwrap_or(date);
    date.midnight().assume_utc()
}

/// Klarna's order statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Authorized,
    PartCaptured,
    Captured,
    Cancelled,
    /// Never stored: computed when `expires_at` has passed (see [`Order::effective_status`]).
    Expired,
    Closed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Authorized => "AUTHORIZED",
            Status::PartCaptured => "PART_CAPTURED",
            Status::Captured => "CAPTURED",
            Status::Cancelled => "CANCELLED",
            Status::Expired => "EXPIRED",
            Status::Closed => "CLOSED",
        }
    }
}

/// One capture.
#[derive(Debug, Clone)]
pub(crate) struct Capture {
    pub(crate) capture_id: String,
    pub(crate) klarna_reference: String,
    pub(crate) captured_amount: i64,
    pub(crate) captured_at: OffsetDateTime,
    pub(crate) description: Option<String>,
    pub(crate) reference: Option<String>,
    pub(crate) order_lines: Vec<Value>,
    pub(crate) refunded_amount: i64,
    pub(crate) shipping_info: Vec<Value>,
    /// Where this capture was shipped: the order's shipping address when it
    /// was captured (a later address change does not move a parcel).
    pub(crate) shipping_address: Value,
    /// Days the customer's payment due date was extended by, once extended.
    pub(crate) due_date_extension_days: Option<i64>,
    /// How many times the customer communication was sent out again.
    pub(crate) send_outs: u32,
}

impl Capture {
    /// What can still be refunded against this capture.
    pub(crate) fn refundable(&self) -> i64 {
        self.captured_amount
            .saturating_sub(self.refunded_amount)
            .max(0)
    }

    /// Whether one of the capture's lines carries `reference`.
    pub(crate) fn has_line_reference(&self, reference: &str) -> bool {
        self.order_lines
            .iter()
            .any(|l| l.get("reference").and_then(Value::as_str) == Some(reference))
    }
}

/// One refund.
#[derive(Debug, Clone)]
pub(crate) struct Refund {
    pub(crate) refund_id: String,
    pub(crate) refunded_amount: i64,
    pub(crate) refunded_at: OffsetDateTime,
    pub(crate) description: Option<String>,
    pub(crate) reference: Option<String>,
    pub(crate) order_lines: Vec<Value>,
}

/// A fee Klarna charged the merchant on one of the order's captures.
#[derive(Debug, Clone)]
pub(crate) struct AppliedFee {
    pub(crate) kind: FeeKind,
    pub(crate) capture_id: String,
    /// Minor units of `currency`.
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) charged_at: OffsetDateTime,
    /// For a due-date extension: by how many days.
    pub(crate) number_of_days: i64,
}

/// One order. `status` is the stored status; use [`Order::effective_status`].
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) order_id: String,
    /// The Klarna host the order lives on; every other host does not know it.
    pub(crate) host: String,
    pub(crate) status: Status,
    pub(crate) fraud_status: String,
    pub(crate) order_amount: i64,
    pub(crate) original_order_amount: i64,
    pub(crate) captured_amount: i64,
    pub(crate) refunded_amount: i64,
    pub(crate) remaining_authorized_amount: i64,
    pub(crate) purchase_country: String,
    pub(crate) purchase_currency: String,
    pub(crate) locale: String,
    pub(crate) order_lines: Vec<Value>,
    pub(crate) merchant_reference1: Option<String>,
    pub(crate) merchant_reference2: Option<String>,
    pub(crate) klarna_reference: String,
    pub(crate) customer: Option<Value>,
    pub(crate) billing_address: Value,
    pub(crate) shipping_address: Value,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) captures: Vec<Capture>,
    pub(crate) refunds: Vec<Refund>,
    pub(crate) initial_payment_method: Value,
    /// Order-level shipping info (`POST …/shipping-info`), oldest first.
    pub(crate) shipping_info: Vec<Value>,
    /// Placed through Klarna Checkout, the only orders that can be acknowledged.
    pub(crate) klarna_checkout: bool,
    /// Acknowledged explicitly (a capture also counts: see [`Order::is_acknowledged`]).
    pub(crate) acknowledged: bool,
    /// Klarna's risk assessment says no to any increase of the order amount
    /// (a seeded fact; see `amend::update_authorization`).
    pub(crate) increase_refused: bool,
    /// Fees Klarna charged the merchant for this order, oldest first.
    pub(crate) fees: Vec<AppliedFee>,
}

impl Order {
    /// The status a reader sees at `now`: AUTHORIZED and PART_CAPTURED orders
    /// read as EXPIRED once `expires_at` has passed.
    pub(crate) fn effective_status(&self, now: OffsetDateTime) -> Status {
        match self.status {
            Status::Authorized | Status::PartCaptured if now >= self.expires_at => Status::Expired,
            s => s,
        }
    }

    // Klarna does not document `remaining_authorized_amount` after expiry; we
    // choose to report 0 because nothing can be captured any more, and a
    // non-zero value would invite a doomed capture.
    /// What can still be captured at `now` (0 once expired).
    pub(crate) fn effective_remaining(&self, now: OffsetDateTime) -> i64 {
        if self.effective_status(now) == Status::Expired {
            0
        } else {
            self.remaining_authorized_amount
        }
    }

    /// `initial_payment_method.type`, e.g. `INVOICE` (empty when missing).
    pub(crate) fn payment_method(&self) -> &str {
        self.initial_payment_method
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Klarna: "Orders are also considered acknowledged if captured."
    pub(crate) fn is_acknowledged(&self) -> bool {
        self.acknowledged || !self.captures.is_empty()
    }

    /// The capture with this (canonical) id.
    pub(crate) fn capture_mut(&mut self, capture_id: &str) -> Option<&mut Capture> {
        self.captures
            .iter_mut()
            .find(|c| c.capture_id == capture_id)
    }

    /// What can still be refunded across all captures.
    pub(crate) fn refundable(&self) -> i64 {
        self.captured_amount
            .saturating_sub(self.refunded_amount)
            .max(0)
    }

    pub(crate) fn snapshot(&self, now: OffsetDateTime) -> OrderSnapshot {
        OrderSnapshot {
            host: self.host.clone(),
            status: self.effective_status(now).as_str().to_owned(),
            fraud_status: self.fraud_status.clone(),
            order_amount: self.order_amount,
            captured_amount: self.captured_amount,
            refunded_amount: self.refunded_amount,
            remaining_authorized_amount: self.effective_remaining(now),
            currency: self.purchase_currency.clone(),
            expires_at: self.expires_at,
            merchant_reference1: self.merchant_reference1.clone(),
            merchant_reference2: self.merchant_reference2.clone(),
            klarna_checkout: self.klarna_checkout,
            acknowledged: self.is_acknowledged(),
            shipping_info_count: self.shipping_info.len(),
            captures: self
                .captures
                .iter()
                .map(|c| CaptureSnapshot {
                    capture_id: c.capture_id.clone(),
                    captured_amount: c.captured_amount,
                    refunded_amount: c.refunded_amount,
                    reference: c.reference.clone(),
                    captured_at: c.captured_at,
                    shipping_info_count: c.shipping_info.len(),
                    due_date_extension_days: c.due_date_extension_days,
                    send_outs: c.send_outs,
                })
                .collect(),
            refunds: self
                .refunds
                .iter()
                .map(|r| RefundSnapshot {
                    refund_id: r.refund_id.clone(),
                    refunded_amount: r.refunded_amount,
                    refunded_at: r.refunded_at,
                    reference: r.reference.clone(),
                })
                .collect(),
            fees: self
                .fees
                .iter()
                .map(|f| FeeSnapshot {
                    kind: f.kind,
                    capture_id: f.capture_id.clone(),
                    amount: f.amount,
                    currency: f.currency.clone(),
                    charged_at: f.charged_at,
                    number_of_days: f.number_of_days,
                })
                .collect(),
        }
    }
}

impl Order {
    /// Every applied capture, refund and fee of this order, in the order
    /// they were applied within each kind (the caller sorts across kinds).
    pub(crate) fn ledger(&self) -> Vec<LedgerEntry> {
        let entry = |kind, at, amount, capture_id, refund_id, reference| LedgerEntry {
            kind,
            at,
            host: self.host.clone(),
            order_id: self.order_id.clone(),
            amount,
            currency: self.purchase_currency.clone(),
            capture_id,
            refund_id,
            reference,
            purchase_country: self.purchase_country.clone(),
            klarna_reference: self.klarna_reference.clone(),
            merchant_reference1: self.merchant_reference1.clone(),
            merchant_reference2: self.merchant_reference2.clone(),
            order_created_at: self.created_at,
            payment_method: self.payment_method().to_owned(),
        };
        let captures = self.captures.iter().map(|c| {
            entry(
                MovementKind::Capture,
                c.captured_at,
                c.captured_amount,
                Some(c.capture_id.clone()),
                None,
                c.reference.clone(),
            )
        });
        let refunds = self.refunds.iter().map(|r| {
            entry(
                MovementKind::Refund,
                r.refunded_at,
                r.refunded_amount,
                None,
                Some(r.refund_id.clone()),
                r.reference.clone(),
            )
        });
        let fees = self.fees.iter().map(|f| LedgerEntry {
            currency: f.currency.clone(),
            ..entry(
                MovementKind::Fee(f.kind),
                f.charged_at,
                f.amount,
                Some(f.capture_id.clone()),
                None,
                None,
            )
        });
        captures.chain(refunds).chain(fees).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::format_description::well_known::Rfc3339;

    #[test]
    fn authorizations_end_at_midnight_utc_28_days_after_the_purchase_date() {
        let at = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
        for (created, expires) in [
            ("2022-07-08T09:48:16.680Z", "2022-08-05T00:00:00Z"),
            ("2024-02-01T23:59:59Z", "2024-02-29T00:00:00Z"),
            ("2024-02-02T00:30:00+02:00", "2024-02-29T00:00:00Z"),
        ] {
            assert_eq!(authorization_expiry(at(created)), at(expires), "{created}");
        }
    }
}
