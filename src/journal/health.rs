//! Whether the journal can be written now, and what the server's log says when that
//! changes: an ERROR when it stops working (once for the whole episode, however many calls
//! fail meanwhile), an INFO when it works again.
//!
//! Two sources feed it. Every journal operation of the server reports its outcome (a
//! failure marks the journal failing; only a record appended — never a read, which a
//! read-only database still answers — marks it working). And a probe asks the store
//! whether a write would be accepted ([`JournalStore::probe`](super::JournalStore::probe)):
//! the team server's readiness (`/readyz`) and its watch run one. Writes are never refused on
//! a probe's word: each write's own append decides, so the first write after the database is
//! back goes through. Probes are coalesced — at most one per
//! [`PROBE_AT_MOST_EVERY`], each bounded by [`PROBE_TIMEOUT`] — so a flood of calls or
//! readiness checks cannot turn into a flood of database round trips.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{Journal, JournalError};
use crate::telemetry::client_log::NOTICE_TARGET;

/// A probe's answer is reused for this long.
pub const PROBE_AT_MOST_EVERY: Duration = Duration::from_secs(1);
/// A probe that takes longer than this counts as a failure. Longer than the stores' own
/// waits (SQLite's busy timeout, the PostgreSQL pool's acquire timeout: 10 s), so a write
/// lock another process holds for a few seconds — which an append would wait out — is not
/// reported as a journal that stopped working.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(12);

/// The journal's health as the server last saw it.
#[derive(Default)]
pub struct JournalHealth {
    /// Why the journal cannot be written, while it cannot.
    failing: Mutex<Option<String>>,
    /// When the last probe ran; held while a probe runs, so callers that arrive meanwhile
    /// share its answer.
    last_probe: tokio::sync::Mutex<Option<Instant>>,
}

impl JournalHealth {
    /// Why the journal cannot be written, if the last word on it was a failure.
    pub fn failing(&self) -> Option<String> {
        match self.failing.lock() {
            Ok(failing) => failing.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// A journal operation failed: the journal is failing (logged if it was not already).
    pub fn failed(&self, error: &JournalError) {
        let detail = error.detail.clone();
        let started = {
            let mut failing = match self.failing.lock() {
                Ok(failing) => failing,
                Err(poisoned) => poisoned.into_inner(),
            };
            let started = failing.is_none();
            *failing = Some(detail.clone());
            started
        };
        if started {
            tracing::error!(
                target: NOTICE_TARGET,
                journal = %error.location,
                reason = %detail,
                "the operation journal cannot be used: writes are refused until it works again (reads \
                 work); the server's log says why"
            );
        }
    }

    /// A record was appended or a probe passed: the journal works (logged if it did not).
    pub fn worked(&self) {
        let ended = match self.failing.lock() {
            Ok(mut failing) => failing.take().is_some(),
            Err(poisoned) => poisoned.into_inner().take().is_some(),
        };
        if ended {
            tracing::info!(
                target: NOTICE_TARGET,
                "the operation journal works again: writes are accepted"
            );
        }
    }

    /// Asks `journal`'s store whether a write would be accepted now — or, within
    /// [`PROBE_AT_MOST_EVERY`] of the last probe, answers with what that probe and the
    /// operations since have shown — and records the answer. `Err` holds the reason, without
    /// the journal's location.
    pub async fn probe(&self, journal: &Journal) -> Result<(), String> {
        let mut last = self.last_probe.lock().await;
        if last.is_some_and(|at| at.elapsed() < PROBE_AT_MOST_EVERY) {
            return self.failing().map_or(Ok(()), Err);
        }
        // Counted from its start: a probe abandoned half-way (its caller went away) still
        // holds off the next one for the interval.
        *last = Some(Instant::now());
        match tokio::time::timeout(PROBE_TIMEOUT, journal.store.probe()).await {
            Ok(Ok(())) => {
                self.worked();
                Ok(())
            }
            Ok(Err(e)) => {
                self.failed(&e);
                Err(e.detail)
            }
            Err(_) => {
                let e = JournalError {
                    location: journal.describe(),
                    detail: format!("it did not answer within {} s", PROBE_TIMEOUT.as_secs()),
                };
                self.failed(&e);
                Err(e.detail)
            }
        }
    }

    /// Forgets the last probe's answer, so the next probe asks the store (the journal was
    /// just opened, or reopened).
    pub async fn forget_probe(&self) {
        *self.last_probe.lock().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(detail: &str) -> JournalError {
        JournalError {
            location: "/tmp/j.sqlite3".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn failing_until_it_works_again() {
        let health = JournalHealth::default();
        assert_eq!(health.failing(), None);
        health.failed(&error("disk full"));
        health.failed(&error("pool timed out"));
        assert_eq!(health.failing().as_deref(), Some("pool timed out"));
        health.worked();
        assert_eq!(health.failing(), None);
    }
}
