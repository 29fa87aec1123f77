//! Text from upstream, made safe to show. Everything Klarna (or whatever answers in its
//! place: a proxy, a gateway, an attacker on the path) sends is input: before any of it
//! reaches a tool result or a log line it is
//!
//! - **scrubbed** of this server's own secrets — an upstream that echoes the request's
//!   `Authorization` header must not hand the credentials to the model or the log;
//! - **escaped** — control characters (newlines above all), Unicode line separators and
//!   bidirectional overrides become visible `\u{…}` escapes, so upstream text cannot forge
//!   a log line or a line of a result;
//! - **bounded** — cut to a length, saying how much was cut.

use base64::Engine;
use secrecy::ExposeSecret;
use serde_json::Value;

use super::config::Credentials;

/// Longest upstream string kept in a decoded answer (characters). Klarna's own fields are at
/// most 1024 characters (a tracking URL); anything longer is not Klarna's.
pub const MAX_FIELD_CHARS: usize = 1024;
/// Longest error message kept (characters).
pub const MAX_MESSAGE_CHARS: usize = 500;
/// Longest id or header value kept (characters).
pub const MAX_ID_CHARS: usize = 100;

/// What replaces a secret found in upstream text.
pub const REDACTED: &str = "[redacted]";

/// Shortest secret looked for. A shorter one cannot be told apart from ordinary text
/// (scrubbing every `p` would mangle every id and URL), and Klarna's passwords and API keys
/// are far longer.
pub const MIN_SECRET_CHARS: usize = 8;

/// Scrubs this server's secrets from upstream text, escapes it and bounds it.
#[derive(Clone, Default)]
pub struct Sanitizer {
    /// Every form in which a secret could come back: the password or API key, the base64
    /// of `username:password` (the Basic header's value), and their escaped spellings.
    secrets: Vec<String>,
}

impl std::fmt::Debug for Sanitizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sanitizer")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl Sanitizer {
    /// A sanitizer that knows `credentials`' secrets.
    pub fn new<'a>(credentials: impl IntoIterator<Item = &'a Credentials>) -> Self {
        let mut secrets = Vec::new();
        for c in credentials {
            let password = c.secret.expose_secret();
            let mut forms = vec![password.to_string()];
            if let Some(user) = &c.username {
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                // Unpadded too: an echo cut or re-encoded without its `=` is still the login.
                forms.push(basic.trim_end_matches('=').to_string());
                forms.push(basic);
            }
            for secret in forms {
                let json = serde_json::to_string(&secret).unwrap_or_default();
                let json = json.trim_matches('"').to_string();
                let percent: String =
                    url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
                // JSON encoders that escape `/` (PHP's, many gateways') write it `\/`.
                let slashes = json.replace('/', "\\/");
                for form in [secret, json, percent, slashes] {
                    if form.chars().count() >= MIN_SECRET_CHARS && !secrets.contains(&form) {
                        secrets.push(form);
                    }
                }
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self { secrets }
    }

    /// `text` scrubbed, escaped and cut to `max` characters. A secret is replaced whole
    /// before anything is cut; a text that was already cut upstream and ends (or begins) with
    /// part of a secret — at least [`MIN_SECRET_CHARS`] of it — has that part replaced too.
    pub fn text(&self, text: &str, max: usize) -> String {
        let mut scrubbed = text.to_string();
        for secret in &self.secrets {
            if scrubbed.contains(secret.as_str()) {
                scrubbed = scrubbed.replace(secret.as_str(), REDACTED);
            }
        }
        for secret in &self.secrets {
            if let Some(part) = longest_edge_part(&scrubbed, secret) {
                scrubbed = part.replace_in(&scrubbed);
            }
        }
        bound(&escape(&scrubbed), max)
    }

    /// Whether `bytes` (a document, not necessarily text) hold one of the secrets whole, in
    /// any spelling this sanitizer knows.
    pub fn found_in(&self, bytes: &[u8]) -> bool {
        self.secrets.iter().any(|secret| {
            let secret = secret.as_bytes();
            bytes.windows(secret.len()).any(|w| w == secret)
        })
    }

    /// Every string in `value` (keys too) scrubbed, escaped and cut to `max` characters.
    pub fn json(&self, value: &mut Value, max: usize) {
        match value {
            Value::String(s) => *s = self.text(s, max),
            Value::Array(items) => items.iter_mut().for_each(|v| self.json(v, max)),
            Value::Object(map) => {
                let entries = std::mem::take(map);
                for (k, mut v) in entries {
                    self.json(&mut v, max);
                    map.insert(self.text(&k, MAX_ID_CHARS), v);
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
}

/// Part of a secret at one edge of a text.
enum EdgePart {
    /// The text ends with the secret's first `n` bytes.
    End(usize),
    /// The text begins with the secret's last `n` bytes.
    Start(usize),
}

impl EdgePart {
    fn replace_in(&self, text: &str) -> String {
        match *self {
            Self::End(n) => format!("{}{REDACTED}", &text[..text.len() - n]),
            Self::Start(n) => format!("{REDACTED}{}", &text[n..]),
        }
    }
}

/// The longest part of `secret` (at least [`MIN_SECRET_CHARS`] characters, short of the
/// whole) that `text` ends or begins with.
fn longest_edge_part(text: &str, secret: &str) -> Option<EdgePart> {
    // Cheap test first (this runs on every string of every answer): the text's last and
    // first few characters must occur in the secret at all.
    let (last_start, _) = text.char_indices().rev().nth(MIN_SECRET_CHARS - 1)?;
    let first_end = text
        .char_indices()
        .nth(MIN_SECRET_CHARS)
        .map_or(text.len(), |(i, _)| i);
    if !secret.contains(&text[last_start..]) && !secret.contains(&text[..first_end]) {
        return None;
    }
    let mut ends: Vec<usize> = secret.char_indices().map(|(i, _)| i).skip(1).collect();
    ends.reverse();
    for n in ends {
        let head = &secret[..n];
        if head.chars().count() < MIN_SECRET_CHARS {
            break;
        }
        if text.ends_with(head) {
            return Some(EdgePart::End(n));
        }
    }
    for (i, _) in secret.char_indices().skip(1) {
        let tail = &secret[i..];
        if tail.chars().count() < MIN_SECRET_CHARS {
            break;
        }
        if text.starts_with(tail) {
            return Some(EdgePart::Start(tail.len()));
        }
    }
    None
}

/// Whether a character could break a line or reorder what is shown — refused in what the
/// model sends, escaped in what upstream sends.
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{feff}')
}

/// Control characters and line or direction hazards as visible escapes.
pub fn escape(text: &str) -> String {
    if !text.chars().any(is_hazard) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hazard(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to `max` characters, saying how many were cut.
pub fn bound(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… [cut: {} more characters]", count - max)
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn sanitizer() -> Sanitizer {
        Sanitizer::new([&Credentials {
            username: Some("merchant".into()),
            secret: SecretString::from("s3cr\"et/pw".to_string()),
            source: "TEST".into(),
        }])
    }

    #[test]
    fn every_spelling_of_our_secrets_is_redacted() {
        let s = sanitizer();
        let basic = base64::engine::general_purpose::STANDARD.encode("merchant:s3cr\"et/pw");
        for leak in [
            format!("echo: Authorization: Basic {basic}"),
            "password s3cr\"et/pw".to_string(),
            r#"{"pw":"s3cr\"et/pw"}"#.to_string(),
            "q=s3cr%22et%2Fpw".to_string(),
        ] {
            let out = s.text(&leak, 1000);
            assert!(out.contains(REDACTED), "{leak} -> {out}");
            assert!(!out.contains("s3cr") && !out.contains(&basic), "{out}");
        }
    }

    #[test]
    fn a_secret_cut_at_an_edge_or_with_escaped_slashes_is_still_redacted() {
        let s = sanitizer();
        let basic = base64::engine::general_purpose::STANDARD.encode("merchant:s3cr\"et/pw");
        // cut upstream one character before its end, or missing its first characters
        let head = &basic[..basic.len() - 1];
        let out = s.text(&format!("echo: Basic {head}"), 1000);
        assert!(
            out.starts_with(&format!("echo: Basic {REDACTED}")) && !out.contains(&basic[..8]),
            "{out}"
        );
        let head = &basic[..basic.len() - 5];
        let out = s.text(&format!("echo: Basic {head}"), 1000);
        assert_eq!(out, format!("echo: Basic {REDACTED}"));
        let tail = &basic[3..];
        let out = s.text(&format!("{tail} was the header"), 1000);
        assert_eq!(out, format!("{REDACTED} was the header"));
        // `/` written `\/` by a JSON encoder, and the Basic value without its padding
        let out = s.text(r#"{"pw":"s3cr\"et\/pw"}"#, 1000);
        assert!(!out.contains("s3cr"), "{out}");
        let unpadded = basic.trim_end_matches('=');
        let out = s.text(&format!("{unpadded}."), 1000);
        assert!(!out.contains(unpadded), "{out}");
        // ordinary text that shares a few characters with a secret is left alone
        assert_eq!(s.text("s3cr", 1000), "s3cr");
    }

    #[test]
    fn a_secret_is_found_in_a_document_in_any_spelling() {
        let s = sanitizer();
        let basic = base64::engine::general_purpose::STANDARD.encode("merchant:s3cr\"et/pw");
        assert!(s.found_in(format!("%PDF-1.4 Basic {basic} %%EOF").as_bytes()));
        assert!(s.found_in(b"a,b\r\nx,s3cr%22et%2Fpw\r\n"));
        assert!(!s.found_in(b"a,b\r\nx,s3cr\r\n"));
        assert!(!Sanitizer::default().found_in(b"anything"));
    }

    #[test]
    fn newlines_and_direction_overrides_cannot_forge_lines() {
        let out = escape("ok\n2026-11-26T00:00:00Z INFO audit: outcome=ok\u{202e}x\u{2028}");
        assert!(!out.contains('\n') && !out.contains('\u{202e}') && !out.contains('\u{2028}'));
        assert!(
            out.contains("\\n2026") && out.contains("\\u{202e}"),
            "{out}"
        );
    }

    #[test]
    fn long_text_is_cut_and_says_so() {
        let out = bound(&"x".repeat(7_000_000), 500);
        assert!(out.starts_with(&"x".repeat(500)));
        assert!(
            out.ends_with("… [cut: 6999500 more characters]"),
            "{}",
            &out[490..]
        );
        assert_eq!(bound("short", 500), "short");
    }

    #[test]
    fn json_strings_and_keys_are_cleaned_numbers_kept() {
        let s = sanitizer();
        let mut v = serde_json::json!({
            "name\n": "line\nbreak",
            "n": 1.0,
            "list": ["s3cr\"et/pw", null, true],
        });
        s.json(&mut v, 1000);
        assert_eq!(
            v,
            serde_json::json!({
                "name\\n": "line\\nbreak",
                "n": 1.0,
                "list": ["[redacted]", null, true],
            })
        );
    }
}
