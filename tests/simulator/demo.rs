//! The demo orders and demo configuration.

use std::collections::HashSet;

use klarna_mcp::simulator::{
    DEMO_PASSWORD, DEMO_USERNAME, Simulator, SimulatorConfig, demo_orders,
};
use reqwest::Client;

#[tokio::test]
async fn demo_orders_are_seeded_in_their_documented_state() {
    let sim = Simulator::start_demo().await.unwrap();
    let config = SimulatorConfig::demo();
    assert_eq!(
        (config.username.as_str(), config.password.as_str()),
        (DEMO_USERNAME, DEMO_PASSWORD)
    );
    assert!(config.listen.ip().is_loopback());
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    assert!(!sim.base_url().ends_with('/'));
    let orders = demo_orders();
    assert!(orders.len() >= 9);
    let ids: HashSet<&str> = orders.iter().map(|o| o.order_id).collect();
    assert_eq!(ids.len(), orders.len());
    let states: HashSet<&str> = orders.iter().map(|o| o.state).collect();
    for state in [
        "AUTHORIZED",
        "PART_CAPTURED",
        "CAPTURED",
        "CANCELLED",
        "EXPIRED",
    ] {
        assert!(states.contains(state), "{state}");
    }
    let client = Client::new();
    let tools = [
        "get_order",
        "capture_order",
        "refund_order",
        "cancel_order",
        "release_remaining_authorization",
        "get_capture",
    ];
    for demo in orders {
        let uuid = uuid::Uuid::parse_str(demo.order_id).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert_eq!(uuid.hyphenated().to_string(), demo.order_id);
        let snapshot = sim.snapshot(demo.order_id).unwrap();
        assert_eq!(snapshot.status, demo.state, "{}", demo.order_id);
        assert!(
            demo.summary.contains(demo.state) && demo.summary.contains(&snapshot.currency),
            "{}",
            demo.summary
        );
        assert!(
            tools.iter().any(|t| demo.try_this.contains(t)),
            "{}",
            demo.try_this
        );
        let url = format!(
            "{}/ordermanagement/v1/orders/{}",
            sim.base_url(),
            demo.order_id
        );
        let o: serde_json::Value = client
            .get(url)
            .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(o["status"], demo.state);
        let email = o["billing_address"]["email"].as_str().unwrap();
        assert!(email.ends_with("@example.com"), "{email}");
        assert!(o["billing_address"]["phone"].is_string());
    }
    let by_state = |s: &str| orders.iter().filter(|o| o.state == s).count();
    assert!(by_state("AUTHORIZED") >= 2);
    let first = sim.snapshot(orders[0].order_id).unwrap();
    assert_eq!(
        (first.order_amount, first.currency.as_str()),
        (10_500, "EUR")
    );
    let currencies: HashSet<String> = orders
        .iter()
        .map(|o| sim.snapshot(o.order_id).unwrap().currency)
        .collect();
    assert!(currencies.contains("SEK") || currencies.contains("USD"));
    let pending = orders
        .iter()
        .filter(|o| sim.snapshot(o.order_id).unwrap().fraud_status == "PENDING")
        .count();
    assert_eq!(pending, 1);
    let part = orders.iter().find(|o| o.state == "PART_CAPTURED").unwrap();
    assert!(
        sim.snapshot(part.order_id)
            .unwrap()
            .remaining_authorized_amount
            > 0
    );
    let refunded = orders
        .iter()
        .filter(|o| o.state == "CAPTURED")
        .map(|o| sim.snapshot(o.order_id).unwrap().refunded_amount)
        .collect::<Vec<_>>();
    assert!(refunded.contains(&0) && refunded.iter().any(|r| *r > 0));
    // Reseeding restores the documented states.
    sim.seed_demo_orders();
    assert_eq!(
        sim.snapshot(orders[0].order_id).unwrap().status,
        "AUTHORIZED"
    );
}
