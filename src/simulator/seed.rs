//! [`SeedOrder`]: a builder for orders placed directly into the simulator.

use rand::seq::IndexedRandom;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::hosts::{DEFAULT_HOST, canonical_host};
use super::normalize_id;
use super::order::{Order, Status, authorization_expiry};
use super::rules::{self, CaptureRequest, RefundRequest};

/// Describes an order to seed with [`super::Simulator::seed`].
///
/// History steps (`captured`, `refunded`, `cancelled`, `released`) are applied
/// in call order through the real state machine, so the result is always a
/// state the API could have produced; a step the state machine refuses (e.g.
/// refunding more than was captured) is skipped with a `tracing` warning.
/// `expired` and `closed` apply last, whatever the call order.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedOrder {
    order_id: Option<String>,
    host: String,
    purchase_country: Option<String>,
    order_amount: i64,
    currency: String,
    fraud_status: String,
    lines: Vec<SeedLine>,
    steps: Vec<Step>,
    expired: bool,
    closed: bool,
    merchant_reference1: Option<String>,
    merchant_reference2: Option<String>,
    klarna_reference: Option<String>,
    customer: Option<(String, String, String)>,
    placed_days_ago: Option<u32>,
    payment_method: Option<(String, String)>,
    klarna_checkout: bool,
    refuses_increase: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct SeedLine {
    name: String,
    reference: String,
    quantity: i64,
    unit_price: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Capture(i64),
    Refund(i64),
    Cancel,
    Release,
}

/// Market data derived from the currency: (country, locale, tax rate in basis points).
fn market(currency: &str) -> (&'static str, &'static str, i64) {
    match currency.to_ascii_uppercase().as_str() {
        "SEK" => ("SE", "sv-SE", 2500),
        "USD" => ("US", "en-US", 0),
        "GBP" => ("GB", "en-GB", 2000),
        "AUD" => ("AU", "en-AU", 1000),
        _ => ("DE", "de-DE", 1900),
    }
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map<_, _>>(),
    )
}

fn random_reference() -> String {
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..8)
        .filter_map(|_| CHARS.choose(&mut rng).map(|c| char::from(*c)))
        .collect()
}

impl SeedLine {
    fn total(&self) -> i64 {
        self.quantity.saturating_mul(self.unit_price)
    }

    fn to_value(&self, tax_rate: i64) -> Value {
        let total = self.total();
        let tax = total.saturating_sub(total.saturating_mul(10_000) / (10_000 + tax_rate));
        object(vec![
            ("reference", self.reference.clone().into()),
            ("type", "physical".into()),
            ("quantity", self.quantity.into()),
            ("quantity_unit", "pcs".into()),
            ("name", self.name.clone().into()),
            ("total_amount", total.into()),
            ("unit_price", self.unit_price.into()),
            ("total_discount_amount", 0.into()),
            ("tax_rate", tax_rate.into()),
            ("total_tax_amount", tax.into()),
        ])
    }
}

/// Fake but complete address for `country`.
fn address(country: &str, given: &str, family: &str, email: &str) -> Value {
    let (street, postal, city, region, phone) = match country {
        "SE" => (
            "Testgatan 1",
            "111 22",
            "Stockholm",
            None,
            "+46 70 000 00 00",
        ),
        "US" => (
            "1 Example Street",
            "10001",
            "New York",
            Some("NY"),
            "+1 555 010 0000",
        ),
        "AU" => (
            "1 Example Parade",
            "2000",
            "Sydney",
            Some("NSW"),
            "+61 400 000 000",
        ),
        "GB" => (
            "1 Example Road",
            "SW1A 1AA",
            "London",
            None,
            "+44 7700 900000",
        ),
        _ => ("Musterstraße 1", "10115", "Berlin", None, "+49 30 0000000"),
    };
    let mut fields = vec![
        ("given_name", given.into()),
        ("family_name", family.into()),
        ("email", email.into()),
        ("phone", phone.into()),
        ("street_address", street.into()),
        ("postal_code", postal.into()),
        ("city", city.into()),
        ("country", country.into()),
    ];
    if let Some(r) = region {
        fields.push(("region", r.into()));
    }
    object(fields)
}

impl SeedOrder {
    /// AUTHORIZED, fraud ACCEPTED, random v4 id, on `api.klarna.com`, one
    /// order line totalling `order_amount`; purchase country from the currency
    /// (EUR→DE, SEK→SE, USD→US, GBP→GB, AUD→AU, anything else→DE).
    pub fn new(order_amount: i64, currency: &str) -> Self {
        Self {
            order_id: None,
            host: DEFAULT_HOST.to_owned(),
            purchase_country: None,
            order_amount,
            currency: currency.to_ascii_uppercase(),
            fraud_status: "ACCEPTED".to_owned(),
            lines: Vec::new(),
            steps: Vec::new(),
            expired: false,
            closed: false,
            merchant_reference1: None,
            merchant_reference2: None,
            klarna_reference: None,
            customer: None,
            placed_days_ago: None,
            payment_method: None,
            klarna_checkout: false,
            refuses_increase: false,
        }
    }

    /// Uses this order id. UUIDs are stored in lower-case hyphenated form; any
    /// other string is stored as is, and every route answers 400 for it.
    pub fn id(mut self, order_id: &str) -> Self {
        self.order_id = Some(order_id.to_owned());
        self
    }

    /// Puts the order on this Klarna host (default `api.klarna.com`), e.g.
    /// `"api-na.klarna.com"`. Every other host answers 404 `NO_SUCH_ORDER` for
    /// it, as Klarna does for an order it does not know. A host that is not one
    /// of [`super::API_HOSTS`] makes the order unreachable.
    pub fn on_host(mut self, host: &str) -> Self {
        self.host = canonical_host(host).map_or_else(|| host.to_owned(), str::to_owned);
        self
    }

    /// Uses this purchase country (ISO 3166-1 alpha-2) instead of the one the
    /// currency suggests, e.g. a `US` purchase on the EU host.
    pub fn purchase_country(mut self, country: &str) -> Self {
        self.purchase_country = Some(country.to_ascii_uppercase());
        self
    }

    /// `ACCEPTED`, `PENDING` or `REJECTED`.
    pub fn fraud_status(mut self, s: &str) -> Self {
        self.fraud_status = s.to_owned();
        self
    }

    /// Adds an order line; the first call replaces the default line. The order
    /// amount stays as given to [`SeedOrder::new`], so make the lines add up.
    pub fn line(mut self, name: &str, reference: &str, quantity: i64, unit_price: i64) -> Self {
        self.lines.push(SeedLine {
            name: name.to_owned(),
            reference: reference.to_owned(),
            quantity,
            unit_price,
        });
        self
    }

    /// Adds a capture (status becomes PART_CAPTURED or CAPTURED). When the amount
    /// equals the next not-yet-captured lines exactly, the capture carries them.
    pub fn captured(mut self, amount: i64) -> Self {
        self.steps.push(Step::Capture(amount));
        self
    }

    /// Adds a refund, allocated to captures FIFO.
    pub fn refunded(mut self, amount: i64) -> Self {
        self.steps.push(Step::Refund(amount));
        self
    }

    /// Cancels the order (only works while nothing is captured).
    pub fn cancelled(mut self) -> Self {
        self.steps.push(Step::Cancel);
        self
    }

    /// Makes the order 29 days old so its authorization has expired.
    pub fn expired(mut self) -> Self {
        self.expired = true;
        self
    }

    /// Releases the remaining authorization (needs at least one capture).
    pub fn released(mut self) -> Self {
        self.steps.push(Step::Release);
        self
    }

    /// Sets status CLOSED (remaining authorization 0) after all other steps.
    pub fn closed(mut self) -> Self {
        self.closed = true;
        self
    }

    /// Sets `merchant_reference1` (the shop's order number).
    pub fn merchant_reference(mut self, r1: &str) -> Self {
        self.merchant_reference1 = Some(r1.to_owned());
        self
    }

    /// Sets `merchant_reference2`.
    pub fn merchant_reference2(mut self, r2: &str) -> Self {
        self.merchant_reference2 = Some(r2.to_owned());
        self
    }

    /// Uses this `klarna_reference` instead of a random one.
    pub fn klarna_reference(mut self, reference: &str) -> Self {
        self.klarna_reference = Some(reference.to_owned());
        self
    }

    /// Billing and shipping address with these names and e-mail plus a fake
    /// phone number and street address, and `customer.date_of_birth` (and a
    /// fake national id for SE), so personal-data handling can be tested.
    pub fn customer(mut self, given: &str, family: &str, email: &str) -> Self {
        self.customer = Some((given.to_owned(), family.to_owned(), email.to_owned()));
        self
    }

    /// Places the order this many days before simulated now (default: one
    /// hour ago), e.g. 23 for an authorization that ends within five days.
    /// [`SeedOrder::expired`] overrides it.
    pub fn placed_days_ago(mut self, days: u32) -> Self {
        self.placed_days_ago = Some(days);
        self
    }

    /// Uses this `initial_payment_method` (default `INVOICE`, "Pay later in 30
    /// days"). Its type decides what Klarna allows: raising the order amount
    /// (INVOICE, INVOICE_BUSINESS, B2B_INVOICE, ACCOUNT, BASE_ACCOUNT,
    /// DIRECT_DEBIT; FIXED_AMOUNT and DEFERRED_INTEREST in some markets),
    /// extending a due date (pay-later types only), extending the
    /// authorization (not FIXED_SUM_CREDIT in the US).
    pub fn payment_method(mut self, kind: &str, description: &str) -> Self {
        self.payment_method = Some((kind.to_owned(), description.to_owned()));
        self
    }

    /// Marks the order as placed through Klarna Checkout and not yet
    /// acknowledged: `POST …/acknowledge` works only on such orders.
    pub fn klarna_checkout(mut self) -> Self {
        self.klarna_checkout = true;
        self
    }

    /// Klarna's risk assessment refuses every increase of this order's amount
    /// (`PATCH …/authorization` answers 403 `NOT_ALLOWED`); decreases work.
    pub fn refuses_increase(mut self) -> Self {
        self.refuses_increase = true;
        self
    }

    /// Builds the order at simulated time `now`.
    pub(crate) fn build(self, now: OffsetDateTime) -> Order {
        let (market_country, locale, tax_rate) = market(&self.currency);
        let country = self.purchase_country.as_deref().unwrap_or(market_country);
        if canonical_host(&self.host).is_none() {
            tracing::warn!(host = %self.host, "SeedOrder: not a Klarna host; no request can reach this order");
        }
        let created_at = match (self.expired, self.placed_days_ago) {
            (true, _) => now.saturating_sub(time::Duration::days(29)),
            (false, Some(days)) => now.saturating_sub(time::Duration::days(i64::from(days))),
            (false, None) => now.saturating_sub(time::Duration::hours(1)),
        };
        let (method, method_description) = self
            .payment_method
            .clone()
            .unwrap_or_else(|| ("INVOICE".to_owned(), "Pay later in 30 days".to_owned()));
        let lines = if self.lines.is_empty() {
            vec![SeedLine {
                name: "Demo item".to_owned(),
                reference: "SKU-001".to_owned(),
                quantity: 1,
                unit_price: self.order_amount,
            }]
        } else {
            self.lines.clone()
        };
        let (billing, customer) = match &self.customer {
            Some((given, family, email)) => {
                let mut c = vec![("date_of_birth", "1985-04-12".into())];
                if country == "SE" {
                    c.push(("national_identification_number", "198504120000".into()));
                }
                (address(country, given, family, email), Some(object(c)))
            }
            None => (object(vec![("country", country.into())]), None),
        };
        let mut order = Order {
            order_id: normalize_id(
                &self
                    .order_id
                    .clone()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            ),
            host: self.host.clone(),
            status: Status::Authorized,
            fraud_status: self.fraud_status.clone(),
            order_amount: self.order_amount,
            original_order_amount: self.order_amount,
            captured_amount: 0,
            refunded_amount: 0,
            remaining_authorized_amount: self.order_amount,
            purchase_country: country.to_owned(),
            purchase_currency: self.currency.clone(),
            locale: locale.to_owned(),
            order_lines: lines.iter().map(|l| l.to_value(tax_rate)).collect(),
            merchant_reference1: self.merchant_reference1.clone(),
            merchant_reference2: self.merchant_reference2.clone(),
            klarna_reference: self
                .klarna_reference
                .clone()
                .unwrap_or_else(random_reference),
            customer,
            shipping_address: billing.clone(),
            billing_address: billing,
            created_at,
            expires_at: authorization_expiry(created_at),
            captures: Vec::new(),
            refunds: Vec::new(),
            initial_payment_method: object(vec![
                ("type", method.into()),
                ("description", method_description.into()),
            ]),
            shipping_info: Vec::new(),
            klarna_checkout: self.klarna_checkout,
            acknowledged: false,
            increase_refused: self.refuses_increase,
            fees: Vec::new(),
        };
        self.apply_steps(&mut order, &lines, tax_rate);
        if self.closed {
            order.status = Status::Closed;
            order.remaining_authorized_amount = 0;
        }
        order
    }

    fn apply_steps(&self, order: &mut Order, lines: &[SeedLine], tax_rate: i64) {
        let mut next_line = 0usize;
        let mut at = order.created_at;
        for step in &self.steps {
            at = at.saturating_add(time::Duration::minutes(1));
            let result = match *step {
                Step::Capture(amount) => {
                    let mut sum = 0i64;
                    let mut taken = Vec::new();
                    for line in lines.iter().skip(next_line) {
                        if sum >= amount {
                            break;
                        }
                        sum = sum.saturating_add(line.total());
                        taken.push(line.to_value(tax_rate));
                    }
                    let order_lines = if sum == amount && amount > 0 {
                        next_line = next_line.saturating_add(taken.len());
                        taken
                    } else {
                        Vec::new()
                    };
                    let req = CaptureRequest {
                        captured_amount: amount,
                        description: Some("Shipped".to_owned()),
                        order_lines,
                        ..CaptureRequest::default()
                    };
                    rules::capture(order, req, at).map(drop)
                }
                Step::Refund(amount) => {
                    let req = RefundRequest {
                        refunded_amount: amount,
                        description: Some("Returned goods".to_owned()),
                        ..RefundRequest::default()
                    };
                    rules::refund(order, req, at).map(drop)
                }
                Step::Cancel => rules::cancel(order, at),
                Step::Release => rules::release(order, at),
            };
            if let Err(refusal) = result {
                tracing::warn!(order_id = %order.order_id, ?step, message = %refusal.message, "SeedOrder: step skipped");
            }
        }
    }
}
