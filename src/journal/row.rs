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
