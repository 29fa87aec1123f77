//! Fault injection: which operation a rule targets, what goes wrong, and the
//! FIFO queue that hands faults out to matching requests.

use std::collections::VecDeque;
use std::time::Duration;

/// The simulated operations a [`FaultRule`] can target.
///
/// Faults only apply to these routed operations: unknown paths (404), wrong
/// methods (405) and failed authentication (401) never consume a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `GET /orders/{id}`.
    GetOrder,
    /// `POST /orders/{id}/captures`.
    Capture,
    /// `GET /orders/{id}/captures` and `GET /orders/{id}/captures/{capture_id}`.
    GetCapture,
    /// `POST /orders/{id}/refunds`.
    Refund,
    /// `POST /orders/{id}/cancel`.
    Cancel,
    /// `POST /orders/{id}/release-remaining-authorization`.
    Release,
    /// Matches every operation above, plus `GET /orders/{id}/refunds/{refund_id}`
    /// (which only `Any` rules match).
    Any,
}

/// What happens to a request that a [`FaultRule`] matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with Klarna's error body; nothing is applied or
    /// stored for idempotent replay. 5xx use `TEMPORARILY_UNAVAILABLE`
    /// (502/503/504) or `INTERNAL_SERVER_ERROR` (other 5xx).
    Status(u16),
    /// 429 `TOO_MANY_REQUESTS` (with `Retry-After` when `Some`); nothing applied.
    TooManyRequests {
        /// Value of the `Retry-After` header in seconds, if any.
        retry_after_secs: Option<u64>,
    },
    /// Apply the operation (and store its real outcome for idempotent replay),
    /// then answer this status with Klarna's error body instead.
    CommitThenStatus(u16),
    /// Apply the operation (and store it), then close the TCP connection
    /// without sending a single response byte.
    CommitThenDrop,
    /// Apply the operation (and store it), then wait this long before answering
    /// normally.
    Delay(Duration),
}

/// The next `times` requests matching `operation` get `fault`.
///
/// Rules are consulted in the order they were injected; the first rule that
/// matches a request (and still has uses left) is consumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Which requests the rule applies to.
    pub operation: Operation,
    /// What goes wrong.
    pub fault: Fault,
    /// How many matching requests get the fault (0 = never).
    pub times: u32,
}

impl FaultRule {
    /// A rule that fires for exactly one matching request.
    pub fn once(operation: Operation, fault: Fault) -> Self {
        Self {
            operation,
            fault,
            times: 1,
        }
    }
}

/// The pending fault rules, oldest first.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    rules: VecDeque<FaultRule>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, rule: FaultRule) {
        if rule.times > 0 {
            self.rules.push_back(rule);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// Consumes one use of the first rule matching `op`, if any.
    pub(crate) fn take(&mut self, op: Operation) -> Option<Fault> {
        let pos = self
            .rules
            .iter()
            .position(|r| r.operation == Operation::Any || r.operation == op)?;
        let rule = self.rules.get_mut(pos)?;
        rule.times = rule.times.saturating_sub(1);
        let fault = rule.fault.clone();
        if rule.times == 0 {
            self.rules.remove(pos);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_across_rules_and_operations() {
        let mut q = FaultQueue::default();
        q.push(FaultRule {
            operation: Operation::Capture,
            fault: Fault::Status(503),
            times: 2,
        });
        q.push(FaultRule::once(Operation::Any, Fault::Status(500)));
        assert_eq!(q.take(Operation::GetOrder), Some(Fault::Status(500)));
        assert_eq!(q.take(Operation::GetOrder), None);
        assert_eq!(q.take(Operation::Capture), Some(Fault::Status(503)));
        assert_eq!(q.take(Operation::Capture), Some(Fault::Status(503)));
        assert_eq!(q.take(Operation::Capture), None);
    }
}
