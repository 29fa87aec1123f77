//! Writes that have been sent (or are about to be) and not yet answered to the client.
//!
//! When the server is told to stop — stdin closed, SIGTERM, Ctrl-C — a write in flight must
//! still end in an audit line: either its own (it finished within the shutdown grace), or
//! one saying its outcome is unknown, with its idempotency key, written just before the
//! process exits. Without that, a capture Klarna applied could leave no trace at all.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::Notify;

/// One write in flight, as its audit line needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InFlightWrite {
    /// Tool name.
    pub tool: &'static str,
    /// Host it went to.
    pub api_host: &'static str,
    /// Order id.
    pub order_id: String,
    /// Amount in minor units.
    pub amount: i64,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Whether a human confirmed it.
    pub confirmed: bool,
    /// Who asked, on a team server.
    pub principal: Option<String>,
    /// When it was sent.
    pub since: Instant,
}

/// The registry of writes in flight. Shared by every call of one server.
#[derive(Debug, Default)]
pub struct InFlightWrites {
    writes: Mutex<HashMap<u64, InFlightWrite>>,
    next: AtomicU64,
    changed: Notify,
}

/// Removes its write from the registry when dropped: after the call's own audit line.
#[derive(Debug)]
pub struct InFlightGuard {
    registry: Arc<InFlightWrites>,
    id: u64,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.id);
        self.registry.changed.notify_waiters();
    }
}

impl InFlightWrites {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, InFlightWrite>> {
        self.writes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a write about to be sent.
    pub fn begin(self: &Arc<Self>, write: InFlightWrite) -> InFlightGuard {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, write);
        InFlightGuard {
            registry: Arc::clone(self),
            id,
        }
    }

    /// How many writes are in flight.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no write is in flight.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits up to `grace` for every write in flight to finish, then takes the ones that did
    /// not (so that only one caller reports them).
    pub async fn settle(&self, grace: Duration) -> Vec<InFlightWrite> {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let changed = self.changed.notified();
            if self.is_empty() {
                return Vec::new();
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                let mut writes = self.lock();
                let mut left: Vec<InFlightWrite> = writes.drain().map(|(_, w)| w).collect();
                left.sort_by_key(|w| w.since);
                return left;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(key: &str) -> InFlightWrite {
        InFlightWrite {
            tool: "capture_order",
            api_host: "api.klarna.com",
            order_id: "o".into(),
            amount: 100,
            idempotency_key: key.into(),
            confirmed: false,
            principal: None,
            since: Instant::now(),
        }
    }

    #[tokio::test]
    async fn settle_returns_nothing_once_every_guard_is_dropped() {
        let registry = Arc::new(InFlightWrites::default());
        let guard = registry.begin(write("a"));
        let waiter = {
            let registry = Arc::clone(&registry);
            tokio::spawn(async move { registry.settle(Duration::from_secs(60)).await })
        };
        tokio::task::yield_now().await;
        drop(guard);
        assert!(waiter.await.unwrap().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn settle_hands_over_the_unfinished_once() {
        let registry = Arc::new(InFlightWrites::default());
        let _guard = registry.begin(write("k1"));
        let left = registry.settle(Duration::from_secs(1)).await;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].idempotency_key, "k1");
        assert!(registry.settle(Duration::from_secs(1)).await.is_empty());
    }
}
