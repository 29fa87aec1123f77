//! After the shipment: shipping info on a capture and on the order, resending
//! the customer communication, and the capture list and refund reads.

use klarna_mcp::simulator::SeedOrder;
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Api, assert_error, assert_no_content, assert_refused};

fn tracking(n: usize) -> Value {
    json!({"shipping_company": "DHL DE", "shipping_method": "Home",
        "tracking_number": format!("0034043{n:013}"), "tracking_uri": "https://track.example/1"})
}

fn shipping_path(cid: &str) -> String {
    format!("/captures/{cid}/shipping-info")
}

#[tokio::test]
async fn shipping_info_is_appended_to_a_capture() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let body = json!({"captured_amount": 10_000, "shipping_info": [tracking(0)]});
    let resp = api.post(&id, "/captures", Some(body), None).await;
    assert_eq!(resp.status(), 201);
    let cid = api.first_capture(&id);
    let mut second = tracking(1);
    second["unknown"] = json!("dropped");
    second["return_shipping_company"] = json!("UPS DE");
    let body = json!({"shipping_info": [second, tracking(2)]});
    assert_no_content(api.post(&id, &shipping_path(&cid), Some(body), None).await).await;
    let c = api.get_json(&id, &format!("/captures/{cid}")).await;
    let info = c["shipping_info"].as_array().unwrap();
    let numbers: Vec<&str> = info
        .iter()
        .map(|i| i["tracking_number"].as_str().unwrap())
        .collect();
    assert_eq!(
        numbers,
        [
            "00340430000000000000",
            "00340430000000000001",
            "00340430000000000002"
        ]
    );
    assert_eq!(info[1]["return_shipping_company"], "UPS DE");
    assert!(info[1].get("unknown").is_none());
    // The order and the capture list show the same capture.
    let o = api.get_json(&id, "").await;
    assert_eq!(o["captures"][0], c);
    assert_eq!(api.get_json(&id, "/captures").await, json!([c]));
    assert!(o.get("shipping_info").is_none(), "nothing at order level");
    assert_eq!(
        api.sim.snapshot(&id).unwrap().captures[0].shipping_info_count,
        3
    );
}

#[tokio::test]
async fn capture_shipping_info_refusals() {
    let api = Api::new().await;
    let body = json!({"shipping_info": [tracking(0)]});
    let none = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let someone = uuid::Uuid::new_v4().to_string();
    assert_refused(
        api.post(&none, &shipping_path(&someone), Some(body.clone()), None)
            .await,
        "NOT_ALLOWED",
        "Order has no captures. Shipping info cannot be added.",
    )
    .await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(5_000));
    let messages = assert_error(
        api.post(&id, &shipping_path(&someone), Some(body.clone()), None)
            .await,
        404,
        "NO_SUCH_CAPTURE",
    )
    .await;
    assert_eq!(
        messages,
        vec![format!(
            "Capture could not be found. Shipping info cannot be added to capture {someone}"
        )]
    );
    let messages = assert_error(
        api.post(&id, &shipping_path("nope"), Some(body), None)
            .await,
        400,
        "INVALID_CAPTURE_ID",
    )
    .await;
    assert_eq!(messages, vec!["Capture ID must be a valid UUID."]);
    // At most 500 entries per capture over all requests.
    let cid = api.first_capture(&id);
    let batch: Vec<Value> = (0..500).map(tracking).collect();
    let full = json!({"shipping_info": batch});
    assert_no_content(api.post(&id, &shipping_path(&cid), Some(full), None).await).await;
    assert_refused(
        api.post(&id, &shipping_path(&cid), Some(json!({"shipping_info": [tracking(9)]})), None)
            .await,
        "NOT_ALLOWED",
        "At most 500 shipping info entries can be held by one capture; it holds 500. Shipping info cannot be added.",
    )
    .await;
    assert_eq!(
        api.sim.snapshot(&id).unwrap().captures[0].shipping_info_count,
        500
    );
}

#[tokio::test]
async fn shipping_info_bodies_are_validated() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(5_000));
    let cid = api.first_capture(&id);
    let many: Vec<Value> = (0..501).map(tracking).collect();
    for path in [shipping_path(&cid), "/shipping-info".to_owned()] {
        for (body, message) in [
            (json!({}), "'shipping_info' may not be null"),
            (
                json!({"shipping_info": []}),
                "The size of shipping_info must be between 1 and 500",
            ),
            (
                json!({"shipping_info": many.clone()}),
                "The size of shipping_info must be between 1 and 500",
            ),
            (
                json!({"shipping_info": {"tracking_number": "1"}}),
                "'shipping_info' must be an array",
            ),
            (
                json!({"shipping_info": ["1"]}),
                "'shipping_info[0]' must be an object",
            ),
            (
                json!({"shipping_info": [{"shipping_company": "x".repeat(101)}]}),
                "The size of the shipping_info/shipping_company value must be between 0 and 100",
            ),
            (
                json!({"shipping_info": [{"shipping_method": "Drone"}]}),
                "'shipping_info[0].shipping_method' must match (PickUpStore|Home|BoxReg|BoxUnreg|PickUpPoint|Own|Postal|DHLPackstation|Digital|Undefined|PickUpWarehouse|ClickCollect|PalletDelivery)",
            ),
        ] {
            let messages = assert_error(
                api.post(&id, &path, Some(body.clone()), None).await,
                422,
                "UNPROCESSABLE_ENTITY",
            )
            .await;
            assert!(
                messages.contains(&message.to_owned()),
                "{path} {body}: {messages:?}"
            );
        }
        let resp = api.raw(Method::POST, &id, &path, "text/plain", "DHL").await;
        assert_error(resp, 400, "BAD_REQUEST").await;
    }
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (s.shipping_info_count, s.captures[0].shipping_info_count),
        (0, 0)
    );
}

#[tokio::test]
async fn shipping_info_is_appended_to_the_order() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    assert!(api.get_json(&id, "").await.get("shipping_info").is_none());
    for n in 0..2 {
        let body = json!({"shipping_info": [tracking(n)]});
        assert_no_content(api.post(&id, "/shipping-info", Some(body), None).await).await;
    }
    let o = api.get_json(&id, "").await;
    assert_eq!(o["shipping_info"], json!([tracking(0), tracking(1)]));
    assert_eq!(api.sim.snapshot(&id).unwrap().shipping_info_count, 2);
    // Klarna documents no refusal: even a cancelled order takes it.
    let cancelled = api.sim.seed(SeedOrder::new(1_000, "EUR").cancelled());
    let body = json!({"shipping_info": [tracking(0)]});
    assert_no_content(
        api.post(&cancelled, "/shipping-info", Some(body), None)
            .await,
    )
    .await;
}

#[tokio::test]
async fn the_customer_communication_is_sent_again() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .captured(4_000)
            .captured(6_000),
    );
    let second = api.sim.snapshot(&id).unwrap().captures[1]
        .capture_id
        .clone();
    let path = format!("/captures/{second}/trigger-send-out");
    assert_no_content(api.post(&id, &path, None, None).await).await;
    // A body and any content type are ignored.
    assert_no_content(api.raw(Method::POST, &id, &path, "text/plain", "x").await).await;
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!((s.captures[0].send_outs, s.captures[1].send_outs), (0, 2));
    // Fully refunded captures can still be sent (the credit note).
    let refunded = api
        .sim
        .seed(SeedOrder::new(1_000, "EUR").captured(1_000).refunded(1_000));
    let cid = api.first_capture(&refunded);
    let resp = api
        .post(
            &refunded,
            &format!("/captures/{cid}/trigger-send-out"),
            None,
            None,
        )
        .await;
    assert_no_content(resp).await;
}

#[tokio::test]
async fn send_out_refusals() {
    let api = Api::new().await;
    let someone = uuid::Uuid::new_v4().to_string();
    let path = format!("/captures/{someone}/trigger-send-out");
    let none = api.sim.seed(SeedOrder::new(1_000, "EUR"));
    assert_refused(
        api.post(&none, &path, None, None).await,
        "NOT_ALLOWED",
        "Order has no captures. Send out not possible.",
    )
    .await;
    let id = api.sim.seed(SeedOrder::new(1_000, "EUR").captured(1_000));
    let messages = assert_error(
        api.post(&id, &path, None, None).await,
        404,
        "NO_SUCH_CAPTURE",
    )
    .await;
    assert_eq!(
        messages,
        vec![format!(
            "Capture could not be found. Capture {someone} does not exist for order {id}"
        )]
    );
    assert_eq!(api.sim.snapshot(&id).unwrap().captures[0].send_outs, 0);
}

#[tokio::test]
async fn captures_are_listed_and_refunds_read_back() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .captured(4_000)
            .captured(6_000)
            .refunded(500),
    );
    let list = api.get_json(&id, "/captures").await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (
            list[0]["captured_amount"].as_i64(),
            list[1]["captured_amount"].as_i64()
        ),
        (Some(4_000), Some(6_000))
    );
    let rid = api.sim.snapshot(&id).unwrap().refunds[0].refund_id.clone();
    let r = api.get_json(&id, &format!("/refunds/{rid}")).await;
    assert_eq!(
        (r["refund_id"].as_str(), r["refunded_amount"].as_i64()),
        (Some(rid.as_str()), Some(500))
    );
    let other = uuid::Uuid::new_v4().to_string();
    let messages = assert_error(
        api.get(&id, &format!("/refunds/{other}")).await,
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        messages,
        vec![format!("Refund {other} cannot be found for order {id}")]
    );
}
