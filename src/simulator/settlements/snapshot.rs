//! Plain-data views of the settlement ledger for test assertions.

use time::OffsetDateTime;

use super::kinds::{DetailedType, TransactionType};
use super::ledger::{Payout, Transaction};
use super::totals::Totals;

/// One settlement transaction as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionSnapshot {
    /// The Klarna host whose Settlements API shows it.
    pub host: String,
    /// `SALE`, `RETURN`, `FEE`, …
    pub transaction_type: TransactionType,
    /// `PURCHASE`, `EXTEND_DUE_DATE_FEE`, …
    pub detailed_type: Option<DetailedType>,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// The order it belongs to.
    pub order_id: String,
    /// The capture (for a SALE, or the capture a fee is for).
    pub capture_id: Option<String>,
    /// The refund (for a RETURN).
    pub refund_id: Option<String>,
    /// When Klarna registered it.
    pub capture_date: OffsetDateTime,
    /// The payout that settled it; `None` while unsettled.
    pub payment_reference: Option<String>,
}

impl From<&Transaction> for TransactionSnapshot {
    fn from(tx: &Transaction) -> Self {
        Self {
            host: tx.host.clone(),
            transaction_type: tx.kind,
            detailed_type: tx.detailed_type,
            amount: tx.amount,
            currency: tx.currency.clone(),
            order_id: tx.order_id.clone(),
            capture_id: tx.capture_id.clone(),
            refund_id: tx.refund_id.clone(),
            capture_date: tx.capture_date,
            payment_reference: tx.payment_reference.clone(),
        }
    }
}

/// One payout a payout run made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutSnapshot {
    /// The Klarna host whose Settlements API shows it.
    pub host: String,
    /// The reference on the merchant's bank statement.
    pub payment_reference: String,
    /// ISO 4217.
    pub currency: String,
    /// When Klarna paid it out (the run's cut-off).
    pub payout_date: OffsetDateTime,
    /// Its totals, as `GET /payouts/{payment_reference}` shows them.
    pub totals: Totals,
    /// How many transactions it settled.
    pub transactions: usize,
}

impl From<&Payout> for PayoutSnapshot {
    fn from(p: &Payout) -> Self {
        Self {
            host: p.host.clone(),
            payment_reference: p.payment_reference.clone(),
            currency: p.currency.clone(),
            payout_date: p.payout_date,
            totals: p.totals,
            transactions: p.transaction_count,
        }
    }
}
