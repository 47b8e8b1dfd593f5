//! lost-cancel: the cancel function of `context.WithCancel`/`WithTimeout`/`WithDeadline` (and
//! their `…Cause` forms) is discarded with `_` or never used after the assignment.
//!
//! Fix: name it (`cancel`, or `cancelN` when taken) and `defer cancel()` right after.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::blocks::Lexed;
use crate::analysis::escape::{Policy, Region, RegionKind, trace};
use crate::analysis::package::PackageContext;
use crate::analysis::scope::BindingKind;
use crate::analysis::types::{Package, results_of};
use crate::fix::{Edit, Finding, Fix, FixState, Reason, ReasonCode};
use crate::syntax::checks::single_value;
use crate::syntax::known::CONTEXT_CONSTRUCTORS;
use crate::syntax::names::{expression_list, fresh_name, used_names};
use crate::syntax::statements::{clear_of_trailing_comments, insert_line_after, no_defer_after};
use crate::syntax::{GoFile, ancestors, method_call_named};
use crate::transforms::{QueryMatch, Rule, RuleContext};

pub static RULE: Rule = Rule {
    id: "lost-cancel",
    summary: "the cancel function of a context is discarded or never called",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: CONTEXT_CONSTRUCTORS,
    requires: &[],
    severity: crate::transforms::Severity::Major,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::Escapes,
        ReasonCode::InMain,
        ReasonCode::EarlierClosure,
        ReasonCode::InLoop,
        ReasonCode::NotAStatement,
        ReasonCode::NeedsDeclaration,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Without parsing: `ctx, cancel := pkg.WithCancel(…)` (any constructor, two plain names on the
/// left) whose `cancel` is `_`,
/// or has no read after the statement that surely reads this variable: inside the statement's
/// block, with no declaration of the name between them.
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    lexed
        .all_among(CONTEXT_CONSTRUCTORS)
        .filter(|&call| call >= 4 && lexed.is(call - 1, ".") && lexed.is(call + 1, "("))
        // The call is the whole right side: `cancel :=`/`=` comes just before `pkg.`.
        .filter(|&call| matches!(lexed.text_of(call - 3), ":=" | "="))
        // Two plain names on the left (the check takes no field, `t.cancel`, nor a third name).
        .filter(|&call| {
            call >= 6
                && lexed.is(call - 5, ",")
                && !(call >= 7 && matches!(lexed.text_of(call - 7), "." | ","))
        })
        .any(|call| {
            let cancel = lexed.text_of(call - 4);
            let start = lexed.statement_start(call);
            let block = lexed.tokens[call].block;
            // Where the braces are not the variable's scope, assume the worst.
            if cancel == "_" || !lexed.block_is_scope_of(start) {
                return true;
            }
            let end = lexed.statement_end(call);
            let body_end = lexed.body(lexed.function_of(call)).end;
            let read = (end..body_end).find(|&index| {
                lexed.text_of(index) == cancel
                    && lexed.is_read(index)
                    && lexed.encloses(block, lexed.tokens[index].block)
            });
            read.is_none_or(|read| lexed.may_redeclare_in(cancel, end..read))
        })
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    let Some(package) = analysis.imports.name_of("context") else {
        return Vec::new();
    };
    matches
        .iter()
        .filter_map(|found| Some((found.get("anchor")?, found.get("call")?)))
        .filter_map(|(statement, call)| {
            let (operand, constructor) =
                method_call_named(call, analysis.text(), CONTEXT_CONSTRUCTORS)?;
            (operand.kind() == "identifier").then_some((statement, constructor))
        })
        .filter_map(|(statement, constructor)| finding(analysis, package, statement, constructor))
        .collect()
}

fn finding<'a>(
    analysis: &FileAnalysis<'a>,
    package: &str,
    statement: Node<'a>,
    constructor: Node<'a>,
) -> Option<Finding> {
    let text = analysis.text();
    let call = single_value(statement)?;
    let operand = call
        .child_by_field_name("function")?
        .child_by_field_name("operand")?;
    let function = analysis.enclosing_function(statement)?;
    // `context` must be the package, not a variable or parameter of that name.
    if analysis.package_ref(operand) != Some("context") {
        return None;
    }
    let left = expression_list(statement.child_by_field_name("left")?);
    let [ctx_node, cancel_node] = left.as_slice() else {
        return None;
    };
    if ctx_node.kind() != "identifier" || cancel_node.kind() != "identifier" {
        return None;
    }
    let cancel = &text[cancel_node.byte_range()];
    let constructor = &text[constructor.byte_range()];
    let declares = statement.kind() == "short_var_declaration";
    let discarded = cancel == "_";
    if !discarded && !lost_after(analysis, statement, *cancel_node) {
        return None;
    }
    let message = if discarded {
        format!(
            "the cancel function returned by {package}.{constructor} is discarded: the context and its timer are not released until the parent context ends; call it with defer"
        )
    } else {
        format!(
            "{cancel} from {package}.{constructor} is never called: the context and its timer are not released until the parent context ends; call it with defer"
        )
    };
    let fix = fix(
        analysis,
        statement,
        function,
        *ctx_node,
        cancel_node,
        constructor,
        discarded && declares,
    );
    Some(Finding {
        rule: RULE.id,
        span: statement.byte_range(),
        message,
        fix: fix.into(),
    })
}

/// Whether the cancel function is a local variable of the function that nothing reads after
/// the assignment (a result, a parameter or a package variable hands it on).
fn lost_after<'a>(analysis: &FileAnalysis<'a>, statement: Node<'a>, cancel: Node<'a>) -> bool {
    let Some((scopes, id)) = analysis.resolve(cancel) else {
        return false;
    };
    scopes.binding(id).kind == BindingKind::Local
        && !scopes
            .reads(id)
            .iter()
            .any(|read| read.start_byte() >= statement.end_byte())
}

fn fix<'a>(
    analysis: &FileAnalysis<'a>,
    statement: Node<'a>,
    function: Node<'a>,
    ctx: Node<'a>,
    cancel_node: &Node<'a>,
    constructor: &str,
    rename_blank: bool,
) -> Result<FixState, Reason> {
    let text = analysis.text();
    if let Some(reason) = no_defer_after(statement, function, text, "context") {
        return Err(reason);
    }
    let cancel_text = &text[cancel_node.byte_range()];
    if cancel_text == "_" && !rename_blank {
        return Err(Reason::new(
            ReasonCode::NeedsDeclaration,
            "the cancel function would need a new variable in an `=` assignment",
        ));
    }
    if !clear_of_trailing_comments(text, &[statement.start_byte(), statement.end_byte()]) {
        return Err(Reason::new(
            ReasonCode::Layout,
            "a trailing comment next to the assignment would need realigning",
        ));
    }
    let mut edits = Vec::new();
    let name = if rename_blank {
        let mut taken: HashSet<String> = used_names(function, text);
        let name = fresh_name("cancel", &mut taken);
        edits.push(Edit::replace(cancel_node.byte_range(), name.clone()));
        name
    } else {
        cancel_text.to_owned()
    };
    // A CancelCauseFunc takes the cause; nil means "canceled" as plain cancel does.
    let argument = if constructor == "WithCancelCause" {
        "nil"
    } else {
        ""
    };
    let defer = insert_line_after(text, statement, &format!("defer {name}({argument})"))
        .ok_or_else(|| {
            Reason::new(
                ReasonCode::Layout,
                "something follows the assignment on its line",
            )
        })?;
    edits.push(defer);
    let in_main = function.kind() == "function_declaration"
        && function
            .child_by_field_name("name")
            .is_some_and(|name| &text[name.byte_range()] == "main")
        && is_package_main(&analysis.file);
    let held_back = if in_main {
        Some(Reason::new(
            ReasonCode::InMain,
            "the context is created in main.main, whose deferred calls do not run when the program exits with os.Exit",
        ))
    } else {
        context_escapes(analysis, function, statement, ctx)
    };
    Ok(FixState::offered(
        Fix::new(
            format!("defer {name}() right after the context is created"),
            edits,
        ),
        held_back,
    ))
}

fn is_package_main(file: &GoFile) -> bool {
    let root = file.tree.root_node();
    let mut cursor = root.walk();
    let clause = root
        .named_children(&mut cursor)
        .find(|node| node.kind() == "package_clause");
    clause.is_some_and(|clause| {
        clause
            .named_child(0)
            .is_some_and(|name| &file.text[name.byte_range()] == "main")
    })
}

/// Whether the context, or anything derived from it (a child context, `exec.CommandContext(ctx,
/// …)`, rows from `QueryContext`), may be used after the function returns: returned (unless the
/// function returns only values that cannot hold it), sent, stored outside a local variable,
/// captured by a goroutine or a function literal that is not called on the spot, handed to
/// something that starts background work (`cmd.Start()`, `group.Go(…)`) or to a function of
/// this package that keeps it. Other functions that take a context are taken to be done with it
/// when they return, as the context package's conventions ask.
fn context_escapes<'a>(
    analysis: &FileAnalysis<'a>,
    function: Node<'a>,
    statement: Node<'a>,
    ctx: Node<'a>,
) -> Option<Reason> {
    let (scopes, id) = analysis.resolve(ctx)?;
    let region = Region {
        node: function,
        kind: RegionKind::Function,
    };
    let policy = Policy {
        return_escapes: !returns_only_plain_values(analysis, function),
        ..Policy::HANDED_TO_HELPERS
    };
    let traced = trace(analysis, &scopes, region, &[id], &policy, None);
    if let Some(escape) = traced.escape {
        return Some(Reason::new(escape.code(), escape.describe()));
    }
    // A defer or closure made before the assignment that reads the context (or a variable only
    // given it afterwards, `cur = ctx`) may run after the new deferred cancel.
    let earlier = traced.tracked.iter().find_map(|tracked| {
        scopes.reads(*tracked).iter().copied().find(|read| {
            read.start_byte() < statement.start_byte()
                && ancestors(*read)
                    .take_while(|node| node.id() != function.id())
                    .any(|node| matches!(node.kind(), "func_literal" | "defer_statement"))
        })
    });
    earlier.map(|read| {
        Reason::new(
            ReasonCode::EarlierClosure,
            format!(
                "a defer or closure made before the assignment reads `{}` ({}) and may run after the new deferred cancel",
                analysis.text_of(read),
                analysis.location(read)
            ),
        )
    })
}

/// Whether every result of the function is of a type that cannot hold a context (or there are
/// none), so whatever it returns cannot reference it.
fn returns_only_plain_values(analysis: &FileAnalysis, function: Node) -> bool {
    let results = results_of(
        function,
        analysis.text(),
        &analysis.imports,
        &Package::Local,
    );
    results.iter().all(|ty| analysis.holds_no_reference(ty))
}
