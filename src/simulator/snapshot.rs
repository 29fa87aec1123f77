//! Plain-data views of an order for test assertions, and of the money that
//! moved ([`LedgerEntry`]) for anything that turns applied captures, refunds
//! and fees into settlement transactions.

use time::OffsetDateTime;

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
    /// When the authorization ends (moved by extend-authorization-time).
    pub expires_at: OffsetDateTime,
    /// The merchant's order number, if set.
    pub merchant_reference1: Option<String>,
    /// The merchant's second reference, if set.
    pub merchant_reference2: Option<String>,
    /// Placed through Klarna Checkout (the only orders that can be acknowledged).
    pub klarna_checkout: bool,
    /// Acknowledged, or captured (which Klarna counts as acknowledged too).
    pub acknowledged: bool,
    /// How many order-level shipping-info entries the order carries.
    pub shipping_info_count: usize,
    /// Captures, oldest first.
    pub captures: Vec<CaptureSnapshot>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundSnapshot>,
    /// Fees Klarna charged the merchant for this order, oldest first.
    pub fees: Vec<FeeSnapshot>,
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
    /// When it was captured (simulated time).
    pub captured_at: OffsetDateTime,
    /// How many shipping-info entries the capture carries.
    pub shipping_info_count: usize,
    /// By how many days the customer's due date was extended, once it was.
    pub due_date_extension_days: Option<i64>,
    /// How many times the customer communication was sent out again.
    pub send_outs: u32,
}

/// One refund of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundSnapshot {
    /// The `Refund-Id` the API returned.
    pub refund_id: String,
    /// Amount refunded.
    pub refunded_amount: i64,
    /// When it was refunded (simulated time).
    pub refunded_at: OffsetDateTime,
    /// The refund's `reference`, if one was sent.
    pub reference: Option<String>,
}

/// What a fee Klarna charges the merchant is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeeKind {
    /// Extending a capture's payment due date (`PATCH …/extend-due-date`).
    ExtendDueDate,
}

impl FeeKind {
    /// The settlement `detailed_type` of the fee, e.g. `EXTEND_DUE_DATE_FEE`.
    pub fn as_str(self) -> &'static str {
        match self {
            FeeKind::ExtendDueDate => "EXTEND_DUE_DATE_FEE",
        }
    }
}

/// One fee Klarna charged the merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeSnapshot {
    /// What the fee is for.
    pub kind: FeeKind,
    /// The capture it was charged on.
    pub capture_id: String,
    /// Minor units of `currency`, positive (a charge to the merchant).
    pub amount: i64,
    /// ISO 4217, the order's purchase currency.
    pub currency: String,
    /// When it was charged (simulated time).
    pub charged_at: OffsetDateTime,
    /// For a due-date extension: by how many days.
    pub number_of_days: i64,
}

/// What moved money in a [`LedgerEntry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// A capture: the merchant sold `amount`.
    Capture,
    /// A refund: `amount` went back to the customer.
    Refund,
    /// A fee Klarna charged the merchant.
    Fee(FeeKind),
}

impl MovementKind {
    /// `CAPTURE`, `REFUND`, or the fee's kind (e.g. `EXTEND_DUE_DATE_FEE`).
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Capture => "CAPTURE",
            MovementKind::Refund => "REFUND",
            MovementKind::Fee(kind) => kind.as_str(),
        }
    }
}

/// One applied money movement on one order: a capture, a refund or a fee, as
/// [`super::Simulator::ledger`] lists them. Refused, faulted-before-commit and
/// replayed requests never appear; seeded history does (at its seeded time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// What moved.
    pub kind: MovementKind,
    /// When it was applied (simulated time).
    pub at: OffsetDateTime,
    /// The Klarna host the order lives on.
    pub host: String,
    /// The order.
    pub order_id: String,
    /// Minor units of `currency`, always positive; `kind` says the direction.
    pub amount: i64,
    /// ISO 4217, the order's purchase currency.
    pub currency: String,
    /// The capture (for a capture, and the capture a fee was charged on).
    pub capture_id: Option<String>,
    /// The refund (for a refund).
    pub refund_id: Option<String>,
    /// The merchant's `reference` of the capture or refund, if one was sent.
    pub reference: Option<String>,
    /// The order's purchase country (ISO 3166-1 alpha-2).
    pub purchase_country: String,
    /// The order's short Klarna reference.
    pub klarna_reference: String,
    /// The order's merchant references as they are now.
    pub merchant_reference1: Option<String>,
    /// See `merchant_reference1`.
    pub merchant_reference2: Option<String>,
    /// When the order was placed (the settlement `sale_date`).
    pub order_created_at: OffsetDateTime,
    /// `initial_payment_method.type`, e.g. `INVOICE`.
    pub payment_method: String,
}
