//! `--format sarif`: a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::json::{JsonFinding, json_findings};
use super::{FileResult, Reporter};
use crate::summary::Totals;

/// Collects the findings of every file; prints the log at the end.
#[derive(Default)]
pub struct Sarif {
    findings: Vec<JsonFinding>,
}

impl Reporter for Sarif {
    fn file(&mut self, _out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        self.findings
            .extend(json_findings(file.path, file.lines, file.findings));
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _totals: &Totals) -> io::Result<()> {
        out.write_all(sarif_log(&self.findings).as_bytes())
    }
}

/// A SARIF 2.1.0 log with one run: the rules (with their docs) and a result per finding, with its
/// fix when it has one. Built with `serde_json::json!` because SARIF is a large schema of which
/// deferfix fills a small, fixed part.
fn sarif_log(findings: &[JsonFinding]) -> String {
    let rules: Vec<Value> = crate::transforms::RULES
        .iter()
        .map(rule_descriptor)
        .collect();
    let results: Vec<Value> = findings.iter().map(sarif_result).collect();
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

fn rule_descriptor(rule: &&crate::transforms::Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule.id,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": what_it_does(rule.docs)},
        "help": {"text": rule.docs, "markdown": rule.docs},
        "defaultConfiguration": {"level": "warning"},
    })
}

fn region(line: usize, column: usize, end_line: usize, end_column: usize) -> Value {
    json!({
        "startLine": line,
        "startColumn": column,
        "endLine": end_line,
        "endColumn": end_column,
    })
}

/// One finding as a SARIF result: where, its fix state and reason, its rule's index, its fix.
fn sarif_result(finding: &JsonFinding) -> Value {
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
        result["properties"]["reason"] = json!({"code": reason.code, "message": reason.message});
    }
    if let Some(index) = crate::transforms::RULES
        .iter()
        .position(|rule| rule.id == finding.rule)
    {
        result["ruleIndex"] = json!(index);
    }
    if let Some(fix) = &finding.fix {
        result["fixes"] = json!([sarif_fix(finding, fix)]);
    }
    result
}

fn sarif_fix(finding: &JsonFinding, fix: &super::json::JsonFix) -> Value {
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
    json!({
        "description": {"text": format!("{} ({})", fix.title, fix.applicability)},
        "artifactChanges": [{
            "artifactLocation": {"uri": finding.path, "uriBaseId": "%SRCROOT%"},
            "replacements": replacements,
        }],
    })
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
