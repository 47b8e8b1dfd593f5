//! The fix engine: find, select fixes by applicability, merge them, apply, re-parse and repeat
//! until nothing more applies. Rules only propose; this module decides.

use ra_ap_text_edit::{TextEdit, TextRange, TextSize};
use tree_sitter::{Parser, QueryCursor, Tree};

use crate::analysis::FileAnalysis;
use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use crate::fix::{Applicability, Finding, Fix};
use crate::goversion::GoVersion;
use crate::keywords::KeywordIndex;
use crate::query;
use crate::source::LineIndex;
use crate::suppress;
use crate::syntax::{GoFile, Parse, TextChange, first_syntax_error, new_parser};
use crate::transforms::{RULES, Rule, RuleContext};

/// More passes than any sane nesting of loops needs; hitting it means a rule does not converge.
pub const MAX_PASSES: usize = 32;

/// Which rules run and which fixes get applied.
#[derive(Clone)]
pub struct Settings {
    /// The rules to run, in registry order (which breaks ties between fixes).
    pub rules: Vec<&'static Rule>,
    /// Fixes at or above this applicability are applied; `None` applies nothing.
    pub apply: Option<Applicability>,
    /// Report `//deferfix:ignore` directives that silence nothing (as `unused-ignore` findings).
    pub report_unused_ignores: bool,
    /// Rules whose unsafe fixes are applied whenever fixes are (`unsafe = true` in the config).
    pub unsafe_rules: Vec<&'static str>,
    /// Findings whose fixes are not applied, whatever their applicability (`--verify` drops the
    /// fixes that break a package this way).
    pub withheld: Vec<FindingKey>,
    /// Ask the rules' lexical tests ([`Rule::may_match`]) before parsing a file for them. Off
    /// only to check that those tests are sound: the findings must be the same either way.
    pub lexical_prefilter: bool,
}

/// On, except in deferfix's own tests when `DEFERFIX_TEST_NO_LEXICAL_PREFILTER` is set (see
/// [`Settings::lexical_prefilter`]).
pub fn lexical_prefilter_default() -> bool {
    #[cfg(feature = "test-hooks")]
    return crate::test_hooks::lexical_prefilter();
    #[cfg(not(feature = "test-hooks"))]
    true
}

impl Settings {
    pub fn all_rules(apply: Option<Applicability>) -> Self {
        Settings {
            rules: RULES.to_vec(),
            apply,
            report_unused_ignores: false,
            unsafe_rules: Vec::new(),
            withheld: Vec::new(),
            lexical_prefilter: lexical_prefilter_default(),
        }
    }

    /// Whether a run at `threshold` applies the finding's fix (per-rule `unsafe` included).
    pub fn applies(&self, finding: &Finding, threshold: Applicability) -> bool {
        finding
            .fix
            .applicability()
            .is_some_and(|level| level >= self.threshold_for(finding.rule, threshold))
    }

    /// Whether the finding (on `text`) is one whose fix must not be applied.
    fn is_withheld(&self, finding: &Finding, text: &str) -> bool {
        !self.withheld.is_empty() && self.withheld.contains(&FindingKey::of(finding, text))
    }

    /// The applicability a fix of `rule` needs to be applied, given the run's `threshold`.
    fn threshold_for(&self, rule: &str, threshold: Applicability) -> Applicability {
        if self.unsafe_rules.contains(&rule) {
            Applicability::Unsafe
        } else {
            threshold
        }
    }

    /// Position of a rule in the run order, which breaks ties between findings and fixes.
    fn rule_order(&self, id: &str) -> usize {
        self.rules
            .iter()
            .position(|rule| rule.id == id)
            .unwrap_or(usize::MAX)
    }
}

/// Names a finding across the passes of the engine, whose edits move it: its rule, its code with
/// whitespace collapsed (re-indenting does not change it) and how many times that code occurs
/// before it in the file (fixes wrap and move code but do not duplicate it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FindingKey {
    pub rule: &'static str,
    code: String,
    occurrence: usize,
}

impl FindingKey {
    pub fn of(finding: &Finding, text: &str) -> FindingKey {
        let code = collapse_whitespace(&text[finding.span.clone()]);
        let before = collapse_whitespace(&text[..finding.span.start]);
        FindingKey {
            rule: finding.rule,
            occurrence: before.matches(code.as_str()).count(),
            code,
        }
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The rules to run on a text, and its tokens when a rule's lexical test read them (reliably):
/// a rule may repeat that test per match to skip its type questions there.
struct Candidates<'t> {
    rules: Vec<&'static Rule>,
    lexed: Option<Lexed<'t>>,
}

/// Per-thread state: one parser and one query cursor, reused across files.
pub struct Linter {
    parser: Parser,
    cursor: QueryCursor,
    /// The keywords of each set of rules that applied to a file so far (a file's Go version
    /// and imports decide which of the selected rules apply), built on first use.
    keywords: Vec<KeywordIndex>,
}

/// More sets of rules than this in one run (many configurations) start the list afresh.
const MAX_KEYWORD_INDEXES: usize = 32;

impl Default for Linter {
    fn default() -> Self {
        Linter {
            parser: new_parser(),
            cursor: QueryCursor::new(),
            keywords: Vec::new(),
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
    /// The rules whose fixes were applied, in the order they first applied.
    pub fixed_rules: Vec<&'static str>,
    /// The rules of the findings silenced by suppression comments (on the original text).
    pub suppressed: Vec<&'static str>,
}

impl Outcome {
    /// An outcome without fixes applied: every finding remains.
    fn unfixed(findings: Vec<Finding>, suppressed: Vec<&'static str>) -> Outcome {
        Outcome {
            remaining: findings.len(),
            findings,
            fixed: None,
            applied: 0,
            fixed_rules: Vec::new(),
            suppressed,
        }
    }
}

/// What every pass over one file's text needs besides the text.
struct PassContext<'s> {
    settings: &'s Settings,
    go_version: Option<GoVersion>,
    package: &'s PackageContext<'s>,
}

/// The text being fixed, and its tree.
struct FixedText {
    text: String,
    parsed: Parse,
}

/// What the fix passes did (see [`Outcome`]).
#[derive(Default)]
struct Fixing {
    fixed: Option<String>,
    remaining: usize,
    applied: usize,
    fixed_rules: Vec<&'static str>,
}

/// Why a file's text could not be linted or fixed. Offsets are into the text given; the message
/// (`Display`) is what the user reads after `path:line:col:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The input does not parse: never fixed.
    #[error("syntax error: file does not parse, left unchanged")]
    Syntax { offset: usize },
    /// A fix produced text that does not parse: a deferfix bug; the file is left untouched.
    #[error(
        "internal error: fixes of {} produced code that does not parse; file left unchanged (please report this bug)",
        .rules.join(", ")
    )]
    FixBrokeSyntax {
        rules: Vec<&'static str>,
        offset_in_fixed: usize,
    },
    /// Fixes kept applying after `MAX_PASSES` passes: a deferfix bug; the file is left untouched.
    #[error(
        "internal error: fixes of {} did not converge after {MAX_PASSES} passes; file left unchanged (please report this bug)",
        .rules.join(", ")
    )]
    DidNotConverge { rules: Vec<&'static str> },
}

impl EngineError {
    /// Line, column and message for `path:line:col: message`, the position resolved against
    /// `text` (the start of the file for errors about the fixed text).
    pub fn describe(&self, text: &str) -> (usize, usize, String) {
        let (line, column) = match self {
            EngineError::Syntax { offset } => LineIndex::new(text).line_col(*offset),
            EngineError::FixBrokeSyntax { .. } | EngineError::DidNotConverge { .. } => (1, 1),
        };
        (line, column, self.to_string())
    }
}

impl Linter {
    /// Parses the text of the next pass: `edit` made it from `previous`, parsed as `parsed`.
    fn reparse(&mut self, parsed: Parse, previous: &str, edit: &TextEdit, text: &str) -> Parse {
        let changes: Vec<TextChange> = edit
            .iter()
            .map(|indel| TextChange {
                range: indel.delete.start().into()..indel.delete.end().into(),
                insert: &indel.insert,
            })
            .collect();
        crate::syntax::reparse(&mut self.parser, parsed, previous, &changes, text)
    }

    /// Runs `candidates` (of the selected rules, see [`Linter::candidate_rules`]) on a parsed
    /// tree.
    fn lint_tree(
        &mut self,
        text: &str,
        tree: &Tree,
        candidates: &Candidates,
        pass: &PassContext,
    ) -> Vec<Finding> {
        let (settings, go_version) = (pass.settings, pass.go_version);
        let mut findings = Vec::new();
        // One analysis per pass, shared by the rules; it computes only what they ask for.
        let analysis = FileAnalysis::new(GoFile { text, tree }, pass.package);
        for rule in &candidates.rules {
            let matches = query::run(rule.query(), rule.keywords, tree, text, &mut self.cursor);
            if matches.is_empty() {
                continue;
            }
            let context = RuleContext {
                file: GoFile { text, tree },
                module_go_version: go_version,
                analysis: &analysis,
                lexed: candidates.lexed.as_ref(),
            };
            findings.extend((rule.check)(&context, &matches));
        }
        #[cfg(feature = "test-hooks")]
        crate::test_hooks::break_fixes(text, &mut findings);
        findings.sort_by_key(|finding| {
            (
                finding.span.start,
                settings.rule_order(finding.rule),
                finding.span.end,
            )
        });
        findings
    }

    /// The selected rules that could match `text` at all: the Go version allows them and one of
    /// their keywords occurs in the bytes (the cheap prefilter before parsing).
    fn candidate_rules<'t>(
        &mut self,
        text: &'t str,
        settings: &Settings,
        go_version: Option<GoVersion>,
        package: &PackageContext,
    ) -> Candidates<'t> {
        // Which rules apply comes first: the keywords of the others (`Get`, `Do` of missing-close
        // in a file importing neither net/http nor database/sql) are then not searched for.
        let applicable: Vec<&'static Rule> = settings
            .rules
            .iter()
            .copied()
            .filter(|rule| (rule.applies_to)(go_version, text))
            .collect();
        let present = self.keywords_for(&applicable).scan(text.as_bytes());
        // Tokenised once, for the first rule that asks.
        let lexed = std::cell::OnceCell::new();
        let rules = applicable
            .iter()
            .copied()
            .filter(|rule| present.admits(rule))
            .filter(|rule| match rule.may_match {
                Some(may_match) if settings.lexical_prefilter => {
                    let lexed = lexed.get_or_init(|| Lexed::new(text));
                    !lexed.is_reliable() || may_match(lexed, package)
                }
                _ => true,
            })
            .collect();
        Candidates {
            rules,
            lexed: lexed.into_inner().filter(Lexed::is_reliable),
        }
    }

    /// The keyword index for exactly `rules`.
    fn keywords_for(&mut self, rules: &[&'static Rule]) -> &KeywordIndex {
        let at = match self.keywords.iter().position(|index| index.is_for(rules)) {
            Some(at) => at,
            None => {
                if self.keywords.len() == MAX_KEYWORD_INDEXES {
                    self.keywords.clear();
                }
                self.keywords.push(KeywordIndex::new(rules));
                self.keywords.len() - 1
            }
        };
        &self.keywords[at]
    }

    /// `go_version` is the file's module Go version (see [`crate::goversion`]); `package` says
    /// where the file's package is, for decisions that need its other files.
    pub fn process(
        &mut self,
        text: &str,
        settings: &Settings,
        go_version: Option<GoVersion>,
        package: &PackageContext,
    ) -> Result<Outcome, EngineError> {
        let may_hold_directives = settings.report_unused_ignores
            && (crate::text::contains(text, "//deferfix:ignore")
                || crate::text::contains(text, "//nolint:"));
        let candidates = self.candidate_rules(text, settings, go_version, package);
        if candidates.rules.is_empty() && !may_hold_directives {
            return Ok(Outcome::unfixed(Vec::new(), Vec::new()));
        }
        let parsed = crate::syntax::parse_file(&mut self.parser, text);
        if let Some(offset) = first_syntax_error(&parsed.tree) {
            return Err(EngineError::Syntax { offset });
        }
        let pass = PassContext {
            settings,
            go_version,
            package,
        };
        let (findings, suppressed) = self.first_pass(text, &parsed.tree, &candidates, &pass);
        let Some(threshold) = settings.apply else {
            return Ok(Outcome::unfixed(findings, suppressed));
        };
        let fixing = self.fix(text, parsed, &findings, threshold, &pass)?;
        Ok(Outcome {
            findings,
            fixed: fixing.fixed,
            remaining: fixing.remaining,
            applied: fixing.applied,
            fixed_rules: fixing.fixed_rules,
            suppressed,
        })
    }

    /// The findings on the original text with suppression comments applied (and, when asked
    /// for, a finding for each suppression comment that silenced nothing), and the rules of the
    /// findings silenced.
    fn first_pass(
        &mut self,
        text: &str,
        tree: &Tree,
        candidates: &Candidates,
        pass: &PassContext,
    ) -> (Vec<Finding>, Vec<&'static str>) {
        let settings = pass.settings;
        let directives = suppress::directives(tree, text);
        let mut used = vec![false; directives.len()];
        let found = self.lint_tree(text, tree, candidates, pass);
        let (mut findings, suppressed) = suppress::apply(found, &directives, text, &mut used);
        if settings.report_unused_ignores {
            // Reported as findings without a fix: they count, print and fail a check like any
            // other.
            let unused = suppress::unused(&directives, &used, &|rule| {
                settings.rule_order(rule) != usize::MAX
            });
            if !unused.is_empty() {
                findings.extend(unused);
                findings.sort_by_key(|finding| (finding.span.start, finding.span.end));
            }
        }
        (findings, suppressed)
    }

    /// Applies the fixes at `threshold` pass after pass, each pass linting the text the previous
    /// one made, until no applicable fix remains.
    fn fix(
        &mut self,
        text: &str,
        parsed: Parse,
        findings: &[Finding],
        threshold: Applicability,
        pass: &PassContext,
    ) -> Result<Fixing, EngineError> {
        // Unused-ignore findings are about the original text and have no fix: they only count.
        let (unused, mut current_findings): (Vec<Finding>, Vec<Finding>) = findings
            .iter()
            .cloned()
            .partition(|finding| finding.rule == suppress::UNUSED_IGNORE);
        let mut current = FixedText {
            text: text.to_owned(),
            parsed,
        };
        let mut fixing = Fixing::default();
        for _pass in 0..MAX_PASSES {
            let applicable: Vec<&Finding> = current_findings
                .iter()
                .filter(|finding| pass.settings.applies(finding, threshold))
                .filter(|finding| !pass.settings.is_withheld(finding, &current.text))
                .collect();
            if applicable.is_empty() {
                fixing.fixed = (current.text != text).then_some(current.text);
                fixing.remaining = current_findings.len() + unused.len();
                return Ok(fixing);
            }
            let (edit, count, rules) = merge_fixes(&applicable, pass.settings);
            fixing.applied += count;
            for rule in &rules {
                if !fixing.fixed_rules.contains(rule) {
                    fixing.fixed_rules.push(rule);
                }
            }
            current = self.apply_pass(current, &edit, rules)?;
            current_findings = self.lint_pass(&current, pass);
        }
        let mut rules: Vec<_> = current_findings
            .iter()
            .map(|finding| finding.rule)
            .collect();
        rules.dedup();
        Err(EngineError::DidNotConverge { rules })
    }

    /// One pass's merged `edit` applied and the result parsed; an error when the fixes of `rules`
    /// broke the syntax.
    fn apply_pass(
        &mut self,
        current: FixedText,
        edit: &TextEdit,
        rules: Vec<&'static str>,
    ) -> Result<FixedText, EngineError> {
        let mut text = current.text.clone();
        edit.apply(&mut text);
        let parsed = self.reparse(current.parsed, &current.text, edit, &text);
        if let Some(offset_in_fixed) = first_syntax_error(&parsed.tree) {
            return Err(EngineError::FixBrokeSyntax {
                rules,
                offset_in_fixed,
            });
        }
        Ok(FixedText { text, parsed })
    }

    /// The findings on a fixed text, suppression comments applied.
    fn lint_pass(&mut self, current: &FixedText, pass: &PassContext) -> Vec<Finding> {
        let (text, tree) = (current.text.as_str(), &current.parsed.tree);
        let directives = suppress::directives(tree, text);
        let mut used = vec![false; directives.len()];
        let candidates = self.candidate_rules(text, pass.settings, pass.go_version, pass.package);
        let found = self.lint_tree(text, tree, &candidates, pass);
        suppress::apply(found, &directives, text, &mut used).0
    }
}

fn text_range(range: &std::ops::Range<usize>) -> TextRange {
    // Go files over 4 GiB are not a use case; TextSize is u32 by design of ra_ap_text_edit.
    let start = TextSize::try_from(range.start).unwrap_or(TextSize::new(u32::MAX));
    let end = TextSize::try_from(range.end).unwrap_or(TextSize::new(u32::MAX));
    TextRange::new(start, end)
}

/// The one place edits become `ra_ap_text_edit` edits. A [`Fix`]'s edits are sorted and disjoint
/// by construction, which is what the builder requires.
fn to_text_edit(fix: &Fix) -> TextEdit {
    let mut builder = TextEdit::builder();
    for edit in fix.edits() {
        builder.replace(text_range(&edit.range), edit.replacement.clone());
    }
    builder.finish()
}

/// Merges fixes in source order (rule order breaks ties). Identical fixes (several findings
/// sharing one fix) are applied once; a fix that starts at or before the end of the previous one
/// is left for the next pass. Returns the merged edit, the number of distinct fixes in it, and
/// the rules they came from.
fn merge_fixes(findings: &[&Finding], settings: &Settings) -> (TextEdit, usize, Vec<&'static str>) {
    let mut fixes: Vec<(&Fix, &'static str)> = findings
        .iter()
        .filter_map(|finding| finding.fix.fix().map(|fix| (fix, finding.rule)))
        .collect();
    fixes.sort_by_key(|(fix, rule)| (fix.start(), settings.rule_order(rule)));

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
        let edit = to_text_edit(fix);
        if merged.union(edit).is_err() {
            continue;
        }
        last_end = Some(fix.end());
        applied.push(fix);
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    (merged, applied.len(), rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::{Edit, FixState, Reason, ReasonCode};
    use crate::transforms::QueryMatch;

    const SOURCE: &str = "package p\n\nfunc f() {\n\tdefer a()\n\tdefer b()\n}\n";

    /// A test rule: one finding per defer, with whatever fix `fix_for` builds.
    macro_rules! test_rule {
        ($name:ident, $id:literal, $fix_for:expr) => {
            static $name: Rule = Rule {
                id: $id,
                summary: "test rule",
                docs: "",
                query_source: "(defer_statement) @anchor",
                keywords: &["defer"],
                requires: &[],
                severity: crate::transforms::Severity::Minor,
                applies_to: crate::transforms::any_go_version,
                may_match: None,
                reasons: &[],
                check: |context: &RuleContext, matches: &[QueryMatch]| {
                    let fix_for: fn(&str, std::ops::Range<usize>) -> FixState = $fix_for;
                    matches
                        .iter()
                        .filter_map(|found| found.get("anchor"))
                        .map(|defer| Finding {
                            rule: $id,
                            span: defer.byte_range(),
                            message: "test".into(),
                            fix: fix_for(context.file.text, defer.byte_range()),
                        })
                        .collect()
                },
                compiled: std::sync::OnceLock::new(),
            };
        };
    }

    fn run(rule: &'static Rule, text: &str) -> Result<Outcome, EngineError> {
        let settings = Settings {
            rules: vec![rule],
            apply: Some(Applicability::Safe),
            report_unused_ignores: false,
            unsafe_rules: Vec::new(),
            withheld: Vec::new(),
            lexical_prefilter: true,
        };
        Linter::default().process(text, &settings, None, &PackageContext::alone())
    }

    /// A Linter reused over files to which different rules apply keeps one keyword index per
    /// set, and each file gets the candidates of its own set.
    #[test]
    fn each_set_of_applicable_rules_has_its_keywords() {
        let settings = Settings {
            rules: crate::transforms::RULES.to_vec(),
            apply: None,
            report_unused_ignores: false,
            unsafe_rules: Vec::new(),
            withheld: Vec::new(),
            lexical_prefilter: true,
        };
        let mut linter = Linter::default();
        let package = PackageContext::alone();
        let mut candidates = |text: &str, version: Option<GoVersion>| -> Vec<&'static str> {
            linter
                .candidate_rules(text, &settings, version, &package)
                .rules
                .iter()
                .map(|rule| rule.id)
                .collect()
        };
        let goroutine = "package p\n\nfunc f(xs []int) {\n\tfor _, x := range xs {\n\t\tgo func() { use(x) }()\n\t}\n}\n";
        let shared = Some(GoVersion {
            major: 1,
            minor: 21,
        });
        let per_iteration = Some(GoVersion::PER_ITERATION_LOOP_VARS);
        assert!(candidates(goroutine, shared).contains(&"loop-var-capture"));
        assert!(!candidates(goroutine, per_iteration).contains(&"loop-var-capture"));
        assert!(candidates(goroutine, shared).contains(&"loop-var-capture"));
        let get = "func f(u string) {\n\tresp, err := http.Get(u)\n\tif err != nil {\n\t\treturn\n\t}\n\tuse(resp)\n}\n";
        let imported = format!("package p\n\nimport \"net/http\"\n\n{get}");
        assert!(candidates(&imported, per_iteration).contains(&"missing-close"));
        let not_imported = format!("package p\n\n{get}");
        assert!(!candidates(&not_imported, per_iteration).contains(&"missing-close"));
        assert_eq!(linter.keywords.len(), 3);
    }

    test_rule!(BREAKS_SYNTAX, "breaks-syntax", |_, span| FixState::Safe(
        Fix::new("break", vec![Edit::replace(span, "defer (")]).unwrap()
    ));
    test_rule!(NEVER_CONVERGES, "never-converges", |text, span| {
        // Adds one defer in front of the first: there is always a first defer to add to.
        if text[..span.start].contains("defer") {
            FixState::ReportOnly
        } else {
            FixState::Safe(
                Fix::new("grow", vec![Edit::insert(span.start, "defer x()\n\t")]).unwrap(),
            )
        }
    });
    test_rule!(OVERLAPS, "overlaps", |_, span| FixState::offered(
        Fix::new(
            "overlap",
            vec![
                Edit::replace(span.start..span.end, "x"),
                Edit::replace(span.start + 1..span.end, "y")
            ]
        ),
        None
    ));
    test_rule!(DELETES_DEFERS, "deletes-defers", |text, span| {
        // Deletes a defer only when it is followed by another: the second pass deletes nothing more.
        if text[span.end..].contains("defer") {
            FixState::Safe(Fix::new("delete", vec![Edit::delete(span)]).unwrap())
        } else {
            FixState::ReportOnly
        }
    });
    test_rule!(UNSAFE_ONLY, "unsafe-only", |_, span| FixState::Unsafe(
        Fix::new(
            "rename",
            vec![Edit::replace(span.start..span.start + 5, "go")]
        )
        .unwrap(),
        Reason::new(ReasonCode::Escapes, "test")
    ));

    test_rule!(CALLS_TWICE, "calls-twice", |text, span| {
        // `defer a()` becomes `defer a(); a()`, which the rule then leaves alone.
        let code = &text[span.clone()];
        if text[span.end..].starts_with(';') {
            return FixState::ReportOnly;
        }
        FixState::Safe(
            Fix::new(
                "twice",
                vec![Edit::replace(
                    span.clone(),
                    format!("{code}; {}", &code[6..]),
                )],
            )
            .unwrap(),
        )
    });

    #[test]
    fn withheld_findings_keep_their_code_while_the_others_are_fixed() {
        let text = "package p\n\nfunc f() {\n\tdefer a()\n\tdefer b()\n\tdefer a()\n}\n";
        let all = run(&CALLS_TWICE, text).unwrap();
        assert_eq!(all.applied, 3);
        // Withhold the second `defer a()` (its key counts the first before it).
        let second_a = &all.findings[2];
        let mut settings = Settings::all_rules(Some(Applicability::Safe));
        settings.rules = vec![&CALLS_TWICE];
        settings.withheld = vec![FindingKey::of(second_a, text)];
        let outcome = Linter::default()
            .process(text, &settings, None, &PackageContext::alone())
            .unwrap();
        assert_eq!(
            outcome.fixed.as_deref(),
            Some("package p\n\nfunc f() {\n\tdefer a(); a()\n\tdefer b(); b()\n\tdefer a()\n}\n")
        );
        assert_ne!(
            FindingKey::of(&all.findings[0], text),
            FindingKey::of(second_a, text)
        );
    }

    #[test]
    fn a_fix_that_breaks_syntax_is_an_error_not_a_write() {
        let err = run(&BREAKS_SYNTAX, SOURCE).unwrap_err();
        assert!(
            matches!(err, EngineError::FixBrokeSyntax { ref rules, .. } if rules == &["breaks-syntax"]),
            "{err:?}"
        );
    }

    #[test]
    fn fixes_that_never_converge_are_an_error() {
        let err = run(&NEVER_CONVERGES, SOURCE).unwrap_err();
        assert!(matches!(err, EngineError::DidNotConverge { .. }), "{err:?}");
    }

    #[test]
    fn overlapping_edits_within_one_fix_offer_no_fix_and_say_why() {
        // Overlapping edits cannot make a `Fix`: the finding offers none and says why.
        let outcome = run(&OVERLAPS, SOURCE).unwrap();
        assert!(outcome.fixed.is_none());
        let reason = outcome.findings[0].fix.reason().unwrap();
        assert!(
            reason.message.contains("two edits of the fix overlap"),
            "{}",
            reason.message
        );
    }

    #[test]
    fn a_file_parsed_with_a_masked_make_is_reported_and_fixed_in_its_own_spelling() {
        // The builtin `make` shadowed and called with a value: only a masked parse reads it
        // (see `syntax::parse`); findings, edits and the fixed text must show the real source.
        let text = "package p\n\nimport \"os\"\n\nfunc f(paths []string) {\n\tmake := func(n int) int { return n }\n\tfor _, p := range paths {\n\t\tf, err := os.Open(p)\n\t\tif err != nil {\n\t\t\treturn\n\t\t}\n\t\tdefer f.Close()\n\t\t_ = make(len(p) - 1)\n\t\tf.Stat()\n\t}\n}\n";
        assert!(crate::syntax::parse_for_test(text).root_node().has_error());
        let outcome = Linter::default()
            .process(
                text,
                &Settings::all_rules(Some(Applicability::Unsafe)),
                None,
                &PackageContext::alone(),
            )
            .unwrap();
        assert!(!outcome.findings.is_empty());
        for finding in &outcome.findings {
            assert!(!finding.message.contains("mak_"), "{}", finding.message);
            for edit in finding.fix.fix().into_iter().flat_map(|fix| fix.edits()) {
                assert!(!edit.replacement.contains("mak_"), "{}", edit.replacement);
            }
        }
        let fixed = outcome.fixed.expect("defer-in-loop fixes the loop");
        // The loop body is re-indented inside the literal: its text comes from the source.
        assert!(fixed.contains("ret := func() bool {"), "{fixed}");
        assert!(fixed.contains("\n\t\t\t_ = make(len(p) - 1)\n"), "{fixed}");
        assert!(!fixed.contains("mak_"), "{fixed}");
    }

    #[test]
    fn fixes_apply_until_nothing_more_applies() {
        let outcome = run(&DELETES_DEFERS, SOURCE).unwrap();
        assert_eq!(outcome.findings.len(), 2);
        assert_eq!(
            outcome.fixed.as_deref(),
            Some("package p\n\nfunc f() {\n\t\n\tdefer b()\n}\n")
        );
        assert_eq!(outcome.remaining, 1);
    }

    #[test]
    fn unsafe_fixes_wait_for_the_unsafe_threshold() {
        let outcome = run(&UNSAFE_ONLY, SOURCE).unwrap();
        assert!(outcome.fixed.is_none());
        let settings = Settings {
            rules: vec![&UNSAFE_ONLY],
            apply: Some(Applicability::Unsafe),
            report_unused_ignores: false,
            unsafe_rules: Vec::new(),
            withheld: Vec::new(),
            lexical_prefilter: true,
        };
        let outcome = Linter::default()
            .process(SOURCE, &settings, None, &PackageContext::alone())
            .unwrap();
        assert_eq!(
            outcome.fixed.as_deref(),
            Some("package p\n\nfunc f() {\n\tgo a()\n\tgo b()\n}\n")
        );
    }

    #[test]
    fn files_with_syntax_errors_are_never_fixed() {
        let err = run(&DELETES_DEFERS, "package p\n\nfunc f() {\n\tdefer a(\n}\n").unwrap_err();
        assert!(matches!(err, EngineError::Syntax { .. }));
    }

    #[test]
    fn overlapping_fixes_of_different_findings_wait_for_the_next_pass() {
        let first = Fix::new("a", vec![Edit::replace(0..4, "x")]).unwrap();
        let second = Fix::new("b", vec![Edit::replace(2..6, "y")]).unwrap();
        let shared = Fix::new("c", vec![Edit::replace(8..9, "z")]).unwrap();
        let findings: Vec<Finding> = [first, second, shared.clone(), shared]
            .into_iter()
            .map(|fix| Finding {
                rule: "r",
                span: 0..1,
                message: String::new(),
                fix: FixState::Safe(fix),
            })
            .collect();
        let refs: Vec<&Finding> = findings.iter().collect();
        let settings = Settings {
            rules: Vec::new(),
            apply: Some(Applicability::Safe),
            report_unused_ignores: false,
            unsafe_rules: Vec::new(),
            withheld: Vec::new(),
            lexical_prefilter: true,
        };
        let (edit, count, _) = merge_fixes(&refs, &settings);
        let mut text = "0123456789".to_owned();
        edit.apply(&mut text);
        assert_eq!(
            (text.as_str(), count),
            ("x4567z9", 2),
            "the overlapping fix waits; the shared one applies once"
        );
    }

    #[test]
    fn a_rule_that_requires_defer_is_no_candidate_without_one() {
        let settings = Settings::all_rules(None);
        let ids = |text: &str| -> Vec<&str> {
            Linter::default()
                .candidate_rules(text, &settings, None, &PackageContext::alone())
                .rules
                .iter()
                .map(|rule| rule.id)
                .collect()
        };
        let exits = "package p\n\nimport \"os\"\n\nfunc f() { os.Exit(1) }\n";
        assert!(!ids(exits).contains(&"exit-after-defer"));
        let deferred = "package p\n\nimport \"os\"\n\nfunc f() { defer g(); os.Exit(1) }\n";
        assert!(ids(deferred).contains(&"exit-after-defer"));
    }
}
