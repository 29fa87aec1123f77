//! Static bearer tokens for small teams: a file of hashed tokens (`KLARNA_HTTP_TOKENS_FILE`)
//! and the helper that mints a new one (`klarna-mcp token new`).
//!
//! # File format
//!
//! One token per line, three fields separated by whitespace:
//!
//! ```text
//! # name   role   sha256 of the token, hex
//! alice    write  3f1c…(64 hex digits)
//! ci-bot   read   9a0b…
//! ```
//!
//! - `name`: 1–64 characters of `A–Z a–z 0–9 . _ @ -`, unique in the file. The principal's
//!   subject is `token:<name>`, its display name `<name>`.
//! - `role`: `read` or `write`.
//! - the SHA-256 of the whole token (including its `kmcp_` prefix) as 64 hex digits, unique.
//! - `#` starts a comment line; blank lines are ignored.
//!
//! The file holds no token, only hashes, so reading it does not let anyone call the server.
//! A plain SHA-256 is enough because minted tokens carry 256 random bits: there is nothing to
//! guess, so a slow password hash would add nothing. Presented tokens are hashed and compared
//! with every entry in constant time ([`subtle`]). A file with a bad line stops the server at
//! startup with the line number. The file is read once; restart to pick up changes.

use std::{fmt, path::Path};

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::principal::{Principal, Role};

/// Prefix of every minted token, so a leaked one is recognisable (secret scanners) and
/// cannot be mistaken for a JWT.
pub const TOKEN_PREFIX: &str = "kmcp_";

/// One line of the token file.
#[derive(Clone)]
struct Entry {
    name: String,
    role: Role,
    hash: [u8; 32],
}

/// The parsed token file.
#[derive(Clone)]
pub struct TokenFile {
    entries: Vec<Entry>,
}

impl fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenFile")
            .field(
                "names",
                &self
                    .entries
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Why the token file cannot be used. The server does not start.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// The file cannot be read.
    #[error("KLARNA_HTTP_TOKENS_FILE={path}: cannot read it ({source})")]
    Read {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not `name role sha256-hex`.
    #[error(
        "KLARNA_HTTP_TOKENS_FILE={path}, line {line}: {reason}. Each line is `name role sha256-hex` \
         (role `read` or `write`); mint tokens with `klarna-mcp token new --name NAME --role ROLE`"
    )]
    Line {
        /// The path.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Someone other than the server's user could change the file: a line appended by
    /// another local user would be a token that works.
    #[error(
        "KLARNA_HTTP_TOKENS_FILE={path}: {problem}, so another user could add a token. Fix: {fix}"
    )]
    Unsafe {
        /// The path.
        path: String,
        /// What is wrong.
        problem: String,
        /// The command that fixes it.
        fix: String,
    },
    /// The file has no token at all.
    #[error(
        "KLARNA_HTTP_TOKENS_FILE={path} lists no token; add one with `klarna-mcp token new --name NAME --role ROLE`"
    )]
    Empty {
        /// The path.
        path: String,
    },
}

/// The tokens file must be the server user's own — or root's: systemd's `LoadCredential`
/// and container secrets hand the service a root-owned copy it may read — and writable by
/// nobody else (group or others), and not a symlink to somewhere else's file.
#[cfg(unix)]
fn check_owner_only(path: &Path, shown: &str) -> Result<(), TokenFileError> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).map_err(|source| TokenFileError::Read {
        path: shown.to_string(),
        source,
    })?;
    let me = current_uid();
    if let Some(me) = me
        && meta.uid() != me
        && meta.uid() != 0
    {
        return Err(TokenFileError::Unsafe {
            path: shown.to_string(),
            problem: format!(
                "it belongs to user id {}, neither the user the server runs as ({me}) nor root",
                meta.uid()
            ),
            fix: format!("chown $(id -u) {shown}"),
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(TokenFileError::Unsafe {
            path: shown.to_string(),
            problem: format!("others can write it (mode {:o})", meta.mode() & 0o777),
            fix: format!("chmod 600 {shown}"),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_: &Path, _: &str) -> Result<(), TokenFileError> {
    Ok(())
}

/// The effective user id of this process, read from `/proc/self` (its owner), where there is
/// one; `None` elsewhere (then only the mode is checked).
#[cfg(unix)]
fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

impl TokenFile {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Self, TokenFileError> {
        let shown = path.display().to_string();
        check_owner_only(path, &shown)?;
        let text = std::fs::read_to_string(path).map_err(|source| TokenFileError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    /// Parses the file's text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &str) -> Result<Self, TokenFileError> {
        let mut entries: Vec<Entry> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| TokenFileError::Line {
                path: path.to_string(),
                line: index + 1,
                reason,
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [name, role, hash] = fields[..] else {
                return Err(bad(format!("expected 3 fields, found {}", fields.len())));
            };
            if !valid_name(name) {
                return Err(bad(format!(
                    "name `{name}` must be 1-64 characters of A-Z a-z 0-9 . _ @ -"
                )));
            }
            let role = Role::parse(role)
                .ok_or_else(|| bad(format!("role `{role}` must be `read` or `write`")))?;
            let mut digest = [0u8; 32];
            if hash.len() != 64 || hex::decode_to_slice(hash, &mut digest).is_err() {
                return Err(bad(
                    "the third field must be the token's SHA-256 as 64 hex digits (the token itself \
                     does not belong in the file)"
                        .into(),
                ));
            }
            if entries.iter().any(|e| e.name == name) {
                return Err(bad(format!("name `{name}` appears twice")));
            }
            if entries.iter().any(|e| e.hash == digest) {
                return Err(bad("this hash appears twice".into()));
            }
            entries.push(Entry {
                name: name.to_string(),
                role,
                hash: digest,
            });
        }
        if entries.is_empty() {
            return Err(TokenFileError::Empty {
                path: path.to_string(),
            });
        }
        Ok(Self { entries })
    }

    /// The principal a presented token belongs to, if any. Every entry is compared, in
    /// constant time, whatever matches.
    pub fn authenticate(&self, token: &str) -> Option<Principal> {
        let presented = sha256(token);
        let mut found = None;
        for entry in &self.entries {
            if bool::from(entry.hash.ct_eq(&presented)) {
                found = Some(entry);
            }
        }
        found.map(|entry| Principal {
            subject: format!("token:{}", entry.name),
            display_name: entry.name.clone(),
            role: entry.role,
        })
    }

    /// Number of tokens in the file.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the file lists no token (never true for a parsed file).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A freshly minted token and its line for the token file.
pub struct MintedToken {
    /// The secret: shown once, given to the user, never stored.
    pub token: String,
    /// The line to add to the token file (`name role sha256-hex`).
    pub line: String,
}

impl fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MintedToken")
            .field("token", &"[redacted]")
            .field("line", &self.line)
            .finish()
    }
}

/// Mints a token for `name` with `role`: `kmcp_` and 32 random bytes in base64url.
pub fn mint(name: &str, role: Role) -> Result<MintedToken, String> {
    if !valid_name(name) {
        return Err(format!(
            "name `{name}` must be 1-64 characters of A-Z a-z 0-9 . _ @ -"
        ));
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let line = format!("{name} {role} {}", hex::encode(sha256(&token)));
    Ok(MintedToken { token, line })
}

fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_token_authenticates_through_its_line() {
        let minted = mint("alice", Role::Write).unwrap();
        assert!(minted.token.starts_with(TOKEN_PREFIX));
        let file = TokenFile::parse(&format!("# team\n\n{}\n", minted.line), "t").unwrap();
        let who = file.authenticate(&minted.token).unwrap();
        assert_eq!(who.subject, "token:alice");
        assert_eq!(who.role, Role::Write);
        assert!(file.authenticate("kmcp_wrong").is_none());
        assert!(!format!("{minted:?}").contains(&minted.token));
    }

    #[test]
    fn bad_lines_name_their_line_number() {
        let good = mint("bob", Role::Read).unwrap().line;
        for (text, expected) in [
            (format!("{good}\nbob read\n"), "line 2: expected 3 fields"),
            (
                format!("# c\n{good}\ncarol admin {}\n", "0".repeat(64)),
                "line 3: role `admin`",
            ),
            (
                format!("carol read {}\n", "z".repeat(64)),
                "line 1: the third field",
            ),
            (
                format!("{good}\n{good}\n"),
                "line 2: name `bob` appears twice",
            ),
            (
                format!("b!d read {}\n", "0".repeat(64)),
                "line 1: name `b!d`",
            ),
        ] {
            let err = TokenFile::parse(&text, "tokens.txt")
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err}");
        }
        assert!(matches!(
            TokenFile::parse("# only comments\n", "t"),
            Err(TokenFileError::Empty { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_tokens_file_others_can_write_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("klarna-mcp-tokens-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokens");
        let minted = mint("ops", Role::Read).unwrap();
        std::fs::write(&path, format!("{}\n", minted.line)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(TokenFile::load(&path).is_ok());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
        let err = TokenFile::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("others can write it") && err.contains("chmod 600"),
            "{err}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o620)).unwrap();
        assert!(TokenFile::load(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
