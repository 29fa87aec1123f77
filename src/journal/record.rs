//! One journal record: a row of the append-only table, and the hash that chains it to the
//! one before.
//!
//! An operation (one write a tool call attempted) is several records sharing an `op_id`:
//! `pending` when it is about to be sent, then its verdict; an earlier operation that a
//! repeat with the same key settled gets one more record. The latest record of an
//! operation is its state.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where an operation stands.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Recorded, about to be sent (or being sent); no answer yet. Left so by a process
    /// that died mid-write.
    #[default]
    Pending,
    /// Klarna applied it (its answer proves it).
    Applied,
    /// Klarna answered with an earlier call's result for this key: nothing new moved.
    Replayed,
    /// Klarna refused it: nothing was applied.
    Refused,
    /// No verdict came back: Klarna may or may not have applied it.
    OutcomeUnknown,
    /// The human declined the confirmation question: nothing was sent.
    Declined,
    /// Refused before sending (a guard, the time budget, a cancelled call): nothing was sent.
    NotSent,
}

impl Verdict {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Applied => "applied",
            Self::Replayed => "replayed",
            Self::Refused => "refused",
            Self::OutcomeUnknown => "outcome_unknown",
            Self::Declined => "declined",
            Self::NotSent => "not_sent",
        }
    }

    /// Parses a stored or requested word.
    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Applied,
            Self::Replayed,
            Self::Refused,
            Self::OutcomeUnknown,
            Self::Declined,
            Self::NotSent,
        ]
        .into_iter()
        .find(|v| v.as_str() == value)
    }

    /// Whether Klarna may have applied (or is applying) it and nobody knows for sure.
    pub fn is_unresolved(self) -> bool {
        matches!(self, Self::Pending | Self::OutcomeUnknown)
    }

    /// Whether money moved (or may have, or may be moving) under this operation.
    pub fn may_have_moved_money(self) -> bool {
        matches!(self, Self::Pending | Self::Applied | Self::OutcomeUnknown)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record before it is chained. Never credentials, personal data or request bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRecord {
    /// The operation this record belongs to (UUID).
    pub op_id: String,
    /// When, RFC 3339 UTC with milliseconds.
    pub recorded_at: String,
    /// Tool name.
    pub tool: String,
    /// Klarna host.
    pub api_host: String,
    /// Klarna order id.
    pub order_id: String,
    /// Amount in minor units (for cancel and release: what was still authorized).
    pub amount: i64,
    /// Whether the caller asked for "everything remaining" (capture without an amount,
    /// cancel, release) rather than naming the amount.
    pub amount_was_everything: bool,
    /// ISO 4217 currency of the amount.
    pub currency: String,
    /// The `Klarna-Idempotency-Key`.
    pub idempotency_key: String,
    /// Whether the caller chose the key (rather than the server).
    pub key_from_caller: bool,
    /// SHA-256 of the request body (empty for bodiless writes).
    pub body_digest: String,
    /// MCP client name from `initialize` (or the request's `_meta`), bounded.
    pub client_name: Option<String>,
    /// MCP client version, bounded.
    pub client_version: Option<String>,
    /// Who asked, on a team server (subject and display name); `None` over stdio.
    pub principal: Option<String>,
    /// Whether a human confirmed the write.
    pub confirmed: bool,
    /// Where the operation stands after this record.
    pub verdict: Verdict,
    /// Capture or refund id Klarna created (or replayed).
    pub created_id: Option<String>,
    /// Klarna correlation id of the answer.
    pub correlation_id: Option<String>,
    /// HTTP status of the answer.
    pub http_status: Option<u16>,
    /// Klarna's error code of a refusal.
    pub error_code: Option<String>,
    /// Why, in a few words (a guard's reason, "settled by …").
    pub note: Option<String>,
    /// What the write acted on inside the order: the capture's or refund's id (shipping
    /// information for one capture, a due date); `None` when it acted on the order itself.
    /// Last, and left out of the hashed content when `None`, so records written before it
    /// existed still verify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
}

/// A chained record as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The record's content.
    #[serde(flatten)]
    pub record: NewRecord,
    /// `hash` of the record before (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `seq`, the content and `prev_hash`.
    pub hash: String,
}

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash that chains `record` at position `seq` after `prev_hash`: SHA-256 (hex) of the
/// previous hash, the position and the record's content as JSON (fields in declaration
/// order), so changing, removing or reordering any record breaks every hash after it.
pub fn chain_hash(seq: i64, record: &NewRecord, prev_hash: &str) -> String {
    let content = serde_json::to_vec(record).unwrap_or_default();
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(seq.to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(&content);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Record {
    /// Chains `record` at `seq` after `prev_hash`.
    pub fn chain(seq: i64, record: NewRecord, prev_hash: &str) -> Self {
        let hash = chain_hash(seq, &record, prev_hash);
        Self {
            seq,
            record,
            prev_hash: prev_hash.to_string(),
            hash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NewRecord {
        NewRecord {
            op_id: "3f0c1a9e-0000-4000-8000-000000000001".into(),
            recorded_at: "2026-11-26T09:00:00.000Z".into(),
            tool: "capture_order".into(),
            api_host: "api.klarna.com".into(),
            order_id: "o-1".into(),
            amount: 3500,
            amount_was_everything: false,
            currency: "EUR".into(),
            idempotency_key: "k1".into(),
            key_from_caller: true,
            body_digest: String::new(),
            client_name: None,
            client_version: None,
            principal: None,
            confirmed: false,
            verdict: Verdict::Applied,
            created_id: Some("cap-1".into()),
            correlation_id: None,
            http_status: Some(201),
            error_code: None,
            note: None,
            target_id: None,
        }
    }

    /// Records written before `target_id` existed were hashed without it: a record without a
    /// target must hash exactly as they did (this constant is the hash the code before the
    /// column computed for `sample()`), or every old chain would read as tampered.
    #[test]
    fn a_record_without_a_target_hashes_as_before_the_column_existed() {
        let record = sample();
        let json = serde_json::to_string(&record).unwrap();
        assert!(!json.contains("target_id"), "{json}");
        assert_eq!(chain_hash(1, &record, GENESIS), PRE_TARGET_HASH);
        let targeted = NewRecord {
            target_id: Some("cap-1".into()),
            ..sample()
        };
        assert_ne!(chain_hash(1, &targeted, GENESIS), PRE_TARGET_HASH);
    }

    // Computed independently of this code: SHA-256 of the genesis hash, "\n1\n" and the
    // record as the JSON the old struct serialized (its 21 fields, in order).
    const PRE_TARGET_HASH: &str =
        "88cb764b0a4480526ce022747ed44b90f190485b3726b209848d9b1168af77ae";
}
