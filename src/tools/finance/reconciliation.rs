//! Reconciliation across the two worlds: this server's journal (the captures and refunds it
//! made) and Klarna's settlement transactions (the money movements Klarna registered and paid
//! out). For the orders this server captured or refunded in a period (or one order), it says
//!
//! - **settled**: our capture or refund, and the payout Klarna paid it in;
//! - **pending settlement**: ours, registered by Klarna but in no payout yet — or not in
//!   Klarna's settlement records at all yet;
//! - **not made by this server**: captures and refunds Klarna shows on those orders that the
//!   journal does not hold (the Merchant Portal, another system);
//! - **Klarna's own entries**: fees, holdbacks, releases, reversals on those orders;
//!
//! with totals per currency for each group, and which orders could not be read.
//!
//! The journal side reads only [`Journal::operations`] and the records it returns: an
//! operation of `capture_order` or `refund_order` whose latest verdict is `applied` or
//! `replayed` and that names the capture or refund id Klarna created. A replay names the id
//! of the operation it replayed, so one movement is counted once however many calls saw it.
//! A movement is matched to a transaction by that id (SALE ↔ capture id, RETURN ↔ refund
//! id); only a transaction without an id is matched by order, type and amount.
//!
//! [`matching`](reconcile) is pure and tested on its own; [`run`] reads the journal and Klarna
//! (a bounded number of orders, a few at a time, within the caller's limits).

use std::collections::{BTreeMap, HashSet};

use futures::StreamExt;
use schemars::JsonSchema;
use serde::Serialize;

use super::views::{KindTotal, TransactionView, bounded_lines, count, id_text, kind_totals};
use crate::{
    host::{ApiHost, HostPolicy},
    journal::{Journal, JournalError, Operation, OperationFilter, Verdict},
    klarna::{
        KlarnaClient, KlarnaError, Limits, Page, TransactionFilter, types::settlements::Transaction,
    },
    money::format_money,
    tools::output::{THIRD_PARTY_NOTICE, quoted},
};

/// Transactions asked for per page while reading an order (Klarna's largest page).
const PAGE_SIZE: u32 = 500;
/// Pages read per order at most.
const MAX_PAGES: u64 = 20;
/// Orders read at the same time.
const PARALLEL_READS: usize = 4;

/// What to reconcile: the journal's operations recorded in `[since, until]`, of one order or
/// all, on one host or all. Times are in the journal's form (see [`crate::journal::format_time`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Operations recorded at or after this time.
    pub since: Option<String>,
    /// Operations recorded at or before this time.
    pub until: Option<String>,
    /// Only this order (lower-case UUID).
    pub order_id: Option<String>,
    /// Only operations on this host.
    pub host: Option<ApiHost>,
}

/// A capture or refund this server made, as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// `capture` or `refund`.
    pub kind: &'static str,
    /// Host it was made on.
    pub api_host: String,
    /// Klarna order id (lower case).
    pub order_id: String,
    /// Capture or refund id Klarna created; empty when the journal has none.
    pub id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// When it was recorded.
    pub recorded_at: String,
    /// The idempotency key it was sent with.
    pub idempotency_key: String,
}

/// The movements among `ops` that `scope` picks, one per capture or refund (the earliest
/// operation that names it), oldest first.
pub fn movements(ops: &[Operation], scope: &Scope) -> Vec<Movement> {
    let mut picked: Vec<&Operation> = ops
        .iter()
        .filter(|op| matches!(op.verdict(), Verdict::Applied | Verdict::Replayed))
        .filter(|op| {
            scope
                .until
                .as_deref()
                .is_none_or(|until| op.first.recorded_at.as_str() <= until)
        })
        .filter(|op| {
            scope
                .since
                .as_deref()
                .is_none_or(|since| op.first.recorded_at.as_str() >= since)
        })
        .filter(|op| {
            scope
                .host
                .is_none_or(|h| op.first.api_host.eq_ignore_ascii_case(h.as_str()))
        })
        .filter(|op| {
            scope
                .order_id
                .as_deref()
                .is_none_or(|o| op.first.order_id.eq_ignore_ascii_case(o))
        })
        .collect();
    picked.sort_by(|a, b| a.first.recorded_at.cmp(&b.first.recorded_at));
    let mut seen: HashSet<(&'static str, String)> = HashSet::new();
    let mut out = Vec::new();
    for op in picked {
        let kind = match op.first.tool.as_str() {
            "capture_order" => "capture",
            "refund_order" => "refund",
            _ => continue,
        };
        let id = op
            .latest
            .record
            .created_id
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        // Without the id Klarna created, a replay cannot be told from what it replayed.
        if id.is_empty() && op.verdict() != Verdict::Applied {
            continue;
        }
        if !id.is_empty() && !seen.insert((kind, id.clone())) {
            continue;
        }
        out.push(Movement {
            kind,
            api_host: op.first.api_host.to_ascii_lowercase(),
            order_id: op.first.order_id.to_ascii_lowercase(),
            id,
            amount: op.first.amount,
            currency: op.first.currency.to_ascii_uppercase(),
            recorded_at: op.first.recorded_at.clone(),
            idempotency_key: op.first.idempotency_key.clone(),
        });
    }
    out
}

/// One order's settlement transactions as read from Klarna, or why they could not be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTransactions {
    /// Host read.
    pub api_host: String,
    /// Klarna order id (lower case).
    pub order_id: String,
    /// Its transactions, or why they could not be read.
    pub read: Result<Vec<Transaction>, String>,
}

/// Where one of this server's movements stands at Klarna.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// In a payout.
    Settled,
    /// Registered by Klarna, in no payout yet.
    AwaitingPayout,
    /// Not in Klarna's settlement transactions (yet).
    NotYetRegistered,
}

/// A capture or refund this server made, and where it stands at Klarna.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OwnMovement {
    /// `capture` or `refund`.
    pub kind: String,
    /// Klarna order id.
    pub order_id: String,
    /// Host it was made on.
    pub api_host: String,
    /// The capture or refund id Klarna created (empty when the journal has none).
    pub id: String,
    /// Amount this server moved, minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// When this server recorded it (RFC 3339, UTC).
    pub recorded_at: String,
    /// The idempotency key it was sent with (list_operations shows the operation).
    pub idempotency_key: String,
    /// settled, awaiting_payout or not_yet_registered.
    pub stage: Stage,
    /// The payout it was paid in, when settled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// How the transaction was found: `id` (its capture or refund id), or `orderAndAmount`
    /// (Klarna's transaction names no id); absent when none was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<String>,
    /// When Klarna's transaction disagrees (another amount or currency): what it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discrepancy: Option<String>,
}

impl OwnMovement {
    fn line(&self) -> String {
        let id = if self.id.is_empty() {
            String::new()
        } else {
            format!(" ({} id {})", self.kind, id_text(&self.id))
        };
        let stage = match (self.stage, &self.payment_reference) {
            (Stage::Settled, Some(r)) => format!("in payout {}", id_text(r)),
            (Stage::Settled, None) => "in a payout".to_string(),
            (Stage::AwaitingPayout, _) => "registered by Klarna, not paid out yet".to_string(),
            (Stage::NotYetRegistered, _) => {
                "not in Klarna's settlement transactions yet".to_string()
            }
        };
        let discrepancy = self
            .discrepancy
            .as_deref()
            .map(|d| format!(" — DISCREPANCY: {d}"))
            .unwrap_or_default();
        format!(
            "{} {} on order {} at {}{id}, made {} — {stage}{discrepancy}",
            self.kind,
            format_money(self.amount, &self.currency),
            id_text(&self.order_id),
            self.api_host,
            self.recorded_at,
        )
    }
}

/// An order whose transactions could not be read (or were not, to stay within bounds).
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UnreadOrder {
    /// Klarna order id.
    pub order_id: String,
    /// Its host.
    pub api_host: String,
    /// Why.
    pub reason: String,
    /// This server's captures and refunds on it that are therefore in no group.
    pub movements: u64,
}

/// The totals of each group, per currency and kind (minor units).
#[derive(Debug, Clone, Default, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct GroupTotals {
    /// This server's movements that were paid out (kinds capture and refund).
    pub settled: Vec<KindTotal>,
    /// This server's movements not paid out yet.
    pub pending: Vec<KindTotal>,
    /// Captures (SALE) and refunds (RETURN) this server did not make.
    pub not_made_here: Vec<KindTotal>,
    /// Klarna's own entries, by transaction type.
    pub klarna_entries: Vec<KindTotal>,
}

/// The reconciliation of this server's captures and refunds with Klarna's settlements.
#[derive(Debug, Clone, Default, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Reconciliation {
    /// Operations recorded from (journal time, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Operations recorded until.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// The one order reconciled, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The one host reconciled, when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_host: Option<String>,
    /// Orders whose transactions were read.
    pub orders_checked: u64,
    /// True when every order in scope was read: the groups are the whole picture.
    pub complete: bool,
    /// This server's captures and refunds that Klarna paid out.
    pub settled: Vec<OwnMovement>,
    /// This server's captures and refunds not paid out yet.
    pub pending: Vec<OwnMovement>,
    /// Captures and refunds Klarna shows on these orders that this server did not make (the
    /// Merchant Portal, another system).
    pub not_made_here: Vec<TransactionView>,
    /// Klarna's own entries on these orders: fees, holdbacks, releases, reversals, …
    pub klarna_entries: Vec<TransactionView>,
    /// Each group summed per currency and kind.
    pub totals: GroupTotals,
    /// Orders that could not be read, and why.
    pub unread: Vec<UnreadOrder>,
    /// Present when a transaction holds text written outside this conversation (merchant
    /// references, Klarna's comments): what that text is and is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party_text_notice: Option<String>,
}

fn same_id(a: Option<&String>, id: &str) -> bool {
    !id.is_empty() && a.is_some_and(|a| a.eq_ignore_ascii_case(id))
}

fn has_no_id(a: Option<&String>) -> bool {
    a.is_none_or(|a| a.is_empty())
}

/// Lines up `movements` with the transactions `read` for their orders (pure).
pub fn reconcile(movements: &[Movement], read: &[OrderTransactions]) -> Reconciliation {
    let mut out = Reconciliation {
        complete: true,
        ..Reconciliation::default()
    };
    for order in read {
        let own: Vec<&Movement> = movements
            .iter()
            .filter(|m| m.order_id == order.order_id && m.api_host == order.api_host)
            .collect();
        let transactions = match &order.read {
            Ok(t) => t,
            Err(reason) => {
                out.complete = false;
                out.unread.push(UnreadOrder {
                    order_id: order.order_id.clone(),
                    api_host: order.api_host.clone(),
                    reason: reason.clone(),
                    movements: own.len() as u64,
                });
                continue;
            }
        };
        out.orders_checked += 1;
        let mut used = vec![false; transactions.len()];
        for m in own {
            let (kind, id_of): (&str, fn(&Transaction) -> Option<&String>) = match m.kind {
                "capture" => ("SALE", |t| t.capture_id.as_ref()),
                _ => ("RETURN", |t| t.refund_id.as_ref()),
            };
            let is_kind = |t: &Transaction| t.kind.as_deref() == Some(kind);
            let by_id = transactions
                .iter()
                .enumerate()
                .find(|(i, t)| !used[*i] && is_kind(t) && same_id(id_of(t), &m.id));
            let found = by_id.map(|(i, t)| (i, t, "id")).or_else(|| {
                transactions
                    .iter()
                    .enumerate()
                    .find(|(i, t)| {
                        !used[*i]
                            && is_kind(t)
                            && has_no_id(id_of(t))
                            && t.amount.map(i64::abs) == Some(m.amount.abs())
                    })
                    .map(|(i, t)| (i, t, "orderAndAmount"))
            });
            let mut own = OwnMovement {
                kind: m.kind.to_string(),
                order_id: m.order_id.clone(),
                api_host: m.api_host.clone(),
                id: m.id.clone(),
                amount: m.amount,
                currency: m.currency.clone(),
                recorded_at: m.recorded_at.clone(),
                idempotency_key: m.idempotency_key.clone(),
                stage: Stage::NotYetRegistered,
                payment_reference: None,
                matched_by: None,
                discrepancy: None,
            };
            if let Some((i, t, how)) = found {
                used[i] = true;
                let view = TransactionView::of(t);
                own.matched_by = Some(how.to_string());
                own.stage = if view.paid_out {
                    Stage::Settled
                } else {
                    Stage::AwaitingPayout
                };
                own.payment_reference = view.payment_reference.clone();
                if view.amount.abs() != m.amount.abs() || view.currency != m.currency {
                    own.discrepancy = Some(format!(
                        "Klarna's transaction says {}",
                        format_money(view.amount, &view.currency)
                    ));
                }
            }
            match own.stage {
                Stage::Settled => out.settled.push(own),
                _ => out.pending.push(own),
            }
        }
        for (t, _) in transactions.iter().zip(&used).filter(|(_, used)| !**used) {
            let view = TransactionView::of(t);
            if matches!(view.kind.as_str(), "SALE" | "RETURN") {
                out.not_made_here.push(view);
            } else {
                out.klarna_entries.push(view);
            }
        }
    }
    let own_totals = |list: &[OwnMovement]| {
        kind_totals(
            list.iter()
                .map(|m| (m.currency.as_str(), m.kind.as_str(), m.amount)),
        )
    };
    let tx_totals = |list: &[TransactionView]| {
        kind_totals(
            list.iter()
                .map(|t| (t.currency.as_str(), t.kind.as_str(), t.amount)),
        )
    };
    out.totals = GroupTotals {
        settled: own_totals(&out.settled),
        pending: own_totals(&out.pending),
        not_made_here: tx_totals(&out.not_made_here),
        klarna_entries: tx_totals(&out.klarna_entries),
    };
    let third_party = out
        .not_made_here
        .iter()
        .chain(&out.klarna_entries)
        .any(TransactionView::has_third_party_text);
    out.third_party_text_notice = third_party.then(|| THIRD_PARTY_NOTICE.to_string());
    out
}

/// Why a read failed, in one line: Klarna's own words quoted as data.
fn why(error: &KlarnaError) -> String {
    let Some(status) = error.status() else {
        return error.to_string();
    };
    let facts = match error.error_code() {
        Some(code) => format!("HTTP {status} {code}"),
        None => format!("HTTP {status}"),
    };
    match error.klarna_words() {
        Some(words) => format!("{facts}: Klarna said {}", quoted(&words)),
        None => format!("{facts}: {}", error.reason()),
    }
}

/// Reads every page of one order's transactions.
async fn read_order(
    client: &KlarnaClient,
    host: ApiHost,
    order_id: &str,
    limits: &Limits,
) -> Result<Vec<Transaction>, String> {
    let filter = TransactionFilter {
        order_id: Some(order_id.to_string()),
        payment_reference: None,
    };
    let mut all = Vec::new();
    for n in 0..MAX_PAGES {
        let page = Page {
            size: PAGE_SIZE,
            offset: n * u64::from(PAGE_SIZE),
        };
        let reply = client
            .settlements()
            .transactions(host, &filter, page, limits)
            .await
            .map_err(|e| why(&e.error))?;
        let got = reply.value.transactions.len();
        all.extend(reply.value.transactions);
        let pagination = reply.value.pagination.unwrap_or_default();
        let total = pagination.total.and_then(|t| usize::try_from(t).ok());
        let more = pagination.next.is_some() || total.is_some_and(|t| t > all.len());
        if got == 0 || !more {
            return Ok(all);
        }
    }
    Err(format!(
        "it has more than {} settlement transactions; list them with list_settlement_transactions",
        MAX_PAGES * u64::from(PAGE_SIZE)
    ))
}

/// Reconciles the journal's captures and refunds in `scope` with Klarna's settlement
/// transactions: reads at most `max_orders` orders (those with the newest movements), a few
/// at a time, each on the host it was made on — if `hosts` allows it — within `limits`.
pub async fn run(
    client: &KlarnaClient,
    hosts: &HostPolicy,
    journal: &Journal,
    scope: &Scope,
    max_orders: usize,
    limits: &Limits,
) -> Result<Reconciliation, JournalError> {
    let ops = journal
        .operations(&OperationFilter {
            order_id: scope.order_id.clone(),
            since: scope.since.clone(),
            limit: usize::MAX,
            ..OperationFilter::default()
        })
        .await?;
    let movements = movements(&ops, scope);
    // Orders by their newest movement, newest first.
    let mut newest: BTreeMap<(String, String), String> = BTreeMap::new();
    for m in &movements {
        let at = newest
            .entry((m.api_host.clone(), m.order_id.clone()))
            .or_default();
        if m.recorded_at > *at {
            at.clone_from(&m.recorded_at);
        }
    }
    let mut orders: Vec<((String, String), String)> = newest.into_iter().collect();
    orders.sort_by(|a, b| b.1.cmp(&a.1));
    let skipped: Vec<OrderTransactions> = orders
        .iter()
        .skip(max_orders)
        .map(|((host, order), _)| OrderTransactions {
            api_host: host.clone(),
            order_id: order.clone(),
            read: Err(format!(
                "not read: the period has more than {max_orders} orders; narrow it (since, until) or ask for one order"
            )),
        })
        .collect();
    let reads = futures::stream::iter(orders.into_iter().take(max_orders))
        .map(|((host, order_id), _)| async move {
            let read = match hosts.resolve(Some(&host)) {
                Ok(h) => read_order(client, h, &order_id, limits).await,
                Err(e) => Err(e.to_string()),
            };
            OrderTransactions {
                api_host: host,
                order_id,
                read,
            }
        })
        .buffered(PARALLEL_READS)
        .collect::<Vec<_>>()
        .await;
    let all: Vec<OrderTransactions> = reads.into_iter().chain(skipped).collect();
    let mut result = reconcile(&movements, &all);
    result.since = scope.since.clone();
    result.until = scope.until.clone();
    result.order_id = scope.order_id.clone();
    result.api_host = scope.host.map(|h| h.to_string());
    Ok(result)
}

impl Reconciliation {
    /// The text people and models read: each group one movement per line (bounded), the
    /// totals per currency, what could not be read, and what this view does not cover.
    pub fn text(&self) -> String {
        let scope = match (&self.order_id, &self.since, &self.until) {
            (Some(o), _, _) => format!("on order {o}"),
            (None, Some(s), Some(u)) => format!("recorded from {s} to {u}"),
            (None, Some(s), None) => format!("recorded since {s}"),
            (None, None, Some(u)) => format!("recorded until {u}"),
            (None, None, None) => "in the journal".to_string(),
        };
        let host = self
            .api_host
            .as_deref()
            .map(|h| format!(" on {h}"))
            .unwrap_or_default();
        let mut text = format!(
            "Reconciliation of this server's captures and refunds {scope}{host} with Klarna's settlement transactions: {} read{}.",
            count(self.orders_checked, "order", "orders"),
            if self.complete {
                ""
            } else {
                " — INCOMPLETE, see below"
            }
        );
        let own = self.settled.len() + self.pending.len();
        if own == 0 && self.unread.is_empty() {
            text.push_str("\nThe journal holds no applied capture or refund in this scope: nothing to reconcile.");
        }
        let groups: [(&str, usize, String, &[KindTotal]); 4] = [
            (
                "Settled (paid out by Klarna)",
                self.settled.len(),
                bounded_lines(&self.settled, OwnMovement::line),
                &self.totals.settled,
            ),
            (
                "Pending settlement",
                self.pending.len(),
                bounded_lines(&self.pending, OwnMovement::line),
                &self.totals.pending,
            ),
            (
                "Not made by this server (Merchant Portal or another system)",
                self.not_made_here.len(),
                bounded_lines(&self.not_made_here, TransactionView::line),
                &self.totals.not_made_here,
            ),
            (
                "Klarna's own entries on these orders (fees, holdbacks, …)",
                self.klarna_entries.len(),
                bounded_lines(&self.klarna_entries, TransactionView::line),
                &self.totals.klarna_entries,
            ),
        ];
        for (title, count, lines, totals) in groups {
            if count == 0 {
                text.push_str(&format!("\n{title}: none."));
                continue;
            }
            text.push_str(&format!("\n{title}: {count}"));
            text.push_str(&lines);
            for t in totals {
                text.push_str(&format!("\n  total {}", t.line()));
            }
        }
        if !self.unread.is_empty() {
            text.push_str(&format!(
                "\nNot read ({}; their captures and refunds are in no group above):",
                count(self.unread.len() as u64, "order", "orders")
            ));
            text.push_str(&bounded_lines(&self.unread, |u| {
                format!(
                    "order {} at {} ({} of this server's movements): {}",
                    id_text(&u.order_id),
                    u.api_host,
                    u.movements,
                    u.reason
                )
            }));
        }
        text.push_str("\nOnly orders this server captured or refunded in this scope are read: movements on other orders are not in this view (list_payouts and list_settlement_transactions show them).");
        if self.third_party_text_notice.is_some() {
            text.push('\n');
            text.push_str(THIRD_PARTY_NOTICE);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{NewRecord, Record};

    fn op(
        tool: &str,
        order: &str,
        amount: i64,
        verdict: Verdict,
        id: Option<&str>,
        at: &str,
    ) -> Operation {
        let first = NewRecord {
            op_id: uuid::Uuid::new_v4().to_string(),
            recorded_at: at.to_string(),
            tool: tool.to_string(),
            api_host: "api.klarna.com".into(),
            order_id: order.to_string(),
            amount,
            amount_was_everything: false,
            currency: "EUR".into(),
            idempotency_key: format!("key-{at}"),
            key_from_caller: false,
            body_digest: String::new(),
            client_name: None,
            client_version: None,
            principal: None,
            confirmed: false,
            verdict: Verdict::Pending,
            created_id: None,
            correlation_id: None,
            http_status: None,
            error_code: None,
            note: None,
            target_id: None,
        };
        let latest = NewRecord {
            verdict,
            created_id: id.map(str::to_string),
            ..first.clone()
        };
        Operation {
            first,
            latest: Record::chain(2, latest, crate::journal::record::GENESIS),
        }
    }

    fn tx(
        kind: &str,
        order: &str,
        amount: i64,
        capture: Option<&str>,
        refund: Option<&str>,
        paid: Option<&str>,
    ) -> Transaction {
        Transaction {
            amount: Some(amount),
            kind: Some(kind.into()),
            order_id: Some(order.into()),
            capture_id: capture.map(str::to_string),
            refund_id: refund.map(str::to_string),
            payment_reference: paid.map(str::to_string),
            currency_code: Some("EUR".into()),
            ..Transaction::default()
        }
    }

    const A: &str = "aaaaaaaa-0000-4000-8000-000000000001";
    const B: &str = "bbbbbbbb-0000-4000-8000-000000000002";

    #[test]
    fn replays_count_once_and_only_applied_captures_and_refunds_count() {
        let ops = vec![
            op(
                "capture_order",
                A,
                1000,
                Verdict::Applied,
                Some("C1"),
                "2026-11-01T10:00:00.000Z",
            ),
            op(
                "capture_order",
                A,
                1000,
                Verdict::Replayed,
                Some("c1"),
                "2026-11-01T10:05:00.000Z",
            ),
            op(
                "refund_order",
                A,
                300,
                Verdict::Refused,
                None,
                "2026-11-01T11:00:00.000Z",
            ),
            op(
                "refund_order",
                A,
                200,
                Verdict::OutcomeUnknown,
                None,
                "2026-11-01T11:05:00.000Z",
            ),
            op(
                "cancel_order",
                B,
                500,
                Verdict::Applied,
                None,
                "2026-11-01T12:00:00.000Z",
            ),
            op(
                "refund_order",
                A,
                250,
                Verdict::Applied,
                Some("R1"),
                "2026-11-02T09:00:00.000Z",
            ),
        ];
        let all = movements(&ops, &Scope::default());
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!((all[0].kind, all[0].id.as_str()), ("capture", "c1"));
        assert_eq!((all[1].kind, all[1].amount), ("refund", 250));
        let until = Scope {
            until: Some("2026-11-01T23:59:59.000Z".into()),
            ..Scope::default()
        };
        assert_eq!(movements(&ops, &until).len(), 1);
    }

    #[test]
    fn settled_pending_foreign_and_klarna_entries_with_totals_per_currency() {
        let ops = vec![
            op(
                "capture_order",
                A,
                1000,
                Verdict::Applied,
                Some("C1"),
                "2026-11-01T10:00:00.000Z",
            ),
            op(
                "refund_order",
                A,
                250,
                Verdict::Applied,
                Some("R1"),
                "2026-11-02T09:00:00.000Z",
            ),
            op(
                "capture_order",
                B,
                700,
                Verdict::Applied,
                Some("C9"),
                "2026-11-03T09:00:00.000Z",
            ),
        ];
        let all = movements(&ops, &Scope::default());
        let read = vec![
            OrderTransactions {
                api_host: "api.klarna.com".into(),
                order_id: A.into(),
                read: Ok(vec![
                    tx("SALE", A, 1000, Some("c1"), None, Some("PAY1")),
                    tx("RETURN", A, 250, Some(""), Some("R1"), None),
                    tx("SALE", A, 500, Some("C-PORTAL"), None, Some("PAY1")),
                    tx("FEE", A, 30, Some("c1"), None, Some("PAY1")),
                ]),
            },
            OrderTransactions {
                api_host: "api.klarna.com".into(),
                order_id: B.into(),
                read: Ok(vec![]),
            },
        ];
        let r = reconcile(&all, &read);
        assert!(r.complete);
        assert_eq!(r.orders_checked, 2);
        assert_eq!(r.settled.len(), 1);
        assert_eq!(r.settled[0].payment_reference.as_deref(), Some("PAY1"));
        assert_eq!(r.settled[0].matched_by.as_deref(), Some("id"));
        assert_eq!(r.pending.len(), 2);
        assert_eq!(r.pending[0].stage, Stage::AwaitingPayout);
        assert_eq!(r.pending[1].stage, Stage::NotYetRegistered);
        assert_eq!(r.not_made_here.len(), 1);
        assert_eq!(r.not_made_here[0].capture_id.as_deref(), Some("C-PORTAL"));
        assert_eq!(r.klarna_entries.len(), 1);
        let total = |list: &[KindTotal], kind: &str| {
            list.iter()
                .find(|t| t.kind == kind)
                .map(|t| (t.count, t.amount))
        };
        assert_eq!(total(&r.totals.settled, "capture"), Some((1, 1000)));
        assert_eq!(total(&r.totals.pending, "capture"), Some((1, 700)));
        assert_eq!(total(&r.totals.pending, "refund"), Some((1, 250)));
        assert_eq!(total(&r.totals.not_made_here, "SALE"), Some((1, 500)));
        assert_eq!(total(&r.totals.klarna_entries, "FEE"), Some((1, 30)));
        let text = r.text();
        assert!(text.contains("in payout PAY1"), "{text}");
        assert!(
            text.contains("not in Klarna's settlement transactions yet"),
            "{text}"
        );
        assert!(text.contains("total SALE × 1: 5.00 EUR (500)"), "{text}");
    }

    #[test]
    fn a_transaction_without_an_id_matches_by_amount_and_disagreements_are_said() {
        let ops = vec![
            op(
                "capture_order",
                A,
                1000,
                Verdict::Applied,
                Some("C1"),
                "2026-11-01T10:00:00.000Z",
            ),
            op(
                "refund_order",
                A,
                400,
                Verdict::Applied,
                Some("R1"),
                "2026-11-01T11:00:00.000Z",
            ),
        ];
        let all = movements(&ops, &Scope::default());
        let read = vec![OrderTransactions {
            api_host: "api.klarna.com".into(),
            order_id: A.into(),
            read: Ok(vec![
                tx("SALE", A, 900, Some("C1"), None, None),
                tx("RETURN", A, -400, None, None, Some("PAY2")),
            ]),
        }];
        let r = reconcile(&all, &read);
        assert_eq!(
            r.pending[0].discrepancy.as_deref(),
            Some("Klarna's transaction says 9.00 EUR (900)")
        );
        assert_eq!(r.settled[0].matched_by.as_deref(), Some("orderAndAmount"));
        assert!(r.not_made_here.is_empty());
    }

    #[test]
    fn an_order_that_cannot_be_read_makes_it_incomplete_and_is_named() {
        let ops = vec![op(
            "capture_order",
            A,
            1000,
            Verdict::Applied,
            Some("C1"),
            "2026-11-01T10:00:00.000Z",
        )];
        let all = movements(&ops, &Scope::default());
        let read = vec![OrderTransactions {
            api_host: "api.klarna.com".into(),
            order_id: A.into(),
            read: Err("HTTP 401".into()),
        }];
        let r = reconcile(&all, &read);
        assert!(!r.complete);
        assert_eq!(r.unread[0].movements, 1);
        assert!(r.settled.is_empty() && r.pending.is_empty());
        assert!(r.text().contains("INCOMPLETE"));
    }
}
