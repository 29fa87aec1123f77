//! The settlement ledger: every money movement the simulated Klarna registers
//! for a merchant (one [`Transaction`] each), and the payout runs that settle
//! them into [`Payout`]s.
//!
//! Transactions come from three places, all appended here:
//!
//! * captures and refunds on orders, whoever made them (the API, or a seeded
//!   order's history): [`Ledger::post_order_history`] appends every capture
//!   and refund of an order it has not seen yet, as SALE and RETURN;
//! * fees the simulator charges for an operation (e.g. an extend-due-date fee):
//!   [`Ledger::append`] with [`Transaction::on_order`];
//! * movements a test seeds that no API call made (a back-office capture, a
//!   holdback, …): also [`Ledger::append`].
//!
//! A transaction is unsettled until a payout run puts it into a payout; then
//! it carries that payout's payment reference and never changes again. Each
//! Klarna host is a separate installation with its own ledger entries, payouts
//! and debt balance per currency.

// Klarna does not document when a registered transaction is paid out (that is
// the merchant's contract: daily, weekly, …); we choose an explicit payout run
// that settles everything registered up to a cut-off, one payout per host and
// currency, because tests and demos then decide when money moves, and nothing
// settles behind a test's back.

use std::collections::{BTreeSet, HashMap, HashSet};

use rand::seq::IndexedRandom;
use serde_json::Value;
use time::OffsetDateTime;

use super::kinds::{DetailedType, TransactionType};
use super::totals::Totals;
use crate::simulator::hosts::API_HOSTS;
use crate::simulator::order::{Capture, Order, Refund};

/// VAT on a Klarna fee: rate in basis points (2500 = 25 %), amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Vat {
    pub(crate) rate: i64,
    pub(crate) amount: i64,
}

/// One settlement transaction, as Klarna's `Transaction` describes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Transaction {
    /// Registration order; set by [`Ledger::append`].
    pub(crate) seq: u64,
    /// The Klarna host whose ledger holds it.
    pub(crate) host: String,
    /// Posted from an order's captures and refunds (so re-seeding the order
    /// may take it back while it is unsettled).
    pub(crate) from_order_history: bool,
    pub(crate) kind: TransactionType,
    pub(crate) detailed_type: Option<DetailedType>,
    /// Minor units; non-negative except for CORRECTION (see `totals`).
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) order_id: String,
    pub(crate) short_order_id: Option<String>,
    pub(crate) capture_id: Option<String>,
    pub(crate) refund_id: Option<String>,
    pub(crate) merchant_reference1: Option<String>,
    pub(crate) merchant_reference2: Option<String>,
    pub(crate) merchant_capture_reference: Option<String>,
    pub(crate) merchant_refund_reference: Option<String>,
    pub(crate) purchase_country: String,
    pub(crate) shipping_country: Option<String>,
    pub(crate) payment_method_type: Option<String>,
    /// When the order was placed.
    pub(crate) sale_date: OffsetDateTime,
    /// When Klarna registered this transaction (for a SALE: the capture).
    pub(crate) capture_date: OffsetDateTime,
    pub(crate) vat: Option<Vat>,
    /// Consumer VAT of the lines behind a SALE or RETURN, one entry per rate
    /// (at most four, as Klarna's report columns `tax_rate_1`…`tax_rate_4`).
    pub(crate) consumer_tax: Vec<Vat>,
    pub(crate) comment: Option<String>,
    /// Set when a payout run settles it.
    pub(crate) payment_reference: Option<String>,
}

// Klarna shows `initial_payment_method_type` in lower case (`direct_debit`)
// while Order Management's `initial_payment_method.type` is upper case
// (`INVOICE`); Klarna does not document the mapping, so we choose the lower-case
// form of the order's type.
fn payment_method_type(order: &Order) -> Option<String> {
    order
        .initial_payment_method
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
}

fn shipping_country(order: &Order) -> Option<String> {
    order
        .shipping_address
        .get("country")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// Consumer VAT of `lines`, summed per rate in the order rates first appear.
fn consumer_tax(lines: &[Value]) -> Vec<Vat> {
    let mut out: Vec<Vat> = Vec::new();
    for line in lines {
        let (Some(rate), Some(amount)) = (
            line.get("tax_rate").and_then(Value::as_i64),
            line.get("total_tax_amount").and_then(Value::as_i64),
        ) else {
            continue;
        };
        if let Some(v) = out.iter_mut().find(|v| v.rate == rate) {
            v.amount = v.amount.saturating_add(amount);
        } else if out.len() < 4 {
            out.push(Vat { rate, amount });
        }
    }
    out
}

impl Transaction {
    /// A transaction of `order`, registered at `at`, with the order's facts
    /// (host, currency, countries, references, purchase date) filled in.
    pub(crate) fn on_order(
        order: &Order,
        kind: TransactionType,
        detailed_type: Option<DetailedType>,
        amount: i64,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            seq: 0,
            host: order.host.clone(),
            from_order_history: false,
            kind,
            detailed_type,
            amount,
            currency: order.purchase_currency.clone(),
            order_id: order.order_id.clone(),
            short_order_id: Some(order.klarna_reference.clone()),
            capture_id: None,
            refund_id: None,
            merchant_reference1: order.merchant_reference1.clone(),
            merchant_reference2: order.merchant_reference2.clone(),
            merchant_capture_reference: None,
            merchant_refund_reference: None,
            purchase_country: order.purchase_country.clone(),
            shipping_country: shipping_country(order),
            payment_method_type: payment_method_type(order),
            sale_date: order.created_at,
            capture_date: at,
            vat: None,
            consumer_tax: Vec::new(),
            comment: None,
            payment_reference: None,
        }
    }

    /// A transaction on an order the simulator does not hold: only what the
    /// caller knows, the purchase date taken to be the registration date.
    pub(crate) fn without_order(
        host: &str,
        kind: TransactionType,
        amount: i64,
        currency: &str,
        order_id: &str,
        purchase_country: &str,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            seq: 0,
            host: host.to_owned(),
            from_order_history: false,
            kind,
            detailed_type: None,
            amount,
            currency: currency.to_owned(),
            order_id: order_id.to_owned(),
            short_order_id: None,
            capture_id: None,
            refund_id: None,
            merchant_reference1: None,
            merchant_reference2: None,
            merchant_capture_reference: None,
            merchant_refund_reference: None,
            purchase_country: purchase_country.to_owned(),
            shipping_country: None,
            payment_method_type: None,
            sale_date: at,
            capture_date: at,
            vat: None,
            consumer_tax: Vec::new(),
            comment: None,
            payment_reference: None,
        }
    }

    /// The SALE a capture becomes.
    fn sale(order: &Order, capture: &Capture) -> Self {
        let mut tx = Self::on_order(
            order,
            TransactionType::Sale,
            Some(DetailedType::PURCHASE),
            capture.captured_amount,
            capture.captured_at,
        );
        tx.from_order_history = true;
        tx.capture_id = Some(capture.capture_id.clone());
        tx.merchant_capture_reference = capture.reference.clone();
        tx.consumer_tax = consumer_tax(&capture.order_lines);
        tx
    }

    /// The RETURN a refund becomes.
    fn order_return(order: &Order, refund: &Refund) -> Self {
        let mut tx = Self::on_order(
            order,
            TransactionType::Return,
            Some(DetailedType::PURCHASE_RETURN),
            refund.refunded_amount,
            refund.refunded_at,
        );
        tx.from_order_history = true;
        tx.refund_id = Some(refund.refund_id.clone());
        tx.merchant_refund_reference = refund.reference.clone();
        tx.consumer_tax = consumer_tax(&refund.order_lines);
        tx
    }
}

/// One payout: what a payout run paid for one host and currency.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payout {
    pub(crate) host: String,
    pub(crate) payment_reference: String,
    pub(crate) payout_date: OffsetDateTime,
    pub(crate) currency: String,
    pub(crate) merchant_id: String,
    pub(crate) totals: Totals,
    pub(crate) transaction_count: usize,
}

// Klarna does not document merchant ids beyond the example `K123456`; we
// choose one per host (a merchant has one id per region and environment),
// `K10000n` with n the host's place in `API_HOSTS`.
/// The merchant id the simulated Klarna knows the merchant by on `host`.
pub(crate) fn merchant_id(host: &str) -> String {
    let place = API_HOSTS.iter().position(|h| *h == host).unwrap_or(0);
    format!("K{}", 100_001usize.saturating_add(place))
}

/// All transactions and payouts, on every host.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    transactions: Vec<Transaction>,
    payouts: Vec<Payout>,
    /// Capture and refund ids already posted from order histories.
    posted: HashSet<String>,
    /// Debt balance per (host, currency), carried from payout to payout.
    debt: HashMap<(String, String), i64>,
    next_seq: u64,
}

impl Ledger {
    /// Registers `tx` (unsettled, whatever it says) and returns its `seq`.
    pub(crate) fn append(&mut self, mut tx: Transaction) -> u64 {
        self.next_seq = self.next_seq.saturating_add(1);
        tx.seq = self.next_seq;
        tx.payment_reference = None;
        self.transactions.push(tx);
        self.next_seq
    }

    /// The transaction registered as `seq`.
    pub(crate) fn transaction(&self, seq: u64) -> Option<&Transaction> {
        self.transactions.iter().find(|tx| tx.seq == seq)
    }

    /// Appends a SALE for each capture and a RETURN for each refund of
    /// `order` that the ledger has not seen yet, oldest first.
    pub(crate) fn post_order_history(&mut self, order: &Order) {
        let mut new: Vec<Transaction> = Vec::new();
        for capture in &order.captures {
            if !self.posted.contains(&capture.capture_id) {
                new.push(Transaction::sale(order, capture));
            }
        }
        for refund in &order.refunds {
            if !self.posted.contains(&refund.refund_id) {
                new.push(Transaction::order_return(order, refund));
            }
        }
        new.sort_by_key(|tx| tx.capture_date);
        for tx in new {
            let id = tx.capture_id.clone().or_else(|| tx.refund_id.clone());
            self.posted.extend(id);
            self.append(tx);
        }
    }

    /// Takes back the unsettled transactions posted from `order_id`'s history
    /// (the order was replaced by a new seed). Settled ones stay: money that
    /// was paid out stays paid out.
    pub(crate) fn forget_unsettled_history(&mut self, order_id: &str) {
        self.transactions.retain(|tx| {
            !(tx.from_order_history && tx.order_id == order_id && tx.payment_reference.is_none())
        });
    }

    /// Every transaction, in registration order.
    pub(crate) fn transactions(&self) -> &[Transaction] {
        &self.transactions
    }

    /// Every payout, in the order the runs made them.
    pub(crate) fn payouts(&self) -> &[Payout] {
        &self.payouts
    }

    /// The payout `reference` on `host`.
    pub(crate) fn payout(&self, host: &str, reference: &str) -> Option<&Payout> {
        self.payouts
            .iter()
            .find(|p| p.host == host && p.payment_reference == reference)
    }

    /// Whether any host has a payout with this reference.
    pub(crate) fn has_reference(&self, reference: &str) -> bool {
        self.payouts
            .iter()
            .any(|p| p.payment_reference == reference)
    }

    /// A payout run: for every host (or only `host`) and currency, pays out
    /// the unsettled transactions registered up to `cutoff`, dated `cutoff`.
    /// Returns the new payouts' places in [`Ledger::payouts`].
    pub(crate) fn run_payouts(&mut self, host: Option<&str>, cutoff: OffsetDateTime) -> Vec<usize> {
        let groups: BTreeSet<(String, String)> = self
            .transactions
            .iter()
            .filter(|tx| tx.payment_reference.is_none() && tx.capture_date <= cutoff)
            .filter(|tx| host.is_none_or(|h| tx.host == h))
            .map(|tx| (tx.host.clone(), tx.currency.clone()))
            .collect();
        groups
            .into_iter()
            .filter_map(|(host, currency)| self.pay_out(&host, &currency, cutoff, None, |_| true))
            .collect()
    }

    /// Pays out the unsettled transactions on `host` in `currency` registered
    /// up to `cutoff` that `include` picks, as one payout dated `cutoff` with
    /// `reference` (a fresh one when `None`). `None` when nothing is to be paid.
    pub(crate) fn pay_out(
        &mut self,
        host: &str,
        currency: &str,
        cutoff: OffsetDateTime,
        reference: Option<String>,
        include: impl Fn(&Transaction) -> bool,
    ) -> Option<usize> {
        let picked: Vec<usize> = self
            .transactions
            .iter()
            .enumerate()
            .filter(|(_, tx)| {
                tx.payment_reference.is_none()
                    && tx.host == host
                    && tx.currency == currency
                    && tx.capture_date <= cutoff
                    && include(tx)
            })
            .map(|(i, _)| i)
            .collect();
        if picked.is_empty() {
            return None;
        }
        let key = (host.to_owned(), currency.to_owned());
        let opening = self.debt.get(&key).copied().unwrap_or(0);
        let totals = Totals::settle(
            picked.iter().filter_map(|i| self.transactions.get(*i)),
            opening,
        );
        self.debt.insert(key, totals.closing_debt_balance_amount);
        let reference = reference.unwrap_or_else(|| self.fresh_reference());
        for i in &picked {
            if let Some(tx) = self.transactions.get_mut(*i) {
                tx.payment_reference = Some(reference.clone());
            }
        }
        self.payouts.push(Payout {
            host: host.to_owned(),
            payment_reference: reference,
            payout_date: cutoff,
            currency: currency.to_owned(),
            merchant_id: merchant_id(host),
            totals,
            transaction_count: picked.len(),
        });
        Some(self.payouts.len().saturating_sub(1))
    }

    // Klarna's example payment reference is `XISA93DJ`; we choose eight upper
    // case letters and digits (without the look-alikes I, O, 0, 1) because the
    // reference is typed from bank statements.
    /// A payment reference no payout has yet.
    fn fresh_reference(&self) -> String {
        const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rng();
        for _ in 0..64 {
            let candidate: String = (0..8)
                .filter_map(|_| CHARS.choose(&mut rng).map(|c| char::from(*c)))
                .collect();
            if !self.has_reference(&candidate) {
                return candidate;
            }
        }
        // 32^8 references make this unreachable in practice; stay unique anyway.
        format!("SIM{:05}", self.payouts.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::simulator::seed::SeedOrder;

    fn at(days_ago: i64) -> OffsetDateTime {
        OffsetDateTime::now_utc() - time::Duration::days(days_ago)
    }

    #[test]
    fn order_history_is_posted_once_and_settled_per_currency() {
        let mut ledger = Ledger::default();
        let eur = SeedOrder::new(10_000, "EUR")
            .captured(6_000)
            .refunded(1_000)
            .build(at(2));
        let sek = SeedOrder::new(50_000, "SEK").captured(50_000).build(at(2));
        ledger.post_order_history(&eur);
        ledger.post_order_history(&eur);
        ledger.post_order_history(&sek);
        let kinds: Vec<_> = ledger.transactions().iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                TransactionType::Sale,
                TransactionType::Return,
                TransactionType::Sale
            ]
        );
        let made = ledger.run_payouts(None, at(0));
        assert_eq!(made.len(), 2);
        let eur_payout = ledger
            .payouts()
            .iter()
            .find(|p| p.currency == "EUR")
            .unwrap();
        assert_eq!(eur_payout.totals.sale_amount, 6_000);
        assert_eq!(eur_payout.totals.return_amount, 1_000);
        assert_eq!(eur_payout.totals.settlement_amount, 5_000);
        assert_eq!(eur_payout.transaction_count, 2);
        assert!(
            ledger
                .transactions()
                .iter()
                .all(|t| t.payment_reference.is_some())
        );
        assert!(ledger.run_payouts(None, at(0)).is_empty());
    }

    #[test]
    fn a_negative_settlement_becomes_debt_that_the_next_payout_repays() {
        let mut ledger = Ledger::default();
        let order = SeedOrder::new(10_000, "EUR").build(at(3));
        let tx = |kind, amount| Transaction::on_order(&order, kind, None, amount, at(2));
        ledger.append(tx(TransactionType::Fee, 700));
        ledger.pay_out(&order.host, "EUR", at(1), Some("FIRST".into()), |_| true);
        let first = ledger.payout(&order.host, "FIRST").unwrap().totals;
        assert_eq!(
            (
                first.settlement_amount,
                first.deposit_amount,
                first.closing_debt_balance_amount
            ),
            (0, 700, 700)
        );
        ledger.append(tx(TransactionType::Sale, 1_000));
        ledger.pay_out(&order.host, "EUR", at(0), Some("SECOND".into()), |_| true);
        let second = ledger.payout(&order.host, "SECOND").unwrap().totals;
        assert_eq!(second.opening_debt_balance_amount, 700);
        assert_eq!(second.repay_amount, 700);
        assert_eq!(second.settlement_amount, 300);
        assert_eq!(second.closing_debt_balance_amount, 0);
    }
}
