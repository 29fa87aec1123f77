//! `reconcile_settlements` (and `klarna-mcp journal settlements`): this server's captures and
//! refunds of a period or an order, lined up with Klarna's settlement transactions — settled
//! (in which payout), pending settlement, what Klarna shows that this server did not do, and
//! Klarna's own entries, with totals per currency (`reconciliation.rs`). Read-only: it reads
//! this server's journal and Klarna's Settlements API.

use std::time::Duration;

use rmcp::{
    RoleServer,
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    args::{Bound, parse_date},
    reconciliation::{self, Reconciliation, Scope},
};
use crate::{
    config::Config,
    host::{ALL_HOSTS, ApiHost},
    journal::{self, Journal},
    klarna::{KlarnaClient, Limits},
    server::KlarnaServer,
    tools::{
        args::{self, Validate, uuid_schema},
        call::{Success, ToolCall},
        errors::ToolError,
        input_schema, output_schema,
    },
};

/// Orders one tool call reads at most (a few requests each, a few at a time, within the
/// call's time budget).
pub const MAX_ORDERS_PER_CALL: usize = 50;
/// Orders the command reads at most.
pub const MAX_ORDERS_PER_COMMAND: usize = 1000;
/// How far back a reconciliation looks when neither a start nor an order is given.
pub const DEFAULT_DAYS: i64 = 30;

/// Arguments of `reconcile_settlements`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReconcileSettlementsParams {
    /// Only this server's captures and refunds recorded at or after this time: RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01, from 00:00 UTC). Omit for the last 30 days — or, with orderId, for all time.
    #[serde(default)]
    #[schemars(schema_with = "since_schema")]
    pub since: Option<String>,
    /// Only those recorded at or before this time: RFC 3339 or a date (2026-11-30, up to 23:59:59 UTC). Omit for up to now.
    #[serde(default)]
    #[schemars(schema_with = "until_schema")]
    pub until: Option<String>,
    /// Only this Klarna order (its UUID, not the merchant's order number). Omit for every order this server captured or refunded in the period (at most 50, the most recent).
    #[serde(default)]
    #[schemars(schema_with = "order_schema")]
    pub order_id: Option<String>,
    /// Only operations made on this Klarna host (each is checked on the host it was made on). Omit for every host.
    #[serde(default)]
    #[schemars(schema_with = "host_filter_schema")]
    pub api_host: Option<String>,
}

fn since_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "string", "minLength": 10, "maxLength": 40 })
}

fn until_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    since_schema(g)
}

fn order_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
    uuid_schema(g)
}

fn host_filter_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let hosts: Vec<&str> = ALL_HOSTS.map(|h| h.as_str()).to_vec();
    schemars::json_schema!({ "type": "string", "enum": hosts })
}

/// The scope a reconciliation covers, from its arguments (the tool's or the command's):
/// `since` (default: [`DEFAULT_DAYS`] ago, unless an order is named), `until`, an order, a
/// host. Errors name the argument as `field` shows it.
pub fn scope(
    since: Option<&str>,
    until: Option<&str>,
    order_id: Option<&str>,
    api_host: Option<&str>,
    field: impl Fn(&str) -> String,
) -> Result<Scope, ToolError> {
    let since = match since {
        Some(s) => Some(parse_date(&field("since"), s, Bound::Start)?),
        None if order_id.is_none() => {
            Some(OffsetDateTime::now_utc() - time::Duration::days(DEFAULT_DAYS))
        }
        None => None,
    };
    let until = until
        .map(|u| parse_date(&field("until"), u, Bound::End))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s > u
    {
        return Err(ToolError::invalid(
            field("since"),
            "it is after until",
            "give the earlier time as since",
        ));
    }
    if let Some(id) = order_id {
        args::check_uuid(&field("orderId"), id)?;
    }
    let host = api_host
        .map(|h| {
            ApiHost::parse(h).map_err(|e| {
                ToolError::invalid(
                    field("apiHost"),
                    e.to_string(),
                    "use one of the six Klarna hosts, or leave it out",
                )
            })
        })
        .transpose()?;
    Ok(Scope {
        since: since.map(journal::format_time),
        until: until.map(journal::format_time),
        order_id: order_id.map(str::to_ascii_lowercase),
        host,
    })
}

impl ReconcileSettlementsParams {
    fn scope(&self) -> Result<Scope, ToolError> {
        scope(
            self.since.as_deref(),
            self.until.as_deref(),
            self.order_id.as_deref(),
            self.api_host.as_deref(),
            str::to_string,
        )
    }
}

impl Validate for ReconcileSettlementsParams {
    fn validate(&self) -> Result<(), ToolError> {
        self.scope().map(|_| ())
    }
}

/// Result of `reconcile_settlements`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ReconciliationResult {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The reconciliation.
    #[serde(flatten)]
    pub reconciliation: Reconciliation,
}

#[tool_router(router = reconcile_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "reconcile_settlements",
        title = "Reconcile with Klarna settlements",
        description = "Line up the captures and refunds this server made (its operation journal) with Klarna's settlement transactions, for a period (since/until, default the last 30 days) or one order: which were paid out and in which payout (settled), which are not paid out yet (pending settlement), which captures and refunds Klarna shows on those orders that this server did not make (Merchant Portal, other systems), and Klarna's own fees and holdbacks on them — each group with totals per currency (minor units). Reads at most 50 orders per call and says which it could not read. Use it for \"did we get paid for what we captured?\". Read-only.",
        input_schema = input_schema::<ReconcileSettlementsParams>(),
        output_schema = output_schema::<ReconciliationResult>(),
        annotations(title = "Reconcile with Klarna settlements", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn reconcile_settlements(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("reconcile_settlements", &context, async |call| {
            self.reconcile_inner(call, arguments).await
        })
        .await
    }
}

impl KlarnaServer {
    async fn reconcile_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: ReconcileSettlementsParams = args::parse(arguments)?;
        p.validate()?;
        let scope = p.scope()?;
        call.order_id = scope.order_id.clone();
        call.host = scope.host;
        let journal = self.journal().await.map_err(|e| {
            ToolError::Refused(format!(
                "Not done: {}.",
                crate::tools::errors::journal_unavailable(&e)
            ))
        })?;
        let reconciliation = reconciliation::run(
            self.client(),
            &self.config().hosts,
            &journal,
            &scope,
            MAX_ORDERS_PER_CALL,
            &call.limits,
        )
        .await
        .map_err(|e| {
            ToolError::Refused(format!(
                "Not done: {}.",
                crate::tools::errors::journal_unavailable(&e)
            ))
        })?;
        let text = reconciliation.text();
        let result = ReconciliationResult {
            notice: self.notice().map(str::to_string),
            reconciliation,
        };
        Success::new(&result, text)
    }
}

/// `klarna-mcp journal settlements`: the same reconciliation from the command line.
#[derive(Debug, Clone, clap::Args)]
pub struct SettlementsArgs {
    /// Only captures and refunds recorded at or after this time (RFC 3339, or a date such as
    /// 2026-11-01). Default: the last 30 days (all time with --order).
    #[arg(long)]
    pub since: Option<String>,
    /// Only those recorded at or before this time (RFC 3339, or a date: up to its end).
    #[arg(long)]
    pub until: Option<String>,
    /// Only this Klarna order id.
    #[arg(long)]
    pub order: Option<String>,
    /// Only operations made on this Klarna host (e.g. api-na.klarna.com).
    #[arg(long = "api-host")]
    pub api_host: Option<String>,
    /// The reconciliation as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What the command prints, and whether every order in scope was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// The text or JSON to print on stdout.
    pub output: String,
    /// False when some order could not be read: the command then exits 1.
    pub complete: bool,
}

/// Runs `klarna-mcp journal settlements` with the server's configuration (credentials,
/// hosts, base URL) over `journal`; `Err` is a message for stderr (bad arguments, a journal
/// that cannot be read).
pub async fn command(
    config: &Config,
    journal: &Journal,
    args: &SettlementsArgs,
) -> Result<CommandOutput, String> {
    let flag = |name: &str| {
        match name {
            "orderId" => "--order",
            "apiHost" => "--api-host",
            "until" => "--until",
            _ => "--since",
        }
        .to_string()
    };
    let scope = scope(
        args.since.as_deref(),
        args.until.as_deref(),
        args.order.as_deref(),
        args.api_host.as_deref(),
        flag,
    )
    .map_err(|e| e.message())?;
    let client = KlarnaClient::new(config.client.clone())
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    // A person waits for the command longer than a model waits for a tool call.
    let limits = Limits::within(config.client.retry.budget.max(Duration::from_secs(300)));
    let reconciliation = reconciliation::run(
        &client,
        &config.hosts,
        journal,
        &scope,
        MAX_ORDERS_PER_COMMAND,
        &limits,
    )
    .await
    .map_err(|e| e.to_string())?;
    let output = if args.json {
        serde_json::to_string(&reconciliation).map_err(|e| e.to_string())? + "\n"
    } else {
        reconciliation.text() + "\n"
    };
    Ok(CommandOutput {
        output,
        complete: reconciliation.complete,
    })
}
