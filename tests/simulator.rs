//! Integration tests for the Klarna OM simulator: every route (all 18 of
//! Klarna's Order Management operations), refusal, host, per-host auth,
//! idempotency replay, fault, fee and connection counter, driven over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "simulator/common.rs"]
mod common;

#[path = "simulator/amendments.rs"]
mod amendments;
#[path = "simulator/canned.rs"]
mod canned;
#[path = "simulator/captures.rs"]
mod captures;
#[path = "simulator/demo.rs"]
mod demo;
#[path = "simulator/due_dates.rs"]
mod due_dates;
#[path = "simulator/faults.rs"]
mod faults;
#[path = "simulator/fulfilment.rs"]
mod fulfilment;
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
