//! The `klarna-mcp` binary: command line, logging to stderr, and the stdio MCP server.
//! Everything else lives in the library so tests can drive it.

use std::{io::IsTerminal, net::SocketAddr, process::ExitCode, sync::Arc};

use clap::{Parser, Subcommand};
use klarna_mcp::{
    Config, KlarnaServer,
    clients::{self, ClientKind},
    config::{DemoMode, DemoOrderNote, LogFormat},
    simulator::{DEMO_PASSWORD, DEMO_USERNAME, Simulator, SimulatorConfig, demo_orders},
    tools::in_flight::InFlightWrites,
};
use rmcp::{ServiceExt, service::ServerInitializeError, transport::stdio_pipes};
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
    /// Serve MCP on stdin/stdout (the default).
    Serve,
    /// Run only the Klarna simulator over HTTP, seeded with the demo orders, until stopped.
    Simulator {
        /// Address to listen on (loopback recommended).
        #[arg(long, default_value = "127.0.0.1:8088")]
        listen: SocketAddr,
    },
    /// Print a ready-to-paste configuration for an MCP client (with --demo: the demo server).
    Config {
        /// Which client.
        #[arg(value_enum)]
        client: ClientKind,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Config { client } => print_client_config(client, cli.demo),
        Command::Simulator { listen } => run_simulator(listen).await,
        Command::Serve => serve(cli.demo).await,
    }
}

#[allow(clippy::print_stdout)] // prints a config for a human; no MCP on this path
fn print_client_config(client: ClientKind, demo: bool) -> ExitCode {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .map_or_else(|| "klarna-mcp".to_string(), |p| p.display().to_string());
    // stdout is free here: this command does not speak MCP.
    println!("{}", clients::render(client, &binary, demo));
    eprintln!("{}", clients::where_it_goes(client));
    ExitCode::SUCCESS
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
    println!("Credentials: username {DEMO_USERNAME}, password {DEMO_PASSWORD} (simulator only)");
    println!(
        "Try: curl -u {DEMO_USERNAME}:{DEMO_PASSWORD} {}/ordermanagement/v1/orders/<order id>",
        simulator.base_url()
    );
    println!(
        "Or point the server at it: KLARNA_BASE_URL={} with the credentials above.",
        simulator.base_url()
    );
    for order in klarna_mcp::simulator::demo_orders() {
        println!(
            "  {}  {:<14} {}",
            order.order_id, order.state, order.summary
        );
    }
    wait_for_signal().await;
    simulator.shutdown();
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn serve(demo: bool) -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klarna-mcp: configuration error: {e}");
            return ExitCode::from(2);
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
    let mut _simulator = None;
    let config = if demo {
        let simulator = match Simulator::start_demo().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("cannot start the demo simulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        let url = match url::Url::parse(&simulator.base_url()) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!("simulator URL: {e}");
                return ExitCode::FAILURE;
            }
        };
        _simulator = Some(simulator);
        config.into_demo(url, DEMO_USERNAME, DEMO_PASSWORD, demo_mode())
    } else {
        if let Some(url) = &config.client.base_url {
            let from_dotenv = config
                .dotenv
                .as_ref()
                .is_some_and(|d| d.set.iter().any(|n| n == "KLARNA_BASE_URL"));
            tracing::warn!(
                base_url = %klarna_mcp::config::redacted_url(url),
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
            return ExitCode::from(2);
        }
    };
    tracing::info!(tools = %server.tool_names().join(","), "serving");
    if std::io::stdin().is_terminal() {
        eprintln!("{}", guide(&server));
    }

    let in_flight = Arc::clone(server.in_flight_writes());
    let grace = server.config().shutdown_grace;
    let ct = CancellationToken::new();
    let signal_ct = ct.clone();
    let signal_in_flight = Arc::clone(&in_flight);
    tokio::spawn(async move {
        wait_for_signal().await;
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
            outcome: "outcome_unknown",
            http_status: None,
            correlation_id: None,
            duration_ms: u64::try_from(write.since.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
    }
}

/// The demo orders the simulator seeds, as the server's instructions list them.
fn demo_mode() -> DemoMode {
    DemoMode {
        orders: demo_orders()
            .iter()
            .map(|o| DemoOrderNote {
                order_id: o.order_id.to_string(),
                state: o.state.to_string(),
                summary: o.summary.to_string(),
                try_this: o.try_this.to_string(),
            })
            .collect(),
    }
}

/// What a human who started the server in a terminal sees on stderr.
fn guide(server: &KlarnaServer) -> String {
    let config = server.config();
    format!(
        "klarna-mcp {version} — {mode}\n\
         Default host: {host}. Tools: {tools}.\n\
         This is an MCP server speaking JSON-RPC on stdin/stdout; it waits for an MCP client.\n\
         Connect a client instead of typing here, e.g.:\n\
         \x20 klarna-mcp config claude-desktop{demo_flag}   (also: claude-code, cursor, vscode)\n\
         \x20 npx @modelcontextprotocol/inspector {bin}{demo_flag}\n\
         Press Ctrl-C to stop.",
        version = env!("CARGO_PKG_VERSION"),
        mode = if config.demo.is_some() {
            "DEMO mode: built-in simulator, no real money"
        } else {
            "live mode: real Klarna API"
        },
        host = config.hosts.default_host,
        tools = server.tool_names().join(", "),
        demo_flag = if config.demo.is_some() { " --demo" } else { "" },
        bin = std::env::current_exe()
            .map_or_else(|_| "klarna-mcp".to_string(), |p| p.display().to_string()),
    )
}
