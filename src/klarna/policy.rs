//! What an answer from Klarna means for the call: try again or not, and — for a write —
//! whether Klarna may have applied it; and when and how long to wait before trying again.
//!
//! GETs are retried on connection errors, timeouts, 429 and 500/502/503/504. Writes are
//! retried on the same conditions, always with the same `Klarna-Idempotency-Key`, so Klarna
//! applies them at most once and answers a repeat with the first result. Delays grow
//! exponentially with full jitter; a `Retry-After` header (seconds) is honoured up to a cap.

use std::time::Duration;

use super::error::{KlarnaError, TransportKind};

/// What one failed attempt means for its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Assessment {
    /// Another attempt may succeed.
    pub(crate) retryable: bool,
    /// A write may have been applied by this attempt: the answer is no verdict.
    pub(crate) unclear: bool,
}

/// Judges one failed attempt.
///
/// For a write, only an answer Klarna documents as a refusal proves that nothing was
/// applied: a 4xx with Klarna's JSON error body (an `error_code`), or a 401, 403, 404 or 422
/// (authentication, business rule, unknown order, invalid body — all refused before anything
/// is applied). Every other failure is no verdict: a timeout or a connection broken after
/// sending, a 5xx, a redirect (never followed), a 408, a 409 (Klarna is still working on the
/// key), a bare 400 or 429 that a proxy may have sent after the write was committed, an
/// answer too large to read. Once an attempt was unclear, no later answer proves the first
/// one was not applied — the caller keeps that in mind across attempts.
pub(crate) fn assess(error: &KlarnaError, is_write: bool) -> Assessment {
    let retryable = match error {
        KlarnaError::Transport { .. } => true,
        KlarnaError::Status { status, .. } => RetryPolicy::retryable_status(*status),
        _ => false,
    };
    let refused_for_sure = match error {
        KlarnaError::Transport { kind, .. } => *kind == TransportKind::Connect,
        KlarnaError::Status { status, body, .. } => {
            let klarna_error_code = body.as_ref().is_some_and(|b| b.error_code.is_some());
            (400..500).contains(status)
                && !matches!(status, 408 | 409)
                && (klarna_error_code || matches!(status, 401 | 403 | 404 | 422))
        }
        KlarnaError::TooLarge { .. } | KlarnaError::Unproven { .. } => false,
        KlarnaError::MissingCredentials(_)
        | KlarnaError::Decode { .. }
        | KlarnaError::NotSent(_) => true,
    };
    Assessment {
        retryable,
        unclear: is_write && !refused_for_sure,
    }
}

/// Retry and timeout settings. `Default` is what production uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (`KLARNA_MAX_RETRIES`, default 2).
    pub max_retries: u32,
    /// Time allowed for one attempt, connect to last body byte (default 30 s, Klarna's own
    /// gateway timeout). Never more than what is left of the budget.
    pub attempt_timeout: Duration,
    /// Time allowed for one whole tool call — every request, retry and wait in it
    /// (`KLARNA_TIMEOUT_SECS`, default 45 s: under the 60 s after which common MCP clients
    /// give up on a call, so the model sees the idempotency key of a slow write).
    pub budget: Duration,
    /// First backoff step (doubles each retry).
    pub base_delay: Duration,
    /// Largest backoff step.
    pub max_delay: Duration,
    /// Largest `Retry-After` honoured; longer values are cut to this.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            attempt_timeout: Duration::from_secs(30),
            budget: Duration::from_secs(45),
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            retry_after_cap: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Whether an HTTP status is worth another attempt.
    pub fn retryable_status(status: u16) -> bool {
        matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// The wait before retry number `retry` (1-based): `Retry-After` if given (capped),
    /// else a random duration in `[0, min(max_delay, base_delay * 2^(retry-1))]`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.retry_after_cap);
        }
        let factor = 2_u32.saturating_pow(retry.saturating_sub(1));
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=millis))
    }
}

/// Parses `Retry-After` in its delay-seconds form; the HTTP-date form is ignored (the
/// normal backoff applies instead).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(s: u16, code: Option<&str>) -> KlarnaError {
        KlarnaError::Status {
            status: s,
            body: code.map(|c| crate::klarna::ApiErrorBody {
                error_code: Some(c.to_string()),
                ..Default::default()
            }),
            snippet: String::new(),
            header_correlation_id: None,
        }
    }

    #[test]
    fn only_documented_refusals_prove_a_write_was_not_applied() {
        let transport = |kind| KlarnaError::Transport {
            kind,
            detail: String::new(),
        };
        for no_verdict in [
            status(500, None),
            status(503, Some("TEMPORARILY_UNAVAILABLE")),
            status(409, Some("CONFLICT")),
            status(408, None),
            status(307, None),
            status(302, None),
            status(400, None),
            status(429, None),
            status(413, None),
            transport(TransportKind::Timeout),
            transport(TransportKind::Interrupted),
            KlarnaError::TooLarge { limit: 1 },
        ] {
            assert!(assess(&no_verdict, true).unclear, "{no_verdict:?}");
            assert!(
                !assess(&no_verdict, false).unclear,
                "reads are never unclear"
            );
        }
        for refusal in [
            status(403, Some("CAPTURE_NOT_ALLOWED")),
            status(400, Some("BAD_REQUEST")),
            status(429, Some("RATE_LIMITED")),
            status(401, None),
            status(403, None),
            status(404, None),
            status(422, None),
            transport(TransportKind::Connect),
        ] {
            assert!(!assess(&refusal, true).unclear, "{refusal:?}");
        }
        assert!(assess(&transport(TransportKind::Connect), true).retryable);
        assert!(assess(&status(408, None), true).retryable);
        assert!(!assess(&status(403, None), true).retryable);
        assert!(!assess(&status(307, None), true).retryable);
    }

    #[test]
    fn backoff_stays_within_its_exponential_ceiling() {
        let policy = RetryPolicy::default();
        for retry in 1..=8 {
            let ceiling = (policy.base_delay * 2_u32.pow(retry - 1)).min(policy.max_delay);
            for _ in 0..50 {
                assert!(policy.delay(retry, None) <= ceiling);
            }
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            policy.retry_after_cap
        );
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(RetryPolicy::retryable_status(s));
        }
        for s in [
            200, 201, 204, 301, 307, 400, 401, 403, 404, 409, 413, 422, 501,
        ] {
            assert!(!RetryPolicy::retryable_status(s));
        }
    }
}
