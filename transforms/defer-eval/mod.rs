//! defer-eval: `defer F(args)` where an argument measures elapsed time (`time.Since(start)`,
//! `time.Now().Sub(start)`): arguments are evaluated when the defer statement runs, so the
//! measurement is taken at the start, not at the return.
//!
//! Fix: `defer func() { F(args) }()`, so the whole call, arguments included, runs at return.

use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::scope::BindingKind;
use crate::fix::{Edit, Finding, Fix, FixState, Reason, ReasonCode};
use crate::syntax::indent::{indentation_at, line_number, raw_string_ranges, reindent_with_edits};
use crate::syntax::names::{contains, is_package_call};
use crate::syntax::statements::clear_of_trailing_comments;
use crate::syntax::{ancestors, descendants, is_function, selector_call};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "defer-eval",
    summary: "a deferred call's argument measures time when the defer runs, not at return",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["Since", "Sub"],
    requires: &["defer"],
    severity: crate::transforms::Severity::Minor,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::ChangesBeforeReturn,
        ReasonCode::ImpureCall,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Identifiers that are never variables.
const PREDECLARED: &[&str] = &["nil", "true", "false", "iota", "_"];

/// Without parsing: a `defer` statement with `Since` or `Sub` in it, outside its function
/// literals.
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    // The check reads the deferred call's arguments only, not the bodies of function literals
    // (`defer func() { log(time.Since(t)) }()` measures at return, as it should).
    lexed.defers().iter().copied().any(|defer| {
        let function = lexed.function_of(defer);
        lexed.statement(defer).any(|index| {
            (lexed.is(index, "Since") || lexed.is(index, "Sub"))
                && lexed.function_of(index) == function
        })
    })
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    let Some(time) = analysis.imports.name_of("time") else {
        return Vec::new();
    };
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|defer| finding(analysis, time, defer))
        .collect()
}

fn finding<'a>(analysis: &FileAnalysis<'a>, time: &str, defer: Node<'a>) -> Option<Finding> {
    let text = analysis.text();
    let call = defer.named_child(0)?;
    let arguments = call.child_by_field_name("arguments")?;
    let measurement = descendants(arguments, is_function)
        .into_iter()
        .find(|node| is_measurement(*node, time, text))?;
    let message = format!(
        "{} is evaluated when the defer statement runs, not when {} runs at return: it measures (almost) nothing",
        shown(&text[measurement.byte_range()]),
        shown(&text[call.child_by_field_name("function")?.byte_range()]),
    );
    let fix = match wrapped(text, defer, call) {
        Some(edit) => FixState::offered(
            Fix::new(
                "wrap the deferred call in a function literal so its arguments are evaluated at return",
                vec![edit],
            ),
            evaluated_later_may_differ(analysis, time, defer, call),
        ),
        None => FixState::NoFix(Reason::new(
            ReasonCode::Layout,
            "a line of the defer, or next to it, carries a trailing comment gofmt aligns",
        )),
    };
    Some(Finding {
        rule: RULE.id,
        span: measurement.byte_range(),
        message,
        fix,
    })
}

/// `time.Since(x)` or `time.Now().Sub(x)`.
fn is_measurement(node: Node, time: &str, text: &str) -> bool {
    if is_package_call(node, text, Some(time), &["Since"]) {
        return true;
    }
    selector_call(node).is_some_and(|(operand, field)| {
        &text[field.byte_range()] == "Sub" && is_package_call(operand, text, Some(time), &["Now"])
    })
}

/// The edit replacing the deferred call with `func() { call }()`; multi-line calls get the
/// literal's body on lines of their own, one tab deeper (raw strings untouched).
fn wrapped(text: &str, defer: Node, call: Node) -> Option<Edit> {
    let call_text = &text[call.byte_range()];
    // Every line of the defer changes width or indentation: none of them, nor their neighbours,
    // may carry a trailing comment gofmt aligns.
    let line_offsets: Vec<usize> = std::iter::once(defer.start_byte())
        .chain(
            call_text
                .match_indices('\n')
                .map(|(at, _)| call.start_byte() + at + 1),
        )
        .collect();
    if !clear_of_trailing_comments(text, &line_offsets) {
        return None;
    }
    if !call_text.contains('\n') {
        return Some(Edit::replace(
            call.byte_range(),
            format!("func() {{ {call_text} }}()"),
        ));
    }
    let indentation = indentation_at(text, defer.start_byte());
    let body = reindent_with_edits(text, call.byte_range(), &[], &raw_string_ranges(call, text));
    Some(Edit::replace(
        call.byte_range(),
        format!("func() {{\n{indentation}\t{body}\n{indentation}}}()"),
    ))
}

/// Whether moving the evaluation of the callee and arguments from the defer statement to the
/// return could change more than the measurement: a variable they read is written after the
/// defer (or is a named result, which `return x` writes, or a package variable, which anything
/// may write), a value whose fields they read is used by a method call or passed on after the
/// defer, or they call something other than `time` functions and pure builtins.
fn evaluated_later_may_differ<'a>(
    analysis: &FileAnalysis<'a>,
    time: &str,
    defer: Node<'a>,
    call: Node<'a>,
) -> Option<Reason> {
    let text = analysis.text();
    let function = analysis.enclosing_function(defer)?;
    let evaluated = descendants(call, is_function);
    // Calls other than the measurement's own (`time.Now`, `.Sub`, `.Seconds()` on a duration).
    let impure_call = evaluated.iter().copied().find(|node| {
        if node.kind() != "call_expression" {
            return false;
        }
        if node.id() == call.id() {
            return false;
        }
        let Some(callee) = node.child_by_field_name("function") else {
            return true;
        };
        let on_time = callee
            .child_by_field_name("operand")
            .is_some_and(|operand| {
                &text[operand.byte_range()] == time
                    || is_measurement(operand, time, text)
                    || is_package_call(operand, text, Some(time), &["Now"])
            });
        // Pure builtins and conversions, modelled pure functions, and this package's functions
        // whose bodies only compute from their arguments.
        let pure = analysis.call(*node).is_pure(analysis);
        !(on_time || pure || is_measurement(*node, time, text))
    });
    // `<-ch` in an argument would wait at return instead of at the defer.
    let receive = evaluated.iter().copied().find(|node| {
        node.kind() == "unary_expression"
            && node
                .child_by_field_name("operator")
                .is_some_and(|op| &text[op.byte_range()] == "<-")
    });
    if let Some(node) = impure_call.or(receive) {
        let what = if node.kind() == "unary_expression" {
            "receives from a channel"
        } else {
            "calls"
        };
        return Some(Reason::new(
            ReasonCode::ImpureCall,
            format!(
                "the deferred call {what} `{}` (line {}), which would run at return instead of at the defer",
                shown(&text[node.byte_range()]),
                line_number(text, node.start_byte())
            ),
        ));
    }
    // In a loop, what comes before the defer in the text also runs after it; with a `goto`,
    // anything may.
    let loop_start = ancestors(defer)
        .take_while(|node| node.id() != function.id())
        .filter(|node| node.kind() == "for_statement")
        .last()
        .map_or(defer.end_byte(), |outer| outer.start_byte());
    let jumps_back = descendants(function, |_| false)
        .into_iter()
        .any(|node| node.kind() == "goto_statement");
    let runs_later =
        |node: Node| (jumps_back || node.start_byte() >= loop_start) && !contains(defer, node);
    evaluated
        .iter()
        .copied()
        .filter(|node| node.kind() == "identifier")
        .find(|ident| may_change(analysis, *ident, time, &runs_later))
        .map(|ident| {
            Reason::new(
                ReasonCode::ChangesBeforeReturn,
                format!(
                    "`{}` (line {}) may change between the defer and the return",
                    &text[ident.byte_range()],
                    line_number(text, ident.start_byte())
                ),
            )
        })
}

/// Whether the value an identifier of the deferred call reads may differ at return: a named
/// result (`return x` writes it), a package variable (anything may write it), or a variable that
/// is written, handed to a call or a method, or written by a closure after the defer, or whose
/// address is taken. Package functions, constants, builtins and packages do not change.
fn may_change<'a>(
    analysis: &FileAnalysis<'a>,
    ident: Node<'a>,
    time: &str,
    runs_later: &dyn Fn(Node) -> bool,
) -> bool {
    let name = analysis.text_of(ident);
    if PREDECLARED.contains(&name) || name == time || analysis.package_ref(ident).is_some() {
        return false;
    }
    let Some((scopes, id)) = analysis.resolve(ident) else {
        // Package level: a function (`record`, `round`), a builtin or a constant stays as it is.
        return match analysis
            .lookup_decl(name)
            .and_then(|site| analysis.decl_facts(&site))
        {
            Some(facts) => facts.vars.contains_key(name) && !facts.consts.iter().any(|c| c == name),
            None => {
                crate::analysis::types::predeclared(name).is_none()
                    && !crate::analysis::callee::BUILTIN_FUNCTIONS.contains(&name)
            }
        };
    };
    let binding = scopes.binding(id);
    if binding.kind == BindingKind::Result || scopes.address_taken(id) {
        return true;
    }
    let in_literal = |node: Node| {
        ancestors(node)
            .take_while(|ancestor| ancestor.id() != binding.function.id())
            .any(|ancestor| ancestor.kind() == "func_literal")
    };
    let written = scopes
        .writes(id)
        .iter()
        .any(|write| runs_later(write.statement) || in_literal(write.statement));
    // A pointer method or `delete(m, k)` may change what it is handed.
    let handed_on = scopes
        .reads(id)
        .iter()
        .any(|read| runs_later(*read) && is_handed_on(*read));
    written || handed_on
}

/// Whether a read hands the value to code that may change it: as an argument, or as the
/// receiver of a method call.
fn is_handed_on(read: Node) -> bool {
    read.parent().is_some_and(|parent| {
        parent.kind() == "argument_list"
            || (parent.kind() == "selector_expression"
                && parent
                    .parent()
                    .is_some_and(|grand| grand.kind() == "call_expression"))
    })
}
