//! A small Klarna Order Management API client that knows nothing about MCP.
//!
//! Shaped after async-openai: [`ClientConfig`] is all the client knows, [`KlarnaClient`] has
//! one short method per endpoint over the typed helpers of [`transport`] (get JSON, post JSON
//! with an idempotency key, post without a body), which own sending, retrying and reading the
//! answer; [`policy`] decides what an answer means (retry or not, could a write have been
//! applied); [`types`] holds the snake_case wire types, and [`KlarnaError`] every way one
//! exchange can fail, with the facts a caller needs to explain it.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/>

mod client;
mod config;
mod error;
mod lenient;
mod policy;
pub mod sanitize;
mod transport;
pub mod types;

pub use client::{Created, KlarnaClient};
pub use config::{
    BaseUrl, ClientConfig, Credentials, HOST_PLACEHOLDER, HostCredentials, MissingCredential,
};
pub use error::{ApiErrorBody, KlarnaError, TransportKind};
pub use policy::RetryPolicy;
pub use transport::{
    CallError, Limits, MAX_RESPONSE_BYTES, MIN_CALL_BUDGET, MIN_TIME_FOR_WRITE, Reply, USER_AGENT,
};
