//! The real binary over real stdio: the only tests that catch a stray byte on stdout, broken
//! environment wiring, or a secret in a log line.

use std::process::Stdio;

use klarna_mcp::simulator::{SeedOrder, Simulator, SimulatorConfig, demo_orders};
use rmcp::{
    ServiceExt,
    model::CallToolRequestParams,
    transport::{ConfigureCommandExt, TokioChildProcess},
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

fn call(name: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_string()).with_arguments(rmcp::model::object(args))
}

/// A command with a clean environment (no developer .env or KLARNA_* leaking in).
fn command(args: &[&str]) -> tokio::process::Command {
    let dir = std::env::temp_dir();
    tokio::process::Command::new(BIN).configure(|c| {
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KLARNA_JOURNAL", crate::fresh_journal())
            .current_dir(dir);
    })
}

#[tokio::test]
async fn demo_mode_over_stdio_lists_every_tool_and_runs_a_capture() {
    let mut cmd = command(&["--demo"]);
    cmd.env("RUST_LOG", "debug");
    let (transport, _stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();

    let info = client.peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().unwrap().name, "klarna-mcp");
    let instructions = info.instructions.clone().unwrap();
    assert!(
        instructions.starts_with("DEMO: simulated Klarna, no real money."),
        "{instructions}"
    );
    for order in demo_orders() {
        assert!(instructions.contains(order.order_id), "{}", order.order_id);
    }
    // --demo serves every toolset.
    assert_eq!(client.list_all_tools().await.unwrap().len(), 25);
    assert_eq!(client.list_all_prompts().await.unwrap().len(), 3);

    let authorized = demo_orders()
        .iter()
        .find(|o| o.state == "AUTHORIZED")
        .unwrap();
    let result = client
        .call_tool(call("get_order", json!({ "orderId": authorized.order_id })))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false));
    let text = result.content[0].as_text().unwrap().text.clone();
    assert!(
        text.starts_with("DEMO: simulated Klarna, no real money."),
        "{text}"
    );
    assert_eq!(
        result.structured_content.unwrap()["notice"],
        "DEMO: simulated Klarna, no real money."
    );

    let result = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": authorized.order_id, "amount": 100 }),
        ))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false), "{:?}", result.content);
    client.cancel().await.unwrap();
}

/// Speaks raw JSON-RPC lines to the binary and checks that every stdout line is a JSON-RPC
/// message: nothing else may ever appear there.
#[tokio::test]
async fn stdout_carries_nothing_but_json_rpc() {
    let mut child = command(&["--demo"])
        .env("RUST_LOG", "trace")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let order = demo_orders()[0].order_id;
    let messages = [
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}),
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        json!({"jsonrpc":"2.0","id":2,"method":"tools/list"}),
        json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_order","arguments":{"orderId":order}}}),
        json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get_order","arguments":{"orderId":"../x"}}}),
        json!({"jsonrpc":"2.0","id":5,"method":"prompts/list"}),
    ];
    for m in &messages {
        stdin.write_all(format!("{m}\n").as_bytes()).await.unwrap();
    }
    // a malformed line must not kill the server
    stdin.write_all(b"{this is not json\n").await.unwrap();
    stdin
        .write_all(
            format!(
                "{}\n",
                json!({"jsonrpc":"2.0","id":6,"method":"tools/list"})
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    stdin.flush().await.unwrap();

    let mut seen = std::collections::BTreeMap::new();
    while seen.len() < 6 {
        let line = stdout
            .next_line()
            .await
            .unwrap()
            .expect("server closed stdout early");
        let msg: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("non-JSON on stdout ({e}): {line:?}"));
        assert_eq!(msg["jsonrpc"], "2.0", "{line}");
        if let Some(id) = msg["id"].as_i64() {
            seen.insert(id, msg);
        }
    }
    assert_eq!(seen[&1]["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(seen[&2]["result"]["tools"].as_array().unwrap().len(), 25);
    assert_eq!(seen[&3]["result"]["isError"], false);
    assert_eq!(seen[&4]["result"]["isError"], true);
    assert_eq!(seen[&6]["result"]["tools"].as_array().unwrap().len(), 25);

    // closing stdin ends the process cleanly
    drop(stdin);
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{status:?}");
    assert!(stdout.next_line().await.unwrap().is_none());
}

/// Live mode against a simulator with a secret password: the password appears in no result
/// and no log line, even at trace level, and each call writes one JSON audit line.
#[tokio::test]
async fn the_password_never_appears_in_results_or_logs_and_every_call_is_audited() {
    const PASSWORD: &str = "klarna_test_api_Zm9vYmFyLXNlY3JldC12YWx1ZQ";
    let sim = Simulator::start(SimulatorConfig::single("merchant-1", PASSWORD))
        .await
        .unwrap();
    let id = sim.seed(SeedOrder::new(10000, "EUR").captured(4000));
    let mut cmd = command(&[]);
    cmd.env("RUST_LOG", "trace")
        .env("KLARNA_LOG_FORMAT", "json")
        .env("KLARNA_API_USERNAME", "merchant-1")
        .env("KLARNA_API_PASSWORD", PASSWORD)
        .env("KLARNA_BASE_URL", sim.base_url())
        .env("KLARNA_API_HOST", "api.playground.klarna.com")
        // A proxy from the environment must never see the request (nor its Basic auth):
        // these point at a closed port, so the calls below would fail if it were used.
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("http_proxy", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "");
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = stderr.unwrap();
    // Drain stderr while the calls run, so trace logging can never fill the pipe and block.
    let logs = tokio::spawn(async move {
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs).await;
        logs
    });
    let client = ().serve(transport).await.unwrap();

    let mut results = Vec::new();
    for (tool, args) in [
        ("get_order", json!({ "orderId": id })),
        ("capture_order", json!({ "orderId": id, "amount": 1000 })),
        ("refund_order", json!({ "orderId": id, "amount": 500 })),
        ("cancel_order", json!({ "orderId": id })),
        (
            "get_order",
            json!({ "orderId": id, "apiHost": "api.klarna.com" }),
        ),
        ("get_order", json!({ "orderId": "nope" })),
    ] {
        results.push(format!(
            "{:?}",
            client.call_tool(call(tool, args)).await.unwrap()
        ));
    }
    client.cancel().await.unwrap();
    let logs = logs.await.unwrap();

    for text in results.iter().chain(std::iter::once(&logs)) {
        assert!(!text.contains(PASSWORD), "password leaked: {text}");
        assert!(!text.contains("Zm9vYmFy"), "password fragment leaked");
    }
    // The Basic header itself must not be logged either.
    let basic = base64_basic("merchant-1", PASSWORD);
    assert!(!logs.contains(&basic), "Authorization header leaked");

    let audits: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "audit")
        .collect();
    assert_eq!(audits.len(), 6, "{logs}");
    assert_eq!(
        audits[0]["outcome"], "ok",
        "the proxy variables were honoured: {logs}"
    );
    assert_eq!(audits[1]["tool"], "capture_order");
    assert_eq!(audits[1]["outcome"], "ok");
    assert_eq!(audits[1]["amount"], 1000);
    assert_eq!(audits[1]["api_host"], "api.playground.klarna.com");
    assert_eq!(audits[1]["order_id"], id.as_str());
    assert_eq!(audits[1]["http_status"], 201);
    assert!(audits[1]["idempotency_key"].as_str().unwrap().len() == 36);
    assert!(audits[1]["duration_ms"].is_u64());
    // Cancel after a capture: refused by the server's own check on the order it read.
    assert_eq!(audits[3]["outcome"], "refused");
    assert_eq!(audits[3]["http_status"], 200);
    assert_eq!(audits[4]["outcome"], "refused"); // production host with a test key
    assert_eq!(audits[5]["outcome"], "invalid_input");
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[tokio::test]
async fn a_configuration_error_without_a_client_ends_with_status_2_naming_the_variable() {
    let output = command(&[])
        .env("KLARNA_TOOLS", "get_order,steal_money")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("KLARNA_TOOLS")
            && err.contains("steal_money")
            && err.contains("capture_order"),
        "{err}"
    );

    let output = command(&[])
        .env("KLARNA_BASE_URL", "http://192.0.2.10:8080")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));
}

#[tokio::test]
async fn without_credentials_the_server_starts_and_calls_name_the_missing_variable() {
    let (transport, _) = TokioChildProcess::builder(command(&[]))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    assert_eq!(client.list_all_tools().await.unwrap().len(), 7);
    let result = client
        .call_tool(call(
            "get_order",
            json!({ "orderId": "4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f" }),
        ))
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        result.content[0]
            .as_text()
            .unwrap()
            .text
            .contains("set the default KLARNA_API_KEY")
    );
    client.cancel().await.unwrap();
}

/// SIGTERM ends the server promptly and cleanly, even mid-session.
#[cfg(unix)]
#[tokio::test]
async fn sigterm_ends_the_process() {
    let mut child = command(&["--demo"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}});
    stdin
        .write_all(format!("{init}\n").as_bytes())
        .await
        .unwrap();
    stdout
        .next_line()
        .await
        .unwrap()
        .expect("initialize answered");
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    // Generous bound: this detects a hang, it does not measure speed.
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .expect("still running 20 s after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    drop(stdin);
}
