//! The six Klarna Order Management hosts, and the rules for which of them a call may reach.
//!
//! Credentials are sent only to a host parsed into [`ApiHost`]: the enum has exactly the six
//! hosts Klarna documents (EU, NA and OC, each in production and playground), so no string a
//! model passes can route the Basic-auth header anywhere else. [`HostPolicy`] adds the
//! environment guard: `KLARNA_ENVIRONMENT` and the `klarna_test_api_` / `klarna_live_api_`
//! prefix of an API key each restrict calls to one environment.
//!
//! Reference: <https://docs.klarna.com/api/api-urls/>

use std::fmt;

/// Production ("live") or playground ("test") Klarna.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `api*.klarna.com`: real money.
    Production,
    /// `api*.playground.klarna.com`: test orders, test credentials.
    Playground,
}

impl Environment {
    /// Parses `production` / `playground` (also `live` / `test`), case-insensitively.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "production" | "live" => Some(Self::Production),
            "playground" | "test" => Some(Self::Playground),
            _ => None,
        }
    }

    /// The environment an API key belongs to, read from its documented prefix.
    pub fn of_api_key(key: &str) -> Option<Self> {
        if key.starts_with("klarna_live_api_") {
            Some(Self::Production)
        } else if key.starts_with("klarna_test_api_") {
            Some(Self::Playground)
        } else {
            None
        }
    }

    /// The EU host of this environment, the default when nothing else is configured.
    pub fn eu_host(self) -> ApiHost {
        match self {
            Self::Production => ApiHost::Eu,
            Self::Playground => ApiHost::EuPlayground,
        }
    }

    /// `production` or `playground`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Production => "production",
            Self::Playground => "playground",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of Klarna's six Order Management hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiHost {
    /// `api.klarna.com` (Europe, production).
    Eu,
    /// `api-na.klarna.com` (North America, production).
    Na,
    /// `api-oc.klarna.com` (Oceania, production).
    Oc,
    /// `api.playground.klarna.com` (Europe, playground).
    EuPlayground,
    /// `api-na.playground.klarna.com` (North America, playground).
    NaPlayground,
    /// `api-oc.playground.klarna.com` (Oceania, playground).
    OcPlayground,
}

/// Every host, in the order the docs and error messages list them.
pub const ALL_HOSTS: [ApiHost; 6] = [
    ApiHost::Eu,
    ApiHost::Na,
    ApiHost::Oc,
    ApiHost::EuPlayground,
    ApiHost::NaPlayground,
    ApiHost::OcPlayground,
];

/// The host names as a comma-separated list, for messages.
pub fn host_list() -> String {
    ALL_HOSTS.map(|h| h.as_str()).join(", ")
}

impl ApiHost {
    /// The bare host name, e.g. `api-na.klarna.com`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eu => "api.klarna.com",
            Self::Na => "api-na.klarna.com",
            Self::Oc => "api-oc.klarna.com",
            Self::EuPlayground => "api.playground.klarna.com",
            Self::NaPlayground => "api-na.playground.klarna.com",
            Self::OcPlayground => "api-oc.playground.klarna.com",
        }
    }

    /// Which environment the host serves.
    pub fn environment(self) -> Environment {
        match self {
            Self::Eu | Self::Na | Self::Oc => Environment::Production,
            _ => Environment::Playground,
        }
    }

    /// `EU`, `NA` or `OC`.
    pub fn region(self) -> &'static str {
        match self {
            Self::Eu | Self::EuPlayground => "EU",
            Self::Na | Self::NaPlayground => "NA",
            Self::Oc | Self::OcPlayground => "OC",
        }
    }

    /// Parses a host name. Only the six exact names are accepted (ASCII case-insensitive);
    /// a scheme, port, path, userinfo, trailing dot, whitespace or look-alike character is
    /// refused, so the result can be trusted with credentials.
    pub fn parse(value: &str) -> Result<Self, HostError> {
        let lower = value.to_ascii_lowercase();
        ALL_HOSTS
            .into_iter()
            .find(|h| h.as_str() == lower)
            .ok_or_else(|| HostError::Unknown(describe_rejected(value)))
    }
}

impl fmt::Display for ApiHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a host was refused. Messages name the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// Not one of the six Klarna hosts.
    #[error(
        "apiHost {0} is not a Klarna Order Management host. Use exactly one of: {hosts} \
         (bare host name: no https://, port, path or user info)",
        hosts = host_list()
    )]
    Unknown(String),
    /// A real host, but of an environment this server is configured not to use.
    #[error(
        "apiHost {host} is a {host_env} host, but this server is restricted to {allowed} \
         ({reason}). Use {suggestion} or leave apiHost out"
    )]
    WrongEnvironment {
        /// The host asked for.
        host: ApiHost,
        /// Its environment.
        host_env: Environment,
        /// The environment allowed.
        allowed: Environment,
        /// What restricts it (`KLARNA_ENVIRONMENT=…`, or the API key's prefix).
        reason: String,
        /// The same region's host in the allowed environment.
        suggestion: ApiHost,
    },
}

/// Quotes a refused value for a message: short, printable, never the whole of a huge input.
fn describe_rejected(value: &str) -> String {
    if value.is_empty() {
        return "\"\" (empty)".to_string();
    }
    let shown: String = value
        .chars()
        .take(80)
        .flat_map(char::escape_debug)
        .collect();
    let more = value.chars().count() > 80;
    format!("\"{shown}{}\"", if more { "…" } else { "" })
}

/// Decides the host of each call: the caller's choice if allowed, else the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPolicy {
    /// Host used when a call names none.
    pub default_host: ApiHost,
    /// When set, only this environment's hosts may be called, and why.
    pub restriction: Option<(Environment, String)>,
}

impl HostPolicy {
    /// Resolves the `apiHost` argument of a call (`None` = the default host).
    pub fn resolve(&self, requested: Option<&str>) -> Result<ApiHost, HostError> {
        let host = match requested {
            None => self.default_host,
            Some(value) => ApiHost::parse(value)?,
        };
        if let Some((allowed, reason)) = &self.restriction
            && host.environment() != *allowed
        {
            let suggestion = ALL_HOSTS
                .into_iter()
                .find(|h| h.region() == host.region() && h.environment() == *allowed)
                .unwrap_or(allowed.eu_host());
            return Err(HostError::WrongEnvironment {
                host,
                host_env: host.environment(),
                allowed: *allowed,
                reason: reason.clone(),
                suggestion,
            });
        }
        Ok(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_the_six_hosts_case_insensitively() {
        for host in ALL_HOSTS {
            assert_eq!(ApiHost::parse(host.as_str()), Ok(host));
            assert_eq!(ApiHost::parse(&host.as_str().to_uppercase()), Ok(host));
        }
    }

    #[test]
    fn refuses_anything_that_could_route_elsewhere() {
        let hostile = [
            "",
            " ",
            "evil.example",
            "api.klarna.com.evil.example",
            "api.klarna.com@evil.example",
            "evil.example@api.klarna.com",
            "https://api.klarna.com",
            "api.klarna.com:443",
            "api.klarna.com/",
            "api.klarna.com.",
            " api.klarna.com",
            "api.klarna.com\n",
            "127.0.0.1",
            "[::1]",
            "api.klаrna.com", // Cyrillic а
            "api.klarna.com\u{200b}",
            "api.klarna.co",
            "klarna.com",
            "api-eu.klarna.com",
        ];
        for value in hostile {
            let err = ApiHost::parse(value).unwrap_err();
            assert!(
                err.to_string().contains("api-na.playground.klarna.com"),
                "{value:?}: {err}"
            );
        }
    }

    #[test]
    fn long_refused_values_are_truncated_in_messages() {
        let err = ApiHost::parse(&"a".repeat(10_000)).unwrap_err().to_string();
        assert!(err.len() < 600, "{}", err.len());
    }

    #[test]
    fn restriction_refuses_the_other_environment_and_suggests_the_same_region() {
        let policy = HostPolicy {
            default_host: ApiHost::EuPlayground,
            restriction: Some((
                Environment::Playground,
                "KLARNA_ENVIRONMENT=playground".into(),
            )),
        };
        assert_eq!(policy.resolve(None), Ok(ApiHost::EuPlayground));
        assert_eq!(
            policy.resolve(Some("api-na.playground.klarna.com")),
            Ok(ApiHost::NaPlayground)
        );
        let err = policy
            .resolve(Some("api-na.klarna.com"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("KLARNA_ENVIRONMENT=playground"), "{err}");
        assert!(err.contains("api-na.playground.klarna.com"), "{err}");
    }

    #[test]
    fn api_key_prefix_names_its_environment() {
        assert_eq!(
            Environment::of_api_key("klarna_live_api_abc"),
            Some(Environment::Production)
        );
        assert_eq!(
            Environment::of_api_key("klarna_test_api_abc"),
            Some(Environment::Playground)
        );
        assert_eq!(Environment::of_api_key("s3cret"), None);
    }
}
