//! What a journal store must do: append chained records atomically after a decision taken
//! on the records it holds, and read them back. SQLite and PostgreSQL are two
//! implementations; the rules (`guards.rs`) and the chaining (`record.rs`) are shared.

use futures::future::BoxFuture;

use super::{
    JournalError, Operation, OperationFilter, guards,
    record::{NewRecord, Record},
};

/// What a decision appends, and what it concluded.
pub struct Decision<T> {
    /// Records to append, in order.
    pub append: Vec<NewRecord>,
    /// The conclusion handed back to the caller.
    pub outcome: T,
}

/// A decision taken on the records of one order and one key, inside the atomic section.
pub type Decide<'a, T> = Box<dyn FnOnce(&[Record]) -> Decision<T> + Send + 'a>;

/// Which records a read returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Only this order's.
    pub order_id: Option<String>,
    /// Only records of operations with this idempotency key.
    pub idempotency_key: Option<String>,
    /// Only records at or after this time (RFC 3339).
    pub since: Option<String>,
}

/// A place records are kept.
pub trait JournalStore: Send + Sync {
    /// Where, for messages (a path, or a database URL without its password).
    fn describe(&self) -> String;

    /// What is unsafe about how this journal is kept, found when it was opened (e.g. a
    /// database role that could rewrite it), to be said at start-up.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }

    /// In one atomic section — no other writer in between, in this process or another —
    /// reads every record of `order_id` and of `idempotency_key`, lets `decide` choose what
    /// to append, and appends it, chained after the last record. Nothing is appended unless
    /// everything is.
    fn decide_and_append<'a>(
        &'a self,
        order_id: &'a str,
        idempotency_key: &'a str,
        decide: Decide<'a, crate::journal::Outcome>,
    ) -> BoxFuture<'a, Result<crate::journal::Outcome, JournalError>>;

    /// The records matching `filter`, in chain order.
    fn records<'a>(
        &'a self,
        filter: &'a RecordFilter,
    ) -> BoxFuture<'a, Result<Vec<Record>, JournalError>>;

    /// The operations `filter` selects, newest first, at most `filter.limit`. The stores of
    /// this crate answer from their `operations` index, at a cost that follows what is
    /// returned; a store without one folds the records its filter reads.
    fn operations<'a>(
        &'a self,
        filter: &'a OperationFilter,
    ) -> BoxFuture<'a, Result<Vec<Operation>, JournalError>> {
        Box::pin(fold_operations(self, filter))
    }

    /// Writes a consistent copy of the whole journal to the new file `target`.
    fn backup_to<'a>(
        &'a self,
        target: &'a std::path::Path,
    ) -> BoxFuture<'a, Result<(), JournalError>> {
        Box::pin(async move {
            let _ = target;
            Err(JournalError {
                location: self.describe(),
                detail: "this journal is kept in a database: back it up with the database's own tools (pg_dump -t journal -t operations)".into(),
            })
        })
    }

    /// Whether a record could be appended now, without appending one: the database answers,
    /// takes writes (not read-only, not on a standby, the role may insert), so a write's
    /// record would be on disk before it is sent. The default only reads (for stores that
    /// cannot tell); the stores of this crate ask for a write that touches no row.
    fn probe(&self) -> BoxFuture<'_, Result<(), JournalError>> {
        Box::pin(async move {
            self.records(&RecordFilter {
                order_id: Some(String::new()),
                ..RecordFilter::default()
            })
            .await
            .map(|_| ())
        })
    }

    /// Every row of the `operations` index, for `journal verify` to hold against the chain;
    /// `None` for a store that keeps no index.
    fn operation_index(&self) -> BoxFuture<'_, Result<Option<Vec<IndexRow>>, JournalError>> {
        Box::pin(async { Ok(None) })
    }
}

/// One row of the `operations` index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    /// The operation.
    pub op_id: String,
    /// Its first record.
    pub first_seq: i64,
    /// Its latest record.
    pub latest_seq: i64,
    /// The latest record's verdict, as stored.
    pub verdict: String,
}

/// The operations `filter` selects, folded from the records a [`RecordFilter`] reads: for
/// stores (and archives) without an operations index.
pub async fn fold_operations<S: JournalStore + ?Sized>(
    store: &S,
    filter: &OperationFilter,
) -> Result<Vec<Operation>, JournalError> {
    let records = store
        .records(&RecordFilter {
            order_id: filter.order_id.clone(),
            idempotency_key: filter.idempotency_key.clone(),
            since: filter.since.clone(),
        })
        .await?;
    let mut ops: Vec<Operation> = guards::operations(&records)
        .into_iter()
        .filter(|op| {
            filter
                .since
                .as_deref()
                .is_none_or(|since| op.first.recorded_at.as_str() >= since)
        })
        .filter(|op| filter.verdict.is_none_or(|v| op.verdict() == v))
        .filter(|op| filter.tool.as_ref().is_none_or(|t| &op.first.tool == t))
        .filter(|op| {
            filter
                .principal
                .as_ref()
                .is_none_or(|p| op.first.principal.as_ref() == Some(p))
        })
        .collect();
    ops.reverse();
    ops.truncate(filter.limit);
    Ok(ops)
}
