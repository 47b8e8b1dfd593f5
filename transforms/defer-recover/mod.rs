//! defer-recover: `defer recover()` stops no panic: recover only works when called by the
//! deferred function itself, and here the deferred function *is* recover.
//!
//! Report only; the fix offered is unsafe: `defer func() { recover() }()`, which does stop
//! panics, and swallows them.

use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use tree_sitter::Node;

use crate::fix::{Edit, Finding, Fix, FixState, Reason, ReasonCode};
use crate::syntax::GoFile;
use crate::syntax::names::{is_shadowed, top_level_declaration};
use crate::syntax::statements::clear_of_trailing_comments;
use crate::transforms::{QueryMatch, Rule, RuleContext};

pub static RULE: Rule = Rule {
    id: "defer-recover",
    summary: "defer recover() has no effect: recover must be called by the deferred function",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["recover"],
    requires: &["defer"],
    severity: crate::transforms::Severity::Major,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[ReasonCode::SwallowsPanics, ReasonCode::Layout],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Without parsing: `defer recover(`.
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    lexed
        .defers()
        .iter()
        .any(|&defer| lexed.is(defer + 1, "recover") && lexed.is(defer + 2, "("))
}

fn check(context: &RuleContext, matches: &[QueryMatch]) -> Vec<Finding> {
    matches
        .iter()
        .filter_map(|found| finding(&context.file, found.get("anchor")?, found.get("callee")?))
        .collect()
}

fn finding(file: &GoFile, defer: Node, callee: Node) -> Option<Finding> {
    let text = file.text;
    let call = defer.named_child(0)?;
    // A `recover` declared anywhere in the file (a local, a parameter, a package-level func or
    // var) is not the builtin.
    if is_shadowed("recover", callee, text)
        || top_level_declaration(file.tree.root_node(), "recover", text).is_some()
    {
        return None;
    }
    if call
        .child_by_field_name("arguments")
        .is_some_and(|arguments| arguments.named_child_count() > 0)
    {
        return None;
    }
    let fix = if clear_of_trailing_comments(text, &[defer.start_byte()]) {
        FixState::offered(
            Fix::new(
                "defer a function literal that calls recover (this swallows every panic)",
                vec![Edit::replace(call.byte_range(), "func() { recover() }()")],
            ),
            Some(Reason::new(
                ReasonCode::SwallowsPanics,
                "`defer func() { recover() }()` stops every panic of the function, and the code may rely on panics reaching the caller",
            )),
        )
    } else {
        FixState::NoFix(Reason::new(
            ReasonCode::Layout,
            "a trailing comment next to the defer would need realigning",
        ))
    };
    Some(Finding {
        rule: RULE.id,
        span: defer.byte_range(),
        message: "defer recover() does not stop a panic: recover only has an effect when the deferred function calls it; `defer func() { recover() }()` would, and would swallow every panic".into(),
        fix,
    })
}
