//! Tests of the MCP server in process: every tool against the simulator (over rmcp's own
//! client on a duplex pipe), the Klarna client against hand-written HTTP answers, faults,
//! hostile input, the reviewed tool definitions, and the docs staying true to the code.
//! One test binary, so a change relinks once.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

mod amendments;
mod captures;
mod client;
mod disk_full;
mod docs;
mod faults;
mod finance;
mod fulfilment;
mod hardening;
mod hostile_input;
mod journal;
mod om_faults;
mod orders;
mod postgres;
mod proxy_faults;
mod refunds;
mod regions;
mod result_texts;
mod results;
mod safety;
mod scenarios;
mod tools_list;
mod verdicts;
