//! Cancel and release-remaining-authorization.

use klarna_mcp::simulator::SeedOrder;

use crate::common::{Api, assert_refused};

const CANCEL: &str = "/cancel";
const RELEASE: &str = "/release-remaining-authorization";

#[tokio::test]
async fn cancel_authorized_order() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(5_000, "EUR"));
    let resp = api.post(&id, CANCEL, None, None).await;
    assert_eq!(resp.status(), 204);
    assert!(resp.bytes().await.unwrap().is_empty());
    let o = api.get_json(&id, "").await;
    assert_eq!(o["status"], "CANCELLED");
    assert_eq!(o["remaining_authorized_amount"], 0);
    let again = "Order is already cancelled. Cancel not possible.";
    assert_refused(
        api.post(&id, CANCEL, None, None).await,
        "CANCEL_NOT_ALLOWED",
        again,
    )
    .await;
    // A pending-fraud order can be cancelled.
    let pending = api
        .sim
        .seed(SeedOrder::new(5_000, "EUR").fraud_status("PENDING"));
    assert_eq!(api.post(&pending, CANCEL, None, None).await.status(), 204);
}

#[tokio::test]
async fn cancel_refusals() {
    let api = Api::new().await;
    let captured = "Order has previous captures. Cancel not possible.";
    for seed in [
        SeedOrder::new(5_000, "EUR").captured(1_000),
        SeedOrder::new(5_000, "EUR").captured(5_000),
        SeedOrder::new(5_000, "EUR").captured(1_000).released(),
    ] {
        let id = api.sim.seed(seed);
        assert_refused(
            api.post(&id, CANCEL, None, None).await,
            "CANCEL_NOT_ALLOWED",
            captured,
        )
        .await;
    }
    let expired = api.sim.seed(SeedOrder::new(5_000, "EUR").expired());
    let msg = "Order has expired. Cancel not possible.";
    assert_refused(
        api.post(&expired, CANCEL, None, None).await,
        "CANCEL_NOT_ALLOWED",
        msg,
    )
    .await;
    let closed = api.sim.seed(SeedOrder::new(5_000, "EUR").closed());
    let msg = "Order is closed. Cancel not possible.";
    assert_refused(
        api.post(&closed, CANCEL, None, None).await,
        "CANCEL_NOT_ALLOWED",
        msg,
    )
    .await;
}

#[tokio::test]
async fn release_part_captured_order() {
    let api = Api::new().await;
    let id = api.sim.seed(SeedOrder::new(10_000, "EUR").captured(4_000));
    let resp = api.post(&id, RELEASE, None, None).await;
    assert_eq!(resp.status(), 204);
    let s = api.sim.snapshot(&id).unwrap();
    assert_eq!(
        (
            s.status.as_str(),
            s.captured_amount,
            s.remaining_authorized_amount
        ),
        ("CAPTURED", 4_000, 0)
    );
    let over =
        "Captured amount is higher than the remaining authorized amount. Capture not possible.";
    assert_refused(api.capture(&id, 1).await, "CAPTURE_NOT_ALLOWED", over).await;
    let full = "Order is fully captured. Remaining authorization cannot be released.";
    assert_refused(
        api.post(&id, RELEASE, None, None).await,
        "NOT_ALLOWED",
        full,
    )
    .await;
}

#[tokio::test]
async fn release_refusals() {
    let api = Api::new().await;
    let cases = [
        (
            SeedOrder::new(5_000, "EUR"),
            "Order has no captures. Remaining authorization cannot be released; cancel the order instead.",
        ),
        (
            SeedOrder::new(5_000, "EUR").cancelled(),
            "Order is cancelled. Remaining authorization cannot be released.",
        ),
        (
            SeedOrder::new(5_000, "EUR").captured(5_000),
            "Order is fully captured. Remaining authorization cannot be released.",
        ),
        (
            SeedOrder::new(5_000, "EUR").captured(1_000).expired(),
            "Order has expired. Remaining authorization cannot be released.",
        ),
        (
            SeedOrder::new(5_000, "EUR").captured(1_000).closed(),
            "Order is closed. Remaining authorization cannot be released.",
        ),
    ];
    for (seed, message) in cases {
        let id = api.sim.seed(seed);
        let before = api.sim.snapshot(&id).unwrap();
        assert_refused(
            api.post(&id, RELEASE, None, None).await,
            "NOT_ALLOWED",
            message,
        )
        .await;
        assert_eq!(api.sim.snapshot(&id).unwrap(), before);
    }
}

/// Klarna's SDKs send cancel and release with `Content-Type: application/json`
/// and an empty body; a client may also send no content type at all.
#[tokio::test]
async fn bodiless_posts_are_accepted_with_or_without_a_json_content_type() {
    let api = Api::new().await;
    for with_type in [true, false] {
        let cancel = api.sim.seed(SeedOrder::new(5_000, "EUR"));
        let release = api.sim.seed(SeedOrder::new(5_000, "EUR").captured(1_000));
        for (id, suffix, status) in [
            (&cancel, CANCEL, "CANCELLED"),
            (&release, RELEASE, "CAPTURED"),
        ] {
            let mut req = api
                .client
                .post(api.order_url(id, suffix))
                .basic_auth(crate::common::USER, Some(crate::common::PASS));
            if with_type {
                req = req.header("Content-Type", "application/json").body("");
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 204, "{suffix} with_type={with_type}");
            assert_eq!(api.sim.snapshot(id).unwrap().status, status);
        }
    }
    let log = api.sim.requests();
    let types: Vec<Option<&str>> = log.iter().map(|r| r.content_type.as_deref()).collect();
    assert_eq!(
        types,
        vec![
            Some("application/json"),
            Some("application/json"),
            None,
            None
        ]
    );
    assert!(log.iter().all(|r| r.body.is_none()));
}
