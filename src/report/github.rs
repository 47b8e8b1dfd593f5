//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations
//! on the pull request.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use super::json::json_findings;
use super::{FileResult, Reporter};
use crate::fix::Finding;
use crate::source::LineIndex;

pub struct Github;

impl Reporter for Github {
    fn file(&mut self, out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        out.write_all(github_lines(file.path, file.lines, file.findings).as_bytes())
    }
}

/// `::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=deferfix rule::message` lines.
fn github_lines(path: &Path, index: &LineIndex, findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in json_findings(path, index, findings) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_their_separators() {
        assert_eq!(escape_data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
