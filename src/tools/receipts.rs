//! What the write tools return: what was done (ids, amounts, idempotency key) and the
//! order's status and totals afterwards, so "confirm the new refunded total" needs no second
//! call. Amounts are integers in minor units of `currency`. The writes that change an order
//! without moving money share [`ChangeFacts`]; each adds what it changed.

use schemars::JsonSchema;
use serde::Serialize;

use super::output::OrderTotals;
use crate::money::format_money;

/// The order as read right after the write.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct After {
    /// Status and totals after the write; absent if the read failed (the write itself succeeded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_after: Option<OrderTotals>,
    /// Why `orderAfter` is missing; call get_order to see the state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_after_unavailable: Option<String>,
}

impl After {
    /// Text line about the state afterwards.
    pub fn line(&self) -> String {
        match (&self.order_after, &self.order_after_unavailable) {
            (Some(t), _) => format!("Order now {}.{}", t.line(), t.next_steps()),
            (None, Some(why)) => {
                format!("The order could not be read afterwards ({why}); call get_order to see it.")
            }
            (None, None) => String::new(),
        }
    }
}

/// Facts every write result carries.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WriteFacts {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Klarna order id.
    pub order_id: String,
    /// Host the write went to.
    pub api_host: String,
    /// The `Klarna-Idempotency-Key` sent. Repeating this same call with it never applies it
    /// twice (Klarna answers with this result); a different operation needs a new key.
    pub idempotency_key: String,
    /// ISO 4217 currency of the amounts.
    pub currency: String,
    /// True when Klarna answered with the result of an earlier call with this idempotency
    /// key: nothing new was applied by this call.
    pub replayed: bool,
}

impl WriteFacts {
    /// The opening of a replay's text: it must not read like a new money movement.
    fn replay_opening(&self, original: &str) -> String {
        format!(
            "REPLAY — nothing new was applied by this call: Klarna answered with the result of an earlier call with \
             idempotency key {} ({original}).\n",
            self.idempotency_key
        )
    }
}

/// Result of `capture_order`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CaptureReceipt {
    /// Common facts.
    #[serde(flatten)]
    pub facts: WriteFacts,
    /// The new capture's id (UUID), for get_capture.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_id: Option<String>,
    /// Amount captured.
    pub captured_amount: i64,
    /// Reference sent with the capture (e.g. shipment id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The order afterwards.
    #[serde(flatten)]
    pub after: After,
}

impl CaptureReceipt {
    /// Human text.
    pub fn text(&self) -> String {
        let f = &self.facts;
        let money = format_money(self.captured_amount, &f.currency);
        let id = self.capture_id.as_deref().unwrap_or("(not returned)");
        let reference = self
            .reference
            .as_deref()
            .map(|r| format!(", reference {}", super::output::quoted(r)))
            .unwrap_or_default();
        let opening = if f.replayed {
            f.replay_opening(&format!("capture {id} of {money}{reference}"))
        } else {
            String::new()
        };
        format!(
            "{opening}Captured {money} on order {} at {}: capture id {id}{reference}, idempotency key {}.\n{}",
            f.order_id,
            f.api_host,
            f.idempotency_key,
            self.after.line()
        )
    }
}

/// Result of `refund_order`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RefundReceipt {
    /// Common facts.
    #[serde(flatten)]
    pub facts: WriteFacts,
    /// The new refund's id (UUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// Amount refunded.
    pub refunded_amount: i64,
    /// The order afterwards (see `orderAfter.refundedAmount` for the new refunded total).
    #[serde(flatten)]
    pub after: After,
}

impl RefundReceipt {
    /// Human text.
    pub fn text(&self) -> String {
        let f = &self.facts;
        let money = format_money(self.refunded_amount, &f.currency);
        let id = self.refund_id.as_deref().unwrap_or("(not returned)");
        let opening = if f.replayed {
            f.replay_opening(&format!("refund {id} of {money}"))
        } else {
            String::new()
        };
        format!(
            "{opening}Refunded {money} on order {} at {}: refund id {id}, idempotency key {}.\n{}",
            f.order_id,
            f.api_host,
            f.idempotency_key,
            self.after.line()
        )
    }
}

/// Result of `cancel_order` and `release_remaining_authorization`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EndAuthorizationReceipt {
    /// Common facts.
    #[serde(flatten)]
    pub facts: WriteFacts,
    /// Authorized amount that was still open before and is now released (minor units).
    pub released_amount: i64,
    /// The order afterwards.
    #[serde(flatten)]
    pub after: After,
}

impl EndAuthorizationReceipt {
    /// Human text; `what` is "Cancelled" or "Released the remaining authorization of".
    pub fn text(&self, what: &str) -> String {
        let f = &self.facts;
        let opening = if f.replayed {
            f.replay_opening("the order was already ended by it")
        } else {
            String::new()
        };
        format!(
            "{opening}{what} order {} at {}: {} of authorization released, idempotency key {}.\n{}",
            f.order_id,
            f.api_host,
            format_money(self.released_amount, &f.currency),
            f.idempotency_key,
            self.after.line()
        )
    }
}

/// Facts every result of a write that changes an order without moving money carries.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ChangeFacts {
    /// Common facts.
    #[serde(flatten)]
    pub facts: WriteFacts,
    /// The capture it acted on, when it acted on one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_id: Option<String>,
    /// True when this call repeated an idempotency key this server had already sent for the
    /// same write: Klarna applies a key at most once, so the change was made once — by this
    /// call or the earlier one (Klarna's answer does not say which).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeated_key: bool,
}

impl ChangeFacts {
    /// The facts of `written`, which acted on `capture_id` when it acted on a capture.
    pub(crate) fn of(written: &super::write::Written, capture_id: Option<String>) -> Self {
        Self {
            facts: written.facts.clone(),
            capture_id,
            repeated_key: written.repeated_key,
        }
    }

    /// The text of a change: `done` (a sentence without its full stop, e.g. "Added 1 shipment
    /// to capture … of order … at …"), the key, and the order afterwards.
    pub fn text(&self, done: &str, after: &After) -> String {
        let f = &self.facts;
        let opening = if self.repeated_key {
            format!(
                "REPEATED KEY — idempotency key {} was sent before for this same write. Klarna applies a key at most \
                 once, so this change was made once: by this call or the earlier one.\n",
                f.idempotency_key
            )
        } else {
            String::new()
        };
        format!(
            "{opening}{done}; idempotency key {}.\n{}",
            f.idempotency_key,
            after.line()
        )
    }
}
