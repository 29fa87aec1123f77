//! Where `get_payout_report` puts what it fetches: a directory the operator chose
//! (`KLARNA_REPORTS_DIR`, else `<data dir>/klarna-mcp/reports`), never one a caller names.
//!
//! - The directory is created owner-only (0700 on Unix) when it does not exist.
//! - A file's name is built here from the host, the kind of report and its reference or
//!   dates, reduced to letters, digits, `.`, `_` and `-`: no name can leave the directory.
//! - A file is created owner-only (0600) and only if nothing is at its name (`create_new`:
//!   not even a symlink is followed). Nothing is ever overwritten: a name already holding the
//!   same bytes is reused (the same report fetched twice is one file), one holding other bytes
//!   (Klarna's report changed, or someone else's file) gets a numbered sibling (`…-2.csv`).
//! - A file that cannot be written whole is removed, never left half-written.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};

/// Most numbered siblings tried before giving up.
const MAX_SIBLINGS: u32 = 99;

/// A report saved to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Where it is.
    pub path: PathBuf,
    /// Its file name.
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of its content (hex), to tell two downloads apart.
    pub sha256: String,
    /// Whether the same bytes were already there under this name (nothing new was written).
    pub reused: bool,
}

/// A file name made of `parts`: each reduced to `[A-Za-z0-9._-]` (anything else becomes
/// `_`), joined by `_`, with `extension`; never starting with a dot, never empty, at most
/// 180 characters before the extension.
pub fn file_name(parts: &[&str], extension: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let mut stem: String = parts
        .iter()
        .map(|p| clean(p))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    stem = stem.trim_start_matches('.').chars().take(180).collect();
    if stem.is_empty() {
        stem = "report".into();
    }
    format!("{stem}.{}", clean(extension))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates `dir` (and its missing parents) owner-only when it does not exist; refuses a
/// path that exists and is not a directory.
fn ensure_dir(dir: &Path) -> io::Result<()> {
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::other("it exists and is not a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut builder = fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir)
        }
        Err(e) => Err(e),
    }
}

/// Whether `path` is a regular file (not a link) holding exactly `bytes`.
fn holds(path: &Path, bytes: &[u8], digest: &str) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.file_type().is_file() || meta.len() != bytes.len() as u64 {
        return false;
    }
    let mut content = Vec::with_capacity(bytes.len());
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut content))
        .is_ok()
        && sha256_hex(&content) == digest
}

/// Creates `path` owner-only, failing if anything is there, and writes `bytes` whole (or
/// removes it again).
fn create(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

/// Saves `bytes` in `dir` as `name` (see the module docs for the rules). Blocking: run it
/// off the async runtime's workers.
pub fn save(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<Saved> {
    ensure_dir(dir)?;
    let digest = sha256_hex(bytes);
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    for n in 1..=MAX_SIBLINGS {
        let candidate = match (n, extension) {
            (1, _) => name.to_string(),
            (n, "") => format!("{stem}-{n}"),
            (n, ext) => format!("{stem}-{n}.{ext}"),
        };
        let path = dir.join(&candidate);
        if holds(&path, bytes, &digest) {
            return Ok(Saved {
                path,
                name: candidate,
                bytes: bytes.len() as u64,
                sha256: digest,
                reused: true,
            });
        }
        match create(&path, bytes) {
            Ok(()) => {
                return Ok(Saved {
                    path,
                    name: candidate,
                    bytes: bytes.len() as u64,
                    sha256: digest,
                    reused: false,
                });
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "{MAX_SIBLINGS} files named like {name} already hold other reports; move some away"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_dir() -> PathBuf {
        std::env::temp_dir()
            .join(format!("klarna-mcp-reports-test-{}", uuid::Uuid::new_v4()))
            .join("reports")
    }

    #[test]
    fn names_cannot_leave_the_directory() {
        assert_eq!(
            file_name(&["api.klarna.com", "payout", "../../etc/passwd"], "csv"),
            "api.klarna.com_payout_.._.._etc_passwd.csv"
        );
        assert_eq!(file_name(&["..", "x/y"], "p/df"), "_x_y.p_df");
        assert_eq!(file_name(&[], "pdf"), "report.pdf");
        assert!(!file_name(&["a\0b\nc"], "csv").contains(['\0', '\n', '/']));
    }

    #[test]
    fn a_report_is_saved_owner_only_reused_when_identical_and_never_overwritten() {
        let dir = fresh_dir();
        let first = save(&dir, "r.csv", b"a,b\r\n1,2\r\n").unwrap();
        assert!(!first.reused);
        assert_eq!(first.path, dir.join("r.csv"));
        assert_eq!(fs::read(&first.path).unwrap(), b"a,b\r\n1,2\r\n");
        let again = save(&dir, "r.csv", b"a,b\r\n1,2\r\n").unwrap();
        assert!(again.reused);
        assert_eq!(again.path, first.path);
        let changed = save(&dir, "r.csv", b"a,b\r\n1,3\r\n").unwrap();
        assert_eq!(changed.name, "r-2.csv");
        assert_eq!(fs::read(&first.path).unwrap(), b"a,b\r\n1,2\r\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&first.path), 0o600);
        }
        let _ = fs::remove_dir_all(dir.parent().unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_name_is_not_followed() {
        let dir = fresh_dir();
        fs::create_dir_all(&dir).unwrap();
        let target = dir.parent().unwrap().join("elsewhere.txt");
        fs::write(&target, b"keep me").unwrap();
        std::os::unix::fs::symlink(&target, dir.join("r.pdf")).unwrap();
        let saved = save(&dir, "r.pdf", b"%PDF-1.4 new").unwrap();
        assert_eq!(saved.name, "r-2.pdf");
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        let _ = fs::remove_dir_all(dir.parent().unwrap());
    }

    #[test]
    fn a_file_where_the_directory_should_be_is_refused() {
        let dir = fresh_dir();
        fs::create_dir_all(dir.parent().unwrap()).unwrap();
        fs::write(&dir, b"not a directory").unwrap();
        assert!(save(&dir, "r.csv", b"x").is_err());
        let _ = fs::remove_dir_all(dir.parent().unwrap());
    }
}
