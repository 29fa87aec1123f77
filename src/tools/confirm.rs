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
//!   the repeated call still describes the same write (tool, order, host, amount, key).

use rmcp::{
    Peer, RoleServer,
    handler::server::tool::{InputResponses, RequestState},
    model::{
        ElicitRequest, ElicitRequestParams, ElicitResult, ElicitationAction, ElicitationSchema,
        InputRequest, InputRequiredResult, ProtocolVersion,
    },
    service::{ElicitationError, ElicitationMode, RequestContext},
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{args::check_idempotency_key, errors::ToolError};
use crate::config::ConfirmWrites;

/// The form the human answers.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Confirmation {
    /// Tick to go ahead; leave unticked or decline to stop.
    pub confirm: bool,
}

rmcp::elicit_safe!(Confirmation);

/// Key of the question in `inputRequests` / `inputResponses`.
const INPUT_KEY: &str = "confirm";
/// Prefix of the `requestState` this server issues.
const STATE_PREFIX: &str = "klarna-mcp/confirm/v1";

/// How this tool call can reach the human, read from its request.
pub struct Asker {
    peer: Peer<RoleServer>,
    modern: bool,
    can_elicit: bool,
    responses: Option<rmcp::model::InputResponses>,
    state: Option<String>,
}

impl Asker {
    /// Reads the protocol era, the client's elicitation capability (per request from
    /// 2026-07-28 on) and any answer the client sent back.
    pub fn new(
        context: &RequestContext<RoleServer>,
        responses: InputResponses,
        state: RequestState,
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
        Self {
            peer: context.peer.clone(),
            modern,
            can_elicit,
            responses: responses.0,
            state: state.0,
        }
    }

    /// The idempotency key of the write this call confirmed in an earlier round, if any: a
    /// caller that left `idempotencyKey` out gets the same generated key in both rounds.
    pub fn confirmed_key(&self) -> Option<String> {
        let state = self.state.as_deref()?.strip_prefix(STATE_PREFIX)?;
        let key = state.rsplit('|').next()?;
        check_idempotency_key(Some(key)).ok()?;
        Some(key.to_string())
    }
}

/// What exactly is being confirmed; a changed write needs a new answer.
pub fn fingerprint(tool: &str, order_id: &str, host: &str, amount: i64, key: &str) -> String {
    format!("{STATE_PREFIX}|{tool}|{order_id}|{host}|{amount}|{key}")
}

/// Asks `question` when the mode says so. `Ok(())` means go ahead; `ToolError::InputRequired`
/// means "answer `input_required` and wait for the repeated call".
pub async fn confirm(
    mode: ConfirmWrites,
    asker: &Asker,
    question: &str,
    fingerprint: &str,
) -> Result<(), ToolError> {
    match mode {
        ConfirmWrites::Never => return Ok(()),
        ConfirmWrites::Auto if !asker.can_elicit => return Ok(()),
        ConfirmWrites::Always if !asker.can_elicit => {
            return Err(ToolError::Refused(format!(
                "Not done: \"{question}\" needs the user's confirmation (KLARNA_CONFIRM_WRITES=always), but this MCP client \
                 cannot ask (it does not support elicitation). Use a client that supports it, or ask the operator to change \
                 KLARNA_CONFIRM_WRITES."
            )));
        }
        _ => {}
    }
    let declined = || ToolError::Declined(format!("The user declined: \"{question}\". Not done."));
    if asker.modern {
        return confirm_by_round_trip(asker, question, fingerprint, declined);
    }
    match asker
        .peer
        .elicit::<Confirmation>(question.to_string())
        .await
    {
        Ok(Some(Confirmation { confirm: true })) => Ok(()),
        Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
            Err(declined())
        }
        Err(e) => Err(ToolError::Refused(format!(
            "Not done: the user's confirmation for \"{question}\" could not be obtained ({e})."
        ))),
    }
}

fn confirm_by_round_trip(
    asker: &Asker,
    question: &str,
    fingerprint: &str,
    declined: impl Fn() -> ToolError,
) -> Result<(), ToolError> {
    let answer = asker.responses.as_ref().and_then(|r| r.get(INPUT_KEY));
    if let (Some(answer), Some(fingerprint_then)) = (answer, asker.state.as_deref())
        && fingerprint_then == fingerprint
    {
        let result: Option<ElicitResult> = serde_json::from_value(answer.clone()).ok();
        let confirmed = result.is_some_and(|r| {
            r.action == ElicitationAction::Accept
                && r.content
                    .as_ref()
                    .and_then(|c| c.get("confirm"))
                    .and_then(serde_json::Value::as_bool)
                    == Some(true)
        });
        return if confirmed { Ok(()) } else { Err(declined()) };
    }
    // First round, or the write changed since the question: ask (again).
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
    Err(ToolError::InputRequired(Box::new(
        InputRequiredResult::new(Some(requests), Some(fingerprint.to_string())),
    )))
}
