//! Klarna Order Management wire types (snake_case JSON).
//!
//! Read models are tolerant: every field is optional and unknown fields are ignored, since
//! Klarna adds fields and older orders lack some (e.g. `refund_id` in `refunds[]`). Request
//! bodies omit a field only when it is `None`; a `0` or `""` is always sent, because Klarna
//! gives them meaning.
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/#tag/Orders>

use serde::{Deserialize, Serialize};

/// An order as `GET /ordermanagement/v1/orders/{order_id}` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Order {
    /// Klarna order id (UUID).
    pub order_id: Option<String>,
    /// AUTHORIZED, PART_CAPTURED, CAPTURED, CANCELLED, EXPIRED or CLOSED.
    pub status: Option<String>,
    /// ACCEPTED, PENDING or REJECTED.
    pub fraud_status: Option<String>,
    /// Current authorized total (minor units).
    pub order_amount: Option<i64>,
    /// Total at purchase (minor units).
    pub original_order_amount: Option<i64>,
    /// Sum of captures (minor units).
    pub captured_amount: Option<i64>,
    /// Sum of refunds (minor units).
    pub refunded_amount: Option<i64>,
    /// Still capturable (minor units).
    pub remaining_authorized_amount: Option<i64>,
    /// ISO 3166-1 alpha-2.
    pub purchase_country: Option<String>,
    /// ISO 4217.
    pub purchase_currency: Option<String>,
    /// RFC 1766 locale.
    pub locale: Option<String>,
    /// Lines of the order.
    pub order_lines: Vec<OrderLine>,
    /// Merchant's order number.
    pub merchant_reference1: Option<String>,
    /// Merchant's internal reference.
    pub merchant_reference2: Option<String>,
    /// Short customer-facing reference.
    pub klarna_reference: Option<String>,
    /// Personal data: date of birth, national id.
    pub customer: Option<serde_json::Value>,
    /// Personal data.
    pub billing_address: Option<serde_json::Value>,
    /// Personal data.
    pub shipping_address: Option<serde_json::Value>,
    /// ISO 8601.
    pub created_at: Option<String>,
    /// Capture deadline, ISO 8601.
    pub expires_at: Option<String>,
    /// Captures so far.
    pub captures: Vec<Capture>,
    /// Refunds so far.
    pub refunds: Vec<Refund>,
    /// Payment method chosen at purchase.
    pub initial_payment_method: Option<PaymentMethod>,
}

/// `initial_payment_method`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentMethod {
    /// E.g. INVOICE, CARD, PAY_LATER_IN_PARTS.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Klarna's description.
    pub description: Option<String>,
    /// For instalment products.
    pub number_of_installments: Option<i64>,
}

/// A capture (read model).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Capture {
    /// Capture id (UUID).
    pub capture_id: Option<String>,
    /// Order reference + "-N".
    pub klarna_reference: Option<String>,
    /// Minor units.
    pub captured_amount: Option<i64>,
    /// ISO 8601.
    pub captured_at: Option<String>,
    /// Shown to the customer.
    pub description: Option<String>,
    /// Merchant's reference (e.g. shipment).
    pub reference: Option<String>,
    /// Lines captured.
    pub order_lines: Vec<OrderLine>,
    /// Refunded against this capture (minor units).
    pub refunded_amount: Option<i64>,
    /// Personal data.
    pub billing_address: Option<serde_json::Value>,
    /// Personal data.
    pub shipping_address: Option<serde_json::Value>,
    /// Tracking data.
    pub shipping_info: Vec<ShippingInfo>,
}

/// A refund (read model).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Refund {
    /// Refund id (UUID); missing on some older orders.
    pub refund_id: Option<String>,
    /// Minor units.
    pub refunded_amount: Option<i64>,
    /// ISO 8601.
    pub refunded_at: Option<String>,
    /// Shown to the customer.
    pub description: Option<String>,
    /// Merchant's reference.
    pub reference: Option<String>,
    /// Lines refunded.
    pub order_lines: Vec<OrderLine>,
}

/// An order line, in requests and responses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderLine {
    /// physical, discount, shipping_fee, sales_tax, store_credit, gift_card, digital,
    /// surcharge, return_fee.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// SKU or similar; refunds are allocated to captures by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Descriptive name.
    pub name: String,
    /// Non-negative quantity.
    pub quantity: i64,
    /// Unit of the quantity, e.g. "pcs".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity_unit: Option<String>,
    /// Minor units, tax included, before discount.
    pub unit_price: i64,
    /// Two implicit decimals: 2500 = 25 %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<i64>,
    /// `quantity × unit_price − total_discount_amount`, minor units.
    pub total_amount: i64,
    /// Minor units, non-negative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_discount_amount: Option<i64>,
    /// Minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_tax_amount: Option<i64>,
}

/// Shipment tracking data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ShippingInfo {
    /// Carrier, as specific as possible ("DHL US", not "DHL").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_company: Option<String>,
    /// One of Klarna's shipping methods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
    /// Carrier's tracking number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// Tracking page URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_uri: Option<String>,
    /// Return carrier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_shipping_company: Option<String>,
    /// Return tracking number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_tracking_number: Option<String>,
    /// Return tracking URL.
    #[serde(skip_serializing_if = "Option::is_none")]
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
