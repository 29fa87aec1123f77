//! The rules the journal enforces before a write is sent, as pure functions over the records
//! it holds: the same decision whichever store (SQLite, PostgreSQL) runs it, inside that
//! store's atomic section.
//!
//! - **Repeated intent.** A write without a caller-chosen idempotency key that matches an
//!   earlier one — same tool, host, order and target inside it (two tracking numbers for two
//!   captures are two intents), and the same amount unless either asked for
//!   "everything remaining" — is refused when the earlier one was applied within the window,
//!   or is still pending or of unknown outcome within Klarna's 24-hour key lifetime. A model
//!   that repeats a capture (the client timed out, the conversation was retried) would
//!   otherwise mint a fresh key and move the money twice.
//! - **Key reuse.** A key the journal has seen for a different tool, order, target, host or amount
//!   is refused: Klarna would answer it with that other operation's result.

use std::time::Duration;

use time::OffsetDateTime;

use super::{
    Operation,
    record::{NewRecord, Record, Verdict},
};

/// How long a write Klarna answered with an idempotency key stays replayable there.
pub const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How the note of an attempt refused as a repeat begins (the pipeline writes it).
pub const REFUSED_REPEAT_NOTE: &str = "refused: repeats operation";

/// Why a write was refused before sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardRefusal {
    /// It repeats `earlier`, without a key.
    Repeat(Box<Operation>),
    /// Its key belongs to `earlier`, a different operation.
    KeyReuse(Box<Operation>),
}

/// Folds records (in chain order) into operations: first and latest record of each.
/// One pass, with an index by operation id: linear in the records.
pub fn operations(records: &[Record]) -> Vec<Operation> {
    let mut ops: Vec<Operation> = Vec::new();
    let mut position: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for r in records {
        match position.get(r.record.op_id.as_str()) {
            Some(&i) => {
                if let Some(op) = ops.get_mut(i) {
                    op.latest = r.clone();
                }
            }
            None => {
                position.insert(r.record.op_id.as_str(), ops.len());
                ops.push(Operation {
                    first: r.record.clone(),
                    latest: r.clone(),
                });
            }
        }
    }
    ops
}

fn age(op: &Operation, now: OffsetDateTime) -> Option<Duration> {
    let started = OffsetDateTime::parse(
        &op.first.recorded_at,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()?;
    Duration::try_from(now - started)
        .ok()
        .or(Some(Duration::ZERO))
}

/// Whether `a` and `b` move different amounts (an "everything remaining" write matches any
/// amount of the same kind).
fn different_amount(a: &NewRecord, b: &NewRecord) -> bool {
    !(a.amount_was_everything || b.amount_was_everything) && a.amount != b.amount
}

/// Checks `attempt` against the records of its order and its key.
pub fn check(
    attempt: &NewRecord,
    records: &[Record],
    window: Duration,
    now: OffsetDateTime,
) -> Result<(), GuardRefusal> {
    let ops = operations(records);
    // Key reuse: a key Klarna saw (or may have seen) for something else.
    for op in &ops {
        let o = &op.first;
        if o.idempotency_key != attempt.idempotency_key
            || matches!(
                op.latest.record.verdict,
                Verdict::Declined | Verdict::NotSent
            )
        {
            continue;
        }
        let everything = o.amount_was_everything && attempt.amount_was_everything;
        let other = o.tool != attempt.tool
            || o.order_id != attempt.order_id
            || o.target_id != attempt.target_id
            || o.api_host != attempt.api_host
            || (!everything && o.amount != attempt.amount);
        if other {
            return Err(GuardRefusal::KeyReuse(Box::new(op.clone())));
        }
    }
    // A caller's key says "a second one is meant" — unless the journal knows that key only
    // from an attempt refused before sending as a repeat: then it is the same intent under
    // a new name, and the guard still stands (pointing at the original key).
    let key_of_a_refused_repeat = ops.iter().any(|op| {
        op.first.idempotency_key == attempt.idempotency_key
            && op.latest.record.verdict == Verdict::NotSent
            && op
                .latest
                .record
                .note
                .as_deref()
                .is_some_and(|n| n.starts_with(REFUSED_REPEAT_NOTE))
    });
    if attempt.key_from_caller && !key_of_a_refused_repeat {
        return Ok(());
    }
    // Repeated intent: newest first, so the message names the latest match.
    for op in ops.iter().rev() {
        let o = &op.first;
        let same = o.tool == attempt.tool
            && o.order_id == attempt.order_id
            && o.target_id == attempt.target_id
            && o.api_host == attempt.api_host
            && o.idempotency_key != attempt.idempotency_key
            && !different_amount(o, attempt);
        if !same {
            continue;
        }
        let Some(age) = age(op, now) else { continue };
        let verdict = op.latest.record.verdict;
        let blocks = match verdict {
            Verdict::Applied | Verdict::Replayed => age <= window,
            Verdict::Pending | Verdict::OutcomeUnknown => age <= KEY_LIFETIME,
            Verdict::Refused | Verdict::Declined | Verdict::NotSent => false,
        };
        if blocks {
            return Err(GuardRefusal::Repeat(Box::new(op.clone())));
        }
    }
    Ok(())
}

/// Records settling earlier operations with the same key as `verdict_record`, which
/// carries Klarna's answer to a repeat: an earlier operation left pending or of unknown
/// outcome now has its answer when the repeat was applied or replayed (Klarna applies a key
/// once, so the money moved exactly once). A refused repeat settles nothing: a rate limit or
/// a rejected login is answered before Klarna looks at the key, and after 24 h the key is
/// gone, so the refusal says nothing about the first attempt — which stays unresolved and
/// keeps blocking a repeat under a new key.
pub fn settlements(verdict_record: &NewRecord, records: &[Record]) -> Vec<NewRecord> {
    let settled_as = match verdict_record.verdict {
        Verdict::Applied | Verdict::Replayed => Verdict::Applied,
        _ => return Vec::new(),
    };
    operations(records)
        .into_iter()
        .filter(|op| {
            op.first.idempotency_key == verdict_record.idempotency_key
                && op.first.op_id != verdict_record.op_id
                && op.latest.record.verdict.is_unresolved()
        })
        .map(|op| NewRecord {
            recorded_at: verdict_record.recorded_at.clone(),
            verdict: settled_as,
            created_id: verdict_record.created_id.clone(),
            correlation_id: verdict_record.correlation_id.clone(),
            http_status: verdict_record.http_status,
            error_code: verdict_record.error_code.clone(),
            note: Some(format!(
                "settled by operation {} with the same idempotency key",
                verdict_record.op_id
            )),
            ..op.latest.record
        })
        .collect()
}

/// Another operation on the same order that already holds the capture or refund id
/// `verdict_record` names as applied: the same money, answered twice (two calls raced with
/// one key). Klarna's ids are unique within an order, so applied records' ids are too.
pub fn applied_elsewhere(verdict_record: &NewRecord, records: &[Record]) -> Option<Operation> {
    let id = verdict_record.created_id.as_deref()?;
    operations(records).into_iter().find(|op| {
        op.first.op_id != verdict_record.op_id
            && op.first.order_id == verdict_record.order_id
            && op.latest.record.verdict == Verdict::Applied
            && op.latest.record.created_id.as_deref() == Some(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes_ago: i64) -> String {
        super::super::format_time(OffsetDateTime::now_utc() - time::Duration::minutes(minutes_ago))
    }

    fn record(op: &str, key: &str, amount: i64, verdict: Verdict, minutes_ago: i64) -> NewRecord {
        NewRecord {
            op_id: op.into(),
            recorded_at: at(minutes_ago),
            tool: "capture_order".into(),
            api_host: "api.klarna.com".into(),
            order_id: "o-1".into(),
            amount,
            amount_was_everything: false,
            currency: "EUR".into(),
            idempotency_key: key.into(),
            key_from_caller: false,
            body_digest: String::new(),
            client_name: None,
            client_version: None,
            principal: None,
            confirmed: false,
            verdict,
            created_id: None,
            correlation_id: None,
            http_status: None,
            error_code: None,
            note: None,
            target_id: None,
        }
    }

    fn chained(records: Vec<NewRecord>) -> Vec<Record> {
        let mut prev = super::super::record::GENESIS.to_string();
        records
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let c = Record::chain(i as i64 + 1, r, &prev);
                prev = c.hash.clone();
                c
            })
            .collect()
    }

    const WINDOW: Duration = Duration::from_secs(15 * 60);

    #[test]
    fn a_repeat_without_a_key_is_refused_while_the_first_is_applied_pending_or_unknown() {
        for verdict in [Verdict::Applied, Verdict::Pending, Verdict::OutcomeUnknown] {
            let existing = chained(vec![record("a", "k1", 3500, verdict, 2)]);
            let attempt = record("b", "k2", 3500, Verdict::Pending, 0);
            assert!(
                matches!(
                    check(&attempt, &existing, WINDOW, OffsetDateTime::now_utc()),
                    Err(GuardRefusal::Repeat(_))
                ),
                "{verdict}"
            );
        }
        for verdict in [Verdict::Refused, Verdict::Declined, Verdict::NotSent] {
            let existing = chained(vec![record("a", "k1", 3500, verdict, 2)]);
            let attempt = record("b", "k2", 3500, Verdict::Pending, 0);
            assert_eq!(
                check(&attempt, &existing, WINDOW, OffsetDateTime::now_utc()),
                Ok(()),
                "{verdict}"
            );
        }
    }

    #[test]
    fn the_window_bounds_applied_writes_and_the_key_lifetime_unresolved_ones() {
        let now = OffsetDateTime::now_utc();
        let attempt = record("b", "k2", 3500, Verdict::Pending, 0);
        let old_applied = chained(vec![record("a", "k1", 3500, Verdict::Applied, 20)]);
        assert_eq!(check(&attempt, &old_applied, WINDOW, now), Ok(()));
        let old_unknown = chained(vec![record(
            "a",
            "k1",
            3500,
            Verdict::OutcomeUnknown,
            20 * 60,
        )]);
        assert!(check(&attempt, &old_unknown, WINDOW, now).is_err());
        let ancient = chained(vec![record(
            "a",
            "k1",
            3500,
            Verdict::OutcomeUnknown,
            25 * 60,
        )]);
        assert_eq!(check(&attempt, &ancient, WINDOW, now), Ok(()));
    }

    #[test]
    fn a_caller_key_proceeds_a_different_amount_proceeds_everything_matches_any_amount() {
        let now = OffsetDateTime::now_utc();
        let existing = chained(vec![record("a", "k1", 3500, Verdict::Applied, 1)]);
        let mut keyed = record("b", "k2", 3500, Verdict::Pending, 0);
        keyed.key_from_caller = true;
        assert_eq!(check(&keyed, &existing, WINDOW, now), Ok(()));
        let other_amount = record("b", "k2", 1000, Verdict::Pending, 0);
        assert_eq!(check(&other_amount, &existing, WINDOW, now), Ok(()));
        let mut everything = record("b", "k2", 6500, Verdict::Pending, 0);
        everything.amount_was_everything = true;
        assert!(check(&everything, &existing, WINDOW, now).is_err());
    }

    #[test]
    fn a_key_used_for_something_else_is_refused_even_with_a_caller_key() {
        let now = OffsetDateTime::now_utc();
        let existing = chained(vec![record("a", "k1", 1000, Verdict::Applied, 1)]);
        let mut reused = record("b", "k1", 5000, Verdict::Pending, 0);
        reused.key_from_caller = true;
        assert!(matches!(
            check(&reused, &existing, WINDOW, now),
            Err(GuardRefusal::KeyReuse(_))
        ));
        reused.amount = 1000;
        assert_eq!(
            check(&reused, &existing, WINDOW, now),
            Ok(()),
            "the same operation again"
        );
        let mut elsewhere = reused.clone();
        elsewhere.order_id = "o-2".into();
        assert!(matches!(
            check(&elsewhere, &existing, WINDOW, now),
            Err(GuardRefusal::KeyReuse(_))
        ));
    }

    #[test]
    fn an_answer_to_a_repeat_settles_the_unresolved_earlier_operation() {
        let existing = chained(vec![
            record("a", "k1", 1000, Verdict::Pending, 5),
            record("a", "k1", 1000, Verdict::OutcomeUnknown, 5),
            record("c", "k9", 1000, Verdict::OutcomeUnknown, 5),
        ]);
        let mut answer = record("b", "k1", 1000, Verdict::Replayed, 0);
        answer.created_id = Some("cap-1".into());
        let settled = settlements(&answer, &existing);
        assert_eq!(settled.len(), 1);
        assert_eq!(settled[0].op_id, "a");
        assert_eq!(settled[0].verdict, Verdict::Applied);
        assert_eq!(settled[0].created_id.as_deref(), Some("cap-1"));
        let unknown = record("b", "k1", 1000, Verdict::OutcomeUnknown, 0);
        assert!(settlements(&unknown, &existing).is_empty());
    }

    #[test]
    fn a_refused_repeat_settles_nothing() {
        // A 429 or 401 is answered before Klarna reads the key: the first attempt may have
        // been applied, so it must stay unresolved and keep blocking a repeat under a new key.
        let existing = chained(vec![
            record("a", "k1", 1000, Verdict::Pending, 5),
            record("a", "k1", 1000, Verdict::OutcomeUnknown, 5),
        ]);
        let refused = record("b", "k1", 1000, Verdict::Refused, 0);
        assert!(settlements(&refused, &existing).is_empty());
        let all = chained(vec![
            record("a", "k1", 1000, Verdict::Pending, 5),
            record("a", "k1", 1000, Verdict::OutcomeUnknown, 5),
            record("b", "k1", 1000, Verdict::Pending, 0),
            record("b", "k1", 1000, Verdict::Refused, 0),
        ]);
        let mut fresh = record("c", "k2", 1000, Verdict::Pending, 0);
        fresh.key_from_caller = false;
        assert!(matches!(
            check(&fresh, &all, WINDOW, OffsetDateTime::now_utc()),
            Err(GuardRefusal::Repeat(_))
        ));
    }

    #[test]
    fn two_captures_of_one_order_are_two_targets_and_two_intents() {
        let now = OffsetDateTime::now_utc();
        let mut first = record("a", "k1", 0, Verdict::Applied, 1);
        first.tool = "add_shipping_info".into();
        first.target_id = Some("cap-1".into());
        let existing = chained(vec![first.clone()]);
        let mut other_capture = record("b", "k2", 0, Verdict::Pending, 0);
        other_capture.tool = first.tool.clone();
        other_capture.target_id = Some("cap-2".into());
        assert_eq!(check(&other_capture, &existing, WINDOW, now), Ok(()));
        let mut same_capture = other_capture.clone();
        same_capture.target_id = Some("cap-1".into());
        assert!(matches!(
            check(&same_capture, &existing, WINDOW, now),
            Err(GuardRefusal::Repeat(_))
        ));
        // The first operation's key, for the other capture: Klarna would answer with the
        // first capture's result.
        let mut reused = other_capture.clone();
        reused.idempotency_key = "k1".into();
        reused.key_from_caller = true;
        assert!(matches!(
            check(&reused, &existing, WINDOW, now),
            Err(GuardRefusal::KeyReuse(_))
        ));
    }

    /// After a crash left K1 pending, a keyless repeat was refused (and recorded under a
    /// fresh K2, never sent). Passing K2 as the caller's key is the same intent: refused,
    /// pointing at K1 — not a second capture.
    #[test]
    fn the_key_of_a_refused_repeat_cannot_send_the_repeat() {
        let now = OffsetDateTime::now_utc();
        let mut refused = record("b", "k2", 700, Verdict::NotSent, 1);
        refused.note = Some(format!(
            "{REFUSED_REPEAT_NOTE} a without an idempotency key"
        ));
        let existing = chained(vec![
            record("a", "k1", 700, Verdict::Pending, 3),
            record("b", "k2", 700, Verdict::Pending, 1),
            refused,
        ]);
        let mut again = record("c", "k2", 700, Verdict::Pending, 0);
        again.key_from_caller = true;
        match check(&again, &existing, WINDOW, now) {
            Err(GuardRefusal::Repeat(earlier)) => assert_eq!(earlier.first.idempotency_key, "k1"),
            other => panic!("{other:?}"),
        }
        // K1 itself goes through (Klarna answers with the first result).
        let mut original = record("d", "k1", 700, Verdict::Pending, 0);
        original.key_from_caller = true;
        assert_eq!(check(&original, &existing, WINDOW, now), Ok(()));
    }
}
