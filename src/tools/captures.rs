//! Capture tools: `capture_order`, `get_capture`.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#operation/captureOrder>,
//! `#operation/getCapture`.

use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    args::{
        self, Validate, amount_schema, api_host_schema, capture_key_schema, currency_schema,
        text_schema, uuid_schema,
    },
    call::{Success, ToolCall},
    confirm::Asker,
    errors::{FailedRequest, Op, ToolError},
    input_schema,
    lines::{self, OrderLineArg, ShippingInfoArg, lines_schema, shipping_schema},
    output::{CaptureView, THIRD_PARTY_NOTICE, money_in, quoted},
    output_schema,
    receipts::CaptureReceipt,
    write::{WriteBody, WriteRequest, kind},
};
use crate::{
    klarna::{
        CallError, json_body,
        types::{CaptureRequest, OrderLine, ShippingInfo},
    },
    server::KlarnaServer,
};

/// What a capture sends besides its amount.
struct CaptureBody {
    description: Option<String>,
    reference: Option<String>,
    order_lines: Option<Vec<OrderLine>>,
    shipping_info: Option<Vec<ShippingInfo>>,
}

impl WriteBody for CaptureBody {
    fn json(&self, amount: i64) -> Result<Option<Vec<u8>>, CallError> {
        json_body(&CaptureRequest {
            captured_amount: amount,
            description: self.description.clone(),
            reference: self.reference.clone(),
            order_lines: self.order_lines.clone(),
            shipping_info: self.shipping_info.clone(),
        })
        .map(Some)
    }

    fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
}

/// Arguments of `capture_order`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaptureOrderParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// Amount to capture, as a whole number of minor units of the order's currency — every currency Klarna uses has two decimals, so 10500 = 105.00 (EUR, USD, GBP, SEK, NOK, DKK, AUD, …): 1299 kronor is 129900. Omit to capture the whole remaining authorized amount. At most the remaining authorized amount.
    #[serde(default, deserialize_with = "args::present")]
    #[schemars(schema_with = "amount_schema")]
    pub amount: Option<i64>,
    /// ISO 4217 code of the currency the amount is meant in (e.g. EUR), as the user stated it. If it differs from the order's currency the capture is refused before anything is sent. Omit only when nobody named a currency.
    #[serde(default)]
    #[schemars(schema_with = "currency_schema")]
    pub currency: Option<String>,
    /// Text shown to the customer for this capture (at most 255 characters).
    #[serde(default)]
    #[schemars(schema_with = "text_schema")]
    pub description: Option<String>,
    /// Your reference for this capture, e.g. the shipment or delivery id; appears in Klarna's settlement files (at most 255 characters).
    #[serde(default)]
    #[schemars(schema_with = "text_schema")]
    pub reference: Option<String>,
    /// The order lines this capture covers (recommended for partial captures; shown in the Klarna app). Their totalAmounts should add up to amount. Omit when capturing without line detail.
    #[serde(default)]
    #[schemars(schema_with = "lines_schema")]
    pub order_lines: Option<Vec<OrderLineArg>>,
    /// Shipment tracking for this capture (carrier, method, tracking number). Omit if not shipped or unknown.
    #[serde(default)]
    #[schemars(schema_with = "shipping_schema")]
    pub shipping_info: Option<Vec<ShippingInfoArg>>,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "capture_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for CaptureOrderParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        if let Some(amount) = self.amount {
            args::check_amount("amount", amount)?;
        }
        args::check_currency(self.currency.as_deref())?;
        args::check_text("description", self.description.as_deref(), args::MAX_TEXT)?;
        args::check_text("reference", self.reference.as_deref(), args::MAX_TEXT)?;
        lines::check_lines(self.order_lines.as_deref())?;
        lines::check_lines_total(self.order_lines.as_deref(), self.amount, "capture")?;
        lines::check_shipping(self.shipping_info.as_deref())?;
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

/// Arguments of `get_capture`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetCaptureParams {
    /// Klarna order id (UUID) the capture belongs to.
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// Capture id (UUID), as returned by capture_order or listed by get_order.
    #[schemars(schema_with = "uuid_schema")]
    pub capture_id: String,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for GetCaptureParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_uuid("captureId", &self.capture_id)
    }
}

/// Result of `get_capture`. Amounts in minor units.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CaptureDetails {
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
    /// The capture.
    pub capture: CaptureView,
    /// Present when the capture holds text written outside this conversation (reference,
    /// description, line names, shipping details): what that text is and is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party_text_notice: Option<String>,
}

#[tool_router(router = captures_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "capture_order",
        title = "Capture Klarna order",
        description = "Capture (charge) all or part of a Klarna order's authorized amount, typically when goods ship. Amounts are integers in minor units. Omit amount to capture everything still authorized. Put the shipment reference in `reference`. Moves real money and cannot be undone (only refunded). Klarna refuses when the amount exceeds what remains, when the order is cancelled or expired, or while its fraud status is PENDING. Returns the capture id, the idempotency key and the order's totals afterwards.",
        input_schema = input_schema::<CaptureOrderParams>(),
        output_schema = output_schema::<CaptureReceipt>(),
        annotations(title = "Capture Klarna order", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true)
    )]
    pub(crate) async fn capture_order(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "capture_order",
            &context,
            responses,
            state,
            async |call, asker| self.capture_inner(call, arguments, asker).await,
        )
        .await
    }

    #[tool(
        name = "get_capture",
        title = "Get Klarna capture",
        description = "Look up one capture of a Klarna order: captured and refunded amounts (minor units), date, description, reference, order lines and shipment tracking. Read-only.",
        input_schema = input_schema::<GetCaptureParams>(),
        output_schema = output_schema::<CaptureDetails>(),
        annotations(title = "Get Klarna capture", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn get_capture(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("get_capture", &context, async |call| {
            self.get_capture_inner(call, arguments).await
        })
        .await
    }
}

impl KlarnaServer {
    async fn capture_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: CaptureOrderParams = args::parse(arguments)?;
        p.validate()?;
        let request = WriteRequest {
            kind: &kind::CAPTURE,
            order_id: p.order_id,
            target_id: None,
            api_host: p.api_host,
            amount: p.amount,
            currency: args::check_currency(p.currency.as_deref())?,
            idempotency_key: p.idempotency_key,
            body: Box::new(CaptureBody {
                description: p.description,
                reference: p.reference,
                order_lines: p
                    .order_lines
                    .map(|lines| lines.iter().map(OrderLineArg::to_wire).collect()),
                shipping_info: p
                    .shipping_info
                    .map(|s| s.iter().map(ShippingInfoArg::to_wire).collect()),
            }),
        };
        let written = self.write(call, request, asker).await?;
        let earlier = written.earlier.as_ref();
        let receipt = CaptureReceipt {
            captured_amount: earlier.and_then(|e| e.amount).unwrap_or(written.amount),
            reference: earlier.map_or(written.reference, |e| e.reference.clone()),
            capture_id: written.created_id,
            facts: written.facts,
            after: written.after,
        };
        Success::new(&receipt, receipt.text())
    }

    async fn get_capture_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: GetCaptureParams = args::parse(arguments)?;
        p.validate()?;
        call.order_id = Some(p.order_id.clone());
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let reply = self
            .client()
            .orders()
            .capture(host, &p.order_id, &p.capture_id, &call.limits)
            .await
            .map_err(|failed| {
                ToolError::Klarna(Box::new(FailedRequest::read(
                    format!(
                        "Looking up capture {} of order {} at {host}",
                        p.capture_id, p.order_id
                    ),
                    Op::GetCapture,
                    host,
                    failed,
                )))
            })?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        // The capture carries no currency; the order does. Without it, amounts show bare.
        let currency = self
            .client()
            .orders()
            .get(host, &p.order_id, &call.limits)
            .await
            .ok()
            .and_then(|o| o.value.purchase_currency);
        let capture = CaptureView::of(&reply.value);
        let m = |v| money_in(v, currency.as_deref());
        let mut text = format!(
            "Capture {} of order {} at {host}: captured {}{}, refunded {} (refundable {}).",
            capture.capture_id.as_deref().unwrap_or(&p.capture_id),
            p.order_id,
            m(capture.captured_amount),
            capture
                .captured_at
                .as_deref()
                .map(|t| format!(" at {t}"))
                .unwrap_or_default(),
            m(capture.refunded_amount),
            m((capture.captured_amount - capture.refunded_amount).max(0)),
        );
        text.push_str(&match &capture.reference {
            Some(r) => format!("\nReference: {}.", quoted(r)),
            None => "\nNo reference recorded.".into(),
        });
        text.push_str(&match &capture.description {
            Some(d) => format!("\nDescription: {}.", quoted(d)),
            None => "\nNo description recorded.".into(),
        });
        if capture.order_lines.is_empty() {
            text.push_str("\nNo order lines recorded for this capture.");
        }
        for l in &capture.order_lines {
            text.push_str(&l.text(m));
        }
        if capture.shipping_info.is_empty() {
            text.push_str("\nNo tracking recorded.");
        }
        for t in &capture.shipping_info {
            text.push_str(&format!("\n- shipment: {}", t.text()));
        }
        let third_party_text_notice = capture
            .has_third_party_text()
            .then(|| THIRD_PARTY_NOTICE.to_string());
        if third_party_text_notice.is_some() {
            text.push('\n');
            text.push_str(THIRD_PARTY_NOTICE);
        }
        let details = CaptureDetails {
            notice: self.notice().map(str::to_string),
            order_id: p.order_id,
            api_host: host.to_string(),
            currency: currency.map(|c| c.to_ascii_uppercase()),
            capture,
            third_party_text_notice,
        };
        Success::new(&details, text)
    }
}
