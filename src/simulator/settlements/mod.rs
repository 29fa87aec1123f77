//! Klarna's Settlements API, served by the simulator from its own state:
//! payouts, payout summaries, transactions and the four payout reports under
//! `/{host}/settlements/v1/…`, read-only, with the same per-host Basic auth as
//! Order Management.
//!
//! # The model
//!
//! * Every capture the simulator applies becomes a SALE transaction and every
//!   refund a RETURN, whoever made it (an API call, or a seeded order's
//!   history), with the order id, capture or refund id, amount, currency,
//!   purchase country and merchant references. Fees the simulator charges for
//!   an operation become FEE transactions ([`Inner::post_fee`]).
//! * Movements that no API call made — a capture in the Merchant Portal, a
//!   holdback, a dispute fee — are seeded with [`SeedTransaction`].
//! * A transaction is unsettled until a **payout run**
//!   ([`Simulator::run_payouts`]) groups the unsettled transactions of each host
//!   and currency into a payout with a fresh payment reference, a payout date,
//!   Klarna's totals and the merchant's debt balance, and marks them settled.
//!   Nothing settles by itself.
//! * Each Klarna host is a separate installation: a host shows only its own
//!   transactions and payouts. Klarna's description names one server,
//!   `https://api.klarna.com/settlements/v1`; credentials belong to one region
//!   and environment, so the simulator serves the API on every host, as
//!   Order Management.
//! * The demo seeds two past payouts ([`demo_payouts`]) so `--demo` has
//!   something to show.
//!
//! Where Klarna's documentation is silent, the code says what it chose, as in
//! the rest of the simulator.

mod api;
mod demo;
mod kinds;
mod ledger;
mod pdf;
mod query;
mod render;
mod reports;
mod routes;
mod seed;
mod snapshot;
mod totals;

use time::OffsetDateTime;

pub use demo::{DemoPayout, demo_payouts};
pub use kinds::{DetailedType, TransactionType};
pub use seed::SeedTransaction;
pub use snapshot::{PayoutSnapshot, TransactionSnapshot};
pub use totals::Totals;

pub(crate) use ledger::Ledger;
pub(crate) use routes::router;

use super::Simulator;
use super::shared::Inner;
use ledger::Transaction;

impl Inner {
    /// Registers every capture (as SALE) and refund (as RETURN) of order
    /// `order_id` that the ledger has not seen yet. Call it after anything that
    /// can add a capture or a refund; calling it again is harmless.
    pub(crate) fn post_order_history(&mut self, order_id: &str) {
        if let Some(order) = self.orders.get(order_id) {
            self.ledger.post_order_history(order);
        }
    }

    /// Charges the merchant a Klarna fee on order `order_id`, registered at
    /// `at`: a FEE transaction of `amount` minor units in the order's
    /// currency, e.g. [`DetailedType::EXTEND_DUE_DATE_FEE`] for the capture
    /// `capture_id` whose due date was extended. `false` (and nothing
    /// registered) when there is no such order.
    pub(crate) fn post_fee(
        &mut self,
        order_id: &str,
        capture_id: Option<&str>,
        detailed_type: DetailedType,
        amount: i64,
        at: OffsetDateTime,
    ) -> bool {
        let Some(order) = self.orders.get(order_id) else {
            return false;
        };
        let mut fee =
            Transaction::on_order(order, TransactionType::Fee, Some(detailed_type), amount, at);
        fee.capture_id = capture_id.map(str::to_owned);
        self.ledger.append(fee);
        true
    }

    /// Puts `order` in place (replacing an order with the same id) and
    /// registers its captures and refunds. A replaced order's unsettled
    /// transactions go; settled ones stay.
    pub(crate) fn insert_seeded_order(&mut self, order: super::order::Order) {
        let id = order.order_id.clone();
        if self.orders.insert(id.clone(), order).is_some() {
            self.ledger.forget_unsettled_history(&id);
        }
        self.post_order_history(&id);
    }
}

impl Simulator {
    /// Simulated now: the wall clock plus every [`Simulator::advance_clock`].
    pub fn now(&self) -> OffsetDateTime {
        self.shared.lock_inner().now()
    }

    /// A payout run at simulated now: on every host, pays out the unsettled
    /// transactions registered up to now, one payout per host and currency,
    /// dated now. Returns the new payouts (none when nothing was unsettled).
    pub fn run_payouts(&self) -> Vec<PayoutSnapshot> {
        let now = self.now();
        self.run_payouts_at(now)
    }

    /// A payout run with cut-off `at`: pays out what was registered up to
    /// `at`, dated `at` (which may lie in the past, for history).
    pub fn run_payouts_at(&self, at: OffsetDateTime) -> Vec<PayoutSnapshot> {
        let mut inner = self.shared.lock_inner();
        let made = inner.ledger.run_payouts(None, at);
        made.into_iter()
            .filter_map(|i| inner.ledger.payouts().get(i).map(PayoutSnapshot::from))
            .collect()
    }

    /// Registers a transaction that no Order Management call made (see
    /// [`SeedTransaction`]) and returns it.
    pub fn seed_transaction(&self, seed: SeedTransaction) -> TransactionSnapshot {
        let mut inner = self.shared.lock_inner();
        let now = inner.now();
        let tx = seed.build(&inner, now);
        let fallback = TransactionSnapshot::from(&tx);
        let seq = inner.ledger.append(tx);
        inner
            .ledger
            .transaction(seq)
            .map_or(fallback, TransactionSnapshot::from)
    }

    /// Every settlement transaction on every host, in registration order.
    pub fn settlement_transactions(&self) -> Vec<TransactionSnapshot> {
        let inner = self.shared.lock_inner();
        inner
            .ledger
            .transactions()
            .iter()
            .map(TransactionSnapshot::from)
            .collect()
    }

    /// Every payout on every host, in the order the runs made them.
    pub fn payouts(&self) -> Vec<PayoutSnapshot> {
        let inner = self.shared.lock_inner();
        inner
            .ledger
            .payouts()
            .iter()
            .map(PayoutSnapshot::from)
            .collect()
    }
}

/// Seeds the demo's settlement history (see [`demo_payouts`]).
pub(crate) fn seed_demo(inner: &mut Inner) {
    demo::seed(inner);
}
