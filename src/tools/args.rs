//! Tool arguments: the camelCase types the model fills in, their JSON schemas, and the
//! checks that run before anything is sent to Klarna.
//!
//! Field docs here are the schema descriptions the model reads, so they say units, formats
//! and what leaving a field out means. rmcp does not enforce schemas, so every limit in a
//! schema is checked again in [`Validate`] implementations, with an error that names the
//! field and the fix.

use rmcp::model::JsonObject;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, de::DeserializeOwned};

use super::errors::ToolError;
use crate::{
    host::ALL_HOSTS,
    klarna::types::{OrderLine, ShippingInfo},
    money::MAX_AMOUNT,
};

/// Most order lines Klarna accepts in one capture or refund.
pub const MAX_ORDER_LINES: usize = 1000;
/// Most shipping-info entries Klarna accepts in one capture.
pub const MAX_SHIPPING_INFO: usize = 500;
/// Longest description or reference Klarna accepts.
pub const MAX_TEXT: usize = 255;

/// Deserializes tool arguments, turning a serde failure into an error that names the
/// field (`orderLines[2].quantity`) and says what the field takes.
pub fn parse<T: DeserializeOwned>(arguments: JsonObject) -> Result<T, ToolError> {
    serde_path_to_error::deserialize(serde_json::Value::Object(arguments)).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        let field = if path == "." {
            missing_or_unknown_field(&inner).unwrap_or_default()
        } else {
            path
        };
        let fix = hint(&field);
        ToolError::invalid(
            if field.is_empty() {
                "arguments".to_string()
            } else {
                field
            },
            inner,
            fix,
        )
    })
}

/// Pulls the field name out of serde's "missing field `x`" / "unknown field `x`".
fn missing_or_unknown_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message.get(start..)?.find('`')?;
    message.get(start..start + len).map(str::to_string)
}

/// What a field takes, for error messages; keyed by the last path element.
fn hint(path: &str) -> String {
    let last = path
        .rsplit(['.', ']'])
        .find(|s| !s.is_empty())
        .unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    match last {
        "orderId" => "pass Klarna's order id, a UUID such as 4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f (not the merchant's order number)".into(),
        "captureId" => "pass the capture id (a UUID) that capture_order returned or get_order lists under captures".into(),
        "amount" | "unitPrice" | "totalAmount" | "totalDiscountAmount" | "totalTaxAmount" => format!(
            "use a whole number of minor units (cents), e.g. 10500 for 105.00 EUR: no decimals, no quotes, between 1 and {MAX_AMOUNT}"
        ),
        "quantity" | "taxRate" => "use a whole number (no decimals, no quotes)".into(),
        "apiHost" => format!("use one of: {}", ALL_HOSTS.map(|h| h.as_str()).join(", ")),
        "idempotencyKey" => "use 1-64 letters, digits, '-' or '_', or leave it out".into(),
        "orderLines" => "pass a list of order line objects with name, quantity, unitPrice and totalAmount".into(),
        "shippingInfo" => "pass a list of objects with shippingCompany, shippingMethod, trackingNumber, …".into(),
        _ => "check the tool's input schema for this field".into(),
    }
}

/// For `#[serde(default, deserialize_with = "present")]`: the field may be left out, but an
/// explicit `null` is refused instead of being read as "left out" — for `capture_order`'s
/// `amount`, leaving it out means "capture everything", which a stray `null` must not trigger.
pub fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Checks what serde cannot: ranges, lengths, formats.
pub trait Validate {
    /// Returns the first problem found.
    fn validate(&self) -> Result<(), ToolError>;
}

/// A Klarna id (order, capture): a hyphenated UUID, exactly.
pub fn check_uuid(field: &str, value: &str) -> Result<(), ToolError> {
    let canonical = value.len() == 36
        && value.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if canonical {
        Ok(())
    } else {
        Err(ToolError::invalid(
            field,
            format!("{} is not a UUID", quote(value)),
            hint(field),
        ))
    }
}

/// 1..=200 000 000 minor units.
pub fn check_amount(field: &str, value: i64) -> Result<(), ToolError> {
    if (1..=MAX_AMOUNT).contains(&value) {
        Ok(())
    } else {
        Err(ToolError::invalid(
            field,
            format!("{value} is out of range"),
            hint("amount"),
        ))
    }
}

/// At most `max` characters, no control characters.
pub fn check_text(field: &str, value: Option<&str>, max: usize) -> Result<(), ToolError> {
    let Some(value) = value else { return Ok(()) };
    let len = value.chars().count();
    if len > max {
        return Err(ToolError::invalid(
            field,
            format!("{len} characters is too long"),
            format!("use at most {max} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ToolError::invalid(
            field,
            "contains control characters",
            "use plain text on one line",
        ));
    }
    Ok(())
}

/// 1–64 of `[A-Za-z0-9_-]`.
pub fn check_idempotency_key(value: Option<&str>) -> Result<(), ToolError> {
    let Some(key) = value else { return Ok(()) };
    let ok = (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(
            "idempotencyKey",
            format!("{} is not a valid key", quote(key)),
            hint("idempotencyKey"),
        ))
    }
}

/// Short, escaped rendering of a refused value.
pub fn quote(value: &str) -> String {
    let shown: String = value
        .chars()
        .take(60)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().count() > 60 {
        format!("\"{shown}…\" ({} characters)", value.chars().count())
    } else {
        format!("\"{shown}\"")
    }
}

/// One order line of a capture or refund. Amounts are integers in minor units, tax included.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLineArg {
    /// Product name, as on the order (1-255 characters).
    pub name: String,
    /// Number of units (whole number, 0 or more).
    pub quantity: i64,
    /// Price of one unit in minor units, tax included, before discount (e.g. 5000 = 50.00). Negative only for discount or return_fee lines.
    pub unit_price: i64,
    /// Line total in minor units: quantity × unitPrice − totalDiscountAmount.
    pub total_amount: i64,
    /// SKU or article number; use the same reference as on the order so Klarna can match refunds to captures.
    #[serde(default)]
    #[schemars(with = "String")]
    pub reference: Option<String>,
    /// Line type: physical, digital, discount, shipping_fee, sales_tax, store_credit, gift_card, surcharge or return_fee. Omit for physical.
    #[serde(default, rename = "type")]
    #[schemars(with = "String")]
    pub kind: Option<String>,
    /// Unit of the quantity, e.g. "pcs" (at most 10 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub quantity_unit: Option<String>,
    /// Tax rate with two implicit decimals: 2500 = 25%.
    #[serde(default)]
    #[schemars(with = "i64")]
    pub tax_rate: Option<i64>,
    /// Tax included in totalAmount, in minor units.
    #[serde(default)]
    #[schemars(with = "i64")]
    pub total_tax_amount: Option<i64>,
    /// Discount on this line in minor units (0 or more).
    #[serde(default)]
    #[schemars(with = "i64")]
    pub total_discount_amount: Option<i64>,
}

const LINE_TYPES: [&str; 10] = [
    "physical",
    "digital",
    "discount",
    "shipping_fee",
    "sales_tax",
    "store_credit",
    "gift_card",
    "surcharge",
    "return_fee",
    "package",
];

impl OrderLineArg {
    fn validate_at(&self, at: &str) -> Result<(), ToolError> {
        let f = |name: &str| format!("{at}.{name}");
        if self.name.trim().is_empty() {
            return Err(ToolError::invalid(
                f("name"),
                "is empty",
                "give the product name",
            ));
        }
        check_text(&f("name"), Some(&self.name), MAX_TEXT)?;
        check_text(&f("reference"), self.reference.as_deref(), MAX_TEXT)?;
        check_text(&f("quantityUnit"), self.quantity_unit.as_deref(), 10)?;
        if !(0..=100_000).contains(&self.quantity) {
            return Err(ToolError::invalid(
                f("quantity"),
                format!("{} is out of range", self.quantity),
                "use a whole number from 0 to 100000",
            ));
        }
        for (name, value) in [
            ("unitPrice", Some(self.unit_price)),
            ("totalAmount", Some(self.total_amount)),
            ("totalTaxAmount", self.total_tax_amount),
        ] {
            if let Some(v) = value
                && v.abs() > MAX_AMOUNT
            {
                return Err(ToolError::invalid(
                    f(name),
                    format!("{v} is out of range"),
                    format!("use minor units between -{MAX_AMOUNT} and {MAX_AMOUNT}"),
                ));
            }
        }
        if let Some(kind) = &self.kind
            && !LINE_TYPES.contains(&kind.as_str())
        {
            return Err(ToolError::invalid(
                f("type"),
                format!("{} is not a Klarna line type", quote(kind)),
                format!("use one of: {}", LINE_TYPES.join(", ")),
            ));
        }
        if let Some(rate) = self.tax_rate
            && !(0..=10_000).contains(&rate)
        {
            return Err(ToolError::invalid(
                f("taxRate"),
                format!("{rate} is out of range"),
                "use 0 to 10000 (2500 = 25%)",
            ));
        }
        let discount = self.total_discount_amount.unwrap_or(0);
        if !(0..=MAX_AMOUNT).contains(&discount) {
            return Err(ToolError::invalid(
                f("totalDiscountAmount"),
                format!("{discount} is out of range"),
                format!("use 0 to {MAX_AMOUNT} minor units"),
            ));
        }
        let expected =
            i128::from(self.quantity) * i128::from(self.unit_price) - i128::from(discount);
        if expected != i128::from(self.total_amount) {
            return Err(ToolError::invalid(
                f("totalAmount"),
                format!(
                    "{} does not equal quantity × unitPrice − totalDiscountAmount = {expected}",
                    self.total_amount
                ),
                "make totalAmount equal quantity × unitPrice − totalDiscountAmount (Klarna rejects lines that do not add up)",
            ));
        }
        Ok(())
    }

    /// The Klarna wire form.
    pub fn to_wire(&self) -> OrderLine {
        OrderLine {
            kind: self.kind.clone(),
            reference: self.reference.clone(),
            name: self.name.clone(),
            quantity: self.quantity,
            quantity_unit: self.quantity_unit.clone(),
            unit_price: self.unit_price,
            tax_rate: self.tax_rate,
            total_amount: self.total_amount,
            total_discount_amount: self.total_discount_amount,
            total_tax_amount: self.total_tax_amount,
        }
    }
}

/// Checks a list of order lines (count and each line).
pub fn check_lines(lines: Option<&[OrderLineArg]>) -> Result<(), ToolError> {
    let Some(lines) = lines else { return Ok(()) };
    if lines.len() > MAX_ORDER_LINES {
        return Err(ToolError::invalid(
            "orderLines",
            format!("{} lines is too many", lines.len()),
            format!("send at most {MAX_ORDER_LINES}"),
        ));
    }
    lines
        .iter()
        .enumerate()
        .try_for_each(|(i, line)| line.validate_at(&format!("orderLines[{i}]")))
}

/// Shipment tracking for a capture. Every field is optional; give what the carrier provides.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShippingInfoArg {
    /// Carrier, as specific as possible: "DHL US", not "DHL" (at most 100 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub shipping_company: Option<String>,
    /// How it ships: PickUpStore, Home, BoxReg, BoxUnreg, PickUpPoint, Own, Postal, DHLPackstation, Digital, Undefined, PickUpWarehouse, ClickCollect or PalletDelivery.
    #[serde(default)]
    #[schemars(with = "String")]
    pub shipping_method: Option<String>,
    /// Carrier's tracking number (at most 100 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub tracking_number: Option<String>,
    /// Tracking page URL (at most 1024 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub tracking_uri: Option<String>,
    /// Carrier for returns (at most 100 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub return_shipping_company: Option<String>,
    /// Return tracking number (at most 100 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub return_tracking_number: Option<String>,
    /// Return tracking page URL (at most 1024 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub return_tracking_uri: Option<String>,
}

const SHIPPING_METHODS: [&str; 13] = [
    "PickUpStore",
    "Home",
    "BoxReg",
    "BoxUnreg",
    "PickUpPoint",
    "Own",
    "Postal",
    "DHLPackstation",
    "Digital",
    "Undefined",
    "PickUpWarehouse",
    "ClickCollect",
    "PalletDelivery",
];

/// Checks a list of shipping infos (count, lengths, method).
pub fn check_shipping(infos: Option<&[ShippingInfoArg]>) -> Result<(), ToolError> {
    let Some(infos) = infos else { return Ok(()) };
    if infos.len() > MAX_SHIPPING_INFO {
        return Err(ToolError::invalid(
            "shippingInfo",
            format!("{} entries is too many", infos.len()),
            format!("send at most {MAX_SHIPPING_INFO}"),
        ));
    }
    for (i, s) in infos.iter().enumerate() {
        let f = |name: &str| format!("shippingInfo[{i}].{name}");
        check_text(&f("shippingCompany"), s.shipping_company.as_deref(), 100)?;
        check_text(&f("trackingNumber"), s.tracking_number.as_deref(), 100)?;
        check_text(&f("trackingUri"), s.tracking_uri.as_deref(), 1024)?;
        check_text(
            &f("returnShippingCompany"),
            s.return_shipping_company.as_deref(),
            100,
        )?;
        check_text(
            &f("returnTrackingNumber"),
            s.return_tracking_number.as_deref(),
            100,
        )?;
        check_text(
            &f("returnTrackingUri"),
            s.return_tracking_uri.as_deref(),
            1024,
        )?;
        if let Some(m) = &s.shipping_method
            && !SHIPPING_METHODS.contains(&m.as_str())
        {
            return Err(ToolError::invalid(
                f("shippingMethod"),
                format!("{} is not a Klarna shipping method", quote(m)),
                format!("use one of: {}", SHIPPING_METHODS.join(", ")),
            ));
        }
    }
    Ok(())
}

impl ShippingInfoArg {
    /// The Klarna wire form.
    pub fn to_wire(&self) -> ShippingInfo {
        ShippingInfo {
            shipping_company: self.shipping_company.clone(),
            shipping_method: self.shipping_method.clone(),
            tracking_number: self.tracking_number.clone(),
            tracking_uri: self.tracking_uri.clone(),
            return_shipping_company: self.return_shipping_company.clone(),
            return_tracking_number: self.return_tracking_number.clone(),
            return_tracking_uri: self.return_tracking_uri.clone(),
        }
    }
}

// Schema helpers: plain, portable JSON Schema (no `format: int64`, no `["string","null"]`).

/// `apiHost`: a string limited to the six hosts.
pub fn api_host_schema(_: &mut SchemaGenerator) -> Schema {
    let hosts: Vec<&str> = ALL_HOSTS.map(|h| h.as_str()).to_vec();
    json_schema!({ "type": "string", "enum": hosts })
}

/// A UUID string.
pub fn uuid_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "format": "uuid", "minLength": 36, "maxLength": 36 })
}

/// An amount in minor units.
pub fn amount_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "integer", "minimum": 1, "maximum": MAX_AMOUNT })
}

/// A description or reference.
pub fn text_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "maxLength": MAX_TEXT })
}

/// An idempotency key.
pub fn key_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$" })
}

/// A list of order lines.
pub fn lines_schema(generator: &mut SchemaGenerator) -> Schema {
    let item = generator.subschema_for::<OrderLineArg>();
    json_schema!({ "type": "array", "maxItems": MAX_ORDER_LINES, "items": item })
}

/// A list of shipping infos.
pub fn shipping_schema(generator: &mut SchemaGenerator) -> Schema {
    let item = generator.subschema_for::<ShippingInfoArg>();
    json_schema!({ "type": "array", "maxItems": MAX_SHIPPING_INFO, "items": item })
}
