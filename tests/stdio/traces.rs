//! OpenTelemetry traces from the real binary, received by a tiny OTLP/HTTP receiver in the
//! test: spans shaped by the MCP and HTTP semantic conventions, the parent taken from the
//! caller's `traceparent` (HTTP header on the team server, `_meta` on stdio), and nothing
//! exported unless the real environment's `OTEL_*` variables ask — a `.env` cannot.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    process::Stdio,
    sync::{Arc, Mutex},
};

use axum::{Router, body::Bytes, extract::State, routing::post};
use klarna_mcp::simulator::{SeedOrder, Simulator, SimulatorConfig};
use opentelemetry_proto::tonic::{
    collector::trace::v1::ExportTraceServiceRequest,
    common::v1::{AnyValue, any_value::Value as Any},
    trace::v1::{Span, span::SpanKind},
};
use prost::Message;
use rmcp::{
    ServiceExt,
    model::{CallToolRequestParams, ClientConfig},
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
    sync::mpsc,
};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");
/// The caller's trace: its id and its span's id.
const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const PARENT_ID: &str = "b7ad6b7169203331";

/// Spans received, with their resource's `service.name`.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(String, Span)>>>);

impl Received {
    fn spans(&self) -> Vec<(String, Span)> {
        self.0.lock().unwrap().clone()
    }
}

/// An OTLP/HTTP receiver on loopback: `POST /v1/traces` with protobuf, recorded.
async fn receiver() -> (SocketAddr, Received) {
    async fn traces(State(received): State<Received>, body: Bytes) -> &'static str {
        let request = ExportTraceServiceRequest::decode(body).unwrap();
        let mut spans = received.0.lock().unwrap();
        for resource in request.resource_spans {
            let service = resource
                .resource
                .as_ref()
                .and_then(|r| r.attributes.iter().find(|a| a.key == "service.name"))
                .and_then(|a| text(a.value.as_ref()))
                .unwrap_or_default();
            for scope in resource.scope_spans {
                for span in scope.spans {
                    spans.push((service.clone(), span));
                }
            }
        }
        ""
    }
    let received = Received::default();
    let app = Router::new()
        .route("/v1/traces", post(traces))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, received)
}

fn text(value: Option<&AnyValue>) -> Option<String> {
    match value?.value.as_ref()? {
        Any::StringValue(s) => Some(s.clone()),
        Any::IntValue(i) => Some(i.to_string()),
        Any::BoolValue(b) => Some(b.to_string()),
        Any::DoubleValue(d) => Some(d.to_string()),
        _ => None,
    }
}

fn attributes(span: &Span) -> BTreeMap<String, String> {
    span.attributes
        .iter()
        .filter_map(|a| Some((a.key.clone(), text(a.value.as_ref())?)))
        .collect()
}

fn command(sim: &Simulator, extra: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", crate::fresh_journal())
        .env("KLARNA_BASE_URL", sim.base_url())
        .env("KLARNA_API_USERNAME", "merchant")
        .env("KLARNA_API_PASSWORD", "s3cret")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// The child's stderr lines as they come.
fn lines(child: &mut tokio::process::Child) -> mpsc::UnboundedReceiver<String> {
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

async fn rest(mut rx: mpsc::UnboundedReceiver<String>) -> String {
    let mut all = String::new();
    while let Some(line) = rx.recv().await {
        all.push_str(&line);
        all.push('\n');
    }
    all
}

fn call(name: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_string()).with_arguments(rmcp::model::object(args))
}

#[tokio::test]
async fn stdio_tool_calls_are_exported_as_mcp_server_spans_with_klarna_client_spans() {
    let (otlp, received) = receiver().await;
    let sim = Simulator::start(SimulatorConfig::single("merchant", "s3cret"))
        .await
        .unwrap();
    let order = sim.seed(SeedOrder::new(10_000, "EUR"));
    let endpoint = format!("http://{otlp}");
    let mut child = command(&sim, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)])
        .spawn()
        .unwrap();
    let stderr = lines(&mut child);
    let client =
        ().serve((child.stdout.take().unwrap(), child.stdin.take().unwrap()))
            .await
            .unwrap();
    let mut traced = call("get_order", json!({ "orderId": order }));
    traced.meta = Some(
        serde_json::from_value(json!({
            "traceparent": format!("00-{TRACE_ID}-{PARENT_ID}-01")
        }))
        .unwrap(),
    );
    let ok = client.call_tool(traced).await.unwrap();
    assert_eq!(ok.is_error, Some(false));
    let bad = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": "nope", "amount": 1 }),
        ))
        .await
        .unwrap();
    assert_eq!(bad.is_error, Some(true));
    client.cancel().await.unwrap();
    // The process flushes its spans before it ends: everything is there once it has.
    child.wait().await.unwrap();
    let logs = rest(stderr).await;
    assert!(
        logs.contains("traces: exporting spans over OTLP") && logs.contains(&endpoint),
        "{logs}"
    );
    // The log itself is unchanged by traces: no span names in its lines.
    assert!(!logs.contains("tools/call{"), "{logs}");

    let spans = received.spans();
    assert!(spans.iter().all(|(service, _)| service == "klarna-mcp"));
    let server: Vec<&Span> = spans
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.kind == SpanKind::Server as i32)
        .collect();
    assert_eq!(server.len(), 2, "{spans:#?}");
    let get = server
        .iter()
        .find(|s| s.name == "tools/call get_order")
        .unwrap();
    let a = attributes(get);
    assert_eq!(a["mcp.method.name"], "tools/call");
    assert_eq!(a["gen_ai.tool.name"], "get_order");
    assert_eq!(a["gen_ai.operation.name"], "execute_tool");
    assert_eq!(a["network.transport"], "pipe");
    assert!(a.contains_key("jsonrpc.request.id") && a.contains_key("mcp.protocol.version"));
    assert!(!a.contains_key("error.type"), "{a:?}");
    // The caller's trace continues here.
    assert_eq!(hex(&get.trace_id), TRACE_ID);
    assert_eq!(hex(&get.parent_span_id), PARENT_ID);

    let capture = server
        .iter()
        .find(|s| s.name == "tools/call capture_order")
        .unwrap();
    assert_eq!(attributes(capture)["error.type"], "tool_error");
    assert!(
        capture.parent_span_id.is_empty(),
        "no caller trace: a root span"
    );

    // Each Klarna request of the read is a client span under its tools/call span.
    let clients: Vec<&Span> = spans
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.kind == SpanKind::Client as i32)
        .collect();
    assert!(!clients.is_empty(), "{spans:#?}");
    for span in &clients {
        assert_eq!(span.parent_span_id, get.span_id, "{span:#?}");
        assert_eq!(span.name, "GET");
        let a = attributes(span);
        assert_eq!(a["http.request.method"], "GET");
        assert_eq!(a["http.response.status_code"], "200");
        assert_eq!(a["server.address"], "127.0.0.1");
        assert!(a["url.full"].contains(&order), "{a:?}");
    }
    // Nothing personal or secret in any span.
    let everything = format!("{spans:?}");
    for secret in ["s3cret", "merchant"] {
        assert!(!everything.contains(secret), "{secret} in spans");
    }
    assert_eq!(sim.requests().len(), clients.len());
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn the_team_server_continues_the_trace_of_the_incoming_http_request() {
    let (otlp, received) = receiver().await;
    let sim = Simulator::start(SimulatorConfig::single("merchant", "s3cret"))
        .await
        .unwrap();
    let order = sim.seed(SeedOrder::new(10_000, "EUR"));
    let mut cmd = command(
        &sim,
        &[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            &format!("http://{otlp}/v1/traces"),
        )],
    );
    cmd.args(["serve", "--http", "127.0.0.1:0"]);
    let mut child = cmd.spawn().unwrap();
    let mut stderr = lines(&mut child);
    let url = loop {
        let line = stderr
            .recv()
            .await
            .expect("the server ended before serving");
        if line.contains("serving MCP over HTTP")
            && let Some(rest) = line.split("address=").nth(1)
        {
            break format!("http://{}/mcp", rest.split_whitespace().next().unwrap());
        }
    };
    let mut config = StreamableHttpClientTransportConfig::with_uri(url);
    config.custom_headers.insert(
        "traceparent".parse().unwrap(),
        format!("00-{TRACE_ID}-{PARENT_ID}-01").parse().unwrap(),
    );
    let client = ClientConfig::default()
        .serve(StreamableHttpClientTransport::from_config(config))
        .await
        .unwrap();
    let result = client
        .call_tool(call("get_order", json!({ "orderId": order })))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false));
    client.cancel().await.unwrap();
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    child.wait().await.unwrap();
    drop(rest(stderr).await);

    let spans = received.spans();
    let server = spans
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.name == "tools/call get_order")
        .unwrap_or_else(|| panic!("{spans:#?}"));
    assert_eq!(hex(&server.trace_id), TRACE_ID);
    assert_eq!(hex(&server.parent_span_id), PARENT_ID);
    let a = attributes(server);
    assert_eq!(a["network.transport"], "tcp");
    assert!(!a["mcp.session.id"].is_empty(), "{a:?}");
}

#[tokio::test]
async fn otel_variables_in_a_dotenv_export_nothing() {
    let (otlp, received) = receiver().await;
    let sim = Simulator::start(SimulatorConfig::single("merchant", "s3cret"))
        .await
        .unwrap();
    let order = sim.seed(SeedOrder::new(10_000, "EUR"));
    let dir = std::env::temp_dir().join(format!("klarna-mcp-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(".env"),
        format!("OTEL_EXPORTER_OTLP_ENDPOINT=http://{otlp}\nOTEL_TRACES_EXPORTER=otlp\n"),
    )
    .unwrap();
    let mut cmd = command(&sim, &[]);
    cmd.current_dir(&dir);
    let mut child = cmd.spawn().unwrap();
    let stderr = lines(&mut child);
    let client =
        ().serve((child.stdout.take().unwrap(), child.stdin.take().unwrap()))
            .await
            .unwrap();
    let result = client
        .call_tool(call("get_order", json!({ "orderId": order })))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false));
    client.cancel().await.unwrap();
    child.wait().await.unwrap();
    let logs = rest(stderr).await;
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!logs.contains("traces"), "{logs}");
    // The process has ended: had it exported anything, it would have arrived before.
    assert!(received.spans().is_empty());
}
