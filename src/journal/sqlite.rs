//! The journal in a SQLite file (or in memory, for the demo and tests).
//!
//! WAL mode with `synchronous=FULL`: a committed record is on disk before the write it
//! announces is sent. Appends run in `BEGIN IMMEDIATE` transactions, which take SQLite's
//! write lock up front, so the check-then-append of the guards is atomic even between two
//! server processes sharing one file (two MCP clients on one machine). The table refuses
//! UPDATE and DELETE (triggers); the schema is versioned by sqlx migrations.

use std::{path::Path, str::FromStr, time::Duration};

use futures::future::BoxFuture;
use sqlx::{
    Row,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
        SqliteSynchronous,
    },
};

use super::{
    JournalError, Outcome,
    record::{GENESIS, NewRecord, Record, Verdict},
    store::{Decide, JournalStore, RecordFilter},
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/journal/migrations/sqlite");

/// A SQLite journal.
pub struct SqliteJournal {
    pool: SqlitePool,
    describe: String,
}

impl SqliteJournal {
    /// Opens (creating if needed, with its directory) the journal at `path`.
    pub async fn open(path: &Path) -> Result<Self, JournalError> {
        let describe = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|e| JournalError::new(&describe, e))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| JournalError::new(&describe, e))?;
        restrict_file(path);
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| JournalError::new(&describe, e))?;
        Ok(Self { pool, describe })
    }

    /// A journal that lives in memory and ends with the process (demo mode, tests).
    pub async fn in_memory() -> Result<Self, JournalError> {
        let describe = "in memory (demo: nothing is kept)".to_string();
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| JournalError::new(&describe, e))?;
        // One connection that never closes: an in-memory database lives as long as it does.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|e| JournalError::new(&describe, e))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| JournalError::new(&describe, e))?;
        Ok(Self { pool, describe })
    }
}

/// The directory, created owner-only where it does not exist yet: the journal holds order
/// ids and amounts, which are the merchant's business.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Owner-only permissions on the database file (best effort: a file someone else created
/// keeps theirs).
fn restrict_file(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Every column, in table order.
macro_rules! columns {
    () => {
        "seq, op_id, recorded_at, tool, api_host, order_id, amount, amount_was_everything, currency, \
         idempotency_key, key_from_caller, body_digest, client_name, client_version, principal, confirmed, \
         verdict, created_id, correlation_id, http_status, error_code, note, prev_hash, hash"
    };
}

/// The records of one order and one key: what the guards decide on.
const SELECT_ORDER_OR_KEY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM journal WHERE order_id = ?1 OR idempotency_key = ?2 ORDER BY seq"
);

/// Every record of each operation matching the filter, so operations fold whole.
const SELECT_FILTERED: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM journal WHERE op_id IN (
        SELECT op_id FROM journal
        WHERE (?1 IS NULL OR order_id = ?1)
          AND (?2 IS NULL OR idempotency_key = ?2)
          AND (?3 IS NULL OR recorded_at >= ?3)
     ) ORDER BY seq"
);

fn from_row(row: &SqliteRow) -> Result<Record, sqlx::Error> {
    let verdict: String = row.try_get("verdict")?;
    let http_status: Option<i64> = row.try_get("http_status")?;
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

impl JournalStore for SqliteJournal {
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
            let fail = |e: sqlx::Error| JournalError::new(&self.describe, e);
            let mut tx = self
                .pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(fail)?;
            let rows = sqlx::query(SELECT_ORDER_OR_KEY)
                .bind(order_id)
                .bind(idempotency_key)
                .fetch_all(&mut *tx)
                .await
                .map_err(fail)?;
            let records = rows
                .iter()
                .map(from_row)
                .collect::<Result<Vec<_>, _>>()
                .map_err(fail)?;
            let decision = decide(&records);
            if !decision.append.is_empty() {
                let last = sqlx::query("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(fail)?;
                let (mut seq, mut prev): (i64, String) = match last {
                    Some(row) => (
                        row.try_get("seq").map_err(fail)?,
                        row.try_get("hash").map_err(fail)?,
                    ),
                    None => (0, GENESIS.to_string()),
                };
                for new in decision.append {
                    seq += 1;
                    let chained = Record::chain(seq, new, &prev);
                    insert(&mut tx, &chained).await.map_err(fail)?;
                    prev = chained.hash;
                }
            }
            tx.commit().await.map_err(fail)?;
            Ok(decision.outcome)
        })
    }

    fn records<'a>(
        &'a self,
        filter: &'a RecordFilter,
    ) -> BoxFuture<'a, Result<Vec<Record>, JournalError>> {
        Box::pin(async move {
            let fail = |e: sqlx::Error| JournalError::new(&self.describe, e);
            let rows = sqlx::query(SELECT_FILTERED)
                .bind(filter.order_id.as_deref())
                .bind(filter.idempotency_key.as_deref())
                .bind(filter.since.as_deref())
                .fetch_all(&self.pool)
                .await
                .map_err(fail)?;
            rows.iter()
                .map(from_row)
                .collect::<Result<Vec<_>, _>>()
                .map_err(fail)
        })
    }
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    r: &Record,
) -> Result<(), sqlx::Error> {
    let n = &r.record;
    sqlx::query(
        "INSERT INTO journal (seq, op_id, recorded_at, tool, api_host, order_id, amount, amount_was_everything, \
         currency, idempotency_key, key_from_caller, body_digest, client_name, client_version, principal, confirmed, \
         verdict, created_id, correlation_id, http_status, error_code, note, prev_hash, hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
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
    .bind(&n.principal)
    .bind(n.confirmed)
    .bind(n.verdict.as_str())
    .bind(&n.created_id)
    .bind(&n.correlation_id)
    .bind(n.http_status.map(i64::from))
    .bind(&n.error_code)
    .bind(&n.note)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}
