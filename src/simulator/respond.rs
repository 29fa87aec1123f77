//! Response values: a storable [`SimResponse`] (status + headers + body, so it can
//! be replayed for an idempotency key) and Klarna's error body builders.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;

use super::faults::CannedResponse;

// Klarna does not document whether OM responses carry `Klarna-Correlation-Id`;
// we choose to send it on every response of the API itself (equal to the body's
// correlation_id on errors) because it is harmless and lets clients log it when
// present. The 401 of the edge in front of the API carries none (see
// `unauthorized`), so clients also meet an answer without one.
/// Response header carrying the correlation id (also in every error body).
pub(crate) const CORRELATION_HEADER: &str = "Klarna-Correlation-Id";

/// A complete HTTP response that can be stored and replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SimResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error_code: &'a str,
    error_messages: &'a [String],
    correlation_id: &'a str,
}

fn correlation_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl SimResponse {
    /// Klarna's error shape: `{error_code, error_messages[], correlation_id}`.
    pub(crate) fn error(status: u16, code: &str, messages: Vec<String>) -> Self {
        let cid = correlation_id();
        let body = serde_json::to_vec(&ErrorBody {
            error_code: code,
            error_messages: &messages,
            correlation_id: &cid,
        })
        .unwrap_or_default();
        Self {
            status,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (CORRELATION_HEADER.into(), cid),
            ],
            body,
        }
    }

    /// An error with a single message.
    pub(crate) fn error1(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self::error(status, code, vec![message.into()])
    }

    /// A body-less response (201 with ids in headers, or 204).
    pub(crate) fn empty(status: u16, extra: Vec<(String, String)>) -> Self {
        let mut headers = vec![(CORRELATION_HEADER.to_owned(), correlation_id())];
        headers.extend(extra);
        Self {
            status,
            headers,
            body: Vec::new(),
        }
    }

    /// A 200 with a JSON body.
    pub(crate) fn json(value: &serde_json::Value) -> Self {
        Self {
            status: 200,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (CORRELATION_HEADER.into(), correlation_id()),
            ],
            body: serde_json::to_vec(value).unwrap_or_default(),
        }
    }

    /// A 200 carrying a file (a report) of this media type, offered for
    /// download as `filename`.
    pub(crate) fn document(content_type: &str, filename: &str, body: Vec<u8>) -> Self {
        Self {
            status: 200,
            headers: vec![
                ("Content-Type".into(), content_type.into()),
                (
                    "Content-Disposition".into(),
                    format!("attachment; filename=\"{filename}\""),
                ),
                (CORRELATION_HEADER.into(), correlation_id()),
            ],
            body,
        }
    }

    /// The response for an injected `Fault::Status(status)` / `CommitThenStatus`.
    pub(crate) fn fault_status(status: u16) -> Self {
        let (code, message) = match status {
            400 => ("BAD_REQUEST", "Bad request"),
            401 => ("UNAUTHORIZED", "Unauthorized"),
            403 => ("FORBIDDEN", "Forbidden"),
            404 => ("NOT_FOUND", "Not found"),
            409 => (
                "CONFLICT",
                "This request conflicts with the current state of the target resource",
            ),
            413 => ("REQUEST_TOO_LARGE", "Request body is too large"),
            422 => ("UNPROCESSABLE_ENTITY", "Unprocessable entity"),
            429 => ("TOO_MANY_REQUESTS", "Too many requests"),
            502..=504 => ("TEMPORARILY_UNAVAILABLE", "Temporarily unavailable"),
            500..=599 => ("INTERNAL_SERVER_ERROR", "Unexpected server error"),
            _ => ("ERROR", "Simulated error"),
        };
        Self::error1(status, code, message)
    }

    /// A test's [`CannedResponse`], with `{authorization}` filled in if asked.
    pub(crate) fn canned(canned: &CannedResponse, authorization: &str) -> Self {
        let (status, headers, body) = canned.render(authorization);
        Self {
            status,
            headers,
            body,
        }
    }

    /// 429 `TOO_MANY_REQUESTS`, optionally with `Retry-After`.
    pub(crate) fn too_many_requests(retry_after_secs: Option<u64>) -> Self {
        let mut r = Self::fault_status(429);
        if let Some(secs) = retry_after_secs {
            r.headers.push(("Retry-After".into(), secs.to_string()));
        }
        r
    }

    /// Converts into an axum response. Invalid statuses become 500 and invalid
    /// header names or values are skipped (neither happens for our own values).
    pub(crate) fn into_response(self) -> Response {
        let mut resp = Response::new(Body::from(self.body));
        *resp.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                resp.headers_mut().append(n, v);
            }
        }
        resp
    }
}

// Klarna documents only that missing or wrong credentials get 401 Unauthorized,
// not the body or headers. Klarna's own PHP SDK reads an error body by looking
// for `error_code`, and merchants who got a 401 from api.klarna.com saw the
// SDK's "unexpected response" exception instead of a Klarna error code, so the
// 401 does not carry Klarna's JSON error shape: it comes from the edge in front
// of the API. We choose a short plain-text body, no correlation id, and
// `WWW-Authenticate: Basic realm="Klarna"` (the realm name is our guess; HTTP
// asks a 401 to name its scheme), because a client must cope with a 401 that
// it cannot parse as a Klarna error.
/// The 401 answer: deliberately **not JSON** and without a correlation id.
pub(crate) fn unauthorized() -> Response {
    SimResponse {
        status: 401,
        headers: vec![
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
            ("WWW-Authenticate".into(), "Basic realm=\"Klarna\"".into()),
        ],
        body: b"401 Unauthorized".to_vec(),
    }
    .into_response()
}
