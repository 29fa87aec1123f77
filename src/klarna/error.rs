//! Every way a Klarna call can fail, holding the facts needed to explain it.
//!
//! Klarna's error body is `{error_code, error_messages, correlation_id}`, but some
//! responses (a 401, a gateway 502) arrive with an empty or non-JSON body, so the body is
//! parsed leniently and never assumed. `error_code` is kept as a string: Klarna adds codes
//! over time.
//!
//! Messages never contain credentials: the password lives only in the `Authorization`
//! header, and transport errors are stripped of their URL before they are kept.

use serde::Deserialize;

use super::{
    config::MissingCredential,
    lenient,
    sanitize::{MAX_ID_CHARS, MAX_MESSAGE_CHARS, Sanitizer},
};

/// Most error messages kept from one answer.
const MAX_MESSAGES: usize = 10;

/// Klarna's JSON error body, every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ApiErrorBody {
    /// E.g. `CAPTURE_NOT_ALLOWED`. An open set.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub error_code: Option<String>,
    /// Human-readable reasons (`null` reads as none).
    #[serde(default, deserialize_with = "lenient::strings")]
    pub error_messages: Vec<String>,
    /// Some Klarna APIs send one message under this name instead.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub error_message: Option<String>,
    /// Quote this to Klarna support.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub correlation_id: Option<String>,
}

impl ApiErrorBody {
    /// Parses an error body; `None` when it is not Klarna's JSON shape.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let parsed: Self = serde_json::from_slice(body).ok()?;
        let has_anything = parsed.error_code.is_some()
            || !parsed.error_messages.is_empty()
            || parsed.error_message.is_some()
            || parsed.correlation_id.is_some();
        has_anything.then_some(parsed)
    }

    /// The body with every string scrubbed of our secrets, escaped and bounded.
    pub(crate) fn sanitized(self, s: &Sanitizer) -> Self {
        let dropped = self.error_messages.len().saturating_sub(MAX_MESSAGES);
        let mut error_messages: Vec<String> = self
            .error_messages
            .iter()
            .take(MAX_MESSAGES)
            .map(|m| s.text(m, MAX_MESSAGE_CHARS))
            .collect();
        if dropped > 0 {
            error_messages.push(format!("[cut: {dropped} more messages]"));
        }
        Self {
            error_code: self.error_code.map(|c| s.text(&c, MAX_ID_CHARS)),
            error_messages,
            error_message: self.error_message.map(|m| s.text(&m, MAX_MESSAGE_CHARS)),
            correlation_id: self.correlation_id.map(|c| s.text(&c, MAX_ID_CHARS)),
        }
    }

    /// All messages joined, or `None`.
    pub fn reason(&self) -> Option<String> {
        let mut all: Vec<&str> = self.error_messages.iter().map(String::as_str).collect();
        if let Some(m) = &self.error_message {
            all.push(m);
        }
        let all: Vec<&str> = all
            .into_iter()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .collect();
        (!all.is_empty()).then(|| all.join(" "))
    }
}

/// How a request failed before an HTTP status came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// No connection was made: the request was not sent.
    Connect,
    /// No complete answer within the attempt timeout: the request may have been processed.
    Timeout,
    /// The connection broke after the request was (possibly) sent.
    Interrupted,
}

/// A failed Klarna call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KlarnaError {
    /// Credentials are not configured; nothing was sent.
    #[error("{0}")]
    MissingCredentials(MissingCredential),
    /// Klarna answered with an error status.
    #[error("{}", describe_status(*status, body.as_ref(), snippet))]
    Status {
        /// HTTP status.
        status: u16,
        /// Klarna's error body, when it was JSON.
        body: Option<ApiErrorBody>,
        /// The start of a non-JSON body (lossy UTF-8, cut short).
        snippet: String,
        /// `Klarna-Correlation-Id` header, when present.
        header_correlation_id: Option<String>,
    },
    /// No HTTP answer.
    #[error("{}", describe_transport(*kind, detail))]
    Transport {
        /// What went wrong.
        kind: TransportKind,
        /// reqwest's description, without the URL.
        detail: String,
    },
    /// A success answer we could not read.
    #[error("Klarna's answer (HTTP {status}) could not be read: {detail}")]
    Decode {
        /// HTTP status.
        status: u16,
        /// What did not match.
        detail: String,
    },
    /// A success status that does not prove the write was applied: not the status Klarna
    /// answers for it, or without the id of what it created.
    #[error("Klarna's answer (HTTP {status}) does not prove it was applied: {detail}")]
    Unproven {
        /// HTTP status.
        status: u16,
        /// What is missing or wrong.
        detail: String,
    },
    /// Not sent at all (the call was cancelled, or its time budget ran out before sending).
    #[error("not sent: {0}")]
    NotSent(String),
    /// The answer was larger than the server accepts.
    #[error("Klarna's answer was larger than {limit} bytes and was not read")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl KlarnaError {
    /// The HTTP status, when Klarna answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. }
            | Self::Decode { status, .. }
            | Self::Unproven { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Klarna's `error_code`, when given.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Self::Status { body: Some(b), .. } => b.error_code.as_deref(),
            _ => None,
        }
    }

    /// Klarna's correlation id, from the body or the header.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Status {
                body,
                header_correlation_id,
                ..
            } => body
                .as_ref()
                .and_then(|b| b.correlation_id.as_deref())
                .or(header_correlation_id.as_deref()),
            _ => None,
        }
    }

    /// A short name of the variant, for log lines (which carry facts, never Klarna's text).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::MissingCredentials(_) => "missing_credentials",
            Self::Status { .. } => "status",
            Self::Transport {
                kind: TransportKind::Connect,
                ..
            } => "connect",
            Self::Transport {
                kind: TransportKind::Timeout,
                ..
            } => "timeout",
            Self::Transport {
                kind: TransportKind::Interrupted,
                ..
            } => "interrupted",
            Self::Decode { .. } => "decode",
            Self::Unproven { .. } => "unproven",
            Self::NotSent(_) => "not_sent",
            Self::TooLarge { .. } => "too_large",
        }
    }

    /// Klarna's own words in an error answer (its messages, or the start of a body that is
    /// not its error shape), when it sent any: text from outside, to be shown as such.
    pub fn klarna_words(&self) -> Option<String> {
        match self {
            Self::Status { body, snippet, .. } => body
                .as_ref()
                .and_then(ApiErrorBody::reason)
                .or_else(|| (!snippet.trim().is_empty()).then(|| snippet.trim().to_string())),
            _ => None,
        }
    }

    /// The reason alone, without the "(HTTP …)" facts that `Display` appends to status errors.
    pub fn reason(&self) -> String {
        match self {
            Self::Status {
                status,
                body,
                snippet,
                ..
            } => status_reason(*status, body.as_ref(), snippet),
            other => other.to_string(),
        }
    }
}

/// Klarna's own words for a status error: its messages, else the start of a non-JSON body,
/// else a plain description of the status.
fn status_reason(status: u16, body: Option<&ApiErrorBody>, snippet: &str) -> String {
    body.and_then(ApiErrorBody::reason)
        .or_else(|| (!snippet.trim().is_empty()).then(|| snippet.trim().to_string()))
        .unwrap_or_else(|| default_reason(status).to_string())
}

fn describe_status(status: u16, body: Option<&ApiErrorBody>, snippet: &str) -> String {
    let reason = status_reason(status, body, snippet);
    let mut facts = format!("HTTP {status}");
    if let Some(code) = body.and_then(|b| b.error_code.as_deref()) {
        facts.push(' ');
        facts.push_str(code);
    }
    format!("{reason} ({facts})")
}

fn default_reason(status: u16) -> &'static str {
    match status {
        401 => "Klarna did not accept the credentials",
        403 => "Klarna refused the operation",
        404 => "Klarna could not find it",
        429 => "Klarna's rate limit was reached",
        500..=599 => "Klarna had a temporary problem",
        _ => "Klarna returned an error",
    }
}

fn describe_transport(kind: TransportKind, detail: &str) -> String {
    match kind {
        TransportKind::Connect => format!("could not connect to Klarna ({detail})"),
        TransportKind::Timeout => "no answer from Klarna within the timeout".to_string(),
        TransportKind::Interrupted => {
            format!("the connection to Klarna broke before the answer arrived ({detail})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_klarna_error_bodies_leniently() {
        let body = br#"{"error_code":"CAPTURE_NOT_ALLOWED","error_messages":["Captured amount is higher than the remaining authorized amount. Capture not possible."],"correlation_id":"c-1"}"#;
        let parsed = ApiErrorBody::parse(body).unwrap();
        assert_eq!(parsed.error_code.as_deref(), Some("CAPTURE_NOT_ALLOWED"));
        assert_eq!(ApiErrorBody::parse(b"").map(|_| ()), None);
        assert_eq!(ApiErrorBody::parse(b"<html>502</html>").map(|_| ()), None);
        assert_eq!(ApiErrorBody::parse(b"{}").map(|_| ()), None);
        let single = ApiErrorBody::parse(br#"{"error_code":"X","error_message":"one"}"#).unwrap();
        let nulls = ApiErrorBody::parse(
            br#"{"error_code":"X","error_messages":null,"correlation_id":null}"#,
        )
        .unwrap();
        assert_eq!(nulls.error_code.as_deref(), Some("X"));
        assert!(nulls.error_messages.is_empty());
        assert_eq!(single.reason().as_deref(), Some("one"));
    }

    #[test]
    fn status_errors_read_reason_then_facts() {
        let err = KlarnaError::Status {
            status: 403,
            body: ApiErrorBody::parse(br#"{"error_code":"CANCEL_NOT_ALLOWED","error_messages":["Order has previous captures. Cancel not possible."],"correlation_id":"abc"}"#),
            snippet: String::new(),
            header_correlation_id: None,
        };
        assert_eq!(
            err.to_string(),
            "Order has previous captures. Cancel not possible. (HTTP 403 CANCEL_NOT_ALLOWED)"
        );
        assert_eq!(err.correlation_id(), Some("abc"));
        let plain = KlarnaError::Status {
            status: 401,
            body: None,
            snippet: String::new(),
            header_correlation_id: None,
        };
        assert_eq!(
            plain.to_string(),
            "Klarna did not accept the credentials (HTTP 401)"
        );
    }
}
