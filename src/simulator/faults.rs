//! Fault injection: which operation a rule targets, what goes wrong, and the
//! FIFO queue that hands faults out to matching requests.

use std::collections::VecDeque;
use std::time::Duration;

/// The simulated operations a [`FaultRule`] can target.
///
/// Faults only apply to these routed operations: unknown paths (404), wrong
/// methods (405) and failed authentication (401) never consume a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET /orders/{id}`.
    GetOrder,
    /// `POST /orders/{id}/captures`.
    Capture,
    /// `GET /orders/{id}/captures` and `GET /orders/{id}/captures/{capture_id}`.
    GetCapture,
    /// `POST /orders/{id}/refunds`.
    Refund,
    /// `POST /orders/{id}/cancel`.
    Cancel,
    /// `POST /orders/{id}/release-remaining-authorization`.
    Release,
    /// `GET /orders/{id}/refunds/{refund_id}` (Klarna's operation `get`).
    GetRefund,
    /// `POST /orders/{id}/extend-authorization-time`.
    ExtendAuthorizationTime,
    /// `PATCH /orders/{id}/authorization` (new order amount and lines).
    UpdateAuthorization,
    /// `PATCH /orders/{id}/merchant-references`.
    UpdateMerchantReferences,
    /// `PATCH /orders/{id}/customer-details`.
    UpdateConsumerDetails,
    /// `POST /orders/{id}/captures/{capture_id}/shipping-info`.
    AppendShippingInfo,
    /// `POST /orders/{id}/shipping-info`.
    AppendOrderShippingInfo,
    /// `POST /orders/{id}/captures/{capture_id}/trigger-send-out`.
    TriggerSendOut,
    /// `GET /orders/{id}/captures/{capture_id}/extend-due-date-options`.
    GetOptionsForExtendDueDate,
    /// `PATCH /orders/{id}/captures/{capture_id}/extend-due-date`.
    ExtendDueDate,
    /// `POST /orders/{id}/acknowledge`.
    AcknowledgeOrder,
    /// Matches every operation above.
    Any,
}

/// What happens to a request that a [`FaultRule`] matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with Klarna's error body; nothing is applied or
    /// stored for idempotent replay. 5xx use `TEMPORARILY_UNAVAILABLE`
    /// (502/503/504) or `INTERNAL_SERVER_ERROR` (other 5xx).
    Status(u16),
    /// 429 `TOO_MANY_REQUESTS` (with `Retry-After` when `Some`); nothing applied.
    TooManyRequests {
        /// Value of the `Retry-After` header in seconds, if any.
        retry_after_secs: Option<u64>,
    },
    /// Apply the operation (and store its real outcome for idempotent replay),
    /// then answer this status with Klarna's error body instead.
    CommitThenStatus(u16),
    /// Apply the operation (and store it), then close the TCP connection
    /// without sending a single response byte.
    CommitThenDrop,
    /// Apply the operation (and store it), then wait this long before answering
    /// normally.
    Delay(Duration),
    /// Answer with this response instead of Klarna's; nothing is applied or
    /// stored for idempotent replay. With [`Operation::GetOrder`] and
    /// [`CannedResponse::json`] it serves any order JSON a test builds (nulls,
    /// floats, missing fields), e.g. from [`super::Simulator::order_json`].
    Respond(CannedResponse),
    /// Apply the operation (and store its real outcome for idempotent replay),
    /// then answer with this response instead.
    CommitThenRespond(CannedResponse),
}

/// A response a test makes up, sent byte for byte by [`Fault::Respond`] and
/// [`Fault::CommitThenRespond`]. Nothing is added: no `Klarna-Correlation-Id`,
/// no `Content-Type` unless given. A status that HTTP cannot carry becomes
/// 500; a header name or value that HTTP cannot carry is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers, in order (a name may repeat).
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// When set, every [`CannedResponse::AUTHORIZATION`] in the body and in
    /// header values is replaced by the request's `Authorization` header value
    /// (empty when it had none): an upstream that leaks the caller's secret,
    /// so tests can prove a client keeps it out of what it shows.
    pub echo_authorization: bool,
}

impl CannedResponse {
    /// The placeholder replaced when [`CannedResponse::echo_authorization`] is set.
    pub const AUTHORIZATION: &'static str = "{authorization}";

    /// This status with no headers and an empty body.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            echo_authorization: false,
        }
    }

    /// This status with `Content-Type: application/json` and `value` as body.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::new(status)
            .header("Content-Type", "application/json")
            .body(value.to_string())
    }

    /// This status with `Content-Type: text/plain; charset=utf-8` and `text`.
    pub fn text(status: u16, text: &str) -> Self {
        Self::new(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(text)
    }

    /// Klarna's error shape `{error_code, error_messages, correlation_id}` with
    /// a matching `Klarna-Correlation-Id` header.
    pub fn klarna_error(status: u16, code: &str, messages: &[&str], correlation_id: &str) -> Self {
        let body = serde_json::json!({
            "error_code": code,
            "error_messages": messages,
            "correlation_id": correlation_id,
        });
        Self::json(status, &body).header("Klarna-Correlation-Id", correlation_id)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Turns on [`CannedResponse::echo_authorization`].
    pub fn echoing_authorization(mut self) -> Self {
        self.echo_authorization = true;
        self
    }

    /// The response as sent to a request whose `Authorization` header was
    /// `authorization`.
    pub(crate) fn render(&self, authorization: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        if !self.echo_authorization {
            return (self.status, self.headers.clone(), self.body.clone());
        }
        let headers = self
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), v.replace(Self::AUTHORIZATION, authorization)))
            .collect();
        let body = replace_bytes(
            &self.body,
            Self::AUTHORIZATION.as_bytes(),
            authorization.as_bytes(),
        );
        (self.status, headers, body)
    }
}

/// `haystack` with every `needle` replaced by `with` (bodies need not be UTF-8).
fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(needle) {
            out.extend_from_slice(with);
            rest = rest.get(needle.len()..).unwrap_or_default();
        } else {
            out.extend_from_slice(rest.get(..1).unwrap_or_default());
            rest = rest.get(1..).unwrap_or_default();
        }
    }
    out
}

/// The next `times` requests matching `operation` get `fault`.
///
/// Rules are consulted in the order they were injected; the first rule that
/// matches a request (and still has uses left) is consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Which requests the rule applies to.
    pub operation: Operation,
    /// What goes wrong.
    pub fault: Fault,
    /// How many matching requests get the fault (0 = never).
    pub times: u32,
}

impl FaultRule {
    /// A rule that fires for exactly one matching request.
    pub fn once(operation: Operation, fault: Fault) -> Self {
        Self {
            operation,
            fault,
            times: 1,
        }
    }
}

/// The pending fault rules, oldest first.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    rules: VecDeque<FaultRule>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, rule: FaultRule) {
        if rule.times > 0 {
            self.rules.push_back(rule);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// Consumes one use of the first rule matching `op`, if any.
    pub(crate) fn take(&mut self, op: Operation) -> Option<Fault> {
        let pos = self
            .rules
            .iter()
            .position(|r| r.operation == Operation::Any || r.operation == op)?;
        let rule = self.rules.get_mut(pos)?;
        rule.times = rule.times.saturating_sub(1);
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.rules.remove(pos);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_across_rules_and_operations() {
        let mut q = FaultQueue::default();
        q.push(FaultRule {
            operation: Operation::Capture,
            fault: Fault::Status(503),
            times: 2,
        });
        q.push(FaultRule::once(Operation::Any, Fault::Status(500)));
        assert_eq!(q.take(Operation::GetOrder), Some(Fault::Status(500)));
        assert_eq!(q.take(Operation::GetOrder), None);
        assert_eq!(q.take(Operation::Capture), Some(Fault::Status(503)));
        assert_eq!(q.take(Operation::Capture), Some(Fault::Status(503)));
        assert_eq!(q.take(Operation::Capture), None);
    }

    #[test]
    fn canned_responses_echo_the_authorization_only_when_asked() {
        let canned = CannedResponse::text(502, "upstream saw {authorization}!")
            .header("X-Echo", "{authorization}");
        let (status, headers, body) = canned.render("Basic abc");
        assert_eq!(status, 502);
        assert_eq!(body, b"upstream saw {authorization}!");
        assert_eq!(
            headers.last().map(|h| h.1.as_str()),
            Some("{authorization}")
        );
        let (_, headers, body) = canned.echoing_authorization().render("Basic abc");
        assert_eq!(body, b"upstream saw Basic abc!");
        assert_eq!(headers.last().map(|h| h.1.as_str()), Some("Basic abc"));
        assert_eq!(replace_bytes(b"\xff{a}{a}", b"{a}", b""), b"\xff");
    }
}
