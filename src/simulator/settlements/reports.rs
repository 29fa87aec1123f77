//! The settlement reports: CSV with one row per transaction, PDF as a short
//! summary. Klarna describes the CSV's fields (its "Summary section fields"
//! and "Transaction fields") but not their layout.

// Klarna documents the fields of its settlement report but not how the CSV
// lays them out; we choose one flat table, because every CSV reader can load
// it: a header row, then one row per transaction, each row carrying its
// payout's summary fields first and then the transaction's fields, payouts
// newest first. Separator `,`, lines ending in CRLF, fields quoted only when
// they hold a comma, a quote or a line break (RFC 4180).
//
// Klarna documents amounts in the report as decimals (`100.00`), in the
// currency's major unit; we write every amount with two decimals because all
// of Klarna's currencies have two, and with the same sign as the JSON amounts
// (non-negative but for CORRECTION; the type says the direction). Klarna's
// `tax_rate` is a decimal too; we write the rate in percent (`25.00`), where
// the JSON's `vat_rate` has basis points (2500).
//
// Klarna lists columns the simulator has no facts for (`submerchant_id`,
// `initial_number_of_installments`,
// `initial_payment_method_monthly_downpayments`, `reversal_reference`); we
// keep the columns and leave them empty, so the header is Klarna's whole list.

use time::OffsetDateTime;

use super::ledger::{Payout, Transaction, Vat};
use super::pdf;
use super::render::{CurrencySummary, SETTLEMENT_TYPE};
use crate::simulator::render::timestamp;

/// What the CSV reports are sent as.
pub(crate) const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// The payout columns, Klarna's "Summary section fields".
pub(crate) const PAYOUT_COLUMNS: [&str; 23] = [
    "merchant_id",
    "submerchant_id",
    "payment_reference",
    "payout_date",
    "settlement_currency",
    "merchant_settlement_type",
    "total_sale_amount",
    "total_fee_amount",
    "total_fee_correction_amount",
    "total_tax_amount",
    "total_return_amount",
    "total_reversal_amount",
    "total_commission_amount",
    "total_credit_amount",
    "total_charge_amount",
    "total_holdback_amount",
    "total_release_amount",
    "opening_debt_balance",
    "total_deposit_amount",
    "total_repay_amount",
    "closing_debt_balance",
    "total_fee_refund_amount",
    "total_settlement_amount",
];

/// The transaction columns, Klarna's "Transaction fields".
pub(crate) const TRANSACTION_COLUMNS: [&str; 30] = [
    "type",
    "detailed_type",
    "capture_date",
    "sale_date",
    "order_id",
    "short_order_id",
    "capture_id",
    "refund_id",
    "merchant_reference1",
    "merchant_reference2",
    "merchant_capture_reference",
    "merchant_refund_reference",
    "amount",
    "posting_currency",
    "purchase_country",
    "shipping_country",
    "tax_rate",
    "tax_amount",
    "initial_payment_method_type",
    "initial_number_of_installments",
    "initial_payment_method_monthly_downpayments",
    "tax_rate_1",
    "tax_amount_1",
    "tax_rate_2",
    "tax_amount_2",
    "tax_rate_3",
    "tax_amount_3",
    "tax_rate_4",
    "tax_amount_4",
    "reversal_reference",
];

/// `minor` units as a decimal with two places: `-1234` → `-12.34`.
pub(crate) fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

fn push_row(out: &mut String, fields: impl IntoIterator<Item = String>) {
    let row: Vec<String> = fields.into_iter().map(|f| csv_field(&f)).collect();
    out.push_str(&row.join(","));
    out.push_str("\r\n");
}

fn payout_fields(p: &Payout) -> Vec<String> {
    let t = &p.totals;
    let mut fields = vec![
        p.merchant_id.clone(),
        String::new(),
        p.payment_reference.clone(),
        timestamp(p.payout_date),
        p.currency.clone(),
        SETTLEMENT_TYPE.to_owned(),
    ];
    fields.extend(
        [
            t.sale_amount,
            t.fee_amount,
            t.fee_correction_amount,
            t.tax_amount,
            t.return_amount,
            t.reversal_amount,
            t.commission_amount,
            t.credit_amount,
            t.charge_amount,
            t.holdback_amount,
            t.release_amount,
            t.opening_debt_balance_amount,
            t.deposit_amount,
            t.repay_amount,
            t.closing_debt_balance_amount,
            t.fee_refund_amount,
            t.settlement_amount,
        ]
        .map(decimal),
    );
    fields
}

fn rate(basis_points: i64) -> String {
    decimal(basis_points)
}

fn transaction_fields(tx: &Transaction) -> Vec<String> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let capture_id = if tx.kind.has_empty_capture_id() {
        String::new()
    } else {
        text(&tx.capture_id)
    };
    let mut fields = vec![
        tx.kind.as_str().to_owned(),
        tx.detailed_type
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        timestamp(tx.capture_date),
        timestamp(tx.sale_date),
        tx.order_id.clone(),
        text(&tx.short_order_id),
        capture_id,
        text(&tx.refund_id),
        text(&tx.merchant_reference1),
        text(&tx.merchant_reference2),
        text(&tx.merchant_capture_reference),
        text(&tx.merchant_refund_reference),
        decimal(tx.amount),
        tx.currency.clone(),
        tx.purchase_country.clone(),
        text(&tx.shipping_country),
        tx.vat.map(|v| rate(v.rate)).unwrap_or_default(),
        tx.vat.map(|v| decimal(v.amount)).unwrap_or_default(),
        text(&tx.payment_method_type),
        String::new(),
        String::new(),
    ];
    for i in 0..4 {
        let vat: Option<&Vat> = tx.consumer_tax.get(i);
        fields.push(vat.map(|v| rate(v.rate)).unwrap_or_default());
        fields.push(vat.map(|v| decimal(v.amount)).unwrap_or_default());
    }
    fields.push(String::new());
    fields
}

/// The CSV of `payouts` with their transactions (see the module notes).
pub(crate) fn transactions_csv(payouts: &[(&Payout, Vec<&Transaction>)]) -> Vec<u8> {
    let mut out = String::new();
    push_row(
        &mut out,
        PAYOUT_COLUMNS
            .iter()
            .chain(TRANSACTION_COLUMNS.iter())
            .map(|c| (*c).to_owned()),
    );
    for (payout, transactions) in payouts {
        let head = payout_fields(payout);
        for tx in transactions {
            push_row(&mut out, head.iter().cloned().chain(transaction_fields(tx)));
        }
    }
    out.into_bytes()
}

fn totals_lines(lines: &mut Vec<String>, currency: &str, t: &super::totals::Totals) {
    let amount = |label: &str, minor: i64| format!("  {label}: {} {currency}", decimal(minor));
    lines.push(amount("Sales", t.sale_amount));
    lines.push(amount("Returns", t.return_amount));
    lines.push(amount("Reversals", t.reversal_amount));
    lines.push(amount("Fees", t.fee_amount));
    lines.push(amount("Tax on fees", t.tax_amount));
    lines.push(amount("Fee corrections", t.fee_correction_amount));
    lines.push(amount("Fee refunds", t.fee_refund_amount));
    lines.push(amount("Commissions", t.commission_amount));
    lines.push(amount("Charges", t.charge_amount));
    lines.push(amount("Credits", t.credit_amount));
    lines.push(amount("Holdbacks", t.holdback_amount));
    lines.push(amount("Releases", t.release_amount));
    lines.push(amount("Debt repaid", t.repay_amount));
    lines.push(amount("Debt added", t.deposit_amount));
    lines.push(amount("Settlement amount", t.settlement_amount));
}

/// The PDF of one payout: its facts and totals.
pub(crate) fn payout_pdf(p: &Payout) -> Vec<u8> {
    let mut lines = vec![
        "Klarna settlement report (simulated)".to_owned(),
        String::new(),
        format!("Payment reference: {}", p.payment_reference),
        format!("Payout date: {}", timestamp(p.payout_date)),
        format!("Merchant ID: {}", p.merchant_id),
        format!("Settlement currency: {}", p.currency),
        format!("Settlement type: {SETTLEMENT_TYPE}"),
        format!("Transactions: {}", p.transaction_count),
        String::new(),
        "Totals".to_owned(),
    ];
    totals_lines(&mut lines, &p.currency, &p.totals);
    lines.push(format!(
        "  Debt balance: {} {c} opening, {} {c} closing",
        decimal(p.totals.opening_debt_balance_amount),
        decimal(p.totals.closing_debt_balance_amount),
        c = p.currency
    ));
    pdf::document(&lines)
}

/// The PDF summing up the payouts between `start` and `end`, per currency.
pub(crate) fn summary_pdf(
    start: OffsetDateTime,
    end: OffsetDateTime,
    summaries: &[CurrencySummary<'_>],
) -> Vec<u8> {
    let mut lines = vec![
        "Klarna payouts summary (simulated)".to_owned(),
        String::new(),
        format!("Payouts from {} to {}", timestamp(start), timestamp(end)),
    ];
    if summaries.is_empty() {
        lines.push("No payouts in this period.".to_owned());
    }
    for s in summaries {
        lines.push(String::new());
        lines.push(format!("{}: {} payouts", s.currency, s.payouts.len()));
        for p in &s.payouts {
            lines.push(format!(
                "  {} on {}: {} {}",
                p.payment_reference,
                timestamp(p.payout_date),
                decimal(p.totals.settlement_amount),
                s.currency
            ));
        }
        totals_lines(&mut lines, s.currency, &s.totals);
    }
    pdf::document(&lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_quoting() {
        assert_eq!(decimal(0), "0.00");
        assert_eq!(decimal(5), "0.05");
        assert_eq!(decimal(-1_234), "-12.34");
        assert_eq!(decimal(i64::MIN), "-92233720368547758.08");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }
}
