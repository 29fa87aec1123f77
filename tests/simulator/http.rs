//! Transport-level behaviour: auth, routing, request log, connection
//! counting, keep-alive, latency and shutdown.

use std::time::Duration;

use klarna_mcp::simulator::{SeedOrder, Simulator};
use reqwest::Client;
use serde_json::json;

use crate::common::{Api, PASS, USER, config, header, klarna_error};

#[tokio::test]
async fn missing_or_wrong_credentials_are_401_plain_text() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let url = api.order_url(&id, "/captures");
    let attempts = [
        api.client.post(&url),
        api.client.post(&url).basic_auth(USER, Some("wrong")),
        api.client.post(&url).basic_auth("someone", Some(PASS)),
        api.client.post(&url).basic_auth(USER, None::<&str>),
        api.client.post(&url).bearer_auth(PASS),
        // Unknown path: still 401 first.
        api.client
            .get(api.url("/ordermanagement/v1/orders/x/release_remaining_authorization")),
    ];
    for req in attempts {
        let resp = req
            .json(&json!({"captured_amount": 100}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
        assert!(
            header(&resp, "content-type")
                .unwrap()
                .starts_with("text/plain")
        );
        assert_eq!(
            header(&resp, "www-authenticate").as_deref(),
            Some("Basic realm=\"Klarna\"")
        );
        // The edge in front of the API answers: no correlation id, no JSON.
        assert_eq!(header(&resp, "klarna-correlation-id"), None);
        let text = resp.text().await.unwrap();
        assert_eq!(text, "401 Unauthorized");
    }
    assert!(api.sim.snapshot(&id).unwrap().captures.is_empty());
    assert_eq!(api.sim.request_count(), 6);
    let log = api.sim.requests();
    assert_eq!(log.len(), 6);
    assert!(log.iter().all(|r| !r.authorized && r.status == 401));
}

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR").captured(100));
    for path in [
        format!("/ordermanagement/v1/orders/{id}/release_remaining_authorization"),
        format!("/ordermanagement/v1/orders/{id}/capture"),
        format!("/ordermanagement/v1/orders/{id}/"),
        "/ordermanagement/v1/orders".to_owned(),
        "/".to_owned(),
    ] {
        let resp = api
            .client
            .post(api.url(&path))
            .basic_auth(USER, Some(PASS))
            .send()
            .await
            .unwrap();
        let (status, code, _) = klarna_error(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (404, "RESOURCE_NOT_FOUND"),
            "{path}"
        );
    }
    let wrong = [
        api.client.delete(api.order_url(&id, "")),
        api.client.post(api.order_url(&id, "")),
        api.client.get(api.order_url(&id, "/cancel")),
        api.client
            .get(api.order_url(&id, "/release-remaining-authorization")),
        api.client.put(api.order_url(&id, "/captures")),
        api.client.get(api.order_url(&id, "/refunds")),
    ];
    for req in wrong {
        let (status, code, _) =
            klarna_error(req.basic_auth(USER, Some(PASS)).send().await.unwrap()).await;
        assert_eq!((status, code.as_str()), (405, "METHOD_NOT_ALLOWED"));
    }
    assert_eq!(api.sim.snapshot(&id).unwrap().status, "PART_CAPTURED");
}

#[tokio::test]
async fn every_request_is_counted_and_recorded() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    api.get(&id, "").await;
    api.client.get(api.order_url(&id, "")).send().await.unwrap();
    api.get(&uuid::Uuid::new_v4().to_string(), "").await;
    api.client
        .post(api.order_url(&id, "/captures"))
        .basic_auth(USER, Some(PASS))
        .header("User-Agent", "Library/klarna-mcp_0.1.0 Language/Rust")
        .header("Klarna-Idempotency-Key", "key-1")
        .json(&json!({"captured_amount": 100}))
        .send()
        .await
        .unwrap();
    api.client
        .post(api.order_url(&id, "/captures"))
        .basic_auth(USER, Some(PASS))
        .header("Content-Type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.sim.request_count(), 5);
    let log = api.sim.requests();
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 401, 404, 201, 400]);
    let post = &log[3];
    assert_eq!(post.method, "POST");
    assert_eq!(post.host, "api.klarna.com");
    assert_eq!(post.credential.as_deref(), Some(USER));
    assert_eq!(log[1].credential, None);
    assert_eq!(
        post.path,
        format!("/ordermanagement/v1/orders/{id}/captures")
    );
    assert_eq!(post.idempotency_key.as_deref(), Some("key-1"));
    assert!(post.authorized);
    assert_eq!(
        post.user_agent.as_deref(),
        Some("Library/klarna-mcp_0.1.0 Language/Rust")
    );
    assert_eq!(post.content_type.as_deref(), Some("application/json"));
    assert_eq!(post.body, Some(json!({"captured_amount": 100})));
    assert_eq!(log[0].body, None);
    assert_eq!(log[0].idempotency_key, None);
    assert_eq!(log[4].body, Some(json!("not json")));
}

#[tokio::test]
async fn keep_alive_reuses_one_connection() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(100_000, "EUR"));
    for _ in 0..20 {
        assert_eq!(api.get(&id, "").await.status(), 200);
        assert_eq!(api.capture(&id, 1).await.status(), 201);
    }
    assert_eq!(api.sim.connections_accepted(), 1);
    let other = Client::new();
    let resp = other
        .get(api.order_url(&id, ""))
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(api.sim.connections_accepted(), 2);
    assert_eq!(api.sim.request_count(), 41);
}

#[tokio::test]
async fn latency_applies_to_concurrent_requests() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    api.sim.set_latency(Duration::from_millis(100));
    let calls = (0..8).map(|_| api.get(&id, ""));
    let responses = futures::future::join_all(calls).await;
    assert!(responses.iter().all(|r| r.status() == 200));
    api.sim.set_latency(Duration::ZERO);
    assert_eq!(api.get(&id, "").await.status(), 200);
    assert_eq!(api.sim.request_count(), 9);
}

async fn refused_eventually(client: &Client, url: &str) -> bool {
    for _ in 0..200 {
        if client
            .get(url)
            .basic_auth(USER, Some(PASS))
            .send()
            .await
            .is_err()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

#[tokio::test]
async fn shutdown_and_dropping_every_handle_stop_the_server() {
    let sim = Simulator::start(config()).await.unwrap();
    let id = sim.seed(SeedOrder::new(1_000, "EUR"));
    let url = format!("{}/ordermanagement/v1/orders/{id}", sim.base_url());
    let client = Client::new();
    assert_eq!(
        client
            .get(&url)
            .basic_auth(USER, Some(PASS))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let clone = sim.clone();
    clone.shutdown();
    assert!(refused_eventually(&client, &url).await);

    let sim = Simulator::start(config()).await.unwrap();
    let id = sim.seed(SeedOrder::new(1_000, "EUR"));
    let url = format!("{}/ordermanagement/v1/orders/{id}", sim.base_url());
    let clone = sim.clone();
    drop(sim);
    assert_eq!(
        client
            .get(&url)
            .basic_auth(USER, Some(PASS))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(clone);
    assert!(refused_eventually(&Client::new(), &url).await);
}
