//! The audit trail: one structured line per tool call on stderr (target `audit`), in JSON
//! when `KLARNA_LOG_FORMAT=json`. It records who-did-what facts — tool, host, order id,
//! amount, idempotency key, whether a human confirmed, who called (on a team server),
//! outcome, HTTP status, Klarna correlation id, duration — and
//! never request or response bodies, personal data or credentials.

/// The facts of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine<'a> {
    /// Tool name.
    pub tool: &'a str,
    /// Host called, if it got that far.
    pub api_host: Option<&'a str>,
    /// Order id, if valid.
    pub order_id: Option<&'a str>,
    /// Amount in minor units.
    pub amount: Option<i64>,
    /// Idempotency key of a write.
    pub idempotency_key: Option<&'a str>,
    /// For a write: whether a human confirmed it.
    pub confirmed: Option<bool>,
    /// Who called, on a team server.
    pub principal: Option<&'a str>,
    /// ok, invalid_input, refused, declined, klarna_error, local_error, outcome_unknown,
    /// forbidden, internal_error, config_error.
    pub outcome: &'static str,
    /// Last HTTP status from Klarna.
    pub http_status: Option<u16>,
    /// Klarna correlation id.
    pub correlation_id: Option<&'a str>,
    /// Wall time of the call.
    pub duration_ms: u64,
}

impl<'a> AuditLine<'a> {
    /// A write tool refused to a principal with the read role: nothing else got that far.
    pub fn forbidden(tool: &'a str, principal: &'a str) -> Self {
        Self {
            tool,
            api_host: None,
            order_id: None,
            amount: None,
            idempotency_key: None,
            confirmed: None,
            principal: Some(principal),
            outcome: "forbidden",
            http_status: None,
            correlation_id: None,
            duration_ms: 0,
        }
    }
}

impl<'a> AuditLine<'a> {
    /// A call answered with the configuration error, in a server whose configuration cannot
    /// be used: nothing else got that far.
    pub fn unconfigured(tool: &'a str) -> Self {
        Self {
            outcome: "config_error",
            principal: None,
            ..Self::forbidden(tool, "")
        }
    }
}

/// Writes the line through `tracing` (stderr).
pub fn record(line: &AuditLine<'_>) {
    crate::telemetry::metrics::tool_call(
        line.tool,
        line.outcome,
        std::time::Duration::from_millis(line.duration_ms),
    );
    tracing::info!(
        target: "audit",
        tool = line.tool,
        api_host = line.api_host,
        order_id = line.order_id,
        amount = line.amount,
        idempotency_key = line.idempotency_key,
        confirmed = line.confirmed,
        principal = line.principal,
        outcome = line.outcome,
        http_status = line.http_status,
        correlation_id = line.correlation_id,
        duration_ms = line.duration_ms,
        "tool call"
    );
}
