//! The issuer's signing keys: found through discovery (OpenID Connect or RFC 8414
//! authorization server metadata), fetched from its `jwks_uri`, cached, and refreshed.
//!
//! Refreshes happen in two cases, both throttled to one fetch per
//! [`JwksPolicy::min_refresh_interval`] so that tokens with made-up key ids cannot make the
//! server hammer the identity provider:
//! - a token names a key id (`kid`) the cache does not know (the issuer rotated keys);
//! - the cached set is older than [`JwksPolicy::max_age`] (keys that were removed stop being
//!   accepted). This check runs when a token is verified, so an idle server fetches nothing.
//!
//! A failed refresh keeps the keys it had. Only asymmetric keys meant for signatures are
//! kept, each with exactly one algorithm: the JWK's `alg`, or the one its key type implies
//! (EC P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA, RSA → RS256). Symmetric (`oct`) keys
//! are never loaded, so an `HS256` token signed with a public key has nothing to match.

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, AlgorithmFamily, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse},
};
use serde::Deserialize;
use url::Url;

/// Largest discovery or JWKS document accepted.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// How often the key set may be fetched and when it is considered stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksPolicy {
    /// At most one fetch per this interval, whatever triggers it.
    pub min_refresh_interval: Duration,
    /// A key set older than this is fetched again on the next verification.
    pub max_age: Duration,
}

impl Default for JwksPolicy {
    fn default() -> Self {
        Self {
            min_refresh_interval: Duration::from_secs(30),
            max_age: Duration::from_secs(15 * 60),
        }
    }
}

/// Why discovery or the first key fetch failed. The server does not start.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// No metadata document answered.
    #[error(
        "KLARNA_OAUTH_ISSUER={issuer}: no authorization server metadata found (tried {tried}); \
         check the issuer URL (it must equal the `iss` claim of the tokens exactly)"
    )]
    NotFound {
        /// The configured issuer.
        issuer: String,
        /// The URLs tried and what each answered.
        tried: String,
    },
    /// A metadata document names another issuer (RFC 8414 §3.3: it must not be used).
    #[error(
        "KLARNA_OAUTH_ISSUER={configured}: the metadata at {url} names issuer {found:?}; set \
         KLARNA_OAUTH_ISSUER to exactly that value if it is the right server"
    )]
    IssuerMismatch {
        /// The configured issuer.
        configured: String,
        /// The document's URL.
        url: String,
        /// The issuer the document names.
        found: String,
    },
    /// The metadata has no usable `jwks_uri`.
    #[error("the authorization server metadata at {url} has no usable jwks_uri: {reason}")]
    BadJwksUri {
        /// The document's URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The key set cannot be fetched or holds no usable key.
    #[error("the issuer's key set at {url} cannot be used: {reason}")]
    Keys {
        /// The JWKS URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

/// One usable verification key.
#[derive(Clone)]
pub(crate) struct SigningKey {
    /// The JWK's `kid`, if it has one.
    pub kid: Option<String>,
    /// The only algorithm this key verifies.
    pub algorithm: Algorithm,
    /// The key.
    pub key: DecodingKey,
}

struct KeySet {
    keys: Vec<SigningKey>,
    fetched_at: Instant,
}

/// The cached key set of one issuer.
pub(crate) struct JwksCache {
    http: reqwest::Client,
    jwks_uri: Url,
    policy: JwksPolicy,
    current: RwLock<Arc<KeySet>>,
    /// When the last fetch started; held while fetching so only one runs at a time.
    last_fetch: tokio::sync::Mutex<Instant>,
    /// Why the last refresh failed, until one succeeds.
    refresh_failure: RwLock<Option<String>>,
}

impl JwksCache {
    /// Discovers `issuer`'s `jwks_uri` and fetches its keys once.
    pub async fn discover(
        http: reqwest::Client,
        issuer: &str,
        policy: JwksPolicy,
    ) -> Result<Self, DiscoveryError> {
        let jwks_uri = discover_jwks_uri(&http, issuer).await?;
        let keys = fetch_keys(&http, &jwks_uri)
            .await
            .map_err(|reason| DiscoveryError::Keys {
                url: jwks_uri.to_string(),
                reason,
            })?;
        if keys.is_empty() {
            return Err(DiscoveryError::Keys {
                url: jwks_uri.to_string(),
                reason: "no asymmetric signing key in it".into(),
            });
        }
        tracing::info!(jwks_uri = %jwks_uri, keys = keys.len(), "loaded the issuer's signing keys");
        let now = Instant::now();
        Ok(Self {
            http,
            jwks_uri,
            policy,
            current: RwLock::new(Arc::new(KeySet {
                keys,
                fetched_at: now,
            })),
            last_fetch: tokio::sync::Mutex::new(now),
            refresh_failure: RwLock::new(None),
        })
    }

    /// Whether tokens can be verified with keys the issuer still publishes: the set is
    /// younger than [`JwksPolicy::max_age`], or a refresh of it (tried now, throttled like
    /// any other) did not fail. `Err` says since when and why not — then the keys in hand
    /// may be ones the issuer has withdrawn.
    pub async fn usable(&self) -> Result<(), String> {
        if self.snapshot().fetched_at.elapsed() < self.policy.max_age {
            return Ok(());
        }
        if let Ok(last) = self.last_fetch.try_lock() {
            self.refresh(last).await;
        }
        let failure = match self.refresh_failure.read() {
            Ok(failure) => failure.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        // The reason itself (an address, a TLS error) is in the log of the failed refresh:
        // `/readyz` answers anyone.
        match failure {
            None => Ok(()),
            Some(_) => Err(format!(
                "the OAuth issuer's signing keys could not be refreshed for {} s (the server's log says why)",
                self.snapshot().fetched_at.elapsed().as_secs()
            )),
        }
    }

    fn set_refresh_failure(&self, failure: Option<String>) {
        match self.refresh_failure.write() {
            Ok(mut current) => *current = failure,
            Err(poisoned) => *poisoned.into_inner() = failure,
        }
    }

    /// The key a token with header key id `kid` must be verified with, refreshing the set
    /// when it is stale or does not know `kid` (both throttled).
    pub async fn key_for(&self, kid: Option<&str>) -> Option<SigningKey> {
        let set = self.snapshot();
        if set.fetched_at.elapsed() >= self.policy.max_age {
            // Someone else already fetching: go on with the keys we have.
            if let Ok(last) = self.last_fetch.try_lock() {
                self.refresh(last).await;
            }
        }
        let set = self.snapshot();
        if let Some(key) = find(&set.keys, kid) {
            return Some(key.clone());
        }
        // Only a named, unknown key is worth a fetch: rotation publishes the new kid first.
        kid?;
        let last = self.last_fetch.lock().await;
        self.refresh(last).await;
        find(&self.snapshot().keys, kid).cloned()
    }

    fn snapshot(&self) -> Arc<KeySet> {
        match self.current.read() {
            Ok(set) => set.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    async fn refresh(&self, mut last: tokio::sync::MutexGuard<'_, Instant>) {
        if last.elapsed() < self.policy.min_refresh_interval {
            return;
        }
        *last = Instant::now();
        match fetch_keys(&self.http, &self.jwks_uri).await {
            Ok(keys) if !keys.is_empty() => {
                tracing::info!(jwks_uri = %self.jwks_uri, keys = keys.len(), "refreshed the issuer's signing keys");
                let set = Arc::new(KeySet {
                    keys,
                    fetched_at: Instant::now(),
                });
                match self.current.write() {
                    Ok(mut current) => *current = set,
                    Err(poisoned) => *poisoned.into_inner() = set,
                }
                self.set_refresh_failure(None);
            }
            Ok(_) => {
                tracing::warn!(jwks_uri = %self.jwks_uri, "the issuer's key set has no usable key; keeping the old keys");
                self.set_refresh_failure(Some("the key set has no usable key".into()));
            }
            Err(reason) => {
                tracing::warn!(jwks_uri = %self.jwks_uri, %reason, "cannot refresh the issuer's keys; keeping the old keys");
                self.set_refresh_failure(Some(reason));
            }
        }
    }
}

fn find<'a>(keys: &'a [SigningKey], kid: Option<&str>) -> Option<&'a SigningKey> {
    match kid {
        Some(kid) => keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
        // A token without kid is only unambiguous when the issuer has one key.
        None => match keys {
            [only] => Some(only),
            _ => None,
        },
    }
}

/// The metadata fields this server reads.
#[derive(Deserialize)]
struct ServerMetadata {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

/// Where the metadata of `issuer` may be: OpenID Connect discovery (path appended), then
/// RFC 8414 (well-known path inserted before the issuer's path).
fn metadata_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    let mut urls = Vec::new();
    let mut oidc = issuer.clone();
    oidc.set_path(&format!("{path}/.well-known/openid-configuration"));
    urls.push(oidc);
    let mut rfc8414 = issuer.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    urls.push(rfc8414);
    urls
}

async fn discover_jwks_uri(http: &reqwest::Client, issuer: &str) -> Result<Url, DiscoveryError> {
    let issuer_url = Url::parse(issuer).map_err(|e| DiscoveryError::NotFound {
        issuer: issuer.to_string(),
        tried: format!("nothing: not a URL ({e})"),
    })?;
    let mut tried = Vec::new();
    for url in metadata_urls(&issuer_url) {
        let metadata: ServerMetadata = match get_json(http, &url).await {
            Ok(m) => m,
            Err(reason) => {
                tried.push(format!("{url}: {reason}"));
                continue;
            }
        };
        let found = metadata.issuer.unwrap_or_default();
        if found != issuer {
            return Err(DiscoveryError::IssuerMismatch {
                configured: issuer.to_string(),
                url: url.to_string(),
                found,
            });
        }
        let bad = |reason: &str| DiscoveryError::BadJwksUri {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let raw = metadata.jwks_uri.ok_or_else(|| bad("missing"))?;
        let jwks_uri = Url::parse(&raw).map_err(|_| bad("not a URL"))?;
        if !secure_or_loopback(&jwks_uri) {
            return Err(bad("it must be https:// (or http:// on loopback)"));
        }
        return Ok(jwks_uri);
    }
    Err(DiscoveryError::NotFound {
        issuer: issuer.to_string(),
        tried: tried.join("; "),
    })
}

/// `https://`, or `http://` to a loopback address.
pub(crate) fn secure_or_loopback(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        },
        _ => false,
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
) -> Result<T, String> {
    let mut response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| format!("request failed ({e})"))?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status().as_u16()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the body failed ({e})"))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| format!("not the expected JSON ({e})"))
}

#[derive(Deserialize)]
struct RawKeySet {
    keys: Vec<serde_json::Value>,
}

/// Fetches the key set and keeps the keys this server can use (see the module docs); keys
/// it cannot use are skipped, not fatal, so one exotic key does not hide the others.
async fn fetch_keys(http: &reqwest::Client, url: &Url) -> Result<Vec<SigningKey>, String> {
    let raw: RawKeySet = get_json(http, url).await?;
    Ok(raw
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter_map(|jwk| signing_key(&jwk))
        .collect())
}

fn signing_key(jwk: &Jwk) -> Option<SigningKey> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    let implied = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        // Symmetric and unknown key types are never verification keys here.
        _ => return None,
    };
    let algorithm = match jwk.common.key_algorithm {
        None => implied,
        Some(named) => {
            let named = Algorithm::try_from(named).ok()?;
            // The named algorithm must fit the key: same family, and for EC the same curve.
            let fits = named.family() == implied.family()
                && (implied.family() != AlgorithmFamily::Ec || named == implied);
            if !fits {
                return None;
            }
            named
        }
    };
    if algorithm.family() == AlgorithmFamily::Hmac {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    if key.family() != algorithm.family() {
        return None;
    }
    Some(SigningKey {
        kid: jwk.common.key_id.clone(),
        algorithm,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_urls_follow_oidc_then_rfc8414() {
        let urls = metadata_urls(&Url::parse("https://idp.example/realms/team/").unwrap());
        assert_eq!(
            urls[0].as_str(),
            "https://idp.example/realms/team/.well-known/openid-configuration"
        );
        assert_eq!(
            urls[1].as_str(),
            "https://idp.example/.well-known/oauth-authorization-server/realms/team"
        );
        let root = metadata_urls(&Url::parse("https://idp.example").unwrap());
        assert_eq!(
            root[1].as_str(),
            "https://idp.example/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn only_asymmetric_signature_keys_with_a_fitting_algorithm_are_kept() {
        let jwk = |v: serde_json::Value| serde_json::from_value::<Jwk>(v).unwrap();
        let ec = serde_json::json!({"kty":"EC","crv":"P-256","kid":"a",
            "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
        assert_eq!(
            signing_key(&jwk(ec.clone())).unwrap().algorithm,
            Algorithm::ES256
        );
        let mut hs = ec.clone();
        hs["alg"] = "HS256".into();
        assert!(signing_key(&jwk(hs)).is_none());
        let mut es384 = ec.clone();
        es384["alg"] = "ES384".into();
        assert!(signing_key(&jwk(es384)).is_none());
        let mut enc = ec;
        enc["use"] = "enc".into();
        assert!(signing_key(&jwk(enc)).is_none());
        let oct = jwk(serde_json::json!({"kty":"oct","k":"c2VjcmV0","alg":"HS256"}));
        assert!(signing_key(&oct).is_none());
    }
}
