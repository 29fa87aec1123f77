//! Mistakes that parse: settings the server can start with but that are probably not what
//! the person who wrote them meant, said once at start-up (stderr, and to an MCP client that
//! asked for log messages).
//!
//! - a `KLARNA_*` name the server does not read — `KLARNA_US_API_KEY` for
//!   `KLARNA_NA_API_KEY` — with the name it probably meant (known aliases of regions and
//!   words first, then the nearest name by edit distance);
//! - a value that is still a placeholder `klarna-mcp config` prints (`<your EU API key …>`):
//!   as a credential it is refused, like a missing one (see [`super::credentials`]).
//!
//! The names the server reads are those `.env.example` documents (a test keeps that file
//! true to the code), the credential sets, the variables MCP clients read for their side
//! of the connection, and the test harness's own `KLARNA_TEST_*`.

use std::collections::BTreeSet;

use crate::clients::{EU_KEY_PLACEHOLDER, NA_KEY_PLACEHOLDER, TOKEN_PLACEHOLDER, TOKEN_VARIABLE};

/// The settings template, whose `NAME=` lines are every variable the server reads.
const DOCUMENTED: &str = include_str!("../../.env.example");

/// Variables that belong to an MCP client's side of a team-server connection: set where a
/// client runs, they may well be in the environment of a server the same client starts.
const CLIENT_SIDE: [&str; 2] = [TOKEN_VARIABLE, "KLARNA_MCP_AUTHORIZATION"];

/// The prefix of the test harness's own variables, which the server never reads.
const TEST_PREFIX: &str = "KLARNA_TEST_";

/// Every `KLARNA_*` name the server (or a client it shares an environment with) reads.
pub fn known_variables() -> BTreeSet<String> {
    let mut known = names_in(DOCUMENTED);
    known.extend(super::credentials::all_variables());
    known.extend(CLIENT_SIDE.map(String::from));
    known
}

/// `KLARNA_*` names in a text: upper-case letters and underscores after the prefix, not
/// ending in `_` (`KLARNA_HTTP_*` names a family, not a variable).
fn names_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("KLARNA_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .unwrap_or(tail.len());
        let name = &tail[..end];
        if name.len() > "KLARNA_".len() && !name.ends_with('_') {
            out.insert(name.to_string());
        }
        rest = &tail[end..];
    }
    out
}

/// One warning per `KLARNA_*` name in `given` (name, where it was set) that the server does
/// not read, with the name it probably meant when one is close.
pub fn unknown_variables<'a>(given: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    let known = known_variables();
    let mut seen = BTreeSet::new();
    let mut warnings = Vec::new();
    for (name, source) in given {
        if !name.starts_with("KLARNA_")
            || name.starts_with(TEST_PREFIX)
            || known.contains(name)
            || !seen.insert(name)
        {
            continue;
        }
        // The name comes from the environment or a file: shown bounded and escaped.
        let shown = crate::klarna::sanitize::bound(&crate::klarna::sanitize::escape(name), 80);
        warnings.push(match suggestion(name, &known) {
            Some(meant) => format!(
                "{shown} (in the {source}) is not a setting klarna-mcp reads and is ignored; did you mean {meant}?"
            ),
            None => format!(
                "{shown} (in the {source}) is not a setting klarna-mcp reads and is ignored; the README's \
                 Configuration table lists the ones it does"
            ),
        });
    }
    warnings
}

/// Words people write for a region, an environment or a credential part, and the word the
/// server's names use.
const ALIASES: &[(&str, &str)] = &[
    ("US", "NA"),
    ("USA", "NA"),
    ("CA", "NA"),
    ("AMERICA", "NA"),
    ("AMERICAS", "NA"),
    ("NORTHAMERICA", "NA"),
    ("AU", "OC"),
    ("AUS", "OC"),
    ("NZ", "OC"),
    ("AUSTRALIA", "OC"),
    ("OCEANIA", "OC"),
    ("APAC", "OC"),
    ("EUR", "EU"),
    ("EUROPE", "EU"),
    ("UK", "EU"),
    ("GB", "EU"),
    ("EEA", "EU"),
    ("TEST", "PLAYGROUND"),
    ("SANDBOX", "PLAYGROUND"),
    ("STAGING", "PLAYGROUND"),
    ("PG", "PLAYGROUND"),
    ("LIVE", "PRODUCTION"),
    ("PROD", "PRODUCTION"),
    ("USER", "USERNAME"),
    ("UID", "USERNAME"),
    ("SECRET", "PASSWORD"),
    ("PASS", "PASSWORD"),
    ("PWD", "PASSWORD"),
    ("TOKEN", "KEY"),
];

/// The known name `name` was probably meant to be: the same words with aliases replaced
/// (`NORTH_AMERICA` → `NA`, `SECRET` → `PASSWORD`), with `API_` where it was left out, or
/// else the nearest known name within a few edits.
pub fn suggestion(name: &str, known: &BTreeSet<String>) -> Option<String> {
    let rest = name.strip_prefix("KLARNA_")?;
    let words: Vec<&str> = rest.split('_').filter(|w| !w.is_empty()).collect();
    let mut replaced: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // Two-word spellings first: NORTH_AMERICA, NEW_ZEALAND.
        let pair = words.get(i + 1).map(|next| format!("{}{next}", words[i]));
        match pair.as_deref() {
            Some("NORTHAMERICA") => {
                replaced.push("NA");
                i += 2;
                continue;
            }
            Some("NEWZEALAND") => {
                replaced.push("OC");
                i += 2;
                continue;
            }
            _ => {}
        }
        let word = words[i];
        replaced.push(
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == word)
                .map_or(word, |(_, meant)| meant),
        );
        i += 1;
    }
    let candidate = format!("KLARNA_{}", replaced.join("_"));
    if candidate != name && known.contains(&candidate) {
        return Some(candidate);
    }
    // `KLARNA_NA_KEY`, `KLARNA_PASSWORD`: the credential part without its `API_`.
    if let Some(last) = replaced.last()
        && ["KEY", "USERNAME", "PASSWORD"].contains(last)
        && replaced.get(replaced.len().wrapping_sub(2)) != Some(&"API")
    {
        let mut with_api = replaced.clone();
        with_api.insert(with_api.len() - 1, "API");
        let candidate = format!("KLARNA_{}", with_api.join("_"));
        if known.contains(&candidate) {
            return Some(candidate);
        }
    }
    // A typo: the nearest name, if it is near enough to be the same name misspelt.
    let limit = (candidate.len() / 6).clamp(1, 3);
    known
        .iter()
        .map(|k| (edit_distance(&candidate, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.clone())
}

/// Levenshtein distance between two ASCII names.
fn edit_distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// Whether a value is a placeholder from `klarna-mcp config` or the README rather than a real
/// credential: one of the exact texts it prints, anything in `<angle brackets>`, or a key
/// prefix followed only by an ellipsis (`klarna_live_api_...`).
pub fn is_placeholder(value: &str) -> bool {
    let value = value.trim();
    let value = value.strip_prefix("Bearer ").unwrap_or(value).trim();
    if [EU_KEY_PLACEHOLDER, NA_KEY_PLACEHOLDER, TOKEN_PLACEHOLDER].contains(&value) {
        return true;
    }
    if value.starts_with('<') && value.ends_with('>') {
        return true;
    }
    ["klarna_live_api_", "klarna_test_api_"]
        .iter()
        .any(|prefix| {
            value
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || ["...", "…", "xxx", "XXX"].contains(&rest))
        })
}
