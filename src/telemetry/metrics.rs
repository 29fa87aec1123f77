//! Prometheus metrics: what the server did, counted — tool calls by tool and outcome and how
//! long they took, Klarna requests by host and status, journal appends (latency, failures),
//! authentication failures, requests turned away by limits, confirmations asked and answered.
//!
//! Off unless `KLARNA_METRICS_LISTEN` names an address: then [`install`] makes the one
//! registry and [`serve`] answers `GET /metrics` on a listener of its own, never on the MCP
//! listener (loopback by default: counts of a payment server's calls are nobody else's
//! business). Until then every recording function here does nothing.
//!
//! Built on the `prometheus` crate without its protobuf format: a registry of our own and the
//! text encoder, a handful of small dependencies. Labels take only values from closed sets
//! (outcomes, hosts, statuses, reasons); the one name a client chooses — a tool name — is
//! kept to [`MAX_TOOL_LABELS`] distinct values, the rest counted as `other`.

use std::{
    collections::BTreeSet,
    net::SocketAddr,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

/// Distinct tool names counted before the rest become `other`.
pub const MAX_TOOL_LABELS: usize = 64;

/// Seconds buckets for a tool call: from a cached refusal to a write with retries.
const CALL_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];
/// Seconds buckets for a journal append: a local file to a remote database under load.
const APPEND_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Why authentication refused a request.
const AUTH_FAILURE_REASONS: [&str; 4] = [
    "missing",
    "invalid_token",
    "insufficient_scope",
    "forwarded_without_auth",
];
/// How a confirmation question ended.
const CONFIRMATION_ANSWERS: [&str; 5] = ["accepted", "declined", "timeout", "failed", "untrusted"];

/// Every metric of the server, in one registry.
pub struct Metrics {
    registry: Registry,
    tool_calls: IntCounterVec,
    tool_call_duration: HistogramVec,
    klarna_requests: IntCounterVec,
    klarna_request_duration: HistogramVec,
    journal_appends: IntCounterVec,
    journal_append_duration: HistogramVec,
    journal_append_failures: IntCounterVec,
    auth_failures: IntCounterVec,
    http_rejections: IntCounterVec,
    confirmations_asked: IntCounter,
    confirmations_answered: IntCounterVec,
    tool_labels: Mutex<BTreeSet<String>>,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

impl Metrics {
    /// A fresh registry with every metric registered (each at zero until it happens).
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("klarna_mcp".into()), None)?;
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(c.clone()))?;
            Ok::<_, prometheus::Error>(c)
        };
        let histogram = |name: &str, help: &str, labels: &[&str], buckets: &[f64]| {
            let h = HistogramVec::new(
                HistogramOpts::new(name, help).buckets(buckets.to_vec()),
                labels,
            )?;
            registry.register(Box::new(h.clone()))?;
            Ok::<_, prometheus::Error>(h)
        };
        let metrics = Self {
            tool_calls: counter(
                "tool_calls_total",
                "MCP tool calls answered, by tool and outcome (the audit line's outcome).",
                &["tool", "outcome"],
            )?,
            tool_call_duration: histogram(
                "tool_call_duration_seconds",
                "Wall time of MCP tool calls, by tool (MCP's mcp.server.operation.duration for tools/call).",
                &["tool"],
                CALL_BUCKETS,
            )?,
            klarna_requests: counter(
                "klarna_requests_total",
                "HTTP requests to Klarna (each attempt), by host, method and status (or transport error kind).",
                &["host", "method", "status"],
            )?,
            klarna_request_duration: histogram(
                "klarna_request_duration_seconds",
                "Time of one HTTP request to Klarna, by host.",
                &["host"],
                CALL_BUCKETS,
            )?,
            journal_appends: counter(
                "journal_appends_total",
                "Operation journal appends, by stage (begin: before a write is sent; finish: its verdict).",
                &["stage"],
            )?,
            journal_append_duration: histogram(
                "journal_append_duration_seconds",
                "Time of one operation journal append (guards checked and records written in one transaction).",
                &["stage"],
                APPEND_BUCKETS,
            )?,
            journal_append_failures: counter(
                "journal_append_failures_total",
                "Operation journal appends that failed (a write is then refused, or its verdict retried).",
                &["stage"],
            )?,
            auth_failures: counter(
                "auth_failures_total",
                "Team server requests refused by authentication, by reason (missing, invalid_token, insufficient_scope).",
                &["reason"],
            )?,
            http_rejections: counter(
                "http_rejections_total",
                "Team server requests turned away by a limit before they were served, by reason (e.g. rate_limit).",
                &["reason"],
            )?,
            confirmations_asked: {
                let c = IntCounter::new(
                    "confirmations_asked_total",
                    "Questions sent to a human before a write (MCP elicitation).",
                )?;
                registry.register(Box::new(c.clone()))?;
                c
            },
            confirmations_answered: counter(
                "confirmations_answered_total",
                "Confirmation questions settled, by answer (accepted, declined, timeout, failed, untrusted).",
                &["answer"],
            )?,
            tool_labels: Mutex::new(BTreeSet::new()),
            registry,
        };
        // Series whose labels are known in advance start at zero, so a rate or an alert on
        // them works before the first one happens.
        for stage in ["begin", "finish"] {
            metrics.journal_appends.with_label_values(&[stage]);
            metrics.journal_append_failures.with_label_values(&[stage]);
        }
        for reason in AUTH_FAILURE_REASONS {
            metrics.auth_failures.with_label_values(&[reason]);
        }
        metrics.http_rejections.with_label_values(&["rate_limit"]);
        for answer in CONFIRMATION_ANSWERS {
            metrics.confirmations_answered.with_label_values(&[answer]);
        }
        Ok(metrics)
    }

    /// The metrics in Prometheus' text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into memory fails only on a metric the registry would not have taken.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// `tool` as a label: itself while fewer than [`MAX_TOOL_LABELS`] names have been seen,
    /// then `other` for any new one.
    fn tool_label(&self, tool: &str) -> String {
        let plain = !tool.is_empty()
            && tool.len() <= 64
            && tool
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !plain {
            return "other".into();
        }
        let Ok(mut seen) = self.tool_labels.lock() else {
            return "other".into();
        };
        if seen.contains(tool) || seen.len() < MAX_TOOL_LABELS {
            seen.insert(tool.to_string());
            tool.to_string()
        } else {
            "other".into()
        }
    }
}

/// Turns metrics on for this process (once; later calls return the same registry).
pub fn install() -> Result<&'static Metrics, prometheus::Error> {
    if let Some(m) = METRICS.get() {
        return Ok(m);
    }
    let metrics = Metrics::new()?;
    Ok(METRICS.get_or_init(|| metrics))
}

/// The registry, when metrics are on.
pub fn installed() -> Option<&'static Metrics> {
    METRICS.get()
}

/// One tool call answered.
pub fn tool_call(tool: &str, outcome: &'static str, duration: Duration) {
    if let Some(m) = installed() {
        let tool = m.tool_label(tool);
        m.tool_calls.with_label_values(&[&tool, outcome]).inc();
        m.tool_call_duration
            .with_label_values(&[&tool])
            .observe(duration.as_secs_f64());
    }
}

/// One HTTP request to Klarna answered with `status` (a number, or the transport error's
/// kind: `timeout`, `connect`, …).
pub fn klarna_request(host: &'static str, method: &str, status: &str, duration: Duration) {
    if let Some(m) = installed() {
        let method = match method {
            "GET" | "POST" | "PATCH" | "PUT" | "DELETE" => method,
            _ => "other",
        };
        m.klarna_requests
            .with_label_values(&[host, method, status])
            .inc();
        m.klarna_request_duration
            .with_label_values(&[host])
            .observe(duration.as_secs_f64());
    }
}

/// One journal append at `stage` (`begin` or `finish`), and whether it worked.
pub fn journal_append(stage: &'static str, duration: Duration, ok: bool) {
    if let Some(m) = installed() {
        m.journal_appends.with_label_values(&[stage]).inc();
        m.journal_append_duration
            .with_label_values(&[stage])
            .observe(duration.as_secs_f64());
        if !ok {
            m.journal_append_failures.with_label_values(&[stage]).inc();
        }
    }
}

/// A team server request refused by authentication.
pub fn auth_failure(reason: &'static str) {
    if let Some(m) = installed() {
        m.auth_failures.with_label_values(&[reason]).inc();
    }
}

/// A team server request turned away by a limit (`rate_limit`, and whatever other limits
/// count here: connections, sessions, body size) before it was served.
pub fn http_rejection(reason: &'static str) {
    if let Some(m) = installed() {
        m.http_rejections.with_label_values(&[reason]).inc();
    }
}

/// A confirmation question sent to a human.
pub fn confirmation_asked() {
    if let Some(m) = installed() {
        m.confirmations_asked.inc();
    }
}

/// A confirmation question settled: `accepted`, `declined`, `timeout`, `failed`, or
/// `untrusted` (an answer without a valid state).
pub fn confirmation_answered(answer: &'static str) {
    if let Some(m) = installed() {
        m.confirmations_answered.with_label_values(&[answer]).inc();
    }
}

/// Serves `GET /metrics` on `listener` until the process ends; every other path is 404.
pub async fn serve(listener: tokio::net::TcpListener, metrics: &'static Metrics) {
    use axum::{Router, http::header, routing::get};
    let app = Router::new().route(
        "/metrics",
        get(move || async move {
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                metrics.render(),
            )
        }),
    );
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!("the metrics listener stopped: {e}");
    }
}

/// Binds `addr` and serves the metrics there in the background; says where in the log.
pub async fn start(addr: SocketAddr) -> Result<SocketAddr, String> {
    let metrics = install().map_err(|e| format!("cannot set up metrics: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen for metrics on {addr} (KLARNA_METRICS_LISTEN): {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(serve(listener, metrics));
    if bound.ip().is_loopback() {
        tracing::info!(address = %bound, "metrics: Prometheus text at http://{bound}/metrics");
    } else {
        tracing::warn!(
            address = %bound,
            "metrics: Prometheus text at http://{bound}/metrics, reachable from other machines: anyone who can \
             reach it sees how many calls of each tool ran and how they ended"
        );
    }
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_renders_with_its_labels_and_counts() {
        let m = Metrics::new().unwrap();
        let tool = m.tool_label("capture_order");
        m.tool_calls.with_label_values(&[&tool, "ok"]).inc();
        m.tool_calls.with_label_values(&[&tool, "ok"]).inc();
        m.tool_call_duration
            .with_label_values(&[&tool])
            .observe(0.2);
        m.confirmations_asked.inc();
        let text = m.render();
        assert!(
            text.contains("klarna_mcp_tool_calls_total{outcome=\"ok\",tool=\"capture_order\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "klarna_mcp_tool_call_duration_seconds_bucket{tool=\"capture_order\",le=\"0.25\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains("klarna_mcp_confirmations_asked_total 1"),
            "{text}"
        );
        assert!(text.contains("klarna_mcp_journal_append_failures_total{stage=\"begin\"} 0"));
        assert!(text.contains("klarna_mcp_auth_failures_total{reason=\"invalid_token\"} 0"));
        assert!(text.contains("klarna_mcp_http_rejections_total{reason=\"rate_limit\"} 0"));
    }

    #[test]
    fn tool_labels_are_bounded_and_plain() {
        let m = Metrics::new().unwrap();
        for i in 0..MAX_TOOL_LABELS {
            assert_eq!(m.tool_label(&format!("tool_{i}")), format!("tool_{i}"));
        }
        assert_eq!(m.tool_label("one_too_many"), "other");
        assert_eq!(m.tool_label("tool_3"), "tool_3");
        let m = Metrics::new().unwrap();
        assert_eq!(m.tool_label("a\"b\nc"), "other");
        assert_eq!(m.tool_label(""), "other");
    }
}
