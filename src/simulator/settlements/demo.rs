//! The demo's settlement history: a few orders placed ten days ago, captured
//! (one refunded), charged Klarna's purchase fee and paid out seven days ago,
//! one payout on the EU host and one on the NA host, so `--demo` has payouts
//! to show. The demo orders' own captures and refunds stay unsettled: they are
//! what "pending settlement" looks like.

use time::{Duration, OffsetDateTime, Time};

use super::kinds::DetailedType;
use crate::simulator::seed::SeedOrder;
use crate::simulator::shared::Inner;

/// One past payout in the demo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoPayout {
    /// Its payment reference (fixed).
    pub payment_reference: &'static str,
    /// The Klarna host whose Settlements API shows it.
    pub host: &'static str,
    /// ISO 4217.
    pub currency: &'static str,
    /// What was paid out, in minor units.
    pub settlement_amount: i64,
    /// Its contents in one line, for humans.
    pub summary: &'static str,
}

const DEMO_PAYOUTS: &[DemoPayout] = &[
    DemoPayout {
        payment_reference: "DEMOEU01",
        host: "api.klarna.com",
        currency: "EUR",
        settlement_amount: 14_379,
        summary: "paid out 7 days ago on api.klarna.com: sales 174.00 EUR (orders …101 hiking backpack 149.00, …102 water bottle 25.00), return 25.00 EUR (order …102, refunded in full), purchase fees 5.21 EUR; 143.79 EUR paid",
    },
    DemoPayout {
        payment_reference: "DEMONA01",
        host: "api-na.klarna.com",
        currency: "USD",
        settlement_amount: 6_286,
        summary: "paid out 7 days ago on api-na.klarna.com: sale 65.00 USD (order …111 camping chair), purchase fee 2.14 USD; 62.86 USD paid",
    },
];

/// The past payouts the demo seeds (see [`crate::simulator::Simulator::seed_demo_orders`]).
pub fn demo_payouts() -> &'static [DemoPayout] {
    DEMO_PAYOUTS
}

/// An order behind a demo payout.
struct Settled {
    number: u16,
    item: &'static str,
    sku: &'static str,
    amount: i64,
    refunded: i64,
    fee: i64,
    given: &'static str,
    family: &'static str,
}

/// The orders of each demo payout, by payment reference.
fn settled_orders(reference: &str) -> Vec<Settled> {
    match reference {
        "DEMOEU01" => vec![
            Settled {
                number: 101,
                item: "Hiking backpack",
                sku: "PACK-30",
                amount: 14_900,
                refunded: 0,
                fee: 446,
                given: "Nina",
                family: "Demo-Historie",
            },
            Settled {
                number: 102,
                item: "Steel water bottle",
                sku: "BOTTLE-02",
                amount: 2_500,
                refunded: 2_500,
                fee: 75,
                given: "Paul",
                family: "Demo-Retoure",
            },
        ],
        "DEMONA01" => vec![Settled {
            number: 111,
            item: "Camping chair",
            sku: "CHAIR-01",
            amount: 6_500,
            refunded: 0,
            fee: 214,
            given: "Amy",
            family: "Demo-History",
        }],
        _ => Vec::new(),
    }
}

/// Seeds each demo payout that is not there yet: its orders (placed ten days
/// before simulated now), their transactions and fees, and the payout (seven
/// days ago at 06:00 UTC). Seeding again changes nothing: money paid out
/// stays paid out.
pub(crate) fn seed(inner: &mut Inner) {
    let now = inner.now();
    let placed = now.saturating_sub(Duration::days(10));
    let paid_day = now.saturating_sub(Duration::days(7)).date();
    let paid = OffsetDateTime::new_utc(paid_day, Time::MIDNIGHT).saturating_add(Duration::hours(6));
    for payout in DEMO_PAYOUTS {
        if inner.ledger.has_reference(payout.payment_reference) {
            continue;
        }
        let mut ids = Vec::new();
        for o in settled_orders(payout.payment_reference) {
            let mut seed = SeedOrder::new(o.amount, payout.currency)
                .id(&format!("0d3f1a2e-0000-4000-8000-000000000{:03}", o.number))
                .on_host(payout.host)
                .klarna_reference(&format!("DEMO0{:03}", o.number))
                .merchant_reference(&format!("DEMO-1{:03}", o.number))
                .customer(
                    o.given,
                    o.family,
                    &format!("{}@example.com", o.given.to_lowercase()),
                )
                .line(o.item, o.sku, 1, o.amount)
                .captured(o.amount);
            if o.refunded > 0 {
                seed = seed.refunded(o.refunded);
            }
            let order = seed.build(placed);
            let id = order.order_id.clone();
            let capture = order
                .captures
                .first()
                .map(|c| (c.capture_id.clone(), c.captured_at));
            inner.insert_seeded_order(order);
            if let Some((capture_id, captured_at)) = capture {
                inner.post_fee(
                    &id,
                    Some(&capture_id),
                    DetailedType::PURCHASE_FEE_PERCENTAGE,
                    o.fee,
                    captured_at,
                );
            }
            ids.push(id);
        }
        inner.ledger.pay_out(
            payout.host,
            payout.currency,
            paid,
            Some(payout.payment_reference.to_owned()),
            |tx| ids.contains(&tx.order_id),
        );
    }
}
