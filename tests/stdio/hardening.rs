//! Hardening, on the real binary: writes in flight at shutdown, requests too large to read,
//! `.env` files the user did not write, and logs that stay free of personal data and
//! secrets whatever `RUST_LOG` says.

use std::{path::Path, process::Stdio, time::Duration};

use klarna_mcp::simulator::{
    DEMO_PASSWORD, DEMO_USERNAME, Fault, FaultRule, Operation, SeedOrder, Simulator,
    SimulatorConfig,
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    process::{Child, ChildStdin, Command},
};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

/// The binary in `dir` with a clean environment plus `vars`.
fn command_in(dir: &Path, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", crate::fresh_journal())
        .current_dir(dir)
        .kill_on_drop(true);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("klarna-mcp-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A live server pointed at `sim`, speaking raw JSON-RPC; stderr collected in the background.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    stderr: tokio::task::JoinHandle<String>,
}

async fn run(sim: &Simulator, extra: &[(&str, &str)]) -> Running {
    let base = sim.base_url();
    let mut vars = vec![
        ("KLARNA_API_USERNAME", DEMO_USERNAME),
        ("KLARNA_API_PASSWORD", DEMO_PASSWORD),
        ("KLARNA_BASE_URL", base.as_str()),
        ("KLARNA_LOG_FORMAT", "json"),
    ];
    vars.extend_from_slice(extra);
    let mut child = command_in(&std::env::temp_dir(), &vars)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let mut running = Running {
        stdin: child.stdin.take(),
        stdout: BufReader::new(child.stdout.take().unwrap()).lines(),
        child,
        stderr,
    };
    running
        .send(json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}))
        .await;
    running.answer(0).await;
    running
        .send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
        .await;
    running
}

impl Running {
    async fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{message}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
    }

    /// The next message with `id` (others are skipped).
    async fn answer(&mut self, id: i64) -> Value {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(60), self.stdout.next_line())
                .await
                .expect("no answer within 60 s (hang guard)")
                .unwrap()
                .expect("stdout closed");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    }

    /// Waits for the process to end (a hang guard, not a timing assertion) and returns its
    /// audit lines.
    async fn exit(mut self) -> Vec<Value> {
        tokio::time::timeout(Duration::from_secs(60), self.child.wait())
            .await
            .expect("still running 60 s after being told to stop")
            .unwrap();
        let logs = self.stderr.await.unwrap();
        logs.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v["target"] == "audit")
            .collect()
    }
}

async fn until_a_post_arrived(sim: &Simulator) {
    while !sim.requests().iter().any(|r| r.method == "POST") {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn capture_call(id: i64, order: &str) -> Value {
    json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":"capture_order","arguments":{"orderId":order,"amount":1000}}})
}

/// stdin closes while a capture is in flight: the process waits for it, writes its audit
/// line, and only then exits.
#[tokio::test]
async fn a_write_in_flight_when_stdin_closes_finishes_and_is_audited() {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let order = sim.seed(SeedOrder::new(10000, "EUR"));
    sim.inject_fault(FaultRule::once(
        Operation::Capture,
        Fault::Delay(Duration::from_secs(2)),
    ));
    let mut server = run(&sim, &[]).await;
    server.send(capture_call(1, &order)).await;
    until_a_post_arrived(&sim).await;
    drop(server.stdin.take());
    let audits = server.exit().await;
    let capture: Vec<&Value> = audits
        .iter()
        .filter(|a| a["tool"] == "capture_order")
        .collect();
    assert_eq!(capture.len(), 1, "{audits:?}");
    assert_eq!(capture[0]["outcome"], "ok");
    assert_eq!(sim.snapshot(&order).unwrap().captured_amount, 1000);
}

/// SIGTERM — or SIGHUP, SIGINT, SIGQUIT, which once ended the process at once — while a
/// capture hangs past the shutdown grace: the process still exits, and the capture gets an
/// `outcome_unknown` audit line with the key Klarna saw.
#[cfg(unix)]
#[tokio::test]
async fn a_write_still_unanswered_after_the_grace_is_audited_as_outcome_unknown() {
    for signal in ["TERM", "HUP", "INT", "QUIT"] {
        write_unanswered_at(signal).await;
    }
}

#[cfg(unix)]
async fn write_unanswered_at(signal: &str) {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let order = sim.seed(SeedOrder::new(10000, "EUR"));
    sim.inject_fault(FaultRule::once(
        Operation::Capture,
        Fault::Delay(Duration::from_secs(30)),
    ));
    let mut server = run(&sim, &[("KLARNA_SHUTDOWN_GRACE_SECS", "1")]).await;
    server.send(capture_call(1, &order)).await;
    until_a_post_arrived(&sim).await;
    let key = sim
        .requests()
        .iter()
        .find(|r| r.method == "POST")
        .and_then(|r| r.idempotency_key.clone())
        .unwrap();
    let pid = server.child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap()
            .success()
    );
    let audits = server.exit().await;
    let capture: Vec<&Value> = audits
        .iter()
        .filter(|a| a["tool"] == "capture_order")
        .collect();
    assert_eq!(capture.len(), 1, "SIG{signal}: {audits:?}");
    assert_eq!(capture[0]["outcome"], "outcome_unknown", "SIG{signal}");
    assert_eq!(capture[0]["idempotency_key"], key.as_str());
    assert_eq!(capture[0]["amount"], 1000);
}

/// A request line over 16 MiB is answered with a JSON-RPC error carrying its id, and the
/// server goes on answering.
#[tokio::test]
async fn an_oversized_request_is_answered_with_its_id_and_the_server_stays_up() {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let mut server = run(&sim, &[]).await;
    let huge = "x".repeat(17 * 1024 * 1024);
    server
        .send(json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_order","arguments":{"orderId":huge}}}))
        .await;
    let answer = server.answer(7).await;
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{answer}"
    );
    server
        .send(json!({"jsonrpc":"2.0","id":8,"method":"tools/list"}))
        .await;
    assert!(server.answer(8).await["result"]["tools"].is_array());
    drop(server.stdin.take());
    server.exit().await;
}

/// A request the JSON parser cannot read — nested deeper than it goes, or a number out of
/// range — is answered with a parse error carrying its id (the client does not wait on it
/// forever), and the server goes on answering.
#[tokio::test]
async fn an_unparsable_request_with_a_readable_id_is_answered() {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let mut server = run(&sim, &[]).await;
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let lines = [
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"get_order","arguments":{{"orderId":{deep}}}}}}}"#
        ),
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_order","arguments":{"amount":1e400}}}"#.to_string(),
    ];
    {
        let stdin = server.stdin.as_mut().unwrap();
        for line in &lines {
            stdin
                .write_all(format!("{line}\n").as_bytes())
                .await
                .unwrap();
        }
        stdin.flush().await.unwrap();
    }
    for id in [1, 2] {
        let answer = server.answer(id).await;
        assert_eq!(answer["error"]["code"], -32700, "{answer}");
    }
    server
        .send(json!({"jsonrpc":"2.0","id":3,"method":"tools/list"}))
        .await;
    assert!(server.answer(3).await["result"]["tools"].is_array());
    drop(server.stdin.take());
    server.exit().await;
}

/// Personal data passes through the protocol (it was asked for), but never into the log,
/// even at `RUST_LOG=trace` — rmcp logs whole messages at debug.
#[tokio::test]
async fn trace_logging_shows_no_personal_data() {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let order = sim.seed(SeedOrder::new(10000, "EUR").customer(
        "Adalind",
        "Quenby-Lovell",
        "adalind.quenby@example.org",
    ));
    let mut server = run(
        &sim,
        &[
            ("RUST_LOG", "trace"),
            ("KLARNA_INCLUDE_PERSONAL_DATA", "true"),
        ],
    )
    .await;
    server
        .send(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_order","arguments":{"orderId":order}}}))
        .await;
    let answer = server.answer(1).await;
    assert!(answer.to_string().contains("adalind.quenby@example.org"));
    drop(server.stdin.take());
    tokio::time::timeout(Duration::from_secs(60), server.child.wait())
        .await
        .unwrap()
        .unwrap();
    let logs = server.stderr.await.unwrap();
    assert!(logs.contains("\"target\":\"audit\""), "{logs}");
    for personal in ["adalind", "Adalind", "Quenby", "example.org"] {
        assert!(!logs.contains(personal), "{personal} in the log:\n{logs}");
    }
}

/// A `.env` is read from the working directory only, never from a parent.
#[tokio::test]
async fn a_dotenv_in_a_parent_directory_is_not_read() {
    let parent = temp_dir();
    let child_dir = parent.join("child");
    std::fs::create_dir_all(&child_dir).unwrap();
    std::fs::write(parent.join(".env"), "KLARNA_READ_ONLY=true\n").unwrap();
    // --demo serves every toolset: 25 tools, of which 12 read.
    for (dir, tools) in [(&child_dir, 25), (&parent, 12)] {
        let output = command_in(dir, &[])
            .arg("--demo")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut child = output;
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        stdin
            .write_all(format!("{}\n{}\n{}\n",
                json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}),
                json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
                json!({"jsonrpc":"2.0","id":2,"method":"tools/list"})).as_bytes())
            .await
            .unwrap();
        let listed = loop {
            let line = stdout.next_line().await.unwrap().unwrap();
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["id"] == 2 {
                break v;
            }
        };
        assert_eq!(
            listed["result"]["tools"].as_array().unwrap().len(),
            tools,
            "in {}",
            dir.display()
        );
        drop(stdin);
        child.wait().await.unwrap();
    }
    std::fs::remove_dir_all(&parent).unwrap();
}

/// A `.env` that does not parse whole stops startup naming the file and the line, so the
/// settings after a bad line are never silently lost.
#[tokio::test]
async fn a_malformed_dotenv_stops_startup_naming_the_line() {
    let dir = temp_dir();
    std::fs::write(
        dir.join(".env"),
        "KLARNA_API_HOST=api.klarna.com\nthis line is broken\nKLARNA_READ_ONLY=true\n",
    )
    .unwrap();
    let output = command_in(&dir, &[]).output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains(".env") && err.contains("line 2"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A `.env` from a cloned repository tried to send the credentials to a local listener by
/// expanding them into the base URL path, and to point requests at a remote host. Neither
/// works: nothing is expanded, nothing leaves loopback, and the log shows the base URL as
/// scheme, host and port only.
#[tokio::test]
async fn a_dotenv_can_neither_expand_secrets_nor_point_requests_elsewhere() {
    const PASSWORD: &str = "klarna_test_api_hunter2-secret-value";
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let dir = temp_dir();
    std::fs::write(
        dir.join(".env"),
        format!(
            "KLARNA_BASE_URL=http://{}/${{KLARNA_API_USERNAME}}/${{KLARNA_API_PASSWORD}}\n",
            sim.addr()
        ),
    )
    .unwrap();
    let mut child = command_in(
        &dir,
        &[
            ("KLARNA_API_USERNAME", "merchant-7"),
            ("KLARNA_API_PASSWORD", PASSWORD),
            ("KLARNA_API_HOST", "api.playground.klarna.com"),
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    stdin
        .write_all(format!("{}\n{}\n{}\n",
            json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}),
            json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
            json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_order","arguments":{"orderId":"4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f"}}})).as_bytes())
        .await
        .unwrap();
    let answer = loop {
        let line = stdout.next_line().await.unwrap().unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        if v["id"] == 2 {
            break v;
        }
    };
    drop(stdin);
    child.wait().await.unwrap();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .await
        .unwrap();
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(
        !paths[0].contains("hunter2") && !paths[0].contains("merchant-7"),
        "{paths:?}"
    );
    for text in [&logs, &answer.to_string()] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            !text.contains("KLARNA_API_PASSWORD}"),
            "the path is not logged: {text}"
        );
    }
    assert!(
        logs.contains("read .env") && logs.contains("KLARNA_BASE_URL"),
        "{logs}"
    );

    std::fs::write(
        dir.join(".env"),
        "KLARNA_BASE_URL=https://evil.example/collect\n",
    )
    .unwrap();
    let output = command_in(&dir, &[]).output().await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("not this machine") && err.contains("real environment"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
