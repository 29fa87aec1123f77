//! OAuth 2.1 access tokens as JWTs: [`JwtVerifier`] checks the signature against the
//! issuer's keys ([`super::jwks`]), then `iss` (exact), `aud` (this server's resource URL or
//! the configured audience), `exp` and `nbf`, and maps the scopes to a [`Role`].
//!
//! Scopes come from `scope` (a space-separated string, RFC 8693/9068) or `scp` (an array,
//! or a string, as some providers send it). The display name is the `name`,
//! `preferred_username` or `email` claim, else the subject.

use std::time::Duration;

use jsonwebtoken::{Validation, errors::ErrorKind};
use serde::Deserialize;

use super::{
    Rejection,
    jwks::{DiscoveryError, JwksCache, JwksPolicy},
    principal::{Principal, Role},
};

/// Clock skew tolerated on `exp` and `nbf`.
pub const CLOCK_LEEWAY: Duration = Duration::from_secs(60);

/// What tokens must say to be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtSettings {
    /// `KLARNA_OAUTH_ISSUER`, verbatim: the `iss` claim must equal it exactly, and discovery
    /// starts from it.
    pub issuer: String,
    /// The `aud` the tokens must carry: `KLARNA_OAUTH_AUDIENCE`, or this server's resource URL.
    pub audience: String,
    /// How the key set is cached and refreshed.
    pub jwks: JwksPolicy,
}

/// Verifies access tokens of one issuer.
pub struct JwtVerifier {
    settings: JwtSettings,
    keys: JwksCache,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScopeList {
    Spaced(String),
    List(Vec<String>),
}

/// The claims read after validation (`iss`, `aud`, `exp`, `nbf` are checked by
/// `jsonwebtoken` itself).
#[derive(Deserialize)]
struct AccessClaims {
    sub: Option<String>,
    scope: Option<ScopeList>,
    scp: Option<ScopeList>,
    name: Option<String>,
    preferred_username: Option<String>,
    email: Option<String>,
}

impl AccessClaims {
    fn scopes(&self) -> Vec<&str> {
        [&self.scope, &self.scp]
            .into_iter()
            .flatten()
            .flat_map(|list| match list {
                ScopeList::Spaced(s) => s.split_whitespace().collect::<Vec<_>>(),
                ScopeList::List(v) => v.iter().map(String::as_str).collect(),
            })
            .collect()
    }
}

impl JwtVerifier {
    /// Discovers the issuer's keys (see [`super::jwks`]) and returns a verifier.
    pub async fn discover(
        settings: JwtSettings,
        http: reqwest::Client,
    ) -> Result<Self, DiscoveryError> {
        // Pick the pure-Rust backend explicitly: if another crate in the build also enables
        // jsonwebtoken's aws-lc backend, the automatic choice would refuse to pick one.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
        let keys = JwksCache::discover(http, &settings.issuer, settings.jwks).await?;
        Ok(Self { settings, keys })
    }

    /// Whether the issuer's keys can be trusted now (see [`JwksCache::usable`]).
    pub async fn keys_usable(&self) -> Result<(), String> {
        self.keys.usable().await
    }

    /// The audience tokens must carry.
    pub fn audience(&self) -> &str {
        &self.settings.audience
    }

    /// Verifies `token` and returns its principal.
    pub async fn verify(&self, token: &str) -> Result<Principal, Rejection> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Rejection::InvalidToken("malformed token or unsupported algorithm"))?;
        let key = self
            .keys
            .key_for(header.kid.as_deref())
            .await
            .ok_or(Rejection::InvalidToken("signed with an unknown key"))?;
        if header.alg != key.algorithm {
            return Err(Rejection::InvalidToken(
                "algorithm does not match the issuer's key",
            ));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_LEEWAY.as_secs();
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.key, &validation)
            .map_err(|e| Rejection::InvalidToken(reason(e.kind())))?;
        let claims = data.claims;
        let sub = claims
            .sub
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or(Rejection::InvalidToken("no subject"))?;
        // Issuer-qualified, in a namespace of its own: a `sub` of "token:alice" is not the
        // static-token user alice (not her session, not her confirmations), and claims are
        // escaped and bounded before they can reach a log line.
        let clean =
            |s: &str| crate::klarna::sanitize::bound(&crate::klarna::sanitize::escape(s), 200);
        let subject = format!("oidc:{}#{}", clean(&self.settings.issuer), clean(&sub));
        let role = Role::from_scopes(claims.scopes()).ok_or(Rejection::NoScope {
            subject: subject.clone(),
        })?;
        let display_name = [&claims.name, &claims.preferred_username, &claims.email]
            .into_iter()
            .flatten()
            .find(|s| !s.is_empty())
            .map(|s| clean(s))
            .unwrap_or_else(|| clean(&sub));
        Ok(Principal {
            subject,
            display_name,
            role,
        })
    }
}

/// A short reason for `error_description`; never the token or its claims.
fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "token expired",
        ErrorKind::ImmatureSignature => "token not yet valid",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "token not issued for this server (aud)",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => "algorithm not allowed",
        ErrorKind::MissingRequiredClaim(_) => "a required claim (exp, iss, aud, sub) is missing",
        ErrorKind::InvalidClaimFormat(_) => "a claim has the wrong type",
        _ => "malformed token",
    }
}
