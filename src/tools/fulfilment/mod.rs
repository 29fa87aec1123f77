//! The `fulfilment` toolset (opt-in): what follows a sale without moving money — the
//! captures of an order and one refund looked up, tracking added to a capture or to the
//! order, the customer's payment details sent again, more time to capture, the merchant's
//! references, a Klarna Checkout order acknowledged. The writes run through the one pipeline
//! (`tools::write`) like the money writes: journal first, one idempotency key, guards by
//! kind and target, confirmation, verdict.
//!
//! | file | tools |
//! |---|---|
//! | `shipments.rs` | `list_captures`, `add_shipping_info`, `add_order_shipping_info`, `resend_customer_communication` |
//! | `refunds.rs` | `get_refund` |
//! | `upkeep.rs` | `extend_authorization_time`, `update_merchant_references`, `acknowledge_order` |
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/>

mod refunds;
mod shipments;
mod upkeep;

use schemars::JsonSchema;
use serde::Deserialize;

use super::{
    args::{self, Validate, api_host_schema, change_key_schema, uuid_schema},
    errors::ToolError,
};

/// Arguments of a write on one capture that sends nothing else
/// (`resend_customer_communication`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CaptureWriteParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    /// The capture it acts on (a UUID): capture_order returned it; list_captures and get_order list the order's captures.
    #[schemars(schema_with = "uuid_schema")]
    pub capture_id: String,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "change_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for CaptureWriteParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_uuid("captureId", &self.capture_id)?;
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}

/// Arguments of a write on the order that sends nothing else (`extend_authorization_time`,
/// `acknowledge_order`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderChangeParams {
    /// Klarna's order id: a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, as get_order or the merchant's Klarna portal shows it (not the merchant's own order number).
    #[schemars(schema_with = "uuid_schema")]
    pub order_id: String,
    // Said once for every write, in `args::key_doc`.
    #[serde(default)]
    #[schemars(schema_with = "change_key_schema")]
    pub idempotency_key: Option<String>,
    // Said once for every tool, in `api_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "api_host_schema")]
    pub api_host: Option<String>,
}

impl Validate for OrderChangeParams {
    fn validate(&self) -> Result<(), ToolError> {
        args::check_uuid("orderId", &self.order_id)?;
        args::check_idempotency_key(self.idempotency_key.as_deref())
    }
}
