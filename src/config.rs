//! Configuration: read once at start-up from the environment (and `.env`), parsed into
//! types so that nothing downstream re-reads or re-validates it.
//!
//! [`Config::from_env`] reads the process environment; [`Config::from_vars`] takes any
//! lookup function, which is what the tests use (edition 2024 makes `set_var` unsafe, and
//! tests running in parallel must not share process state).
//!
//! Missing credentials are not an error here: the server still starts and lists its tools,
//! and each call answers with what to set. Everything else that is wrong is a startup error
//! ([`ConfigError`]) naming the variable and the fix.

use std::{collections::BTreeSet, net::IpAddr, path::PathBuf, time::Duration};

use secrecy::SecretSlice;
use url::Url;

use crate::{
    host::{ALL_HOSTS, Environment, HostError, HostPolicy},
    journal::{DEFAULT_DUPLICATE_WINDOW, JournalLocation, KEY_LIFETIME},
    klarna::{
        BaseUrl, ClientConfig, HOST_PLACEHOLDER, HostCredentials, MIN_CALL_BUDGET, RetryPolicy,
    },
};

/// How long a stopping server waits for writes in flight, by default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Time the human has to answer a confirmation question, by default.
pub const DEFAULT_CONFIRM_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether write tools ask the human first (MCP elicitation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmWrites {
    /// Ask when the client supports elicitation; otherwise proceed.
    Auto,
    /// Ask always; refuse the write when the client cannot ask.
    Always,
    /// Never ask.
    Never,
}

/// Format of the log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything the server needs to know, parsed.
#[derive(Debug, Clone)]
pub struct Config {
    /// What the Klarna client needs: credentials per host, base URL, retries and budget.
    pub client: ClientConfig,
    /// Default host and environment restriction.
    pub hosts: HostPolicy,
    /// `KLARNA_READ_ONLY`.
    pub read_only: bool,
    /// `KLARNA_TOOLSETS`, when set: the toolsets to serve (`all`, or names checked against
    /// the toolsets that exist when the server is built); unset, the default ones.
    pub toolsets: Option<BTreeSet<String>>,
    /// `KLARNA_TOOLS`, when set: the only tools to register, among those of the served
    /// toolsets (names are checked when the server is built).
    pub tools: Option<BTreeSet<String>>,
    /// `KLARNA_MAX_CAPTURE_AMOUNT` (minor units).
    pub max_capture_amount: Option<i64>,
    /// `KLARNA_MAX_REFUND_AMOUNT` (minor units).
    pub max_refund_amount: Option<i64>,
    /// `KLARNA_MAX_ORDER_INCREASE_AMOUNT`: the largest increase of an order's total an
    /// authorization update may ask for (minor units).
    pub max_order_increase_amount: Option<i64>,
    /// `KLARNA_CONFIRM_WRITES`.
    pub confirm_writes: ConfirmWrites,
    /// `KLARNA_CONFIRM_TIMEOUT_SECS`: how long the human has to answer a confirmation
    /// question sent as `elicitation/create`.
    pub confirm_timeout: Duration,
    /// `KLARNA_INCLUDE_PERSONAL_DATA`.
    pub include_personal_data: bool,
    /// `KLARNA_SHUTDOWN_GRACE_SECS`: how long a stopping server waits for writes in flight.
    pub shutdown_grace: Duration,
    /// `KLARNA_JOURNAL`: where the operation journal lives; `None` when no location could
    /// be found (then writes are refused).
    pub journal: Option<JournalLocation>,
    /// `KLARNA_DUPLICATE_WINDOW_SECS`: how long a repeat of an applied write without a key
    /// is refused.
    pub duplicate_window: Duration,
    /// `KLARNA_REPORTS_DIR`: where `get_payout_report` saves the reports it fetches (an
    /// absolute path); `None` when no location could be found (then reports are refused).
    pub reports_dir: Option<PathBuf>,
    /// `KLARNA_STATE_KEY`: the key that seals confirmation `requestState`, shared by the
    /// replicas of a team server; `None` = a random key per process.
    pub state_key: Option<SecretSlice<u8>>,
    /// `KLARNA_METRICS_LISTEN`: where Prometheus metrics are served, on a listener of their
    /// own; `None` = no metrics.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// `KLARNA_LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `RUST_LOG`, from the environment or `.env`.
    pub log_filter: Option<String>,
    /// The `.env` read, if any: which variables it set.
    pub dotenv: Option<DotEnvUse>,
    /// Demo mode: the built-in simulator, fake money, a notice on every result.
    pub demo: Option<DemoMode>,
    /// What parses but is probably a mistake (an unknown `KLARNA_*` name, an incomplete
    /// credential set, a placeholder), said at start-up; see [`warnings`].
    pub warnings: Vec<String>,
}

/// What a `.env` contributed, for the startup log (names only, never values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEnvUse {
    /// The file read.
    pub path: std::path::PathBuf,
    /// Variables it set.
    pub set: Vec<String>,
    /// Variables it has that the real environment already set (the environment won).
    pub shadowed: Vec<String>,
}

/// What demo mode tells the model about the simulator it talks to.
#[derive(Debug, Clone, Default)]
pub struct DemoMode {
    /// The seeded orders, listed in the server's instructions.
    pub orders: Vec<DemoOrderNote>,
}

/// One seeded demo order, as the instructions list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOrderNote {
    /// Klarna order id.
    pub order_id: String,
    /// The host it lives on.
    pub host: String,
    /// Order status, e.g. `AUTHORIZED`.
    pub state: String,
    /// Amounts and lines in one sentence.
    pub summary: String,
    /// What to try with it.
    pub try_this: String,
}

/// A configuration value that cannot be used. The server does not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A variable has a value it cannot take.
    #[error("{var}={value:?} is not valid: {fix}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Its value (never a secret).
        value: String,
        /// What would be valid.
        fix: String,
    },
    /// Two settings contradict each other.
    #[error("{0}")]
    Conflict(String),
    /// The `.env` file cannot be used.
    #[error(
        "{path} {problem}; fix or remove it (the server does not start on a .env it cannot read whole)"
    )]
    DotEnv {
        /// The file.
        path: String,
        /// What is wrong, with the line number.
        problem: String,
    },
}

/// Shorthand for [`ConfigError::Invalid`], with the value cut short.
/// The first safeguard a `.env` would loosen, if any: the settings `given` there that make
/// the server less strict than its defaults. (Credentials, caps, tool lists, read-only mode
/// and the like may come from a `.env`: they select an account or restrict.)
fn loosened(
    config: &Config,
    given: &impl Fn(&str) -> bool,
) -> Option<(&'static str, &'static str)> {
    if given("KLARNA_JOURNAL") {
        return Some((
            "KLARNA_JOURNAL",
            "the journal holds the history the duplicate guards read; another file would start them blind",
        ));
    }
    if given("KLARNA_REPORTS_DIR") {
        return Some((
            "KLARNA_REPORTS_DIR",
            "reports hold the merchant's settlement data; a .env could have them saved into the project \
             directory it came with, and from there into a commit",
        ));
    }
    if given("KLARNA_DUPLICATE_WINDOW_SECS") && config.duplicate_window < DEFAULT_DUPLICATE_WINDOW {
        return Some((
            "KLARNA_DUPLICATE_WINDOW_SECS",
            "a shorter window lets a repeated write without a key through sooner",
        ));
    }
    if given("KLARNA_CONFIRM_WRITES") && config.confirm_writes == ConfirmWrites::Never {
        return Some((
            "KLARNA_CONFIRM_WRITES",
            "\"never\" stops the server from asking a human before money moves",
        ));
    }
    if given("KLARNA_INCLUDE_PERSONAL_DATA") && config.include_personal_data {
        return Some((
            "KLARNA_INCLUDE_PERSONAL_DATA",
            "it would show customers' personal data to the model",
        ));
    }
    if given("KLARNA_TIMEOUT_SECS")
        && config.client.retry.budget > crate::klarna::RetryPolicy::default().budget
    {
        return Some((
            "KLARNA_TIMEOUT_SECS",
            "a longer budget can outlast the client, which then never sees the idempotency key",
        ));
    }
    None
}

/// The team server's access settings, which a `.env` may not set.
fn is_access_setting(name: &str) -> bool {
    name.starts_with("KLARNA_HTTP_")
        || name.starts_with("KLARNA_OAUTH_")
        || name == "KLARNA_PUBLIC_URL"
}

pub(crate) fn invalid(var: &'static str, value: &str, fix: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        var,
        value: value.chars().take(200).collect(),
        fix: fix.into(),
    }
}

impl Config {
    /// Reads the process environment and `./.env` (see [`dotenv`] for how strictly).
    pub fn from_env() -> Result<Self, ConfigError> {
        let dotenv = match std::env::current_dir() {
            Ok(dir) => DotEnv::load(&dir)?,
            Err(_) => None,
        };
        let mut config = Self::from_sources(|name| std::env::var(name).ok(), dotenv)?;
        config.check_names(&environment_names());
        Ok(config)
    }

    /// Adds a warning for every `KLARNA_*` name in `environment` (the real environment's
    /// names) or in the `.env` read that the server does not read.
    pub fn check_names(&mut self, environment: &[String]) {
        let from_dotenv = self.dotenv.as_ref().map_or(&[][..], |d| &d.set[..]);
        let given = environment
            .iter()
            .map(|n| (n.as_str(), "environment"))
            .chain(from_dotenv.iter().map(|n| (n.as_str(), ".env")));
        self.warnings.extend(warnings::unknown_variables(given));
    }

    /// Parses configuration from the real environment (`real`) and a `.env`. A variable the
    /// real environment has — even empty — wins over the file. A `.env` cannot send requests
    /// off this machine: a base URL it sets must be loopback.
    pub fn from_sources(
        real: impl Fn(&str) -> Option<String>,
        dotenv: Option<DotEnv>,
    ) -> Result<Self, ConfigError> {
        let file_vars = dotenv.as_ref().map(|d| &d.vars);
        let lookup =
            |name: &str| real(name).or_else(|| file_vars.and_then(|vars| vars.get(name).cloned()));
        let mut config = Self::from_vars(lookup)?;
        config.log_filter = lookup("RUST_LOG").filter(|v| !v.trim().is_empty());
        if let Some(dotenv) = dotenv {
            let (shadowed, set): (Vec<String>, Vec<String>) = dotenv
                .vars
                .keys()
                .cloned()
                .partition(|name| real(name).is_some());
            if set.iter().any(|n| n == "KLARNA_BASE_URL")
                && let Some(url) = &config.client.base_url
                && !base_url_is_loopback(url)
            {
                return Err(ConfigError::Conflict(format!(
                    "KLARNA_BASE_URL in {} points at {}, which is not this machine. A .env may only point \
                     requests at loopback (a simulator or a local proxy); set a remote base URL in the real \
                     environment (the MCP client's \"env\" block) if you mean it",
                    dotenv.path.display(),
                    url.redacted()
                )));
            }
            // An empty line copied from .env.example sets nothing, and is no reason to refuse.
            let given = |name: &str| {
                set.iter().any(|n| n == name)
                    && dotenv.vars.get(name).is_some_and(|v| !v.trim().is_empty())
            };
            if let Some((name, why)) = loosened(&config, &given) {
                return Err(ConfigError::Conflict(format!(
                    "{name} in {} would loosen a safeguard: {why}. A .env comes from whoever wrote the \
                     directory the server starts in, so it may only make the server stricter; set {name} in \
                     the real environment (the MCP client's \"env\" block) if you mean it",
                    dotenv.path.display()
                )));
            }
            if given("KLARNA_METRICS_LISTEN") {
                return Err(ConfigError::Conflict(format!(
                    "KLARNA_METRICS_LISTEN is set in {}. Whether this server opens a listener, and where, is decided \
                     by whoever runs it, not by a file in the directory it starts in: set it in the real environment",
                    dotenv.path.display()
                )));
            }
            if given("KLARNA_STATE_KEY") {
                return Err(ConfigError::Conflict(format!(
                    "KLARNA_STATE_KEY is set in {}. The key that seals confirmations must stay unknown to the \
                     MCP client and the model, which can read files in the project directory: set it in the real \
                     environment instead",
                    dotenv.path.display()
                )));
            }
            // Who may call the team server is decided by whoever runs it, not by a file in
            // whatever directory it starts in: an issuer or a tokens file from a cloned
            // repository would let its author in with the write role.
            if let Some(name) = set.iter().find(|n| is_access_setting(n) && given(n)) {
                return Err(ConfigError::Conflict(format!(
                    "{name} is set in {}. The team server's listener and authentication (KLARNA_HTTP_*, \
                     KLARNA_OAUTH_*, KLARNA_PUBLIC_URL) decide who may move money and are read only from the \
                     real environment: set it there, and remove it from the file",
                    dotenv.path.display()
                )));
            }
            config.dotenv = Some(DotEnvUse {
                path: dotenv.path,
                set,
                shadowed,
            });
        }
        Ok(config)
    }

    /// Parses configuration from a lookup function (`None` = unset). Empty values count as
    /// unset, so `KLARNA_BASE_URL=` in an MCP client's env block is harmless.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let environment = match get("KLARNA_ENVIRONMENT") {
            None => None,
            Some(v) => Some(Environment::parse(&v).ok_or_else(|| {
                invalid("KLARNA_ENVIRONMENT", &v, "use `playground` or `production`")
            })?),
        };
        let parsed = credentials::parse(&get, &lookup, environment)?;
        let default_host = credentials::default_host(&get, environment, &parsed)?;
        let hosts = HostPolicy {
            default_host,
            restriction: environment.map(|env| (env, format!("KLARNA_ENVIRONMENT={env}"))),
        };
        if let Err(e @ HostError::WrongEnvironment { .. }) = hosts.resolve(None) {
            return Err(ConfigError::Conflict(format!("KLARNA_API_HOST: {e}")));
        }
        let credentials = parsed.credentials;
        let warnings = parsed.warnings;

        let base_url = get("KLARNA_BASE_URL")
            .map(|v| parse_base_url(&v))
            .transpose()?;

        let read_only = parse_bool(&get, "KLARNA_READ_ONLY")?.unwrap_or(false);
        let toolsets = get("KLARNA_TOOLSETS")
            .map(|v| parse_name_list("KLARNA_TOOLSETS", &v, "orders,fulfilment"))
            .transpose()?;
        let tools = get("KLARNA_TOOLS")
            .map(|v| parse_name_list("KLARNA_TOOLS", &v, "get_order,get_capture"))
            .transpose()?;

        let max_capture_amount = parse_amount_cap(&get, "KLARNA_MAX_CAPTURE_AMOUNT")?;
        let max_refund_amount = parse_amount_cap(&get, "KLARNA_MAX_REFUND_AMOUNT")?;
        let max_order_increase_amount = parse_amount_cap(&get, "KLARNA_MAX_ORDER_INCREASE_AMOUNT")?;

        let confirm_writes = match get("KLARNA_CONFIRM_WRITES").map(|v| v.to_ascii_lowercase()) {
            None => ConfirmWrites::Auto,
            Some(v) => match v.as_str() {
                "auto" => ConfirmWrites::Auto,
                "always" => ConfirmWrites::Always,
                "never" => ConfirmWrites::Never,
                _ => {
                    return Err(invalid(
                        "KLARNA_CONFIRM_WRITES",
                        &v,
                        "use `auto`, `always` or `never`",
                    ));
                }
            },
        };
        let confirm_timeout = match get("KLARNA_CONFIRM_TIMEOUT_SECS") {
            None => DEFAULT_CONFIRM_TIMEOUT,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (10..=1800).contains(n))
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    invalid(
                        "KLARNA_CONFIRM_TIMEOUT_SECS",
                        &v,
                        "use a whole number of seconds from 10 to 1800",
                    )
                })?,
        };
        let include_personal_data =
            parse_bool(&get, "KLARNA_INCLUDE_PERSONAL_DATA")?.unwrap_or(false);
        let journal = match get("KLARNA_JOURNAL") {
            Some(v) => {
                let location = JournalLocation::parse(&v);
                location.check().map_err(|fix| {
                    // The value may hold a password: shown as the location describes itself.
                    invalid("KLARNA_JOURNAL", &location.describe(), fix)
                })?;
                Some(location)
            }
            None => JournalLocation::platform_default(),
        };
        let reports_dir = match get("KLARNA_REPORTS_DIR") {
            Some(v) => {
                let path = PathBuf::from(&v);
                if !path.is_absolute() {
                    return Err(invalid(
                        "KLARNA_REPORTS_DIR",
                        &v,
                        "give an absolute path: MCP clients start the server in whatever directory is open",
                    ));
                }
                Some(path)
            }
            None => default_reports_dir(),
        };
        let duplicate_window = match get("KLARNA_DUPLICATE_WINDOW_SECS") {
            None => DEFAULT_DUPLICATE_WINDOW,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= KEY_LIFETIME.as_secs())
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    invalid(
                        "KLARNA_DUPLICATE_WINDOW_SECS",
                        &v,
                        format!(
                            "use a whole number of seconds from 0 to {} (Klarna keeps idempotency keys 24 h)",
                            KEY_LIFETIME.as_secs()
                        ),
                    )
                })?,
        };
        let state_key = lookup("KLARNA_STATE_KEY")
            .filter(|v| !v.trim().is_empty())
            .map(|v| parse_state_key(v.trim()))
            .transpose()?;
        let shutdown_grace = match get("KLARNA_SHUTDOWN_GRACE_SECS") {
            None => DEFAULT_SHUTDOWN_GRACE,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= 300)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    invalid(
                        "KLARNA_SHUTDOWN_GRACE_SECS",
                        &v,
                        "use a whole number of seconds from 0 to 300",
                    )
                })?,
        };
        let metrics_listen = get("KLARNA_METRICS_LISTEN")
            .map(|v| parse_listen_address("KLARNA_METRICS_LISTEN", &v))
            .transpose()?;
        let log_format = match get("KLARNA_LOG_FORMAT").map(|v| v.to_ascii_lowercase()) {
            None => LogFormat::Text,
            Some(v) => match v.as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => return Err(invalid("KLARNA_LOG_FORMAT", &v, "use `text` or `json`")),
            },
        };

        let mut retry = RetryPolicy::default();
        if let Some(v) = get("KLARNA_MAX_RETRIES") {
            retry.max_retries = v.parse::<u32>().ok().filter(|n| *n <= 10).ok_or_else(|| {
                invalid("KLARNA_MAX_RETRIES", &v, "use a whole number from 0 to 10")
            })?;
        }
        if let Some(v) = get("KLARNA_TIMEOUT_SECS") {
            let min = MIN_CALL_BUDGET.as_secs();
            let secs = v
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=300).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "KLARNA_TIMEOUT_SECS",
                        &v,
                        format!(
                            "use a whole number of seconds from {min} to 300: one write needs at least \
                             {min} s (the order read, the write itself, the order afterwards)"
                        ),
                    )
                })?;
            retry.budget = Duration::from_secs(secs);
        }

        Ok(Self {
            client: ClientConfig {
                credentials,
                base_url,
                retry,
            },
            hosts,
            read_only,
            toolsets,
            tools,
            max_capture_amount,
            max_refund_amount,
            max_order_increase_amount,
            confirm_writes,
            confirm_timeout,
            include_personal_data,
            shutdown_grace,
            journal,
            duplicate_window,
            reports_dir,
            state_key,
            metrics_listen,
            log_format,
            log_filter: None,
            dotenv: None,
            demo: None,
            warnings,
        })
    }

    /// Turns this configuration into demo mode against a simulator at `base_url`: demo
    /// credentials, no environment restriction (the simulator answers for every host), and a
    /// notice on every result. Safety settings (read-only, tools, caps, confirmation) stay.
    pub fn into_demo(
        mut self,
        base_url: BaseUrl,
        credentials: HostCredentials,
        demo: DemoMode,
    ) -> Self {
        self.client.credentials = credentials;
        self.client.base_url = Some(base_url);
        self.hosts.restriction = None;
        // Trying the demo never mixes with real records, nor demo reports with real ones: a
        // directory of this process's own, under a name nobody can guess and create first.
        self.journal = Some(JournalLocation::Memory);
        self.reports_dir = Some(
            std::env::temp_dir().join(format!("klarna-mcp-demo-reports-{}", uuid::Uuid::new_v4())),
        );
        self.demo = Some(demo);
        self
    }

    /// One log-safe line describing the effective configuration (no secrets).
    pub fn describe(&self) -> String {
        let usable = self.client.credentials.usable();
        let user = if usable.is_empty() {
            "credentials=none".to_string()
        } else {
            format!(
                "credentials=[{}]",
                usable
                    .iter()
                    .map(|(h, source)| format!("{h} from {source}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        format!(
            "mode={} default_host={} environment={} base_url={} read_only={} {user} \
             confirm_writes={:?} personal_data={} max_retries={} timeout={}s journal={}",
            if self.demo.is_some() { "demo" } else { "live" },
            self.hosts.default_host,
            self.hosts
                .restriction
                .as_ref()
                .map_or("any".to_string(), |(e, _)| e.to_string()),
            self.client
                .base_url
                .as_ref()
                .map_or("-".to_string(), BaseUrl::redacted),
            self.read_only,
            self.confirm_writes,
            self.include_personal_data,
            self.client.retry.max_retries,
            self.client.retry.budget.as_secs(),
            self.journal
                .as_ref()
                .map_or("none".to_string(), JournalLocation::describe),
        )
    }
}

/// A listener address: `HOST:PORT`, or a port alone for that port on 127.0.0.1.
fn parse_listen_address(
    var: &'static str,
    value: &str,
) -> Result<std::net::SocketAddr, ConfigError> {
    if let Ok(port) = value.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    value.parse().map_err(|_| {
        invalid(
            var,
            value,
            "use an address and port such as 127.0.0.1:9464 (or a port alone, on 127.0.0.1)",
        )
    })
}

/// The `KLARNA_*` names in the process environment (names only: values are read by name).
pub fn environment_names() -> Vec<String> {
    std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with("KLARNA_"))
        .collect()
}

/// The platform's place for saved reports: `<data dir>/klarna-mcp/reports` — on Linux
/// `~/.local/share/klarna-mcp/reports/`, beside the journal.
pub fn default_reports_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("klarna-mcp").join("reports"))
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Option<bool>, ConfigError> {
    match get(var) {
        None => Ok(None),
        Some(v) => match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(Some(true)),
            "0" | "false" | "no" | "off" => Ok(Some(false)),
            _ => Err(invalid(var, &v, "use `true` or `false`")),
        },
    }
}

fn parse_amount_cap(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Option<i64>, ConfigError> {
    get(var)
        .map(|v| {
            v.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                invalid(
                    var,
                    &v,
                    "use a positive whole number of minor units, e.g. 50000 for 500.00 EUR",
                )
            })
        })
        .transpose()
}

/// The names in `KLARNA_TOOLS` or `KLARNA_TOOLSETS`; whether each names a tool (or toolset)
/// is checked when the server is built.
fn parse_name_list(
    var: &'static str,
    value: &str,
    example: &str,
) -> Result<BTreeSet<String>, ConfigError> {
    let set: BTreeSet<String> = value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    if set.is_empty() {
        return Err(invalid(
            var,
            value,
            format!("name at least one, e.g. {example}"),
        ));
    }
    Ok(set)
}

/// Whether a URL's host is this machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A URL as it may be logged: scheme, host and port only (a path could carry anything).
pub fn redacted_url(url: &Url) -> String {
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(host) => host.to_string(),
        None => String::new(),
    };
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// `https://` anything, or `http://` to a loopback address only (plain HTTP would expose
/// the Basic-auth header on the network). With `{apiHost}`, every one of the six URLs it
/// stands for must pass.
fn parse_base_url(value: &str) -> Result<BaseUrl, ConfigError> {
    let base = BaseUrl::new(value);
    let mut seen: Vec<Url> = Vec::new();
    for host in ALL_HOSTS {
        let url = base
            .for_host(host)
            .map_err(|e| invalid("KLARNA_BASE_URL", value, format!("not a URL ({e})")))?;
        check_base_url(value, &url)?;
        // A template names the host so that each host's requests — and credentials — go to
        // that host's place. One that normalises the name away (`/{apiHost}/..`) would send
        // every host's credentials to one URL.
        if base.has_placeholder() && (!url.as_str().contains(host.as_str()) || seen.contains(&url))
        {
            return Err(invalid(
                "KLARNA_BASE_URL",
                value,
                format!(
                    "with {HOST_PLACEHOLDER} every host must get a URL of its own that still names it, but {host} \
                     becomes {}; put {HOST_PLACEHOLDER} where it stays (e.g. http://127.0.0.1:8088/{HOST_PLACEHOLDER}), \
                     without `..` after it",
                    url.as_str()
                ),
            ));
        }
        seen.push(url);
    }
    Ok(base)
}

fn check_base_url(value: &str, url: &Url) -> Result<(), ConfigError> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "KLARNA_BASE_URL",
            "[contains user info, not shown]",
            "remove the user:password@ part; credentials come from the KLARNA_*_API_* variables",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "KLARNA_BASE_URL",
            value,
            "remove the ?query and #fragment",
        ));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(invalid(
            "KLARNA_BASE_URL",
            value,
            "http:// is allowed only for loopback (127.0.0.1, [::1], localhost); use https://",
        )),
        _ => Err(invalid(
            "KLARNA_BASE_URL",
            value,
            "use an https:// URL (or http:// on loopback)",
        )),
    }
}

/// `KLARNA_STATE_KEY`: 32 or more random bytes, as hex or base64.
fn parse_state_key(value: &str) -> Result<SecretSlice<u8>, ConfigError> {
    use base64::Engine;
    let bytes = hex::decode(value)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(value).ok())
        .or_else(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value).ok())
        .filter(|b| b.len() >= 32)
        .ok_or_else(|| {
            invalid(
                "KLARNA_STATE_KEY",
                "[a secret, not shown]",
                "use 32 or more random bytes written as hex or base64, e.g. the output of `openssl rand -hex 32`; \
                 give every replica the same value",
            )
        })?;
    Ok(SecretSlice::from(bytes))
}

/// Whether every URL a base URL stands for is on this machine.
pub fn base_url_is_loopback(base: &BaseUrl) -> bool {
    ALL_HOSTS
        .into_iter()
        .all(|h| base.for_host(h).is_ok_and(|u| is_loopback(&u)))
}

pub mod credentials;
pub mod dotenv;
pub mod warnings;

pub use dotenv::DotEnv;

#[cfg(test)]
mod tests;
