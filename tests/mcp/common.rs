//! Shared test harness: a fresh simulator on `127.0.0.1:0` and a klarna-mcp server wired to
//! it, driven by rmcp's own client over an in-process duplex pipe.

use std::time::Duration;

use klarna_mcp::{
    Config, KlarnaServer,
    simulator::{DEMO_PASSWORD, DEMO_USERNAME, SeedOrder, Simulator},
};
use rmcp::{
    RoleClient, ServiceExt,
    model::{CallToolRequestParams, CallToolResult},
    service::RunningService,
};
use serde_json::{Value, json};

/// A running simulator and an MCP client connected to a server that talks to it.
pub struct Harness {
    pub sim: Simulator,
    pub client: RunningService<RoleClient, ()>,
}

/// Configuration pointing at `sim`, with retries fast enough for tests.
pub fn config_for(sim: &Simulator) -> Config {
    let base = sim.base_url();
    let mut config = Config::from_vars(|name| match name {
        "KLARNA_API_USERNAME" => Some(DEMO_USERNAME.to_string()),
        "KLARNA_API_PASSWORD" => Some(DEMO_PASSWORD.to_string()),
        "KLARNA_BASE_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap();
    config.client.retry.base_delay = Duration::from_millis(1);
    config.client.retry.max_delay = Duration::from_millis(5);
    config.client.retry.retry_after_cap = Duration::from_millis(50);
    config.client.retry.attempt_timeout = Duration::from_secs(5);
    config.journal = Some(klarna_mcp::journal::JournalLocation::Memory);
    config
}

/// Serves `server` on one end of a duplex pipe and returns the client on the other.
pub async fn connect(server: KlarnaServer) -> RunningService<RoleClient, ()> {
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    ().serve(client_io).await.unwrap()
}

/// A harness with the default test configuration.
pub async fn start() -> Harness {
    start_with(|_| {}).await
}

/// A harness whose configuration `tweak` may change.
pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Harness {
    let sim = Simulator::start(klarna_mcp::simulator::SimulatorConfig::demo())
        .await
        .unwrap();
    let mut config = config_for(&sim);
    tweak(&mut config);
    let client = connect(KlarnaServer::new(config).unwrap()).await;
    Harness { sim, client }
}

impl Harness {
    /// Seeds an order and returns its id.
    pub fn seed(&self, order: SeedOrder) -> String {
        self.sim.seed(order)
    }

    /// Makes the next read of order `id` show it as `change` leaves it — a view that is stale
    /// by the time the write reaches Klarna (someone else changed the order in between), so a
    /// test can see how Klarna's own refusal is handled when the server's checks passed.
    pub fn serve_stale(&self, id: &str, change: impl FnOnce(&mut Value)) {
        use klarna_mcp::simulator::{CannedResponse, Fault, FaultRule, Operation};
        let mut order = self.sim.order_json(id).unwrap();
        change(&mut order);
        self.sim.inject_fault(FaultRule::once(
            Operation::GetOrder,
            Fault::Respond(CannedResponse::json(200, &order)),
        ));
    }

    /// Whether any write reached the simulator.
    pub fn nothing_written(&self) -> bool {
        self.sim.requests().iter().all(|r| r.method == "GET")
    }

    /// Calls a tool; panics only on a protocol error.
    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let params =
            CallToolRequestParams::new(tool.to_string()).with_arguments(rmcp::model::object(args));
        self.client
            .call_tool(params)
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error {e:?}"))
    }

    /// Calls a tool and asserts success; returns the structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args.clone()).await;
        assert_eq!(
            result.is_error,
            Some(false),
            "{tool} {args} failed: {}",
            text(&result)
        );
        result
            .structured_content
            .clone()
            .expect("structured content")
    }

    /// Calls a tool and asserts an `isError` result; returns its text.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        let result = self.call(tool, args.clone()).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} {args} unexpectedly succeeded: {}",
            text(&result)
        );
        assert!(result.structured_content.is_none());
        text(&result)
    }
}

/// The text of a result's first content block.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

/// A well-formed UUID that no order has.
pub const UNKNOWN_ORDER: &str = "00000000-0000-4000-8000-00000000dead";

/// `{"orderId": id}` plus extra fields.
pub fn order_args(id: &str, extra: Value) -> Value {
    let mut args = json!({ "orderId": id });
    if let (Some(a), Some(e)) = (args.as_object_mut(), extra.as_object()) {
        a.extend(e.clone());
    }
    args
}

/// One request a [`scripted`] upstream received.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An upstream that answers each request with whatever `answer` makes of it (raw HTTP bytes;
/// each connection serves one request). Returns its base URL and the requests it saw.
pub async fn scripted(
    answer: impl Fn(&RawRequest) -> Vec<u8> + Send + Sync + 'static,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<RawRequest>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let answer = std::sync::Arc::new(answer);
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0_u8; 8192];
                let head_end = loop {
                    if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break at + 4;
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let mut first = lines.next().unwrap_or_default().split(' ');
                let method = first.next().unwrap_or_default().to_string();
                let path = first.next().unwrap_or_default().to_string();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(": "))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let request = RawRequest {
                    method,
                    path,
                    headers,
                    body: buf[head_end..].to_vec(),
                };
                let response = answer(&request);
                log.lock().unwrap().push(request);
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// Raw HTTP bytes: a status line, headers, a body, and `Connection: close`.
pub fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// A harness whose server talks to a scripted upstream instead of the simulator.
pub async fn start_scripted(
    answer: impl Fn(&RawRequest) -> Vec<u8> + Send + Sync + 'static,
) -> (
    RunningService<RoleClient, ()>,
    std::sync::Arc<std::sync::Mutex<Vec<RawRequest>>>,
) {
    let (base, seen) = scripted(answer).await;
    let mut config = Config::from_vars(|name| match name {
        "KLARNA_API_USERNAME" => Some(DEMO_USERNAME.to_string()),
        "KLARNA_API_PASSWORD" => Some(SCRIPTED_PASSWORD.to_string()),
        "KLARNA_BASE_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap();
    config.client.retry.base_delay = Duration::from_millis(1);
    config.client.retry.max_delay = Duration::from_millis(5);
    config.client.retry.max_retries = 1;
    config.client.retry.attempt_timeout = Duration::from_secs(5);
    config.journal = Some(klarna_mcp::journal::JournalLocation::Memory);
    (connect(KlarnaServer::new(config).unwrap()).await, seen)
}

/// The password the scripted harness's server holds.
pub const SCRIPTED_PASSWORD: &str = "klarna_test_api_c2NyaXB0ZWQtc2VjcmV0";

/// An order as Klarna's GET returns it: 100.00 EUR authorized, nothing captured.
pub fn authorized_order_json(id: &str) -> Value {
    json!({
        "order_id": id,
        "status": "AUTHORIZED",
        "fraud_status": "ACCEPTED",
        "order_amount": 10000,
        "original_order_amount": 10000,
        "captured_amount": 0,
        "refunded_amount": 0,
        "remaining_authorized_amount": 10000,
        "purchase_currency": "EUR",
        "purchase_country": "DE",
        "order_lines": [],
        "captures": [],
        "refunds": []
    })
}

/// A harness serving every toolset (the opt-in `fulfilment` and `amendments` included).
pub async fn start_all() -> Harness {
    start_all_with(|_| {}).await
}

/// [`start_all`] whose configuration `tweak` may change further.
pub async fn start_all_with(tweak: impl FnOnce(&mut Config)) -> Harness {
    start_with(|c| {
        c.toolsets = Some(["all".to_string()].into());
        tweak(c);
    })
    .await
}

impl Harness {
    /// The requests that were not reads, as `(method, path)`.
    pub fn writes(&self) -> Vec<(String, String)> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .map(|r| (r.method, r.path))
            .collect()
    }

    /// The id of the `n`th capture of order `id`.
    pub fn capture_id(&self, id: &str, n: usize) -> String {
        self.sim.snapshot(id).unwrap().captures[n]
            .capture_id
            .clone()
    }
}
