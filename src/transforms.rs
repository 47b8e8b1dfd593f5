//! The rule registry: every rule deferfix knows, in the order their fixes win ties.
//!
//! A rule lives in `transforms/<rule-id>/`: its `README.md` (the docs `--explain` prints), its
//! tree-sitter query, its Rust module and its fixtures. Adding a rule adds its folder, its module
//! line and its line in `RULES`.

use std::sync::OnceLock;

use crate::analysis::FileAnalysis;
use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use crate::fix::{Finding, ReasonCode};
use crate::goversion::GoVersion;
/// Rules match with these and quote code with this; they live in the layers below.
pub use crate::query::QueryMatch;
use crate::query::{self, CompiledQuery};
use crate::syntax::GoFile;
pub use crate::text::shown;

#[path = "../transforms/close-error/mod.rs"]
pub mod close_error;
#[path = "../transforms/defer-before-check/mod.rs"]
pub mod defer_before_check;
#[path = "../transforms/defer-eval/mod.rs"]
pub mod defer_eval;
#[path = "../transforms/defer-in-loop/mod.rs"]
pub mod defer_in_loop;
#[path = "../transforms/defer-recover/mod.rs"]
pub mod defer_recover;
#[path = "../transforms/exit-after-defer/mod.rs"]
pub mod exit_after_defer;
#[path = "../transforms/loop-var-capture/mod.rs"]
pub mod loop_var_capture;
#[path = "../transforms/lost-cancel/mod.rs"]
pub mod lost_cancel;
#[path = "../transforms/missing-close/mod.rs"]
pub mod missing_close;
#[path = "../transforms/ticker-stop/mod.rs"]
pub mod ticker_stop;
#[path = "../transforms/tx-rollback/mod.rs"]
pub mod tx_rollback;
#[path = "../transforms/waitgroup-done/mod.rs"]
pub mod waitgroup_done;

/// Everything the engine needs to know about a rule.
pub struct Rule {
    /// The rule id: folder name, `--select` value, snapshot folder.
    pub id: &'static str,
    /// One line for `--list-rules`.
    pub summary: &'static str,
    /// The rule's README: What it does / Why is this bad? / Example / Fix safety.
    pub docs: &'static str,
    /// The tree-sitter query that finds candidates. Each pattern's root node is captured as
    /// `@anchor`, and its kind is where the query runs: on the innermost node of such a kind
    /// around each keyword occurrence, not over the whole tree (see [`query::compile`]).
    pub query_source: &'static str,
    /// A file is parsed for this rule only when one of these words occurs in its bytes.
    pub keywords: &'static [&'static str],
    /// Words the file must also contain one of (none: no further condition): a rule about a
    /// `defer` whose keyword is the call it defers (`recover`, `os.Create`) or the exit after it
    /// (`os.Exit`) needs the word `defer` too, so files without one are not parsed for it.
    pub requires: &'static [&'static str],
    /// How much a finding matters, for formats that rank findings (Code Quality).
    pub severity: Severity,
    /// Whether the rule can report anything in a file (its text) of a module with this `go`
    /// version (`None`: no go.mod); when not, the file is not even parsed for it.
    pub applies_to: fn(Option<GoVersion>, &str) -> bool,
    /// A finer test than the keywords, on the file's tokens and blocks without parsing (see
    /// [`crate::analysis::blocks`]), and when it must, on what the package's other files say
    /// (read as text, see [`PackageContext::others_may_give`]): `false` only when the rule
    /// surely finds nothing in the file, which is then not parsed for it. `None`: the keywords
    /// decide.
    pub may_match: Option<fn(&Lexed, &PackageContext) -> bool>,
    /// The reason codes this rule's held-back fixes can carry (listed by `--explain`).
    pub reasons: &'static [ReasonCode],
    /// Turns the query's matches into findings. Pure: no I/O.
    pub check: for<'a> fn(&RuleContext<'a>, &[QueryMatch<'a>]) -> Vec<Finding>,
    /// The compiled query, filled on first use (`OnceLock::new()` in a definition).
    pub compiled: OnceLock<CompiledQuery>,
}

impl Rule {
    /// The rule's compiled query. Queries are part of this binary and a unit test compiles every
    /// one of them, so failing here is a build bug, not something user input can cause.
    pub fn query(&self) -> &CompiledQuery {
        self.compiled.get_or_init(|| {
            query::compile(self.id, self.query_source, self.keywords)
                .unwrap_or_else(|err| panic!("{err}"))
        })
    }
}

/// How much a rule's findings matter: `Major` for code that leaks, panics or computes the wrong
/// value at run time, `Minor` for code that misleads (a measurement taken at the wrong time, a
/// report-only observation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Minor,
    Major,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
        }
    }
}

/// Where a rule's documentation is published: its README in the repository (for
/// `unused-ignore`, which is not a rule, the README's section on suppressions).
pub fn docs_url(id: &str) -> String {
    let repository = env!("CARGO_PKG_REPOSITORY");
    match find(id) {
        Some(rule) => format!("{repository}/blob/main/transforms/{}/README.md", rule.id),
        None => format!("{repository}#suppressing-findings"),
    }
}

/// The severity of a finding of `id` (`unused-ignore`, not a rule, is minor).
pub fn severity(id: &str) -> Severity {
    find(id).map_or(Severity::Minor, |rule| rule.severity)
}

/// What a rule's `check` gets besides its matches.
pub struct RuleContext<'a> {
    pub file: GoFile<'a>,
    /// The `go` version of the file's module (or `--go-version`); `None` without a go.mod.
    pub module_go_version: Option<GoVersion>,
    /// The shared facts about this file and its package, computed on demand.
    pub analysis: &'a FileAnalysis<'a>,
    /// The file's tokens, when a rule's lexical test (`may_match`) read them reliably for this
    /// very text: a rule may repeat its test per match, before the type questions. `None` with
    /// the lexical tests off, so that what they skip can be compared.
    pub lexed: Option<&'a Lexed<'a>>,
}

/// For rules that apply whatever the Go version.
pub fn any_go_version(_: Option<GoVersion>, _: &str) -> bool {
    true
}

/// All rules, in registration order.
pub static RULES: &[&Rule] = &[
    &defer_in_loop::RULE,
    &loop_var_capture::RULE,
    &tx_rollback::RULE,
    &defer_before_check::RULE,
    &lost_cancel::RULE,
    &defer_eval::RULE,
    &defer_recover::RULE,
    &exit_after_defer::RULE,
    &missing_close::RULE,
    &close_error::RULE,
    &ticker_stop::RULE,
    &waitgroup_done::RULE,
];

pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| rule.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_query_compiles_against_the_grammar() {
        for rule in RULES {
            let compiled = query::compile(rule.id, rule.query_source, rule.keywords)
                .unwrap_or_else(|err| panic!("{err}"));
            assert!(
                compiled.query.pattern_count() > 0,
                "rule {} has an empty query",
                rule.id
            );
        }
    }

    #[test]
    fn queries_that_differ_only_in_comments_are_compiled_once() {
        let query = |id: &str| find(id).unwrap().query().query.clone();
        let assignments = query("tx-rollback");
        for id in ["close-error", "lost-cancel", "missing-close", "ticker-stop"] {
            assert!(std::sync::Arc::ptr_eq(&assignments, &query(id)), "{id}");
        }
        assert!(!std::sync::Arc::ptr_eq(
            &assignments,
            &query("defer-in-loop")
        ));
        // The sharing keeps each rule's own anchors and captures.
        assert_eq!(
            find("lost-cancel").unwrap().query().anchors,
            ["short_var_declaration", "assignment_statement"]
        );
    }

    #[test]
    fn anchors_are_the_root_kinds_of_the_patterns() {
        let anchors = |id: &str| find(id).unwrap().query().anchors.clone();
        assert_eq!(
            anchors("loop-var-capture"),
            ["go_statement", "defer_statement", "call_expression"]
        );
        assert_eq!(
            anchors("tx-rollback"),
            ["short_var_declaration", "assignment_statement"]
        );
        assert_eq!(anchors("defer-in-loop"), ["defer_statement"]);
    }
}
