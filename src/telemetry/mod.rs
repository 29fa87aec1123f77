//! Telemetry: where the server's own account of itself goes — logging (lines on stderr, as
//! text or JSON: stdout belongs to MCP over stdio) and, when configured, [`metrics`].

pub mod metrics;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Starts logging to stderr, filtered by `filter` (`RUST_LOG`; default `info`), with two rules
/// no filter overrides: audit lines are always written, and other crates' events are capped
/// at WARN — rmcp logs whole JSON-RPC messages and the HTTP stack whole payloads at debug and
/// trace, and those carry personal data. A filter that cannot be parsed is logged as a
/// warning, and `info` is used instead.
pub fn init_logging(format: LogFormat, filter: Option<&str>) {
    use tracing_subscriber::{filter::filter_fn, layer::SubscriberExt, util::SubscriberInitExt};

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
        target == "audit"
            || target == "klarna_mcp"
            || target.starts_with("klarna_mcp::")
            || *meta.level() <= tracing::Level::WARN
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .finish()
            .with(ours_or_warn)
            .init(),
        LogFormat::Text => builder.finish().with(ours_or_warn).init(),
    }
    if let Some(e) = bad_filter {
        tracing::warn!("RUST_LOG could not be parsed ({e}); logging at info");
    }
}
