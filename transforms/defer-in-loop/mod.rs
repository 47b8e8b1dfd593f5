//! defer-in-loop: a `defer` whose nearest enclosing function-or-loop is a `for` statement.
//!
//! Fix: wrap the loop body in an immediately invoked function literal, so the deferred calls run
//! at the end of every iteration. `wrap` builds the rewrite (keeping every jump's meaning);
//! `safety` decides whether the earlier release can change behaviour.

mod safety;
mod wrap;

use tree_sitter::Node;

use crate::fix::{Applicability, Finding, Fix};
use crate::syntax::{ancestors, is_function};
use crate::transforms::{QueryMatch, Rule, RuleContext};

pub static RULE: Rule = Rule {
    id: "defer-in-loop",
    summary: "defer in a loop runs when the function returns, not at the end of each iteration",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["defer"],
    anchors: &["defer_statement"],
    applies_to: crate::transforms::any_go_version,
    check,
    compiled: std::sync::OnceLock::new(),
};

/// The innermost `for` statement a defer belongs to, unless a function boundary comes first.
fn enclosing_loop(defer: Node) -> Option<Node> {
    ancestors(defer)
        .take_while(|node| !is_function(*node))
        .find(|node| node.kind() == "for_statement")
}

fn check(context: &RuleContext, matches: &[QueryMatch]) -> Vec<Finding> {
    let text = context.file.text;
    // Group defers by loop, in source order, so each loop's fix is built once.
    let mut loops: Vec<(Node, Vec<Node>)> = Vec::new();
    for found in matches {
        let Some(defer) = found.get("defer") else {
            continue;
        };
        let Some(for_loop) = enclosing_loop(defer) else {
            continue;
        };
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
        let wrapped = wrap::wrap_loop_body(&context.file, for_loop);
        let fix = wrapped.as_ref().ok().map(|edits| {
            let applicability = defers
                .iter()
                .map(|defer| safety::classify(&context.file, for_loop, *defer))
                .min()
                .unwrap_or(Applicability::Unsafe);
            Fix::new(
                "wrap the loop body in a function literal so deferred calls run every iteration",
                edits.clone(),
                applicability,
            )
        });
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
            let mut message = format!(
                "{shown} in a loop runs when the function returns, not at the end of each iteration"
            );
            if let Err(reason) = &wrapped {
                message.push_str(&format!(" (no fix: {reason})"));
            }
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
