//! DNS-rebinding and cross-origin guard: requests whose `Host` is not one of this server's
//! names get `403`, and so do browser requests from a foreign `Origin`.
//!
//! A web page can make a browser send requests to a server on the user's own machine (DNS
//! rebinding) or to an internal one; such requests carry the attacker's host name in `Host` or
//! the page's `Origin`. rmcp's Streamable HTTP service checks the same lists again
//! ([`rmcp::transport::streamable_http_server::StreamableHttpServerConfig::allowed_hosts`]);
//! this guard runs first so that such a request is refused before authentication and also on
//! the metadata routes. `/healthz` is not guarded: probes use whatever address they reach.
//!
//! Host entries: `name` (any port) or `name:port`. Origin entries: `scheme://host:port`,
//! `scheme://host:*` (any port), `scheme://host` (the scheme's default port) or `null`.
//! Requests without `Origin` (non-browser clients) pass.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode, Uri, header, uri::Authority},
    middleware::Next,
    response::{IntoResponse, Response},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Port {
    Any,
    Exact(u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    host: String,
    port: Port,
}

/// An entry of the allowed-origins list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AllowedOrigin {
    Null,
    Tuple {
        scheme: String,
        host: String,
        port: Port,
    },
}

/// The allowed `Host` and `Origin` values.
#[derive(Debug, Clone)]
pub(crate) struct HostGuard {
    hosts: Vec<AllowedHost>,
    origins: Vec<AllowedOrigin>,
}

fn normalize(host: &str) -> String {
    host.trim_matches(['[', ']']).to_ascii_lowercase()
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// Parses an allowed-origins entry (also used to validate `KLARNA_HTTP_ALLOWED_ORIGINS`).
pub(crate) fn parse_allowed_origin(value: &str) -> Option<AllowedOrigin> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("null") {
        return Some(AllowedOrigin::Null);
    }
    let (base, any_port) = match value.strip_suffix(":*") {
        Some(base) => (base, true),
        None => (value, false),
    };
    let uri: Uri = base.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    if uri.path() != "/" && !uri.path().is_empty() {
        return None;
    }
    let port = match (any_port, authority.port_u16()) {
        (true, None) => Port::Any,
        (true, Some(_)) => return None,
        (false, Some(port)) => Port::Exact(port),
        (false, None) => Port::Exact(default_port(&scheme)?),
    };
    Some(AllowedOrigin::Tuple {
        scheme,
        host: normalize(authority.host()),
        port,
    })
}

impl HostGuard {
    /// A guard over the given lists (origins that do not parse are dropped; configuration
    /// parsing has already refused them).
    pub fn new(hosts: &[String], origins: &[String]) -> Self {
        Self {
            hosts: hosts
                .iter()
                .map(|h| match h.parse::<Authority>() {
                    Ok(authority) => AllowedHost {
                        host: normalize(authority.host()),
                        port: authority.port_u16().map_or(Port::Any, Port::Exact),
                    },
                    // A bare IPv6 address (`::1`) is not an authority; it is a host.
                    Err(_) => AllowedHost {
                        host: normalize(h),
                        port: Port::Any,
                    },
                })
                .collect(),
            origins: origins
                .iter()
                .filter_map(|o| parse_allowed_origin(o))
                .collect(),
        }
    }

    fn host_allowed(&self, uri: &Uri, headers: &HeaderMap) -> Result<bool, ()> {
        let authority = match headers.get(header::HOST) {
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|v| v.parse::<Authority>().ok())
                .ok_or(())?,
            None => uri.authority().cloned().ok_or(())?,
        };
        let host = normalize(authority.host());
        let port = authority.port_u16();
        Ok(self.hosts.iter().any(|allowed| {
            allowed.host == host
                && match allowed.port {
                    Port::Any => true,
                    Port::Exact(p) => port == Some(p),
                }
        }))
    }

    fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(value) = value.to_str() else {
            return false;
        };
        if value.trim().eq_ignore_ascii_case("null") {
            return self.origins.contains(&AllowedOrigin::Null);
        }
        let Ok(uri) = value.trim().parse::<Uri>() else {
            return false;
        };
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return false;
        };
        let scheme = scheme.to_ascii_lowercase();
        let host = normalize(authority.host());
        let port = authority.port_u16().or_else(|| default_port(&scheme));
        self.origins.iter().any(|allowed| match allowed {
            AllowedOrigin::Null => false,
            AllowedOrigin::Tuple {
                scheme: s,
                host: h,
                port: p,
            } => {
                *s == scheme
                    && *h == host
                    && match p {
                        Port::Any => true,
                        Port::Exact(p) => port == Some(*p),
                    }
            }
        })
    }
}

/// Middleware: refuses foreign `Host` and `Origin` values.
pub(crate) async fn guard(
    State(guard): State<Arc<HostGuard>>,
    request: Request,
    next: Next,
) -> Response {
    match guard.host_allowed(request.uri(), request.headers()) {
        Err(()) => {
            return (
                StatusCode::BAD_REQUEST,
                "Bad Request: missing or malformed Host header",
            )
                .into_response();
        }
        Ok(false) => {
            tracing::warn!(host = ?request.headers().get(header::HOST), "refused a request for a foreign Host (possible DNS rebinding)");
            return (
                StatusCode::FORBIDDEN,
                "Forbidden: Host header is not allowed",
            )
                .into_response();
        }
        Ok(true) => {}
    }
    if !guard.origin_allowed(request.headers()) {
        tracing::warn!(origin = ?request.headers().get(header::ORIGIN), "refused a request from a foreign Origin");
        return (
            StatusCode::FORBIDDEN,
            "Forbidden: Origin header is not allowed",
        )
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(o) = origin {
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
        }
        h
    }

    #[test]
    fn hosts_and_origins_match_by_name_and_port() {
        let guard = HostGuard::new(
            &[
                "localhost".into(),
                "::1".into(),
                "mcp.example.com:8443".into(),
            ],
            &[
                "https://mcp.example.com:443".into(),
                "http://localhost:*".into(),
            ],
        );
        let uri = Uri::from_static("/mcp");
        assert_eq!(
            guard.host_allowed(&uri, &headers("LOCALHOST:9", None)),
            Ok(true)
        );
        assert_eq!(
            guard.host_allowed(&uri, &headers("[::1]:80", None)),
            Ok(true)
        );
        assert_eq!(
            guard.host_allowed(&uri, &headers("mcp.example.com:8443", None)),
            Ok(true)
        );
        assert_eq!(
            guard.host_allowed(&uri, &headers("mcp.example.com", None)),
            Ok(false)
        );
        assert_eq!(
            guard.host_allowed(&uri, &headers("evil.example", None)),
            Ok(false)
        );
        assert!(guard.origin_allowed(&headers("localhost", None)));
        assert!(guard.origin_allowed(&headers("localhost", Some("https://mcp.example.com"))));
        assert!(guard.origin_allowed(&headers("localhost", Some("http://localhost:6274"))));
        assert!(!guard.origin_allowed(&headers("localhost", Some("https://mcp.example.com:8443"))));
        assert!(!guard.origin_allowed(&headers("localhost", Some("http://evil.example"))));
        assert!(!guard.origin_allowed(&headers("localhost", Some("null"))));
        assert_eq!(parse_allowed_origin("mcp.example.com"), None);
        assert_eq!(parse_allowed_origin("https://a.example/path"), None);
    }
}
