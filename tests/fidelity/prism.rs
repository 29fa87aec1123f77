//! One Stoplight Prism process in proxy mode: `prism proxy <document> <upstream> --errors`
//! on a free loopback port, started once per test binary and ended with it.
//!
//! The test binary never drops its statics, so the process cannot be killed from a `Drop`.
//! Instead it is started through a small `sh` script that keeps a copy of a pipe from this
//! process and kills Prism when that pipe reaches end of file — which happens when this
//! process exits, however it exits.

use std::{
    collections::VecDeque,
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::Duration,
};

/// Starts Prism for `$@`, and when standard input closes kills it and removes `$CLEANUP`.
/// Standard input is kept on descriptor 3 for a background watcher (whose own standard input
/// the shell points at /dev/null); `exec` then makes Prism the process whose id the watcher
/// kills. Prism watches its document for changes while it runs, so the document stays until
/// then.
const WATCHED: &str = r#"exec 3<&0
( cat <&3 >/dev/null; kill "$$" 2>/dev/null; rm -rf "$CLEANUP" ) >/dev/null 2>&1 &
exec 3<&-
exec "$@""#;

/// How many of Prism's last log lines are kept for failure messages.
const LOG_LINES: usize = 200;

/// A running Prism proxy.
pub struct Prism {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: Arc<Mutex<VecDeque<String>>>,
    /// Held open for the life of the process; its end stops Prism.
    _child: Child,
}

impl Prism {
    /// Starts `prism proxy document upstream --errors` and waits until it listens; `cleanup`
    /// (the document's directory) is removed when Prism is stopped.
    pub fn start(
        prism: &Path,
        document: &Path,
        upstream: &str,
        cleanup: &Path,
    ) -> Result<Self, String> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHED)
            .arg("prism-watched")
            .arg(prism)
            .arg("proxy")
            .arg(document)
            .arg(upstream)
            .args([
                "--errors",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--cors=false",
            ])
            // Plain log lines, without colour codes.
            .env("FORCE_COLOR", "0")
            .env("NO_COLOR", "1")
            .env("CLEANUP", cleanup)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", prism.display()))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        drain(stderr, log.clone(), None);
        drain(stdout, log.clone(), Some(tx));
        // A guard against a Prism that never says it listens, not a measurement.
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => Ok(Self {
                url,
                log,
                _child: child,
            }),
            Err(_) => {
                let _ = child.kill();
                let lines: Vec<String> = log.lock().unwrap().iter().cloned().collect();
                Err(format!(
                    "Prism did not start listening; its output:\n{}",
                    lines.join("\n")
                ))
            }
        }
    }

    /// Prism's last log lines.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log.lock().unwrap();
        let skip = log.len().saturating_sub(lines);
        log.iter()
            .skip(skip)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reads `stream` line by line into `log` until it ends, sending the listening URL once.
fn drain(
    stream: impl std::io::Read + Send + 'static,
    log: Arc<Mutex<VecDeque<String>>>,
    mut listening: Option<mpsc::Sender<String>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(at) = line.find("Prism is listening on ") {
                let url = line[at + "Prism is listening on ".len()..]
                    .trim()
                    .to_string();
                if let Some(tx) = listening.take() {
                    let _ = tx.send(url);
                }
            }
            let mut log = log.lock().unwrap();
            if log.len() == LOG_LINES {
                log.pop_front();
            }
            log.push_back(line);
        }
    });
}
