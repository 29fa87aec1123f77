//! [`KlarnaServer`]: the MCP server — its tools, prompts, instructions, and the guard that
//! keeps a panicking tool from leaving a client waiting forever.

use std::{panic::AssertUnwindSafe, sync::Arc};

use futures::FutureExt;
use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    handler::server::{
        router::{prompt::PromptRouter, tool::ToolRouter},
        tool::ToolCallContext,
    },
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
        ServerCapabilities, ServerConfig,
    },
    service::RequestContext,
    tool_handler,
};

use crate::{
    auth::{Access, principal_of},
    config::{Config, ConfigError},
    host::host_list,
    journal::{Journal, JournalError, JournalHealth},
    klarna::KlarnaClient,
    tools::{self, call::ToolCall, confirm::StateCodec, in_flight::InFlightWrites},
};

/// Prefix of every result and of the instructions in demo mode.
pub const DEMO_NOTICE: &str = "DEMO: simulated Klarna, no real money.";

/// The MCP server. Cloning is shallow: clones share the client and configuration.
#[derive(Clone)]
pub struct KlarnaServer {
    state: Arc<State>,
    tool_router: ToolRouter<KlarnaServer>,
    prompt_router: PromptRouter<KlarnaServer>,
}

struct State {
    client: KlarnaClient,
    /// The tools this server offers, which next-step hints may name.
    served: tools::next_steps::Served,
    config: Config,
    instructions: String,
    confirmations: Arc<StateCodec>,
    in_flight: Arc<InFlightWrites>,
    /// Opened on first use (and again after a failure), so a journal that cannot be
    /// written refuses writes without stopping reads — and recovers when it can be.
    journal: tokio::sync::Mutex<Option<Journal>>,
    /// Set when the configuration could not be used: every tool call answers with it.
    config_error: Option<String>,
    /// The sessions that asked for the server's notices (`logging/setLevel`).
    client_logs: crate::telemetry::client_log::Sessions,
    /// Whether the journal can be written, as last seen (see [`crate::journal::health`]).
    journal_health: Arc<JournalHealth>,
}

/// Why the server could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting names something that does not exist (e.g. an unknown tool).
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built (TLS roots, for instance).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

impl KlarnaServer {
    /// Builds the server: one Klarna client, the tool router built once (with the tools
    /// configuration disables removed), the instructions composed once.
    pub fn new(config: Config) -> Result<Self, StartError> {
        Self::build(config, None)
    }

    /// Builds the server over a journal the caller opened — any [`JournalStore`] — instead of
    /// the one `KLARNA_JOURNAL` names: for embedding, and for tests of a journal that fails.
    ///
    /// [`JournalStore`]: crate::journal::JournalStore
    pub fn with_journal(config: Config, journal: Journal) -> Result<Self, StartError> {
        Self::build(config, Some(journal))
    }

    /// A server for a configuration that cannot be used, so that a desktop client shows the
    /// problem instead of a disconnected server: it lists the default tools, and answers
    /// every tool call with `problem` (the variable and the fix) as an `isError` result.
    /// Nothing is ever sent to Klarna, and no journal is opened.
    pub fn unconfigured(problem: String) -> Result<Self, StartError> {
        let mut config = Config::from_vars(|_| None)?;
        config.journal = None;
        config.reports_dir = None;
        let mut server = Self::build(config, None)?;
        if let Some(state) = Arc::get_mut(&mut server.state) {
            state.instructions = format!(
                "klarna-mcp cannot work until its configuration is fixed: {problem}. Every tool call answers with \
                 this; tell the user what to change and that the server needs a restart afterwards."
            );
            state.config_error = Some(problem);
        }
        Ok(server)
    }

    /// Why the configuration cannot be used, when it cannot.
    pub fn config_error(&self) -> Option<&str> {
        self.state.config_error.as_deref()
    }

    fn build(config: Config, journal: Option<Journal>) -> Result<Self, StartError> {
        let client = KlarnaClient::new(config.client.clone())?;
        let tool_router = tools::router_for(&config)?;
        let enabled: Vec<String> = tool_router
            .list_all()
            .iter()
            .map(|t| t.name.to_string())
            .collect();
        let instructions = instructions(&config, &enabled);
        let served = tools::next_steps::Served::only(enabled.iter().cloned());
        let confirmations = Arc::new(match &config.state_key {
            Some(key) => StateCodec::with_key(secrecy::ExposeSecret::expose_secret(key)),
            None => StateCodec::new(),
        });
        let journal_health = Arc::new(JournalHealth::default());
        let journal = journal.map(|j| j.watched_by(journal_health.clone()));
        Ok(Self {
            state: Arc::new(State {
                client,
                served,
                config,
                instructions,
                confirmations,
                in_flight: Arc::new(InFlightWrites::default()),
                journal: tokio::sync::Mutex::new(journal),
                config_error: None,
                client_logs: Default::default(),
                journal_health,
            }),
            tool_router,
            prompt_router: Self::prompt_router(),
        })
    }

    /// The Klarna client.
    pub(crate) fn client(&self) -> &KlarnaClient {
        &self.state.client
    }

    /// The tools this server offers, for next-step hints.
    pub(crate) fn served(&self) -> &tools::next_steps::Served {
        &self.state.served
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// Seals the `requestState` of confirmation questions (2026-07-28 clients).
    pub(crate) fn confirmations(&self) -> &Arc<StateCodec> {
        &self.state.confirmations
    }

    /// The operation journal, opened (and watched) now if it is not open yet. A journal known
    /// to be failing is still handed out: the write's own append is what decides — a probe
    /// answer reused from the last second would refuse the first write after the disk or
    /// database is back.
    pub async fn journal(&self) -> Result<Journal, JournalError> {
        let mut slot = self.state.journal.lock().await;
        if let Some(journal) = slot.as_ref() {
            return Ok(journal.clone());
        }
        let config = &self.state.config;
        let location = config.journal.as_ref().ok_or_else(|| JournalError {
            location: "(none)".into(),
            detail: "no data directory was found for it; set KLARNA_JOURNAL to a file path".into(),
        })?;
        let health = &self.state.journal_health;
        let journal = match Journal::open(location, config.duplicate_window).await {
            Ok(journal) => journal.watched_by(health.clone()),
            Err(e) => {
                health.failed(&e);
                return Err(e);
            }
        };
        health.forget_probe().await;
        if health.failing().is_some() {
            // Opened at last: whether it takes writes is for the probe to say.
            let _ = health.probe(&journal).await;
        }
        *slot = Some(journal.clone());
        Ok(journal)
    }

    /// Whether the journal can take a write now: opened if it is not, then probed (a probe
    /// less than a second old is reused). For start-up, readiness and the team server's watch.
    pub async fn check_journal(&self) -> Result<(), JournalError> {
        let journal = self.journal().await?;
        self.state
            .journal_health
            .probe(&journal)
            .await
            .map_err(|detail| JournalError {
                location: journal.describe(),
                detail,
            })
    }

    /// What the team server's `/readyz` asks of this server: that the journal can take a
    /// write. The reason leaves out the journal's location (`/readyz` answers anyone).
    pub fn readiness(&self) -> crate::http::Readiness {
        if self.state.config.read_only {
            // A read-only server never writes: a journal it cannot write does not stop it.
            return crate::http::Readiness::new();
        }
        let server = self.clone();
        crate::http::Readiness::new().with("journal", move || {
            let server = server.clone();
            Box::pin(async move {
                // Only the fact: the driver's text can name database hosts, users and
                // databases, and `/readyz` answers anyone. The log has the reason.
                server.check_journal().await.map_err(|_| {
                    "the operation journal cannot take writes (the server's log says why)"
                        .to_string()
                })
            })
        })
    }

    /// Checks the journal every `every` for as long as the returned task runs, so that the
    /// log says when it stops working (and works again) even while nobody calls.
    pub fn watch_journal(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let server = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                // The outcome is logged by the journal's health when it changes.
                let _ = server.check_journal().await;
            }
        })
    }

    /// Starts the bookkeeping of one tool call: its time budget, its cancellation, the MCP
    /// client and, on a team server, who is calling.
    pub(crate) fn start_call(
        &self,
        tool: &'static str,
        context: &RequestContext<RoleServer>,
    ) -> ToolCall {
        let clean =
            |s: &str| crate::klarna::sanitize::bound(&crate::klarna::sanitize::escape(s), 100);
        let mut call = ToolCall::start(tool, self.notice(), self.state.config.client.retry.budget);
        call.limits.cancelled = context.ct.clone();
        call.client = context
            .client_info()
            .map(|info| (clean(&info.name), clean(&info.version)));
        call.principal = principal_of(context).map(|p| clean(&p.label()));
        call
    }

    /// Writes sent and not yet answered, for a shutdown that must not lose them.
    pub fn in_flight_writes(&self) -> &Arc<InFlightWrites> {
        &self.state.in_flight
    }

    /// The demo notice, in demo mode.
    pub(crate) fn notice(&self) -> Option<&'static str> {
        self.state.config.demo.is_some().then_some(DEMO_NOTICE)
    }

    /// Whether the caller may use prompt `name`: every tool it names is served, and a reader
    /// is never offered one that writes.
    pub fn may_use_prompt(&self, name: &str, context: &RequestContext<RoleServer>) -> bool {
        let may_write = principal_of(context).is_none_or(|p| p.check(Access::Write).is_ok());
        let served = self.served();
        crate::prompts::tools_of(name)
            .iter()
            .all(|tool| served.has(tool) && (may_write || !self.is_write_tool(tool)))
    }

    /// Whether `name` is one of this server's tools that is not read-only (so it needs the
    /// write role on a team server).
    pub fn is_write_tool(&self, name: &str) -> bool {
        self.tool_router
            .get(name)
            .is_some_and(|t| !tools::is_read_only(t))
    }

    /// The names of this server's tools that need the write role.
    pub fn write_tool_names(&self) -> Vec<String> {
        self.tool_router
            .list_all()
            .into_iter()
            .filter(|t| !tools::is_read_only(t))
            .map(|t| t.name.to_string())
            .collect()
    }

    /// The names of the tools this server offers.
    pub fn tool_names(&self) -> Vec<String> {
        self.tool_router
            .list_all()
            .iter()
            .map(|t| t.name.to_string())
            .collect()
    }
}

fn instructions(config: &Config, enabled: &[String]) -> String {
    let mut text = String::new();
    if config.demo.is_some() {
        text.push_str(DEMO_NOTICE);
        text.push_str(
            " Every order below lives in a built-in simulator; nothing reaches Klarna.\n\n",
        );
    }
    text.push_str(&format!(
        "Klarna Order Management for a merchant. Tools: {tools}.\n\
         - Amounts are integers in minor units of the order's currency; every currency Klarna uses has two \
         decimals, so 10500 = 105.00 EUR and 1299 kronor = 129900. When the user names a currency, pass it as \
         `currency`: a write in another currency than the order's is refused, never converted.\n\
         - Order ids are Klarna's UUIDs, not the merchant's order numbers. get_order shows what can be done \
         next (allowedActions) and what cannot and why (blockedActions): follow it.\n\
         - capture_order, refund_order, cancel_order and release_remaining_authorization move real money or end \
         the authorization and cannot be undone: do them only when the user asked for that operation on that order.\n\
         - Idempotency: to make a write safe to repeat if its answer is lost, choose its idempotencyKey yourself \
         before the first call (one per shipment, return, or operation). Repeating with the same key never moves \
         money twice: Klarna answers with the first result. A new operation needs a new key; after Klarna \
         definitively refused a write, a new attempt needs a new key too. Without a key the server generates one \
         (shown in every result) and refuses an identical write without a key for {window} minutes after it was \
         applied (24 hours while its outcome is unknown), so an accidental repeat moves nothing. If a write's \
         outcome is unknown, repeat it with the same idempotencyKey, or check with get_order or list_operations.\n\
         - apiHost picks Klarna's region and environment ({hosts}); default {default}. An order lives on the \
         host of the region and environment it was placed in. Hosts this server has credentials for: {usable}; \
         a call to any other host is refused before anything is sent.",
        tools = enabled.join(", "),
        window = config.duplicate_window.as_secs() / 60,
        hosts = host_list(),
        default = config.hosts.default_host,
        usable = {
            let usable: Vec<String> = config
                .client
                .credentials
                .usable()
                .iter()
                .map(|(h, _)| h.to_string())
                .collect();
            if usable.is_empty() {
                "none yet (every call says what to set)".to_string()
            } else {
                usable.join(", ")
            }
        },
    ));
    // The opt-in writes beyond the money writes, as far as they are served.
    let changes: Vec<&str> = tools::write::kind::ALL
        .iter()
        .filter(|k| k.changes_the_order())
        .map(|k| k.tool)
        .filter(|t| enabled.iter().any(|e| e == t))
        .collect();
    if !changes.is_empty() {
        text.push_str(&format!(
            "\n- {} change the order without moving money — except extend_due_date, whose fee the merchant pays, \
             and an increase by update_order_amount, which asks Klarna to authorize more of the customer's money: \
             do them only when the user asked for that change on that order (each has an idempotencyKey too).",
            changes.join(", ")
        ));
    }
    if config.read_only {
        text.push_str(" This server is read-only: it cannot capture, refund, cancel or release.");
    }
    if let Some(demo) = &config.demo {
        text.push_str("\n\nDemo orders (use these ids):");
        for order in &demo.orders {
            text.push_str(&format!(
                "\n- {} on {} — {}: {} Try: {}",
                order.order_id, order.host, order.state, order.summary, order.try_this
            ));
        }
    }
    text
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for KlarnaServer {
    fn get_info(&self) -> ServerConfig {
        // `logging` is deprecated in MCP in favour of OpenTelemetry, which the server also
        // offers; clients still show these messages to their users.
        #[allow(deprecated)]
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_prompts()
            .enable_logging()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(
                Implementation::new("klarna-mcp", env!("CARGO_PKG_VERSION"))
                    .with_title("Klarna Order Management")
                    .with_description(
                        "Look up, capture, refund, cancel and release Klarna orders.",
                    ),
            )
            .with_instructions(self.state.instructions.clone())
    }

    /// `logging/setLevel`: from now on this session receives the server's notices at `level`
    /// and above (those of start-up first).
    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: rmcp::model::SetLevelRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        let session = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|p| p.headers.get("mcp-session-id"))
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| "stdio".to_string(), str::to_string);
        self.state
            .client_logs
            .set_level(session, request.level, context.peer.clone());
        Ok(())
    }

    /// The tools this caller may use: all of them, or on a team server only the read tools
    /// for a principal with the read role.
    async fn list_tools(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListToolsResult, McpError> {
        let may_write = principal_of(&context).is_none_or(|p| p.check(Access::Write).is_ok());
        let tools = self
            .tool_router
            .list_all()
            .into_iter()
            .filter(|t| may_write || tools::is_read_only(t))
            .collect();
        Ok(rmcp::model::ListToolsResult::with_all_items(tools))
    }

    /// The prompts this caller may use: those whose tools are all served to it (a reader is
    /// not offered a prompt that captures or refunds).
    async fn list_prompts(
        &self,
        _request: Option<rmcp::model::PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::ListPromptsResult, McpError> {
        let prompts = self
            .prompt_router
            .list_all()
            .into_iter()
            .filter(|p| self.may_use_prompt(&p.name, &context))
            .collect();
        Ok(rmcp::model::ListPromptsResult::with_all_items(prompts))
    }

    /// A prompt, if this caller may use it (see `list_prompts`).
    async fn get_prompt(
        &self,
        request: rmcp::model::GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<rmcp::model::GetPromptResponse, McpError> {
        if !self.may_use_prompt(&request.name, &context) {
            return Err(McpError::invalid_params(
                format!(
                    "prompt {:?} is not offered here: it calls tools this server does not serve to you",
                    crate::klarna::sanitize::bound(
                        &crate::klarna::sanitize::escape(&request.name),
                        60
                    )
                ),
                None,
            ));
        }
        let prompt_context = rmcp::handler::server::prompt::PromptContext::new(
            self,
            request.name,
            request.arguments,
            context,
        );
        self.prompt_router.get_prompt(prompt_context).await
    }

    /// Routes a tool call, catching a panic so the client still gets an answer and the
    /// server keeps serving.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        use tracing::Instrument;
        let span = crate::telemetry::traces::tool_call_span(&request.name, &context);
        let response = self
            .answer_tool_call(request, context)
            .instrument(span.clone())
            .await;
        crate::telemetry::traces::end_tool_call(&span, &response);
        response
    }
}

impl KlarnaServer {
    /// Answers one tool call: the configuration error if there is one, a refusal for a
    /// reader calling a write tool, else the tool — with a panic caught.
    async fn answer_tool_call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.clone();
        if let Some(problem) = &self.state.config_error {
            crate::audit::record(&crate::audit::AuditLine::unconfigured(&name));
            return Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                "klarna-mcp cannot run `{name}`: its configuration has an error. {problem}. Nothing was sent to \
                 Klarna. Fix that variable in the MCP client's \"env\" block (or in the .env file of the directory \
                 the server starts in), then restart the server."
            ))])
            .into());
        }
        // A principal that may only read never reaches a write tool (nor learns more than
        // that it lacks the role); the HTTP layer has usually answered 403 already.
        if let Some(principal) = principal_of(&context)
            && self.is_write_tool(&name)
            && let Err(refusal) = principal.check(Access::Write)
        {
            crate::audit::record(&crate::audit::AuditLine::forbidden(
                &name,
                &principal.label(),
            ));
            return Ok(CallToolResult::error(vec![ContentBlock::text(
                refusal.tool_message(&name),
            )])
            .into());
        }
        let call = ToolCallContext::new(self, request, context);
        match AssertUnwindSafe(self.tool_router.call(call))
            .catch_unwind()
            .await
        {
            Ok(result) => result,
            Err(_) => {
                tracing::error!(tool = %name, "tool panicked");
                crate::audit::record(&crate::audit::AuditLine {
                    tool: &name,
                    api_host: None,
                    order_id: None,
                    amount: None,
                    idempotency_key: None,
                    confirmed: None,
                    principal: None,
                    outcome: "internal_error",
                    http_status: None,
                    correlation_id: None,
                    duration_ms: 0,
                });
                Ok(CallToolResult::error(vec![ContentBlock::text(format!(
                    "Internal error in tool `{name}`; the server is still running. If this was a write, its outcome is \
                     unknown: check the order with get_order before repeating it."
                ))])
                .into())
            }
        }
    }
}
