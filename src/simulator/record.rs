//! The request log: one [`RecordedRequest`] per completed request, bounded.

use std::collections::VecDeque;

/// How many requests the log keeps (oldest are dropped first).
pub(crate) const LOG_CAPACITY: usize = 10_000;

/// One request as the simulator saw it. It is logged as soon as its body has
/// been read (so the log is in arrival order and includes requests whose
/// client gave up), and `status` is filled in when the response is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `"POST"`.
    pub method: String,
    /// The Klarna host the request was meant for: the host named by the first
    /// path segment, else `api.klarna.com`.
    pub host: String,
    /// Request path on that host, without the host segment and the query
    /// string, e.g. `/ordermanagement/v1/orders/{id}`.
    pub path: String,
    /// The `Klarna-Idempotency-Key` header, if sent.
    pub idempotency_key: Option<String>,
    /// The credential the request presented, accepted or not: the username of
    /// a `username:password` login, or the raw value after `Basic ` (an API
    /// key); `None` without a Basic `Authorization` header. For assertions only:
    /// the simulator never logs it.
    pub credential: Option<String>,
    /// Whether `host` accepted the credential.
    pub authorized: bool,
    /// The `User-Agent` header, if sent.
    pub user_agent: Option<String>,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<String>,
    /// The request body parsed as JSON; a body that is not JSON is recorded as a
    /// JSON string holding its (lossy UTF-8) text; `None` when the body was
    /// empty or over the size limit.
    pub body: Option<serde_json::Value>,
    /// Status sent to the client; `0` while no response has been sent: still in
    /// flight (e.g. during `Fault::Delay` or latency), dropped by
    /// `Fault::CommitThenDrop`, or abandoned by a client that closed the
    /// connection first.
    pub status: u16,
}

/// Ring buffer of the last [`LOG_CAPACITY`] requests, each with a sequence
/// number so its status can be filled in later.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    /// Sequence number of the front entry; entries are contiguous from there.
    first_seq: u64,
    entries: VecDeque<RecordedRequest>,
}

impl RequestLog {
    /// Appends `r` and returns its sequence number.
    pub(crate) fn push(&mut self, r: RecordedRequest) -> u64 {
        while self.entries.len() >= LOG_CAPACITY {
            self.entries.pop_front();
            self.first_seq = self.first_seq.wrapping_add(1);
        }
        self.entries.push_back(r);
        let len = u64::try_from(self.entries.len()).unwrap_or(u64::MAX);
        self.first_seq.wrapping_add(len).wrapping_sub(1)
    }

    /// Sets the status of entry `seq`, unless it has been evicted already.
    pub(crate) fn set_status(&mut self, seq: u64, status: u16) {
        let Some(index) = seq
            .checked_sub(self.first_seq)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return;
        };
        if let Some(entry) = self.entries.get_mut(index) {
            entry.status = status;
        }
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.entries.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(path: &str) -> RecordedRequest {
        RecordedRequest {
            method: "GET".into(),
            host: "api.klarna.com".into(),
            path: path.into(),
            idempotency_key: None,
            credential: None,
            authorized: true,
            user_agent: None,
            content_type: None,
            body: None,
            status: 0,
        }
    }

    #[test]
    fn bounded_and_updatable_after_eviction() {
        let mut log = RequestLog::default();
        let first = log.push(request("/0"));
        let mut last = first;
        for i in 1..=LOG_CAPACITY {
            last = log.push(request(&format!("/{i}")));
        }
        log.set_status(first, 500); // evicted: ignored
        log.set_status(last, 200);
        let all = log.all();
        assert_eq!(all.len(), LOG_CAPACITY);
        assert_eq!(all.first().map(|r| r.path.as_str()), Some("/1"));
        assert_eq!(
            all.last().map(|r| (r.path.as_str(), r.status)),
            Some(("/10000", 200))
        );
    }
}
