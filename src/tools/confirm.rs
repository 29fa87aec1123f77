//! Asking the human before a write (MCP elicitation), per `KLARNA_CONFIRM_WRITES`.
//!
//! The question is one plain sentence: "Capture 105.00 EUR on order … at api.klarna.com?".
//! Declining, cancelling or not answering sends nothing. The server — not a flag the model
//! sets — decides whether to ask.
//!
//! Two protocol eras, two ways to ask:
//! - up to 2025-11-25 the server sends `elicitation/create` to the client and waits;
//! - from 2026-07-28 servers may not send requests, so the tool call answers
//!   `input_required` with the question and a `requestState` naming the exact write; the
//!   client asks the human and repeats the call with the answer. The write is sent only when
//!   the repeated call still describes the same write ([`WriteIdentity`]: tool, order, host,
//!   amount, key, body and who asked), which the `requestState` carries sealed.

use rmcp::{
    Peer, RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{
        ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
        InputRequest, InputRequiredResult, ProtocolVersion, RequestStateCodec, SealOptions,
    },
    service::{ElicitationError, ElicitationMode, RequestContext, ServiceError},
};
use std::{sync::Arc, time::Duration};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{args::check_idempotency_key, errors::ToolError};
use crate::{config::ConfirmWrites, telemetry::metrics};

/// The form the human answers.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Confirmation {
    /// Tick to go ahead; leave unticked or decline to stop.
    pub confirm: bool,
}

rmcp::elicit_safe!(Confirmation);

/// Key of the question in `inputRequests` / `inputResponses`.
const INPUT_KEY: &str = "confirm";
/// Version of [`WriteIdentity`]; a state sealed by another layout confirms nothing.
const STATE_VERSION: u8 = 2;
/// How long a question stays answerable.
const STATE_TTL: Duration = Duration::from_secs(600);

/// Exactly which write a question is about. A confirmation counts only for an identical
/// write: a changed amount, key or body needs a new answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteIdentity {
    /// Layout version ([`STATE_VERSION`]).
    v: u8,
    /// Tool name.
    pub tool: String,
    /// Klarna order id.
    pub order_id: String,
    /// The capture or refund it acts on inside the order (`None`: the order itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// Host name.
    pub host: String,
    /// Amount in minor units (for cancel and release: what was still authorized).
    pub amount: i64,
    /// Idempotency key.
    pub key: String,
    /// [`body_digest`] of the request body (empty for bodiless writes).
    pub body_digest: String,
    /// Who asked, on a team server (`None` over stdio): a confirmation one person obtained
    /// does not confirm the same write for another.
    pub principal: Option<String>,
}

impl WriteIdentity {
    /// The identity of the write `attempt` records, about to be confirmed.
    pub fn of(attempt: &crate::journal::record::NewRecord) -> Self {
        Self {
            v: STATE_VERSION,
            tool: attempt.tool.clone(),
            order_id: attempt.order_id.clone(),
            target_id: attempt.target_id.clone(),
            host: attempt.api_host.clone(),
            amount: attempt.amount,
            key: attempt.idempotency_key.clone(),
            body_digest: attempt.body_digest.clone(),
            principal: attempt.principal.clone(),
        }
    }
}

/// Seals and opens `requestState`: HMAC-signed with a key made fresh for each server
/// process (or shared by the replicas of a team server), with an expiry, so a client can
/// neither forge a confirmation nor reuse an old one.
pub struct StateCodec(RequestStateCodec);

impl StateCodec {
    /// A codec with a random per-process key.
    pub fn new() -> Self {
        let key: [u8; 32] = rand::random();
        Self(RequestStateCodec::new_unchecked(key.to_vec()))
    }

    /// A codec with a key shared by several server replicas (`KLARNA_STATE_KEY`), so a
    /// confirmation question sealed by one is honoured by another.
    pub fn with_key(key: &[u8]) -> Self {
        Self(RequestStateCodec::new_unchecked(key.to_vec()))
    }

    fn seal(&self, write: &WriteIdentity) -> Result<String, ToolError> {
        self.0
            .seal_json_with(write, &SealOptions::new().ttl(STATE_TTL))
            .map_err(|e| {
                ToolError::Refused(format!(
                    "Not done: the confirmation question could not be sealed ({e})."
                ))
            })
    }

    fn open(&self, sealed: &str) -> Option<WriteIdentity> {
        self.0
            .open_json::<WriteIdentity>(sealed)
            .ok()
            .filter(|w| w.v == STATE_VERSION)
    }
}

impl Default for StateCodec {
    fn default() -> Self {
        Self::new()
    }
}

/// How this tool call can reach the human, read from its request.
pub struct Asker {
    peer: Peer<RoleServer>,
    modern: bool,
    can_elicit: bool,
    answer: Option<serde_json::Value>,
    /// The write the client's echoed state names, if it carried our valid seal.
    confirmed: Option<WriteIdentity>,
    /// Whether the client echoed some state at all (valid or not).
    echoed_state: bool,
    codec: Arc<StateCodec>,
}

impl Asker {
    /// Reads the protocol era, the client's elicitation capability (per request from
    /// 2026-07-28 on) and any answer and state the client sent back.
    pub fn new(
        context: &RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
        codec: &Arc<StateCodec>,
    ) -> Self {
        let modern = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        let can_elicit = if modern {
            context
                .client_capabilities()
                .and_then(|c| c.elicitation)
                .is_some_and(|e| e.form.is_some() || e.url.is_none())
        } else {
            context
                .peer
                .supported_elicitation_modes()
                .contains(&ElicitationMode::Form)
        };
        let codec = codec.clone();
        Self {
            peer: context.peer.clone(),
            modern,
            can_elicit,
            answer: responses.0.and_then(|mut r| r.remove(INPUT_KEY)),
            confirmed: state.0.as_deref().and_then(|s| codec.open(s)),
            echoed_state: state.0.is_some(),
            codec,
        }
    }

    /// The idempotency key of the same write confirmed in an earlier round (same tool,
    /// order and host), so a caller that left `idempotencyKey` out gets the same generated key
    /// in both rounds.
    pub fn confirmed_key(&self, tool: &str, order_id: &str, host: &str) -> Option<String> {
        let confirmed = self.confirmed.as_ref()?;
        let same_write =
            confirmed.tool == tool && confirmed.order_id == order_id && confirmed.host == host;
        (same_write && check_idempotency_key(Some(&confirmed.key)).is_ok())
            .then(|| confirmed.key.clone())
    }
}

/// SHA-256 (hex) of a request body as sent: the same body gives the same digest in every
/// process and every build, so a sealed confirmation and the operation journal can name it.
pub fn body_digest(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Asks `question` when the mode says so. `Ok(())` means go ahead; `ToolError::InputRequired`
/// means "answer `input_required` and wait for the repeated call".
pub async fn confirm(
    mode: ConfirmWrites,
    asker: &Asker,
    question: &str,
    write: &WriteIdentity,
    answer_within: Duration,
) -> Result<Consent, ToolError> {
    let declined = || ToolError::Declined(format!("The user declined: \"{question}\". Not done."));
    // An answer the client sent back is honoured in every mode, a "no" above all.
    if asker.modern && asker.answer.is_some() {
        return confirm_by_round_trip(asker, question, write, declined);
    }
    match mode {
        ConfirmWrites::Never => return Ok(Consent::NotAsked),
        ConfirmWrites::Auto if !asker.can_elicit => return Ok(Consent::NotAsked),
        ConfirmWrites::Always if !asker.can_elicit => {
            return Err(ToolError::Refused(format!(
                "Not done: \"{question}\" needs the user's confirmation (KLARNA_CONFIRM_WRITES=always), but this MCP client \
                 cannot ask (it does not support elicitation). Use a client that supports it, or ask the operator to change \
                 KLARNA_CONFIRM_WRITES."
            )));
        }
        _ => {}
    }
    if asker.modern {
        return confirm_by_round_trip(asker, question, write, declined);
    }
    // The human gets a bounded time to answer: a client that never answers must not hold the
    // call (and its write) open indefinitely.
    metrics::confirmation_asked();
    let answer = asker
        .peer
        .elicit_with_timeout::<Confirmation>(question.to_string(), Some(answer_within))
        .await;
    metrics::confirmation_answered(match &answer {
        Ok(Some(Confirmation { confirm: true })) => "accepted",
        Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => "declined",
        Err(ElicitationError::Service(ServiceError::Timeout { .. })) => "timeout",
        Err(_) => "failed",
    });
    match answer {
        Ok(Some(Confirmation { confirm: true })) => Ok(Consent::GivenDuringThisCall),
        Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
            Err(declined())
        }
        Err(ElicitationError::Service(ServiceError::Timeout { .. })) => {
            Err(ToolError::Refused(format!(
                "Not done: the user did not answer \"{question}\" within {} seconds \
                 (KLARNA_CONFIRM_TIMEOUT_SECS). Call the tool again to ask anew.",
                answer_within.as_secs()
            )))
        }
        Err(e) => Err(ToolError::Refused(format!(
            "Not done: the user's confirmation for \"{question}\" could not be obtained ({e})."
        ))),
    }
}

/// How the write was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Nobody was asked (confirmation off, or the client cannot ask under `auto`).
    NotAsked,
    /// A human confirmed in an earlier round of this call (2026-07-28 round trip): the
    /// thinking happened before this request began.
    GivenBeforeThisCall,
    /// A human answered while this call waited: the time budget starts again.
    GivenDuringThisCall,
}

impl Consent {
    /// Whether a human confirmed the write.
    pub fn by_human(self) -> bool {
        !matches!(self, Self::NotAsked)
    }
}

fn confirm_by_round_trip(
    asker: &Asker,
    question: &str,
    write: &WriteIdentity,
    declined: impl Fn() -> ToolError,
) -> Result<Consent, ToolError> {
    if let Some(answer) = &asker.answer {
        match &asker.confirmed {
            Some(then) if then == write => {
                let result: Option<ElicitResult> = serde_json::from_value(answer.clone()).ok();
                let yes = result.is_some_and(|r| {
                    r.action == ElicitationAction::Accept
                        && r.content
                            .as_ref()
                            .and_then(|c| c.get("confirm"))
                            .and_then(serde_json::Value::as_bool)
                            == Some(true)
                });
                metrics::confirmation_answered(if yes { "accepted" } else { "declined" });
                return if yes {
                    Ok(Consent::GivenBeforeThisCall)
                } else {
                    Err(declined())
                };
            }
            // Our state, but the write changed since the question: ask about this one.
            Some(_) => {}
            // An answer without a valid state of ours (none, altered, or expired) proves nothing.
            None => {
                metrics::confirmation_answered("untrusted");
                let why = if asker.echoed_state {
                    "altered or expired"
                } else {
                    "missing"
                };
                return Err(ToolError::Refused(format!(
                    "Not done: the confirmation for \"{question}\" came with a {why} requestState, so it cannot be \
                     trusted. ToolCall the tool again to ask the user anew."
                )));
            }
        }
    }
    let schema = ElicitationSchema::from_type::<Confirmation>().map_err(|e| {
        ToolError::Refused(format!(
            "Not done: the confirmation form could not be built ({e})."
        ))
    })?;
    let request: ElicitRequest = ElicitRequest::new(ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: question.to_string(),
        requested_schema: schema,
    });
    let requests = [(INPUT_KEY.to_string(), InputRequest::Elicitation(request))]
        .into_iter()
        .collect();
    let state = asker.codec.seal(write)?;
    metrics::confirmation_asked();
    Err(ToolError::InputRequired(Box::new(
        InputRequiredResult::new(Some(requests), Some(state)),
    )))
}
