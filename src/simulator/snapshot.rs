//! Plain-data views of an order for test assertions.

/// An order's amounts and status as of simulated now (the same values GET order
/// returns; `status` reads `EXPIRED` once the authorization has lapsed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSnapshot {
    /// The Klarna host the order lives on, e.g. `api-na.klarna.com`.
    pub host: String,
    /// `AUTHORIZED`, `PART_CAPTURED`, `CAPTURED`, `CANCELLED`, `EXPIRED` or `CLOSED`.
    pub status: String,
    /// `ACCEPTED`, `PENDING` or `REJECTED`.
    pub fraud_status: String,
    /// Current authorized total, minor units.
    pub order_amount: i64,
    /// Sum of all captures.
    pub captured_amount: i64,
    /// Sum of all refunds.
    pub refunded_amount: i64,
    /// What can still be captured (0 after cancel, release or expiry).
    pub remaining_authorized_amount: i64,
    /// ISO 4217 purchase currency.
    pub currency: String,
    /// Captures, oldest first.
    pub captures: Vec<CaptureSnapshot>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundSnapshot>,
}

/// One capture of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureSnapshot {
    /// The `Capture-Id` the API returned.
    pub capture_id: String,
    /// Amount captured.
    pub captured_amount: i64,
    /// Part of this capture that refunds were allocated to.
    pub refunded_amount: i64,
    /// The capture's `reference`, if one was sent.
    pub reference: Option<String>,
}

/// One refund of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSnapshot {
    /// The `Refund-Id` the API returned.
    pub refund_id: String,
    /// Amount refunded.
    pub refunded_amount: i64,
}
