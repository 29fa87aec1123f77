//! [`KlarnaClient`]: one method per Klarna Order Management endpoint, each a few lines over
//! the typed helpers of the transport.
//!
//! Requests go to `https://{host}` for one of the six [`ApiHost`]s, or to the configured base
//! URL (simulator, proxy, gateway), with the credentials configured for that host.

use std::sync::Arc;

use super::{
    config::ClientConfig,
    transport::{Answer, CallError, Limits, Reply, Transport},
    types::{Capture, CaptureRequest, Order, RefundRequest},
};
use crate::host::ApiHost;

/// A handle to the Klarna API. Cloning is shallow: clones share one connection pool and
/// one configuration, so every tool call uses the same pooled client.
#[derive(Clone)]
pub struct KlarnaClient {
    transport: Arc<Transport>,
}

impl std::fmt::Debug for KlarnaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let config = self.transport.config();
        f.debug_struct("KlarnaClient")
            .field("credentials", &config.credentials)
            .field("base_url", &config.base_url.as_ref().map(url::Url::as_str))
            .field("retry", &config.retry)
            .finish()
    }
}

/// What a `201 Created` carries: the new resource's id and location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// From `Capture-Id` / `Refund-Id` (or the last `Location` segment).
    pub id: Option<String>,
    /// `Location` header, absolute or relative as Klarna sent it.
    pub location: Option<String>,
}

impl KlarnaClient {
    /// Builds the client. Does no I/O.
    pub fn new(config: ClientConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            transport: Arc::new(Transport::new(config)?),
        })
    }

    /// `GET /ordermanagement/v1/orders/{order_id}`.
    pub async fn get_order(
        &self,
        host: ApiHost,
        order_id: &str,
        limits: &Limits,
    ) -> Result<Reply<Order>, CallError> {
        self.transport.get_json(host, &[order_id], limits).await
    }

    /// `GET /ordermanagement/v1/orders/{order_id}/captures/{capture_id}`.
    pub async fn get_capture(
        &self,
        host: ApiHost,
        order_id: &str,
        capture_id: &str,
        limits: &Limits,
    ) -> Result<Reply<Capture>, CallError> {
        let segments = [order_id, "captures", capture_id];
        self.transport.get_json(host, &segments, limits).await
    }

    /// `POST …/captures` → 201 with `Capture-Id` and `Location`.
    pub async fn create_capture(
        &self,
        host: ApiHost,
        order_id: &str,
        body: &CaptureRequest,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<Created>, CallError> {
        let segments = [order_id, "captures"];
        let answer = self
            .transport
            .post_json(host, &segments, body, idempotency_key, limits)
            .await?;
        Ok(created(&answer, "Capture-Id"))
    }

    /// `POST …/refunds` → 201 with `Refund-Id` and `Location` (204 from old API versions is
    /// accepted too).
    pub async fn create_refund(
        &self,
        host: ApiHost,
        order_id: &str,
        body: &RefundRequest,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<Created>, CallError> {
        let segments = [order_id, "refunds"];
        let answer = self
            .transport
            .post_json(host, &segments, body, idempotency_key, limits)
            .await?;
        Ok(created(&answer, "Refund-Id"))
    }

    /// `POST …/cancel` → 204.
    pub async fn cancel_order(
        &self,
        host: ApiHost,
        order_id: &str,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<()>, CallError> {
        let segments = [order_id, "cancel"];
        let answer = self
            .transport
            .post_empty(host, &segments, idempotency_key, limits)
            .await?;
        Ok(answer.reply(()))
    }

    /// `POST …/release-remaining-authorization` → 204.
    pub async fn release_remaining_authorization(
        &self,
        host: ApiHost,
        order_id: &str,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<()>, CallError> {
        let segments = [order_id, "release-remaining-authorization"];
        let answer = self
            .transport
            .post_empty(host, &segments, idempotency_key, limits)
            .await?;
        Ok(answer.reply(()))
    }
}

/// The id of a created resource: its id header, else the last segment of `Location`.
fn created(answer: &Answer, id_header: &str) -> Reply<Created> {
    let location = answer.header("Location");
    let id = answer.header(id_header).or_else(|| {
        location
            .as_deref()
            .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    });
    answer.reply(Created { id, location })
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::klarna::{Credentials, HostCredentials, RetryPolicy};

    #[test]
    fn debug_output_never_shows_the_password() {
        let config = ClientConfig {
            credentials: HostCredentials::same_for_all(Ok(Credentials {
                username: "user".into(),
                password: SecretString::from("hunter2-secret".to_string()),
            })),
            base_url: None,
            retry: RetryPolicy::default(),
        };
        let text = format!(
            "{:?} {:?}",
            KlarnaClient::new(config.clone()).unwrap(),
            config
        );
        assert!(!text.contains("hunter2-secret"), "{text}");
        assert!(text.contains("user"));
    }
}
