//! `--format json`: one document with every finding and the run's summary. The shape is
//! documented in the README; `version` is bumped on any incompatible change.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::{FileResult, Reporter, display_path};
use crate::fix::Finding;
use crate::source::LineIndex;
use crate::summary::Totals;

/// Collects the findings of every file; prints the document at the end.
#[derive(Default)]
pub struct Json {
    findings: Vec<JsonFinding>,
}

impl Reporter for Json {
    fn file(&mut self, _out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        self.findings
            .extend(json_findings(file.path, file.lines, file.findings));
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, totals: &Totals) -> io::Result<()> {
        out.write_all(json_document(&self.findings, totals).as_bytes())
    }
}

/// The version of the JSON document's shape.
/// 2: `fix_state` and `reason` on every finding; `report_only` in the summary.
pub const JSON_VERSION: u32 = 2;

#[derive(Serialize)]
pub struct JsonDocument<'a> {
    pub version: u32,
    pub findings: &'a [JsonFinding],
    pub summary: JsonSummary,
}

/// One finding. Lines and columns are 1-based; columns count bytes, as go vet's do.
#[derive(Serialize)]
pub struct JsonFinding {
    pub rule: &'static str,
    /// Relative to the working directory when under it, `/`-separated.
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    /// `"safe"`, `"unsafe"`, `"no-fix"` or `"report-only"`.
    pub fix_state: &'static str,
    /// Why the fix is unsafe or not offered; `null` for safe and report-only findings.
    pub reason: Option<JsonReason>,
    /// The fix (safe or unsafe); `null` when there is none.
    pub fix: Option<JsonFix>,
}

#[derive(Serialize)]
pub struct JsonReason {
    /// A stable code (`escapes`, `held-open`, …; `deferfix --explain RULE` lists a rule's).
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
pub struct JsonFix {
    /// `"safe"` or `"unsafe"`.
    pub applicability: &'static str,
    pub title: String,
    /// Replacements on the original file, in order, not overlapping. Line breaks in
    /// `replacement` are `\n`; a CRLF file gets CRLF when deferfix writes it.
    pub edits: Vec<JsonEdit>,
}

#[derive(Serialize)]
pub struct JsonEdit {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub replacement: String,
}

#[derive(Serialize)]
pub struct JsonSummary {
    pub files_scanned: usize,
    pub files_skipped_generated: usize,
    pub files_with_errors: usize,
    pub files_changed: usize,
    pub findings: usize,
    pub findings_per_rule: BTreeMap<&'static str, usize>,
    pub safe_fixes: usize,
    pub unsafe_fixes: usize,
    pub without_fix: usize,
    pub report_only: usize,
    pub suppressed: usize,
}

impl JsonSummary {
    pub fn of(totals: &Totals) -> Self {
        JsonSummary {
            files_scanned: totals.files_scanned,
            files_skipped_generated: totals.files_skipped_generated,
            files_with_errors: totals.files_with_errors,
            files_changed: totals.files_changed,
            findings: totals.findings(),
            findings_per_rule: totals.findings_per_rule.clone(),
            safe_fixes: totals.safe_fixes,
            unsafe_fixes: totals.unsafe_fixes,
            without_fix: totals.without_fix,
            report_only: totals.report_only,
            suppressed: totals.suppressed,
        }
    }
}

/// One file's findings in the shape the JSON-based formats share.
pub fn json_findings(path: &Path, index: &LineIndex, findings: &[Finding]) -> Vec<JsonFinding> {
    let shown = display_path(path);
    findings
        .iter()
        .map(|finding| {
            let (line, column) = index.line_col(finding.span.start);
            let (end_line, end_column) = index.line_col(finding.span.end);
            JsonFinding {
                rule: finding.rule,
                path: shown.clone(),
                line,
                column,
                end_line,
                end_column,
                message: finding.message.clone(),
                fix_state: finding.fix.as_str(),
                reason: finding.fix.reason().map(|reason| JsonReason {
                    code: reason.code.as_str(),
                    message: reason.message.clone(),
                }),
                fix: finding.fix.fix().map(|fix| JsonFix {
                    applicability: finding.fix.as_str(),
                    title: fix.title.clone(),
                    edits: fix
                        .edits()
                        .iter()
                        .map(|edit| {
                            let (start_line, start_column) = index.line_col(edit.range.start);
                            let (end_line, end_column) = index.line_col(edit.range.end);
                            JsonEdit {
                                start_line,
                                start_column,
                                end_line,
                                end_column,
                                replacement: edit.replacement.clone(),
                            }
                        })
                        .collect(),
                }),
            }
        })
        .collect()
}

pub fn json_document(findings: &[JsonFinding], totals: &Totals) -> String {
    let document = JsonDocument {
        version: JSON_VERSION,
        findings,
        summary: JsonSummary::of(totals),
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut out = serde_json::to_string_pretty(&document).unwrap_or_default();
    out.push('\n');
    out
}
