//! Demo mode (`--demo`): the server pointed at the built-in simulator, seeded with the demo
//! orders, with the simulator's own credentials and an in-memory journal. This is the one
//! place that joins the two: the simulator shares no code with the server, and the server's
//! configuration knows nothing of the simulator.

use std::sync::Arc;

use secrecy::SecretString;

use crate::{
    config::{Config, DemoMode, DemoOrderNote},
    host::ALL_HOSTS,
    klarna::{BaseUrl, Credentials, HostCredentials, MissingCredential},
    simulator::{Simulator, demo_credentials, demo_orders},
};

/// Starts the demo simulator and turns `config` into demo mode against it, serving every
/// toolset unless `KLARNA_TOOLSETS` is set. The simulator is
/// returned to be kept alive for as long as the server runs.
pub async fn start(config: Config) -> std::io::Result<(Config, Simulator)> {
    let simulator = Simulator::start_demo().await?;
    let base = BaseUrl::new(&simulator.host_base_url());
    let mut config = config.into_demo(base, host_credentials(), mode());
    // The demo shows every tool (its orders are seeded for them), unless KLARNA_TOOLSETS
    // says which; nothing in it is real money.
    if config.toolsets.is_none() {
        config.toolsets = Some(std::iter::once("all".to_string()).collect());
    }
    Ok((config, simulator))
}

/// The simulator's demo credentials, each for its host (a key-only login on the
/// playground hosts, username and password on the others).
pub fn host_credentials() -> HostCredentials {
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
pub fn mode() -> DemoMode {
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
