//! A later payment due date for a fee: `get_due_date_extension_options`, `extend_due_date`.
//!
//! `extend_due_date` reads the options first: a number of days Klarna does not offer is
//! refused before anything is sent, and the fee the merchant pays is said in the question
//! and the result — the one Klarna offered just before the call.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#operation/getOptionsForExtendDueDate>,
//! `#operation/extendDueDate`.

use rmcp::{
    RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{CallToolResponse, JsonObject},
    service::RequestContext,
    tool, tool_router,
};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::{
    host::ApiHost,
    klarna::{
        CallError, json_body,
        types::{DueDateOptions, ExtendDueDateRequest},
    },
    money::format_money,
    server::KlarnaServer,
    tools::{
        args::{self, Validate, api_host_schema, change_key_schema, uuid_schema},
        call::{Success, ToolCall},
        confirm::Asker,
        errors::{FailedRequest, Op, ToolError},
        input_schema, output_schema,
        receipts::{After, ChangeFacts},
        write::{WriteBody, WriteRequest, kind},
    },
};

/// Most days a due date is asked to move: a year is far beyond anything Klarna offers.
const MAX_DAYS: i64 = 365;

fn days_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "integer", "minimum": 1, "maximum": MAX_DAYS })
}

/// Arguments of `get_due_date_extension_options`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DueDateOptionsParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// The capture whose payment is due (a UUID): list_captures and get_order list the order's captures.
    #[schemars(schema_with = "uuid_schema")]
    pub capture_id: String,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for DueDateOptionsParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_uuid("captureId", &self.capture_id)
    }
}

/// Arguments of `extend_due_date`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtendDueDateParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// The capture whose payment due date moves (a UUID): list_captures and get_order list the order's captures.
    #[schemars(schema_with = "uuid_schema")]
    pub capture_id: String,
    /// By how many days the due date moves: one of the numberOfDays get_due_date_extension_options offers for this capture (e.g. 7, 14 or 30). Each has its own fee, paid by the merchant.
    #[schemars(schema_with = "days_schema")]
    pub number_of_days: i64,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "change_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for ExtendDueDateParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_uuid("captureId", &self.capture_id)?;
        if !(1..=MAX_DAYS).contains(&self.number_of_days) {
            return Err(ToolError::invalid(
                "numberOfDays",
                format!("{} is out of range", self.number_of_days),
                format!(
                    "use 1 to {MAX_DAYS}: one of the numbers of days get_due_date_extension_options offers"
                ),
            ));
        }
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

/// One extension on offer. Amounts in minor units of the result's `currency`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DueDateOptionView {
    /// By how many days the due date moves (pass it to extend_due_date).
    pub number_of_days: i64,
    /// The fee the merchant pays for it, when Klarna named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_amount: Option<i64>,
}

/// Result of `get_due_date_extension_options`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DueDateOptionsView {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Klarna order id.
    pub order_id: String,
    /// The capture.
    pub capture_id: String,
    /// Host it was read from.
    pub api_host: String,
    /// ISO 4217 currency of the fees, upper case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The extensions on offer now; empty when Klarna offers none for this capture.
    pub options: Vec<DueDateOptionView>,
}

impl DueDateOptionsView {
    fn of(options: &DueDateOptions, order_id: &str, capture_id: &str, host: ApiHost) -> Self {
        Self {
            notice: None,
            order_id: order_id.to_string(),
            capture_id: capture_id.to_string(),
            api_host: host.to_string(),
            currency: options.currency.as_ref().map(|c| c.to_ascii_uppercase()),
            options: options
                .options
                .iter()
                .filter_map(|o| {
                    Some(DueDateOptionView {
                        number_of_days: o.number_of_days.filter(|d| *d > 0)?,
                        fee_amount: o.amount.filter(|a| *a >= 0),
                    })
                })
                .collect(),
        }
    }

    fn fee(&self, fee: Option<i64>) -> String {
        match (fee, &self.currency) {
            (Some(fee), Some(c)) => format_money(fee, c),
            (Some(fee), None) => format!("{fee} minor units"),
            (None, _) => "a fee Klarna did not name".into(),
        }
    }

    /// `7 days for 1.95 EUR (195), 14 days for …`.
    fn offered(&self) -> String {
        self.options
            .iter()
            .map(|o| format!("{} days for {}", o.number_of_days, self.fee(o.fee_amount)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why no option is on offer, in the words every answer uses.
const NONE_OFFERED: &str = "Klarna offers no due date extension for it now: only pay-later captures (invoice, pay in parts) \
     can be extended, once, while not fully refunded and the order is not closed";

/// Result of `extend_due_date`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DueDateReceipt {
    /// Common facts.
    #[serde(flatten)]
    pub change: ChangeFacts,
    /// By how many days the due date moved.
    pub number_of_days: i64,
    /// The fee the merchant pays for it (minor units of `feeCurrency`), as Klarna offered it
    /// just before this call; absent when Klarna named none (or the options could no longer
    /// be read on a repeat with the same key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_amount: Option<i64>,
    /// ISO 4217 currency of the fee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee_currency: Option<String>,
    /// The order afterwards.
    #[serde(flatten)]
    pub after: After,
}

/// The extension sent, with the fee it costs for the question.
struct DueDateBody {
    days: i64,
    fee: String,
}

impl WriteBody for DueDateBody {
    fn json(&self, _: i64) -> Result<Option<Vec<u8>>, CallError> {
        json_body(&ExtendDueDateRequest {
            number_of_days: self.days,
        })
        .map(Some)
    }

    fn detail(&self) -> Option<String> {
        Some(format!(
            "by {} days, for {} charged to the merchant",
            self.days, self.fee
        ))
    }
}

#[tool_router(router = due_date_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "get_due_date_extension_options",
        title = "Klarna due date extension options",
        description = "List how far the payment due date of one capture of a Klarna order can be extended, and the fee the merchant pays for each option (minor units; Klarna charges it in the settlement as a fee). Empty when Klarna offers none (not a pay-later payment, already extended, fully refunded, or closed). Read-only: costs nothing.",
        input_schema = input_schema::<DueDateOptionsParams>(),
        output_schema = output_schema::<DueDateOptionsView>(),
        annotations(title = "Klarna due date extension options", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn get_due_date_extension_options(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("get_due_date_extension_options", &context, async |call| {
            self.due_date_options_inner(call, arguments).await
        })
        .await
    }

    #[tool(
        name = "extend_due_date",
        title = "Extend Klarna payment due date",
        description = "Give the customer more time to pay one capture of a pay-later Klarna order (e.g. an invoice): the due date moves by one of the numbers of days get_due_date_extension_options offers. COSTS THE MERCHANT A FEE (that option's amount, deducted in the settlement) and cannot be undone. The options are read first: a number of days not on offer is refused before anything is sent. Klarna refuses captures that are not pay-later, already extended or fully refunded, and closed orders. Returns the fee charged, the idempotency key and the order afterwards.",
        input_schema = input_schema::<ExtendDueDateParams>(),
        output_schema = output_schema::<DueDateReceipt>(),
        annotations(title = "Extend Klarna payment due date", read_only_hint = false, destructive_hint = true, idempotent_hint = false, open_world_hint = true)
    )]
    pub(crate) async fn extend_due_date(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
    ) -> CallToolResponse {
        self.run_write(
            "extend_due_date",
            &context,
            responses,
            state,
            async |call, asker| self.extend_due_date_inner(call, arguments, asker).await,
        )
        .await
    }
}

impl KlarnaServer {
    /// Reads the due-date options of a capture.
    async fn read_due_date_options(
        &self,
        call: &mut ToolCall,
        host: ApiHost,
        order_id: &str,
        capture_id: &str,
        why: &str,
    ) -> Result<DueDateOptionsView, ToolError> {
        let reply = self
            .client()
            .orders()
            .due_date_options(host, order_id, capture_id, &call.limits)
            .await
            .map_err(|failed| {
                ToolError::Klarna(Box::new(FailedRequest::read(
                    format!(
                        "{why} the due date extension options of capture {capture_id} of order {order_id} at {host}"
                    ),
                    Op::GetCapture,
                    host,
                    failed,
                )))
            })?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        Ok(DueDateOptionsView::of(
            &reply.value,
            order_id,
            capture_id,
            host,
        ))
    }

    async fn due_date_options_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: DueDateOptionsParams = args::parse(arguments)?;
        p.validate()?;
        call.order_id = Some(p.order_id.clone());
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let mut view = self
            .read_due_date_options(call, host, &p.order_id, &p.capture_id, "Reading")
            .await?;
        view.notice = self.notice().map(str::to_string);
        let on = format!("Capture {} of order {} at {host}", p.capture_id, p.order_id);
        let text = if view.options.is_empty() {
            format!("{on}: {NONE_OFFERED}.")
        } else {
            format!(
                "{on}: its payment due date can be extended by {}. The merchant pays the fee (Klarna deducts it in the \
                 settlement). To extend: extend_due_date with one of these numberOfDays.",
                view.offered()
            )
        };
        Success::new(&view, text)
    }

    async fn extend_due_date_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
        asker: &Asker,
    ) -> Result<Success, ToolError> {
        let p: ExtendDueDateParams = args::parse(arguments)?;
        p.validate()?;
        call.order_id = Some(p.order_id.clone());
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let options = self
            .read_due_date_options(
                call,
                host,
                &p.order_id,
                &p.capture_id,
                "Extending the due date: reading",
            )
            .await?;
        let chosen = options
            .options
            .iter()
            .find(|o| o.number_of_days == p.number_of_days)
            .cloned();
        if chosen.is_none()
            && !self
                .repeats_known_key(call, p.idempotency_key.as_deref())
                .await
        {
            let on = format!("capture {} of order {} at {host}", p.capture_id, p.order_id);
            return Err(ToolError::Refused(if options.options.is_empty() {
                format!("Refused ({on}): {NONE_OFFERED}.")
            } else {
                format!(
                    "Refused ({on}): Klarna does not offer {} days; it offers {}. Pass one of these numberOfDays (the \
                     merchant pays that option's fee).",
                    p.number_of_days,
                    options.offered()
                )
            }));
        }
        // A repeat of a known key goes through whatever is offered now (the first attempt may
        // be why nothing is): Klarna answers it with the first result.
        let fee_amount = chosen.and_then(|o| o.fee_amount);
        let body = DueDateBody {
            days: p.number_of_days,
            fee: match fee_amount {
                Some(_) => format!("a fee of {}", options.fee(fee_amount)),
                None => options.fee(None),
            },
        };
        let request = WriteRequest::change(
            &kind::EXTEND_DUE_DATE,
            p.order_id,
            Some(p.capture_id.clone()),
            p.api_host,
            p.idempotency_key,
            Box::new(body),
        );
        let written = self.write(call, request, asker).await?;
        let f = &written.facts;
        let fee = match fee_amount {
            Some(_) => format!(
                "Klarna charges the merchant a fee of {} for it (as offered just before this call; deducted in the settlement)",
                options.fee(fee_amount)
            ),
            None => "the fee Klarna charges the merchant for it was not named in its options (see the settlement)".into(),
        };
        let done = format!(
            "Extended the payment due date of capture {} of order {} at {} by {} days; {fee}",
            p.capture_id, f.order_id, f.api_host, p.number_of_days
        );
        let receipt = DueDateReceipt {
            change: ChangeFacts::of(&written, Some(p.capture_id)),
            number_of_days: p.number_of_days,
            fee_amount,
            fee_currency: fee_amount.and(options.currency.clone()),
            after: written.after.clone(),
        };
        let text = receipt.change.text(&done, &receipt.after);
        Success::new(&receipt, text)
    }

    /// Whether the caller repeats an idempotency key the journal already holds for a write
    /// that may have been applied (a journal that cannot be read says no).
    async fn repeats_known_key(&self, call: &ToolCall, key: Option<&str>) -> bool {
        let Some(key) = key else { return false };
        match self.journal().await {
            Ok(journal) => {
                self.is_repeat_of_known_key(&journal, key, call.limits.deadline)
                    .await
            }
            Err(_) => false,
        }
    }
}
