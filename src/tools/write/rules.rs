//! The pure rules of the pipeline, decided from the spec of the kind and the order as Klarna
//! showed it — no I/O, so each is tested on its own:
//!
//! - [`resolve_amount`]: the amount a write moves or ends (a capture of "everything" takes
//!   the remaining authorization from Klarna's answer, which must be a plausible amount);
//! - [`check_available`]: whether Klarna would accept it now, so a write that cannot succeed
//!   is refused before anyone is asked to confirm it;
//! - [`replay`]: whether Klarna answered with an earlier call's result — decided from ids and
//!   amounts only, never from text the sanitizer may have changed on the way back;
//! - [`effect_missing`]: whether the order afterwards contradicts a success answer (a 201
//!   naming a capture the order does not have, with its amounts unmoved).

use super::kind::{AmountRule, Availability, KindSpec, OrderState, ReplayRule};
use crate::{
    klarna::types::Order,
    money::{MAX_AMOUNT, format_money},
};

/// What an earlier call with the same key did, when Klarna answered with its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EarlierWrite {
    /// Its amount, when the order shows it.
    pub amount: Option<i64>,
    /// Its reference, when the order shows it (as it came back: escaped, scrubbed).
    pub reference: Option<String>,
}

/// The amount `kind` moves or ends, from what the caller asked and the order's state.
/// `Err` is the sentence a refusal opens with.
pub(crate) fn resolve_amount(
    kind: &KindSpec,
    requested: Option<i64>,
    state: &OrderState,
) -> Result<i64, String> {
    match (kind.amount, requested) {
        (AmountRule::Unmoved, _) => Ok(0),
        (_, Some(amount)) => Ok(amount),
        (AmountRule::UpToRemaining, None)
            if state.remaining > MAX_AMOUNT || state.remaining < 0 =>
        {
            Err(format!(
                "Refused: Klarna's answer gives the order's remaining authorized amount as {} minor units, which is not a \
                 plausible amount (1 to {MAX_AMOUNT}), so \"everything remaining\" cannot be worked out from it. Check the \
                 order with get_order, and pass the amount to capture explicitly if it is right.",
                state.remaining
            ))
        }
        (AmountRule::UpToRemaining, None) if state.remaining > 0 => Ok(state.remaining),
        (AmountRule::UpToRemaining, None) => Err(format!(
            "Refused: nothing remains to capture — the order is {} with {} remaining authorized. (Repeating an earlier \
             capture whose outcome was unknown? Pass its amount with the same idempotencyKey.)",
            state.status,
            format_money(state.remaining, &state.currency)
        )),
        (AmountRule::EndsRemaining, None) => Ok(state.remaining.max(0)),
        (AmountRule::UpToRefundable | AmountRule::NewTotal, None) => {
            Err("Refused: the amount is missing.".into())
        }
    }
}

/// Whether Klarna would accept `kind` for `amount` now; `Err` is why not (with the way on).
pub(crate) fn check_available(
    kind: &KindSpec,
    amount: i64,
    target: Option<&str>,
    state: &OrderState,
    ways: impl Fn(&super::kind::WayOn) -> bool,
) -> Result<(), String> {
    match (kind.availability)(state, target) {
        Availability::Blocked { why, instead } => {
            let mut text = format!("Refused: {why}");
            let usable: Vec<&str> = instead.iter().filter(|w| ways(w)).map(|w| w.text).collect();
            if !usable.is_empty() {
                text.push_str(&format!("; {}", usable.join("; ")));
            }
            text.push('.');
            Err(text)
        }
        Availability::Allowed {
            max_amount: Some(max),
            ..
        } if kind.amount != AmountRule::NewTotal && kind.moves_money() && amount > max => {
            Err(format!(
                "Refused: {} of {} is more than Klarna allows on this order now: at most {} ({}). Use that amount or \
             less, or check the order with get_order.",
                kind.article,
                format_money(amount, &state.currency),
                format_money(max, &state.currency),
                match kind.amount {
                    AmountRule::UpToRefundable => "captured minus already refunded",
                    _ => "what remains authorized",
                }
            ))
        }
        Availability::Allowed { .. }
            if kind.amount == AmountRule::NewTotal && amount < state.captured =>
        {
            Err(format!(
                "Refused: a new order total of {} is below what was already captured, {}: Klarna never lowers a total \
                 below that. Use at least {} (to give captured money back, refund_order).",
                format_money(amount, &state.currency),
                format_money(state.captured, &state.currency),
                format_money(state.captured, &state.currency),
            ))
        }
        Availability::Allowed { .. } => Ok(()),
    }
}

/// Whether Klarna answered with an earlier call's result for this key: the created id was
/// already on the order before this call, or the order afterwards shows it with another
/// amount than this call sent (another call with the same key got there first); for writes
/// that create nothing, the state they lead to was already reached before. Text (references,
/// descriptions) is never compared: it comes back through the sanitizer, which may change it.
pub(crate) fn replay(
    kind: &KindSpec,
    created_id: Option<&str>,
    sent_amount: i64,
    before: &Order,
    after: Option<&Order>,
) -> Option<EarlierWrite> {
    match kind.replay {
        ReplayRule::CreatedId => {
            let id = created_id?;
            if let Some(known) = created(before, id) {
                return Some(known);
            }
            let seen = created(after?, id)?;
            seen.amount
                .is_some_and(|a| a != sent_amount)
                .then_some(seen)
        }
        ReplayRule::StateReached(reached) => {
            reached(&OrderState::of(before)).then_some(EarlierWrite {
                amount: None,
                reference: None,
            })
        }
        ReplayRule::Undetectable => None,
    }
}

/// The capture or refund `id` on `order`, as an earlier write.
fn created(order: &Order, id: &str) -> Option<EarlierWrite> {
    let same = |other: Option<&str>| other.is_some_and(|o| o.eq_ignore_ascii_case(id));
    if let Some(c) = order
        .captures
        .iter()
        .find(|c| same(c.capture_id.as_deref()))
    {
        return Some(EarlierWrite {
            amount: c.captured_amount,
            reference: c.reference.clone(),
        });
    }
    order
        .refunds
        .iter()
        .find(|r| same(r.refund_id.as_deref()))
        .map(|r| EarlierWrite {
            amount: r.refunded_amount,
            reference: r.reference.clone(),
        })
}

/// When the order afterwards contradicts a success answer, what shows it: a 201 named a
/// capture or refund the order does not have, and the order's captured (or refunded) total
/// did not move. That is no verdict — something in front of Klarna may have answered — so the
/// write's outcome is unknown. `None` when the order agrees, or could not be read.
pub(crate) fn effect_missing(
    kind: &KindSpec,
    created_id: Option<&str>,
    before: &Order,
    after: Option<&Order>,
) -> Option<String> {
    let (ReplayRule::CreatedId, Some(id), Some(after)) = (kind.replay, created_id, after) else {
        return None;
    };
    if created(after, id).is_some() {
        return None;
    }
    let moved = match kind.amount {
        AmountRule::UpToRefundable => {
            after.refunded_amount.unwrap_or(0) != before.refunded_amount.unwrap_or(0)
        }
        _ => after.captured_amount.unwrap_or(0) != before.captured_amount.unwrap_or(0),
    };
    (!moved).then(|| {
        format!(
            "Klarna's answer named {} {id}, but the order read afterwards has no such {} and its {} total did not move",
            kind.article.trim_start_matches("a "),
            kind.article.trim_start_matches("a "),
            match kind.amount {
                AmountRule::UpToRefundable => "refunded",
                _ => "captured",
            }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        klarna::types::{Capture, Refund},
        tools::write::kind::{CANCEL, CAPTURE, REFUND, RELEASE},
    };

    fn order(status: &str, captured: i64, refunded: i64, remaining: i64) -> Order {
        Order {
            status: Some(status.into()),
            fraud_status: Some("ACCEPTED".into()),
            purchase_currency: Some("eur".into()),
            order_amount: Some(captured + remaining),
            captured_amount: Some(captured),
            refunded_amount: Some(refunded),
            remaining_authorized_amount: Some(remaining),
            ..Order::default()
        }
    }

    fn with_capture(mut o: Order, id: &str, amount: i64, reference: &str) -> Order {
        o.captures.push(Capture {
            capture_id: Some(id.into()),
            captured_amount: Some(amount),
            reference: Some(reference.into()),
            ..Capture::default()
        });
        o
    }

    fn all_ways(_: &crate::tools::write::kind::WayOn) -> bool {
        true
    }

    #[test]
    fn capture_everything_takes_the_remaining_amount_and_refuses_an_implausible_one() {
        let s = OrderState::of(&order("PART_CAPTURED", 1000, 0, 4000));
        assert_eq!(resolve_amount(&CAPTURE, None, &s), Ok(4000));
        assert_eq!(resolve_amount(&CAPTURE, Some(10), &s), Ok(10));
        for absurd in [-5, MAX_AMOUNT + 1, i64::MAX] {
            let s = OrderState::of(&order("AUTHORIZED", 0, 0, absurd));
            let err = resolve_amount(&CAPTURE, None, &s).unwrap_err();
            assert!(err.contains("not a plausible amount"), "{err}");
        }
        let s = OrderState::of(&order("CAPTURED", 5000, 0, 0));
        assert!(
            resolve_amount(&CAPTURE, None, &s)
                .unwrap_err()
                .contains("nothing remains")
        );
        assert_eq!(resolve_amount(&CANCEL, None, &s), Ok(0));
        assert_eq!(
            resolve_amount(
                &RELEASE,
                None,
                &OrderState::of(&order("PART_CAPTURED", 1, 0, 99))
            ),
            Ok(99)
        );
    }

    #[test]
    fn a_write_that_cannot_succeed_is_refused_with_the_limit() {
        let s = OrderState::of(&order("CAPTURED", 7500, 0, 0));
        let err = check_available(&REFUND, 99999, None, &s, all_ways).unwrap_err();
        assert!(err.contains("at most 75.00 EUR (7500)"), "{err}");
        assert!(check_available(&REFUND, 7500, None, &s, all_ways).is_ok());
        let err = check_available(&CAPTURE, 100, None, &s, all_ways).unwrap_err();
        assert!(err.contains("nothing remains authorized"), "{err}");
        let err = check_available(&CANCEL, 0, None, &s, all_ways).unwrap_err();
        assert!(err.contains("the order has captures"), "{err}");
        let open = OrderState::of(&order("AUTHORIZED", 0, 0, 5000));
        let err = check_available(&CAPTURE, 5001, None, &open, all_ways).unwrap_err();
        assert!(err.contains("at most 50.00 EUR (5000)"), "{err}");
        let err = check_available(&RELEASE, 0, None, &open, all_ways).unwrap_err();
        assert!(
            err.contains("nothing has been captured") && err.contains("cancel_order"),
            "{err}"
        );
        let err = check_available(&RELEASE, 0, None, &open, |_| false).unwrap_err();
        assert!(!err.contains("cancel_order"), "{err}");
    }

    #[test]
    fn a_replay_is_decided_from_ids_and_amounts_never_from_text() {
        let before = order("AUTHORIZED", 0, 0, 5000);
        // Our own new capture, whatever its reference looks like after sanitizing.
        let after = with_capture(
            order("PART_CAPTURED", 700, 0, 4300),
            "c-1",
            700,
            "[redacted]xyz",
        );
        assert_eq!(
            replay(&CAPTURE, Some("c-1"), 700, &before, Some(&after)),
            None
        );
        // An id the order already had before this call: Klarna's replay.
        let had = with_capture(order("PART_CAPTURED", 700, 0, 4300), "c-1", 700, "r");
        let r = replay(&CAPTURE, Some("C-1"), 700, &had, Some(&had)).unwrap();
        assert_eq!(r.amount, Some(700));
        // Another amount under this id: another call with the same key got there first.
        assert!(replay(&CAPTURE, Some("c-1"), 900, &before, Some(&after)).is_some());
        // Nothing to compare with: not a replay.
        assert_eq!(replay(&CAPTURE, Some("c-1"), 700, &before, None), None);
        // Cancel of an already cancelled order.
        assert!(replay(&CANCEL, None, 0, &order("CANCELLED", 0, 0, 0), None).is_some());
        assert!(replay(&CANCEL, None, 0, &order("AUTHORIZED", 0, 0, 10), None).is_none());
        assert!(replay(&RELEASE, None, 0, &order("CAPTURED", 10, 0, 0), None).is_some());
    }

    #[test]
    fn a_created_id_the_order_does_not_have_with_unmoved_totals_is_no_verdict() {
        let before = order("AUTHORIZED", 0, 0, 5000);
        let unmoved = order("AUTHORIZED", 0, 0, 5000);
        let why = effect_missing(&CAPTURE, Some("c-9"), &before, Some(&unmoved)).unwrap();
        assert!(
            why.contains("capture c-9") && why.contains("did not move"),
            "{why}"
        );
        let moved = with_capture(order("PART_CAPTURED", 700, 0, 4300), "c-9", 700, "r");
        assert_eq!(
            effect_missing(&CAPTURE, Some("c-9"), &before, Some(&moved)),
            None
        );
        // The total moved but the list lacks the id: Klarna's proof stands.
        let listed_late = order("PART_CAPTURED", 700, 0, 4300);
        assert_eq!(
            effect_missing(&CAPTURE, Some("c-9"), &before, Some(&listed_late)),
            None
        );
        assert_eq!(effect_missing(&CAPTURE, Some("c-9"), &before, None), None);
        let mut refunded = order("CAPTURED", 5000, 0, 0);
        let r_before = refunded.clone();
        assert!(effect_missing(&REFUND, Some("r-1"), &r_before, Some(&refunded)).is_some());
        refunded.refunds.push(Refund {
            refund_id: Some("r-1".into()),
            refunded_amount: Some(100),
            ..Refund::default()
        });
        assert_eq!(
            effect_missing(&REFUND, Some("r-1"), &r_before, Some(&refunded)),
            None
        );
        assert_eq!(effect_missing(&CANCEL, None, &before, Some(&unmoved)), None);
    }

    #[test]
    fn writes_on_a_capture_need_a_capture_of_this_order() {
        use crate::tools::write::kind::{ADD_SHIPPING_INFO, EXTEND_DUE_DATE, RESEND_COMMUNICATION};
        let none = OrderState::of(&order("AUTHORIZED", 0, 0, 5000));
        for kind in [&ADD_SHIPPING_INFO, &RESEND_COMMUNICATION, &EXTEND_DUE_DATE] {
            let err = check_available(kind, 0, Some("c-1"), &none, all_ways).unwrap_err();
            assert!(err.contains("has no captures"), "{}: {err}", kind.tool);
        }
        let err = check_available(&ADD_SHIPPING_INFO, 0, Some("c-1"), &none, all_ways).unwrap_err();
        assert!(err.contains("add_order_shipping_info"), "{err}");
        let one = OrderState::of(&with_capture(order("CAPTURED", 700, 0, 0), "C-1", 700, "r"));
        for kind in [&ADD_SHIPPING_INFO, &RESEND_COMMUNICATION, &EXTEND_DUE_DATE] {
            assert!(check_available(kind, 0, Some("c-1"), &one, all_ways).is_ok());
            let err = check_available(kind, 0, Some("c-2"), &one, all_ways).unwrap_err();
            assert!(
                err.contains("has no capture c-2") && err.contains("C-1"),
                "{}: {err}",
                kind.tool
            );
        }
    }

    #[test]
    fn a_new_total_is_at_least_what_was_captured_and_not_on_an_ended_order() {
        use crate::tools::write::kind::UPDATE_AMOUNT;
        let part = OrderState::of(&order("PART_CAPTURED", 3000, 0, 7000));
        assert_eq!(resolve_amount(&UPDATE_AMOUNT, Some(3000), &part), Ok(3000));
        assert!(resolve_amount(&UPDATE_AMOUNT, None, &part).is_err());
        assert!(check_available(&UPDATE_AMOUNT, 3000, None, &part, all_ways).is_ok());
        assert!(check_available(&UPDATE_AMOUNT, 99999, None, &part, all_ways).is_ok());
        let err = check_available(&UPDATE_AMOUNT, 2999, None, &part, all_ways).unwrap_err();
        assert!(
            err.contains("below what was already captured, 30.00 EUR"),
            "{err}"
        );
        let full = OrderState::of(&order("CAPTURED", 3000, 0, 0));
        let err = check_available(&UPDATE_AMOUNT, 5000, None, &full, all_ways).unwrap_err();
        assert!(
            err.contains("fully captured") && err.contains("refund_order"),
            "{err}"
        );
        let cancelled = OrderState::of(&order("CANCELLED", 0, 0, 0));
        assert!(check_available(&UPDATE_AMOUNT, 5000, None, &cancelled, all_ways).is_err());
    }
}
