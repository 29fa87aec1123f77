//! Liveness and readiness of the team server: `/healthz` answers while the process serves;
//! `/readyz` is `503` with the reason while the journal cannot take a write or the OAuth
//! issuer's keys cannot be refreshed, and `200` again once they can. A journal that fails is
//! logged at ERROR once for the whole episode and at INFO when it works again, and writes
//! meanwhile are refused before anything is sent.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::future::BoxFuture;
use klarna_mcp::{
    auth::jwks::JwksPolicy,
    journal::{
        Decide, Journal, JournalError, JournalStore, Outcome, Record, RecordFilter, SqliteJournal,
    },
    simulator::SeedOrder,
};
use serde_json::{Value, json};

use crate::{
    harness::{Running, call, config, http, legacy_client, start_klarna_on, start_whoami, text},
    issuer::TestIssuer,
};

/// A journal whose disk can fail: while `broken`, every operation fails as SQLite does on an
/// I/O error; otherwise an in-memory SQLite journal answers.
struct BreakableStore {
    inner: SqliteJournal,
    broken: Arc<AtomicBool>,
}

impl BreakableStore {
    fn fail(&self) -> Result<(), JournalError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(JournalError {
                location: "/srv/klarna-mcp/journal.sqlite3".into(),
                detail: "error returned from database: (code: 10) disk I/O error".into(),
            });
        }
        Ok(())
    }
}

impl JournalStore for BreakableStore {
    fn describe(&self) -> String {
        "/srv/klarna-mcp/journal.sqlite3".into()
    }

    fn decide_and_append<'a>(
        &'a self,
        order_id: &'a str,
        idempotency_key: &'a str,
        decide: Decide<'a, Outcome>,
    ) -> BoxFuture<'a, Result<Outcome, JournalError>> {
        Box::pin(async move {
            self.fail()?;
            self.inner
                .decide_and_append(order_id, idempotency_key, decide)
                .await
        })
    }

    fn records<'a>(
        &'a self,
        filter: &'a RecordFilter,
    ) -> BoxFuture<'a, Result<Vec<Record>, JournalError>> {
        Box::pin(async move {
            self.fail()?;
            self.inner.records(filter).await
        })
    }

    fn probe(&self) -> BoxFuture<'_, Result<(), JournalError>> {
        Box::pin(async move {
            self.fail()?;
            self.inner.probe().await
        })
    }
}

/// What the server logs, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(String::from)
            .collect()
    }
}

async fn get(server: &Running, path: &str) -> (u16, Option<String>, Value) {
    let response = http()
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, response.json().await.unwrap())
}

/// Asks `/readyz` until it says `want` (each answer comes from a probe at most a second
/// old, so the change shows within a few tries); panics after 200.
async fn readyz_until(server: &Running, want: u16) -> Value {
    for _ in 0..200 {
        let (status, _, body) = get(server, "/readyz").await;
        if status == want {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/readyz never answered {want}");
}

/// The journal's disk fails while the server runs: `/readyz` turns 503 with the reason
/// (and `/healthz` stays 200), one ERROR line says so however many calls fail, writes are
/// refused with nothing sent while reads go on, and once the disk works again `/readyz` is
/// 200, an INFO line says so, and the next write is recorded and sent.
#[tokio::test]
async fn a_journal_that_fails_makes_the_server_unready_refuses_writes_and_recovers() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    // The test runs on one thread, with every task of the server on it: this catches them all.
    let _logging = tracing::subscriber::set_default(subscriber);

    let broken = Arc::new(AtomicBool::new(false));
    let store = BreakableStore {
        inner: SqliteJournal::in_memory().await.unwrap(),
        broken: broken.clone(),
    };
    let journal = Journal::with_store(Arc::new(store), Duration::from_secs(900));
    let server = start_klarna_on(config(&[]), true, |_| {}, Some(journal)).await;
    let sim = server.sim.clone().unwrap();
    let order = sim.seed(SeedOrder::new(10000, "EUR"));
    let client = legacy_client(&server.mcp, None).await;
    let captures = || {
        sim.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/captures"))
            .count()
    };

    let (status, _, body) = get(&server, "/readyz").await;
    assert_eq!((status, &body["checks"]["journal"]), (200, &json!("ok")));
    let done = call(
        &client,
        "capture_order",
        json!({ "orderId": order, "amount": 1000 }),
    )
    .await;
    assert_eq!(done.is_error, Some(false), "{}", text(&done));
    assert_eq!(captures(), 1);

    // The disk fails: the next write finds out, and is refused with nothing sent.
    broken.store(true, Ordering::SeqCst);
    for amount in [1000, 2000] {
        let refused = call(
            &client,
            "capture_order",
            json!({ "orderId": order, "amount": amount }),
        )
        .await;
        let said = text(&refused);
        assert_eq!(refused.is_error, Some(true), "{said}");
        assert!(
            said.contains("cannot be recorded first")
                && said.contains("disk I/O error")
                && said.contains("Nothing was sent to Klarna"),
            "{said}"
        );
        assert!(
            !said.contains("/srv/klarna-mcp"),
            "no path in a result: {said}"
        );
    }
    assert_eq!(captures(), 1, "nothing was sent while the journal failed");
    let (status, retry_after, body) = get(&server, "/readyz").await;
    assert_eq!(status, 503, "{body} {:#?}", log.lines());
    assert_eq!(body["status"], "not_ready");
    assert!(retry_after.is_some());
    let reason = body["checks"]["journal"].as_str().unwrap();
    assert!(reason.contains("cannot take writes"), "{reason}");
    assert!(
        !reason.contains("disk I/O error"),
        "the driver's text stays in the log: {reason}"
    );
    assert!(
        !reason.contains("/srv/klarna-mcp"),
        "no path in /readyz: {reason}"
    );
    assert_eq!(get(&server, "/healthz").await.0, 200);
    let read = call(&client, "get_order", json!({ "orderId": order })).await;
    assert_eq!(read.is_error, Some(false), "reads go on: {}", text(&read));
    let lines = log.lines();
    let errors: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("ERROR") && l.contains("operation journal cannot be used"))
        .collect();
    assert_eq!(errors.len(), 1, "one ERROR for the episode: {lines:#?}");
    assert!(errors[0].contains("disk I/O error"), "{}", errors[0]);

    // The disk works again.
    broken.store(false, Ordering::SeqCst);
    let body = readyz_until(&server, 200).await;
    assert_eq!(body["checks"]["journal"], "ok");
    let done = call(
        &client,
        "capture_order",
        json!({ "orderId": order, "amount": 2000 }),
    )
    .await;
    assert_eq!(done.is_error, Some(false), "{}", text(&done));
    assert_eq!(captures(), 2);
    let lines = log.lines();
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains(" INFO ") && l.contains("operation journal works again"))
            .count(),
        1,
        "{lines:#?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("operation journal cannot be used"))
            .count(),
        1,
        "{lines:#?}"
    );
    client.cancel().await.unwrap();
    server.stop().await.unwrap();
}

/// The OAuth issuer's keys are past their maximum age and its key set cannot be fetched:
/// `/readyz` says so, and is ready again once the issuer answers.
#[tokio::test]
async fn issuer_keys_that_cannot_be_refreshed_make_the_server_unready() {
    let issuer = TestIssuer::start().await;
    let mut config = config(&[("KLARNA_OAUTH_ISSUER", issuer.issuer.as_str())]);
    if let Some(oauth) = config.oauth.as_mut() {
        oauth.jwks = JwksPolicy {
            min_refresh_interval: Duration::ZERO,
            max_age: Duration::ZERO,
        };
    }
    let (server, _) = start_whoami(config).await;
    let (status, _, body) = get(&server, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["issuer_keys"], "ok");

    issuer.set_jwks_down(true);
    let (status, _, body) = get(&server, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let reason = body["checks"]["issuer_keys"].as_str().unwrap();
    assert!(reason.contains("could not be refreshed"), "{reason}");
    assert!(
        !reason.contains(issuer.issuer.as_str()) && !reason.contains("127.0.0.1"),
        "no address in /readyz: {reason}"
    );

    issuer.set_jwks_down(false);
    let (status, _, body) = get(&server, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    server.stop().await.unwrap();
}
