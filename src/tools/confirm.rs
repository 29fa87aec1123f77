//! Asking the human before a write (MCP elicitation), per `KLARNA_CONFIRM_WRITES`.
//!
//! The question is one plain sentence: "Capture 105.00 EUR on order … at api.klarna.com?".
//! Declining, cancelling or not answering sends nothing. The server — not a flag the model
//! sets — decides whether to ask.

use rmcp::{
    Peer, RoleServer,
    model::ProtocolVersion,
    service::{ElicitationError, ElicitationMode},
};
use schemars::JsonSchema;
use serde::Deserialize;

use super::errors::ToolError;
use crate::config::ConfirmWrites;

/// The form the human answers.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Confirmation {
    /// Tick to go ahead; leave unticked or decline to stop.
    pub confirm: bool,
}

rmcp::elicit_safe!(Confirmation);

/// Whether this client can be asked (form elicitation, on a protocol that allows
/// server-to-client requests).
fn can_ask(peer: &Peer<RoleServer>) -> bool {
    let modern = peer
        .peer_info()
        .is_some_and(|info| info.protocol_version >= ProtocolVersion::V_2026_07_28);
    !modern
        && peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form)
}

/// Asks `question` when the mode says so. `Ok(())` means go ahead.
pub async fn confirm(
    mode: ConfirmWrites,
    peer: &Peer<RoleServer>,
    question: &str,
) -> Result<(), ToolError> {
    match mode {
        ConfirmWrites::Never => return Ok(()),
        ConfirmWrites::Auto if !can_ask(peer) => return Ok(()),
        ConfirmWrites::Always if !can_ask(peer) => {
            return Err(ToolError::Refused(format!(
                "Not done: \"{question}\" needs the user's confirmation (KLARNA_CONFIRM_WRITES=always), but this MCP client \
                 cannot ask (it does not support elicitation). Use a client that supports it, or ask the operator to change \
                 KLARNA_CONFIRM_WRITES."
            )));
        }
        _ => {}
    }
    let declined = || ToolError::Declined(format!("The user declined: \"{question}\". Not done."));
    match peer.elicit::<Confirmation>(question.to_string()).await {
        Ok(Some(Confirmation { confirm: true })) => Ok(()),
        Ok(_) | Err(ElicitationError::UserDeclined | ElicitationError::UserCancelled) => {
            Err(declined())
        }
        Err(e) => Err(ToolError::Refused(format!(
            "Not done: the user's confirmation for \"{question}\" could not be obtained ({e})."
        ))),
    }
}
