//! Authentication and roles for the HTTP server ([`crate::http`]): who is calling
//! ([`Principal`], [`Role`]) and how a bearer token proves it.
//!
//! Two kinds of bearer token, usable together:
//! - **OAuth 2.1 access tokens** (JWTs) from the issuer in `KLARNA_OAUTH_ISSUER`, verified by
//!   [`jwt::JwtVerifier`] against the issuer's published keys ([`jwks`]). This server is an
//!   OAuth *resource server*, as the MCP authorization spec requires: it publishes Protected
//!   Resource Metadata ([`metadata`]) naming the issuer, accepts only tokens issued for its
//!   own resource URL (audience), and never passes a token on.
//! - **Static tokens** from `KLARNA_HTTP_TOKENS_FILE` ([`tokens`]), for small teams without an
//!   identity provider. They start with `kmcp_`, which is how [`Authenticator`] tells them
//!   from JWTs.
//!
//! The roles: `read` lists and calls the read tools; `write` also the write tools. OAuth
//! scopes `klarna.read` / `klarna.write` (write implies read) or the token file's role column
//! decide. A tool handler finds the caller with [`principal()`].
//!
//! Nothing here logs or stores a token; logs name the principal's subject and display name.
//!
//! # For the tool layer
//!
//! The HTTP layer only decides *who* calls; which tools a role may use is decided where the
//! tools are known:
//! - Find the caller with [`principal()`] (`principal(&ctx.extensions)`) in `list_tools` / `call_tool` (both
//!   get a `RequestContext<RoleServer>`), or in a tool through a `RequestContext<RoleServer>`
//!   argument. `None` means stdio (or a test without HTTP): keep today's behaviour.
//! - `tools/list`: leave the write tools out for a [`Role::Read`] principal.
//! - `tools/call` of a write tool: `principal.check(Access::Write)`; on `Err(refusal)` answer
//!   `CallToolResult::error(vec![ContentBlock::text(refusal.tool_message(&name))])` before any
//!   Klarna request, and audit it with `principal.subject`.
//! - A `403` with the step-up challenge is only possible before rmcp has started its answer:
//!   [`crate::http::insufficient_scope_response`] builds it for a layer that reads the JSON-RPC
//!   body first.

pub mod jwks;
pub mod jwt;
pub mod metadata;
pub mod principal;
pub mod tokens;

pub use principal::{
    Access, InsufficientScope, Principal, Role, SCOPE_READ, SCOPE_WRITE, principal, principal_of,
};

use jwt::JwtVerifier;
use tokens::{TOKEN_PREFIX, TokenFile};

/// Why a request was not authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// No `Authorization: Bearer` header (HTTP 401, no error code).
    #[error("no bearer token")]
    Missing,
    /// A token was given and is not valid (HTTP 401, `error="invalid_token"`). The text is
    /// safe to show: it never contains the token or its claims.
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    /// A valid token that grants neither `klarna.read` nor `klarna.write` (HTTP 403,
    /// `error="insufficient_scope"`).
    #[error("{subject}'s token grants neither klarna.read nor klarna.write")]
    NoScope {
        /// Whose token.
        subject: String,
    },
}

/// Checks bearer tokens against the configured sources.
#[derive(Debug, Default)]
pub struct Authenticator {
    tokens: Option<TokenFile>,
    jwt: Option<JwtVerifier>,
}

impl Authenticator {
    /// An authenticator over the given sources (at least one should be `Some`).
    pub fn new(tokens: Option<TokenFile>, jwt: Option<JwtVerifier>) -> Self {
        Self { tokens, jwt }
    }

    /// Whether OAuth (and so Protected Resource Metadata) is configured.
    pub fn has_oauth(&self) -> bool {
        self.jwt.is_some()
    }

    /// Whether the OAuth issuer's keys can be trusted now; `None` without OAuth.
    pub async fn issuer_keys_usable(&self) -> Option<Result<(), String>> {
        match &self.jwt {
            Some(verifier) => Some(verifier.keys_usable().await),
            None => None,
        }
    }

    /// Authenticates the value of an `Authorization` header (`None` when absent).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, Rejection> {
        let token = bearer_token(authorization)?;
        if token.starts_with(TOKEN_PREFIX) {
            return self
                .tokens
                .as_ref()
                .and_then(|file| file.authenticate(token))
                .ok_or(Rejection::InvalidToken("unknown token"));
        }
        match &self.jwt {
            Some(verifier) => verifier.verify(token).await,
            None => Err(Rejection::InvalidToken("unknown token")),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(authorization: Option<&str>) -> Result<&str, Rejection> {
    let value = authorization.ok_or(Rejection::Missing)?;
    let (scheme, token) = value.split_once(' ').ok_or(Rejection::InvalidToken(
        "the Authorization header is not `Bearer <token>`",
    ))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Rejection::InvalidToken(
            "the Authorization header is not `Bearer <token>`",
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(Rejection::Missing);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn static_tokens_and_missing_headers() {
        let minted = tokens::mint("ci", Role::Read).unwrap();
        let auth = Authenticator::new(Some(TokenFile::parse(&minted.line, "t").unwrap()), None);
        let header = format!("bearer {}", minted.token);
        assert_eq!(
            auth.authenticate(Some(&header)).await.unwrap().role,
            Role::Read
        );
        assert_eq!(auth.authenticate(None).await, Err(Rejection::Missing));
        assert_eq!(
            auth.authenticate(Some("Basic dXNlcjpwYXNz")).await,
            Err(Rejection::InvalidToken(
                "the Authorization header is not `Bearer <token>`"
            ))
        );
        assert_eq!(
            auth.authenticate(Some("Bearer eyJ.a.b")).await,
            Err(Rejection::InvalidToken("unknown token"))
        );
    }
}
