//! What a journal store must do: append chained records atomically after a decision taken
//! on the records it holds, and read them back. SQLite and PostgreSQL are two
//! implementations; the rules (`guards.rs`) and the chaining (`record.rs`) are shared.

use futures::future::BoxFuture;

use super::{
    JournalError,
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
}
