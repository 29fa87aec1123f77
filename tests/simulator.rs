//! Integration tests for the Klarna OM simulator: every route, refusal, host,
//! per-host auth, idempotency replay, fault and connection counter, driven over
//! real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "simulator/common.rs"]
mod common;

#[path = "simulator/canned.rs"]
mod canned;
#[path = "simulator/captures.rs"]
mod captures;
#[path = "simulator/demo.rs"]
mod demo;
#[path = "simulator/faults.rs"]
mod faults;
#[path = "simulator/hosts.rs"]
mod hosts;
#[path = "simulator/http.rs"]
mod http;
#[path = "simulator/idempotency.rs"]
mod idempotency;
#[path = "simulator/lifecycle.rs"]
mod lifecycle;
#[path = "simulator/orders.rs"]
mod orders;
#[path = "simulator/refunds.rs"]
mod refunds;
#[path = "simulator/settlements.rs"]
mod settlements;
