//! What can be done with an order now, and what cannot and why — derived from Klarna's
//! state, so every order view (`get_order`, and `orderAfter` of every write) tells the model
//! the next step instead of leaving it to infer Klarna's rules:
//!
//! - fraud status PENDING: capture blocked until ACCEPTED — do not ship yet;
//! - fraud status REJECTED: do not ship; cancel the order;
//! - nothing captured: refund impossible, cancel possible;
//! - part captured: capture up to what remains, or release the rest;
//! - fully captured: cancel impossible, refund up to what was captured and not refunded;
//! - cancelled, expired, closed: nothing more (an expired order's captures can still be
//!   refunded).

use schemars::JsonSchema;
use serde::Serialize;

use crate::money::format_money;

/// A write that Klarna would accept now.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AllowedAction {
    /// The tool.
    pub tool: String,
    /// The largest amount it takes now (minor units); absent for cancel and release, which
    /// take no amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<i64>,
    /// One sentence: what it does here.
    pub note: String,
}

/// A write that Klarna would refuse now, and why.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BlockedAction {
    /// The tool.
    pub tool: String,
    /// Why, and what to do instead.
    pub reason: String,
}

/// The order's state, as the rules need it.
pub struct State<'a> {
    /// AUTHORIZED, PART_CAPTURED, CAPTURED, CANCELLED, EXPIRED, CLOSED.
    pub status: &'a str,
    /// ACCEPTED, PENDING, REJECTED, or absent.
    pub fraud_status: Option<&'a str>,
    /// ISO 4217.
    pub currency: &'a str,
    /// Minor units.
    pub captured: i64,
    /// Minor units.
    pub refundable: i64,
    /// Minor units.
    pub remaining: i64,
}

/// What may be done now and what not.
pub fn actions(s: &State<'_>) -> (Vec<AllowedAction>, Vec<BlockedAction>) {
    let m = |a: i64| format_money(a, s.currency);
    let mut allowed = Vec::new();
    let mut blocked = Vec::new();
    let mut allow = |tool: &str, max_amount: Option<i64>, note: String| {
        allowed.push(AllowedAction {
            tool: tool.into(),
            max_amount,
            note,
        });
    };
    let mut block = |tool: &str, reason: String| {
        blocked.push(BlockedAction {
            tool: tool.into(),
            reason,
        });
    };
    let ended = match s.status {
        "CANCELLED" => Some("the order is cancelled"),
        "EXPIRED" => Some("the authorization has expired"),
        "CLOSED" => Some("the order is closed"),
        _ => None,
    };
    let fraud = s.fraud_status.unwrap_or("ACCEPTED");

    // capture_order
    match (ended, fraud) {
        (Some(why), _) => block("capture_order", format!("{why}: nothing can be captured")),
        (None, "PENDING") => block(
            "capture_order",
            "fraud status PENDING: Klarna allows a capture only once it is ACCEPTED — do not ship yet; check again later with get_order".into(),
        ),
        (None, "REJECTED") => block(
            "capture_order",
            "fraud status REJECTED: do not ship; cancel the order (cancel_order)".into(),
        ),
        (None, _) if s.remaining <= 0 => block(
            "capture_order",
            "nothing remains authorized: the order is fully captured or the rest was released".into(),
        ),
        (None, _) => allow(
            "capture_order",
            Some(s.remaining),
            format!(
                "capture up to {} (omit amount for all of it); ship what you capture",
                m(s.remaining)
            ),
        ),
    }

    // refund_order: what was captured and not refunded, whatever happened to the rest
    if s.status == "CLOSED" {
        block("refund_order", "the order is closed".into());
    } else if s.captured <= 0 {
        block(
            "refund_order",
            "nothing has been captured, so nothing can be refunded (to drop the authorization: cancel_order)".into(),
        );
    } else if s.refundable <= 0 {
        block(
            "refund_order",
            "everything captured has already been refunded".into(),
        );
    } else {
        allow(
            "refund_order",
            Some(s.refundable),
            format!("refund up to {}", m(s.refundable)),
        );
    }

    // cancel_order: only before any capture
    match ended {
        Some(why) => block("cancel_order", format!("{why}: nothing to cancel")),
        None if s.captured > 0 => block(
            "cancel_order",
            "the order has captures: give money back with refund_order; drop the uncaptured rest with release_remaining_authorization".into(),
        ),
        None => allow(
            "cancel_order",
            None,
            format!("cancel the whole order, releasing {} authorized", m(s.remaining)),
        ),
    }

    // release_remaining_authorization: after a partial capture
    match ended {
        Some(why) => block(
            "release_remaining_authorization",
            format!("{why}: nothing to release"),
        ),
        None if s.captured <= 0 => block(
            "release_remaining_authorization",
            "nothing has been captured: to drop the whole authorization use cancel_order".into(),
        ),
        None if s.remaining <= 0 => block(
            "release_remaining_authorization",
            "nothing remains authorized".into(),
        ),
        None => allow(
            "release_remaining_authorization",
            None,
            format!(
                "give up the {} not captured (after the final partial capture)",
                m(s.remaining)
            ),
        ),
    }
    (allowed, blocked)
}

/// The two lists as short text lines.
pub fn lines(allowed: &[AllowedAction], blocked: &[BlockedAction]) -> String {
    let mut out = String::new();
    for a in allowed {
        out.push_str(&format!("\nCan: {} — {}.", a.tool, a.note));
    }
    for b in blocked {
        out.push_str(&format!("\nCannot: {} — {}.", b.tool, b.reason));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tools(state: State<'_>) -> (Vec<String>, Vec<String>) {
        let (a, b) = actions(&state);
        (
            a.into_iter().map(|a| a.tool).collect(),
            b.into_iter().map(|b| b.tool).collect(),
        )
    }

    fn state(
        status: &str,
        fraud: Option<&'static str>,
        captured: i64,
        refundable: i64,
        remaining: i64,
    ) -> State<'static> {
        State {
            status: Box::leak(status.to_string().into_boxed_str()),
            fraud_status: fraud,
            currency: "EUR",
            captured,
            refundable,
            remaining,
        }
    }

    #[test]
    fn each_state_allows_what_klarna_allows() {
        let (allowed, _) = tools(state("AUTHORIZED", Some("ACCEPTED"), 0, 0, 10500));
        assert_eq!(allowed, ["capture_order", "cancel_order"]);
        let (allowed, _) = tools(state("PART_CAPTURED", Some("ACCEPTED"), 18000, 18000, 7000));
        assert_eq!(
            allowed,
            [
                "capture_order",
                "refund_order",
                "release_remaining_authorization"
            ]
        );
        let (allowed, blocked) = tools(state("CAPTURED", Some("ACCEPTED"), 12000, 10000, 0));
        assert_eq!(allowed, ["refund_order"]);
        assert!(blocked.contains(&"cancel_order".to_string()));
        let (allowed, _) = tools(state("AUTHORIZED", Some("PENDING"), 0, 0, 8900));
        assert_eq!(allowed, ["cancel_order"]);
        for ended in ["CANCELLED", "EXPIRED", "CLOSED"] {
            let (allowed, _) = tools(state(ended, Some("ACCEPTED"), 0, 0, 0));
            assert!(allowed.is_empty(), "{ended}");
        }
        let (allowed, _) = tools(state("EXPIRED", Some("ACCEPTED"), 5000, 5000, 0));
        assert_eq!(allowed, ["refund_order"], "captured money stays refundable");
    }

    #[test]
    fn fraud_pending_and_rejected_say_do_not_ship() {
        let (_, blocked) = actions(&state("AUTHORIZED", Some("PENDING"), 0, 0, 8900));
        assert!(blocked[0].reason.contains("do not ship yet"));
        let (_, blocked) = actions(&state("AUTHORIZED", Some("REJECTED"), 0, 0, 8900));
        assert!(blocked[0].reason.contains("do not ship") && blocked[0].reason.contains("cancel"));
    }
}
