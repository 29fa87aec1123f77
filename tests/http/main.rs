//! The team server over real HTTP on loopback: transport (legacy sessions and the 2026-07-28
//! lifecycle), the Host/Origin guard, body and rate limits, graceful shutdown, OAuth resource
//! server behaviour against a test issuer whose keys are made here, and static tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clients;
mod harness;
mod health;
mod issuer;
mod oauth;
mod roles;
mod tokens;
mod transport;
