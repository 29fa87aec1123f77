//! `list_settlement_transactions`: the money movements Klarna registered for the merchant —
//! captures (SALE), refunds (RETURN), fees, holdbacks, releases, reversals — of one order or
//! one payout, with the payout each was paid in (or that it is not paid out yet). Read-only.
//!
//! Reference: <https://docs.klarna.com/settlement-reports/api> (`getTransactions`).

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
        self as finance_args, offset_schema, payment_reference_schema, settlements_host_schema,
        size_schema,
    },
    failed_read,
    views::{KindTotal, PageView, TransactionView, bounded_lines, kind_totals},
};
use crate::{
    klarna::TransactionFilter,
    server::KlarnaServer,
    tools::{
        args::{self, Validate, uuid_schema},
        call::{Success, ToolCall},
        errors::ToolError,
        input_schema,
        output::THIRD_PARTY_NOTICE,
        output_schema,
    },
};

/// Arguments of `list_settlement_transactions`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListSettlementTransactionsParams {
    /// Only this Klarna order's transactions: Klarna's order id (a UUID), not the merchant's order number.
    #[serde(default)]
    #[schemars(schema_with = "optional_uuid_schema")]
    pub order_id: Option<String>,
    /// Only the transactions of this payout: its payment reference, as on the bank statement or as list_payouts shows it. Give orderId, paymentReference, or both.
    #[serde(default)]
    #[schemars(schema_with = "payment_reference_schema")]
    pub payment_reference: Option<String>,
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

fn optional_uuid_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    uuid_schema(g)
}

impl Validate for ListSettlementTransactionsParams {
    fn validate(&self) -> Result<(), ToolError> {
        if let Some(id) = &self.order_id {
            args::check_uuid("orderId", id)?;
        }
        if let Some(reference) = &self.payment_reference {
            finance_args::check_payment_reference(reference)?;
        }
        if self.order_id.is_none() && self.payment_reference.is_none() {
            return Err(ToolError::invalid(
                "orderId",
                "neither orderId nor paymentReference is given",
                "pass orderId (Klarna's order id) for one order's transactions, or paymentReference for one payout's; reconcile_settlements lines up this server's own captures and refunds with them",
            ));
        }
        finance_args::page(self.size, self.offset).map(|_| ())
    }
}

/// Result of `list_settlement_transactions`. Amounts in minor units.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TransactionList {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Host read.
    pub api_host: String,
    /// The order asked about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// The payout asked about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// This page's transactions, in the order Klarna lists them.
    pub transactions: Vec<TransactionView>,
    /// Where this page is; `nextOffset` says how to get the next.
    pub page: PageView,
    /// This page's transactions summed per currency and type.
    pub totals: Vec<KindTotal>,
    /// Present when a transaction holds text written outside this conversation (merchant
    /// references, Klarna's comments): what that text is and is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party_text_notice: Option<String>,
}

#[tool_router(router = transactions_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "list_settlement_transactions",
        title = "List Klarna settlement transactions",
        description = "List the money movements Klarna registered for one order (orderId) or in one payout (paymentReference): captures (SALE), refunds (RETURN), Klarna's fees, holdbacks, releases, reversals — each with amount (minor units), currency, capture or refund id, date, and the payout it was paid in or that it is not paid out yet; with this page's totals per currency and type. Pages hold `size` transactions (default 20, at most 100); page.nextOffset is the offset of the next page. Use it for \"was this order's capture paid out?\" or \"what is in payout X?\". Read-only.",
        input_schema = input_schema::<ListSettlementTransactionsParams>(),
        output_schema = output_schema::<TransactionList>(),
        annotations(title = "List Klarna settlement transactions", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn list_settlement_transactions(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("list_settlement_transactions", &context, async |call| {
            self.list_settlement_transactions_inner(call, arguments)
                .await
        })
        .await
    }
}

impl KlarnaServer {
    async fn list_settlement_transactions_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: ListSettlementTransactionsParams = args::parse(arguments)?;
        p.validate()?;
        let filter = TransactionFilter {
            order_id: p.order_id.map(|id| id.to_ascii_lowercase()),
            payment_reference: p.payment_reference,
        };
        call.order_id = filter.order_id.clone();
        let page = finance_args::page(p.size, p.offset)?;
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let whose = match (&filter.order_id, &filter.payment_reference) {
            (Some(o), Some(r)) => format!("order {o} in payout {r}"),
            (Some(o), None) => format!("order {o}"),
            (None, Some(r)) => format!("payout {r}"),
            (None, None) => "every order".to_string(),
        };
        let reply = self
            .client()
            .settlements()
            .transactions(host, &filter, page, &call.limits)
            .await
            .map_err(|e| {
                failed_read(
                    format!("Listing the settlement transactions of {whose} at {host}"),
                    host,
                    e,
                )
            })?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        let transactions: Vec<TransactionView> = reply
            .value
            .transactions
            .iter()
            .map(TransactionView::of)
            .collect();
        let page = PageView::of(reply.value.pagination.as_ref(), page, transactions.len());
        let totals = kind_totals(
            transactions
                .iter()
                .map(|t| (t.currency.as_str(), t.kind.as_str(), t.amount)),
        );
        let mut text = format!(
            "Settlement transactions of {whose} at {host}: {}.",
            page.line("transactions")
        );
        text.push_str(&bounded_lines(&transactions, TransactionView::line));
        if transactions.is_empty() {
            text.push_str(match (&filter.order_id, page.offset) {
                (_, offset) if offset > 0 => "\nNone on this page: the offset is past the last one.",
                (Some(_), _) => "\nNone: Klarna has registered no money movement for this order on this host yet (nothing captured, or not yet processed), or the order is on another host.",
                (None, _) => "\nNone: this payout holds no transactions on this host.",
            });
        }
        for t in &totals {
            text.push_str(&format!("\nTotal on this page, {}", t.line()));
        }
        let unpaid = transactions.iter().filter(|t| !t.paid_out).count();
        if unpaid > 0 {
            text.push_str(&format!(
                "\n{unpaid} of them not paid out yet: Klarna pays them in a coming payout."
            ));
        }
        if let Some(more) = page.more("transactions", "list_settlement_transactions") {
            text.push('\n');
            text.push_str(&more);
        }
        let third_party_text_notice = transactions
            .iter()
            .any(TransactionView::has_third_party_text)
            .then(|| THIRD_PARTY_NOTICE.to_string());
        if third_party_text_notice.is_some() {
            text.push('\n');
            text.push_str(THIRD_PARTY_NOTICE);
        }
        let list = TransactionList {
            notice: self.notice().map(str::to_string),
            api_host: host.to_string(),
            order_id: filter.order_id,
            payment_reference: filter.payment_reference,
            transactions,
            page,
            totals,
            third_party_text_notice,
        };
        Success::new(&list, text)
    }
}
