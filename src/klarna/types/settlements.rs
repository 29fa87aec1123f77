//! Klarna Settlements wire types (snake_case JSON): payouts with their totals, payout
//! summaries per currency, settlement transactions, and the pagination of collections.
//!
//! Read models are as tolerant as Order Management's (see `lenient.rs`): every field is
//! optional, `null` lists read as empty, `1.0` reads as 1, unknown fields are ignored — Klarna
//! documents most fields as optional and adds values over time (transaction `type` and
//! `detailed_type` are kept as strings for that reason). Amounts are minor units.
//!
//! Reference: <https://docs.klarna.com/settlement-reports/api>

use serde::{Deserialize, Serialize};

use super::super::lenient;

/// `Pagination` of a collection: how many were returned, how many there are, where this
/// page starts, and links to the neighbouring pages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pagination {
    /// Elements in this page.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub count: Option<i64>,
    /// Elements in the whole collection.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
    /// URI of the next page (Klarna's; never followed as is).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub next: Option<String>,
    /// URI of the previous page.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub prev: Option<String>,
    /// Where this page starts.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub offset: Option<i64>,
}

/// `Totals` of one payout, minor units of its currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PayoutTotals {
    /// Commissions.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub commission_amount: Option<i64>,
    /// Debt repaid out of this payout.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub repay_amount: Option<i64>,
    /// Sales (captures).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub sale_amount: Option<i64>,
    /// Withheld by Klarna.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub holdback_amount: Option<i64>,
    /// Tax (VAT on fees).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub tax_amount: Option<i64>,
    /// What was paid out.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub settlement_amount: Option<i64>,
    /// Fee corrections.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub fee_correction_amount: Option<i64>,
    /// Reversals (disputes lost).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub reversal_amount: Option<i64>,
    /// Released from holdback.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub release_amount: Option<i64>,
    /// Returns (refunds).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub return_amount: Option<i64>,
    /// Klarna's fees.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub fee_amount: Option<i64>,
    /// Charges.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub charge_amount: Option<i64>,
    /// Credits.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub credit_amount: Option<i64>,
    /// Refunded fees.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub fee_refund_amount: Option<i64>,
    /// Refunded tax.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub tax_refund_amount: Option<i64>,
    /// Added to the merchant's debt with Klarna by this payout.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub deposit_amount: Option<i64>,
    /// Debt before this payout.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub opening_debt_balance_amount: Option<i64>,
    /// Debt after this payout.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub closing_debt_balance_amount: Option<i64>,
}

/// A payout as `GET /settlements/v1/payouts/{payment_reference}` returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Payout {
    /// What it adds up to.
    #[serde(deserialize_with = "lenient::opt_struct")]
    pub totals: Option<PayoutTotals>,
    /// Its reference, as on the bank statement.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub payment_reference: Option<String>,
    /// When it was paid (ISO 8601).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub payout_date: Option<String>,
    /// ISO 4217 currency of every amount.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub currency_code: Option<String>,
    /// ISO 4217 currency of the merchant's registration country.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub currency_code_of_registration_country: Option<String>,
    /// NET, GROSS or GROSS_FEE.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub merchant_settlement_type: Option<String>,
    /// The merchant id it was paid to.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub merchant_id: Option<String>,
    /// Link to its transactions (Klarna's; never followed as is).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub transactions: Option<String>,
}

/// `GET /settlements/v1/payouts`: a page of payouts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PayoutCollection {
    /// The payouts of this page.
    #[serde(deserialize_with = "lenient::vec")]
    pub payouts: Vec<Payout>,
    /// Where this page is in the collection.
    #[serde(deserialize_with = "lenient::opt_struct")]
    pub pagination: Option<Pagination>,
}

/// One entry of `GET /settlements/v1/payouts/summary`: the payouts of one currency in a
/// period, summed up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PayoutSummary {
    /// ISO 4217 currency of every amount.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub summary_settlement_currency: Option<String>,
    /// First payout date summed up (ISO 8601).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub summary_payout_date_start: Option<String>,
    /// Last payout date summed up (ISO 8601).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub summary_payout_date_end: Option<String>,
    /// Sales.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_sale_amount: Option<i64>,
    /// Returns.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_return_amount: Option<i64>,
    /// Reversals.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_reversal_amount: Option<i64>,
    /// Fees.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_fee_amount: Option<i64>,
    /// Fee corrections.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_fee_correction_amount: Option<i64>,
    /// Tax.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_tax_amount: Option<i64>,
    /// Commissions.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_commission_amount: Option<i64>,
    /// Withheld.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_holdback_amount: Option<i64>,
    /// Released from holdback.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_release_amount: Option<i64>,
    /// Debt repaid.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_repay_amount: Option<i64>,
    /// Paid out.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub summary_total_settlement_amount: Option<i64>,
}

/// One settlement transaction: a money movement Klarna registered for the merchant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Transaction {
    /// Minor units; the type says the direction.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub amount: Option<i64>,
    /// SALE, RETURN, FEE, HOLDBACK, RELEASE, … (an open set).
    #[serde(rename = "type", deserialize_with = "lenient::opt_string")]
    pub kind: Option<String>,
    /// PURCHASE, PURCHASE_RETURN, DISPUTE_FEE, … (an open set).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub detailed_type: Option<String>,
    /// Klarna order id.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub order_id: Option<String>,
    /// Klarna's short order reference.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub short_order_id: Option<String>,
    /// The capture of a sale or fee (`""` for returns and reversals).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub capture_id: Option<String>,
    /// The refund of a return.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub refund_id: Option<String>,
    /// The payout holding it, once paid out.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub payment_reference: Option<String>,
    /// ISO 4217.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub currency_code: Option<String>,
    /// When the order was placed (ISO 8601).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub sale_date: Option<String>,
    /// When Klarna registered it (ISO 8601).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub capture_date: Option<String>,
    /// The merchant's order number.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub merchant_reference1: Option<String>,
    /// The merchant's second reference.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub merchant_reference2: Option<String>,
    /// The merchant's reference of the capture.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub merchant_capture_reference: Option<String>,
    /// The merchant's reference of the refund.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub merchant_refund_reference: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub purchase_country: Option<String>,
    /// VAT rate on a Klarna fee (2500 = 25 %).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub vat_rate: Option<i64>,
    /// VAT on a Klarna fee, minor units.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub vat_amount: Option<i64>,
    /// What Klarna says about it.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub klarna_comment: Option<String>,
    /// The dispute behind a reversal.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub reversal_reference: Option<String>,
}

/// `GET /settlements/v1/transactions`: a page of transactions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TransactionCollection {
    /// The transactions of this page.
    #[serde(deserialize_with = "lenient::vec")]
    pub transactions: Vec<Transaction>,
    /// Where this page is in the collection.
    #[serde(deserialize_with = "lenient::opt_struct")]
    pub pagination: Option<Pagination>,
}
