//! Request-body validation for every operation with a body (capture, refund,
//! authorization update, merchant references, customer details, shipping info,
//! due-date extension), with the limits of Klarna's current (2024) API
//! description: amounts up to 200 000 000 minor units, string lengths,
//! order-line types, shipping methods and address fields.
//!
//! * 400 `BAD_REQUEST`: `Content-Type` is not `application/json`, the body is
//!   not valid JSON, or it is not a JSON object;
//! * 422 `UNPROCESSABLE_ENTITY`: a required field is missing, a value has the
//!   wrong type, or a limit is exceeded (all problems are listed, up to 20).
//!
//! Unknown fields are ignored; stored order lines and shipping info keep only
//! the fields Klarna's schema defines.

// Klarna does not document what a body that is not JSON (or a wrong
// Content-Type) gets; we choose 400 BAD_REQUEST because the request cannot be
// parsed at all, and keep 422 UNPROCESSABLE_ENTITY, which Klarna documents,
// for parsed bodies that break the schema.
//
// Klarna does not document whether capture/refund order lines must add up to
// the amount or carry consistent tax; we choose not to check either because
// Klarna's refund-allocation page says it still accepts such requests.
//
// Klarna does not document what happens to shipping_delay > 0 without merchant
// enablement; we choose to accept and ignore it because it is never returned.

use serde_json::{Map, Value};

use super::amend::{AuthorizationUpdate, CustomerDetails, MerchantReferences};
use super::rules::{CaptureRequest, RefundRequest};

/// Largest amount Klarna's API description accepts, in minor units.
const MAX_AMOUNT: i64 = 200_000_000;
const MAX_ERRORS: usize = 20;

/// Why a body was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// 400 BAD_REQUEST.
    BadRequest(String),
    /// 422 UNPROCESSABLE_ENTITY with every problem found.
    Unprocessable(Vec<String>),
}

const LINE_STRINGS: &[(&str, usize)] = &[
    ("type", 255),
    ("reference", 255),
    ("name", 255),
    ("quantity_unit", 10),
    ("merchant_data", 1024),
    ("product_url", 1024),
    ("image_url", 1024),
];
const LINE_TYPES: &str =
    "physical|discount|shipping_fee|sales_tax|store_credit|gift_card|digital|surcharge|return_fee";
const PRODUCT_IDENTIFIERS: &[(&str, usize)] = &[
    ("brand", 70),
    ("category_path", 750),
    ("global_trade_item_number", 50),
    ("manufacturer_part_number", 70),
    ("color", 64),
    ("size", 64),
];
const SHIPPING_STRINGS: &[(&str, usize)] = &[
    ("shipping_company", 100),
    ("shipping_method", 100),
    ("tracking_number", 100),
    ("tracking_uri", 1024),
    ("return_shipping_company", 100),
    ("return_tracking_number", 100),
    ("return_tracking_uri", 1024),
];
/// Klarna's `address` fields and their length limits (`country` is checked apart).
const ADDRESS_STRINGS: &[(&str, usize)] = &[
    ("attention", 255),
    ("city", 200),
    ("email", 100),
    ("family_name", 100),
    ("given_name", 100),
    ("organization_name", 255),
    ("phone", 100),
    ("postal_code", 10),
    ("region", 200),
    ("street_address", 100),
    ("street_address2", 100),
    ("title", 20),
];
/// Address fields Klarna documents as mandatory, so they cannot be cleared.
const ADDRESS_MANDATORY: &[&str] = &[
    "given_name",
    "family_name",
    "street_address",
    "postal_code",
    "city",
    "country",
];
const SHIPPING_METHODS: &str = "PickUpStore|Home|BoxReg|BoxUnreg|PickUpPoint|Own|Postal|DHLPackstation|Digital|Undefined|PickUpWarehouse|ClickCollect|PalletDelivery";

/// Collects validation problems.
#[derive(Default)]
struct Checker {
    errors: Vec<String>,
}

impl Checker {
    fn fail(&mut self, msg: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(msg);
        }
    }

    /// Optional string field with a length limit (in characters).
    fn string(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        path: &str,
        max: usize,
    ) -> Option<String> {
        match obj.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                if s.chars().count() > max {
                    self.fail(format!(
                        "The size of the {path} value must be between 0 and {max}"
                    ));
                }
                Some(s.clone())
            }
            Some(_) => {
                self.fail(format!("'{path}' must be a string"));
                None
            }
        }
    }

    /// Integer field within `min..=max`.
    fn int(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        path: &str,
        range: (i64, i64),
        required: bool,
    ) -> Option<i64> {
        let (min, max) = range;
        match obj.get(field) {
            None | Some(Value::Null) => {
                if required {
                    self.fail(format!("'{path}' may not be null"));
                }
                None
            }
            Some(v) => match v.as_i64() {
                Some(n) if (min..=max).contains(&n) => Some(n),
                Some(_) => {
                    self.fail(format!("'{path}' must be between {min} and {max}"));
                    None
                }
                None => {
                    self.fail(format!("'{path}' must be an integer (int64)"));
                    None
                }
            },
        }
    }

    /// Optional array of objects with at most `max` items.
    fn array<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        field: &str,
        max: usize,
    ) -> Vec<&'a Map<String, Value>> {
        match obj.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                if items.len() > max {
                    self.fail(format!("The size of {field} must be between 0 and {max}"));
                    return Vec::new();
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item.as_object() {
                        Some(o) => out.push(o),
                        None => self.fail(format!("'{field}[{i}]' must be an object")),
                    }
                }
                out
            }
            Some(_) => {
                self.fail(format!("'{field}' must be an array"));
                Vec::new()
            }
        }
    }

    fn order_line(&mut self, line: &Map<String, Value>, i: usize) -> Value {
        let p = |f: &str| format!("order_lines[{i}].{f}");
        if !matches!(line.get("name"), Some(Value::String(_))) {
            self.fail(format!("'{}' may not be null", p("name")));
        }
        for (f, max) in LINE_STRINGS {
            self.string(line, f, &p(f), *max);
        }
        if let Some(Value::String(t)) = line.get("type")
            && !LINE_TYPES.split('|').any(|x| x == t)
        {
            self.fail(format!("'{}' must match {}", p("type"), LINE_TYPES));
        }
        self.int(line, "quantity", &p("quantity"), (0, i64::MAX), true);
        self.int(
            line,
            "unit_price",
            &p("unit_price"),
            (i64::MIN, MAX_AMOUNT),
            true,
        );
        self.int(
            line,
            "total_amount",
            &p("total_amount"),
            (i64::MIN, MAX_AMOUNT),
            true,
        );
        self.int(
            line,
            "total_discount_amount",
            &p("total_discount_amount"),
            (0, MAX_AMOUNT),
            false,
        );
        self.int(
            line,
            "total_tax_amount",
            &p("total_tax_amount"),
            (i64::MIN, MAX_AMOUNT),
            false,
        );
        self.int(
            line,
            "tax_rate",
            &p("tax_rate"),
            (0, i64::from(i32::MAX)),
            false,
        );
        if let Some(v) = line.get("product_identifiers").filter(|v| !v.is_null()) {
            match v.as_object() {
                Some(o) => {
                    for (f, max) in PRODUCT_IDENTIFIERS {
                        self.string(o, f, &p(&format!("product_identifiers.{f}")), *max);
                    }
                }
                None => self.fail(format!("'{}' must be an object", p("product_identifiers"))),
            }
        }
        if let Some(v) = line.get("subscription").filter(|v| !v.is_null()) {
            self.subscription(v, &p("subscription"));
        }
        let known = [
            "type",
            "reference",
            "name",
            "quantity",
            "quantity_unit",
            "unit_price",
            "tax_rate",
            "total_amount",
            "total_discount_amount",
            "total_tax_amount",
            "merchant_data",
            "product_url",
            "image_url",
            "product_identifiers",
            "subscription",
        ];
        keep_known(line, &known)
    }

    fn subscription(&mut self, v: &Value, path: &str) {
        let Some(o) = v.as_object() else {
            self.fail(format!("'{path}' must be an object"));
            return;
        };
        if !matches!(o.get("name"), Some(Value::String(_))) {
            self.fail(format!("'{path}.name' may not be null"));
        }
        self.string(o, "name", &format!("{path}.name"), 255);
        match o.get("interval").and_then(Value::as_str) {
            Some("DAY" | "WEEK" | "MONTH" | "YEAR") => {}
            _ => self.fail(format!("'{path}.interval' must match DAY|WEEK|MONTH|YEAR")),
        }
        self.int(
            o,
            "interval_count",
            &format!("{path}.interval_count"),
            (1, i64::from(i32::MAX)),
            true,
        );
    }

    fn shipping_info(&mut self, info: &Map<String, Value>, i: usize) -> Value {
        for (f, max) in SHIPPING_STRINGS {
            // Klarna's message uses a slash path: "shipping_info/shipping_company".
            self.string(info, f, &format!("shipping_info/{f}"), *max);
        }
        if let Some(Value::String(m)) = info.get("shipping_method")
            && !SHIPPING_METHODS.split('|').any(|x| x == m)
        {
            self.fail(format!(
                "'shipping_info[{i}].shipping_method' must match ({})",
                SHIPPING_METHODS
            ));
        }
        let known: Vec<&str> = SHIPPING_STRINGS.iter().map(|(f, _)| *f).collect();
        keep_known(info, &known)
    }

    fn finish<T>(self, value: T) -> Result<T, BodyError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(BodyError::Unprocessable(self.errors))
        }
    }
}

fn keep_known(obj: &Map<String, Value>, known: &[&str]) -> Value {
    Value::Object(
        obj.iter()
            .filter(|(k, v)| known.contains(&k.as_str()) && !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// Checks the media type and parses the body into a JSON object.
fn json_object(content_type: Option<&str>, body: &[u8]) -> Result<Map<String, Value>, BodyError> {
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    if media.as_deref() != Some("application/json") {
        return Err(BodyError::BadRequest(
            "Content-Type must be application/json".to_owned(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::BadRequest(
            "Request body must be a JSON object".to_owned(),
        )),
        Err(e) => Err(BodyError::BadRequest(format!(
            "Request body is not valid JSON: {e}"
        ))),
    }
}

fn lines(c: &mut Checker, obj: &Map<String, Value>) -> Vec<Value> {
    c.array(obj, "order_lines", 1000)
        .into_iter()
        .enumerate()
        .map(|(i, l)| c.order_line(l, i))
        .collect()
}

/// Validates a `CaptureObject`.
pub(crate) fn capture_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<CaptureRequest, BodyError> {
    let obj = json_object(content_type, body)?;
    let mut c = Checker::default();
    let amount = c.int(
        &obj,
        "captured_amount",
        "captured_amount",
        (0, MAX_AMOUNT),
        true,
    );
    let description = c.string(&obj, "description", "description", 255);
    let reference = c.string(&obj, "reference", "reference", 255);
    let order_lines = lines(&mut c, &obj);
    let shipping_info = c
        .array(&obj, "shipping_info", 500)
        .into_iter()
        .enumerate()
        .map(|(i, s)| c.shipping_info(s, i))
        .collect();
    c.int(
        &obj,
        "shipping_delay",
        "shipping_delay",
        (0, i64::MAX),
        false,
    );
    c.finish(CaptureRequest {
        captured_amount: amount.unwrap_or(0),
        description,
        reference,
        order_lines,
        shipping_info,
    })
}

/// Validates a `RefundObject`.
pub(crate) fn refund_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<RefundRequest, BodyError> {
    let obj = json_object(content_type, body)?;
    let mut c = Checker::default();
    let amount = c.int(
        &obj,
        "refunded_amount",
        "refunded_amount",
        (0, MAX_AMOUNT),
        true,
    );
    let description = c.string(&obj, "description", "description", 255);
    let reference = c.string(&obj, "reference", "reference", 255);
    let order_lines = lines(&mut c, &obj);
    c.finish(RefundRequest {
        refunded_amount: amount.unwrap_or(0),
        description,
        reference,
        order_lines,
    })
}

/// Validates an `UpdateShippingInfo` body: `shipping_info`, 1 to 500 entries.
pub(crate) fn shipping_info_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<Value>, BodyError> {
    let obj = json_object(content_type, body)?;
    let mut c = Checker::default();
    let info = match obj.get("shipping_info") {
        None | Some(Value::Null) => {
            c.fail("'shipping_info' may not be null".to_owned());
            Vec::new()
        }
        Some(Value::Array(items)) if items.is_empty() || items.len() > 500 => {
            c.fail("The size of shipping_info must be between 1 and 500".to_owned());
            Vec::new()
        }
        _ => c
            .array(&obj, "shipping_info", 500)
            .into_iter()
            .enumerate()
            .map(|(i, s)| c.shipping_info(s, i))
            .collect(),
    };
    c.finish(info)
}

// Klarna validates `description` (0-255) but does not show it anywhere an
// order is read; we choose to check it and not keep it.
/// Validates an `Update authorization` body.
pub(crate) fn authorization_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<AuthorizationUpdate, BodyError> {
    let obj = json_object(content_type, body)?;
    let mut c = Checker::default();
    let amount = c.int(&obj, "order_amount", "order_amount", (0, MAX_AMOUNT), true);
    c.string(&obj, "description", "description", 255);
    let order_lines = lines(&mut c, &obj);
    c.finish(AuthorizationUpdate {
        order_amount: amount.unwrap_or(0),
        order_lines,
    })
}

/// Validates an `Update merchant references` body (both fields optional).
pub(crate) fn merchant_references_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<MerchantReferences, BodyError> {
    let obj = json_object(content_type, body)?;
    let mut c = Checker::default();
    let merchant_reference1 = c.string(&obj, "merchant_reference1", "merchant_reference1", 255);
    let merchant_reference2 = c.string(&obj, "merchant_reference2", "merchant_reference2", 255);
    c.finish(MerchantReferences {
        merchant_reference1,
        merchant_reference2,
    })
}

// Klarna does not document how it checks `country` beyond "ISO 3166
// alpha-2"; we choose two ASCII letters, any case, like its samples ("us").
/// Validates an `UpdateConsumer` body: the `shipping_address` fields, each
/// within Klarna's limits; mandatory fields may not be cleared with "".
pub(crate) fn customer_details_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<CustomerDetails, BodyError> {
    let obj = json_object(content_type, body)?;
    let mut c = Checker::default();
    let mut fields = Vec::new();
    match obj.get("shipping_address") {
        None | Some(Value::Null) => {}
        Some(Value::Object(address)) => {
            for (field, max) in ADDRESS_STRINGS {
                let path = format!("shipping_address.{field}");
                if let Some(v) = c.string(address, field, &path, *max) {
                    fields.push(((*field).to_owned(), v));
                }
            }
            let path = "shipping_address.country";
            if let Some(v) = c.string(address, "country", path, usize::MAX) {
                let alpha2 = v.len() == 2 && v.chars().all(|ch| ch.is_ascii_alphabetic());
                if !v.is_empty() && !alpha2 {
                    c.fail(format!("'{path}' must be an ISO 3166 alpha-2 country code"));
                }
                fields.push(("country".to_owned(), v));
            }
            for (field, value) in &fields {
                if value.is_empty() && ADDRESS_MANDATORY.contains(&field.as_str()) {
                    c.fail(format!(
                        "'shipping_address.{field}' is mandatory and cannot be cleared"
                    ));
                }
            }
        }
        Some(_) => c.fail("'shipping_address' must be an object".to_owned()),
    }
    let billing_address = obj.get("billing_address").is_some_and(|v| !v.is_null());
    c.finish(CustomerDetails {
        shipping_address: fields,
        billing_address,
    })
}

/// Validates an `ExtendDueDateRequest` body: `number_of_days`, an int32.
pub(crate) fn extend_due_date_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<i64, BodyError> {
    let obj = json_object(content_type, body)?;
    let mut c = Checker::default();
    let days = c.int(
        &obj,
        "number_of_days",
        "number_of_days",
        (i64::from(i32::MIN), i64::from(i32::MAX)),
        true,
    );
    c.finish(days.unwrap_or(0))
}
