//! `klarna-mcp journal …`: read-only views of the operation journal for people and scripts —
//! list, show, verify, export, and settlements (lined up with Klarna's settlement transactions) — from the file `KLARNA_JOURNAL` names, else the platform
//! default; and `migrate`, which brings a PostgreSQL journal's schema up to date as its
//! owner, so that the server itself can run as a role that may only append.

use std::process::ExitCode;

use clap::Subcommand;

use super::{Output, Stop};
use crate::{
    Config,
    journal::{self, Journal, JournalLocation, OperationFilter, Verdict, Verification},
    tools::operations::{self, OperationView},
};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Operations, newest first, one line each (or JSON with --json).
    List {
        /// Only this Klarna order id.
        #[arg(long)]
        order: Option<String>,
        /// Only operations started at or after this time (RFC 3339, or a date such as 2026-11-26).
        #[arg(long)]
        since: Option<String>,
        /// Only operations in this state (applied, replayed, refused, outcome_unknown, pending, declined, not_sent).
        #[arg(long)]
        verdict: Option<String>,
        /// Only this write tool (capture_order, refund_order, …).
        #[arg(long)]
        tool: Option<String>,
        /// Only operations this person asked for (the principal as listed).
        #[arg(long)]
        principal: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object per operation instead of a line of text.
        #[arg(long)]
        json: bool,
    },
    /// Every record of the operations that used this idempotency key.
    Show {
        /// The idempotency key.
        key: String,
    },
    /// Check the hash chain: exit 0 when intact, 1 when a record was changed, removed or reordered.
    Verify,
    /// Every record, in order, for finance and audits.
    Export {
        /// As JSON lines (one record per line) — the only format.
        #[arg(long, required = true)]
        jsonl: bool,
    },
    /// Create or update the journal's tables (run as the PostgreSQL role that owns them, so the
    /// server can run as a role that may only read and append), then say where it is.
    Migrate,
    /// Write a consistent copy of the whole journal to a new file (while servers keep
    /// writing): an archive every journal command reads and verifies. Never overwrites.
    Backup {
        /// The new file.
        to: std::path::PathBuf,
    },
    /// Line up this server's captures and refunds with Klarna's settlement transactions:
    /// settled (in which payout), pending, and what Klarna shows that this server did not do,
    /// with totals per currency. Reads Klarna with the server's credentials. Exits 1 when an
    /// order could not be read.
    Settlements(crate::tools::finance::reconcile::SettlementsArgs),
}

/// Why a journal command stopped.
enum Failure {
    /// What was asked cannot be done (a bad filter, an unknown key, an unreadable journal):
    /// status 2, with the reason.
    Refused(String),
    /// The output could not be written.
    Output(Stop),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::Refused(message)
    }
}

impl From<Stop> for Failure {
    fn from(stop: Stop) -> Self {
        Self::Output(stop)
    }
}

/// Opens the journal and runs the action.
pub async fn run(args: Args) -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("klarna-mcp: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let Some(location) = config.journal.clone() else {
        eprintln!("klarna-mcp: no data directory was found for the journal; set KLARNA_JOURNAL");
        return ExitCode::from(2);
    };
    if matches!(args.action, Action::Migrate) {
        return migrate(&location, &config).await;
    }
    match &location {
        JournalLocation::Memory => {
            eprintln!("klarna-mcp: KLARNA_JOURNAL=memory keeps nothing to read");
            return ExitCode::from(2);
        }
        JournalLocation::Sqlite(path) if !path.exists() => {
            eprintln!(
                "klarna-mcp: there is no journal at {} yet (nothing was written)",
                path.display()
            );
            return ExitCode::from(2);
        }
        JournalLocation::Sqlite(_) | JournalLocation::Postgres(_) => {}
    }
    // Read-only, whatever the command: reading must not change the file (its mode, its
    // schema) and must work on an archive.
    let journal = match Journal::open_read_only(&location, config.duplicate_window).await {
        Ok(j) => j,
        Err(e) => {
            eprintln!("klarna-mcp: {e}");
            return ExitCode::FAILURE;
        }
    };
    match act(&config, &journal, args.action, &mut Output::stdout()).await {
        Ok(code) => code,
        Err(Failure::Refused(message)) => {
            eprintln!("klarna-mcp: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Output(stop)) => stop.exit_code(),
    }
}

/// `journal migrate`: opens the journal for writing, which creates or updates its schema.
async fn migrate(location: &JournalLocation, config: &Config) -> ExitCode {
    if matches!(location, JournalLocation::Memory) {
        eprintln!("klarna-mcp: KLARNA_JOURNAL=memory has no schema to migrate");
        return ExitCode::from(2);
    }
    match Journal::open(location, config.duplicate_window).await {
        Ok(journal) => {
            let mut out = Output::stdout();
            match out.line(format!("journal schema up to date: {}", journal.describe())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(stop) => stop.exit_code(),
            }
        }
        Err(e) => {
            eprintln!("klarna-mcp: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn act(
    config: &Config,
    journal: &Journal,
    action: Action,
    out: &mut Output,
) -> Result<ExitCode, Failure> {
    match action {
        Action::List {
            order,
            since,
            verdict,
            tool,
            principal,
            limit,
            json,
        } => {
            if let Some(t) = &tool
                && crate::tools::write::kind::by_tool(t).is_none()
            {
                return Err(format!("--tool {t:?} is not a write tool").into());
            }
            let since = match since {
                None => None,
                Some(s) => Some(journal::parse_since(&s).ok_or(format!(
                    "--since {s:?} is not a time: give RFC 3339 (2026-11-26T09:00:00Z) or a date (2026-11-26)"
                ))?),
            };
            let verdict = match verdict {
                None => None,
                Some(v) => Some(Verdict::parse(&v).ok_or(format!(
                    "--verdict {v:?}: use applied, replayed, refused, outcome_unknown, pending, declined or not_sent"
                ))?),
            };
            let filter = OperationFilter {
                order_id: order.map(|o| o.to_ascii_lowercase()),
                since,
                verdict,
                idempotency_key: None,
                tool,
                principal,
                limit,
            };
            let views: Vec<OperationView> = journal
                .operations(&filter)
                .await
                .map_err(|e| e.to_string())?
                .iter()
                .map(OperationView::of)
                .collect();
            for view in &views {
                if json {
                    out.line(serde_json::to_string(view).map_err(|e| e.to_string())?)?;
                } else {
                    out.line(view.line())?;
                }
            }
            // People get the sums and the clock; JSON lines stay one operation each.
            if !json && !views.is_empty() {
                let totals = operations::totals(&views);
                let applied = if totals.is_empty() {
                    "none".to_string()
                } else {
                    operations::totals_line(&totals)
                };
                out.line(format_args!(
                    "applied among these: {applied}; times are UTC (now {})",
                    journal::now()
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Show { key } => {
            let filter = OperationFilter {
                idempotency_key: Some(key.clone()),
                limit: usize::MAX,
                ..OperationFilter::default()
            };
            let ops = journal
                .operations(&filter)
                .await
                .map_err(|e| e.to_string())?;
            if ops.is_empty() {
                return Err(format!("no operation used the idempotency key {key:?}").into());
            }
            let records = journal.all_records().await.map_err(|e| e.to_string())?;
            for op in ops.iter().rev() {
                for r in records.iter().filter(|r| r.record.op_id == op.first.op_id) {
                    out.line(serde_json::to_string_pretty(r).map_err(|e| e.to_string())?)?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Action::Verify => match journal.verify().await.map_err(|e| e.to_string())? {
            Verification::Intact { records, head } => {
                out.line(format_args!("intact: {records} records, head {head}"))?;
                Ok(ExitCode::SUCCESS)
            }
            Verification::Broken { seq, problem } => {
                // The status is the verdict, whether or not anyone read the line.
                match out.line(format_args!("BROKEN at record {seq}: {problem}")) {
                    Ok(()) | Err(Stop::Closed) => Ok(ExitCode::FAILURE),
                    Err(stop) => Err(stop.into()),
                }
            }
        },
        // Run before the journal is opened read-only (see `run`).
        Action::Migrate => Ok(ExitCode::SUCCESS),
        Action::Backup { to } => {
            journal.backup_to(&to).await.map_err(|e| e.to_string())?;
            out.line(format_args!(
                "backed up to {} (check it with: KLARNA_JOURNAL={} klarna-mcp journal verify)",
                to.display(),
                to.display()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Action::Settlements(args) => {
            let done = crate::tools::finance::reconcile::command(config, journal, &args).await?;
            // One write of the whole text: the report ends with its own newline.
            out.line(done.output.trim_end_matches('\n'))?;
            Ok(if done.complete {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Action::Export { .. } => {
            for r in journal.all_records().await.map_err(|e| e.to_string())? {
                out.line(serde_json::to_string(&r).map_err(|e| e.to_string())?)?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
