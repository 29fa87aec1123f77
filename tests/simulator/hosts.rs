//! Hosts: routing by host segment, orders that live on one host, credentials
//! per host, what the request log says about both, and the 401 of the edge.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use klarna_mcp::simulator::{SeedOrder, Simulator};
use reqwest::Response;
use serde_json::json;

use crate::common::{
    Api, EU, EU_PLAYGROUND, NA, NA_PASS, NA_USER, OC, OC_KEY, OC_KEY_USER, OC_PLAYGROUND, PASS,
    PLAYGROUND_KEY, USER, config, header, klarna_error, login,
};

/// Asserts Klarna's answer for an order it does not know.
async fn assert_no_such_order(resp: Response, id: &str, what: &str) {
    let (status, code, messages) = klarna_error(resp).await;
    assert_eq!((status, code.as_str()), (404, "NO_SUCH_ORDER"), "{what}");
    assert_eq!(
        messages,
        vec![format!("Order {id} cannot be found")],
        "{what}"
    );
}

async fn send_get(api: &Api, url: String, auth: &str) -> Response {
    api.client
        .get(url)
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
}

fn basic(user: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{secret}")))
}

#[tokio::test]
async fn host_base_url_carries_the_literal_placeholder() {
    let api = Api::new().await;
    let base = api.sim.base_url();
    assert_eq!(api.sim.host_base_url(), format!("{base}/{{apiHost}}"));
    assert_eq!(api.sim.host_url(NA), format!("{base}/api-na.klarna.com"));
}

#[tokio::test]
async fn every_call_on_another_host_is_no_such_order() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "USD")
            .on_host(NA)
            .captured(4_000)
            .refunded(1_000),
    );
    let before = api.sim.snapshot(&id).unwrap();
    assert_eq!(before.host, NA);
    let cid = before.captures[0].capture_id.clone();
    let rid = before.refunds[0].refund_id.clone();
    let capture = Some(json!({"captured_amount": 100}));
    let refund = Some(json!({"refunded_amount": 100}));
    for host in [EU, EU_PLAYGROUND, OC_PLAYGROUND] {
        let calls = [
            ("get order", api.get_on(host, &id, "").await),
            ("list captures", api.get_on(host, &id, "/captures").await),
            (
                "get capture",
                api.get_on(host, &id, &format!("/captures/{cid}")).await,
            ),
            (
                "get refund",
                api.get_on(host, &id, &format!("/refunds/{rid}")).await,
            ),
            (
                "capture",
                api.post_on(host, &id, "/captures", capture.clone()).await,
            ),
            (
                "refund",
                api.post_on(host, &id, "/refunds", refund.clone()).await,
            ),
            ("cancel", api.post_on(host, &id, "/cancel", None).await),
            (
                "release",
                api.post_on(host, &id, "/release-remaining-authorization", None)
                    .await,
            ),
        ];
        for (what, resp) in calls {
            assert_no_such_order(resp, &id, &format!("{what} on {host}")).await;
        }
    }
    // Without a host segment the request is meant for the EU host: unknown there too.
    assert_no_such_order(api.get(&id, "").await, &id, "un-prefixed").await;
    assert_eq!(api.sim.snapshot(&id).unwrap(), before, "nothing changed");
    // On its own host every read works and a write goes through.
    assert_eq!(api.get_on(NA, &id, "").await.status(), 200);
    assert_eq!(
        api.get_on(NA, &id, &format!("/captures/{cid}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        api.get_on(NA, &id, &format!("/refunds/{rid}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        api.post_on(NA, &id, "/captures", capture).await.status(),
        201
    );
    assert_eq!(
        api.post_on(NA, &id, "/release-remaining-authorization", None)
            .await
            .status(),
        204
    );
}

#[tokio::test]
async fn a_path_without_a_host_segment_is_meant_for_the_eu_production_host() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    assert_eq!(api.sim.snapshot(&id).unwrap().host, EU);
    let plain = api.get(&id, "").await;
    assert_eq!(plain.status(), 200);
    let prefixed = api.get_on(EU, &id, "").await;
    assert_eq!(prefixed.status(), 200);
    let upper = api
        .client
        .get(api.host_order_url("API.Klarna.COM", &id, ""))
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .unwrap();
    assert_eq!(upper.status(), 200, "host names are case-insensitive");
    let log = api.sim.requests();
    let seen: Vec<(&str, &str)> = log
        .iter()
        .map(|r| (r.host.as_str(), r.path.as_str()))
        .collect();
    let path = format!("/ordermanagement/v1/orders/{id}");
    assert_eq!(seen, vec![(EU, path.as_str()); 3]);
}

#[tokio::test]
async fn an_unknown_first_segment_is_an_unknown_route() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    for host in [
        "api-eu.klarna.com",
        "api.klarna.com.evil",
        "klarna.com",
        "x",
    ] {
        let url = api.host_order_url(host, &id, "");
        let resp = api
            .client
            .get(url)
            .basic_auth(USER, Some(PASS))
            .send()
            .await
            .unwrap();
        let (status, code, _) = klarna_error(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (404, "RESOURCE_NOT_FOUND"),
            "{host}"
        );
    }
    // A known host with an unknown path is an unknown route on that host.
    let resp = api.get_on(NA, &id, "/nope").await;
    let (status, code, _) = klarna_error(resp).await;
    assert_eq!((status, code.as_str()), (404, "RESOURCE_NOT_FOUND"));
}

#[tokio::test]
async fn credentials_belong_to_one_host() {
    let api = Api::new().await;
    let eu = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let na = api.sim.seed(SeedOrder::new(1_000, "USD").on_host(NA));
    let eu_login = basic(USER, PASS);
    let na_login = basic(NA_USER, NA_PASS);
    let cases = [
        (EU, &eu, &eu_login, 200),
        (NA, &na, &na_login, 200),
        (NA, &na, &eu_login, 401),
        (EU, &eu, &na_login, 401),
        (EU_PLAYGROUND, &eu, &eu_login, 401),
        // A host without any login refuses everything.
        (OC, &eu, &eu_login, 401),
    ];
    for (host, id, auth, status) in cases {
        let resp = send_get(&api, api.host_order_url(host, id, ""), auth).await;
        assert_eq!(resp.status(), status, "{host} {auth}");
    }
    let log = api.sim.requests();
    let seen: Vec<(&str, Option<&str>, bool)> = log
        .iter()
        .map(|r| (r.host.as_str(), r.credential.as_deref(), r.authorized))
        .collect();
    assert_eq!(
        seen,
        vec![
            (EU, Some(USER), true),
            (NA, Some(NA_USER), true),
            (NA, Some(USER), false),
            (EU, Some(NA_USER), false),
            (EU_PLAYGROUND, Some(USER), false),
            (OC, Some(USER), false),
        ]
    );
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![200, 200, 401, 401, 401, 401]
    );
}

/// An API key is sent as `Basic <key>`, raw. Base64-encoding the key alone, or
/// sending it as the password of an empty username, is refused.
#[tokio::test]
async fn an_api_key_logs_in_on_its_own_unencoded() {
    let api = Api::new().await;
    let id = api
        .sim
        .seed(SeedOrder::new(1_000, "EUR").on_host(EU_PLAYGROUND));
    let url = || api.host_order_url(EU_PLAYGROUND, &id, "");
    let cases = [
        (format!("Basic {PLAYGROUND_KEY}"), 200),
        (format!("basic   {PLAYGROUND_KEY}"), 200),
        (format!("Basic {}", STANDARD.encode(PLAYGROUND_KEY)), 401),
        (basic("", PLAYGROUND_KEY), 401),
        (format!("Bearer {PLAYGROUND_KEY}"), 401),
        (format!("Basic {PLAYGROUND_KEY}x"), 401),
    ];
    for (auth, status) in &cases {
        assert_eq!(
            send_get(&api, url(), auth).await.status(),
            *status,
            "{auth}"
        );
    }
    // The same key on another host is refused.
    let eu = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let resp = send_get(&api, api.host_order_url(EU, &eu, ""), &cases[0].0).await;
    assert_eq!(resp.status(), 401);
    let log = api.sim.requests();
    assert_eq!(log[0].credential.as_deref(), Some(PLAYGROUND_KEY));
    assert_eq!(
        (log[0].host.as_str(), log[0].authorized),
        (EU_PLAYGROUND, true)
    );
    assert_eq!(log[4].credential, None, "not Basic: nothing presented");
    assert_eq!(
        (log[6].host.as_str(), log[6].credential.as_deref()),
        (EU, Some(PLAYGROUND_KEY))
    );
}

/// A key with its username logs in as `base64(username:key)`, and, because the
/// username of a key is optional, as the key alone too.
#[tokio::test]
async fn an_api_key_with_its_username_logs_in_both_ways() {
    let api = Api::new().await;
    let id = api
        .sim
        .seed(SeedOrder::new(1_000, "AUD").on_host(OC_PLAYGROUND));
    let url = || api.host_order_url(OC_PLAYGROUND, &id, "");
    for (auth, status) in [
        (basic(OC_KEY_USER, OC_KEY), 200),
        (format!("Basic {OC_KEY}"), 200),
        (basic("another-uuid", OC_KEY), 401),
        (format!("Basic {OC_KEY_USER}:{OC_KEY}"), 401),
    ] {
        assert_eq!(
            send_get(&api, url(), &auth).await.status(),
            status,
            "{auth}"
        );
    }
    let creds: Vec<Option<String>> = api
        .sim
        .requests()
        .into_iter()
        .map(|r| r.credential)
        .collect();
    assert_eq!(creds[0].as_deref(), Some(OC_KEY_USER));
    assert_eq!(creds[1].as_deref(), Some(OC_KEY));
}

/// A classic password never logs in on its own, and `username:password` must
/// be base64-encoded.
#[tokio::test]
async fn username_and_password_must_be_an_encoded_pair() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let url = || api.order_url(&id, "");
    for (auth, status) in [
        (basic(USER, PASS), 200),
        (format!("Basic {PASS}"), 401),
        (format!("Basic {USER}:{PASS}"), 401),
        (basic(USER, ""), 401),
    ] {
        assert_eq!(
            send_get(&api, url(), &auth).await.status(),
            status,
            "{auth}"
        );
    }
}

#[tokio::test]
async fn idempotency_keys_are_scoped_per_host() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "USD").on_host(NA));
    let capture = |host: &'static str| {
        let req = api
            .client
            .post(api.host_order_url(host, &id, "/captures"))
            .header("Klarna-Idempotency-Key", "same-key")
            .json(&json!({"captured_amount": 1_000}));
        login(req, host).send()
    };
    let first = capture(NA).await.unwrap();
    assert_eq!(first.status(), 201);
    // The same key and path on another host is another call: not a replay.
    assert_no_such_order(capture(EU).await.unwrap(), &id, "EU").await;
    let replay = capture(NA).await.unwrap();
    assert_eq!(header(&replay, "capture-id"), header(&first, "capture-id"));
    assert_eq!(api.sim.snapshot(&id).unwrap().captured_amount, 1_000);
}

#[tokio::test]
async fn location_names_the_host_segment_the_request_used() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "USD").on_host(NA));
    let resp = api
        .post_on(NA, &id, "/captures", Some(json!({"captured_amount": 100})))
        .await;
    assert_eq!(resp.status(), 201);
    let location = header(&resp, "location").unwrap();
    let cid = header(&resp, "capture-id").unwrap();
    assert_eq!(
        location,
        format!(
            "{}/ordermanagement/v1/orders/{id}/captures/{cid}",
            api.sim.host_url(NA)
        )
    );
    let via_location = login(api.client.get(location), NA).send().await.unwrap();
    assert_eq!(via_location.status(), 200);
}

/// A simulator that accepts nothing refuses every request, whatever the host.
#[tokio::test]
async fn a_simulator_without_logins_refuses_everything() {
    let mut config = config();
    config.credentials.clear();
    let sim = Simulator::start(config).await.unwrap();
    let id = sim.seed(SeedOrder::new(1_000, "EUR"));
    let url = format!("{}/ordermanagement/v1/orders/{id}", sim.base_url());
    let resp = reqwest::Client::new()
        .get(url)
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

/// The twelve later operations, as (method, path suffix, body): `{cid}` is
/// replaced by a capture id.
fn later_operations() -> Vec<(&'static str, &'static str, Option<serde_json::Value>)> {
    let tracking = json!({"shipping_info": [{"tracking_number": "1"}]});
    vec![
        ("GET", "/captures", None),
        ("GET", "/refunds/{rid}", None),
        ("POST", "/extend-authorization-time", None),
        (
            "PATCH",
            "/authorization",
            Some(json!({"order_amount": 9_000})),
        ),
        (
            "PATCH",
            "/merchant-references",
            Some(json!({"merchant_reference1": "X"})),
        ),
        (
            "PATCH",
            "/customer-details",
            Some(json!({"shipping_address": {"city": "Austin"}})),
        ),
        (
            "POST",
            "/captures/{cid}/shipping-info",
            Some(tracking.clone()),
        ),
        ("POST", "/shipping-info", Some(tracking)),
        ("POST", "/captures/{cid}/trigger-send-out", None),
        ("GET", "/captures/{cid}/extend-due-date-options", None),
        (
            "PATCH",
            "/captures/{cid}/extend-due-date",
            Some(json!({"number_of_days": 7})),
        ),
        ("POST", "/acknowledge", None),
    ]
}

/// Every later operation finds an order only on its own host, answers 401 to
/// another host's login, and changes nothing when refused.
#[tokio::test]
async fn the_later_operations_live_on_the_orders_host_only() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "USD")
            .on_host(NA)
            .klarna_checkout()
            .captured(4_000)
            .refunded(1_000),
    );
    let before = api.sim.snapshot(&id).unwrap();
    let cid = before.captures[0].capture_id.clone();
    let rid = before.refunds[0].refund_id.clone();
    let send = |method: &str,
                host: &str,
                suffix: &str,
                body: Option<serde_json::Value>,
                auth: Option<String>| {
        let suffix = suffix.replace("{cid}", &cid).replace("{rid}", &rid);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = api
            .client
            .request(method, api.host_order_url(host, &id, &suffix));
        req = match auth {
            Some(auth) => req.header("Authorization", auth),
            None => login(req, host),
        };
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    let eu_login = basic(USER, PASS);
    for (method, suffix, body) in later_operations() {
        for host in [EU, EU_PLAYGROUND] {
            let resp = send(method, host, suffix, body.clone(), None)
                .await
                .unwrap();
            let (status, code, _) = klarna_error(resp).await;
            assert_eq!(
                (status, code.as_str()),
                (404, "NO_SUCH_ORDER"),
                "{method} {suffix} on {host}"
            );
        }
        // The EU login on the NA host: 401 from the edge, before anything else.
        let resp = send(method, NA, suffix, body.clone(), Some(eu_login.clone()))
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{method} {suffix}");
    }
    assert_eq!(api.sim.snapshot(&id).unwrap(), before, "nothing changed");
    // On its own host, with its own login, each one works.
    for (method, suffix, body) in later_operations() {
        let resp = send(method, NA, suffix, body, None).await.unwrap();
        assert!(
            resp.status().is_success(),
            "{method} {suffix}: {}",
            resp.status()
        );
    }
    let after = api.sim.snapshot(&id).unwrap();
    assert_eq!(after.order_amount, 9_000);
    assert_eq!(after.merchant_reference1.as_deref(), Some("X"));
    assert_eq!(after.fees.len(), 1);
    // The request log names the host and the method of each call.
    let log = api.sim.requests();
    let patches = log
        .iter()
        .filter(|r| r.method == "PATCH" && r.host == NA && r.authorized)
        .count();
    assert_eq!(patches, 4);
    let last = log.last().unwrap();
    assert_eq!(
        (last.method.as_str(), last.host.as_str(), last.status),
        ("POST", NA, 204)
    );
    assert!(last.path.ends_with("/acknowledge"));
}
