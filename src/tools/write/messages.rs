//! What the pipeline says in words: the question put to the human, and a guard's refusal
//! (what was done when, and the two ways on). Pure text over the spec of the kind and the
//! journal's records, tested on its own.

use super::kind::{self, AmountRule, KindSpec, Target};
use crate::{
    host::ApiHost,
    journal::{self, GuardRefusal, Verdict},
    money::{format_major, format_money},
};

/// What a write acts on, in words: "order …", or "capture … of order …".
pub(crate) fn acted_on(kind: &KindSpec, order_id: &str, target_id: Option<&str>) -> String {
    match (kind.target, target_id) {
        (Target::Capture, Some(id)) => format!("capture {id} of order {order_id}"),
        (Target::Refund, Some(id)) => format!("refund {id} of order {order_id}"),
        _ => format!("order {order_id}"),
    }
}

/// The question put to the human: "Capture 105.00 EUR on order … at api.klarna.com?" —
/// `on` is what the write acts on ([`acted_on`]), `detail` what it sets, in a few words (the
/// body's [`detail`](super::WriteBody::detail)).
pub(crate) fn question(
    kind: &KindSpec,
    amount: i64,
    currency: &str,
    on: &str,
    host: ApiHost,
    detail: Option<&str>,
) -> String {
    let plain = format_major(amount, currency);
    match kind.amount {
        AmountRule::EndsRemaining => {
            format!("{} {on} at {host} ({plain} still authorized)?", kind.noun)
        }
        AmountRule::UpToRemaining | AmountRule::UpToRefundable => {
            format!("{} {plain} on {on} at {host}?", kind.noun)
        }
        AmountRule::Unmoved => match detail {
            Some(detail) => format!("{} {on} at {host}: {detail}?", kind.noun),
            None => format!("{} {on} at {host}?", kind.noun),
        },
        AmountRule::NewTotal => match detail {
            Some(detail) => format!("{} {on} at {host} to {plain} ({detail})?", kind.noun),
            None => format!("{} {on} at {host} to {plain}?", kind.noun),
        },
    }
}

/// What was attempted, for a failure's opening: "Capture of 105.00 EUR on order … at …".
pub(crate) fn attempted(
    kind: &KindSpec,
    amount: i64,
    currency: &str,
    on: &str,
    host: ApiHost,
) -> String {
    match kind.amount {
        AmountRule::UpToRemaining | AmountRule::UpToRefundable => format!(
            "{} of {} on {on} at {host}",
            kind.noun,
            format_money(amount, currency)
        ),
        AmountRule::NewTotal => format!(
            "{} {on} at {host} to {}",
            kind.noun,
            format_money(amount, currency)
        ),
        AmountRule::EndsRemaining | AmountRule::Unmoved => format!("{} {on} at {host}", kind.noun),
    }
}

/// An earlier operation as a guard names it: "a capture of 35.00 EUR (3500) on order … at …
/// (recorded …, verdict applied, id …, idempotency key …)".
pub(crate) fn described(op: &journal::Operation, currency: &str) -> String {
    let o = &op.first;
    let spec = kind::by_tool(&o.tool);
    let what = spec.map_or("a write", |k| k.article);
    let money = || {
        format_money(
            o.amount,
            if o.currency.is_empty() {
                currency
            } else {
                &o.currency
            },
        )
    };
    let amount = match spec {
        Some(k) if k.amount == AmountRule::NewTotal => format!(" to a total of {}", money()),
        Some(k) if k.amount == AmountRule::Unmoved => String::new(),
        Some(k) if k.moves_money() || !o.amount_was_everything => format!(" of {}", money()),
        _ => String::new(),
    };
    let on = match spec {
        Some(k) => acted_on(k, &o.order_id, o.target_id.as_deref()),
        None => format!("order {}", o.order_id),
    };
    let latest = &op.latest.record;
    let mut facts = vec![
        format!("recorded {}", o.recorded_at),
        format!("verdict {}", latest.verdict),
    ];
    if let Some(id) = &latest.created_id {
        facts.push(format!("id {id}"));
    }
    facts.push(format!("idempotency key {}", o.idempotency_key));
    format!(
        "{what}{amount} on {on} at {} ({})",
        o.api_host,
        facts.join(", ")
    )
}

/// The model-facing message of a guard's refusal: what was done when, and the two ways on.
pub(crate) fn guard_message(refusal: &GuardRefusal, kind: &KindSpec, currency: &str) -> String {
    match refusal {
        GuardRefusal::Repeat(earlier) => {
            let key = &earlier.first.idempotency_key;
            let state = match earlier.verdict() {
                Verdict::Applied | Verdict::Replayed => "was applied",
                Verdict::Pending => {
                    "is still being sent (or the server stopped before Klarna answered)"
                }
                _ => "has an unknown outcome",
            };
            // A write that moves no money is still not to be done twice (a second fee, a second
            // message to the customer, tracking listed twice).
            let twice = match kind.amount {
                AmountRule::Unmoved | AmountRule::NewTotal => "be applied twice",
                _ => "move the money twice",
            };
            format!(
                "Refused: this repeats {} — which {state} — and no idempotencyKey was given, so it could \
                 {twice}. To repeat that same operation safely, pass idempotencyKey \"{key}\" \
                 (Klarna then answers with the first result instead of acting twice). If you really mean a \
                 second {}, pass a new idempotencyKey of your own choosing.",
                described(earlier, currency),
                kind.label(),
            )
        }
        GuardRefusal::KeyReuse(earlier) => format!(
            "Refused: idempotency key \"{}\" was already used for {}. Klarna would answer this call with \
             that operation's result. Use a new idempotencyKey for this operation.",
            earlier.first.idempotency_key,
            described(earlier, currency),
        ),
    }
}

/// The journal's note on an attempt a guard refused.
pub(crate) fn guard_note(refusal: &GuardRefusal) -> String {
    match refusal {
        GuardRefusal::Repeat(earlier) => format!(
            "{} {} without an idempotency key",
            crate::journal::guards::REFUSED_REPEAT_NOTE,
            earlier.first.op_id
        ),
        GuardRefusal::KeyReuse(earlier) => format!(
            "refused: the key belongs to operation {}",
            earlier.first.op_id
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        journal::{NewRecord, Operation, Record},
        tools::write::kind::{CANCEL, CAPTURE, REFUND, RELEASE},
    };

    fn op(tool: &str, amount: i64, everything: bool, verdict: Verdict) -> Operation {
        let first = NewRecord {
            op_id: "op-1".into(),
            recorded_at: "2026-12-01T10:00:00.000Z".into(),
            tool: tool.into(),
            api_host: "api.klarna.com".into(),
            order_id: "o-1".into(),
            amount,
            amount_was_everything: everything,
            currency: "SEK".into(),
            idempotency_key: "K1".into(),
            key_from_caller: false,
            body_digest: String::new(),
            client_name: None,
            client_version: None,
            principal: None,
            confirmed: false,
            verdict: Verdict::Pending,
            created_id: None,
            correlation_id: None,
            http_status: None,
            error_code: None,
            note: None,
            target_id: None,
        };
        let latest = Record::chain(
            2,
            NewRecord {
                verdict,
                created_id: Some("cap-1".into()),
                ..first.clone()
            },
            journal::record::GENESIS,
        );
        Operation { first, latest }
    }

    #[test]
    fn questions_name_the_amount_the_order_and_the_host() {
        let q = question(&CAPTURE, 10500, "EUR", "order o-1", ApiHost::Eu, None);
        assert_eq!(q, "Capture 105.00 EUR on order o-1 at api.klarna.com?");
        let q = question(&RELEASE, 700, "SEK", "order o-1", ApiHost::Eu, None);
        assert_eq!(
            q,
            "Release the remaining authorization of order o-1 at api.klarna.com (7.00 SEK still authorized)?"
        );
        assert_eq!(
            attempted(&REFUND, 100, "EUR", "order o", ApiHost::Na),
            "Refund of 1.00 EUR (100) on order o at api-na.klarna.com"
        );
        assert_eq!(
            attempted(&CANCEL, 100, "EUR", "order o", ApiHost::Na),
            "Cancel order o at api-na.klarna.com"
        );
    }

    #[test]
    fn a_repeat_refusal_names_the_first_key_only() {
        let earlier = op("capture_order", 700, false, Verdict::OutcomeUnknown);
        let text = guard_message(&GuardRefusal::Repeat(Box::new(earlier)), &CAPTURE, "SEK");
        assert!(text.contains("a capture of 7.00 SEK (700)"), "{text}");
        assert!(text.contains("has an unknown outcome"), "{text}");
        assert!(text.contains("pass idempotencyKey \"K1\""), "{text}");
        assert!(text.contains("second capture"), "{text}");
        let release = op(
            "release_remaining_authorization",
            700,
            true,
            Verdict::Applied,
        );
        let text = guard_message(&GuardRefusal::Repeat(Box::new(release)), &RELEASE, "SEK");
        assert!(
            text.contains("a release of the remaining authorization on order o-1")
                && text.contains("was applied"),
            "{text}"
        );
        let reuse = op("refund_order", 100, false, Verdict::Applied);
        let text = guard_message(&GuardRefusal::KeyReuse(Box::new(reuse)), &CAPTURE, "SEK");
        assert!(
            text.contains("already used for a refund of 1.00 SEK (100)"),
            "{text}"
        );
        assert!(
            guard_note(&GuardRefusal::KeyReuse(Box::new(op(
                "x",
                1,
                false,
                Verdict::Applied
            ))))
            .contains("op-1")
        );
    }
}
