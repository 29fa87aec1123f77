//! What the client needs to know, and nothing else: which credentials go to which host, where
//! requests are sent, and how long to wait and retry. The application's configuration
//! (`crate::config`) builds one of these; the client never sees the rest of it.

use std::{collections::HashMap, fmt, sync::Arc};

use secrecy::SecretString;
use url::Url;

use super::policy::RetryPolicy;
use crate::host::{ALL_HOSTS, ApiHost};

/// One set of Klarna API credentials. The password is a [`SecretString`]: it has no
/// `Display`, its `Debug` is redacted, and it is exposed only where the `Authorization`
/// header is built.
#[derive(Clone)]
pub struct Credentials {
    /// API username.
    pub username: String,
    /// API password (the API key).
    pub password: SecretString,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// A credential variable that is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingCredential(pub &'static str);

impl fmt::Display for MissingCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is not set. Set KLARNA_API_USERNAME and KLARNA_API_PASSWORD (Klarna Merchant \
             Portal → Settings → API credentials) in the MCP client's \"env\" block or in a .env \
             file, then restart the server; or run `klarna-mcp --demo` to try it without an account",
            self.0
        )
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

    /// Every distinct set of credentials configured, for scrubbing them from upstream text.
    pub fn all(&self) -> impl Iterator<Item = &Credentials> {
        let mut seen: Vec<*const Credentials> = Vec::new();
        self.by_host.values().filter_map(move |c| {
            let c = c.as_ref().ok()?;
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
            Some(Err(missing)) => Err(*missing),
            None => Err(MissingCredential("KLARNA_API_USERNAME")),
        }
    }
}

/// The client's configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Credentials per host.
    pub credentials: HostCredentials,
    /// `KLARNA_BASE_URL`: send requests here instead of `https://{apiHost}`.
    pub base_url: Option<Url>,
    /// Retries, timeouts and the per-call time budget.
    pub retry: RetryPolicy,
}
