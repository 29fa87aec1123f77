//! `cargo bench --bench perf`: start-up, per-call overhead, parallelism, connection reuse
//! and memory of the release binary, against the built-in simulator on loopback.
//!
//! Prints one table. Figures are wall-clock and vary with the machine; the ratios are what
//! to compare. Set `PERF_QUICK=1` for a fast smoke run with fewer iterations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use klarna_mcp::{
    journal::{self, Journal, JournalLocation, NewRecord, Verdict},
    simulator::{DEMO_PASSWORD, DEMO_USERNAME, SeedOrder, Simulator, SimulatorConfig},
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{Child, ChildStdin, ChildStdout},
};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

/// The server as a child process spoken to in raw JSON-RPC lines.
struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    next_id: u64,
}

impl Server {
    fn spawn(sim: &Simulator) -> Server {
        Server::spawn_with_journal(sim, &fresh_journal_path())
    }

    fn spawn_with_journal(sim: &Simulator, journal: &std::path::Path) -> Server {
        let mut child = tokio::process::Command::new(BIN)
            .env_clear()
            .env("KLARNA_API_USERNAME", DEMO_USERNAME)
            .env("KLARNA_API_PASSWORD", DEMO_PASSWORD)
            .env("KLARNA_BASE_URL", sim.base_url())
            .env("RUST_LOG", "warn")
            .env("KLARNA_JOURNAL", journal)
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {BIN}: {e}"));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Server {
            child,
            stdin,
            stdout,
            next_id: 0,
        }
    }

    async fn send(&mut self, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let msg =
            json!({ "jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params });
        self.stdin
            .write_all(format!("{msg}\n").as_bytes())
            .await
            .unwrap();
        self.next_id
    }

    async fn notify(&mut self, method: &str) {
        let msg = json!({ "jsonrpc": "2.0", "method": method });
        self.stdin
            .write_all(format!("{msg}\n").as_bytes())
            .await
            .unwrap();
    }

    async fn recv(&mut self) -> Value {
        loop {
            let line = self
                .stdout
                .next_line()
                .await
                .unwrap()
                .expect("server closed stdout");
            let v: Value = serde_json::from_str(&line).unwrap();
            if v.get("id").is_some() {
                return v;
            }
        }
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params).await;
        self.recv().await
    }

    async fn initialize(&mut self) -> Value {
        let params = json!({ "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": { "name": "perf", "version": "0" } });
        let reply = self.request("initialize", params).await;
        self.notify("notifications/initialized").await;
        reply
    }

    async fn get_order(&mut self, order_id: &str) {
        let reply = self
            .request(
                "tools/call",
                json!({ "name": "get_order", "arguments": { "orderId": order_id } }),
            )
            .await;
        assert_eq!(reply["result"]["isError"], false, "{reply}");
    }

    fn rss_kib(&self) -> u64 {
        let pid = self.child.id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    async fn close(mut self) {
        drop(self.stdin);
        let _ = self.child.wait().await;
    }
}

/// A capture of the kind the server records, on an order of its own.
fn bench_record(i: usize) -> NewRecord {
    NewRecord {
        op_id: uuid::Uuid::new_v4().to_string(),
        recorded_at: journal::now(),
        tool: "capture_order".into(),
        api_host: "api.klarna.com".into(),
        order_id: format!("4f1c0b7e-2a3d-4c5e-8f90-{i:012x}"),
        amount: 3500,
        amount_was_everything: false,
        currency: "EUR".into(),
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        key_from_caller: false,
        body_digest: "0".repeat(64),
        client_name: Some("bench".into()),
        client_version: Some("1".into()),
        principal: None,
        confirmed: false,
        verdict: Verdict::Pending,
        created_id: None,
        correlation_id: None,
        http_status: None,
        error_code: None,
        note: None,
        target_id: None,
    }
}

fn fresh_journal_path() -> std::path::PathBuf {
    std::env::temp_dir()
        .join(format!("klarna-mcp-bench-{}", uuid::Uuid::new_v4()))
        .join("journal.sqlite3")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let quick = std::env::var_os("PERF_QUICK").is_some();
    let (starts, calls, rss_calls) = if quick {
        (5, 100, 1_000)
    } else {
        (30, 2_000, 10_000)
    };
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let order = sim.seed(SeedOrder::new(10500, "EUR").captured(5000));
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // 1. cold start: spawn → initialize answered; then tools/list. The first start creates
    // the journal (file, WAL, migrations); the others open the existing one, as every later
    // start of an installed server does.
    let journal_path = fresh_journal_path();
    let mut first_start = Duration::ZERO;
    let mut init = Vec::new();
    let mut list = Vec::new();
    for run in 0..=starts {
        let t0 = Instant::now();
        let mut server = Server::spawn_with_journal(&sim, &journal_path);
        server.initialize().await;
        if run == 0 {
            first_start = t0.elapsed();
            server.close().await;
            continue;
        }
        init.push(t0.elapsed());
        let t1 = Instant::now();
        let tools = server.request("tools/list", json!({})).await;
        list.push(t1.elapsed());
        assert_eq!(tools["result"]["tools"].as_array().unwrap().len(), 7);
        server.close().await;
    }
    init.sort();
    list.sort();
    rows.push((
        "first start, creating the journal → initialize answered".into(),
        ms(first_start),
        "-".into(),
    ));
    rows.push((
        "cold start (journal exists) → initialize answered".into(),
        format!(
            "median {}, p90 {} ({starts} runs)",
            ms(percentile(&init, 0.5)),
            ms(percentile(&init, 0.9))
        ),
        "median ≤ 20 ms".into(),
    ));
    rows.push((
        "tools/list right after".into(),
        format!("median {}", ms(percentile(&list, 0.5))),
        "-".into(),
    ));

    // 2. per-call overhead: MCP get_order vs a direct keep-alive GET of the same order.
    let mut server = Server::spawn(&sim);
    server.initialize().await;
    for _ in 0..50 {
        server.get_order(&order).await;
    }
    // Interleaved, one MCP call then one direct GET, so both see the same machine state
    // (a drift in background load would otherwise skew the ratio).
    let http = reqwest::Client::new();
    let url = format!("{}/ordermanagement/v1/orders/{order}", sim.base_url());
    let raw_get = || async {
        let body = http
            .get(&url)
            .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(!body.is_empty());
    };
    for _ in 0..50 {
        raw_get().await;
    }
    let mut mcp = Vec::with_capacity(calls);
    let mut raw = Vec::with_capacity(calls);
    for _ in 0..calls {
        let t = Instant::now();
        server.get_order(&order).await;
        mcp.push(t.elapsed());
        let t = Instant::now();
        raw_get().await;
        raw.push(t.elapsed());
    }
    mcp.sort();
    raw.sort();
    let ratio = percentile(&mcp, 0.5).as_secs_f64() / percentile(&raw, 0.5).as_secs_f64();
    rows.push((
        format!("get_order via MCP stdio ({calls} calls)"),
        format!(
            "p50 {}, p99 {}",
            ms(percentile(&mcp, 0.5)),
            ms(percentile(&mcp, 0.99))
        ),
        "-".into(),
    ));
    rows.push((
        format!("direct keep-alive HTTP GET ({calls} calls)"),
        format!(
            "p50 {}, p99 {}",
            ms(percentile(&raw, 0.5)),
            ms(percentile(&raw, 0.99))
        ),
        "-".into(),
    ));
    rows.push((
        "per-call ratio MCP / raw (p50)".into(),
        format!("{ratio:.2}×"),
        "≤ 2.0×".into(),
    ));

    // 3. parallelism: 64 concurrent calls with 100 ms of simulated Klarna latency.
    sim.set_latency(Duration::from_millis(100));
    let t = Instant::now();
    server.get_order(&order).await;
    let one = t.elapsed();
    let t = Instant::now();
    for _ in 0..64 {
        server
            .send(
                "tools/call",
                json!({ "name": "get_order", "arguments": { "orderId": order } }),
            )
            .await;
    }
    for _ in 0..64 {
        let reply = server.recv().await;
        assert_eq!(reply["result"]["isError"], false, "{reply}");
    }
    let sixty_four = t.elapsed();
    sim.set_latency(Duration::ZERO);
    rows.push((
        "64 parallel get_order, 100 ms latency".into(),
        format!(
            "{} vs one call {} = {:.2}×",
            ms(sixty_four),
            ms(one),
            sixty_four.as_secs_f64() / one.as_secs_f64()
        ),
        "≤ 1.5×".into(),
    ));
    server.close().await;

    // 4. connection reuse: a fresh server, 1,000 sequential calls, connections accepted.
    // 5. memory: RSS of that server after 100 and after `rss_calls` calls; binary size.
    let mut server = Server::spawn(&sim);
    server.initialize().await;
    let connections_before = sim.connections_accepted();
    let mut rss_100 = 0;
    for i in 0..rss_calls.max(1_000) {
        server.get_order(&order).await;
        if i + 1 == 100 {
            rss_100 = server.rss_kib();
        }
        if i + 1 == 1_000 {
            let used = sim.connections_accepted() - connections_before;
            rows.push((
                "TCP connections for 1,000 sequential calls (fresh server)".into(),
                used.to_string(),
                "1".into(),
            ));
        }
    }
    let rss_n = server.rss_kib();
    server.close().await;
    rows.push((
        "RSS after 100 calls".into(),
        format!("{:.1} MiB", rss_100 as f64 / 1024.0),
        "-".into(),
    ));
    rows.push((
        format!("RSS after {rss_calls} calls"),
        format!(
            "{:.1} MiB ({:.2}× of 100)",
            rss_n as f64 / 1024.0,
            rss_n as f64 / rss_100.max(1) as f64
        ),
        "≤ 1.2×".into(),
    ));
    // 7. the team server: get_order over Streamable HTTP (2026-07-28, stateless) at 1, 16 and
    // 64 concurrent clients, against direct HTTP GETs of the simulator at the same
    // concurrency.
    let per_level = if quick { 128 } else { 1_024 };
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut http_server = tokio::process::Command::new(BIN)
        .args(["serve", "--http", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("KLARNA_API_USERNAME", DEMO_USERNAME)
        .env("KLARNA_API_PASSWORD", DEMO_PASSWORD)
        .env("KLARNA_BASE_URL", sim.base_url())
        .env("KLARNA_HTTP_RATE_LIMIT", "0")
        .env("KLARNA_JOURNAL", "memory")
        .env("RUST_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mcp_url = format!("http://127.0.0.1:{port}/mcp");
    let probe = reqwest::Client::new();
    while probe
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for clients in [1_usize, 16, 64] {
        let calls_each = per_level / clients;
        let mut sessions = Vec::new();
        for _ in 0..clients {
            let transport =
                rmcp::transport::StreamableHttpClientTransport::from_uri(mcp_url.clone());
            let client = rmcp::ClientServiceExt::serve_with_lifecycle(
                rmcp::model::ClientConfig::default(),
                transport,
                rmcp::ClientLifecycleMode::Discover {
                    preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28],
                },
            )
            .await
            .unwrap();
            sessions.push(client);
        }
        let args = rmcp::model::object(json!({ "orderId": order }));
        let t = Instant::now();
        let mut tasks = Vec::new();
        for client in sessions {
            let args = args.clone();
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::with_capacity(calls_each);
                for _ in 0..calls_each {
                    let t = Instant::now();
                    let r = client
                        .call_tool(
                            rmcp::model::CallToolRequestParams::new("get_order")
                                .with_arguments(args.clone()),
                        )
                        .await
                        .unwrap();
                    assert_eq!(r.is_error, Some(false));
                    times.push(t.elapsed());
                }
                let _ = client.cancel().await;
                times
            }));
        }
        let mut mcp_times = Vec::new();
        for task in tasks {
            mcp_times.extend(task.await.unwrap());
        }
        let mcp_wall = t.elapsed();
        let raw_client = reqwest::Client::new();
        let url = format!("{}/ordermanagement/v1/orders/{order}", sim.base_url());
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (client, url) = (raw_client.clone(), url.clone());
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::with_capacity(calls_each);
                for _ in 0..calls_each {
                    let t = Instant::now();
                    let body = client
                        .get(&url)
                        .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
                        .send()
                        .await
                        .unwrap()
                        .bytes()
                        .await
                        .unwrap();
                    assert!(!body.is_empty());
                    times.push(t.elapsed());
                }
                times
            }));
        }
        let mut raw_times = Vec::new();
        for task in tasks {
            raw_times.extend(task.await.unwrap());
        }
        let raw_wall = t.elapsed();
        mcp_times.sort();
        raw_times.sort();
        let n = mcp_times.len() as f64;
        rows.push((
            format!(
                "HTTP get_order, {clients} concurrent client(s), {} calls",
                mcp_times.len()
            ),
            format!(
                "{:.0} calls/s, p50 {}, p99 {} — direct GET: {:.0}/s, p50 {}, p99 {}",
                n / mcp_wall.as_secs_f64(),
                ms(percentile(&mcp_times, 0.5)),
                ms(percentile(&mcp_times, 0.99)),
                raw_times.len() as f64 / raw_wall.as_secs_f64(),
                ms(percentile(&raw_times, 0.5)),
                ms(percentile(&raw_times, 0.99)),
            ),
            "-".into(),
        ));
    }
    let _ = http_server.kill().await;

    // 6. the operation journal's cost per write: the pending record before sending and the
    // verdict after, each a durable (fsynced) SQLite transaction in a file.
    let writes = if quick { 50 } else { 1_000 };
    let dir = std::env::temp_dir().join(format!("klarna-mcp-bench-{}", uuid::Uuid::new_v4()));
    let journal = Journal::open(
        &JournalLocation::Sqlite(dir.join("journal.sqlite3")),
        Duration::from_secs(900),
    )
    .await
    .unwrap();
    let mut cost = Vec::with_capacity(writes);
    for i in 0..writes {
        let attempt = bench_record(i);
        let t = Instant::now();
        assert!(journal.begin(attempt.clone()).await.unwrap().is_none());
        journal
            .finish(NewRecord {
                verdict: Verdict::Applied,
                created_id: Some(uuid::Uuid::new_v4().to_string()),
                http_status: Some(201),
                recorded_at: journal::now(),
                ..attempt
            })
            .await
            .unwrap();
        cost.push(t.elapsed());
    }
    cost.sort();
    rows.push((
        format!("journal cost per write: pending + verdict, SQLite file ({writes} writes)"),
        format!(
            "p50 {}, p99 {}",
            ms(percentile(&cost, 0.5)),
            ms(percentile(&cost, 0.99))
        ),
        "small beside a Klarna round trip (~100 ms+)".into(),
    ));
    let _ = std::fs::remove_dir_all(&dir);

    let size = std::fs::metadata(BIN).map(|m| m.len()).unwrap_or(0);
    rows.push((
        "release binary size".into(),
        format!("{:.1} MiB", size as f64 / (1024.0 * 1024.0)),
        "-".into(),
    ));

    println!(
        "\nklarna-mcp performance ({} cores, {})",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        if quick { "PERF_QUICK" } else { "full run" }
    );
    println!("| measure | result | target |");
    println!("|---|---|---|");
    for (m, r, t) in rows {
        println!("| {m} | {r} | {t} |");
    }
    sim.shutdown();
}
