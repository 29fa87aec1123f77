//! Sending one logical request to Klarna: the URL (API root, path, query), Basic auth, the
//! idempotency key, the attempts and the waits between them, and reading the answer within
//! its size limit.
//!
//! The transport knows nothing of any one API: an [`Api`] names the root (Order Management,
//! Settlements, …) and every request is (API, method, path segments, query, body). Endpoints
//! use typed helpers — [`Transport::get_json`] (and [`Transport::get_json_list`]) for reads,
//! [`Transport::get_document`] for a report (bytes and their media type), and
//! [`Transport::write`] for POST/PATCH with an idempotency key — so each of them is a few
//! lines in its API group's module (`orders.rs`, `settlements.rs`). Whether an answer is worth
//! another attempt, and whether a write may have been applied, is decided in `policy.rs`, next
//! to the retry policy.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, header::HeaderMap, redirect};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use url::Url;

use super::{
    config::ClientConfig,
    error::{ApiErrorBody, KlarnaError, TransportKind},
    policy::{self, parse_retry_after},
    sanitize::{MAX_FIELD_CHARS, MAX_ID_CHARS, Sanitizer},
};
use crate::host::ApiHost;

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

/// Least time a write attempt needs: sending one with less would all but guarantee a timeout
/// and turn a clean refusal into an unknown outcome.
pub const MIN_TIME_FOR_WRITE: Duration = Duration::from_secs(2);

/// Least time budget for one tool call (`KLARNA_TIMEOUT_SECS`): the order read before a
/// write, the write itself ([`MIN_TIME_FOR_WRITE`]) and the read afterwards must fit.
pub const MIN_CALL_BUDGET: Duration = Duration::from_secs(5);

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

impl<T> Reply<T> {
    /// The same answer's facts around another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            value: f(self.value),
            status: self.status,
            attempts: self.attempts,
            correlation_id: self.correlation_id,
        }
    }
}

/// A call that did not succeed, with what its attempts saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    /// What went wrong on the last attempt.
    pub error: KlarnaError,
    /// Attempts made (0 = nothing was sent).
    pub attempts: u32,
    /// For writes: Klarna may have applied it (some attempt ended without a verdict).
    pub may_have_applied: bool,
    /// Which credentials were sent (their variable names), when any were.
    pub credentials: Option<String>,
}

impl From<KlarnaError> for CallError {
    fn from(error: KlarnaError) -> Self {
        Self {
            error,
            attempts: 0,
            may_have_applied: false,
            credentials: None,
        }
    }
}

/// A 2xx answer, undecoded. Header values read from it are already sanitized.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    pub(crate) attempts: u32,
    sanitizer: Sanitizer,
}

impl Answer {
    /// A response header as text (scrubbed, escaped, bounded), when present.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        header_text(&self.headers, name, &self.sanitizer, MAX_FIELD_CHARS)
    }

    /// The answer's facts around `value`.
    pub(crate) fn reply<T>(&self, value: T) -> Reply<T> {
        Reply {
            value,
            status: self.status.as_u16(),
            attempts: self.attempts,
            correlation_id: correlation_header(&self.headers, &self.sanitizer),
        }
    }

    /// A write's answer that does not prove it was applied: Klarna may or may not have
    /// applied it.
    pub(crate) fn unproven(&self, detail: impl Into<String>) -> CallError {
        let error = KlarnaError::Unproven {
            status: self.status.as_u16(),
            detail: detail.into(),
        };
        tracing::warn!(
            status = self.status.as_u16(),
            may_have_applied = true,
            "klarna write answer is no verdict: {error}"
        );
        CallError {
            error,
            attempts: self.attempts,
            may_have_applied: true,
            credentials: None,
        }
    }
}

/// The API a request belongs to: each has its root path on Klarna's hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Order Management: `/ordermanagement/v1/orders/…`.
    OrderManagement,
    /// Settlements: `/settlements/v1/…` (payouts, transactions, reports).
    Settlements,
}

impl Api {
    /// The path segments every request of this API starts with.
    fn root(self) -> &'static [&'static str] {
        match self {
            Self::OrderManagement => &["ordermanagement", "v1", "orders"],
            Self::Settlements => &["settlements", "v1"],
        }
    }
}

/// The JSON shape an answer must have: every Klarna resource is an object, and a few
/// collections (the payout summary) are a bare array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Object,
    Array,
}

/// A document Klarna answered with (a report): its bytes as sent, the media type it was
/// labelled with, and the means to make text from it safe to show.
#[derive(Clone)]
pub struct Document {
    /// The body, exactly as received (at most [`MAX_RESPONSE_BYTES`]).
    pub bytes: Vec<u8>,
    /// The `Content-Type` header (scrubbed, escaped, bounded), when present.
    pub content_type: Option<String>,
    sanitizer: Sanitizer,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Document")
            .field("bytes", &self.bytes.len())
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl Document {
    /// A document of `bytes`, labelled `content_type`, whose text `sanitizer` cleans (the
    /// transport builds them; this is for tests and embedders).
    pub fn new(bytes: Vec<u8>, content_type: Option<String>, sanitizer: Sanitizer) -> Self {
        Self {
            bytes,
            content_type,
            sanitizer,
        }
    }

    /// Text from the document made safe to show: scrubbed of this server's secrets, escaped
    /// and cut to `max` characters.
    pub fn clean(&self, text: &str, max: usize) -> String {
        self.sanitizer.text(text, max)
    }

    /// Whether the document holds one of this server's secrets in any of the spellings the
    /// sanitizer knows (an upstream that echoed the request's `Authorization`): such a
    /// document is neither shown nor saved.
    pub fn holds_a_secret(&self) -> bool {
        self.sanitizer.found_in(&self.bytes)
    }
}

/// What a request carries.
enum Body {
    /// Nothing (GET).
    None,
    /// A JSON document.
    Json(Vec<u8>),
}

/// A write (`POST` or `PATCH`) as the transport sends it.
pub(crate) struct Write<'a> {
    /// The method.
    pub method: Method,
    /// Path segments below the API's root, each percent-encoded on its own.
    pub segments: &'a [&'a str],
    /// The JSON body, or `None` for a write without one.
    pub body: Option<Vec<u8>>,
    /// The same key on every attempt, so Klarna applies the write at most once.
    pub idempotency_key: &'a str,
}

/// One logical request: every attempt sends exactly this.
struct Request<'a> {
    method: Method,
    host: ApiHost,
    api: Api,
    segments: &'a [&'a str],
    query: &'a [(&'a str, &'a str)],
    /// The `Accept` header: JSON, or a report's media type (and JSON, for its errors).
    accept: &'a str,
    body: Body,
    /// Writes only: the same key on every attempt, so Klarna applies the write at most once.
    idempotency_key: Option<&'a str>,
}

/// The HTTP side of the client: one pooled `reqwest::Client` and the client configuration.
pub(crate) struct Transport {
    http: reqwest::Client,
    config: ClientConfig,
    sanitizer: Sanitizer,
}

impl Transport {
    /// Builds the pooled HTTP client. Does no I/O.
    pub(crate) fn new(config: ClientConfig) -> Result<Self, reqwest::Error> {
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
        let sanitizer = Sanitizer::new(config.credentials.all());
        Ok(Self {
            http,
            config,
            sanitizer,
        })
    }

    /// The configuration this transport was built from.
    pub(crate) fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// GETs `segments` (with `query`) of `api` and decodes the JSON answer, an object.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        host: ApiHost,
        api: Api,
        segments: &[&str],
        query: &[(&str, &str)],
        limits: &Limits,
    ) -> Result<Reply<T>, CallError> {
        self.get_shaped(host, api, segments, query, Shape::Object, limits)
            .await
    }

    /// GETs `segments` (with `query`) of `api` and decodes the JSON answer, an array (a
    /// collection Klarna answers bare, such as the payout summary).
    pub(crate) async fn get_json_list<T: DeserializeOwned>(
        &self,
        host: ApiHost,
        api: Api,
        segments: &[&str],
        query: &[(&str, &str)],
        limits: &Limits,
    ) -> Result<Reply<Vec<T>>, CallError> {
        self.get_shaped(host, api, segments, query, Shape::Array, limits)
            .await
    }

    async fn get_shaped<T: DeserializeOwned>(
        &self,
        host: ApiHost,
        api: Api,
        segments: &[&str],
        query: &[(&str, &str)],
        shape: Shape,
        limits: &Limits,
    ) -> Result<Reply<T>, CallError> {
        let request = Request {
            method: Method::GET,
            host,
            api,
            segments,
            query,
            accept: "application/json",
            body: Body::None,
            idempotency_key: None,
        };
        let answer = self.send(request, limits).await?;
        let decode_error = |e: serde_json::Error| CallError {
            error: KlarnaError::Decode {
                status: answer.status.as_u16(),
                detail: e.to_string(),
            },
            attempts: answer.attempts,
            may_have_applied: false,
            credentials: None,
        };
        // Every string is cleaned before the typed decode, so nothing read from Klarna can
        // carry our secrets, a forged line, or megabytes of text into a result.
        let mut json: serde_json::Value =
            serde_json::from_slice(&answer.body).map_err(decode_error)?;
        // Every resource Klarna returns is an object (a few collections an array); anything
        // else is not its answer.
        let (fits, expected) = match shape {
            Shape::Object => (json.is_object(), "a JSON object"),
            Shape::Array => (json.is_array(), "a JSON array"),
        };
        if !fits {
            return Err(CallError {
                error: KlarnaError::Decode {
                    status: answer.status.as_u16(),
                    detail: format!("the answer is not {expected}"),
                },
                attempts: answer.attempts,
                may_have_applied: false,
                credentials: None,
            });
        }
        self.sanitizer.json(&mut json, MAX_FIELD_CHARS);
        let value = serde_json::from_value(json).map_err(decode_error)?;
        Ok(answer.reply(value))
    }

    /// GETs a document (a report) of `api`, asking for `media_type` (and JSON, the media type
    /// of its errors), and returns its bytes as received — within [`MAX_RESPONSE_BYTES`] —
    /// with the media type it was labelled with. Its text is not touched here: what a result
    /// shows of it goes through [`Document::clean`].
    pub(crate) async fn get_document(
        &self,
        host: ApiHost,
        api: Api,
        segments: &[&str],
        query: &[(&str, &str)],
        media_type: &str,
        limits: &Limits,
    ) -> Result<Reply<Document>, CallError> {
        let accept = format!("{media_type}, application/json;q=0.5");
        let request = Request {
            method: Method::GET,
            host,
            api,
            segments,
            query,
            accept: &accept,
            body: Body::None,
            idempotency_key: None,
        };
        let answer = self.send(request, limits).await?;
        let content_type = answer.header("Content-Type");
        let reply = answer.reply(());
        Ok(reply.map(|()| Document {
            bytes: answer.body,
            content_type,
            sanitizer: self.sanitizer.clone(),
        }))
    }

    /// Sends `write` to `api` on `host`: its body as JSON, or — for a write without one —
    /// `Content-Type: application/json` with an empty body, the way Klarna's own SDKs send
    /// cancel and release.
    pub(crate) async fn write(
        &self,
        host: ApiHost,
        api: Api,
        write: Write<'_>,
        limits: &Limits,
    ) -> Result<Answer, CallError> {
        let request = Request {
            method: write.method,
            host,
            api,
            segments: write.segments,
            query: &[],
            accept: "application/json",
            body: Body::Json(write.body.unwrap_or_default()),
            idempotency_key: Some(write.idempotency_key),
        };
        self.send(request, limits).await
    }

    /// The URL of `{api root}/{segments…}?{query}` on `host`, each segment percent-encoded
    /// so an id can never leave its path segment, and the query encoded as a form.
    pub(crate) fn url(
        &self,
        host: ApiHost,
        api: Api,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Url, KlarnaError> {
        let bad = |detail: &str| KlarnaError::Transport {
            kind: TransportKind::Connect,
            detail: detail.to_string(),
        };
        let mut url = match &self.config.base_url {
            Some(base) => base
                .for_host(host)
                .map_err(|_| bad("the base URL is not a URL for this host"))?,
            None => Url::parse(&format!("https://{host}/")).map_err(|_| bad("invalid host URL"))?,
        };
        url.path_segments_mut()
            .map_err(|()| bad("base URL cannot take a path"))?
            .pop_if_empty()
            .extend(api.root())
            .extend(segments);
        url.set_query(None);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Sends one logical request, retrying transient failures within `limits`. Returns the
    /// final 2xx answer.
    async fn send(&self, request: Request<'_>, limits: &Limits) -> Result<Answer, CallError> {
        let credentials = self
            .config
            .credentials
            .for_host(request.host)
            .map_err(KlarnaError::MissingCredentials)?;
        let authorization = credentials.authorization().ok_or_else(|| {
            KlarnaError::MissingCredentials(super::config::MissingCredential(format!(
                "the credentials in {} cannot be sent in an HTTP header (they contain characters a header cannot carry)",
                credentials.source
            )))
        })?;
        let source = Some(credentials.source.clone());
        let url = self.url(request.host, request.api, request.segments, request.query)?;
        let method = &request.method;
        let policy = self.config.retry;
        let is_write = request.idempotency_key.is_some();
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
                return Err(CallError {
                    error: KlarnaError::NotSent(reason.to_string()),
                    attempts: attempt,
                    may_have_applied: is_write && unclear_before,
                    credentials: source.clone(),
                });
            }
            attempt += 1;
            let mut builder = self
                .http
                .request(method.clone(), url.clone())
                .header(reqwest::header::AUTHORIZATION, authorization.clone())
                .header(reqwest::header::ACCEPT, request.accept);
            if let Some(key) = request.idempotency_key {
                builder = builder.header("Klarna-Idempotency-Key", key);
            }
            if let Body::Json(bytes) = &request.body {
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(bytes.clone());
            }
            let sent_at = Instant::now();
            let span =
                crate::telemetry::traces::klarna_request_span(method.as_str(), &url, attempt);
            let outcome = tokio::time::timeout(
                policy.attempt_timeout.min(remaining),
                exchange(builder).instrument(span.clone()),
            )
            .await;
            crate::telemetry::traces::end_klarna_request(
                &span,
                match &outcome {
                    Ok(Ok(raw)) => Some(raw.status.as_u16()),
                    _ => None,
                },
                match &outcome {
                    Ok(Ok(_)) => None,
                    Ok(Err(error)) => Some(error.kind()),
                    Err(_elapsed) => Some("timeout"),
                },
            );
            crate::telemetry::metrics::klarna_request(
                request.host.as_str(),
                method.as_str(),
                &match &outcome {
                    Ok(Ok(raw)) => raw.status.as_u16().to_string(),
                    Ok(Err(error)) => error.kind().to_string(),
                    Err(_elapsed) => "timeout".to_string(),
                },
                sent_at.elapsed(),
            );
            let (error, retry_after) = match outcome {
                Err(_elapsed) => (
                    KlarnaError::Transport {
                        kind: TransportKind::Timeout,
                        detail: String::new(),
                    },
                    None,
                ),
                Ok(Err(KlarnaError::Transport { kind, detail })) => (
                    KlarnaError::Transport {
                        kind,
                        detail: self.sanitizer.text(&detail, 300),
                    },
                    None,
                ),
                Ok(Err(error)) => (error, None),
                Ok(Ok(raw)) if raw.status.is_success() => {
                    tracing::debug!(%method, path = url.path(), status = raw.status.as_u16(), attempt, "klarna call");
                    return Ok(Answer {
                        status: raw.status,
                        headers: raw.headers,
                        body: raw.body,
                        attempts: attempt,
                        sanitizer: self.sanitizer.clone(),
                    });
                }
                Ok(Ok(raw)) => {
                    let retry_after = raw
                        .headers
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    (status_error(&raw, &self.sanitizer), retry_after)
                }
            };
            let assessment = policy::assess(&error, is_write);
            let delay = policy.delay(attempt, retry_after);
            let out_of_time = Instant::now() + delay >= limits.deadline;
            if !assessment.retryable || attempt > policy.max_retries || out_of_time {
                let may_have_applied = assessment.unclear || unclear_before;
                // Facts only: Klarna's free text stays out of the log (it may quote what it
                // was sent, and it goes to the model in the tool result instead).
                tracing::warn!(
                    %method,
                    path = url.path(),
                    attempt,
                    status = error.status(),
                    error_code = error.error_code(),
                    correlation_id = error.correlation_id(),
                    kind = error.kind(),
                    may_have_applied,
                    "klarna call failed"
                );
                return Err(CallError {
                    error,
                    attempts: attempt,
                    may_have_applied,
                    credentials: source.clone(),
                });
            }
            unclear_before |= assessment.unclear;
            tracing::info!(%method, path = url.path(), attempt, status = error.status(), kind = error.kind(), delay_ms = delay.as_millis() as u64, "retrying klarna call");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = limits.cancelled.cancelled() => {}
            }
        }
    }
}

/// One attempt's HTTP answer, any status.
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// One HTTP exchange: send, then read the body up to the size limit.
async fn exchange(request: reqwest::RequestBuilder) -> Result<Raw, KlarnaError> {
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

/// A header's value as text, sanitized; `None` when absent or not visible ASCII.
fn header_text(headers: &HeaderMap, name: &str, s: &Sanitizer, max: usize) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| s.text(v, max))
}

fn correlation_header(headers: &HeaderMap, s: &Sanitizer) -> Option<String> {
    header_text(headers, "Klarna-Correlation-Id", s, MAX_ID_CHARS)
}

fn status_error(raw: &Raw, s: &Sanitizer) -> KlarnaError {
    let body = ApiErrorBody::parse(&raw.body).map(|b| b.sanitized(s));
    let snippet = if body.is_none() {
        // The whole body is scrubbed before it is cut (a cut first could leave part of a
        // secret that no longer matches). JSON that is not Klarna's error shape has its
        // strings decoded first, so escaped spellings (`\/`, `\u…`) are found too.
        let text = String::from_utf8_lossy(&raw.body);
        let text = text.trim();
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(mut value) => {
                s.json(&mut value, MAX_FIELD_CHARS);
                s.text(&value.to_string(), 200)
            }
            Err(_) => s.text(text, 200),
        }
    } else {
        String::new()
    };
    KlarnaError::Status {
        status: raw.status.as_u16(),
        body,
        snippet,
        header_correlation_id: correlation_header(&raw.headers, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::klarna::{HostCredentials, MissingCredential, RetryPolicy};

    fn transport(base: Option<&str>) -> Transport {
        Transport::new(ClientConfig {
            credentials: HostCredentials::same_for_all(Err(MissingCredential("X".into()))),
            base_url: base.map(crate::klarna::BaseUrl::new),
            retry: RetryPolicy::default(),
        })
        .unwrap()
    }

    #[test]
    fn urls_route_to_the_named_host_with_encoded_segments() {
        let t = transport(None);
        for host in crate::host::ALL_HOSTS {
            let url = t
                .url(
                    host,
                    Api::OrderManagement,
                    &["4f1c0b7e-0000-4000-8000-000000000001", "captures"],
                    &[],
                )
                .unwrap();
            assert_eq!(
                url.as_str(),
                format!(
                    "https://{host}/ordermanagement/v1/orders/4f1c0b7e-0000-4000-8000-000000000001/captures"
                )
            );
        }
        let url = t
            .url(ApiHost::Eu, Api::OrderManagement, &["../x", "a/b?c#d"], &[])
            .unwrap();
        assert_eq!(url.host_str(), Some("api.klarna.com"));
        assert_eq!(
            url.path(),
            "/ordermanagement/v1/orders/..%2Fx/a%2Fb%3Fc%23d"
        );
    }

    #[test]
    fn base_url_override_keeps_its_path_prefix() {
        let t = transport(Some("http://127.0.0.1:9/gateway/"));
        let url = t
            .url(ApiHost::Na, Api::OrderManagement, &["id"], &[])
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/gateway/ordermanagement/v1/orders/id"
        );
    }

    #[test]
    fn settlements_live_under_their_own_root_on_every_host() {
        let t = transport(Some("http://127.0.0.1:9/{apiHost}"));
        let url = t
            .url(
                ApiHost::Na,
                Api::Settlements,
                &["payouts", "REF/../1"],
                &[("start_date", "2026-01-01T00:00:00+01:00")],
            )
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/api-na.klarna.com/settlements/v1/payouts/REF%2F..%2F1?start_date=2026-01-01T00%3A00%3A00%2B01%3A00"
        );
    }

    #[test]
    fn a_query_is_encoded_and_cannot_add_parameters() {
        let t = transport(None);
        let url = t
            .url(
                ApiHost::Eu,
                Api::OrderManagement,
                &["id"],
                &[("size", "20"), ("order_id", "a&b=c #d")],
            )
            .unwrap();
        assert_eq!(url.query(), Some("size=20&order_id=a%26b%3Dc+%23d"));
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs.len(), 2);
    }
}
