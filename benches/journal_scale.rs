//! `cargo bench --bench journal_scale`: what the journal costs as it grows — opening it (what
//! start-up does, with its report of unresolved writes), the guards' check before a write, a
//! write's two records, and listings — at 10^5 and 10^6 records. Each should stay flat as the
//! journal grows tenfold (they cost what they return); `verify` reads everything and grows.
//!
//! The journal is filled directly (one transaction, chained records as the server writes
//! them) so building a million records takes seconds, not the hours a million fsynced writes
//! would. `PERF_QUICK=1`: 10^4 and 10^5 records; `PERF_SMOKE=1`: 2,000 (what CI runs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use klarna_mcp::journal::{
    self, Journal, JournalLocation, NewRecord, OperationFilter, Verdict,
    record::{GENESIS, Record},
};

fn record(op: usize, verdict: Verdict) -> NewRecord {
    NewRecord {
        op_id: format!("00000000-0000-4000-8000-{op:012x}"),
        recorded_at: journal::now(),
        tool: "capture_order".into(),
        api_host: "api.klarna.com".into(),
        // A thousand orders, each with many operations: the guards read one order's records.
        order_id: format!("4f1c0b7e-2a3d-4c5e-8f90-{:012x}", op % 1000),
        amount: 100 + (op % 5000) as i64,
        amount_was_everything: false,
        currency: "EUR".into(),
        idempotency_key: format!("key-{op}"),
        key_from_caller: true,
        body_digest: "0".repeat(64),
        client_name: Some("bench".into()),
        client_version: Some("1".into()),
        principal: None,
        confirmed: false,
        verdict,
        created_id: (verdict == Verdict::Applied).then(|| format!("cap-{op}")),
        correlation_id: None,
        http_status: None,
        error_code: None,
        note: None,
        target_id: None,
    }
}

/// A journal file of `records` records (two per operation; one operation in a thousand left
/// outcome unknown).
async fn build(records: usize) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("klarna-mcp-scale-{}", uuid::Uuid::new_v4()));
    let path = dir.join("journal.sqlite3");
    let location = JournalLocation::Sqlite(path.clone());
    drop(
        Journal::open(&location, Duration::from_secs(900))
            .await
            .unwrap(),
    );
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("PRAGMA synchronous = OFF")
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let mut prev = GENESIS.to_string();
    let mut seq = 0i64;
    for op in 0..records / 2 {
        let last = if op % 1000 == 999 {
            Verdict::OutcomeUnknown
        } else {
            Verdict::Applied
        };
        for verdict in [Verdict::Pending, last] {
            seq += 1;
            let r = Record::chain(seq, record(op, verdict), &prev);
            let n = &r.record;
            sqlx::query(
                "INSERT INTO journal (seq, op_id, recorded_at, tool, api_host, order_id, amount, \
                 amount_was_everything, currency, idempotency_key, key_from_caller, body_digest, \
                 client_name, client_version, confirmed, verdict, created_id, prev_hash, hash) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )
            .bind(r.seq)
            .bind(&n.op_id)
            .bind(&n.recorded_at)
            .bind(&n.tool)
            .bind(&n.api_host)
            .bind(&n.order_id)
            .bind(n.amount)
            .bind(n.amount_was_everything)
            .bind(&n.currency)
            .bind(&n.idempotency_key)
            .bind(n.key_from_caller)
            .bind(&n.body_digest)
            .bind(&n.client_name)
            .bind(&n.client_version)
            .bind(n.confirmed)
            .bind(n.verdict.as_str())
            .bind(&n.created_id)
            .bind(&r.prev_hash)
            .bind(&r.hash)
            .execute(&mut *tx)
            .await
            .unwrap();
            prev = r.hash;
        }
    }
    // The operations index as the migration builds it from existing records.
    sqlx::query(
        "INSERT INTO operations (op_id, first_seq, latest_seq, order_id, idempotency_key, tool, principal, \
         started_at, verdict) \
         SELECT f.op_id, f.seq, l.seq, f.order_id, f.idempotency_key, f.tool, f.principal, f.recorded_at, l.verdict \
         FROM (SELECT op_id, MIN(seq) AS first, MAX(seq) AS latest FROM journal GROUP BY op_id) AS o \
         JOIN journal AS f ON f.seq = o.first JOIN journal AS l ON l.seq = o.latest",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    pool.close().await;
    // The witness a server would have left.
    let _ = std::fs::remove_file(dir.join("journal.sqlite3.witness"));
    path
}

/// Median of `runs` timings of `f`, in milliseconds.
async fn median_ms<F, Fut>(runs: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times: Vec<f64> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    times[runs / 2]
}

#[tokio::main]
async fn main() {
    // PERF_SMOKE: one small journal, so CI proves the bench still runs end to end (a bench
    // that compiles but no longer matches the schema fails here, not in someone's measurement).
    let sizes: &[usize] = if std::env::var_os("PERF_SMOKE").is_some() {
        &[2_000]
    } else if std::env::var_os("PERF_QUICK").is_some() {
        &[10_000, 100_000]
    } else {
        &[100_000, 1_000_000]
    };
    println!(
        "| records | build (s) | open + unresolved (ms) | list 5 (ms) | list one order (ms) | guards' check (ms) | write: begin + finish (ms) | verify (s) | file (MiB) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &records in sizes {
        let started = Instant::now();
        let path = build(records).await;
        let built = started.elapsed().as_secs_f64();
        let location = JournalLocation::Sqlite(path.clone());
        let window = Duration::from_secs(900);
        let open = median_ms(5, || async {
            let journal = Journal::open(&location, window).await.unwrap();
            let unresolved = journal.unresolved(None).await.unwrap();
            assert_eq!(unresolved.len(), records / 2 / 1000);
        })
        .await;
        let journal = Journal::open(&location, window).await.unwrap();
        let list = median_ms(21, || async {
            let ops = journal
                .operations(&OperationFilter {
                    limit: 5,
                    ..OperationFilter::default()
                })
                .await
                .unwrap();
            assert_eq!(ops.len(), 5);
        })
        .await;
        let one_order = median_ms(21, || async {
            journal
                .operations(&OperationFilter {
                    order_id: Some("4f1c0b7e-2a3d-4c5e-8f90-000000000007".into()),
                    limit: 5,
                    ..OperationFilter::default()
                })
                .await
                .unwrap();
        })
        .await;
        // A keyless capture on an order of a hundred (at 10^5) to a thousand operations.
        let mut attempt = record(records, Verdict::Pending);
        attempt.order_id = "4f1c0b7e-2a3d-4c5e-8f90-000000000007".into();
        attempt.key_from_caller = false;
        attempt.amount = 999_999;
        let check = median_ms(21, || async {
            assert!(journal.precheck(&attempt).await.unwrap().is_none());
        })
        .await;
        let mut n = records;
        let write = median_ms(11, || {
            n += 1;
            let mut pending = record(n, Verdict::Pending);
            pending.order_id = format!("5f1c0b7e-2a3d-4c5e-8f90-{n:012x}");
            let journal = &journal;
            async move {
                assert!(journal.begin(pending.clone()).await.unwrap().is_none());
                journal
                    .finish(NewRecord {
                        verdict: Verdict::Applied,
                        created_id: Some(format!("cap-new-{n}")),
                        ..pending
                    })
                    .await
                    .unwrap();
            }
        })
        .await;
        let started = Instant::now();
        assert!(matches!(
            journal.verify().await.unwrap(),
            journal::Verification::Intact { .. }
        ));
        let verify = started.elapsed().as_secs_f64();
        let size = std::fs::metadata(&path).unwrap().len() as f64 / (1024.0 * 1024.0);
        println!(
            "| {records} | {built:.1} | {open:.2} | {list:.2} | {one_order:.2} | {check:.2} | {write:.2} | {verify:.1} | {size:.0} |"
        );
        drop(journal);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
