//! MCP prompts for the three tasks merchants ask for most. Each produces one user message
//! that names the tools to call, in order, and what to report — precise enough that a model
//! following it literally does the task.

use rmcp::{
    ErrorData as McpError,
    handler::server::wrapper::Parameters,
    model::{GetPromptResult, PromptMessage, Role},
    prompt, prompt_router,
};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::{host::ApiHost, money::MAX_AMOUNT, server::KlarnaServer, tools::args::check_uuid};

/// Arguments of `summarize_order`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummarizeOrderArgs {
    /// Klarna order id (UUID).
    pub order_id: String,
    /// Klarna host (e.g. api.klarna.com, api-na.playground.klarna.com); omit for the server's default.
    #[serde(default)]
    pub api_host: Option<String>,
}

/// Arguments of `capture_remaining`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptureRemainingArgs {
    /// Klarna order id (UUID).
    pub order_id: String,
    /// Shipment reference (tracking or delivery id) to record as the capture's reference.
    pub shipment_reference: String,
    /// Klarna host; omit for the server's default.
    #[serde(default)]
    pub api_host: Option<String>,
}

/// Arguments of `partial_refund`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartialRefundArgs {
    /// Klarna order id (UUID).
    pub order_id: String,
    /// Amount to refund in minor units, as digits (2500 = 25.00 EUR).
    pub amount: String,
    /// Currency the amount is meant in (ISO 4217, e.g. EUR); the refund is refused if the order's currency differs. Omit if the user named none.
    #[serde(default)]
    pub currency: Option<String>,
    /// Reason, shown to the customer as the refund description.
    #[serde(default)]
    pub reason: Option<String>,
    /// Klarna host; omit for the server's default.
    #[serde(default)]
    pub api_host: Option<String>,
}

/// The tools each prompt tells the model to call: a prompt is offered only where all of them
/// are served, and to a reader only when none of them writes.
pub(crate) fn tools_of(prompt: &str) -> &'static [&'static str] {
    match prompt {
        "summarize_order" => &["get_order"],
        "capture_remaining" => &["get_order", "capture_order"],
        "partial_refund" => &["get_order", "refund_order"],
        // A prompt this table does not know is offered to nobody.
        _ => &["(unknown prompt)"],
    }
}

fn bad(message: String) -> McpError {
    McpError::invalid_params(message, None)
}

/// Validates the arguments every prompt shares and renders the `apiHost` clause.
fn common(order_id: &str, api_host: Option<&str>) -> Result<String, McpError> {
    check_uuid("orderId", order_id).map_err(|e| bad(e.message()))?;
    match api_host.map(str::trim).filter(|h| !h.is_empty()) {
        None => Ok(String::new()),
        Some(h) => {
            let host = ApiHost::parse(h).map_err(|e| bad(e.to_string()))?;
            Ok(format!(", apiHost \"{host}\""))
        }
    }
}

fn user(text: String, description: String) -> GetPromptResult {
    GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
        .with_description(description)
}

#[prompt_router(vis = "pub(crate)")]
impl KlarnaServer {
    /// Look up a Klarna order and summarise its status and money: authorized, captured, refunded, remaining.
    #[prompt(name = "summarize_order", title = "Summarize a Klarna order")]
    async fn summarize_order(
        &self,
        Parameters(a): Parameters<SummarizeOrderArgs>,
    ) -> Result<GetPromptResult, McpError> {
        let host = common(&a.order_id, a.api_host.as_deref())?;
        Ok(user(
            format!(
                "Summarize Klarna order {id}.\n\
                 1. Call the tool get_order with orderId \"{id}\"{host}. Call no other tool.\n\
                 2. Report, from its result: the status and fraud status; the authorized amount (orderAmount), \
                 capturedAmount, refundedAmount and remainingAuthorizedAmount, each as money with its currency \
                 (amounts are minor units: 10500 with currency EUR is 105.00 EUR); and each capture and refund with \
                 its id and amount.\n\
                 3. End with one sentence on what can still be done: capture (if remainingAuthorizedAmount > 0 and \
                 fraud status ACCEPTED), refund (up to refundableAmount), or nothing.\n\
                 If get_order fails, report its error message as it is.",
                id = a.order_id
            ),
            format!("Summary of Klarna order {}", a.order_id),
        ))
    }

    /// Capture everything still authorized on an order, with the shipment reference, and report the capture id and new totals.
    #[prompt(name = "capture_remaining", title = "Capture the remaining amount")]
    async fn capture_remaining(
        &self,
        Parameters(a): Parameters<CaptureRemainingArgs>,
    ) -> Result<GetPromptResult, McpError> {
        let host = common(&a.order_id, a.api_host.as_deref())?;
        let reference = a.shipment_reference.trim();
        if reference.is_empty() || reference.chars().count() > 255 {
            return Err(bad("shipmentReference must be 1-255 characters".into()));
        }
        let reference_json = serde_json::to_string(reference).map_err(|e| bad(e.to_string()))?;
        Ok(user(
            format!(
                "Capture the full remaining authorized amount of Klarna order {id} for shipment {reference_json}.\n\
                 1. Call get_order with orderId \"{id}\"{host}. If remainingAuthorizedAmount is 0, the status is not \
                 AUTHORIZED or PART_CAPTURED, or the fraud status is not ACCEPTED, stop and report why; capture nothing.\n\
                 2. Call capture_order with orderId \"{id}\", reference {reference_json}{host}, currency set to the \
                 order's currency from get_order, an idempotencyKey you choose now for this shipment (e.g. \"ship-\" \
                 followed by the shipment reference's letters and digits), and no amount (leaving amount out captures \
                 exactly the remaining authorized amount). Call it once.\n\
                 3. Report the captureId, the captured amount with its currency, the idempotencyKey, and the order's \
                 status and totals afterwards (orderAfter: capturedAmount, refundedAmount, remainingAuthorizedAmount).\n\
                 If capture_order reports OUTCOME UNKNOWN, call capture_order again with exactly the same arguments, \
                 the same idempotencyKey and the amount it names (never a new key), or check with get_order. If it \
                 fails otherwise, report the error and its suggested next step; do not try other amounts.",
                id = a.order_id
            ),
            format!("Capture the remainder of Klarna order {}", a.order_id),
        ))
    }

    /// Refund part of a captured order and confirm the new refunded total.
    #[prompt(name = "partial_refund", title = "Refund part of an order")]
    async fn partial_refund(
        &self,
        Parameters(a): Parameters<PartialRefundArgs>,
    ) -> Result<GetPromptResult, McpError> {
        let host = common(&a.order_id, a.api_host.as_deref())?;
        let amount: i64 = a.amount.trim().parse().ok().filter(|n| (1..=MAX_AMOUNT).contains(n)).ok_or_else(|| {
            bad(format!(
                "amount must be a whole number of minor units from 1 to {MAX_AMOUNT} (2500 = 25.00 EUR), got {:?}",
                a.amount
            ))
        })?;
        let currency = match a
            .currency
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => String::new(),
            Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
                format!(", currency \"{}\"", c.to_ascii_uppercase())
            }
            Some(c) => {
                return Err(bad(format!(
                    "currency must be an ISO 4217 code such as EUR, got {c:?}"
                )));
            }
        };
        let description = match a.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => format!(
                ", description {}",
                serde_json::to_string(r).map_err(|e| bad(e.to_string()))?
            ),
            None => String::new(),
        };
        Ok(user(
            format!(
                "Refund {amount} minor units on Klarna order {id} and confirm the new refunded total.\n\
                 1. Call refund_order with orderId \"{id}\", amount {amount}{currency}{description}{host}, and an \
                 idempotencyKey you choose now for this refund (e.g. \"refund-{amount}-\" plus the reason or return number). \
                 Call it once.\n\
                 2. From its result, report the refundId, the refunded amount with its currency (minor units: 2500 \
                 with EUR is 25.00 EUR), the idempotencyKey, and the new refunded total: orderAfter.refundedAmount, \
                 with orderAfter.capturedAmount for comparison. If orderAfter is missing, call get_order with \
                 orderId \"{id}\"{host} and report refundedAmount from it.\n\
                 If refund_order reports OUTCOME UNKNOWN, call it again with exactly the same arguments and the same \
                 idempotencyKey (never a new key). If it is refused (a currency mismatch, more than is refundable, \
                 nothing captured), report the error and its suggested next step; do not change the amount or the \
                 currency on your own.",
                id = a.order_id
            ),
            format!("Refund {amount} on Klarna order {}", a.order_id),
        ))
    }
}
