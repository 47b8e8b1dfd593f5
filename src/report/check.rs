//! `--check`: one `path:line:col: rule-id: message [fix]` line per finding, as go vet prints.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use super::paint::{HEADER, NO_FIX_MARK, RULE, SAFE_MARK, UNSAFE_MARK, paint};
use super::{FileResult, Reporter, display_path};
use crate::fix::Finding;
use crate::source::LineIndex;

pub struct Check {
    pub color: bool,
}

impl Reporter for Check {
    fn file(&mut self, out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        let lines = check_lines(file.path, file.lines, file.findings);
        let lines = if self.color {
            paint_check_lines(&lines)
        } else {
            lines
        };
        out.write_all(lines.as_bytes())
    }
}

/// The `--check` lines of one file's findings.
pub fn check_lines(path: &Path, lines: &LineIndex, findings: &[Finding]) -> String {
    let shown = display_path(path);
    let mut out = String::new();
    for finding in findings {
        let (line, column) = lines.line_col(finding.span.start);
        let _ = writeln!(
            out,
            "{shown}:{line}:{column}: {}: {}{}",
            finding.rule,
            finding.message,
            finding.fix_marker()
        );
    }
    out
}

/// `--check` lines with the position bold, the rule id and the fix marker coloured.
fn paint_check_lines(lines: &str) -> String {
    lines
        .lines()
        .map(|line| {
            // `path:line:col: rule-id: message [fix]`; paths may hold `:` only on Windows drives.
            let mut parts = line.splitn(2, ": ");
            let position = parts.next().unwrap_or("");
            let rest = parts.next().unwrap_or("");
            let (rule, message) = rest.split_once(": ").unwrap_or((rest, ""));
            let (message, marker) = split_marker(message);
            let marker = match marker {
                Some(marker) if marker == "[fix]" => format!(" {}", paint(SAFE_MARK, marker)),
                Some(marker) if marker.starts_with("[unsafe fix") => {
                    format!(" {}", paint(UNSAFE_MARK, marker))
                }
                Some(marker) => format!(" {}", paint(NO_FIX_MARK, marker)),
                None => String::new(),
            };
            format!(
                "{}: {}: {message}{marker}\n",
                paint(HEADER, position),
                paint(RULE, rule)
            )
        })
        .collect()
}

/// A `--check` message and its fix marker (`[fix]`, `[unsafe fix: …]`, `[no fix: …]`), if any.
fn split_marker(message: &str) -> (&str, Option<&str>) {
    if let Some(text) = message.strip_suffix(" [fix]") {
        return (text, Some("[fix]"));
    }
    if message.ends_with(']') {
        for opening in [" [unsafe fix: ", " [no fix: "] {
            if let Some(at) = message.rfind(opening) {
                return (&message[..at], Some(&message[at + 1..]));
            }
        }
    }
    (message, None)
}
