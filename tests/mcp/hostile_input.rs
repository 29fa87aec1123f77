//! A sweep of hostile and malformed arguments: each is refused with a message naming the
//! field, and not one request reaches the simulator (which answers for every host, so a
//! request that slipped through would be counted).

use crate::common::start;
use serde_json::{Value, json};

const ORDER: &str = "4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f";
const TOOLS: [&str; 6] = [
    "get_order",
    "get_capture",
    "capture_order",
    "refund_order",
    "cancel_order",
    "release_remaining_authorization",
];

/// Valid arguments for each tool, to be spoiled one field at a time.
fn base(tool: &str) -> Value {
    match tool {
        "get_capture" => json!({ "orderId": ORDER, "captureId": ORDER }),
        "capture_order" | "refund_order" => json!({ "orderId": ORDER, "amount": 100 }),
        _ => json!({ "orderId": ORDER }),
    }
}

fn with(tool: &str, field: &str, value: Value) -> Value {
    let mut args = base(tool);
    args[field] = value;
    args
}

async fn assert_refused(h: &crate::common::Harness, tool: &str, args: Value, field: &str) {
    let text = h.err(tool, args.clone()).await;
    assert!(
        text.contains(field),
        "{tool} {args}: message does not name `{field}`: {text}"
    );
    assert!(
        text.contains("Nothing was sent to Klarna"),
        "{tool} {args}: {text}"
    );
    assert!(
        !text.contains("evil.example\"") || text.contains("not a Klarna"),
        "{text}"
    );
    assert_eq!(
        h.sim.request_count(),
        0,
        "{tool} {args} reached the simulator"
    );
}

#[tokio::test]
async fn hostile_api_hosts_are_refused_for_every_tool() {
    let h = start().await;
    let hostile = [
        json!("evil.example"),
        json!("api.klarna.com.evil.example"),
        json!("api.klarna.com@evil.example"),
        json!("evil.example#api.klarna.com"),
        json!("https://api.klarna.com"),
        json!("//api.klarna.com"),
        json!("api.klarna.com:443"),
        json!("api.klarna.com/ordermanagement"),
        json!("api.klarna.com."),
        json!(" api.klarna.com"),
        json!("127.0.0.1"),
        json!("[::1]"),
        json!("169.254.169.254"),
        json!("api.klаrna.com"),
        json!("аpi.klarna.com"),
        json!("api.klarna.com\u{0000}"),
        json!(""),
        json!(443),
        json!(["api.klarna.com"]),
    ];
    for tool in TOOLS {
        for value in &hostile {
            assert_refused(&h, tool, with(tool, "apiHost", value.clone()), "apiHost").await;
        }
    }
}

#[tokio::test]
async fn malformed_ids_are_refused_for_every_tool() {
    let h = start().await;
    let long = "a".repeat(10_000);
    let hostile = [
        json!("../x"),
        json!("..%2F..%2Fx"),
        json!("%2F"),
        json!("4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f/../../x"),
        json!("4f1c0b7e 2a3d 4c5e 8f90 1a2b3c4d5e6f"),
        json!(" 4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f"),
        json!("4f1c0b7e2a3d4c5e8f901a2b3c4d5e6f"),
        json!("{4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f}"),
        json!("urn:uuid:4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f"),
        json!("4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6g"),
        json!("SO-1001"),
        json!(long),
        json!(""),
        json!(12345),
        json!(null),
    ];
    for tool in TOOLS {
        for value in &hostile {
            assert_refused(&h, tool, with(tool, "orderId", value.clone()), "orderId").await;
        }
    }
    for value in &hostile {
        assert_refused(
            &h,
            "get_capture",
            with("get_capture", "captureId", value.clone()),
            "captureId",
        )
        .await;
    }
}

#[tokio::test]
async fn bad_amounts_are_refused() {
    let h = start().await;
    let bad: Vec<Value> = vec![
        json!(0),
        json!(-1),
        json!(1.5),
        json!(100.0),
        json!("100"),
        json!(9_223_372_036_854_775_808_u64),
        json!(i64::MAX),
        json!(200_000_001),
        json!(null),
        json!(true),
        json!({ "value": 100 }),
    ];
    for tool in ["capture_order", "refund_order"] {
        for value in &bad {
            assert_refused(&h, tool, with(tool, "amount", value.clone()), "amount").await;
        }
    }
    // refund needs an amount at all
    assert_refused(&h, "refund_order", json!({ "orderId": ORDER }), "amount").await;
}

#[tokio::test]
async fn bad_idempotency_keys_texts_and_unknown_fields_are_refused() {
    let h = start().await;
    for tool in [
        "capture_order",
        "refund_order",
        "cancel_order",
        "release_remaining_authorization",
    ] {
        for key in [
            json!(""),
            json!("has space"),
            json!("a/b"),
            json!("k".repeat(65)),
            json!("ключ"),
            json!(7),
        ] {
            assert_refused(
                &h,
                tool,
                with(tool, "idempotencyKey", key),
                "idempotencyKey",
            )
            .await;
        }
        assert_refused(&h, tool, with(tool, "amout", json!(5)), "amout").await;
    }
    for tool in ["capture_order", "refund_order"] {
        assert_refused(
            &h,
            tool,
            with(tool, "description", json!("d".repeat(256))),
            "description",
        )
        .await;
        assert_refused(
            &h,
            tool,
            with(tool, "reference", json!("r".repeat(256))),
            "reference",
        )
        .await;
        assert_refused(
            &h,
            tool,
            with(tool, "reference", json!("line\nbreak")),
            "reference",
        )
        .await;
        let line = json!({ "name": "A", "quantity": 1, "unitPrice": 100, "totalAmount": 100 });
        assert_refused(
            &h,
            tool,
            with(tool, "orderLines", json!(vec![line; 1001])),
            "orderLines",
        )
        .await;
        assert_refused(
            &h,
            tool,
            with(
                tool,
                "orderLines",
                json!([{ "name": "A", "quantity": 1.5, "unitPrice": 100, "totalAmount": 100 }]),
            ),
            "orderLines[0].quantity",
        )
        .await;
        assert_refused(
            &h,
            tool,
            with(
                tool,
                "orderLines",
                json!([{ "name": "x".repeat(256), "quantity": 1, "unitPrice": 100, "totalAmount": 100 }]),
            ),
            "orderLines[0].name",
        )
        .await;
        assert_refused(&h, tool, with(tool, "orderLines", json!([{ "name": "A", "quantity": 1, "unitPrice": 100, "totalAmount": 100, "type": "weapon" }])), "orderLines[0].type").await;
        // `package` is in neither of Klarna's specs
        assert_refused(&h, tool, with(tool, "orderLines", json!([{ "name": "A", "quantity": 1, "unitPrice": 100, "totalAmount": 100, "type": "package" }])), "orderLines[0].type").await;
    }
    assert_refused(
        &h,
        "capture_order",
        with(
            "capture_order",
            "shippingInfo",
            json!([{ "shippingMethod": "Teleport" }]),
        ),
        "shippingInfo[0].shippingMethod",
    )
    .await;
    assert_refused(
        &h,
        "capture_order",
        with(
            "capture_order",
            "shippingInfo",
            json!([{ "shippingCompany": "x".repeat(101) }]),
        ),
        "shippingInfo[0].shippingCompany",
    )
    .await;
    let info = json!({ "trackingNumber": "T" });
    assert_refused(
        &h,
        "capture_order",
        with("capture_order", "shippingInfo", json!(vec![info; 501])),
        "shippingInfo",
    )
    .await;
}

#[tokio::test]
async fn the_server_keeps_serving_after_every_refusal() {
    let h = start().await;
    for _ in 0..3 {
        h.err(
            "get_order",
            json!({ "orderId": "../../etc/passwd", "apiHost": "evil.example" }),
        )
        .await;
    }
    let id = h.seed(klarna_mcp::simulator::SeedOrder::new(100, "EUR"));
    h.ok("get_order", json!({ "orderId": id })).await;
}
