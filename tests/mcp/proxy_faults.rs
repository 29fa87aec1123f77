//! An outside fault harness: a TCP proxy between the server and the simulator that drops,
//! delays and fails requests the way a network or gateway does — before Klarna sees them,
//! after Klarna applied them, or with its own 502. For every write tool and every fault,
//! no money moves twice and the outcome is reported right.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::common::{Harness, connect, order_args};
use klarna_mcp::{
    KlarnaServer,
    simulator::{SeedOrder, Simulator, SimulatorConfig},
};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// What the proxy does to one request.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Close the connection without forwarding: Klarna never sees it.
    DropBeforeForward,
    /// Forward, read Klarna's answer, then close without passing it on.
    DropAfterForward,
    /// Forward, then hold the answer this long before passing it on.
    Delay(Duration),
    /// Answer 502 itself without forwarding.
    Gateway502,
}

#[derive(Clone, Default)]
struct Plan(Arc<Mutex<VecDeque<Fault>>>);

impl Plan {
    fn push(&self, fault: Fault, times: usize) {
        let mut q = self.0.lock().unwrap();
        q.extend(std::iter::repeat_n(fault, times));
    }
    fn next(&self) -> Option<Fault> {
        self.0.lock().unwrap().pop_front()
    }
}

/// Reads one HTTP/1.1 message (head + Content-Length body); `None` at EOF.
async fn read_message(stream: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            let total = end + 4 + len;
            while buf.len() < total {
                let mut chunk = [0_u8; 8192];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf.drain(..total).collect());
        }
        let mut chunk = [0_u8; 8192];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn serve_connection(mut client: TcpStream, upstream: std::net::SocketAddr, plan: Plan) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_buf, mut server_buf) = (Vec::new(), Vec::new());
    while let Some(request) = read_message(&mut client, &mut client_buf).await {
        let is_post = request.starts_with(b"POST ");
        let fault = if is_post { plan.next() } else { None };
        match fault {
            Some(Fault::DropBeforeForward) => return,
            Some(Fault::Gateway502) => {
                let body = "<html>502 Bad Gateway</html>";
                let reply = format!(
                    "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if client.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
                continue;
            }
            _ => {}
        }
        if server.write_all(&request).await.is_err() {
            return;
        }
        let Some(response) = read_message(&mut server, &mut server_buf).await else {
            return;
        };
        match fault {
            Some(Fault::DropAfterForward) => return,
            Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
            _ => {}
        }
        if client.write_all(&response).await.is_err() {
            return;
        }
    }
}

/// Starts the proxy in front of `upstream`; returns its base URL.
async fn proxy(upstream: std::net::SocketAddr, plan: Plan) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(serve_connection(socket, upstream, plan.clone()));
        }
    });
    format!("http://{addr}")
}

async fn harness() -> (Harness, Plan) {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let plan = Plan::default();
    let url = proxy(sim.addr(), plan.clone()).await;
    let mut config = crate::common::config_for(&sim);
    config.client.base_url = Some(klarna_mcp::klarna::BaseUrl::new(&url));
    config.client.retry.attempt_timeout = Duration::from_millis(1500);
    let client = connect(KlarnaServer::new(config).unwrap()).await;
    (Harness { sim, client }, plan)
}

/// (tool, seed, args, how many captures+refunds+state changes to expect once applied)
fn writes() -> Vec<(&'static str, SeedOrder, Value)> {
    vec![
        (
            "capture_order",
            SeedOrder::new(10000, "EUR"),
            json!({ "amount": 2500 }),
        ),
        (
            "refund_order",
            SeedOrder::new(10000, "EUR").captured(10000),
            json!({ "amount": 2500 }),
        ),
        ("cancel_order", SeedOrder::new(10000, "EUR"), json!({})),
        (
            "release_remaining_authorization",
            SeedOrder::new(10000, "EUR").captured(7500),
            json!({}),
        ),
    ]
}

/// A fingerprint of what the write changed: (captures, refunds, captured, refunded, remaining, status).
fn effect(h: &Harness, id: &str) -> (usize, usize, i64, i64, i64, String) {
    let s = h.sim.snapshot(id).unwrap();
    (
        s.captures.len(),
        s.refunds.len(),
        s.captured_amount,
        s.refunded_amount,
        s.remaining_authorized_amount,
        s.status,
    )
}

#[tokio::test]
async fn one_fault_is_survived_and_the_write_applies_exactly_once() {
    for fault in [
        Fault::DropBeforeForward,
        Fault::DropAfterForward,
        Fault::Delay(Duration::from_millis(3000)),
        Fault::Gateway502,
    ] {
        for (tool, seed, args) in writes() {
            // the effect of a clean run, for comparison
            let (clean, _) = harness().await;
            let clean_id = clean.seed(seed.clone());
            clean.ok(tool, order_args(&clean_id, args.clone())).await;
            let expected = effect(&clean, &clean_id);

            let (h, plan) = harness().await;
            let id = h.seed(seed);
            plan.push(fault, 1);
            h.ok(tool, order_args(&id, args)).await;
            assert_eq!(
                effect(&h, &id),
                expected,
                "{tool} {fault:?}: applied other than once"
            );
        }
    }
}

#[tokio::test]
async fn faults_on_every_attempt_give_an_unknown_outcome_never_a_double_write() {
    for fault in [
        Fault::DropBeforeForward,
        Fault::DropAfterForward,
        Fault::Gateway502,
    ] {
        for (tool, seed, args) in writes() {
            let (h, plan) = harness().await;
            let id = h.seed(seed);
            let untouched = effect(&h, &id);
            plan.push(fault, 3);
            let text = h.err(tool, order_args(&id, args.clone())).await;
            assert!(text.contains("OUTCOME UNKNOWN"), "{tool} {fault:?}: {text}");
            let key = text
                .rsplit("Idempotency key: ")
                .next()
                .unwrap()
                .trim_end_matches('.')
                .to_string();
            let after_faults = effect(&h, &id);
            match fault {
                Fault::DropAfterForward => {
                    assert_ne!(after_faults, untouched, "{tool}: Klarna applied it once")
                }
                _ => assert_eq!(
                    after_faults, untouched,
                    "{tool} {fault:?}: nothing reached Klarna"
                ),
            }
            // repeating with the key settles it: applied exactly once either way
            let mut repeat = order_args(&id, args);
            repeat["idempotencyKey"] = json!(key);
            h.ok(tool, repeat.clone()).await;
            let settled = effect(&h, &id);
            assert_ne!(settled, untouched, "{tool} {fault:?}");
            if matches!(fault, Fault::DropAfterForward) {
                assert_eq!(
                    settled, after_faults,
                    "{tool}: the repeat must replay, not apply again"
                );
            }
            h.ok(tool, repeat).await;
            assert_eq!(
                effect(&h, &id),
                settled,
                "{tool} {fault:?}: a second repeat changed something"
            );
        }
    }
}
