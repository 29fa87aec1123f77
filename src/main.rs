//! The `klarna-mcp` binary: command line, logging to stderr, and the stdio MCP server.
//! Everything else lives in the library so tests can drive it.

use std::{io::IsTerminal, net::SocketAddr, process::ExitCode};

use clap::{Parser, Subcommand};
use klarna_mcp::{
    Config, KlarnaServer,
    clients::{self, ClientKind},
    config::LogFormat,
    simulator::{DEMO_PASSWORD, DEMO_USERNAME, Simulator, SimulatorConfig},
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
    /// Print a ready-to-paste configuration for an MCP client (with --demo: the demo server).
    Config {
        /// Which client.
        #[arg(value_enum)]
        client: ClientKind,
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

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve { http: None }) {
        Command::Config { client } => print_client_config(client, cli.demo),
        Command::Simulator { listen } => run_simulator(listen).await,
        Command::Serve { http: None } => serve(cli.demo).await,
        Command::Serve { http: Some(addr) } => serve_http(addr, cli.demo).await,
        Command::Token {
            command: TokenCommand::New { name, role },
        } => new_token(&name, &role),
    }
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

/// `serve --http [ADDR]`: the team server (klarna_mcp::http) with the Klarna tools, until
/// SIGINT/SIGTERM, then a graceful shutdown.
async fn serve_http(addr: Option<SocketAddr>, demo: bool) -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klarna-mcp: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
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
    init_logging(config.log_format);
    let mut _simulator = None;
    let config = if demo {
        let simulator = match Simulator::start_demo().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("cannot start the demo simulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        let Ok(url) = url::Url::parse(&simulator.base_url()) else {
            tracing::error!("simulator URL: {}", simulator.base_url());
            return ExitCode::FAILURE;
        };
        _simulator = Some(simulator);
        config.into_demo(url, DEMO_USERNAME, DEMO_PASSWORD)
    } else {
        config
    };
    tracing::info!("{}", config.describe());
    let server = match KlarnaServer::new(config) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot build the HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(http_config.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot listen on {}: {e}", http_config.listen);
            return ExitCode::FAILURE;
        }
    };
    match klarna_mcp::http::serve(
        http_config,
        listener,
        move || server.clone(),
        wait_for_signal(),
    )
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("klarna-mcp: {e}");
            ExitCode::FAILURE
        }
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

fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn"));
    // The audit trail is not optional: whatever RUST_LOG says, audit lines are written.
    let filter = match "audit=info".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

#[allow(clippy::print_stdout)] // simulator mode talks to humans and scripts, not MCP
async fn run_simulator(listen: SocketAddr) -> ExitCode {
    init_logging(LogFormat::Text);
    let config = SimulatorConfig {
        listen,
        username: DEMO_USERNAME.into(),
        password: DEMO_PASSWORD.into(),
    };
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
    init_logging(config.log_format);

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
        config.into_demo(url, DEMO_USERNAME, DEMO_PASSWORD)
    } else {
        if let Some(url) = &config.base_url {
            tracing::warn!(base_url = %url, "KLARNA_BASE_URL is set: every request goes there instead of the Klarna host named by apiHost");
        }
        if let Err(missing) = &config.credentials {
            tracing::warn!("{missing}");
        }
        config
    };
    tracing::info!("{}", config.describe());
    if std::io::stdin().is_terminal() {
        eprintln!("{}", guide(&config));
    }

    let server = match KlarnaServer::new(config) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot build the HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };

    let ct = CancellationToken::new();
    let signal_ct = ct.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        signal_ct.cancel();
        // When stdin is not a pipe (a terminal, or a socket some hosts use), a blocked read
        // cannot be cancelled; give in-flight answers a moment, then leave regardless.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        std::process::exit(0);
    });

    let service = match server.serve_with_ct(stdio_pipes(), ct).await {
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
    // Exit now rather than wait for the runtime to join a blocking stdin read that may never
    // return (rmcp 3.11 notes, "Serving on stdio, shutdown").
    std::process::exit(code)
}

/// What a human who started the server in a terminal sees on stderr.
fn guide(config: &Config) -> String {
    format!(
        "klarna-mcp {version} — {mode}\n\
         Default host: {host}. Tools: {tools}.\n\
         This is an MCP server speaking JSON-RPC on stdin/stdout; it waits for an MCP client.\n\
         Connect a client instead of typing here, e.g.:\n\
         \x20 klarna-mcp config claude-desktop{demo_flag}   (also: claude-code, cursor, vscode)\n\
         \x20 npx @modelcontextprotocol/inspector {bin}{demo_flag}\n\
         Press Ctrl-C to stop.",
        version = env!("CARGO_PKG_VERSION"),
        mode = if config.demo {
            "DEMO mode: built-in simulator, no real money"
        } else {
            "live mode: real Klarna API"
        },
        host = config.hosts.default_host,
        tools = config.enabled_tools().join(", "),
        demo_flag = if config.demo { " --demo" } else { "" },
        bin = std::env::current_exe()
            .map_or_else(|_| "klarna-mcp".to_string(), |p| p.display().to_string()),
    )
}
