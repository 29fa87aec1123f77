//! The team server: MCP over Streamable HTTP at `/mcp`, behind authentication, roles, rate
//! limits and a DNS-rebinding guard, for `klarna-mcp serve --http ADDR`.
//!
//! # Routes
//!
//! | path | what | guarded (Host/Origin) | authenticated |
//! |---|---|---|---|
//! | `/mcp` | rmcp's [`StreamableHttpService`] | yes | yes (unless loopback without auth) |
//! | `/.well-known/oauth-protected-resource`, `…/mcp` | Protected Resource Metadata (RFC 9728), only with OAuth | yes | no |
//! | `/healthz` | liveness: `200 {"status":"ok"}` ([`ready`]) | no | no |
//! | `/readyz` | readiness: `200`, or `503` with each failing check's reason ([`ready`]) | no | no |
//!
//! A request to `/mcp` passes, outermost first: [`guard`] (foreign `Host`/`Origin` → 403),
//! [`authn`] (→ 401/403, puts the [`Principal`](crate::auth::Principal) into the request
//! extensions and removes the `Authorization` header), [`ratelimit`] (→ 429 + `Retry-After`),
//! [`scope`] (a read principal's call of a write tool → 403 `insufficient_scope`),
//! [`sessions`] (a session id is only usable by the principal that created it), the
//! in-flight tracker (for graceful shutdown), and then rmcp, which checks `Host`/`Origin`
//! again, limits the body ([`HttpConfig::max_body_bytes`] → 413), and serves MCP.
//!
//! # Sessions and the 2026-07-28 lifecycle
//!
//! rmcp 3.11 decides per request: a request whose `_meta` carries the 2026-07-28 protocol
//! fields (or a `server/discover`) is served statelessly, no session; an `initialize` starts a
//! session (`Mcp-Session-Id`) for the older protocol versions, kept in memory
//! ([`LocalSessionManager`], closed after 5 minutes idle). That is rmcp's default
//! `legacy_session_mode = true`; stateless replies are plain JSON when the handler sends
//! nothing before its result (`json_response = true`), SSE otherwise.
//! `make_handler` is called once per session and once per stateless request.
//!
//! # Graceful shutdown
//!
//! When `shutdown` completes: stop accepting connections; let requests in flight (POST and
//! DELETE on `/mcp`) finish for up to [`HttpConfig::shutdown_grace`]; then close the MCP
//! sessions and their event streams (which would otherwise stay open), give connections
//! [`CLOSE_GRACE`] to close, and return. A tool call still running after the grace period
//! loses its client; if it was a write, its outcome is for the client to check.

pub mod authn;
pub mod config;
pub mod guard;
pub mod ratelimit;
pub mod ready;
pub mod scope;
pub mod sessions;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::{Request, State},
    http::Method,
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use rmcp::{
    ServerHandler,
    transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    },
};
use tokio::net::TcpListener;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use authn::insufficient_scope_response;
pub use config::{HttpConfig, HttpConfigError, MCP_PATH, OAuthConfig, RateLimit};
pub use ready::Readiness;

use crate::auth::{
    Authenticator,
    jwks::DiscoveryError,
    jwt::{JwtSettings, JwtVerifier},
    metadata::ProtectedResourceMetadata,
    tokens::{TokenFile, TokenFileError},
};

/// After the grace period and closing the MCP sessions, how long connections get to close.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Why the HTTP server did not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Unsafe or invalid settings.
    #[error(transparent)]
    Config(#[from] HttpConfigError),
    /// The token file cannot be used.
    #[error(transparent)]
    TokenFile(#[from] TokenFileError),
    /// The OAuth issuer's metadata or keys cannot be used.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// The HTTP client for the issuer cannot be built.
    #[error("cannot build the HTTP client for the OAuth issuer: {0}")]
    Client(#[from] reqwest::Error),
    /// Listening or serving failed.
    #[error("HTTP server: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves MCP over HTTP on `listener` until `shutdown` completes, then shuts down gracefully
/// (see the module docs). `make_handler` builds the MCP handler for each session or
/// stateless request; `readiness` holds the handler's own checks for `/readyz` (the server
/// adds the OAuth issuer's keys).
///
/// Startup checks happen before anything is served: exposure (no authentication off loopback),
/// the token file, and OAuth discovery with a first fetch of the issuer's keys.
pub async fn serve<H, F>(
    config: HttpConfig,
    listener: TcpListener,
    make_handler: F,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), HttpError>
where
    H: ServerHandler,
    F: Fn() -> H + Send + Sync + 'static,
{
    let local = listener.local_addr()?;
    config.check_exposure(local)?;
    let authenticator = authenticator(&config, local).await?.map(Arc::new);
    let readiness = match authenticator.clone() {
        Some(auth) if auth.has_oauth() => readiness.with("issuer_keys", move || {
            let auth = auth.clone();
            Box::pin(async move { auth.issuer_keys_usable().await.unwrap_or(Ok(())) })
        }),
        _ => readiness,
    };
    let mcp_cancel = CancellationToken::new();
    let in_flight = TaskTracker::new();
    let app = router(
        &config,
        local,
        authenticator,
        readiness,
        make_handler,
        mcp_cancel.clone(),
        in_flight.clone(),
    );
    tracing::info!(
        address = %local,
        resource = %config.resource_url(local),
        oauth = config.oauth.is_some(),
        tokens_file = config.tokens_file.is_some(),
        "serving MCP over HTTP"
    );

    let stop_accepting = CancellationToken::new();
    let server =
        axum::serve(listener, app).with_graceful_shutdown(stop_accepting.clone().cancelled_owned());
    let mut server = tokio::spawn(async move { server.await });
    tokio::select! {
        ended = &mut server => {
            // The server stopped on its own: an accept loop error.
            return match ended {
                Ok(result) => result.map_err(HttpError::Io),
                Err(join) => Err(HttpError::Io(std::io::Error::other(join))),
            };
        }
        () = shutdown => {}
    }

    let grace = config.shutdown_grace;
    tracing::info!(
        ?grace,
        "shutting down: no new connections, waiting for requests in flight"
    );
    stop_accepting.cancel();
    in_flight.close();
    if tokio::time::timeout(grace, in_flight.wait()).await.is_err() {
        tracing::warn!(
            requests = in_flight.len(),
            "requests still in flight after the grace period; closing them"
        );
    }
    mcp_cancel.cancel();
    match tokio::time::timeout(CLOSE_GRACE, &mut server).await {
        Ok(Ok(result)) => result.map_err(HttpError::Io),
        Ok(Err(join)) => Err(HttpError::Io(std::io::Error::other(join))),
        Err(_) => {
            tracing::warn!("connections still open after shutdown; dropping them");
            server.abort();
            Ok(())
        }
    }
}

/// Builds the authenticator from the configured sources; `None` when there are none.
async fn authenticator(
    config: &HttpConfig,
    local: SocketAddr,
) -> Result<Option<Authenticator>, HttpError> {
    let tokens = config
        .tokens_file
        .as_deref()
        .map(TokenFile::load)
        .transpose()?;
    if let Some(file) = &tokens {
        tracing::info!(tokens = file.len(), "loaded the static token file");
    }
    let jwt = match &config.oauth {
        Some(oauth) => {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .user_agent(concat!("klarna-mcp/", env!("CARGO_PKG_VERSION")))
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let settings = JwtSettings {
                issuer: oauth.issuer.clone(),
                audience: config.audience(local),
                jwks: oauth.jwks,
            };
            Some(JwtVerifier::discover(settings, http).await?)
        }
        None => None,
    };
    Ok((tokens.is_some() || jwt.is_some()).then(|| Authenticator::new(tokens, jwt)))
}

/// The application: routes and middleware as in the module docs.
fn router<H, F>(
    config: &HttpConfig,
    local: SocketAddr,
    authenticator: Option<Arc<Authenticator>>,
    readiness: Readiness,
    make_handler: F,
    mcp_cancel: CancellationToken,
    in_flight: TaskTracker,
) -> Router
where
    H: ServerHandler,
    F: Fn() -> H + Send + Sync + 'static,
{
    let allowed_hosts = config.allowed_hosts(local);
    let allowed_origins = config.allowed_origins(local);
    let mcp_config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(allowed_hosts.clone())
        .with_allowed_origins(allowed_origins.clone())
        .enforce_origin_validation()
        .with_max_request_body_bytes(config.max_body_bytes)
        .with_json_response(true)
        .with_cancellation_token(mcp_cancel);
    let mcp = StreamableHttpService::new(
        move || Ok(make_handler()),
        Arc::new(LocalSessionManager::default()),
        mcp_config,
    );

    let oauth = config.oauth.as_ref();
    let resource_metadata = oauth.map(|_| config.resource_metadata_url(local));
    let auth_state = Arc::new(authn::AuthState {
        authenticator,
        resource_metadata,
    });

    let scope_state = Arc::new(scope::ScopeState {
        write_tools: config.write_tools.clone(),
        max_body_bytes: config.max_body_bytes,
        resource_metadata: oauth.map(|_| config.resource_metadata_url(local)),
    });
    let mut mcp_routes = Router::new()
        .route_service(MCP_PATH, mcp)
        .route_layer(middleware::from_fn_with_state(in_flight, track_in_flight))
        .route_layer(middleware::from_fn_with_state(
            Arc::new(sessions::SessionOwners::default()),
            sessions::bind_sessions,
        ))
        .route_layer(middleware::from_fn_with_state(
            scope_state,
            scope::refuse_writes_to_readers,
        ));
    if let Some(limit) = config.rate_limit {
        mcp_routes = mcp_routes.route_layer(middleware::from_fn_with_state(
            Arc::new(ratelimit::PrincipalLimiter::new(limit)),
            ratelimit::limit,
        ));
    }
    let mut guarded = mcp_routes.route_layer(middleware::from_fn_with_state(
        auth_state,
        authn::authenticate,
    ));
    if let Some(oauth) = oauth {
        let document = Arc::new(ProtectedResourceMetadata::new(
            &config.resource_url(local),
            &oauth.issuer,
        ));
        guarded = guarded.merge(
            Router::new()
                .route(
                    "/.well-known/oauth-protected-resource",
                    get(resource_metadata_document),
                )
                .route(
                    "/.well-known/oauth-protected-resource/mcp",
                    get(resource_metadata_document),
                )
                .with_state(document),
        );
    }
    let guard = Arc::new(guard::HostGuard::new(&allowed_hosts, &allowed_origins));
    Router::new()
        .route("/healthz", get(ready::healthz))
        .route(
            "/readyz",
            get(ready::readyz).with_state(Arc::new(readiness)),
        )
        .merge(guarded.layer(middleware::from_fn_with_state(guard, guard::guard)))
}

async fn resource_metadata_document(
    State(document): State<Arc<ProtectedResourceMetadata>>,
) -> Json<ProtectedResourceMetadata> {
    Json((*document).clone())
}

/// Counts a request as in flight until its response body has been sent or dropped. `GET`
/// opens a session's event stream, which lasts until the session ends, so it is not counted.
async fn track_in_flight(
    State(in_flight): State<TaskTracker>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::GET {
        return next.run(request).await;
    }
    let token = in_flight.token();
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let body = axum::body::Body::from_stream(futures::StreamExt::map(
        body.into_data_stream(),
        move |chunk| {
            // The token lives as long as the body stream.
            let _ = &token;
            chunk
        },
    ));
    Response::from_parts(parts, body)
}
