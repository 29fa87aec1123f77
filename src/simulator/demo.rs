//! Fixed demo orders for `klarna-mcp --demo` and tests: memorable ids, one per
//! interesting state or operation, each with an obviously fake customer; most
//! on the EU production host, a few on the other regions and on a playground
//! host. Orders 15 to 19 show the operations beyond capture, refund, cancel
//! and release: an authorization about to lapse, a capture without tracking, a
//! Klarna Checkout order to acknowledge, a due-date extension and its fee, and
//! an amount increase that Klarna's risk assessment refuses.
//!
//! The credentials below are fake, printed to users on purpose, and only ever
//! accepted by the local simulator. None of them starts like a live Klarna key.

use super::auth::SimCredential;
use super::seed::SeedOrder;

/// API username the demo simulator accepts on `api.klarna.com`.
pub const DEMO_USERNAME: &str = "demo-merchant";
/// API password the demo simulator accepts on `api.klarna.com`.
pub const DEMO_PASSWORD: &str = "demo-password";

/// One demo login: which host accepts it, and with what.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DemoCredential {
    /// The Klarna host that accepts it.
    pub host: &'static str,
    /// The API username; `None` for an API key sent on its own
    /// (`Authorization: Basic <key>`).
    pub username: Option<&'static str>,
    /// The password, or the API key.
    pub secret: &'static str,
}

impl std::fmt::Debug for DemoCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Fake values, but the habit matters: secrets stay out of debug output.
        f.debug_struct("DemoCredential")
            .field("host", &self.host)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl From<&DemoCredential> for SimCredential {
    fn from(c: &DemoCredential) -> Self {
        match c.username {
            Some(username) => SimCredential::new(c.host, username, c.secret),
            None => SimCredential::api_key(c.host, c.secret),
        }
    }
}

/// Production hosts log in with a username and password, playground hosts with
/// an API key alone (the form Klarna documents for `klarna_test_api_…` keys).
const CREDENTIALS: &[DemoCredential] = &[
    DemoCredential {
        host: "api.klarna.com",
        username: Some(DEMO_USERNAME),
        secret: DEMO_PASSWORD,
    },
    DemoCredential {
        host: "api-na.klarna.com",
        username: Some("demo-merchant-na"),
        secret: "demo-password-na",
    },
    DemoCredential {
        host: "api-oc.klarna.com",
        username: Some("demo-merchant-oc"),
        secret: "demo-password-oc",
    },
    DemoCredential {
        host: "api.playground.klarna.com",
        username: None,
        secret: "klarna_test_api_DEMO_eu_playground_not_a_real_key",
    },
    DemoCredential {
        host: "api-na.playground.klarna.com",
        username: None,
        secret: "klarna_test_api_DEMO_na_playground_not_a_real_key",
    },
    DemoCredential {
        host: "api-oc.playground.klarna.com",
        username: None,
        secret: "klarna_test_api_DEMO_oc_playground_not_a_real_key",
    },
];

/// The login the demo simulator accepts on each of Klarna's six hosts, in the
/// order of [`super::API_HOSTS`].
pub fn demo_credentials() -> &'static [DemoCredential] {
    CREDENTIALS
}

/// The demo login for `host`, if `host` is one of the six.
pub fn demo_credential(host: &str) -> Option<&'static DemoCredential> {
    CREDENTIALS
        .iter()
        .find(|c| c.host.eq_ignore_ascii_case(host))
}

/// One demo order, described for humans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOrder {
    /// The fixed order id.
    pub order_id: &'static str,
    /// The Klarna host the order lives on (the only one that finds it).
    pub host: &'static str,
    /// Klarna status the order reads as when seeded (e.g. `"PART_CAPTURED"`).
    pub state: &'static str,
    /// Status, currency and amounts in one line, plus the host when it is not
    /// `api.klarna.com` (and the region mismatch of a US purchase on the EU host).
    pub summary: &'static str,
    /// A tool call worth trying on this order.
    pub try_this: &'static str,
}

const EU: &str = "api.klarna.com";
const NA: &str = "api-na.klarna.com";
const OC: &str = "api-oc.klarna.com";
const EU_PLAYGROUND: &str = "api.playground.klarna.com";

const DEMO: &[DemoOrder] = &[
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000001",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, EUR: 105.00 authorized (shoes 80.00 + 2 socks 25.00), nothing captured, 105.00 remaining",
        try_this: "capture_order with amount 10500 (full) or 8000 (just the shoes); or cancel_order",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000002",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, EUR: 49.90 authorized (yoga mat), nothing captured, 49.90 remaining",
        try_this: "cancel_order, then get_order to see CANCELLED",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000003",
        state: "PART_CAPTURED",
        summary: "PART_CAPTURED, EUR: 250.00 authorized, 180.00 captured (tent), 70.00 remaining (sleeping bag)",
        try_this: "release_remaining_authorization (gives up the 70.00), or capture_order with amount 7000",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000004",
        state: "CAPTURED",
        summary: "CAPTURED, EUR: 120.00 captured, 20.00 already refunded, 100.00 refundable",
        try_this: "refund_order with amount up to 10000; get_capture on its capture",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000005",
        state: "CAPTURED",
        summary: "CAPTURED, EUR: 75.00 captured (coffee grinder), nothing refunded",
        try_this: "refund_order with amount 7500 (full) or 2500 (partial)",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000006",
        state: "CANCELLED",
        summary: "CANCELLED, EUR: 30.00 was authorized, nothing captured, 0.00 remaining",
        try_this: "capture_order with amount 3000 (refused: CAPTURE_NOT_ALLOWED, order cancelled)",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000007",
        state: "EXPIRED",
        summary: "EXPIRED, EUR: 60.00 was authorized 29 days ago, nothing captured, authorization lapsed",
        try_this: "capture_order with amount 6000 (refused: CAPTURE_NOT_ALLOWED, order expired)",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000008",
        state: "AUTHORIZED",
        summary: "AUTHORIZED with fraud_status PENDING, EUR: 89.00 authorized, nothing captured",
        try_this: "capture_order with amount 8900 (refused until Klarna accepts the order); cancel_order works",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000009",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, SEK: 1499.00 authorized (coffee maker 1299.00 + 2 filter packs 200.00), nothing captured",
        try_this: "capture_order with amount 129900 (just the coffee maker) or 149900 (everything)",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000010",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, USD: 59.99 authorized (bluetooth speaker), nothing captured; a US purchase on the EU host api.klarna.com, although US orders belong on api-na.klarna.com",
        try_this: "capture_order with amount 5999, then refund_order and get_capture",
    },
    DemoOrder {
        host: NA,
        order_id: "0d3f1a2e-0000-4000-8000-000000000011",
        state: "AUTHORIZED",
        summary: "AUTHORIZED on api-na.klarna.com, USD: 129.00 authorized (rain jacket 99.00 + beanie 30.00), nothing captured",
        try_this: "get_order with apiHost api-na.klarna.com, then capture_order with amount 12900 (everything) or 9900 (just the jacket)",
    },
    DemoOrder {
        host: NA,
        order_id: "0d3f1a2e-0000-4000-8000-000000000012",
        state: "CAPTURED",
        summary: "CAPTURED on api-na.klarna.com, USD: 45.00 captured (board game), nothing refunded",
        try_this: "refund_order with apiHost api-na.klarna.com and amount 4500 (full) or 1500 (partial)",
    },
    DemoOrder {
        host: OC,
        order_id: "0d3f1a2e-0000-4000-8000-000000000013",
        state: "AUTHORIZED",
        summary: "AUTHORIZED on api-oc.klarna.com, AUD: 89.95 authorized (surfboard leash 59.95 + 2 bars of wax 30.00), nothing captured",
        try_this: "capture_order with apiHost api-oc.klarna.com and amount 8995 (everything) or 5995 (just the leash); or cancel_order",
    },
    DemoOrder {
        host: EU_PLAYGROUND,
        order_id: "0d3f1a2e-0000-4000-8000-000000000014",
        state: "AUTHORIZED",
        summary: "AUTHORIZED on the playground (test) host api.playground.klarna.com, EUR: 19.99 authorized (test mug), nothing captured",
        try_this: "get_order with apiHost api.playground.klarna.com, then capture_order with amount 1999",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000015",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, EUR: 149.00 authorized (made-to-order bookshelf), placed 23 days ago: the authorization ends within 5 days",
        try_this: "extend_authorization_time, then get_order to see the later expires_at; update_merchant_references works here too",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000016",
        state: "CAPTURED",
        summary: "CAPTURED, EUR: 349.00 captured (standing desk), its capture has no tracking yet",
        try_this: "add_shipping_info on its capture (e.g. carrier DHL DE, a tracking number), then resend_customer_communication",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000017",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, EUR: 29.00 authorized (2 espresso cups), placed through Klarna Checkout and not yet acknowledged",
        try_this: "acknowledge_order, then capture_order with amount 2900; update_customer_details changes the shipping address",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000018",
        state: "CAPTURED",
        summary: "CAPTURED, EUR: 199.00 captured (winter coat), paid later by invoice: its due date can be extended for a fee",
        try_this: "get_due_date_extension_options on its capture (7, 14 or 30 days for 1.95, 2.95 or 4.95 EUR), then extend_due_date",
    },
    DemoOrder {
        host: EU,
        order_id: "0d3f1a2e-0000-4000-8000-000000000019",
        state: "AUTHORIZED",
        summary: "AUTHORIZED, EUR: 120.00 authorized (gaming chair), nothing captured; Klarna's risk assessment refuses any increase",
        try_this: "update_order_amount to 15000 (refused: NOT_ALLOWED, risk assessment) or to 10000 (a decrease works)",
    },
];

/// The demo orders [`super::Simulator::seed_demo_orders`] seeds.
pub fn demo_orders() -> &'static [DemoOrder] {
    DEMO
}

/// Seeds matching [`DEMO`], in the same order (each on its [`DemoOrder::host`]).
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
        base(11, 12_900, "USD", "Jane", "Sample-Demo")
            .on_host(NA)
            .line("Rain jacket", "JACKET-05", 1, 9_900)
            .line("Beanie", "BEANIE-02", 1, 3_000),
        base(12, 4_500, "USD", "Mike", "Placeholder-Demo")
            .on_host(NA)
            .line("Board game", "GAME-12", 1, 4_500)
            .captured(4_500),
        base(13, 8_995, "AUD", "Olivia", "Fakesurname")
            .on_host(OC)
            .line("Surfboard leash", "LEASH-01", 1, 5_995)
            .line("Surfboard wax", "WAX-03", 2, 1_500),
        base(14, 1_999, "EUR", "Tess", "Playground")
            .on_host(EU_PLAYGROUND)
            .line("Test mug", "MUG-01", 1, 1_999),
        base(15, 14_900, "EUR", "Nora", "Waitlong")
            .line("Bookshelf, made to order", "SHELF-01", 1, 14_900)
            .placed_days_ago(23),
        base(16, 34_900, "EUR", "Paul", "Notracking")
            .line("Standing desk", "DESK-01", 1, 34_900)
            .captured(34_900),
        base(17, 2_900, "EUR", "Kim", "Checkout-Demo")
            .line("Espresso cup", "CUP-06", 2, 1_450)
            .klarna_checkout(),
        base(18, 19_900, "EUR", "Eva", "Duedate")
            .line("Winter coat", "COAT-03", 1, 19_900)
            .captured(19_900),
        base(19, 12_000, "EUR", "Leo", "Riskcheck")
            .line("Gaming chair", "CHAIR-01", 1, 12_000)
            .refuses_increase(),
    ]
}
