//! Tool arguments: the camelCase types the model fills in, their JSON schemas, and the
//! checks that run before anything is sent to Klarna.
//!
//! Field docs here are the schema descriptions the model reads, so they say units, formats
//! and what leaving a field out means. rmcp does not enforce schemas, so every limit in a
//! schema is checked again in [`Validate`] implementations, with an error that names the
//! field and the fix.

use rmcp::model::JsonObject;
use schemars::{Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, de::DeserializeOwned};

use super::errors::ToolError;
use crate::{host::ALL_HOSTS, money::MAX_AMOUNT};

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
        "orderId" => "pass Klarna's order id, a UUID of the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (not the merchant's own order number; get_order or the Klarna portal shows it)".into(),
        "captureId" => "pass the capture id (a UUID) that capture_order returned or get_order lists under captures".into(),
        "refundId" => "pass the refund id (a UUID) that refund_order returned or get_order lists under refunds".into(),
        "newOrderAmount" => format!(
            "use the order's new total as a whole number of minor units (cents), e.g. 10500 for 105.00 EUR: no decimals, no quotes, between 1 and {MAX_AMOUNT}"
        ),
        "numberOfDays" => "use one of the numbers of days get_due_date_extension_options offers for this capture (a whole number)".into(),
        "merchantReference1" | "merchantReference2" => format!("use at most {MAX_TEXT} characters of plain text, \"\" to clear it, or leave it out to keep it"),
        "billingAddress" => "leave it out: Klarna no longer lets the billing address change (only the shipping address)".into(),
        "shippingAddress" => "pass an object with the address fields to change (givenName, familyName, streetAddress, postalCode, city, country, …)".into(),
        "amount" => format!(
            "use a whole number of minor units (cents), e.g. 10500 for 105.00 EUR: no decimals, no quotes, between 1 and {MAX_AMOUNT}; \
             for capture_order, leave amount out (do not send null) to capture everything still authorized"
        ),
        "unitPrice" | "totalAmount" | "totalDiscountAmount" | "totalTaxAmount" => {
            format!("use a whole number of minor units (cents), e.g. 10500 for 105.00 EUR: no decimals, no quotes, at most {MAX_AMOUNT}")
        }
        "quantity" | "taxRate" => "use a whole number (no decimals, no quotes)".into(),
        "apiHost" => format!("use one of: {}", ALL_HOSTS.map(|h| h.as_str()).join(", ")),
        "idempotencyKey" => "use 1-64 letters, digits, '-' or '_', or leave it out".into(),
        "currency" => "use the ISO 4217 code of the order's currency, e.g. EUR, USD, SEK (get_order shows it), or leave it out".into(),
        "orderLines" => "pass a list of order line objects with name, quantity, unitPrice and totalAmount".into(),
        "shippingInfo" => "pass a list of objects with shippingCompany, shippingMethod, trackingNumber, …".into(),
        _ => "check the tool's input schema for this field".into(),
    }
}

/// For `#[serde(default, deserialize_with = "present")]`: the field may be left out, but an
/// explicit `null` is refused instead of being read as "left out" — for `capture_order`'s
/// `amount`, leaving it out means "capture everything", which a stray `null` must not trigger.
pub fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
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
    // Line separators, direction overrides and byte-order marks too: Klarna would store them,
    // and they could reorder or break what the merchant and the model read back.
    if let Some(c) = value
        .chars()
        .find(|c| crate::klarna::sanitize::is_hazard(*c))
    {
        return Err(ToolError::invalid(
            field,
            format!(
                "contains a control, line-separator or direction character (U+{:04X})",
                u32::from(c)
            ),
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

/// An ISO 4217 code: three letters. Returned upper-case.
pub fn check_currency(value: Option<&str>) -> Result<Option<String>, ToolError> {
    let Some(code) = value else { return Ok(None) };
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(Some(code.to_ascii_uppercase()))
    } else {
        Err(ToolError::invalid(
            "currency",
            format!("{} is not a currency code", quote(code)),
            hint("currency"),
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

// Schema helpers: plain, portable JSON Schema (no `format: int64`, no `["string","null"]`).

/// What `apiHost` means, said once for every tool.
pub const API_HOST_DOC: &str = "Klarna host of the region and environment the order was placed in. Omit to use the server's default host. Production: api.klarna.com (Europe), api-na.klarna.com (North America), api-oc.klarna.com (Oceania); playground (test) hosts add \".playground\".";

/// `apiHost`: a string limited to the six hosts.
pub fn api_host_schema(_: &mut SchemaGenerator) -> Schema {
    let hosts: Vec<&str> = ALL_HOSTS.map(|h| h.as_str()).to_vec();
    json_schema!({ "type": "string", "enum": hosts, "description": API_HOST_DOC })
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

/// An ISO 4217 currency code.
pub fn currency_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "minLength": 3, "maxLength": 3, "pattern": "^[A-Za-z]{3}$" })
}

/// What `idempotencyKey` means for a write called `noun` ("capture", "refund", "operation"),
/// said once for every write.
pub fn key_doc(noun: &str) -> String {
    let a = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!(
        "Your idempotency key for this {noun}: 1-64 letters, digits, '-' or '_'. Choose it yourself before the first \
         call (e.g. one per shipment or return) so that if the answer is lost (timeout, lost connection) you can \
         repeat the call with the SAME key: Klarna then answers with the first result and never acts twice. A \
         different {noun} needs a new key. After Klarna definitively refused {a} {noun}, a new attempt needs a new \
         key (Klarna may keep answering the old key with the old refusal). Omit it and the server generates one and \
         shows it in the result; the server then refuses an identical {noun} without a key for a while, to stop \
         accidental repeats."
    )
}

/// An idempotency key, described for a write called `noun`.
pub fn key_schema(noun: &str) -> Schema {
    json_schema!({
        "type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$",
        "description": key_doc(noun),
    })
}

/// `idempotencyKey` of `capture_order`.
pub fn capture_key_schema(_: &mut SchemaGenerator) -> Schema {
    key_schema("capture")
}

/// `idempotencyKey` of `refund_order`.
pub fn refund_key_schema(_: &mut SchemaGenerator) -> Schema {
    key_schema("refund")
}

/// `idempotencyKey` of the writes that change an order without moving money (tracking,
/// references, an address, more time).
pub fn change_key_schema(_: &mut SchemaGenerator) -> Schema {
    key_schema("change")
}

/// `idempotencyKey` of the writes without an amount of their own (cancel, release).
pub fn operation_key_schema(_: &mut SchemaGenerator) -> Schema {
    key_schema("operation")
}
