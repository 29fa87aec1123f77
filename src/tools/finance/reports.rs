//! `get_payout_report`: one of Klarna's payout reports — one payout, or every payout of a
//! period; CSV (the summary and every transaction) or PDF (the summary) — saved as a file in
//! the operator's reports directory (`report_files.rs`). The result says where the file is
//! (and links it, as an MCP `resource_link`), and for a CSV sums it up: rows, totals per
//! currency and type, the first rows. A PDF's bytes never enter a result: open the file.
//! Read-only at Klarna; the only thing written is the file, never over another.
//!
//! Reference: <https://docs.klarna.com/settlement-reports/api> (`payout`,
//! `getPayoutReportWithTransactions`, `payoutsSummary`,
//! `getPayoutsSummaryReportWithTransactions`).

use rmcp::{
    RoleServer,
    model::{CallToolResponse, ContentBlock, JsonObject, Resource},
    service::RequestContext,
    tool, tool_router,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    args::{
        self as finance_args, end_date_schema, payment_reference_schema, settlements_host_schema,
        start_date_schema, wire_date,
    },
    csv_report::{self, CsvSummary},
    failed_read, report_files,
    views::{bounded_lines, id_text},
};
use crate::{
    host::ApiHost,
    klarna::{CallError, Document, KlarnaError, Report, ReportFormat},
    server::KlarnaServer,
    tools::{
        args::{self, Validate},
        call::{Success, ToolCall},
        errors::ToolError,
        input_schema,
        output::THIRD_PARTY_NOTICE,
        output_schema,
    },
};

/// Arguments of `get_payout_report`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GetPayoutReportParams {
    /// The payout whose report to fetch: its payment reference, as on the bank statement or as list_payouts shows it (e.g. XISA93DJ). Give this, or startDate and endDate for the report of every payout in a period — not both.
    #[serde(default)]
    #[schemars(schema_with = "payment_reference_schema")]
    pub payment_reference: Option<String>,
    // Said in `start_date_schema`: with endDate, the report of every payout in between.
    #[serde(default)]
    #[schemars(schema_with = "start_date_schema")]
    pub start_date: Option<String>,
    // Said in `end_date_schema`.
    #[serde(default)]
    #[schemars(schema_with = "end_date_schema")]
    pub end_date: Option<String>,
    // Said in `format_schema`.
    #[serde(default)]
    #[schemars(schema_with = "format_schema")]
    pub format: Option<String>,
    // Said once for every finance tool, in `settlements_host_schema`.
    #[serde(default)]
    #[schemars(schema_with = "settlements_host_schema")]
    pub api_host: Option<String>,
}

fn format_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string", "enum": ["csv", "pdf"],
        "description": "csv (default): the payout summary and every transaction, summed up in the result; pdf: the summary as Klarna prints it, saved only (never shown). Either way the whole file is saved in the server's reports directory.",
    })
}

impl GetPayoutReportParams {
    fn format(&self) -> Result<ReportFormat, ToolError> {
        match self
            .format
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("csv") => Ok(ReportFormat::Csv),
            Some("pdf") => Ok(ReportFormat::Pdf),
            Some(other) => Err(ToolError::invalid(
                "format",
                format!("{} is not a report format", args::quote(other)),
                "use csv (with transactions, summed up in the result) or pdf (saved only), or leave it out for csv",
            )),
        }
    }

    /// Which report: one payout's, or a period's (both dates, sent as UTC date-times).
    fn report(&self) -> Result<Report, ToolError> {
        match (&self.payment_reference, &self.start_date, &self.end_date) {
            (Some(reference), None, None) => {
                finance_args::check_payment_reference(reference)?;
                Ok(Report::Payout(reference.clone()))
            }
            (Some(_), _, _) => Err(ToolError::invalid(
                "paymentReference",
                "it is given together with startDate or endDate",
                "give paymentReference for one payout's report, or startDate and endDate for every payout of a period, not both",
            )),
            (None, Some(start), Some(end)) => {
                let (start, end) = finance_args::period(Some(start), Some(end))?;
                Ok(Report::Period {
                    start: start.map(wire_date).unwrap_or_default(),
                    end: end.map(wire_date).unwrap_or_default(),
                })
            }
            (None, None, None) => Err(ToolError::invalid(
                "paymentReference",
                "neither paymentReference nor startDate and endDate is given",
                "give paymentReference (as list_payouts shows it) for one payout's report, or startDate and endDate for every payout of a period",
            )),
            (None, None, Some(_)) => Err(ToolError::invalid(
                "startDate",
                "endDate is given without startDate",
                "a period's report needs both startDate and endDate",
            )),
            (None, Some(_), None) => Err(ToolError::invalid(
                "endDate",
                "startDate is given without endDate",
                "a period's report needs both startDate and endDate",
            )),
        }
    }
}

impl Validate for GetPayoutReportParams {
    fn validate(&self) -> Result<(), ToolError> {
        self.report()?;
        self.format().map(|_| ())
    }
}

/// The saved file.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SavedFile {
    /// Where it is, on the machine running this server.
    pub path: String,
    /// Its name in the reports directory.
    pub name: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of its content (hex).
    pub sha256: String,
    /// The media type Klarna labelled it with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// True when a file with the same name and the same content was already there: nothing
    /// new was written.
    pub already_saved: bool,
}

/// Result of `get_payout_report`.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PayoutReport {
    /// Set in demo mode: nothing here is real.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Host read.
    pub api_host: String,
    /// `payout` (one payout) or `payouts_summary` (every payout of a period).
    pub report: String,
    /// `csv` or `pdf`.
    pub format: String,
    /// The payout, for a payout's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    /// The period's first payout date (UTC), for a period's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// The period's last payout date (UTC), for a period's report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
    /// Where the whole report is.
    pub file: SavedFile,
    /// For a CSV: what it holds, in short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv: Option<CsvSummary>,
    /// Present when the rows shown hold text written outside this conversation (merchant
    /// references): what that text is and is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub third_party_text_notice: Option<String>,
}

#[tool_router(router = reports_router, vis = "pub(crate)")]
impl KlarnaServer {
    #[tool(
        name = "get_payout_report",
        title = "Save Klarna payout report",
        description = "Fetch one of Klarna's payout reports and save it as a file in this server's reports directory (never overwriting another file): for one payout (paymentReference) or for every payout of a period (startDate and endDate); format csv (default: the summary and every transaction) or pdf (the summary). Returns where the file is and a link to it; for a CSV also its row count, totals per currency and type (minor units) and its first 10 rows. A PDF's content is never returned: the person opens the file. Read-only at Klarna.",
        input_schema = input_schema::<GetPayoutReportParams>(),
        output_schema = output_schema::<PayoutReport>(),
        annotations(title = "Save Klarna payout report", read_only_hint = true, destructive_hint = false, idempotent_hint = true, open_world_hint = true)
    )]
    pub(crate) async fn get_payout_report(
        &self,
        arguments: JsonObject,
        context: RequestContext<RoleServer>,
    ) -> CallToolResponse {
        self.run("get_payout_report", &context, async |call| {
            self.get_payout_report_inner(call, arguments).await
        })
        .await
    }
}

/// The file name of a report: host, kind, reference or dates, format.
fn report_file_name(host: ApiHost, report: &Report, format: ReportFormat) -> String {
    let extension = match format {
        ReportFormat::Csv => "csv",
        ReportFormat::Pdf => "pdf",
    };
    let compact = |date: &str| date.replace([':', '-'], "");
    match report {
        Report::Payout(reference) => {
            report_files::file_name(&[host.as_str(), "payout", reference], extension)
        }
        Report::Period { start, end } => report_files::file_name(
            &[
                host.as_str(),
                "payouts-summary",
                &compact(start),
                &compact(end),
            ],
            extension,
        ),
    }
}

/// Refuses an answer that is not the report asked for — JSON where a report was expected, a
/// "PDF" that is not one — or that holds this server's credentials (an upstream echoing the
/// request): such a document is neither saved nor shown.
fn check_document(document: &Document, format: ReportFormat) -> Result<(), String> {
    if document.holds_a_secret() {
        return Err(
            "it holds this server's own credentials (an upstream echoing the request?), so it was neither saved nor shown"
                .into(),
        );
    }
    let labelled_json = document
        .content_type
        .as_deref()
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/json"));
    if labelled_json {
        return Err("it is JSON, not a report".into());
    }
    match format {
        ReportFormat::Pdf if !document.bytes.starts_with(b"%PDF-") => {
            Err("it is not a PDF document".into())
        }
        ReportFormat::Csv if document.bytes.starts_with(b"%PDF-") => {
            Err("it is a PDF document, not CSV".into())
        }
        _ => Ok(()),
    }
}

impl KlarnaServer {
    async fn get_payout_report_inner(
        &self,
        call: &mut ToolCall,
        arguments: JsonObject,
    ) -> Result<Success, ToolError> {
        let p: GetPayoutReportParams = args::parse(arguments)?;
        p.validate()?;
        let report = p.report()?;
        let format = p.format()?;
        let host = self.resolve_host(call, p.api_host.as_deref())?;
        let Some(dir) = self.config().reports_dir.clone() else {
            return Err(ToolError::Refused(
                "Not done: this server has no directory for reports (no data directory was found); set KLARNA_REPORTS_DIR to an absolute path.".into(),
            ));
        };
        let (format_word, media) = match format {
            ReportFormat::Csv => ("csv", "CSV"),
            ReportFormat::Pdf => ("pdf", "PDF"),
        };
        let what = match &report {
            Report::Payout(reference) => format!("the {media} report of payout {reference}"),
            Report::Period { start, end } => {
                format!("the {media} report of the payouts from {start} to {end}")
            }
        };
        let reply = self
            .client()
            .settlements()
            .report(host, &report, format, &call.limits)
            .await
            .map_err(|e| failed_read(format!("Fetching {what} at {host}"), host, e))?;
        call.saw(reply.status, reply.correlation_id.as_deref());
        let document = reply.value;
        if let Err(detail) = check_document(&document, format) {
            let error = CallError {
                error: KlarnaError::Decode {
                    status: reply.status,
                    detail,
                },
                attempts: reply.attempts,
                may_have_applied: false,
                credentials: None,
            };
            return Err(failed_read(
                format!("Fetching {what} at {host}"),
                host,
                error,
            ));
        }
        let name = report_file_name(host, &report, format);
        let bytes = document.bytes.clone();
        let save_dir = dir.clone();
        let saved = tokio::task::spawn_blocking(move || report_files::save(&save_dir, &name, &bytes))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map_err(|e| {
                ToolError::Local(format!(
                    "Klarna sent {what}, but it could not be saved in the reports directory {}: {}. Nothing else was done; fix the directory (KLARNA_REPORTS_DIR) and call again.",
                    dir.display(),
                    crate::klarna::sanitize::bound(&crate::klarna::sanitize::escape(&e), 300)
                ))
            })?;
        let csv = (format == ReportFormat::Csv).then(|| csv_report::summarize(&document));
        let file = SavedFile {
            path: saved.path.display().to_string(),
            name: saved.name.clone(),
            bytes: saved.bytes,
            sha256: saved.sha256.clone(),
            media_type: document.content_type.clone(),
            already_saved: saved.reused,
        };

        let mut text = format!(
            "{} {what} from {host}.\nFile: {} ({} bytes, sha256 {}…), on the machine running this server.",
            if saved.reused {
                "Already saved with the same content:"
            } else {
                "Saved"
            },
            file.path,
            file.bytes,
            file.sha256.get(..12).unwrap_or_default(),
        );
        if let Some(summary) = &csv {
            text.push_str(&csv_text(summary));
        } else {
            text.push_str("\nThe PDF is not shown here: open the file to read it.");
        }
        let third_party_text_notice = csv
            .as_ref()
            .is_some_and(CsvSummary::has_third_party_text)
            .then(|| THIRD_PARTY_NOTICE.to_string());
        if third_party_text_notice.is_some() {
            text.push('\n');
            text.push_str(THIRD_PARTY_NOTICE);
        }
        let (payment_reference, start_date, end_date, kind) = match report {
            Report::Payout(r) => (Some(r), None, None, "payout"),
            Report::Period { start, end } => (None, Some(start), Some(end), "payouts_summary"),
        };
        let mut link = Resource::new(
            url::Url::from_file_path(&saved.path)
                .map(String::from)
                .unwrap_or_else(|()| format!("file://{}", file.path)),
            saved.name.clone(),
        )
        .with_mime_type(format.media_type())
        .with_size(saved.bytes);
        link.description = Some(format!(
            "Klarna's {}, saved by klarna-mcp",
            what.trim_start_matches("the ")
        ));
        let result = PayoutReport {
            notice: self.notice().map(str::to_string),
            api_host: host.to_string(),
            report: kind.to_string(),
            format: format_word.to_string(),
            payment_reference,
            start_date,
            end_date,
            file,
            csv,
            third_party_text_notice,
        };
        Ok(Success::new(&result, text)?.with_content(ContentBlock::resource_link(link)))
    }
}

/// The text of a CSV's summary: rows, payouts, totals, the first rows.
fn csv_text(summary: &CsvSummary) -> String {
    let mut text = format!("\nRows: {} transactions", summary.rows);
    if !summary.payment_references.is_empty() {
        let refs: Vec<String> = summary
            .payment_references
            .iter()
            .map(|r| id_text(r))
            .collect();
        text.push_str(&format!(", in payouts {}", refs.join(", ")));
    }
    text.push('.');
    if summary.rows == 0 {
        text.push_str("\nThe report holds no transactions.");
    }
    if !summary.totals.is_empty() {
        text.push_str("\nTotals by currency and type:");
        text.push_str(&bounded_lines(&summary.totals, |t| t.line()));
    }
    if summary.unreadable_amounts > 0 {
        text.push_str(&format!(
            "\n{} rows have no readable amount or currency and are not in the totals.",
            summary.unreadable_amounts
        ));
    }
    if let Some(at) = &summary.unreadable_from {
        text.push_str(&format!(
            "\nThe file stops being readable CSV at {at}; the totals cover the rows before it."
        ));
    }
    if !summary.first_rows.is_empty() {
        text.push_str(&format!("\nFirst {} rows:", summary.first_rows.len()));
        for row in &summary.first_rows {
            text.push_str("\n- ");
            text.push_str(&row.line());
        }
        let rest = summary.rows.saturating_sub(summary.first_rows.len() as u64);
        if rest > 0 {
            text.push_str(&format!("\n… and {rest} more rows in the file."));
        }
    }
    text
}
