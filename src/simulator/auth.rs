//! HTTP Basic authentication against the configured credentials.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Whether `headers` carry `Authorization: Basic base64(username:password)`
/// matching the configured pair. The comparison does not stop at the first
/// differing byte (constant time for equal lengths).
pub(crate) fn check(headers: &HeaderMap, username: &str, password: &str) -> bool {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Some(colon) = decoded.iter().position(|b| *b == b':') else {
        return false;
    };
    let (user, rest) = decoded.split_at(colon);
    let pass = rest.get(1..).unwrap_or_default();
    // Evaluate both comparisons so timing does not reveal which one failed.
    let user_ok = ct_eq(user, username.as_bytes());
    let pass_ok = ct_eq(pass, password.as_bytes());
    user_ok & pass_ok
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

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn accepts_only_the_exact_pair() {
        let good = format!("Basic {}", STANDARD.encode("u:p:w"));
        assert!(check(&headers(&good), "u", "p:w"));
        assert!(check(&headers(&good.replace("Basic", "basic")), "u", "p:w"));
        assert!(!check(&headers(&good), "u", "p:"));
        assert!(!check(
            &headers(&format!("Basic {}", STANDARD.encode("u"))),
            "u",
            ""
        ));
        assert!(!check(&headers("Bearer x"), "u", "p"));
        assert!(!check(&headers("Basic !!!"), "u", "p"));
        assert!(!check(&HeaderMap::new(), "u", "p"));
    }
}
