//! Server-side guards: which tools exist, caps, confirmation, environments, credentials.

use std::sync::{Arc, Mutex};

use crate::common::{config_for, order_args, start, start_with};
use klarna_mcp::{
    KlarnaServer,
    config::ConfirmWrites,
    host::{ApiHost, Environment},
    klarna::{HostCredentials, MissingCredential},
    simulator::{SeedOrder, Simulator, SimulatorConfig},
};
use rmcp::{
    ClientHandler, ErrorData as McpError, RoleClient, ServiceExt,
    model::{
        CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
        ElicitationAction, Implementation,
    },
    service::RequestContext,
};
use serde_json::json;

async fn tool_names(h: &crate::common::Harness) -> Vec<String> {
    let mut names: Vec<String> = h
        .client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn read_only_registers_only_the_read_tools_and_writes_cannot_be_called() {
    let h = start_with(|c| c.read_only = true).await;
    assert_eq!(
        tool_names(&h).await,
        vec!["get_capture", "get_order", "list_operations"]
    );
    let id = h.seed(SeedOrder::new(1000, "EUR").captured(1000));
    for tool in [
        "capture_order",
        "refund_order",
        "cancel_order",
        "release_remaining_authorization",
    ] {
        let params = CallToolRequestParams::new(tool).with_arguments(rmcp::model::object(
            order_args(&id, json!({ "amount": 100 })),
        ));
        assert!(
            h.client.call_tool(params).await.is_err(),
            "{tool} was callable in read-only mode"
        );
    }
    assert!(h.sim.requests().iter().all(|r| r.method == "GET"));
    let info = h.client.peer_info().unwrap();
    assert!(info.instructions.as_deref().unwrap().contains("read-only"));
}

#[tokio::test]
async fn tool_list_registers_exactly_the_named_tools_and_read_only_wins() {
    let h = start_with(|c| {
        c.tools = Some(
            ["get_order", "refund_order"]
                .into_iter()
                .map(String::from)
                .collect(),
        )
    })
    .await;
    assert_eq!(tool_names(&h).await, vec!["get_order", "refund_order"]);
    let h = start_with(|c| {
        c.tools = Some(
            ["get_order", "refund_order"]
                .into_iter()
                .map(String::from)
                .collect(),
        );
        c.read_only = true;
    })
    .await;
    assert_eq!(tool_names(&h).await, vec!["get_order"]);
}

#[tokio::test]
async fn capture_above_the_cap_is_refused_before_sending_even_when_amount_is_omitted() {
    let h = start_with(|c| c.max_capture_amount = Some(5000)).await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    let text = h
        .err("capture_order", order_args(&id, json!({ "amount": 6000 })))
        .await;
    assert!(
        text.contains("KLARNA_MAX_CAPTURE_AMOUNT=5000") && text.contains("50.00 EUR"),
        "{text}"
    );
    let text = h.err("capture_order", json!({ "orderId": id })).await;
    assert!(
        text.contains("100.00 EUR (10000)") && text.contains("KLARNA_MAX_CAPTURE_AMOUNT"),
        "{text}"
    );
    assert!(h.sim.requests().iter().all(|r| r.method == "GET"));
    h.ok("capture_order", order_args(&id, json!({ "amount": 5000 })))
        .await;
}

#[tokio::test]
async fn refund_above_the_cap_is_refused_before_sending() {
    let h = start_with(|c| c.max_refund_amount = Some(1000)).await;
    let id = h.seed(SeedOrder::new(10000, "EUR").captured(10000));
    let text = h
        .err("refund_order", order_args(&id, json!({ "amount": 1001 })))
        .await;
    assert!(text.contains("KLARNA_MAX_REFUND_AMOUNT=1000"), "{text}");
    assert!(h.sim.requests().iter().all(|r| r.method == "GET"));
    h.ok("refund_order", order_args(&id, json!({ "amount": 1000 })))
        .await;
}

#[tokio::test]
async fn environment_restriction_refuses_other_hosts_before_sending() {
    let h = start_with(|c| {
        c.hosts.restriction = Some((
            Environment::Playground,
            "KLARNA_ENVIRONMENT=playground".into(),
        ))
    })
    .await;
    for tool in ["get_order", "capture_order"] {
        let text = h
            .err(
                tool,
                json!({ "orderId": crate::common::UNKNOWN_ORDER, "apiHost": "api.klarna.com" }),
            )
            .await;
        assert!(
            text.contains("KLARNA_ENVIRONMENT=playground")
                && text.contains("api.playground.klarna.com"),
            "{text}"
        );
    }
    assert_eq!(h.sim.request_count(), 0);
    let h = start_with(|c| {
        c.hosts.restriction = Some((
            Environment::Production,
            "the API key in KLARNA_API_PASSWORD is a production key".into(),
        ))
    })
    .await;
    let text = h
        .err(
            "get_order",
            json!({ "orderId": crate::common::UNKNOWN_ORDER, "apiHost": "api-oc.playground.klarna.com" }),
        )
        .await;
    assert!(
        text.contains("production key") && text.contains("api-oc.klarna.com"),
        "{text}"
    );
    assert_eq!(h.sim.request_count(), 0);
}

#[tokio::test]
async fn default_host_comes_from_configuration() {
    let h = start_with(|c| c.hosts.default_host = ApiHost::OcPlayground).await;
    let id = h.seed(SeedOrder::new(1000, "AUD"));
    let order = h.ok("get_order", json!({ "orderId": id })).await;
    assert_eq!(order["apiHost"], "api-oc.playground.klarna.com");
}

#[tokio::test]
async fn missing_credentials_still_list_tools_and_every_call_names_the_variable() {
    let h = start_with(|c| {
        c.client.credentials = HostCredentials::same_for_all(Err(MissingCredential(
            "No credentials for this host: set KLARNA_API_KEY".into(),
        )))
    })
    .await;
    assert_eq!(tool_names(&h).await.len(), 7);
    let text = h
        .err(
            "get_order",
            json!({ "orderId": crate::common::UNKNOWN_ORDER }),
        )
        .await;
    assert!(text.contains("set KLARNA_API_KEY"), "{text}");
    let text = h
        .err(
            "capture_order",
            json!({ "orderId": crate::common::UNKNOWN_ORDER, "amount": 5 }),
        )
        .await;
    assert!(text.contains("set KLARNA_API_KEY"), "{text}");
    assert_eq!(h.sim.request_count(), 0);
}

/// An MCP client that supports elicitation and answers every question the same way,
/// remembering the questions.
#[derive(Clone)]
struct Human {
    answer: ElicitationAction,
    confirm: bool,
    asked: Arc<Mutex<Vec<String>>>,
}

impl ClientHandler for Human {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.asked.lock().unwrap().push(message);
        }
        let result = ElicitResult::new(self.answer.clone());
        Ok(if self.answer == ElicitationAction::Accept {
            result.with_content(json!({ "confirm": self.confirm }))
        } else {
            result
        })
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("test-human", "1"),
        )
    }
}

type Session = (
    Simulator,
    rmcp::service::RunningService<RoleClient, Human>,
    Arc<Mutex<Vec<String>>>,
);

async fn with_human(mode: ConfirmWrites, answer: ElicitationAction, confirm: bool) -> Session {
    with_human_on(mode, answer, confirm, false).await
}

/// The same, on the 2026-07-28 lifecycle when `modern` (confirmation by an `input_required`
/// round trip instead of a server-to-client request).
async fn with_human_on(
    mode: ConfirmWrites,
    answer: ElicitationAction,
    confirm: bool,
    modern: bool,
) -> Session {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let mut config = config_for(&sim);
    config.confirm_writes = mode;
    // Every toolset, so every write kind can be asked about.
    config.toolsets = Some(["all".to_string()].into());
    let server = KlarnaServer::new(config).unwrap();
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let asked = Arc::new(Mutex::new(Vec::new()));
    let human = Human {
        answer,
        confirm,
        asked: asked.clone(),
    };
    let client = if modern {
        use rmcp::{ClientLifecycleMode, ClientServiceExt, model::ProtocolVersion};
        human
            .serve_with_lifecycle(
                client_io,
                ClientLifecycleMode::Discover {
                    preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                },
            )
            .await
            .unwrap()
    } else {
        human.serve(client_io).await.unwrap()
    };
    (sim, client, asked)
}

async fn capture(
    client: &rmcp::service::RunningService<RoleClient, Human>,
    id: &str,
) -> rmcp::model::CallToolResult {
    client
        .call_tool(
            CallToolRequestParams::new("capture_order").with_arguments(rmcp::model::object(
                json!({ "orderId": id, "amount": 10500 }),
            )),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_that_can_ask_gets_one_plain_question_and_yes_sends_the_write() {
    let (sim, client, asked) =
        with_human(ConfirmWrites::Auto, ElicitationAction::Accept, true).await;
    let id = sim.seed(SeedOrder::new(10500, "EUR"));
    let result = capture(&client, &id).await;
    assert_eq!(
        result.is_error,
        Some(false),
        "{}",
        crate::common::text(&result)
    );
    let asked = asked.lock().unwrap().clone();
    assert_eq!(
        asked,
        vec![format!(
            "Capture 105.00 EUR on order {id} at api.klarna.com?"
        )]
    );
    assert_eq!(sim.snapshot(&id).unwrap().captured_amount, 10500);
}

#[tokio::test]
async fn declining_cancelling_or_unticking_sends_nothing() {
    for (answer, confirm) in [
        (ElicitationAction::Decline, false),
        (ElicitationAction::Cancel, false),
        (ElicitationAction::Accept, false),
    ] {
        let (sim, client, asked) = with_human(ConfirmWrites::Auto, answer.clone(), confirm).await;
        let id = sim.seed(SeedOrder::new(10500, "EUR"));
        let result = capture(&client, &id).await;
        assert_eq!(result.is_error, Some(true));
        let text = crate::common::text(&result);
        assert!(
            text.contains("The user declined") && text.contains("Nothing was sent"),
            "{answer:?}: {text}"
        );
        assert_eq!(asked.lock().unwrap().len(), 1);
        assert!(sim.requests().iter().all(|r| r.method == "GET"));
    }
}

#[tokio::test]
async fn never_mode_does_not_ask() {
    let (sim, client, asked) =
        with_human(ConfirmWrites::Never, ElicitationAction::Decline, false).await;
    let id = sim.seed(SeedOrder::new(10500, "EUR"));
    assert_eq!(capture(&client, &id).await.is_error, Some(false));
    assert!(asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn always_mode_refuses_writes_when_the_client_cannot_ask() {
    let h = start_with(|c| c.confirm_writes = ConfirmWrites::Always).await;
    let id = h.seed(SeedOrder::new(10500, "EUR"));
    let text = h.err("capture_order", json!({ "orderId": id })).await;
    assert!(
        text.contains("KLARNA_CONFIRM_WRITES=always") && text.contains("Nothing was sent"),
        "{text}"
    );
    assert!(h.sim.requests().iter().all(|r| r.method == "GET"));
    // reads are never asked about
    h.ok("get_order", json!({ "orderId": id })).await;
}

#[tokio::test]
async fn auto_mode_proceeds_without_asking_when_the_client_cannot_ask() {
    let h = start().await;
    let id = h.seed(SeedOrder::new(10500, "EUR"));
    h.ok("capture_order", json!({ "orderId": id })).await;
}

#[tokio::test]
async fn on_the_2026_lifecycle_the_question_is_an_input_required_round_trip() {
    // given a client on 2026-07-28 that confirms
    let (sim, client, asked) =
        with_human_on(ConfirmWrites::Auto, ElicitationAction::Accept, true, true).await;
    let id = sim.seed(SeedOrder::new(10500, "EUR"));
    // when (rmcp's client answers input_required through its handler and repeats the call)
    let result = capture(&client, &id).await;
    // then the round trip really ran on 2026-07-28, the human was asked once, and the
    // capture happened once with the key the result shows
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        rmcp::model::ProtocolVersion::V_2026_07_28
    );
    assert_eq!(
        result.is_error,
        Some(false),
        "{}",
        crate::common::text(&result)
    );
    assert_eq!(
        asked.lock().unwrap().clone(),
        vec![format!(
            "Capture 105.00 EUR on order {id} at api.klarna.com?"
        )]
    );
    let snap = sim.snapshot(&id).unwrap();
    assert_eq!((snap.captures.len(), snap.captured_amount), (1, 10500));
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        posts[0].idempotency_key.as_deref(),
        result.structured_content.unwrap()["idempotencyKey"].as_str()
    );
}

#[tokio::test]
async fn on_the_2026_lifecycle_declining_sends_nothing() {
    let (sim, client, asked) = with_human_on(
        ConfirmWrites::Always,
        ElicitationAction::Decline,
        false,
        true,
    )
    .await;
    let id = sim.seed(SeedOrder::new(10500, "EUR").captured(10500));
    let result = client
        .call_tool(
            CallToolRequestParams::new("refund_order")
                .with_arguments(rmcp::model::object(json!({ "orderId": id, "amount": 500 }))),
        )
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(
        crate::common::text(&result).contains("The user declined"),
        "{}",
        crate::common::text(&result)
    );
    assert_eq!(asked.lock().unwrap().len(), 1);
    assert!(sim.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn an_answer_for_a_different_write_is_not_taken_as_confirmation() {
    use rmcp::model::CallToolResponse;
    let (sim, client, _) =
        with_human_on(ConfirmWrites::Auto, ElicitationAction::Accept, true, true).await;
    let id = sim.seed(SeedOrder::new(10500, "EUR"));
    let first = CallToolRequestParams::new("capture_order")
        .with_arguments(rmcp::model::object(json!({ "orderId": id, "amount": 100 })));
    let CallToolResponse::InputRequired(ask) = client.call_tool_once(first).await.unwrap() else {
        panic!("expected input_required")
    };
    let state = ask.request_state.clone().unwrap();
    assert!(
        !state.contains(&id),
        "requestState is sealed, not readable: {state}"
    );
    // the repeated call asks for a bigger capture but echoes the state and a "yes" for the small one
    let yes = json!({ "action": "accept", "content": { "confirm": true } });
    let mut repeat = CallToolRequestParams::new("capture_order").with_arguments(
        rmcp::model::object(json!({ "orderId": id, "amount": 9000 })),
    );
    repeat.request_state = Some(state.clone());
    repeat.input_responses = Some([("confirm".to_string(), yes)].into_iter().collect());
    match client.call_tool_once(repeat).await.unwrap() {
        CallToolResponse::InputRequired(again) => assert_ne!(again.request_state.unwrap(), state),
        other => panic!("the changed write was not asked about again: {other:?}"),
    }
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "nothing may be sent"
    );
}

#[tokio::test]
async fn a_forged_or_missing_request_state_does_not_confirm_anything() {
    use rmcp::model::CallToolResponse;
    let (sim, client, _) =
        with_human_on(ConfirmWrites::Always, ElicitationAction::Accept, true, true).await;
    let id = sim.seed(SeedOrder::new(10500, "EUR"));
    let yes = json!({ "action": "accept", "content": { "confirm": true } });
    for state in [
        Some(format!(
            "klarna-mcp/confirm/v1|capture_order|{id}|api.klarna.com|100|k|x"
        )),
        Some("garbage".to_string()),
        None,
    ] {
        let mut call = CallToolRequestParams::new("capture_order").with_arguments(
            rmcp::model::object(json!({ "orderId": id, "amount": 100, "idempotencyKey": "k" })),
        );
        call.request_state = state.clone();
        call.input_responses = Some([("confirm".to_string(), yes.clone())].into_iter().collect());
        let CallToolResponse::Complete(result) = client.call_tool_once(call).await.unwrap() else {
            panic!("{state:?}: expected a refusal")
        };
        assert_eq!(result.is_error, Some(true));
        assert!(
            crate::common::text(&result).contains("cannot be trusted"),
            "{}",
            crate::common::text(&result)
        );
    }
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "nothing may be sent"
    );
}

/// The question of each fulfilment and amendments write says what it sets — the tracking, the
/// references, the new total and what becomes of the lines, the days and the fee — and for a
/// new address only the fields, never their values; declining sends nothing.
#[tokio::test]
async fn the_new_writes_ask_what_they_set_and_never_show_an_address() {
    let (sim, client, asked) =
        with_human(ConfirmWrites::Auto, ElicitationAction::Decline, false).await;
    let id = sim.seed(SeedOrder::new(12000, "EUR").captured(4000));
    let cap = sim.snapshot(&id).unwrap().captures[0].capture_id.clone();
    let cases = [
        (
            "add_shipping_info",
            json!({ "orderId": id, "captureId": cap, "shippingInfo": [{ "shippingCompany": "DHL SE", "trackingNumber": "T-1" }] }),
            format!(
                "Add shipping info to capture {cap} of order {id} at api.klarna.com: 1 shipment (carrier \"DHL SE\", tracking number \"T-1\")?"
            ),
        ),
        (
            "update_merchant_references",
            json!({ "orderId": id, "merchantReference1": "ERP-2" }),
            format!(
                "Update the merchant references of order {id} at api.klarna.com: merchant_reference1 \"ERP-2\"?"
            ),
        ),
        (
            "update_order_amount",
            json!({ "orderId": id, "newOrderAmount": 10000 }),
            format!(
                "Change the total of order {id} at api.klarna.com to 100.00 EUR (the order's lines are removed: none were given)?"
            ),
        ),
        (
            "extend_due_date",
            json!({ "orderId": id, "captureId": cap, "numberOfDays": 14 }),
            format!(
                "Extend the payment due date of capture {cap} of order {id} at api.klarna.com: by 14 days, for a fee of 2.95 EUR (295) charged to the merchant?"
            ),
        ),
        (
            "update_customer_details",
            json!({ "orderId": id, "shippingAddress": { "streetAddress": "Hemliga gatan 1", "city": "Lund" } }),
            format!(
                "Update the shipping address of order {id} at api.klarna.com: fields city, street_address (values not shown: personal data)?"
            ),
        ),
        (
            "extend_authorization_time",
            json!({ "orderId": id }),
            format!("Extend the authorization time of order {id} at api.klarna.com?"),
        ),
    ];
    for (tool, args, question) in cases {
        let result = client
            .call_tool(
                CallToolRequestParams::new(tool.to_string())
                    .with_arguments(rmcp::model::object(args)),
            )
            .await
            .unwrap();
        assert_eq!(result.is_error, Some(true), "{tool}: declined");
        let last = asked.lock().unwrap().last().cloned().unwrap_or_default();
        assert_eq!(last, question, "{tool}");
    }
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "nothing was sent"
    );
    assert!(
        asked
            .lock()
            .unwrap()
            .iter()
            .all(|q| !q.contains("Hemliga") && !q.contains("Lund"))
    );
}
