//! Machine-readable findings for CI: one JSON document (`--format json`, schema in the README,
//! `version` bumped on any incompatible change), or GitHub Actions workflow commands
//! (`--format github`), which the Actions runner turns into annotations on the pull request.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::fix::Finding;
use crate::render::display_path;
use crate::source::LineIndex;
use crate::summary::Totals;

/// What `--format` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diff (dry run) or `path:line:col: rule: message` lines (`--check`).
    Text,
    /// One JSON document on stdout.
    Json,
    /// `::warning file=…` workflow commands, one per finding.
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
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

pub fn json_findings(path: &Path, text: &str, findings: &[Finding]) -> Vec<JsonFinding> {
    let index = LineIndex::new(text);
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
                        .edits
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

/// `::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=deferfix rule::message` lines.
pub fn github_lines(path: &Path, text: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in json_findings(path, text, findings) {
        let fix = match (finding.fix_state, &finding.reason) {
            ("safe", _) => " (fix available)".to_owned(),
            ("unsafe", Some(reason)) => format!(
                " (unsafe fix available with --unsafe; {}: {})",
                reason.code, reason.message
            ),
            ("no-fix", Some(reason)) => format!(" (no fix: {}: {})", reason.code, reason.message),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "::warning file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&finding.path),
            finding.line,
            finding.column,
            finding.end_line,
            finding.end_column,
            escape_property(&format!("deferfix {}", finding.rule)),
            escape_data(&format!("{}{fix}", finding.message)),
        );
    }
    out
}

/// Workflow command data: `%`, CR and LF are escaped.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow command properties: also `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A SARIF 2.1.0 log with one run: the rules (with their docs) and a result per finding, with its
/// fix when it has one. Built with `serde_json::json!` because SARIF is a large schema of which
/// deferfix fills a small, fixed part.
pub fn sarif_log(findings: &[JsonFinding]) -> String {
    use serde_json::{Value, json};
    let rules: Vec<Value> = crate::transforms::RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": what_it_does(rule.docs)},
                "help": {"text": rule.docs, "markdown": rule.docs},
                "defaultConfiguration": {"level": "warning"},
            })
        })
        .collect();
    let region = |line: usize, column: usize, end_line: usize, end_column: usize| {
        json!({
            "startLine": line,
            "startColumn": column,
            "endLine": end_line,
            "endColumn": end_column,
        })
    };
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let mut result = json!({
                "ruleId": finding.rule,
                "level": "warning",
                "message": {"text": finding.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                        "region": region(finding.line, finding.column, finding.end_line, finding.end_column),
                    }
                }],
            });
            result["properties"] = json!({"fixState": finding.fix_state});
            if let Some(reason) = &finding.reason {
                result["properties"]["reason"] =
                    json!({"code": reason.code, "message": reason.message});
            }
            if let Some(index) = crate::transforms::RULES
                .iter()
                .position(|rule| rule.id == finding.rule)
            {
                result["ruleIndex"] = json!(index);
            }
            if let Some(fix) = &finding.fix {
                let replacements: Vec<Value> = fix
                    .edits
                    .iter()
                    .map(|edit| {
                        json!({
                            "deletedRegion": region(edit.start_line, edit.start_column, edit.end_line, edit.end_column),
                            "insertedContent": {"text": edit.replacement},
                        })
                    })
                    .collect();
                result["fixes"] = json!([{
                    "description": {"text": format!("{} ({})", fix.title, fix.applicability)},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
                        "replacements": replacements,
                    }],
                }]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "deferfix",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

/// The "What it does" section of a rule's README, as one paragraph.
fn what_it_does(docs: &str) -> String {
    let section = docs
        .split("## What it does")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or(docs);
    section.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_their_separators() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
