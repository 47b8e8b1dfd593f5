//! Turning results into text: unified diffs, `--check` lines, the summary line.

use std::fmt::Write as _;
use std::path::Path;

use similar::TextDiff;

use crate::fix::Finding;
use crate::source::LineIndex;

/// Path as printed: `/`-separated whatever the platform.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// A unified diff that `git apply` accepts from the directory the paths are relative to.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let shown = display_path(path);
    // git's a/ and b/ prefixes; an absolute path keeps its single leading slash.
    let shown = shown.strip_prefix('/').unwrap_or(&shown);
    let diff = TextDiff::from_lines(old, new);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

/// `path:line:col: rule-id: message [fix]` for each finding.
pub fn check_lines(path: &Path, text: &str, findings: &[Finding]) -> String {
    let index = LineIndex::new(text);
    let shown = display_path(path);
    let mut out = String::new();
    for finding in findings {
        let (line, column) = index.line_col(finding.span.start);
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

/// Styles for a terminal. Rendering stays plain; these paint finished text, so what is written to
/// a pipe is byte for byte what is tested.
const HEADER: anstyle::Style = anstyle::Style::new().bold();
const ADDED: anstyle::Style = anstyle::AnsiColor::Green.on_default();
const REMOVED: anstyle::Style = anstyle::AnsiColor::Red.on_default();
const HUNK: anstyle::Style = anstyle::AnsiColor::Cyan.on_default();
const RULE: anstyle::Style = anstyle::AnsiColor::Yellow.on_default();
const SAFE_MARK: anstyle::Style = anstyle::AnsiColor::Green.on_default().bold();
const UNSAFE_MARK: anstyle::Style = anstyle::AnsiColor::Yellow.on_default();
const NO_FIX_MARK: anstyle::Style = anstyle::Style::new().dimmed();

fn paint(style: anstyle::Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// A unified diff, coloured line by line as `git diff` colours it.
pub fn paint_diff(diff: &str) -> String {
    diff.split_inclusive('\n')
        .map(|line| {
            let (body, newline) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            };
            let style = if body.starts_with("--- ") || body.starts_with("+++ ") {
                Some(HEADER)
            } else if body.starts_with("@@") {
                Some(HUNK)
            } else if body.starts_with('+') {
                Some(ADDED)
            } else if body.starts_with('-') {
                Some(REMOVED)
            } else {
                None
            };
            match style {
                Some(style) => format!("{}{newline}", paint(style, body)),
                None => line.to_owned(),
            }
        })
        .collect()
}

/// `--check` lines with the position bold, the rule id and the fix marker coloured.
pub fn paint_check_lines(lines: &str) -> String {
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
