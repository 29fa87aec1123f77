//! POST/GET captures: success, refusals and body validation.

use klarna_mcp::simulator::SeedOrder;
use serde_json::{Value, json};

use crate::common::{Api, PASS, USER, assert_refused, header, klarna_error};

const OVER: &str =
    "Captured amount is higher than the remaining authorized amount. Capture not possible.";

#[tokio::test]
async fn full_capture_then_read_it_back() {
    let api = Api::new().await;
    let id = api
        .sim
        .seed(SeedOrder::new(10_000, "EUR").klarna_reference("ABCD1234"));
    let body = json!({
        "captured_amount": 10_000,
        "description": "Shipped in one parcel",
        "reference": "CAP-1",
        "order_lines": [{"name": "Item", "reference": "SKU-001", "quantity": 1, "unit_price": 10_000, "total_amount": 10_000, "unknown": 1}],
        "shipping_info": [{"shipping_company": "DHL DE", "shipping_method": "Home", "tracking_number": "123"}],
        "some_future_field": true
    });
    let resp = api.post(&id, "/captures", Some(body), None).await;
    assert_eq!(resp.status(), 201);
    let cid = header(&resp, "capture-id").unwrap();
    uuid::Uuid::parse_str(&cid).unwrap();
    let location = header(&resp, "location").unwrap();
    assert_eq!(
        location,
        format!(
            "http://{}/ordermanagement/v1/orders/{id}/captures/{cid}",
            api.sim.addr()
        )
    );
    assert!(resp.bytes().await.unwrap().is_empty());

    let c = api.get_json(&id, &format!("/captures/{cid}")).await;
    assert_eq!(c["capture_id"], cid.as_str());
    assert_eq!(c["klarna_reference"], "ABCD1234-1");
    assert_eq!(c["captured_amount"], 10_000);
    assert_eq!(c["refunded_amount"], 0);
    assert_eq!(c["description"], "Shipped in one parcel");
    assert_eq!(c["reference"], "CAP-1");
    assert!(c["captured_at"].is_string());
    assert_eq!(c["order_lines"][0]["reference"], "SKU-001");
    assert!(c["order_lines"][0].get("unknown").is_none());
    assert_eq!(c["shipping_info"][0]["shipping_company"], "DHL DE");
    // Location is directly usable.
    let via_location: Value = api
        .client
        .get(location)
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(via_location, c);
    let list = api.get_json(&id, "/captures").await;
    assert_eq!(list, json!([c]));
    let o = api.get_json(&id, "").await;
    assert_eq!(o["status"], "CAPTURED");
    assert_eq!(o["captured_amount"], 10_000);
    assert_eq!(o["remaining_authorized_amount"], 0);
    assert_eq!(o["captures"][0], c);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(s.captures[0].reference.as_deref(), Some("CAP-1"));
}

#[tokio::test]
async fn location_uses_the_request_host() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let resp = api
        .client
        .post(api.order_url(&id, "/captures"))
        .basic_auth(USER, Some(PASS))
        .header("Host", "api.example.test")
        .json(&json!({"captured_amount": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let cid = header(&resp, "capture-id").unwrap();
    assert_eq!(
        header(&resp, "location").unwrap(),
        format!("http://api.example.test/ordermanagement/v1/orders/{id}/captures/{cid}")
    );
}

#[tokio::test]
async fn partial_captures_and_over_capture() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    assert_eq!(api.get_json(&id, "/captures").await, json!([]));
    assert_eq!(api.capture(&id, 4_000).await.status(), 201);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (s.status.as_str(), s.remaining_authorized_amount),
        ("PART_CAPTURED", 6_000)
    );
    assert_refused(api.capture(&id, 6_001).await, "CAPTURE_NOT_ALLOWED", OVER).await;
    assert_eq!(api.capture(&id, 6_000).await.status(), 201);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (
            s.status.as_str(),
            s.captured_amount,
            s.remaining_authorized_amount
        ),
        ("CAPTURED", 10_000, 0)
    );
    assert_eq!(s.captures.len(), 2);
    assert_refused(api.capture(&id, 1).await, "CAPTURE_NOT_ALLOWED", OVER).await;
    let o = api.get_json(&id, "").await;
    assert!(
        o["captures"][1]["klarna_reference"]
            .as_str()
            .unwrap()
            .ends_with("-2")
    );
}

#[tokio::test]
async fn capture_refusals() {
    let api = Api::new().await;
    let cases = [
        (
            SeedOrder::new(1_000, "EUR").cancelled(),
            "Order is cancelled. Capture not possible.",
        ),
        (
            SeedOrder::new(1_000, "EUR").expired(),
            "Order has expired. Capture not possible.",
        ),
        (
            SeedOrder::new(1_000, "EUR").closed(),
            "Order is closed. Capture not possible.",
        ),
        (
            SeedOrder::new(1_000, "EUR").fraud_status("PENDING"),
            "Order fraud status is PENDING: it cannot be captured until Klarna has accepted it. Capture not possible.",
        ),
        (
            SeedOrder::new(1_000, "EUR").fraud_status("REJECTED"),
            "Order fraud status is REJECTED. Capture not possible.",
        ),
    ];
    for (seed, message) in cases {
        let id = api.sim.seed(seed);
        assert_refused(api.capture(&id, 500).await, "CAPTURE_NOT_ALLOWED", message).await;
        assert!(api.sim.snapshot(&id).unwrap().captures.is_empty());
    }
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let zero = "Captured amount must be greater than zero. Capture not possible.";
    assert_refused(api.capture(&id, 0).await, "CAPTURE_NOT_ALLOWED", zero).await;
}

#[tokio::test]
async fn capture_body_validation() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let long = |n: usize| "x".repeat(n);
    let line = json!({"name": "n", "quantity": 1, "unit_price": 1, "total_amount": 1});
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "'captured_amount' may not be null"),
        (
            json!({"captured_amount": null}),
            "'captured_amount' may not be null",
        ),
        (
            json!({"captured_amount": -1}),
            "'captured_amount' must be between 0 and 200000000",
        ),
        (
            json!({"captured_amount": 200_000_001}),
            "'captured_amount' must be between 0 and 200000000",
        ),
        (
            json!({"captured_amount": "100"}),
            "'captured_amount' must be an integer (int64)",
        ),
        (
            json!({"captured_amount": 1.5}),
            "'captured_amount' must be an integer (int64)",
        ),
        (
            json!({"captured_amount": 1, "description": long(256)}),
            "The size of the description value must be between 0 and 255",
        ),
        (
            json!({"captured_amount": 1, "reference": long(256)}),
            "The size of the reference value must be between 0 and 255",
        ),
        (
            json!({"captured_amount": 1, "order_lines": vec![line.clone(); 1001]}),
            "The size of order_lines must be between 0 and 1000",
        ),
        (
            json!({"captured_amount": 1, "order_lines": [{"quantity": 1, "unit_price": 1, "total_amount": 1}]}),
            "'order_lines[0].name' may not be null",
        ),
        (
            json!({"captured_amount": 1, "order_lines": [line.clone(), {"name": "n", "unit_price": 1, "total_amount": 1}]}),
            "'order_lines[1].quantity' may not be null",
        ),
        (
            json!({"captured_amount": 1, "order_lines": [{"name": "n", "quantity": 1, "total_amount": 1}]}),
            "'order_lines[0].unit_price' may not be null",
        ),
        (
            json!({"captured_amount": 1, "order_lines": [{"name": "n", "quantity": 1, "unit_price": 1}]}),
            "'order_lines[0].total_amount' may not be null",
        ),
        (
            json!({"captured_amount": 1, "order_lines": [{"name": long(256), "quantity": 1, "unit_price": 1, "total_amount": 1}]}),
            "The size of the order_lines[0].name value must be between 0 and 255",
        ),
        (
            json!({"captured_amount": 1, "order_lines": "nope"}),
            "'order_lines' must be an array",
        ),
        (
            json!({"captured_amount": 1, "shipping_info": vec![json!({}); 501]}),
            "The size of shipping_info must be between 0 and 500",
        ),
        (
            json!({"captured_amount": 1, "shipping_info": [{"shipping_company": long(101)}]}),
            "The size of the shipping_info/shipping_company value must be between 0 and 100",
        ),
        (
            json!({"captured_amount": 1, "shipping_info": [{"tracking_uri": long(1025)}]}),
            "The size of the shipping_info/tracking_uri value must be between 0 and 1024",
        ),
        (
            json!({"captured_amount": 1, "shipping_info": [{"shipping_method": "Teleport"}]}),
            "'shipping_info[0].shipping_method' must match (PickUpStore|Home|BoxReg|BoxUnreg|PickUpPoint|Own|Postal|DHLPackstation|Digital|Undefined|PickUpWarehouse|ClickCollect|PalletDelivery)",
        ),
    ];
    for (body, message) in cases {
        let resp = api.post(&id, "/captures", Some(body.clone()), None).await;
        let (status, code, msgs) = klarna_error(resp).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "UNPROCESSABLE_ENTITY"),
            "{body}"
        );
        assert_eq!(msgs, vec![message.to_owned()], "{body}");
    }
    // Limits are inclusive.
    let ok =
        json!({"captured_amount": 1, "description": long(255), "order_lines": vec![line; 1000]});
    assert_eq!(
        api.post(&id, "/captures", Some(ok), None).await.status(),
        201
    );
    assert_eq!(api.sim.snapshot(&id).unwrap().captures.len(), 1);
}

#[tokio::test]
async fn capture_body_must_be_a_json_object() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let url = api.order_url(&id, "/captures");
    let cases: Vec<(Option<&str>, &str)> = vec![
        (Some("application/json"), "{not json"),
        (Some("application/json"), ""),
        (Some("application/json"), "[1]"),
        (Some("text/plain"), r#"{"captured_amount": 1}"#),
        (None, r#"{"captured_amount": 1}"#),
    ];
    for (ct, body) in cases {
        let mut req = api
            .client
            .post(&url)
            .basic_auth(USER, Some(PASS))
            .body(body.to_owned());
        if let Some(ct) = ct {
            req = req.header("Content-Type", ct);
        }
        let (status, code, _) = klarna_error(req.send().await.unwrap()).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "BAD_REQUEST"),
            "{ct:?} {body}"
        );
    }
    let charset = api
        .client
        .post(&url)
        .basic_auth(USER, Some(PASS))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(r#"{"captured_amount": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(charset.status(), 201);
}

#[tokio::test]
async fn body_over_one_megabyte_is_413() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    let padding = "x".repeat(1_000_000);
    let resp = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 1, "description": padding})),
            None,
        )
        .await;
    let (status, code, _) = klarna_error(resp).await;
    assert_eq!((status, code.as_str()), (413, "REQUEST_TOO_LARGE"));
    assert!(api.sim.snapshot(&id).unwrap().captures.is_empty());
}

#[tokio::test]
async fn unknown_and_malformed_capture_ids() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR").captured(500));
    let cid = uuid::Uuid::new_v4().to_string();
    let (status, code, msgs) = klarna_error(api.get(&id, &format!("/captures/{cid}")).await).await;
    assert_eq!((status, code.as_str()), (404, "NO_SUCH_CAPTURE"));
    assert!(
        msgs[0].starts_with("Capture could not be found."),
        "{msgs:?}"
    );
    let (status, code, msgs) = klarna_error(api.get(&id, "/captures/nope").await).await;
    assert_eq!((status, code.as_str()), (400, "INVALID_CAPTURE_ID"));
    assert_eq!(msgs, vec!["Capture ID must be a valid UUID."]);
    let seeded = &api.sim.snapshot(&id).unwrap().captures[0].capture_id;
    let c = api
        .get_json(&id, &format!("/captures/{}", seeded.to_uppercase()))
        .await;
    assert_eq!(c["capture_id"], seeded.as_str());
}
