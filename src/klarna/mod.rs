//! A small Klarna API client that knows nothing about MCP.
//!
//! Shaped after async-openai: [`ClientConfig`] is all the client knows; [`KlarnaClient`] is
//! one handle with a thin module per API group ([`Orders`] for Order Management,
//! [`Settlements`] for payouts and settlement transactions), each
//! endpoint a few lines over the typed helpers of `transport` (GET JSON, a write with an
//! idempotency key — any API root, path, query, method), which own sending, retrying and
//! reading the answer; `policy` decides what an answer means (retry or not, could a write
//! have been applied); [`types`] holds the snake_case wire types by API group, and
//! [`KlarnaError`] every way one exchange can fail, with the facts a caller needs to explain it.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/>,
//! <https://docs.klarna.com/settlement-reports/api>

mod client;
mod config;
mod error;
mod lenient;
mod orders;
mod policy;
pub mod sanitize;
mod settlements;
mod transport;
pub mod types;

pub use client::{Created, CreatedKind, KlarnaClient, Proof};
pub use config::{
    BaseUrl, ClientConfig, Credentials, HOST_PLACEHOLDER, HostCredentials, MissingCredential,
};
pub use error::{ApiErrorBody, KlarnaError, TransportKind};
pub use orders::{OrderWrite, Orders, json as json_body};
pub use policy::RetryPolicy;
pub use settlements::{Page, PayoutPeriod, Report, ReportFormat, Settlements, TransactionFilter};
pub use transport::{
    CallError, Document, Limits, MAX_RESPONSE_BYTES, MIN_CALL_BUDGET, MIN_TIME_FOR_WRITE, Reply,
    USER_AGENT,
};
