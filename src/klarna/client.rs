//! [`KlarnaClient`]: the handle every tool uses, with one thin module per API group over the
//! shared transport — [`Orders`](super::orders::Orders) for Order Management,
//! [`Settlements`](super::settlements::Settlements) for payouts and settlement transactions —
//! as async-openai splits its client by endpoint group.
//!
//! Requests go to `https://{host}` for one of the six [`ApiHost`]s, or to the configured base
//! URL (simulator, proxy, gateway), with the credentials configured for that host.

use std::sync::Arc;

use super::{
    config::ClientConfig,
    orders::Orders,
    settlements::Settlements,
    transport::{Answer, CallError, Reply, Transport},
};

/// A handle to the Klarna API. Cloning is shallow: clones share one connection pool and
/// one configuration, so every tool call uses the same pooled client.
#[derive(Clone)]
pub struct KlarnaClient {
    transport: Arc<Transport>,
}

impl std::fmt::Debug for KlarnaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let config = self.transport.config();
        f.debug_struct("KlarnaClient")
            .field("credentials", &config.credentials)
            .field("base_url", &config.base_url)
            .field("retry", &config.retry)
            .finish()
    }
}

/// What a `201 Created` proves: the new resource's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// From `Capture-Id` / `Refund-Id`, or the last segment of a `Location` that names a
    /// resource of the right kind.
    pub id: String,
}

/// The two kinds of resource a write creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreatedKind {
    /// A capture: `Capture-Id`, `…/captures/{id}`.
    Capture,
    /// A refund: `Refund-Id`, `…/refunds/{id}`.
    Refund,
}

impl CreatedKind {
    fn id_header(self) -> &'static str {
        match self {
            Self::Capture => "Capture-Id",
            Self::Refund => "Refund-Id",
        }
    }

    /// The path segment of the collection, e.g. `captures`.
    fn collection(self) -> &'static str {
        match self {
            Self::Capture => "captures",
            Self::Refund => "refunds",
        }
    }
}

impl KlarnaClient {
    /// Builds the client. Does no I/O.
    pub fn new(config: ClientConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            transport: Arc::new(Transport::new(config)?),
        })
    }

    /// The Order Management API.
    pub fn orders(&self) -> Orders<'_> {
        Orders::new(&self.transport)
    }

    /// The Settlements API (read-only).
    pub fn settlements(&self) -> Settlements<'_> {
        Settlements::new(&self.transport)
    }
}

/// What proves that a write was applied, as Klarna documents each write's success answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// `201 Created` naming the new resource's id (captures, refunds).
    Created(CreatedKind),
    /// `204 No Content` (every other Order Management write).
    NoContent,
}

impl Proof {
    /// Reads a 2xx answer: the id created (if any), or the call error that says the answer
    /// proves nothing.
    pub(crate) fn judge(self, answer: &Answer) -> Result<Reply<Option<String>>, CallError> {
        match self {
            Self::Created(kind) => created(answer, kind).map(|reply| Reply {
                value: Some(reply.value.id),
                status: reply.status,
                attempts: reply.attempts,
                correlation_id: reply.correlation_id,
            }),
            Self::NoContent => no_content(answer).map(|reply| reply.map(|()| None)),
        }
    }
}

/// Whether an id looks like one of Klarna's (a UUID, or at least a short token of letters,
/// digits and hyphens).
fn is_id(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Proof that a capture or refund was created: a `201` naming its id, in the id header or in
/// a `Location` that points at a resource of that kind (and agrees with the header when
/// both are there). Anything else — another 2xx, no id, a `Location` naming some other
/// resource — does not prove the write was applied.
pub(crate) fn created(answer: &Answer, kind: CreatedKind) -> Result<Reply<Created>, CallError> {
    if answer.status.as_u16() != 201 {
        return Err(answer.unproven(format!(
            "a {} is answered with 201 Created",
            kind.collection().trim_end_matches('s')
        )));
    }
    let header = answer.header(kind.id_header());
    if let Some(id) = &header
        && !is_id(id)
    {
        return Err(answer.unproven(format!("its {} is not an id", kind.id_header())));
    }
    let from_location = match answer.header("Location") {
        None => None,
        Some(location) => {
            let path = location.split(['?', '#']).next().unwrap_or_default();
            let mut segments = path.trim_end_matches('/').rsplit('/');
            let id = segments.next().unwrap_or_default();
            let collection = segments.next().unwrap_or_default();
            if collection != kind.collection() || !is_id(id) {
                return Err(answer.unproven(format!(
                    "its Location does not name a {}",
                    kind.collection().trim_end_matches('s')
                )));
            }
            Some(id.to_string())
        }
    };
    match (header, from_location) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(&b) => Err(answer.unproven(format!(
            "its {} and its Location name different ids",
            kind.id_header()
        ))),
        (Some(id), _) | (None, Some(id)) => Ok(answer.reply(Created { id })),
        (None, None) => Err(answer.unproven(format!(
            "it names no {} (no {} header, no Location)",
            kind.collection().trim_end_matches('s'),
            kind.id_header()
        ))),
    }
}

/// Proof that a cancel or release was applied: Klarna answers `204 No Content`.
pub(crate) fn no_content(answer: &Answer) -> Result<Reply<()>, CallError> {
    if answer.status.as_u16() == 204 {
        Ok(answer.reply(()))
    } else {
        Err(answer.unproven("this operation is answered with 204 No Content"))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::klarna::{Credentials, HostCredentials, RetryPolicy};

    #[test]
    fn debug_output_never_shows_the_password() {
        let config = ClientConfig {
            credentials: HostCredentials::same_for_all(Ok(Credentials {
                username: Some("user".into()),
                secret: SecretString::from("hunter2-secret".to_string()),
                source: "KLARNA_API_USERNAME/KLARNA_API_PASSWORD".into(),
            })),
            base_url: None,
            retry: RetryPolicy::default(),
        };
        let text = format!(
            "{:?} {:?}",
            KlarnaClient::new(config.clone()).unwrap(),
            config
        );
        assert!(!text.contains("hunter2-secret"), "{text}");
        assert!(text.contains("user"));
    }
}
