//! What the finance tools take, checked before anything is sent: dates (a day or an RFC 3339
//! time, sent as Klarna recommends), pages, payment references, currencies — and the schema
//! text the model reads for each.

use schemars::{Schema, SchemaGenerator, json_schema};
use time::{Date, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

use crate::{
    host::ALL_HOSTS,
    klarna::Page,
    tools::{args::quote, errors::ToolError},
};

/// Elements per page when `size` is left out (Klarna's default).
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Largest page a tool asks for: Klarna allows 500, but a result must stay readable.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Largest `offset` taken.
pub const MAX_OFFSET: u64 = 10_000_000;
/// Most rows a result's text lists; the structured content has the whole page.
pub const TEXT_ROWS: usize = 25;

/// Which end of a period a date names: a day alone then means its first or its last second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// From 00:00:00 UTC.
    Start,
    /// Up to 23:59:59 UTC.
    End,
}

const DATE_FIX: &str = "give a date (2026-11-26, the whole day in UTC) or an RFC 3339 time (2026-11-26T09:00:00Z, or with an offset such as +01:00)";

/// Reads a day (`2026-11-26`: its start or its end, in UTC) or an RFC 3339 time.
pub fn parse_date(field: &str, value: &str, bound: Bound) -> Result<OffsetDateTime, ToolError> {
    let value = value.trim();
    if let Ok(at) = OffsetDateTime::parse(value, &Rfc3339) {
        // Klarna takes whole seconds: a fraction is rounded outwards, so the time given is
        // inside the period (an end at .569 s includes what happened at .569 s).
        let whole = at.replace_nanosecond(0).unwrap_or(at);
        let at = match bound {
            Bound::End if whole != at => whole + time::Duration::SECOND,
            _ => whole,
        };
        return Ok(at.to_offset(UtcOffset::UTC));
    }
    let day = Date::parse(
        value,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| ToolError::invalid(field, format!("{} is not a date", quote(value)), DATE_FIX))?;
    let at = match bound {
        Bound::Start => day.midnight(),
        Bound::End => day.with_hms(23, 59, 59).unwrap_or(day.midnight()),
    };
    Ok(at.assume_utc())
}

/// A time as Klarna recommends it in its date filters: a full UTC date-time to the second,
/// `2020-01-23T00:00:00Z` (a date alone would mean midnight, which an end date rarely means).
pub fn wire_date(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// `startDate` and `endDate` read and in order; either may be absent.
pub fn period(
    start: Option<&str>,
    end: Option<&str>,
) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>), ToolError> {
    let start = start
        .map(|s| parse_date("startDate", s, Bound::Start))
        .transpose()?;
    let end = end
        .map(|e| parse_date("endDate", e, Bound::End))
        .transpose()?;
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return Err(ToolError::invalid(
            "startDate",
            format!("{} is after endDate {}", wire_date(s), wire_date(e)),
            "give the earlier date as startDate",
        ));
    }
    Ok((start, end))
}

/// A payout's payment reference: 1-64 letters, digits, `.`, `_` or `-` (Klarna's look like
/// `XISA93DJ`). Anything else is refused before it reaches a URL.
pub fn check_payment_reference(value: &str) -> Result<(), ToolError> {
    let ok = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(
            "paymentReference",
            format!("{} is not a payment reference", quote(value)),
            "pass the payout's payment reference as on the bank statement or as list_payouts shows it (letters and digits, e.g. XISA93DJ)",
        ))
    }
}

/// `size` and `offset`, checked, with their defaults.
pub fn page(size: Option<i64>, offset: Option<i64>) -> Result<Page, ToolError> {
    let size = match size {
        None => DEFAULT_PAGE_SIZE,
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ToolError::invalid(
                    "size",
                    format!("{n} is out of range"),
                    format!("use 1 to {MAX_PAGE_SIZE}, or leave it out for {DEFAULT_PAGE_SIZE}; page on with offset"),
                )
            })?,
    };
    let offset = match offset {
        None => 0,
        Some(n) => u64::try_from(n)
            .ok()
            .filter(|n| *n <= MAX_OFFSET)
            .ok_or_else(|| {
                ToolError::invalid(
                    "offset",
                    format!("{n} is out of range"),
                    format!(
                        "use 0 to {MAX_OFFSET}: the nextOffset a result gives, or leave it out to start at the first"
                    ),
                )
            })?,
    };
    Ok(Page { size, offset })
}

// Schemas: plain, portable JSON Schema, each with the text the model reads.

/// What `apiHost` means for settlement data, said once for every finance tool.
pub const SETTLEMENTS_HOST_DOC: &str = "Klarna host of the region and environment whose settlements to read: each region pays out on its own, and its credentials see only its own payouts. Omit to use the server's default host. Production: api.klarna.com (Europe), api-na.klarna.com (North America), api-oc.klarna.com (Oceania); playground (test) hosts add \".playground\".";

/// `apiHost` of a finance tool.
pub fn settlements_host_schema(_: &mut SchemaGenerator) -> Schema {
    let hosts: Vec<&str> = ALL_HOSTS.map(|h| h.as_str()).to_vec();
    json_schema!({ "type": "string", "enum": hosts, "description": SETTLEMENTS_HOST_DOC })
}

/// `startDate`.
pub fn start_date_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string", "minLength": 10, "maxLength": 40,
        "description": "First payout date included: a date (2026-11-01, from 00:00:00 UTC that day) or an RFC 3339 time (2026-11-01T00:00:00Z, or with an offset). Sent to Klarna as a UTC date-time.",
    })
}

/// `endDate`.
pub fn end_date_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string", "minLength": 10, "maxLength": 40,
        "description": "Last payout date included: a date (2026-11-30, up to 23:59:59 UTC that day) or an RFC 3339 time. Sent to Klarna as a UTC date-time.",
    })
}

/// `paymentReference`.
pub fn payment_reference_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$",
        "description": "A payout's payment reference: the reference on the merchant's bank statement, or as list_payouts shows it (e.g. XISA93DJ).",
    })
}

/// `currency` as a filter.
pub fn currency_filter_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string", "minLength": 3, "maxLength": 3, "pattern": "^[A-Za-z]{3}$",
        "description": "Only payouts in this ISO 4217 currency (EUR, USD, SEK, …). Omit for every currency.",
    })
}

/// `size`.
pub fn size_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
        "description": format!("How many to return in this page (1-{MAX_PAGE_SIZE}). Omit for {DEFAULT_PAGE_SIZE}."),
    })
}

/// `offset`.
pub fn offset_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "integer", "minimum": 0, "maximum": MAX_OFFSET,
        "description": "Where the page starts: 0 for the first; to page on, pass the nextOffset the previous result gave (keep the other filters the same). Omit for 0.",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_its_first_or_last_second_and_times_go_out_in_utc() {
        let start = parse_date("startDate", "2026-11-26", Bound::Start).unwrap();
        let end = parse_date("endDate", "2026-11-26", Bound::End).unwrap();
        assert_eq!(wire_date(start), "2026-11-26T00:00:00Z");
        assert_eq!(wire_date(end), "2026-11-26T23:59:59Z");
        let shifted = parse_date("startDate", "2026-11-26T01:30:00+02:00", Bound::Start).unwrap();
        assert_eq!(wire_date(shifted), "2026-11-25T23:30:00Z");
        let fraction = "2026-11-26T09:00:00.569Z";
        let start = parse_date("startDate", fraction, Bound::Start).unwrap();
        let end = parse_date("endDate", fraction, Bound::End).unwrap();
        assert_eq!(wire_date(start), "2026-11-26T09:00:00Z");
        assert_eq!(wire_date(end), "2026-11-26T09:00:01Z");
        let err = parse_date("endDate", "26.11.2026", Bound::End)
            .unwrap_err()
            .message();
        assert!(
            err.starts_with("Invalid argument `endDate`: \"26.11.2026\" is not a date"),
            "{err}"
        );
    }

    #[test]
    fn a_period_must_run_forwards() {
        assert!(period(Some("2026-11-02"), Some("2026-11-01")).is_err());
        assert!(period(Some("2026-11-01"), Some("2026-11-01")).is_ok());
        assert_eq!(period(None, None).unwrap(), (None, None));
    }

    #[test]
    fn pages_and_references_are_checked() {
        assert_eq!(
            page(None, None).unwrap(),
            Page {
                size: 20,
                offset: 0
            }
        );
        assert!(page(Some(0), None).is_err());
        assert!(page(Some(101), None).is_err());
        assert!(page(None, Some(-1)).is_err());
        assert!(check_payment_reference("XISA93DJ").is_ok());
        for bad in ["", "../x", "a b", "x?y=1", &"A".repeat(65)] {
            assert!(check_payment_reference(bad).is_err(), "{bad}");
        }
    }
}
