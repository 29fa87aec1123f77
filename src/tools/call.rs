//! [`ToolCall`]: one tool call's facts, gathered as it runs and written as one audit line when
//! it ends — the single exit through which every tool answers.

use std::time::{Duration, Instant};

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{
    errors::{KeyShown, ToolError},
    in_flight::InFlightGuard,
};
use crate::{host::ApiHost, klarna::Limits};

/// A successful answer: structured content plus its human text (and, rarely, more content
/// after the text, such as a link to a saved file).
pub struct Success {
    structured: serde_json::Value,
    text: String,
    more: Vec<ContentBlock>,
}

impl Success {
    /// Serializes `value` (an object) as the structured content.
    pub fn new<T: Serialize>(value: &T, text: String) -> Result<Self, ToolError> {
        let structured = serde_json::to_value(value).map_err(|e| {
            ToolError::Refused(format!(
                "Internal error: the result could not be encoded ({e})."
            ))
        })?;
        Ok(Self {
            structured,
            text,
            more: Vec::new(),
        })
    }

    /// Adds a content block after the text (e.g. a `resource_link` to a saved report).
    pub fn with_content(mut self, block: ContentBlock) -> Self {
        self.more.push(block);
        self
    }
}

/// What the audit line records about one call. Never bodies, never secrets.
pub struct ToolCall {
    tool: &'static str,
    started: Instant,
    /// When the call must be done (`KLARNA_TIMEOUT_SECS`) and whether the client still
    /// wants it; every Klarna request of the call honours both.
    pub limits: Limits,
    budget: Duration,
    /// Host called.
    pub host: Option<ApiHost>,
    /// Order id (after validation).
    pub order_id: Option<String>,
    /// Amount asked for or applied, minor units.
    pub amount: Option<i64>,
    /// Idempotency key of a write (in the audit line from the moment it is chosen).
    pub key: Option<String>,
    /// Whether the key may have reached Klarna (its `pending` record is written): only then
    /// does a failure show it. A write refused before that shows no key of its own — a
    /// fresh key that was never sent is no key to repeat anything with.
    pub key_sent: bool,
    /// Whether the key is the caller's own (`idempotencyKey`), not one the server made.
    pub key_from_caller: bool,
    /// For a write that got as far as confirmation: whether a human confirmed it.
    pub confirmed: Option<bool>,
    /// The MCP client's name and version (bounded, escaped), for the journal.
    pub client: Option<(String, String)>,
    /// Who is calling, on a team server (subject and display name; bounded, escaped).
    pub principal: Option<String>,
    /// Keeps a sent write registered as in flight until its audit line is written.
    pub in_flight: Option<InFlightGuard>,
    /// HTTP status of the last Klarna answer.
    pub http_status: Option<u16>,
    /// Klarna correlation id of the last answer.
    pub correlation_id: Option<String>,
    notice: Option<&'static str>,
}

impl ToolCall {
    /// Starts timing a call of `tool` with `budget` to finish; `notice` prefixes every text
    /// (demo mode).
    pub fn start(tool: &'static str, notice: Option<&'static str>, budget: Duration) -> Self {
        let started = Instant::now();
        Self {
            tool,
            started,
            limits: Limits {
                deadline: started + budget,
                cancelled: CancellationToken::new(),
            },
            budget,
            host: None,
            order_id: None,
            amount: None,
            key: None,
            key_sent: false,
            key_from_caller: false,
            confirmed: None,
            client: None,
            principal: None,
            in_flight: None,
            http_status: None,
            correlation_id: None,
            notice,
        }
    }

    /// The tool's name.
    pub fn tool(&self) -> &'static str {
        self.tool
    }

    /// Refuses to go on once the client has cancelled the call: checked right before a write
    /// is sent, so a call the client gave up on never moves money afterwards.
    pub fn ensure_not_cancelled(&self) -> Result<(), ToolError> {
        if self.limits.cancelled.is_cancelled() {
            Err(ToolError::Refused(
                "The client cancelled this call before the write was sent.".into(),
            ))
        } else {
            Ok(())
        }
    }

    /// Starts the time budget again, after the human confirmed: their thinking time must not
    /// leave the write itself without time.
    pub fn restart_budget(&mut self) {
        self.limits.deadline = Instant::now() + self.budget;
    }

    /// Notes the facts of a Klarna answer.
    pub fn saw(&mut self, status: u16, correlation_id: Option<&str>) {
        self.http_status = Some(status);
        if let Some(id) = correlation_id {
            self.correlation_id = Some(id.to_string());
        }
    }

    /// Ends the call: writes the audit line and builds the MCP result.
    pub fn finish(mut self, result: Result<Success, ToolError>) -> CallToolResponse {
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        if let Err(ToolError::Klarna(f)) = &result {
            self.http_status = f.error.status().or(self.http_status);
            if let Some(id) = f.error.correlation_id() {
                self.correlation_id = Some(id.to_string());
            }
        }
        crate::audit::record(&crate::audit::AuditLine {
            tool: self.tool,
            api_host: self.host.map(ApiHost::as_str),
            order_id: self.order_id.as_deref(),
            amount: self.amount,
            idempotency_key: self.key.as_deref(),
            confirmed: self.confirmed,
            principal: self.principal.as_deref(),
            outcome,
            http_status: self.http_status,
            correlation_id: self.correlation_id.as_deref(),
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        // Only now, with its audit line written, may a shutdown stop waiting for this write.
        drop(self.in_flight.take());
        match result {
            Ok(success) => {
                let text = match self.notice {
                    Some(n) => format!("{n}\n{}", success.text),
                    None => success.text,
                };
                let mut content = vec![ContentBlock::text(text)];
                content.extend(success.more);
                let mut out = CallToolResult::success(content);
                out.structured_content = Some(success.structured);
                out.into()
            }
            Err(ToolError::InputRequired(ask)) => CallToolResponse::InputRequired(*ask),
            Err(error) => {
                let key = match self.key.as_deref() {
                    Some(key) if self.key_sent => KeyShown::Sent(key),
                    Some(key) if self.key_from_caller => KeyShown::CallersUnsent(key),
                    _ => KeyShown::Nothing,
                };
                error.into_result(self.notice, &key).into()
            }
        }
    }
}

impl crate::server::KlarnaServer {
    /// Runs one read tool's call: starts its bookkeeping, runs `body`, and ends it with one
    /// audit line — the shape every tool shares, written once.
    pub(crate) async fn run(
        &self,
        tool: &'static str,
        context: &rmcp::service::RequestContext<rmcp::RoleServer>,
        body: impl AsyncFnOnce(&mut ToolCall) -> Result<Success, ToolError>,
    ) -> CallToolResponse {
        let mut call = self.start_call(tool, context);
        let result = body(&mut call).await;
        call.finish(result)
    }

    /// Runs one write tool's call as [`run`](Self::run) does, with the means to ask the human
    /// for this call (`responses` and `state` from a 2026-07-28 client's repeated call).
    pub(crate) async fn run_write(
        &self,
        tool: &'static str,
        context: &rmcp::service::RequestContext<rmcp::RoleServer>,
        responses: rmcp::handler::server::tool::InputResponses,
        state: rmcp::handler::server::tool::RequestState,
        body: impl AsyncFnOnce(&mut ToolCall, &super::confirm::Asker) -> Result<Success, ToolError>,
    ) -> CallToolResponse {
        let mut call = self.start_call(tool, context);
        let asker = super::confirm::Asker::new(context, responses, state, self.confirmations());
        let result = body(&mut call, &asker).await;
        call.finish(result)
    }
}
