//! Payout tools: `list_payouts`, `get_payout`, `get_payout_summary` — what Klarna paid the
//! merchant, when, in which currency, and what each payout adds up to. Read-only.
//!
//! Reference: <https://docs.klarna.com/settlement-reports/api> (`getPayouts`, `getPayout`,
//! `getPayoutSummary`).

use rmcp::{
    RoleServer,
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    args::{
        self as finance_args, currency_filter_schema, end_date_schema, offset_schema,
        payment_reference_schema, settlements_host_schema, size_schema, start_date_schema,
        wire_date,
    },
    failed_read,
    views::{
        KindTotal, PageView, PayoutView, SummaryView, bounded_lines, count, id_text, kind_totals,
    },
};
use crate::{
    klarna::PayoutPeriod,
    money::format_money,
    server::KlarnaServer,
    tools::{
        args::{self, Validate},
        call::{Success, ToolCall},
        errors::ToolError,
        input_schema, output_schema,
    },
};

/// Arguments of `list_payouts`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListPayoutsParams {
    // Said in `start_date_schema`.
    #[serde(default)]
    #[schemars(schema_with = "start_date_schema")]
    pub start_date: Option<String>,
    // Said in `end_date_schema`.
    #[serde(default)]
    #[schemars(schema_with = "end_date_schema")]
    pub end_date: Option<String>,
    // Said in `currency_filter_schema`.
    #[serde(default)]
    #[schemars(schema_with = "currency_filter_schema")]
    pub currency: Option<String>,
    // Said in `size_schema`.
    #[serde(default)]
    #[schemars(schema_with = "size_schema")]
    pub size: Option<i64>,
    // Said in `offset_schema`.
    #[serde(default)]
    #[schemars(schema_with = "offset_schema")]
    pub offset: Option<i64>,
    // Said once for every finance tool, in `settlements_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "settlements_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for ListPayoutsParams {
    fn validate(&self) -> Result<(), ToolError> {
        finance_args::period(self.start_date.as_deref(), self.end_date.as_deref())?;
        args::check_currency(self.currency.as_deref())
            .map_err(|_| currency_error(&self.currency))?;
        finance_args::page(self.size, self.offset).map(|_| ())
    }
}

fn currency_error(value: &Option<String>) -> ToolError {
    ToolError::invalid(
        "currency",
        format!(
            "{} is not a currency code",
            args::quote(value.as_deref().unwrap_or_default())
        ),
        "use a three-letter ISO 4217 code such as EUR, USD or SEK, or leave it out for every currency",
    )
}

/// Arguments of `get_payout`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetPayoutParams {
    // Said in `payment_reference_schema`.
    #[schemars(schema_with = "payment_reference_schema")]
    pub payment_reference: String,
    // Said once for every finance tool, in `settlements_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "settlements_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for GetPayoutParams {
    fn validate(&self) -> Result<(), ToolError> {
        finance_args::check_payment_reference(&self.payment_reference)
    }
}

/// Arguments of `get_payout_summary`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetPayoutSummaryParams {
    // Said in `start_date_schema`.
    #[schemars(schema_with = "start_date_schema")]
    pub start_date: String,
    // Said in `end_date_schema`.
    #[schemars(schema_with = "end_date_schema")]
    pub end_date: String,
    // Said in `currency_filter_schema`.
    #[serde(default)]
    #[schemars(schema_with = "currency_filter_schema")]
    pub currency: Option<String>,
    // Said once for every finance tool, in `settlements_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "settlements_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for GetPayoutSummaryParams {
    fn validate(&self) -> Result<(), ToolError> {
        finance_args::period(Some(&self.start_date), Some(&self.end_date))?;
        args::check_currency(self.currency.as_deref())
            .map_err(|_| currency_error(&self.currency))?;
        Ok(())
    }
}

/// Which payouts a listing or summary covers, as sent to Klarna.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PeriodView {
    /// First payout date included (UTC), when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Last payout date included (UTC), when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Only this currency, when limited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl PeriodView {
    fn of(period: &PayoutPeriod) -> Self {
        Self {
            start_date: period.start.clone(),
            end_date: period.end.clone(),
            currency: period.currency.clone(),
        }
    }

    /// `"payout dates 2026-11-01T00:00:00Z to 2026-11-30T23:59:59Z, EUR"`, or `"every payout"`.
    fn phrase(&self) -> String {
        let dates = match (&self.start_date, &self.end_date) {
            (Some(s), Some(e)) => Some(format!("payout dates {s} to {e}")),
            (Some(s), None) => Some(format!("payout dates from {s}")),
            (None, Some(e)) => Some(format!("payout dates up to {e}")),
            (None, None) => None,
        };
        match (dates, &self.currency) {
            (Some(d), Some(c)) => format!("{d}, {c} only"),
            (Some(d), None) => d,
            (None, Some(c)) => format!("every payout in {c}"),
            (None, None) => "every payout".into(),
        }
    }
}

/// Result of `list_payouts`. Amounts in minor units.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PayoutList {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Host read.
    pub api_host: String,
    /// The filters sent.
    pub period: PeriodView,
    /// This page's payouts, newest first as Klarna lists them.
    pub payouts: Vec<PayoutView>,
    /// Where this page is; `nextOffset` says how to get the next.
    pub page: PageView,
    /// What this page's payouts add up to per currency: kind `payouts` with their count and
    /// the amount paid out.
    pub totals: Vec<KindTotal>,
}

/// Result of `get_payout`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PayoutDetails {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Host read.
    pub api_host: String,
    /// The payout.
    pub payout: PayoutView,
}

/// Result of `get_payout_summary`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PayoutSummaryList {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Host read.
    pub api_host: String,
    /// The period (and currency) sent.
    pub period: PeriodView,
    /// One summary per currency; empty when no payout falls in the period.
    pub summaries: Vec<SummaryView>,
}

#[tool_router(router = payouts_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "list_payouts",
        title = "List Klarna payouts",
        description = "List the payouts Klarna made to the merchant's bank account (Settlements API), newest first, one page at a time: payment reference (as on the bank statement), payout date, currency, amount paid and its main totals (sales, returns, fees) in minor units, with this page's totals per currency. Filter by payout dates and currency. Pages hold `size` payouts (default 20, at most 100); the result's page.nextOffset is the offset of the next page. Read-only.",
        input_schema = input_schema::<ListPayoutsParams>(),
        output_schema = output_schema::<PayoutList>(),
        annotations(title = "List Klarna payouts", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn list_payouts(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("list_payouts", &context, async |call| {
            self.list_payouts_inner(call, arguments).await
        })
        .await
    }

    #[tool(
        name = "get_payout",
        title = "Get Klarna payout",
        description = "Look up one payout by its payment reference (as on the bank statement, or from list_payouts): date, currency, amount paid, and every total it adds up to — sales, returns, fees, tax, holdbacks, debt — in minor units. To see its transactions, call list_settlement_transactions with the same paymentReference. Read-only.",
        input_schema = input_schema::<GetPayoutParams>(),
        output_schema = output_schema::<PayoutDetails>(),
        annotations(title = "Get Klarna payout", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn get_payout(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("get_payout", &context, async |call| {
            self.get_payout_inner(call, arguments).await
        })
        .await
    }

    #[tool(
        name = "get_payout_summary",
        title = "Summarize Klarna payouts",
        description = "Sum up the payouts of a period per currency (Klarna's payout summary): amount paid, sales, returns, fees, tax, holdbacks and more, in minor units, with the first and last payout date. startDate and endDate are required (a date means that whole day in UTC). Use it for \"how much did Klarna pay us in November?\". Read-only.",
        input_schema = input_schema::<GetPayoutSummaryParams>(),
        output_schema = output_schema::<PayoutSummaryList>(),
        annotations(title = "Summarize Klarna payouts", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn get_payout_summary(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("get_payout_summary", &context, async |call| {
            self.get_payout_summary_inner(call, arguments).await
        })
        .await
    }
}

impl KlarnaServer {
    async fn list_payouts_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: ListPayoutsParams = args::parse(arguments)?;
        p.validate()?;
        let (start, end) = finance_args::period(p.start_date.as_deref(), p.end_date.as_deref())?;
        let period = PayoutPeriod {
            start: start.map(wire_date),
            end: end.map(wire_date),
            currency: args::check_currency(p.currency.as_deref())?,
        };
        let page = finance_args::page(p.size, p.offset)?;
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let reply = self
            .client()
            .settlements()
            .payouts(host, &period, page, &call.limits)
            .await
            .map_err(|e| failed_read(format!("Listing payouts at {host}"), host, e))?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        let payouts: Vec<PayoutView> = reply.value.payouts.iter().map(PayoutView::of).collect();
        let page = PageView::of(reply.value.pagination.as_ref(), page, payouts.len());
        let totals = kind_totals(
            payouts
                .iter()
                .map(|p| (p.currency.as_str(), "payouts", p.settlement_amount)),
        );
        let period = PeriodView::of(&period);
        let mut text = format!(
            "Payouts at {host} ({}): {}.",
            period.phrase(),
            page.line("payouts")
        );
        text.push_str(&bounded_lines(&payouts, PayoutView::line));
        for t in &totals {
            text.push_str(&format!(
                "\nTotal on this page, {}: {}, paid {}.",
                t.currency,
                count(t.count, "payout", "payouts"),
                format_money(t.amount, &t.currency)
            ));
        }
        if payouts.is_empty() {
            text.push_str(
                "\nNo payouts on this page: none match, or the offset is past the last one.",
            );
        }
        if let Some(more) = page.more("payouts", "list_payouts") {
            text.push('\n');
            text.push_str(&more);
        }
        if let Some(first) = payouts.first() {
            text.push_str(&self.next_steps(
                &[
                    ("get_payout", "its totals"),
                    ("list_settlement_transactions", "its transactions"),
                ],
                &format!("paymentReference {}", id_text(&first.payment_reference)),
            ));
        }
        let list = PayoutList {
            notice: self.notice().map(str::to_string),
            api_host: host.to_string(),
            period,
            payouts,
            page,
            totals,
        };
        Success::new(&list, text)
    }

    async fn get_payout_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: GetPayoutParams = args::parse(arguments)?;
        p.validate()?;
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let reply = self
            .client()
            .settlements()
            .payout(host, &p.payment_reference, &call.limits)
            .await
            .map_err(|e| {
                failed_read(
                    format!("Looking up payout {} at {host}", p.payment_reference),
                    host,
                    e,
                )
            })?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        let mut payout = PayoutView::of(&reply.value);
        if payout.payment_reference.is_empty() {
            payout.payment_reference = p.payment_reference.clone();
        }
        let reference = id_text(&payout.payment_reference);
        let mut text = format!(
            "Payout {reference} at {host} ({}):\n{}",
            payout.currency,
            payout.lines()
        );
        text.push_str(&self.next_steps(
            &[
                ("list_settlement_transactions", "its transactions"),
                (
                    "get_payout_report",
                    "its report saved as a file (CSV or PDF)",
                ),
            ],
            &format!("paymentReference {reference}"),
        ));
        let details = PayoutDetails {
            notice: self.notice().map(str::to_string),
            api_host: host.to_string(),
            payout,
        };
        Success::new(&details, text)
    }

    async fn get_payout_summary_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: GetPayoutSummaryParams = args::parse(arguments)?;
        p.validate()?;
        let (start, end) = finance_args::period(Some(&p.start_date), Some(&p.end_date))?;
        let period = PayoutPeriod {
            start: start.map(wire_date),
            end: end.map(wire_date),
            currency: args::check_currency(p.currency.as_deref())?,
        };
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let reply = self
            .client()
            .settlements()
            .summary(host, &period, &call.limits)
            .await
            .map_err(|e| failed_read(format!("Summarizing payouts at {host}"), host, e))?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        let summaries: Vec<SummaryView> = reply.value.iter().map(SummaryView::of).collect();
        let period = PeriodView::of(&period);
        let mut text = format!("Payout summary at {host} ({}):", period.phrase());
        if summaries.is_empty() {
            text.push_str("\nNo payouts in this period.");
        }
        for s in &summaries {
            text.push('\n');
            text.push_str(&s.lines());
        }
        if !summaries.is_empty() {
            text.push_str(&self.next_steps(
                &[("list_payouts", "the payouts one by one")],
                "the same dates",
            ));
        }
        let list = PayoutSummaryList {
            notice: self.notice().map(str::to_string),
            api_host: host.to_string(),
            period,
            summaries,
        };
        Success::new(&list, text)
    }
}
