//! Counting a run's findings: the summary line on stderr, `--summary-md` and `--statistics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::fix::{Finding, FixState, ReasonCode};

/// Counts over a whole run.
#[derive(Default, Debug)]
pub struct Totals {
    pub files_scanned: usize,
    pub files_skipped_generated: usize,
    /// Files answered by the result cache (neither parsed nor analysed).
    pub files_from_cache: usize,
    pub files_with_errors: usize,
    pub files_changed: usize,
    pub findings_per_rule: BTreeMap<&'static str, usize>,
    pub safe_fixes: usize,
    pub unsafe_fixes: usize,
    /// Findings of rules that fix, for which no fix is offered.
    pub without_fix: usize,
    /// Findings of rules that never fix.
    pub report_only: usize,
    pub findings_fixed: usize,
    pub remaining: usize,
    /// Findings silenced by `//deferfix:ignore` / `//nolint` comments.
    pub suppressed: usize,
    /// The same counts per rule, for `--summary-md` and `--statistics`.
    pub per_rule: BTreeMap<&'static str, RuleCounts>,
    /// Why fixes were held back: per rule, per state, per reason code.
    pub held_back: BTreeMap<HeldBack, usize>,
}

/// A class of held-back fixes: one rule, unsafe or not offered, one reason code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeldBack {
    pub rule: &'static str,
    /// `true` for unsafe fixes, `false` for findings without a fix.
    pub unsafe_fix: bool,
    pub code: ReasonCode,
}

/// One rule's counts.
#[derive(Default, Debug, Clone, Copy)]
pub struct RuleCounts {
    pub findings: usize,
    pub safe: usize,
    pub unsafe_fixes: usize,
    pub without_fix: usize,
    pub report_only: usize,
    /// Fixes this run applies (with -w) or would apply (dry run).
    pub fixed: usize,
    /// Unsafe fixes not applied.
    pub held_back: usize,
    pub suppressed: usize,
}

impl Totals {
    /// Counts findings; `applies` says whether this run applies a finding's fix.
    pub fn add_findings(&mut self, findings: &[Finding], applies: &dyn Fn(&Finding) -> bool) {
        for finding in findings {
            *self.findings_per_rule.entry(finding.rule).or_default() += 1;
            let counts = self.per_rule.entry(finding.rule).or_default();
            counts.findings += 1;
            match &finding.fix {
                FixState::Safe(_) => {
                    self.safe_fixes += 1;
                    counts.safe += 1;
                }
                FixState::Unsafe(..) => {
                    self.unsafe_fixes += 1;
                    counts.unsafe_fixes += 1;
                }
                FixState::NoFix(_) => {
                    self.without_fix += 1;
                    counts.without_fix += 1;
                }
                FixState::ReportOnly => {
                    self.report_only += 1;
                    counts.report_only += 1;
                }
            }
            match &finding.fix {
                FixState::Safe(_) | FixState::Unsafe(..) if applies(finding) => counts.fixed += 1,
                FixState::Unsafe(..) => counts.held_back += 1,
                _ => {}
            }
            let held_back = match &finding.fix {
                FixState::Unsafe(_, reason) if !applies(finding) => Some((true, reason.code)),
                FixState::NoFix(reason) => Some((false, reason.code)),
                _ => None,
            };
            if let Some((unsafe_fix, code)) = held_back {
                *self
                    .held_back
                    .entry(HeldBack {
                        rule: finding.rule,
                        unsafe_fix,
                        code,
                    })
                    .or_default() += 1;
            }
        }
    }

    pub fn add_suppressed(&mut self, rules: &[&'static str]) {
        self.suppressed += rules.len();
        for rule in rules {
            self.per_rule.entry(rule).or_default().suppressed += 1;
        }
    }

    pub fn findings(&self) -> usize {
        self.findings_per_rule.values().sum()
    }

    /// The held-back classes of `rule`, most frequent first (then by state and code).
    fn held_back_of(&self, rule: &str) -> Vec<(HeldBack, usize)> {
        let mut classes: Vec<(HeldBack, usize)> = self
            .held_back
            .iter()
            .filter(|(class, _)| class.rule == rule)
            .map(|(class, count)| (*class, *count))
            .collect();
        classes.sort_by(|(a, a_count), (b, b_count)| {
            b_count
                .cmp(a_count)
                .then(b.unsafe_fix.cmp(&a.unsafe_fix))
                .then(a.code.cmp(&b.code))
        });
        classes
    }

    /// `--summary-md`: a Markdown report a bot can use as a pull-request body (no links).
    pub fn markdown(&self, wrote: bool) -> String {
        let fixed = if wrote { "fixed" } else { "fixable" };
        let mut out = format!(
            "## deferfix\n\n| rule | findings | {fixed} | unsafe, held back | without a fix | suppressed |\n|---|---:|---:|---:|---:|---:|\n"
        );
        let mut total = RuleCounts::default();
        for (rule, counts) in &self.per_rule {
            let without_fix = counts.without_fix + counts.report_only;
            let _ = writeln!(
                out,
                "| `{rule}` | {} | {} | {} | {} | {} |",
                counts.findings, counts.fixed, counts.held_back, without_fix, counts.suppressed
            );
            total.findings += counts.findings;
            total.fixed += counts.fixed;
            total.held_back += counts.held_back;
            total.without_fix += without_fix;
            total.suppressed += counts.suppressed;
        }
        let _ = writeln!(
            out,
            "| **total** | {} | {} | {} | {} | {} |",
            total.findings, total.fixed, total.held_back, total.without_fix, total.suppressed
        );
        if !self.held_back.is_empty() {
            out.push_str(
                "\n### Held back, by reason\n\n| rule | fix | reason | findings |\n|---|---|---|---:|\n",
            );
            for rule in self.per_rule.keys() {
                for (class, count) in self.held_back_of(rule) {
                    let state = if class.unsafe_fix { "unsafe" } else { "none" };
                    let _ = writeln!(
                        out,
                        "| `{rule}` | {state} | `{}` | {count} |",
                        class.code.as_str()
                    );
                }
            }
        }
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

    /// `--statistics`: per rule, the findings by fix state, then each reason a fix is held back
    /// for, most frequent first (as `ruff --statistics` lists its counts).
    pub fn statistics(&self) -> String {
        let mut out = String::new();
        let width = self
            .per_rule
            .keys()
            .map(|rule| rule.len())
            .max()
            .unwrap_or(0);
        for (rule, counts) in &self.per_rule {
            let _ = writeln!(
                out,
                "{rule:<width$}  {:>5} findings  {:>5} safe  {:>5} unsafe  {:>5} no fix  {:>5} report only",
                counts.findings,
                counts.safe,
                counts.unsafe_fixes,
                counts.without_fix,
                counts.report_only
            );
            for (class, count) in self.held_back_of(rule) {
                let state = if class.unsafe_fix { "unsafe" } else { "no fix" };
                let _ = writeln!(out, "  {count:>5}  {state:<6}  {}", class.code.as_str());
            }
        }
        out
    }

    /// One line: files scanned, findings per rule, fixes available or applied, fixes held back.
    pub fn summary(&self, wrote: bool, unsafe_enabled: bool) -> String {
        let mut line = format!("deferfix: {} scanned", plural(self.files_scanned, "file"));
        if self.files_from_cache > 0 {
            let _ = write!(line, " ({} from cache)", self.files_from_cache);
        }
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
        if self.report_only > 0 {
            let _ = write!(line, ", {} report-only", self.report_only);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::{Edit, Fix, Reason};

    fn finding(rule: &'static str, fix: FixState) -> Finding {
        Finding {
            rule,
            span: 0..1,
            message: String::new(),
            fix,
        }
    }

    #[test]
    fn statistics_list_reasons_most_frequent_first() {
        let fix = || Fix::new("t", vec![Edit::insert(0, "x")]).unwrap();
        let reason = |code| Reason::new(code, "why");
        let findings = vec![
            finding("defer-in-loop", FixState::Safe(fix())),
            finding(
                "defer-in-loop",
                FixState::Unsafe(fix(), reason(ReasonCode::Escapes)),
            ),
            finding(
                "defer-in-loop",
                FixState::Unsafe(fix(), reason(ReasonCode::HeldOpen)),
            ),
            finding(
                "defer-in-loop",
                FixState::Unsafe(fix(), reason(ReasonCode::HeldOpen)),
            ),
            finding(
                "defer-in-loop",
                FixState::NoFix(reason(ReasonCode::GotoOut)),
            ),
            finding("exit-after-defer", FixState::ReportOnly),
        ];
        let mut totals = Totals::default();
        totals.add_findings(&findings, &|finding| {
            matches!(finding.fix, FixState::Safe(_))
        });
        assert_eq!(
            totals.statistics(),
            "defer-in-loop         5 findings      1 safe      3 unsafe      1 no fix      0 report only\n\
             \x20     2  unsafe  held-open\n\
             \x20     1  unsafe  escapes\n\
             \x20     1  no fix  goto-out\n\
             exit-after-defer      1 findings      0 safe      0 unsafe      0 no fix      1 report only\n"
        );
        assert!(
            totals
                .summary(false, false)
                .ends_with("1 fixable, 3 more with --unsafe, 1 without a fix, 1 report-only")
        );
    }
}
