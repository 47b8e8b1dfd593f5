//! ticker-stop: a `time.NewTicker`/`time.NewTimer` whose `Stop` is never called, in a file
//! compiled with a Go version before 1.23 (which keeps unstopped timers alive).
//!
//! Fix: `defer t.Stop()` right after the assignment.

use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::escape::{Policy, Region, RegionKind, trace};
use crate::analysis::scope::{BindingId, BindingKind, Scopes, Source};
use crate::fix::{Finding, Fix, FixState, Reason, ReasonCode};
use crate::goversion::{GoVersion, file_version};
use crate::syntax::checks::single_value;
use crate::syntax::flow::Exits;
use crate::syntax::method_call_named;
use crate::syntax::names::expression_list;
use crate::syntax::statements::{
    clear_of_trailing_comments, insert_line_after, no_defer_after, siblings_between,
};
use crate::transforms::{QueryMatch, Rule, RuleContext};

pub static RULE: Rule = Rule {
    id: "ticker-stop",
    summary: "a time.Ticker or time.Timer is never stopped (before Go 1.23 it is never collected)",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["NewTicker", "NewTimer"],
    requires: &[],
    severity: crate::transforms::Severity::Major,
    applies_to: keeps_unstopped_timers,
    may_match: None,
    reasons: &[
        ReasonCode::InLoop,
        ReasonCode::Reassigned,
        ReasonCode::OuterVariable,
        ReasonCode::NotAStatement,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Before Go 1.23 (or without a go.mod) the runtime keeps a ticker, and a timer until it fires,
/// alive while it is not stopped. The version is decided as loop-var-capture decides it.
fn keeps_unstopped_timers(module: Option<GoVersion>, text: &str) -> bool {
    file_version(module, text).is_none_or(|version| version < GoVersion::COLLECTED_TIMERS)
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    if analysis.imports.name_of("time").is_none() {
        return Vec::new();
    }
    matches
        .iter()
        .filter_map(|found| Some((found.get("anchor")?, found.get("call")?)))
        .filter_map(|(statement, call)| {
            let (operand, constructor) = method_call_named(call, analysis.text(), RULE.keywords)?;
            (operand.kind() == "identifier").then_some((statement, constructor))
        })
        .filter_map(|(statement, constructor)| finding(analysis, statement, constructor))
        .collect()
}

/// The timer a statement creates: its variable, and what the constructor makes.
struct CreatedTimer<'a> {
    statement: Node<'a>,
    variable: Node<'a>,
    kind: &'static str,
}

fn finding<'a>(
    analysis: &FileAnalysis<'a>,
    statement: Node<'a>,
    constructor: Node<'a>,
) -> Option<Finding> {
    let call = single_value(statement)?;
    let operand = call
        .child_by_field_name("function")?
        .child_by_field_name("operand")?;
    if analysis.package_ref(operand) != Some("time") {
        return None;
    }
    let left = expression_list(statement.child_by_field_name("left")?);
    let [variable] = left.as_slice() else {
        return None;
    };
    if variable.kind() != "identifier" || analysis.text_of(*variable) == "_" {
        return None;
    }
    let timer = CreatedTimer {
        statement,
        variable: *variable,
        kind: if analysis.text_of(constructor) == "NewTicker" {
            "ticker"
        } else {
            "timer"
        },
    };
    let (scopes, id) = analysis.resolve(timer.variable)?;
    if scopes.binding(id).kind != BindingKind::Local
        || is_stopped(analysis, &scopes, id)
        || (timer.kind == "timer" && has_fired(analysis, &scopes, id, statement))
        || escapes(analysis, &scopes, id)
    {
        return None;
    }
    let name = analysis.text_of(timer.variable);
    let kind = timer.kind;
    let message = if kind == "ticker" {
        format!(
            "ticker {name} is never stopped: before Go 1.23 it keeps firing and is never garbage collected; stop it with defer"
        )
    } else {
        format!(
            "timer {name} is never stopped: before Go 1.23 it is not garbage collected until it fires; stop it with defer"
        )
    };
    Some(Finding {
        rule: RULE.id,
        span: statement.byte_range(),
        message,
        fix: fix(analysis, &scopes, id, &timer).into(),
    })
}

/// Whether `Stop` may be called: `t.Stop` anywhere the variable is visible (called, deferred, in a
/// nested function literal, or taken as a method value), or the variable itself (not just its
/// channel or a method call) is used some other way (`&t` or `t` passed to a helper, copied,
/// compared), which may stop it where deferfix does not look.
fn is_stopped(analysis: &FileAnalysis, scopes: &Scopes, id: BindingId) -> bool {
    scopes.reads(id).iter().any(|read| {
        let selected = read
            .parent()
            .filter(|parent| parent.kind() == "selector_expression")
            .and_then(|parent| parent.child_by_field_name("field"));
        selected.is_none_or(|field| analysis.text_of(field) == "Stop")
    })
}

/// Whether a timer has certainly fired before its function returns: its channel is received from
/// by a statement of the same block that every path from the assignment reaches (`<-t.C`,
/// `now := <-t.C`). A fired timer is released by the runtime, stopped or not.
fn has_fired<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Scopes<'a>,
    id: BindingId,
    statement: Node<'a>,
) -> bool {
    let exits = Exits::with_imports(&analysis.imports);
    let text = analysis.text();
    let Some(receive) = scopes.reads(id).iter().find_map(|read| {
        let channel = read.parent().filter(|parent| {
            parent.kind() == "selector_expression"
                && parent
                    .child_by_field_name("field")
                    .is_some_and(|field| analysis.text_of(field) == "C")
        })?;
        let receive = channel
            .parent()
            .filter(|parent| parent.kind() == "unary_expression")?;
        let at_top = receive.parent()?;
        let receiving = match at_top.kind() {
            "expression_statement" => at_top,
            "expression_list" => at_top.parent()?,
            _ => return None,
        };
        let same_block = receiving.parent().map(|parent| parent.id())
            == statement.parent().map(|parent| parent.id());
        (same_block
            && receiving.start_byte() > statement.end_byte()
            && matches!(
                receiving.kind(),
                "expression_statement" | "short_var_declaration" | "assignment_statement"
            ))
        .then_some(receiving)
    }) else {
        return false;
    };
    !siblings_between(statement, receive)
        .iter()
        .any(|between| exits.may_leave(*between, text) || between.kind() == "labeled_statement")
}

/// Whether the timer, or its channel, may be used after the function that declares it returns.
fn escapes<'a>(analysis: &FileAnalysis<'a>, scopes: &Scopes<'a>, id: BindingId) -> bool {
    let region = Region {
        node: scopes.binding(id).function,
        kind: RegionKind::Function,
    };
    trace(analysis, scopes, region, &[id], &Policy::RESOURCE, None)
        .escape
        .is_some()
}

/// Another statement that gives the variable a value: a later write, or the declaration when this
/// statement is an `=` after `t := …`.
fn other_assignment<'a>(
    scopes: &Scopes<'a>,
    id: BindingId,
    statement: Node<'a>,
) -> Option<Node<'a>> {
    let binding = scopes.binding(id);
    let declared_with_value = !matches!(binding.source, Source::Declared);
    if declared_with_value && binding.declaration.id() != statement.id() {
        return Some(binding.declaration);
    }
    scopes
        .writes(id)
        .iter()
        .map(|write| write.statement)
        .find(|write| write.id() != statement.id())
}

fn fix<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Scopes<'a>,
    id: BindingId,
    timer: &CreatedTimer<'a>,
) -> Result<FixState, Reason> {
    let text = analysis.text();
    let statement = timer.statement;
    let name = analysis.text_of(timer.variable);
    let kind = timer.kind;
    let function = scopes.binding(id).function;
    if analysis
        .enclosing_function(statement)
        .is_none_or(|inner| inner.id() != function.id())
    {
        return Err(Reason::new(
            ReasonCode::OuterVariable,
            format!(
                "the {kind} is created in a function literal but `{name}` belongs to the enclosing function, which may use it after the literal returns"
            ),
        ));
    }
    if let Some(reason) = no_defer_after(statement, function, text, kind) {
        return Err(reason);
    }
    if let Some(other) = other_assignment(scopes, id, statement) {
        return Err(Reason::new(
            ReasonCode::Reassigned,
            format!(
                "`{name}` is assigned again ({}): a defer after the first assignment would stop only the first {kind}",
                analysis.location(other)
            ),
        ));
    }
    if !clear_of_trailing_comments(text, &[statement.start_byte(), statement.end_byte()]) {
        return Err(Reason::new(
            ReasonCode::Layout,
            "a trailing comment next to the assignment would need realigning",
        ));
    }
    let defer =
        insert_line_after(text, statement, &format!("defer {name}.Stop()")).ok_or_else(|| {
            Reason::new(
                ReasonCode::Layout,
                "something follows the assignment on its line",
            )
        })?;
    Ok(FixState::offered(
        Fix::new(
            format!("defer {name}.Stop() right after the {kind} is created"),
            vec![defer],
        ),
        None,
    ))
}
