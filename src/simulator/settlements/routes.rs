//! The Settlements API's routes, mounted beside Order Management's on every
//! host (`/{host}/settlements/v1/…`). The handlers are as thin as Order
//! Management's and go through the same `run`: the fault queue first, then
//! the operation with the state lock held.

// Faults: Klarna's settlement reads have no `Operation` of their own; we choose
// to let them take only `Operation::Any` rules (as a refund read does), so a
// fault aimed at a named Order Management operation is never consumed here.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::get;

use super::api;
use super::render::SETTLEMENTS;
use crate::simulator::faults::Operation;
use crate::simulator::ops::OpResult;
use crate::simulator::routes::{Ctx, run};
use crate::simulator::settlements::ledger::Ledger;
use crate::simulator::shared::Shared;

type St = State<Arc<Shared>>;

/// The read-only settlement routes, for `routes::router` to merge.
pub(crate) fn router() -> Router<Arc<Shared>> {
    let at = |path: &str| format!("{SETTLEMENTS}{path}");
    Router::new()
        .route(&at("/payouts"), get(payouts))
        .route(&at("/payouts/summary"), get(payout_summary))
        .route(&at("/payouts/{payment_reference}"), get(payout))
        .route(&at("/transactions"), get(transactions))
        .route(&at("/reports/payout"), get(payout_pdf))
        .route(&at("/reports/payout-with-transactions"), get(payout_csv))
        .route(&at("/reports/payouts-summary"), get(summary_pdf))
        .route(
            &at("/reports/payouts-summary-with-transactions"),
            get(summary_csv),
        )
}

/// Runs `read` against the ledger of the host `ctx` was asked on.
fn read(sh: &Shared, ctx: &Ctx, read: impl FnOnce(&Ledger, &str) -> OpResult) -> Response {
    run(sh, ctx, Operation::Any, None, |inner, _| {
        read(&inner.ledger, ctx.host())
    })
}

async fn payouts(State(sh): St, ctx: Ctx, RawQuery(q): RawQuery) -> Response {
    let base = ctx.base_url();
    read(&sh, &ctx, |l, host| {
        api::list_payouts(l, host, q.as_deref(), &base)
    })
}

async fn payout_summary(State(sh): St, ctx: Ctx, RawQuery(q): RawQuery) -> Response {
    read(&sh, &ctx, |l, host| {
        api::payout_summary(l, host, q.as_deref())
    })
}

async fn payout(State(sh): St, ctx: Ctx, Path(reference): Path<String>) -> Response {
    let base = ctx.base_url();
    read(&sh, &ctx, |l, host| {
        api::get_payout(l, host, &reference, &base)
    })
}

async fn transactions(State(sh): St, ctx: Ctx, RawQuery(q): RawQuery) -> Response {
    let base = ctx.base_url();
    read(&sh, &ctx, |l, host| {
        api::list_transactions(l, host, q.as_deref(), &base)
    })
}

async fn payout_pdf(State(sh): St, ctx: Ctx, RawQuery(q): RawQuery) -> Response {
    read(&sh, &ctx, |l, host| {
        api::payout_report_pdf(l, host, q.as_deref())
    })
}

async fn payout_csv(State(sh): St, ctx: Ctx, RawQuery(q): RawQuery) -> Response {
    read(&sh, &ctx, |l, host| {
        api::payout_report_csv(l, host, q.as_deref())
    })
}

async fn summary_pdf(State(sh): St, ctx: Ctx, RawQuery(q): RawQuery) -> Response {
    read(&sh, &ctx, |l, host| {
        api::summary_report_pdf(l, host, q.as_deref())
    })
}

async fn summary_csv(State(sh): St, ctx: Ctx, RawQuery(q): RawQuery) -> Response {
    read(&sh, &ctx, |l, host| {
        api::summary_report_csv(l, host, q.as_deref())
    })
}
