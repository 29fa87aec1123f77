//! The one place where failures become MCP tool results.
//!
//! Every failure a model can act on is an `isError: true` result whose text reads
//! `"<what failed>: <Klarna's reason> (HTTP 403 CAPTURE_NOT_ALLOWED, correlation id …). <next step>"`.
//! Writes always show their idempotency key, and a write that ended without a verdict is
//! reported as *outcome unknown* — never as a plain failure — with how to find out safely.

use rmcp::model::{CallToolResult, ContentBlock, InputRequiredResult};

use super::write::kind::{KindSpec, RefusalContext};
use crate::{
    host::{ApiHost, HostError},
    journal::JournalError,
    klarna::{CallError, KlarnaError, types::Order},
};

/// The operation journal cannot be used, as a tool result says it: the reason, never the
/// journal's location — results carry no server paths or database addresses; the server's
/// log (and a team server's `/readyz`) has what the operator needs.
pub fn journal_unavailable(e: &JournalError) -> String {
    format!(
        "the operation journal cannot be used ({}). Try again later; whoever runs the server sees \
         why in its log (and, on a team server, at /readyz) — the journal's file location or \
         permissions, its database, or KLARNA_JOURNAL",
        e.detail
    )
}

/// The Klarna operation a failure belongs to, for choosing the next step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// `GET order` (also the read before a write).
    GetOrder,
    /// `GET capture` (and the reads below a capture: its due-date options).
    GetCapture,
    /// `GET refund`.
    GetRefund,
    /// A read of the Settlements API (payouts, transactions, reports).
    Settlements,
    /// A write, by its kind (whose spec knows what to do after a refusal).
    Write(&'static KindSpec),
}

impl Op {
    /// Whether the operation is a write (moves money or changes the order).
    pub fn is_write(self) -> bool {
        matches!(self, Self::Write(_))
    }
}

/// A Klarna request that did not succeed, with what is needed to explain it.
#[derive(Debug, Clone)]
pub struct FailedRequest {
    /// What was attempted, e.g. "Capture of 105.00 EUR on order … at api.klarna.com".
    pub what: String,
    /// Which operation.
    pub op: Op,
    /// Host it went to.
    pub host: ApiHost,
    /// What went wrong on the last attempt.
    pub error: KlarnaError,
    /// Attempts made (0 = nothing was sent).
    pub attempts: u32,
    /// For writes: Klarna may have applied it.
    pub may_have_applied: bool,
    /// Which credentials were sent (variable names), when any were.
    pub credentials: Option<String>,
    /// Idempotency key of a write.
    pub key: Option<String>,
    /// The order as read before the write, when it was.
    pub before: Option<Order>,
    /// The amount a write sent, so a repeat can name it (a capture without `amount` would
    /// otherwise resolve "everything remaining" again, against a changed order).
    pub amount: Option<i64>,
    /// A read that looked for the order on every host with credentials (so "check the
    /// region" is no advice).
    pub searched_every_host: bool,
}

impl FailedRequest {
    /// A failed read (nothing to repeat with a key, no order read before).
    pub fn read(what: String, op: Op, host: ApiHost, call: CallError) -> Self {
        Self {
            what,
            op,
            host,
            error: call.error,
            attempts: call.attempts,
            may_have_applied: call.may_have_applied,
            credentials: call.credentials,
            key: None,
            before: None,
            amount: None,
            searched_every_host: false,
        }
    }
}

/// Why a tool call did not do what was asked.
#[derive(Debug, Clone)]
pub enum ToolError {
    /// An argument is malformed or out of range. Nothing was sent.
    InvalidArgument {
        /// Field path as the model wrote it, e.g. `orderLines[0].quantity`.
        field: String,
        /// What is wrong.
        problem: String,
        /// What to do instead.
        fix: String,
    },
    /// `apiHost` refused. Nothing was sent.
    Host(HostError),
    /// Refused by this server's own rules (caps, nothing to capture). Nothing was sent.
    Refused(String),
    /// The human declined the confirmation question. Nothing was sent.
    Declined(String),
    /// Klarna (or the way to it) failed.
    Klarna(Box<FailedRequest>),
    /// Klarna answered, but this server could not finish with the answer (a report that
    /// could not be saved). Said as it is: a read moved nothing, and may be repeated.
    Local(String),
    /// Not a failure: the human must confirm first (2026-07-28 clients), so the call answers
    /// `input_required` and nothing is sent until it is repeated with the answer.
    InputRequired(Box<InputRequiredResult>),
}

impl ToolError {
    /// Shorthand for [`ToolError::InvalidArgument`].
    pub fn invalid(
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::InvalidArgument {
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// The audit outcome word.
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::InvalidArgument { .. } | Self::Host(_) => "invalid_input",
            Self::Refused(_) => "refused",
            Self::Declined(_) => "declined",
            Self::Klarna(f) if f.may_have_applied => "outcome_unknown",
            Self::Klarna(_) => "klarna_error",
            Self::Local(_) => "local_error",
            Self::InputRequired(_) => "confirmation_requested",
        }
    }

    /// The text the model reads.
    pub fn message(&self) -> String {
        const NOTHING_SENT: &str = "Nothing was sent to Klarna.";
        match self {
            Self::InvalidArgument {
                field,
                problem,
                fix,
            } => {
                format!("Invalid argument `{field}`: {problem}. Fix: {fix}. {NOTHING_SENT}")
            }
            Self::Host(e) => format!("Invalid argument `apiHost`: {e}. {NOTHING_SENT}"),
            Self::Refused(reason) => format!("{reason} {NOTHING_SENT}"),
            Self::Declined(reason) => format!("{reason} {NOTHING_SENT}"),
            Self::Klarna(f) => klarna_message(f),
            Self::Local(reason) => reason.clone(),
            Self::InputRequired(_) => {
                format!("Waiting for the user's confirmation. {NOTHING_SENT}")
            }
        }
    }

    /// The MCP result: `isError: true` with the message. The idempotency key of a write that
    /// may have reached Klarna is always shown, so the model can repeat the call safely
    /// whatever went wrong; a key that was never sent is shown only when the caller chose
    /// it, saying so — a server-made key that went nowhere is no key to repeat anything with.
    pub fn into_result(self, notice: Option<&str>, key: &KeyShown<'_>) -> CallToolResult {
        let mut text = self.message();
        match key {
            KeyShown::Sent(key) if !text.contains(key) => {
                text.push_str(&format!(" Idempotency key: {key}."));
            }
            KeyShown::CallersUnsent(key) if !text.contains(key) => {
                text.push_str(&format!(
                    " Your idempotencyKey \"{key}\" was not sent to Klarna."
                ));
            }
            _ => {}
        }
        if let Some(n) = notice {
            text = format!("{n}\n{text}");
        }
        CallToolResult::error(vec![ContentBlock::text(text)])
    }
}

/// Which idempotency key a failed write's result shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyShown<'a> {
    /// None (a read, or a server-made key that was never sent).
    Nothing,
    /// A key that may have reached Klarna.
    Sent(&'a str),
    /// The caller's own key, refused before it was sent.
    CallersUnsent(&'a str),
}

impl From<HostError> for ToolError {
    fn from(e: HostError) -> Self {
        Self::Host(e)
    }
}

fn klarna_message(f: &FailedRequest) -> String {
    let err = &f.error;
    let mut facts = Vec::new();
    if let Some(status) = err.status() {
        facts.push(match err.error_code() {
            Some(code) => format!("HTTP {status} {code}"),
            None => format!("HTTP {status}"),
        });
    }
    if let Some(id) = err.correlation_id() {
        facts.push(format!("correlation id {id}"));
    }
    if f.attempts > 1 {
        facts.push(format!("{} attempts", f.attempts));
    }
    // Klarna's own words are quoted as data: they come from outside this conversation.
    let reason = match err.klarna_words() {
        Some(words) => format!("Klarna said {}", super::output::quoted(&words)),
        None => err.reason(),
    };
    let facts = if facts.is_empty() {
        String::new()
    } else {
        format!(" ({})", facts.join(", "))
    };

    if f.may_have_applied {
        let key = f.key.as_deref().unwrap_or("?");
        let same = match f.amount {
            Some(amount) => {
                format!("the same call with amount {amount} and idempotencyKey \"{key}\"")
            }
            None => format!("the same call with idempotencyKey \"{key}\""),
        };
        return format!(
            "OUTCOME UNKNOWN — {what}: {reason}{facts}. Klarna may or may not have applied it. \
             Do not retry with a new key. Repeating {same} is safe: Klarna applies a key at most once \
             and answers a repeat with the first result (within 24 hours). Or call get_order to see the \
             order's current state; until settled it lists this write under unresolved writes. \
             Idempotency key: {key}.",
            what = f.what,
        );
    }
    let mut text = format!("{} failed: {reason}{facts}.", f.what);
    if let Some(step) = next_step(f) {
        text.push(' ');
        text.push_str(&step);
    }
    if let (true, Some(key)) = (f.op.is_write(), &f.key) {
        text.push_str(&format!(
            " Klarna did not apply it. Idempotency key: {key}."
        ));
        // A refusal Klarna gave for this write's content may be replayed for its key. A rate
        // limit, a 5xx or a request that never left were retried with the same key already:
        // repeating with it is right, and saying otherwise would contradict the step above.
        let retried_with_same_key = matches!(err, KlarnaError::NotSent(_))
            || err
                .status()
                .is_some_and(|s| s == 409 || s == 429 || s >= 500);
        if f.attempts > 0 && !retried_with_same_key {
            text.push_str(
                " A new attempt needs a new idempotencyKey (Klarna may keep answering this one with the same refusal).",
            );
        }
    }
    text
}

/// What the model should do next, for the documented cases.
fn next_step(f: &FailedRequest) -> Option<String> {
    let err = &f.error;
    let host = f.host;
    let before = f.before.as_ref();
    match err {
        KlarnaError::MissingCredentials(_) => None,
        KlarnaError::NotSent(_) if f.may_have_applied => None,
        KlarnaError::NotSent(_) => Some(match &f.key {
            Some(key) => format!("Nothing reached Klarna on this attempt; the call can be repeated with idempotencyKey \"{key}\"."),
            None => "The call can be repeated.".to_string(),
        }),
        KlarnaError::Transport { .. } => Some(format!(
            "Check the network connection to {host} (or KLARNA_BASE_URL if set); the call can be repeated."
        )),
        KlarnaError::TooLarge { .. } | KlarnaError::Decode { .. } | KlarnaError::Unproven { .. } => {
            Some("This is unexpected from Klarna; repeat the call, and report the correlation id if it persists.".into())
        }
        KlarnaError::Status { status, .. } => match (*status, err.error_code().unwrap_or("")) {
            (401, _) => Some(format!(
                "Klarna did not accept the credentials from {} for {host}. Credentials belong to one region and one \
                 environment: playground credentials work only on *.playground.klarna.com hosts, production credentials only \
                 on production hosts, and each region (EU api, NA api-na, OC api-oc) has its own — give {host} its own set \
                 (KLARNA_{}_API_KEY), or pass the apiHost these credentials belong to. Klarna also disables API credentials \
                 that were not used for about two months: if these were idle, create new ones in the Merchant Portal.",
                f.credentials.as_deref().unwrap_or("the configured variables"),
                crate::config::credentials::scope(host),
            )),
            (404, "NO_SUCH_CAPTURE") => Some("Check the capture id: get_order lists the order's captures.".into()),
            (404, _) if f.op == Op::Settlements => Some(format!(
                "Check the payment reference (as on the bank statement, or as list_payouts shows it) and the region: \
                 this call went to {host}, and a payout is found only on the host of the region and environment it was \
                 paid in (apiHost: api / api-na / api-oc, .playground. for test payouts)."
            )),
            (403, _) if f.op == Op::Settlements => Some(format!(
                "Klarna does not let the credentials from {} read settlement data on {host}. Ask the administrator of \
                 the Klarna account whether these API credentials may read settlements, or configure credentials that \
                 may (KLARNA_{}_API_KEY).",
                f.credentials.as_deref().unwrap_or("the configured variables"),
                crate::config::credentials::scope(host),
            )),
            (400, _) if f.op == Op::Settlements => Some(
                "Klarna refused the request's parameters; fix what its message names and call again.".into(),
            ),
            (404, _) if f.op == Op::GetRefund => Some(format!(
                "Check the order id and refund id (get_order lists the refunds, with their ids), and the region: this call went to {host}."
            )),
            (404, _) if f.op == Op::GetCapture => Some(format!(
                "Check the order id and capture id (get_order lists the captures), and the region: this call went to {host}."
            )),
            (404, _) if f.searched_every_host => Some(
                "Check the order id: it is Klarna's order id (a UUID shown in the Merchant Portal or by the checkout), \
                 not the merchant's order number. An order placed with credentials this server does not have (another \
                 region or environment) cannot be found here."
                    .into(),
            ),
            (404, _) => Some(format!(
                "Check the order id (Klarna's order id, a UUID — not the merchant's order number) and the region: this call \
                 went to {host}, and an order is found only on the host of the region and environment it was placed in \
                 (apiHost: api / api-na / api-oc, .playground. for test orders). get_order without apiHost looks on \
                 every host this server has credentials for and says where the order is; writes never search."
            )),
            (403, code) => match f.op {
                Op::Write(kind) => (kind.refusal_hint)(code, &RefusalContext { before }),
                _ => None,
            }
            .or_else(|| Some("Klarna does not allow this in the order's current state; check it with get_order.".into())),
            (409, _) => Some("Klarna is still processing an earlier request for this order; wait a moment and repeat the call (with the same idempotencyKey for a write).".into()),
            (413, _) => Some("The request was too large for Klarna (over 1 MB): send fewer or shorter orderLines.".into()),
            (400 | 422, _) => Some("Klarna rejected the request body; fix the field its message names and call again.".into()),
            (429, _) => Some(match &f.key {
                Some(key) => format!("Klarna's rate limit was reached; wait a few seconds and repeat the call with idempotencyKey \"{key}\"."),
                None => "Klarna's rate limit was reached; wait a few seconds and repeat the call.".into(),
            }),
            (500..=599, _) => Some("Klarna had a temporary problem; repeat the call in a little while.".into()),
            _ => None,
        },
    }
}
