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
