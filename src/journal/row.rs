//! How a record maps to a row of the `journal` table, in one place for both stores: the
//! columns, the INSERT, and reading a row back. SQLite and PostgreSQL differ only in their
//! placeholders (`?1` / `$1`) and in the integer type of `http_status`.

use std::sync::LazyLock;

/// Every column, in table order (a macro, so queries can `concat!` it).
macro_rules! columns {
    () => {
        "seq, op_id, recorded_at, tool, api_host, order_id, amount, amount_was_everything, \
         currency, idempotency_key, key_from_caller, body_digest, client_name, client_version, \
         principal, confirmed, verdict, created_id, correlation_id, http_status, error_code, \
         note, target_id, prev_hash, hash"
    };
}
pub(super) use columns;

/// Every column, in table order.
pub(super) const COLUMNS: &str = columns!();

/// The INSERT of one record, with placeholders made by `placeholder(n)` for n = 1, 2, ….
fn insert(placeholder: fn(usize) -> String) -> String {
    let values: Vec<String> = (1..=COLUMNS.split(',').count()).map(placeholder).collect();
    format!(
        "INSERT INTO journal ({COLUMNS}) VALUES ({})",
        values.join(", ")
    )
}

/// SQLite's INSERT.
pub(super) static SQLITE_INSERT: LazyLock<String> = LazyLock::new(|| insert(|n| format!("?{n}")));

/// PostgreSQL's INSERT.
pub(super) static POSTGRES_INSERT: LazyLock<String> = LazyLock::new(|| insert(|n| format!("${n}")));

/// Binds every column of the chained record `$r` to `$query`, in [`COLUMNS`] order;
/// `$status` is the database's integer type for `http_status`.
macro_rules! bind_record {
    ($query:expr, $r:expr, $status:ty) => {{
        let r = $r;
        let n = &r.record;
        $query
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
            .bind(n.http_status.map(<$status>::from))
            .bind(&n.error_code)
            .bind(&n.note)
            .bind(&n.target_id)
            .bind(&r.prev_hash)
            .bind(&r.hash)
    }};
}
pub(super) use bind_record;

/// Reads one row (every column of [`COLUMNS`]) back into a record; `$status` as for
/// [`bind_record`].
macro_rules! record_from_row {
    ($row:expr, $status:ty) => {{
        use sqlx::Row as _;
        let row = $row;
        let verdict: String = row.try_get("verdict")?;
        let http_status: Option<$status> = row.try_get("http_status")?;
        Ok::<_, sqlx::Error>($crate::journal::record::Record {
            seq: row.try_get("seq")?,
            record: $crate::journal::record::NewRecord {
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
                verdict: $crate::journal::record::Verdict::parse(&verdict).ok_or_else(|| {
                    sqlx::Error::ColumnDecode {
                        index: "verdict".into(),
                        source: format!("unknown verdict {verdict:?}").into(),
                    }
                })?,
                created_id: row.try_get("created_id")?,
                correlation_id: row.try_get("correlation_id")?,
                http_status: http_status.and_then(|s| u16::try_from(s).ok()),
                error_code: row.try_get("error_code")?,
                note: row.try_get("note")?,
                target_id: row.try_get("target_id")?,
            },
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }};
}
pub(super) use record_from_row;

/// Keeps an operation's row in the `operations` index in step with a record just appended:
/// the first record of an operation creates it, every later one moves its latest record
/// and verdict.
fn upsert_operation(placeholder: fn(usize) -> String) -> String {
    let values: Vec<String> = (1..=9).map(placeholder).collect();
    format!(
        "INSERT INTO operations (op_id, first_seq, latest_seq, order_id, idempotency_key, tool, principal, started_at, verdict) \
         VALUES ({}) ON CONFLICT (op_id) DO UPDATE SET latest_seq = excluded.latest_seq, verdict = excluded.verdict",
        values.join(", ")
    )
}

/// SQLite's upsert of an operation's index row.
pub(super) static SQLITE_UPSERT_OPERATION: LazyLock<String> =
    LazyLock::new(|| upsert_operation(|n| format!("?{n}")));

/// PostgreSQL's upsert of an operation's index row.
pub(super) static POSTGRES_UPSERT_OPERATION: LazyLock<String> =
    LazyLock::new(|| upsert_operation(|n| format!("${n}")));

/// Binds the index row of the chained record `$r` to `$query` (see `upsert_operation`).
macro_rules! bind_operation {
    ($query:expr, $r:expr) => {{
        let r = $r;
        let n = &r.record;
        $query
            .bind(&n.op_id)
            .bind(r.seq)
            .bind(r.seq)
            .bind(&n.order_id)
            .bind(&n.idempotency_key)
            .bind(&n.tool)
            .bind(&n.principal)
            .bind(&n.recorded_at)
            .bind(n.verdict.as_str())
    }};
}
pub(super) use bind_operation;

/// A value bound to a query built at run time.
pub(super) enum Param {
    Text(String),
    Int(i64),
}

/// The query for the first and latest record numbers of the operations `filter` selects,
/// newest first, at most `filter.limit` of them: each condition uses an index of the
/// `operations` table, so the cost follows what is returned, not the journal's size.
pub(super) fn list_operations(
    filter: &super::OperationFilter,
    placeholder: fn(usize) -> String,
) -> (String, Vec<Param>) {
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    let mut add = |column: &str, op: &str, value: Param| {
        params.push(value);
        conditions.push(format!("{column} {op} {}", placeholder(params.len())));
    };
    if let Some(order) = &filter.order_id {
        add("order_id", "=", Param::Text(order.clone()));
    }
    if let Some(key) = &filter.idempotency_key {
        add("idempotency_key", "=", Param::Text(key.clone()));
    }
    if let Some(since) = &filter.since {
        add("started_at", ">=", Param::Text(since.clone()));
    }
    if let Some(tool) = &filter.tool {
        add("tool", "=", Param::Text(tool.clone()));
    }
    if let Some(principal) = &filter.principal {
        add("principal", "=", Param::Text(principal.clone()));
    }
    if let Some(verdict) = filter.verdict {
        add("verdict", "=", Param::Text(verdict.as_str().to_string()));
    }
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    params.push(Param::Int(limit));
    let mut sql = "SELECT first_seq, latest_seq FROM operations".to_string();
    if !conditions.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&conditions.join(" AND "));
    }
    sql.push_str(&format!(
        " ORDER BY first_seq DESC LIMIT {}",
        placeholder(params.len())
    ));
    (sql, params)
}

/// The records numbered by `count` placeholders, in chain order.
pub(super) fn records_by_seq(count: usize, placeholder: fn(usize) -> String) -> String {
    let list: Vec<String> = (1..=count).map(placeholder).collect();
    format!(
        "SELECT {COLUMNS} FROM journal WHERE seq IN ({}) ORDER BY seq",
        list.join(", ")
    )
}

/// How many record numbers one `records_by_seq` query carries (both databases take far
/// more parameters; this keeps each statement small).
pub(super) const SEQ_BATCH: usize = 500;

/// Pairs each (first, latest) record number with its records, in the order given; a number
/// without its record is a journal that changed under the index (reported, never skipped).
pub(super) fn assemble(
    wanted: &[(i64, i64)],
    records: Vec<super::record::Record>,
) -> Result<Vec<super::Operation>, String> {
    let by_seq: std::collections::HashMap<i64, super::record::Record> =
        records.into_iter().map(|r| (r.seq, r)).collect();
    wanted
        .iter()
        .map(|(first, latest)| {
            let missing = |seq: &i64| format!("the operations index names record {seq}, which the journal does not hold: run `klarna-mcp journal verify`");
            let first_record = by_seq.get(first).ok_or_else(|| missing(first))?;
            let latest_record = by_seq.get(latest).ok_or_else(|| missing(latest))?;
            Ok(super::Operation {
                first: first_record.record.clone(),
                latest: latest_record.clone(),
            })
        })
        .collect()
}
