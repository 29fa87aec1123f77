//! What a command writes on standard output, for people and scripts — through one writer.
//!
//! A reader that goes away before the end (`klarna-mcp journal export --jsonl | head`) is no
//! error: the next line cannot be written (`BrokenPipe`, since Rust ignores SIGPIPE), and the
//! command stops writing and exits quietly with status 0, as a filter killed by SIGPIPE would
//! have. `println!` would panic there instead. Any other failure to write is reported on
//! stderr with status 1.

use std::{
    fmt::Display,
    io::{self, Write},
    process::ExitCode,
};

/// Standard output, a line at a time.
#[derive(Debug)]
pub struct Output(io::Stdout);

/// Why a command stopped writing before it was done.
#[derive(Debug)]
pub enum Stop {
    /// Whoever read the output went away: stop, quietly.
    Closed,
    /// Writing failed otherwise (a full disk, say).
    Failed(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Self::Closed
        } else {
            Self::Failed(e)
        }
    }
}

impl Stop {
    /// The exit status of a command that stopped writing: 0 when the reader went away,
    /// else 1, with the reason on stderr.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Self::Closed => ExitCode::SUCCESS,
            Self::Failed(e) => {
                eprintln!("klarna-mcp: cannot write the output: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

impl Output {
    /// Standard output.
    pub fn stdout() -> Self {
        Self(io::stdout())
    }

    /// Writes `text` and a newline, and flushes them (so a reader that went away is noticed
    /// at this line, not at exit).
    pub fn line(&mut self, text: impl Display) -> Result<(), Stop> {
        let mut out = self.0.lock();
        writeln!(out, "{text}")?;
        out.flush()?;
        Ok(())
    }
}
