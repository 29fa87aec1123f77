//! Exactly-once for the fulfilment and amendments writes under faults, as `faults.rs` proves
//! it for the money writes: the simulator drops the answer after committing, answers 5xx or
//! 429, or answers too late. Each write takes effect at most once, every attempt carries one
//! key, and a result is a success only when Klarna said so — otherwise OUTCOME UNKNOWN with
//! the key, and a repeat with that key applies it once (and says the key was repeated).

use std::time::Duration;

use klarna_mcp::simulator::{Fault, FaultRule, Operation, OrderSnapshot, SeedOrder};
use serde_json::{Value, json};

use crate::common::{Harness, start_all_with};

#[derive(Clone, Copy, Debug)]
enum Write {
    CaptureShipping,
    OrderShipping,
    SendOut,
    ExtendAuthorization,
    References,
    Acknowledge,
    OrderAmount,
    DueDate,
    Customer,
}

const WRITES: [Write; 9] = [
    Write::CaptureShipping,
    Write::OrderShipping,
    Write::SendOut,
    Write::ExtendAuthorization,
    Write::References,
    Write::Acknowledge,
    Write::OrderAmount,
    Write::DueDate,
    Write::Customer,
];

impl Write {
    fn seed(self) -> SeedOrder {
        match self {
            Write::CaptureShipping | Write::SendOut | Write::DueDate => {
                SeedOrder::new(10000, "EUR").captured(10000)
            }
            Write::ExtendAuthorization => SeedOrder::new(10000, "EUR").placed_days_ago(20),
            Write::Acknowledge => SeedOrder::new(10000, "EUR").klarna_checkout(),
            _ => SeedOrder::new(10000, "EUR"),
        }
    }

    fn tool(self) -> &'static str {
        match self {
            Write::CaptureShipping => "add_shipping_info",
            Write::OrderShipping => "add_order_shipping_info",
            Write::SendOut => "resend_customer_communication",
            Write::ExtendAuthorization => "extend_authorization_time",
            Write::References => "update_merchant_references",
            Write::Acknowledge => "acknowledge_order",
            Write::OrderAmount => "update_order_amount",
            Write::DueDate => "extend_due_date",
            Write::Customer => "update_customer_details",
        }
    }

    fn op(self) -> Operation {
        match self {
            Write::CaptureShipping => Operation::AppendShippingInfo,
            Write::OrderShipping => Operation::AppendOrderShippingInfo,
            Write::SendOut => Operation::TriggerSendOut,
            Write::ExtendAuthorization => Operation::ExtendAuthorizationTime,
            Write::References => Operation::UpdateMerchantReferences,
            Write::Acknowledge => Operation::AcknowledgeOrder,
            Write::OrderAmount => Operation::UpdateAuthorization,
            Write::DueDate => Operation::ExtendDueDate,
            Write::Customer => Operation::UpdateConsumerDetails,
        }
    }

    fn args(self, h: &Harness, id: &str) -> Value {
        let capture = || h.capture_id(id, 0);
        let shipping = json!([{ "shippingCompany": "DHL SE", "trackingNumber": "T-1" }]);
        match self {
            Write::CaptureShipping => {
                json!({ "orderId": id, "captureId": capture(), "shippingInfo": shipping })
            }
            Write::OrderShipping => json!({ "orderId": id, "shippingInfo": shipping }),
            Write::SendOut => json!({ "orderId": id, "captureId": capture() }),
            Write::References => json!({ "orderId": id, "merchantReference1": "ERP-2" }),
            Write::OrderAmount => json!({ "orderId": id, "newOrderAmount": 8000 }),
            Write::DueDate => {
                json!({ "orderId": id, "captureId": capture(), "numberOfDays": 14 })
            }
            Write::Customer => {
                json!({ "orderId": id, "shippingAddress": { "city": "Hamburg", "postalCode": "20095" } })
            }
            Write::ExtendAuthorization | Write::Acknowledge => json!({ "orderId": id }),
        }
    }

    /// Whether the write took effect (exactly once, where a second time would show).
    fn applied(self, h: &Harness, id: &str, before: &OrderSnapshot) -> bool {
        let s = h.sim.snapshot(id).unwrap();
        let order = h.sim.order_json(id).unwrap();
        match self {
            Write::CaptureShipping => {
                let n = s.captures[0].shipping_info_count;
                assert!(n <= 1, "{self:?} applied {n} times");
                n == 1
            }
            Write::OrderShipping => {
                assert!(s.shipping_info_count <= 1, "{s:?}");
                s.shipping_info_count == 1
            }
            Write::SendOut => {
                let n = s.captures[0].send_outs;
                assert!(n <= 1, "{self:?} applied {n} times");
                n == 1
            }
            Write::ExtendAuthorization => s.expires_at > before.expires_at,
            Write::References => order["merchant_reference1"] == "ERP-2",
            Write::Acknowledge => s.acknowledged,
            Write::OrderAmount => s.order_amount == 8000,
            Write::DueDate => {
                assert!(s.fees.len() <= 1, "{self:?} charged {} fees", s.fees.len());
                s.fees.len() == 1
            }
            Write::Customer => order["shipping_address"]["city"] == "Hamburg",
        }
    }
}

/// The writes (not reads) the simulator received, with their keys.
fn sent_keys(h: &Harness) -> Vec<Option<String>> {
    h.sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.idempotency_key)
        .collect()
}

async fn harness() -> Harness {
    start_all_with(|c| c.client.retry.attempt_timeout = Duration::from_millis(1500)).await
}

/// One fault once: the retry with the same key gets Klarna's answer, applied once.
async fn survives(fault: Fault) {
    for write in WRITES {
        let h = harness().await;
        let id = h.seed(write.seed());
        let before = h.sim.snapshot(&id).unwrap();
        let args = write.args(&h, &id);
        h.sim.inject_fault(FaultRule {
            operation: write.op(),
            fault: fault.clone(),
            times: 1,
        });
        let result = h.call(write.tool(), args).await;
        let text = crate::common::text(&result);
        assert_eq!(result.is_error, Some(false), "{write:?} {fault:?}: {text}");
        assert!(write.applied(&h, &id, &before), "{write:?} {fault:?}");
        let receipt = result.structured_content.unwrap();
        let keys = sent_keys(&h);
        assert_eq!(keys.len(), 2, "{write:?} {fault:?}: {keys:?}");
        assert!(
            keys.iter()
                .all(|k| k.as_deref() == receipt["idempotencyKey"].as_str()),
            "{write:?}: {keys:?}"
        );
    }
}

#[tokio::test]
async fn a_dropped_answer_after_the_commit_is_retried_with_the_same_key_and_applied_once() {
    survives(Fault::CommitThenDrop).await;
}

#[tokio::test]
async fn a_500_after_the_commit_is_retried_and_replayed_not_repeated() {
    survives(Fault::CommitThenStatus(500)).await;
}

#[tokio::test]
async fn a_503_is_retried_and_applied_once() {
    survives(Fault::Status(503)).await;
}

#[tokio::test]
async fn a_429_is_retried_and_applied_once() {
    survives(Fault::TooManyRequests {
        retry_after_secs: None,
    })
    .await;
}

#[tokio::test]
async fn an_answer_slower_than_the_attempt_timeout_is_retried_and_replayed() {
    survives(Fault::Delay(Duration::from_millis(2500))).await;
}

#[tokio::test]
async fn answers_lost_to_the_end_are_an_unknown_outcome_and_the_key_settles_it_once() {
    for write in WRITES {
        let h = harness().await;
        let id = h.seed(write.seed());
        let before = h.sim.snapshot(&id).unwrap();
        let args = write.args(&h, &id);
        h.sim.inject_fault(FaultRule {
            operation: write.op(),
            fault: Fault::CommitThenDrop,
            times: 3,
        });
        let text = h.err(write.tool(), args.clone()).await;
        assert!(text.contains("OUTCOME UNKNOWN"), "{write:?}: {text}");
        assert!(text.contains("may or may not"), "{write:?}: {text}");
        let keys = sent_keys(&h);
        assert_eq!(keys.len(), 3, "{write:?}: {keys:?}");
        let key = keys[0].clone().unwrap();
        assert!(text.contains(&key), "{text}");
        assert!(write.applied(&h, &id, &before), "{write:?}");

        // get_order lists it as unresolved, with the arguments that settle it
        let view = h.ok("get_order", json!({ "orderId": id })).await;
        let unresolved = view["unresolvedWrites"].to_string();
        assert!(unresolved.contains(&key), "{write:?}: {unresolved}");

        // the repeat with the key: Klarna answers with the first result, nothing twice
        let mut again = args;
        again["idempotencyKey"] = json!(key);
        let result = h.call(write.tool(), again).await;
        let text = crate::common::text(&result);
        assert_eq!(result.is_error, Some(false), "{write:?}: {text}");
        assert!(text.contains("REPEATED KEY"), "{write:?}: {text}");
        assert!(write.applied(&h, &id, &before), "{write:?}");
        assert!(
            sent_keys(&h)
                .iter()
                .all(|k| k.as_deref() == Some(key.as_str()))
        );
    }
}

#[tokio::test]
async fn a_5xx_to_the_end_is_an_unknown_outcome_and_the_repeat_applies_it_once() {
    for write in WRITES {
        let h = harness().await;
        let id = h.seed(write.seed());
        let before = h.sim.snapshot(&id).unwrap();
        let args = write.args(&h, &id);
        h.sim.inject_fault(FaultRule {
            operation: write.op(),
            fault: Fault::Status(503),
            times: 3,
        });
        let text = h.err(write.tool(), args.clone()).await;
        assert!(
            text.contains("OUTCOME UNKNOWN") && text.contains("HTTP 503"),
            "{write:?}: {text}"
        );
        assert!(!write.applied(&h, &id, &before), "{write:?}");
        let key = sent_keys(&h)[0].clone().unwrap();
        let mut again = args;
        again["idempotencyKey"] = json!(key);
        h.ok(write.tool(), again).await;
        assert!(write.applied(&h, &id, &before), "{write:?}");
    }
}

#[tokio::test]
async fn rate_limited_to_the_end_is_a_definite_failure_for_every_write() {
    for write in WRITES {
        let h = harness().await;
        let id = h.seed(write.seed());
        let before = h.sim.snapshot(&id).unwrap();
        let args = write.args(&h, &id);
        h.sim.inject_fault(FaultRule {
            operation: write.op(),
            fault: Fault::TooManyRequests {
                retry_after_secs: None,
            },
            times: 3,
        });
        let text = h.err(write.tool(), args).await;
        assert!(text.contains("HTTP 429"), "{write:?}: {text}");
        assert!(!text.contains("OUTCOME UNKNOWN"), "{write:?}: {text}");
        assert!(
            text.contains("Klarna did not apply it"),
            "{write:?}: {text}"
        );
        assert!(!write.applied(&h, &id, &before), "{write:?}");
    }
}
