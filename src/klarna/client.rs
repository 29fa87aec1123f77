//! [`KlarnaClient`]: the one HTTP executor for Klarna Order Management.
//!
//! One `reqwest::Client` per process (pooled keep-alive connections, rustls, no redirects),
//! HTTP Basic auth on every request, one public method per endpoint over a single private
//! `send` that owns timeouts and retries. Requests go to `https://{host}` for one of the six
//! [`ApiHost`]s, or to the configured base URL (simulator, proxy, gateway).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use reqwest::{Method, StatusCode, header::HeaderMap, redirect};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::{
    error::{ApiErrorBody, KlarnaError, TransportKind},
    retry::{RetryPolicy, parse_retry_after},
    types::{Capture, CaptureRequest, Order, RefundRequest},
};
use crate::{
    config::{Config, Credentials, MissingCredential},
    host::ApiHost,
};

/// Largest response body read (bytes). Klarna's request limit is 1 MB; an order with 1000
/// lines and its captures stays well under this.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The `User-Agent` sent to Klarna, in the token style Klarna's own SDKs use.
pub const USER_AGENT: &str = concat!(
    "klarna-mcp/",
    env!("CARGO_PKG_VERSION"),
    " Library/klarna-mcp_",
    env!("CARGO_PKG_VERSION"),
    " Language/Rust"
);

/// A handle to the Klarna API. Cloning is shallow: clones share one connection pool and
/// one configuration, so every tool call uses the same pooled client.
#[derive(Clone)]
pub struct KlarnaClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    credentials: Result<Credentials, MissingCredential>,
    base_url: Option<Url>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for KlarnaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KlarnaClient")
            .field("credentials", &self.inner.credentials)
            .field("base_url", &self.inner.base_url.as_ref().map(Url::as_str))
            .field("retry", &self.inner.retry)
            .finish()
    }
}

/// How long a call may take and whether its caller still wants it: every attempt and every
/// wait between attempts honours both.
#[derive(Debug, Clone)]
pub struct Limits {
    /// No attempt starts or runs past this instant.
    pub deadline: Instant,
    /// Fires when the MCP client cancels the call: no further attempt is started.
    pub cancelled: CancellationToken,
}

impl Limits {
    /// `budget` from now, not cancellable.
    pub fn within(budget: Duration) -> Self {
        Self {
            deadline: Instant::now() + budget,
            cancelled: CancellationToken::new(),
        }
    }
}

/// Least time a write attempt needs: sending one with less would all but guarantee a timeout
/// and turn a clean refusal into an unknown outcome.
const MIN_TIME_FOR_WRITE: Duration = Duration::from_secs(2);

/// A successful answer and how it was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    /// The decoded answer.
    pub value: T,
    /// HTTP status of the final attempt.
    pub status: u16,
    /// Attempts made (1 = no retry).
    pub attempts: u32,
    /// `Klarna-Correlation-Id` response header, when present.
    pub correlation_id: Option<String>,
}

/// What a `201 Created` carries: the new resource's id and location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// From `Capture-Id` / `Refund-Id` (or the last `Location` segment).
    pub id: Option<String>,
    /// `Location` header, absolute or relative as Klarna sent it.
    pub location: Option<String>,
}

/// A failed call, with what the retries saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    /// The last error.
    pub error: KlarnaError,
    /// Attempts made (0 = nothing was sent).
    pub attempts: u32,
    /// For writes: Klarna may have applied it (some attempt ended without a verdict).
    pub maybe_applied: bool,
}

impl From<KlarnaError> for Failed {
    fn from(error: KlarnaError) -> Self {
        Self {
            error,
            attempts: 0,
            maybe_applied: false,
        }
    }
}

struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl KlarnaClient {
    /// Builds the client from configuration. Does no I/O.
    pub fn new(config: &Config) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(redirect::Policy::none())
            // Never through a proxy from the environment (HTTP_PROXY, ALL_PROXY): the Basic
            // auth header goes to Klarna's host or the configured base URL, nowhere else.
            .no_proxy()
            .connect_timeout(config.retry.attempt_timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(90))
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                credentials: config.credentials.clone(),
                base_url: config.base_url.clone(),
                retry: config.retry,
            }),
        })
    }

    /// `GET /ordermanagement/v1/orders/{order_id}`.
    pub async fn get_order(
        &self,
        host: ApiHost,
        order_id: &str,
        limits: &Limits,
    ) -> Result<Reply<Order>, Failed> {
        let (raw, attempts) = self
            .send(Method::GET, host, &[order_id], None, None, limits)
            .await?;
        decode(raw, attempts)
    }

    /// `GET /ordermanagement/v1/orders/{order_id}/captures/{capture_id}`.
    pub async fn get_capture(
        &self,
        host: ApiHost,
        order_id: &str,
        capture_id: &str,
        limits: &Limits,
    ) -> Result<Reply<Capture>, Failed> {
        let segments = [order_id, "captures", capture_id];
        let (raw, attempts) = self
            .send(Method::GET, host, &segments, None, None, limits)
            .await?;
        decode(raw, attempts)
    }

    /// `POST …/captures` → 201 with `Capture-Id` and `Location`.
    pub async fn create_capture(
        &self,
        host: ApiHost,
        order_id: &str,
        body: &CaptureRequest,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<Created>, Failed> {
        let json = Some(to_json(body)?);
        let segments = [order_id, "captures"];
        let (raw, attempts) = self
            .send(
                Method::POST,
                host,
                &segments,
                json,
                Some(idempotency_key),
                limits,
            )
            .await?;
        created(raw, attempts, "Capture-Id")
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
    ) -> Result<Reply<Created>, Failed> {
        let json = Some(to_json(body)?);
        let segments = [order_id, "refunds"];
        let (raw, attempts) = self
            .send(
                Method::POST,
                host,
                &segments,
                json,
                Some(idempotency_key),
                limits,
            )
            .await?;
        created(raw, attempts, "Refund-Id")
    }

    /// `POST …/cancel` → 204.
    pub async fn cancel_order(
        &self,
        host: ApiHost,
        order_id: &str,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<()>, Failed> {
        let segments = [order_id, "cancel"];
        let (raw, attempts) = self
            .send(
                Method::POST,
                host,
                &segments,
                None,
                Some(idempotency_key),
                limits,
            )
            .await?;
        Ok(no_content(raw, attempts))
    }

    /// `POST …/release-remaining-authorization` → 204.
    pub async fn release_remaining_authorization(
        &self,
        host: ApiHost,
        order_id: &str,
        idempotency_key: &str,
        limits: &Limits,
    ) -> Result<Reply<()>, Failed> {
        let segments = [order_id, "release-remaining-authorization"];
        let (raw, attempts) = self
            .send(
                Method::POST,
                host,
                &segments,
                None,
                Some(idempotency_key),
                limits,
            )
            .await?;
        Ok(no_content(raw, attempts))
    }

    /// The URL of `/ordermanagement/v1/orders/{segments…}` on `host`, each segment
    /// percent-encoded so an id can never leave its path segment.
    pub fn url(&self, host: ApiHost, segments: &[&str]) -> Result<Url, KlarnaError> {
        let bad = |detail: &str| KlarnaError::Transport {
            kind: TransportKind::Connect,
            detail: detail.to_string(),
        };
        let mut url = match &self.inner.base_url {
            Some(base) => base.clone(),
            None => Url::parse(&format!("https://{host}/")).map_err(|_| bad("invalid host URL"))?,
        };
        url.path_segments_mut()
            .map_err(|()| bad("base URL cannot take a path"))?
            .pop_if_empty()
            .extend(["ordermanagement", "v1", "orders"])
            .extend(segments);
        Ok(url)
    }

    /// Sends one logical request, retrying transient failures within `limits`. Writes carry
    /// the same idempotency key on every attempt. Returns the final 2xx answer and the
    /// attempt count.
    async fn send(
        &self,
        method: Method,
        host: ApiHost,
        segments: &[&str],
        body: Option<Vec<u8>>,
        idempotency_key: Option<&str>,
        limits: &Limits,
    ) -> Result<(Raw, u32), Failed> {
        let credentials = self
            .inner
            .credentials
            .as_ref()
            .map_err(|m| KlarnaError::MissingCredentials(*m))?;
        let url = self.url(host, segments)?;
        let policy = self.inner.retry;
        let is_write = idempotency_key.is_some();
        let mut unclear_before = false;
        let mut attempt: u32 = 0;
        loop {
            let remaining = limits.deadline.saturating_duration_since(Instant::now());
            let needed = if is_write {
                policy.attempt_timeout.min(MIN_TIME_FOR_WRITE)
            } else {
                Duration::from_millis(1)
            };
            let stop = if limits.cancelled.is_cancelled() {
                Some("the MCP client cancelled the call")
            } else if remaining < needed {
                Some("the call's time budget (KLARNA_TIMEOUT_SECS) ran out before it could be sent")
            } else {
                None
            };
            if let Some(reason) = stop {
                let error = KlarnaError::NotSent(reason.to_string());
                return Err(Failed {
                    error,
                    attempts: attempt,
                    maybe_applied: is_write && unclear_before,
                });
            }
            attempt += 1;
            let mut request = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .basic_auth(
                    &credentials.username,
                    Some(credentials.password.expose_secret()),
                )
                .header(reqwest::header::ACCEPT, "application/json");
            if let Some(key) = idempotency_key {
                request = request.header("Klarna-Idempotency-Key", key);
            }
            if let Some(bytes) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(bytes.clone());
            }
            let outcome =
                tokio::time::timeout(policy.attempt_timeout.min(remaining), execute(request)).await;
            let (error, retry_after) = match outcome {
                Err(_elapsed) => (
                    KlarnaError::Transport {
                        kind: TransportKind::Timeout,
                        detail: String::new(),
                    },
                    None,
                ),
                Ok(Err(error)) => (error, None),
                Ok(Ok(raw)) if raw.status.is_success() => {
                    tracing::debug!(%method, path = url.path(), status = raw.status.as_u16(), attempt, "klarna call");
                    return Ok((raw, attempt));
                }
                Ok(Ok(raw)) => {
                    let retry_after = raw
                        .headers
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    (status_error(&raw), retry_after)
                }
            };
            let retryable = match &error {
                KlarnaError::Transport { .. } => true,
                KlarnaError::Status { status, .. } => RetryPolicy::retryable_status(*status),
                _ => false,
            };
            // A write is unclear when no verdict came back (timeout, broken connection, 5xx)
            // or Klarna said it is still busy with the key (409). Once an attempt was unclear,
            // no later answer proves the first one was not applied.
            let unclear_now = is_write && (error.is_ambiguous() || error.status() == Some(409));
            let delay = policy.delay(attempt, retry_after);
            let out_of_time = Instant::now() + delay >= limits.deadline;
            if !retryable || attempt > policy.max_retries || out_of_time {
                let maybe_applied = is_write && (unclear_now || unclear_before);
                tracing::warn!(
                    %method,
                    path = url.path(),
                    attempt,
                    status = error.status(),
                    error_code = error.error_code(),
                    correlation_id = error.correlation_id(),
                    maybe_applied,
                    "klarna call failed: {error}"
                );
                return Err(Failed {
                    error,
                    attempts: attempt,
                    maybe_applied,
                });
            }
            unclear_before |= unclear_now;
            tracing::info!(%method, path = url.path(), attempt, delay_ms = delay.as_millis() as u64, "retrying klarna call: {error}");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = limits.cancelled.cancelled() => {}
            }
        }
    }
}

/// One HTTP exchange: send, then read the body up to the size limit.
async fn execute(request: reqwest::RequestBuilder) -> Result<Raw, KlarnaError> {
    let mut response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let headers = response.headers().clone();
    if response
        .content_length()
        .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
    {
        return Err(KlarnaError::TooLarge {
            limit: MAX_RESPONSE_BYTES,
        });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(KlarnaError::TooLarge {
                limit: MAX_RESPONSE_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Raw {
        status,
        headers,
        body,
    })
}

fn transport_error(error: reqwest::Error) -> KlarnaError {
    let kind = if error.is_connect() {
        TransportKind::Connect
    } else if error.is_timeout() {
        TransportKind::Timeout
    } else {
        TransportKind::Interrupted
    };
    // The URL holds no secret, but the message is for people: the cause chain, without it.
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    let detail: String = detail.chars().take(300).collect();
    KlarnaError::Transport { kind, detail }
}

fn correlation_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("Klarna-Correlation-Id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn status_error(raw: &Raw) -> KlarnaError {
    let body = ApiErrorBody::parse(&raw.body);
    let snippet = if body.is_none() {
        String::from_utf8_lossy(&raw.body)
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect()
    } else {
        String::new()
    };
    KlarnaError::Status {
        status: raw.status.as_u16(),
        body,
        snippet,
        header_correlation_id: correlation_header(&raw.headers),
    }
}

fn to_json<T: serde::Serialize>(body: &T) -> Result<Vec<u8>, Failed> {
    serde_json::to_vec(body).map_err(|e| {
        Failed::from(KlarnaError::Decode {
            status: 0,
            detail: e.to_string(),
        })
    })
}

fn decode<T: DeserializeOwned>(raw: Raw, attempts: u32) -> Result<Reply<T>, Failed> {
    let status = raw.status.as_u16();
    let value = serde_json::from_slice(&raw.body).map_err(|e| Failed {
        error: KlarnaError::Decode {
            status,
            detail: e.to_string(),
        },
        attempts,
        maybe_applied: false,
    })?;
    Ok(Reply {
        value,
        status,
        attempts,
        correlation_id: correlation_header(&raw.headers),
    })
}

fn created(raw: Raw, attempts: u32, id_header: &str) -> Result<Reply<Created>, Failed> {
    let header = |name: &str| {
        raw.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let location = header("Location");
    let id = header(id_header).or_else(|| {
        location
            .as_deref()
            .and_then(|l| l.trim_end_matches('/').rsplit('/').next())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    });
    Ok(Reply {
        value: Created { id, location },
        status: raw.status.as_u16(),
        attempts,
        correlation_id: correlation_header(&raw.headers),
    })
}

fn no_content(raw: Raw, attempts: u32) -> Reply<()> {
    Reply {
        value: (),
        status: raw.status.as_u16(),
        attempts,
        correlation_id: correlation_header(&raw.headers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: Option<&str>) -> KlarnaClient {
        let mut config = Config::from_vars(|_| None).unwrap();
        config.base_url = base.map(|b| Url::parse(b).unwrap());
        KlarnaClient::new(&config).unwrap()
    }

    #[test]
    fn urls_route_to_the_named_host_with_encoded_segments() {
        let c = client(None);
        for host in crate::host::ALL_HOSTS {
            let url = c
                .url(host, &["4f1c0b7e-0000-4000-8000-000000000001", "captures"])
                .unwrap();
            assert_eq!(
                url.as_str(),
                format!(
                    "https://{host}/ordermanagement/v1/orders/4f1c0b7e-0000-4000-8000-000000000001/captures"
                )
            );
        }
        let url = c.url(ApiHost::Eu, &["../x", "a/b?c#d"]).unwrap();
        assert_eq!(url.host_str(), Some("api.klarna.com"));
        assert_eq!(
            url.path(),
            "/ordermanagement/v1/orders/..%2Fx/a%2Fb%3Fc%23d"
        );
    }

    #[test]
    fn base_url_override_keeps_its_path_prefix() {
        let c = client(Some("http://127.0.0.1:9/gateway/"));
        let url = c.url(ApiHost::Na, &["id"]).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/gateway/ordermanagement/v1/orders/id"
        );
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let config = Config::from_vars(|k| match k {
            "KLARNA_API_USERNAME" => Some("user".into()),
            "KLARNA_API_PASSWORD" => Some("hunter2-secret".into()),
            _ => None,
        })
        .unwrap();
        let text = format!("{:?} {:?}", KlarnaClient::new(&config).unwrap(), config);
        assert!(!text.contains("hunter2-secret"), "{text}");
        assert!(text.contains("user"));
    }
}
