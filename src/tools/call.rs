//! [`Call`]: one tool call's facts, gathered as it runs and written as one audit line when
//! it ends — the single exit through which every tool answers.

use std::time::Instant;

use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;

use super::errors::ToolError;
use crate::host::ApiHost;

/// A successful answer: structured content plus its human text.
pub struct Success {
    structured: serde_json::Value,
    text: String,
}

impl Success {
    /// Serializes `value` (an object) as the structured content.
    pub fn new<T: Serialize>(value: &T, text: String) -> Result<Self, ToolError> {
        let structured = serde_json::to_value(value).map_err(|e| {
            ToolError::Refused(format!(
                "Internal error: the result could not be encoded ({e})."
            ))
        })?;
        Ok(Self { structured, text })
    }
}

/// What the audit line records about one call. Never bodies, never secrets.
pub struct Call {
    tool: &'static str,
    started: Instant,
    /// Host called.
    pub host: Option<ApiHost>,
    /// Order id (after validation).
    pub order_id: Option<String>,
    /// Amount asked for or applied, minor units.
    pub amount: Option<i64>,
    /// Idempotency key of a write.
    pub key: Option<String>,
    /// HTTP status of the last Klarna answer.
    pub http_status: Option<u16>,
    /// Klarna correlation id of the last answer.
    pub correlation_id: Option<String>,
    notice: Option<&'static str>,
}

impl Call {
    /// Starts timing a call of `tool`; `notice` prefixes every text (demo mode).
    pub fn start(tool: &'static str, notice: Option<&'static str>) -> Self {
        Self {
            tool,
            started: Instant::now(),
            host: None,
            order_id: None,
            amount: None,
            key: None,
            http_status: None,
            correlation_id: None,
            notice,
        }
    }

    /// Notes the facts of a Klarna answer.
    pub fn saw(&mut self, status: u16, correlation_id: Option<&str>) {
        self.http_status = Some(status);
        if let Some(id) = correlation_id {
            self.correlation_id = Some(id.to_string());
        }
    }

    /// Ends the call: writes the audit line and builds the MCP result.
    pub fn finish(mut self, result: Result<Success, ToolError>) -> CallToolResult {
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        if let Err(ToolError::Klarna(f)) = &result {
            self.http_status = f.failed.error.status().or(self.http_status);
            if let Some(id) = f.failed.error.correlation_id() {
                self.correlation_id = Some(id.to_string());
            }
        }
        crate::audit::record(&crate::audit::AuditLine {
            tool: self.tool,
            api_host: self.host.map(ApiHost::as_str),
            order_id: self.order_id.as_deref(),
            amount: self.amount,
            idempotency_key: self.key.as_deref(),
            outcome,
            http_status: self.http_status,
            correlation_id: self.correlation_id.as_deref(),
            duration_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        match result {
            Ok(success) => {
                let text = match self.notice {
                    Some(n) => format!("{n}\n{}", success.text),
                    None => success.text,
                };
                let mut out = CallToolResult::success(vec![ContentBlock::text(text)]);
                out.structured_content = Some(success.structured);
                out
            }
            Err(error) => error.into_result(self.notice),
        }
    }
}
