//! Prometheus metrics from the real binary: off unless `KLARNA_METRICS_LISTEN` asks, then on
//! a listener of their own, with counts that match the calls made against the simulator.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
};

use klarna_mcp::simulator::{SeedOrder, Simulator, SimulatorConfig};
use rmcp::{
    ClientHandler, ErrorData as McpError, RoleClient, ServiceExt,
    model::{
        CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
        ElicitationAction, Implementation,
    },
    service::RequestContext,
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
    sync::mpsc,
};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

fn call(name: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_string()).with_arguments(rmcp::model::object(args))
}

/// A client whose human says yes to every confirmation question.
#[derive(Clone, Default)]
struct Agreeable {
    asked: Arc<Mutex<usize>>,
}

impl ClientHandler for Agreeable {
    async fn create_elicitation(
        &self,
        _: ElicitRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        *self.asked.lock().unwrap() += 1;
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": true })))
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("agreeable", "1"),
        )
    }
}

/// Starts the binary against `sim`; returns the child and its stderr lines as they come.
fn spawn(
    sim: &Simulator,
    extra: &[(&str, &str)],
) -> (tokio::process::Child, mpsc::UnboundedReceiver<String>) {
    spawn_command(Command::new(BIN), sim, extra)
}

/// [`spawn`] for a command with its own arguments.
fn spawn_command(
    mut cmd: Command,
    sim: &Simulator,
    extra: &[(&str, &str)],
) -> (tokio::process::Child, mpsc::UnboundedReceiver<String>) {
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
    let mut child = cmd.spawn().unwrap();
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
    (child, rx)
}

/// The value of the sample `name{labels}` (labels in the exposition's order), or 0.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_the_calls_made_by_tool_outcome_host_and_status() {
    let sim = Simulator::start(SimulatorConfig::single("merchant", "s3cret"))
        .await
        .unwrap();
    let order = sim.seed(SeedOrder::new(10_000, "EUR"));
    let (mut child, mut stderr) = spawn(&sim, &[("KLARNA_METRICS_LISTEN", "127.0.0.1:0")]);
    // The log says where the metrics are (port 0: the system picked one).
    let url = loop {
        let line = stderr
            .recv()
            .await
            .expect("the server ended before its metrics line");
        if let Some(rest) = line.split("Prometheus text at ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/metrics"),
        "{url}"
    );

    let stdout = child.stdout.take().unwrap();
    let stdin = child.stdin.take().unwrap();
    let human = Agreeable::default();
    let client = human.clone().serve((stdout, stdin)).await.unwrap();
    let ok = |r: &rmcp::model::CallToolResult| r.is_error == Some(false);
    assert!(ok(&client
        .call_tool(call("get_order", json!({ "orderId": order })))
        .await
        .unwrap()));
    let capture = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": order, "amount": 2500 }),
        ))
        .await
        .unwrap();
    assert!(ok(&capture), "{:?}", capture.content);
    let bad = client
        .call_tool(call("get_order", json!({ "orderId": "not an id" })))
        .await
        .unwrap();
    assert_eq!(bad.is_error, Some(true));
    let missing = client
        .call_tool(call(
            "get_order",
            json!({ "orderId": "4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f" }),
        ))
        .await
        .unwrap();
    assert_eq!(missing.is_error, Some(true));
    assert_eq!(*human.asked.lock().unwrap(), 1);

    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    let tool = |t: &str, outcome: &str| {
        sample(
            &text,
            &format!("klarna_mcp_tool_calls_total{{outcome=\"{outcome}\",tool=\"{t}\"}}"),
        )
    };
    assert_eq!(tool("get_order", "ok"), 1.0, "{text}");
    assert_eq!(tool("capture_order", "ok"), 1.0, "{text}");
    assert_eq!(tool("get_order", "invalid_input"), 1.0, "{text}");
    assert_eq!(tool("get_order", "klarna_error"), 1.0, "{text}");
    assert_eq!(
        sample(
            &text,
            "klarna_mcp_tool_call_duration_seconds_count{tool=\"get_order\"}"
        ),
        3.0,
        "{text}"
    );

    // Klarna requests: as many as the simulator saw, by method and status.
    let seen = sim.requests();
    let gets = seen.iter().filter(|r| r.method == "GET").count() as f64;
    let posts = seen.iter().filter(|r| r.method == "POST").count() as f64;
    let klarna = |method: &str, status: &str| {
        sample(
            &text,
            &format!(
                "klarna_mcp_klarna_requests_total{{host=\"api.klarna.com\",method=\"{method}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(posts, 1.0);
    assert_eq!(klarna("POST", "201"), 1.0, "{text}");
    assert_eq!(klarna("GET", "404"), 1.0, "{text}");
    // An order not found on its host is looked for on the others: each attempt is counted.
    let all_gets: f64 = text
        .lines()
        .filter(|l| {
            l.starts_with("klarna_mcp_klarna_requests_total{") && l.contains("method=\"GET\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(all_gets, gets, "{text}");
    assert!(
        klarna("GET", "200") >= 3.0,
        "the read, and the order before and after the capture: {text}"
    );

    // The capture's journal appends: one before it was sent, one with its verdict.
    assert_eq!(
        sample(&text, "klarna_mcp_journal_appends_total{stage=\"begin\"}"),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "klarna_mcp_journal_appends_total{stage=\"finish\"}"),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "klarna_mcp_journal_append_duration_seconds_count{stage=\"begin\"}"
        ),
        1.0
    );
    assert!(text.contains("# TYPE klarna_mcp_journal_append_failures_total counter"));
    assert_eq!(
        sample(&text, "klarna_mcp_confirmations_asked_total"),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "klarna_mcp_confirmations_answered_total{answer=\"accepted\"}"
        ),
        1.0,
        "{text}"
    );
    for family in [
        "klarna_mcp_auth_failures_total",
        "klarna_mcp_http_rejections_total",
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} counter")),
            "{family}"
        );
    }
    // Nothing that identifies an order or a person.
    assert!(
        !text.contains(&order) && !text.contains("merchant"),
        "{text}"
    );

    // Only /metrics is served there.
    let other = url.replace("/metrics", "/mcp");
    assert_eq!(reqwest::get(&other).await.unwrap().status(), 404);

    client.cancel().await.unwrap();
    child.wait().await.unwrap();
}

#[tokio::test]
async fn without_the_setting_no_metrics_listener_is_opened() {
    let sim = Simulator::start(SimulatorConfig::single("merchant", "s3cret"))
        .await
        .unwrap();
    let (mut child, mut stderr) = spawn(&sim, &[]);
    drop(child.stdin.take());
    child.wait().await.unwrap();
    let mut logs = String::new();
    while let Some(line) = stderr.recv().await {
        logs.push_str(&line);
        logs.push('\n');
    }
    assert!(logs.contains("serving"), "{logs}");
    assert!(!logs.contains("metrics"), "{logs}");
}

#[tokio::test]
async fn a_dotenv_cannot_open_the_metrics_listener() {
    let dir = std::env::temp_dir().join(format!("klarna-mcp-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".env"), "KLARNA_METRICS_LISTEN=0.0.0.0:9464\n").unwrap();
    let output = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", crate::fresh_journal())
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("KLARNA_METRICS_LISTEN") && err.contains("real environment"),
        "{err}"
    );
    assert!(!err.contains("Prometheus text at"), "{err}");
}

/// The team server counts refused authentication and rate-limited requests.
#[tokio::test]
async fn the_team_server_counts_auth_failures_and_rate_limit_rejections() {
    use klarna_mcp::auth::{Role, tokens::mint};
    let sim = Simulator::start(SimulatorConfig::single("merchant", "s3cret"))
        .await
        .unwrap();
    let alice = mint("alice", Role::Write).unwrap();
    let dir = std::env::temp_dir().join(format!("klarna-mcp-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let tokens = dir.join("tokens");
    std::fs::write(&tokens, format!("{}\n", alice.line)).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let tokens_path = tokens.display().to_string();
    let extra = [
        ("KLARNA_METRICS_LISTEN", "127.0.0.1:0"),
        ("KLARNA_HTTP_TOKENS_FILE", tokens_path.as_str()),
        ("KLARNA_HTTP_RATE_LIMIT", "1"),
        ("KLARNA_HTTP_RATE_BURST", "1"),
    ];
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--http", "127.0.0.1:0"]);
    let (mut child, mut stderr) = spawn_command(cmd, &sim, &extra);
    let (mut metrics, mut mcp) = (None, None);
    while metrics.is_none() || mcp.is_none() {
        let line = stderr
            .recv()
            .await
            .expect("the server ended before serving");
        if let Some(rest) = line.split("Prometheus text at ").nth(1) {
            metrics = Some(rest.split_whitespace().next().unwrap().to_string());
        }
        if line.contains("serving MCP over HTTP")
            && let Some(rest) = line.split("address=").nth(1)
        {
            let addr = rest.split_whitespace().next().unwrap();
            mcp = Some(format!("http://{addr}/mcp"));
        }
    }
    let (metrics, mcp) = (metrics.unwrap(), mcp.unwrap());
    assert_ne!(metrics.replace("/metrics", ""), mcp.replace("/mcp", ""));
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": { "name": "t", "version": "1" } }
    });
    let post = |token: Option<&str>| {
        let mut r = reqwest::Client::new()
            .post(&mcp)
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some("kmcp_not-a-token")).await.unwrap().status(), 401);
    assert_eq!(post(Some(&alice.token)).await.unwrap().status(), 200);
    assert_eq!(post(Some(&alice.token)).await.unwrap().status(), 429);

    let text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
    let auth = |reason: &str| {
        sample(
            &text,
            &format!("klarna_mcp_auth_failures_total{{reason=\"{reason}\"}}"),
        )
    };
    assert_eq!(auth("missing"), 1.0, "{text}");
    assert_eq!(auth("invalid_token"), 1.0, "{text}");
    assert_eq!(
        sample(
            &text,
            "klarna_mcp_http_rejections_total{reason=\"rate_limit\"}"
        ),
        1.0,
        "{text}"
    );
    assert!(!text.contains("alice"), "{text}");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
