//! Steps shared by the four write tools (and the host check shared by all six).

use super::{
    call::Call,
    errors::{KlarnaFailure, Op, ToolError},
    output::OrderTotals,
    receipts::{After, WriteFacts},
};
use crate::{
    host::ApiHost,
    klarna::{Failed, types::Order},
    server::KlarnaServer,
};

impl KlarnaServer {
    /// The host of a call: `apiHost` if given and allowed, else the default.
    pub(crate) fn resolve_host(
        &self,
        call: &mut Call,
        requested: Option<&str>,
    ) -> Result<ApiHost, ToolError> {
        let host = self.config().hosts.resolve(requested)?;
        call.host = Some(host);
        Ok(host)
    }

    /// Reads the order before a write: its currency, remaining amount and state, for the
    /// amount, the cap, the question, and the next step if Klarna refuses.
    pub(crate) async fn read_before(
        &self,
        call: &mut Call,
        host: ApiHost,
        order_id: &str,
        what: &str,
    ) -> Result<Order, ToolError> {
        match self.client().get_order(host, order_id).await {
            Ok(reply) => {
                call.saw(reply.status, reply.correlation_id.as_deref());
                Ok(reply.value)
            }
            Err(failed) => Err(ToolError::Klarna(Box::new(KlarnaFailure {
                what: format!("{what}: reading the order first"),
                op: Op::GetOrder,
                host,
                failed,
                key: None,
                before: None,
            }))),
        }
    }

    /// Reads the order after a successful write. A failure here does not undo the write, so
    /// it is reported inside the success.
    pub(crate) async fn read_after(&self, host: ApiHost, order_id: &str) -> After {
        match self.client().get_order(host, order_id).await {
            Ok(reply) => After {
                order_after: Some(OrderTotals::of(&reply.value)),
                order_after_unavailable: None,
            },
            Err(failed) => After {
                order_after: None,
                order_after_unavailable: Some(failed.error.to_string()),
            },
        }
    }

    /// The idempotency key: the caller's, or a fresh UUID v4.
    pub(crate) fn idempotency_key(call: &mut Call, given: Option<String>) -> String {
        let key = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        call.key = Some(key.clone());
        key
    }

    /// The facts every write result shows.
    pub(crate) fn write_facts(
        &self,
        order_id: &str,
        host: ApiHost,
        key: &str,
        attempts: u32,
        before: &Order,
    ) -> WriteFacts {
        WriteFacts {
            notice: self.notice().map(str::to_string),
            order_id: order_id.to_string(),
            api_host: host.to_string(),
            idempotency_key: key.to_string(),
            attempts,
            currency: OrderTotals::of(before).currency,
        }
    }
}

/// A failed write, explained with the order as it was before.
pub(crate) fn write_failed(
    what: String,
    op: Op,
    host: ApiHost,
    failed: Failed,
    key: &str,
    before: Order,
) -> ToolError {
    ToolError::Klarna(Box::new(KlarnaFailure {
        what,
        op,
        host,
        failed,
        key: Some(key.to_string()),
        before: Some(before),
    }))
}

/// Refuses an amount above a configured cap.
pub(crate) fn check_cap(
    amount: i64,
    cap: Option<i64>,
    var: &str,
    what: &str,
    currency: &str,
) -> Result<(), ToolError> {
    match cap {
        Some(cap) if amount > cap => Err(ToolError::Refused(format!(
            "Refused: {what} of {} is above this server's limit {var}={} ({}). Use a smaller amount, or ask the operator to raise {var}.",
            crate::money::format_money(amount, currency),
            cap,
            crate::money::format_money(cap, currency),
        ))),
        _ => Ok(()),
    }
}
