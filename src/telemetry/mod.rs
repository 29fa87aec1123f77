//! Telemetry: where the server's own account of itself goes — logging (lines on stderr, as
//! text or JSON: stdout belongs to MCP over stdio), the notices among them told to MCP
//! clients that ask ([`client_log`]), and, each only when configured, [`metrics`]
//! (Prometheus) and [`traces`] (OpenTelemetry over OTLP).

pub mod client_log;
pub mod metrics;
pub mod traces;

use tracing_subscriber::{
    EnvFilter, Layer,
    filter::{FilterExt, filter_fn},
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

use crate::config::LogFormat;

/// Starts logging to stderr, filtered by `filter` (`RUST_LOG`; default `info`), with two rules
/// no filter overrides: audit lines are always written, and other crates' events are capped
/// at WARN — rmcp logs whole JSON-RPC messages and the HTTP stack whole payloads at debug and
/// trace, and those carry personal data. A filter that cannot be parsed is logged as a
/// warning, and `info` is used instead.
///
/// With `traces`, this crate's trace spans ([`traces::SPAN_TARGET`]) go to OpenTelemetry;
/// the log never shows them (its lines stay as they are with or without traces).
pub fn init_logging(
    format: LogFormat,
    filter: Option<&str>,
    traces: Option<&opentelemetry_sdk::trace::SdkTracerProvider>,
) {
    let (filter, bad_filter) = match filter.map(EnvFilter::try_new) {
        None => (EnvFilter::new("info"), None),
        Some(Ok(f)) => (f, None),
        Some(Err(e)) => (EnvFilter::new("info"), Some(e)),
    };
    let filter = match "audit=info".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let ours_or_warn = filter_fn(|meta| {
        let target = meta.target();
        target != traces::SPAN_TARGET
            && (target == "audit"
                || target == "klarna_mcp"
                || target.starts_with("klarna_mcp::")
                || *meta.level() <= tracing::Level::WARN)
    });
    let lines = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false);
    let lines = match format {
        LogFormat::Json => lines
            .json()
            .flatten_event(true)
            .with_filter(filter.and(ours_or_warn))
            .boxed(),
        LogFormat::Text => lines.with_filter(filter.and(ours_or_warn)).boxed(),
    };
    let notices = client_log::layer()
        .with_filter(filter_fn(|meta| meta.target() == client_log::NOTICE_TARGET));
    let registry = tracing_subscriber::registry().with(lines).with(notices);
    // One `try_init` for either shape: a second start in one process keeps the first.
    let _ = match traces {
        Some(provider) => registry.with(traces::layer(provider)).try_init(),
        None => registry.try_init(),
    };
    if let Some(e) = bad_filter {
        tracing::warn!("RUST_LOG could not be parsed ({e}); logging at info");
    }
}
