//! defer-before-check: `x, err := call()` followed by a defer that uses `x` placed before the
//! `if err != nil` check of that call.
//!
//! Fix: move the defer to the line after the check, when the check always leaves.

use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::infer::looks_like_error_name;
use crate::fix::{Finding, Fix, FixState, Reason, ReasonCode};
use crate::syntax::checks::{
    ErrorCheck, assigned_names, compares_with_nil, error_check_after, mentions, single_value,
};
use crate::syntax::flow::{Exits, jump_target};
use crate::syntax::indent::line_number;
use crate::syntax::known::BEGIN_METHODS;
use crate::syntax::names::{contains, expression_list, root_identifier, written_variables};
use crate::syntax::statements::{move_after, siblings_between};
use crate::syntax::{ancestors, descendants, is_function};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "defer-before-check",
    summary: "a defer uses a call's result before the call's error is checked",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["defer"],
    requires: &[],
    severity: crate::transforms::Severity::Major,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::LeavesBetween,
        ReasonCode::PassesDefer,
        ReasonCode::WritesBetween,
        ReasonCode::CalleeTakesValue,
        ReasonCode::CheckNotPlain,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Without parsing: a `defer` after an assignment of two or more names from one call in its
/// block, one of whose names but the last it mentions, with no mention of the last name (the
/// error) in the statements between them but defers (where the check would have come first),
/// and after the defer an `if` that may test it before any other statement uses it (the check
/// the defer comes before).
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    // Read once per file, for the first candidate that gets that far.
    let type_names = std::cell::OnceCell::new();
    lexed.defers().iter().copied().any(|defer| {
        let block = lexed.tokens[defer].block;
        let open = lexed.blocks[block].open;
        let deferred = lexed.statement(defer);
        (open..defer)
            .filter(|&index| {
                let token = &lexed.tokens[index];
                token.block == block && token.depth == 0
            })
            .filter(|&index| matches!(lexed.text_of(index), ":=" | "="))
            .any(|assign| {
                let start = lexed.statement_start(assign);
                let names: Vec<usize> = (start..assign)
                    .filter(|&index| {
                        lexed.tokens[index].kind == crate::analysis::blocks::Kind::Ident
                    })
                    .collect();
                let Some((&err, values)) = names.split_last() else {
                    return false;
                };
                !values.is_empty()
                    && lexed.contains(start..assign, ",")
                    && lexed.may_be_single_call(assign)
                    && lexed.tokens[start].kind != crate::analysis::blocks::Kind::Keyword
                    && values
                        .iter()
                        .any(|&value| lexed.contains(deferred.clone(), lexed.text_of(value)))
                    && (type_names
                        .get_or_init(|| declared_type_names(lexed))
                        .contains(lexed.text_of(err))
                        || (!mentioned_between(
                            lexed,
                            lexed.text_of(err),
                            lexed.statement_end(assign),
                            defer,
                        ) && may_be_checked_after(
                            lexed,
                            lexed.text_of(err),
                            deferred.end,
                            block,
                        )))
            })
    })
}

/// Whether the first statement from token `from` on in `block` that mentions `err`, defers
/// passed over, may be the `if` testing it that the check looks for
/// ([`crate::syntax::checks::error_check_after`]): it is an `if`, or its mentions may all be
/// other than a use of the variable (a field key, a type's place), or no statement mentions it
/// for sure. `false` when a statement that is not an `if` uses `err` first.
fn may_be_checked_after(lexed: &Lexed, err: &str, from: usize, block: usize) -> bool {
    let close = lexed.blocks[block].close;
    let mut start = from;
    while start < close {
        if lexed.is(start, ";") {
            start += 1;
            continue;
        }
        let end = if lexed.is(start, "if") {
            if_statement_end(lexed, start)
        } else {
            lexed.statement_end(start).max(start + 1)
        };
        if !lexed.is(start, "defer") {
            let mut named = lexed
                .all_in(err, start..end)
                .filter(|&index| index == 0 || !lexed.is(index - 1, "."))
                .peekable();
            if named.peek().is_some() {
                let used = named.any(|index| is_variable_use(lexed, index));
                return lexed.is(start, "if") || !used;
            }
        }
        start = end;
    }
    false
}

/// The names the file may declare as types (`type name …`, and every name at the top depth
/// of a `type (…)` group): their mentions in a type's place (`func(name)`, `map[name]int`)
/// look like uses of a variable to [`is_variable_use`], which cannot tell them apart.
fn declared_type_names<'t>(lexed: &Lexed<'t>) -> std::collections::HashSet<&'t str> {
    let mut names = std::collections::HashSet::new();
    for keyword in lexed.all("type") {
        let next = keyword + 1;
        if !lexed.is(next, "(") {
            if next < lexed.tokens.len() {
                names.insert(lexed.text_of(next));
            }
            continue;
        }
        let group = lexed.tokens[next];
        let inside = (next + 1..lexed.tokens.len()).take_while(|&at| {
            let token = &lexed.tokens[at];
            token.block != group.block || token.depth > group.depth
        });
        for at in inside {
            let token = &lexed.tokens[at];
            if token.block == group.block && token.depth == group.depth + 1 {
                names.insert(lexed.text_of(at));
            }
        }
    }
    names
}

/// The index past the last token of the `if` statement at token `keyword`, its `else` branches
/// included: after the first `}` of its block that ends a statement. A `;` in its header
/// (`if x := f(); err != nil {`, `} else if y := g(); ok {`) does not end it, as
/// [`Lexed::statement_end`] would.
fn if_statement_end(lexed: &Lexed, keyword: usize) -> usize {
    let block = lexed.tokens[keyword].block;
    let close = lexed.blocks[block].close;
    (keyword..close)
        .find(|&index| {
            let token = &lexed.tokens[index];
            token.block == block && token.ends_statement && lexed.is(index, "}")
        })
        .map_or(close, |index| index + 1)
}

/// Whether `name` is used as a variable in `from..to`, outside `defer` statements (which the
/// rule passes over). Generous: a name after `.`, before `:` or `{`, or in a type's place is not
/// counted, so that no use the rule ignores can hide a finding.
fn mentioned_between(lexed: &Lexed, name: &str, from: usize, to: usize) -> bool {
    let mut index = from;
    while index < to {
        if lexed.is(index, "defer") {
            index = lexed.statement_end(index).max(index + 1);
            continue;
        }
        if lexed.text_of(index) == name && is_variable_use(lexed, index) {
            return true;
        }
        index += 1;
    }
    false
}

/// Whether the name at token `index` is surely a use of a variable (an `identifier` to the
/// check), not a field or key (`.name`, `name:`), a label (`goto name`), a type's place or
/// name (`type name …`), or a field or method name in a `struct`/`interface` body. Both callers
/// skip a file on a use, so anything unsure is none.
fn is_variable_use(lexed: &Lexed, index: usize) -> bool {
    let previous = index.checked_sub(1).map(|previous| {
        (
            lexed.text_of(previous),
            lexed.tokens[previous].kind,
            previous.checked_sub(1).map(|before| lexed.text_of(before)),
        )
    });
    // After `goto`/`break`/`continue` the name is a label, after `type` a type's name.
    let type_position = previous.is_some_and(|(text, kind, before)| {
        matches!(
            text,
            "." | "*" | "]" | "chan" | "goto" | "break" | "continue" | "type"
        ) || kind == crate::analysis::blocks::Kind::Ident
            || (text == "(" && before == Some("."))
    });
    let next = (index + 1 < lexed.tokens.len()).then(|| lexed.text_of(index + 1));
    !type_position && !matches!(next, Some(":" | "{")) && !lexed.in_type_body(index)
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    let exits = Exits::with_imports(&analysis.imports);
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|defer| finding(analysis, defer, &exits))
        .collect()
}

/// The call statement a defer depends on: the nearest earlier statement of the block that assigns
/// a variable the defer uses, from a single call with an error as its last result.
struct Guarded<'t> {
    call_statement: Node<'t>,
    value: &'t str,
    err: &'t str,
}

fn guarded_call<'t>(analysis: &FileAnalysis<'t>, defer: Node<'t>) -> Option<Guarded<'t>> {
    let text = analysis.text();
    let mut previous = defer.prev_named_sibling();
    let mut passed: Vec<Node> = Vec::new();
    while let Some(statement) = previous {
        previous = statement.prev_named_sibling();
        if !matches!(
            statement.kind(),
            "short_var_declaration" | "assignment_statement"
        ) {
            passed.push(statement);
            continue;
        }
        let names = assigned_names(statement, text);
        let Some((err, values)) = names.split_last() else {
            passed.push(statement);
            continue;
        };
        let Some(value) = values
            .iter()
            .find(|name| **name != "_" && uses_value(defer, name, text))
        else {
            passed.push(statement);
            continue;
        };
        let call = single_value(statement).filter(|value| value.kind() == "call_expression")?;
        let is_begin = call
            .child_by_field_name("function")
            .and_then(|callee| callee.child_by_field_name("field"))
            // Transactions are tx-rollback's: each mistake is reported once.
            .is_some_and(|field| BEGIN_METHODS.contains(&&text[field.byte_range()]));
        // Rewritten since the call (`if c == nil { c = fallback }`): it need not be the zero
        // value the failing call returned any more.
        let rewritten = passed.iter().any(|between| {
            // Closures called on the spot write too: look inside function literals.
            std::iter::once(*between)
                .chain(descendants(*between, |_| false))
                .any(|node| written_variables(node, text).contains(value))
        });
        // The name says it in most code (`err`, `readErr`); else the type may (`e error`).
        let is_error = looks_like_error_name(err)
            || statement
                .child_by_field_name("left")
                .map(expression_list)
                .and_then(|left| left.last().copied())
                .and_then(|last| analysis.resolve(last))
                .is_some_and(|(scopes, id)| analysis.is_error_variable(&scopes, id));
        if is_begin || rewritten || !is_error || values.is_empty() {
            return None;
        }
        return Some(Guarded {
            call_statement: statement,
            value,
            err,
        });
    }
    None
}

/// Whether the defer uses the variable `value` (not a parameter of a deferred function literal
/// that happens to share its name: `defer func(c *conn) { c.Close() }(other)`).
fn uses_value(defer: Node, value: &str, text: &str) -> bool {
    descendants(defer, |_| false).into_iter().any(|node| {
        node.kind() == "identifier"
            && &text[node.byte_range()] == value
            && !ancestors(node).any(|ancestor| {
                ancestor.kind() == "func_literal"
                    && ancestor
                        .child_by_field_name("parameters")
                        .is_some_and(|parameters| mentions(parameters, value, text))
            })
    })
}

fn finding<'a>(analysis: &FileAnalysis<'a>, defer: Node<'a>, exits: &Exits) -> Option<Finding> {
    let text = analysis.text();
    let guarded = guarded_call(analysis, defer)?;
    if !is_misplaced(defer, &guarded, text) {
        return None;
    }
    let Guarded {
        call_statement,
        value,
        err,
    } = guarded;
    let skip = |node: Node| node.kind() == "defer_statement";
    let check = error_check_after(call_statement, err, text, exits, &skip)?;
    let check_statement = check.statement();
    if check_statement.start_byte() < defer.start_byte() {
        return None;
    }
    let call = defer.named_child(0)?;
    let shown_defer = format!("defer {}", shown(&text[call.byte_range()]));
    let message = format!(
        "{shown_defer} comes before the check of {err}: it also runs when the call fails, when {value} is usually nil or invalid (a method call on nil panics)"
    );
    let fix = match check {
        ErrorCheck::Leaving(check) => {
            // Every misplaced defer of this call moves in one fix, keeping their order (the
            // findings share it; the engine applies it once).
            let group: Vec<Node> = siblings_between(call_statement, check)
                .into_iter()
                .filter(|statement| {
                    statement.kind() == "defer_statement"
                        && guarded_call(analysis, *statement).is_some_and(|other| {
                            other.call_statement.id() == call_statement.id()
                                && is_misplaced(*statement, &other, text)
                        })
                })
                .collect();
            moved(analysis, &group, check, exits)
        }
        ErrorCheck::Other(_) => FixState::NoFix(Reason::new(
            ReasonCode::CheckNotPlain,
            format!("the check of {err} does not only test `{err} != nil` and always leave"),
        )),
    };
    Some(Finding {
        rule: RULE.id,
        span: defer.byte_range(),
        message,
        fix,
    })
}

/// Whether a defer using a call's value is this rule's mistake rather than written on purpose:
/// one that looks at the error itself (`if err == nil { f.Close() }`) or compares the value with
/// nil (`if x != nil { … }`, for calls that return something to clean up with their error) is
/// guarded already.
fn is_misplaced(defer: Node, guarded: &Guarded, text: &str) -> bool {
    !mentions(defer, guarded.err, text) && !compares_with_nil(defer, guarded.value, text)
}

/// The fix moving the `group` of defers after `check`: unsafe when a statement in between may
/// leave or jump out (the defers ran on that path before), defers (the run order would change),
/// or writes or calls a method on a variable the deferred calls read now; unsafe too when a
/// deferred call does more than call a method of the value.
fn moved<'a>(
    analysis: &FileAnalysis<'a>,
    group: &[Node<'a>],
    check: Node<'a>,
    exits: &Exits,
) -> FixState {
    let text = analysis.text();
    let Some(first) = group.first().copied() else {
        return FixState::ReportOnly;
    };
    let Some(edits) = move_after(text, group, check) else {
        return FixState::NoFix(Reason::new(
            ReasonCode::Layout,
            "the defer or the check shares its lines with other code, or a trailing comment would need realigning",
        ));
    };
    let in_group = |node: Node| group.iter().any(|member| member.id() == node.id());
    let evaluated_now: Vec<&str> = group
        .iter()
        .flat_map(|defer| evaluated_at_defer(*defer, text))
        .collect();
    let between = siblings_between(first, check)
        .into_iter()
        .filter(|statement| !in_group(*statement));
    let mut held_back = None;
    for statement in between {
        held_back = reason_between(statement, &evaluated_now, text, exits);
        if held_back.is_some() {
            break;
        }
    }
    // `cleanup()`, `drain(body)`, `pool.Put(buf)`: the callee may accept the value returned
    // with an error, and skipping it on the error path could leak.
    let callee_takes_value = group.iter().find(|defer| {
        guarded_call(analysis, **defer).is_none_or(|guarded| {
            !used_only_as_receiver(**defer, guarded.value, text)
                || !only_calls_methods_of(**defer, guarded.value, text)
        })
    });
    if held_back.is_none()
        && let Some(defer) = callee_takes_value
    {
        held_back = Some(Reason::new(
            ReasonCode::CalleeTakesValue,
            format!(
                "`{}` does more than call a method of the value, and may be meant to run when the call fails too",
                shown(&text[defer.byte_range()])
            ),
        ));
    }
    FixState::offered(
        Fix::new("move the defer to right after the error check", edits),
        held_back,
    )
}

/// Why a statement the defers move past makes the move unsafe: it may leave or jump out (the
/// defers ran on that path before), defers (the run order would change), or writes or calls a
/// method on a variable the deferred calls read now.
fn reason_between(
    statement: Node,
    evaluated_now: &[&str],
    text: &str,
    exits: &Exits,
) -> Option<Reason> {
    let line = line_number(text, statement.start_byte());
    if exits.may_leave(statement, text) || jumps_out(statement, text) {
        return Some(Reason::new(
            ReasonCode::LeavesBetween,
            format!(
                "line {line} can leave or jump before the check, and the defer ran on that path before the move"
            ),
        ));
    }
    let nodes: Vec<Node> = std::iter::once(statement)
        .chain(descendants(statement, |_| false))
        .collect();
    if nodes.iter().any(|node| node.kind() == "defer_statement") {
        return Some(Reason::new(
            ReasonCode::PassesDefer,
            format!(
                "the move passes the defer on line {line}, so the deferred calls would run in another order"
            ),
        ));
    }
    let written = nodes.iter().find_map(|node| {
        written_variables(*node, text)
            .into_iter()
            .chain(method_receivers(*node, text))
            .find(|name| evaluated_now.contains(name))
    })?;
    Some(Reason::new(
        ReasonCode::WritesBetween,
        format!(
            "line {line} changes `{written}`, which the deferred call reads when the defer runs"
        ),
    ))
}

/// Whether every call in a deferred function literal is a method call on `value`
/// (`defer func() { _ = f.Close(); os.Remove(f.Name()) }()` also removes a file: more than the
/// check protects).
fn only_calls_methods_of(defer: Node, value: &str, text: &str) -> bool {
    let Some(function) = defer
        .named_child(0)
        .and_then(|call| call.child_by_field_name("function"))
    else {
        return false;
    };
    if function.kind() != "func_literal" {
        return true;
    }
    descendants(function, |_| false)
        .into_iter()
        .filter(|node| node.kind() == "call_expression")
        .all(|call| {
            // Logging what happened (`log.Printf`, `fmt.Println`) changes nothing either.
            call.child_by_field_name("function")
                .filter(|callee| callee.kind() == "selector_expression")
                .and_then(|callee| callee.child_by_field_name("operand"))
                .and_then(root_identifier)
                .is_some_and(|root| {
                    let root = &text[root.byte_range()];
                    root == value || matches!(root, "log" | "slog" | "fmt")
                })
        })
}

/// Whether a `break`, `continue` or `goto` in `statement` leaves it.
fn jumps_out(statement: Node, text: &str) -> bool {
    descendants(statement, is_function)
        .into_iter()
        .any(|node| match node.kind() {
            "goto_statement" => true,
            "break_statement" | "continue_statement" => {
                jump_target(node, text).is_none_or(|target| !contains(statement, target))
            }
            _ => false,
        })
}

/// Variables whose methods `node` calls (`c.Rename(…)` may change `c` through a pointer).
fn method_receivers<'a>(node: Node, text: &'a str) -> Vec<&'a str> {
    if node.kind() != "call_expression" {
        return Vec::new();
    }
    node.child_by_field_name("function")
        .filter(|callee| callee.kind() == "selector_expression")
        .and_then(|callee| callee.child_by_field_name("operand"))
        .and_then(root_identifier)
        .map(|root| vec![&text[root.byte_range()]])
        .unwrap_or_default()
}

/// Whether every use of `value` in the defer is the receiver of a method call (`x.Close()`,
/// `x.Body.Close()`): such a call on the zero value returned with an error is what panics, and
/// what the check protects.
fn used_only_as_receiver(defer: Node, value: &str, text: &str) -> bool {
    descendants(defer, |_| false)
        .into_iter()
        .filter(|node| node.kind() == "identifier" && &text[node.byte_range()] == value)
        .all(|ident| {
            let mut node = ident;
            let mut selected = false;
            while let Some(parent) = node.parent().filter(|parent| {
                parent.kind() == "selector_expression"
                    && parent
                        .child_by_field_name("operand")
                        .is_some_and(|operand| operand.id() == node.id())
            }) {
                node = parent;
                selected = true;
            }
            selected
                && node.parent().is_some_and(|call| {
                    call.kind() == "call_expression"
                        && call
                            .child_by_field_name("function")
                            .is_some_and(|function| function.id() == node.id())
                })
        })
}

/// Variables read when the defer statement runs: the callee's receiver and the arguments
/// (a deferred function literal's body runs later and reads its variables then).
fn evaluated_at_defer<'a>(defer: Node, text: &'a str) -> Vec<&'a str> {
    let Some(call) = defer.named_child(0) else {
        return Vec::new();
    };
    descendants(call, is_function)
        .into_iter()
        .filter(|node| node.kind() == "identifier")
        .map(|node| &text[node.byte_range()])
        .collect()
}
