//! The demo orders and demo configuration.

use std::collections::HashSet;

use klarna_mcp::simulator::{
    API_HOSTS, DEMO_PASSWORD, DEMO_USERNAME, DemoCredential, SimCredential, Simulator,
    SimulatorConfig, demo_credential, demo_credentials, demo_orders,
};
use reqwest::{Client, RequestBuilder};

/// Adds `login` the way a client would send it.
fn with_login(req: RequestBuilder, login: &DemoCredential) -> RequestBuilder {
    match login.username {
        Some(user) => req.basic_auth(user, Some(login.secret)),
        None => req.header("Authorization", format!("Basic {}", login.secret)),
    }
}

#[test]
fn demo_credentials_cover_every_host_and_are_obviously_fake() {
    let logins = demo_credentials();
    let hosts: Vec<&str> = logins.iter().map(|c| c.host).collect();
    assert_eq!(hosts, API_HOSTS);
    let eu = demo_credential("api.klarna.com").unwrap();
    assert_eq!(
        (eu.username, eu.secret),
        (Some(DEMO_USERNAME), DEMO_PASSWORD)
    );
    for login in logins {
        assert!(!login.secret.starts_with("klarna_live_api_"), "{login:?}");
        assert!(
            !format!("{login:?}").contains(login.secret),
            "Debug shows the secret"
        );
        if login.host.contains("playground") {
            assert_eq!(login.username, None, "{}", login.host);
            assert!(
                login.secret.starts_with("klarna_test_api_"),
                "{}",
                login.host
            );
        }
    }
    let secrets: HashSet<&str> = logins.iter().map(|c| c.secret).collect();
    assert_eq!(secrets.len(), logins.len());
    let config = SimulatorConfig::demo();
    assert!(config.listen.ip().is_loopback());
    let expected: Vec<SimCredential> = logins.iter().map(SimCredential::from).collect();
    assert_eq!(config.credentials, expected);
    assert!(!format!("{config:?}").contains(DEMO_PASSWORD));
}

#[tokio::test]
async fn demo_orders_are_seeded_in_their_documented_state_on_their_host() {
    let sim = Simulator::start_demo().await.unwrap();
    assert!(sim.base_url().starts_with("http://127.0.0.1:"));
    assert!(!sim.base_url().ends_with('/'));
    assert_eq!(
        sim.host_base_url(),
        format!("{}/{{apiHost}}", sim.base_url())
    );
    let orders = demo_orders();
    assert_eq!(orders.len(), 19);
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
        "extend_authorization_time",
        "add_shipping_info",
        "acknowledge_order",
        "get_due_date_extension_options",
        "update_order_amount",
    ];
    for (n, demo) in orders.iter().enumerate() {
        assert_eq!(
            demo.order_id,
            format!("0d3f1a2e-0000-4000-8000-{:012}", n + 1),
            "ids stay memorable"
        );
        let uuid = uuid::Uuid::parse_str(demo.order_id).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        let snapshot = sim.snapshot(demo.order_id).unwrap();
        assert_eq!(snapshot.status, demo.state, "{}", demo.order_id);
        assert_eq!(snapshot.host, demo.host, "{}", demo.order_id);
        assert!(
            demo.summary.contains(demo.state) && demo.summary.contains(&snapshot.currency),
            "{}",
            demo.summary
        );
        if demo.host != "api.klarna.com" {
            assert!(demo.summary.contains(demo.host), "{}", demo.summary);
            assert!(demo.try_this.contains(demo.host), "{}", demo.try_this);
        }
        assert!(
            tools.iter().any(|t| demo.try_this.contains(t)),
            "{}",
            demo.try_this
        );
        let url = |host: &str| {
            format!(
                "{}/ordermanagement/v1/orders/{}",
                sim.host_url(host),
                demo.order_id
            )
        };
        let login = demo_credential(demo.host).unwrap();
        let resp = with_login(client.get(url(demo.host)), login)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", demo.order_id);
        let o: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(o["status"], demo.state);
        let email = o["billing_address"]["email"].as_str().unwrap();
        assert!(email.ends_with("@example.com"), "{email}");
        assert!(o["billing_address"]["phone"].is_string());
        // Every other host, asked with its own demo login, does not know the order.
        for other in API_HOSTS.iter().filter(|h| **h != demo.host) {
            let login = demo_credential(other).unwrap();
            let resp = with_login(client.get(url(other)), login)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 404, "{} on {other}", demo.order_id);
        }
    }
    let on = |host: &str| orders.iter().filter(|o| o.host == host).count();
    assert_eq!(
        on("api.klarna.com"),
        15,
        "the ten original orders and the five for the later operations are on the EU host"
    );
    assert!(on("api-na.klarna.com") >= 1 && on("api-oc.klarna.com") >= 1);
    assert!(orders.iter().any(|o| o.host.contains("playground")));
    let currency_on = |host: &str| {
        orders
            .iter()
            .filter(|o| o.host == host)
            .map(|o| sim.snapshot(o.order_id).unwrap().currency)
            .collect::<HashSet<_>>()
    };
    assert!(currency_on("api-na.klarna.com").contains("USD"));
    assert!(currency_on("api-oc.klarna.com").contains("AUD"));
    // One order's purchase country does not belong to its host's region.
    let mismatch: Vec<_> = orders
        .iter()
        .filter(|o| {
            let country = sim.order_json(o.order_id).unwrap()["purchase_country"]
                .as_str()
                .unwrap()
                .to_owned();
            o.host == "api.klarna.com" && country == "US"
        })
        .collect();
    assert_eq!(mismatch.len(), 1);
    assert!(mismatch[0].summary.contains("api-na.klarna.com"));

    let by_state = |s: &str| orders.iter().filter(|o| o.state == s).count();
    assert!(by_state("AUTHORIZED") >= 2);
    let first = sim.snapshot(orders[0].order_id).unwrap();
    assert_eq!(
        (first.order_amount, first.currency.as_str()),
        (10_500, "EUR")
    );
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

/// The un-prefixed form still reaches the EU demo orders with the classic demo login.
#[tokio::test]
async fn eu_demo_orders_answer_without_a_host_segment() {
    let sim = Simulator::start_demo().await.unwrap();
    let url = format!(
        "{}/ordermanagement/v1/orders/{}",
        sim.base_url(),
        demo_orders()[0].order_id
    );
    let resp = Client::new()
        .get(url)
        .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// Orders 15 to 19 are each in the state their operation needs, and the call
/// their `try_this` suggests does what the summary promises.
#[tokio::test]
async fn each_later_operation_has_a_demo_order_that_shows_it() {
    let sim = Simulator::start_demo().await.unwrap();
    let client = Client::new();
    let login = demo_credential("api.klarna.com").unwrap();
    let id = |n: u8| format!("0d3f1a2e-0000-4000-8000-0000000000{n:02}");
    let url = |n: u8, suffix: &str| {
        format!(
            "{}/ordermanagement/v1/orders/{}{suffix}",
            sim.host_url("api.klarna.com"),
            id(n)
        )
    };
    let send = |req: RequestBuilder| async { with_login(req, login).send().await.unwrap() };
    let now = time::OffsetDateTime::now_utc();

    // 15: the authorization ends within 7 days; an extension moves it 28 days out.
    let before = sim.snapshot(&id(15)).unwrap().expires_at;
    assert!(
        before > now && before - now < time::Duration::days(7),
        "{before}"
    );
    let resp = send(client.post(url(15, "/extend-authorization-time"))).await;
    assert_eq!(resp.status(), 204);
    assert!(sim.snapshot(&id(15)).unwrap().expires_at - now > time::Duration::days(27));

    // 16: its capture has no tracking until shipping info is added.
    let capture = sim.snapshot(&id(16)).unwrap().captures[0].clone();
    assert_eq!(capture.shipping_info_count, 0);
    let path = format!("/captures/{}/shipping-info", capture.capture_id);
    let body = serde_json::json!({"shipping_info": [{"shipping_company": "DHL DE", "tracking_number": "00340434161234567890"}]});
    let resp = send(client.post(url(16, &path)).json(&body)).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(
        sim.snapshot(&id(16)).unwrap().captures[0].shipping_info_count,
        1
    );

    // 17: a Klarna Checkout order waiting for its acknowledgement; others cannot be acknowledged.
    let s = sim.snapshot(&id(17)).unwrap();
    assert!(s.klarna_checkout && !s.acknowledged);
    let resp = send(client.post(url(17, "/acknowledge"))).await;
    assert_eq!(resp.status(), 204);
    assert!(sim.snapshot(&id(17)).unwrap().acknowledged);
    let resp = send(client.post(url(1, "/acknowledge"))).await;
    assert_eq!(resp.status(), 403);

    // 18: the options carry the fees; extending charges one.
    let cid = sim.snapshot(&id(18)).unwrap().captures[0]
        .capture_id
        .clone();
    let options: serde_json::Value =
        send(client.get(url(18, &format!("/captures/{cid}/extend-due-date-options"))))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(options["currency"], "EUR");
    assert_eq!(
        options["options"][1],
        serde_json::json!({"number_of_days": 14, "amount": 295})
    );
    let body = serde_json::json!({"number_of_days": 14});
    let resp = send(
        client
            .patch(url(18, &format!("/captures/{cid}/extend-due-date")))
            .json(&body),
    )
    .await;
    assert_eq!(resp.status(), 204);
    let fees = sim.snapshot(&id(18)).unwrap().fees;
    assert_eq!((fees.len(), fees[0].amount), (1, 295));

    // 19: an increase is refused by the risk assessment, a decrease works.
    let increase = serde_json::json!({"order_amount": 15_000});
    let resp = send(client.patch(url(19, "/authorization")).json(&increase)).await;
    assert_eq!(resp.status(), 403);
    let decrease = serde_json::json!({"order_amount": 10_000});
    let resp = send(client.patch(url(19, "/authorization")).json(&decrease)).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(sim.snapshot(&id(19)).unwrap().order_amount, 10_000);

    // Every demo capture can have its due date extended (they are all paid by invoice).
    for order in demo_orders() {
        let s = sim.snapshot(order.order_id).unwrap();
        for c in &s.captures {
            let path = format!("/captures/{}/extend-due-date-options", c.capture_id);
            let login = demo_credential(order.host).unwrap();
            let full = format!(
                "{}/ordermanagement/v1/orders/{}{path}",
                sim.host_url(order.host),
                order.order_id
            );
            let resp = with_login(client.get(full), login).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{}", order.order_id);
        }
    }
}
