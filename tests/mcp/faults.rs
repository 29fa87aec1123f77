//! Exactly-once writes under faults: the simulator drops connections after committing,
//! answers 5xx or 429, or answers too late. For each write tool and each fault, exactly one
//! capture/refund (or one state change) exists afterwards, and the tool result is right:
//! success after a retry with the same key, or OUTCOME UNKNOWN with the key.

use std::time::Duration;

use crate::common::{Harness, order_args, start, start_with};
use klarna_mcp::simulator::{Fault, FaultRule, Operation, SeedOrder};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug)]
enum Write {
    Capture,
    Refund,
    Cancel,
    Release,
}

const WRITES: [Write; 4] = [Write::Capture, Write::Refund, Write::Cancel, Write::Release];

impl Write {
    fn seed(self) -> SeedOrder {
        match self {
            Write::Capture | Write::Cancel => SeedOrder::new(10000, "EUR"),
            Write::Refund => SeedOrder::new(10000, "EUR").captured(10000),
            Write::Release => SeedOrder::new(10000, "EUR").captured(4000),
        }
    }
    fn tool(self) -> &'static str {
        match self {
            Write::Capture => "capture_order",
            Write::Refund => "refund_order",
            Write::Cancel => "cancel_order",
            Write::Release => "release_remaining_authorization",
        }
    }
    fn op(self) -> Operation {
        match self {
            Write::Capture => Operation::Capture,
            Write::Refund => Operation::Refund,
            Write::Cancel => Operation::Cancel,
            Write::Release => Operation::Release,
        }
    }
    fn args(self, id: &str) -> Value {
        match self {
            Write::Capture => order_args(id, json!({ "amount": 3000 })),
            Write::Refund => order_args(id, json!({ "amount": 3000 })),
            _ => order_args(id, json!({})),
        }
    }
    /// Asserts the write took effect exactly once.
    fn assert_applied_once(self, h: &Harness, id: &str) {
        let s = h.sim.snapshot(id).unwrap();
        match self {
            Write::Capture => {
                assert_eq!(s.captures.len(), 1, "{self:?}: {s:?}");
                assert_eq!(s.captured_amount, 3000);
            }
            Write::Refund => {
                assert_eq!(s.refunds.len(), 1, "{self:?}: {s:?}");
                assert_eq!(s.refunded_amount, 3000);
            }
            Write::Cancel => assert_eq!(s.status, "CANCELLED"),
            Write::Release => {
                assert_eq!(s.remaining_authorized_amount, 0);
                assert_eq!(s.captured_amount, 4000);
            }
        }
    }
    fn assert_not_applied(self, h: &Harness, id: &str) {
        let s = h.sim.snapshot(id).unwrap();
        match self {
            Write::Capture => assert!(s.captures.is_empty(), "{s:?}"),
            Write::Refund => assert!(s.refunds.is_empty(), "{s:?}"),
            Write::Cancel => assert_eq!(s.status, "AUTHORIZED"),
            Write::Release => assert_eq!(s.remaining_authorized_amount, 6000),
        }
    }
}

/// The POSTs the simulator received for this write, with their keys.
fn posts(h: &Harness) -> Vec<Option<String>> {
    h.sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.idempotency_key)
        .collect()
}

async fn survives(fault: Fault) {
    for write in WRITES {
        let h = start_with(|c| c.client.retry.attempt_timeout = Duration::from_millis(1500)).await;
        let id = h.seed(write.seed());
        h.sim.inject_fault(FaultRule {
            operation: write.op(),
            fault: fault.clone(),
            times: 1,
        });

        let result = h.call(write.tool(), write.args(&id)).await;

        assert_eq!(
            result.is_error,
            Some(false),
            "{write:?} {fault:?}: {}",
            crate::common::text(&result)
        );
        let receipt = result.structured_content.unwrap();
        write.assert_applied_once(&h, &id);
        let keys = posts(&h);
        assert_eq!(keys.len(), 2, "{write:?} {fault:?}: {keys:?}");
        assert!(
            keys.iter()
                .all(|k| k.as_deref() == receipt["idempotencyKey"].as_str()),
            "{keys:?}"
        );
    }
}

#[tokio::test]
async fn commit_then_dropped_connection_is_retried_with_the_same_key_and_applied_once() {
    survives(Fault::CommitThenDrop).await;
}

#[tokio::test]
async fn http_500_is_retried_and_applied_once() {
    survives(Fault::Status(500)).await;
}

#[tokio::test]
async fn commit_then_500_is_retried_and_replayed_not_repeated() {
    survives(Fault::CommitThenStatus(500)).await;
}

#[tokio::test]
async fn http_503_is_retried_and_applied_once() {
    survives(Fault::Status(503)).await;
}

#[tokio::test]
async fn http_429_with_retry_after_is_retried_and_applied_once() {
    survives(Fault::TooManyRequests {
        retry_after_secs: Some(1),
    })
    .await;
}

#[tokio::test]
async fn a_response_slower_than_the_timeout_is_retried_and_replayed() {
    survives(Fault::Delay(Duration::from_millis(3000))).await;
}

#[tokio::test]
async fn when_retries_run_out_after_a_commit_the_outcome_is_unknown_and_the_key_makes_repeating_safe()
 {
    for write in WRITES {
        // given every attempt commits (or replays) and then loses the answer
        let h = start().await;
        let id = h.seed(write.seed());
        h.sim.inject_fault(FaultRule {
            operation: write.op(),
            fault: Fault::CommitThenDrop,
            times: 3,
        });

        // when the tool runs out of retries
        let text = h.err(write.tool(), write.args(&id)).await;

        // then it says the outcome is unknown, with the key, and nothing was applied twice
        assert!(text.contains("OUTCOME UNKNOWN"), "{write:?}: {text}");
        assert!(text.contains("may or may not"), "{text}");
        assert!(text.contains("get_order"), "{text}");
        let key = posts(&h)[0].clone().unwrap();
        assert!(text.contains(&key), "{text}");
        assert_eq!(posts(&h).len(), 3);
        write.assert_applied_once(&h, &id);

        // and repeating with that key answers with the first result without applying again
        let mut args = write.args(&id);
        args["idempotencyKey"] = json!(key);
        let receipt = h.ok(write.tool(), args).await;
        assert_eq!(receipt["idempotencyKey"], key.as_str());
        write.assert_applied_once(&h, &id);
    }
}

#[tokio::test]
async fn when_retries_run_out_on_5xx_the_outcome_is_unknown_and_a_repeat_applies_it_once() {
    for write in WRITES {
        let h = start().await;
        let id = h.seed(write.seed());
        h.sim.inject_fault(FaultRule {
            operation: write.op(),
            fault: Fault::Status(503),
            times: 3,
        });
        let text = h.err(write.tool(), write.args(&id)).await;
        assert!(
            text.contains("OUTCOME UNKNOWN") && text.contains("HTTP 503"),
            "{write:?}: {text}"
        );
        write.assert_not_applied(&h, &id);
        let key = posts(&h)[0].clone().unwrap();
        let mut args = write.args(&id);
        args["idempotencyKey"] = json!(key);
        h.ok(write.tool(), args).await;
        write.assert_applied_once(&h, &id);
    }
}

#[tokio::test]
async fn rate_limited_to_the_end_is_a_definite_failure_not_an_unknown_outcome() {
    let h = start().await;
    let id = h.seed(Write::Capture.seed());
    h.sim.inject_fault(FaultRule {
        operation: Operation::Capture,
        fault: Fault::TooManyRequests {
            retry_after_secs: None,
        },
        times: 3,
    });
    let text = h.err("capture_order", Write::Capture.args(&id)).await;
    assert!(text.contains("HTTP 429"), "{text}");
    assert!(!text.contains("OUTCOME UNKNOWN"), "{text}");
    assert!(text.contains("Klarna did not apply it"), "{text}");
    Write::Capture.assert_not_applied(&h, &id);
}

#[tokio::test]
async fn a_caller_supplied_key_is_sent_and_a_repeat_replays_the_first_capture() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let args = order_args(
        &id,
        json!({ "amount": 1000, "idempotencyKey": "order-42-shipment-1" }),
    );
    let first = h.ok("capture_order", args.clone()).await;
    let second = h.ok("capture_order", args).await;
    assert_eq!(first["captureId"], second["captureId"]);
    assert_eq!(h.sim.snapshot(&id).unwrap().captures.len(), 1);
    assert!(
        posts(&h)
            .iter()
            .all(|k| k.as_deref() == Some("order-42-shipment-1"))
    );
}

#[tokio::test]
async fn reads_are_retried_on_transient_failures() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule {
        operation: Operation::GetOrder,
        fault: Fault::Status(502),
        times: 2,
    });
    h.ok("get_order", json!({ "orderId": id })).await;
    assert_eq!(h.sim.request_count(), 3);
}

#[tokio::test]
async fn each_new_write_without_a_key_gets_a_fresh_key_and_an_identical_repeat_needs_one() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let a = h
        .ok("capture_order", order_args(&id, json!({ "amount": 1000 })))
        .await;
    // the same capture again without a key looks like a repeat: refused, nothing sent
    let text = h
        .err("capture_order", order_args(&id, json!({ "amount": 1000 })))
        .await;
    let key = a["idempotencyKey"].as_str().unwrap();
    assert!(
        text.contains(key) && text.contains("new idempotencyKey"),
        "{text}"
    );
    assert_eq!(h.sim.snapshot(&id).unwrap().captures.len(), 1);
    // a second capture meant as such, with a key of its own
    let b = h
        .ok(
            "capture_order",
            order_args(
                &id,
                json!({ "amount": 1000, "idempotencyKey": "second-capture" }),
            ),
        )
        .await;
    assert_ne!(a["idempotencyKey"], b["idempotencyKey"]);
    assert_eq!(h.sim.snapshot(&id).unwrap().captures.len(), 2);
    // a different amount is a different capture: no key needed
    let c = h
        .ok("capture_order", order_args(&id, json!({ "amount": 500 })))
        .await;
    assert_ne!(c["idempotencyKey"], a["idempotencyKey"]);
}

#[tokio::test]
async fn reusing_a_key_reports_what_klarna_replayed_not_what_was_asked() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let first = h
        .ok(
            "capture_order",
            order_args(&id, json!({ "amount": 1000, "idempotencyKey": "ship-1" })),
        )
        .await;
    assert_eq!(first["replayed"], false);
    // the same capture with the same key: Klarna replays it, nothing new moves
    let again = h
        .ok(
            "capture_order",
            order_args(&id, json!({ "amount": 1000, "idempotencyKey": "ship-1" })),
        )
        .await;
    assert_eq!(again["replayed"], true);
    assert_eq!(again["captureId"], first["captureId"]);
    // same key, different amount: Klarna would ignore the body and replay the first capture,
    // so the journal refuses it before anything is sent
    let posts_before = h
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    let text = h
        .err(
            "capture_order",
            order_args(&id, json!({ "amount": 4000, "idempotencyKey": "ship-1" })),
        )
        .await;
    assert!(
        text.contains("\"ship-1\" was already used for a capture of 10.00 EUR")
            && text.contains("new idempotencyKey"),
        "{text}"
    );
    assert_eq!(
        h.sim
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        posts_before
    );
    assert_eq!(h.sim.snapshot(&id).unwrap().captured_amount, 1000);
}

#[tokio::test]
async fn a_call_that_runs_out_of_its_time_budget_mid_write_reports_an_unknown_outcome() {
    let h = start_with(|c| c.client.retry.budget = Duration::from_secs(3)).await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule {
        operation: Operation::Capture,
        fault: Fault::Delay(Duration::from_secs(4)),
        times: 1,
    });
    let text = h
        .err("capture_order", order_args(&id, json!({ "amount": 3000 })))
        .await;
    assert!(
        text.contains("OUTCOME UNKNOWN") && text.contains("amount 3000"),
        "{text}"
    );
    assert_eq!(posts(&h).len(), 1, "no retry fits in the budget");
    // the capture was in fact applied; repeating with the key replays it
    let key = posts(&h)[0].clone().unwrap();
    let h2 = h
        .ok(
            "capture_order",
            order_args(&id, json!({ "amount": 3000, "idempotencyKey": key })),
        )
        .await;
    assert_eq!(h2["replayed"], true);
    assert_eq!(h.sim.snapshot(&id).unwrap().captures.len(), 1);
}

#[tokio::test]
async fn retry_after_is_waited_for() {
    // given a Retry-After of 1 s and a cap above it
    let h = start_with(|c| c.client.retry.retry_after_cap = Duration::from_secs(5)).await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule {
        operation: Operation::GetOrder,
        fault: Fault::TooManyRequests {
            retry_after_secs: Some(1),
        },
        times: 1,
    });
    // when
    let started = std::time::Instant::now();
    h.ok("get_order", json!({ "orderId": id })).await;
    // then the retry waited at least the second Klarna asked for (a lower bound: a sleep
    // never ends early, however busy the machine)
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(h.sim.request_count(), 2);
}

#[tokio::test]
async fn with_no_retries_a_dropped_write_is_unknown_after_one_attempt() {
    let h = start_with(|c| c.client.retry.max_retries = 0).await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule {
        operation: Operation::Capture,
        fault: Fault::CommitThenDrop,
        times: 1,
    });
    let text = h
        .err("capture_order", order_args(&id, json!({ "amount": 3000 })))
        .await;
    assert!(text.contains("OUTCOME UNKNOWN"), "{text}");
    assert_eq!(posts(&h).len(), 1);
}

/// After a refusal Klarna gave for the write itself, a new attempt is told to take a new
/// key; after a rate limit (retried with the same key already) it is told to repeat with the
/// same key — never both.
#[tokio::test]
async fn a_refusal_says_which_key_a_new_attempt_takes_without_contradicting_itself() {
    let h = start_with(|c| c.client.retry.max_retries = 0).await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule::once(
        Operation::Capture,
        Fault::TooManyRequests {
            retry_after_secs: None,
        },
    ));
    let limited = h
        .err("capture_order", order_args(&id, json!({ "amount": 1000 })))
        .await;
    assert!(
        !limited.contains("new idempotencyKey") && limited.contains("Klarna did not apply it"),
        "{limited}"
    );
    h.sim
        .inject_fault(FaultRule::once(Operation::Capture, Fault::Status(400)));
    let refused = h
        .err(
            "capture_order",
            order_args(&id, json!({ "amount": 1000, "idempotencyKey": "k-400" })),
        )
        .await;
    assert!(
        refused.contains("new idempotencyKey") && !refused.contains("repeated with idempotencyKey"),
        "{refused}"
    );
    assert_eq!(h.sim.snapshot(&id).unwrap().captured_amount, 0);
}
