//! The fidelity session: every request our Klarna client sends and every answer the simulator
//! gives, checked against Klarna's published API description by Stoplight Prism.
//!
//! # How it works
//!
//! ```text
//! MCP client ─ klarna-mcp ─ KlarnaClient ─▶ recorder ─▶ prism proxy --errors ─▶ simulator
//!   (per test, in process)                  (one per test binary, on a runtime of its own)
//! ```
//!
//! - Once per test binary ([`world`]): the spec is read and its quirks repaired in a copy
//!   (`spec.rs`), one simulator starts, one Prism per spec document starts in proxy mode in
//!   front of it (`prism.rs`), and a recorder starts in front of Prism.
//! - Each test opens a [`Session`]: a klarna-mcp server whose `KLARNA_BASE_URL` is the
//!   recorder under a path of its own (`/session-N`), so the recorder knows whose exchange it
//!   relays. Orders are seeded per test in the shared simulator.
//! - Prism validates each request (path, headers, body, Basic credentials) and each answer
//!   (status, headers, media type, body). It reports what it finds in an `sl-violations`
//!   header; with `--errors` a request that violates the spec is not forwarded and an answer
//!   that does is replaced, both by a `application/problem+json` problem of Prism's own. The
//!   recorder keeps both kinds, names each exchange by its `operationId`, and counts a request
//!   no operation matches as a violation too.
//! - [`Session::finish`] fails the test on any violation (warnings included: an undocumented
//!   status is one) and unless the operations exercised are exactly those the case declares.
//! - The coverage test compares the union of the cases' operations with `EXERCISED` (in
//!   `main.rs`) and with the operations the simulator serves.
//!
//! # Adding an operation
//!
//! 1. Write the case next to the others of its API (`order_management.rs`): an
//!    `async fn name(s: Session)` that drives the operation through the MCP tools (or, for an
//!    operation no tool uses yet, [`Session::klarna`]), its success and each documented
//!    refusal.
//! 2. List it in that file's `cases!` with the operationIds it exercises — which makes it a test.
//! 3. Add the operationId to `EXERCISED` in `main.rs`: the one line that the coverage test
//!    checks against the cases and against the routes the simulator serves, so a new route
//!    without a case, or a case without its line, fails.
//!
//! Run one case with `cargo test --test fidelity <name>`. Orders are seeded per case, so cases
//! run in parallel; a case that injects a simulator fault (rules are not tied to an order)
//! opens its session with [`Session::start_alone`] instead of being listed in `cases!`.
//!
//! A new spec document (the Settlements API: `settlements-api-openapi.yml`) is one more
//! [`SpecDocument`](crate::spec::SpecDocument) in [`DOCUMENTS`] with its quirk repairs, and
//! its cases in a file of their own whose `CASES` the coverage test adds to the union.
//! Exchanges go to the Prism of the document that has their operation. Its server path
//! `/settlements/v1` is already put in front of its paths (`spec.rs`). Note that it declares a
//! `basic_auth` scheme which no operation requires: its repair should add the requirement, or
//! Prism will not check credentials there.

use std::{
    collections::{BTreeSet, HashMap},
    future::Future,
    path::PathBuf,
    sync::{
        Arc, Mutex, Once, OnceLock,
        atomic::{AtomicU64, Ordering},
        mpsc,
    },
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use klarna_mcp::{
    Config, KlarnaServer,
    simulator::{DEMO_PASSWORD, DEMO_USERNAME, SeedOrder, Simulator, SimulatorConfig},
};
use rmcp::{
    RoleClient, ServiceExt,
    model::{CallToolRequestParams, CallToolResult},
    service::RunningService,
};
use serde_json::Value;

use crate::{
    prism::Prism,
    spec::{self, Operations, SpecDocument},
};

/// The spec documents the session validates against.
pub const DOCUMENTS: &[SpecDocument] = &[spec::ORDER_MANAGEMENT];

/// One request and its answer, as the recorder saw them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The spec operation the request matched.
    pub operation: Option<String>,
    pub method: String,
    /// Path on Klarna's host (no session prefix, no query).
    pub path: String,
    /// Status our client got: the simulator's, or Prism's when it stood in.
    pub status: u16,
    /// What Prism found wrong, request and answer; empty when both match the spec.
    pub violations: Vec<String>,
}

impl std::fmt::Display for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = self.operation.as_deref().unwrap_or("(no operation)");
        write!(f, "{op}: {} {} → {}", self.method, self.path, self.status)?;
        for v in &self.violations {
            write!(f, "\n    violation: {v}")?;
        }
        Ok(())
    }
}

type ExchangeLog = Arc<Mutex<Vec<Exchange>>>;

/// A spec document and the Prism that validates against it.
struct Proxy {
    name: &'static str,
    operations: Operations,
    prism: Prism,
}

/// What the whole test binary shares: simulator, Prism processes, recorder.
pub struct World {
    pub sim: Simulator,
    recorder: String,
    shared: Arc<Recorder>,
    next_session: AtomicU64,
    /// Sessions share the simulator; one that injects a fault (which is not tied to an order)
    /// runs alone: every session holds this for reading, that one for writing.
    gate: Arc<tokio::sync::RwLock<()>>,
}

/// A session's hold on the shared simulator (see `World::gate`).
enum Hold {
    Shared(#[allow(dead_code)] tokio::sync::OwnedRwLockReadGuard<()>),
    Alone(#[allow(dead_code)] tokio::sync::OwnedRwLockWriteGuard<()>),
}

/// The recorder's state: where to relay, and whose log an exchange goes to.
struct Recorder {
    proxies: Vec<Proxy>,
    sessions: Mutex<HashMap<u64, ExchangeLog>>,
    http: reqwest::Client,
}

/// Why the session cannot run here.
struct Skip(String);

static WORLD: OnceLock<Result<World, Skip>> = OnceLock::new();

/// The shared world, started on first use; `None` (with one line on stderr) when the spec or
/// Prism is not available — a failure under `CI=true`.
pub fn world() -> Option<&'static World> {
    static SKIPPED: Once = Once::new();
    match WORLD.get_or_init(start_world) {
        Ok(world) => Some(world),
        Err(Skip(why)) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{why}, and under CI=true a skipped fidelity test is a failure"
            );
            SKIPPED.call_once(|| {
                use std::io::Write;
                // Straight to the terminal: the test harness captures only print! and eprint!.
                let _ = writeln!(
                    std::io::stderr(),
                    "skipped ({why}; `bash .ci/run` provides both): every test of the fidelity session (tests/fidelity)"
                );
            });
            None
        }
    }
}

fn start_world() -> Result<World, Skip> {
    let Some(prism) = std::env::var_os("KLARNA_TEST_PRISM").map(PathBuf::from) else {
        return Err(Skip(
            "Prism not installed: KLARNA_TEST_PRISM is unset".into(),
        ));
    };
    let mut documents = Vec::new();
    for doc in DOCUMENTS {
        let Some(dir) = spec::spec_dir(doc.file) else {
            let searched = match std::env::var("KLARNA_TEST_SPEC_DIR") {
                Ok(dir) => format!("KLARNA_TEST_SPEC_DIR ({dir}) does not have it"),
                Err(_) => "KLARNA_TEST_SPEC_DIR is unset and neither shared/klarna beside the \
                           crate nor /work/shared/klarna has it"
                    .to_string(),
            };
            return Err(Skip(format!(
                "Klarna's {} API description {} not found: {searched}",
                doc.name, doc.file
            )));
        };
        let (patched, operations) = spec::load(doc, &dir).unwrap_or_else(|e| panic!("{e}"));
        documents.push((doc, patched, operations));
    }

    // A runtime of its own: the simulator and the recorder outlive every test's runtime.
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("fidelity".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            tx.send(runtime.handle().clone()).unwrap();
            runtime.block_on(std::future::pending::<()>());
        })
        .unwrap();
    let runtime = rx.recv().unwrap();
    let (tx, rx) = mpsc::channel();
    runtime.spawn(async move {
        let _ = tx.send(Simulator::start(SimulatorConfig::demo()).await);
    });
    let sim = rx.recv().unwrap().expect("the simulator starts");

    // The repaired copies, a copy of Klarna's text: removed when Prism stops (`prism.rs`).
    let dir = std::env::temp_dir().join(format!("klarna-mcp-fidelity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut proxies = Vec::new();
    for (doc, patched, operations) in documents {
        let file = dir.join(format!("{}.json", doc.file.trim_end_matches(".yml")));
        std::fs::write(&file, serde_json::to_vec(&patched).unwrap()).unwrap();
        let prism = Prism::start(&prism, &file, &sim.base_url(), &dir)
            .unwrap_or_else(|e| panic!("Prism for {}: {e}", doc.name));
        proxies.push(Proxy {
            name: doc.name,
            operations,
            prism,
        });
    }

    let shared = Arc::new(Recorder {
        proxies,
        sessions: Mutex::new(HashMap::new()),
        http: reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let recorder = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(relay)
        .with_state(shared.clone());
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        let _ = axum::serve(listener, app).await;
    });
    Ok(World {
        sim,
        recorder,
        shared,
        next_session: AtomicU64::new(1),
        gate: Arc::default(),
    })
}

/// Relays one request of a session to the Prism of the document that has its operation, and
/// records the exchange with what Prism found.
async fn relay(
    State(rec): State<Arc<Recorder>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((session, path)) = uri
        .path()
        .strip_prefix("/session-")
        .and_then(|rest| rest.split_once('/'))
        .and_then(|(n, rest)| Some((n.parse::<u64>().ok()?, format!("/{rest}"))))
    else {
        return (StatusCode::NOT_FOUND, "not a fidelity session path").into_response();
    };
    let Some(log) = rec.sessions.lock().unwrap().get(&session).cloned() else {
        return (StatusCode::NOT_FOUND, "unknown fidelity session").into_response();
    };
    let named = rec
        .proxies
        .iter()
        .find_map(|p| Some((p, p.operations.name(method.as_str(), &path)?)));
    let (proxy, operation) = match named {
        Some((proxy, op)) => (proxy, Some(op.to_string())),
        None => (&rec.proxies[0], None),
    };
    let mut violations = Vec::new();
    if operation.is_none() {
        violations.push(format!(
            "no operation of the {} API matches {method} {path}",
            proxy.name
        ));
    }
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let mut request = rec
        .http
        .request(method.clone(), format!("{}{path}{query}", proxy.prism.url))
        .body(body);
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            request = request.header(name, value);
        }
    }
    let (status, answer_headers, answer) = match request.send().await {
        Ok(response) => {
            let status = response.status();
            let answer_headers = response.headers().clone();
            let answer = response.bytes().await.unwrap_or_default();
            (status, answer_headers, answer)
        }
        Err(e) => {
            violations.push(format!("Prism did not answer: {e}"));
            (StatusCode::BAD_GATEWAY, HeaderMap::new(), Bytes::new())
        }
    };
    violations.extend(prism_findings(&answer_headers, &answer));
    log.lock().unwrap().push(Exchange {
        operation,
        method: method.to_string(),
        path,
        status: status.as_u16(),
        violations,
    });
    let mut response = (status, answer).into_response();
    for (name, value) in &answer_headers {
        if !matches!(
            name.as_str(),
            "content-length" | "connection" | "transfer-encoding" | "keep-alive"
        ) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

/// What Prism says is wrong with an exchange: its `sl-violations` header (request and answer,
/// every severity) and any problem it answered with itself instead of the simulator.
fn prism_findings(headers: &HeaderMap, body: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let describe = |v: &Value| {
        let location: Vec<String> = v["location"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| l.as_str().map_or_else(|| l.to_string(), str::to_owned))
            .collect();
        format!(
            "{} at {}: {}",
            v["severity"].as_str().unwrap_or("?"),
            location.join("."),
            v["message"].as_str().unwrap_or("?")
        )
    };
    if let Some(header) = headers.get("sl-violations") {
        let text = String::from_utf8_lossy(header.as_bytes());
        match serde_json::from_str::<Vec<Value>>(&text) {
            Ok(list) => found.extend(list.iter().map(describe)),
            // Prism cuts a long list short and says so; the text is the finding.
            Err(_) => found.push(text.into_owned()),
        }
    }
    let problem = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if problem && let Ok(problem) = serde_json::from_slice::<Value>(body) {
        let kind = problem["type"].as_str().unwrap_or_default();
        if kind.starts_with("https://stoplight.io/prism/errors#") {
            found.push(format!(
                "Prism answered itself: {} — {}",
                problem["title"].as_str().unwrap_or(kind),
                problem["detail"].as_str().unwrap_or_default()
            ));
            for v in problem["validation"].as_array().into_iter().flatten() {
                let text = describe(v);
                if !found.contains(&text) {
                    found.push(text);
                }
            }
        }
    }
    found
}

/// A test's view of the session: a klarna-mcp server talking to Klarna through the recorder.
#[derive(Clone)]
pub struct Session(Arc<SessionInner>);

struct SessionInner {
    world: &'static World,
    name: String,
    base_url: String,
    log: ExchangeLog,
    client: RunningService<RoleClient, ()>,
    _hold: Hold,
    /// For [`Session::klarna`]: a client of this test's runtime, whose connections die with it.
    http: reqwest::Client,
}

impl Session {
    /// Opens a session named `name`; `None` when the session cannot run here (see [`world`]).
    pub async fn start(name: &str) -> Option<Self> {
        let world = world()?;
        let hold = Hold::Shared(world.gate.clone().read_owned().await);
        Some(Self::open(world, name, hold).await)
    }

    /// Opens a session that runs while no other does, so it may inject faults into the
    /// shared simulator.
    pub async fn start_alone(name: &str) -> Option<Self> {
        let world = world()?;
        let hold = Hold::Alone(world.gate.clone().write_owned().await);
        Some(Self::open(world, name, hold).await)
    }

    async fn open(world: &'static World, name: &str, hold: Hold) -> Self {
        let id = world.next_session.fetch_add(1, Ordering::Relaxed);
        let log = ExchangeLog::default();
        world
            .shared
            .sessions
            .lock()
            .unwrap()
            .insert(id, log.clone());
        let base_url = format!("{}/session-{id}", world.recorder);
        let mut config = Config::from_vars(|var| match var {
            "KLARNA_API_USERNAME" => Some(DEMO_USERNAME.to_string()),
            "KLARNA_API_PASSWORD" => Some(DEMO_PASSWORD.to_string()),
            "KLARNA_BASE_URL" => Some(base_url.clone()),
            _ => None,
        })
        .unwrap();
        // One attempt per request: every exchange in the log is one the tool meant to make.
        config.client.retry.max_retries = 0;
        config.client.retry.attempt_timeout = Duration::from_secs(20);
        config.journal = Some(klarna_mcp::journal::JournalLocation::Memory);
        // Every toolset, so every operation a tool sends can be driven through its tool.
        config.toolsets = Some(["all".to_string()].into());
        let server = KlarnaServer::new(config).unwrap();
        let (server_io, client_io) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            if let Ok(running) = server.serve(server_io).await {
                let _ = running.waiting().await;
            }
        });
        let client = ().serve(client_io).await.unwrap();
        Self(Arc::new(SessionInner {
            world,
            name: name.to_string(),
            base_url,
            log,
            client,
            _hold: hold,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        }))
    }

    /// The shared simulator and Prism.
    pub fn world(&self) -> &'static World {
        self.0.world
    }

    /// Where this session's requests go: Klarna's paths are appended to it.
    pub fn base_url(&self) -> &str {
        &self.0.base_url
    }

    /// Seeds an order in the shared simulator and returns its id.
    pub fn seed(&self, order: SeedOrder) -> String {
        self.0.world.sim.seed(order)
    }

    /// Calls a tool; panics only on a protocol error.
    pub async fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let params =
            CallToolRequestParams::new(tool.to_string()).with_arguments(rmcp::model::object(args));
        self.0
            .client
            .call_tool(params)
            .await
            .unwrap_or_else(|e| panic!("{tool}: protocol error {e:?}"))
    }

    /// Calls a tool and asserts success; returns the structured content.
    pub async fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args.clone()).await;
        assert_eq!(
            result.is_error,
            Some(false),
            "{tool} {args} failed: {}\n{}",
            text(&result),
            self.report()
        );
        result.structured_content.expect("structured content")
    }

    /// Calls a tool and asserts an `isError` result; returns its text.
    pub async fn err(&self, tool: &str, args: Value) -> String {
        let result = self.call(tool, args.clone()).await;
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} {args} unexpectedly succeeded: {}\n{}",
            text(&result),
            self.report()
        );
        text(&result)
    }

    /// Sends one request to "Klarna" through the session, as a client would, with the demo
    /// credentials: for operations no tool uses. Returns the status and the JSON answer
    /// (`Null` when there is none).
    pub async fn klarna(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self
            .0
            .http
            .request(method, format!("{}{path}", self.0.base_url))
            .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// The exchanges so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.0.log.lock().unwrap().clone()
    }

    /// Every exchange, then Prism's last log lines: what a failure message shows.
    fn report(&self) -> String {
        let exchanges: Vec<String> = self.exchanges().iter().map(|e| e.to_string()).collect();
        let logs: Vec<String> = self
            .0
            .world
            .shared
            .proxies
            .iter()
            .map(|p| format!("Prism ({}), last lines:\n{}", p.name, p.prism.log_tail(30)))
            .collect();
        format!(
            "session {}, exchanges:\n  {}\n{}",
            self.0.name,
            exchanges.join("\n  "),
            logs.join("\n")
        )
    }

    /// Fails unless every exchange matched the spec and the operations exercised are exactly
    /// `operations`.
    pub fn finish(&self, operations: &[&str]) {
        let exchanges = self.exchanges();
        assert!(
            !exchanges.is_empty(),
            "{}: nothing was sent, so nothing was checked",
            self.0.name
        );
        let violating = exchanges
            .iter()
            .filter(|e| !e.violations.is_empty())
            .count();
        assert_eq!(
            violating,
            0,
            "{violating} exchange(s) do not match Klarna's spec\n{}",
            self.report()
        );
        let exercised: BTreeSet<&str> = exchanges
            .iter()
            .filter_map(|e| e.operation.as_deref())
            .collect();
        let declared: BTreeSet<&str> = operations.iter().copied().collect();
        assert_eq!(
            exercised,
            declared,
            "{}: the operations exercised are not the ones the case declares\n{}",
            self.0.name,
            self.report()
        );
    }
}

/// Runs one case in a session of its own and checks it (see [`Session::finish`]).
pub async fn run<F, Fut>(name: &str, operations: &[&str], case: F)
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(session) = Session::start(name).await else {
        return;
    };
    case(session.clone()).await;
    session.finish(operations);
}

/// The text of a result's first content block.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default()
}

impl World {
    /// The spec operations the simulator serves: each operation's path (ids filled in with an
    /// id no order has) asked directly, with the operation's method; a route the simulator
    /// does not have answers 405 or 404 `RESOURCE_NOT_FOUND`.
    pub async fn served_operations(&self) -> BTreeSet<String> {
        const NO_SUCH_ID: &str = "00000000-0000-4000-8000-00000000dead";
        // The probes are routed operations: they must not meet another session's fault.
        let _hold = self.gate.read().await;
        // A client of the caller's runtime (the recorder's belongs to the shared one).
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut served = BTreeSet::new();
        for proxy in &self.shared.proxies {
            for (method, template, id) in proxy.operations.all() {
                let path: Vec<&str> = template
                    .split('/')
                    .map(|s| if s.starts_with('{') { NO_SUCH_ID } else { s })
                    .collect();
                let mut request = http
                    .request(
                        Method::from_bytes(method.as_bytes()).unwrap(),
                        format!("{}{}", self.sim.base_url(), path.join("/")),
                    )
                    .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD));
                if matches!(method, "POST" | "PATCH" | "PUT") {
                    request = request.json(&serde_json::json!({}));
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let answer: Value = response.json().await.unwrap_or(Value::Null);
                let unrouted = status == 405
                    || (status == 404 && answer["error_code"] == "RESOURCE_NOT_FOUND");
                if !unrouted {
                    served.insert(id.to_string());
                }
            }
        }
        served
    }
}

/// Declares a file's cases: `name => ["operationId", …]` for each `async fn name(s: Session)`
/// above it. Makes each a test (`each::name`) that runs it in a session of its own and
/// checks it, and lists them all in `CASES` for the coverage test.
macro_rules! cases {
    ($( $(#[$meta:meta])* $name:ident => [$($op:literal),* $(,)?] ),* $(,)?) => {
        /// Every case of this file and the operations it exercises.
        pub const CASES: &[(&str, &[&str])] = &[$((stringify!($name), &[$($op),*])),*];

        /// One test per case.
        mod each {
            $(
                $(#[$meta])*
                #[tokio::test]
                async fn $name() {
                    crate::harness::run(stringify!($name), &[$($op),*], super::$name).await;
                }
            )*
        }
    };
}
