//! `klarna-mcp probe`: the container's health check, against the real team server.

use std::process::Stdio;

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

async fn probe(url: &str) -> std::process::Output {
    Command::new(BIN)
        .args(["probe", url])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn probe_says_whether_the_team_server_answers() {
    let mut server = Command::new(BIN)
        .args(["serve", "--http", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", crate::fresh_journal())
        .current_dir(std::env::temp_dir())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next_line().await.unwrap().expect("the server ended");
        if line.contains("serving MCP over HTTP")
            && let Some(rest) = line.split("address=").nth(1)
        {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let up = probe(&format!("http://{addr}/healthz")).await;
    assert!(up.status.success(), "{up:?}");
    let ready = probe(&format!("http://{addr}/readyz")).await;
    assert!(
        ready.status.success(),
        "the journal takes writes: {ready:?}"
    );
    let missing = probe(&format!("http://{addr}/no-such-path")).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));

    server.start_kill().unwrap();
    server.wait().await.unwrap();
    let down = probe(&format!("http://{addr}/healthz")).await;
    assert_eq!(down.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&down.stderr).contains("did not answer"),
        "{down:?}"
    );
    let bad = probe("ftp://127.0.0.1/").await;
    assert_eq!(bad.status.code(), Some(2));
}

/// A team server whose journal cannot be opened or written does not start: a replica that
/// would refuse every write is found at deployment, not by the first refund.
#[tokio::test]
async fn the_team_server_does_not_start_on_a_journal_it_cannot_write() {
    let dir = crate::fresh_journal();
    let parent = dir.parent().unwrap();
    std::fs::create_dir_all(parent).unwrap();
    // A regular file where the journal's directory should be: not even root can create the
    // journal under it.
    let blocker = parent.join("not-a-directory");
    std::fs::write(&blocker, b"").unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--http", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", blocker.join("journal.sqlite3"))
        .current_dir(std::env::temp_dir())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("does not start without a journal it can write to"),
        "{stderr}"
    );
    assert!(!stderr.contains("serving MCP over HTTP"), "{stderr}");
    let _ = std::fs::remove_dir_all(parent);
}

/// A read-only team server never writes: a journal it cannot write does not stop it, and
/// `/readyz` has no journal check.
#[tokio::test]
async fn a_read_only_team_server_starts_on_a_journal_it_cannot_write() {
    let dir = crate::fresh_journal();
    let parent = dir.parent().unwrap();
    std::fs::create_dir_all(parent).unwrap();
    let blocker = parent.join("not-a-directory");
    std::fs::write(&blocker, b"").unwrap();
    let mut server = Command::new(BIN)
        .args(["serve", "--http", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", blocker.join("journal.sqlite3"))
        .env("KLARNA_READ_ONLY", "true")
        .current_dir(std::env::temp_dir())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next_line().await.unwrap().expect("the server ended");
        if line.contains("serving MCP over HTTP")
            && let Some(rest) = line.split("address=").nth(1)
        {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let ready = probe(&format!("http://{addr}/readyz")).await;
    assert!(ready.status.success(), "{ready:?}");
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    let _ = std::fs::remove_dir_all(parent);
}
