//! Transport behaviour without authentication (loopback): both MCP lifecycles, health, the
//! Host/Origin guard, the body limit, graceful shutdown, and the no-auth exposure rule.

use std::time::Duration;

use serde_json::json;

use crate::harness::{
    call, config, demo_order_id, initialize_body, legacy_client, modern_client, post, start_klarna,
    start_whoami, text, whoami,
};

/// A client using `initialize` gets a session, lists the tools, and reads an order from the
/// simulator through the real Klarna tools.
#[tokio::test]
async fn legacy_client_initializes_lists_tools_and_gets_an_order() {
    // given
    let server = start_klarna(config(&[])).await;
    let client = legacy_client(&server.mcp, None).await;
    // when
    let tools = client.list_all_tools().await.unwrap();
    let order = call(&client, "get_order", json!({ "orderId": demo_order_id() })).await;
    // then
    assert!(tools.iter().any(|t| t.name == "get_order"));
    assert!(tools.iter().any(|t| t.name == "capture_order"));
    assert_eq!(order.is_error, Some(false), "{}", text(&order));
    assert!(text(&order).contains(&demo_order_id()));
    client.cancel().await.unwrap();
    server.stop().await.unwrap();
}

/// A 2026-07-28 client (`server/discover`, per-request `_meta`) is served without a session.
#[tokio::test]
async fn client_on_the_2026_07_28_lifecycle_is_served_statelessly() {
    let server = start_klarna(config(&[])).await;
    let client = modern_client(&server.mcp, None).await;
    let tools = client.list_all_tools().await.unwrap();
    let order = call(&client, "get_order", json!({ "orderId": demo_order_id() })).await;
    assert!(tools.iter().any(|t| t.name == "get_order"));
    assert_eq!(order.is_error, Some(false), "{}", text(&order));
    client.cancel().await.unwrap();

    // A raw 2026-07-28 request gets its answer and no session id.
    let response = post(
        &server.mcp,
        None,
        &json!({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{
            "io.modelcontextprotocol/protocolVersion":"2026-07-28",
            "io.modelcontextprotocol/clientCapabilities":{}}}}),
    )
    .header("mcp-protocol-version", "2026-07-28")
    .header("mcp-method", "tools/list")
    .send()
    .await
    .unwrap();
    let status = response.status();
    let session = response.headers().get("mcp-session-id").cloned();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(session.is_none());
    assert!(body.contains("get_order"));

    // An initialize gets one.
    let response = post(&server.mcp, None, &initialize_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("mcp-session-id").is_some());
    server.stop().await.unwrap();
}

/// Without authentication on loopback every caller is the `local` write principal, and the
/// handler sees it through rmcp's request extensions.
#[tokio::test]
async fn loopback_without_auth_is_the_local_principal() {
    let (server, _) = start_whoami(config(&[])).await;
    let client = legacy_client(&server.mcp, None).await;
    let me = whoami(&client).await;
    assert_eq!(me["subject"], "local");
    assert_eq!(me["role"], "write");
    assert_eq!(me["httpParts"], true);
    client.cancel().await.unwrap();
    server.stop().await.unwrap();
}

/// `/healthz` answers 200 without a token and whatever the Host.
#[tokio::test]
async fn healthz_needs_no_token_and_no_particular_host() {
    let dir = tempdir();
    let file = dir.join("tokens");
    let minted = klarna_mcp::auth::tokens::mint("alice", klarna_mcp::auth::Role::Read).unwrap();
    std::fs::write(&file, format!("{}\n", minted.line)).unwrap();
    let (server, _) = start_whoami(config(&[(
        "KLARNA_HTTP_TOKENS_FILE",
        file.to_str().unwrap(),
    )]))
    .await;
    let response = crate::harness::http()
        .get(format!("{}/healthz", server.base))
        .header("host", "probe.internal")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap(),
        json!({"status":"ok"})
    );
    server.stop().await.unwrap();
}

/// A foreign Host (DNS rebinding) or a foreign Origin gets 403; local origins pass.
#[tokio::test]
async fn foreign_host_and_origin_are_refused() {
    let (server, _) = start_whoami(config(&[])).await;
    let foreign_host = post(&server.mcp, None, &initialize_body())
        .header("host", "attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_host.status(), 403);
    assert!(foreign_host.text().await.unwrap().contains("Host"));

    let foreign_origin = post(&server.mcp, None, &initialize_body())
        .header("origin", "https://attacker.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_origin.status(), 403);
    assert!(foreign_origin.text().await.unwrap().contains("Origin"));

    let local_page = post(&server.mcp, None, &initialize_body())
        .header("origin", "http://localhost:6274")
        .send()
        .await
        .unwrap();
    assert_eq!(local_page.status(), 200);
    server.stop().await.unwrap();
}

/// Without authentication, a request a proxy forwarded (whatever it did to `Host`) is not
/// the local user: refused with 403 for each forwarding header; the same request sent
/// directly is served. With authentication, forwarded requests are served as the token says.
#[tokio::test]
async fn without_auth_a_request_forwarded_by_a_proxy_is_refused() {
    let (server, _) = start_whoami(config(&[])).await;
    for (name, value) in [
        ("forwarded", "for=203.0.113.5;host=mcp.example.com"),
        ("x-forwarded-for", "203.0.113.5"),
        ("x-forwarded-host", "mcp.example.com"),
        ("x-forwarded-proto", "https"),
        ("x-real-ip", "203.0.113.5"),
        ("via", "1.1 nginx"),
    ] {
        let forwarded = post(&server.mcp, None, &initialize_body())
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(forwarded.status(), 403, "{name}");
        let said = forwarded.text().await.unwrap();
        assert!(said.contains("KLARNA_HTTP_TOKENS_FILE"), "{said}");
    }
    let direct = post(&server.mcp, None, &initialize_body())
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 200);
    server.stop().await.unwrap();

    let token = klarna_mcp::auth::tokens::mint("alice", klarna_mcp::auth::Role::Read).unwrap();
    let file = crate::transport::tempdir().join("tokens");
    std::fs::write(&file, format!("{}\n", token.line)).unwrap();
    let (server, _) = start_whoami(config(&[(
        "KLARNA_HTTP_TOKENS_FILE",
        file.to_str().unwrap(),
    )]))
    .await;
    let proxied = post(&server.mcp, Some(&token.token), &initialize_body())
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), 200);
    server.stop().await.unwrap();
}

/// A body over the limit gets 413 and is not served.
#[tokio::test]
async fn oversized_body_gets_413() {
    let (server, _) = start_whoami(config(&[("KLARNA_HTTP_MAX_BODY_BYTES", "4096")])).await;
    let mut body = initialize_body();
    body["params"]["padding"] = json!("x".repeat(8192));
    let response = post(&server.mcp, None, &body).send().await.unwrap();
    assert_eq!(response.status(), 413);
    let small = post(&server.mcp, None, &initialize_body())
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    server.stop().await.unwrap();
}

/// Shutdown stops accepting connections but lets a tool call in flight finish, then `serve`
/// returns.
#[tokio::test]
async fn graceful_shutdown_lets_a_call_in_flight_finish() {
    // given a call that is running
    let (server, gate) = start_whoami(config(&[("KLARNA_HTTP_SHUTDOWN_GRACE_SECS", "30")])).await;
    let client = modern_client(&server.mcp, None).await;
    let in_flight = tokio::spawn(async move { call(&client, "hold", json!({})).await });
    gate.started.notified().await;

    // when shutdown begins
    server.begin_shutdown();
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match crate::harness::http()
                .get(format!("{}/healthz", server.base))
                .timeout(Duration::from_secs(5))
                .send()
                .await
            {
                Err(e) => break e,
                Ok(_) => tokio::task::yield_now().await,
            }
        }
    })
    .await
    .expect("the listener closes once shutdown begins");

    // then new connections are refused, the server waits for the call, and the call completes
    assert!(refused.is_connect() || refused.is_request(), "{refused:?}");
    assert!(!server.is_finished());
    gate.release.notify_one();
    let result = in_flight.await.unwrap();
    assert_eq!(text(&result), "released");
    server.stop().await.unwrap();
}

/// Shutdown also ends the sessions of connected legacy clients (whose event streams would
/// otherwise keep connections open), and `serve` returns.
#[tokio::test]
async fn shutdown_ends_open_sessions() {
    let (server, _) = start_whoami(config(&[])).await;
    let client = legacy_client(&server.mcp, None).await;
    assert_eq!(whoami(&client).await["subject"], "local");
    server.stop().await.unwrap();
    drop(client);
}

/// Listening off loopback without authentication is a startup error that says what to set.
#[test]
fn non_loopback_without_auth_is_refused() {
    let err = klarna_mcp::http::HttpConfig::from_vars(|name| {
        (name == "KLARNA_HTTP_ADDR").then(|| "0.0.0.0:8080".to_string())
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("not a loopback address"), "{err}");
    assert!(err.contains("KLARNA_OAUTH_ISSUER") && err.contains("KLARNA_HTTP_TOKENS_FILE"));

    // The same rule holds for the address actually bound.
    let loopback = config(&[]);
    assert!(
        loopback
            .check_exposure("0.0.0.0:8080".parse().unwrap())
            .is_err()
    );
    assert!(
        loopback
            .check_exposure("127.0.0.1:8080".parse().unwrap())
            .is_ok()
    );
}

/// A fresh directory under the system temp dir.
pub fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("klarna-mcp-http-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
