//! A new order total: `update_order_amount`.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#operation/updateAuthorization>

use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    klarna::{
        CallError, json_body,
        types::{AuthorizationUpdateRequest, OrderLine},
    },
    money::format_money,
    server::KlarnaServer,
    tools::{
        args::{
            self, Validate, amount_schema, api_host_schema, change_key_schema, currency_schema,
            text_schema, uuid_schema,
        },
        call::{Success, ToolCall},
        confirm::Asker,
        errors::ToolError,
        input_schema,
        lines::{self, OrderLineArg, lines_schema},
        output_schema,
        receipts::{After, ChangeFacts},
        write::{WriteBody, WriteRequest, kind},
    },
};

/// Arguments of `update_order_amount`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateOrderAmountParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// The order's new total (not the difference), as a whole number of minor units of the order's currency — 10500 = 105.00 (EUR, USD, GBP, SEK, NOK, DKK, AUD, …). Required. At least what was already captured. Above the current total it is an increase, which Klarna decides on anew and this server caps (KLARNA_MAX_ORDER_INCREASE_AMOUNT).
    #[schemars(schema_with = "amount_schema")]
    pub new_order_amount: i64,
    /// ISO 4217 code of the currency the amount is meant in (e.g. EUR), as the user stated it. If it differs from the order's currency the change is refused before anything is sent. Omit only when nobody named a currency.
    #[serde(default)]
    #[schemars(schema_with = "currency_schema")]
    pub currency: Option<String>,
    /// Why the total changed, e.g. "item out of stock" (at most 255 characters).
    #[serde(default)]
    #[schemars(schema_with = "text_schema")]
    pub description: Option<String>,
    /// ALL the order's lines after the change (not only the changed ones): Klarna replaces the order's lines with these, and their totalAmounts must add up to newOrderAmount. Omit them and Klarna REMOVES the order's lines (the order keeps only its new total).
    #[serde(default)]
    #[schemars(schema_with = "lines_schema")]
    pub order_lines: Option<Vec<OrderLineArg>>,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "change_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for UpdateOrderAmountParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_amount("newOrderAmount", self.new_order_amount)?;
        args::check_currency(self.currency.as_deref())?;
        args::check_text("description", self.description.as_deref(), args::MAX_TEXT)?;
        lines::check_lines(self.order_lines.as_deref())?;
        lines::check_lines_total(
            self.order_lines.as_deref(),
            Some(self.new_order_amount),
            "new order total",
        )?;
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

/// A new total and lines.
struct AmountBody {
    description: Option<String>,
    order_lines: Option<Vec<OrderLine>>,
}

impl WriteBody for AmountBody {
    fn json(&self, amount: i64) -> Result<Option<Vec<u8>>, CallError> {
        json_body(&AuthorizationUpdateRequest {
            order_amount: amount,
            description: self.description.clone(),
            order_lines: self.order_lines.clone(),
        })
        .map(Some)
    }

    fn detail(&self) -> Option<String> {
        Some(lines_fate(self.order_lines.as_deref()))
    }
}

/// What becomes of the order's lines.
fn lines_fate(lines: Option<&[OrderLine]>) -> String {
    match lines.map(<[OrderLine]>::len) {
        None => "the order's lines are removed: none were given".into(),
        Some(1) => "the order's lines are replaced by the 1 given".into(),
        Some(n) => format!("the order's lines are replaced by the {n} given"),
    }
}

/// Result of `update_order_amount`. Amounts in minor units of `currency`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderAmountReceipt {
    /// Common facts.
    #[serde(flatten)]
    pub change: ChangeFacts,
    /// The order total before this call, as Klarna showed it.
    pub previous_order_amount: i64,
    /// The new order total sent.
    pub new_order_amount: i64,
    /// How many order lines were sent, which the order now has (0: none, so Klarna removed
    /// the order's lines).
    pub order_lines_sent: usize,
    /// The order afterwards.
    #[serde(flatten)]
    pub after: After,
}

#[tool_router(router = order_amount_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "update_order_amount",
        title = "Change Klarna order total",
        description = "Set a new total (and lines) for a Klarna order not yet fully captured, e.g. when an item is out of stock or the customer adds one before shipping. A decrease frees that much of the customer's authorization; an increase asks Klarna to authorize more of the customer's money — a new risk decision Klarna may decline, possible only for some payment methods (invoice, account, direct debit; not cards), and capped by this server (KLARNA_MAX_ORDER_INCREASE_AMOUNT). The order's lines are replaced by those given, or removed when none are. Klarna refuses a total below what was captured, and fully captured, cancelled, expired or closed orders. Returns the totals before and after and the idempotency key.",
        input_schema = input_schema::<UpdateOrderAmountParams>(),
        output_schema = output_schema::<OrderAmountReceipt>(),
        annotations(title = "Change Klarna order total", read_only_hint = false, destructive_hint = true, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn update_order_amount(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "update_order_amount",
            &context,
            responses,
            state,
            async |call, asker| self.update_amount_inner(call, arguments, asker).await,
        )
        .await
    }
}

impl KlarnaServer {
    async fn update_amount_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: UpdateOrderAmountParams = args::parse(arguments)?;
        p.validate()?;
        let order_lines: Option<Vec<OrderLine>> = p
            .order_lines
            .map(|lines| lines.iter().map(OrderLineArg::to_wire).collect());
        let sent_lines = order_lines.as_ref().map_or(0, Vec::len);
        let request = WriteRequest {
            kind: &kind::UPDATE_AMOUNT,
            order_id: p.order_id,
            target_id: None,
            api_host: p.api_host,
            amount: Some(p.new_order_amount),
            currency: args::check_currency(p.currency.as_deref())?,
            idempotency_key: p.idempotency_key,
            body: Box::new(AmountBody {
                description: p.description,
                order_lines,
            }),
        };
        let written = self.write(call, request, asker).await?;
        let f = &written.facts;
        let previous = written.before.order_amount.unwrap_or(0);
        let m = |v| format_money(v, &f.currency);
        let change = match written.amount.cmp(&previous) {
            std::cmp::Ordering::Greater => format!(
                "an increase of {}, which Klarna authorized",
                m(written.amount - previous)
            ),
            std::cmp::Ordering::Less => format!(
                "a decrease of {}, no longer authorized",
                m(previous - written.amount)
            ),
            std::cmp::Ordering::Equal => "the same total".into(),
        };
        let lines = if sent_lines == 0 {
            "the order's lines were removed (none were sent)".to_string()
        } else {
            format!("the order's lines are now the {sent_lines} sent")
        };
        let done = format!(
            "Changed the total of order {} at {} from {} to {} ({change}); {lines}",
            f.order_id,
            f.api_host,
            m(previous),
            m(written.amount),
        );
        let receipt = OrderAmountReceipt {
            change: ChangeFacts::of(&written, None),
            previous_order_amount: previous,
            new_order_amount: written.amount,
            order_lines_sent: sent_lines,
            after: written.after.clone(),
        };
        let text = receipt.change.text(&done, &receipt.after);
        Success::new(&receipt, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_question_says_what_becomes_of_the_lines() {
        assert!(lines_fate(None).contains("removed"));
        assert!(lines_fate(Some(&[OrderLine::default()])).contains("the 1 given"));
    }
}
