//! The `klarna-mcp` binary: command line, logging to stderr, and the stdio MCP server.
//! Everything else lives in the library so tests can drive it.

use std::{io::IsTerminal, net::SocketAddr, process::ExitCode, sync::Arc};

use clap::{Parser, Subcommand};
use klarna_mcp::{
    Config, KlarnaServer, clients,
    config::{DemoMode, DemoOrderNote, LogFormat},
    host::ALL_HOSTS,
    klarna::{BaseUrl, Credentials, HostCredentials, MissingCredential},
    simulator::{
        DEMO_PASSWORD, DEMO_USERNAME, Simulator, SimulatorConfig, demo_credentials, demo_orders,
    },
    tools::in_flight::InFlightWrites,
};
use rmcp::{ServiceExt, service::ServerInitializeError, transport::stdio_pipes};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// MCP server for Klarna Order Management: look up, capture, refund, cancel and release
/// Klarna orders from an AI assistant over stdio.
///
/// Credentials come from KLARNA_API_USERNAME / KLARNA_API_PASSWORD (environment or .env).
/// Run with --demo to try it on a built-in simulator without a Klarna account.
#[derive(Parser)]
#[command(name = "klarna-mcp", version, about, long_about)]
struct Cli {
    /// Serve against a built-in Klarna simulator seeded with demo orders (no account, no real money).
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve MCP on stdin/stdout (the default), or over HTTP for a team with --http.
    Serve {
        /// Serve MCP over Streamable HTTP at /mcp instead of stdio, on ADDR (default:
        /// KLARNA_HTTP_ADDR, else 127.0.0.1:8080). Off loopback, authentication is required
        /// (KLARNA_OAUTH_ISSUER or KLARNA_HTTP_TOKENS_FILE).
        #[arg(long, value_name = "ADDR", num_args = 0..=1)]
        http: Option<Option<SocketAddr>>,
    },
    /// Manage the static bearer tokens of the HTTP server (KLARNA_HTTP_TOKENS_FILE).
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Run only the Klarna simulator over HTTP, seeded with the demo orders, until stopped.
    Simulator {
        /// Address to listen on (loopback recommended).
        #[arg(long, default_value = "127.0.0.1:8088")]
        listen: SocketAddr,
    },
    /// Print a ready-to-paste configuration for an MCP client (with --demo: the demo server;
    /// with --url: a team server over HTTP).
    Config(clients::ConfigArgs),
    /// Read the operation journal: the file KLARNA_JOURNAL names, else the platform default.
    Journal {
        #[command(subcommand)]
        action: JournalAction,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Mint a token: prints the token once on stdout and, on stderr, the line to add to the
    /// token file (which stores only its SHA-256).
    New {
        /// Who the token is for (1-64 of A-Z a-z 0-9 . _ @ -); logs show `token:NAME`.
        #[arg(long)]
        name: String,
        /// `read` (read tools only) or `write` (also capture, refund, cancel, release).
        #[arg(long, value_parser = ["read", "write"])]
        role: String,
    },
}

#[derive(Subcommand)]
enum JournalAction {
    /// Operations, newest first, one line each (or JSON with --json).
    List {
        /// Only this Klarna order id.
        #[arg(long)]
        order: Option<String>,
        /// Only operations started at or after this time (RFC 3339, or a date such as 2026-11-26).
        #[arg(long)]
        since: Option<String>,
        /// Only operations in this state (applied, replayed, refused, outcome_unknown, pending, declined, not_sent).
        #[arg(long)]
        verdict: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object per operation instead of a line of text.
        #[arg(long)]
        json: bool,
    },
    /// Every record of the operations that used this idempotency key.
    Show {
        /// The idempotency key.
        key: String,
    },
    /// Check the hash chain: exit 0 when intact, 1 when a record was changed, removed or reordered.
    Verify,
    /// Every record, in order, for finance and audits.
    Export {
        /// As JSON lines (one record per line) — the only format.
        #[arg(long, required = true)]
        jsonl: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve { http: None }) {
        Command::Config(args) => clients::run(&args, cli.demo),
        Command::Simulator { listen } => run_simulator(listen).await,
        Command::Serve { http: None } => serve(cli.demo).await,
        Command::Serve { http: Some(addr) } => serve_http(addr, cli.demo).await,
        Command::Token {
            command: TokenCommand::New { name, role },
        } => new_token(&name, &role),
        Command::Journal { action } => run_journal(action).await,
    }
}

/// The `journal` commands: read-only views of the journal for people and scripts.
#[allow(clippy::print_stdout)] // these commands talk to people and scripts, not MCP
async fn run_journal(action: JournalAction) -> ExitCode {
    use klarna_mcp::{
        journal::{self, Journal, JournalLocation, OperationFilter, Verdict, Verification},
        tools::operations::OperationView,
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klarna-mcp: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(location) = config.journal.clone() else {
        eprintln!("klarna-mcp: no data directory was found for the journal; set KLARNA_JOURNAL");
        return ExitCode::from(2);
    };
    match &location {
        JournalLocation::Memory => {
            eprintln!("klarna-mcp: KLARNA_JOURNAL=memory keeps nothing to read");
            return ExitCode::from(2);
        }
        JournalLocation::Sqlite(path) if !path.exists() => {
            eprintln!(
                "klarna-mcp: there is no journal at {} yet (nothing was written)",
                path.display()
            );
            return ExitCode::from(2);
        }
        JournalLocation::Sqlite(_) | JournalLocation::Postgres(_) => {}
    }
    let journal = match Journal::open(&location, config.duplicate_window).await {
        Ok(j) => j,
        Err(e) => {
            eprintln!("klarna-mcp: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: Result<ExitCode, String> = async {
        match action {
            JournalAction::List { order, since, verdict, limit, json } => {
                let since = match since {
                    None => None,
                    Some(s) => Some(journal::parse_since(&s).ok_or(format!(
                        "--since {s:?} is not a time: give RFC 3339 (2026-11-26T09:00:00Z) or a date (2026-11-26)"
                    ))?),
                };
                let verdict = match verdict {
                    None => None,
                    Some(v) => Some(Verdict::parse(&v).ok_or(format!(
                        "--verdict {v:?}: use applied, replayed, refused, outcome_unknown, pending, declined or not_sent"
                    ))?),
                };
                let filter = OperationFilter {
                    order_id: order.map(|o| o.to_ascii_lowercase()),
                    since,
                    verdict,
                    idempotency_key: None,
                    limit,
                };
                for op in journal.operations(&filter).await.map_err(|e| e.to_string())? {
                    let view = OperationView::of(&op);
                    if json {
                        println!("{}", serde_json::to_string(&view).map_err(|e| e.to_string())?);
                    } else {
                        println!("{}", view.line());
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            JournalAction::Show { key } => {
                let filter = OperationFilter {
                    idempotency_key: Some(key.clone()),
                    limit: usize::MAX,
                    ..OperationFilter::default()
                };
                let ops = journal.operations(&filter).await.map_err(|e| e.to_string())?;
                if ops.is_empty() {
                    return Err(format!("no operation used the idempotency key {key:?}"));
                }
                let records = journal.all_records().await.map_err(|e| e.to_string())?;
                for op in ops.iter().rev() {
                    for r in records.iter().filter(|r| r.record.op_id == op.first.op_id) {
                        println!("{}", serde_json::to_string_pretty(r).map_err(|e| e.to_string())?);
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            JournalAction::Verify => match journal.verify().await.map_err(|e| e.to_string())? {
                Verification::Intact { records, head } => {
                    println!("intact: {records} records, head {head}");
                    Ok(ExitCode::SUCCESS)
                }
                Verification::Broken { seq, problem } => {
                    println!("BROKEN at record {seq}: {problem}");
                    Ok(ExitCode::FAILURE)
                }
            },
            JournalAction::Export { .. } => {
                for r in journal.all_records().await.map_err(|e| e.to_string())? {
                    println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    }
    .await;
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("klarna-mcp: {message}");
            ExitCode::from(2)
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`), with two rules no filter
/// overrides: audit lines are always written, and other crates' events are capped at WARN —
/// rmcp logs whole JSON-RPC messages and the HTTP stack whole payloads at debug and trace,
/// and those carry personal data.
fn init_logging(format: LogFormat, filter: Option<&str>) {
    use tracing_subscriber::{filter::filter_fn, layer::SubscriberExt, util::SubscriberInitExt};

    let (filter, bad_filter) = match filter.map(EnvFilter::try_new) {
        None => (EnvFilter::new("info"), None),
        Some(Ok(f)) => (f, None),
        Some(Err(e)) => (EnvFilter::new("info"), Some(e)),
    };
    let filter = match "audit=info".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let ours_or_warn = filter_fn(|meta| {
        let target = meta.target();
        target == "audit"
            || target == "klarna_mcp"
            || target.starts_with("klarna_mcp::")
            || *meta.level() <= tracing::Level::WARN
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .finish()
            .with(ours_or_warn)
            .init(),
        LogFormat::Text => builder.finish().with(ours_or_warn).init(),
    }
    if let Some(e) = bad_filter {
        tracing::warn!("RUST_LOG could not be parsed ({e}); logging at info");
    }
}

#[allow(clippy::print_stdout)] // simulator mode talks to humans and scripts, not MCP
async fn run_simulator(listen: SocketAddr) -> ExitCode {
    let signals = Signals::listen();
    init_logging(LogFormat::Text, std::env::var("RUST_LOG").ok().as_deref());
    let config = SimulatorConfig::demo().listen_on(listen);
    let simulator = match Simulator::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("klarna-mcp simulator: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    simulator.seed_demo_orders();
    // This mode is for humans and scripts, not MCP: stdout is free.
    println!("Klarna simulator listening on {}", simulator.base_url());
    println!(
        "Each host's requests go to {} (e.g. …/api-na.klarna.com/ordermanagement/v1/orders/<id>); paths without a host are api.klarna.com.",
        simulator.host_base_url()
    );
    println!(
        "Try: curl -u {DEMO_USERNAME}:{DEMO_PASSWORD} {}/api.klarna.com/ordermanagement/v1/orders/<order id>",
        simulator.base_url()
    );
    println!("Point the server at it with these (simulator-only credentials, one set per host):");
    println!("  KLARNA_BASE_URL={}", simulator.host_base_url());
    for c in demo_credentials() {
        let scope = klarna_mcp::config::credentials::scope(match klarna_mcp::host::ApiHost::parse(
            c.host,
        ) {
            Ok(h) => h,
            Err(_) => continue,
        });
        match c.username {
            Some(user) => println!(
                "  KLARNA_{scope}_API_USERNAME={user} KLARNA_{scope}_API_PASSWORD={}",
                c.secret
            ),
            None => println!("  KLARNA_{scope}_API_KEY={}", c.secret),
        }
    }
    println!("Demo orders:");
    for order in demo_orders() {
        println!(
            "  {}  {:<28} {:<14} {}",
            order.order_id, order.host, order.state, order.summary
        );
    }
    signals.recv().await;
    simulator.shutdown();
    ExitCode::SUCCESS
}

/// SIGTERM and Ctrl-C, listened for from the moment this is called: a signal that arrives
/// before the first `recv` is kept, not handled by the default action (which would end the
/// process without the shutdown grace).
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    async fn recv(mut self) {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = next(&mut self.term) => {}
                () = next(&mut self.int) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// What both transports need first: configuration, logging, the demo simulator when asked
/// (returned, to be kept alive), the server, and the journal opened.
async fn prepare(demo: bool) -> Result<(KlarnaServer, Option<Simulator>), ExitCode> {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klarna-mcp: configuration error: {e}");
            return Err(ExitCode::from(2));
        }
    };
    init_logging(config.log_format, config.log_filter.as_deref());
    if let Some(dotenv) = &config.dotenv {
        tracing::info!(
            path = %dotenv.path.display(),
            set = %dotenv.set.join(","),
            ignored_already_in_environment = %dotenv.shadowed.join(","),
            "read .env (values not shown)"
        );
    }

    // Kept alive for the life of the server in demo mode.
    let mut simulator_guard = None;
    let config = if demo {
        let simulator = match Simulator::start_demo().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("cannot start the demo simulator: {e}");
                return Err(ExitCode::FAILURE);
            }
        };
        let base = BaseUrl::new(&simulator.host_base_url());
        simulator_guard = Some(simulator);
        config.into_demo(base, demo_host_credentials(), demo_mode())
    } else {
        if let Some(url) = &config.client.base_url {
            let from_dotenv = config
                .dotenv
                .as_ref()
                .is_some_and(|d| d.set.iter().any(|n| n == "KLARNA_BASE_URL"));
            tracing::warn!(
                base_url = %url.redacted(),
                source = if from_dotenv { ".env" } else { "environment" },
                "KLARNA_BASE_URL is set: every request goes there instead of the Klarna host named by apiHost"
            );
        }
        if let Err(missing) = config
            .client
            .credentials
            .for_host(config.hosts.default_host)
        {
            tracing::warn!("{missing}");
        }
        config
    };
    tracing::info!("{}", config.describe());

    let server = match KlarnaServer::new(config) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("{e}");
            return Err(ExitCode::from(2));
        }
    };
    tracing::info!(tools = %server.tool_names().join(","), "serving");
    report_journal(&server).await;
    Ok((server, simulator_guard))
}

async fn serve(demo: bool) -> ExitCode {
    let signals = Signals::listen();
    let (server, _simulator) = match prepare(demo).await {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    if std::io::stdin().is_terminal() {
        eprintln!("{}", guide(&server));
    }

    let in_flight = Arc::clone(server.in_flight_writes());
    let grace = server.config().shutdown_grace;
    let ct = CancellationToken::new();
    let signal_ct = ct.clone();
    let signal_in_flight = Arc::clone(&in_flight);
    tokio::spawn(async move {
        signals.recv().await;
        tracing::info!("signal received: stopping");
        signal_ct.cancel();
        // Whether or not the stdin read can be interrupted (it cannot when stdin is a
        // terminal or a socket), writes in flight get their grace, then the process ends.
        settle_writes(&signal_in_flight, grace).await;
        std::process::exit(0);
    });

    let (stdin, stdout) = stdio_pipes();
    let transport = klarna_mcp::stdio::StdioTransport::new(stdin, stdout);
    let service = match server.serve_with_ct(transport, ct).await {
        Ok(service) => service,
        Err(ServerInitializeError::Cancelled | ServerInitializeError::ConnectionClosed(_)) => {
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            tracing::error!("MCP initialization failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match service.waiting().await {
        Ok(reason) => {
            tracing::info!(?reason, "server stopped");
            0
        }
        Err(e) => {
            tracing::error!("server task failed: {e}");
            1
        }
    };
    settle_writes(&in_flight, grace).await;
    // Exit now rather than wait for the runtime to join a blocking stdin read that may never
    // return: tokio's stdin reads on a blocking thread that cannot be interrupted.
    std::process::exit(code)
}

/// `serve --http [ADDR]`: the team server (`klarna_mcp::http`) with the Klarna tools, until
/// SIGINT/SIGTERM; then a graceful shutdown in which writes in flight finish or are audited
/// as of unknown outcome.
async fn serve_http(addr: Option<SocketAddr>, demo: bool) -> ExitCode {
    let signals = Signals::listen();
    let addr = addr.map(|a| a.to_string());
    let http_config = match klarna_mcp::http::HttpConfig::from_vars(|name| match name {
        "KLARNA_HTTP_ADDR" if addr.is_some() => addr.clone(),
        _ => std::env::var(name).ok(),
    }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klarna-mcp: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let (server, _simulator) = match prepare(demo).await {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let mut http_config = http_config;
    http_config.write_tools = server.write_tool_names();
    let listener = match tokio::net::TcpListener::bind(http_config.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot listen on {}: {e}", http_config.listen);
            return ExitCode::FAILURE;
        }
    };
    let in_flight = Arc::clone(server.in_flight_writes());
    let grace = server.config().shutdown_grace;
    // One server for every session and stateless request: they share the journal, the
    // writes in flight and the key that seals confirmations.
    let result = klarna_mcp::http::serve(
        http_config,
        listener,
        move || server.clone(),
        signals.recv(),
    )
    .await;
    settle_writes(&in_flight, grace).await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("klarna-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the operation journal at startup: says where it is, and warns about writes an
/// earlier run left unresolved. A journal that cannot be opened stops no reads — writes are
/// refused (and the reason logged) until it can be.
async fn report_journal(server: &KlarnaServer) {
    match server.journal().await {
        Ok(journal) => {
            tracing::info!(journal = %journal.describe(), "operation journal");
            match journal.unresolved(None).await {
                Ok(unresolved) => {
                    for op in &unresolved {
                        let o = &op.first;
                        tracing::warn!(
                            op_id = %o.op_id,
                            recorded_at = %o.recorded_at,
                            tool = %o.tool,
                            api_host = %o.api_host,
                            order_id = %o.order_id,
                            amount = o.amount,
                            currency = %o.currency,
                            idempotency_key = %o.idempotency_key,
                            verdict = op.verdict().as_str(),
                            "unresolved write in the journal: repeat it with the same idempotency key (Klarna keeps keys 24 h) or check the order"
                        );
                    }
                }
                Err(e) => tracing::error!("{e}"),
            }
        }
        Err(e) => tracing::error!("{e}; writes are refused until it can be used, reads work"),
    }
}

/// Lets writes in flight finish (each writes its own audit line) for up to `grace`; for
/// those that do not, writes an `outcome_unknown` audit line with the idempotency key, so a
/// write Klarna may have applied never goes unrecorded.
async fn settle_writes(in_flight: &InFlightWrites, grace: std::time::Duration) {
    if in_flight.is_empty() {
        return;
    }
    tracing::info!(
        writes = in_flight.len(),
        grace_secs = grace.as_secs(),
        "waiting for writes in flight before exiting (KLARNA_SHUTDOWN_GRACE_SECS)"
    );
    for write in in_flight.settle(grace).await {
        tracing::warn!(
            tool = write.tool,
            order_id = %write.order_id,
            idempotency_key = %write.idempotency_key,
            "exiting with a write in flight: its outcome is unknown; repeat it with the same idempotencyKey or check the order"
        );
        klarna_mcp::audit::record(&klarna_mcp::audit::AuditLine {
            tool: write.tool,
            api_host: Some(write.api_host),
            order_id: Some(&write.order_id),
            amount: Some(write.amount),
            idempotency_key: Some(&write.idempotency_key),
            confirmed: Some(write.confirmed),
            principal: write.principal.as_deref(),
            outcome: "outcome_unknown",
            http_status: None,
            correlation_id: None,
            duration_ms: u64::try_from(write.since.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
    }
}

/// The simulator's demo credentials, each for its host (a key-only login on the
/// playground hosts, username and password on the others).
fn demo_host_credentials() -> HostCredentials {
    HostCredentials::per_host(ALL_HOSTS.map(|host| {
        let entry = demo_credentials()
            .iter()
            .find(|c| c.host == host.as_str())
            .map(|c| {
                Arc::new(Credentials {
                    username: c.username.map(str::to_string),
                    secret: SecretString::from(c.secret.to_string()),
                    source: format!("the demo credentials for {host}"),
                })
            })
            .ok_or_else(|| MissingCredential(format!("the demo has no credentials for {host}")));
        (host, entry)
    }))
}

/// The demo orders the simulator seeds, as the server's instructions list them.
fn demo_mode() -> DemoMode {
    DemoMode {
        orders: demo_orders()
            .iter()
            .map(|o| DemoOrderNote {
                order_id: o.order_id.to_string(),
                host: o.host.to_string(),
                state: o.state.to_string(),
                summary: o.summary.to_string(),
                try_this: o.try_this.to_string(),
            })
            .collect(),
    }
}

/// The hosts that have credentials and where each set comes from (names, never values).
fn usable_hosts(config: &Config) -> String {
    let usable = config.client.credentials.usable();
    if usable.is_empty() {
        "none (set KLARNA_API_KEY, or see the README)".into()
    } else {
        usable
            .iter()
            .map(|(h, source)| format!("{h} ({source})"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What a human who started the server in a terminal sees on stderr.
fn guide(server: &KlarnaServer) -> String {
    let config = server.config();
    format!(
        "klarna-mcp {version} — {mode}\n\
         Default host: {host}. Hosts with credentials: {usable}.\n\
         Tools: {tools}.\n\
         This is an MCP server speaking JSON-RPC on stdin/stdout; it waits for an MCP client.\n\
         Connect a client instead of typing here, e.g.:\n\
         \x20 klarna-mcp config claude-desktop{demo_flag}   (also: claude-code, cursor, vscode, codex, windsurf, gemini-cli, zed)\n\
         \x20 npx @modelcontextprotocol/inspector {bin}{demo_flag}\n\
         Press Ctrl-C to stop.",
        version = env!("CARGO_PKG_VERSION"),
        mode = if config.demo.is_some() {
            "DEMO mode: built-in simulator, no real money"
        } else {
            "live mode: real Klarna API"
        },
        host = config.hosts.default_host,
        usable = usable_hosts(server.config()),
        tools = server.tool_names().join(", "),
        demo_flag = if config.demo.is_some() { " --demo" } else { "" },
        bin = std::env::current_exe()
            .map_or_else(|_| "klarna-mcp".to_string(), |p| p.display().to_string()),
    )
}

#[allow(clippy::print_stdout)] // the token goes to stdout once, for a human or a script
fn new_token(name: &str, role: &str) -> ExitCode {
    use klarna_mcp::auth::{Role, tokens};
    let Some(role) = Role::parse(role) else {
        eprintln!("klarna-mcp token new: --role must be `read` or `write`");
        return ExitCode::from(2);
    };
    match tokens::mint(name, role) {
        Ok(minted) => {
            println!("{}", minted.token);
            eprintln!(
                "Give the token above to {name}; it is shown only this once. Add this line to the file \
                 named by KLARNA_HTTP_TOKENS_FILE and restart the server:\n{}",
                minted.line
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("klarna-mcp token new: {e}");
            ExitCode::from(2)
        }
    }
}
