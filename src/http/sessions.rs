//! Binds each legacy MCP session (`Mcp-Session-Id`) to the principal that created it, so a
//! session id that leaks cannot be used by another principal (MCP security best practices:
//! session ids are not authentication). A request naming a session that belongs to someone
//! else gets `404 Session not found`, the same as an unknown session.
//!
//! Sessions exist only for clients before 2026-07-28 (rmcp serves 2026-07-28 requests
//! statelessly). rmcp ends idle sessions itself; entries here are dropped when the session
//! is deleted or rmcp answers `404` for it, and forgotten after an hour without a
//! request. A session id with no entry is bound to the first principal that uses it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::Request,
    extract::State,
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::auth::Principal;

/// The session header of the Streamable HTTP transport.
const SESSION_HEADER: &str = "mcp-session-id";
/// Entries idle this long are forgotten (rmcp's own idle timeout is 5 minutes).
pub(crate) const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Forgetting idle entries is checked when the map grows past this size.
const PRUNE_ABOVE: usize = 4096;

struct Owner {
    subject: String,
    last_seen: Instant,
}

/// Session id → owner.
#[derive(Default)]
pub(crate) struct SessionOwners {
    owners: Mutex<HashMap<String, Owner>>,
}

impl SessionOwners {
    fn with_map<T>(&self, f: impl FnOnce(&mut HashMap<String, Owner>) -> T) -> T {
        match self.owners.lock() {
            Ok(mut map) => f(&mut map),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Whether `subject` may use session `id` (binding it if nobody owns it yet).
    fn admit(&self, id: &str, subject: &str) -> bool {
        self.with_map(|map| match map.get_mut(id) {
            Some(owner) if owner.subject != subject => false,
            Some(owner) => {
                owner.last_seen = Instant::now();
                true
            }
            None => {
                bind(map, id, subject);
                true
            }
        })
    }

    fn bind(&self, id: &str, subject: &str) {
        self.with_map(|map| bind(map, id, subject));
    }

    fn forget(&self, id: &str) {
        self.with_map(|map| map.remove(id));
    }
}

fn bind(map: &mut HashMap<String, Owner>, id: &str, subject: &str) {
    if map.len() >= PRUNE_ABOVE {
        map.retain(|_, owner| owner.last_seen.elapsed() < FORGET_AFTER);
    }
    map.insert(
        id.to_string(),
        Owner {
            subject: subject.to_string(),
            last_seen: Instant::now(),
        },
    );
}

/// Middleware (after authentication).
pub(crate) async fn bind_sessions(
    State(owners): State<Arc<SessionOwners>>,
    request: Request,
    next: Next,
) -> Response {
    let subject = request
        .extensions()
        .get::<Principal>()
        .map(|p| p.subject.clone())
        .unwrap_or_default();
    let session = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    if let Some(id) = &session
        && !owners.admit(id, &subject)
    {
        tracing::warn!(subject, "refused a request for another principal's session");
        return (StatusCode::NOT_FOUND, "Not Found: Session not found").into_response();
    }
    let deleting = request.method() == Method::DELETE;
    let response = next.run(request).await;
    if let Some(created) = response
        .headers()
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        owners.bind(created, &subject);
    }
    if let Some(id) = &session
        && ((deleting && response.status().is_success())
            || response.status() == StatusCode::NOT_FOUND)
    {
        owners.forget(id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_belongs_to_its_first_principal() {
        let owners = SessionOwners::default();
        owners.bind("s1", "alice");
        assert!(owners.admit("s1", "alice"));
        assert!(!owners.admit("s1", "bob"));
        owners.forget("s1");
        assert!(owners.admit("s1", "bob"));
    }
}
