//! Refund tool: `refund_order`.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#operation/refundOrder>

use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{
    args::{self, Validate, amount_schema, api_host_schema, key_schema, text_schema, uuid_schema},
    call::{Call, Success},
    confirm::{Asker, body_digest, confirm, fingerprint},
    errors::{Op, ToolError},
    input_schema,
    lines::{self, OrderLineArg, lines_schema},
    output::OrderTotals,
    output_schema,
    receipts::RefundReceipt,
    write::{WriteContext, check_cap, write_failed},
};
use crate::{
    klarna::types::RefundRequest,
    money::{format_major, format_money},
    server::KlarnaServer,
};

/// Arguments of `refund_order`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundOrderParams {
    /// Klarna order id: a UUID such as 4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f (not the merchant's order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// Amount to refund, as a whole number of minor units of the order's currency (2500 = 25.00 EUR). Required. At most the captured amount minus what was already refunded.
    #[schemars(schema_with = "amount_schema")]
    pub amount: i64,
    /// Text shown to the customer for this refund, e.g. the reason (at most 255 characters).
    #[serde(default)]
    #[schemars(schema_with = "text_schema")]
    pub description: Option<String>,
    /// Your reference for this refund, e.g. the return or RMA number; appears in settlement files (at most 255 characters).
    #[serde(default)]
    #[schemars(schema_with = "text_schema")]
    pub reference: Option<String>,
    /// The order lines refunded, with the same references as on the capture, so Klarna can allocate the refund to the right capture. Their totalAmounts should add up to amount. Omit to refund an amount without line detail.
    #[serde(default)]
    #[schemars(schema_with = "lines_schema")]
    pub order_lines: Option<Vec<OrderLineArg>>,
    /// Makes the refund safe to repeat. Omit it for a new refund: the server generates one and shows it in the result. If a call's outcome was unknown (timeout, lost connection), repeat it with the SAME key from that result, and Klarna answers with the first result instead of refunding twice. Never reuse a key for a different refund. 1-64 letters, digits, '-' or '_'.
    #[serde(default)]
    #[schemars(schema_with = "key_schema")]
    pub idempotency_key: Option<String>,
    /// Klarna host of the region and environment the order was placed in. Omit to use the server's default host. Production: api.klarna.com (Europe), api-na.klarna.com (North America), api-oc.klarna.com (Oceania); playground (test) hosts add ".playground".
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for RefundOrderParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_amount("amount", self.amount)?;
        args::check_text("description", self.description.as_deref(), args::MAX_TEXT)?;
        args::check_text("reference", self.reference.as_deref(), args::MAX_TEXT)?;
        lines::check_lines(self.order_lines.as_deref())?;
        lines::check_lines_total(self.order_lines.as_deref(), Some(self.amount), "refund")?;
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

#[tool_router(router = refunds_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "refund_order",
        title = "Refund Klarna order",
        description = "Refund part or all of what was captured on a Klarna order. The amount is an integer in minor units and is required. Moves real money back to the customer and cannot be undone. Klarna refuses when nothing was captured yet or when the amount exceeds captured minus already refunded. Returns the refund id, the idempotency key and the order's totals afterwards (including the new refunded total).",
        input_schema = input_schema::<RefundOrderParams>(),
        output_schema = output_schema::<RefundReceipt>(),
        annotations(title = "Refund Klarna order", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true)
    )]
    pub(crate) async fn refund_order(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        let mut call = self.start_call("refund_order");
        call.limits.cancelled = context.ct.clone();
        let asker = Asker::new(&context, responses, state, self.confirmations());
        let result = self.refund_inner(&mut call, arguments, &asker).await;
        call.finish(result)
    }
}

impl KlarnaServer {
    async fn refund_inner(
        &self,
        call: &mut Call,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: RefundOrderParams = args::parse(arguments)?;
        p.validate()?;
        call.order_id = Some(p.order_id.clone());
        call.amount = Some(p.amount);
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let key = Self::idempotency_key(call, p.idempotency_key.clone(), asker);
        let before = self
            .read_before(
                call,
                host,
                &p.order_id,
                &format!("Refund on order {} at {host}", p.order_id),
            )
            .await?;
        let currency = OrderTotals::of(&before).currency;
        let money = format_money(p.amount, &currency);
        let plain = format_major(p.amount, &currency);
        check_cap(
            p.amount,
            self.config().max_refund_amount,
            "KLARNA_MAX_REFUND_AMOUNT",
            "a refund",
            &currency,
        )?;
        let body = RefundRequest {
            refunded_amount: p.amount,
            description: p.description.clone(),
            reference: p.reference.clone(),
            order_lines: p
                .order_lines
                .as_ref()
                .map(|lines| lines.iter().map(OrderLineArg::to_wire).collect()),
        };
        let question = format!("Refund {plain} on order {} at {host}?", p.order_id);
        let fp = fingerprint(
            "refund_order",
            &p.order_id,
            host.as_str(),
            p.amount,
            &key,
            &body_digest(&body),
        );
        confirm(self.config().confirm_writes, asker, &question, &fp).await?;
        call.restart_budget();
        call.ensure_not_cancelled()?;

        let ctx = WriteContext {
            what: format!("Refund of {money} on order {} at {host}", p.order_id),
            op: Op::Refund,
            host,
            key: &key,
            amount: Some(p.amount),
        };
        let reply = self
            .client()
            .create_refund(host, &p.order_id, &body, &key, &call.limits)
            .await
            .map_err(|failed| write_failed(ctx, failed, &before))?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        // A refund id the order already had means Klarna replayed an earlier call with this key.
        let earlier = reply.value.id.as_deref().and_then(|id| {
            before
                .refunds
                .iter()
                .find(|r| r.refund_id.as_deref() == Some(id))
        });
        let receipt = RefundReceipt {
            facts: self.write_facts(call, host, reply.attempts, &before, earlier.is_some()),
            refund_id: reply.value.id.clone(),
            refunded_amount: earlier.and_then(|r| r.refunded_amount).unwrap_or(p.amount),
            location: reply.value.location,
            after: self.read_after(call, host, &p.order_id).await,
        };
        Success::new(&receipt, receipt.text())
    }
}
