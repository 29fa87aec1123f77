//! [`SeedTransaction`]: a settlement transaction placed straight into the
//! ledger, for money movements no Order Management call of the simulator made
//! — a capture in Klarna's Merchant Portal, another system's refund, a fee, a
//! holdback — so tests and demos can show what a merchant's tools did not do.

use time::OffsetDateTime;

use super::kinds::{DetailedType, TransactionType};
use super::ledger::{Transaction, Vat};
use crate::simulator::hosts::{DEFAULT_HOST, canonical_host};
use crate::simulator::normalize_id;
use crate::simulator::shared::Inner;

/// Describes a transaction to seed with [`crate::simulator::Simulator::seed_transaction`].
///
/// When [`SeedTransaction::order`] names an order the simulator holds on the
/// same host, the order's facts (currency, purchase country, merchant
/// references, short order id, purchase date) fill in whatever the seed does
/// not set. The order itself does not change: the ledger learns of a movement,
/// Order Management does not. (For a back-office capture that the order shows
/// too, seed the order with [`crate::simulator::SeedOrder::captured`]: every
/// capture and refund of a seeded order is a transaction as well.)
#[derive(Debug, Clone, PartialEq)]
pub struct SeedTransaction {
    host: String,
    kind: TransactionType,
    detailed_type: Option<DetailedType>,
    amount: i64,
    currency: Option<String>,
    order_id: Option<String>,
    capture_id: Option<String>,
    refund_id: Option<String>,
    purchase_country: Option<String>,
    merchant_reference1: Option<String>,
    at: Option<OffsetDateTime>,
    vat: Option<(i64, i64)>,
    comment: Option<String>,
}

/// The purchase country a currency suggests when no order says otherwise.
fn country_of(currency: &str) -> &'static str {
    match currency {
        "SEK" => "SE",
        "USD" => "US",
        "GBP" => "GB",
        "AUD" => "AU",
        "NOK" => "NO",
        "DKK" => "DK",
        "CHF" => "CH",
        "CAD" => "CA",
        _ => "DE",
    }
}

impl SeedTransaction {
    /// A transaction of `kind` for `amount` minor units (non-negative but for
    /// CORRECTION, whose sign is its direction), on `api.klarna.com`, at
    /// simulated now, for a new random order id, in EUR unless an order or
    /// [`SeedTransaction::currency`] says otherwise. SALE and RETURN get the
    /// detailed types PURCHASE and PURCHASE_RETURN.
    pub fn new(kind: TransactionType, amount: i64) -> Self {
        let detailed_type = match kind {
            TransactionType::Sale => Some(DetailedType::PURCHASE),
            TransactionType::Return => Some(DetailedType::PURCHASE_RETURN),
            _ => None,
        };
        Self {
            host: DEFAULT_HOST.to_owned(),
            kind,
            detailed_type,
            amount,
            currency: None,
            order_id: None,
            capture_id: None,
            refund_id: None,
            purchase_country: None,
            merchant_reference1: None,
            at: None,
            vat: None,
            comment: None,
        }
    }

    /// A capture made outside this simulator's API (e.g. in the Merchant
    /// Portal): a SALE on `order_id` with a new capture id.
    pub fn capture(order_id: &str, amount: i64) -> Self {
        Self::new(TransactionType::Sale, amount)
            .order(order_id)
            .capture_id(&uuid::Uuid::new_v4().to_string())
    }

    /// A refund made outside this simulator's API: a RETURN on `order_id`
    /// with a new refund id.
    pub fn refund(order_id: &str, amount: i64) -> Self {
        let mut seed = Self::new(TransactionType::Return, amount).order(order_id);
        seed.refund_id = Some(uuid::Uuid::new_v4().to_string());
        seed
    }

    /// A Klarna fee on `order_id`, e.g. [`DetailedType::PURCHASE_FEE_PERCENTAGE`].
    pub fn fee(order_id: &str, detailed_type: DetailedType, amount: i64) -> Self {
        Self::new(TransactionType::Fee, amount)
            .order(order_id)
            .detailed_type(detailed_type)
    }

    /// Puts it into the ledger of this Klarna host (default `api.klarna.com`).
    pub fn on_host(mut self, host: &str) -> Self {
        self.host = canonical_host(host).map_or_else(|| host.to_owned(), str::to_owned);
        self
    }

    /// The order it belongs to (see the type's docs for what that fills in).
    pub fn order(mut self, order_id: &str) -> Self {
        self.order_id = Some(normalize_id(order_id));
        self
    }

    /// ISO 4217 currency, instead of the order's (or EUR).
    pub fn currency(mut self, currency: &str) -> Self {
        self.currency = Some(currency.to_ascii_uppercase());
        self
    }

    /// The detailed type.
    pub fn detailed_type(mut self, detailed_type: DetailedType) -> Self {
        self.detailed_type = Some(detailed_type);
        self
    }

    /// The capture it belongs to (a SALE's own capture, or the capture a fee is for).
    pub fn capture_id(mut self, capture_id: &str) -> Self {
        self.capture_id = Some(capture_id.to_owned());
        self
    }

    /// Purchase country (ISO 3166-1 alpha-2), instead of the order's or the currency's.
    pub fn purchase_country(mut self, country: &str) -> Self {
        self.purchase_country = Some(country.to_ascii_uppercase());
        self
    }

    /// `merchant_reference1`, instead of the order's.
    pub fn merchant_reference(mut self, reference: &str) -> Self {
        self.merchant_reference1 = Some(reference.to_owned());
        self
    }

    /// When Klarna registered it (its `capture_date`), instead of simulated
    /// now; a payout run only settles transactions registered by its cut-off.
    pub fn at(mut self, at: OffsetDateTime) -> Self {
        self.at = Some(at);
        self
    }

    /// VAT on a fee: `rate` in basis points (2500 = 25 %), `amount` in minor units.
    pub fn vat(mut self, rate: i64, amount: i64) -> Self {
        self.vat = Some((rate, amount));
        self
    }

    /// `klarna_comment`: what Klarna says about it.
    pub fn comment(mut self, text: &str) -> Self {
        self.comment = Some(text.to_owned());
        self
    }

    /// The transaction, with facts from the order `inner` holds, if any.
    pub(crate) fn build(self, inner: &Inner, now: OffsetDateTime) -> Transaction {
        let at = self.at.unwrap_or(now);
        let order_id = self
            .order_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let order = inner.orders.get(&order_id).filter(|o| o.host == self.host);
        let mut tx = match order {
            Some(order) => Transaction::on_order(order, self.kind, None, self.amount, at),
            None => {
                let currency = self.currency.clone().unwrap_or_else(|| "EUR".to_owned());
                let country = country_of(&currency);
                Transaction::without_order(
                    &self.host,
                    self.kind,
                    self.amount,
                    &currency,
                    &order_id,
                    country,
                    at,
                )
            }
        };
        tx.detailed_type = self.detailed_type;
        tx.capture_id = self.capture_id;
        tx.refund_id = self.refund_id;
        if let Some(currency) = self.currency {
            tx.currency = currency;
        }
        if let Some(country) = self.purchase_country {
            tx.purchase_country = country;
        }
        if self.merchant_reference1.is_some() {
            tx.merchant_reference1 = self.merchant_reference1;
        }
        tx.vat = self.vat.map(|(rate, amount)| Vat { rate, amount });
        tx.comment = self.comment;
        tx
    }
}
