//! `Klarna-Idempotency-Key` replay semantics.

use std::time::Duration;

use klarna_mcp::simulator::SeedOrder;
use reqwest::Response;
use serde_json::json;

use crate::common::{Api, header, klarna_error};

async fn parts(resp: Response) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let status = resp.status().as_u16();
    let mut headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(n, _)| n.as_str() != "date")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn same_key_replays_the_first_capture_exactly() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let first = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 1_000})),
            Some("k1"),
        )
        .await;
    assert_eq!(first.status(), 201);
    let first = parts(first).await;
    // A different body is ignored: the key alone decides.
    let second = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 9_000})),
            Some("k1"),
        )
        .await;
    assert_eq!(parts(second).await, first);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!((s.captures.len(), s.captured_amount), (1, 1_000));
    // A new key is a new capture; no key applies every time.
    assert_eq!(
        api.post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 1_000})),
            Some("k2")
        )
        .await
        .status(),
        201
    );
    assert_eq!(api.capture(&id, 1_000).await.status(), 201);
    assert_eq!(api.capture(&id, 1_000).await.status(), 201);
    assert_eq!(api.sim.snapshot(&id).unwrap().captured_amount, 4_000);
}

#[tokio::test]
async fn refusals_are_replayed_too() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let refund = || {
        api.post(
            &id,
            "/refunds",
            Some(json!({"refunded_amount": 500})),
            Some("r1"),
        )
    };
    let (status, code, _) = klarna_error(refund().await).await;
    assert_eq!((status, code.as_str()), (403, "REFUND_NOT_ALLOWED"));
    assert_eq!(api.capture(&id, 10_000).await.status(), 201);
    // Same key: the stored 403 comes back even though a refund would work now.
    let (status, code, _) = klarna_error(refund().await).await;
    assert_eq!((status, code.as_str()), (403, "REFUND_NOT_ALLOWED"));
    let fresh = api
        .post(
            &id,
            "/refunds",
            Some(json!({"refunded_amount": 500})),
            Some("r2"),
        )
        .await;
    assert_eq!(fresh.status(), 201);
    let rid = header(&fresh, "refund-id").unwrap();
    let again = api
        .post(
            &id,
            "/refunds",
            Some(json!({"refunded_amount": 500})),
            Some("r2"),
        )
        .await;
    assert_eq!(header(&again, "refund-id").unwrap(), rid);
    assert_eq!(api.sim.snapshot(&id).unwrap().refunded_amount, 500);
}

#[tokio::test]
async fn keys_are_scoped_per_path() {
    let api = Api::new().await;
    let a = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let b = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let body = Some(json!({"captured_amount": 1_000, "refunded_amount": 100}));
    let ca = api
        .post(&a, "/captures", body.clone(), Some("shared"))
        .await;
    let cb = api
        .post(&b, "/captures", body.clone(), Some("shared"))
        .await;
    assert_eq!((ca.status().as_u16(), cb.status().as_u16()), (201, 201));
    assert_ne!(header(&ca, "capture-id"), header(&cb, "capture-id"));
    // Same key on another operation of the same order is independent as well.
    assert_eq!(
        api.post(&a, "/refunds", body, Some("shared"))
            .await
            .status(),
        201
    );
    assert_eq!(api.sim.snapshot(&a).unwrap().refunded_amount, 100);
    assert_eq!(api.sim.snapshot(&b).unwrap().captured_amount, 1_000);
}

#[tokio::test]
async fn bodiless_posts_replay_204() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    assert_eq!(
        api.post(&id, "/cancel", None, Some("c1")).await.status(),
        204
    );
    assert_eq!(
        api.post(&id, "/cancel", None, Some("c1")).await.status(),
        204
    );
    assert_eq!(api.post(&id, "/cancel", None, None).await.status(), 403);
    let part = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(1_000));
    let release = "/release-remaining-authorization";
    assert_eq!(
        api.post(&part, release, None, Some("x")).await.status(),
        204
    );
    assert_eq!(
        api.post(&part, release, None, Some("x")).await.status(),
        204
    );
    assert_eq!(
        api.post(&part, release, None, Some("y")).await.status(),
        403
    );
}

#[tokio::test]
async fn keys_expire_after_24_simulated_hours() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    let capture = || {
        api.post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 1_000})),
            Some("day"),
        )
    };
    let first = header(&capture().await, "capture-id");
    api.sim.advance_clock(Duration::from_secs(23 * 3600));
    assert_eq!(header(&capture().await, "capture-id"), first);
    api.sim.advance_clock(Duration::from_secs(3600));
    let later = header(&capture().await, "capture-id");
    assert!(later.is_some());
    assert_ne!(later, first);
    assert_eq!(api.sim.snapshot(&id).unwrap().captures.len(), 2);
}

#[tokio::test]
async fn empty_key_counts_as_no_key() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR"));
    for _ in 0..2 {
        let resp = api
            .post(
                &id,
                "/captures",
                Some(json!({"captured_amount": 1_000})),
                Some(""),
            )
            .await;
        assert_eq!(resp.status(), 201);
    }
    assert_eq!(api.sim.snapshot(&id).unwrap().captures.len(), 2);
}

/// Every later POST and PATCH replays its first answer for a key: the change is
/// applied once, a different body is ignored, and a refusal stays a refusal.
#[tokio::test]
async fn the_later_writes_replay_their_first_answer() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(2_000));
    let cid = api.first_capture(&id);
    let refs = "/merchant-references";
    for (value, expected) in [("A", 204), ("B", 204)] {
        let body = json!({ "merchant_reference1": value });
        assert_eq!(
            api.patch(&id, refs, body, Some("m")).await.status(),
            expected
        );
    }
    assert_eq!(
        api.sim
            .snapshot(&id)
            .unwrap()
            .merchant_reference1
            .as_deref(),
        Some("A")
    );
    let customer = "/customer-details";
    for city in ["Hamburg", "Berlin"] {
        let body = json!({ "shipping_address": { "city": city } });
        assert_eq!(
            api.patch(&id, customer, body, Some("c")).await.status(),
            204
        );
    }
    assert_eq!(
        api.get_json(&id, "").await["shipping_address"]["city"],
        "Hamburg"
    );
    let tracking = json!({ "shipping_info": [{ "tracking_number": "1" }] });
    let capture_info = format!("/captures/{cid}/shipping-info");
    let send_out = format!("/captures/{cid}/trigger-send-out");
    let due_date = format!("/captures/{cid}/extend-due-date");
    for _ in 0..2 {
        let calls = [
            api.post(&id, &capture_info, Some(tracking.clone()), Some("s"))
                .await,
            api.post(&id, "/shipping-info", Some(tracking.clone()), Some("o"))
                .await,
            api.post(&id, &send_out, None, Some("t")).await,
            api.patch(&id, &due_date, json!({ "number_of_days": 7 }), Some("d"))
                .await,
            api.post(&id, "/extend-authorization-time", None, Some("e"))
                .await,
        ];
        for resp in calls {
            assert_eq!(resp.status(), 204);
        }
    }
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (
            s.captures[0].shipping_info_count,
            s.shipping_info_count,
            s.captures[0].send_outs,
            s.fees.len()
        ),
        (1, 1, 1, 1)
    );
    // A refused increase stays refused for its key, even with another body.
    let refusing = api
        .sim
        .seed(SeedOrder::new(10_000, "EUR").refuses_increase());
    for amount in [12_000, 9_000] {
        let body = json!({ "order_amount": amount });
        let resp = api
            .patch(&refusing, "/authorization", body, Some("u"))
            .await;
        assert_eq!(resp.status(), 403);
    }
    let body = json!({ "order_amount": 9_000 });
    let resp = api
        .patch(&refusing, "/authorization", body, Some("u2"))
        .await;
    assert_eq!(resp.status(), 204);
    assert_eq!(api.sim.snapshot(&refusing).unwrap().order_amount, 9_000);
    // The same key on another route of the same order is another call.
    let resp = api.post(&id, "/acknowledge", None, Some("m")).await;
    assert_eq!(
        resp.status(),
        403,
        "not a Klarna Checkout order: not a replay"
    );
}
