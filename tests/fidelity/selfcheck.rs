//! The session can fail: a request or an answer that breaks the spec is seen as a violation,
//! and so is a request no operation matches. Without these a session that silently validated
//! nothing would pass every case.

use axum::http::Method;
use klarna_mcp::simulator::{CannedResponse, Fault, FaultRule, Operation, SeedOrder};
use serde_json::json;

use crate::harness::{Exchange, Session};

/// The violations of the exchanges whose path contains `marker`.
fn violations(exchanges: &[Exchange], marker: &str) -> Vec<String> {
    exchanges
        .iter()
        .filter(|e| e.path.contains(marker))
        .flat_map(|e| e.violations.clone())
        .collect()
}

#[tokio::test]
async fn a_request_that_breaks_the_spec_is_a_violation_and_is_not_forwarded() {
    let Some(s) = Session::start("selfcheck::requests").await else {
        return;
    };
    let id = s.seed(SeedOrder::new(10000, "EUR"));
    let captures = format!("/ordermanagement/v1/orders/{id}/captures");
    // captured_amount is an integer, and required.
    let (status, _) = s
        .klarna(
            Method::POST,
            &captures,
            Some(json!({ "captured_amount": "ten" })),
        )
        .await;
    assert_eq!(status, 422, "Prism refuses it with --errors");
    let (status, _) = s
        .klarna(
            Method::POST,
            &captures,
            Some(json!({ "description": "no amount" })),
        )
        .await;
    assert_eq!(status, 422);
    let found = violations(&s.exchanges(), &id);
    assert!(
        found
            .iter()
            .any(|v| v.contains("captured_amount") && v.contains("integer")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|v| v.contains("captured_amount") && v.contains("required")),
        "{found:#?}"
    );
    assert!(
        s.world()
            .sim
            .requests()
            .iter()
            .all(|r| !r.path.contains(&id)),
        "nothing reached the simulator"
    );

    // Basic credentials are required by every operation.
    let unknown = "00000000-0000-4000-8000-0000000000aa";
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/ordermanagement/v1/orders/{unknown}", s.base_url());
    assert_eq!(http.get(url).send().await.unwrap().status(), 401);
    let found = violations(&s.exchanges(), unknown);
    assert!(found.iter().any(|v| v.contains("security")), "{found:#?}");

    // A path the spec does not have.
    let (status, _) = s
        .klarna(
            Method::GET,
            &format!("/ordermanagement/v1/orders/{id}/nowhere"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let nowhere = s
        .exchanges()
        .into_iter()
        .find(|e| e.path.ends_with("/nowhere"))
        .unwrap();
    assert_eq!(nowhere.operation, None);
    assert!(
        nowhere
            .violations
            .iter()
            .any(|v| v.contains("no operation")),
        "{nowhere}"
    );
}

#[tokio::test]
async fn an_answer_that_breaks_the_spec_is_a_violation() {
    let Some(s) = Session::start_alone("selfcheck::answers").await else {
        return;
    };
    let id = s.seed(SeedOrder::new(10000, "EUR"));
    let mut order = s.world().sim.order_json(&id).unwrap();
    order["order_amount"] = json!("a lot");
    order["status"] = json!("SHIPPED");
    s.world().sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::Respond(CannedResponse::json(200, &order)),
    ));
    // An undocumented status is reported too (as a warning, and counted).
    s.world().sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::Respond(CannedResponse::klarna_error(
            409,
            "CONFLICT",
            &["made up"],
            "c-1",
        )),
    ));
    s.err("get_order", json!({ "orderId": id })).await;
    s.err("get_order", json!({ "orderId": id })).await;
    s.world().sim.clear_faults();
    let exchanges = s.exchanges();
    assert_eq!(exchanges.len(), 2, "{exchanges:#?}");
    let first = exchanges[0].violations.join("\n");
    assert!(first.contains("order_amount"), "{first}");
    assert!(first.contains("status"), "{first}");
    assert_eq!(
        exchanges[0].status, 500,
        "with --errors Prism replaces the answer"
    );
    let second = exchanges[1].violations.join("\n");
    assert!(
        second.contains("Warning") && second.contains("status code"),
        "{second}"
    );
    assert_eq!(exchanges[1].status, 409);
}
