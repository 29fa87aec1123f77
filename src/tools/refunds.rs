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
    args::{
        self, Validate, amount_schema, api_host_schema, currency_schema, refund_key_schema,
        text_schema, uuid_schema,
    },
    call::{Success, ToolCall},
    confirm::Asker,
    errors::ToolError,
    input_schema,
    lines::{self, OrderLineArg, lines_schema},
    output_schema,
    receipts::RefundReceipt,
    write::{WriteBody, WriteRequest, kind},
};
use crate::{
    klarna::{
        CallError, json_body,
        types::{OrderLine, RefundRequest},
    },
    server::KlarnaServer,
};

/// What a refund sends besides its amount.
struct RefundBody {
    description: Option<String>,
    reference: Option<String>,
    order_lines: Option<Vec<OrderLine>>,
}

impl WriteBody for RefundBody {
    fn json(&self, amount: i64) -> Result<Option<Vec<u8>>, CallError> {
        json_body(&RefundRequest {
            refunded_amount: amount,
            description: self.description.clone(),
            reference: self.reference.clone(),
            order_lines: self.order_lines.clone(),
        })
        .map(Some)
    }

    fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
}

/// Arguments of `refund_order`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundOrderParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// Amount to refund, as a whole number of minor units of the order's currency — every currency Klarna uses has two decimals, so 2500 = 25.00 (EUR, USD, GBP, SEK, NOK, DKK, AUD, …): 10 dollars is 1000. Required. At most the captured amount minus what was already refunded (get_order shows it as refundableAmount).
    #[schemars(schema_with = "amount_schema")]
    pub amount: i64,
    /// ISO 4217 code of the currency the amount is meant in (e.g. EUR), as the user stated it ("refund 10 dollars" → USD). If it differs from the order's currency the refund is refused before anything is sent. Omit only when nobody named a currency.
    #[serde(default)]
    #[schemars(schema_with = "currency_schema")]
    pub currency: Option<String>,
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
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "refund_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for RefundOrderParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_amount("amount", self.amount)?;
        args::check_currency(self.currency.as_deref())?;
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
        self.run_write(
            "refund_order",
            &context,
            responses,
            state,
            async |call, asker| self.refund_inner(call, arguments, asker).await,
        )
        .await
    }
}

impl KlarnaServer {
    async fn refund_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: RefundOrderParams = args::parse(arguments)?;
        p.validate()?;
        let request = WriteRequest {
            kind: &kind::REFUND,
            order_id: p.order_id,
            target_id: None,
            api_host: p.api_host,
            amount: Some(p.amount),
            currency: args::check_currency(p.currency.as_deref())?,
            idempotency_key: p.idempotency_key,
            body: Box::new(RefundBody {
                description: p.description,
                reference: p.reference,
                order_lines: p
                    .order_lines
                    .map(|lines| lines.iter().map(OrderLineArg::to_wire).collect()),
            }),
        };
        let written = self.write(call, request, asker).await?;
        let receipt = RefundReceipt {
            refunded_amount: written
                .earlier
                .as_ref()
                .and_then(|e| e.amount)
                .unwrap_or(written.amount),
            refund_id: written.created_id,
            facts: written.facts,
            after: written.after,
        };
        Success::new(&receipt, receipt.text())
    }
}
