//! One function per API operation (all 18 of Klarna's Order Management API):
//! id checks, body validation, lookup, state change, and the resulting
//! [`SimResponse`]. Synchronous; called with the state lock held. The decisions
//! themselves live in `rules` (capture, refund, cancel, release), `amend`
//! (changes to the order) and `fulfil` (shipping info, send-out, due dates).
//! Checks run in this order: path-id format (400), request body (400/422),
//! order / capture / refund existence (404), business rules (403). On the
//! capture routes that document it, an order without any capture is a 403
//! ("Order has no captures") before an unknown capture id is a 404.
//! An order exists only on the host it lives on: asked on any other host, it
//! gets the same 404 `NO_SUCH_ORDER` as an id Klarna never issued, because each
//! Klarna host is a separate installation that knows only its own orders.

// Klarna does not document the precedence of its checks; we choose the order
// above because a typical (Spring-style) service converts path ids and
// validates bodies before its controller looks anything up.
//
// Klarna does not document the HTTP status of INVALID_ORDER_ID (its error
// table leaves it blank); we choose 400 because a malformed path id is a
// client error about the request itself, not a missing resource. For
// malformed capture and refund ids Klarna documents nothing at all; we choose
// 400 INVALID_CAPTURE_ID / INVALID_REFUND_ID by analogy.
//
// Klarna does not document whether `Location` is absolute; we choose an
// absolute `http://{Host}/…` URL (with the host segment when the request had
// one, so the URL leads back to the same simulated host) because Klarna's
// schema types the header as a URI; clients should accept both forms.
//
// Klarna does not document what `GET …/captures` returns for an order without
// captures; we choose `[]` because the response is a JSON array of captures.

use time::OffsetDateTime;

use super::order::{Capture, Order};
use super::render;
use super::respond::SimResponse;
use super::rules::{self, NOT_ALLOWED, Refusal};
use super::shared::Inner;
use super::validate::{self, BodyError};
use super::{amend, fulfil};

/// What a POST or PATCH operation needs from its request, besides the path ids.
pub(crate) struct WriteRequest<'a> {
    /// The Klarna host the request was meant for.
    pub(crate) api_host: &'a str,
    /// `http://{Host}` plus the host segment if the request had one: where
    /// absolute `Location` headers point.
    pub(crate) base_url: &'a str,
    pub(crate) content_type: Option<&'a str>,
    pub(crate) body: &'a [u8],
}

const ORDERS: &str = "/ordermanagement/v1/orders";

// Klarna does not document which UUID spellings it accepts; we choose only the
// canonical 36-character hyphenated form (any case) because that is the form
// Klarna hands out, so a client sending anything else is already wrong.
/// The lower-case hyphenated form of a canonical UUID, or `None`.
fn canonical_uuid(id: &str) -> Option<String> {
    if id.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(id)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

fn order_id(raw: &str) -> Result<String, SimResponse> {
    canonical_uuid(raw).ok_or_else(|| {
        SimResponse::error1(400, "INVALID_ORDER_ID", "Order ID must be a valid UUID.")
    })
}

fn capture_id(raw: &str) -> Result<String, SimResponse> {
    canonical_uuid(raw).ok_or_else(|| {
        SimResponse::error1(
            400,
            "INVALID_CAPTURE_ID",
            "Capture ID must be a valid UUID.",
        )
    })
}

fn refund_id(raw: &str) -> Result<String, SimResponse> {
    canonical_uuid(raw).ok_or_else(|| {
        SimResponse::error1(400, "INVALID_REFUND_ID", "Refund ID must be a valid UUID.")
    })
}

fn no_such_order(raw: &str) -> SimResponse {
    SimResponse::error1(404, "NO_SUCH_ORDER", format!("Order {raw} cannot be found"))
}

fn no_such_capture(raw: &str, raw_capture: &str) -> SimResponse {
    SimResponse::error1(
        404,
        "NO_SUCH_CAPTURE",
        format!("Capture could not be found. Capture {raw_capture} does not exist for order {raw}"),
    )
}

fn refused(r: Refusal) -> SimResponse {
    SimResponse::error1(403, r.code, r.message)
}

fn body_error(e: BodyError) -> SimResponse {
    match e {
        BodyError::BadRequest(m) => SimResponse::error1(400, "BAD_REQUEST", m),
        BodyError::Unprocessable(ms) => SimResponse::error(422, "UNPROCESSABLE_ENTITY", ms),
    }
}

/// The order `raw` names on `host`.
fn lookup<'a>(inner: &'a Inner, host: &str, raw: &str) -> Result<&'a Order, SimResponse> {
    let id = order_id(raw)?;
    inner
        .orders
        .get(&id)
        .filter(|o| o.host == host)
        .ok_or_else(|| no_such_order(raw))
}

/// The order `id` (already checked) on `host`, for a change.
fn lookup_mut<'a>(
    inner: &'a mut Inner,
    host: &str,
    id: &str,
    raw: &str,
) -> Result<&'a mut Order, SimResponse> {
    inner
        .orders
        .get_mut(id)
        .filter(|o| o.host == host)
        .ok_or_else(|| no_such_order(raw))
}

/// Success and failure are both complete responses.
pub(crate) type OpResult = Result<SimResponse, SimResponse>;

/// `GET /orders/{id}`.
pub(crate) fn get_order(inner: &Inner, host: &str, raw: &str, now: OffsetDateTime) -> OpResult {
    lookup(inner, host, raw).map(|o| SimResponse::json(&render::order_value(o, now)))
}

/// `GET /orders/{id}/captures`.
pub(crate) fn list_captures(inner: &Inner, host: &str, raw: &str) -> OpResult {
    lookup(inner, host, raw).map(|o| SimResponse::json(&render::captures_value(o)))
}

/// `GET /orders/{id}/captures/{capture_id}`.
pub(crate) fn get_capture(inner: &Inner, host: &str, raw: &str, raw_capture: &str) -> OpResult {
    order_id(raw)?;
    let cid = capture_id(raw_capture)?;
    let order = lookup(inner, host, raw)?;
    let capture = order
        .captures
        .iter()
        .find(|c| c.capture_id == cid)
        .ok_or_else(|| no_such_capture(raw, raw_capture))?;
    Ok(SimResponse::json(&render::capture_value(order, capture)))
}

/// `GET /orders/{id}/refunds/{refund_id}`.
pub(crate) fn get_refund(inner: &Inner, host: &str, raw: &str, raw_refund: &str) -> OpResult {
    order_id(raw)?;
    let rid = refund_id(raw_refund)?;
    let order = lookup(inner, host, raw)?;
    let refund = order
        .refunds
        .iter()
        .find(|r| r.refund_id == rid)
        .ok_or_else(|| {
            SimResponse::error1(
                404,
                "NOT_FOUND",
                format!("Refund {raw_refund} cannot be found for order {raw}"),
            )
        })?;
    Ok(SimResponse::json(&render::refund_value(refund)))
}

/// `POST /orders/{id}/captures` → 201 with `Capture-Id` and `Location`.
pub(crate) fn capture(
    inner: &mut Inner,
    raw: &str,
    post: &WriteRequest<'_>,
    now: OffsetDateTime,
) -> OpResult {
    let id = order_id(raw)?;
    let req = validate::capture_body(post.content_type, post.body).map_err(body_error)?;
    let order = lookup_mut(inner, post.api_host, &id, raw)?;
    let cid = rules::capture(order, req, now).map_err(refused)?;
    inner.post_order_history(&id);
    let location = format!("{}{ORDERS}/{id}/captures/{cid}", post.base_url);
    Ok(SimResponse::empty(
        201,
        vec![("Capture-Id".into(), cid), ("Location".into(), location)],
    ))
}

/// `POST /orders/{id}/refunds` → 201 with `Refund-Id` and `Location`.
pub(crate) fn refund(
    inner: &mut Inner,
    raw: &str,
    post: &WriteRequest<'_>,
    now: OffsetDateTime,
) -> OpResult {
    let id = order_id(raw)?;
    let req = validate::refund_body(post.content_type, post.body).map_err(body_error)?;
    let order = lookup_mut(inner, post.api_host, &id, raw)?;
    let rid = rules::refund(order, req, now).map_err(refused)?;
    inner.post_order_history(&id);
    let location = format!("{}{ORDERS}/{id}/refunds/{rid}", post.base_url);
    Ok(SimResponse::empty(
        201,
        vec![("Refund-Id".into(), rid), ("Location".into(), location)],
    ))
}

// Klarna documents cancel and release as bodiless POSTs, and its SDKs send them
// with `Content-Type: application/json` and an empty body. Klarna does not
// document what a body or another content type gets; we choose to ignore both
// (body and `Content-Type`) because there is nothing to validate.
/// `POST /orders/{id}/cancel` → 204. Any request body is ignored.
pub(crate) fn cancel(inner: &mut Inner, host: &str, raw: &str, now: OffsetDateTime) -> OpResult {
    let id = order_id(raw)?;
    let order = lookup_mut(inner, host, &id, raw)?;
    rules::cancel(order, now).map_err(refused)?;
    Ok(SimResponse::empty(204, Vec::new()))
}

/// `POST /orders/{id}/release-remaining-authorization` → 204. Body ignored.
pub(crate) fn release(inner: &mut Inner, host: &str, raw: &str, now: OffsetDateTime) -> OpResult {
    let id = order_id(raw)?;
    let order = lookup_mut(inner, host, &id, raw)?;
    rules::release(order, now).map_err(refused)?;
    Ok(SimResponse::empty(204, Vec::new()))
}

/// 204 No Content, the answer of every write below.
fn no_content() -> SimResponse {
    SimResponse::empty(204, Vec::new())
}

/// The capture `cid` of `order`, for a capture route: 403 when the order has
/// no captures at all (Klarna documents "Order has no captures" for these
/// routes), else 404 `NO_SUCH_CAPTURE` when this one is not among them.
fn capture_on<'a>(
    order: &'a mut Order,
    cid: &str,
    unknown: impl FnOnce() -> SimResponse,
    what: &str,
) -> Result<&'a mut Capture, SimResponse> {
    if order.captures.is_empty() {
        return Err(refused(rules::refuse(
            NOT_ALLOWED,
            format!("Order has no captures. {what}"),
        )));
    }
    order.capture_mut(cid).ok_or_else(unknown)
}

// Klarna documents cancel-like bodiless POSTs (extend-authorization-time,
// acknowledge, trigger-send-out) without a body; as for cancel and release, we
// choose to ignore any body and `Content-Type` sent with them.
/// `POST /orders/{id}/extend-authorization-time` → 204. Body ignored.
pub(crate) fn extend_authorization_time(
    inner: &mut Inner,
    host: &str,
    raw: &str,
    now: OffsetDateTime,
) -> OpResult {
    let id = order_id(raw)?;
    let order = lookup_mut(inner, host, &id, raw)?;
    amend::extend_authorization_time(order, now).map_err(refused)?;
    Ok(no_content())
}

/// `PATCH /orders/{id}/authorization` → 204.
pub(crate) fn update_authorization(
    inner: &mut Inner,
    raw: &str,
    write: &WriteRequest<'_>,
    now: OffsetDateTime,
) -> OpResult {
    let id = order_id(raw)?;
    let req = validate::authorization_body(write.content_type, write.body).map_err(body_error)?;
    let order = lookup_mut(inner, write.api_host, &id, raw)?;
    amend::update_authorization(order, req, now).map_err(refused)?;
    Ok(no_content())
}

/// `PATCH /orders/{id}/merchant-references` → 204. Unknown orders get Klarna's
/// documented sample message for this operation.
pub(crate) fn update_merchant_references(
    inner: &mut Inner,
    raw: &str,
    write: &WriteRequest<'_>,
    now: OffsetDateTime,
) -> OpResult {
    let id = order_id(raw)?;
    let req =
        validate::merchant_references_body(write.content_type, write.body).map_err(body_error)?;
    let order = lookup_mut(inner, write.api_host, &id, raw).map_err(|_| {
        SimResponse::error1(
            404,
            "NO_SUCH_ORDER",
            "Order cannot be found. Merchant references cannot be updated.",
        )
    })?;
    amend::update_merchant_references(order, req, now).map_err(refused)?;
    Ok(no_content())
}

/// `PATCH /orders/{id}/customer-details` → 204.
pub(crate) fn update_customer_details(
    inner: &mut Inner,
    raw: &str,
    write: &WriteRequest<'_>,
    now: OffsetDateTime,
) -> OpResult {
    let id = order_id(raw)?;
    let req =
        validate::customer_details_body(write.content_type, write.body).map_err(body_error)?;
    let order = lookup_mut(inner, write.api_host, &id, raw)?;
    amend::update_customer_details(order, req, now).map_err(refused)?;
    Ok(no_content())
}

/// `POST /orders/{id}/acknowledge` → 204. Body ignored. Unknown orders get
/// Klarna's documented sample message for this operation.
pub(crate) fn acknowledge(
    inner: &mut Inner,
    host: &str,
    raw: &str,
    now: OffsetDateTime,
) -> OpResult {
    let id = order_id(raw)?;
    let order = lookup_mut(inner, host, &id, raw).map_err(|_| {
        SimResponse::error1(
            404,
            "NO_SUCH_ORDER",
            format!("Order {raw} cannot be found. Acknowledgement not possible."),
        )
    })?;
    amend::acknowledge(order, now).map_err(refused)?;
    Ok(no_content())
}

/// `POST /orders/{id}/shipping-info` → 204.
pub(crate) fn append_order_shipping_info(
    inner: &mut Inner,
    raw: &str,
    write: &WriteRequest<'_>,
) -> OpResult {
    let id = order_id(raw)?;
    let info = validate::shipping_info_body(write.content_type, write.body).map_err(body_error)?;
    let order = lookup_mut(inner, write.api_host, &id, raw)?;
    fulfil::append_order_shipping_info(order, info).map_err(refused)?;
    Ok(no_content())
}

/// `POST /orders/{id}/captures/{capture_id}/shipping-info` → 204.
pub(crate) fn append_capture_shipping_info(
    inner: &mut Inner,
    raw: &str,
    raw_capture: &str,
    write: &WriteRequest<'_>,
) -> OpResult {
    let id = order_id(raw)?;
    let cid = capture_id(raw_capture)?;
    let info = validate::shipping_info_body(write.content_type, write.body).map_err(body_error)?;
    let order = lookup_mut(inner, write.api_host, &id, raw)?;
    let unknown = || {
        SimResponse::error1(
            404,
            "NO_SUCH_CAPTURE",
            format!(
                "Capture could not be found. Shipping info cannot be added to capture {raw_capture}"
            ),
        )
    };
    let capture = capture_on(order, &cid, unknown, "Shipping info cannot be added.")?;
    fulfil::append_capture_shipping_info(capture, info).map_err(refused)?;
    Ok(no_content())
}

/// `POST /orders/{id}/captures/{capture_id}/trigger-send-out` → 204. Body ignored.
pub(crate) fn trigger_send_out(
    inner: &mut Inner,
    host: &str,
    raw: &str,
    raw_capture: &str,
) -> OpResult {
    let id = order_id(raw)?;
    let cid = capture_id(raw_capture)?;
    let order = lookup_mut(inner, host, &id, raw)?;
    let unknown = || no_such_capture(raw, raw_capture);
    let capture = capture_on(order, &cid, unknown, "Send out not possible.")?;
    fulfil::trigger_send_out(capture);
    Ok(no_content())
}

// Klarna documents only 200 and 404 for the options, so an order without
// captures gets the same 404 NO_SUCH_CAPTURE as an unknown capture here.
/// `GET /orders/{id}/captures/{capture_id}/extend-due-date-options` → 200.
pub(crate) fn due_date_options(
    inner: &Inner,
    host: &str,
    raw: &str,
    raw_capture: &str,
    now: OffsetDateTime,
) -> OpResult {
    order_id(raw)?;
    let cid = capture_id(raw_capture)?;
    let order = lookup(inner, host, raw)?;
    let capture = order
        .captures
        .iter()
        .find(|c| c.capture_id == cid)
        .ok_or_else(|| no_such_capture(raw, raw_capture))?;
    let options = fulfil::due_date_options(order, capture, now);
    Ok(SimResponse::json(&render::due_date_options_value(
        &order.purchase_currency,
        options,
    )))
}

/// `PATCH /orders/{id}/captures/{capture_id}/extend-due-date` → 204; the fee
/// is recorded on the order and charged in the settlement ledger.
pub(crate) fn extend_due_date(
    inner: &mut Inner,
    raw: &str,
    raw_capture: &str,
    write: &WriteRequest<'_>,
    now: OffsetDateTime,
) -> OpResult {
    let id = order_id(raw)?;
    let cid = capture_id(raw_capture)?;
    let days =
        validate::extend_due_date_body(write.content_type, write.body).map_err(body_error)?;
    let order = lookup_mut(inner, write.api_host, &id, raw)?;
    let unknown = || no_such_capture(raw, raw_capture);
    capture_on(order, &cid, unknown, "Extension of due date not possible.")?;
    fulfil::extend_due_date(order, &cid, days, now).map_err(refused)?;
    // The fee is also a FEE transaction in the Settlements API, so a payout nets it.
    if let Some(fee) = order.fees.last().map(|f| f.amount) {
        inner.post_fee(
            &id,
            Some(&cid),
            super::settlements::DetailedType::EXTEND_DUE_DATE_FEE,
            fee,
            now,
        );
    }
    Ok(no_content())
}
