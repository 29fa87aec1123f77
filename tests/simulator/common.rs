//! Shared helpers: a started simulator plus a reqwest client with credentials.

use std::net::{Ipv4Addr, SocketAddr};

use klarna_mcp::simulator::{SimCredential, Simulator, SimulatorConfig};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;

pub const EU: &str = "api.klarna.com";
pub const NA: &str = "api-na.klarna.com";
pub const OC: &str = "api-oc.klarna.com";
pub const EU_PLAYGROUND: &str = "api.playground.klarna.com";
pub const OC_PLAYGROUND: &str = "api-oc.playground.klarna.com";

/// `username:password` on api.klarna.com.
pub const USER: &str = "test-user";
pub const PASS: &str = "test-pass";
/// `username:password` on api-na.klarna.com.
pub const NA_USER: &str = "test-user-na";
pub const NA_PASS: &str = "test-pass-na";
/// An API key alone on api.playground.klarna.com.
pub const PLAYGROUND_KEY: &str = "klarna_test_api_SIMTEST_eu_key";
/// An API key with its username on api-oc.playground.klarna.com.
pub const OC_KEY_USER: &str = "6a1f3c0e-0000-4000-8000-00000000000c";
pub const OC_KEY: &str = "klarna_test_api_SIMTEST_oc_key";

pub struct Api {
    pub sim: Simulator,
    pub client: Client,
}

/// Logins on four hosts; api-oc.klarna.com and api-na.playground.klarna.com have none.
pub fn config() -> SimulatorConfig {
    SimulatorConfig {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        credentials: vec![
            SimCredential::new(EU, USER, PASS),
            SimCredential::new(NA, NA_USER, NA_PASS),
            SimCredential::api_key(EU_PLAYGROUND, PLAYGROUND_KEY),
            SimCredential::new(OC_PLAYGROUND, OC_KEY_USER, OC_KEY),
        ],
    }
}

/// Adds the test login of `host` to `req` (none for a host without one).
pub fn login(req: RequestBuilder, host: &str) -> RequestBuilder {
    match host {
        EU => req.basic_auth(USER, Some(PASS)),
        NA => req.basic_auth(NA_USER, Some(NA_PASS)),
        EU_PLAYGROUND => req.header("Authorization", format!("Basic {PLAYGROUND_KEY}")),
        OC_PLAYGROUND => req.basic_auth(OC_KEY_USER, Some(OC_KEY)),
        _ => req,
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

    /// The order URL on `host`, through the `{apiHost}` base URL.
    pub fn host_order_url(&self, host: &str, id: &str, suffix: &str) -> String {
        let base = self.sim.host_base_url().replace("{apiHost}", host);
        format!("{base}/ordermanagement/v1/orders/{id}{suffix}")
    }

    /// GET on `host` with that host's test login.
    pub async fn get_on(&self, host: &str, id: &str, suffix: &str) -> Response {
        let req = self.client.get(self.host_order_url(host, id, suffix));
        login(req, host).send().await.unwrap()
    }

    /// POST on `host` with that host's test login and an optional JSON body.
    pub async fn post_on(
        &self,
        host: &str,
        id: &str,
        suffix: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = login(
            self.client.post(self.host_order_url(host, id, suffix)),
            host,
        );
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
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

    /// PATCH on api.klarna.com with the test login, a JSON body and an optional key.
    pub async fn patch(&self, id: &str, suffix: &str, body: Value, key: Option<&str>) -> Response {
        let mut req = self
            .client
            .patch(self.order_url(id, suffix))
            .basic_auth(USER, Some(PASS))
            .json(&body);
        if let Some(key) = key {
            req = req.header("Klarna-Idempotency-Key", key);
        }
        req.send().await.unwrap()
    }

    /// A request with this method, `Content-Type` and raw body on api.klarna.com.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        id: &str,
        suffix: &str,
        content_type: &str,
        body: &str,
    ) -> Response {
        self.client
            .request(method, self.order_url(id, suffix))
            .basic_auth(USER, Some(PASS))
            .header("Content-Type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// The id of the order's first capture.
    pub fn first_capture(&self, id: &str) -> String {
        self.sim.snapshot(id).unwrap().captures[0]
            .capture_id
            .clone()
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

/// Asserts a status and `error_code`, and returns the messages.
pub async fn assert_error(resp: Response, status: u16, code: &str) -> Vec<String> {
    let (s, c, messages) = klarna_error(resp).await;
    assert_eq!((s, c.as_str()), (status, code), "{messages:?}");
    messages
}

/// Asserts a 204 with an empty body.
pub async fn assert_no_content(resp: Response) {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert_eq!(status, 204, "{body}");
    assert!(body.is_empty());
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
