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
