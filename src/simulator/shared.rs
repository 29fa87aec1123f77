//! State shared between the [`super::Simulator`] handle and the server task.
//!
//! Locks are only ever held for short, synchronous sections; nothing awaits
//! while holding one, so `set_latency` and `Fault::Delay` never serialize
//! concurrent requests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use time::OffsetDateTime;

use super::auth::SimCredential;
use super::faults::FaultQueue;
use super::idempotency::IdempotencyStore;
use super::order::Order;
use super::record::RequestLog;
use super::settlements::Ledger;
use super::snapshot::LedgerEntry;

/// Everything the server and the handle share.
pub(crate) struct Shared {
    /// Every login, each for one host.
    pub(crate) credentials: Vec<SimCredential>,
    /// Bound address; used for `Location` when a request has no `Host` header.
    pub(crate) addr: SocketAddr,
    inner: Mutex<Inner>,
    faults: Mutex<FaultQueue>,
    log: Mutex<RequestLog>,
    pub(crate) request_count: AtomicU64,
    pub(crate) connections: AtomicU64,
    pub(crate) latency_nanos: AtomicU64,
}

/// Orders, the settlement ledger, idempotency records and the simulated clock,
/// guarded together so an idempotent lookup-apply-store (and the transaction a
/// capture or refund becomes) is atomic.
pub(crate) struct Inner {
    pub(crate) orders: HashMap<String, Order>,
    pub(crate) idempotency: IdempotencyStore,
    /// Settlement transactions and payouts (the Settlements API's state).
    pub(crate) ledger: Ledger,
    /// How far simulated time is ahead of the wall clock.
    pub(crate) clock_offset: Duration,
}

impl Inner {
    /// Simulated now: wall clock plus the accumulated `advance_clock` offset.
    pub(crate) fn now(&self) -> OffsetDateTime {
        let offset = time::Duration::try_from(self.clock_offset).unwrap_or(time::Duration::MAX);
        OffsetDateTime::now_utc().saturating_add(offset)
    }

    /// Every applied capture, refund and fee on every order, oldest first
    /// (ties: by order id, then captures before refunds before fees).
    pub(crate) fn ledger(&self) -> Vec<LedgerEntry> {
        let mut entries: Vec<LedgerEntry> = self.orders.values().flat_map(|o| o.ledger()).collect();
        let rank = |e: &LedgerEntry| match e.kind {
            super::snapshot::MovementKind::Capture => 0u8,
            super::snapshot::MovementKind::Refund => 1,
            super::snapshot::MovementKind::Fee(_) => 2,
        };
        entries.sort_by(|a, b| (a.at, &a.order_id, rank(a)).cmp(&(b.at, &b.order_id, rank(b))));
        entries
    }
}

impl Shared {
    pub(crate) fn new(credentials: Vec<SimCredential>, addr: SocketAddr) -> Self {
        Self {
            credentials,
            addr,
            inner: Mutex::new(Inner {
                orders: HashMap::new(),
                idempotency: IdempotencyStore::default(),
                ledger: Ledger::default(),
                clock_offset: Duration::ZERO,
            }),
            faults: Mutex::new(FaultQueue::default()),
            log: Mutex::new(RequestLog::default()),
            request_count: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            latency_nanos: AtomicU64::new(0),
        }
    }

    pub(crate) fn lock_inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn lock_faults(&self) -> MutexGuard<'_, FaultQueue> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn lock_log(&self) -> MutexGuard<'_, RequestLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}
