//! What can be done with an order now, and what cannot and why — every order view
//! (`get_order`, and `orderAfter` of every write) tells the model the next step instead of
//! leaving it to infer Klarna's rules. Each write kind says when Klarna allows it (its
//! spec's `availability`); this module lists the kinds this server serves, and keeps every
//! hint honest: a "do this instead" is shown only when that tool is served and allowed now,
//! so a blocked action never points at another blocked one. The money writes are always
//! listed; the others only when the order calls for them (an authorization that lapses
//! within a week → `extend_authorization_time`, a capture without tracking →
//! `add_shipping_info`), and only when their toolset is served.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

use time::OffsetDateTime;

use super::write::kind::{self, Availability, Listed, OrderState, WayOn};

/// A write that Klarna would accept now.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AllowedAction {
    /// The tool.
    pub tool: String,
    /// The largest amount it takes now (minor units); absent for writes that take no amount.
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

/// The tools a server offers, which hints may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served(Option<BTreeSet<String>>);

impl Served {
    /// Every tool (for views built without a server, e.g. in tests).
    pub fn all() -> Self {
        Self(None)
    }

    /// Exactly these tools.
    pub fn only(names: impl IntoIterator<Item = String>) -> Self {
        Self(Some(names.into_iter().collect()))
    }

    /// Whether `tool` is offered.
    pub fn has(&self, tool: &str) -> bool {
        self.0.as_ref().is_none_or(|names| names.contains(tool))
    }
}

/// What may be done now and what not, for the served write tools.
pub(crate) fn actions(s: &OrderState, served: &Served) -> (Vec<AllowedAction>, Vec<BlockedAction>) {
    actions_at(s, served, OffsetDateTime::now_utc())
}

/// [`actions`] as of `now` (which decides whether an authorization lapses soon).
pub(crate) fn actions_at(
    s: &OrderState,
    served: &Served,
    now: OffsetDateTime,
) -> (Vec<AllowedAction>, Vec<BlockedAction>) {
    // Every served kind is judged (a way on may name one that is not listed), and those the
    // order calls for are listed.
    let judged: Vec<(&str, bool, Availability)> = kind::ALL
        .iter()
        .filter(|k| served.has(k.tool))
        .map(|k| {
            let listed = match k.listed {
                Listed::Always => true,
                Listed::WhenDue(due) => due(s, now),
                Listed::OnRequest => false,
            };
            (k.tool, listed, (k.availability)(s, None))
        })
        .collect();
    let is_allowed = |tool: &str| {
        judged
            .iter()
            .any(|(t, _, a)| *t == tool && matches!(a, Availability::Allowed { .. }))
    };
    let usable = |way: &WayOn| {
        way.tools.iter().all(|t| served.has(t)) && way.tools.first().is_some_and(|t| is_allowed(t))
    };
    let mut allowed = Vec::new();
    let mut blocked = Vec::new();
    for (tool, _, availability) in judged.iter().filter(|(_, listed, _)| *listed) {
        match availability {
            Availability::Allowed { max_amount, note } => allowed.push(AllowedAction {
                tool: (*tool).to_string(),
                max_amount: *max_amount,
                note: note.clone(),
            }),
            Availability::Blocked { why, instead } => {
                let ways: Vec<&str> = instead
                    .iter()
                    .filter(|w| usable(w))
                    .map(|w| w.text)
                    .collect();
                let reason = if ways.is_empty() {
                    why.clone()
                } else {
                    format!("{why}; {}", ways.join("; "))
                };
                blocked.push(BlockedAction {
                    tool: (*tool).to_string(),
                    reason,
                });
            }
        }
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

    fn state(
        status: &str,
        fraud: Option<&str>,
        captured: i64,
        refundable: i64,
        remaining: i64,
    ) -> OrderState {
        OrderState {
            status: status.into(),
            fraud_status: fraud.map(str::to_string),
            currency: "EUR".into(),
            captured,
            refundable,
            remaining,
            order_amount: captured + remaining,
            expires_at: None,
            captures: Vec::new(),
        }
    }

    fn tools(s: OrderState) -> (Vec<String>, Vec<String>) {
        let (a, b) = actions(&s, &Served::all());
        (
            a.into_iter().map(|a| a.tool).collect(),
            b.into_iter().map(|b| b.tool).collect(),
        )
    }

    fn reason(s: OrderState, served: &Served, tool: &str) -> String {
        actions(&s, served)
            .1
            .into_iter()
            .find(|b| b.tool == tool)
            .map(|b| b.reason)
            .unwrap_or_default()
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
        let all = Served::all();
        let pending = reason(
            state("AUTHORIZED", Some("PENDING"), 0, 0, 8900),
            &all,
            "capture_order",
        );
        assert!(pending.contains("do not ship yet"), "{pending}");
        let rejected = reason(
            state("AUTHORIZED", Some("REJECTED"), 0, 0, 8900),
            &all,
            "capture_order",
        );
        assert!(
            rejected.contains("do not ship") && rejected.contains("cancel_order"),
            "{rejected}"
        );
    }

    #[test]
    fn a_hint_never_points_at_a_blocked_or_unserved_tool() {
        let all = Served::all();
        // Expired, nothing captured: refund is blocked and so is cancel — no "cancel_order".
        let expired = reason(
            state("EXPIRED", Some("ACCEPTED"), 0, 0, 0),
            &all,
            "refund_order",
        );
        assert!(!expired.contains("cancel_order"), "{expired}");
        // Authorized: cancel is allowed, so the refund hint names it.
        let open = reason(
            state("AUTHORIZED", Some("ACCEPTED"), 0, 0, 5000),
            &all,
            "refund_order",
        );
        assert!(open.contains("cancel_order"), "{open}");
        // Not served: not named.
        let served = Served::only(["refund_order".to_string(), "capture_order".to_string()]);
        let narrowed = reason(
            state("AUTHORIZED", Some("ACCEPTED"), 0, 0, 5000),
            &served,
            "refund_order",
        );
        assert!(
            !narrowed.contains("cancel_order") && !narrowed.contains("release_remaining"),
            "{narrowed}"
        );
        let (allowed, blocked) =
            actions(&state("AUTHORIZED", Some("ACCEPTED"), 0, 0, 5000), &served);
        assert!(
            allowed
                .iter()
                .chain(std::iter::empty())
                .all(|a| served.has(&a.tool))
        );
        assert!(blocked.iter().all(|b| served.has(&b.tool)));
    }

    #[test]
    fn a_return_on_an_uncaptured_order_advises_capture_kept_then_release() {
        let r = reason(
            state("AUTHORIZED", Some("ACCEPTED"), 0, 0, 5000),
            &Served::all(),
            "refund_order",
        );
        assert!(
            r.contains("capture_order for what they kept, then release_remaining_authorization"),
            "{r}"
        );
    }

    fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    }

    fn named(allowed: &[AllowedAction], tool: &str) -> Option<String> {
        allowed
            .iter()
            .find(|a| a.tool == tool)
            .map(|a| a.note.clone())
    }

    #[test]
    fn an_authorization_lapsing_within_a_week_names_extend_authorization_time_when_served() {
        let now = at("2026-12-01T12:00:00Z");
        let mut s = state("AUTHORIZED", Some("ACCEPTED"), 0, 0, 14900);
        s.expires_at = Some("2026-12-06T00:00:00Z".into());
        let (allowed, _) = actions_at(&s, &Served::all(), now);
        let note = named(&allowed, "extend_authorization_time").unwrap();
        assert!(note.contains("2026-12-06T00:00:00Z"), "{note}");
        // Not served (the fulfilment toolset is off): never named.
        let orders_only =
            Served::only(["capture_order", "refund_order", "cancel_order"].map(String::from));
        let (allowed, blocked) = actions_at(&s, &orders_only, now);
        assert!(named(&allowed, "extend_authorization_time").is_none());
        assert!(
            blocked
                .iter()
                .all(|b| b.tool != "extend_authorization_time")
        );
        // Three weeks away, or already lapsed: not named.
        s.expires_at = Some("2026-12-22T00:00:00Z".into());
        assert!(
            named(
                &actions_at(&s, &Served::all(), now).0,
                "extend_authorization_time"
            )
            .is_none()
        );
        s.expires_at = Some("2026-11-30T00:00:00Z".into());
        assert!(
            named(
                &actions_at(&s, &Served::all(), now).0,
                "extend_authorization_time"
            )
            .is_none()
        );
        // Nothing left to capture: not named either.
        let mut captured = state("CAPTURED", Some("ACCEPTED"), 14900, 14900, 0);
        captured.expires_at = Some("2026-12-06T00:00:00Z".into());
        assert!(
            named(
                &actions_at(&captured, &Served::all(), now).0,
                "extend_authorization_time"
            )
            .is_none()
        );
    }

    #[test]
    fn a_capture_without_tracking_names_add_shipping_info_with_its_id() {
        use crate::tools::write::kind::CaptureState;
        let now = at("2026-12-01T12:00:00Z");
        let mut s = state("CAPTURED", Some("ACCEPTED"), 34900, 34900, 0);
        s.captures = vec![
            CaptureState {
                id: "cap-tracked".into(),
                has_tracking: true,
            },
            CaptureState {
                id: "cap-bare".into(),
                has_tracking: false,
            },
        ];
        let (allowed, _) = actions_at(&s, &Served::all(), now);
        let note = named(&allowed, "add_shipping_info").unwrap();
        assert!(
            note.contains("cap-bare") && !note.contains("cap-tracked"),
            "{note}"
        );
        s.captures[1].has_tracking = true;
        let (allowed, blocked) = actions_at(&s, &Served::all(), now);
        assert!(named(&allowed, "add_shipping_info").is_none());
        assert!(blocked.iter().all(|b| b.tool != "add_shipping_info"));
    }

    #[test]
    fn changes_the_user_asks_for_are_never_listed() {
        let now = at("2026-12-01T12:00:00Z");
        let s = state("AUTHORIZED", Some("ACCEPTED"), 0, 0, 5000);
        let (allowed, blocked) = actions_at(&s, &Served::all(), now);
        for tool in [
            "add_order_shipping_info",
            "resend_customer_communication",
            "update_merchant_references",
            "acknowledge_order",
            "update_order_amount",
            "extend_due_date",
            "update_customer_details",
        ] {
            assert!(named(&allowed, tool).is_none(), "{tool}");
            assert!(blocked.iter().all(|b| b.tool != tool), "{tool}");
        }
    }
}
