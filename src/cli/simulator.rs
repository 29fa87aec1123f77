//! `klarna-mcp simulator`: only the Klarna simulator, over HTTP, seeded with the demo orders,
//! until SIGINT/SIGTERM. What to point a server at goes to stdout (this mode does not speak
//! MCP); logs to stderr.

use std::{net::SocketAddr, process::ExitCode};

use super::{Output, Signals, Stop};
use crate::{
    config::{LogFormat, credentials},
    host::ApiHost,
    simulator::{
        DEMO_PASSWORD, DEMO_USERNAME, Simulator, SimulatorConfig, demo_credentials, demo_orders,
    },
    telemetry,
};

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (loopback recommended).
    #[arg(long, default_value = "127.0.0.1:8088")]
    listen: SocketAddr,
}

/// Runs the simulator until a signal. A reader of stdout that goes away stops the listing,
/// not the simulator: the listing is a courtesy, serving is the point.
pub async fn run(args: Args) -> ExitCode {
    let listen = args.listen;
    let signals = Signals::listen();
    telemetry::init_logging(
        LogFormat::Text,
        std::env::var("RUST_LOG").ok().as_deref(),
        None,
    );
    let config = SimulatorConfig::demo().listen_on(listen);
    let simulator = match Simulator::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("klarna-mcp simulator: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    simulator.seed_demo_orders();
    if let Err(Stop::Failed(e)) = describe(&simulator, &mut Output::stdout()) {
        tracing::warn!("cannot write the simulator's description to stdout: {e}");
    }
    signals.recv().await;
    simulator.shutdown();
    ExitCode::SUCCESS
}

/// Where the simulator listens, how to point a server at it, and the demo orders.
fn describe(simulator: &Simulator, out: &mut Output) -> Result<(), Stop> {
    out.line(format_args!(
        "Klarna simulator listening on {}",
        simulator.base_url()
    ))?;
    out.line(format_args!(
        "Each host's requests go to {} (e.g. …/api-na.klarna.com/ordermanagement/v1/orders/<id>); paths without a host are api.klarna.com.",
        simulator.host_base_url()
    ))?;
    out.line(format_args!(
        "Try: curl -u {DEMO_USERNAME}:{DEMO_PASSWORD} {}/api.klarna.com/ordermanagement/v1/orders/<order id>",
        simulator.base_url()
    ))?;
    out.line("Point the server at it with these (simulator-only credentials, one set per host):")?;
    out.line(format_args!(
        "  KLARNA_BASE_URL={}",
        simulator.host_base_url()
    ))?;
    for c in demo_credentials() {
        let Ok(host) = ApiHost::parse(c.host) else {
            continue;
        };
        let scope = credentials::scope(host);
        match c.username {
            Some(user) => out.line(format_args!(
                "  KLARNA_{scope}_API_USERNAME={user} KLARNA_{scope}_API_PASSWORD={}",
                c.secret
            ))?,
            None => out.line(format_args!("  KLARNA_{scope}_API_KEY={}", c.secret))?,
        }
    }
    out.line("Demo orders:")?;
    for order in demo_orders() {
        out.line(format_args!(
            "  {}  {:<28} {:<14} {}",
            order.order_id, order.host, order.state, order.summary
        ))?;
    }
    Ok(())
}
