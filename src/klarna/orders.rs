//! [`Orders`]: the Order Management API, one short method per endpoint over the transport's
//! typed helpers, plus [`Orders::write`], which sends any write the way its [`OrderWrite`]
//! describes it (method, path below the order, body, what proves success) — so a new write
//! is a description, not a new method.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/>

use reqwest::Method;

use super::{
    client::{Created, CreatedKind, Proof, created, no_content},
    transport::{Api, CallError, Limits, Reply, Transport, Write},
    types::{Capture, CaptureRequest, DueDateOptions, Order, Refund, RefundRequest},
};
use crate::host::ApiHost;

/// A write to one order, as data: everything [`Orders::write`] needs to send it and to judge
/// Klarna's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderWrite {
    /// `POST` or `PATCH`.
    pub method: Method,
    /// Path segments below `…/orders/{order_id}`, e.g. `["captures"]` or
    /// `["captures", capture_id, "shipping-info"]`; each is percent-encoded on its own.
    pub path: Vec<String>,
    /// The JSON body, or `None` for a write without one (sent as an empty JSON request).
    pub body: Option<Vec<u8>>,
    /// What proves Klarna applied it.
    pub proof: Proof,
}

/// The Order Management API of a [`KlarnaClient`](super::KlarnaClient): a copyable handle
/// borrowing the client's transport, so `client.orders().get(…)` needs no binding.
#[derive(Clone, Copy)]
pub struct Orders<'c> {
    transport: &'c Transport,
}

impl<'c> Orders<'c> {
    pub(crate) fn new(transport: &'c Transport) -> Self {
        Self { transport }
    }

    /// `GET /ordermanagement/v1/orders/{order_id}`.
    pub async fn get(
        self,
        host: ApiHost,
        order_id: &str,
        limits: &Limits,
    ) -> Result<Reply<Order>, CallError> {
        self.transport
            .get_json(host, Api::OrderManagement, &[order_id], &[], limits)
            .await
    }

    /// `GET …/orders/{order_id}/captures/{capture_id}`.
    pub async fn capture(
        self,
        host: ApiHost,
        order_id: &str,
        capture_id: &str,
        limits: &Limits,
    ) -> Result<Reply<Capture>, CallError> {
        let segments = [order_id, "captures", capture_id];
        self.transport
            .get_json(host, Api::OrderManagement, &segments, &[], limits)
            .await
    }

    /// `GET …/orders/{order_id}/captures`: every capture of the order (Klarna answers a bare
    /// JSON array).
    pub async fn captures(
        self,
        host: ApiHost,
        order_id: &str,
        limits: &Limits,
    ) -> Result<Reply<Vec<Capture>>, CallError> {
        let segments = [order_id, "captures"];
        self.transport
            .get_json_list(host, Api::OrderManagement, &segments, &[], limits)
            .await
    }

    /// `GET …/orders/{order_id}/refunds/{refund_id}`.
    pub async fn refund(
        self,
        host: ApiHost,
        order_id: &str,
        refund_id: &str,
        limits: &Limits,
    ) -> Result<Reply<Refund>, CallError> {
        let segments = [order_id, "refunds", refund_id];
        self.transport
            .get_json(host, Api::OrderManagement, &segments, &[], limits)
            .await
    }

    /// `GET …/orders/{order_id}/captures/{capture_id}/extend-due-date-options`: what
    /// extending the capture's payment due date would cost the merchant.
    pub async fn due_date_options(
        self,
        host: ApiHost,
        order_id: &str,
        capture_id: &str,
        limits: &Limits,
    ) -> Result<Reply<DueDateOptions>, CallError> {
        let segments = [order_id, "captures", capture_id, "extend-due-date-options"];
        self.transport
            .get_json(host, Api::OrderManagement, &segments, &[], limits)
            .await
    }

    /// Sends `write` to order `order_id` with one idempotency key, and judges the answer by
    /// the write's proof: the id it created, if any.
    pub async fn write(
        self,
        host: ApiHost,
        order_id: &str,
        write: &OrderWrite,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<Option<String>>, CallError> {
        let mut segments = vec![order_id];
        segments.extend(write.path.iter().map(String::as_str));
        let answer = self
            .transport
            .write(
                host,
                Api::OrderManagement,
                Write {
                    method: write.method.clone(),
                    segments: &segments,
                    body: write.body.clone(),
                    idempotency_key,
                },
                limits,
            )
            .await?;
        write.proof.judge(&answer)
    }

    /// `POST …/captures` → 201 with `Capture-Id` and `Location`.
    pub async fn create_capture(
        self,
        host: ApiHost,
        order_id: &str,
        body: &CaptureRequest,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<Created>, CallError> {
        let answer = self
            .post(
                host,
                &[order_id, "captures"],
                Some(json(body)?),
                idempotency_key,
                limits,
            )
            .await?;
        created(&answer, CreatedKind::Capture)
    }

    /// `POST …/refunds` → 201 with `Refund-Id` and `Location`.
    pub async fn create_refund(
        self,
        host: ApiHost,
        order_id: &str,
        body: &RefundRequest,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<Created>, CallError> {
        let answer = self
            .post(
                host,
                &[order_id, "refunds"],
                Some(json(body)?),
                idempotency_key,
                limits,
            )
            .await?;
        created(&answer, CreatedKind::Refund)
    }

    /// `POST …/cancel` → 204.
    pub async fn cancel(
        self,
        host: ApiHost,
        order_id: &str,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<()>, CallError> {
        let answer = self
            .post(host, &[order_id, "cancel"], None, idempotency_key, limits)
            .await?;
        no_content(&answer)
    }

    /// `POST …/release-remaining-authorization` → 204.
    pub async fn release_remaining_authorization(
        self,
        host: ApiHost,
        order_id: &str,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<()>, CallError> {
        let segments = [order_id, "release-remaining-authorization"];
        let answer = self
            .post(host, &segments, None, idempotency_key, limits)
            .await?;
        no_content(&answer)
    }

    async fn post(
        self,
        host: ApiHost,
        segments: &[&str],
        body: Option<Vec<u8>>,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<super::transport::Answer, CallError> {
        let write = Write {
            method: Method::POST,
            segments,
            body,
            idempotency_key,
        };
        self.transport
            .write(host, Api::OrderManagement, write, limits)
            .await
    }
}

/// A request body as JSON bytes.
pub fn json<T: serde::Serialize>(body: &T) -> Result<Vec<u8>, CallError> {
    serde_json::to_vec(body).map_err(|e| {
        CallError::from(super::KlarnaError::Decode {
            status: 0,
            detail: e.to_string(),
        })
    })
}
