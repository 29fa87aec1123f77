//! Liveness and readiness, for load balancers, orchestrators and people.
//!
//! - `/healthz` — liveness: the process serves HTTP. Always `200 {"status":"ok"}`; restarting
//!   a server whose journal database is down would not bring the database back.
//! - `/readyz` — readiness: whether this server can do its work now. `200
//!   {"status":"ready","checks":{…}}` when every check passes; `503
//!   {"status":"not_ready","checks":{…}}` with each failing check's reason otherwise (and
//!   `Retry-After`), so a load balancer sends calls to a replica that can record writes.
//!
//! The checks come from the caller (the operation journal can take a write) and from the
//! server itself (the OAuth issuer's keys can be trusted). Each is bounded by
//! [`CHECK_TIMEOUT`] and cheap to repeat: the journal's probe is coalesced and the issuer's
//! keys are fetched at most once per refresh interval, so probing `/readyz` in a loop does
//! not load the database or the identity provider. Reasons name no path, address or secret.

use std::{sync::Arc, time::Duration};

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::future::BoxFuture;
use serde_json::{Map, Value, json};

/// How long one check may take before it counts as failed.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// What `Retry-After` says when not ready.
const RETRY_AFTER_SECS: u32 = 5;

/// One check: `Ok` or why not.
pub type Check = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// The checks `/readyz` runs.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(&'static str, Check)>,
}

impl Readiness {
    /// No checks: ready whenever it serves.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the check `name`.
    pub fn with(
        mut self,
        name: &'static str,
        check: impl Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync + 'static,
    ) -> Self {
        self.checks.push((name, Arc::new(check)));
        self
    }

    /// Runs every check at once; returns whether all passed, and each one's answer.
    pub async fn run(&self) -> (bool, Map<String, Value>) {
        let answers =
            futures::future::join_all(self.checks.iter().map(|(name, check)| async move {
                let answer = match tokio::time::timeout(CHECK_TIMEOUT, check()).await {
                    Ok(answer) => answer,
                    Err(_) => Err(format!(
                        "did not answer within {} s",
                        CHECK_TIMEOUT.as_secs()
                    )),
                };
                (*name, answer)
            }))
            .await;
        let ready = answers.iter().all(|(_, a)| a.is_ok());
        let checks = answers
            .into_iter()
            .map(|(name, answer)| {
                let shown = match answer {
                    Ok(()) => "ok".to_string(),
                    Err(why) => crate::klarna::sanitize::bound(&why, 400),
                };
                (name.to_string(), Value::String(shown))
            })
            .collect();
        (ready, checks)
    }
}

/// `GET /healthz`.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`.
pub(crate) async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let (ready, checks) = readiness.run().await;
    if ready {
        return Json(json!({ "status": "ready", "checks": checks })).into_response();
    }
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "not_ready", "checks": checks })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_check_answers_and_one_failure_is_not_ready() {
        let readiness = Readiness::new()
            .with("journal", || Box::pin(async { Ok(()) }))
            .with("issuer_keys", || {
                Box::pin(async { Err("cannot refresh".to_string()) })
            });
        let (ready, checks) = readiness.run().await;
        assert!(!ready);
        assert_eq!(checks["journal"], "ok");
        assert_eq!(checks["issuer_keys"], "cannot refresh");
        assert!(Readiness::new().run().await.0);
    }
}
