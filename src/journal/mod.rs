//! The operation journal: a durable, append-only, hash-chained record of every write this
//! server attempted, and the guards that use it so a repeated write cannot move money twice.
//!
//! Every write is recorded **before** it is sent (`pending`, on disk before the POST leaves)
//! and again when its verdict is known. The record holds what an auditor needs — time,
//! tool, host, order, amount, currency, idempotency key, body digest, the MCP client, who
//! asked (on a team server), whether a human confirmed, the verdict with Klarna's ids — and
//! never credentials, personal data or request bodies.
//!
//! - `record.rs` — the record and its chain hash;
//! - `guards.rs` — repeated intent, key reuse, settling (pure rules, shared by every store);
//! - `store.rs` — what a store must do; `sqlite.rs` (the default) and `postgres.rs` (several
//!   servers sharing one journal: `KLARNA_JOURNAL=postgres://…`) implement it.

pub mod guards;
pub mod health;
mod postgres;
pub mod record;
mod row;
mod sqlite;
mod store;

use std::{path::PathBuf, sync::Arc, time::Duration};

use time::OffsetDateTime;

pub use guards::{GuardRefusal, KEY_LIFETIME};
pub use health::JournalHealth;
pub use postgres::PostgresJournal;
pub use record::{NewRecord, Record, Verdict};
pub use sqlite::SqliteJournal;
pub use store::{Decide, Decision, JournalStore, RecordFilter};

/// Default window in which a repeat of an applied write without a key is refused.
pub const DEFAULT_DUPLICATE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Where the journal lives.
#[derive(Clone, PartialEq, Eq)]
pub enum JournalLocation {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// In memory: gone when the process ends (demo mode, tests).
    Memory,
    /// A PostgreSQL database (`postgres://…`), shared by several server replicas.
    Postgres(String),
}

impl std::fmt::Debug for JournalLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A database URL may hold a password: shown redacted, like everywhere else.
        f.write_str(&self.describe())
    }
}

impl JournalLocation {
    /// The platform's default: `<data dir>/klarna-mcp/journal.sqlite3` — on Linux
    /// `~/.local/share/klarna-mcp/` (or `$XDG_DATA_HOME`), on macOS
    /// `~/Library/Application Support/klarna-mcp/`, on Windows `%APPDATA%\klarna-mcp\`.
    pub fn platform_default() -> Option<Self> {
        dirs::data_dir().map(|d| Self::Sqlite(d.join("klarna-mcp").join("journal.sqlite3")))
    }

    /// Parses `KLARNA_JOURNAL`: `memory`, a `postgres://` (or `postgresql://`) URL, or a
    /// file path.
    pub fn parse(value: &str) -> Self {
        match value {
            "memory" | ":memory:" => Self::Memory,
            url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Self::Postgres(url.to_string())
            }
            path => Self::Sqlite(PathBuf::from(path)),
        }
    }

    /// How it is shown in logs and messages (a database URL without its password).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Memory => "in memory (nothing is kept)".to_string(),
            Self::Postgres(url) => postgres::redact(url),
        }
    }

    /// Refuses what the server would not use safely: a PostgreSQL URL that does not parse,
    /// or whose query carries anything but TLS settings and an application name — the
    /// driver would take a password (then shown wherever the location is), a host or an
    /// address from there, and log an unknown parameter's value. Names the parameter, never
    /// its value.
    pub fn check(&self) -> Result<(), String> {
        let Self::Postgres(url) = self else {
            return Ok(());
        };
        let parsed = url::Url::parse(url)
            .map_err(|_| "the PostgreSQL URL does not parse; write it as postgres://user:password@host:port/database".to_string())?;
        if let Some((key, _)) = parsed
            .query_pairs()
            .find(|(key, _)| !postgres::SAFE_QUERY_KEYS.contains(&key.as_ref()))
        {
            let key: String = crate::klarna::sanitize::escape(&key)
                .chars()
                .take(40)
                .collect();
            return Err(format!(
                "the PostgreSQL URL's query parameter \"{key}\" is not accepted; put the host, port, \
                 user, password and database in the URL itself (postgres://user:password@host:port/database); \
                 the query may carry only {}",
                postgres::SAFE_QUERY_KEYS.join(", ")
            ));
        }
        Ok(())
    }
}

/// The journal could not be opened, read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the operation journal at {location} cannot be used: {detail}")]
pub struct JournalError {
    /// Where.
    pub location: String,
    /// What went wrong.
    pub detail: String,
}

impl JournalError {
    fn new(location: &str, error: impl std::fmt::Display) -> Self {
        let detail: String = crate::klarna::sanitize::escape(&error.to_string())
            .chars()
            .take(800)
            .collect();
        Self {
            location: location.to_string(),
            detail,
        }
    }
}

/// One operation: its first record (what was attempted) and its latest (where it stands).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The first record.
    pub first: NewRecord,
    /// The latest record, with its place in the chain.
    pub latest: Record,
}

impl Operation {
    /// Where it stands.
    pub fn verdict(&self) -> Verdict {
        self.latest.record.verdict
    }
}

/// What a decision concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The write may be sent: its `pending` record is on disk.
    Begun,
    /// A guard refused it (and a `not_sent` record says so).
    Refused(GuardRefusal),
    /// Records were appended.
    Recorded,
    /// A verdict was recorded.
    Finished(Finished),
}

/// How a verdict was recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finished {
    /// The verdict as recorded (`replayed` where the money is counted under another
    /// operation with the same key).
    pub verdict: Verdict,
    /// The operation the money is counted under, when not this one.
    pub counted_under: Option<String>,
    /// Whether that operation already had this answer (a same-key call answered first), so
    /// this call's answer was Klarna's replay of it; false when this answer settled an
    /// earlier operation that had none.
    pub answered_before: bool,
}

/// Which operations to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationFilter {
    /// Only this order's.
    pub order_id: Option<String>,
    /// Only operations started at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Only operations in this state.
    pub verdict: Option<Verdict>,
    /// Only operations with this key.
    pub idempotency_key: Option<String>,
    /// Only operations of this write tool.
    pub tool: Option<String>,
    /// Only operations this person asked for (the principal as recorded).
    pub principal: Option<String>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// What `journal verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every record chains to the one before: `records` of them, ending in `head`.
    Intact {
        /// How many records.
        records: usize,
        /// The last record's hash (keep it elsewhere to detect a rewritten tail).
        head: String,
    },
    /// The chain breaks at record `seq`.
    Broken {
        /// Where.
        seq: i64,
        /// How.
        problem: String,
    },
}

/// A handle to the journal. Cloning is shallow.
#[derive(Clone)]
pub struct Journal {
    store: Arc<dyn JournalStore>,
    window: Duration,
    /// Told of every operation's outcome, when the server watches this journal.
    health: Option<Arc<JournalHealth>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("location", &self.store.describe())
            .field("window", &self.window)
            .finish()
    }
}

/// How the journal writes times: RFC 3339 in UTC with exactly three decimals, so that
/// comparing the text compares the times.
const TIME_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

/// `at` as the journal writes times.
pub fn format_time(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(TIME_FORMAT)
        .unwrap_or_default()
}

/// Now, as the journal writes times.
pub fn now() -> String {
    format_time(OffsetDateTime::now_utc())
}

/// Reads a time as a caller may give it — RFC 3339 (`2026-11-26T09:00:00Z`, any offset) or a
/// date (`2026-11-26`, from its start in UTC) — into the journal's form.
pub fn parse_since(value: &str) -> Option<String> {
    let value = value.trim();
    if let Ok(at) = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339) {
        return Some(format_time(at));
    }
    let date = time::Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(format_time(date.midnight().assume_utc()))
}

impl Journal {
    /// Opens the journal at `location`, with `window` for repeated writes.
    pub async fn open(location: &JournalLocation, window: Duration) -> Result<Self, JournalError> {
        location.check().map_err(|detail| JournalError {
            location: location.describe(),
            detail,
        })?;
        let store: Arc<dyn JournalStore> = match location {
            JournalLocation::Sqlite(path) => Arc::new(SqliteJournal::open(path).await?),
            JournalLocation::Memory => Arc::new(SqliteJournal::in_memory().await?),
            JournalLocation::Postgres(url) => Arc::new(PostgresJournal::open(url).await?),
        };
        Ok(Self {
            store,
            window,
            health: None,
        })
    }

    /// Opens the journal at `location` to read it only (`klarna-mcp journal …`): nothing is
    /// created, migrated or re-permissioned, an archive on read-only media can be read, and
    /// a file that is not a journal is refused.
    pub async fn open_read_only(
        location: &JournalLocation,
        window: Duration,
    ) -> Result<Self, JournalError> {
        let store: Arc<dyn JournalStore> = match location {
            JournalLocation::Sqlite(path) => Arc::new(SqliteJournal::open_read_only(path).await?),
            JournalLocation::Memory => {
                return Err(JournalError {
                    location: location.describe(),
                    detail: "an in-memory journal keeps nothing to read".into(),
                });
            }
            JournalLocation::Postgres(url) => {
                location.check().map_err(|detail| JournalError {
                    location: location.describe(),
                    detail,
                })?;
                Arc::new(PostgresJournal::open_read_only(url).await?)
            }
        };
        Ok(Self {
            store,
            window,
            health: None,
        })
    }

    /// A journal over any store.
    pub fn with_store(store: Arc<dyn JournalStore>, window: Duration) -> Self {
        Self {
            store,
            window,
            health: None,
        }
    }

    /// This journal, telling `health` how each of its operations went from now on.
    pub fn watched_by(self, health: Arc<JournalHealth>) -> Self {
        Self {
            health: Some(health),
            ..self
        }
    }

    /// Tells the watching health of a failure; `appended`: of a record appended (only that
    /// shows the journal takes writes — a read-only database still answers reads).
    fn observe<T>(&self, result: &Result<T, JournalError>, appended: bool) {
        if let Some(health) = &self.health {
            match result {
                Err(e) => health.failed(e),
                Ok(_) if appended => health.worked(),
                Ok(_) => {}
            }
        }
    }

    /// Where it lives (a path or a URL without its password): for logs and the operator.
    pub fn describe(&self) -> String {
        self.store.describe()
    }

    /// What is unsafe about how this journal is kept (see [`JournalStore::warnings`]).
    pub fn warnings(&self) -> Vec<String> {
        self.store.warnings()
    }

    /// What kind of journal it is, without its location: for tool results, which never
    /// carry the server's file paths.
    pub fn kind(&self) -> String {
        let describe = self.store.describe();
        if describe.starts_with("postgres") {
            "PostgreSQL database (shared by the server's replicas)".into()
        } else if describe.starts_with("in memory") {
            describe
        } else {
            "SQLite file on the server".into()
        }
    }

    /// Whether `attempt` would pass the guards now (nothing is recorded): checked before a
    /// human is asked, so nobody confirms a write that will be refused.
    pub async fn precheck(
        &self,
        attempt: &NewRecord,
    ) -> Result<Option<GuardRefusal>, JournalError> {
        let window = self.window;
        let probe = attempt.clone();
        let outcome = self
            .store
            .decide_and_append(
                &attempt.order_id,
                &attempt.idempotency_key,
                Box::new(move |records| Decision {
                    append: Vec::new(),
                    outcome: match guards::check(&probe, records, window, OffsetDateTime::now_utc())
                    {
                        Ok(()) => Outcome::Begun,
                        Err(refusal) => Outcome::Refused(refusal),
                    },
                }),
            )
            .await;
        self.observe(&outcome, false);
        Ok(match outcome? {
            Outcome::Refused(refusal) => Some(refusal),
            _ => None,
        })
    }

    /// Checks the guards and, in the same atomic step, records `attempt` as `pending` — or,
    /// when a guard refuses it, as `not_sent` with the reason. Two identical writes racing
    /// here cannot both pass.
    pub async fn begin(&self, attempt: NewRecord) -> Result<Option<GuardRefusal>, JournalError> {
        let window = self.window;
        let order_id = attempt.order_id.clone();
        let key = attempt.idempotency_key.clone();
        let started = std::time::Instant::now();
        let outcome = self
            .store
            .decide_and_append(
                &order_id,
                &key,
                Box::new(move |records| {
                    match guards::check(&attempt, records, window, OffsetDateTime::now_utc()) {
                        Ok(()) => Decision {
                            append: vec![NewRecord {
                                verdict: Verdict::Pending,
                                ..attempt
                            }],
                            outcome: Outcome::Begun,
                        },
                        Err(refusal) => {
                            let note = match &refusal {
                                GuardRefusal::Repeat(earlier) => format!(
                                    "{} {} without an idempotency key",
                                    crate::journal::guards::REFUSED_REPEAT_NOTE,
                                    earlier.first.op_id
                                ),
                                GuardRefusal::KeyReuse(earlier) => format!(
                                    "refused: the key belongs to operation {}",
                                    earlier.first.op_id
                                ),
                            };
                            Decision {
                                append: vec![NewRecord {
                                    verdict: Verdict::NotSent,
                                    note: Some(note),
                                    ..attempt
                                }],
                                outcome: Outcome::Refused(refusal),
                            }
                        }
                    }
                }),
            )
            .await;
        crate::telemetry::metrics::journal_append("begin", started.elapsed(), outcome.is_ok());
        self.observe(&outcome, true);
        Ok(match outcome? {
            Outcome::Refused(refusal) => Some(refusal),
            _ => None,
        })
    }

    /// Records an operation's verdict; one that carries Klarna's answer also settles earlier
    /// operations with the same key that were left pending or of unknown outcome.
    ///
    /// A capture or refund id is applied once in the journal, as it is at Klarna: when this
    /// answer settles an earlier operation with the same key, or names an id another
    /// operation already holds as applied (two calls raced with one key), the money is
    /// counted there, and this operation is recorded as `replayed` of it.
    pub async fn finish(&self, verdict: NewRecord) -> Result<Finished, JournalError> {
        let order_id = verdict.order_id.clone();
        let key = verdict.idempotency_key.clone();
        let started = std::time::Instant::now();
        let outcome = self
            .store
            .decide_and_append(
                &order_id,
                &key,
                Box::new(move |records| {
                    let settled = guards::settlements(&verdict, records);
                    let already_applied =
                        guards::applied_elsewhere(&verdict, records).map(|op| op.first.op_id);
                    // This operation was itself settled as applied, with this very id, by
                    // the answer to another call with its key: that answer came first, and
                    // this one is Klarna's replay of it (the money is counted here once).
                    let settled_with_this_answer =
                        verdict.verdict == Verdict::Applied
                            && verdict.created_id.is_some()
                            && guards::operations(records).iter().any(|op| {
                                op.first.op_id == verdict.op_id
                                    && op.latest.record.verdict == Verdict::Applied
                                    && op.latest.record.created_id == verdict.created_id
                            });
                    let answered_before = settled_with_this_answer
                        || (settled.is_empty() && already_applied.is_some());
                    let owner = settled
                        .first()
                        .map(|s| s.op_id.clone())
                        .or(already_applied);
                    let recorded = match &owner {
                        _ if settled_with_this_answer => verdict,
                        Some(owner) if verdict.verdict == Verdict::Applied => NewRecord {
                            verdict: Verdict::Replayed,
                            note: Some(format!(
                                "applied once, counted under operation {owner} (same idempotency key{})",
                                verdict
                                    .created_id
                                    .as_deref()
                                    .map(|id| format!(", id {id}"))
                                    .unwrap_or_default()
                            )),
                            ..verdict
                        },
                        _ => verdict,
                    };
                    let finished = Finished {
                        verdict: recorded.verdict,
                        counted_under: owner,
                        answered_before,
                    };
                    let mut append = vec![recorded];
                    append.extend(settled);
                    Decision {
                        append,
                        outcome: Outcome::Finished(finished),
                    }
                }),
            )
            .await;
        crate::telemetry::metrics::journal_append("finish", started.elapsed(), outcome.is_ok());
        self.observe(&outcome, true);
        Ok(match outcome? {
            Outcome::Finished(finished) => finished,
            _ => Finished::default(),
        })
    }

    /// Operations matching `filter`, newest first.
    pub async fn operations(
        &self,
        filter: &OperationFilter,
    ) -> Result<Vec<Operation>, JournalError> {
        let operations = self.store.operations(filter).await;
        self.observe(&operations, false);
        operations
    }

    /// Operations left pending or of unknown outcome (of one order, or all), newest first.
    pub async fn unresolved(&self, order_id: Option<&str>) -> Result<Vec<Operation>, JournalError> {
        let mut ops = Vec::new();
        for verdict in [Verdict::Pending, Verdict::OutcomeUnknown] {
            ops.extend(
                self.operations(&OperationFilter {
                    order_id: order_id.map(str::to_string),
                    verdict: Some(verdict),
                    limit: usize::MAX,
                    ..OperationFilter::default()
                })
                .await?,
            );
        }
        ops.sort_by(|a, b| b.first.recorded_at.cmp(&a.first.recorded_at));
        Ok(ops)
    }

    /// Every record, in chain order.
    pub async fn all_records(&self) -> Result<Vec<Record>, JournalError> {
        let records = self.store.records(&RecordFilter::default()).await;
        self.observe(&records, false);
        records
    }

    /// Writes a consistent copy of the whole journal to the new file `target` (SQLite; a
    /// PostgreSQL journal is backed up with the database's tools).
    pub async fn backup_to(&self, target: &std::path::Path) -> Result<(), JournalError> {
        self.store.backup_to(target).await
    }

    /// Recomputes the chain — an edited, removed or reordered record breaks it — and holds
    /// the operations index against it (an index that disagrees would hide or invent
    /// operations in listings and the guards' view of what is unresolved).
    pub async fn verify(&self) -> Result<Verification, JournalError> {
        let records = self.all_records().await?;
        let verification = verify_chain(&records);
        if !matches!(verification, Verification::Intact { .. }) {
            return Ok(verification);
        }
        if let Some(index) = self.store.operation_index().await?
            && let Some((seq, problem)) = index_disagreement(&records, &index)
        {
            return Ok(Verification::Broken { seq, problem });
        }
        Ok(verification)
    }
}

/// Checks that `records` (in stored order) are numbered 1, 2, 3… and each hash chains to
/// the one before.
pub fn verify_chain(records: &[Record]) -> Verification {
    let mut prev = record::GENESIS.to_string();
    for (i, r) in records.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        if r.seq != expected_seq {
            return Verification::Broken {
                seq: r.seq,
                problem: format!(
                    "expected record {expected_seq} here: a record was removed or the records were reordered"
                ),
            };
        }
        if r.prev_hash != prev {
            return Verification::Broken {
                seq: r.seq,
                problem: "it does not chain to the record before: a record before it was removed, \
                          replaced or reordered"
                    .into(),
            };
        }
        if record::chain_hash(r.seq, &r.record, &r.prev_hash) != r.hash {
            return Verification::Broken {
                seq: r.seq,
                problem: "its content does not match its hash: it was edited".into(),
            };
        }
        prev = r.hash.clone();
    }
    Verification::Intact {
        records: records.len(),
        head: prev,
    }
}

/// Where the operations index disagrees with the chain's records, if it does: the record
/// number to look at and what is wrong.
fn index_disagreement(records: &[Record], index: &[store::IndexRow]) -> Option<(i64, String)> {
    // One pass: each operation's first record makes its row, later ones move it on.
    let mut expected: Vec<store::IndexRow> = Vec::new();
    let mut position: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for r in records {
        match position.get(r.record.op_id.as_str()).copied() {
            Some(i) => {
                if let Some(row) = expected.get_mut(i) {
                    row.latest_seq = r.seq;
                    row.verdict = r.record.verdict.as_str().to_string();
                }
            }
            None => {
                position.insert(r.record.op_id.as_str(), expected.len());
                expected.push(store::IndexRow {
                    op_id: r.record.op_id.clone(),
                    first_seq: r.seq,
                    latest_seq: r.seq,
                    verdict: r.record.verdict.as_str().to_string(),
                });
            }
        }
    }
    let mut index: Vec<&store::IndexRow> = index.iter().collect();
    index.sort_by_key(|row| row.first_seq);
    for (i, want) in expected.iter().enumerate() {
        match index.get(i) {
            Some(got) if *got == want => {}
            Some(got) => {
                return Some((
                    want.first_seq,
                    format!(
                        "the operations index says operation {} stands at record {} ({}), the chain says {} at record {} ({})",
                        got.op_id,
                        got.latest_seq,
                        got.verdict,
                        want.op_id,
                        want.latest_seq,
                        want.verdict
                    ),
                ));
            }
            None => {
                return Some((
                    want.first_seq,
                    format!(
                        "operation {} is missing from the operations index",
                        want.op_id
                    ),
                ));
            }
        }
    }
    index.get(expected.len()).map(|extra| {
        (
            extra.first_seq,
            format!(
                "the operations index lists operation {}, which the chain does not hold",
                extra.op_id
            ),
        )
    })
}
