//! Order tools: `get_order`, `cancel_order`, `release_remaining_authorization`.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#operation/getOrder>,
//! `#operation/cancelOrder`, `#operation/releaseRemainingAuthorization`.

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
    args::{self, Validate, api_host_schema, operation_key_schema, uuid_schema},
    call::{Success, ToolCall},
    confirm::Asker,
    errors::{FailedRequest, Op, ToolError},
    input_schema,
    operations::OperationView,
    output::OrderView,
    output_schema,
    receipts::EndAuthorizationReceipt,
    write::{KindSpec, NoBody, WriteRequest, kind},
};
use crate::{
    host::ApiHost,
    klarna::{Reply, types::Order},
    server::KlarnaServer,
};

/// Arguments of `get_order`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetOrderParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for GetOrderParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)
    }
}

/// Arguments of `cancel_order` and `release_remaining_authorization`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderWriteParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "operation_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for OrderWriteParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

#[tool_router(router = orders_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "get_order",
        title = "Get Klarna order",
        description = "Look up a Klarna order: status, fraud status, currency, order / original / captured / refunded / remaining-authorized amounts (integers in minor units, e.g. 10500 = 105.00 EUR), merchant and Klarna references, creation and expiry dates, order lines, captures and refunds. Read-only.",
        input_schema = input_schema::<GetOrderParams>(),
        output_schema = output_schema::<OrderView>(),
        annotations(title = "Get Klarna order", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn get_order(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("get_order", &context, async |call| {
            self.get_order_inner(call, arguments).await
        })
        .await
    }

    #[tool(
        name = "cancel_order",
        title = "Cancel Klarna order",
        description = "Cancel a Klarna order that has NOT been captured at all: the whole authorization is released and the order can no longer be captured. Cannot be undone. If anything was captured, Klarna refuses: use refund_order to give money back, or release_remaining_authorization to drop the uncaptured rest. Returns the idempotency key and the order's status afterwards.",
        input_schema = input_schema::<OrderWriteParams>(),
        output_schema = output_schema::<EndAuthorizationReceipt>(),
        annotations(title = "Cancel Klarna order", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn cancel_order(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "cancel_order",
            &context,
            responses,
            state,
            async |call, asker| {
                self.end_authorization(call, arguments, asker, &kind::CANCEL)
                    .await
            },
        )
        .await
    }

    #[tool(
        name = "release_remaining_authorization",
        title = "Release remaining authorization",
        description = "After the final partial capture of a Klarna order, release the part of the authorization that will not be captured, so the customer is not charged for it. Cannot be undone; no further captures are possible afterwards. Klarna refuses when nothing was captured (use cancel_order) or when the order is fully captured. Returns the released amount, the idempotency key and the order's totals afterwards.",
        input_schema = input_schema::<OrderWriteParams>(),
        output_schema = output_schema::<EndAuthorizationReceipt>(),
        annotations(title = "Release remaining authorization", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn release_remaining_authorization(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "release_remaining_authorization",
            &context,
            responses,
            state,
            async |call, asker| {
                self.end_authorization(call, arguments, asker, &kind::RELEASE)
                    .await
            },
        )
        .await
    }
}

impl KlarnaServer {
    async fn get_order_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: GetOrderParams = args::parse(arguments)?;
        p.validate()?;
        call.order_id = Some(p.order_id.clone());
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        // The journal is this server's own memory, read alongside Klarna so it adds no wait
        // of its own, and within the call's budget; when it cannot be read, the order still is.
        let order_key = p.order_id.to_ascii_lowercase();
        let deadline = call.limits.deadline;
        let unresolved = async {
            let journal = self.journal().await.ok()?;
            tokio::time::timeout_at(deadline.into(), journal.unresolved(Some(&order_key)))
                .await
                .ok()?
                .ok()
        };
        let (reply, unresolved) = tokio::join!(
            self.client().orders().get(host, &p.order_id, &call.limits),
            unresolved
        );
        // Not on the default host, and the caller named none: the order may live in another
        // region or environment this server has credentials for.
        let mut host = host;
        let mut host_hint = None;
        let reply = match reply {
            Err(failed) if p.api_host.is_none() && failed.error.status() == Some(404) => match self
                .find_order_elsewhere(call, host, &p.order_id)
                .await
            {
                Found::On(other, reply, tried) => {
                    host_hint = Some(format!(
                        "Found on {other}, not on the default host {host} (also tried: {}). Pass apiHost \
                             \"{other}\" in every later call for this order, writes included.",
                        tried.join(", ")
                    ));
                    host = other;
                    call.host = Some(other);
                    Ok(*reply)
                }
                Found::Nowhere(tried) => Err(not_found_anywhere(&p.order_id, failed, host, &tried)),
            },
            other => other.map_err(|failed| {
                ToolError::Klarna(Box::new(FailedRequest::read(
                    format!("Looking up order {} at {host}", p.order_id),
                    Op::GetOrder,
                    host,
                    failed,
                )))
            }),
        }?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        let mut view = OrderView::of(
            &reply.value,
            &p.order_id,
            host.as_str(),
            self.config().include_personal_data,
            self.served(),
        );
        view.notice = self.notice().map(str::to_string);
        view.host_hint = host_hint;
        if let Some(unresolved) = unresolved {
            view.unresolved_writes = unresolved.iter().map(OperationView::of).collect();
        }
        Success::new(&view, view.text())
    }

    async fn end_authorization(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
        kind: &'static KindSpec,
    ) -> Result<Success, ToolError> {
        let p: OrderWriteParams = args::parse(arguments)?;
        p.validate()?;
        let request = WriteRequest {
            kind,
            order_id: p.order_id,
            target_id: None,
            api_host: p.api_host,
            amount: None,
            currency: None,
            idempotency_key: p.idempotency_key,
            body: Box::new(NoBody),
        };
        let written = self.write(call, request, asker).await?;
        let receipt = EndAuthorizationReceipt {
            released_amount: written.amount,
            facts: written.facts,
            after: written.after,
        };
        let text = receipt.text(if kind == &kind::CANCEL {
            "Cancelled"
        } else {
            "Released the remaining authorization of"
        });
        Success::new(&receipt, text)
    }
}

/// Where a search for an order on the other hosts ended.
enum Found {
    /// On this host (its answer), after trying these hosts.
    On(ApiHost, Box<Reply<Order>>, Vec<String>),
    /// Nowhere: every host tried, each with what it answered.
    Nowhere(Vec<String>),
}

impl KlarnaServer {
    /// Looks for `order_id` on every other host this server may call and has credentials
    /// for, in parallel and within the call's budget — reads only. The first host that has
    /// it answers.
    async fn find_order_elsewhere(
        &self,
        call: &mut ToolCall,
        default: ApiHost,
        order_id: &str,
    ) -> Found {
        let candidates: Vec<ApiHost> = self
            .config()
            .client
            .credentials
            .usable()
            .into_iter()
            .map(|(h, _)| h)
            .filter(|h| *h != default && self.config().hosts.resolve(Some(h.as_str())).is_ok())
            .collect();
        let client = self.client().orders();
        let limits = &call.limits;
        let answers = futures::future::join_all(
            candidates
                .iter()
                .map(|h| async move { (*h, client.get(*h, order_id, limits).await) }),
        )
        .await;
        let mut tried = vec![format!("{default} (not found)")];
        let mut found = None;
        for (h, answer) in answers {
            match answer {
                Ok(reply) if found.is_none() => found = Some((h, reply)),
                Ok(_) => tried.push(format!("{h} (also has it)")),
                Err(e) if e.error.status() == Some(404) => tried.push(format!("{h} (not found)")),
                Err(e) => tried.push(format!("{h} (could not be searched: {})", e.error.kind())),
            }
        }
        match found {
            Some((h, reply)) => {
                call.saw(reply.status, reply.correlation_id.as_deref());
                Found::On(h, Box::new(reply), tried)
            }
            None => Found::Nowhere(tried),
        }
    }
}

/// A 404 on every host tried, naming them.
fn not_found_anywhere(
    order_id: &str,
    failed: crate::klarna::CallError,
    default: ApiHost,
    tried: &[String],
) -> ToolError {
    let mut request = FailedRequest::read(
        format!(
            "Looking up order {order_id} (searched every host this server has credentials for: {})",
            tried.join(", ")
        ),
        Op::GetOrder,
        default,
        failed,
    );
    request.searched_every_host = true;
    ToolError::Klarna(Box::new(request))
}
