//! Starting the HTTP server on `127.0.0.1:0` with the real Klarna tools against a fresh
//! simulator, or with a tiny handler that reports who is calling; rmcp clients and raw
//! requests against it.

use std::{sync::Arc, time::Duration};

use axum::http::{header::AUTHORIZATION, request::Parts};
use klarna_mcp::{
    Config, KlarnaServer,
    http::{HttpConfig, HttpError, Readiness, serve},
    journal::Journal,
    simulator::{DEMO_PASSWORD, DEMO_USERNAME, Simulator, demo_orders},
};
use rmcp::{
    ClientLifecycleMode, ClientServiceExt, RoleClient, RoleServer, ServiceExt,
    model::{CallToolRequestParams, CallToolResult, ClientConfig, ProtocolVersion},
    service::{RequestContext, RunningService},
    tool, tool_router,
    transport::{
        StreamableHttpClientTransport, streamable_http_client::StreamableHttpClientTransportConfig,
    },
};
use serde_json::{Value, json};
use tokio::{sync::Notify, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// HTTP settings from `vars`, listening on an ephemeral loopback port by default.
pub fn config(vars: &[(&str, &str)]) -> HttpConfig {
    HttpConfig::from_vars(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .or_else(|| (name == "KLARNA_HTTP_ADDR").then(|| "127.0.0.1:0".to_string()))
    })
    .unwrap()
}

/// A running server.
pub struct Running {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// `http://127.0.0.1:PORT/mcp`, also the resource URL and default audience.
    pub mcp: String,
    stop: CancellationToken,
    task: JoinHandle<Result<(), HttpError>>,
    /// The simulator behind the Klarna tools, if any.
    pub sim: Option<Simulator>,
}

impl Running {
    /// Triggers the graceful shutdown.
    pub fn begin_shutdown(&self) {
        self.stop.cancel();
    }

    /// Whether `serve` has returned.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Shuts down and returns what `serve` returned.
    pub async fn stop(self) -> Result<(), HttpError> {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("serve returns after shutdown")
            .unwrap()
    }
}

/// Binds a loopback listener and runs `serve`; returns once the server answers `/healthz`,
/// or with the startup error.
pub async fn start_with<H: rmcp::ServerHandler>(
    config: HttpConfig,
    make_handler: impl Fn() -> H + Send + Sync + 'static,
) -> Result<Running, HttpError> {
    start_ready_with(config, Readiness::new(), make_handler).await
}

/// [`start_with`], with `readiness` for `/readyz`.
pub async fn start_ready_with<H: rmcp::ServerHandler>(
    config: HttpConfig,
    readiness: Readiness,
    make_handler: impl Fn() -> H + Send + Sync + 'static,
) -> Result<Running, HttpError> {
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let shutdown = stop.clone().cancelled_owned();
    let task = tokio::spawn(serve(config, listener, make_handler, readiness, shutdown));
    let base = format!("http://{addr}");
    let http = http();
    loop {
        if task.is_finished() {
            return Err(task
                .await
                .unwrap()
                .expect_err("serve ended before shutdown"));
        }
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status() == 200
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(Running {
        mcp: format!("{base}/mcp"),
        base,
        stop,
        task,
        sim: None,
    })
}

/// The server with the Klarna tools against a fresh simulator seeded with the demo orders.
pub async fn start_klarna(config: HttpConfig) -> Running {
    start_klarna_with(config, true, |_| {}).await
}

/// [`start_klarna`], with the HTTP layer's write-scope check on or off (off: only the tool
/// layer stands between a reader and a write — the second defence, tested on its own).
/// `tweak` may change the Klarna server's configuration.
pub async fn start_klarna_with(
    config: HttpConfig,
    http_scope_check: bool,
    tweak: impl FnOnce(&mut Config),
) -> Running {
    start_klarna_on(config, http_scope_check, tweak, None).await
}

/// [`start_klarna_with`], over `journal` when given (else one in memory); `/readyz` asks
/// what the binary's team server asks ([`KlarnaServer::readiness`]).
pub async fn start_klarna_on(
    config: HttpConfig,
    http_scope_check: bool,
    tweak: impl FnOnce(&mut Config),
    journal: Option<Journal>,
) -> Running {
    let sim = Simulator::start_demo().await.unwrap();
    let mut klarna = Config::from_vars(|name| match name {
        "KLARNA_API_USERNAME" => Some(DEMO_USERNAME.to_string()),
        "KLARNA_API_PASSWORD" => Some(DEMO_PASSWORD.to_string()),
        "KLARNA_BASE_URL" => Some(sim.base_url()),
        _ => None,
    })
    .unwrap();
    klarna.journal = Some(klarna_mcp::journal::JournalLocation::Memory);
    tweak(&mut klarna);
    let server = match journal {
        Some(journal) => KlarnaServer::with_journal(klarna, journal).unwrap(),
        None => KlarnaServer::new(klarna).unwrap(),
    };
    let mut config = config;
    if http_scope_check {
        config.write_tools = server.write_tool_names();
    }
    let readiness = server.readiness();
    let mut running = start_ready_with(config, readiness, move || server.clone())
        .await
        .unwrap();
    running.sim = Some(sim);
    running
}

/// Lets a test hold the `hold` tool until it releases it.
#[derive(Default)]
pub struct Gate {
    pub started: Notify,
    pub release: Notify,
}

/// A tiny handler: `whoami` reports the principal rmcp hands the tool; `hold` waits for the
/// test.
#[derive(Clone)]
pub struct Whoami {
    pub gate: Arc<Gate>,
}

#[tool_router(server_handler)]
impl Whoami {
    #[tool(description = "Reports the authenticated principal")]
    async fn whoami(&self, ctx: RequestContext<RoleServer>) -> String {
        let principal = klarna_mcp::auth::principal(&ctx.extensions);
        let parts = ctx.extensions.get::<Parts>();
        json!({
            "subject": principal.map(|p| p.subject.clone()),
            "displayName": principal.map(|p| p.display_name.clone()),
            "role": principal.map(|p| p.role.to_string()),
            "httpParts": parts.is_some(),
            "authorizationHeaderSeen": parts.is_some_and(|p| p.headers.contains_key(AUTHORIZATION)),
        })
        .to_string()
    }

    #[tool(description = "Waits until the test releases it")]
    async fn hold(&self) -> String {
        self.gate.started.notify_one();
        self.gate.release.notified().await;
        "released".to_string()
    }
}

/// The server with the [`Whoami`] handler.
pub async fn start_whoami(config: HttpConfig) -> (Running, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    let handler = Whoami { gate: gate.clone() };
    let running = start_with(config, move || handler.clone()).await.unwrap();
    (running, gate)
}

fn transport_config(url: &str, token: Option<&str>) -> StreamableHttpClientTransportConfig {
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_string());
    match token {
        Some(token) => config.auth_header(token.to_string()),
        None => config,
    }
}

/// rmcp's client with the `initialize` handshake (a session).
pub async fn legacy_client(
    url: &str,
    token: Option<&str>,
) -> RunningService<RoleClient, ClientConfig> {
    ClientConfig::default()
        .serve(StreamableHttpClientTransport::from_config(
            transport_config(url, token),
        ))
        .await
        .unwrap()
}

/// rmcp's client on the 2026-07-28 lifecycle (`server/discover`, no session).
pub async fn modern_client(
    url: &str,
    token: Option<&str>,
) -> RunningService<RoleClient, ClientConfig> {
    ClientConfig::default()
        .serve_with_lifecycle(
            StreamableHttpClientTransport::from_config(transport_config(url, token)),
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap()
}

/// An MCP client that can ask its user (the test answers for it).
#[derive(Clone)]
pub struct Eliciting;

impl rmcp::ClientHandler for Eliciting {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            rmcp::model::ClientCapabilities::builder()
                .enable_elicitation()
                .build(),
            rmcp::model::Implementation::new("eliciting", "1"),
        )
    }
}

/// [`modern_client`] that declares elicitation, so a write can be confirmed.
pub async fn modern_eliciting_client(
    url: &str,
    token: Option<&str>,
) -> RunningService<RoleClient, Eliciting> {
    Eliciting
        .serve_with_lifecycle(
            StreamableHttpClientTransport::from_config(transport_config(url, token)),
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        )
        .await
        .unwrap()
}

/// Calls a tool and returns its result; panics on a protocol error.
pub async fn call(
    client: &RunningService<RoleClient, ClientConfig>,
    tool: &str,
    args: Value,
) -> CallToolResult {
    client
        .call_tool(
            CallToolRequestParams::new(tool.to_string()).with_arguments(rmcp::model::object(args)),
        )
        .await
        .unwrap_or_else(|e| panic!("{tool}: {e:?}"))
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

/// `whoami` as JSON.
pub async fn whoami(client: &RunningService<RoleClient, ClientConfig>) -> Value {
    serde_json::from_str(&text(&call(client, "whoami", json!({})).await)).unwrap()
}

/// The id of a demo order the simulator knows.
pub fn demo_order_id() -> String {
    demo_orders()[0].order_id.to_string()
}

/// A plain HTTP client for raw requests.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A JSON-RPC `initialize` for protocol 2025-06-18.
pub fn initialize_body() -> Value {
    json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}})
}

/// A raw MCP POST with the headers the transport requires, and an optional bearer token.
pub fn post(url: &str, token: Option<&str>, body: &Value) -> reqwest::RequestBuilder {
    let mut request = http()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
}
