//! What the client needs to know, and nothing else: which credentials go to which host, where
//! requests are sent, and how long to wait and retry. The application's configuration
//! (`crate::config`) builds one of these; the client never sees the rest of it.

use std::{collections::HashMap, fmt, sync::Arc};

use base64::Engine;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::policy::RetryPolicy;
use crate::host::{ALL_HOSTS, ApiHost};

/// One set of Klarna API credentials: an API key alone, or a username with a password or
/// key. The secret is a [`SecretString`]: no `Display`, a redacted `Debug`, exposed only where
/// the `Authorization` header is built.
#[derive(Clone)]
pub struct Credentials {
    /// API username (the UUID shown with the key); optional with an API key.
    pub username: Option<String>,
    /// The password or API key.
    pub secret: SecretString,
    /// Where they came from, by variable name (never a value), for messages.
    pub source: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &"[redacted]")
            .field("source", &self.source)
            .finish()
    }
}

impl Credentials {
    /// The `Authorization` header: `Basic <API key>` for a key alone (as Klarna documents
    /// API keys), else `Basic base64(username:secret)`. Marked sensitive, so HTTP-level
    /// logging never prints it.
    pub fn authorization(&self) -> Option<HeaderValue> {
        let secret = self.secret.expose_secret();
        let value = match &self.username {
            None => format!("Basic {secret}"),
            Some(user) => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
            ),
        };
        let mut header = HeaderValue::from_str(&value).ok()?;
        header.set_sensitive(true);
        Some(header)
    }
}

/// Why a host has no credentials, with the variables that would give it some.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingCredential(pub String);

impl fmt::Display for MissingCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The credentials each of the six hosts gets, or why it gets none. Decided once, from
/// configuration; nothing a tool call carries can change which credentials go where.
#[derive(Debug, Clone)]
pub struct HostCredentials {
    by_host: HashMap<ApiHost, Result<Arc<Credentials>, MissingCredential>>,
}

impl HostCredentials {
    /// Every host gets the same credentials (or the same reason for having none).
    pub fn same_for_all(credentials: Result<Credentials, MissingCredential>) -> Self {
        let shared = credentials.map(Arc::new);
        Self {
            by_host: ALL_HOSTS.map(|h| (h, shared.clone())).into_iter().collect(),
        }
    }

    /// Each host's own entry.
    pub fn per_host(
        entries: impl IntoIterator<Item = (ApiHost, Result<Arc<Credentials>, MissingCredential>)>,
    ) -> Self {
        Self {
            by_host: entries.into_iter().collect(),
        }
    }

    /// Every distinct set of credentials configured, for scrubbing them from upstream text.
    pub fn all(&self) -> impl Iterator<Item = &Credentials> {
        let mut seen: Vec<*const Credentials> = Vec::new();
        ALL_HOSTS.iter().filter_map(move |h| {
            let c = self.by_host.get(h)?.as_ref().ok()?;
            let ptr = Arc::as_ptr(c);
            if seen.contains(&ptr) {
                None
            } else {
                seen.push(ptr);
                Some(c.as_ref())
            }
        })
    }

    /// The credentials for `host`, or why there are none.
    pub fn for_host(&self, host: ApiHost) -> Result<&Credentials, MissingCredential> {
        match self.by_host.get(&host) {
            Some(Ok(c)) => Ok(c),
            Some(Err(missing)) => Err(missing.clone()),
            None => Err(MissingCredential(format!(
                "no credentials are configured for {host}"
            ))),
        }
    }

    /// The hosts that have credentials, with where each set came from (variable names).
    pub fn usable(&self) -> Vec<(ApiHost, String)> {
        ALL_HOSTS
            .into_iter()
            .filter_map(|h| Some((h, self.for_host(h).ok()?.source.clone())))
            .collect()
    }
}

/// The placeholder in a base URL that stands for the host a call names.
pub const HOST_PLACEHOLDER: &str = "{apiHost}";

/// `KLARNA_BASE_URL`: where requests go instead of `https://{apiHost}`. It may contain
/// `{apiHost}`, replaced by the host each call names (`http://127.0.0.1:8088/{apiHost}` for
/// the simulator, `https://{apiHost}.gateway.internal` for a proxy), so one base URL serves
/// all six hosts and a recording proxy still sees which host was meant.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    template: String,
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BaseUrl").field(&self.redacted()).finish()
    }
}

impl BaseUrl {
    /// A base URL from its text; [`BaseUrl::for_host`] must succeed for every host (the
    /// caller checks).
    pub fn new(template: &str) -> Self {
        Self {
            template: template.to_string(),
        }
    }

    /// The URL for `host`.
    pub fn for_host(&self, host: ApiHost) -> Result<Url, url::ParseError> {
        Url::parse(&self.template.replace(HOST_PLACEHOLDER, host.as_str()))
    }

    /// Whether it names the host through the placeholder.
    pub fn has_placeholder(&self) -> bool {
        self.template.contains(HOST_PLACEHOLDER)
    }

    /// As it may be logged: scheme, host (the placeholder kept) and port — a path could
    /// carry anything.
    pub fn redacted(&self) -> String {
        match self.for_host(ApiHost::Eu) {
            Ok(url) => {
                let host = match url.host() {
                    Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
                    Some(h) => h.to_string(),
                    None => String::new(),
                };
                let host = host.replace(ApiHost::Eu.as_str(), HOST_PLACEHOLDER);
                let path_hint = if self.has_placeholder()
                    && !url
                        .host_str()
                        .is_some_and(|h| h.contains(ApiHost::Eu.as_str()))
                {
                    "/…{apiHost}…"
                } else {
                    ""
                };
                match url.port() {
                    Some(port) => format!("{}://{host}:{port}{path_hint}", url.scheme()),
                    None => format!("{}://{host}{path_hint}", url.scheme()),
                }
            }
            Err(_) => "[unparsable]".into(),
        }
    }
}

/// The client's configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Credentials per host.
    pub credentials: HostCredentials,
    /// `KLARNA_BASE_URL`: send requests here instead of `https://{apiHost}`.
    pub base_url: Option<BaseUrl>,
    /// Retries, timeouts and the per-call time budget.
    pub retry: RetryPolicy,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(username: Option<&str>, secret: &str) -> Credentials {
        Credentials {
            username: username.map(str::to_string),
            secret: SecretString::from(secret.to_string()),
            source: "TEST".into(),
        }
    }

    #[test]
    fn an_api_key_alone_is_sent_as_basic_key_and_with_a_username_as_basic_base64() {
        let key = creds(None, "klarna_test_api_abc");
        assert_eq!(key.authorization().unwrap(), "Basic klarna_test_api_abc");
        assert!(key.authorization().unwrap().is_sensitive());
        let pair = creds(Some("user"), "pass");
        assert_eq!(pair.authorization().unwrap(), "Basic dXNlcjpwYXNz");
        assert!(!format!("{key:?}{pair:?}").contains("klarna_test_api_abc"));
    }

    #[test]
    fn the_placeholder_names_the_host_in_path_or_host_position() {
        let path = BaseUrl::new("http://127.0.0.1:8088/{apiHost}");
        assert_eq!(
            path.for_host(ApiHost::Na).unwrap().as_str(),
            "http://127.0.0.1:8088/api-na.klarna.com"
        );
        assert_eq!(path.redacted(), "http://127.0.0.1:8088/…{apiHost}…");
        let host = BaseUrl::new("https://{apiHost}.gateway.internal");
        assert_eq!(
            host.for_host(ApiHost::OcPlayground).unwrap().host_str(),
            Some("api-oc.playground.klarna.com.gateway.internal")
        );
        assert_eq!(host.redacted(), "https://{apiHost}.gateway.internal");
        assert_eq!(
            BaseUrl::new("https://gw.example/secret/path").redacted(),
            "https://gw.example"
        );
    }
}
