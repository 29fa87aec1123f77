//! A journal whose disk fills up: writes are refused with nothing sent while it is full,
//! and the next write after space is freed works — no restart needed.

use std::path::{Path, PathBuf};

use klarna_mcp::{journal::JournalLocation, simulator::SeedOrder};
use serde_json::json;

use crate::common::{order_args, start_with};

/// A small file system of its own (tmpfs), so filling it harms nothing else; `None` where
/// this process may not mount one (not root, no tmpfs).
fn small_disk() -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("klarna-mcp-full-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).ok()?;
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&dir)
        .stderr(std::process::Stdio::null())
        .status()
        .ok()?
        .success();
    if mounted {
        Some(dir)
    } else {
        let _ = std::fs::remove_dir(&dir);
        None
    }
}

fn unmount(dir: &Path) {
    let _ = std::process::Command::new("umount").arg(dir).status();
    let _ = std::fs::remove_dir(dir);
}

/// Fills the file system at `dir` with one file, to the last byte it takes.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write as _;
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let block = vec![0u8; 4096];
    while file.write_all(&block).is_ok() {}
    let _ = file.write_all(&[0u8; 1]);
    let _ = file.sync_all();
    filler
}

#[tokio::test]
async fn a_full_disk_refuses_writes_and_the_next_write_after_freeing_space_works() {
    let Some(dir) = small_disk() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "cannot mount a small tmpfs (needs root), and under CI=true a skipped test is a failure"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped (cannot mount a small tmpfs here: needs root): disk_full::a_full_disk_refuses_writes_and_the_next_write_after_freeing_space_works"
        );
        return;
    };
    let journal = dir.join("journal.sqlite3");
    let h = start_with(|c| c.journal = Some(JournalLocation::Sqlite(journal.clone()))).await;
    let id = h.seed(SeedOrder::new(100_000, "EUR"));
    h.ok("capture_order", order_args(&id, json!({ "amount": 1000 })))
        .await;
    let filler = fill(&dir);
    let mut refused = 0;
    for amount in [1100, 1200, 1300] {
        let result = h
            .call(
                "capture_order",
                order_args(&id, json!({ "amount": amount })),
            )
            .await;
        if result.is_error == Some(true) {
            let text = crate::common::text(&result);
            assert!(text.contains("Not done"), "{text}");
            refused += 1;
        }
    }
    // Whatever was refused was not sent.
    let captured = h.sim.snapshot(&id).unwrap().captured_amount;
    assert!(refused > 0, "the full disk refused nothing");
    std::fs::remove_file(&filler).unwrap();
    h.ok("capture_order", order_args(&id, json!({ "amount": 2000 })))
        .await;
    assert_eq!(
        h.sim.snapshot(&id).unwrap().captured_amount,
        captured + 2000
    );
    drop(h);
    unmount(&dir);
}
