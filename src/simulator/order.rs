//! The order model: orders, captures, refunds and their status. Pure data plus
//! the derived "effective" view (expiry is computed from simulated time).

use serde_json::Value;
use time::OffsetDateTime;

use super::snapshot::{CaptureSnapshot, OrderSnapshot, RefundSnapshot};

/// How long an authorization lasts (Klarna's default authorization period).
pub(crate) const AUTHORIZATION_PERIOD: time::Duration = time::Duration::days(28);

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
            captures: self
                .captures
                .iter()
                .map(|c| CaptureSnapshot {
                    capture_id: c.capture_id.clone(),
                    captured_amount: c.captured_amount,
                    refunded_amount: c.refunded_amount,
                    reference: c.reference.clone(),
                })
                .collect(),
            refunds: self
                .refunds
                .iter()
                .map(|r| RefundSnapshot {
                    refund_id: r.refund_id.clone(),
                    refunded_amount: r.refunded_amount,
                })
                .collect(),
        }
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
