//! `.env`: settings from a file in the working directory, read strictly.
//!
//! MCP clients start servers in whatever directory they like — Claude Code in the project a
//! user opened, which may be a repository cloned from anywhere. So a `.env` is input from an
//! unknown author, and it is read with that in mind:
//!
//! - only `./.env` is read, never one in a parent directory;
//! - no variable expansion: `${KLARNA_API_PASSWORD}` stays those characters, so a `.env`
//!   cannot copy a secret from the environment into some other setting;
//! - the whole file must parse, or the server does not start (naming the line): a
//!   malformed line must not silently drop the settings after it (`KLARNA_READ_ONLY=true`,
//!   a cap);
//! - only `KLARNA_*` and `RUST_LOG` are taken; the real environment wins over the file;
//! - what it set is reported by name (never by value) at startup;
//! - it cannot point requests anywhere but this machine (checked in `Config::from_env`).
//!
//! The format is the common one: `KEY=value`, optional `export `, `#` comments, values bare,
//! `'single-quoted'` (literal) or `"double-quoted"` (escapes `\n \r \t \" \\ \$`, may span
//! lines).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use super::ConfigError;

/// Largest `.env` read (bytes).
const MAX_DOTENV_BYTES: u64 = 1024 * 1024;

/// The settings a `.env` provides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DotEnv {
    /// Where it was read from.
    pub path: PathBuf,
    /// `KLARNA_*` and `RUST_LOG` values, by name.
    pub vars: BTreeMap<String, String>,
}

impl DotEnv {
    /// Reads `dir/.env` if it exists.
    pub fn load(dir: &Path) -> Result<Option<Self>, ConfigError> {
        let path = dir.join(".env");
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(dotenv_error(&path, format!("cannot be read ({e})"))),
        };
        if !meta.is_file() {
            return Err(dotenv_error(&path, "is not a regular file"));
        }
        if meta.len() > MAX_DOTENV_BYTES {
            return Err(dotenv_error(
                &path,
                format!("is larger than {MAX_DOTENV_BYTES} bytes"),
            ));
        }
        let bytes = std::fs::read(&path)
            .map_err(|e| dotenv_error(&path, format!("cannot be read ({e})")))?;
        let text =
            String::from_utf8(bytes).map_err(|_| dotenv_error(&path, "is not UTF-8 text"))?;
        let pairs = parse(&text)
            .map_err(|(line, problem)| dotenv_error(&path, format!("line {line}: {problem}")))?;
        let vars = pairs
            .into_iter()
            .filter(|(k, _)| k.starts_with("KLARNA_") || k == "RUST_LOG")
            .collect();
        Ok(Some(Self { path, vars }))
    }
}

fn dotenv_error(path: &Path, problem: impl Into<String>) -> ConfigError {
    ConfigError::DotEnv {
        path: path.display().to_string(),
        problem: problem.into(),
    }
}

/// Parses a whole `.env`; the error names the (1-based) line.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let number = i + 1;
        let line = lines.get(i).copied().unwrap_or_default();
        let line = line.strip_suffix('\r').unwrap_or(line).trim_start();
        i += 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, rest)) = line.split_once('=') else {
            return Err((number, "expected KEY=value".into()));
        };
        let key = key.trim_end();
        if !is_key(key) {
            return Err((
                number,
                format!(
                    "{} is not a variable name (letters, digits and _, not starting with a digit)",
                    shown(key)
                ),
            ));
        }
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                // The value may continue on the following lines until its closing quote.
                let mut body = rest.get(1..).unwrap_or_default().to_string();
                let (value, tail) = loop {
                    if let Some(found) = closing(&body, quote) {
                        break found;
                    }
                    match lines.get(i) {
                        Some(next) => {
                            body.push('\n');
                            body.push_str(next.strip_suffix('\r').unwrap_or(next));
                            i += 1;
                        }
                        None => {
                            return Err((
                                number,
                                format!("the {quote}-quoted value is never closed"),
                            ));
                        }
                    }
                };
                let tail = tail.trim();
                if !tail.is_empty() && !tail.starts_with('#') {
                    return Err((
                        number,
                        format!("unexpected {} after the quoted value", shown(tail)),
                    ));
                }
                if quote == '"' {
                    unescape(&value).map_err(|problem| (number, problem))?
                } else {
                    value
                }
            }
            _ => {
                // A ` #` starts a comment after a bare value.
                let bare = rest.split(" #").next().unwrap_or_default().trim();
                if bare.contains(['"', '\'']) {
                    return Err((
                        number,
                        "a bare value may not contain quotes; quote the whole value".into(),
                    ));
                }
                bare.to_string()
            }
        };
        pairs.push((key.to_string(), value));
    }
    Ok(pairs)
}

fn is_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The text up to the first unescaped `quote`, and what follows it.
fn closing(body: &str, quote: char) -> Option<(String, String)> {
    let mut escaped = false;
    for (at, c) in body.char_indices() {
        if quote == '"' && escaped {
            escaped = false;
            continue;
        }
        if quote == '"' && c == '\\' {
            escaped = true;
            continue;
        }
        if c == quote {
            let value = body.get(..at).unwrap_or_default().to_string();
            let tail = body
                .get(at + c.len_utf8()..)
                .unwrap_or_default()
                .to_string();
            return Some((value, tail));
        }
    }
    None
}

/// Resolves the escapes of a double-quoted value. `$` is only ever a character.
fn unescape(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(c @ ('"' | '\\' | '$' | '\'')) => out.push(c),
            Some(other) => return Err(format!("unknown escape \\{other} in a quoted value")),
            None => return Err("a quoted value ends with a lone backslash".into()),
        }
    }
    Ok(out)
}

/// A short, printable rendering of a piece of the file for a message (never a whole value).
fn shown(text: &str) -> String {
    let short: String = text.chars().take(40).flat_map(char::escape_debug).collect();
    if text.chars().count() > 40 {
        format!("\"{short}…\"")
    } else {
        format!("\"{short}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<(String, String)> {
        parse(text).unwrap()
    }

    #[test]
    fn reads_the_common_forms_without_expanding_anything() {
        let pairs = ok(
            "# comment\n\nexport KLARNA_A=plain value # note\nKLARNA_B='lit ${X} \\n'\n\
                        KLARNA_C=\"esc \\\" \\n ${KLARNA_API_PASSWORD} \\$\"\r\nKLARNA_D=\nKLARNA_E=\"two\nlines\"\n",
        );
        assert_eq!(
            pairs,
            vec![
                ("KLARNA_A".into(), "plain value".into()),
                ("KLARNA_B".into(), "lit ${X} \\n".into()),
                (
                    "KLARNA_C".into(),
                    "esc \" \n ${KLARNA_API_PASSWORD} $".into()
                ),
                ("KLARNA_D".into(), String::new()),
                ("KLARNA_E".into(), "two\nlines".into()),
            ]
        );
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_it() {
        for (text, line) in [
            ("KLARNA_A=1\nnot a setting\nKLARNA_READ_ONLY=true\n", 2),
            ("KLARNA_A=1\n1BAD=x\n", 2),
            ("KLARNA_A=\"unclosed\nKLARNA_READ_ONLY=true\n", 1),
            ("KLARNA_A=\"x\" trailing\n", 1),
            ("KLARNA_A=\"bad \\q escape\"\n", 1),
            ("A-B=1\n", 1),
            ("KLARNA_A=it's\n", 1),
        ] {
            let (at, problem) = parse(text).unwrap_err();
            assert_eq!(at, line, "{text:?}: {problem}");
        }
    }

    #[test]
    fn only_klarna_settings_and_rust_log_are_taken_from_the_file() {
        let dir = std::env::temp_dir().join(format!("klarna-mcp-dotenv-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(".env"),
            "DATABASE_URL=postgres://x\nKLARNA_READ_ONLY=true\nRUST_LOG=debug\nPATH=/evil\n",
        )
        .unwrap();
        let env = DotEnv::load(&dir).unwrap().unwrap();
        let names: Vec<&str> = env.vars.keys().map(String::as_str).collect();
        assert_eq!(names, ["KLARNA_READ_ONLY", "RUST_LOG"]);
        assert!(DotEnv::load(&dir.join("missing")).unwrap().is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
