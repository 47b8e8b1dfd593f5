//! `--format rdjson`: one Reviewdog Diagnostic Format `DiagnosticResult` document, for
//! `reviewdog -f=rdjson`. Lines are 1-based, columns 1-based bytes, ends exclusive.
//!
//! A fix becomes a suggestion that GitHub can apply with one click: reviewdog's
//! `github-pr-review` reporter renders a suggestion only when it replaces whole lines (no
//! columns) and its line range equals the comment's, so a finding with a suggestion takes the
//! suggestion's line range as its own.

use std::io::{self, Write};

use serde::Serialize;

use super::{FileResult, Reporter, display_path};
use crate::fix::{Finding, Fix};
use crate::source::LineIndex;
use crate::summary::Totals;

/// Collects the diagnostics of every file; prints the document at the end.
#[derive(Default)]
pub struct Rdjson {
    diagnostics: Vec<Diagnostic>,
}

impl Reporter for Rdjson {
    fn file(&mut self, _out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        let path = display_path(file.path);
        for finding in file.findings {
            let suggestion = finding
                .fix
                .fix()
                .filter(|_| (file.applies)(finding))
                .map(|fix| line_suggestion(&file.source.text, file.lines, fix));
            let range = match &suggestion {
                Some(suggestion) => suggestion.range,
                None => Range::of_span(file.lines, finding.span.start, finding.span.end),
            };
            let (line, column) = file.lines.line_col(finding.span.start);
            self.diagnostics.push(Diagnostic {
                message: message(finding),
                original_output: format!(
                    "{path}:{line}:{column}: {}: {}",
                    finding.rule,
                    message(finding)
                ),
                location: Location {
                    path: path.clone(),
                    range,
                },
                severity: "WARNING",
                code: Code {
                    value: finding.rule,
                    url: crate::transforms::docs_url(finding.rule),
                },
                suggestions: suggestion.into_iter().collect(),
            });
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _totals: &Totals) -> io::Result<()> {
        let document = DiagnosticResult {
            source: Source {
                name: "deferfix",
                url: env!("CARGO_PKG_REPOSITORY"),
            },
            severity: "WARNING",
            diagnostics: &self.diagnostics,
        };
        serde_json::to_writer_pretty(&mut *out, &document).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}

/// The finding's message with its fix marker (`[fix]`, `[unsafe fix: code: why]`, …), as
/// `--check` prints it, so a reviewer sees why a fix is held back.
fn message(finding: &Finding) -> String {
    format!("{}{}", finding.message, finding.fix_marker())
}

/// The fix as one replacement of whole lines: from the line of its first edit to the line of
/// its last, with the edits applied to those lines' text (without the final line break).
fn line_suggestion(text: &str, lines: &LineIndex, fix: &Fix) -> Suggestion {
    let first = fix.start();
    let last = fix.end();
    let start = text[..first].rfind('\n').map_or(0, |at| at + 1);
    // An edit ending at a line start (a deleted or inserted whole line) ends on the line before,
    // unless nothing before it is covered yet (an insertion at a line start).
    let end = if last > start && text[..last].ends_with('\n') {
        last
    } else {
        text[last..]
            .find('\n')
            .map_or(text.len(), |at| last + at + 1)
    };
    let mut replaced = String::with_capacity(end - start);
    let mut at = start;
    for edit in fix.edits() {
        replaced.push_str(&text[at..edit.range.start]);
        replaced.push_str(&edit.replacement);
        at = edit.range.end;
    }
    replaced.push_str(&text[at..end]);
    let covered = &text[start..end];
    let text = replaced
        .strip_suffix('\n')
        .filter(|_| covered.ends_with('\n'))
        .unwrap_or(&replaced)
        .to_owned();
    let (start_line, _) = lines.line_col(start);
    let (end_line, _) = lines.line_col(end.saturating_sub(1).max(start));
    Suggestion {
        range: Range {
            start: Position {
                line: start_line,
                column: None,
            },
            end: Position {
                line: end_line,
                column: None,
            },
        },
        text,
    }
}

#[derive(Serialize)]
struct DiagnosticResult<'a> {
    source: Source,
    severity: &'static str,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct Source {
    name: &'static str,
    url: &'static str,
}

#[derive(Serialize)]
struct Diagnostic {
    message: String,
    /// The finding as `--check` prints it: what `reviewdog -reporter=local` shows.
    original_output: String,
    location: Location,
    severity: &'static str,
    code: Code,
    /// Left out when empty: reviewdog's schema rejects `null`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<Suggestion>,
}

#[derive(Serialize)]
struct Location {
    path: String,
    range: Range,
}

#[derive(Serialize)]
struct Code {
    value: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Suggestion {
    range: Range,
    text: String,
}

#[derive(Serialize, Clone, Copy)]
struct Range {
    start: Position,
    end: Position,
}

impl Range {
    fn of_span(lines: &LineIndex, start: usize, end: usize) -> Range {
        let position = |offset| {
            let (line, column) = lines.line_col(offset);
            Position {
                line,
                column: Some(column),
            }
        };
        Range {
            start: position(start),
            end: position(end),
        }
    }
}

#[derive(Serialize, Clone, Copy)]
struct Position {
    line: usize,
    /// Left out for whole-line ranges.
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::Edit;

    fn suggestion(text: &str, edits: Vec<Edit>) -> Suggestion {
        let fix = Fix::new("t", edits).unwrap();
        line_suggestion(text, &LineIndex::new(text), &fix)
    }

    fn edit(range: std::ops::Range<usize>, replacement: &str) -> Edit {
        Edit::replace(range, replacement)
    }

    #[test]
    fn an_edit_inside_a_line_replaces_the_whole_line() {
        let text = "a\nbXc\nd\n";
        let s = suggestion(text, vec![edit(3..4, "YY")]);
        assert_eq!((s.range.start.line, s.range.end.line), (2, 2));
        assert_eq!(s.text, "bYYc");
    }

    #[test]
    fn edits_over_several_lines_replace_all_of_them() {
        let text = "a\nb\nc\nd\n";
        let s = suggestion(text, vec![edit(2..2, "{\n"), edit(4..6, "C\n}\n")]);
        assert_eq!((s.range.start.line, s.range.end.line), (2, 3));
        assert_eq!(s.text, "{\nb\nC\n}");
    }

    #[test]
    fn an_insertion_at_a_line_start_keeps_that_line() {
        let text = "a\nb\n";
        let s = suggestion(text, vec![edit(2..2, "x\n")]);
        assert_eq!((s.range.start.line, s.range.end.line), (2, 2));
        assert_eq!(s.text, "x\nb");
    }

    #[test]
    fn a_last_line_without_newline_is_kept_whole() {
        let text = "a\nbc";
        let s = suggestion(text, vec![edit(3..4, "Z")]);
        assert_eq!((s.range.start.line, s.range.end.line), (2, 2));
        assert_eq!(s.text, "bZ");
    }
}
