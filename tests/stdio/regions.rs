//! Regions on the real binary: the demo server holds each host's demo credentials and finds
//! an order only on its own host; a key in the wrong environment's set stops startup.

use std::process::Stdio;

use rmcp::{
    ServiceExt,
    model::CallToolRequestParams,
    transport::{ConfigureCommandExt, TokioChildProcess},
};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

fn text(result: &rmcp::model::CallToolResult) -> String {
    result.content[0].as_text().unwrap().text.clone()
}

#[tokio::test]
async fn the_demo_finds_an_order_on_its_own_host_and_says_where() {
    let cmd = tokio::process::Command::new(BIN).configure(|c| {
        c.arg("--demo")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(std::env::temp_dir());
    });
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = ().serve(transport).await.unwrap();
    let call = |args: serde_json::Value| {
        CallToolRequestParams::new("get_order").with_arguments(rmcp::model::object(args))
    };
    let na_order = "0d3f1a2e-0000-4000-8000-000000000011";
    // Without apiHost the demo finds it on its own host and says to pass that host.
    let found = client
        .call_tool(call(json!({ "orderId": na_order })))
        .await
        .unwrap();
    assert_eq!(found.is_error, Some(false), "{}", text(&found));
    assert!(
        text(&found).contains("Found on api-na.klarna.com"),
        "{}",
        text(&found)
    );
    // Asked on another region's host, it is that host's 404, explained.
    let wrong = client
        .call_tool(call(
            json!({ "orderId": na_order, "apiHost": "api.klarna.com" }),
        ))
        .await
        .unwrap();
    assert_eq!(wrong.is_error, Some(true));
    assert!(
        text(&wrong).contains("NO_SUCH_ORDER") && text(&wrong).contains("region"),
        "{}",
        text(&wrong)
    );
    let right = client
        .call_tool(call(
            json!({ "orderId": na_order, "apiHost": "api-na.klarna.com" }),
        ))
        .await
        .unwrap();
    assert_eq!(right.is_error, Some(false), "{}", text(&right));
    assert_eq!(right.structured_content.unwrap()["currency"], "USD");
    // a playground host, with its key-only demo login
    let playground = client
        .call_tool(call(json!({
            "orderId": "0d3f1a2e-0000-4000-8000-000000000014",
            "apiHost": "api.playground.klarna.com"
        })))
        .await
        .unwrap();
    assert_eq!(playground.is_error, Some(false), "{}", text(&playground));
    // a US purchase on the EU host gets the one-line hint
    let hinted = client
        .call_tool(call(
            json!({ "orderId": "0d3f1a2e-0000-4000-8000-000000000010" }),
        ))
        .await
        .unwrap();
    assert!(
        text(&hinted).contains("Hint: purchase country US is usually served by api-na.klarna.com"),
        "{}",
        text(&hinted)
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_key_in_the_wrong_environments_set_stops_startup() {
    let output = tokio::process::Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_NA_API_KEY", "klarna_test_api_secret-value-1")
        .current_dir(std::env::temp_dir())
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("KLARNA_NA_API_KEY") && err.contains("api-na.klarna.com"),
        "{err}"
    );
    assert!(!err.contains("secret-value-1"), "{err}");
}
