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
    JournalError, Operation, OperationFilter, Outcome,
    record::{GENESIS, Record},
    row::{
        self, POSTGRES_INSERT, POSTGRES_UPSERT_OPERATION, Param, bind_operation, bind_record,
        columns, record_from_row,
    },
    store::{Decide, IndexRow, JournalStore, RecordFilter},
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/journal/migrations/postgres");

/// The advisory lock every append holds (an arbitrary constant: "klarnamcp" in ASCII).
const APPEND_LOCK: i64 = 0x006b_6c61_726e_616d;

/// A PostgreSQL journal.
pub struct PostgresJournal {
    pool: PgPool,
    describe: String,
    password: Option<String>,
    warnings: Vec<String>,
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
        Self::connect(url, true).await
    }

    /// Connects to `url` to read only: no migration runs (a role that may only read can
    /// use it, and nothing in the database changes).
    pub async fn open_read_only(url: &str) -> Result<Self, JournalError> {
        Self::connect(url, false).await
    }

    async fn connect(url: &str, migrate: bool) -> Result<Self, JournalError> {
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
        // A server role with only the rights to append (no CREATE) cannot run a migration,
        // and needs none once the owner has run them all: it only checks they are there.
        if migrate && !migrations_applied(&pool).await {
            MIGRATOR.run(&pool).await.map_err(|e| {
                let mut error = fail(&e);
                error.detail.push_str(
                    "; if this role may not create tables, let the tables' owner bring the schema up to date first \
                     (`klarna-mcp journal migrate` with the owner's KLARNA_JOURNAL)",
                );
                error
            })?;
        }
        let warnings = ownership_warning(&pool).await.into_iter().collect();
        Ok(Self {
            pool,
            describe,
            password,
            warnings,
        })
    }

    fn fail(&self, e: &dyn std::fmt::Display) -> JournalError {
        scrubbed(&self.describe, self.password.as_deref(), e)
    }
}

/// Whether every migration this build knows is recorded as applied (a role that cannot read
/// the migrations table is treated as not knowing, and the migrator decides).
async fn migrations_applied(pool: &PgPool) -> bool {
    let applied: Result<Vec<i64>, _> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await;
    applied.is_ok_and(|applied| MIGRATOR.iter().all(|m| applied.contains(&m.version)))
}

/// A warning when the role the server connects as could rewrite the journal: a superuser, or
/// the owner of the journal table (or a member of the owner's role), can `ALTER TABLE …
/// DISABLE TRIGGER` and then delete records the guards need, and `journal verify` would not
/// see a record removed from the end.
async fn ownership_warning(pool: &PgPool) -> Option<String> {
    let row = sqlx::query(
        "SELECT current_user::TEXT AS role, r.rolsuper AS superuser, \
                pg_has_role(current_user, c.relowner, 'MEMBER') AS owns \
         FROM pg_roles r, pg_class c \
         WHERE r.rolname = current_user AND c.oid = to_regclass('journal')",
    )
    .fetch_optional(pool)
    .await
    .ok()??;
    let role: String = row.try_get("role").ok()?;
    let superuser: bool = row.try_get("superuser").ok()?;
    let owns: bool = row.try_get("owns").ok()?;
    let why = if superuser {
        "is a superuser"
    } else if owns {
        "owns the journal table"
    } else {
        return None;
    };
    let role = crate::klarna::sanitize::bound(&crate::klarna::sanitize::escape(&role), 64);
    Some(format!(
        "the PostgreSQL role this server connects as ({role}) {why}: it could disable the table's append-only \
         triggers and erase records the duplicate guards need. Run the server as a role that may only read and \
         append: SELECT and INSERT on journal, SELECT, INSERT and UPDATE on operations (README: the journal on \
         PostgreSQL)"
    ))
}

fn placeholder(n: usize) -> String {
    format!("${n}")
}

/// A journal error whose text cannot carry the database password.
fn scrubbed(describe: &str, password: Option<&str>, e: &dyn std::fmt::Display) -> JournalError {
    let mut text = e.to_string();
    if let Some(p) = password {
        text = text.replace(p, "[redacted]");
    }
    JournalError::new(describe, text)
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

fn from_row(row: &PgRow) -> Result<Record, sqlx::Error> {
    record_from_row!(row, i32)
}

impl JournalStore for PostgresJournal {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
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
                    bind_record!(sqlx::query(POSTGRES_INSERT.as_str()), &r, i32)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| self.fail(&e))?;
                    bind_operation!(sqlx::query(POSTGRES_UPSERT_OPERATION.as_str()), &r)
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

    fn operations<'a>(
        &'a self,
        filter: &'a OperationFilter,
    ) -> BoxFuture<'a, Result<Vec<Operation>, JournalError>> {
        Box::pin(async move {
            let (sql, params) = row::list_operations(filter, placeholder);
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for param in params {
                query = match param {
                    Param::Text(text) => query.bind(text),
                    Param::Int(n) => query.bind(n),
                };
            }
            let wanted: Vec<(i64, i64)> = query
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.fail(&e))?
                .iter()
                .map(|r| Ok((r.try_get("first_seq")?, r.try_get("latest_seq")?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(|e| self.fail(&e))?;
            let mut seqs: Vec<i64> = wanted.iter().flat_map(|(f, l)| [*f, *l]).collect();
            seqs.sort_unstable();
            seqs.dedup();
            let mut records = Vec::with_capacity(seqs.len());
            for batch in seqs.chunks(row::SEQ_BATCH) {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(row::records_by_seq(
                    batch.len(),
                    placeholder,
                )));
                for seq in batch {
                    query = query.bind(seq);
                }
                for r in query
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| self.fail(&e))?
                {
                    records.push(from_row(&r).map_err(|e| self.fail(&e))?);
                }
            }
            row::assemble(&wanted, records).map_err(|e| self.fail(&e))
        })
    }

    fn probe(&self) -> BoxFuture<'_, Result<(), JournalError>> {
        Box::pin(async move {
            // A write that selects no row still needs a connection (the server up, the
            // password right), a server that takes writes (not a standby, not read-only) and
            // the role's INSERT on both tables an append writes. Nothing is written.
            let mut tx = self.pool.begin().await.map_err(|e| self.fail(&e))?;
            sqlx::raw_sql(
                "INSERT INTO journal SELECT * FROM journal WHERE false; \
                 INSERT INTO operations SELECT * FROM operations WHERE false;",
            )
            .execute(&mut *tx)
            .await
            .map_err(|e| self.fail(&e))?;
            tx.rollback().await.map_err(|e| self.fail(&e))
        })
    }

    fn operation_index(&self) -> BoxFuture<'_, Result<Option<Vec<IndexRow>>, JournalError>> {
        Box::pin(async move {
            sqlx::query(
                "SELECT op_id, first_seq, latest_seq, verdict FROM operations ORDER BY first_seq",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.fail(&e))?
            .iter()
            .map(|r| {
                Ok(IndexRow {
                    op_id: r.try_get("op_id")?,
                    first_seq: r.try_get("first_seq")?,
                    latest_seq: r.try_get("latest_seq")?,
                    verdict: r.try_get("verdict")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map(Some)
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
