//! Toolsets: the tools grouped by what a team does with them, as github-mcp-server groups
//! its tools. A toolset knows its tools (and through them their annotations); the default
//! ones are served unless `KLARNA_TOOLSETS` names others, `KLARNA_TOOLS` narrows further,
//! and read-only mode (or the reader role on a team server) keeps only the tools annotated
//! read-only — so no hand-kept list can disagree with the tools themselves.
//!
//! | toolset | tools | default |
//! |---|---|---|
//! | `orders` | get_order, get_capture, capture_order, refund_order, cancel_order, release_remaining_authorization, list_operations | on |
//! | `fulfilment` | list_captures, get_refund, add_shipping_info, add_order_shipping_info, resend_customer_communication, extend_authorization_time, update_merchant_references, acknowledge_order | off |
//! | `amendments` | update_order_amount, get_due_date_extension_options, extend_due_date, update_customer_details | off |
//! | `finance` | list_payouts, get_payout, get_payout_summary, list_settlement_transactions, get_payout_report, reconcile_settlements | off |

use rmcp::handler::server::router::tool::ToolRouter;

use crate::{
    config::{Config, ConfigError, invalid},
    server::KlarnaServer,
};

/// One group of tools.
pub struct Toolset {
    /// Its name in `KLARNA_TOOLSETS`.
    pub name: &'static str,
    /// What it is for, in a few words.
    pub description: &'static str,
    /// Whether it is served when `KLARNA_TOOLSETS` is unset.
    pub default_on: bool,
    /// Its tools.
    router: fn() -> ToolRouter<KlarnaServer>,
}

impl Toolset {
    /// Its tools, with their definitions and handlers.
    pub fn router(&self) -> ToolRouter<KlarnaServer> {
        (self.router)()
    }

    /// The names of its tools.
    pub fn tool_names(&self) -> Vec<String> {
        self.router()
            .list_all()
            .iter()
            .map(|t| t.name.to_string())
            .collect()
    }
}

/// Every toolset, in the order they are listed.
pub static TOOLSETS: &[Toolset] = &[
    Toolset {
        name: "orders",
        description: "look up orders and captures; capture, refund, cancel, release; the journal of this server's writes",
        default_on: true,
        router: || {
            KlarnaServer::orders_router()
                + KlarnaServer::captures_router()
                + KlarnaServer::refunds_router()
                + KlarnaServer::operations_router()
        },
    },
    Toolset {
        name: "fulfilment",
        description: "what follows a sale without moving money: list captures, look up a refund, add tracking, resend the customer's payment details, extend the authorization, update references, acknowledge a Klarna Checkout order",
        default_on: false,
        router: || {
            KlarnaServer::shipments_router()
                + KlarnaServer::fulfilment_refunds_router()
                + KlarnaServer::upkeep_router()
        },
    },
    Toolset {
        name: "amendments",
        description: "changes to what the customer pays or where the goods go: a new order total (an increase is a new risk decision), a later due date for a fee the merchant pays, the shipping address (personal data)",
        default_on: false,
        router: || {
            KlarnaServer::order_amount_router()
                + KlarnaServer::due_date_router()
                + KlarnaServer::customer_router()
        },
    },
    Toolset {
        name: "finance",
        description: "payouts, settlement transactions and payout reports from Klarna's Settlements API, and reconciling them with this server's journal; read-only",
        default_on: false,
        router: || {
            KlarnaServer::payouts_router()
                + KlarnaServer::transactions_router()
                + KlarnaServer::reports_router()
                + KlarnaServer::reconcile_router()
        },
    },
];

/// The toolset a tool belongs to.
pub fn toolset_of(tool: &str) -> Option<&'static Toolset> {
    TOOLSETS.iter().find(|t| t.router().get(tool).is_some())
}

/// Every tool of every toolset.
pub(crate) fn all_tools() -> ToolRouter<KlarnaServer> {
    TOOLSETS
        .iter()
        .fold(ToolRouter::new(), |router, set| router + set.router())
}

/// The toolsets `config` serves: those `KLARNA_TOOLSETS` names (`all` for every one), else
/// the default ones. A name that is no toolset is a configuration error.
pub(crate) fn served(config: &Config) -> Result<Vec<&'static Toolset>, ConfigError> {
    let Some(names) = &config.toolsets else {
        return Ok(TOOLSETS.iter().filter(|t| t.default_on).collect());
    };
    if names.contains("all") {
        return Ok(TOOLSETS.iter().collect());
    }
    let known: Vec<&str> = TOOLSETS.iter().map(|t| t.name).collect();
    if let Some(unknown) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(invalid(
            "KLARNA_TOOLSETS",
            &names.iter().cloned().collect::<Vec<_>>().join(","),
            format!(
                "unknown toolset `{unknown}`; valid names: {}, or all",
                known.join(", ")
            ),
        ));
    }
    Ok(TOOLSETS.iter().filter(|t| names.contains(t.name)).collect())
}
