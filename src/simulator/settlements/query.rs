//! The query parameters of the Settlements API, checked the way its
//! description states them: dates in ISO 8601 (a date alone means midnight
//! UTC), `size` from 1 to 500 (default 20), `offset` from 0 (default 0), an
//! ISO 4217 `currency_code`. Every problem found is reported at once, in one
//! 400 answer with Klarna's error shape.

// Klarna documents `size` with a maximum of 500 and no minimum; we choose to
// refuse a size below 1 because a page of nothing cannot move forward, so a
// client following `next` links would loop.
//
// Klarna does not document what an empty or repeated parameter gets; we choose
// 400 for both because neither says which value the caller meant, and guessing
// would widen a filter (an empty `payment_reference` is not "every payout").
//
// Klarna does not document a date range whose start is after its end; we choose
// 400 because such a range can only be a mistake.
//
// Klarna documents the date parameters as date-times, "ISO 8601", and says that
// a date without a time means the start of that day in UTC; we accept RFC 3339
// date-times, a date alone, and a date-time without an offset (read as UTC, by
// the same rule). A `+` in an offset must be percent-encoded (`%2B`): in a
// query string a bare `+` means a space, and the date is then refused.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::simulator::respond::SimResponse;

/// Default page size.
pub(crate) const DEFAULT_SIZE: usize = 20;
/// Largest page size.
pub(crate) const MAX_SIZE: usize = 500;

/// A decoded query string, in the order the parameters were sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

/// Which part of a collection to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) size: usize,
    pub(crate) offset: usize,
}

/// The problems found so far; each becomes one of the 400's `error_messages`.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, message: String) {
        self.0.push(message);
    }

    /// Records a problem found outside this module.
    pub(crate) fn push_message(&mut self, message: &str) {
        self.0.push(message.to_owned());
    }

    /// `Ok(value)` when nothing was wrong, else the 400 answer.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, SimResponse> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(SimResponse::error(400, "BAD_REQUEST", self.0))
        }
    }
}

fn parse_date_time(raw: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(t);
    }
    if let Ok(d) = Date::parse(raw, format_description!("[year]-[month]-[day]")) {
        return Some(d.midnight().assume_utc());
    }
    PrimitiveDateTime::parse(
        raw,
        format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        ),
    )
    .ok()
    .map(PrimitiveDateTime::assume_utc)
}

impl Query {
    /// Decodes `raw` (the part after `?`), keeping every pair.
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Self { pairs }
    }

    /// The value of `name` if sent exactly once and not empty.
    pub(crate) fn text(&self, name: &str, problems: &mut Problems) -> Option<String> {
        let mut values = self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next()?;
        if values.next().is_some() {
            problems.push(format!("{name} is given more than once: send it once"));
            return None;
        }
        if first.is_empty() {
            problems.push(format!("{name} is empty: give a value or leave it out"));
            return None;
        }
        Some(first.clone())
    }

    /// `text(name)`, reporting its absence as a problem.
    pub(crate) fn required(
        &self,
        name: &str,
        hint: &str,
        problems: &mut Problems,
    ) -> Option<String> {
        let present = self.pairs.iter().any(|(k, _)| k == name);
        if !present {
            problems.push(format!("{name} is required: {hint}"));
            return None;
        }
        self.text(name, problems)
    }

    /// A date-time parameter; `required` makes its absence a problem.
    pub(crate) fn date(
        &self,
        name: &str,
        required: bool,
        problems: &mut Problems,
    ) -> Option<OffsetDateTime> {
        const HINT: &str = "an ISO 8601 date-time such as 2020-01-23T00:00:00Z";
        let raw = if required {
            self.required(name, HINT, problems)?
        } else {
            self.text(name, problems)?
        };
        let parsed = parse_date_time(&raw);
        if parsed.is_none() {
            problems.push(format!("{name} is not {HINT} (a date alone means midnight UTC; encode a + in an offset as %2B)"));
        }
        parsed
    }

    /// `start_date` and `end_date`, and that they are in order.
    pub(crate) fn date_range(
        &self,
        required: bool,
        problems: &mut Problems,
    ) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
        let start = self.date("start_date", required, problems);
        let end = self.date("end_date", required, problems);
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            problems.push("start_date is after end_date: swap them".to_owned());
        }
        (start, end)
    }

    /// `currency_code`, upper-cased, if sent.
    pub(crate) fn currency(&self, problems: &mut Problems) -> Option<String> {
        let raw = self.text("currency_code", problems)?;
        if raw.len() == 3 && raw.bytes().all(|b| b.is_ascii_alphabetic()) {
            Some(raw.to_ascii_uppercase())
        } else {
            problems.push(
                "currency_code is not an ISO 4217 currency code: use three letters such as EUR, USD, AUD or GBP"
                    .to_owned(),
            );
            None
        }
    }

    /// `size` and `offset`, with their defaults.
    pub(crate) fn page(&self, problems: &mut Problems) -> Page {
        let mut number = |name: &str, min: usize, max: Option<usize>, default: usize| {
            let Some(raw) = self.text(name, problems) else {
                return default;
            };
            match raw.parse::<usize>() {
                Ok(n) if n >= min && max.is_none_or(|m| n <= m) => n,
                _ => {
                    let range = max.map_or_else(
                        || format!("{min} or more"),
                        |m| format!("from {min} to {m}"),
                    );
                    problems.push(format!("{name} must be a whole number {range}"));
                    default
                }
            }
        };
        let size = number("size", 1, Some(MAX_SIZE), DEFAULT_SIZE);
        let offset = number("offset", 0, None, 0);
        Page { size, offset }
    }

    /// The URI of the page at `offset` (same filters, same size):
    /// `{base}{path}?…&offset=…&size=…`.
    pub(crate) fn page_link(&self, base: &str, path: &str, offset: usize, size: usize) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self
            .pairs
            .iter()
            .filter(|(k, _)| k != "offset" && k != "size")
        {
            query.append_pair(k, v);
        }
        query.append_pair("offset", &offset.to_string());
        query.append_pair("size", &size.to_string());
        format!("{base}{path}?{}", query.finish())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn problems_of(raw: &str, check: impl FnOnce(&Query, &mut Problems)) -> Vec<String> {
        let mut problems = Problems::default();
        check(&Query::parse(Some(raw)), &mut problems);
        problems.0
    }

    #[test]
    fn dates_in_the_forms_klarna_describes() {
        let q = Query::parse(Some(
            "start_date=2020-01-23&end_date=2020-01-23T23%3A59%3A59%2B02%3A00&x=2020-01-23T10:00:00",
        ));
        let mut p = Problems::default();
        let (s, e) = q.date_range(true, &mut p);
        assert_eq!(s.unwrap().to_string(), "2020-01-23 0:00:00.0 +00:00:00");
        assert_eq!(
            e.unwrap().unix_timestamp(),
            s.unwrap().unix_timestamp() + 86_399 - 7_200
        );
        assert!(q.date("x", true, &mut p).is_some());
        assert!(p.0.is_empty(), "{:?}", p.0);
        // A bare + in the query string is a space: refused.
        let bad = problems_of("start_date=2020-01-23T00:00:00+02:00", |q, p| {
            q.date("start_date", true, p);
        });
        assert_eq!(bad.len(), 1);
        assert!(bad[0].starts_with("start_date is not an ISO 8601 date-time"));
    }

    #[test]
    fn every_problem_is_reported() {
        let found = problems_of(
            "size=501&offset=-1&currency_code=EURO&end_date=2020-01-01&start_date=2020-02-01",
            |q, p| {
                q.page(p);
                q.currency(p);
                q.date_range(true, p);
            },
        );
        assert_eq!(found.len(), 4, "{found:?}");
        let missing = problems_of("size=0&size=1&currency_code=", |q, p| {
            q.page(p);
            q.currency(p);
            q.date_range(true, p);
        });
        assert_eq!(
            missing,
            [
                "size is given more than once: send it once",
                "currency_code is empty: give a value or leave it out",
                "start_date is required: an ISO 8601 date-time such as 2020-01-23T00:00:00Z",
                "end_date is required: an ISO 8601 date-time such as 2020-01-23T00:00:00Z",
            ]
        );
    }

    #[test]
    fn page_links_keep_the_filters() {
        let q = Query::parse(Some("currency_code=EUR&size=2&offset=4"));
        assert_eq!(
            q.page_link("http://h", "/p", 6, 2),
            "http://h/p?currency_code=EUR&offset=6&size=2"
        );
        let mut p = Problems::default();
        assert_eq!(q.page(&mut p), Page { size: 2, offset: 4 });
        assert_eq!(
            Query::parse(None).page(&mut p),
            Page {
                size: 20,
                offset: 0
            }
        );
    }
}
