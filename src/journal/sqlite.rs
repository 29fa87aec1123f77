//! The journal in a SQLite file (or in memory, for the demo and tests).
//!
//! WAL mode with `synchronous=FULL`: a committed record is on disk before the write it
//! announces is sent. Appends run in `BEGIN IMMEDIATE` transactions, which take SQLite's
//! write lock up front, so the check-then-append of the guards is atomic even between two
//! server processes sharing one file (two MCP clients on one machine). The table refuses
//! UPDATE and DELETE (triggers); the schema is versioned by sqlx migrations.

use std::{path::Path, str::FromStr, time::Duration};

use time::OffsetDateTime;

use futures::future::BoxFuture;
use sqlx::{
    Row,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
        SqliteSynchronous,
    },
};

use super::{
    JournalError, Operation, OperationFilter, Outcome,
    record::{GENESIS, Record},
    row::{
        self, Param, SQLITE_INSERT, SQLITE_UPSERT_OPERATION, bind_operation, bind_record, columns,
        record_from_row,
    },
    store::{Decide, IndexRow, JournalStore, RecordFilter},
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/journal/migrations/sqlite");

/// A SQLite journal.
pub struct SqliteJournal {
    pool: SqlitePool,
    describe: String,
    /// The witness file beside the journal (see [`Witness`]); `None` in memory and read-only.
    witness: Option<std::path::PathBuf>,
    /// Whether the file has the `operations` index (an archive written before it existed
    /// has not: read-only views then fold its records).
    has_index: bool,
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
        let witness = Witness::path_for(path);
        let held: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, recorded_at FROM journal ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&pool)
                .await
                .map_err(|e| JournalError::new(&describe, e))?;
        if let Some(problem) = Witness::read(&witness).and_then(|w| {
            w.missing_records(
                held.as_ref().map_or(0, |(seq, _)| *seq),
                OffsetDateTime::now_utc(),
                &witness,
            )
        }) {
            pool.close().await;
            return Err(JournalError::new(&describe, problem));
        }
        Ok(Self {
            pool,
            describe,
            witness: Some(witness),
            has_index: true,
        })
    }

    /// Opens the journal at `path` for reading only — a live journal, an archive, a copy on
    /// read-only media: nothing is created, migrated, locked for writing or re-permissioned,
    /// and a file that is not a journal is refused, never reported as an empty one.
    pub async fn open_read_only(path: &Path) -> Result<Self, JournalError> {
        let describe = path.display().to_string();
        if !path.is_file() {
            return Err(JournalError::new(
                &describe,
                "there is no journal file there",
            ));
        }
        // Not a SQLite file at all: said at once (the driver would retry its connection).
        let mut header = [0u8; 16];
        let is_sqlite = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
            .is_ok()
            && &header == b"SQLite format 3\0";
        if !is_sqlite {
            return Err(JournalError::new(
                &describe,
                "this file is not a klarna-mcp operation journal (it is not a SQLite database)",
            ));
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // An archive written before records carried a target: the view gives
                    // its rows the column, empty (which is how their hashes were made). It
                    // lives in the connection's temporary schema, which shadows the file's
                    // table for unqualified names and needs no write to the file.
                    let (columns, has_target): (i64, bool) = sqlx::query_as(
                        "SELECT COUNT(*), COALESCE(SUM(name = 'target_id'), 0) > 0 FROM pragma_table_info('journal')",
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    if columns > 0 && !has_target {
                        sqlx::query(
                            "CREATE TEMP VIEW journal AS SELECT *, NULL AS target_id FROM main.journal",
                        )
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| JournalError::new(&describe, e))?;
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info('journal')")
                .fetch_all(&pool)
                .await
                .map_err(|e| JournalError::new(&describe, e))?;
        let required = [
            "seq",
            "op_id",
            "verdict",
            "prev_hash",
            "hash",
            "idempotency_key",
        ];
        if !required
            .iter()
            .all(|c| columns.iter().any(|have| have == c))
        {
            return Err(JournalError::new(
                &describe,
                "this file is not a klarna-mcp operation journal (it has no journal table of records)",
            ));
        }
        let has_index: bool = sqlx::query_scalar(
            "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'operations'",
        )
        .fetch_one(&pool)
        .await
        .map_err(|e| JournalError::new(&describe, e))?;
        Ok(Self {
            pool,
            describe,
            witness: None,
            has_index,
        })
    }

    /// Writes a consistent copy of the whole journal to `target` (a new file), while
    /// writers go on: SQLite's `VACUUM INTO` reads one snapshot. The copy is a journal of its
    /// own that every read-only command reads and verifies.
    pub async fn backup_to(&self, target: &Path) -> Result<(), JournalError> {
        let fail = |e: &dyn std::fmt::Display| JournalError::new(&self.describe, e);
        if target.exists() {
            return Err(fail(&format!(
                "{} exists already; a backup never overwrites a file",
                target.display()
            )));
        }
        let target_text = target
            .to_str()
            .ok_or_else(|| fail(&"the backup's path is not valid UTF-8"))?;
        sqlx::query("VACUUM INTO ?1")
            .bind(target_text)
            .execute(&self.pool)
            .await
            .map_err(|e| fail(&e))?;
        restrict_file(target);
        Ok(())
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
        Ok(Self {
            pool,
            describe,
            witness: None,
            has_index: true,
        })
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
    record_from_row!(row, i64)
}

impl SqliteJournal {
    /// `decide_and_append` on one connection of the pool.
    async fn append_on(
        &self,
        conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
        order_id: &str,
        idempotency_key: &str,
        decide: Decide<'_, Outcome>,
    ) -> Result<Outcome, JournalError> {
        let fail = |e: sqlx::Error| JournalError::new(&self.describe, e);
        let mut tx = sqlx::Connection::begin_with(&mut **conn, "BEGIN IMMEDIATE")
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
        let mut last_written: Option<Record> = None;
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
                prev = chained.hash.clone();
                last_written = Some(chained);
            }
        }
        tx.commit().await.map_err(fail)?;
        if let (Some(path), Some(last)) = (&self.witness, last_written) {
            Witness::write(path, &last);
        }
        Ok(decision.outcome)
    }
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
            let mut conn = self.pool.acquire().await.map_err(fail)?;
            let appended = self
                .append_on(&mut conn, order_id, idempotency_key, decide)
                .await;
            if appended.is_err() {
                // A commit that failed (a full disk) can leave the connection inside its
                // transaction; back in the pool it would refuse every later append. It goes,
                // and the pool opens a fresh one, so the next write works once there is room.
                conn.close_on_drop();
            }
            appended
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

    fn operations<'a>(
        &'a self,
        filter: &'a OperationFilter,
    ) -> BoxFuture<'a, Result<Vec<Operation>, JournalError>> {
        Box::pin(async move {
            if !self.has_index {
                return super::store::fold_operations(self, filter).await;
            }
            let fail = |e: sqlx::Error| JournalError::new(&self.describe, e);
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
                .map_err(fail)?
                .iter()
                .map(|r| Ok((r.try_get("first_seq")?, r.try_get("latest_seq")?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(fail)?;
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
                for r in query.fetch_all(&self.pool).await.map_err(fail)? {
                    records.push(from_row(&r).map_err(fail)?);
                }
            }
            row::assemble(&wanted, records).map_err(|e| JournalError::new(&self.describe, e))
        })
    }

    fn backup_to<'a>(&'a self, target: &'a Path) -> BoxFuture<'a, Result<(), JournalError>> {
        Box::pin(SqliteJournal::backup_to(self, target))
    }

    fn probe(&self) -> BoxFuture<'_, Result<(), JournalError>> {
        Box::pin(async move {
            // A write that selects no row still needs the file writable and SQLite's write
            // lock: a read-only file or file system, or another process holding the lock past
            // the busy timeout, fails here as an append would. Nothing is written.
            sqlx::raw_sql(PROBE_WRITE)
                .execute(&self.pool)
                .await
                .map(|_| ())
                .map_err(|e| JournalError::new(&self.describe, e))
        })
    }

    fn operation_index(&self) -> BoxFuture<'_, Result<Option<Vec<IndexRow>>, JournalError>> {
        Box::pin(async move {
            if !self.has_index {
                return Ok(None);
            }
            let fail = |e: sqlx::Error| JournalError::new(&self.describe, e);
            sqlx::query(
                "SELECT op_id, first_seq, latest_seq, verdict FROM operations ORDER BY first_seq",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
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
            .map_err(fail)
        })
    }
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    r: &Record,
) -> Result<(), sqlx::Error> {
    bind_record!(sqlx::query(SQLITE_INSERT.as_str()), r, i64)
        .execute(&mut **tx)
        .await?;
    bind_operation!(sqlx::query(SQLITE_UPSERT_OPERATION.as_str()), r)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

fn placeholder(n: usize) -> String {
    format!("?{n}")
}

/// Inserts nothing, into both tables an append writes (see `probe`).
const PROBE_WRITE: &str = "INSERT INTO journal SELECT * FROM journal WHERE 1 = 0; \
    INSERT INTO operations SELECT * FROM operations WHERE 1 = 0;";

/// A small file beside the journal (`journal.sqlite3.witness`) that remembers how many
/// records the journal held and when it last wrote one. The guards know only what the
/// journal holds: a journal moved away (or replaced by an older copy) while its keys are
/// still live at Klarna would let a keyless repeat of a write made minutes ago through. The
/// witness stays behind when the file is moved, so a server that finds fewer records than
/// the witness saw within Klarna's 24-hour key lifetime refuses writes instead of starting
/// blind, and says how to go on.
#[derive(serde::Serialize, serde::Deserialize)]
struct Witness {
    /// How many records the journal held (the last record's number).
    records: i64,
    /// The last record's hash.
    head: String,
    /// When the last record was written (the journal's time format).
    last_recorded_at: String,
}

impl Witness {
    fn path_for(journal: &Path) -> std::path::PathBuf {
        let mut name = journal.as_os_str().to_owned();
        name.push(".witness");
        std::path::PathBuf::from(name)
    }

    fn read(path: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Best effort: a witness that cannot be written weakens only this check, never a write.
    fn write(path: &Path, last: &Record) {
        let witness = Self {
            records: last.seq,
            head: last.hash.clone(),
            last_recorded_at: last.record.recorded_at.clone(),
        };
        let Ok(text) = serde_json::to_string(&witness) else {
            return;
        };
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = std::path::PathBuf::from(temporary);
        if std::fs::write(&temporary, text).is_ok() {
            restrict_file(&temporary);
            let _ = std::fs::rename(&temporary, path);
        }
    }

    /// Why a journal holding `held` records must not be written, if the witness saw more
    /// within the key lifetime before `now`.
    fn missing_records(&self, held: i64, now: OffsetDateTime, path: &Path) -> Option<String> {
        if held >= self.records {
            return None;
        }
        let last = OffsetDateTime::parse(
            &self.last_recorded_at,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?;
        let recent = now - last <= super::KEY_LIFETIME;
        if !recent {
            tracing::warn!(
                held,
                witnessed = self.records,
                last_recorded_at = %self.last_recorded_at,
                "the operation journal holds fewer records than it once did (moved away or replaced); its last write is older than Klarna's 24-hour key lifetime, so the guards are not blind — keep the old file as the archive of those operations"
            );
            return None;
        }
        Some(format!(
            "it holds {held} records, but the journal at this path held {} (the last written {}, \
             within Klarna's 24-hour key lifetime): it was moved away or replaced by an older copy, \
             and the guards would not see writes whose keys are still live. Put the journal back \
             (an archive is made with `klarna-mcp journal backup FILE`, never by moving the file), \
             or — once you have checked those orders — delete the witness file `{}` beside the \
             journal to start anew",
            self.records,
            self.last_recorded_at,
            // Only the file's name: this text reaches tool results, which never carry the
            // server's paths; the operator's log names the journal's location.
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| "journal.sqlite3.witness".into())
        ))
    }
}
