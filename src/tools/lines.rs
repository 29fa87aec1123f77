//! Order lines and shipping info: the nested argument types of `capture_order` and
//! `refund_order`, their checks (Klarna's limits, line arithmetic, totals against the amount)
//! and their Klarna wire form.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

use super::{
    args::{MAX_TEXT, check_text, quote},
    errors::ToolError,
};
use crate::{
    klarna::types::{OrderLine, OrderLineType, ShippingInfo, ShippingMethod},
    money::MAX_AMOUNT,
};

/// Most order lines Klarna accepts in one capture or refund.
pub const MAX_ORDER_LINES: usize = 1000;
/// Most shipping-info entries Klarna accepts in one capture.
pub const MAX_SHIPPING_INFO: usize = 500;

/// One order line of a capture or refund. Amounts are integers in minor units, tax included.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLineArg {
    /// Product name, as on the order (at most 255 characters).
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
    /// Line type. Omit for physical goods.
    #[serde(default, rename = "type")]
    #[schemars(with = "OrderLineType")]
    pub kind: Option<OrderLineType>,
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

impl OrderLineArg {
    fn validate_at(&self, at: &str) -> Result<(), ToolError> {
        let f = |name: &str| format!("{at}.{name}");
        check_text(&f("name"), Some(&self.name), MAX_TEXT)?;
        check_text(&f("reference"), self.reference.as_deref(), MAX_TEXT)?;
        check_text(&f("quantityUnit"), self.quantity_unit.as_deref(), 10)?;
        if self.quantity < 0 {
            return Err(ToolError::invalid(
                f("quantity"),
                format!("{} is negative", self.quantity),
                "use a whole number, 0 or more",
            ));
        }
        // Klarna's bounds: at most 200 000 000 minor units; no lower bound (discounts are
        // negative).
        for (name, value) in [
            ("unitPrice", Some(self.unit_price)),
            ("totalAmount", Some(self.total_amount)),
            ("totalTaxAmount", self.total_tax_amount),
        ] {
            if let Some(v) = value
                && v > MAX_AMOUNT
            {
                return Err(ToolError::invalid(
                    f(name),
                    format!("{v} is out of range"),
                    format!("use at most {MAX_AMOUNT} minor units"),
                ));
            }
        }
        if let Some(kind) = &self.kind
            && !kind.is_documented()
        {
            return Err(ToolError::invalid(
                f("type"),
                format!("{} is not a Klarna line type", quote(kind.as_str())),
                format!("use one of: {}", OrderLineType::DOCUMENTED.join(", ")),
            ));
        }
        if let Some(rate) = self.tax_rate
            && !(0..=i64::from(i32::MAX)).contains(&rate)
        {
            return Err(ToolError::invalid(
                f("taxRate"),
                format!("{rate} is out of range"),
                "use 0 or more, two implicit decimals (2500 = 25%)",
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

/// With order lines, the amount must be given and equal the lines' total: Klarna shows the
/// lines to the customer and allocates refunds by them, so lines that disagree with the
/// amount would mislead both.
pub fn check_lines_total(
    lines: Option<&[OrderLineArg]>,
    amount: Option<i64>,
    what: &str,
) -> Result<(), ToolError> {
    let Some(lines) = lines else { return Ok(()) };
    let total: i128 = lines.iter().map(|l| i128::from(l.total_amount)).sum();
    match amount {
        None => Err(ToolError::invalid(
            "amount",
            format!("is missing, but orderLines are given (their totalAmounts add up to {total})"),
            format!("pass amount {total} for this {what}, or leave orderLines out"),
        )),
        Some(a) if i128::from(a) != total => Err(ToolError::invalid(
            "orderLines",
            format!("totalAmounts add up to {total}, but amount is {a}"),
            format!("make the lines add up to the {what} amount, or leave orderLines out"),
        )),
        Some(_) => Ok(()),
    }
}

/// Shipment tracking for a capture. Every field is optional; give what the carrier provides.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShippingInfoArg {
    /// Carrier, as specific as possible: "DHL US", not "DHL" (at most 100 characters).
    #[serde(default)]
    #[schemars(with = "String")]
    pub shipping_company: Option<String>,
    /// How it ships. Omit if unknown.
    #[serde(default)]
    #[schemars(with = "ShippingMethod")]
    pub shipping_method: Option<ShippingMethod>,
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
            && !m.is_documented()
        {
            return Err(ToolError::invalid(
                f("shippingMethod"),
                format!("{} is not a Klarna shipping method", quote(m.as_str())),
                format!("use one of: {}", ShippingMethod::DOCUMENTED.join(", ")),
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

/// Tracking to add on its own (`add_shipping_info`, `add_order_shipping_info`): at least one
/// entry, each naming something — an entry without any field would add nothing a customer
/// or carrier could use.
pub fn check_shipping_given(infos: &[ShippingInfoArg]) -> Result<(), ToolError> {
    if infos.is_empty() {
        return Err(ToolError::invalid(
            "shippingInfo",
            "is empty",
            "pass at least one entry, e.g. {\"shippingCompany\": \"DHL SE\", \"trackingNumber\": \"…\"}",
        ));
    }
    if let Some(i) = infos.iter().position(|s| {
        s.shipping_company.is_none()
            && s.shipping_method.is_none()
            && s.tracking_number.is_none()
            && s.tracking_uri.is_none()
            && s.return_shipping_company.is_none()
            && s.return_tracking_number.is_none()
            && s.return_tracking_uri.is_none()
    }) {
        return Err(ToolError::invalid(
            format!("shippingInfo[{i}]"),
            "names nothing",
            "give at least the carrier (shippingCompany) or the trackingNumber",
        ));
    }
    check_shipping(Some(infos))
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

/// A list of shipping infos that must hold at least one.
pub fn required_shipping_schema(generator: &mut SchemaGenerator) -> Schema {
    let item = generator.subschema_for::<ShippingInfoArg>();
    json_schema!({ "type": "array", "minItems": 1, "maxItems": MAX_SHIPPING_INFO, "items": item })
}
