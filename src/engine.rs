//! The fix engine: find, select fixes by applicability, merge them, apply, re-parse and repeat
//! until nothing more applies. Rules only propose; this module decides.

use std::fmt;

use ra_ap_text_edit::{TextEdit, TextRange, TextSize};
use tree_sitter::{Parser, QueryCursor, Tree};

use crate::fix::{Applicability, Finding, Fix};
use crate::query;
use crate::source::LineIndex;
use crate::syntax::{GoFile, first_syntax_error, new_parser};
use crate::transforms::{RULES, Rule, RuleContext};

/// More passes than any sane nesting of loops needs; hitting it means a rule does not converge.
pub const MAX_PASSES: usize = 32;

/// Which rules run and which fixes get applied.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Indices into `RULES`.
    pub rules: Vec<usize>,
    /// Fixes at or above this applicability are applied; `None` applies nothing.
    pub apply: Option<Applicability>,
}

impl Settings {
    pub fn all_rules(apply: Option<Applicability>) -> Self {
        Settings {
            rules: (0..RULES.len()).collect(),
            apply,
        }
    }

    fn selected(&self) -> impl Iterator<Item = (usize, &'static Rule)> + '_ {
        self.rules.iter().map(|&index| (index, RULES[index]))
    }
}

/// Per-thread state: one parser and one query cursor, reused across files.
pub struct Linter {
    parser: Parser,
    cursor: QueryCursor,
}

impl Default for Linter {
    fn default() -> Self {
        Linter {
            parser: new_parser(),
            cursor: QueryCursor::new(),
        }
    }
}

/// The result of linting and fixing one file's text.
#[derive(Debug)]
pub struct Outcome {
    /// Findings on the original text, sorted by position then rule.
    pub findings: Vec<Finding>,
    /// The fixed text, when any fix was applied.
    pub fixed: Option<String>,
    /// Findings that remain in the fixed text (all of them when nothing was applied).
    pub remaining: usize,
    /// How many fixes were applied over all passes.
    pub applied: usize,
}

/// Why a file's text could not be linted or fixed. Offsets are into the text given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    /// The input does not parse: never fixed.
    Syntax { offset: usize },
    /// A fix produced text that does not parse: a deferfix bug; the file is left untouched.
    FixBrokeSyntax {
        rules: Vec<&'static str>,
        offset_in_fixed: usize,
    },
    /// Fixes kept applying after `MAX_PASSES` passes: a deferfix bug; the file is left untouched.
    DidNotConverge { rules: Vec<&'static str> },
    /// A rule proposed overlapping edits within one fix: a deferfix bug.
    OverlappingEdits { rule: &'static str },
}

impl EngineError {
    /// A message for `path:line:col: message`, with the position resolved against `text`.
    pub fn describe(&self, text: &str) -> (usize, usize, String) {
        match self {
            EngineError::Syntax { offset } => {
                let (line, col) = LineIndex::new(text).line_col(*offset);
                (
                    line,
                    col,
                    "syntax error: file does not parse, left unchanged".to_owned(),
                )
            }
            EngineError::FixBrokeSyntax { rules, .. } => (
                1,
                1,
                format!(
                    "internal error: fixes of {} produced code that does not parse; file left unchanged (please report this bug)",
                    rules.join(", ")
                ),
            ),
            EngineError::DidNotConverge { rules } => (
                1,
                1,
                format!(
                    "internal error: fixes of {} did not converge after {MAX_PASSES} passes; file left unchanged (please report this bug)",
                    rules.join(", ")
                ),
            ),
            EngineError::OverlappingEdits { rule } => (
                1,
                1,
                format!(
                    "internal error: rule {rule} proposed overlapping edits; file left unchanged (please report this bug)"
                ),
            ),
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl Linter {
    fn parse(&mut self, text: &str) -> Tree {
        // `parse` only returns None without a language or after a cancellation, neither of which
        // this engine ever sets up.
        self.parser
            .parse(text, None)
            .expect("parser has a language and no cancellation")
    }

    /// Runs the selected rules on a parsed tree.
    fn lint_tree(&mut self, text: &str, tree: &Tree, settings: &Settings) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (index, rule) in settings.selected() {
            let matches = query::run(index, tree, text, &mut self.cursor);
            if matches.is_empty() {
                continue;
            }
            let context = RuleContext {
                file: GoFile { text, tree },
            };
            findings.extend((rule.check)(&context, &matches));
        }
        let rule_order = |finding: &Finding| RULES.iter().position(|rule| rule.id == finding.rule);
        findings.sort_by_key(|finding| (finding.span.start, rule_order(finding), finding.span.end));
        findings
    }

    /// Whether any selected rule could match `text` at all (the cheap byte prefilter).
    pub fn may_match(text: &str, settings: &Settings) -> bool {
        settings.selected().any(|(_, rule)| {
            rule.keywords
                .iter()
                .any(|word| query::contains_word(text.as_bytes(), word))
        })
    }

    /// Lints `text`, and applies fixes at `settings.apply` until none is left (or the cap).
    pub fn process(&mut self, text: &str, settings: &Settings) -> Result<Outcome, EngineError> {
        if !Self::may_match(text, settings) {
            return Ok(Outcome {
                findings: Vec::new(),
                fixed: None,
                remaining: 0,
                applied: 0,
            });
        }
        let tree = self.parse(text);
        if let Some(offset) = first_syntax_error(&tree) {
            return Err(EngineError::Syntax { offset });
        }
        let findings = self.lint_tree(text, &tree, settings);
        let Some(threshold) = settings.apply else {
            let remaining = findings.len();
            return Ok(Outcome {
                findings,
                fixed: None,
                remaining,
                applied: 0,
            });
        };

        let mut current = text.to_owned();
        let mut current_findings = findings.clone();
        let mut applied = 0;
        for _pass in 0..MAX_PASSES {
            let applicable: Vec<&Finding> = current_findings
                .iter()
                .filter(|finding| {
                    finding
                        .fix
                        .as_ref()
                        .is_some_and(|fix| fix.applicability >= threshold)
                })
                .collect();
            if applicable.is_empty() {
                let fixed = (current != text).then_some(current);
                let remaining = current_findings.len();
                return Ok(Outcome {
                    findings,
                    fixed,
                    remaining,
                    applied,
                });
            }
            let (edit, count, rules) = merge_fixes(&applicable)?;
            edit.apply(&mut current);
            applied += count;
            let tree = self.parse(&current);
            if let Some(offset_in_fixed) = first_syntax_error(&tree) {
                return Err(EngineError::FixBrokeSyntax {
                    rules,
                    offset_in_fixed,
                });
            }
            current_findings = self.lint_tree(&current, &tree, settings);
        }
        let mut rules: Vec<_> = current_findings
            .iter()
            .map(|finding| finding.rule)
            .collect();
        rules.dedup();
        Err(EngineError::DidNotConverge { rules })
    }
}

fn text_range(range: &std::ops::Range<usize>) -> TextRange {
    // Go files over 4 GiB are not a use case; TextSize is u32 by design of ra_ap_text_edit.
    let start = TextSize::try_from(range.start).unwrap_or(TextSize::new(u32::MAX));
    let end = TextSize::try_from(range.end).unwrap_or(TextSize::new(u32::MAX));
    TextRange::new(start, end)
}

fn to_text_edit(fix: &Fix, rule: &'static str) -> Result<TextEdit, EngineError> {
    let mut previous_end = None;
    let mut builder = TextEdit::builder();
    for edit in &fix.edits {
        // The builder panics on overlap; check first so a rule bug becomes an error, not a crash.
        if previous_end.is_some_and(|end| edit.range.start < end)
            || edit.range.start > edit.range.end
        {
            return Err(EngineError::OverlappingEdits { rule });
        }
        previous_end = Some(edit.range.end);
        builder.replace(text_range(&edit.range), edit.replacement.clone());
    }
    Ok(builder.finish())
}

/// Merges fixes in source order (rule order breaks ties). Identical fixes (several findings
/// sharing one fix) are applied once; a fix that starts at or before the end of the previous one
/// is left for the next pass. Returns the merged edit, the number of distinct fixes in it, and
/// the rules they came from.
fn merge_fixes(findings: &[&Finding]) -> Result<(TextEdit, usize, Vec<&'static str>), EngineError> {
    let mut fixes: Vec<(&Fix, &'static str)> = findings
        .iter()
        .filter_map(|finding| finding.fix.as_ref().map(|fix| (fix, finding.rule)))
        .collect();
    let rule_order = |rule: &str| RULES.iter().position(|candidate| candidate.id == rule);
    fixes.sort_by_key(|(fix, rule)| (fix.start(), rule_order(rule)));

    let mut merged = TextEdit::default();
    let mut applied: Vec<&Fix> = Vec::new();
    let mut rules = Vec::new();
    let mut last_end: Option<usize> = None;
    for (fix, rule) in fixes {
        if applied.contains(&fix) {
            continue;
        }
        if last_end.is_some_and(|end| fix.start() <= end) {
            continue;
        }
        let edit = to_text_edit(fix, rule)?;
        if merged.union(edit).is_err() {
            continue;
        }
        last_end = Some(fix.end());
        applied.push(fix);
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    Ok((merged, applied.len(), rules))
}
