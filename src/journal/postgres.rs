//! The journal in PostgreSQL, for several server replicas that must share one truth.
//!
//! Every append runs in a transaction that first takes one transaction-scoped advisory
//! lock: the guards' check-then-append is atomic across replicas (two identical writes
//! sent to two replicas at once cannot both pass), and the hash chain stays one chain. The
//! table refuses UPDATE, DELETE and TRUNCATE (triggers); the schema is versioned by sqlx
//! migrations, which take their own lock, so replicas starting together migrate once.

use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::{
    Row,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow},
};

use super::{
    JournalError, Outcome,
    record::{GENESIS, NewRecord, Record, Verdict},
    store::{Decide, JournalStore, RecordFilter},
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/journal/migrations/postgres");

/// The advisory lock every append holds (an arbitrary constant: "klarnamcp" in ASCII).
const APPEND_LOCK: i64 = 0x006b_6c61_726e_616d;

/// A PostgreSQL journal.
pub struct PostgresJournal {
    pool: PgPool,
    describe: String,
    password: Option<String>,
}

/// Query parameters a journal URL may carry: TLS settings and an application name, none
/// of them secret or a way to another host.
pub const SAFE_QUERY_KEYS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "application_name",
];

/// A `postgres://` URL as it may be shown: without its password, and with the value of any
/// query parameter that is not a known-safe one redacted.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("redacted"));
            }
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(key, value)| {
                    let value = if SAFE_QUERY_KEYS.contains(&key.as_ref()) {
                        value.into_owned()
                    } else {
                        "redacted".to_string()
                    };
                    (key.into_owned(), value)
                })
                .collect();
            if !pairs.is_empty() {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) => "[an unparsable PostgreSQL URL]".to_string(),
    }
}

impl PostgresJournal {
    /// Connects to `url` and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Self, JournalError> {
        let describe = redact(url);
        let password = url::Url::parse(url)
            .ok()
            .and_then(|u| u.password().map(str::to_string))
            .filter(|p| !p.is_empty());
        let fail = |e: &dyn std::fmt::Display| scrubbed(&describe, password.as_deref(), e);
        let options: PgConnectOptions = url.parse().map_err(|e| fail(&e))?;
        // No session of ours may hold the append lock, or wait for it, without end: a stuck
        // replica would stall every other. The server bounds each call itself; these bound
        // what the database does when a call has given up.
        let options = options.options([
            ("lock_timeout", "10s"),
            ("statement_timeout", "30s"),
            ("idle_in_transaction_session_timeout", "30s"),
        ]);
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| fail(&e))?;
        MIGRATOR.run(&pool).await.map_err(|e| fail(&e))?;
        Ok(Self {
            pool,
            describe,
            password,
        })
    }

    fn fail(&self, e: &dyn std::fmt::Display) -> JournalError {
        scrubbed(&self.describe, self.password.as_deref(), e)
    }
}

/// A journal error whose text cannot carry the database password.
fn scrubbed(describe: &str, password: Option<&str>, e: &dyn std::fmt::Display) -> JournalError {
    let mut text = e.to_string();
    if let Some(p) = password {
        text = text.replace(p, "[redacted]");
    }
    JournalError::new(describe, text)
}

/// Every column, in table order.
macro_rules! columns {
    () => {
        "seq, op_id, recorded_at, tool, api_host, order_id, amount, amount_was_everything, currency, \
         idempotency_key, key_from_caller, body_digest, client_name, client_version, principal, confirmed, \
         verdict, created_id, correlation_id, http_status, error_code, note, prev_hash, hash"
    };
}

const SELECT_ORDER_OR_KEY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM journal WHERE order_id = $1 OR idempotency_key = $2 ORDER BY seq"
);

const SELECT_FILTERED: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM journal WHERE op_id IN (
        SELECT op_id FROM journal
        WHERE ($1::TEXT IS NULL OR order_id = $1)
          AND ($2::TEXT IS NULL OR idempotency_key = $2)
          AND ($3::TEXT IS NULL OR recorded_at >= $3)
     ) ORDER BY seq"
);

const INSERT: &str = "INSERT INTO journal (seq, op_id, recorded_at, tool, api_host, order_id, amount, \
     amount_was_everything, currency, idempotency_key, key_from_caller, body_digest, client_name, \
     client_version, principal, confirmed, verdict, created_id, correlation_id, http_status, error_code, note, \
     prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
     $19, $20, $21, $22, $23, $24)";

fn from_row(row: &PgRow) -> Result<Record, sqlx::Error> {
    let verdict: String = row.try_get("verdict")?;
    let http_status: Option<i32> = row.try_get("http_status")?;
    Ok(Record {
        seq: row.try_get("seq")?,
        record: NewRecord {
            op_id: row.try_get("op_id")?,
            recorded_at: row.try_get("recorded_at")?,
            tool: row.try_get("tool")?,
            api_host: row.try_get("api_host")?,
            order_id: row.try_get("order_id")?,
            amount: row.try_get("amount")?,
            amount_was_everything: row.try_get("amount_was_everything")?,
            currency: row.try_get("currency")?,
            idempotency_key: row.try_get("idempotency_key")?,
            key_from_caller: row.try_get("key_from_caller")?,
            body_digest: row.try_get("body_digest")?,
            client_name: row.try_get("client_name")?,
            client_version: row.try_get("client_version")?,
            principal: row.try_get("principal")?,
            confirmed: row.try_get("confirmed")?,
            verdict: Verdict::parse(&verdict).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "verdict".into(),
                source: format!("unknown verdict {verdict:?}").into(),
            })?,
            created_id: row.try_get("created_id")?,
            correlation_id: row.try_get("correlation_id")?,
            http_status: http_status.and_then(|s| u16::try_from(s).ok()),
            error_code: row.try_get("error_code")?,
            note: row.try_get("note")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl JournalStore for PostgresJournal {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn decide_and_append<'a>(
        &'a self,
        order_id: &'a str,
        idempotency_key: &'a str,
        decide: Decide<'a, Outcome>,
    ) -> BoxFuture<'a, Result<Outcome, JournalError>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await.map_err(|e| self.fail(&e))?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(APPEND_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.fail(&e))?;
            let rows = sqlx::query(SELECT_ORDER_OR_KEY)
                .bind(order_id)
                .bind(idempotency_key)
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| self.fail(&e))?;
            let records = rows
                .iter()
                .map(from_row)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.fail(&e))?;
            let decision = decide(&records);
            if !decision.append.is_empty() {
                let last = sqlx::query("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(|e| self.fail(&e))?;
                let (mut seq, mut prev): (i64, String) = match last {
                    Some(row) => (
                        row.try_get("seq").map_err(|e| self.fail(&e))?,
                        row.try_get("hash").map_err(|e| self.fail(&e))?,
                    ),
                    None => (0, GENESIS.to_string()),
                };
                for new in decision.append {
                    seq += 1;
                    let r = Record::chain(seq, new, &prev);
                    let n = &r.record;
                    sqlx::query(INSERT)
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
                        .bind(&n.principal)
                        .bind(n.confirmed)
                        .bind(n.verdict.as_str())
                        .bind(&n.created_id)
                        .bind(&n.correlation_id)
                        .bind(n.http_status.map(i32::from))
                        .bind(&n.error_code)
                        .bind(&n.note)
                        .bind(&r.prev_hash)
                        .bind(&r.hash)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.fail(&e))?;
                    prev = r.hash;
                }
            }
            tx.commit().await.map_err(|e| self.fail(&e))?;
            Ok(decision.outcome)
        })
    }

    fn records<'a>(
        &'a self,
        filter: &'a RecordFilter,
    ) -> BoxFuture<'a, Result<Vec<Record>, JournalError>> {
        Box::pin(async move {
            let rows = sqlx::query(SELECT_FILTERED)
                .bind(filter.order_id.as_deref())
                .bind(filter.idempotency_key.as_deref())
                .bind(filter.since.as_deref())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.fail(&e))?;
            rows.iter()
                .map(from_row)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.fail(&e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(
            redact("postgres://klarna:s3cret@db.internal:5432/journal"),
            "postgres://klarna:redacted@db.internal:5432/journal"
        );
        assert_eq!(
            redact("postgres://db.internal/journal"),
            "postgres://db.internal/journal"
        );
        // The driver also takes a password from the query: its value never shows either.
        let shown =
            redact("postgres://klarna@db.internal/journal?password=hunter2&sslmode=require");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("sslmode=require"), "{shown}");
    }

    #[test]
    fn only_tls_settings_may_ride_in_the_query() {
        use crate::journal::JournalLocation;
        let location = |url: &str| JournalLocation::parse(url);
        assert!(
            location("postgres://db/j?sslmode=verify-full&sslrootcert=/ca.pem")
                .check()
                .is_ok()
        );
        for key in [
            "password", "host", "hostaddr", "user", "dbname", "port", "options", "passwd",
        ] {
            let url = format!("postgres://db/j?{key}=hunter2");
            let why = location(&url).check().unwrap_err();
            assert!(why.contains(&format!("\"{key}\"")), "{why}");
            assert!(!why.contains("hunter2"), "{why}");
        }
        assert!(location("postgres://[oops/j").check().is_err());
    }
}
