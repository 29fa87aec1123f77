//! HTTP Basic authentication: which logins each host accepts, and what a
//! request presented.
//!
//! Like Klarna, a login belongs to one host (one region in one environment):
//! credentials for `api.klarna.com` get 401 on `api-na.klarna.com` and on
//! `api.playground.klarna.com`. Two forms of `Authorization` are accepted:
//!
//! * `Basic base64(username:secret)`: classic API credentials, and an API key
//!   with the username shown next to it in the Merchant Portal;
//! * `Basic <API key>`: the key itself after `Basic `, not base64-encoded. This
//!   is the form Klarna documents for its `klarna_<live|test>_api_…` keys; the
//!   username of such a key is optional.

// Klarna documents the key-only form as the raw key after `Basic `, and says the
// username that goes with a key may be left out, but when given it must be the
// key's own. It does not document what happens to a key that is base64-encoded
// on its own (no username, no colon), or to `base64(":" + key)`; we choose to
// refuse both with 401 because neither is a documented form, and a client that
// passes the simulator should send what Klarna documents.
//
// Klarna's page writes the username form as `Basic <UUID>:<API key>` and points
// to HTTP Basic auth, which base64-encodes `username:password`; we choose to
// accept only the encoded form (an unencoded `user:key` is refused) because
// that is what HTTP Basic means and what every HTTP library sends.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// One login a host accepts. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SimCredential {
    /// The Klarna host it belongs to, e.g. `"api-na.klarna.com"`.
    pub host: String,
    /// The API username; `None` for an API key that is sent on its own.
    pub username: Option<String>,
    /// The password, or the API key.
    pub secret: String,
}

impl std::fmt::Debug for SimCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCredential")
            .field("host", &self.host)
            .field("username", &self.username)
            .field("secret", &"[redacted]")
            .finish()
    }
}

impl SimCredential {
    /// A `username:password` login on `host`. When `password` is an API key
    /// (`klarna_live_api_…` / `klarna_test_api_…`) the key alone is accepted
    /// too, as Klarna makes the username of a key optional.
    pub fn new(host: &str, username: &str, password: &str) -> Self {
        Self {
            host: host.to_ascii_lowercase(),
            username: Some(username.to_owned()),
            secret: password.to_owned(),
        }
    }

    /// An API key sent on its own (`Authorization: Basic <key>`) on `host`.
    pub fn api_key(host: &str, key: &str) -> Self {
        Self {
            host: host.to_ascii_lowercase(),
            username: None,
            secret: key.to_owned(),
        }
    }

    /// Whether the secret has the shape of a Klarna API key.
    fn is_api_key(&self) -> bool {
        self.secret.starts_with("klarna_live_api_") || self.secret.starts_with("klarna_test_api_")
    }

    /// Whether `Basic <token>` with the raw token logs in with this credential.
    fn accepts_key(&self, token: &str) -> bool {
        (self.username.is_none() || self.is_api_key())
            & ct_eq(token.as_bytes(), self.secret.as_bytes())
    }

    /// Whether `Basic base64(user:pass)` logs in with this credential.
    fn accepts_pair(&self, user: &[u8], pass: &[u8]) -> bool {
        let Some(username) = &self.username else {
            return false;
        };
        // Evaluate both comparisons so timing does not reveal which one failed.
        let user_ok = ct_eq(user, username.as_bytes());
        let pass_ok = ct_eq(pass, self.secret.as_bytes());
        user_ok & pass_ok
    }
}

/// What the `Authorization` header of one request amounted to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Login {
    /// What was presented: the username of a `username:secret` pair, else the
    /// raw value after `Basic ` (an API key). `None` without a Basic header.
    pub(crate) presented: Option<String>,
    /// Index into the configured credentials of the one that matched.
    pub(crate) matched: Option<usize>,
}

/// Checks `headers` against the credentials configured for `host`. Every
/// credential of the host is compared in full (no early exit on a match).
pub(crate) fn check(headers: &HeaderMap, host: &str, credentials: &[SimCredential]) -> Login {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Login::default();
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return Login::default();
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Login::default();
    }
    let token = token.trim();
    let on_host = || {
        credentials
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.host.eq_ignore_ascii_case(host))
    };
    let mut matched = None;
    for (i, c) in on_host() {
        if c.accepts_key(token) && matched.is_none() {
            matched = Some(i);
        }
    }
    if matched.is_some() {
        return Login {
            presented: Some(token.to_owned()),
            matched,
        };
    }
    let pair = STANDARD.decode(token).ok().and_then(|decoded| {
        let colon = decoded.iter().position(|b| *b == b':')?;
        let (user, rest) = decoded.split_at(colon);
        Some((user.to_vec(), rest.get(1..).unwrap_or_default().to_vec()))
    });
    let Some((user, pass)) = pair else {
        return Login {
            presented: Some(token.to_owned()),
            matched: None,
        };
    };
    for (i, c) in on_host() {
        if c.accepts_pair(&user, &pass) && matched.is_none() {
            matched = Some(i);
        }
    }
    Login {
        presented: Some(String::from_utf8_lossy(&user).into_owned()),
        matched,
    }
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    diff == 0 && a.len() == b.len()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const EU: &str = "api.klarna.com";
    const NA: &str = "api-na.klarna.com";

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    fn creds() -> Vec<SimCredential> {
        vec![
            SimCredential::new(EU, "u", "p:w"),
            SimCredential::api_key(NA, "secret-key"),
            SimCredential::new(NA, "uuid-1", "klarna_test_api_abc"),
        ]
    }

    fn matched(value: &str, host: &str) -> Option<usize> {
        check(&headers(value), host, &creds()).matched
    }

    #[test]
    fn username_and_password_only_on_their_host() {
        let good = format!("Basic {}", STANDARD.encode("u:p:w"));
        assert_eq!(matched(&good, EU), Some(0));
        assert_eq!(matched(&good.replace("Basic", "basic"), EU), Some(0));
        assert_eq!(matched(&good, NA), None);
        assert_eq!(
            matched(&format!("Basic {}", STANDARD.encode("u:p:")), EU),
            None
        );
        assert_eq!(
            matched(&format!("Basic {}", STANDARD.encode("u")), EU),
            None
        );
        assert_eq!(matched("Basic u:p:w", EU), None);
        assert_eq!(matched("Bearer x", EU), None);
        assert_eq!(matched("Basic !!!", EU), None);
        assert_eq!(check(&HeaderMap::new(), EU, &creds()), Login::default());
    }

    #[test]
    fn api_keys_alone_and_with_their_username() {
        assert_eq!(matched("Basic secret-key", NA), Some(1));
        assert_eq!(matched("Basic secret-key", EU), None);
        assert_eq!(matched("Basic klarna_test_api_abc", NA), Some(2));
        let pair = format!("Basic {}", STANDARD.encode("uuid-1:klarna_test_api_abc"));
        assert_eq!(matched(&pair, NA), Some(2));
        for refused in [
            STANDARD.encode("secret-key"),
            STANDARD.encode(":secret-key"),
        ] {
            assert_eq!(matched(&format!("Basic {refused}"), NA), None, "{refused}");
        }
        // A classic password is not a key: it never logs in on its own.
        assert_eq!(matched("Basic p:w", EU), None);
    }

    #[test]
    fn reports_what_was_presented() {
        let login = check(&headers("Basic secret-key"), EU, &creds());
        assert_eq!(login.presented.as_deref(), Some("secret-key"));
        let pair = format!("Basic {}", STANDARD.encode("u:p:w"));
        let login = check(&headers(&pair), NA, &creds());
        assert_eq!(
            (login.presented.as_deref(), login.matched),
            (Some("u"), None)
        );
    }
}
