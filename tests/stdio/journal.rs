//! The operation journal across a crash and from the command line: a server killed while a
//! capture was in flight leaves it `pending`; the next server on the same journal shows it,
//! refuses the same capture without a key, and settles it — one money movement — when it
//! is repeated with the key. `klarna-mcp journal` lists, shows, verifies and exports.

use std::{process::Stdio, time::Duration};

use klarna_mcp::simulator::{
    DEMO_PASSWORD, DEMO_USERNAME, Fault, FaultRule, Operation, SeedOrder, Simulator,
    SimulatorConfig,
};
use rmcp::{
    ServiceExt,
    model::CallToolRequestParams,
    transport::{ConfigureCommandExt, TokioChildProcess},
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

pub(crate) fn server(sim: &Simulator, journal: &std::path::Path) -> tokio::process::Command {
    let base = sim.base_url();
    let journal = journal.to_path_buf();
    tokio::process::Command::new(BIN).configure(move |c| {
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KLARNA_API_USERNAME", DEMO_USERNAME)
            .env("KLARNA_API_PASSWORD", DEMO_PASSWORD)
            .env("KLARNA_BASE_URL", &base)
            .env("KLARNA_JOURNAL", &journal)
            .env("KLARNA_LOG_FORMAT", "json")
            .current_dir(std::env::temp_dir())
            .kill_on_drop(true);
    })
}

pub(crate) fn call(name: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_string()).with_arguments(rmcp::model::object(args))
}

fn text(result: &rmcp::model::CallToolResult) -> String {
    result.content[0].as_text().unwrap().text.clone()
}

#[tokio::test]
async fn a_write_in_flight_when_the_server_is_killed_is_pending_after_restart_and_settles_once() {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let order = sim.seed(SeedOrder::new(10000, "EUR"));
    let journal = crate::fresh_journal();
    // Klarna commits the capture, then takes its time answering: long enough to kill.
    sim.inject_fault(FaultRule::once(
        Operation::Capture,
        Fault::Delay(Duration::from_secs(30)),
    ));

    // 1. a capture goes out; the server is killed before the answer
    let mut child = server(&sim, &journal)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    for m in [
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}),
        json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"capture_order","arguments":{"orderId":order,"amount":3500,"reference":"SHIPMENT-778"}}}),
    ] {
        stdin.write_all(format!("{m}\n").as_bytes()).await.unwrap();
    }
    stdin.flush().await.unwrap();
    let _initialized = stdout.next_line().await.unwrap();
    while !sim.requests().iter().any(|r| r.method == "POST") {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let key = sim
        .requests()
        .iter()
        .find(|r| r.method == "POST")
        .and_then(|r| r.idempotency_key.clone())
        .unwrap();
    child.kill().await.unwrap(); // SIGKILL: no grace, no audit line
    child.wait().await.unwrap();

    // 2. a new server on the same journal
    let (transport, stderr) = TokioChildProcess::builder(server(&sim, &journal))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = stderr.unwrap();
    let logs = tokio::spawn(async move {
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs).await;
        logs
    });
    let client = ().serve(transport).await.unwrap();

    let seen = client
        .call_tool(call("get_order", json!({ "orderId": order })))
        .await
        .unwrap();
    let view = seen.structured_content.clone().unwrap();
    let unresolved = view["unresolvedWrites"].as_array().unwrap();
    assert_eq!(unresolved.len(), 1, "{view}");
    assert_eq!(unresolved[0]["verdict"], "pending");
    assert_eq!(unresolved[0]["idempotencyKey"], key.as_str());
    assert!(
        text(&seen).contains(&format!(
            "repeat capture_order with amount 3500 and idempotencyKey \"{key}\""
        )),
        "{}",
        text(&seen)
    );

    // the same capture without a key: refused, nothing sent
    let posts = || sim.requests().iter().filter(|r| r.method == "POST").count();
    let before = posts();
    let refused = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": order, "amount": 3500, "reference": "SHIPMENT-778" }),
        ))
        .await
        .unwrap();
    assert_eq!(refused.is_error, Some(true));
    assert!(text(&refused).contains(&key), "{}", text(&refused));
    assert_eq!(posts(), before);

    // with the key: Klarna answers with the capture it made; exactly one money movement
    let settled = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": order, "amount": 3500, "reference": "SHIPMENT-778", "idempotencyKey": key }),
        ))
        .await
        .unwrap();
    assert_eq!(settled.is_error, Some(false), "{}", text(&settled));
    assert_eq!(settled.structured_content.unwrap()["replayed"], true);
    let snapshot = sim.snapshot(&order).unwrap();
    assert_eq!(snapshot.captures.len(), 1);
    assert_eq!(snapshot.captured_amount, 3500);

    let ops = client
        .call_tool(call("list_operations", json!({ "orderId": order })))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    let verdicts: Vec<&str> = ops["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["replayed", "not_sent", "applied"], "{ops}");
    let after = client
        .call_tool(call("get_order", json!({ "orderId": order })))
        .await
        .unwrap()
        .structured_content
        .unwrap();
    assert!(after.get("unresolvedWrites").is_none(), "settled: {after}");
    client.cancel().await.unwrap();

    let logs = logs.await.unwrap();
    assert!(
        logs.contains("unresolved write in the journal") && logs.contains(&key),
        "the restart warned about it: {logs}"
    );
    assert!(
        logs.contains(&journal.display().to_string()),
        "the path is logged"
    );
}

/// `journal list`, `show`, `verify` and `export` read the journal a server wrote.
#[tokio::test]
async fn the_journal_commands_list_show_verify_and_export() {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let order = sim.seed(SeedOrder::new(10000, "EUR"));
    let journal = crate::fresh_journal();
    let (transport, _) = TokioChildProcess::builder(server(&sim, &journal))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    let receipt = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": order, "amount": 1000, "idempotencyKey": "cli-key-1" }),
        ))
        .await
        .unwrap();
    assert_eq!(receipt.is_error, Some(false));
    client.cancel().await.unwrap();

    let run = |args: &[&str]| {
        std::process::Command::new(BIN)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KLARNA_JOURNAL", &journal)
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    };
    let out = run(&["journal", "list"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        list.contains("capture of 10.00 EUR (1000)")
            && list.contains("applied")
            && list.contains("cli-key-1"),
        "{list}"
    );
    let out = run(&["journal", "list", "--json", "--verdict", "applied"]);
    let line: Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["orderId"], order.as_str());
    let out = run(&["journal", "show", "cli-key-1"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("\"verdict\": \"pending\"") && shown.contains("\"verdict\": \"applied\""),
        "{shown}"
    );
    let out = run(&["journal", "verify"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("intact: 2 records"));
    let out = run(&["journal", "export", "--jsonl"]);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[1]["prev_hash"], lines[0]["hash"]);
    let out = run(&["journal", "show", "no-such-key"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `journal verify` (and every journal command) reads: an archive copy is verified without
/// a byte or the file's mode changing, and a file that is not a journal — another SQLite
/// database, a text file — is refused, never called intact.
#[tokio::test]
async fn journal_commands_read_archives_without_changing_them_and_refuse_other_files() {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let order = sim.seed(SeedOrder::new(10000, "EUR"));
    let journal = crate::fresh_journal();
    let (transport, _) = TokioChildProcess::builder(server(&sim, &journal))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    let receipt = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": order, "amount": 1000, "idempotencyKey": "archive-1" }),
        ))
        .await
        .unwrap();
    assert_eq!(receipt.is_error, Some(false));
    client.cancel().await.unwrap();

    let dir = journal.parent().unwrap().to_path_buf();
    let archive = dir.join("archive-2026-12.sqlite3");
    let run = |args: &[&str], file: &std::path::Path| {
        std::process::Command::new(BIN)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KLARNA_JOURNAL", file)
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    };
    let out = run(&["journal", "backup", archive.to_str().unwrap()], &journal);
    assert!(out.status.success(), "{out:?}");
    // A backup never overwrites.
    let out = run(&["journal", "backup", archive.to_str().unwrap()], &journal);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;
    #[cfg(unix)]
    std::fs::set_permissions(&archive, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = std::fs::read(&archive).unwrap();
    let out = run(&["journal", "verify"], &archive);
    assert!(
        out.status.success()
            && String::from_utf8_lossy(&out.stdout).starts_with("intact: 2 records"),
        "{out:?}"
    );
    let out = run(&["journal", "list"], &archive);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("archive-1"),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read(&archive).unwrap(),
        before,
        "the archive changed"
    );
    #[cfg(unix)]
    assert_eq!(
        std::fs::metadata(&archive).unwrap().permissions().mode() & 0o777,
        0o444,
        "the archive's mode changed"
    );

    // Another SQLite database: no journal table.
    let other = dir.join("other.sqlite3");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", other.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE notes (body TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a database at all\n".repeat(100)).unwrap();
    for file in [&other, &text] {
        let out = run(&["journal", "verify"], file);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains("intact"), "{}: {stdout}", file.display());
        assert_ne!(out.status.code(), Some(0), "{}", file.display());
    }
    for file in [&other, &text] {
        let out = run(&["journal", "verify"], file);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not a klarna-mcp operation journal"),
            "{out:?}"
        );
    }
    // And nothing was added to them.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", other.display()))
        .await
        .unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(tables, ["notes"]);
}
