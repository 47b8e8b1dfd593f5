//! exit-after-defer: `os.Exit` or `log.Fatal*` (also on a `*log.Logger`) after a `defer` of the
//! same function: the program ends without running the deferred calls.
//!
//! Report only: how to restructure (return an exit code to `main`, run the cleanup first) is a
//! decision for the author.

use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::types::Package;
use crate::fix::{Finding, FixState};
use crate::syntax::flow::LOG_FATAL;
use crate::syntax::indent::line_number;
use crate::syntax::names::contains;
use crate::syntax::{descendants, enclosing_function, is_function, selector_call};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "exit-after-defer",
    summary: "os.Exit or log.Fatal after a defer: the deferred calls never run",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["Exit", "Fatal", "Fatalf", "Fatalln"],
    requires: &["defer"],
    severity: crate::transforms::Severity::Minor,
    applies_to: crate::transforms::any_go_version,
    reasons: &[],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// How many skipped defers a message lists before summing up the rest.
const LISTED_DEFERS: usize = 3;

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|call| finding(analysis, call))
        .collect()
}

fn finding<'a>(analysis: &FileAnalysis<'a>, call: Node<'a>) -> Option<Finding> {
    let text = analysis.text();
    let function = enclosing_function(call)?;
    // Only a call after a defer can skip one: a cheap look at the text comes first.
    if !crate::query::contains_word(
        &text.as_bytes()[function.start_byte()..call.start_byte()],
        "defer",
    ) {
        return None;
    }
    if !ends_program(analysis, call) {
        return None;
    }
    // Defers that ran on every path to the call: earlier statements of a block enclosing it.
    let skipped: Vec<Node> = descendants(function, |node| {
        is_function(node) && node.id() != function.id()
    })
    .into_iter()
    .filter(|node| {
        node.kind() == "defer_statement"
            && node.end_byte() <= call.start_byte()
            && node.parent().is_some_and(|block| contains(block, call))
    })
    .collect();
    if skipped.is_empty() {
        return None;
    }
    let mut listed: Vec<String> = skipped
        .iter()
        .take(LISTED_DEFERS)
        .map(|defer| {
            let deferred = defer
                .named_child(0)
                .map_or(String::new(), |call| shown(&text[call.byte_range()]));
            format!(
                "defer {deferred} (line {})",
                line_number(text, defer.start_byte())
            )
        })
        .collect();
    if skipped.len() > LISTED_DEFERS {
        listed.push(format!("{} more", skipped.len() - LISTED_DEFERS));
    }
    let callee = call
        .child_by_field_name("function")
        .map_or("", |callee| &text[callee.byte_range()]);
    Some(Finding {
        rule: RULE.id,
        span: call.byte_range(),
        message: format!(
            "{callee} ends the program without running deferred calls: {} will not run",
            listed.join(", ")
        ),
        fix: FixState::ReportOnly,
    })
}

/// `os.Exit(…)`, `log.Fatal…(…)`, or `logger.Fatal…(…)` on a `*log.Logger` (however the logger
/// was made: `log.New`, `log.Default`, a typed variable, parameter or field): the program ends
/// and no deferred call runs.
fn ends_program<'a>(analysis: &FileAnalysis<'a>, call: Node<'a>) -> bool {
    let Some((operand, field)) = selector_call(call) else {
        return false;
    };
    let method = analysis.text_of(field);
    if let Some(path) = analysis.package_ref(operand) {
        return (path == "os" && method == "Exit")
            || (path == "log" && LOG_FATAL.contains(&method));
    }
    LOG_FATAL.contains(&method)
        && analysis.type_of(operand).as_named().is_some_and(|named| {
            named.name == "Logger" && named.package == Package::Path("log".into())
        })
}
