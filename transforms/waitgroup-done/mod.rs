//! waitgroup-done: in a `go func() { … }()` literal, (a) `defer wg.Done()` comes after code that
//! can leave the goroutine, or (b) `wg.Add(n)` runs inside the goroutine instead of before it.
//!
//! Fix: (a) move the defer to the top of the literal; (b) move the Add before the `go` statement.

use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::types::{Package, Type};
use crate::fix::{Finding, Fix, FixState, Reason, ReasonCode};
use crate::syntax::flow::{Exits, LOG_FATAL, TEST_STOPS, repeats_within};
use crate::syntax::names::{assignment_targets, contains, root_identifier};
use crate::syntax::statements::move_before;
use crate::syntax::{block_statements, descendants, is_function, selector_call};
use crate::transforms::{QueryMatch, Rule, RuleContext};

pub static RULE: Rule = Rule {
    id: "waitgroup-done",
    summary: "a goroutine defers wg.Done() after code that can leave it, or calls wg.Add itself",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["Done"],
    requires: &[],
    severity: crate::transforms::Severity::Major,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::UnknownType,
        ReasonCode::PassesDefer,
        ReasonCode::InLoop,
        ReasonCode::DeclaredBetween,
        ReasonCode::WritesBetween,
        ReasonCode::LeavesBetween,
        ReasonCode::EvaluatedEarlier,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// What the declarations say the receiver of `Done`/`Add` is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    /// `sync.WaitGroup` or a pointer to one.
    Sync,
    /// Nothing shows its type: a finding, but no fix.
    Unknown,
    /// Some other type (an atomic counter, a custom group): not this rule's business.
    Other,
}

/// One goroutine literal, with what the checks need about it.
struct Goroutine<'a> {
    statement: Node<'a>,
    literal: Node<'a>,
    body: Vec<Node<'a>>,
}

impl<'a> Goroutine<'a> {
    /// The first statement of the literal's body that is `RECEIVER.method(…)` (deferred when
    /// `deferred`): its index, the statement, the receiver and the call.
    fn find(
        &self,
        analysis: &FileAnalysis<'a>,
        method: &str,
        deferred: bool,
    ) -> Option<(usize, Node<'a>, Node<'a>, Node<'a>)> {
        self.body.iter().enumerate().find_map(|(index, statement)| {
            let (receiver, call) = method_statement(analysis, *statement, method, deferred)?;
            Some((index, *statement, receiver, call))
        })
    }
}

/// Without parsing: `go func` whose statement has the word `Done` (comments included, as the
/// query reads it) and either may call `Add` itself (see [`may_add_inside`]) or has a `defer`
/// naming `Done` that is not its first statement, after code that may leave the goroutine.
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    lexed
        .all("go")
        .filter(|&go| lexed.is(go + 1, "func"))
        .any(|go| {
            let Some(body) = lexed.body_of(go + 1) else {
                // The body was not found: the file may still hold one.
                return true;
            };
            let tokens = lexed.body(body);
            let first_statement = tokens.start + 1;
            let late_done = tokens.clone().any(|index| {
                lexed.is(index, "defer")
                    && lexed.tokens[index].block == body
                    && index != first_statement
                    && lexed.contains(lexed.statement(index), "Done")
                    && may_leave_before(lexed, body, index)
            });
            // The check's query takes the goroutine only when its text (comments and strings
            // included) has the word.
            let statement = lexed.statement(go);
            let text = &lexed.text()
                [lexed.tokens[go].start..lexed.tokens[statement.end.max(go + 1) - 1].end];
            crate::text::contains_word(text.as_bytes(), "Done")
                && (late_done || may_add_inside(lexed, body))
        })
}

/// Whether the goroutine body `body` may hold what [`add_inside`] reports: a statement of its
/// own that calls `.Add(…)`, on a receiver it has not called `Done` on before (`wg.Done(`: then
/// it was counted before it started). A receiver other than one name (`s.wg`, `wgs[i]`,
/// `(wg)`, `group()`) is let through.
fn may_add_inside(lexed: &Lexed, body: usize) -> bool {
    let tokens = lexed.body(body);
    let open = tokens.start;
    lexed.all_in("Add", tokens.clone()).any(|add| {
        if lexed.tokens[add].block != body
            || lexed.tokens[add].depth != 0
            || add < open + 3
            || !lexed.is(add - 1, ".")
            || !lexed.is(add + 1, "(")
        {
            return false;
        }
        let receiver = add - 2;
        let before = receiver - 1;
        let starts_statement =
            before == open || lexed.is(before, ";") || lexed.tokens[before].ends_statement;
        if lexed.tokens[receiver].kind != crate::analysis::blocks::Kind::Ident
            || lexed.is(before, ".")
        {
            // `s.wg.Add`, `wgs[i].Add`, `(wg).Add`, `group().Add`: let through.
            return true;
        }
        if !starts_statement {
            // `n := c.Add(1)`: a value, not a statement of its own.
            return false;
        }
        let name = lexed.text_of(receiver);
        !lexed.all_in(name, open..receiver).any(|done| {
            lexed.is(done + 1, ".") && lexed.is(done + 2, "Done") && lexed.is(done + 3, "(")
        })
    })
}

/// Whether a token of goroutine body `body` before token `defer` (not one of a function literal
/// inside) may leave the goroutine: a `return`, or a word of a call that never returns (see
/// [`Exits::may_leave`]).
fn may_leave_before(lexed: &Lexed, body: usize, defer: usize) -> bool {
    (lexed.body(body).start..defer).any(|index| {
        let word = lexed.text_of(index);
        lexed.function_of(index) == body
            && (matches!(word, "return" | "panic" | "Exit" | "Goexit")
                || LOG_FATAL.contains(&word)
                || TEST_STOPS.contains(&word))
    })
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    let exits = Exits::with_imports(&analysis.imports);
    let mut findings = Vec::new();
    for found in matches {
        let (Some(statement), Some(body)) = (found.get("anchor"), found.get("body")) else {
            continue;
        };
        let Some(literal) = body.parent() else {
            continue;
        };
        let goroutine = Goroutine {
            statement,
            literal,
            body: block_statements(body),
        };
        findings.extend(late_done(analysis, &exits, &goroutine));
        findings.extend(add_inside(analysis, &exits, &goroutine));
    }
    findings
}

fn group_of<'a>(analysis: &FileAnalysis<'a>, receiver: Node<'a>) -> Group {
    match analysis.type_of(receiver).dereferenced() {
        Type::Named(named)
            if named.package == Package::Path("sync".to_owned()) && named.name == "WaitGroup" =>
        {
            Group::Sync
        }
        // An interface may hold a *sync.WaitGroup.
        Type::Unknown | Type::Interface => Group::Unknown,
        named @ Type::Named(_) if analysis.underlying(named) == Type::Interface => Group::Unknown,
        _ => Group::Other,
    }
}

/// The receiver of `statement` when it is `RECEIVER.method(arguments)` as an expression
/// statement, or deferred when `deferred`.
fn method_statement<'a>(
    analysis: &FileAnalysis<'a>,
    statement: Node<'a>,
    method: &str,
    deferred: bool,
) -> Option<(Node<'a>, Node<'a>)> {
    let kind = if deferred {
        "defer_statement"
    } else {
        "expression_statement"
    };
    if statement.kind() != kind {
        return None;
    }
    let call = statement.named_child(0)?;
    let (receiver, field) = selector_call(call)?;
    (analysis.text_of(field) == method).then_some((receiver, call))
}

/// Calls `RECEIVER.method(…)` anywhere in the literal (nested literals too), by the receiver's
/// spelling.
fn calls_on<'a>(
    analysis: &FileAnalysis<'a>,
    literal: Node<'a>,
    receiver: &str,
    method: &str,
) -> Vec<Node<'a>> {
    descendants(literal, |_| false)
        .into_iter()
        .filter(|node| {
            selector_call(*node).is_some_and(|(operand, field)| {
                analysis.text_of(operand) == receiver && analysis.text_of(field) == method
            })
        })
        .collect()
}

/// (a) `defer wg.Done()` after a statement that can leave the goroutine.
fn late_done<'a>(
    analysis: &FileAnalysis<'a>,
    exits: &Exits,
    goroutine: &Goroutine<'a>,
) -> Option<Finding> {
    let text = analysis.text();
    let (index, defer, receiver, call) = goroutine.find(analysis, "Done", true)?;
    let group = group_of(analysis, receiver);
    let before = &goroutine.body[..index];
    let leaving = before
        .iter()
        .find(|statement| exits.may_leave(**statement, text))?;
    let name = analysis.text_of(receiver);
    // Done also called by hand (on the early path), or an Add inside the goroutine before the
    // defer: the early path is balanced already, and a Done there would go negative.
    let other_done = calls_on(analysis, goroutine.literal, name, "Done")
        .iter()
        .any(|other| other.id() != call.id());
    let add_before = calls_on(analysis, goroutine.literal, name, "Add")
        .iter()
        .any(|add| add.start_byte() < defer.start_byte());
    if group == Group::Other || other_done || add_before {
        return None;
    }
    let message = format!(
        "`defer {name}.Done()` comes after code that can leave the goroutine ({}): on that path Done never runs and {name}.Wait() blocks forever; defer it first",
        analysis.location(*leaving)
    );
    Some(Finding {
        rule: RULE.id,
        span: defer.byte_range(),
        message,
        fix: move_done_first(analysis, goroutine, defer, receiver, before, group).into(),
    })
}

fn move_done_first<'a>(
    analysis: &FileAnalysis<'a>,
    goroutine: &Goroutine<'a>,
    defer: Node<'a>,
    receiver: Node<'a>,
    before: &[Node<'a>],
    group: Group,
) -> Result<FixState, Reason> {
    let text = analysis.text();
    let name = analysis.text_of(receiver);
    if group == Group::Unknown {
        return Err(not_a_wait_group(name));
    }
    if let Some(place) = repeats_within(defer, goroutine.literal, text) {
        return Err(Reason::new(
            ReasonCode::InLoop,
            format!("the defer is in {place}, which moving it would run only once"),
        ));
    }
    if let Some(reason) = changed_between(analysis, &[receiver], before, "the defer") {
        return Err(reason);
    }
    let first = *before.first().ok_or_else(layout)?;
    let edits = move_before(text, defer, first).ok_or_else(layout)?;
    let passed = before
        .iter()
        .flat_map(|statement| {
            std::iter::once(*statement).chain(descendants(*statement, is_function))
        })
        .find(|node| node.kind() == "defer_statement");
    let held_back = passed.map(|other| {
        Reason::new(
            ReasonCode::PassesDefer,
            format!(
                "the defer would move above `{}` ({}): at exit {name}.Done() would then run after it instead of before",
                crate::transforms::shown(analysis.text_of(other)),
                analysis.location(other)
            ),
        )
    });
    Ok(FixState::offered(
        Fix::new(
            format!("move `defer {name}.Done()` to the top of the goroutine"),
            edits,
        ),
        held_back,
    ))
}

/// (b) `wg.Add(n)` as a top-level statement of the goroutine.
fn add_inside<'a>(
    analysis: &FileAnalysis<'a>,
    exits: &Exits,
    goroutine: &Goroutine<'a>,
) -> Option<Finding> {
    let (index, add, receiver, call) = goroutine.find(analysis, "Add", false)?;
    let name = analysis.text_of(receiver);
    let group = group_of(analysis, receiver);
    let dones = calls_on(analysis, goroutine.literal, name, "Done");
    // A Done (deferred or not) above the Add means the goroutine was counted before it started
    // and holds that count while it adds more (for goroutines of its own): that is correct.
    let counted_already = dones
        .iter()
        .any(|done| done.start_byte() < add.start_byte());
    let starts_another = goroutine
        .body
        .get(index + 1)
        .is_some_and(|next| next.kind() == "go_statement");
    // Without a type, only a receiver the goroutine also calls Done on is taken for a group.
    if group == Group::Other
        || (group == Group::Unknown && dones.is_empty())
        || counted_already
        || starts_another
    {
        return None;
    }
    let message = format!(
        "{name}.Add runs inside the goroutine: {name}.Wait() can return before the goroutine has started; call Add before the go statement"
    );
    let before = &goroutine.body[..index];
    Some(Finding {
        rule: RULE.id,
        span: add.byte_range(),
        message,
        fix: move_add_out(
            analysis, exits, goroutine, add, receiver, call, before, group,
        )
        .into(),
    })
}

#[allow(clippy::too_many_arguments)]
fn move_add_out<'a>(
    analysis: &FileAnalysis<'a>,
    exits: &Exits,
    goroutine: &Goroutine<'a>,
    add: Node<'a>,
    receiver: Node<'a>,
    call: Node<'a>,
    before: &[Node<'a>],
    group: Group,
) -> Result<FixState, Reason> {
    let text = analysis.text();
    let name = analysis.text_of(receiver);
    if group == Group::Unknown {
        return Err(not_a_wait_group(name));
    }
    let arguments = call.child_by_field_name("arguments").ok_or_else(layout)?;
    if let Some(inner) = declared_inside(analysis, goroutine.literal, &[receiver, arguments]) {
        return Err(Reason::new(
            ReasonCode::DeclaredBetween,
            format!(
                "`{}` is declared inside the goroutine ({}), so the Add cannot move before the go statement",
                analysis.text_of(inner),
                analysis.location(inner)
            ),
        ));
    }
    if let Some(leaving) = before
        .iter()
        .find(|statement| exits.may_leave(**statement, text))
    {
        return Err(Reason::new(
            ReasonCode::LeavesBetween,
            format!(
                "code before the Add can leave the goroutine ({}): moved out, the Add would count a goroutine that never calls Done",
                analysis.location(*leaving)
            ),
        ));
    }
    if let Some(reason) = changed_between(analysis, &[receiver, arguments], before, "the Add") {
        return Err(reason);
    }
    let edits = move_before(text, add, goroutine.statement).ok_or_else(layout)?;
    let delta = analysis.text_of(arguments);
    let held_back = (!is_literal_delta(arguments)).then(|| {
        Reason::new(
            ReasonCode::EvaluatedEarlier,
            format!(
                "the delta {} would be evaluated before the goroutine starts instead of inside it, and may differ then",
                delta
                    .strip_prefix('(')
                    .and_then(|inner| inner.strip_suffix(')'))
                    .unwrap_or(delta)
            ),
        )
    });
    Ok(FixState::offered(
        Fix::new(
            format!("move `{name}.Add{delta}` before the go statement"),
            edits,
        ),
        held_back,
    ))
}

/// `(1)`, `(2)`, `(-1)`: a delta that is the same whenever it is evaluated.
fn is_literal_delta(arguments: Node) -> bool {
    let mut cursor = arguments.walk();
    let values: Vec<Node> = arguments.named_children(&mut cursor).collect();
    match values.as_slice() {
        [value] => {
            let value = match value.kind() {
                "unary_expression" => value.child_by_field_name("operand").unwrap_or(*value),
                _ => *value,
            };
            value.kind() == "int_literal"
        }
        _ => false,
    }
}

/// The first identifier in `parts` that names a binding declared inside the goroutine literal
/// (its parameters, or a local).
fn declared_inside<'a>(
    analysis: &FileAnalysis<'a>,
    literal: Node<'a>,
    parts: &[Node<'a>],
) -> Option<Node<'a>> {
    identifiers(parts).into_iter().find(|ident| {
        analysis.resolve(*ident).is_some_and(|(scopes, id)| {
            let declared = scopes.binding(id).ident;
            literal.start_byte() <= declared.start_byte()
                && declared.end_byte() <= literal.end_byte()
        })
    })
}

/// A reason when a statement the moved code passes declares a variable it uses, or assigns one
/// (`wg = other`) or a field or element of one (`p.wg = other`).
fn changed_between<'a>(
    analysis: &FileAnalysis<'a>,
    parts: &[Node<'a>],
    between: &[Node<'a>],
    moved: &str,
) -> Option<Reason> {
    let inside = |node: Node| between.iter().any(|statement| contains(*statement, node));
    let assignments: Vec<Node<'a>> = between
        .iter()
        .flat_map(|statement| std::iter::once(*statement).chain(descendants(*statement, |_| false)))
        .filter(|node| {
            matches!(
                node.kind(),
                "assignment_statement" | "inc_statement" | "dec_statement"
            )
        })
        .collect();
    identifiers(parts).into_iter().find_map(|ident| {
        let (scopes, id) = analysis.resolve(ident)?;
        let name = analysis.text_of(ident);
        let declared = scopes.binding(id).ident;
        if inside(declared) {
            return Some(Reason::new(
                ReasonCode::DeclaredBetween,
                format!(
                    "`{name}` is declared before {moved} ({})",
                    analysis.location(declared)
                ),
            ));
        }
        let written = assignments.iter().find(|assignment| {
            assignment_targets(**assignment).into_iter().any(|target| {
                root_identifier(target)
                    .and_then(|root| analysis.resolve(root))
                    .is_some_and(|(_, target_id)| target_id == id)
            })
        })?;
        Some(Reason::new(
            ReasonCode::WritesBetween,
            format!(
                "`{}` ({}) changes `{name}` before {moved}",
                crate::transforms::shown(analysis.text_of(*written)),
                analysis.location(*written)
            ),
        ))
    })
}

fn identifiers<'a>(parts: &[Node<'a>]) -> Vec<Node<'a>> {
    parts
        .iter()
        .flat_map(|part| std::iter::once(*part).chain(descendants(*part, |_| false)))
        .filter(|node| node.kind() == "identifier")
        .collect()
}

fn not_a_wait_group(name: &str) -> Reason {
    Reason::new(
        ReasonCode::UnknownType,
        format!("nothing shows that `{name}` is a sync.WaitGroup"),
    )
}

fn layout() -> Reason {
    Reason::new(
        ReasonCode::Layout,
        "the statement shares its line with other code, holds a raw string, or sits next to a trailing comment gofmt aligns",
    )
}
