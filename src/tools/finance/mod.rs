//! The `finance` toolset: Klarna's Settlements API, read-only — "did we get paid for it?".
//!
//! | file | tools |
//! |---|---|
//! | `payouts.rs` | `list_payouts`, `get_payout`, `get_payout_summary` |
//! | `transactions.rs` | `list_settlement_transactions` |
//! | `reports.rs` | `get_payout_report` (saved by `report_files.rs`, a CSV summed up by `csv_report.rs`) |
//! | `reconcile.rs` | `reconcile_settlements` (and `klarna-mcp journal settlements`), lining up this server's journal with Klarna's settlement transactions (`reconciliation.rs`) |
//!
//! Every tool only reads at Klarna (`readOnlyHint`), so read-only mode and the reader role
//! keep them all. Each follows the tools' template: parse and check the arguments (nothing
//! sent on a bad one), resolve `apiHost` against the credentials, one read (or a bounded few,
//! for reconciliation), and a result with structured content and a text of one fact per
//! line, money as `105.00 EUR (10500)`, pages and totals, and text written outside this
//! conversation quoted as data. `args.rs` holds the arguments and their schemas shared by the
//! area, `views.rs` what the results show.
//!
//! Hosts: the Settlements API lives under `/settlements/v1` on the same six hosts as Order
//! Management — each region and environment pays out on its own, and its credentials see
//! only its own payouts — so `apiHost` and the credential sets work exactly as for orders.

pub mod args;
pub mod csv_report;
mod payouts;
pub mod reconcile;
pub mod reconciliation;
pub mod report_files;
mod reports;
mod transactions;
pub mod views;

use crate::{
    host::ApiHost,
    klarna::CallError,
    server::KlarnaServer,
    tools::errors::{FailedRequest, Op, ToolError},
};

/// A Settlements read that failed, as the one place for failures explains it.
pub(crate) fn failed_read(what: String, host: ApiHost, failed: CallError) -> ToolError {
    ToolError::Klarna(Box::new(FailedRequest::read(
        what,
        Op::Settlements,
        host,
        failed,
    )))
}

impl KlarnaServer {
    /// `"\nNext: with X — tool for what; tool for what."`, naming only the tools this server
    /// serves; empty when it serves none of them.
    pub(crate) fn next_steps(&self, steps: &[(&str, &str)], with: &str) -> String {
        let served: Vec<String> = steps
            .iter()
            .filter(|(tool, _)| self.served().has(tool))
            .map(|(tool, what)| format!("{tool} for {what}"))
            .collect();
        if served.is_empty() {
            String::new()
        } else {
            format!("\nNext, with {with}: {}.", served.join("; "))
        }
    }
}
