//! Every Klarna account in one server: credentials per host, API-key logins, the regional
//! simulator, and Klarna's data read the way Klarna sends it.

use std::net::{Ipv4Addr, SocketAddr};

use klarna_mcp::{
    Config, KlarnaServer,
    simulator::{
        CannedResponse, Fault, FaultRule, Operation, SeedOrder, SimCredential, Simulator,
        SimulatorConfig,
    },
};
use serde_json::json;

use crate::common::{connect, order_args};

const EU_USER: &str = "eu-merchant";
const EU_PASSWORD: &str = "eu-password-0123456789";
const NA_KEY: &str = "klarna_live_api_NA-0123456789abcdef";

/// A simulator where api.klarna.com takes a username and password and api-na.klarna.com an
/// API key, and a server configured the way a two-region merchant would: the default set for
/// Europe, `KLARNA_NA_API_KEY` for North America, one base URL with `{apiHost}`.
async fn two_regions(
    extra: &[(&str, &str)],
) -> (
    Simulator,
    rmcp::service::RunningService<rmcp::RoleClient, ()>,
) {
    let sim = Simulator::start(SimulatorConfig {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        credentials: vec![
            SimCredential::new("api.klarna.com", EU_USER, EU_PASSWORD),
            SimCredential::api_key("api-na.klarna.com", NA_KEY),
        ],
    })
    .await
    .unwrap();
    let base = sim.host_base_url();
    let mut vars: Vec<(String, String)> = vec![
        ("KLARNA_API_USERNAME".into(), EU_USER.into()),
        ("KLARNA_API_PASSWORD".into(), EU_PASSWORD.into()),
        ("KLARNA_NA_API_KEY".into(), NA_KEY.into()),
        ("KLARNA_BASE_URL".into(), base),
    ];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut config =
        Config::from_vars(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap();
    config.journal = Some(klarna_mcp::journal::JournalLocation::Memory);
    config.client.retry.base_delay = std::time::Duration::from_millis(1);
    let client = connect(KlarnaServer::new(config).unwrap()).await;
    (sim, client)
}

async fn call(
    client: &rmcp::service::RunningService<rmcp::RoleClient, ()>,
    tool: &str,
    args: serde_json::Value,
) -> rmcp::model::CallToolResult {
    client
        .call_tool(
            rmcp::model::CallToolRequestParams::new(tool.to_string())
                .with_arguments(rmcp::model::object(args)),
        )
        .await
        .unwrap()
}

/// One process serves two regions, each with its own credentials: the simulator sees the EU
/// login only on the EU host and the NA key — as `Basic <key>` — only on the NA host.
#[tokio::test]
async fn two_regions_are_served_each_with_its_own_credentials() {
    let (sim, client) = two_regions(&[]).await;
    let eu = sim.seed(SeedOrder::new(10000, "EUR"));
    let na = sim.seed(SeedOrder::new(5000, "USD").on_host("api-na.klarna.com"));

    let r = call(&client, "get_order", json!({ "orderId": eu })).await;
    assert_eq!(r.is_error, Some(false), "{}", crate::common::text(&r));
    let r = call(
        &client,
        "capture_order",
        order_args(
            &na,
            json!({ "amount": 5000, "apiHost": "api-na.klarna.com" }),
        ),
    )
    .await;
    assert_eq!(r.is_error, Some(false), "{}", crate::common::text(&r));
    assert_eq!(sim.snapshot(&na).unwrap().captured_amount, 5000);

    let requests = sim.requests();
    assert!(requests.iter().any(|r| r.host == "api-na.klarna.com"));
    for r in &requests {
        assert!(r.authorized, "{r:?}");
        match r.host.as_str() {
            "api.klarna.com" => assert_eq!(r.credential.as_deref(), Some(EU_USER)),
            "api-na.klarna.com" => assert_eq!(r.credential.as_deref(), Some(NA_KEY)),
            other => panic!("unexpected host {other}"),
        }
    }
    // the instructions list the hosts with credentials, never a secret
    let instructions = client.peer_info().unwrap().instructions.clone().unwrap();
    assert!(
        instructions.contains("api.klarna.com, api-na.klarna.com, api-oc.klarna.com"),
        "{instructions}"
    );
    assert!(!instructions.contains(NA_KEY) && !instructions.contains(EU_PASSWORD));
}

/// A host with no usable credentials is refused before anything is sent, naming the
/// variables that would enable it.
#[tokio::test]
async fn a_host_without_credentials_is_refused_with_zero_requests() {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let base = sim.host_base_url();
    let mut config = Config::from_vars(|name| match name {
        "KLARNA_EU_API_KEY" => Some("klarna_live_api_EU-only".into()),
        "KLARNA_BASE_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap();
    config.journal = Some(klarna_mcp::journal::JournalLocation::Memory);
    let client = connect(KlarnaServer::new(config).unwrap()).await;
    for (tool, args) in [
        (
            "get_order",
            json!({ "orderId": crate::common::UNKNOWN_ORDER, "apiHost": "api-na.klarna.com" }),
        ),
        (
            "capture_order",
            json!({ "orderId": crate::common::UNKNOWN_ORDER, "amount": 100, "apiHost": "api-na.klarna.com" }),
        ),
    ] {
        let r = call(&client, tool, args).await;
        let text = crate::common::text(&r);
        assert_eq!(r.is_error, Some(true), "{text}");
        assert!(
            text.contains("KLARNA_NA_API_KEY") && text.contains("api-na.klarna.com"),
            "{text}"
        );
    }
    assert_eq!(sim.request_count(), 0);
}

/// `get_order` without `apiHost` finds an order that lives on another host this server has
/// credentials for, answers from there and says to pass that host from now on; with an
/// `apiHost` it does not search. A write never searches: it needs the order's host.
#[tokio::test]
async fn get_order_finds_an_order_on_another_host_and_writes_never_search() {
    let (sim, client) = two_regions(&[]).await;
    let na = sim.seed(SeedOrder::new(5000, "USD").on_host("api-na.klarna.com"));
    let r = call(&client, "get_order", json!({ "orderId": na })).await;
    let text = crate::common::text(&r);
    assert_eq!(r.is_error, Some(false), "{text}");
    assert!(
        text.contains("Found on api-na.klarna.com, not on the default host api.klarna.com")
            && text.contains("Pass apiHost \"api-na.klarna.com\""),
        "{text}"
    );
    let view = r.structured_content.unwrap();
    assert_eq!(view["apiHost"], "api-na.klarna.com");
    assert!(
        view["hostHint"].as_str().unwrap().contains("api-na"),
        "{view}"
    );

    // Named host: no search.
    let r = call(
        &client,
        "get_order",
        json!({ "orderId": na, "apiHost": "api.klarna.com" }),
    )
    .await;
    let text = crate::common::text(&r);
    assert!(text.contains("HTTP 404 NO_SUCH_ORDER"), "{text}");
    assert!(text.contains("get_order without apiHost"), "{text}");

    // A write without apiHost goes to the default host only, and says how to find the order.
    let before = sim.requests().len();
    let r = call(
        &client,
        "capture_order",
        order_args(&na, json!({ "amount": 100 })),
    )
    .await;
    let text = crate::common::text(&r);
    assert!(
        text.contains("HTTP 404 NO_SUCH_ORDER") && text.contains("writes never search"),
        "{text}"
    );
    let requests = sim.requests();
    assert!(requests[before..].iter().all(|r| r.method == "GET"));
    assert_eq!(requests[before..].len(), 1, "one read on the default host");
    assert_eq!(sim.snapshot(&na).unwrap().captured_amount, 0);
}

/// An order no configured host has: 404, naming every host tried.
#[tokio::test]
async fn an_order_on_no_host_is_a_404_naming_the_hosts_tried() {
    let (_sim, client) = two_regions(&[]).await;
    let r = call(
        &client,
        "get_order",
        json!({ "orderId": crate::common::UNKNOWN_ORDER }),
    )
    .await;
    let text = crate::common::text(&r);
    assert_eq!(r.is_error, Some(true), "{text}");
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(
        text.contains("api.klarna.com (not found)")
            && text.contains("api-na.klarna.com (not found)"),
        "{text}"
    );
}

/// Playground orders say TEST in the first line (a test key makes the playground host the
/// default).
#[tokio::test]
async fn a_playground_order_says_test_first() {
    let id = "4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f";
    let (client, _) = crate::common::start_scripted(move |_| {
        crate::common::http(
            "200 OK",
            &[("Content-Type", "application/json")],
            crate::common::authorized_order_json(id)
                .to_string()
                .as_bytes(),
        )
    })
    .await;
    let r = call(&client, "get_order", json!({ "orderId": id })).await;
    let text = crate::common::text(&r);
    assert!(
        text.starts_with(&format!(
            "TEST order (playground: no real money) {id} at api.playground.klarna.com"
        )),
        "{text}"
    );
}

/// Klarna's data the way it may arrive: nulls for lists and strings, `1.0` for integers,
/// fields and enum values this version does not know. The order reads, and a write that
/// needs only what was read goes through.
#[tokio::test]
async fn an_order_with_nulls_floats_and_unknown_values_is_read_and_written() {
    let (sim, client) = two_regions(&[]).await;
    let id = sim.seed(SeedOrder::new(10000, "EUR").captured(4000));
    let mut odd = sim.order_json(&id).unwrap();
    odd["refunds"] = json!(null);
    odd["merchant_reference1"] = json!(null);
    odd["order_amount"] = json!(10000.0);
    odd["captured_amount"] = json!(4000.0);
    odd["remaining_authorized_amount"] = json!(6000.0);
    odd["brand_new_field"] = json!({ "nested": [1, 2] });
    odd["order_lines"] = json!([
        { "name": "Shoe", "quantity": 1.0, "unit_price": 10000.0, "total_amount": 10000, "type": "subscription_box", "tax_rate": null },
        null,
    ]);
    odd["captures"][0]["shipping_info"] = json!(null);
    // The tool's read and the write's read see the odd order; the read afterwards sees the
    // simulator's own, which shows the refund.
    for _ in 0..2 {
        sim.inject_fault(FaultRule::once(
            Operation::GetOrder,
            Fault::Respond(CannedResponse::json(200, &odd)),
        ));
    }
    let r = call(&client, "get_order", json!({ "orderId": id })).await;
    assert_eq!(r.is_error, Some(false), "{}", crate::common::text(&r));
    let view = r.structured_content.unwrap();
    assert_eq!(view["capturedAmount"], 4000);
    assert_eq!(view["orderLines"][0]["quantity"], 1);
    assert_eq!(view["orderLines"][0]["type"], "subscription_box");
    assert_eq!(view["refunds"], json!([]));
    let r = call(
        &client,
        "refund_order",
        order_args(&id, json!({ "amount": 1000 })),
    )
    .await;
    assert_eq!(r.is_error, Some(false), "{}", crate::common::text(&r));
    assert_eq!(sim.snapshot(&id).unwrap().refunded_amount, 1000);
}

/// Cancel and release are sent as Klarna's SDKs send them: `Content-Type: application/json`
/// and an empty body.
#[tokio::test]
async fn bodiless_posts_carry_a_json_content_type_and_no_body() {
    let (sim, client) = two_regions(&[]).await;
    let id = sim.seed(SeedOrder::new(10000, "EUR"));
    let r = call(&client, "cancel_order", json!({ "orderId": id })).await;
    assert_eq!(r.is_error, Some(false), "{}", crate::common::text(&r));
    let cancel = sim
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(cancel.content_type.as_deref(), Some("application/json"));
    assert_eq!(cancel.body, None, "{cancel:?}");
}

/// The tool's line types and shipping methods are the ones the (independent) simulator
/// accepts: a capture carrying every one of them goes through.
#[tokio::test]
async fn every_line_type_and_shipping_method_the_tool_offers_is_accepted() {
    use klarna_mcp::klarna::types::{OrderLineType, ShippingMethod};
    let (sim, client) = two_regions(&[]).await;
    let id = sim.seed(SeedOrder::new(10000, "EUR"));
    let mut lines: Vec<serde_json::Value> = OrderLineType::DOCUMENTED
        .iter()
        .map(|t| json!({ "name": format!("{t} line"), "type": t, "quantity": 0, "unitPrice": 0, "totalAmount": 0 }))
        .collect();
    lines.push(json!({ "name": "Shoe", "quantity": 1, "unitPrice": 1000, "totalAmount": 1000 }));
    let shipping: Vec<serde_json::Value> = ShippingMethod::DOCUMENTED
        .iter()
        .map(|m| json!({ "shippingMethod": m, "trackingNumber": "T-1" }))
        .collect();
    let r = call(
        &client,
        "capture_order",
        order_args(
            &id,
            json!({ "amount": 1000, "orderLines": lines, "shippingInfo": shipping }),
        ),
    )
    .await;
    assert_eq!(r.is_error, Some(false), "{}", crate::common::text(&r));
    assert_eq!(sim.snapshot(&id).unwrap().captured_amount, 1000);
}
