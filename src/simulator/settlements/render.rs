//! Payouts, payout summaries, transactions and pagination as the Settlements
//! API's JSON: exactly the properties its schemas define (they allow no
//! others), optional ones left out when there is nothing to say.

// Klarna's examples link a payout's transactions and a transaction's payout as
// `https://{settlements_api}/…`; we choose absolute links to this simulator
// with the request's host segment (like `Location` in Order Management), so
// following a link reaches the same simulated host.
//
// Klarna says returns and reversals carry an empty string as `capture_id`
// ("where captures do not exist"); we send `""` for those two types, the
// capture id for a sale or a fee that has one, and leave the field out
// otherwise.
//
// Klarna does not document `currency_code_of_registration_country`'s source; we
// choose the currency of each region's home market: EUR in Europe, USD in
// North America, AUD in Oceania.

use serde::Serialize;
use serde_json::Value;

use super::ledger::{Payout, Transaction};
use super::totals::Totals;
use crate::simulator::render::timestamp;

/// Where the Settlements API lives on a host: `{base}{SETTLEMENTS}/payouts`.
pub(crate) const SETTLEMENTS: &str = "/settlements/v1";

/// The currency of the region `host` serves.
pub(crate) fn registration_currency(host: &str) -> &'static str {
    if host.starts_with("api-na.") {
        "USD"
    } else if host.starts_with("api-oc.") {
        "AUD"
    } else {
        "EUR"
    }
}

/// The link to payout `reference`.
pub(crate) fn payout_link(base: &str, reference: &str) -> String {
    format!("{base}{SETTLEMENTS}/payouts/{reference}")
}

/// The link to the transactions of payout `reference`.
pub(crate) fn transactions_link(base: &str, reference: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("payment_reference", reference)
        .finish();
    format!("{base}{SETTLEMENTS}/transactions?{query}")
}

#[derive(Serialize)]
struct TransactionView<'a> {
    amount: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detailed_type: Option<&'static str>,
    sale_date: String,
    capture_date: String,
    order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_order_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    merchant_reference1: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    merchant_reference2: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    merchant_capture_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    merchant_refund_reference: Option<&'a str>,
    currency_code: &'a str,
    purchase_country: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    shipping_country: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_payment_method_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vat_rate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vat_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    klarna_comment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payout: Option<String>,
}

/// One `Transaction`.
pub(crate) fn transaction_value(tx: &Transaction, base: &str) -> Value {
    let capture_id = if tx.kind.has_empty_capture_id() {
        Some("")
    } else {
        tx.capture_id.as_deref()
    };
    let view = TransactionView {
        amount: tx.amount,
        kind: tx.kind.as_str(),
        detailed_type: tx.detailed_type.map(|d| d.as_str()),
        sale_date: timestamp(tx.sale_date),
        capture_date: timestamp(tx.capture_date),
        order_id: &tx.order_id,
        short_order_id: tx.short_order_id.as_deref(),
        capture_id,
        refund_id: tx.refund_id.as_deref(),
        merchant_reference1: tx.merchant_reference1.as_deref(),
        merchant_reference2: tx.merchant_reference2.as_deref(),
        merchant_capture_reference: tx.merchant_capture_reference.as_deref(),
        merchant_refund_reference: tx.merchant_refund_reference.as_deref(),
        currency_code: &tx.currency,
        purchase_country: &tx.purchase_country,
        shipping_country: tx.shipping_country.as_deref(),
        initial_payment_method_type: tx.payment_method_type.as_deref(),
        vat_rate: tx.vat.map(|v| v.rate),
        vat_amount: tx.vat.map(|v| v.amount),
        klarna_comment: tx.comment.as_deref(),
        payment_reference: tx.payment_reference.as_deref(),
        payout: tx
            .payment_reference
            .as_deref()
            .map(|r| payout_link(base, r)),
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

#[derive(Serialize)]
struct PayoutView<'a> {
    totals: &'a Totals,
    payment_reference: &'a str,
    payout_date: String,
    currency_code: &'a str,
    currency_code_of_registration_country: &'static str,
    merchant_settlement_type: &'static str,
    merchant_id: &'a str,
    transactions: String,
}

// Klarna offers NET (fees deducted from the payout), GROSS and GROSS_FEE; we
// choose NET for every payout because the simulator deducts fees from what
// it pays out.
/// How the simulated merchant is settled.
pub(crate) const SETTLEMENT_TYPE: &str = "NET";

/// One `Payout`.
pub(crate) fn payout_value(p: &Payout, base: &str) -> Value {
    let view = PayoutView {
        totals: &p.totals,
        payment_reference: &p.payment_reference,
        payout_date: timestamp(p.payout_date),
        currency_code: &p.currency,
        currency_code_of_registration_country: registration_currency(&p.host),
        merchant_settlement_type: SETTLEMENT_TYPE,
        merchant_id: &p.merchant_id,
        transactions: transactions_link(base, &p.payment_reference),
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

#[derive(Serialize)]
struct SummaryView<'a> {
    summary_settlement_currency: &'a str,
    summary_payout_date_start: String,
    summary_payout_date_end: String,
    summary_total_sale_amount: i64,
    summary_total_return_amount: i64,
    summary_total_reversal_amount: i64,
    summary_total_fee_amount: i64,
    summary_total_fee_correction_amount: i64,
    summary_total_tax_amount: i64,
    summary_total_commission_amount: i64,
    summary_total_holdback_amount: i64,
    summary_total_release_amount: i64,
    summary_total_repay_amount: i64,
    summary_total_settlement_amount: i64,
}

/// The payouts of one currency, summed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CurrencySummary<'a> {
    pub(crate) currency: &'a str,
    pub(crate) payouts: Vec<&'a Payout>,
    pub(crate) totals: Totals,
}

// Klarna does not say which dates `summary_payout_date_start` and `_end` hold;
// we choose the first and the last payout date summed up, because they say
// which payouts the summary really covers.
/// Groups `payouts` by currency (alphabetically), each group in date order.
pub(crate) fn summarize<'a>(payouts: &[&'a Payout]) -> Vec<CurrencySummary<'a>> {
    let mut groups: Vec<CurrencySummary<'a>> = Vec::new();
    let mut sorted = payouts.to_vec();
    sorted.sort_by(|a, b| {
        (a.currency.as_str(), a.payout_date).cmp(&(b.currency.as_str(), b.payout_date))
    });
    for p in sorted {
        match groups.last_mut() {
            Some(g) if g.currency == p.currency => {
                g.totals.add(&p.totals);
                g.payouts.push(p);
            }
            _ => {
                let mut totals = Totals::default();
                totals.add(&p.totals);
                groups.push(CurrencySummary {
                    currency: &p.currency,
                    payouts: vec![p],
                    totals,
                });
            }
        }
    }
    groups
}

/// One `PayoutSummary`.
pub(crate) fn summary_value(s: &CurrencySummary<'_>) -> Value {
    let first = s.payouts.first().map(|p| p.payout_date);
    let last = s.payouts.last().map(|p| p.payout_date);
    let t = &s.totals;
    let view = SummaryView {
        summary_settlement_currency: s.currency,
        summary_payout_date_start: first.map(timestamp).unwrap_or_default(),
        summary_payout_date_end: last.map(timestamp).unwrap_or_default(),
        summary_total_sale_amount: t.sale_amount,
        summary_total_return_amount: t.return_amount,
        summary_total_reversal_amount: t.reversal_amount,
        summary_total_fee_amount: t.fee_amount,
        summary_total_fee_correction_amount: t.fee_correction_amount,
        summary_total_tax_amount: t.tax_amount,
        summary_total_commission_amount: t.commission_amount,
        summary_total_holdback_amount: t.holdback_amount,
        summary_total_release_amount: t.release_amount,
        summary_total_repay_amount: t.repay_amount,
        summary_total_settlement_amount: t.settlement_amount,
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// `Pagination`: `next` and `prev` only when there is such a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Pagination {
    pub(crate) count: usize,
    pub(crate) total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) prev: Option<String>,
    pub(crate) offset: usize,
}
