//! Turning results into text: unified diffs, `--check` lines, the summary line.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use similar::TextDiff;

use crate::fix::{Applicability, Finding};
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
            let (message, marker) = if let Some(text) = message.strip_suffix(" [fix]") {
                (text, format!(" {}", paint(SAFE_MARK, "[fix]")))
            } else if let Some(text) = message.strip_suffix(" [unsafe fix]") {
                (text, format!(" {}", paint(UNSAFE_MARK, "[unsafe fix]")))
            } else {
                (message, String::new())
            };
            format!(
                "{}: {}: {message}{marker}\n",
                paint(HEADER, position),
                paint(RULE, rule)
            )
        })
        .collect()
}

/// Counts for the summary line on stderr.
#[derive(Default, Debug)]
pub struct Totals {
    pub files_scanned: usize,
    pub files_skipped_generated: usize,
    pub files_with_errors: usize,
    pub files_changed: usize,
    pub findings_per_rule: BTreeMap<&'static str, usize>,
    pub safe_fixes: usize,
    pub unsafe_fixes: usize,
    pub without_fix: usize,
    pub findings_fixed: usize,
    pub remaining: usize,
    /// Findings silenced by `//deferfix:ignore` / `//nolint` comments.
    pub suppressed: usize,
    /// The same counts per rule, for `--summary-md`.
    pub per_rule: BTreeMap<&'static str, RuleCounts>,
}

/// One rule's line in the Markdown summary.
#[derive(Default, Debug, Clone, Copy)]
pub struct RuleCounts {
    pub findings: usize,
    /// Fixes this run applies (with -w) or would apply (dry run).
    pub fixed: usize,
    /// Unsafe fixes not applied.
    pub held_back: usize,
    pub without_fix: usize,
    pub suppressed: usize,
}

impl Totals {
    /// Counts findings; `applies` says whether this run applies a finding's fix.
    pub fn add_findings(&mut self, findings: &[Finding], applies: &dyn Fn(&Finding) -> bool) {
        for finding in findings {
            *self.findings_per_rule.entry(finding.rule).or_default() += 1;
            let counts = self.per_rule.entry(finding.rule).or_default();
            counts.findings += 1;
            match finding.fix.as_ref().map(|fix| fix.applicability) {
                Some(Applicability::Safe) => self.safe_fixes += 1,
                Some(Applicability::Unsafe) => self.unsafe_fixes += 1,
                None => self.without_fix += 1,
            }
            match &finding.fix {
                None => counts.without_fix += 1,
                Some(_) if applies(finding) => counts.fixed += 1,
                Some(_) => counts.held_back += 1,
            }
        }
    }

    pub fn add_suppressed(&mut self, rules: &[&'static str]) {
        self.suppressed += rules.len();
        for rule in rules {
            self.per_rule.entry(rule).or_default().suppressed += 1;
        }
    }

    /// `--summary-md`: a Markdown report a bot can use as a pull-request body (no links).
    pub fn markdown(&self, wrote: bool) -> String {
        let fixed = if wrote { "fixed" } else { "fixable" };
        let mut out = format!(
            "## deferfix\n\n| rule | findings | {fixed} | unsafe, held back | without a fix | suppressed |\n|---|---:|---:|---:|---:|---:|\n"
        );
        let mut total = RuleCounts::default();
        for (rule, counts) in &self.per_rule {
            let _ = writeln!(
                out,
                "| `{rule}` | {} | {} | {} | {} | {} |",
                counts.findings,
                counts.fixed,
                counts.held_back,
                counts.without_fix,
                counts.suppressed
            );
            total.findings += counts.findings;
            total.fixed += counts.fixed;
            total.held_back += counts.held_back;
            total.without_fix += counts.without_fix;
            total.suppressed += counts.suppressed;
        }
        let _ = writeln!(
            out,
            "| **total** | {} | {} | {} | {} | {} |",
            total.findings, total.fixed, total.held_back, total.without_fix, total.suppressed
        );
        let changed = if wrote { "changed" } else { "would change" };
        let _ = writeln!(
            out,
            "\n{} {changed}; {} scanned.",
            plural(self.files_changed, "file"),
            plural(self.files_scanned, "file")
        );
        if self.files_with_errors > 0 {
            let _ = writeln!(
                out,
                "\n{} could not be processed (see the log).",
                plural(self.files_with_errors, "file")
            );
        }
        out
    }

    pub fn findings(&self) -> usize {
        self.findings_per_rule.values().sum()
    }

    /// One line: files scanned, findings per rule, fixes available or applied, fixes held back.
    pub fn summary(&self, wrote: bool, unsafe_enabled: bool) -> String {
        let mut line = format!("deferfix: {} scanned", plural(self.files_scanned, "file"));
        if self.files_skipped_generated > 0 {
            let _ = write!(
                line,
                " ({} generated skipped)",
                self.files_skipped_generated
            );
        }
        let per_rule: Vec<String> = self
            .findings_per_rule
            .iter()
            .map(|(rule, count)| format!("{rule}: {count}"))
            .collect();
        let _ = write!(line, ", {}", plural(self.findings(), "finding"));
        if !per_rule.is_empty() {
            let _ = write!(line, " ({})", per_rule.join(", "));
        }
        if self.suppressed > 0 {
            let _ = write!(line, ", {} suppressed", self.suppressed);
        }
        let available = if unsafe_enabled {
            self.safe_fixes + self.unsafe_fixes
        } else {
            self.safe_fixes
        };
        if wrote {
            let _ = write!(
                line,
                ", {} fixed in {}",
                self.findings_fixed,
                plural(self.files_changed, "file")
            );
        } else {
            let _ = write!(line, ", {available} fixable");
        }
        if !unsafe_enabled && self.unsafe_fixes > 0 {
            let _ = write!(line, ", {} more with --unsafe", self.unsafe_fixes);
        }
        if self.without_fix > 0 {
            let _ = write!(line, ", {} without a fix", self.without_fix);
        }
        if self.files_with_errors > 0 {
            let _ = write!(
                line,
                ", {} with errors",
                plural(self.files_with_errors, "file")
            );
        }
        line
    }
}

/// `1 file`, `2 files`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
