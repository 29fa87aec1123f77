//! The write pipeline. Capture, refund, cancel and release each describe their write as a
//! [`WriteRequest`] — what, on which order and host, for how much, with which body — and
//! [`KlarnaServer::write`] runs the same steps for all four, so every safety rule lives here
//! once:
//!
//! 1. resolve the host and the idempotency key;
//! 2. read the order (currency, remaining amount, state — for the amount, the caps, the
//!    question and the next step if Klarna refuses);
//! 3. guards: the amount a capture of "everything" means, the caps;
//! 4. confirmation by the human, when configured;
//! 5. send with one idempotency key, unless the client cancelled the call;
//! 6. the verdict, and whether Klarna replayed an earlier call with this key;
//! 7. read the order again so the result shows the totals afterwards.

use std::time::{Duration, Instant};

use super::{
    call::ToolCall,
    confirm::{Asker, Consent, WriteIdentity, body_digest, confirm},
    errors::{FailedRequest, Op, ToolError},
    in_flight::InFlightWrite,
    output::OrderTotals,
    receipts::{After, WriteFacts},
};
use crate::{
    host::ApiHost,
    journal::{self, GuardRefusal, Journal, JournalError, NewRecord, Verdict},
    klarna::{
        CallError, Created, Reply,
        types::{CaptureRequest, Order, OrderLine, RefundRequest, ShippingInfo},
    },
    money::{format_major, format_money},
    server::KlarnaServer,
};

/// Least time worth spending on the read after a write; with less left, it is skipped so the
/// result (and its idempotency key) reaches the client in time.
const MIN_TIME_FOR_READ_AFTER: Duration = Duration::from_millis(500);
/// How long a verdict may still take to reach the journal once the call's budget is spent:
/// an append takes milliseconds, so only a journal held by someone else needs this, and the
/// call must not wait on them.
const JOURNAL_VERDICT_GRACE: Duration = Duration::from_secs(1);

/// The four writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteKind {
    /// `capture_order`.
    Capture,
    /// `refund_order`.
    Refund,
    /// `cancel_order`.
    Cancel,
    /// `release_remaining_authorization`.
    Release,
}

impl WriteKind {
    /// The tool's name.
    pub(crate) fn tool(self) -> &'static str {
        match self {
            Self::Capture => "capture_order",
            Self::Refund => "refund_order",
            Self::Cancel => "cancel_order",
            Self::Release => "release_remaining_authorization",
        }
    }

    fn op(self) -> Op {
        match self {
            Self::Capture => Op::Capture,
            Self::Refund => Op::Refund,
            Self::Cancel => Op::Cancel,
            Self::Release => Op::Release,
        }
    }

    /// Whether the write moves an amount the caller names (capture, refund), rather than
    /// ending what remains of the authorization (cancel, release).
    fn moves_money(self) -> bool {
        matches!(self, Self::Capture | Self::Refund)
    }
}

/// The body of a write, without the amount (a capture of "everything" learns it from the
/// order).
pub(crate) enum WriteBody {
    /// `POST …/captures`.
    Capture {
        /// Shown to the customer.
        description: Option<String>,
        /// Merchant reference, e.g. a shipment id.
        reference: Option<String>,
        /// Lines captured.
        order_lines: Option<Vec<OrderLine>>,
        /// Tracking data.
        shipping_info: Option<Vec<ShippingInfo>>,
    },
    /// `POST …/refunds`.
    Refund {
        /// Shown to the customer.
        description: Option<String>,
        /// Merchant reference, e.g. an RMA number.
        reference: Option<String>,
        /// Lines refunded.
        order_lines: Option<Vec<OrderLine>>,
    },
    /// Cancel and release carry no body.
    Empty,
}

/// The JSON body sent, with its amount.
enum WireBody {
    Capture(CaptureRequest),
    Refund(RefundRequest),
    Empty,
}

impl WriteBody {
    fn with_amount(&self, amount: i64) -> WireBody {
        match self {
            Self::Capture {
                description,
                reference,
                order_lines,
                shipping_info,
            } => WireBody::Capture(CaptureRequest {
                captured_amount: amount,
                description: description.clone(),
                reference: reference.clone(),
                order_lines: order_lines.clone(),
                shipping_info: shipping_info.clone(),
            }),
            Self::Refund {
                description,
                reference,
                order_lines,
            } => WireBody::Refund(RefundRequest {
                refunded_amount: amount,
                description: description.clone(),
                reference: reference.clone(),
                order_lines: order_lines.clone(),
            }),
            Self::Empty => WireBody::Empty,
        }
    }

    fn reference(&self) -> Option<&str> {
        match self {
            Self::Capture { reference, .. } | Self::Refund { reference, .. } => {
                reference.as_deref()
            }
            Self::Empty => None,
        }
    }
}

impl WireBody {
    fn digest(&self) -> String {
        match self {
            Self::Capture(body) => body_digest(body),
            Self::Refund(body) => body_digest(body),
            Self::Empty => String::new(),
        }
    }
}

/// One write, as a tool describes it after validating its arguments.
pub(crate) struct WriteRequest {
    /// Which write.
    pub kind: WriteKind,
    /// Klarna order id (validated).
    pub order_id: String,
    /// `apiHost` as given (validated by the pipeline).
    pub api_host: Option<String>,
    /// Capture: `None` = everything still authorized. Refund: always given. Cancel and
    /// release: `None` (they end whatever remains).
    pub amount: Option<i64>,
    /// The currency the caller meant the amount in (ISO 4217, upper-case), if it said.
    pub currency: Option<String>,
    /// The caller's idempotency key (validated), if any.
    pub idempotency_key: Option<String>,
    /// What is sent besides the amount.
    pub body: WriteBody,
}

/// What an earlier call with the same key did, when Klarna answered with its result.
pub(crate) struct EarlierWrite {
    /// Its amount, when the order shows it.
    pub amount: Option<i64>,
    /// Its reference, when the order shows it.
    pub reference: Option<String>,
}

/// A write Klarna applied (or replayed), with what the result shows.
pub(crate) struct Written {
    /// Facts every write result carries.
    pub facts: WriteFacts,
    /// The amount this call sent (for cancel and release: what was still authorized).
    pub amount: i64,
    /// Id of the capture or refund created.
    pub created_id: Option<String>,
    /// The reference sent.
    pub reference: Option<String>,
    /// Set when Klarna answered with an earlier call's result for this key.
    pub earlier: Option<EarlierWrite>,
    /// The order afterwards.
    pub after: After,
}

impl KlarnaServer {
    /// Runs one write through the pipeline.
    pub(crate) async fn write(
        &self,
        call: &mut ToolCall,
        request: WriteRequest,
        asker: &Asker,
    ) -> Result<Written, ToolError> {
        let kind = request.kind;
        let order_id = request.order_id.as_str();
        call.order_id = Some(request.order_id.clone());
        call.amount = request.amount;
        let host = self.resolve_host(call, request.api_host.as_deref())?;
        let key = idempotency_key(call, request.idempotency_key.clone(), asker);
        // Fail closed: without a journal to record it first, no write is sent.
        let journal = self.journal().await.map_err(|e| {
            ToolError::Refused(format!(
                "Not done: {e}. Writes are refused until the journal can record them (reads work); \
                 fix the file's location or permissions, or set KLARNA_JOURNAL."
            ))
        })?;

        let before = self.read_before(call, kind, host, order_id).await?;
        let totals = OrderTotals::of(&before);
        check_readable(&before, order_id)?;
        if kind == WriteKind::Capture {
            check_fraud_status(&totals, order_id)?;
        }
        if let Some(meant) = &request.currency
            && *meant != totals.currency
        {
            let amount = request.amount.unwrap_or(totals.remaining_authorized_amount);
            return Err(ToolError::Refused(format!(
                "Refused: the amount was meant in {meant}, but order {order_id} is in {order}: {amount} \
                 would be {actual}, not {asked}. Convert the amount to {order} (or ask the user what they \
                 meant), then call again with currency \"{order}\".",
                order = totals.currency,
                actual = format_major(amount, &totals.currency),
                asked = format_major(amount, meant),
            )));
        }
        let amount = self.amount_of(kind, request.amount, &totals, host, order_id)?;
        call.amount = Some(amount);
        self.check_cap(kind, amount, &totals.currency)?;

        let body = request.body.with_amount(amount);
        let attempt = NewRecord {
            op_id: uuid::Uuid::new_v4().to_string(),
            recorded_at: journal::now(),
            tool: kind.tool().to_string(),
            api_host: host.to_string(),
            // One spelling per order, so a change of case cannot slip past the guards.
            order_id: order_id.to_ascii_lowercase(),
            amount,
            amount_was_everything: request.amount.is_none(),
            currency: totals.currency.clone(),
            idempotency_key: key.clone(),
            key_from_caller: request.idempotency_key.is_some(),
            body_digest: body.digest(),
            client_name: call.client.as_ref().map(|c| c.0.clone()),
            client_version: call.client.as_ref().map(|c| c.1.clone()),
            principal: call.principal.clone(),
            confirmed: false,
            verdict: Verdict::Pending,
            created_id: None,
            correlation_id: None,
            http_status: None,
            error_code: None,
            note: None,
        };
        // The guards first, so nobody is asked to confirm a write that will be refused.
        let prechecked =
            tokio::time::timeout_at(call.limits.deadline.into(), journal.precheck(&attempt))
                .await
                .map_err(|_| journal_too_slow(None))?;
        if let Some(refusal) = prechecked.map_err(journal_refusal)? {
            let not_sent = NewRecord {
                verdict: Verdict::NotSent,
                note: Some(guard_note(&refusal)),
                ..attempt
            };
            record(&journal, not_sent, call.limits.deadline).await;
            return Err(ToolError::Refused(guard_message(
                &refusal,
                kind,
                &totals.currency,
            )));
        }

        let question = question(kind, amount, &totals.currency, order_id, host);
        let identity = WriteIdentity::new(
            kind.tool(),
            order_id,
            host.as_str(),
            amount,
            &key,
            &attempt.body_digest,
            call.principal.as_deref(),
        );
        let consent = confirm(
            self.config().confirm_writes,
            asker,
            &question,
            &identity,
            self.config().confirm_timeout,
        )
        .await;
        let consent = match consent {
            Ok(consent) => consent,
            Err(e @ ToolError::Declined(_)) => {
                let declined = NewRecord {
                    verdict: Verdict::Declined,
                    recorded_at: journal::now(),
                    ..attempt
                };
                record(&journal, declined, call.limits.deadline).await;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        call.confirmed = Some(consent.by_human());
        let attempt = NewRecord {
            confirmed: consent.by_human(),
            recorded_at: journal::now(),
            ..attempt
        };
        // Only a human's thinking time earns the write a fresh budget; otherwise the whole
        // call — reads, write, retries — ends within KLARNA_TIMEOUT_SECS, so the client sees
        // the result (and its idempotency key) before it gives up on the call.
        if consent == Consent::GivenDuringThisCall {
            call.restart_budget();
        }
        call.ensure_not_cancelled()?;

        // The guards again, atomically with the pending record: of two identical writes
        // racing here, one is recorded and sent, the other refused.
        let begun =
            tokio::time::timeout_at(call.limits.deadline.into(), journal.begin(attempt.clone()))
                .await
                .map_err(|_| journal_too_slow(Some(&key)))?;
        if let Some(refusal) = begun.map_err(journal_refusal)? {
            return Err(ToolError::Refused(guard_message(
                &refusal,
                kind,
                &totals.currency,
            )));
        }
        call.in_flight = Some(self.in_flight_writes().begin(InFlightWrite {
            tool: kind.tool(),
            api_host: host.as_str(),
            order_id: order_id.to_string(),
            amount,
            idempotency_key: key.clone(),
            confirmed: consent.by_human(),
            principal: call.principal.clone(),
            since: Instant::now(),
        }));
        let sent = self.send(kind, host, order_id, &body, &key, call).await;
        let sent = match sent {
            Ok(sent) => sent,
            Err(failed) => {
                let verdict = if failed.may_have_applied {
                    Verdict::OutcomeUnknown
                } else if failed.attempts == 0 {
                    Verdict::NotSent
                } else {
                    Verdict::Refused
                };
                let answered = NewRecord {
                    recorded_at: journal::now(),
                    verdict,
                    correlation_id: failed.error.correlation_id().map(str::to_string),
                    http_status: failed.error.status(),
                    error_code: failed.error.error_code().map(str::to_string),
                    note: (verdict == Verdict::NotSent).then(|| failed.error.to_string()),
                    ..attempt
                };
                record(&journal, answered, call.limits.deadline).await;
                let what = match kind {
                    WriteKind::Capture | WriteKind::Refund => format!(
                        "{} of {} on order {order_id} at {host}",
                        noun(kind),
                        format_money(amount, &totals.currency)
                    ),
                    WriteKind::Cancel | WriteKind::Release => {
                        format!("{} order {order_id} at {host}", noun(kind))
                    }
                };
                return Err(ToolError::Klarna(Box::new(FailedRequest {
                    what,
                    op: kind.op(),
                    host,
                    error: failed.error,
                    attempts: failed.attempts,
                    may_have_applied: failed.may_have_applied,
                    credentials: failed.credentials,
                    key: Some(key.clone()),
                    before: Some(before.clone()),
                    amount: kind.moves_money().then_some(amount),
                })));
            }
        };
        call.saw(sent.status, sent.correlation_id.as_deref());

        let (after, order_after) = self.read_after(call, host, order_id).await;
        let sent_reference = request.body.reference();
        let earlier = earlier_write(
            kind,
            sent.value.as_deref(),
            (amount, sent_reference),
            &before,
            order_after.as_ref(),
        );
        let applied = NewRecord {
            recorded_at: journal::now(),
            verdict: if earlier.is_some() {
                Verdict::Replayed
            } else {
                Verdict::Applied
            },
            created_id: sent.value.clone(),
            correlation_id: sent.correlation_id.clone(),
            http_status: Some(sent.status),
            ..attempt
        };
        record(&journal, applied, call.limits.deadline).await;
        let facts = WriteFacts {
            notice: self.notice().map(str::to_string),
            order_id: order_id.to_string(),
            api_host: host.to_string(),
            idempotency_key: key,
            currency: totals.currency.clone(),
            replayed: earlier.is_some(),
        };
        Ok(Written {
            facts,
            amount,
            created_id: sent.value,
            reference: sent_reference.map(str::to_string),
            earlier,
            after,
        })
    }

    /// Reads the order before a write.
    async fn read_before(
        &self,
        call: &mut ToolCall,
        kind: WriteKind,
        host: ApiHost,
        order_id: &str,
    ) -> Result<Order, ToolError> {
        match self.client().get_order(host, order_id, &call.limits).await {
            Ok(reply) => {
                call.saw(reply.status, reply.correlation_id.as_deref());
                Ok(reply.value)
            }
            Err(failed) => Err(ToolError::Klarna(Box::new(FailedRequest::read(
                format!(
                    "{} on order {order_id} at {host}: reading the order first",
                    noun(kind)
                ),
                Op::GetOrder,
                host,
                failed,
            )))),
        }
    }

    /// The amount the write moves or ends.
    fn amount_of(
        &self,
        kind: WriteKind,
        requested: Option<i64>,
        totals: &OrderTotals,
        host: ApiHost,
        order_id: &str,
    ) -> Result<i64, ToolError> {
        let remaining = totals.remaining_authorized_amount;
        match (kind, requested) {
            (_, Some(amount)) => Ok(amount),
            (WriteKind::Capture, None) if remaining > 0 => Ok(remaining),
            (WriteKind::Capture | WriteKind::Refund, None) => Err(ToolError::Refused(format!(
                "Nothing remains to capture on order {order_id} at {host}: it is {} with {} remaining authorized. \
                 (Repeating an earlier capture whose outcome was unknown? Pass its amount with the same idempotencyKey.)",
                totals.status,
                format_money(remaining, &totals.currency)
            ))),
            (WriteKind::Cancel | WriteKind::Release, None) => Ok(remaining),
        }
    }

    /// `KLARNA_MAX_CAPTURE_AMOUNT` / `KLARNA_MAX_REFUND_AMOUNT`.
    fn check_cap(&self, kind: WriteKind, amount: i64, currency: &str) -> Result<(), ToolError> {
        let (cap, var, what) = match kind {
            WriteKind::Capture => (
                self.config().max_capture_amount,
                "KLARNA_MAX_CAPTURE_AMOUNT",
                "a capture",
            ),
            WriteKind::Refund => (
                self.config().max_refund_amount,
                "KLARNA_MAX_REFUND_AMOUNT",
                "a refund",
            ),
            WriteKind::Cancel | WriteKind::Release => return Ok(()),
        };
        match cap {
            Some(cap) if amount > cap => Err(ToolError::Refused(format!(
                "Refused: {what} of {} is above this server's limit {var}={cap} ({}). Use a smaller amount, or ask the operator to raise {var}.",
                format_money(amount, currency),
                format_money(cap, currency),
            ))),
            _ => Ok(()),
        }
    }

    /// Sends the write with its idempotency key; a capture or refund answers with the id of
    /// what it created.
    async fn send(
        &self,
        kind: WriteKind,
        host: ApiHost,
        order_id: &str,
        body: &WireBody,
        key: &str,
        call: &ToolCall,
    ) -> Result<Reply<Option<String>>, CallError> {
        let client = self.client();
        let limits = &call.limits;
        let id = |reply: Reply<Created>| Reply {
            value: Some(reply.value.id),
            status: reply.status,
            attempts: reply.attempts,
            correlation_id: reply.correlation_id,
        };
        let no_id = |reply: Reply<()>| Reply {
            value: None,
            status: reply.status,
            attempts: reply.attempts,
            correlation_id: reply.correlation_id,
        };
        match (kind, body) {
            (WriteKind::Capture, WireBody::Capture(body)) => client
                .create_capture(host, order_id, body, key, limits)
                .await
                .map(id),
            (WriteKind::Refund, WireBody::Refund(body)) => client
                .create_refund(host, order_id, body, key, limits)
                .await
                .map(id),
            (WriteKind::Cancel, _) => client
                .cancel_order(host, order_id, key, limits)
                .await
                .map(no_id),
            (WriteKind::Release, _) => client
                .release_remaining_authorization(host, order_id, key, limits)
                .await
                .map(no_id),
            // A capture or refund always carries its body; anything else is a bug here, and
            // sending nothing is the safe answer.
            (WriteKind::Capture | WriteKind::Refund, _) => Err(CallError::from(
                crate::klarna::KlarnaError::NotSent("internal error: the body is missing".into()),
            )),
        }
    }

    /// Reads the order after a successful write, for the totals the result shows and to see
    /// what the write really did. A failure here does not undo the write, so it is reported
    /// inside the success.
    async fn read_after(
        &self,
        call: &ToolCall,
        host: ApiHost,
        order_id: &str,
    ) -> (After, Option<Order>) {
        if call
            .limits
            .deadline
            .saturating_duration_since(Instant::now())
            < MIN_TIME_FOR_READ_AFTER
        {
            let after = After {
                order_after: None,
                order_after_unavailable: Some(
                    "skipped: the call's time budget (KLARNA_TIMEOUT_SECS) is used up".into(),
                ),
            };
            return (after, None);
        }
        match self.client().get_order(host, order_id, &call.limits).await {
            Ok(reply) => {
                let after = After {
                    order_after: Some(OrderTotals::of(&reply.value)),
                    order_after_unavailable: None,
                };
                (after, Some(reply.value))
            }
            Err(failed) => {
                let after = After {
                    order_after: None,
                    order_after_unavailable: Some(failed.error.to_string()),
                };
                (after, None)
            }
        }
    }
}

/// A write needs the order's status and currency; an answer without them (whatever else it
/// holds) is not enough to decide on, so nothing is sent.
fn check_readable(order: &Order, order_id: &str) -> Result<(), ToolError> {
    let missing: Vec<&str> = [
        ("status", order.status.is_none()),
        ("purchase_currency", order.purchase_currency.is_none()),
    ]
    .into_iter()
    .filter_map(|(field, missing)| missing.then_some(field))
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ToolError::Refused(format!(
            "Not done: Klarna's answer for order {order_id} lacks {}, which this write needs. Check the order with \
             get_order and try again later.",
            missing.join(" and ")
        )))
    }
}

/// Klarna allows a capture only once the fraud status is ACCEPTED (its own order-management
/// plugins refuse before asking, too): refused here, with what it means for shipping.
fn check_fraud_status(totals: &OrderTotals, order_id: &str) -> Result<(), ToolError> {
    match totals.fraud_status.as_deref() {
        None | Some("ACCEPTED") => Ok(()),
        Some("PENDING") => Err(ToolError::Refused(format!(
            "Refused: order {order_id}'s fraud status is PENDING — Klarna allows a capture only once it is ACCEPTED. \
             Do not ship yet; check again later with get_order."
        ))),
        Some("REJECTED") => Err(ToolError::Refused(format!(
            "Refused: order {order_id}'s fraud status is REJECTED — it cannot be captured. Do not ship; cancel the \
             order with cancel_order."
        ))),
        Some(other) => Err(ToolError::Refused(format!(
            "Refused: order {order_id}'s fraud status is {other} — Klarna allows a capture only once it is ACCEPTED. \
             Do not ship yet; check with get_order."
        ))),
    }
}

/// Appends a verdict. The write it records has happened (or been refused) whatever the
/// journal says, so a failure here is logged loudly rather than turned into a failed call.
/// It waits until the call's deadline (or a second, when that is spent) and no longer: the
/// result, with its idempotency key, must reach the client before the client gives up. An
/// operation whose verdict is lost stays `pending` in the journal — it keeps blocking a
/// repeat under a new key, and a repeat with its key settles it.
async fn record(journal: &Journal, record: NewRecord, deadline: Instant) {
    let until = deadline.max(Instant::now() + JOURNAL_VERDICT_GRACE);
    let failure = match tokio::time::timeout_at(until.into(), journal.finish(record.clone())).await {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e.to_string(),
        Err(_) => "it did not answer in time (another process may hold it); the operation stays pending there".to_string(),
    };
    tracing::error!(
        op_id = %record.op_id,
        tool = %record.tool,
        order_id = %record.order_id,
        idempotency_key = %record.idempotency_key,
        verdict = record.verdict.as_str(),
        "the operation journal could not record a verdict: {failure}"
    );
}

/// The journal did not answer before the write was sent: nothing went to Klarna. The pending
/// record may still have landed, so a repeat should carry the same key — the key guard lets
/// that through, and Klarna applies the key at most once.
fn journal_too_slow(key: Option<&str>) -> ToolError {
    let again = match key {
        Some(key) => format!("call again with idempotencyKey \"{key}\""),
        None => "call again".to_string(),
    };
    ToolError::Refused(format!(
        "Not done: the operation journal did not answer within the call's time budget \
         (KLARNA_TIMEOUT_SECS); another process may be holding it. Nothing was sent to Klarna; {again}."
    ))
}

fn journal_refusal(e: JournalError) -> ToolError {
    ToolError::Refused(format!(
        "Not done: {e}. Writes are refused until the journal can record them (reads work)."
    ))
}

/// What a write is called in a guard's message.
fn described(op: &journal::Operation, currency: &str) -> String {
    let o = &op.first;
    let what = match o.tool.as_str() {
        "capture_order" => "a capture",
        "refund_order" => "a refund",
        "cancel_order" => "a cancel",
        _ => "a release of the remaining authorization",
    };
    let amount = if o.amount_was_everything && o.tool != "capture_order" {
        String::new()
    } else {
        format!(
            " of {}",
            format_money(
                o.amount,
                if o.currency.is_empty() {
                    currency
                } else {
                    &o.currency
                }
            )
        )
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
        "{what}{amount} on order {} at {} ({})",
        o.order_id,
        o.api_host,
        facts.join(", ")
    )
}

/// The model-facing message of a guard's refusal: what was done when, and the two ways on.
fn guard_message(refusal: &GuardRefusal, kind: WriteKind, currency: &str) -> String {
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
            format!(
                "Refused: this repeats {} — which {state} — and no idempotencyKey was given, so it could \
                 move the money twice. To repeat that same operation safely, pass idempotencyKey \"{key}\" \
                 (Klarna then answers with the first result instead of acting twice). If you really mean a \
                 second {}, pass a new idempotencyKey of your own choosing.",
                described(earlier, currency),
                noun(kind).to_lowercase(),
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

/// The journal's note on a refused attempt.
fn guard_note(refusal: &GuardRefusal) -> String {
    match refusal {
        GuardRefusal::Repeat(earlier) => format!(
            "refused: repeats operation {} without an idempotency key",
            earlier.first.op_id
        ),
        GuardRefusal::KeyReuse(earlier) => {
            format!(
                "refused: the key belongs to operation {}",
                earlier.first.op_id
            )
        }
    }
}

/// The idempotency key: the caller's; else the one generated when this same call asked for
/// confirmation (2026-07-28 round trip); else a fresh UUID v4.
fn idempotency_key(call: &mut ToolCall, given: Option<String>, asker: &Asker) -> String {
    let earlier = match (&call.order_id, call.host) {
        (Some(order_id), Some(host)) => asker.confirmed_key(call.tool(), order_id, host.as_str()),
        _ => None,
    };
    let key = given
        .or(earlier)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    call.key = Some(key.clone());
    key
}

/// The write as a noun phrase opening a sentence.
fn noun(kind: WriteKind) -> &'static str {
    match kind {
        WriteKind::Capture => "Capture",
        WriteKind::Refund => "Refund",
        WriteKind::Cancel => "Cancel",
        WriteKind::Release => "Release the remaining authorization of",
    }
}

/// The question put to the human.
fn question(kind: WriteKind, amount: i64, currency: &str, order_id: &str, host: ApiHost) -> String {
    let plain = format_major(amount, currency);
    match kind {
        WriteKind::Capture | WriteKind::Refund => {
            format!("{} {plain} on order {order_id} at {host}?", noun(kind))
        }
        WriteKind::Cancel | WriteKind::Release => format!(
            "{} order {order_id} at {host} ({plain} still authorized)?",
            noun(kind)
        ),
    }
}

/// Whether Klarna answered with an earlier call's result for this key, decided from its
/// answer and the order: a capture or refund id the order already had before, or one whose
/// amount or reference in the order afterwards is not what this call sent (another call
/// with the same key got there first); a cancel or release of something already cancelled or
/// released (Klarna refuses a second one, so a success means a replay).
fn earlier_write(
    kind: WriteKind,
    id: Option<&str>,
    (amount, reference): (i64, Option<&str>),
    before: &Order,
    after: Option<&Order>,
) -> Option<EarlierWrite> {
    let totals = OrderTotals::of(before);
    let created = |order: &Order| -> Option<EarlierWrite> {
        let id = id?;
        match kind {
            WriteKind::Capture => order
                .captures
                .iter()
                .find(|c| c.capture_id.as_deref() == Some(id))
                .map(|c| EarlierWrite {
                    amount: c.captured_amount,
                    reference: c.reference.clone(),
                }),
            WriteKind::Refund => order
                .refunds
                .iter()
                .find(|r| r.refund_id.as_deref() == Some(id))
                .map(|r| EarlierWrite {
                    amount: r.refunded_amount,
                    reference: r.reference.clone(),
                }),
            WriteKind::Cancel | WriteKind::Release => None,
        }
    };
    match kind {
        WriteKind::Capture | WriteKind::Refund => {
            if let Some(known) = created(before) {
                return Some(known);
            }
            let seen = created(after?)?;
            let same_amount = seen.amount.is_none_or(|a| a == amount);
            // The order afterwards was read through the sanitizer: compare what was sent in
            // the form it comes back in, so this call's own capture is never taken for another's.
            let sent_reference = reference
                .filter(|r| !r.is_empty())
                .map(crate::klarna::sanitize::escape);
            let same_reference =
                seen.reference.as_deref().filter(|r| !r.is_empty()) == sent_reference.as_deref();
            (!same_amount || !same_reference).then_some(seen)
        }
        WriteKind::Cancel => (totals.status == "CANCELLED").then_some(EarlierWrite {
            amount: None,
            reference: None,
        }),
        WriteKind::Release => (totals.remaining_authorized_amount == 0).then_some(EarlierWrite {
            amount: None,
            reference: None,
        }),
    }
}
