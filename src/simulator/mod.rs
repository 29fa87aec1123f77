//! A stateful, in-process simulator of Klarna's Order Management (OM) REST API.
//!
//! The simulator speaks plain HTTP/1.1 on a loopback socket and behaves like
//! Klarna's six OM hosts (`https://api.klarna.com`, `api-na.klarna.com`,
//! `api-oc.klarna.com` and their `*.playground.klarna.com` twins) for all 18
//! operations of Klarna's Order Management API: read an order; create, list
//! and read captures; create and read refunds; cancel; release the remaining
//! authorization; extend the authorization time; a new order amount and lines
//! (updateAuthorization); merchant references; the customer's shipping
//! address; shipping info on a capture and on the order; resend the customer
//! communication; due-date extension options and the extension itself (with
//! the fee the merchant pays); acknowledge a Klarna Checkout order.
//! It is used by the integration tests and by `klarna-mcp --demo`.
//!
//! # An independent check
//!
//! The simulator shares no code with the client (`klarna`, `host`, `tools`) on
//! purpose: it is a second, separate reading of Klarna's documented behaviour,
//! so a misunderstanding written into the client is not silently repeated
//! here. That is why hosts are plain strings in this module and why nothing
//! here imports the client's types. Where Klarna's documentation is silent,
//! each choice is written down next to the code as "Klarna does not document
//! X; we choose Y because Z".
//!
//! # Reaching a host: the `{apiHost}` base URL
//!
//! Every route is served under `/{host}/ordermanagement/v1/…`, where `{host}`
//! is one of the six hosts ([`API_HOSTS`]). A client is pointed at
//! [`Simulator::host_base_url`], `http://IP:PORT/{apiHost}`, and replaces the
//! literal `{apiHost}` placeholder with the host it means, so a request for
//! `https://api-na.klarna.com/ordermanagement/v1/orders/{id}` arrives as
//! `/api-na.klarna.com/ordermanagement/v1/orders/{id}`. A path without a host
//! segment (`/ordermanagement/v1/…`, what [`Simulator::base_url`] plus a path
//! gives) is meant for `api.klarna.com`. A first segment that is not one of
//! the six hosts is an unknown route: 404 `RESOURCE_NOT_FOUND`.
//!
//! What it models:
//!
//! * hosts as separate installations: an order lives on one host
//!   ([`SeedOrder::on_host`]) and every other host answers 404
//!   `NO_SUCH_ORDER` for it, as for an order Klarna never issued;
//! * HTTP Basic auth per host (see [`SimCredential`]): credentials belong to one
//!   region and environment, so EU credentials get 401 on the NA host; both
//!   `base64(username:password)` and an API key sent alone are accepted; the
//!   401 is plain text, as from the edge in front of Klarna's API;
//! * the order state machine AUTHORIZED → PART_CAPTURED → CAPTURED, CANCELLED,
//!   EXPIRED (the authorization ends at midnight UTC 28 days after the
//!   purchase date, in simulated time, or later once extended, never past 180
//!   days), CLOSED, with Klarna's refusal codes and messages (403
//!   `CAPTURE_NOT_ALLOWED`, `NOT_ALLOWED`, …);
//! * Klarna's risk decisions, made deterministic: an increase of the order
//!   amount is refused for an order seeded with [`SeedOrder::refuses_increase`],
//!   above twice the original amount, or while the fraud status is not
//!   ACCEPTED; a shipping address in another country than the purchase is
//!   refused;
//! * the money that moved: every applied capture, refund and fee (a due-date
//!   extension charges the merchant an `EXTEND_DUE_DATE_FEE`) in
//!   [`Simulator::ledger`] and, per order, in [`Simulator::snapshot`];
//! * request-body validation (400 `BAD_REQUEST`, 422 `UNPROCESSABLE_ENTITY`,
//!   413 `REQUEST_TOO_LARGE`);
//! * `Klarna-Idempotency-Key` replay, scoped per (host, login, method, path)
//!   and kept for 24 hours of simulated time;
//! * fault injection ([`FaultRule`]): error statuses, 429, a committed
//!   operation whose connection drops without a response, delays, and canned
//!   responses ([`CannedResponse`]) that make "Klarna" answer anything;
//! * a request log ([`RecordedRequest`]: host, credential presented, …), a
//!   request counter and a TCP connection counter, so tests can assert on what
//!   a client really sent;
//! * Klarna's Settlements API under `/{host}/settlements/v1/…` (payouts,
//!   transactions, reports), served from a ledger that every capture and
//!   refund feeds, settled by payout runs ([`Simulator::run_payouts`]); see
//!   the `settlements` module.
//!
//! Lifetime: [`Simulator`] is a cheap, clonable handle. The server task stops
//! when [`Simulator::shutdown`] is called on any handle, or when the last handle
//! is dropped. Stopping closes the listener and every open connection.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use klarna_mcp::simulator::{SeedOrder, Simulator};
//! let sim = Simulator::start_demo().await?;
//! let id = sim.seed(SeedOrder::new(10_000, "USD").on_host("api-na.klarna.com").captured(4_000));
//! // KLARNA_BASE_URL for a client that fills in `{apiHost}`:
//! println!("{}", sim.host_base_url());
//! println!("{}/ordermanagement/v1/orders/{id}", sim.host_url("api-na.klarna.com"));
//! # Ok(()) }
//! ```

mod amend;
mod auth;
mod demo;
mod faults;
mod fulfil;
mod hosts;
mod idempotency;
mod ops;
mod order;
mod pipeline;
mod record;
mod render;
mod respond;
mod routes;
mod rules;
mod seed;
mod server;
mod settlements;
mod shared;
mod snapshot;
mod validate;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio_util::sync::{CancellationToken, DropGuard};

pub use auth::SimCredential;
pub use demo::{
    DEMO_PASSWORD, DEMO_USERNAME, DemoCredential, DemoOrder, demo_credential, demo_credentials,
    demo_orders,
};
pub use faults::{CannedResponse, Fault, FaultRule, Operation};
pub use hosts::{API_HOSTS, DEFAULT_HOST, HOST_PLACEHOLDER, canonical_host};
pub use record::RecordedRequest;
pub use seed::SeedOrder;
pub use settlements::{
    DemoPayout, DetailedType, PayoutSnapshot, SeedTransaction, Totals, TransactionSnapshot,
    TransactionType, demo_payouts,
};
pub use snapshot::{
    CaptureSnapshot, FeeKind, FeeSnapshot, LedgerEntry, MovementKind, OrderSnapshot, RefundSnapshot,
};

use shared::Shared;

/// Where the simulator listens and which logins each host accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatorConfig {
    /// Address to bind; use port 0 for an ephemeral port.
    pub listen: SocketAddr,
    /// Every accepted login, each for one host. A host without one answers
    /// every request with 401.
    pub credentials: Vec<SimCredential>,
}

impl SimulatorConfig {
    /// `127.0.0.1:0`, accepting the [`demo_credentials`] (one login per host;
    /// [`DEMO_USERNAME`] / [`DEMO_PASSWORD`] on `api.klarna.com`).
    pub fn demo() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            credentials: demo_credentials().iter().map(SimCredential::from).collect(),
        }
    }

    /// `127.0.0.1:0`, accepting only `username:password` on `api.klarna.com`.
    pub fn single(username: &str, password: &str) -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            credentials: vec![SimCredential::new(DEFAULT_HOST, username, password)],
        }
    }

    /// Adds a login.
    pub fn with_credential(mut self, credential: SimCredential) -> Self {
        self.credentials.push(credential);
        self
    }

    /// Binds `listen` instead.
    pub fn listen_on(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }
}

/// Handle to a running simulator. Cloning is cheap; all clones share state.
///
/// The server stops on [`Simulator::shutdown`] or when the last clone is dropped.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: CancellationToken,
    _guard: Arc<DropGuard>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Binds `config.listen`, spawns the server on the current Tokio runtime and
    /// returns at once. No orders are seeded.
    pub async fn start(config: SimulatorConfig) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config.credentials, addr));
        let shutdown = CancellationToken::new();
        let router = routes::router(Arc::clone(&shared));
        tokio::spawn(server::serve(
            listener,
            router,
            Arc::clone(&shared),
            shutdown.clone(),
        ));
        Ok(Simulator {
            shared,
            addr,
            _guard: Arc::new(shutdown.clone().drop_guard()),
            shutdown,
        })
    }

    /// Starts on `127.0.0.1:0` with the demo credentials of every host and seeds
    /// [`demo_orders`].
    pub async fn start_demo() -> std::io::Result<Simulator> {
        let sim = Self::start(SimulatorConfig::demo()).await?;
        sim.seed_demo_orders();
        Ok(sim)
    }

    /// The bound socket address (with the real port when port 0 was requested).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, without a trailing slash. Paths appended to it reach
    /// `api.klarna.com`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://IP:PORT/{apiHost}` with the literal placeholder, for a client
    /// that substitutes the Klarna host it means (see the module docs).
    pub fn host_base_url(&self) -> String {
        format!("http://{}/{HOST_PLACEHOLDER}", self.addr)
    }

    /// `http://IP:PORT/{host}`: [`Simulator::host_base_url`] with `host` filled in.
    pub fn host_url(&self, host: &str) -> String {
        format!("http://{}/{host}", self.addr)
    }

    /// Inserts (or replaces) an order and returns its id. Ids are unique across
    /// hosts: seeding an id again moves the order to the new seed's host. The
    /// order's captures and refunds become settlement transactions; replacing
    /// an order takes back its unsettled ones.
    pub fn seed(&self, order: SeedOrder) -> String {
        let mut inner = self.shared.lock_inner();
        let now = inner.now();
        let built = order.build(now);
        let id = built.order_id.clone();
        inner.insert_seeded_order(built);
        id
    }

    /// Seeds every order listed by [`demo_orders`] (replacing earlier copies),
    /// and the past payouts listed by [`demo_payouts`] if not there yet.
    pub fn seed_demo_orders(&self) {
        for order in demo::demo_seeds() {
            self.seed(order);
        }
        settlements::seed_demo(&mut self.shared.lock_inner());
    }

    /// The JSON that `GET /ordermanagement/v1/orders/{order_id}` returns now on
    /// the order's host, whichever host that is.
    pub fn order_json(&self, order_id: &str) -> Option<serde_json::Value> {
        let inner = self.shared.lock_inner();
        let now = inner.now();
        let order = inner.orders.get(&normalize_id(order_id))?;
        Some(render::order_value(order, now))
    }

    /// Amounts, statuses, captures and refunds of an order, as of simulated now.
    pub fn snapshot(&self, order_id: &str) -> Option<OrderSnapshot> {
        let inner = self.shared.lock_inner();
        let now = inner.now();
        let order = inner.orders.get(&normalize_id(order_id))?;
        Some(order.snapshot(now))
    }

    /// Every capture, refund and fee applied so far on every order and host
    /// (seeded history included), oldest first: what a settlement report
    /// would turn into transactions. Refused requests, faults that answer
    /// before applying, and idempotent replays add nothing.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.shared.lock_inner().ledger()
    }

    /// Every HTTP request received so far, including refused, 401 and 404 ones.
    pub fn request_count(&self) -> u64 {
        self.shared.request_count.load(Ordering::SeqCst)
    }

    /// The most recent completed requests (at most 10 000), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock_log().all()
    }

    /// TCP connections accepted so far.
    pub fn connections_accepted(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Queues a fault rule; rules are consumed in FIFO order (see [`FaultRule`]).
    pub fn inject_fault(&self, fault: FaultRule) {
        self.shared.lock_faults().push(fault);
    }

    /// Removes every queued fault rule.
    pub fn clear_faults(&self) {
        self.shared.lock_faults().clear();
    }

    /// Sleeps this long before sending every response (concurrent requests are
    /// delayed in parallel, not one after another). `Duration::ZERO` turns it off.
    pub fn set_latency(&self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.shared.latency_nanos.store(nanos, Ordering::SeqCst);
    }

    /// Moves simulated time forward. Authorizations expire at midnight UTC 28
    /// days after the purchase date; idempotency keys are kept for 24 hours.
    pub fn advance_clock(&self, by: Duration) {
        let mut inner = self.shared.lock_inner();
        inner.clock_offset = inner.clock_offset.saturating_add(by);
    }

    /// Stops accepting connections and closes every open one. Idempotent.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }
}

/// Canonical (lower-case, hyphenated) form of a UUID string; other strings unchanged.
pub(crate) fn normalize_id(id: &str) -> String {
    match uuid::Uuid::try_parse(id) {
        Ok(u) if id.len() == 36 => u.hyphenated().to_string(),
        _ => id.to_owned(),
    }
}
