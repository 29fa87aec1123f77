//! Reading Klarna's data the way Klarna sends it. Real payloads may carry `null` where a
//! list or a string was expected, `1.0` where an integer was, fields and enum values newer
//! than this client. None of that may make an order unreadable: these deserializers take
//! what they can and leave the rest empty, so one odd field never blocks a write whose
//! needed fields were read. (Anything that is not an object at the top is still an error.)

use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use serde_json::Value;

/// A string; `null`, a number or anything else not a string reads as absent.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// A required string; anything but a string reads as empty.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string(d).map(Option::unwrap_or_default)
}

/// An integer as Klarna may write it: `105`, `105.0`, even `"105"`. A fraction, an
/// out-of-range number or anything else reads as absent.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(integer(&Value::deserialize(d)?))
}

/// A required integer; unreadable reads as 0.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    opt_i64(d).map(Option::unwrap_or_default)
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            // Integral and inside i64 (2^63 is the first float past it).
            let limit = 2_f64.powi(63);
            (f.fract() == 0.0 && (-limit..limit).contains(&f)).then_some(f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean; anything but `true` or `false` reads as absent.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(Value::deserialize(d)?.as_bool())
}

/// A list: `null` or a non-list reads as empty, and items that cannot be read are skipped.
pub fn vec<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter(Value::is_object)
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// An object value (personal data blocks): anything but an object reads as absent.
pub fn opt_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Some(Value::deserialize(d)?).filter(Value::is_object))
}

/// A nested object read leniently; `null` or a non-object reads as absent.
pub fn opt_struct<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        v @ Value::Object(_) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

/// A string parsed into `T` (an enum whose parse cannot fail); anything else reads as absent.
pub fn opt_parsed<'de, D: Deserializer<'de>, T: std::str::FromStr>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(opt_string(d)?.and_then(|s| s.parse().ok()))
}

/// A list of strings; `null` reads as empty, non-strings are skipped.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Default, PartialEq)]
    #[serde(default)]
    struct Sample {
        #[serde(deserialize_with = "opt_i64")]
        amount: Option<i64>,
        #[serde(deserialize_with = "i64")]
        quantity: i64,
        #[serde(deserialize_with = "opt_string")]
        name: Option<String>,
        #[serde(deserialize_with = "vec")]
        items: Vec<Sample>,
    }

    #[test]
    fn nulls_floats_and_odd_values_read_as_klarna_meant_them() {
        let s: Sample = serde_json::from_str(
            r#"{"amount": 10500.0, "quantity": "2", "name": null, "items": [null, 3, {"amount": 1.5}], "new_field": true}"#,
        )
        .unwrap();
        assert_eq!(s.amount, Some(10500));
        assert_eq!(s.quantity, 2);
        assert_eq!(s.name, None);
        assert_eq!(s.items, vec![Sample::default()], "1.5 is not an amount");
        let s: Sample = serde_json::from_str(r#"{"items": null, "amount": 1e30}"#).unwrap();
        assert_eq!((s.items.len(), s.amount), (0, None));
    }
}
