//! OpenTelemetry traces over OTLP (HTTP/protobuf), on only when the standard `OTEL_*`
//! variables of the real environment ask for it — never from a `.env`, which takes only
//! `KLARNA_*` and `RUST_LOG` (an endpoint there would carry call data off the machine).
//!
//! Spans follow OpenTelemetry's semantic conventions for MCP and HTTP clients:
//!
//! - one server span per `tools/call`, named `tools/call {tool}`, with `mcp.method.name`,
//!   `gen_ai.tool.name`, `gen_ai.operation.name=execute_tool`, `jsonrpc.request.id`,
//!   `mcp.session.id` (team server), `mcp.protocol.version`, `network.transport` (`pipe` on
//!   stdio, `tcp` over HTTP) and `error.type=tool_error` when the result is an `isError`;
//!   its parent is the W3C `traceparent` of the incoming HTTP request, or of the request's
//!   `params._meta`;
//! - one client span per HTTP attempt to Klarna (`GET`, `POST`, …) with
//!   `http.request.method`, `server.address`, `server.port`, `url.full` (without a query),
//!   `http.response.status_code`, `http.request.resend_count` on a retry, and `error.type`.
//!
//! No arguments, results, amounts, principals or personal data go into a span, and no trace
//! context goes to Klarna. The exporter sends through this crate's reqwest client on the tokio
//! runtime (no second HTTP stack); [`shutdown`] flushes what is left before the process ends.

use std::{sync::OnceLock, time::Duration};

use opentelemetry::{
    Context,
    propagation::{Extractor, TextMapPropagator},
    trace::TracerProvider as _,
};
use opentelemetry_sdk::{propagation::TraceContextPropagator, trace::SdkTracerProvider};

/// The `tracing` target of every span meant for OpenTelemetry: the log on stderr leaves
/// them out, and the OpenTelemetry layer takes nothing else.
pub const SPAN_TARGET: &str = "klarna_mcp::trace";

/// How long one export may take (`OTEL_EXPORTER_OTLP_TIMEOUT`'s default).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

/// What the `OTEL_*` variables ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// Nothing: no variable asks, or one turns traces off.
    Off,
    /// Export over OTLP HTTP/protobuf (the exporter reads the endpoint, headers and timeout
    /// from the same variables).
    Otlp,
    /// Asked for in a way this build cannot do (gRPC, JSON, another exporter): said at start.
    Unsupported(String),
}

/// Decides from `OTEL_*` variables (`lookup` is the real environment): `OTEL_SDK_DISABLED`
/// wins; then `OTEL_TRACES_EXPORTER` (`otlp` on, `none` off); else an OTLP endpoint
/// (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`) turns them on.
pub fn wanted(lookup: impl Fn(&str) -> Option<String>) -> Wanted {
    let get = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if get("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Wanted::Off;
    }
    let on = match get("OTEL_TRACES_EXPORTER") {
        Some(exporters) => {
            let names: Vec<String> = exporters
                .split(',')
                .map(|e| e.trim().to_ascii_lowercase())
                .collect();
            if names.iter().any(|e| e == "otlp") {
                true
            } else if names.iter().all(|e| e == "none") {
                false
            } else {
                return Wanted::Unsupported(format!(
                    "OTEL_TRACES_EXPORTER={exporters}: this server exports traces over OTLP only (use `otlp`, or `none`)"
                ));
            }
        }
        None => {
            get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some()
                || get("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
        }
    };
    if !on {
        return Wanted::Off;
    }
    let protocol = get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .or_else(|| get("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .unwrap_or_else(|| "http/protobuf".into());
    if protocol != "http/protobuf" {
        return Wanted::Unsupported(format!(
            "OTLP protocol {protocol}: this server sends traces over http/protobuf only (port 4318 of a collector); \
             set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"
        ));
    }
    Wanted::Otlp
}

/// Sends OTLP requests with reqwest on the tokio runtime that started the exporter: the
/// batch processor runs its exports on a thread of its own, outside the runtime.
#[derive(Debug)]
struct RuntimeClient {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for RuntimeClient {
    async fn send_bytes(
        &self,
        request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<
        opentelemetry_http::Response<opentelemetry_http::Bytes>,
        opentelemetry_http::HttpError,
    > {
        let client = self.client.clone();
        let exchange = async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let mut answer = opentelemetry_http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            let body = response.bytes().await?;
            Ok::<_, opentelemetry_http::HttpError>(answer.body(body)?)
        };
        self.runtime.spawn(exchange).await?
    }
}

/// Starts the exporter and returns the tracer provider, when `wanted` is [`Wanted::Otlp`].
/// Must run inside the tokio runtime.
pub fn start() -> Result<&'static SdkTracerProvider, String> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    if let Some(provider) = PROVIDER.get() {
        return Ok(provider);
    }
    let runtime = tokio::runtime::Handle::try_current()
        .map_err(|_| "traces need the async runtime".to_string())?;
    let client = reqwest::Client::builder()
        .timeout(EXPORT_TIMEOUT)
        // Spans go to the endpoint named, nowhere a redirect points.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build the OTLP HTTP client: {e}"))?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_http_client(RuntimeClient { client, runtime })
        .build()
        .map_err(|e| format!("cannot set up the OTLP trace exporter: {e}"))?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name("klarna-mcp");
    }
    let resource = resource
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    Ok(PROVIDER.get_or_init(|| provider))
}

/// The layer that turns this crate's spans ([`SPAN_TARGET`]) into OpenTelemetry spans.
pub fn layer<S>(provider: &SdkTracerProvider) -> impl tracing_subscriber::Layer<S>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    use tracing_subscriber::{Layer, filter::filter_fn};
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("klarna-mcp"))
        .with_filter(filter_fn(|meta| meta.target() == SPAN_TARGET))
}

/// Whether spans are being exported.
pub fn enabled() -> bool {
    PROVIDER.get().is_some()
}

/// Exports what is left and stops the exporter (waiting at most its timeout per batch).
pub async fn shutdown() {
    if let Some(provider) = PROVIDER.get() {
        let provider = provider.clone();
        // The shutdown blocks until the last export is done, and that export runs on this
        // runtime: wait for it on a blocking thread, never on a worker.
        let done = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(e)) = done {
            tracing::warn!("traces: the last export failed: {e}");
        }
    }
}

/// A W3C trace context carried by HTTP headers.
struct Headers<'a>(&'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

/// A W3C trace context carried by a request's `_meta` (`traceparent`, `tracestate`).
struct Meta<'a>(&'a serde_json::Map<String, serde_json::Value>);

impl Extractor for Meta<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(serde_json::Value::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

/// The remote parent of a request: the HTTP request's `traceparent` (team server), else the
/// one in the request's `_meta`; an absent or malformed one gives none.
pub fn remote_parent(
    headers: Option<&axum::http::HeaderMap>,
    meta: &serde_json::Map<String, serde_json::Value>,
) -> Context {
    use opentelemetry::trace::TraceContextExt;
    let propagator = TraceContextPropagator::new();
    if let Some(headers) = headers
        && headers.contains_key("traceparent")
    {
        let cx = propagator.extract(&Headers(headers));
        if cx.span().span_context().is_valid() {
            return cx;
        }
    }
    propagator.extract(&Meta(meta))
}

/// The server span of one `tools/call`: named `tools/call {tool}`, with the MCP attributes,
/// its parent taken from the request (HTTP `traceparent`, else `_meta`). A disabled span when
/// traces are off.
pub fn tool_call_span(
    tool: &str,
    context: &rmcp::service::RequestContext<rmcp::RoleServer>,
) -> tracing::Span {
    use tracing::field::Empty;
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if !enabled() {
        return tracing::Span::none();
    }
    // The tool name comes from the client: bounded and escaped like any outside text.
    let tool = crate::klarna::sanitize::bound(&crate::klarna::sanitize::escape(tool), 100);
    let parts = context.extensions.get::<axum::http::request::Parts>();
    let span = tracing::info_span!(
        target: SPAN_TARGET,
        "tools/call",
        otel.name = %format!("tools/call {tool}"),
        otel.kind = "server",
        otel.status_code = Empty,
        mcp.method.name = "tools/call",
        gen_ai.tool.name = %tool,
        gen_ai.operation.name = "execute_tool",
        jsonrpc.request.id = %context.id,
        network.transport = if parts.is_some() { "tcp" } else { "pipe" },
        mcp.session.id = Empty,
        mcp.protocol.version = Empty,
        error.type = Empty,
    );
    if let Some(session) = parts
        .and_then(|p| p.headers.get("mcp-session-id"))
        .and_then(|v| v.to_str().ok())
    {
        span.record(
            "mcp.session.id",
            crate::klarna::sanitize::bound(&crate::klarna::sanitize::escape(session), 100),
        );
    }
    let version = context
        .meta
        .protocol_version()
        .or_else(|| context.peer.peer_info().map(|i| i.protocol_version.clone()));
    if let Some(version) = version {
        span.record("mcp.protocol.version", version.to_string());
    }
    let _ = span.set_parent(remote_parent(parts.map(|p| &p.headers), &context.meta.0.0));
    span
}

/// Ends a `tools/call` span with its outcome: `error.type=tool_error` for an `isError`
/// result, the JSON-RPC error code for a protocol error.
pub fn end_tool_call(
    span: &tracing::Span,
    response: &Result<rmcp::model::CallToolResponse, rmcp::ErrorData>,
) {
    use rmcp::model::CallToolResponse;
    match response {
        Ok(CallToolResponse::Complete(result)) if result.is_error == Some(true) => {
            span.record("error.type", "tool_error");
            span.record("otel.status_code", "ERROR");
        }
        Ok(_) => {}
        Err(error) => {
            span.record("error.type", error.code.0.to_string());
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// The client span of one HTTP attempt to Klarna (`GET`, `POST`, …): method, server, URL
/// without its query, and the attempt's number when it is a retry. A disabled span when
/// traces are off.
pub fn klarna_request_span(method: &str, url: &url::Url, attempt: u32) -> tracing::Span {
    use tracing::field::Empty;
    if !enabled() {
        return tracing::Span::none();
    }
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let span = tracing::info_span!(
        target: SPAN_TARGET,
        "klarna request",
        otel.name = %method,
        otel.kind = "client",
        otel.status_code = Empty,
        http.request.method = %method,
        server.address = url.host_str().unwrap_or(""),
        server.port = url.port_or_known_default().unwrap_or(0),
        url.full = %shown,
        http.request.resend_count = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
    );
    if attempt > 1 {
        span.record("http.request.resend_count", attempt - 1);
    }
    span
}

/// Ends a Klarna request span with the status it got, or the kind of failure.
pub fn end_klarna_request(span: &tracing::Span, status: Option<u16>, failure: Option<&str>) {
    if let Some(status) = status {
        span.record("http.response.status_code", status);
        if status >= 400 {
            span.record("error.type", status.to_string());
            span.record("otel.status_code", "ERROR");
        }
    }
    if let Some(kind) = failure {
        span.record("error.type", kind);
        span.record("otel.status_code", "ERROR");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            owned
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn traces_are_on_only_when_the_otel_variables_ask() {
        assert_eq!(wanted(vars(&[])), Wanted::Off);
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
        assert_eq!(wanted(vars(&[endpoint])), Wanted::Otlp);
        assert_eq!(
            wanted(vars(&[(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://c:4318/v1/traces"
            )])),
            Wanted::Otlp
        );
        assert_eq!(
            wanted(vars(&[("OTEL_TRACES_EXPORTER", "otlp")])),
            Wanted::Otlp
        );
        assert_eq!(
            wanted(vars(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")])),
            Wanted::Off
        );
        assert_eq!(
            wanted(vars(&[endpoint, ("OTEL_SDK_DISABLED", "true")])),
            Wanted::Off
        );
        assert_eq!(
            wanted(vars(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")])),
            Wanted::Off
        );
        let grpc = wanted(vars(&[endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]));
        assert!(
            matches!(&grpc, Wanted::Unsupported(why) if why.contains("http/protobuf")),
            "{grpc:?}"
        );
        let zipkin = wanted(vars(&[("OTEL_TRACES_EXPORTER", "zipkin")]));
        assert!(matches!(&zipkin, Wanted::Unsupported(why) if why.contains("OTLP only")));
    }

    #[test]
    fn the_parent_comes_from_the_http_header_else_from_meta() {
        use opentelemetry::trace::TraceContextExt;
        let from_header = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let from_meta = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("traceparent", from_header.parse().unwrap());
        let mut meta = serde_json::Map::new();
        meta.insert("traceparent".into(), from_meta.into());
        let trace = |cx: Context| cx.span().span_context().trace_id().to_string();
        assert_eq!(
            trace(remote_parent(Some(&headers), &meta)),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(
            trace(remote_parent(None, &meta)),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        let mut bad = axum::http::HeaderMap::new();
        bad.insert("traceparent", "garbage".parse().unwrap());
        assert_eq!(
            trace(remote_parent(Some(&bad), &meta)),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        let none = remote_parent(None, &serde_json::Map::new());
        assert!(!none.span().span_context().is_valid());
    }
}
