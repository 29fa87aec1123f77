//! Klarna Order Management wire types (snake_case JSON).
//!
//! Read models are tolerant (see `lenient.rs`): every field is optional, `null` lists read
//! as empty, `1.0` reads as 1, unknown fields and enum values are kept or ignored, since
//! Klarna adds fields and older orders lack some (e.g. `refund_id` in `refunds[]`). Request
//! bodies omit a field only when it is `None`; a `0` or `""` is always sent, because Klarna
//! gives them meaning. Order-line types and shipping methods are one enum each, shared by the
//! tool schemas, their validation and the wire.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#tag/Orders>

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::super::lenient;

/// An order as `GET /ordermanagement/v1/orders/{order_id}` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Order {
    /// Klarna order id (UUID).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub order_id: Option<String>,
    /// AUTHORIZED, PART_CAPTURED, CAPTURED, CANCELLED, EXPIRED or CLOSED.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    /// ACCEPTED, PENDING or REJECTED.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub fraud_status: Option<String>,
    /// Current authorized total (minor units).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub order_amount: Option<i64>,
    /// Total at purchase (minor units).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub original_order_amount: Option<i64>,
    /// Sum of captures (minor units).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub captured_amount: Option<i64>,
    /// Sum of refunds (minor units).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub refunded_amount: Option<i64>,
    /// Still capturable (minor units).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub remaining_authorized_amount: Option<i64>,
    /// ISO 3166-1 alpha-2.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub purchase_country: Option<String>,
    /// ISO 4217.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub purchase_currency: Option<String>,
    /// RFC 1766 locale.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub locale: Option<String>,
    /// Lines of the order.
    #[serde(deserialize_with = "lenient::vec")]
    pub order_lines: Vec<OrderLine>,
    /// Merchant's order number.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub merchant_reference1: Option<String>,
    /// Merchant's internal reference.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub merchant_reference2: Option<String>,
    /// Short customer-facing reference.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub klarna_reference: Option<String>,
    /// Personal data: date of birth, national id.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub customer: Option<serde_json::Value>,
    /// Personal data.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub billing_address: Option<serde_json::Value>,
    /// Personal data.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub shipping_address: Option<serde_json::Value>,
    /// ISO 8601.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_at: Option<String>,
    /// Capture deadline, ISO 8601.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub expires_at: Option<String>,
    /// Captures so far.
    #[serde(deserialize_with = "lenient::vec")]
    pub captures: Vec<Capture>,
    /// Refunds so far.
    #[serde(deserialize_with = "lenient::vec")]
    pub refunds: Vec<Refund>,
    /// Payment method chosen at purchase.
    #[serde(deserialize_with = "lenient::opt_struct")]
    pub initial_payment_method: Option<PaymentMethod>,
    /// Tracking added to the order itself rather than to one of its captures.
    #[serde(deserialize_with = "lenient::vec")]
    pub shipping_info: Vec<ShippingInfo>,
}

/// `initial_payment_method`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentMethod {
    /// E.g. INVOICE, CARD, PAY_LATER_IN_PARTS.
    #[serde(rename = "type", deserialize_with = "lenient::opt_string")]
    pub kind: Option<String>,
    /// Klarna's description.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// For instalment products.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub number_of_installments: Option<i64>,
}

/// A capture (read model).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Capture {
    /// Capture id (UUID).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub capture_id: Option<String>,
    /// Order reference + "-N".
    #[serde(deserialize_with = "lenient::opt_string")]
    pub klarna_reference: Option<String>,
    /// Minor units.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub captured_amount: Option<i64>,
    /// ISO 8601.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub captured_at: Option<String>,
    /// Shown to the customer.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// Merchant's reference (e.g. shipment).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub reference: Option<String>,
    /// Lines captured.
    #[serde(deserialize_with = "lenient::vec")]
    pub order_lines: Vec<OrderLine>,
    /// Refunded against this capture (minor units).
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub refunded_amount: Option<i64>,
    /// Personal data.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub billing_address: Option<serde_json::Value>,
    /// Personal data.
    #[serde(deserialize_with = "lenient::opt_object")]
    pub shipping_address: Option<serde_json::Value>,
    /// Tracking data.
    #[serde(deserialize_with = "lenient::vec")]
    pub shipping_info: Vec<ShippingInfo>,
}

/// A refund (read model).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Refund {
    /// Refund id (UUID); missing on some older orders.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub refund_id: Option<String>,
    /// Minor units.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub refunded_amount: Option<i64>,
    /// ISO 8601.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub refunded_at: Option<String>,
    /// Shown to the customer.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// Merchant's reference.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub reference: Option<String>,
    /// Lines refunded.
    #[serde(deserialize_with = "lenient::vec")]
    pub order_lines: Vec<OrderLine>,
    /// Whether Klarna sent the customer a credit invoice for it.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub credit_invoice: Option<bool>,
}

/// What extending a capture's payment due date costs the merchant, as
/// `GET …/captures/{capture_id}/extend-due-date-options` answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DueDateOptions {
    /// ISO 4217 currency of the fees (Klarna writes it in lower case, e.g. "usd").
    #[serde(deserialize_with = "lenient::opt_string")]
    pub currency: Option<String>,
    /// The extensions on offer; empty when none is (the capture cannot be extended now).
    #[serde(deserialize_with = "lenient::vec")]
    pub options: Vec<DueDateOption>,
}

/// One due-date extension on offer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DueDateOption {
    /// The fee the merchant pays for it, minor units.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub amount: Option<i64>,
    /// How many days the due date moves.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub number_of_days: Option<i64>,
}

/// An order line, in requests and responses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderLine {
    /// The line's type.
    #[serde(
        rename = "type",
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_parsed"
    )]
    pub kind: Option<OrderLineType>,
    /// SKU or similar; refunds are allocated to captures by it.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub reference: Option<String>,
    /// Descriptive name.
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// Non-negative quantity.
    #[serde(deserialize_with = "lenient::i64")]
    pub quantity: i64,
    /// Unit of the quantity, e.g. "pcs".
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub quantity_unit: Option<String>,
    /// Minor units, tax included, before discount.
    #[serde(deserialize_with = "lenient::i64")]
    pub unit_price: i64,
    /// Two implicit decimals: 2500 = 25 %.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_i64"
    )]
    pub tax_rate: Option<i64>,
    /// `quantity × unit_price − total_discount_amount`, minor units.
    #[serde(deserialize_with = "lenient::i64")]
    pub total_amount: i64,
    /// Minor units, non-negative.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_i64"
    )]
    pub total_discount_amount: Option<i64>,
    /// Minor units.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_i64"
    )]
    pub total_tax_amount: Option<i64>,
}

/// Shipment tracking data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShippingInfo {
    /// Carrier, as specific as possible ("DHL US", not "DHL").
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub shipping_company: Option<String>,
    /// One of Klarna's shipping methods.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_parsed"
    )]
    pub shipping_method: Option<ShippingMethod>,
    /// Carrier's tracking number.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub tracking_number: Option<String>,
    /// Tracking page URL.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub tracking_uri: Option<String>,
    /// Return carrier.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub return_shipping_company: Option<String>,
    /// Return tracking number.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub return_tracking_number: Option<String>,
    /// Return tracking URL.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub return_tracking_uri: Option<String>,
}

/// Body of `POST …/captures`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaptureRequest {
    /// Minor units; required.
    pub captured_amount: i64,
    /// Shown to the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Merchant reference, e.g. a shipment id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Lines captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_lines: Option<Vec<OrderLine>>,
    /// Tracking data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_info: Option<Vec<ShippingInfo>>,
}

/// Body of `POST …/refunds`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefundRequest {
    /// Minor units; required.
    pub refunded_amount: i64,
    /// Shown to the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Merchant reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Lines refunded (lets Klarna allocate the refund to the right capture).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_lines: Option<Vec<OrderLine>>,
}

/// Body of `POST …/shipping-info` and `POST …/captures/{capture_id}/shipping-info`:
/// tracking to append (1 to 500 entries; what is there already stays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippingInfoRequest {
    /// Tracking to add.
    pub shipping_info: Vec<ShippingInfo>,
}

/// Body of `PATCH …/authorization`: a new order total, and the lines that make it up (Klarna
/// replaces the order's lines with these; without any, the order's lines are removed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorizationUpdateRequest {
    /// The new order total, minor units; required.
    pub order_amount: i64,
    /// Why the amount changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The order's lines after the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_lines: Option<Vec<OrderLine>>,
}

/// Body of `PATCH …/merchant-references`: a field given overwrites, `""` clears, a field left
/// out stays as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MerchantReferencesRequest {
    /// The merchant's order number (shown to the customer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference1: Option<String>,
    /// The merchant's internal reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_reference2: Option<String>,
}

/// Body of `PATCH …/customer-details`: the customer's new shipping address (Klarna no longer
/// lets the billing address change). Personal data: its `Debug` shows field names only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerDetailsRequest {
    /// The fields of the shipping address to change.
    pub shipping_address: Address,
}

/// An address, as Klarna's `address` schema has it: each field given is set, `""` clears an
/// optional one, a field left out stays as it is. Personal data: its `Debug` names the fields
/// set, never their values.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    /// "Attn." line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attention: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Organization (business customers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// State or region (required in the US).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// First street line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// Second street line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address2: Option<String>,
    /// Title, e.g. "Mr".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Address {
    /// The names of the fields it sets (Klarna's spelling), in Klarna's order.
    pub fn fields_set(&self) -> Vec<&'static str> {
        [
            ("attention", &self.attention),
            ("city", &self.city),
            ("country", &self.country),
            ("email", &self.email),
            ("family_name", &self.family_name),
            ("given_name", &self.given_name),
            ("organization_name", &self.organization_name),
            ("phone", &self.phone),
            ("postal_code", &self.postal_code),
            ("region", &self.region),
            ("street_address", &self.street_address),
            ("street_address2", &self.street_address2),
            ("title", &self.title),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.is_some().then_some(name))
        .collect()
    }
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Address {{ fields set: {:?} }}", self.fields_set())
    }
}

/// Body of `PATCH …/captures/{capture_id}/extend-due-date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExtendDueDateRequest {
    /// One of the `number_of_days` the options offered.
    pub number_of_days: i64,
}

/// Defines a string enum Klarna documents, with a catch-all for values it adds later: it
/// reads any string (an unknown one as `Other`), writes its documented spelling, and its
/// schema lists only the documented values (what a tool accepts).
macro_rules! klarna_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this version does not know (read from Klarna; never accepted from a tool).
            Other(String),
        }

        impl $name {
            /// Every documented value, in Klarna's order.
            pub const DOCUMENTED: &'static [&'static str] = &[$($text),+];

            /// The value as Klarna spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Other(s) => s,
                }
            }

            /// Whether Klarna documents this value.
            pub fn is_documented(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $($text => Self::$variant,)+
                    other => Self::Other(other.to_string()),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                Ok(text.parse().unwrap_or_else(|never| match never {}))
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": Self::DOCUMENTED })
            }
            fn inline_schema() -> bool {
                true
            }
        }
    };
}

klarna_enum! {
    /// An order line's type.
    OrderLineType {
        /// Goods.
        Physical = "physical",
        /// A discount (negative amounts).
        Discount = "discount",
        /// Shipping.
        ShippingFee = "shipping_fee",
        /// Sales tax (US).
        SalesTax = "sales_tax",
        /// Store credit used.
        StoreCredit = "store_credit",
        /// A gift card used.
        GiftCard = "gift_card",
        /// Digital goods.
        Digital = "digital",
        /// A surcharge.
        Surcharge = "surcharge",
        /// A fee for a return.
        ReturnFee = "return_fee",
    }
}

klarna_enum! {
    /// How a shipment travels.
    ShippingMethod {
        /// Picked up in a store.
        PickUpStore = "PickUpStore",
        /// Delivered home.
        Home = "Home",
        /// Registered parcel box.
        BoxReg = "BoxReg",
        /// Unregistered parcel box.
        BoxUnreg = "BoxUnreg",
        /// Picked up at a pick-up point.
        PickUpPoint = "PickUpPoint",
        /// The merchant's own delivery.
        Own = "Own",
        /// Postal delivery.
        Postal = "Postal",
        /// A DHL Packstation.
        DhlPackstation = "DHLPackstation",
        /// Digital delivery.
        Digital = "Digital",
        /// Not defined.
        Undefined = "Undefined",
        /// Picked up at a warehouse.
        PickUpWarehouse = "PickUpWarehouse",
        /// Click and collect.
        ClickCollect = "ClickCollect",
        /// Pallet delivery.
        PalletDelivery = "PalletDelivery",
    }
}
