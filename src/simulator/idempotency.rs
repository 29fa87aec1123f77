//! `Klarna-Idempotency-Key` records: the stored response of the first request
//! with a key, replayed for repeats. Scope (host, login, method, path); kept 24
//! hours of simulated time; request bodies are ignored when matching (Klarna
//! documents that).

// Klarna does not document the key scope; we choose (host, login, method, path)
// because that is the narrowest scope in which a retry of the same call still
// matches, a key reused on another order cannot replay an unrelated result, and
// each host is a separate Klarna installation with its own merchants (the same
// key sent to two hosts are two calls).
//
// Klarna does not document whether error responses are replayed; we choose to
// replay 2xx and 4xx (a refusal is a final answer, so a retry must not turn it
// into a different outcome later) but not 5xx, because a 5xx means "nothing
// happened, try again".
//
// Klarna does not document what a duplicate gets while the first request is
// still in flight (409 CONFLICT is plausible); we choose to never answer 409,
// because lookup, apply and store happen atomically under the state lock
// before any injected delay, so a concurrent duplicate always sees the stored
// response.
//
// Klarna guarantees replay for 24 hours only; we expire records after exactly
// 24 hours of simulated time because that is the documented guarantee.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::respond::SimResponse;

/// How long a stored response is replayed.
const RETENTION: time::Duration = time::Duration::hours(24);

/// Identifies one idempotent call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IdempotencyScope {
    /// The Klarna host the call was meant for.
    pub(crate) host: &'static str,
    /// Which configured credential logged in (its index).
    pub(crate) login: usize,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) key: String,
}

#[derive(Debug, Clone)]
struct Entry {
    stored_at: OffsetDateTime,
    response: SimResponse,
}

/// All live idempotency records.
#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    entries: HashMap<IdempotencyScope, Entry>,
}

impl IdempotencyStore {
    /// The stored response for `scope`, if one exists and is younger than 24 h.
    pub(crate) fn get(&self, scope: &IdempotencyScope, now: OffsetDateTime) -> Option<SimResponse> {
        let entry = self.entries.get(scope)?;
        (now - entry.stored_at < RETENTION).then(|| entry.response.clone())
    }

    /// Stores `response` if it is worth replaying: 2xx and 4xx outcomes are
    /// stored, anything else (5xx) is not, so a retry runs the operation again.
    pub(crate) fn store(
        &mut self,
        scope: IdempotencyScope,
        response: &SimResponse,
        now: OffsetDateTime,
    ) {
        if !(200..300).contains(&response.status) && !(400..500).contains(&response.status) {
            return;
        }
        self.entries.retain(|_, e| now - e.stored_at < RETENTION);
        self.entries.insert(
            scope,
            Entry {
                stored_at: now,
                response: response.clone(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(key: &str) -> IdempotencyScope {
        IdempotencyScope {
            host: "api.klarna.com",
            login: 0,
            method: "POST".into(),
            path: "/p".into(),
            key: key.into(),
        }
    }

    #[test]
    fn stores_2xx_and_4xx_not_5xx_and_expires() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut s = IdempotencyStore::default();
        s.store(scope("a"), &SimResponse::empty(201, vec![]), now);
        s.store(scope("b"), &SimResponse::error1(403, "X", "m"), now);
        s.store(scope("c"), &SimResponse::fault_status(503), now);
        assert!(s.get(&scope("a"), now).is_some());
        assert!(s.get(&scope("b"), now).is_some());
        assert!(s.get(&scope("c"), now).is_none());
        let later = now + time::Duration::hours(24);
        assert!(s.get(&scope("a"), later).is_none());
    }
}
