//! The write pipeline. Every write tool describes its write as a [`WriteRequest`] — which
//! kind (its [`KindSpec`]), on which order, target and host, for how much, with which body —
//! and [`KlarnaServer::write`] runs the same steps for all of them, so every safety rule
//! lives here once and asks the spec wherever kinds differ:
//!
//! 1. resolve the host and the idempotency key;
//! 2. read the order (currency, remaining amount, state);
//! 3. checks from that order, before anyone is asked: the currency meant, the amount (a
//!    capture of "everything" learns it from the order), whether Klarna would accept the
//!    write now, the caps — a write that cannot succeed never reaches the confirmation;
//! 4. the journal's guards (repeated intent, key reuse), then confirmation by the human;
//! 5. record `pending`, then send with one idempotency key, unless the client cancelled;
//! 6. the verdict — a success is checked against the order afterwards, and a replay of an
//!    earlier call with the key is told by ids and amounts — recorded in the journal.
//!
//! - `kind.rs` — the spec of each write kind;
//! - `rules.rs` — the pure rules (amount, availability, replay, a success the order denies);
//! - `messages.rs` — the question and the guards' refusals in words.

pub mod kind;
mod messages;
pub(crate) mod rules;

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
    journal::{self, Journal, JournalError, NewRecord, Verdict},
    klarna::{CallError, OrderWrite, types::Order},
    money::format_major,
    server::KlarnaServer,
};
pub(crate) use kind::KindSpec;
pub(crate) use rules::EarlierWrite;

/// Least time worth spending on the read after a write; with less left, it is skipped so the
/// result (and its idempotency key) reaches the client in time.
const MIN_TIME_FOR_READ_AFTER: Duration = Duration::from_millis(500);
/// How long a verdict may still take to reach the journal once the call's budget is spent:
/// an append takes milliseconds, so only a journal held by someone else needs this, and the
/// call must not wait on them.
const JOURNAL_VERDICT_GRACE: Duration = Duration::from_secs(1);

/// How long a verdict the journal could not take during the call is retried in the
/// background (a foreign lock, a disk that was full for a moment).
const VERDICT_RETRY_FOR: Duration = Duration::from_secs(120);

/// How long one background attempt may take.
const VERDICT_ATTEMPT: Duration = Duration::from_secs(15);

/// The body of a write, as its tool built it: the JSON sent once the pipeline has settled
/// the amount (a capture of "everything" learns it from the order).
pub(crate) trait WriteBody: Send + Sync {
    /// The JSON sent, with `amount` where the kind sends one; `None` for a write without a
    /// body.
    fn json(&self, amount: i64) -> Result<Option<Vec<u8>>, CallError>;
    /// The merchant reference sent, for the result.
    fn reference(&self) -> Option<&str> {
        None
    }
    /// What the write sets, in a few words, for the question put to the human ("carrier
    /// \"DHL\", tracking number \"1Z…\""); never personal data.
    fn detail(&self) -> Option<String> {
        None
    }
}

/// A write without a body (cancel, release).
pub(crate) struct NoBody;

impl WriteBody for NoBody {
    fn json(&self, _: i64) -> Result<Option<Vec<u8>>, CallError> {
        Ok(None)
    }
}

/// One write, as a tool describes it after validating its arguments.
pub(crate) struct WriteRequest {
    /// Which write.
    pub kind: &'static KindSpec,
    /// Klarna order id (validated).
    pub order_id: String,
    /// The capture or refund it acts on, when its kind acts on one (validated).
    pub target_id: Option<String>,
    /// `apiHost` as given (validated by the pipeline).
    pub api_host: Option<String>,
    /// The amount asked for; `None` where the kind's amount rule says what it is (a capture
    /// of everything remaining, cancel, release).
    pub amount: Option<i64>,
    /// The currency the caller meant the amount in (ISO 4217, upper-case), if it said.
    pub currency: Option<String>,
    /// The caller's idempotency key (validated), if any.
    pub idempotency_key: Option<String>,
    /// What is sent.
    pub body: Box<dyn WriteBody>,
}

impl WriteRequest {
    /// A write whose kind takes no amount from the caller (tracking, references, an
    /// acknowledgement, …), on the order or on the capture `target_id` names.
    pub(crate) fn change(
        kind: &'static KindSpec,
        order_id: String,
        target_id: Option<String>,
        api_host: Option<String>,
        idempotency_key: Option<String>,
        body: Box<dyn WriteBody>,
    ) -> Self {
        Self {
            kind,
            order_id,
            target_id,
            api_host,
            amount: None,
            currency: None,
            idempotency_key,
            body,
        }
    }
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
    /// Set when the journal already held this key for this write, so this call repeated it:
    /// for a kind whose replay cannot be told, Klarna applied it once, by this call or the
    /// earlier one.
    pub repeated_key: bool,
    /// The order afterwards.
    pub after: After,
    /// The order as read before the write.
    pub before: Order,
    /// The order as read afterwards, when it could be.
    pub order_after: Option<Order>,
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
        if (kind.target == kind::Target::Order) != request.target_id.is_none() {
            return Err(ToolError::Refused(format!(
                "Internal error: {} was described without the capture or refund it acts on.",
                kind.tool
            )));
        }
        let order_id = request.order_id.as_str();
        call.order_id = Some(request.order_id.clone());
        call.amount = request.amount;
        let host = self.resolve_host(call, request.api_host.as_deref())?;
        let key = idempotency_key(call, request.idempotency_key.clone(), asker);
        // Fail closed: without a journal to record it first, no write is sent.
        let journal = self.journal().await.map_err(journal_refusal)?;

        let before = self.read_before(call, kind, host, order_id).await?;
        check_readable(&before, order_id)?;
        let state = kind::OrderState::of(&before);
        if let Some(meant) = &request.currency
            && *meant != state.currency
        {
            let amount = request.amount.unwrap_or(state.remaining);
            return Err(ToolError::Refused(format!(
                "Refused: the amount was meant in {meant}, but order {order_id} is in {order}: {amount} \
                 would be {actual}, not {asked}. Convert the amount to {order} (or ask the user what they \
                 meant), then call again with currency \"{order}\".",
                order = state.currency,
                actual = format_major(amount, &state.currency),
                asked = format_major(amount, meant),
            )));
        }
        let amount = rules::resolve_amount(kind, request.amount, &state)
            .map_err(|why| ToolError::Refused(on_order(&why, order_id, host)))?;
        call.amount = Some(amount);
        // A repeat under a key the journal already holds for this write is let through to
        // Klarna whatever the order shows now: Klarna answers it with the first result, which
        // is how an unknown outcome is settled (the first attempt may be why nothing remains).
        let repeated_key = self
            .is_repeat_of_known_key(&journal, &key, call.limits.deadline)
            .await;
        if !repeated_key {
            let served = self.served();
            rules::check_available(kind, amount, request.target_id.as_deref(), &state, |way| {
                way.tools.iter().all(|t| served.has(t))
            })
            .map_err(|why| ToolError::Refused(on_order(&why, order_id, host)))?;
        }
        self.check_cap(kind, amount, &state)?;

        let body = request
            .body
            .json(amount)
            .map_err(|e| ToolError::Refused(format!("Internal error: {}.", e.error)))?;
        // The confirmation is bound to the exact body; the journal keeps no digest of a body
        // that is personal data (a digest of an address can be matched against guesses).
        let digest = body.as_deref().map(body_digest).unwrap_or_default();
        let attempt = NewRecord {
            op_id: uuid::Uuid::new_v4().to_string(),
            recorded_at: journal::now(),
            tool: kind.tool.to_string(),
            api_host: host.to_string(),
            // One spelling per order, so a change of case cannot slip past the guards.
            order_id: order_id.to_ascii_lowercase(),
            amount,
            amount_was_everything: request.amount.is_none(),
            currency: state.currency.clone(),
            idempotency_key: key.clone(),
            key_from_caller: request.idempotency_key.is_some(),
            body_digest: if kind.personal_data {
                String::new()
            } else {
                digest.clone()
            },
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
            // One spelling per capture, as per order.
            target_id: request.target_id.as_deref().map(str::to_ascii_lowercase),
        };
        // The guards first, so nobody is asked to confirm a write that will be refused.
        let prechecked =
            tokio::time::timeout_at(call.limits.deadline.into(), journal.precheck(&attempt))
                .await
                .map_err(|_| journal_too_slow(None))?;
        if let Some(refusal) = prechecked.map_err(journal_refusal)? {
            let not_sent = NewRecord {
                verdict: Verdict::NotSent,
                note: Some(messages::guard_note(&refusal)),
                ..attempt
            };
            record(&journal, not_sent, call.limits.deadline).await;
            return Err(ToolError::Refused(messages::guard_message(
                &refusal,
                kind,
                &state.currency,
            )));
        }

        let on = messages::acted_on(kind, order_id, request.target_id.as_deref());
        let question = messages::question(
            kind,
            amount,
            &state.currency,
            &on,
            host,
            request.body.detail().as_deref(),
        );
        // Bound to the exact body, also when the journal keeps no digest of it.
        let mut identity = WriteIdentity::of(&attempt);
        identity.body_digest = digest;
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
            return Err(ToolError::Refused(messages::guard_message(
                &refusal,
                kind,
                &state.currency,
            )));
        }
        call.key_sent = true;
        call.in_flight = Some(self.in_flight_writes().begin(InFlightWrite {
            tool: kind.tool,
            api_host: host.as_str(),
            order_id: order_id.to_string(),
            amount,
            idempotency_key: key.clone(),
            confirmed: consent.by_human(),
            principal: call.principal.clone(),
            since: Instant::now(),
        }));
        let write = OrderWrite {
            method: kind.method.to_reqwest(),
            path: kind.path_with(request.target_id.as_deref()),
            body,
            proof: kind.proof,
        };
        let sent = self
            .client()
            .orders()
            .write(host, order_id, &write, &key, &call.limits)
            .await;
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
                // Klarna refused what the order read before seemed to allow: the order changed
                // in between (another user, the back office). The advice is worked out from
                // the order as it is now, when there is time to read it.
                let refused_by_klarna =
                    verdict == Verdict::Refused && failed.error.status() == Some(403);
                let now = if refused_by_klarna {
                    self.read_after(call, host, order_id).await.1
                } else {
                    None
                };
                return Err(ToolError::Klarna(Box::new(FailedRequest {
                    what: messages::attempted(kind, amount, &state.currency, &on, host),
                    op: Op::Write(kind),
                    host,
                    error: failed.error,
                    attempts: failed.attempts,
                    may_have_applied: failed.may_have_applied,
                    credentials: failed.credentials,
                    key: Some(key.clone()),
                    before: Some(now.unwrap_or(before)),
                    amount: kind.moves_money().then_some(amount),
                    searched_every_host: false,
                })));
            }
        };
        call.saw(sent.status, sent.correlation_id.as_deref());

        let (after, order_after) = self.read_after(call, host, order_id).await;
        let created_id = sent.value.clone();
        if let Some(evidence) =
            rules::effect_missing(kind, created_id.as_deref(), &before, order_after.as_ref())
        {
            let unknown = NewRecord {
                recorded_at: journal::now(),
                verdict: Verdict::OutcomeUnknown,
                created_id: created_id.clone(),
                correlation_id: sent.correlation_id.clone(),
                http_status: Some(sent.status),
                note: Some(evidence.clone()),
                ..attempt
            };
            record(&journal, unknown, call.limits.deadline).await;
            tracing::warn!(tool = kind.tool, %order_id, "a success answer the order does not show: {evidence}");
            return Err(ToolError::Klarna(Box::new(FailedRequest {
                what: messages::attempted(kind, amount, &state.currency, &on, host),
                op: Op::Write(kind),
                host,
                error: crate::klarna::KlarnaError::Unproven {
                    status: sent.status,
                    detail: evidence,
                },
                attempts: sent.attempts,
                may_have_applied: true,
                credentials: None,
                key: Some(key.clone()),
                before: Some(before.clone()),
                amount: kind.moves_money().then_some(amount),
                searched_every_host: false,
            })));
        }
        let earlier = rules::replay(
            kind,
            created_id.as_deref(),
            amount,
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
            created_id: created_id.clone(),
            correlation_id: sent.correlation_id.clone(),
            http_status: Some(sent.status),
            ..attempt
        };
        let finished = record(&journal, applied, call.limits.deadline).await;
        // The journal knows another call with this key already holds this capture or refund
        // id as applied (it was answered first): the money moved once, counted there, and
        // this call reports Klarna's answer as the replay it is.
        let replay_of_a_racer = finished.is_some_and(|f| f.answered_before);
        let earlier = match (earlier, replay_of_a_racer) {
            (None, true) if kind.moves_money() => Some(rules::EarlierWrite {
                amount: Some(amount),
                reference: None,
            }),
            (earlier, _) => earlier,
        };
        let facts = WriteFacts {
            notice: self.notice().map(str::to_string),
            order_id: order_id.to_string(),
            api_host: host.to_string(),
            idempotency_key: key,
            currency: state.currency.clone(),
            replayed: earlier.is_some(),
        };
        Ok(Written {
            facts,
            amount,
            created_id,
            reference: request.body.reference().map(str::to_string),
            earlier,
            repeated_key,
            after,
            before,
            order_after,
        })
    }

    /// Whether the journal already holds an operation under `key` (the caller repeats it):
    /// then the write goes to Klarna, which answers with the first result. A journal that
    /// cannot answer in time says no — the checks then run as for a new write.
    pub(crate) async fn is_repeat_of_known_key(
        &self,
        journal: &Journal,
        key: &str,
        deadline: Instant,
    ) -> bool {
        let filter = journal::OperationFilter {
            idempotency_key: Some(key.to_string()),
            limit: 1,
            ..journal::OperationFilter::default()
        };
        matches!(
            tokio::time::timeout_at(deadline.into(), journal.operations(&filter)).await,
            Ok(Ok(ops)) if ops.iter().any(|op| op.verdict().may_have_moved_money() || op.verdict() == Verdict::Replayed)
        )
    }

    /// Reads the order before a write.
    async fn read_before(
        &self,
        call: &mut ToolCall,
        kind: &KindSpec,
        host: ApiHost,
        order_id: &str,
    ) -> Result<Order, ToolError> {
        match self
            .client()
            .orders()
            .get(host, order_id, &call.limits)
            .await
        {
            Ok(reply) => {
                call.saw(reply.status, reply.correlation_id.as_deref());
                Ok(reply.value)
            }
            Err(failed) => Err(ToolError::Klarna(Box::new(FailedRequest::read(
                format!(
                    "{} on order {order_id} at {host}: reading the order first",
                    kind.noun
                ),
                Op::GetOrder,
                host,
                failed,
            )))),
        }
    }

    /// The cap configured for the kind (`KLARNA_MAX_CAPTURE_AMOUNT`, …). A new order total
    /// is capped on its increase over the current total; a decrease never is.
    fn check_cap(
        &self,
        kind: &KindSpec,
        amount: i64,
        state: &kind::OrderState,
    ) -> Result<(), ToolError> {
        let Some(cap) = kind.cap else {
            return Ok(());
        };
        let (limit, capped, what) = match cap {
            kind::Cap::Capture => (self.config().max_capture_amount, amount, kind.article),
            kind::Cap::Refund => (self.config().max_refund_amount, amount, kind.article),
            kind::Cap::Increase => (
                self.config().max_order_increase_amount,
                amount.saturating_sub(state.order_amount),
                "an increase of the order total",
            ),
        };
        let currency = &state.currency;
        match limit {
            Some(limit) if capped > limit => Err(ToolError::Refused(format!(
                "Refused: {what} of {} is above this server's limit {var}={limit} ({}). Use a smaller amount, or ask the operator to raise {var}.",
                crate::money::format_money(capped, currency),
                crate::money::format_money(limit, currency),
                var = cap.variable(),
            ))),
            _ => Ok(()),
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
        match self
            .client()
            .orders()
            .get(host, order_id, &call.limits)
            .await
        {
            Ok(reply) => {
                let after = After {
                    order_after: Some(OrderTotals::of(&reply.value, self.served())),
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

/// A local refusal's sentence with the order and host named after its opening word:
/// "Refused (order … at …): …".
fn on_order(why: &str, order_id: &str, host: ApiHost) -> String {
    match why.split_once(": ") {
        Some((opening, rest)) if !opening.contains(' ') => {
            format!("{opening} (order {order_id} at {host}): {rest}")
        }
        _ => format!("{why} (order {order_id} at {host})"),
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

/// Appends a verdict. The write it records has happened (or been refused) whatever the
/// journal says, so a failure here is logged loudly rather than turned into a failed call.
/// It waits until the call's deadline (or a second, when that is spent) and no longer: the
/// result, with its idempotency key, must reach the client before the client gives up. An
/// operation whose verdict is lost stays `pending` in the journal — it keeps blocking a
/// repeat under a new key, and a repeat with its key settles it.
async fn record(
    journal: &Journal,
    record: NewRecord,
    deadline: Instant,
) -> Option<journal::Finished> {
    let until = deadline.max(Instant::now() + JOURNAL_VERDICT_GRACE);
    let failure = match tokio::time::timeout_at(until.into(), journal.finish(record.clone())).await
    {
        Ok(Ok(finished)) => return Some(finished),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "it did not answer in time (another process may hold it)".to_string(),
    };
    tracing::error!(
        op_id = %record.op_id,
        tool = %record.tool,
        order_id = %record.order_id,
        idempotency_key = %record.idempotency_key,
        verdict = record.verdict.as_str(),
        retry_secs = VERDICT_RETRY_FOR.as_secs(),
        "the operation journal could not record a verdict yet: {failure}; retrying in the background"
    );
    tracing::error!(
        target: crate::telemetry::client_log::NOTICE_TARGET,
        "the operation journal could not record a write's verdict in time; the server retries in the background \
         (its log names the operation)"
    );
    // The call does not wait any longer (its result already says what happened), but the
    // verdict must not be lost: a write left `pending` blocks repeats for a day and reads as
    // unresolved. Bounded, so a journal that never comes back does not keep a task forever.
    let journal = journal.clone();
    tokio::spawn(async move {
        let started = Instant::now();
        let mut pause = Duration::from_millis(250);
        loop {
            tokio::time::sleep(pause).await;
            let attempt =
                tokio::time::timeout(VERDICT_ATTEMPT, journal.finish(record.clone())).await;
            if matches!(attempt, Ok(Ok(_))) {
                tracing::info!(
                    op_id = %record.op_id,
                    verdict = record.verdict.as_str(),
                    "the operation journal recorded the verdict it could not take before"
                );
                return;
            }
            if started.elapsed() >= VERDICT_RETRY_FOR {
                tracing::error!(
                    op_id = %record.op_id,
                    tool = %record.tool,
                    order_id = %record.order_id,
                    idempotency_key = %record.idempotency_key,
                    verdict = record.verdict.as_str(),
                    "the operation journal never took this verdict: the operation stays pending there; check the order and repeat with the same idempotency key"
                );
                return;
            }
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    });
    None
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

/// The journal cannot record the write: nothing is sent. The reason, without the journal's
/// location (results never carry the server's paths or database addresses).
fn journal_refusal(e: JournalError) -> ToolError {
    ToolError::Refused(format!(
        "Not done: this write cannot be recorded first: {}. Writes are refused until the journal \
         works again; reads work.",
        super::errors::journal_unavailable(&e)
    ))
}

/// The idempotency key: the caller's; else the one generated when this same call asked for
/// confirmation (2026-07-28 round trip); else a fresh UUID v4.
fn idempotency_key(call: &mut ToolCall, given: Option<String>, asker: &Asker) -> String {
    let earlier = match (&call.order_id, call.host) {
        (Some(order_id), Some(host)) => asker.confirmed_key(call.tool(), order_id, host.as_str()),
        _ => None,
    };
    call.key_from_caller = given.is_some();
    let key = given
        .or(earlier)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    call.key = Some(key.clone());
    key
}
