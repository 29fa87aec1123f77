//! The operation journal, read from a tool: `list_operations` — "what did we capture
//! today?", "did that refund go through?". Read-only: it reads this server's journal, never
//! Klarna, so it works in read-only mode too.

use rmcp::{
    RoleServer,
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    args::{self, Validate, uuid_schema},
    call::{Success, ToolCall},
    errors::ToolError,
    input_schema, output_schema,
};
use crate::{
    journal::{self, Operation, OperationFilter, Verdict},
    money::format_money,
    server::KlarnaServer,
    tools::write::kind::{AmountRule, Target},
};

/// Most operations one call lists.
pub const MAX_LIMIT: i64 = 200;
/// Operations listed when `limit` is left out.
pub const DEFAULT_LIMIT: i64 = 20;

/// Arguments of `list_operations`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListOperationsParams {
    /// Only operations on this Klarna order id (a UUID). Omit for every order.
    #[serde(default)]
    #[schemars(schema_with = "optional_uuid_schema")]
    pub order_id: Option<String>,
    /// Only operations started at or after this time: RFC 3339 (e.g. 2026-11-26T09:00:00Z) or a date (e.g. 2026-11-26, meaning from 00:00 UTC that day). Omit for no lower bound.
    #[serde(default)]
    #[schemars(with = "String")]
    pub since: Option<String>,
    /// Only operations whose current state is this: applied, replayed, refused, outcome_unknown, pending, declined or not_sent. Omit for all.
    #[serde(default)]
    #[schemars(schema_with = "verdict_schema")]
    pub verdict: Option<String>,
    /// Only operations of this write tool (e.g. capture_order, refund_order). Omit for every kind.
    #[serde(default)]
    #[schemars(schema_with = "tool_schema")]
    pub tool: Option<String>,
    /// Only operations this person asked for, exactly as the operations show it in `principal` (team server). Omit for everyone.
    #[serde(default)]
    pub principal: Option<String>,
    /// At most this many operations, newest first (1-200). Omit for 20.
    #[serde(default)]
    #[schemars(schema_with = "limit_schema")]
    pub limit: Option<i64>,
}

fn optional_uuid_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    uuid_schema(g)
}

fn verdict_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "enum": ["applied", "replayed", "refused", "outcome_unknown", "pending", "declined", "not_sent"]
    })
}

fn tool_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let tools: Vec<&str> = crate::tools::write::kind::ALL
        .iter()
        .map(|k| k.tool)
        .collect();
    schemars::json_schema!({ "type": "string", "enum": tools })
}

fn limit_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "integer", "minimum": 1, "maximum": MAX_LIMIT })
}

impl Validate for ListOperationsParams {
    fn validate(&self) -> Result<(), ToolError> {
        if let Some(id) = &self.order_id {
            args::check_uuid("orderId", id)?;
        }
        if let Some(since) = &self.since
            && journal::parse_since(since).is_none()
        {
            return Err(ToolError::invalid(
                "since",
                format!("{} is not a time", args::quote(since)),
                "give RFC 3339 (2026-11-26T09:00:00Z) or a date (2026-11-26)",
            ));
        }
        if let Some(v) = &self.verdict
            && Verdict::parse(v).is_none()
        {
            return Err(ToolError::invalid(
                "verdict",
                format!("{} is not a state", args::quote(v)),
                "use applied, replayed, refused, outcome_unknown, pending, declined or not_sent",
            ));
        }
        if let Some(tool) = &self.tool
            && crate::tools::write::kind::by_tool(tool).is_none()
        {
            let tools: Vec<&str> = crate::tools::write::kind::ALL
                .iter()
                .map(|k| k.tool)
                .collect();
            return Err(ToolError::invalid(
                "tool",
                format!("{} is not a write tool", args::quote(tool)),
                format!("use one of {}", tools.join(", ")),
            ));
        }
        if let Some(limit) = self.limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(ToolError::invalid(
                "limit",
                format!("{limit} is out of range"),
                format!("use 1 to {MAX_LIMIT}"),
            ));
        }
        Ok(())
    }
}

/// One write this server attempted, as the journal records it. Amounts in minor units.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OperationView {
    /// The journal's id of the operation.
    pub op_id: String,
    /// When it was attempted (RFC 3339, UTC).
    pub recorded_at: String,
    /// When its current state was recorded.
    pub updated_at: String,
    /// The write tool that attempted it: capture_order, refund_order, cancel_order,
    /// release_remaining_authorization, or one of the opt-in fulfilment and amendment tools.
    pub tool: String,
    /// Klarna host.
    pub api_host: String,
    /// Klarna order id.
    pub order_id: String,
    /// The capture or refund the write acted on, when it acted on one inside the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// Amount moved; for cancel and release the amount that was still authorized; for
    /// update_order_amount the new order total; 0 for a write that moves no money.
    pub amount: i64,
    /// ISO 4217 currency of `amount`.
    pub currency: String,
    /// The idempotency key sent (repeat the same operation with it to be safe).
    pub idempotency_key: String,
    /// applied, replayed, refused, outcome_unknown, pending, declined or not_sent.
    pub verdict: Verdict,
    /// Capture or refund id, when Klarna created (or replayed) one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_id: Option<String>,
    /// HTTP status of Klarna's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<i64>")]
    pub http_status: Option<u16>,
    /// Klarna's error code of a refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Klarna correlation id of the answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// true: a person approved this write in the MCP client before it was sent. false: no
    /// person's approval was recorded (confirmation is off, or the write never got that far)
    /// — it says nothing about Klarna, whose answer is `verdict`.
    pub confirmed: bool,
    /// The MCP client that asked ("name version").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Who asked, on a team server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// Why it ended as it did, when the journal knows more (a guard's reason, a settlement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl OperationView {
    /// From the journal's operation.
    pub fn of(op: &Operation) -> Self {
        let o = &op.first;
        let l = &op.latest.record;
        Self {
            op_id: o.op_id.clone(),
            recorded_at: o.recorded_at.clone(),
            updated_at: l.recorded_at.clone(),
            tool: o.tool.clone(),
            api_host: o.api_host.clone(),
            order_id: o.order_id.clone(),
            target_id: o.target_id.clone(),
            amount: o.amount,
            currency: o.currency.clone(),
            idempotency_key: o.idempotency_key.clone(),
            verdict: l.verdict,
            created_id: l.created_id.clone(),
            http_status: l.http_status,
            error_code: l.error_code.clone(),
            correlation_id: l.correlation_id.clone(),
            confirmed: l.confirmed,
            client: o.client_name.as_ref().map(|name| match &o.client_version {
                Some(v) => format!("{name} {v}"),
                None => name.clone(),
            }),
            principal: o.principal.clone(),
            note: l.note.clone(),
        }
    }

    /// One line: when, what, where, how it ended.
    pub fn line(&self) -> String {
        let money = format_money(self.amount, &self.currency);
        let kind = crate::tools::write::kind::by_tool(&self.tool);
        let what = match kind {
            Some(kind) => match kind.amount {
                AmountRule::UpToRemaining | AmountRule::UpToRefundable => {
                    format!("{} of {money}", kind.label())
                }
                // Cancel and release: the amount is what was still authorized, which it ended.
                AmountRule::EndsRemaining => format!("{} ({money} authorized)", kind.label()),
                AmountRule::NewTotal => format!("{} to a total of {money}", kind.label()),
                AmountRule::Unmoved => kind.label().to_string(),
            },
            // A tool this build does not know (a newer server wrote the journal).
            None => self.tool.clone(),
        };
        let on = match (&self.target_id, kind.map(|k| k.target)) {
            (Some(target), Some(Target::Capture)) => {
                format!("capture {target} of order {}", self.order_id)
            }
            (Some(target), Some(Target::Refund)) => {
                format!("refund {target} of order {}", self.order_id)
            }
            (Some(target), _) => format!("{target} of order {}", self.order_id),
            (None, _) => format!("order {}", self.order_id),
        };
        let mut facts = vec![format!("key {}", self.idempotency_key)];
        if let Some(who) = &self.principal {
            facts.push(format!("by {who}"));
        }
        if self.confirmed {
            facts.push("approved by a person".to_string());
        }
        if let Some(id) = &self.created_id {
            facts.push(format!("id {id}"));
        }
        if let Some(code) = &self.error_code {
            facts.push(code.clone());
        }
        if let Some(note) = &self.note {
            facts.push(note.clone());
        }
        format!(
            "{} {what} on {on} at {}: {} ({})",
            self.recorded_at,
            self.api_host,
            self.verdict,
            facts.join(", ")
        )
    }
}

/// Result of `list_operations`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OperationList {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// What kind of journal answered (never its location).
    pub journal: String,
    /// The server's time now (RFC 3339, UTC). Every time in the journal is UTC.
    pub server_time: String,
    /// What the listed operations moved or ended, per kind and currency: applied ones only
    /// (replayed, refused, declined and not-sent ones moved nothing; unresolved ones are
    /// counted in `unresolved`).
    pub totals: Vec<OperationTotal>,
    /// How many of the listed operations are pending or of unknown outcome.
    pub unresolved: usize,
    /// The operations, newest first.
    pub operations: Vec<OperationView>,
}

/// The applied operations of one kind in one currency, among those listed.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OperationTotal {
    /// The write tool.
    pub tool: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// How many were applied.
    pub count: usize,
    /// Their amounts added up, in minor units (for cancel and release: what they ended; 0 for
    /// kinds that move no money, such as shipping information or a new order total).
    pub amount: i64,
}

/// Whether a kind's amounts add up to money moved or ended (capture, refund, cancel,
/// release) — not a new order total, not a change that moves nothing.
fn sums_money(kind: &crate::tools::write::kind::KindSpec) -> bool {
    matches!(
        kind.amount,
        AmountRule::UpToRemaining | AmountRule::UpToRefundable | AmountRule::EndsRemaining
    )
}

/// Totals per kind and currency of the applied operations among `operations`, in the order
/// each kind first appears. Kinds that move no money are counted, with amount 0.
pub fn totals(operations: &[OperationView]) -> Vec<OperationTotal> {
    let mut totals: Vec<OperationTotal> = Vec::new();
    for op in operations
        .iter()
        .filter(|op| op.verdict == Verdict::Applied)
    {
        let amount = if crate::tools::write::kind::by_tool(&op.tool).is_some_and(sums_money) {
            op.amount
        } else {
            0
        };
        match totals
            .iter_mut()
            .find(|t| t.tool == op.tool && t.currency == op.currency)
        {
            Some(t) => {
                t.count += 1;
                t.amount = t.amount.saturating_add(amount);
            }
            None => totals.push(OperationTotal {
                tool: op.tool.clone(),
                currency: op.currency.clone(),
                count: 1,
                amount,
            }),
        }
    }
    totals
}

/// The totals in words: "capture 2 × 45.00 EUR (4500); refund 1 × 25.00 EUR (2500)".
pub fn totals_line(totals: &[OperationTotal]) -> String {
    totals
        .iter()
        .map(|t| match crate::tools::write::kind::by_tool(&t.tool) {
            Some(kind) if sums_money(kind) => format!(
                "{} {} × {}",
                kind.label(),
                t.count,
                format_money(t.amount, &t.currency)
            ),
            Some(kind) => format!("{} × {}", kind.label(), t.count),
            None => format!("{} × {}", t.tool, t.count),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[tool_router(router = operations_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "list_operations",
        title = "List recorded operations",
        description = "List the writes this server attempted (captures, refunds, cancels, releases), from its operation journal, newest first: when, which order and host, amount (minor units) and currency, idempotency key, and how each ended (applied, replayed, refused, outcome_unknown, pending, declined, not_sent) with Klarna's ids. Use it to answer \"what did we capture today?\" or \"did that refund go through?\", and to find the key of an operation whose outcome is unknown. Reads only this server's journal, not Klarna: writes made elsewhere are not listed (get_order shows the order as Klarna has it).",
        input_schema = input_schema::<ListOperationsParams>(),
        output_schema = output_schema::<OperationList>(),
        annotations(title = "List recorded operations", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = false)
    )]
    pub(crate) async fn list_operations(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("list_operations", &context, async |call| {
            self.list_operations_inner(call, arguments).await
        })
        .await
    }
}

impl KlarnaServer {
    async fn list_operations_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: ListOperationsParams = args::parse(arguments)?;
        p.validate()?;
        call.order_id = p.order_id.clone();
        let journal = self.journal().await.map_err(|e| {
            ToolError::Refused(format!(
                "Not done: {}.",
                super::errors::journal_unavailable(&e)
            ))
        })?;
        let filter = OperationFilter {
            order_id: p.order_id.map(|id| id.to_ascii_lowercase()),
            since: p.since.as_deref().and_then(journal::parse_since),
            verdict: p.verdict.as_deref().and_then(Verdict::parse),
            idempotency_key: None,
            tool: p.tool.clone(),
            principal: p.principal.clone(),
            limit: usize::try_from(p.limit.unwrap_or(DEFAULT_LIMIT)).unwrap_or(20),
        };
        let operations: Vec<OperationView> = journal
            .operations(&filter)
            .await
            .map_err(|e| ToolError::Refused(format!("{e}.")))?
            .iter()
            .map(OperationView::of)
            .collect();
        let server_time = journal::now();
        let totals = totals(&operations);
        let unresolved = operations
            .iter()
            .filter(|op| op.verdict.is_unresolved())
            .count();
        let mut text = match operations.len() {
            0 => "No recorded operations match.".to_string(),
            1 => "1 recorded operation (newest first):".to_string(),
            n => format!("{n} recorded operations (newest first):"),
        };
        for op in &operations {
            text.push_str("\n- ");
            text.push_str(&op.line());
        }
        if !operations.is_empty() {
            text.push_str("\nApplied among these: ");
            text.push_str(&if totals.is_empty() {
                "none".to_string()
            } else {
                totals_line(&totals)
            });
            text.push('.');
            if unresolved > 0 {
                text.push_str(&format!(
                    " Unresolved (pending or outcome unknown): {unresolved} — repeat each with its idempotency key, or check the order."
                ));
            }
        }
        text.push_str(&format!(
            "\nTimes are UTC; the server's time now is {server_time}."
        ));
        let list = OperationList {
            notice: self.notice().map(str::to_string),
            journal: journal.kind(),
            server_time,
            totals,
            unresolved,
            operations,
        };
        Success::new(&list, text)
    }
}
