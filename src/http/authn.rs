//! Authentication middleware for `/mcp`: turns the `Authorization` header into a
//! [`Principal`] in the request's extensions, or answers `401`/`403` with the challenge the
//! MCP authorization spec asks for.
//!
//! The `Authorization` header is removed once checked: rmcp copies the HTTP request's parts
//! into every MCP request it serves, and a token that is not there cannot be logged or
//! forwarded by a tool.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::auth::{Authenticator, InsufficientScope, Principal, Rejection, metadata::challenge};

/// What the middleware needs.
pub(crate) struct AuthState {
    /// `None`: no authentication (loopback only); everyone is [`Principal::local`].
    pub authenticator: Option<Arc<Authenticator>>,
    /// The Protected Resource Metadata URL, when OAuth is configured.
    pub resource_metadata: Option<String>,
}

/// Middleware: authenticates the request or refuses it.
pub(crate) async fn authenticate(
    State(state): State<Arc<AuthState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let principal = match &state.authenticator {
        // Without authentication only the person at this machine may call. A request a proxy
        // forwarded comes from someone else, whatever address it arrives from (a proxy on the
        // same host that rewrites `Host` hides that from the startup checks).
        None if forwarded(request.headers()) => {
            tracing::warn!(
                "refused a request forwarded by a proxy: no authentication is configured"
            );
            crate::telemetry::metrics::auth_failure("forwarded_without_auth");
            return (
                StatusCode::FORBIDDEN,
                axum::Json(json!({
                    "error": "forbidden",
                    "error_description": "this server has no authentication configured and serves only \
                        clients on its own machine; a request forwarded by a proxy is refused. Set \
                        KLARNA_OAUTH_ISSUER or KLARNA_HTTP_TOKENS_FILE to serve through a proxy",
                })),
            )
                .into_response();
        }
        None => Principal::local(),
        Some(authenticator) => {
            let header = request
                .headers()
                .get(header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap_or("invalid"));
            match authenticator.authenticate(header).await {
                Ok(principal) => principal,
                Err(rejection) => {
                    tracing::info!(%rejection, "refused an MCP request");
                    return rejection_response(&rejection, state.resource_metadata.as_deref());
                }
            }
        }
    };
    tracing::debug!(subject = %principal.subject, name = %principal.display_name, role = %principal.role, "authenticated");
    request.headers_mut().remove(header::AUTHORIZATION);
    request.extensions_mut().insert(principal);
    next.run(request).await
}

/// Whether a proxy forwarded the request (RFC 7239 `Forwarded`, the `X-Forwarded-*` family,
/// `X-Real-IP`, `Via`).
fn forwarded(headers: &axum::http::HeaderMap) -> bool {
    headers.keys().any(|name| {
        let name = name.as_str();
        name == "forwarded"
            || name == "via"
            || name == "x-real-ip"
            || name.starts_with("x-forwarded-")
    })
}

/// The `401`/`403` answer to a rejected token.
pub(crate) fn rejection_response(
    rejection: &Rejection,
    resource_metadata: Option<&str>,
) -> Response {
    let (status, error) = match rejection {
        Rejection::Missing => (StatusCode::UNAUTHORIZED, "unauthorized"),
        Rejection::InvalidToken(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
        Rejection::NoScope { .. } => (StatusCode::FORBIDDEN, "insufficient_scope"),
    };
    crate::telemetry::metrics::auth_failure(match rejection {
        Rejection::Missing => "missing",
        _ => error,
    });
    with_challenge(
        status,
        json!({ "error": error, "error_description": rejection.to_string() }),
        &challenge(rejection, resource_metadata),
    )
}

/// The HTTP answer for a principal that lacks the role a request needs: `403` with
/// `WWW-Authenticate: Bearer error="insufficient_scope", scope="…", resource_metadata="…"`,
/// so an OAuth client can ask its user for more (step-up authorization).
///
/// For a layer that inspects JSON-RPC before rmcp does (e.g. refusing `tools/call` of a write
/// tool outright). The tool layer itself answers with an `isError` result instead (see
/// [`InsufficientScope::tool_message`]), because by the time a tool runs the HTTP status is
/// already sent.
pub fn insufficient_scope_response(
    refusal: &InsufficientScope,
    resource_metadata: Option<&str>,
) -> Response {
    crate::telemetry::metrics::auth_failure("insufficient_scope");
    with_challenge(
        StatusCode::FORBIDDEN,
        json!({ "error": "insufficient_scope", "error_description": refusal.to_string() }),
        &refusal.www_authenticate(resource_metadata),
    )
}

fn with_challenge(status: StatusCode, body: serde_json::Value, challenge: &str) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}
