//! A small Klarna Order Management API client that knows nothing about MCP.
//!
//! Shaped after async-openai: [`KlarnaClient`] is the one HTTP executor (one pooled
//! `reqwest::Client`, Basic auth, retries), [`types`] holds the snake_case wire types, and
//! [`KlarnaError`] holds every way a call can fail, with the facts a caller needs to explain
//! it (HTTP status, Klarna's `error_code`, messages and `correlation_id`, and whether a write
//! may have been applied).
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/>

mod client;
mod error;
mod retry;
pub mod types;

pub use client::{Created, Failed, KlarnaClient, Limits, Reply};
pub use error::{ApiErrorBody, KlarnaError, TransportKind};
pub use retry::RetryPolicy;
