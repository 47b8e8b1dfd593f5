//! defer-in-loop: a `defer` whose nearest enclosing function-or-loop is a `for` statement.
//!
//! Fix: wrap the loop body in an immediately invoked function literal, so the deferred calls run
//! at the end of every iteration. `wrap` builds the rewrite (keeping every jump's meaning);
//! `safety` decides whether the earlier release can change behaviour.

mod safety;
mod wrap;

use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use tree_sitter::Node;

use crate::fix::{Finding, Fix, FixState, ReasonCode};
use crate::syntax::flow::{Exits, runs_at_most_once};
use crate::syntax::{ancestors, is_function};
use crate::transforms::{QueryMatch, Rule, RuleContext};

pub static RULE: Rule = Rule {
    id: "defer-in-loop",
    summary: "defer in a loop runs when the function returns, not at the end of each iteration",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["defer"],
    requires: &[],
    severity: crate::transforms::Severity::Major,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::NotARelease,
        ReasonCode::NotAcquired,
        ReasonCode::Escapes,
        ReasonCode::OuterReceiver,
        ReasonCode::UnknownCallee,
        ReasonCode::HeldOpen,
        ReasonCode::VisibleRelease,
        ReasonCode::Recovers,
        ReasonCode::WritesOuter,
        ReasonCode::GotoOut,
        ReasonCode::ShadowedResultType,
        ReasonCode::BlankResults,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// The innermost `for` statement a defer belongs to, unless a function boundary comes first.
fn enclosing_loop(defer: Node) -> Option<Node> {
    ancestors(defer)
        .take_while(|node| !is_function(*node))
        .find(|node| node.kind() == "for_statement")
}

/// Without parsing: a `defer` inside a `for` loop of its own function.
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    lexed
        .defers()
        .iter()
        .copied()
        .any(|defer| lexed.inside_loop(defer))
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let text = context.file.text;
    let exits = Exits::with_imports(&context.analysis.imports);
    // Group defers by loop, in source order, so each loop's fix is built once.
    let mut loops: Vec<(Node, Vec<Node>)> = Vec::new();
    for found in matches {
        let Some(defer) = found.get("anchor") else {
            continue;
        };
        let Some(for_loop) = enclosing_loop(defer) else {
            continue;
        };
        // Every path after it leaves the loops for good: it is registered once per call.
        if runs_at_most_once(defer, text, &exits) {
            continue;
        }
        match loops
            .iter_mut()
            .find(|(existing, _)| existing.id() == for_loop.id())
        {
            Some((_, defers)) => defers.push(defer),
            None => loops.push((for_loop, vec![defer])),
        }
    }

    let mut findings = Vec::new();
    for (for_loop, defers) in loops {
        let fix: FixState = match wrap::wrap_loop_body(&context.file, for_loop) {
            Ok(edits) => {
                let held_back = defers
                    .iter()
                    .find_map(|defer| safety::classify(context.analysis, for_loop, *defer));
                FixState::offered(
                    Fix::new(
                        "wrap the loop body in a function literal so deferred calls run every iteration",
                        edits,
                    ),
                    held_back,
                )
            }
            Err(reason) => FixState::NoFix(reason),
        };
        for defer in defers {
            let call = defer
                .named_child(0)
                .map(|call| &text[call.byte_range()])
                .unwrap_or("");
            let shown = if call.len() <= 40 && !call.contains('\n') {
                format!("defer {call}")
            } else {
                "defer".into()
            };
            let message = format!(
                "{shown} in a loop runs when the function returns, not at the end of each iteration"
            );
            findings.push(Finding {
                rule: RULE.id,
                span: defer.byte_range(),
                message,
                fix: fix.clone(),
            });
        }
    }
    findings
}
