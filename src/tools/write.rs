//! Steps shared by the four write tools (and the host check shared by all six).

use std::time::{Duration, Instant};

use super::{
    call::Call,
    confirm::Asker,
    errors::{KlarnaFailure, Op, ToolError},
    output::OrderTotals,
    receipts::{After, WriteFacts},
};
use crate::{
    host::ApiHost,
    klarna::{Failed, types::Order},
    money::format_money,
    server::KlarnaServer,
};

/// Least time worth spending on the read after a write; with less left, it is skipped so the
/// result (and its idempotency key) reaches the client in time.
const MIN_TIME_FOR_READ_AFTER: Duration = Duration::from_millis(500);

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
        match self.client().get_order(host, order_id, &call.limits).await {
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
                amount: None,
            }))),
        }
    }

    /// Reads the order after a successful write. A failure here does not undo the write, so
    /// it is reported inside the success.
    pub(crate) async fn read_after(&self, call: &Call, host: ApiHost, order_id: &str) -> After {
        if call
            .limits
            .deadline
            .saturating_duration_since(Instant::now())
            < MIN_TIME_FOR_READ_AFTER
        {
            return After {
                order_after: None,
                order_after_unavailable: Some(
                    "skipped: the call's time budget (KLARNA_TIMEOUT_SECS) is used up".into(),
                ),
            };
        }
        match self.client().get_order(host, order_id, &call.limits).await {
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

    /// The idempotency key: the caller's; else the one generated when this same call asked for
    /// confirmation (2026-07-28 round trip); else a fresh UUID v4.
    pub(crate) fn idempotency_key(call: &mut Call, given: Option<String>, asker: &Asker) -> String {
        let earlier = match (&call.order_id, call.host) {
            (Some(order_id), Some(host)) => {
                asker.confirmed_key(call.tool(), order_id, host.as_str())
            }
            _ => None,
        };
        let key = given
            .or(earlier)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        call.key = Some(key.clone());
        key
    }

    /// The facts every write result shows.
    pub(crate) fn write_facts(
        &self,
        call: &Call,
        host: ApiHost,
        attempts: u32,
        before: &Order,
        replayed: bool,
    ) -> WriteFacts {
        WriteFacts {
            notice: self.notice().map(str::to_string),
            order_id: call.order_id.clone().unwrap_or_default(),
            api_host: host.to_string(),
            idempotency_key: call.key.clone().unwrap_or_default(),
            attempts,
            currency: OrderTotals::of(before).currency,
            replayed,
        }
    }
}

/// What a failed write needs for its message.
pub(crate) struct WriteContext<'a> {
    /// "Capture of 105.00 EUR on order … at …".
    pub what: String,
    /// Which write.
    pub op: Op,
    /// Where it went.
    pub host: ApiHost,
    /// Its idempotency key.
    pub key: &'a str,
    /// Amount sent, if any.
    pub amount: Option<i64>,
}

/// A failed write, explained with the order as it was before.
pub(crate) fn write_failed(ctx: WriteContext<'_>, failed: Failed, before: &Order) -> ToolError {
    ToolError::Klarna(Box::new(KlarnaFailure {
        what: ctx.what,
        op: ctx.op,
        host: ctx.host,
        failed,
        key: Some(ctx.key.to_string()),
        before: Some(before.clone()),
        amount: ctx.amount,
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
            "Refused: {what} of {} is above this server's limit {var}={cap} ({}). Use a smaller amount, or ask the operator to raise {var}.",
            format_money(amount, currency),
            format_money(cap, currency),
        ))),
        _ => Ok(()),
    }
}
