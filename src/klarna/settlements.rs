//! [`Settlements`]: Klarna's Settlements API — what Klarna paid the merchant (payouts), the
//! money movements behind each payout (transactions), and the payout reports — one short
//! method per endpoint over the transport's read helpers. Every call is a GET: nothing here
//! moves money or changes anything at Klarna.
//!
//! Dates go out as Klarna recommends them, full UTC date-times (`2020-01-23T00:00:00Z`);
//! callers format them (the tools accept a date alone and choose its start or end of day).
//!
//! Reference: <https://docs.klarna.com/settlement-reports/api>

use super::{
    transport::{Api, CallError, Document, Limits, Reply, Transport},
    types::settlements::{Payout, PayoutCollection, PayoutSummary, TransactionCollection},
};
use crate::host::ApiHost;

/// Which payouts a listing or a report covers: payout dates from `start` to `end` (each an
/// RFC 3339 UTC date-time, either open on a listing) and, when given, one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutPeriod {
    /// First payout date included (`start_date`).
    pub start: Option<String>,
    /// Last payout date included (`end_date`).
    pub end: Option<String>,
    /// ISO 4217 (`currency_code`).
    pub currency: Option<String>,
}

impl PayoutPeriod {
    fn query(&self) -> Vec<(&'static str, &str)> {
        let mut query = Vec::new();
        if let Some(start) = &self.start {
            query.push(("start_date", start.as_str()));
        }
        if let Some(end) = &self.end {
            query.push(("end_date", end.as_str()));
        }
        if let Some(currency) = &self.currency {
            query.push(("currency_code", currency.as_str()));
        }
        query
    }
}

/// One page of a collection: at most `size` elements from `offset` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Elements per page (Klarna: 1–500, default 20).
    pub size: u32,
    /// Where the page starts.
    pub offset: u64,
}

/// The transactions to list: those of one order, of one payout, or both filters at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionFilter {
    /// Klarna order id.
    pub order_id: Option<String>,
    /// Payment reference of a payout.
    pub payment_reference: Option<String>,
}

/// Which payout report to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// One payout, by payment reference.
    Payout(String),
    /// Every payout of a period (`start` and `end` required; the currency is not a filter of
    /// the reports).
    Period {
        /// First payout date included.
        start: String,
        /// Last payout date included.
        end: String,
    },
}

/// A report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// The summary and every transaction, as CSV.
    Csv,
    /// The summary, as PDF.
    Pdf,
}

impl ReportFormat {
    /// The media type asked for.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Pdf => "application/pdf",
        }
    }
}

/// The Settlements API of a [`KlarnaClient`](super::KlarnaClient): a copyable handle
/// borrowing the client's transport, so `client.settlements().payouts(…)` needs no binding.
#[derive(Clone, Copy)]
pub struct Settlements<'c> {
    transport: &'c Transport,
}

impl<'c> Settlements<'c> {
    pub(crate) fn new(transport: &'c Transport) -> Self {
        Self { transport }
    }

    /// `GET /settlements/v1/payouts`: the payouts of a period, newest first (as Klarna
    /// orders them), one page.
    pub async fn payouts(
        self,
        host: ApiHost,
        period: &PayoutPeriod,
        page: Page,
        limits: &Limits,
    ) -> Result<Reply<PayoutCollection>, CallError> {
        let (size, offset) = (page.size.to_string(), page.offset.to_string());
        let mut query = period.query();
        query.push(("size", &size));
        query.push(("offset", &offset));
        self.transport
            .get_json(host, Api::Settlements, &["payouts"], &query, limits)
            .await
    }

    /// `GET /settlements/v1/payouts/{payment_reference}`.
    pub async fn payout(
        self,
        host: ApiHost,
        payment_reference: &str,
        limits: &Limits,
    ) -> Result<Reply<Payout>, CallError> {
        self.transport
            .get_json(
                host,
                Api::Settlements,
                &["payouts", payment_reference],
                &[],
                limits,
            )
            .await
    }

    /// `GET /settlements/v1/payouts/summary`: one summary per currency for the period
    /// (`start` and `end` required).
    pub async fn summary(
        self,
        host: ApiHost,
        period: &PayoutPeriod,
        limits: &Limits,
    ) -> Result<Reply<Vec<PayoutSummary>>, CallError> {
        self.transport
            .get_json_list(
                host,
                Api::Settlements,
                &["payouts", "summary"],
                &period.query(),
                limits,
            )
            .await
    }

    /// `GET /settlements/v1/transactions`: one page of the transactions the filter picks.
    pub async fn transactions(
        self,
        host: ApiHost,
        filter: &TransactionFilter,
        page: Page,
        limits: &Limits,
    ) -> Result<Reply<TransactionCollection>, CallError> {
        let (size, offset) = (page.size.to_string(), page.offset.to_string());
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(reference) = &filter.payment_reference {
            query.push(("payment_reference", reference));
        }
        if let Some(order_id) = &filter.order_id {
            query.push(("order_id", order_id));
        }
        query.push(("size", &size));
        query.push(("offset", &offset));
        self.transport
            .get_json(host, Api::Settlements, &["transactions"], &query, limits)
            .await
    }

    /// One of the four payout reports: `GET /settlements/v1/reports/payout` (PDF),
    /// `…/payout-with-transactions` (CSV), `…/payouts-summary` (PDF) or
    /// `…/payouts-summary-with-transactions` (CSV), as bytes with their media type.
    pub async fn report(
        self,
        host: ApiHost,
        report: &Report,
        format: ReportFormat,
        limits: &Limits,
    ) -> Result<Reply<Document>, CallError> {
        let (path, query): (&str, Vec<(&str, &str)>) = match (report, format) {
            (Report::Payout(reference), ReportFormat::Pdf) => {
                ("payout", vec![("payment_reference", reference)])
            }
            (Report::Payout(reference), ReportFormat::Csv) => (
                "payout-with-transactions",
                vec![("payment_reference", reference)],
            ),
            (Report::Period { start, end }, ReportFormat::Pdf) => (
                "payouts-summary",
                vec![("start_date", start), ("end_date", end)],
            ),
            (Report::Period { start, end }, ReportFormat::Csv) => (
                "payouts-summary-with-transactions",
                vec![("start_date", start), ("end_date", end)],
            ),
        };
        self.transport
            .get_document(
                host,
                Api::Settlements,
                &["reports", path],
                &query,
                format.media_type(),
                limits,
            )
            .await
    }
}
