//! [`HttpConfig`]: the team server's settings, parsed from environment variables once at
//! startup. Every error names the variable and the fix.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `KLARNA_HTTP_ADDR` | `127.0.0.1:8080` | address to listen on (`serve --http ADDR` overrides it) |
//! | `KLARNA_PUBLIC_URL` | `http://<listen address>` | the URL clients use, e.g. behind a TLS-terminating proxy (`https://mcp.example.com`); the resource URL is this + `/mcp` |
//! | `KLARNA_OAUTH_ISSUER` | — | OAuth issuer whose JWT access tokens are accepted (exact `iss`) |
//! | `KLARNA_OAUTH_AUDIENCE` | the resource URL | the `aud` tokens must carry, if the identity provider cannot issue the resource URL |
//! | `KLARNA_HTTP_TOKENS_FILE` | — | file of hashed static tokens ([`crate::auth::tokens`]) |
//! | `KLARNA_HTTP_ALLOWED_HOSTS` | — | extra `Host` values to accept, comma-separated (`name` or `name:port`) |
//! | `KLARNA_HTTP_ALLOWED_ORIGINS` | — | extra browser origins to accept, comma-separated (`https://app.example:443`, `http://localhost:*`) |
//! | `KLARNA_HTTP_RATE_LIMIT` | `120` | requests per minute per principal; `0` turns the limit off |
//! | `KLARNA_HTTP_RATE_BURST` | `30` | requests a principal may make at once before the per-minute pace applies |
//! | `KLARNA_HTTP_MAX_BODY_BYTES` | `1048576` | largest request body (413 above) |
//! | `KLARNA_HTTP_SHUTDOWN_GRACE_SECS` | `20` | on shutdown, how long requests in flight may take to finish |
//!
//! Without `KLARNA_OAUTH_ISSUER` and `KLARNA_HTTP_TOKENS_FILE` there is no authentication, which
//! is allowed only on a loopback address.

use std::{net::SocketAddr, num::NonZeroU32, path::PathBuf, time::Duration};

use url::Url;

use crate::auth::jwks::{JwksPolicy, secure_or_loopback};

/// Default listen address: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default request body limit (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// Default time requests in flight get to finish on shutdown.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// The path of the MCP endpoint.
pub const MCP_PATH: &str = "/mcp";

/// A per-principal request rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute.
    pub per_minute: NonZeroU32,
    /// Requests allowed at once before the pace applies.
    pub burst: NonZeroU32,
}

/// OAuth resource-server settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthConfig {
    /// `KLARNA_OAUTH_ISSUER`, verbatim.
    pub issuer: String,
    /// `KLARNA_OAUTH_AUDIENCE`, if set (otherwise the resource URL is the audience).
    pub audience: Option<String>,
    /// How the issuer's keys are cached (not an environment variable; tests shorten it).
    pub jwks: JwksPolicy,
}

/// Everything the HTTP server needs to know, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// `KLARNA_HTTP_ADDR`.
    pub listen: SocketAddr,
    /// `KLARNA_PUBLIC_URL`: scheme, host and port only.
    pub public_url: Option<Url>,
    /// `KLARNA_OAUTH_ISSUER` and `KLARNA_OAUTH_AUDIENCE`.
    pub oauth: Option<OAuthConfig>,
    /// `KLARNA_HTTP_TOKENS_FILE`.
    pub tokens_file: Option<PathBuf>,
    /// `KLARNA_HTTP_ALLOWED_HOSTS`.
    pub extra_allowed_hosts: Vec<String>,
    /// `KLARNA_HTTP_ALLOWED_ORIGINS`.
    pub extra_allowed_origins: Vec<String>,
    /// `KLARNA_HTTP_RATE_LIMIT` and `KLARNA_HTTP_RATE_BURST`; `None` = no limit.
    pub rate_limit: Option<RateLimit>,
    /// `KLARNA_HTTP_MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// `KLARNA_HTTP_SHUTDOWN_GRACE_SECS`.
    pub shutdown_grace: Duration,
    /// The tools that need the write role (set by the caller from the handler's tools, not
    /// from the environment): a read principal's `tools/call` of one is answered `403
    /// insufficient_scope` before it reaches MCP.
    pub write_tools: Vec<String>,
}

/// A setting that cannot be used. The server does not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpConfigError {
    /// A variable has a value it cannot take.
    #[error("{var}={value:?} is not valid: {fix}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What would be valid.
        fix: String,
    },
    /// Settings that are unsafe or contradictory together.
    #[error("{0}")]
    Conflict(String),
}

fn invalid(var: &'static str, value: &str, fix: impl Into<String>) -> HttpConfigError {
    HttpConfigError::Invalid {
        var,
        value: value.chars().take(200).collect(),
        fix: fix.into(),
    }
}

impl HttpConfig {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, HttpConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Parses the settings from a lookup function (`None` or empty = unset).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, HttpConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let addr_text = get("KLARNA_HTTP_ADDR").unwrap_or_else(|| DEFAULT_ADDR.to_string());
        let listen: SocketAddr = addr_text.parse().map_err(|_| {
            invalid(
                "KLARNA_HTTP_ADDR",
                &addr_text,
                "use IP:PORT, e.g. 127.0.0.1:8080 (loopback) or 0.0.0.0:8080 (all interfaces, needs authentication)",
            )
        })?;

        let public_url = get("KLARNA_PUBLIC_URL")
            .map(|v| parse_public_url(&v))
            .transpose()?;

        let audience = get("KLARNA_OAUTH_AUDIENCE");
        let oauth = match get("KLARNA_OAUTH_ISSUER") {
            Some(issuer) => {
                let url = Url::parse(&issuer).map_err(|e| {
                    invalid("KLARNA_OAUTH_ISSUER", &issuer, format!("not a URL ({e})"))
                })?;
                if !secure_or_loopback(&url) || url.query().is_some() || url.fragment().is_some() {
                    return Err(invalid(
                        "KLARNA_OAUTH_ISSUER",
                        &issuer,
                        "use the issuer's https:// URL exactly as tokens name it in `iss` (http:// only on loopback)",
                    ));
                }
                Some(OAuthConfig {
                    issuer,
                    audience,
                    jwks: JwksPolicy::default(),
                })
            }
            None if audience.is_some() => {
                return Err(HttpConfigError::Conflict(
                    "KLARNA_OAUTH_AUDIENCE is set but KLARNA_OAUTH_ISSUER is not: set the issuer too, or remove the audience"
                        .into(),
                ));
            }
            None => None,
        };

        let tokens_file = get("KLARNA_HTTP_TOKENS_FILE").map(PathBuf::from);
        let extra_allowed_hosts = list(get("KLARNA_HTTP_ALLOWED_HOSTS"));
        for host in &extra_allowed_hosts {
            if host.contains('/') || host.parse::<axum::http::uri::Authority>().is_err() {
                return Err(invalid(
                    "KLARNA_HTTP_ALLOWED_HOSTS",
                    host,
                    "list host names or host:port, comma-separated, without scheme or path",
                ));
            }
        }
        let extra_allowed_origins = list(get("KLARNA_HTTP_ALLOWED_ORIGINS"));
        for origin in &extra_allowed_origins {
            if super::guard::parse_allowed_origin(origin).is_none() {
                return Err(invalid(
                    "KLARNA_HTTP_ALLOWED_ORIGINS",
                    origin,
                    "list origins as scheme://host:port (or :* for any port), comma-separated",
                ));
            }
        }

        let per_minute = parse_u32(
            &get,
            "KLARNA_HTTP_RATE_LIMIT",
            0..=100_000,
            "a whole number of requests per minute (0 = no limit)",
        )?
        .unwrap_or(120);
        let burst = parse_u32(
            &get,
            "KLARNA_HTTP_RATE_BURST",
            1..=100_000,
            "a whole number of requests, at least 1",
        )?
        .unwrap_or(30);
        let rate_limit = NonZeroU32::new(per_minute).map(|per_minute| RateLimit {
            per_minute,
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        });

        let max_body_bytes = parse_u32(
            &get,
            "KLARNA_HTTP_MAX_BODY_BYTES",
            1024..=64 * 1024 * 1024,
            "a number of bytes from 1024 to 67108864",
        )?
        .map_or(DEFAULT_MAX_BODY_BYTES, |n| n as usize);
        let shutdown_grace = parse_u32(
            &get,
            "KLARNA_HTTP_SHUTDOWN_GRACE_SECS",
            0..=600,
            "a whole number of seconds from 0 to 600",
        )?
        .map_or(DEFAULT_SHUTDOWN_GRACE, |n| {
            Duration::from_secs(u64::from(n))
        });

        let config = Self {
            listen,
            public_url,
            oauth,
            tokens_file,
            extra_allowed_hosts,
            extra_allowed_origins,
            rate_limit,
            max_body_bytes,
            shutdown_grace,
            write_tools: Vec::new(),
        };
        config.check_exposure(listen)?;
        Ok(config)
    }

    /// Whether any authentication is configured.
    pub fn has_auth(&self) -> bool {
        self.oauth.is_some() || self.tokens_file.is_some()
    }

    /// Refuses settings that would expose the server unsafely when it listens on `local`:
    /// no authentication off loopback; no authentication behind a reverse proxy (a public
    /// URL, or a host name other than loopback's, means requests arrive from elsewhere
    /// through a local proxy — each would act as the local user, with the write role); and
    /// OAuth off loopback without a public URL (the resource identifier would be a bare IP
    /// clients do not use).
    pub fn check_exposure(&self, local: SocketAddr) -> Result<(), HttpConfigError> {
        let loopback = local.ip().is_loopback();
        if !self.has_auth() {
            if let Some(url) = &self.public_url {
                return Err(HttpConfigError::Conflict(format!(
                    "KLARNA_PUBLIC_URL={url} says clients reach this server from elsewhere, but no authentication is \
                     configured: every request the proxy forwards would be the local user, with the write role. Set \
                     KLARNA_OAUTH_ISSUER (OAuth) or KLARNA_HTTP_TOKENS_FILE (static tokens), or remove KLARNA_PUBLIC_URL"
                )));
            }
            if let Some(host) = self
                .extra_allowed_hosts
                .iter()
                .find(|h| !is_loopback_host(h))
            {
                return Err(HttpConfigError::Conflict(format!(
                    "KLARNA_HTTP_ALLOWED_HOSTS names {host}, so requests may arrive from elsewhere, but no \
                     authentication is configured: each would be the local user, with the write role. Set \
                     KLARNA_OAUTH_ISSUER (OAuth) or KLARNA_HTTP_TOKENS_FILE (static tokens), or allow only loopback names"
                )));
            }
        }
        if !loopback && !self.has_auth() {
            return Err(HttpConfigError::Conflict(format!(
                "KLARNA_HTTP_ADDR={local} is not a loopback address and no authentication is configured: anyone who \
                 can reach it could move money. Set KLARNA_OAUTH_ISSUER (OAuth) or KLARNA_HTTP_TOKENS_FILE (static \
                 tokens), or listen on 127.0.0.1"
            )));
        }
        if !loopback && self.oauth.is_some() && self.public_url.is_none() {
            return Err(HttpConfigError::Conflict(format!(
                "KLARNA_OAUTH_ISSUER is set and KLARNA_HTTP_ADDR={local} is not loopback, but KLARNA_PUBLIC_URL is not set: \
                 set it to the URL clients use (e.g. https://mcp.example.com); tokens are checked against it"
            )));
        }
        Ok(())
    }

    /// The origin clients use: `KLARNA_PUBLIC_URL`, or `http://<local>`.
    pub fn public_origin(&self, local: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_string(),
            None => format!("http://{local}"),
        }
    }

    /// This server's resource identifier (RFC 8707/9728): the public origin + `/mcp`.
    pub fn resource_url(&self, local: SocketAddr) -> String {
        format!("{}{MCP_PATH}", self.public_origin(local))
    }

    /// The URL of the Protected Resource Metadata for [`Self::resource_url`] (RFC 9728 §3.1:
    /// the well-known segment goes between the origin and the resource's path).
    pub fn resource_metadata_url(&self, local: SocketAddr) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource{MCP_PATH}",
            self.public_origin(local)
        )
    }

    /// The `aud` tokens must carry.
    pub fn audience(&self, local: SocketAddr) -> String {
        self.oauth
            .as_ref()
            .and_then(|o| o.audience.clone())
            .unwrap_or_else(|| self.resource_url(local))
    }

    /// The `Host` values accepted when listening on `local`: the loopback names, the listen
    /// IP if it is a specific one, the public URL's host, and `KLARNA_HTTP_ALLOWED_HOSTS`.
    /// Entries without a port accept any port.
    pub fn allowed_hosts(&self, local: SocketAddr) -> Vec<String> {
        let mut hosts: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        let ip = local.ip();
        if !ip.is_loopback() && !ip.is_unspecified() {
            hosts.push(ip.to_string());
        }
        if let Some(host) = self.public_url.as_ref().and_then(Url::host_str) {
            hosts.push(host.trim_matches(['[', ']']).to_ascii_lowercase());
        }
        hosts.extend(self.extra_allowed_hosts.iter().cloned());
        hosts.dedup();
        hosts
    }

    /// The browser origins accepted: the public URL's origin, local pages on any port when
    /// listening on loopback (the MCP Inspector, local tools), and `KLARNA_HTTP_ALLOWED_ORIGINS`.
    /// Requests without `Origin` (every non-browser client) are not affected.
    pub fn allowed_origins(&self, local: SocketAddr) -> Vec<String> {
        let mut origins = Vec::new();
        if let Some(url) = &self.public_url
            && let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default())
        {
            origins.push(format!("{}://{host}:{port}", url.scheme()));
        }
        if local.ip().is_loopback() {
            origins.extend(
                ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"].map(String::from),
            );
        }
        origins.extend(self.extra_allowed_origins.iter().cloned());
        origins
    }
}

/// Whether an allowed-host entry (`name` or `name:port`) names this machine.
fn is_loopback_host(entry: &str) -> bool {
    let host = match entry.parse::<axum::http::uri::Authority>() {
        Ok(authority) => authority
            .host()
            .trim_matches(['[', ']'])
            .to_ascii_lowercase(),
        Err(_) => return false,
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn parse_u32(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    range: std::ops::RangeInclusive<u32>,
    fix: &str,
) -> Result<Option<u32>, HttpConfigError> {
    get(var)
        .map(|v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| invalid(var, &v, format!("use {fix}")))
        })
        .transpose()
}

/// `https://host[:port]`, or `http://` on loopback; no path, query or credentials.
fn parse_public_url(value: &str) -> Result<Url, HttpConfigError> {
    let url = Url::parse(value)
        .map_err(|e| invalid("KLARNA_PUBLIC_URL", value, format!("not a URL ({e})")))?;
    if !secure_or_loopback(&url) {
        return Err(invalid(
            "KLARNA_PUBLIC_URL",
            value,
            "use the https:// URL clients reach the server at (http:// only for loopback)",
        ));
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
        || url.path() != "/"
    {
        return Err(invalid(
            "KLARNA_PUBLIC_URL",
            value,
            "give only scheme, host and port (e.g. https://mcp.example.com); the server adds /mcp and serves the \
             metadata under /.well-known at the root of that host",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<HttpConfig, HttpConfigError> {
        HttpConfig::from_vars(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_are_loopback_without_auth() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.listen, DEFAULT_ADDR.parse().unwrap());
        assert!(!config.has_auth());
        assert_eq!(config.rate_limit.unwrap().per_minute.get(), 120);
        assert_eq!(config.max_body_bytes, 1024 * 1024);
        let local = config.listen;
        assert_eq!(config.resource_url(local), "http://127.0.0.1:8080/mcp");
        assert_eq!(
            config.resource_metadata_url(local),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
        );
    }

    #[test]
    fn non_loopback_without_auth_is_refused() {
        let err = parse(&[("KLARNA_HTTP_ADDR", "0.0.0.0:8080")]).unwrap_err();
        assert!(err.to_string().contains("KLARNA_HTTP_TOKENS_FILE"), "{err}");
        assert!(
            parse(&[
                ("KLARNA_HTTP_ADDR", "0.0.0.0:8080"),
                ("KLARNA_HTTP_TOKENS_FILE", "/etc/klarna-mcp/tokens")
            ])
            .is_ok()
        );
        let err = parse(&[
            ("KLARNA_HTTP_ADDR", "0.0.0.0:8080"),
            ("KLARNA_OAUTH_ISSUER", "https://idp.example"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("KLARNA_PUBLIC_URL"), "{err}");
    }

    #[test]
    fn behind_a_reverse_proxy_without_auth_is_refused_even_on_loopback() {
        // The proxy connects from loopback; the people behind it do not.
        let err = parse(&[
            ("KLARNA_HTTP_ADDR", "127.0.0.1:8080"),
            ("KLARNA_PUBLIC_URL", "https://mcp.example.com"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("KLARNA_PUBLIC_URL") && err.to_string().contains("write role"),
            "{err}"
        );
        let err = parse(&[(
            "KLARNA_HTTP_ALLOWED_HOSTS",
            "localhost:8080,mcp.example.com",
        )])
        .unwrap_err();
        assert!(err.to_string().contains("mcp.example.com"), "{err}");
        // Loopback names only, or with authentication, start.
        assert!(
            parse(&[(
                "KLARNA_HTTP_ALLOWED_HOSTS",
                "localhost:8080,127.0.0.1:9,[::1]:8080"
            )])
            .is_ok()
        );
        assert!(
            parse(&[
                ("KLARNA_HTTP_ADDR", "127.0.0.1:8080"),
                ("KLARNA_PUBLIC_URL", "https://mcp.example.com"),
                ("KLARNA_HTTP_TOKENS_FILE", "/etc/klarna-mcp/tokens"),
            ])
            .is_ok()
        );
    }

    #[test]
    fn public_url_sets_resource_audience_hosts_and_origins() {
        let config = parse(&[
            ("KLARNA_HTTP_ADDR", "0.0.0.0:8080"),
            ("KLARNA_OAUTH_ISSUER", "https://idp.example/realms/team"),
            ("KLARNA_PUBLIC_URL", "https://MCP.example.com"),
            ("KLARNA_HTTP_ALLOWED_HOSTS", "klarna-mcp.internal:8080"),
        ])
        .unwrap();
        let local = config.listen;
        assert_eq!(config.resource_url(local), "https://mcp.example.com/mcp");
        assert_eq!(config.audience(local), "https://mcp.example.com/mcp");
        assert_eq!(
            config.allowed_hosts(local),
            [
                "localhost",
                "127.0.0.1",
                "::1",
                "mcp.example.com",
                "klarna-mcp.internal:8080"
            ]
        );
        assert_eq!(
            config.allowed_origins(local),
            ["https://mcp.example.com:443"]
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("KLARNA_HTTP_ADDR", "localhost"),
            ("KLARNA_PUBLIC_URL", "http://mcp.example.com"),
            ("KLARNA_PUBLIC_URL", "https://mcp.example.com/klarna"),
            ("KLARNA_OAUTH_ISSUER", "http://idp.example"),
            ("KLARNA_HTTP_RATE_LIMIT", "-1"),
            ("KLARNA_HTTP_RATE_BURST", "0"),
            ("KLARNA_HTTP_MAX_BODY_BYTES", "12"),
            ("KLARNA_HTTP_SHUTDOWN_GRACE_SECS", "forever"),
            ("KLARNA_HTTP_ALLOWED_ORIGINS", "mcp.example.com"),
        ] {
            let err = parse(&[(var, value)]).unwrap_err().to_string();
            assert!(err.starts_with(var), "{var}={value}: {err}");
        }
        assert!(parse(&[("KLARNA_OAUTH_AUDIENCE", "x")]).is_err());
        assert_eq!(
            parse(&[("KLARNA_HTTP_RATE_LIMIT", "0")])
                .unwrap()
                .rate_limit,
            None
        );
    }
}
