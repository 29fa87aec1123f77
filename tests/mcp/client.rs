//! The Klarna client against hand-written HTTP answers the simulator does not give:
//! oversized bodies, HTML error pages, empty bodies, ids only in `Location`, redirects.

use std::time::Duration;

use klarna_mcp::{
    Config, KlarnaClient,
    host::ApiHost,
    klarna::{KlarnaError, Limits, types::CaptureRequest},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// Serves `response` (raw HTTP bytes) to every connection; returns the base URL.
async fn fake(response: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = vec![0_u8; 64 * 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

fn client(base: &str, retries: u32) -> KlarnaClient {
    client_with(base, |c| c.client.retry.max_retries = retries)
}

/// A client for `base` with fast backoff, after `tweak` adjusts its configuration.
fn client_with(base: &str, tweak: impl FnOnce(&mut Config)) -> KlarnaClient {
    let base = base.to_string();
    let mut config = Config::from_vars(|k| match k {
        "KLARNA_API_USERNAME" => Some("u".into()),
        "KLARNA_API_PASSWORD" => Some("p".into()),
        "KLARNA_BASE_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap();
    config.client.retry.base_delay = Duration::from_millis(1);
    tweak(&mut config);
    KlarnaClient::new(config.client).unwrap()
}

fn deadline() -> Limits {
    Limits::within(Duration::from_secs(10))
}

const ORDER: &str = "4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f";

#[tokio::test]
async fn bodies_above_the_cap_are_refused_not_read() {
    let base = fake(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{"
            .to_vec(),
    )
    .await;
    let failed = client(&base, 0)
        .orders()
        .get(ApiHost::Eu, ORDER, &deadline())
        .await
        .unwrap_err();
    assert!(
        matches!(failed.error, KlarnaError::TooLarge { .. }),
        "{:?}",
        failed.error
    );
    assert!(failed.error.to_string().contains("larger than"));
}

#[tokio::test]
async fn an_html_gateway_error_is_reported_with_its_status_and_text() {
    let body = "<html><body>502 Bad Gateway</body></html>";
    let base = fake(format!("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()).await;
    let failed = client(&base, 1)
        .orders()
        .get(ApiHost::Eu, ORDER, &deadline())
        .await
        .unwrap_err();
    assert_eq!(failed.attempts, 2);
    assert_eq!(failed.error.status(), Some(502));
    assert!(
        failed.error.to_string().contains("502 Bad Gateway"),
        "{}",
        failed.error
    );
}

#[tokio::test]
async fn an_empty_401_is_an_error_not_a_crash_or_a_success() {
    let base = fake(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n".to_vec()).await;
    let failed = client(&base, 2)
        .orders()
        .get(ApiHost::Eu, ORDER, &deadline())
        .await
        .unwrap_err();
    assert_eq!(failed.attempts, 1, "401 is not retried");
    assert_eq!(failed.error.status(), Some(401));
}

#[tokio::test]
async fn a_capture_id_only_in_location_is_still_found() {
    let base = fake(
        b"HTTP/1.1 201 Created\r\nLocation: /ordermanagement/v1/orders/o/captures/4ba29b50-be7b-44f5-a492-113e6a865e22\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
    )
    .await;
    let body = CaptureRequest {
        captured_amount: 100,
        description: None,
        reference: None,
        order_lines: None,
        shipping_info: None,
    };
    let reply = client(&base, 0)
        .orders()
        .create_capture(ApiHost::Eu, ORDER, &body, "k", &deadline())
        .await
        .unwrap();
    assert_eq!(reply.value.id, "4ba29b50-be7b-44f5-a492-113e6a865e22");
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let base = fake(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 0\r\n\r\n".to_vec()).await;
    let failed = client(&base, 0)
        .orders()
        .get(ApiHost::Eu, ORDER, &deadline())
        .await
        .unwrap_err();
    assert_eq!(failed.error.status(), Some(307));
}

#[tokio::test]
async fn a_json_success_that_is_not_an_order_is_a_decode_error() {
    let base = fake(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n[1,2]"
            .to_vec(),
    )
    .await;
    let failed = client(&base, 0)
        .orders()
        .get(ApiHost::Eu, ORDER, &deadline())
        .await
        .unwrap_err();
    assert!(
        matches!(failed.error, KlarnaError::Decode { .. }),
        "{:?}",
        failed.error
    );
}

#[tokio::test]
async fn no_retry_is_started_past_the_deadline() {
    let base = fake(
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n".to_vec(),
    )
    .await;
    let failed = client_with(&base, |c| {
        c.client.retry.retry_after_cap = Duration::from_secs(5)
    })
    .orders()
    .get(ApiHost::Eu, ORDER, &Limits::within(Duration::from_secs(2)))
    .await
    .unwrap_err();
    assert_eq!(
        failed.attempts, 1,
        "a 5 s Retry-After does not fit in a 2 s budget"
    );
}

#[tokio::test]
async fn a_cancelled_call_sends_nothing() {
    let base = fake(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec()).await;
    let limits = deadline();
    limits.cancelled.cancel();
    let failed = client(&base, 2)
        .orders()
        .get(ApiHost::Eu, ORDER, &limits)
        .await
        .unwrap_err();
    assert_eq!(failed.attempts, 0);
    assert!(
        matches!(failed.error, KlarnaError::NotSent(_)),
        "{:?}",
        failed.error
    );
}

#[tokio::test]
async fn a_write_is_not_started_without_time_to_finish_it() {
    let base =
        fake(b"HTTP/1.1 201 Created\r\nCapture-Id: x\r\nContent-Length: 0\r\n\r\n".to_vec()).await;
    let body = CaptureRequest {
        captured_amount: 100,
        description: None,
        reference: None,
        order_lines: None,
        shipping_info: None,
    };
    let failed = client(&base, 0)
        .orders()
        .create_capture(
            ApiHost::Eu,
            ORDER,
            &body,
            "k",
            &Limits::within(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert_eq!(failed.attempts, 0);
    assert!(!failed.may_have_applied);
    assert!(
        failed.error.to_string().contains("KLARNA_TIMEOUT_SECS"),
        "{}",
        failed.error
    );
}
