//! Money in minor units, and how it is shown to people.
//!
//! Klarna sends and takes every amount as an integer number of minor units (cents, öre,
//! pence). Every currency Klarna supports has two decimals in ISO 4217, so
//! `10500` in EUR is `105.00 EUR`. Text results show both forms — `105.00 EUR (10500)` —
//! so a model can quote the figure a person reads and the integer the tools take.

/// Largest amount Klarna accepts for a capture, refund or order (minor units).
pub const MAX_AMOUNT: i64 = 200_000_000;

/// Decimal places of a currency's minor unit.
///
/// Klarna's fifteen currencies all have two; an unknown code also gets two, which is
/// the ISO 4217 default, rather than failing a read over a display detail.
pub fn minor_unit_exponent(_currency: &str) -> u32 {
    2
}

/// Formats an amount in minor units as `"105.00 EUR (10500)"`: what a person reads, and the
/// integer the tools take.
pub fn format_money(amount: i64, currency: &str) -> String {
    format!("{} ({amount})", format_major(amount, currency))
}

/// Formats an amount in minor units as `"105.00 EUR"`, for questions put to people.
pub fn format_major(amount: i64, currency: &str) -> String {
    let currency = currency.to_ascii_uppercase();
    let exponent = minor_unit_exponent(&currency);
    let scale = 10_i128.pow(exponent);
    let value = i128::from(amount);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.abs();
    let major_part = group_thousands(abs / scale);
    if exponent == 0 {
        format!("{sign}{major_part} {currency}")
    } else {
        format!(
            "{sign}{major_part}.{:0width$} {currency}",
            abs % scale,
            width = exponent as usize
        )
    }
}

/// `1234567` → `1,234,567`.
fn group_thousands(value: i128) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units_with_currency_and_raw_integer() {
        assert_eq!(format_money(10500, "EUR"), "105.00 EUR (10500)");
        assert_eq!(format_money(5, "sek"), "0.05 SEK (5)");
        assert_eq!(format_money(0, "USD"), "0.00 USD (0)");
        assert_eq!(format_money(-1999, "GBP"), "-19.99 GBP (-1999)");
        assert_eq!(
            format_money(200_000_000, "EUR"),
            "2,000,000.00 EUR (200000000)"
        );
        assert_eq!(
            format_money(i64::MIN, "EUR"),
            "-92,233,720,368,547,758.08 EUR (-9223372036854775808)"
        );
    }
}
