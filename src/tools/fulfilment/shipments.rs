//! Shipment tools: `list_captures`, `add_shipping_info` (tracking on one capture),
//! `add_order_shipping_info` (tracking on the order), `resend_customer_communication`.
//!
//! Tracking is two tools, not one with an optional capture id: a model that leaves the id
//! out by mistake would otherwise put the tracking on the order instead of the shipment it
//! belongs to, without a word; and each tool stays one write kind with one path.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#operation/getCaptures>,
//! `#operation/appendShippingInfo`, `#operation/appendOrderShippingInfo`,
//! `#operation/triggerSendOut`.

use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CaptureWriteParams;
use crate::{
    klarna::{
        CallError, json_body,
        types::{ShippingInfo, ShippingInfoRequest},
    },
    server::KlarnaServer,
    tools::{
        args::{self, Validate, api_host_schema, change_key_schema, uuid_schema},
        call::{Success, ToolCall},
        confirm::Asker,
        errors::{FailedRequest, Op, ToolError},
        input_schema,
        lines::{self, ShippingInfoArg, required_shipping_schema},
        output::{CaptureView, ShippingView, THIRD_PARTY_NOTICE, money_in},
        output_schema,
        receipts::{After, ChangeFacts},
        write::{KindSpec, NoBody, WriteBody, WriteRequest, kind},
    },
};

/// Arguments of `list_captures`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListCapturesParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for ListCapturesParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)
    }
}

/// Result of `list_captures`. Amounts in minor units.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CaptureList {
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
    /// Every capture of the order, oldest first.
    pub captures: Vec<CaptureView>,
    /// Present when a capture holds text written outside this conversation: what that text
    /// is and is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party_text_notice: Option<String>,
}

/// Arguments of `add_shipping_info`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddShippingInfoParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// The capture the shipment belongs to (a UUID): capture_order returned it; list_captures and get_order list the order's captures. For tracking not tied to a capture, use add_order_shipping_info instead.
    #[schemars(schema_with = "uuid_schema")]
    pub capture_id: String,
    /// The tracking to add: one entry per parcel (1 to 500), each with at least the carrier or the tracking number. Added to what the capture already has; nothing is replaced.
    #[schemars(schema_with = "required_shipping_schema")]
    pub shipping_info: Vec<ShippingInfoArg>,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "change_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for AddShippingInfoParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_uuid("captureId", &self.capture_id)?;
        lines::check_shipping_given(&self.shipping_info)?;
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

/// Arguments of `add_order_shipping_info`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddOrderShippingInfoParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// The tracking to add to the order itself: one entry per parcel (1 to 500), each with at least the carrier or the tracking number. Added to what the order already has; nothing is replaced.
    #[schemars(schema_with = "required_shipping_schema")]
    pub shipping_info: Vec<ShippingInfoArg>,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "change_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for AddOrderShippingInfoParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        lines::check_shipping_given(&self.shipping_info)?;
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

/// Tracking to append.
struct ShippingBody(Vec<ShippingInfo>);

impl WriteBody for ShippingBody {
    fn json(&self, _: i64) -> Result<Option<Vec<u8>>, CallError> {
        json_body(&ShippingInfoRequest {
            shipping_info: self.0.clone(),
        })
        .map(Some)
    }

    fn detail(&self) -> Option<String> {
        Some(shipments_text(&self.0))
    }
}

/// The shipments as text: `1 shipment (carrier "DHL", tracking number "1")`, the first
/// three in full.
fn shipments_text(infos: &[ShippingInfo]) -> String {
    const SHOWN: usize = 3;
    let mut parts: Vec<String> = infos
        .iter()
        .take(SHOWN)
        .map(|s| ShippingView::of(s).text())
        .collect();
    if infos.len() > SHOWN {
        parts.push(format!("and {} more", infos.len() - SHOWN));
    }
    let n = infos.len();
    format!(
        "{n} shipment{} ({})",
        if n == 1 { "" } else { "s" },
        parts.join("; ")
    )
}

/// Result of `add_shipping_info` and `add_order_shipping_info`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ShippingReceipt {
    /// Common facts.
    #[serde(flatten)]
    pub change: ChangeFacts,
    /// The tracking this call added (as sent).
    pub added: Vec<ShippingView>,
    /// How many tracking entries the capture (or, for add_order_shipping_info, the order)
    /// holds now, when the order could be read afterwards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_entries_now: Option<usize>,
    /// The order afterwards.
    #[serde(flatten)]
    pub after: After,
}

/// Result of `resend_customer_communication`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SendOutReceipt {
    /// Common facts.
    #[serde(flatten)]
    pub change: ChangeFacts,
    /// The order afterwards.
    #[serde(flatten)]
    pub after: After,
}

#[tool_router(router = shipments_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "list_captures",
        title = "List Klarna captures",
        description = "List every capture of a Klarna order: id, captured and refunded amounts (minor units), date, description, reference, order lines and shipment tracking — e.g. to find the capture a parcel belongs to, or the captures still without tracking. Read-only.",
        input_schema = input_schema::<ListCapturesParams>(),
        output_schema = output_schema::<CaptureList>(),
        annotations(title = "List Klarna captures", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn list_captures(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("list_captures", &context, async |call| {
            self.list_captures_inner(call, arguments).await
        })
        .await
    }

    #[tool(
        name = "add_shipping_info",
        title = "Add tracking to a Klarna capture",
        description = "Add shipment tracking (carrier, method, tracking number, tracking page, return tracking) to one capture of a Klarna order, e.g. when the parcel leaves after the capture. Costs nothing and moves no money; the customer sees the tracking in the Klarna app. Appends: what the capture has stays. Klarna refuses when the order has no captures or the capture is not one of its own (404), or when the capture would hold more than 500 entries. Use add_order_shipping_info for tracking not tied to a capture. Returns the idempotency key and the order afterwards.",
        input_schema = input_schema::<AddShippingInfoParams>(),
        output_schema = output_schema::<ShippingReceipt>(),
        annotations(title = "Add tracking to a Klarna capture", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    pub(crate) async fn add_shipping_info(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "add_shipping_info",
            &context,
            responses,
            state,
            async |call, asker| self.add_shipping_inner(call, arguments, asker).await,
        )
        .await
    }

    #[tool(
        name = "add_order_shipping_info",
        title = "Add tracking to a Klarna order",
        description = "Add shipment tracking to a Klarna order itself rather than to one capture — for a parcel sent before it is captured, or one that belongs to no single capture. Costs nothing and moves no money. Appends: what the order has stays. Klarna refuses only an unknown order (404) or more than 500 entries. For a parcel of a capture, use add_shipping_info with its captureId. Returns the idempotency key and the order afterwards.",
        input_schema = input_schema::<AddOrderShippingInfoParams>(),
        output_schema = output_schema::<ShippingReceipt>(),
        annotations(title = "Add tracking to a Klarna order", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    pub(crate) async fn add_order_shipping_info(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "add_order_shipping_info",
            &context,
            responses,
            state,
            async |call, asker| self.add_order_shipping_inner(call, arguments, asker).await,
        )
        .await
    }

    #[tool(
        name = "resend_customer_communication",
        title = "Resend Klarna customer communication",
        description = "Ask Klarna to send the customer the communication of one capture again (the invoice or payment details by e-mail), e.g. when the customer lost it. Costs nothing and moves no money, but every call sends the customer another message. Klarna refuses when the order has no captures, or the capture is not one of its own (404). Returns the idempotency key and the order afterwards.",
        input_schema = input_schema::<CaptureWriteParams>(),
        output_schema = output_schema::<SendOutReceipt>(),
        annotations(title = "Resend Klarna customer communication", read_only_hint = false, destructive_hint = false, idempotent_hint = false, open_world_hint = true)
    )]
    pub(crate) async fn resend_customer_communication(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "resend_customer_communication",
            &context,
            responses,
            state,
            async |call, asker| self.send_out_inner(call, arguments, asker).await,
        )
        .await
    }
}

impl KlarnaServer {
    async fn list_captures_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: ListCapturesParams = args::parse(arguments)?;
        p.validate()?;
        call.order_id = Some(p.order_id.clone());
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        // The captures carry no currency; the order does. Both are read at once.
        let orders = self.client().orders();
        let (reply, order) = tokio::join!(
            orders.captures(host, &p.order_id, &call.limits),
            orders.get(host, &p.order_id, &call.limits)
        );
        let reply = reply.map_err(|failed| {
            ToolError::Klarna(Box::new(FailedRequest::read(
                format!("Listing the captures of order {} at {host}", p.order_id),
                Op::GetOrder,
                host,
                failed,
            )))
        })?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        let currency = order.ok().and_then(|o| o.value.purchase_currency);
        let m = |v| money_in(v, currency.as_deref());
        let captures: Vec<CaptureView> = reply.value.iter().map(CaptureView::of).collect();
        let total: i64 = captures.iter().map(|c| c.captured_amount).sum();
        let mut text = match captures.len() {
            0 => format!("Order {} at {host} has no captures.", p.order_id),
            n => format!(
                "Order {} at {host} has {n} capture{}, {} captured in all:",
                p.order_id,
                if n == 1 { "" } else { "s" },
                m(total)
            ),
        };
        for c in &captures {
            text.push_str(&format!(
                "\n- capture {}: {}{}{}{}",
                c.capture_id.as_deref().unwrap_or("(no id)"),
                m(c.captured_amount),
                c.captured_at
                    .as_deref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default(),
                if c.refunded_amount > 0 {
                    format!(", {} refunded", m(c.refunded_amount))
                } else {
                    String::new()
                },
                c.facts_text()
            ));
        }
        let third_party_text_notice = captures
            .iter()
            .any(CaptureView::has_third_party_text)
            .then(|| THIRD_PARTY_NOTICE.to_string());
        if third_party_text_notice.is_some() {
            text.push('\n');
            text.push_str(THIRD_PARTY_NOTICE);
        }
        let list = CaptureList {
            notice: self.notice().map(str::to_string),
            order_id: p.order_id,
            api_host: host.to_string(),
            currency: currency.map(|c| c.to_ascii_uppercase()),
            captures,
            third_party_text_notice,
        };
        Success::new(&list, text)
    }

    async fn add_shipping_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: AddShippingInfoParams = args::parse(arguments)?;
        p.validate()?;
        let infos: Vec<ShippingInfo> = p
            .shipping_info
            .iter()
            .map(ShippingInfoArg::to_wire)
            .collect();
        self.append_shipping(
            call,
            asker,
            &kind::ADD_SHIPPING_INFO,
            p.order_id,
            Some(p.capture_id),
            p.api_host,
            p.idempotency_key,
            infos,
        )
        .await
    }

    async fn add_order_shipping_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: AddOrderShippingInfoParams = args::parse(arguments)?;
        p.validate()?;
        let infos: Vec<ShippingInfo> = p
            .shipping_info
            .iter()
            .map(ShippingInfoArg::to_wire)
            .collect();
        self.append_shipping(
            call,
            asker,
            &kind::ADD_ORDER_SHIPPING_INFO,
            p.order_id,
            None,
            p.api_host,
            p.idempotency_key,
            infos,
        )
        .await
    }

    /// Appends `infos` to the capture `capture_id`, or to the order when it is `None`.
    #[allow(clippy::too_many_arguments)]
    async fn append_shipping(
        &self,
        call: &mut ToolCall,
        asker: &Asker,
        kind: &'static KindSpec,
        order_id: String,
        capture_id: Option<String>,
        api_host: Option<String>,
        idempotency_key: Option<String>,
        infos: Vec<ShippingInfo>,
    ) -> Result<Success, ToolError> {
        let added: Vec<ShippingView> = infos.iter().map(ShippingView::of).collect();
        let shipments = shipments_text(&infos);
        let request = WriteRequest::change(
            kind,
            order_id,
            capture_id.clone(),
            api_host,
            idempotency_key,
            Box::new(ShippingBody(infos)),
        );
        let written = self.write(call, request, asker).await?;
        let f = &written.facts;
        let tracking_entries_now = written.order_after.as_ref().map(|o| match &capture_id {
            Some(id) => o
                .captures
                .iter()
                .find(|c| {
                    c.capture_id
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(id))
                })
                .map_or(0, |c| c.shipping_info.len()),
            None => o.shipping_info.len(),
        });
        let on = match &capture_id {
            Some(id) => format!("capture {id} of order {}", f.order_id),
            None => format!("order {}", f.order_id),
        };
        let now = tracking_entries_now
            .map(|n| {
                format!(
                    " ({n} tracking entr{} there now)",
                    if n == 1 { "y" } else { "ies" }
                )
            })
            .unwrap_or_default();
        let done = format!("Added {shipments} to {on} at {}{now}", f.api_host);
        let receipt = ShippingReceipt {
            change: ChangeFacts::of(&written, capture_id),
            added,
            tracking_entries_now,
            after: written.after.clone(),
        };
        let text = receipt.change.text(&done, &receipt.after);
        Success::new(&receipt, text)
    }

    async fn send_out_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: CaptureWriteParams = args::parse(arguments)?;
        p.validate()?;
        let request = WriteRequest::change(
            &kind::RESEND_COMMUNICATION,
            p.order_id,
            Some(p.capture_id.clone()),
            p.api_host,
            p.idempotency_key,
            Box::new(NoBody),
        );
        let written = self.write(call, request, asker).await?;
        let done = format!(
            "Klarna sends the customer the communication of capture {} of order {} at {} again",
            p.capture_id, written.facts.order_id, written.facts.api_host
        );
        let receipt = SendOutReceipt {
            change: ChangeFacts::of(&written, Some(p.capture_id)),
            after: written.after.clone(),
        };
        let text = receipt.change.text(&done, &receipt.after);
        Success::new(&receipt, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::klarna::types::ShippingMethod;

    #[test]
    fn shipments_are_counted_and_quoted_and_long_lists_cut_short() {
        let one = ShippingInfo {
            shipping_company: Some("DHL \"SE\"".into()),
            shipping_method: Some(ShippingMethod::Home),
            tracking_number: Some("123".into()),
            ..ShippingInfo::default()
        };
        let text = shipments_text(std::slice::from_ref(&one));
        assert_eq!(
            text,
            "1 shipment (carrier \"DHL \\\"SE\\\"\", method \"Home\", tracking number \"123\")"
        );
        let text = shipments_text(&vec![one; 5]);
        assert!(text.starts_with("5 shipments ("), "{text}");
        assert!(text.ends_with("; and 2 more)"), "{text}");
    }
}
