//! Klarna's six API hosts, and how a request tells the simulator which one it
//! was meant for.
//!
//! A client reaches the simulator through a base URL with a `{apiHost}`
//! placeholder (`http://127.0.0.1:8088/{apiHost}`), so a request for
//! `https://api-na.klarna.com/ordermanagement/v1/orders/…` arrives as
//! `/api-na.klarna.com/ordermanagement/v1/orders/…`. [`split`] takes that first
//! segment off the path before routing and remembers it as the [`Target`].
//! A path whose first segment is not one of the six hosts is a path on
//! `api.klarna.com`: `/ordermanagement/v1/…` (the form without a placeholder)
//! is served as the EU production host, and `/api-xx.klarna.com/…` is an
//! unknown route there.
//!
//! Hosts are plain strings on purpose: the simulator does not share the
//! client's host type (see the module docs of [`super`]).

use axum::http::Request;
use axum::http::uri::{PathAndQuery, Uri};

/// Klarna's Order Management hosts: production EU, NA, OC, then playground
/// EU, NA, OC.
pub const API_HOSTS: [&str; 6] = [
    "api.klarna.com",
    "api-na.klarna.com",
    "api-oc.klarna.com",
    "api.playground.klarna.com",
    "api-na.playground.klarna.com",
    "api-oc.playground.klarna.com",
];

/// The host a request without a host segment is meant for.
pub const DEFAULT_HOST: &str = "api.klarna.com";

/// The placeholder in [`super::Simulator::host_base_url`] that a client
/// replaces with the host it means.
pub const HOST_PLACEHOLDER: &str = "{apiHost}";

/// The Klarna host a request was meant for, put into the request's extensions
/// by [`split`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    /// One of [`API_HOSTS`].
    pub(crate) host: &'static str,
    /// Whether the path named the host (so `Location` headers name it too).
    pub(crate) prefixed: bool,
}

impl Default for Target {
    fn default() -> Self {
        Self {
            host: DEFAULT_HOST,
            prefixed: false,
        }
    }
}

impl Target {
    /// The path prefix that addresses this host on the simulator (`""` or
    /// `"/api-na.klarna.com"`).
    pub(crate) fn path_prefix(&self) -> String {
        if self.prefixed {
            format!("/{}", self.host)
        } else {
            String::new()
        }
    }
}

// Klarna does not say how its hosts compare; we choose to match the host
// segment without regard to ASCII case because DNS names are case-insensitive,
// so `API-NA.klarna.com` in a URL reaches the same host in real life.
/// The canonical spelling of `host` if it is one of [`API_HOSTS`].
pub fn canonical_host(host: &str) -> Option<&'static str> {
    API_HOSTS
        .iter()
        .copied()
        .find(|known| known.eq_ignore_ascii_case(host))
}

/// Takes a leading host segment off `req`'s path and records the [`Target`]
/// in its extensions. The query string is kept.
pub(crate) fn split<B>(req: &mut Request<B>) {
    let path = req.uri().path();
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (first, tail) = rest.split_once('/').map_or((rest, ""), |(f, t)| (f, t));
    let Some(host) = canonical_host(first) else {
        req.extensions_mut().insert(Target::default());
        return;
    };
    let mut new_path = format!("/{tail}");
    if let Some(query) = req.uri().query() {
        new_path.push('?');
        new_path.push_str(query);
    }
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = PathAndQuery::try_from(new_path).ok();
    if let Ok(uri) = Uri::from_parts(parts) {
        *req.uri_mut() = uri;
        req.extensions_mut().insert(Target {
            host,
            prefixed: true,
        });
    } else {
        req.extensions_mut().insert(Target::default());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn split_uri(uri: &str) -> (String, Target) {
        let mut req = Request::builder().uri(uri).body(()).unwrap();
        split(&mut req);
        let target = *req.extensions().get::<Target>().unwrap();
        (req.uri().to_string(), target)
    }

    #[test]
    fn strips_a_known_host_and_keeps_everything_else() {
        let (uri, t) = split_uri("/api-na.klarna.com/ordermanagement/v1/orders/x?a=1");
        assert_eq!(uri, "/ordermanagement/v1/orders/x?a=1");
        assert_eq!((t.host, t.prefixed), ("api-na.klarna.com", true));
        assert_eq!(t.path_prefix(), "/api-na.klarna.com");
        let (uri, t) = split_uri("/API.Playground.klarna.com");
        assert_eq!((uri.as_str(), t.host), ("/", "api.playground.klarna.com"));
        for other in ["/ordermanagement/v1/orders/x", "/api-xx.klarna.com/a", "/"] {
            let (uri, t) = split_uri(other);
            assert_eq!((uri.as_str(), t), (other, Target::default()));
        }
    }
}
