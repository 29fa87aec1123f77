//! Fixed demo orders for `klarna-mcp --demo` and tests: memorable ids, one per
//! interesting state, each with an obviously fake customer.
//!
//! The credentials below are fake, printed to users on purpose, and only ever
//! accepted by the local simulator.

use super::seed::SeedOrder;

/// API username the demo simulator accepts.
pub const DEMO_USERNAME: &str = "demo-merchant";
/// API password the demo simulator accepts.
pub const DEMO_PASSWORD: &str = "demo-password";

/// One demo order, described for humans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOrder {
    /// The fixed order id.
    pub order_id: &'static str,
    /// Klarna status the order reads as when seeded (e.g. `"PART_CAPTURED"`).
    pub state: &'static str,
    /// Status, currency and amounts in one line.
    pub summary: &'static str,
    /// A tool call worth trying on this order.
    pub try_this: &'static str,
}

const DEMO: &[DemoOrder] = &[
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000001",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, EUR: 105.00 authorized (shoes 80.00 + 2 socks 25.00), nothing captured, 105.00 remaining",
        try_this: "capture_order with amount 10500 (full) or 8000 (just the shoes); or cancel_order",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000002",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, EUR: 49.90 authorized (yoga mat), nothing captured, 49.90 remaining",
        try_this: "cancel_order, then get_order to see CANCELLED",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000003",
        state: "PART_CAPTURED",
        summary: "PART_CAPTURED, EUR: 250.00 authorized, 180.00 captured (tent), 70.00 remaining (sleeping bag)",
        try_this: "release_remaining_authorization (gives up the 70.00), or capture_order with amount 7000",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000004",
        state: "CAPTURED",
        summary: "CAPTURED, EUR: 120.00 captured, 20.00 already refunded, 100.00 refundable",
        try_this: "refund_order with amount up to 10000; get_capture on its capture",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000005",
        state: "CAPTURED",
        summary: "CAPTURED, EUR: 75.00 captured (coffee grinder), nothing refunded",
        try_this: "refund_order with amount 7500 (full) or 2500 (partial)",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000006",
        state: "CANCELLED",
        summary: "CANCELLED, EUR: 30.00 was authorized, nothing captured, 0.00 remaining",
        try_this: "capture_order with amount 3000 (refused: CAPTURE_NOT_ALLOWED, order cancelled)",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000007",
        state: "EXPIRED",
        summary: "EXPIRED, EUR: 60.00 was authorized 29 days ago, nothing captured, authorization lapsed",
        try_this: "capture_order with amount 6000 (refused: CAPTURE_NOT_ALLOWED, order expired)",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000008",
        state: "AUTHORIZED",
        summary: "AUTHORIZED with fraud_status PENDING, EUR: 89.00 authorized, nothing captured",
        try_this: "capture_order with amount 8900 (refused until Klarna accepts the order); cancel_order works",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000009",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, SEK: 1499.00 authorized (coffee maker 1299.00 + 2 filter packs 200.00), nothing captured",
        try_this: "capture_order with amount 129900 (just the coffee maker) or 149900 (everything)",
    },
    DemoOrder {
        order_id: "0d3f1a2e-0000-4000-8000-000000000010",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, USD: 59.99 authorized (bluetooth speaker), nothing captured",
        try_this: "capture_order with amount 5999, then refund_order and get_capture",
    },
];

/// The demo orders [`super::Simulator::seed_demo_orders`] seeds.
pub fn demo_orders() -> &'static [DemoOrder] {
    DEMO
}

/// Seeds matching [`DEMO`], in the same order.
pub(crate) fn demo_seeds() -> Vec<SeedOrder> {
    let id = |n: u8| format!("0d3f1a2e-0000-4000-8000-0000000000{n:02}");
    let base = |n: u8, amount: i64, currency: &str, given: &str, family: &str| {
        SeedOrder::new(amount, currency)
            .id(&id(n))
            .klarna_reference(&format!("DEMO00{n:02}"))
            .merchant_reference(&format!("DEMO-10{n:02}"))
            .customer(
                given,
                family,
                &format!(
                    "{}.{}@example.com",
                    given.to_lowercase(),
                    family.to_lowercase()
                ),
            )
    };
    vec![
        base(1, 10_500, "EUR", "Erika", "Demo-Mustermann")
            .line("Trail running shoes", "SHOE-42", 1, 8_000)
            .line("Merino socks", "SOCK-01", 2, 1_250),
        base(2, 4_990, "EUR", "Max", "Fakename").line("Yoga mat", "YOGA-01", 1, 4_990),
        base(3, 25_000, "EUR", "Anna", "Beispiel")
            .line("Camping tent", "TENT-02", 1, 18_000)
            .line("Sleeping bag", "SLEEP-01", 1, 7_000)
            .captured(18_000),
        base(4, 12_000, "EUR", "Jonas", "Testmann")
            .line("Wireless headphones", "HEAD-07", 1, 10_000)
            .line("Carrying case", "CASE-07", 1, 2_000)
            .captured(12_000)
            .refunded(2_000),
        base(5, 7_500, "EUR", "Lena", "Platzhalter")
            .line("Coffee grinder", "GRIND-01", 1, 7_500)
            .captured(7_500),
        base(6, 3_000, "EUR", "Tom", "Dummy")
            .line("Paper notebook", "NOTE-03", 3, 1_000)
            .cancelled(),
        base(7, 6_000, "EUR", "Sara", "Example")
            .line("Desk lamp", "LAMP-01", 1, 6_000)
            .expired(),
        base(8, 8_900, "EUR", "Pat", "Pending")
            .line("Smartwatch", "WATCH-01", 1, 8_900)
            .fraud_status("PENDING"),
        base(9, 149_900, "SEK", "Sven", "Svensson-Demo")
            .line("Kaffebryggare", "KAFFE-01", 1, 129_900)
            .line("Kaffefilter", "FILTER-01", 2, 10_000),
        base(10, 5_999, "USD", "John", "Doe-Demo").line("Bluetooth speaker", "SPKR-01", 1, 5_999),
    ]
}
