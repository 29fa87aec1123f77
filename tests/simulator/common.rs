//! Shared helpers: a started simulator plus a reqwest client with credentials.

use std::net::{Ipv4Addr, SocketAddr};

use klarna_mcp::simulator::{Simulator, SimulatorConfig};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub const USER: &str = "test-user";
pub const PASS: &str = "test-pass";

pub struct Api {
    pub sim: Simulator,
    pub client: Client,
}

pub fn config() -> SimulatorConfig {
    SimulatorConfig {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        username: USER.into(),
        password: PASS.into(),
    }
}

impl Api {
    pub async fn new() -> Self {
        Self {
            sim: Simulator::start(config()).await.unwrap(),
            client: Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    pub fn order_url(&self, id: &str, suffix: &str) -> String {
        self.url(&format!("/ordermanagement/v1/orders/{id}{suffix}"))
    }

    pub async fn get(&self, id: &str, suffix: &str) -> Response {
        self.client
            .get(self.order_url(id, suffix))
            .basic_auth(USER, Some(PASS))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, id: &str, suffix: &str) -> Value {
        let resp = self.get(id, suffix).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }

    pub async fn post(
        &self,
        id: &str,
        suffix: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Response {
        let mut req = self
            .client
            .post(self.order_url(id, suffix))
            .basic_auth(USER, Some(PASS));
        if let Some(body) = body {
            req = req.json(&body);
        }
        if let Some(key) = key {
            req = req.header("Klarna-Idempotency-Key", key);
        }
        req.send().await.unwrap()
    }

    pub async fn capture(&self, id: &str, amount: i64) -> Response {
        let body = serde_json::json!({ "captured_amount": amount });
        self.post(id, "/captures", Some(body), None).await
    }

    pub async fn refund(&self, id: &str, amount: i64) -> Response {
        let body = serde_json::json!({ "refunded_amount": amount });
        self.post(id, "/refunds", Some(body), None).await
    }
}

/// Asserts Klarna's error shape and returns (status, error_code, messages).
pub async fn klarna_error(resp: Response) -> (u16, String, Vec<String>) {
    let status = resp.status().as_u16();
    let ct = header(&resp, "content-type").unwrap();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    let header_cid = header(&resp, "klarna-correlation-id").unwrap();
    let body: Value = resp.json().await.unwrap();
    let cid = body["correlation_id"].as_str().unwrap();
    assert_eq!(cid, header_cid);
    uuid::Uuid::parse_str(cid).unwrap();
    let messages = body["error_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    (
        status,
        body["error_code"].as_str().unwrap().to_owned(),
        messages,
    )
}

/// Asserts a 403 with this code and exact message.
pub async fn assert_refused(resp: Response, code: &str, message: &str) {
    let (status, c, m) = klarna_error(resp).await;
    assert_eq!((status, c.as_str()), (403, code));
    assert_eq!(m, vec![message.to_owned()]);
}

pub fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}
