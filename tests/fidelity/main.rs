//! The fidelity session: klarna-mcp's requests and the simulator's answers checked against
//! Klarna's published API description by Stoplight Prism in proxy mode, every violation a
//! failure. How it works and how to add an operation: `harness.rs`.
//!
//! It needs Prism (`KLARNA_TEST_PRISM`, the `prism` executable; `bash .ci/run` installs it,
//! pinned) and Klarna's API descriptions, which are not part of this repository
//! (`KLARNA_TEST_SPEC_DIR`, see `spec.rs`). Without either every test here is skipped with one
//! line saying so — except under `CI=true`, where a skip is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod harness;
mod order_management;
mod prism;
mod selfcheck;
mod spec;

use std::collections::BTreeSet;

/// Every spec operation the session exercises. Adding an operation to the client or the
/// simulator means a case for it and its operationId here (see `harness.rs`).
const EXERCISED: &[&str] = &[
    "getOrder",
    "getCapture",
    "getCaptures",
    "captureOrder",
    "refundOrder",
    "get",
    "cancelOrder",
    "releaseRemainingAuthorization",
    "appendShippingInfo",
    "appendOrderShippingInfo",
    "triggerSendOut",
    "extendAuthorizationTime",
    "updateMerchantReferences",
    "acknowledgeOrder",
    "updateAuthorization",
    "getOptionsForExtendDueDate",
    "extendDueDate",
    "updateConsumerDetails",
];

/// The cases of every spec document.
const CASES: &[&[(&str, &[&str])]] = &[order_management::CASES];

#[tokio::test]
async fn the_session_exercises_every_operation_the_simulator_serves() {
    let Some(world) = harness::world() else {
        return;
    };
    let listed: BTreeSet<String> = EXERCISED.iter().map(|s| s.to_string()).collect();
    let by_cases: BTreeSet<String> = CASES
        .iter()
        .flat_map(|cases| cases.iter())
        .flat_map(|(_, ops)| ops.iter().map(|s| s.to_string()))
        .collect();
    assert_eq!(
        by_cases, listed,
        "the operations the cases exercise (left) are not EXERCISED (right): \
         add the new operation's id to EXERCISED, or a case for it"
    );
    let served = world.served_operations().await;
    assert_eq!(
        served, listed,
        "the simulator serves (left) other operations than the session exercises (right): \
         a new route needs a case in the fidelity session and its id in EXERCISED"
    );
}
