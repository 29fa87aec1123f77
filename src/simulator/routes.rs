//! The axum router and its thin handlers. Each handler consults the fault
//! queue, then the idempotency store, then runs the operation in `ops` with
//! the state lock held (no await while locked), and finally applies the
//! post-commit part of a fault.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{Uri, header};
use axum::response::Response;
use axum::routing::{get, patch, post};
use time::OffsetDateTime;

use super::faults::{Fault, Operation};
use super::hosts::Target;
use super::idempotency::IdempotencyScope;
use super::ops::{self, OpResult, WriteRequest};
use super::pipeline::{self, Caller, DelayResponse, DropConnection};
use super::respond::SimResponse;
use super::shared::{Inner, Shared};

type St = State<Arc<Shared>>;

const POST: &str = "POST";
const PATCH: &str = "PATCH";

/// Routes are paths on one Klarna host: the host segment, if any, is already
/// gone (see `hosts::split`).
const ORDER: &str = "/ordermanagement/v1/orders/{order_id}";
/// One capture of an order.
const CAPTURE: &str = "/ordermanagement/v1/orders/{order_id}/captures/{capture_id}";

/// Builds the router with the request pipeline (auth, body limit, logging,
/// latency, connection dropping) wrapped around every route and fallback.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(ORDER, get(get_order))
        .route(
            &format!("{ORDER}/captures"),
            get(list_captures).post(post_capture),
        )
        .route(CAPTURE, get(get_capture))
        .route(
            &format!("{CAPTURE}/shipping-info"),
            post(post_capture_shipping_info),
        )
        .route(
            &format!("{CAPTURE}/trigger-send-out"),
            post(post_trigger_send_out),
        )
        .route(
            &format!("{CAPTURE}/extend-due-date-options"),
            get(get_due_date_options),
        )
        .route(
            &format!("{CAPTURE}/extend-due-date"),
            patch(patch_extend_due_date),
        )
        .route(&format!("{ORDER}/refunds"), post(post_refund))
        .route(&format!("{ORDER}/refunds/{{refund_id}}"), get(get_refund))
        .route(&format!("{ORDER}/cancel"), post(post_cancel))
        .route(
            &format!("{ORDER}/release-remaining-authorization"),
            post(post_release),
        )
        .route(
            &format!("{ORDER}/extend-authorization-time"),
            post(post_extend_authorization_time),
        )
        .route(
            &format!("{ORDER}/authorization"),
            patch(patch_authorization),
        )
        .route(
            &format!("{ORDER}/merchant-references"),
            patch(patch_merchant_references),
        )
        .route(
            &format!("{ORDER}/customer-details"),
            patch(patch_customer_details),
        )
        .route(
            &format!("{ORDER}/shipping-info"),
            post(post_order_shipping_info),
        )
        .route(&format!("{ORDER}/acknowledge"), post(post_acknowledge))
        .merge(super::settlements::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            pipeline::pipeline,
        ))
        .with_state(shared)
}

/// What a handler needs to know about its request besides the path ids.
pub(crate) struct Ctx {
    caller: Caller,
    /// `Host` header, else the bound address: the authority of `Location`.
    authority: String,
    path: String,
    content_type: Option<String>,
    idempotency_key: Option<String>,
}

impl FromRequestParts<Arc<Shared>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        sh: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let text = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        // The pipeline always sets `Caller` before a handler runs.
        let caller = parts.extensions.get::<Caller>().cloned().unwrap_or(Caller {
            target: Target::default(),
            login: 0,
            authorization: String::new(),
        });
        Ok(Self {
            authority: text(header::HOST.as_str()).unwrap_or_else(|| sh.addr.to_string()),
            path: parts.uri.path().to_owned(),
            content_type: text(header::CONTENT_TYPE.as_str()),
            idempotency_key: text(pipeline::IDEMPOTENCY_HEADER),
            caller,
        })
    }
}

impl Ctx {
    pub(crate) fn host(&self) -> &'static str {
        self.caller.target.host
    }

    /// Where `Location` headers point: this simulator, same host segment.
    pub(crate) fn base_url(&self) -> String {
        format!(
            "http://{}{}",
            self.authority,
            self.caller.target.path_prefix()
        )
    }

    // Klarna does not document an empty key; we choose to treat it as absent
    // because an empty string cannot identify one operation.
    /// The idempotency scope of this POST or PATCH (`method`), if it carries
    /// a key. Klarna honours the key on every write and on no read.
    fn scope(&self, method: &str) -> Option<IdempotencyScope> {
        let key = self.idempotency_key.clone().filter(|k| !k.is_empty())?;
        Some(IdempotencyScope {
            host: self.host(),
            login: self.caller.login,
            method: method.to_owned(),
            path: self.path.clone(),
            key,
        })
    }

    fn write<'a>(&'a self, base_url: &'a str, body: &'a [u8]) -> WriteRequest<'a> {
        WriteRequest {
            api_host: self.host(),
            base_url,
            content_type: self.content_type.as_deref(),
            body,
        }
    }
}

/// Runs one operation with faults and (for writes with a key) idempotency.
pub(crate) fn run(
    sh: &Shared,
    ctx: &Ctx,
    op: Operation,
    scope: Option<IdempotencyScope>,
    apply: impl FnOnce(&mut Inner, OffsetDateTime) -> OpResult,
) -> Response {
    let fault = sh.lock_faults().take(op);
    match &fault {
        Some(Fault::Status(status)) => return SimResponse::fault_status(*status).into_response(),
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            return SimResponse::too_many_requests(*retry_after_secs).into_response();
        }
        Some(Fault::Respond(canned)) => {
            return SimResponse::canned(canned, &ctx.caller.authorization).into_response();
        }
        _ => {}
    }
    let outcome = {
        let mut inner = sh.lock_inner();
        let now = inner.now();
        let replay = scope.as_ref().and_then(|s| inner.idempotency.get(s, now));
        match replay {
            Some(stored) => stored,
            None => {
                let fresh = apply(&mut inner, now).unwrap_or_else(|e| e);
                if let Some(scope) = scope {
                    inner.idempotency.store(scope, &fresh, now);
                }
                fresh
            }
        }
    };
    match fault {
        Some(Fault::CommitThenStatus(status)) => SimResponse::fault_status(status).into_response(),
        Some(Fault::CommitThenRespond(canned)) => {
            SimResponse::canned(&canned, &ctx.caller.authorization).into_response()
        }
        Some(Fault::CommitThenDrop) => {
            let mut resp = outcome.into_response();
            resp.extensions_mut().insert(DropConnection);
            resp
        }
        Some(Fault::Delay(d)) => {
            let mut resp = outcome.into_response();
            resp.extensions_mut().insert(DelayResponse(d));
            resp
        }
        _ => outcome.into_response(),
    }
}

async fn get_order(State(sh): St, ctx: Ctx, Path(id): Path<String>) -> Response {
    run(&sh, &ctx, Operation::GetOrder, None, |inner, now| {
        ops::get_order(inner, ctx.host(), &id, now)
    })
}

async fn list_captures(State(sh): St, ctx: Ctx, Path(id): Path<String>) -> Response {
    run(&sh, &ctx, Operation::GetCapture, None, |inner, _| {
        ops::list_captures(inner, ctx.host(), &id)
    })
}

async fn get_capture(State(sh): St, ctx: Ctx, Path((id, cid)): Path<(String, String)>) -> Response {
    run(&sh, &ctx, Operation::GetCapture, None, |inner, _| {
        ops::get_capture(inner, ctx.host(), &id, &cid)
    })
}

async fn get_refund(State(sh): St, ctx: Ctx, Path((id, rid)): Path<(String, String)>) -> Response {
    run(&sh, &ctx, Operation::GetRefund, None, |inner, _| {
        ops::get_refund(inner, ctx.host(), &id, &rid)
    })
}

async fn post_capture(State(sh): St, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let base_url = ctx.base_url();
    let write = ctx.write(&base_url, &body);
    run(
        &sh,
        &ctx,
        Operation::Capture,
        ctx.scope(POST),
        |inner, now| ops::capture(inner, &id, &write, now),
    )
}

async fn post_refund(State(sh): St, ctx: Ctx, Path(id): Path<String>, body: Bytes) -> Response {
    let base_url = ctx.base_url();
    let write = ctx.write(&base_url, &body);
    run(
        &sh,
        &ctx,
        Operation::Refund,
        ctx.scope(POST),
        |inner, now| ops::refund(inner, &id, &write, now),
    )
}

async fn post_cancel(State(sh): St, ctx: Ctx, Path(id): Path<String>) -> Response {
    run(
        &sh,
        &ctx,
        Operation::Cancel,
        ctx.scope(POST),
        |inner, now| ops::cancel(inner, ctx.host(), &id, now),
    )
}

async fn post_release(State(sh): St, ctx: Ctx, Path(id): Path<String>) -> Response {
    run(
        &sh,
        &ctx,
        Operation::Release,
        ctx.scope(POST),
        |inner, now| ops::release(inner, ctx.host(), &id, now),
    )
}

async fn post_extend_authorization_time(
    State(sh): St,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let op = Operation::ExtendAuthorizationTime;
    run(&sh, &ctx, op, ctx.scope(POST), |inner, now| {
        ops::extend_authorization_time(inner, ctx.host(), &id, now)
    })
}

async fn patch_authorization(
    State(sh): St,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let write = ctx.write("", &body);
    let op = Operation::UpdateAuthorization;
    run(&sh, &ctx, op, ctx.scope(PATCH), |inner, now| {
        ops::update_authorization(inner, &id, &write, now)
    })
}

async fn patch_merchant_references(
    State(sh): St,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let write = ctx.write("", &body);
    let op = Operation::UpdateMerchantReferences;
    run(&sh, &ctx, op, ctx.scope(PATCH), |inner, now| {
        ops::update_merchant_references(inner, &id, &write, now)
    })
}

async fn patch_customer_details(
    State(sh): St,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let write = ctx.write("", &body);
    let op = Operation::UpdateConsumerDetails;
    run(&sh, &ctx, op, ctx.scope(PATCH), |inner, now| {
        ops::update_customer_details(inner, &id, &write, now)
    })
}

async fn post_order_shipping_info(
    State(sh): St,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let write = ctx.write("", &body);
    let op = Operation::AppendOrderShippingInfo;
    run(&sh, &ctx, op, ctx.scope(POST), |inner, _| {
        ops::append_order_shipping_info(inner, &id, &write)
    })
}

async fn post_acknowledge(State(sh): St, ctx: Ctx, Path(id): Path<String>) -> Response {
    let op = Operation::AcknowledgeOrder;
    run(&sh, &ctx, op, ctx.scope(POST), |inner, now| {
        ops::acknowledge(inner, ctx.host(), &id, now)
    })
}

async fn post_capture_shipping_info(
    State(sh): St,
    ctx: Ctx,
    Path((id, cid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let write = ctx.write("", &body);
    let op = Operation::AppendShippingInfo;
    run(&sh, &ctx, op, ctx.scope(POST), |inner, _| {
        ops::append_capture_shipping_info(inner, &id, &cid, &write)
    })
}

async fn post_trigger_send_out(
    State(sh): St,
    ctx: Ctx,
    Path((id, cid)): Path<(String, String)>,
) -> Response {
    let op = Operation::TriggerSendOut;
    run(&sh, &ctx, op, ctx.scope(POST), |inner, _| {
        ops::trigger_send_out(inner, ctx.host(), &id, &cid)
    })
}

async fn get_due_date_options(
    State(sh): St,
    ctx: Ctx,
    Path((id, cid)): Path<(String, String)>,
) -> Response {
    let op = Operation::GetOptionsForExtendDueDate;
    run(&sh, &ctx, op, None, |inner, now| {
        ops::due_date_options(inner, ctx.host(), &id, &cid, now)
    })
}

async fn patch_extend_due_date(
    State(sh): St,
    ctx: Ctx,
    Path((id, cid)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let write = ctx.write("", &body);
    let op = Operation::ExtendDueDate;
    run(&sh, &ctx, op, ctx.scope(PATCH), |inner, now| {
        ops::extend_due_date(inner, &id, &cid, &write, now)
    })
}

// Klarna does not document the error code for an unknown route (its newer
// enum lists both NOT_FOUND and RESOURCE_NOT_FOUND); we choose
// RESOURCE_NOT_FOUND because it keeps unknown routes distinguishable from the
// NOT_FOUND of an unknown refund.
/// Unknown paths, including `release_remaining_authorization` (underscores)
/// and paths whose first segment is not one of Klarna's hosts.
async fn not_found(uri: Uri) -> Response {
    SimResponse::error1(
        404,
        "RESOURCE_NOT_FOUND",
        format!("No resource found at {}", uri.path()),
    )
    .into_response()
}

// Klarna does not document the answer to a wrong method; we choose 405 with
// Klarna's error shape (code METHOD_NOT_ALLOWED) because that is what HTTP
// prescribes and clients can parse it like any other error.
/// Known path, wrong method.
async fn method_not_allowed() -> Response {
    SimResponse::error1(
        405,
        "METHOD_NOT_ALLOWED",
        "Method not allowed for this resource",
    )
    .into_response()
}
