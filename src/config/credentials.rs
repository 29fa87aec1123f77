//! Klarna credentials per host, from the environment.
//!
//! Klarna credentials belong to one region **and** one environment, so a merchant selling in
//! Europe and North America has two sets. One server holds them all:
//!
//! - the default set — `KLARNA_API_KEY` alone (sent as `Basic <key>`), or
//!   `KLARNA_API_USERNAME` with `KLARNA_API_PASSWORD` (or with `KLARNA_API_KEY`);
//! - a set per host — `KLARNA_<SCOPE>_API_KEY`, or `KLARNA_<SCOPE>_API_USERNAME` with
//!   `KLARNA_<SCOPE>_API_PASSWORD` (or `_API_KEY`), where SCOPE names exactly one of the six
//!   hosts: `EU`, `NA`, `OC`, `EU_PLAYGROUND`, `NA_PLAYGROUND`, `OC_PLAYGROUND`.
//!
//! The host a call names picks the credentials, never anything the model sends: a host with
//! its own set uses it; any other host uses the default set where the environment guard
//! allows it (`KLARNA_ENVIRONMENT`, and the `klarna_test_api_`/`klarna_live_api_` prefix of
//! the default key); a host with neither has none, and a call to it is refused before
//! anything is sent, naming the variables that would enable it. A set whose key prefix
//! contradicts its host's environment stops startup.

use std::sync::Arc;

use secrecy::SecretString;

use super::{ConfigError, invalid};
use crate::{
    host::{ALL_HOSTS, ApiHost, Environment},
    klarna::{Credentials, HostCredentials, MissingCredential},
};

/// The variable-name part that names each host's own set.
pub fn scope(host: ApiHost) -> &'static str {
    match host {
        ApiHost::Eu => "EU",
        ApiHost::Na => "NA",
        ApiHost::Oc => "OC",
        ApiHost::EuPlayground => "EU_PLAYGROUND",
        ApiHost::NaPlayground => "NA_PLAYGROUND",
        ApiHost::OcPlayground => "OC_PLAYGROUND",
    }
}

/// Every credential variable this server reads: the default set's, then each host's.
pub fn all_variables() -> Vec<String> {
    std::iter::once("KLARNA".to_string())
        .chain(ALL_HOSTS.map(|h| format!("KLARNA_{}", scope(h))))
        .flat_map(|prefix| {
            ["API_USERNAME", "API_PASSWORD", "API_KEY"].map(|v| format!("{prefix}_{v}"))
        })
        .collect()
}

/// One credential set as read: absent, usable, or started but incomplete.
enum Set {
    Absent,
    Usable(Credentials),
    Incomplete(String),
}

/// Reads the set whose variables start with `prefix` (`KLARNA` or `KLARNA_NA`, …).
fn read_set(
    prefix: &str,
    get: &impl Fn(&str) -> Option<String>,
    raw: &impl Fn(&str) -> Option<String>,
) -> Result<Set, ConfigError> {
    let user_var = format!("{prefix}_API_USERNAME");
    let pass_var = format!("{prefix}_API_PASSWORD");
    let key_var = format!("{prefix}_API_KEY");
    let username = get(&user_var);
    // Secrets are not trimmed: whitespace could be part of them.
    let password = raw(&pass_var).filter(|v| !v.is_empty());
    let key = raw(&key_var).filter(|v| !v.is_empty());
    // A placeholder pasted from `klarna-mcp config` is no credential: sending it would only
    // earn a 401 from Klarna, and say less about what to do than this.
    for (var, value) in [
        (&user_var, username.as_deref()),
        (&pass_var, password.as_deref()),
        (&key_var, key.as_deref()),
    ] {
        if value.is_some_and(super::warnings::is_placeholder) {
            let fix = if var == &user_var {
                "replace it with the username from Klarna Merchant Portal → Settings → API credentials, or delete it"
                    .to_string()
            } else {
                format!(
                    "replace it with the {} from Klarna Merchant Portal → Settings → API credentials, or delete the \
                     line if you do not sell there",
                    if var == &key_var {
                        "API key"
                    } else {
                        "password"
                    }
                )
            };
            return Ok(Set::Incomplete(format!(
                "{var} still holds a placeholder, not a credential: {fix}"
            )));
        }
    }
    Ok(match (username, password, key) {
        (_, Some(_), Some(_)) => {
            return Err(ConfigError::Conflict(format!(
                "both {pass_var} and {key_var} are set: set one of them (an API key goes in {key_var}; \
                 {pass_var} is for a username's password)"
            )));
        }
        (None, None, None) => Set::Absent,
        (Some(username), Some(secret), None) => Set::Usable(Credentials {
            username: Some(username),
            secret: SecretString::from(secret),
            source: format!("{user_var}/{pass_var}"),
        }),
        (username, None, Some(secret)) => Set::Usable(Credentials {
            source: match &username {
                Some(_) => format!("{user_var}/{key_var}"),
                None => key_var.clone(),
            },
            username,
            secret: SecretString::from(secret),
        }),
        (None, Some(_), None) => Set::Incomplete(format!(
            "{pass_var} is set but {user_var} is not: set {user_var} too, or put an API key in {key_var} instead"
        )),
        (Some(_), None, None) => Set::Incomplete(format!(
            "{user_var} is set but neither {pass_var} nor {key_var} is"
        )),
    })
}

/// The environment an API key is for, from its documented prefix.
fn key_environment(c: &Credentials) -> Option<Environment> {
    Environment::of_api_key(secrecy::ExposeSecret::expose_secret(&c.secret))
}

/// What was read: credentials per host, and the environment the default key is for.
pub struct Parsed {
    /// Per host.
    pub credentials: HostCredentials,
    /// The default set's key environment, when its key has a prefix.
    pub default_key_environment: Option<Environment>,
    /// Sets that were started but cannot be used (a username without its password, a
    /// placeholder): said at start-up, not only when a call needs them.
    pub warnings: Vec<String>,
}

/// Reads every set and decides which host gets which. `environment` is
/// `KLARNA_ENVIRONMENT`: a set for a host outside it is a contradiction.
pub fn parse(
    get: &impl Fn(&str) -> Option<String>,
    raw: &impl Fn(&str) -> Option<String>,
    environment: Option<Environment>,
) -> Result<Parsed, ConfigError> {
    let mut warnings = Vec::new();
    let default = read_set("KLARNA", get, raw)?;
    if let Set::Incomplete(why) = &default {
        warnings.push(format!(
            "the default credentials are incomplete: {why}; hosts without a set of their own have no credentials until then"
        ));
    }
    let default_key_environment = match &default {
        Set::Usable(c) => key_environment(c),
        _ => None,
    };
    if let (Some(env), Some(key_env), Set::Usable(c)) =
        (environment, default_key_environment, &default)
        && env != key_env
    {
        return Err(ConfigError::Conflict(format!(
            "KLARNA_ENVIRONMENT={env} but {} holds a {key_env} API key (klarna_{}_api_…). Use the {env} key, \
             or set KLARNA_ENVIRONMENT={key_env}",
            c.source,
            prefix_word(key_env)
        )));
    }
    let default = match default {
        Set::Usable(c) => Ok(Arc::new(c)),
        Set::Absent => Err(None),
        Set::Incomplete(why) => Err(Some(why)),
    };

    let mut entries = Vec::new();
    for host in ALL_HOSTS {
        let prefix = format!("KLARNA_{}", scope(host));
        let own = read_set(&prefix, get, raw)?;
        let entry = match own {
            Set::Usable(c) => {
                if let Some(key_env) = key_environment(&c)
                    && key_env != host.environment()
                {
                    return Err(ConfigError::Conflict(format!(
                        "{} holds a {key_env} API key (klarna_{}_api_…), but it is the set for {host}, a {} host. \
                         Put the {} key there, or move this key to the set of a {key_env} host",
                        c.source,
                        prefix_word(key_env),
                        host.environment(),
                        host.environment()
                    )));
                }
                if let Some(env) = environment
                    && env != host.environment()
                {
                    return Err(ConfigError::Conflict(format!(
                        "{} is set for {host}, a {} host, but KLARNA_ENVIRONMENT={env} allows only {env} hosts. \
                         Remove one of them",
                        c.source,
                        host.environment()
                    )));
                }
                Ok(Arc::new(c))
            }
            Set::Incomplete(why) => {
                warnings.push(format!(
                    "the credentials for {host} are incomplete: {why}; calls to {host} are refused until then"
                ));
                Err(MissingCredential(format!(
                    "The credentials for {host} are incomplete: {why}. Then restart the server"
                )))
            }
            Set::Absent => default_for(host, &default, default_key_environment, environment),
        };
        entries.push((host, entry));
    }
    Ok(Parsed {
        credentials: HostCredentials::per_host(entries),
        default_key_environment,
        warnings,
    })
}

fn prefix_word(env: Environment) -> &'static str {
    match env {
        Environment::Production => "live",
        Environment::Playground => "test",
    }
}

/// What `host` gets when it has no set of its own.
fn default_for(
    host: ApiHost,
    default: &Result<Arc<Credentials>, Option<String>>,
    default_key_environment: Option<Environment>,
    environment: Option<Environment>,
) -> Result<Arc<Credentials>, MissingCredential> {
    let scoped = scope(host);
    let set_own = format!(
        "set KLARNA_{scoped}_API_KEY (or KLARNA_{scoped}_API_USERNAME + KLARNA_{scoped}_API_PASSWORD) \
         in the MCP client's \"env\" block, then restart the server"
    );
    if let Some(env) = environment
        && env != host.environment()
    {
        return Err(MissingCredential(format!(
            "{host} is a {} host, but KLARNA_ENVIRONMENT={env} allows only {env} hosts",
            host.environment()
        )));
    }
    match default {
        Ok(c) => match default_key_environment {
            Some(key_env) if key_env != host.environment() => Err(MissingCredential(format!(
                "No credentials for {host}: the default credentials ({}) are a {key_env} API key, and {host} is a {} \
                 host. To use {host}, {set_own}",
                c.source,
                host.environment()
            ))),
            _ => Ok(Arc::clone(c)),
        },
        Err(Some(why)) => Err(MissingCredential(format!(
            "The default credentials are incomplete: {why}. Or, for {host} alone, {set_own}"
        ))),
        Err(None) => Err(MissingCredential(format!(
            "No credentials for {host}: {set_own}, or set the default KLARNA_API_KEY (or KLARNA_API_USERNAME + \
             KLARNA_API_PASSWORD), from Klarna Merchant Portal → Settings → API credentials; or run `klarna-mcp --demo` \
             to try it without an account"
        ))),
    }
}

/// `KLARNA_API_HOST`, else the EU host of the allowed environment, else the first host
/// that has credentials, else `api.klarna.com`.
pub fn default_host(
    get: &impl Fn(&str) -> Option<String>,
    environment: Option<Environment>,
    parsed: &Parsed,
) -> Result<ApiHost, ConfigError> {
    if let Some(v) = get("KLARNA_API_HOST") {
        return ApiHost::parse(&v).map_err(|e| invalid("KLARNA_API_HOST", &v, e.to_string()));
    }
    if let Some(env) = environment.or(parsed.default_key_environment) {
        return Ok(env.eu_host());
    }
    Ok(parsed
        .credentials
        .usable()
        .first()
        .map_or(ApiHost::Eu, |(h, _)| *h))
}
