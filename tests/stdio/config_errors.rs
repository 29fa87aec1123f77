//! A configuration that cannot be used, over real stdio: the server still starts (a desktop
//! client would otherwise show only a disconnected extension), lists its tools, and answers
//! every tool call with the error — the variable and the fix — as an `isError` result; no
//! write runs and nothing reaches Klarna. Mistakes that parse are warned about on stderr.

use std::process::Stdio;

use klarna_mcp::simulator::{SeedOrder, Simulator, SimulatorConfig};
use rmcp::{ServiceExt, model::CallToolRequestParams};
use serde_json::{Value, json};
use tokio::{io::AsyncReadExt, process::Command};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

fn call(name: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_string()).with_arguments(rmcp::model::object(args))
}

fn command(vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", crate::fresh_journal())
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

#[tokio::test]
async fn a_configuration_error_is_answered_through_mcp_and_nothing_is_sent() {
    let sim = Simulator::start(SimulatorConfig::single("merchant", "s3cret"))
        .await
        .unwrap();
    let order = sim.seed(SeedOrder::new(10_000, "EUR"));
    let base = sim.base_url();
    let mut child = command(&[
        ("KLARNA_BASE_URL", &base),
        ("KLARNA_API_USERNAME", "merchant"),
        ("KLARNA_API_PASSWORD", "s3cret"),
        ("KLARNA_CONFIRM_WRITES", "sometimes"),
    ])
    .spawn()
    .unwrap();
    let stdout = child.stdout.take().unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = tokio::spawn(async move {
        let mut text = String::new();
        stderr.read_to_string(&mut text).await.unwrap();
        text
    });

    let client = ().serve((stdout, stdin)).await.unwrap();
    let instructions = client.peer_info().unwrap().instructions.clone().unwrap();
    assert!(
        instructions.contains("KLARNA_CONFIRM_WRITES"),
        "{instructions}"
    );
    // tools/list still works: the client shows the server and its tools.
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "capture_order"));

    for (tool, args) in [
        ("get_order", json!({ "orderId": order })),
        ("capture_order", json!({ "orderId": order, "amount": 100 })),
        ("no_such_tool", json!({})),
    ] {
        let result = client.call_tool(call(tool, args)).await.unwrap();
        assert_eq!(result.is_error, Some(true), "{tool}");
        let text = &result.content[0].as_text().unwrap().text;
        assert!(
            text.contains("KLARNA_CONFIRM_WRITES")
                && text.contains("`auto`, `always` or `never`")
                && text.contains("restart"),
            "{tool}: {text}"
        );
        assert!(!text.contains("s3cret"), "{text}");
    }
    assert_eq!(sim.request_count(), 0, "nothing may reach Klarna");
    assert!(sim.ledger().is_empty());

    client.cancel().await.unwrap();
    let status = child.wait().await.unwrap();
    // The process still says the configuration is unusable.
    assert_eq!(status.code(), Some(2));
    let logs = stderr.await.unwrap();
    assert!(
        logs.contains("configuration error") && logs.contains("KLARNA_CONFIRM_WRITES"),
        "{logs}"
    );
    assert!(
        logs.contains("config_error"),
        "each call is audited: {logs}"
    );
    assert!(!logs.contains("s3cret"), "{logs}");
}

#[tokio::test]
async fn mistakes_that_parse_are_warned_about_at_start() {
    let mut child = command(&[
        ("KLARNA_API_KEY", "klarna_live_api_real-secret-1"),
        ("KLARNA_US_API_KEY", "klarna_live_api_real-secret-2"),
        ("KLARNA_OC_API_USERNAME", "merchant-oc"),
        ("KLARNA_NA_API_KEY", klarna_mcp::clients::NA_KEY_PLACEHOLDER),
    ])
    .spawn()
    .unwrap();
    // No client: stdin closes at once and the server ends after its start-up lines.
    drop(child.stdin.take());
    let output = child.wait_with_output().await.unwrap();
    assert_eq!(output.status.code(), Some(0));
    let logs = String::from_utf8_lossy(&output.stderr);
    let warns: Vec<&str> = logs.lines().filter(|l| l.contains("WARN")).collect();
    let all = warns.join("\n");
    assert!(
        all.contains("KLARNA_US_API_KEY") && all.contains("did you mean KLARNA_NA_API_KEY?"),
        "{logs}"
    );
    assert!(
        all.contains("api-oc.klarna.com") && all.contains("KLARNA_OC_API_PASSWORD"),
        "{logs}"
    );
    assert!(
        all.contains("KLARNA_NA_API_KEY still holds a placeholder"),
        "{logs}"
    );
    assert!(!logs.contains("real-secret"), "{logs}");
}
