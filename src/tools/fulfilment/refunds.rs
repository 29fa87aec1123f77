//! Refund lookup: `get_refund`.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#operation/get>

use rmcp::{
    RoleServer,
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    server::KlarnaServer,
    tools::{
        args::{self, Validate, api_host_schema, uuid_schema},
        call::{Success, ToolCall},
        errors::{FailedRequest, Op, ToolError},
        input_schema,
        output::{LineView, RefundView, THIRD_PARTY_NOTICE, money_in, quoted},
        output_schema,
    },
};

/// Arguments of `get_refund`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetRefundParams {
    /// Klarna order id (UUID) the refund belongs to.
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// Refund id (UUID), as refund_order returned it or get_order lists it under refunds.
    #[schemars(schema_with = "uuid_schema")]
    pub refund_id: String,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for GetRefundParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_uuid("refundId", &self.refund_id)
    }
}

/// Result of `get_refund`. Amounts in minor units.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RefundDetails {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Klarna order id.
    pub order_id: String,
    /// Host it was read from.
    pub api_host: String,
    /// ISO 4217 currency, when the order could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The refund.
    pub refund: RefundView,
    /// The order lines refunded (by which Klarna allocates the refund to a capture).
    pub order_lines: Vec<LineView>,
    /// Whether Klarna sent the customer a credit invoice for it, when Klarna says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_invoice: Option<bool>,
    /// Present when the refund holds text written outside this conversation (reference,
    /// description, line names): what that text is and is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party_text_notice: Option<String>,
}

#[tool_router(router = fulfilment_refunds_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "get_refund",
        title = "Get Klarna refund",
        description = "Look up one refund of a Klarna order: amount (minor units), date, description, reference, the order lines refunded and whether a credit invoice went to the customer — e.g. to check that a refund went through. Read-only.",
        input_schema = input_schema::<GetRefundParams>(),
        output_schema = output_schema::<RefundDetails>(),
        annotations(title = "Get Klarna refund", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn get_refund(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("get_refund", &context, async |call| {
            self.get_refund_inner(call, arguments).await
        })
        .await
    }
}

impl KlarnaServer {
    async fn get_refund_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: GetRefundParams = args::parse(arguments)?;
        p.validate()?;
        call.order_id = Some(p.order_id.clone());
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let orders = self.client().orders();
        // The refund carries no currency; the order does. Both are read at once.
        let (reply, order) = tokio::join!(
            orders.refund(host, &p.order_id, &p.refund_id, &call.limits),
            orders.get(host, &p.order_id, &call.limits)
        );
        let reply = reply.map_err(|failed| {
            ToolError::Klarna(Box::new(FailedRequest::read(
                format!(
                    "Looking up refund {} of order {} at {host}",
                    p.refund_id, p.order_id
                ),
                Op::GetRefund,
                host,
                failed,
            )))
        })?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        let currency = order.ok().and_then(|o| o.value.purchase_currency);
        let m = |v| money_in(v, currency.as_deref());
        let refund = RefundView::of(&reply.value);
        let order_lines: Vec<LineView> = reply.value.order_lines.iter().map(LineView::of).collect();
        let mut text = format!(
            "Refund {} of order {} at {host}: refunded {}{}.",
            refund.refund_id.as_deref().unwrap_or(&p.refund_id),
            p.order_id,
            m(refund.refunded_amount),
            refund
                .refunded_at
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default(),
        );
        text.push_str(&match &refund.reference {
            Some(r) => format!("\nReference: {}.", quoted(r)),
            None => "\nNo reference recorded.".into(),
        });
        text.push_str(&match &refund.description {
            Some(d) => format!("\nDescription: {}.", quoted(d)),
            None => "\nNo description recorded.".into(),
        });
        match reply.value.credit_invoice {
            Some(true) => text.push_str("\nKlarna sent the customer a credit invoice."),
            Some(false) => text.push_str("\nNo credit invoice was sent."),
            None => {}
        }
        if order_lines.is_empty() {
            text.push_str("\nNo order lines recorded for this refund.");
        }
        for l in &order_lines {
            text.push_str(&l.text(m));
        }
        let third_party_text_notice =
            (refund.reference.is_some() || refund.description.is_some() || !order_lines.is_empty())
                .then(|| THIRD_PARTY_NOTICE.to_string());
        if third_party_text_notice.is_some() {
            text.push('\n');
            text.push_str(THIRD_PARTY_NOTICE);
        }
        let details = RefundDetails {
            notice: self.notice().map(str::to_string),
            order_id: p.order_id,
            api_host: host.to_string(),
            currency: currency.map(|c| c.to_ascii_uppercase()),
            credit_invoice: reply.value.credit_invoice,
            refund,
            order_lines,
            third_party_text_notice,
        };
        Success::new(&details, text)
    }
}
