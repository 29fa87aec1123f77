//! Per-principal rate limiting: each principal (by subject) gets a GCRA budget from
//! [`governor`]; a request over it gets `429 Too Many Requests` with `Retry-After` in seconds.
//!
//! `governor` rather than a hand-written bucket: its keyed limiter is lock-free per key,
//! computes the exact wait for `Retry-After`, and can forget idle keys
//! ([`governor::RateLimiter::retain_recent`]), which a few lines of our own would have to get
//! right too. The limit applies to `/mcp` after authentication, so it is per principal, not
//! per connection or IP; without authentication every caller is the one `local` principal.

use std::{
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};

use super::config::RateLimit;
use crate::auth::Principal;

/// Every this many checks, keys whose budget is full again are dropped.
const FORGET_IDLE_EVERY: u32 = 1024;

/// The keyed limiter and its clock.
pub(crate) struct PrincipalLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    checks: AtomicU32,
}

impl PrincipalLimiter {
    pub fn new(limit: RateLimit) -> Self {
        // per_minute(n) replenishes one request every 60/n seconds.
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            checks: AtomicU32::new(0),
        }
    }

    /// `Ok` if `subject` may make a request now, else how long until it may.
    pub fn check(&self, subject: &str) -> Result<(), Duration> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(FORGET_IDLE_EVERY)
        {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&subject.to_string())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// Middleware (after authentication): applies the principal's budget.
pub(crate) async fn limit(
    State(limiter): State<Arc<PrincipalLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let subject = request
        .extensions()
        .get::<Principal>()
        .map_or("anonymous", |p| p.subject.as_str());
    if let Err(wait) = limiter.check(subject) {
        // Round up: a client that waits the advertised seconds must get through.
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let seconds =
            NonZeroU32::new(u32::try_from(seconds).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        tracing::warn!(subject, retry_after = seconds.get(), "rate limit reached");
        crate::telemetry::metrics::http_rejection("rate_limit");
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too Many Requests: rate limit reached for {subject}; retry in {seconds} s"),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.get()));
        return response;
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_principal_has_its_own_budget() {
        let limiter = PrincipalLimiter::new(RateLimit {
            per_minute: NonZeroU32::new(1).unwrap(),
            burst: NonZeroU32::new(2).unwrap(),
        });
        assert!(limiter.check("alice").is_ok());
        assert!(limiter.check("alice").is_ok());
        let wait = limiter.check("alice").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(60));
        assert!(limiter.check("bob").is_ok());
    }
}
