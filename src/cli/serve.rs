//! `klarna-mcp serve` (the default): the MCP server, on stdin/stdout or, with `--http`, over
//! Streamable HTTP for a team, until the client leaves or SIGINT/SIGTERM. Both transports
//! start the same way ([`prepare`]) and stop the same way: writes in flight get the shutdown
//! grace, and any still unanswered then are audited as of unknown outcome.

use std::{io::IsTerminal, net::SocketAddr, process::ExitCode, sync::Arc, time::Duration};

use rmcp::{ServiceExt, service::ServerInitializeError, transport::stdio_pipes};
use tokio_util::sync::CancellationToken;

use super::Signals;
use crate::{
    Config, KlarnaServer,
    audit::{self, AuditLine},
    demo,
    http::{self, HttpConfig},
    server::StartError,
    simulator::Simulator,
    stdio::StdioTransport,
    telemetry,
    telemetry::client_log::{self, NOTICE_TARGET},
    tools::in_flight::InFlightWrites,
};

/// How often the team server checks that its journal still takes writes, so that the log
/// says when it stops (and starts again) even while nobody calls.
const JOURNAL_WATCH_EVERY: Duration = Duration::from_secs(15);

#[derive(clap::Args, Default)]
pub struct Args {
    /// Serve MCP over Streamable HTTP at /mcp instead of stdio, on ADDR (default:
    /// KLARNA_HTTP_ADDR, else 127.0.0.1:8080). Off loopback, authentication is required
    /// (KLARNA_OAUTH_ISSUER or KLARNA_HTTP_TOKENS_FILE).
    #[arg(long, value_name = "ADDR", num_args = 0..=1)]
    http: Option<Option<SocketAddr>>,
}

/// Serves on stdio, or over HTTP with `--http` (with `demo`: against the demo simulator).
pub async fn run(args: Args, demo: bool) -> ExitCode {
    match args.http {
        None => serve_stdio(demo).await,
        Some(addr) => serve_http(addr, demo).await,
    }
}

/// How a transport treats a configuration that cannot be used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnConfigError {
    /// Stop: the team server does not start on a configuration it cannot use.
    Exit,
    /// Serve anyway, answering every tool call with the error: a desktop client that starts
    /// the server shows a result, where an exit would show only a disconnected server.
    Answer,
}

/// What [`prepare`] made: the server, the demo simulator to keep alive, and whether the
/// server only answers a configuration error (then the process exits with status 2).
struct Prepared {
    server: KlarnaServer,
    _simulator: Option<Simulator>,
    config_error: bool,
}

/// What both transports need first: configuration, logging, the demo simulator when asked
/// (returned, to be kept alive), the server, and the journal opened.
async fn prepare(demo: bool, on_error: OnConfigError) -> Result<Prepared, ExitCode> {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            init_fallback_logging();
            let mut names_only = Config::from_vars(|_| None).map_err(|_| ExitCode::from(2))?;
            names_only.check_names(&crate::config::environment_names());
            for warning in &names_only.warnings {
                tracing::warn!(target: NOTICE_TARGET, "{warning}");
            }
            return unusable(e.to_string(), on_error);
        }
    };
    let traces = start_traces();
    telemetry::init_logging(
        config.log_format,
        config.log_filter.as_deref(),
        traces.as_ref().ok().copied().flatten(),
    );
    match traces {
        Ok(Some(_)) => tracing::info!(
            endpoint = %otlp_endpoint(),
            "traces: exporting spans over OTLP (http/protobuf), as the OTEL_* variables ask"
        ),
        Ok(None) => {}
        Err(why) => tracing::warn!("traces are off: {why}"),
    }
    for warning in &config.warnings {
        tracing::warn!(target: NOTICE_TARGET, "{warning}");
    }
    if let Some(dotenv) = &config.dotenv {
        tracing::info!(
            path = %dotenv.path.display(),
            set = %dotenv.set.join(","),
            ignored_already_in_environment = %dotenv.shadowed.join(","),
            "read .env (values not shown)"
        );
    }

    let (config, simulator) = if demo {
        match demo::start(config).await {
            Ok((config, simulator)) => (config, Some(simulator)),
            Err(e) => {
                tracing::error!("cannot start the demo simulator: {e}");
                return Err(ExitCode::FAILURE);
            }
        }
    } else {
        warn_about_live(&config);
        (config, None)
    };
    tracing::info!("{}", config.describe());
    if let Some(addr) = config.metrics_listen
        && let Err(e) = telemetry::metrics::start(addr).await
    {
        tracing::error!("{e}");
        return Err(ExitCode::FAILURE);
    }

    let server = match KlarnaServer::new(config) {
        Ok(s) => s,
        Err(StartError::Config(e)) => return unusable(e.to_string(), on_error),
        Err(e) => {
            tracing::error!("{e}");
            return Err(ExitCode::from(2));
        }
    };
    tracing::info!(tools = %server.tool_names().join(","), "serving");
    // A read-only server never writes: its journal only needs to be readable.
    let must_write = on_error == OnConfigError::Exit && !server.config().read_only;
    report_journal(&server, must_write).await?;
    Ok(Prepared {
        server,
        _simulator: simulator,
        config_error: false,
    })
}

/// The OpenTelemetry exporter, when the real environment's `OTEL_*` variables ask for it
/// (`Ok(None)` when they do not; `Err` says why what they ask cannot be done).
fn start_traces() -> Result<Option<&'static opentelemetry_sdk::trace::SdkTracerProvider>, String> {
    use telemetry::traces::{self, Wanted};
    match traces::wanted(|name| std::env::var(name).ok()) {
        Wanted::Off => Ok(None),
        Wanted::Unsupported(why) => Err(why),
        Wanted::Otlp => traces::start().map(Some),
    }
}

/// Where spans go, as it may be logged (scheme, host and port).
fn otlp_endpoint() -> String {
    let endpoint = [
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ]
    .into_iter()
    .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    .unwrap_or_else(|| "http://localhost:4318".into());
    url::Url::parse(endpoint.trim()).map_or_else(
        |_| "(not a URL)".to_string(),
        |u| crate::config::redacted_url(&u),
    )
}

/// Logging for a configuration that could not be read: `RUST_LOG` and `KLARNA_LOG_FORMAT`
/// from the environment as they are, text when the format is not `json`.
fn init_fallback_logging() {
    let format = match std::env::var("KLARNA_LOG_FORMAT") {
        Ok(v) if v.trim().eq_ignore_ascii_case("json") => crate::config::LogFormat::Json,
        _ => crate::config::LogFormat::Text,
    };
    let filter = std::env::var("RUST_LOG").ok();
    telemetry::init_logging(format, filter.as_deref(), None);
}

/// A configuration that cannot be used: the team server stops (status 2); on stdio, a server
/// that answers every tool call with `problem`.
fn unusable(problem: String, on_error: OnConfigError) -> Result<Prepared, ExitCode> {
    if on_error == OnConfigError::Exit {
        eprintln!("klarna-mcp: configuration error: {problem}");
        return Err(ExitCode::from(2));
    }
    tracing::error!(target: NOTICE_TARGET, "klarna-mcp: configuration error: {problem}");
    match KlarnaServer::unconfigured(problem) {
        Ok(server) => {
            tracing::warn!(
                "serving only to report the configuration error: every tool call answers with it, nothing is sent \
                 to Klarna; fix it and restart"
            );
            Ok(Prepared {
                server,
                _simulator: None,
                config_error: true,
            })
        }
        Err(e) => {
            tracing::error!("{e}");
            Err(ExitCode::from(2))
        }
    }
}

/// What a live server's log says first: a base URL that sends every request elsewhere than
/// Klarna, and a default host without credentials.
fn warn_about_live(config: &Config) {
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
}

/// MCP on stdin/stdout until the client closes stdin or a signal arrives.
async fn serve_stdio(demo: bool) -> ExitCode {
    let signals = Signals::listen();
    let prepared = match prepare(demo, OnConfigError::Answer).await {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let server = prepared.server.clone();
    client_log::mark_serving();
    // A server that only reports a configuration error ends with status 2 however its
    // session ends, so a script or a supervisor still sees the configuration is unusable.
    let failed_code: i32 = if prepared.config_error { 2 } else { 0 };
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
        telemetry::traces::shutdown().await;
        std::process::exit(failed_code);
    });

    let (stdin, stdout) = stdio_pipes();
    let transport = StdioTransport::new(stdin, stdout);
    let service = match server.serve_with_ct(transport, ct).await {
        Ok(service) => service,
        Err(ServerInitializeError::Cancelled | ServerInitializeError::ConnectionClosed(_)) => {
            return ExitCode::from(u8::try_from(failed_code).unwrap_or(2));
        }
        Err(e) => {
            tracing::error!("MCP initialization failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match service.waiting().await {
        Ok(reason) => {
            tracing::info!(?reason, "server stopped");
            failed_code
        }
        Err(e) => {
            tracing::error!("server task failed: {e}");
            1
        }
    };
    settle_writes(&in_flight, grace).await;
    telemetry::traces::shutdown().await;
    // Exit now rather than wait for the runtime to join a blocking stdin read that may never
    // return: tokio's stdin reads on a blocking thread that cannot be interrupted.
    std::process::exit(code)
}

/// `serve --http [ADDR]`: the team server ([`crate::http`]) with the Klarna tools, until
/// SIGINT/SIGTERM; then a graceful shutdown in which writes in flight finish or are audited
/// as of unknown outcome.
async fn serve_http(addr: Option<SocketAddr>, demo: bool) -> ExitCode {
    let signals = Signals::listen();
    let addr = addr.map(|a| a.to_string());
    let http_config = match HttpConfig::from_vars(|name| match name {
        "KLARNA_HTTP_ADDR" if addr.is_some() => addr.clone(),
        _ => std::env::var(name).ok(),
    }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klarna-mcp: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let prepared = match prepare(demo, OnConfigError::Exit).await {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let server = prepared.server.clone();
    client_log::mark_serving();
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
    let watch = server.watch_journal(JOURNAL_WATCH_EVERY);
    let readiness = server.readiness();
    // One server for every session and stateless request: they share the journal, the
    // writes in flight and the key that seals confirmations.
    let result = http::serve(
        http_config,
        listener,
        move || server.clone(),
        readiness,
        signals.recv(),
    )
    .await;
    watch.abort();
    settle_writes(&in_flight, grace).await;
    telemetry::traces::shutdown().await;
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
/// earlier run left unresolved. On stdio a journal that cannot be opened stops no reads —
/// writes are refused (and the reason logged) until it can be. The team server (`must_write`)
/// does not start on a journal it cannot open or write to: a replica that refuses every write
/// is better found at deployment than by the first refund.
async fn report_journal(server: &KlarnaServer, must_write: bool) -> Result<(), ExitCode> {
    let opened = if must_write {
        match server.check_journal().await {
            Ok(()) => server.journal().await,
            Err(e) => Err(e),
        }
    } else {
        server.journal().await
    };
    match opened {
        Ok(journal) => {
            tracing::info!(journal = %journal.describe(), "operation journal");
            for warning in journal.warnings() {
                tracing::warn!(target: NOTICE_TARGET, "{warning}");
            }
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
            Ok(())
        }
        Err(e) if must_write => {
            tracing::error!(
                "{e}; the team server does not start without a journal it can write to: check KLARNA_JOURNAL \
                 (the file's directory and permissions, or the database's address, user, password and grants), \
                 then start it again"
            );
            Err(ExitCode::FAILURE)
        }
        Err(e) => {
            tracing::error!("{e}; writes are refused until it can be used, reads work");
            Ok(())
        }
    }
}

/// Lets writes in flight finish (each writes its own audit line) for up to `grace`; for
/// those that do not, writes an `outcome_unknown` audit line with the idempotency key, so a
/// write Klarna may have applied never goes unrecorded.
async fn settle_writes(in_flight: &InFlightWrites, grace: Duration) {
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
        audit::record(&AuditLine {
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
