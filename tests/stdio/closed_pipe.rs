//! Output to a reader that went away: every command that writes to stdout stops quietly —
//! no panic, status 0 (`journal verify` keeps its verdict) — when stdout is a pipe whose
//! reader is gone, whether it left before the first line or in the middle of a large output
//! (`klarna-mcp journal export --jsonl | head -c 10`).

use std::{
    io::Read as _,
    net::TcpListener,
    process::{Command, Output, Stdio},
    time::Duration,
};

use klarna_mcp::simulator::{SeedOrder, Simulator, SimulatorConfig};
use rmcp::{ServiceExt, transport::TokioChildProcess};
use serde_json::json;

use crate::journal::{call, server};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

/// Captures this many times, so the journal's export (two records each) is far larger than a
/// pipe's buffer (64 KiB on Linux): its writer must meet the closed pipe.
const CAPTURES: usize = 120;

/// A journal with `CAPTURES` applied captures, keys `bulk-0`, `bulk-1`, …
async fn large_journal() -> std::path::PathBuf {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let order = sim.seed(SeedOrder::new(1_000_000, "EUR"));
    let journal = crate::fresh_journal();
    let (transport, _) = TokioChildProcess::builder(server(&sim, &journal))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    for i in 0..CAPTURES {
        let receipt = client
            .call_tool(call(
                "capture_order",
                json!({ "orderId": order, "amount": 100, "idempotencyKey": format!("bulk-{i}") }),
            ))
            .await
            .unwrap();
        assert_eq!(receipt.is_error, Some(false));
    }
    client.cancel().await.unwrap();
    journal
}

fn command(args: &[&str], journal: &std::path::Path) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", journal)
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null());
    c
}

/// The write end of a pipe whose reader is already gone.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

fn assert_quiet(what: &str, out: &Output, status: i32) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{what}: {stderr}"
    );
    assert_eq!(out.status.code(), Some(status), "{what}: {stderr}");
}

#[tokio::test]
async fn every_command_stops_quietly_when_stdout_is_closed() {
    let journal = large_journal().await;
    for (args, status) in [
        (&["journal", "list"][..], 0),
        (&["journal", "list", "--json"], 0),
        (&["journal", "show", "bulk-7"], 0),
        (&["journal", "verify"], 0),
        (&["journal", "export", "--jsonl"], 0),
        (&["config", "claude-desktop"], 0),
        (&["--demo", "config", "vscode"], 0),
        (&["token", "new", "--name", "ops", "--role", "read"], 0),
    ] {
        let out = command(args, &journal)
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_quiet(&args.join(" "), &out, status);
    }
    // A token nobody could read is no token: the line for the token file is not given either.
    let out = command(
        &["token", "new", "--name", "ops", "--role", "read"],
        &journal,
    )
    .stdout(closed_pipe())
    .output()
    .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Add this line"));
    std::fs::remove_dir_all(journal.parent().unwrap()).unwrap();
}

/// `journal export --jsonl | head -c 10`, many times: the reader leaves after a few bytes,
/// with most of the export still to be written.
#[tokio::test]
async fn a_reader_that_leaves_mid_export_ends_it_quietly() {
    let journal = large_journal().await;
    let full = command(&["journal", "export", "--jsonl"], &journal)
        .output()
        .unwrap();
    assert!(
        full.status.success() && full.stdout.len() > 2 * 64 * 1024,
        "the export must outgrow a pipe's buffer: {} bytes",
        full.stdout.len()
    );
    for args in [
        &["journal", "export", "--jsonl"][..],
        &["journal", "list", "--json", "--limit", "1000"],
    ] {
        for run in 0..20 {
            let mut child = command(args, &journal)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut head = [0u8; 10];
            child.stdout.take().unwrap().read_exact(&mut head).unwrap();
            // the reader is dropped here, with the rest unread
            let out = child.wait_with_output().unwrap();
            assert_quiet(&format!("{} (run {run})", args.join(" ")), &out, 0);
        }
    }
    std::fs::remove_dir_all(journal.parent().unwrap()).unwrap();
}

/// The simulator's listing is a courtesy: with nobody reading it, the simulator still serves
/// until it is stopped, and stops cleanly.
#[cfg(unix)]
#[tokio::test]
async fn the_simulator_serves_on_when_nobody_reads_its_listing() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut simulator = tokio::process::Command::from(command(
        &["simulator", "--listen", &addr.to_string()],
        std::path::Path::new("unused"),
    ));
    let child = simulator
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Serving: a lookup of an order it never issued is answered.
    let url = format!(
        "http://{addr}/api.klarna.com/ordermanagement/v1/orders/00000000-0000-4000-8000-000000000000"
    );
    let mut attempts = 0;
    let status = loop {
        attempts += 1;
        assert!(attempts < 1000, "the simulator never answered on {addr}");
        match reqwest::Client::new()
            .get(&url)
            .basic_auth(
                klarna_mcp::simulator::DEMO_USERNAME,
                Some(klarna_mcp::simulator::DEMO_PASSWORD),
            )
            .send()
            .await
        {
            Ok(response) => break response.status(),
            // not listening yet
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    assert_eq!(status, 404);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
