//! tx-rollback: a transaction whose deferred `Rollback` is missing, comes before the error check
//! of `Begin`, or comes after code that can already leave the function.
//!
//! Fix: move the `defer tx.Rollback()` to the line after the error check (or after `MustBegin`),
//! or insert one there when the function has none.

use tree_sitter::Node;

use crate::fix::{Applicability, Edit, Finding, Fix};
use crate::syntax::checks::{
    ErrorCheck, assigned_names, compares_with_nil, error_check_after, mentions, single_value,
};
use crate::syntax::flow::Exits;
use crate::syntax::indent::line_number;
use crate::syntax::names::{
    contains, find_declaration, is_package_call, package_name, rebound_variables,
};
use crate::syntax::statements::{
    clear_of_trailing_comments, insert_line_after, move_after, siblings_between,
};
use crate::syntax::{
    GoFile, ancestors, descendants, enclosing_function, is_function, selector_call,
};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "tx-rollback",
    summary: "a transaction's deferred Rollback is missing, or comes too early or too late",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: crate::syntax::known::BEGIN_METHODS,
    anchors: &["short_var_declaration", "assignment_statement"],
    applies_to: crate::transforms::any_go_version,
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Packages whose `Tx.Rollback` after `Commit` is a harmless no-op (it returns `sql.ErrTxDone`).
const SQL_PACKAGES: &[&str] = &["database/sql", "github.com/jmoiron/sqlx"];

/// A `Begin` statement and what guards it.
struct Transaction<'t> {
    begin: Node<'t>,
    tx: &'t str,
    /// The statement after which `tx` is known to be valid: the leaving error check, or the
    /// `MustBegin` statement itself. `None` when the error check may fall through.
    valid_after: Option<Node<'t>>,
    /// The error check (or the `MustBegin` statement): code after it runs with a valid `tx`.
    check: Node<'t>,
}

fn check(context: &RuleContext, matches: &[QueryMatch]) -> Vec<Finding> {
    let file = &context.file;
    let exits = Exits::of(file.tree.root_node(), file.text);
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|begin| transaction(file, begin, &exits))
        .filter_map(|transaction| finding(file, &transaction, &exits))
        .collect()
}

fn transaction<'t>(file: &GoFile<'t>, begin: Node<'t>, exits: &Exits) -> Option<Transaction<'t>> {
    let text = file.text;
    if begin.parent()?.kind() != "statement_list" {
        return None;
    }
    let call = single_value(begin).filter(|value| value.kind() == "call_expression")?;
    let method = call
        .child_by_field_name("function")?
        .child_by_field_name("field")
        .map(|field| &text[field.byte_range()])?;
    let names = assigned_names(begin, text);
    let must = method == "MustBegin";
    let (tx, err) = match (must, names.as_slice()) {
        (true, [tx]) => (*tx, None),
        (false, [tx, err]) => (*tx, Some(*err)),
        _ => return None,
    };
    if tx == "_" || err == Some("_") {
        return None;
    }
    let (check, valid_after) = match err {
        None => (begin, Some(begin)),
        Some(err) => {
            let skip = |node: Node| is_rollback_defer(node, tx, text);
            match error_check_after(begin, err, text, exits, &skip)? {
                ErrorCheck::Leaving(check) => (check, Some(check)),
                ErrorCheck::Other(check) => (check, None),
            }
        }
    };
    Some(Transaction {
        begin,
        tx,
        valid_after,
        check,
    })
}

fn finding(file: &GoFile, transaction: &Transaction, exits: &Exits) -> Option<Finding> {
    let text = file.text;
    let Transaction {
        begin,
        tx,
        valid_after,
        check,
    } = *transaction;
    let function = enclosing_function(begin)?;
    let deferred: Vec<Node> = descendants(function, |node| {
        is_function(node) && node.id() != function.id()
    })
    .into_iter()
    .filter(|node| node.kind() == "defer_statement" && defers_rollback(*node, tx, text))
    .collect();
    // One variable for several transactions (`tx, err = db.Begin()` again later): which defer
    // belongs to which Begin is beyond a syntactic rule.
    if is_reassigned(function, begin, tx, text) {
        return None;
    }
    let Some(&defer) = deferred.first() else {
        return missing_rollback(file, transaction, function);
    };
    // A Rollback deferred elsewhere (in a branch, before Begin) is not this rule's pattern.
    if defer.parent().map(|parent| parent.id()) != begin.parent().map(|parent| parent.id())
        || defer.start_byte() < begin.end_byte()
    {
        return None;
    }
    let shown = format!("defer {}", shown(&text[defer.named_child(0)?.byte_range()]));
    let kind = transaction_kind(file, begin, tx, function);
    let handed_out = is_handed_out(function, tx, text);
    if defer.start_byte() < check.start_byte() {
        // `defer func() { if tx != nil { tx.Rollback() } }()` cannot panic.
        if compares_with_nil(defer, tx, text) {
            return None;
        }
        let leaves_before_check = siblings_between(defer, check)
            .into_iter()
            .any(|statement| exits.may_leave(statement, text));
        let fix = valid_after
            .filter(|_| !handed_out)
            .and_then(|anchor| moved_defer(text, defer, anchor, function, kind))
            .map(|mut fix| {
                // The defer rolled back on that path before; after the move it does not.
                if leaves_before_check {
                    fix.applicability = Applicability::Unsafe;
                }
                fix
            });
        return Some(Finding {
            rule: RULE.id,
            span: defer.byte_range(),
            message: format!(
                "{shown} comes before the error check of {tx}: {tx} is nil when Begin fails, so the deferred call panics"
            ),
            fix,
        });
    }
    let leaving = siblings_between(check, defer)
        .into_iter()
        .find(|statement| exits.may_leave(*statement, text))?;
    let line = line_number(text, leaving.start_byte());
    let fix = valid_after
        .filter(|_| !handed_out)
        .and_then(|anchor| moved_defer(text, defer, anchor, function, kind));
    Some(Finding {
        rule: RULE.id,
        span: defer.byte_range(),
        message: format!(
            "{shown} comes after code that can leave the function (line {line}): on that path the transaction is never rolled back"
        ),
        fix,
    })
}

/// No deferred Rollback in the function: a finding when `tx` is committed, and a return between
/// the error check and the first Commit neither rolls back nor hands `tx` to anything.
fn missing_rollback(file: &GoFile, transaction: &Transaction, function: Node) -> Option<Finding> {
    let text = file.text;
    let Transaction {
        begin,
        tx,
        valid_after,
        check,
    } = *transaction;
    let inner = descendants(function, |node| {
        is_function(node) && node.id() != function.id()
    });
    let commit = inner.iter().find(|node| {
        node.start_byte() > check.end_byte() && is_method_call(**node, tx, "Commit", text)
    })?;
    let leaky_return = inner.iter().find(|node| {
        node.kind() == "return_statement"
            && node.start_byte() > check.end_byte()
            // Only returns that can follow the Begin: in its block, not in a sibling branch.
            && begin.parent().is_some_and(|block| contains(block, **node))
            && node.end_byte() < commit.start_byte()
            && !rolled_back_on_path(**node, begin, tx, text)
    })?;
    let line = line_number(text, leaky_return.start_byte());
    let message = format!(
        "{tx} is never rolled back when the function returns at line {line}, before {tx}.Commit(): the transaction stays open; defer {tx}.Rollback() after the error check"
    );
    let fix = (|| {
        let anchor = valid_after?;
        // A defer inside a loop would hold every transaction until the function returns.
        let in_loop = ancestors(begin)
            .take_while(|node| node.id() != function.id())
            .any(|node| node.kind() == "for_statement");
        if in_loop
            || is_handed_out(function, tx, text)
            || !clear_of_trailing_comments(text, &[anchor.end_byte()])
        {
            return None;
        }
        // Rollback after Commit is a no-op for database/sql; for other types it may not be, and
        // only a type known to have Rollback (it is called in the function) gets a fix at all.
        let applicability = match transaction_kind(file, begin, tx, function) {
            TransactionKind::Sql => Applicability::Safe,
            TransactionKind::HasRollback => Applicability::Unsafe,
            TransactionKind::Unknown => return None,
        };
        let edit = insert_line_after(text, anchor, &format!("defer {tx}.Rollback()"))?;
        Some(Fix::new(
            format!("defer {tx}.Rollback() right after the error check"),
            vec![edit],
            applicability,
        ))
    })();
    Some(Finding {
        rule: RULE.id,
        span: begin.byte_range(),
        message,
        fix,
    })
}

/// The fix that moves `defer` to right after `anchor`: safe unless another defer is passed (the
/// order deferred calls run in would change); none when the defer uses a name declared between.
fn moved_defer(
    text: &str,
    defer: Node,
    anchor: Node,
    function: Node,
    kind: TransactionKind,
) -> Option<Fix> {
    let (from, to) = if defer.start_byte() < anchor.start_byte() {
        (defer.end_byte(), anchor.start_byte())
    } else {
        (anchor.end_byte(), defer.start_byte())
    };
    let body = function.child_by_field_name("body")?;
    let declared_between = descendants(defer, |_| false).into_iter().any(|node| {
        node.kind() == "identifier"
            && find_declaration(&text[node.byte_range()], node, body, text).is_some_and(
                |declaration| {
                    let at = declaration.statement.start_byte();
                    from <= at && at < to
                },
            )
    });
    if declared_between {
        return None;
    }
    // The statements the defer moves past.
    let (first, last) = if defer.start_byte() < anchor.start_byte() {
        (defer, anchor)
    } else {
        (anchor, defer)
    };
    let passed = siblings_between(first, last);
    let passes_defer = passed.iter().any(|statement| {
        std::iter::once(*statement)
            .chain(descendants(*statement, is_function))
            .any(|node| node.kind() == "defer_statement")
    });
    // Moved above a `tx.Commit()`, the Rollback now also runs after it: a no-op for
    // database/sql, unknown for other types.
    let tx = tx_of(defer, text).unwrap_or("");
    let passes_commit = kind != TransactionKind::Sql
        && passed
            .iter()
            .any(|statement| calls_method(*statement, tx, "Commit", text));
    let edits: Vec<Edit> = move_after(text, &[defer], anchor)?;
    let applicability = if passes_defer || passes_commit {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    Some(Fix::new(
        "move the deferred Rollback to right after the error check",
        edits,
        applicability,
    ))
}

/// Whether `node` is `defer tx.Rollback()` or a deferred function literal calling it.
fn is_rollback_defer(node: Node, tx: &str, text: &str) -> bool {
    node.kind() == "defer_statement" && defers_rollback(node, tx, text)
}

/// Whether a defer rolls `tx` back in any spelling: `tx.Rollback()`, a wrapper's
/// `tx.MustRollback()` or `tx.RollbackUnlessCommitted()`.
fn defers_rollback(defer: Node, tx: &str, text: &str) -> bool {
    descendants(defer, |_| false).into_iter().any(|node| {
        selector_call(node).is_some_and(|(operand, field)| {
            &text[operand.byte_range()] == tx && text[field.byte_range()].contains("Rollback")
        })
    })
}

/// Whether `node` contains a call `receiver.method(…)`.
fn calls_method(node: Node, receiver: &str, method: &str, text: &str) -> bool {
    descendants(node, |_| false)
        .into_iter()
        .any(|child| is_method_call(child, receiver, method, text))
}

fn is_method_call(node: Node, receiver: &str, method: &str, text: &str) -> bool {
    selector_call(node).is_some_and(|(operand, field)| {
        &text[operand.byte_range()] == receiver && &text[field.byte_range()] == method
    })
}

/// Whether, on the way to `ret`, the transaction was rolled back or handed to another function
/// (which may roll it back): checked in the statements before `ret` in each enclosing block up to
/// the block of `begin`, in `if` init statements, and in `ret` itself.
fn rolled_back_on_path(ret: Node, begin: Node, tx: &str, text: &str) -> bool {
    // Only what the statement itself does, not what a nested block of it might do.
    let handles = |node: Node| {
        std::iter::once(node)
            .chain(descendants(node, |child| {
                child.kind() == "block" || is_function(child)
            }))
            .any(|child| {
                is_method_call(child, tx, "Rollback", text)
                    || (child.kind() == "identifier"
                        && &text[child.byte_range()] == tx
                        && child
                            .parent()
                            .is_some_and(|parent| parent.kind() == "argument_list"))
            })
    };
    if handles(ret) {
        return true;
    }
    let mut child = ret;
    for parent in ancestors(ret) {
        match parent.kind() {
            "statement_list" => {
                let mut previous = child.prev_named_sibling();
                while let Some(statement) = previous {
                    if statement.start_byte() < begin.end_byte() {
                        return false;
                    }
                    if handles(statement) {
                        return true;
                    }
                    previous = statement.prev_named_sibling();
                }
            }
            "if_statement"
                if parent
                    .child_by_field_name("initializer")
                    .is_some_and(handles) =>
            {
                return true;
            }
            _ if is_function(parent) => return false,
            _ => {}
        }
        if contains(parent, begin) {
            return false;
        }
        child = parent;
    }
    false
}

/// What the rule can tell about the transaction's type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TransactionKind {
    /// A `database/sql` or sqlx transaction: begun on a value declared with a `sql`/`sqlx` type or
    /// opened with `sql.Open`/`sqlx.Open`/`sqlx.Connect`, or the file imports one of them and the
    /// function calls `tx.Rollback()` somewhere.
    Sql,
    /// Some type whose `Rollback` the function calls.
    HasRollback,
    /// Nothing shows that `tx.Rollback()` even exists.
    Unknown,
}

fn transaction_kind(file: &GoFile, begin: Node, tx: &str, function: Node) -> TransactionKind {
    let text = file.text;
    let root = file.tree.root_node();
    let packages: Vec<String> = SQL_PACKAGES
        .iter()
        .filter_map(|path| package_name(root, text, path))
        .collect();
    let rollback_called = descendants(function, |_| false)
        .into_iter()
        .any(|node| is_method_call(node, tx, "Rollback", text));
    let receiver_is_sql = single_value(begin)
        .and_then(|call| call.child_by_field_name("function"))
        .and_then(|callee| callee.child_by_field_name("operand"))
        .filter(|operand| operand.kind() == "identifier")
        .is_some_and(|receiver| declared_as_sql(receiver, function, &packages, text));
    // A type of this file with its own Rollback (a wrapper) may not treat Rollback after Commit
    // as a no-op.
    let own_rollback = descendants(root, is_function).into_iter().any(|node| {
        node.kind() == "method_declaration"
            && node
                .child_by_field_name("name")
                .is_some_and(|name| &text[name.byte_range()] == "Rollback")
    });
    if receiver_is_sql || (!packages.is_empty() && rollback_called && !own_rollback) {
        TransactionKind::Sql
    } else if rollback_called {
        TransactionKind::HasRollback
    } else {
        TransactionKind::Unknown
    }
}

/// Whether `receiver` is a parameter or local of `function` typed `*sql.DB`/`*sql.Conn`/
/// `*sqlx.DB`/`*sqlx.Conn`, or made by `sql.Open`/`sqlx.Open`/`sqlx.Connect`.
fn declared_as_sql(receiver: Node, function: Node, packages: &[String], text: &str) -> bool {
    let name = &text[receiver.byte_range()];
    let sql_type = |type_text: &str| {
        let type_text = type_text.trim_start_matches('*');
        packages.iter().any(|package| {
            ["DB", "Conn"]
                .iter()
                .any(|ty| type_text == format!("{package}.{ty}"))
        })
    };
    let parameter = function
        .child_by_field_name("parameters")
        .is_some_and(|parameters| {
            descendants(parameters, |_| false).into_iter().any(|node| {
                node.kind() == "parameter_declaration"
                    && node
                        .child_by_field_name("type")
                        .is_some_and(|ty| sql_type(&text[ty.byte_range()]))
                    && mentions(node, name, text)
            })
        });
    let local = function
        .child_by_field_name("body")
        .and_then(|body| find_declaration(name, receiver, body, text))
        .is_some_and(|declaration| {
            let typed = declaration
                .statement
                .child_by_field_name("type")
                .is_some_and(|ty| sql_type(&text[ty.byte_range()]));
            let opened = declaration.values.iter().any(|value| {
                packages.iter().any(|package| {
                    is_package_call(
                        *value,
                        text,
                        Some(package),
                        &["Open", "Connect", "MustConnect", "MustOpen"],
                    )
                })
            });
            typed || opened
        });
    parameter || local
}

/// Whether `tx` is assigned anywhere in the function other than by its `Begin`.
fn is_reassigned(function: Node, begin: Node, tx: &str, text: &str) -> bool {
    descendants(function, |_| false)
        .into_iter()
        .any(|node| node.id() != begin.id() && rebound_variables(node, text).contains(&tx))
}

/// Whether the transaction may be used after the function returns or by other code at the same
/// time: `tx` (not a method call on it) is returned, stored (composite literal, assignment, send),
/// used by a `go` statement, or captured by a function literal that is not called on the spot.
/// Passing it as an argument (`insert(tx, row)`) is not: such calls finish with it.
fn is_handed_out(function: Node, tx: &str, text: &str) -> bool {
    descendants(function, |_| false).into_iter().any(|ident| {
        if ident.kind() != "identifier" || &text[ident.byte_range()] != tx {
            return false;
        }
        let method_receiver = ident.parent().is_some_and(|parent| {
            parent.kind() == "selector_expression"
                && parent
                    .parent()
                    .is_some_and(|call| call.kind() == "call_expression")
        });
        // `tx.Commit()` hands out only a result; `go func() { tx.Commit() }()` hands out tx.
        for ancestor in ancestors(ident) {
            if ancestor.id() == function.id() {
                return false;
            }
            match ancestor.kind() {
                "go_statement" => return true,
                "return_statement" | "literal_value" | "send_statement" if !method_receiver => {
                    return true;
                }
                "func_literal" => {
                    let called_here = ancestor.parent().is_some_and(|call| {
                        call.kind() == "call_expression"
                            && call
                                .child_by_field_name("function")
                                .is_some_and(|callee| callee.id() == ancestor.id())
                    });
                    if !called_here {
                        return true;
                    }
                }
                "assignment_statement" | "short_var_declaration"
                    if !method_receiver
                        && ancestor
                            .child_by_field_name("right")
                            .is_some_and(|right| contains(right, ident)) =>
                {
                    return true;
                }
                _ => {}
            }
        }
        false
    })
}

/// The transaction variable a Rollback defer acts on (`tx` in `defer tx.Rollback()`).
fn tx_of<'a>(defer: Node, text: &'a str) -> Option<&'a str> {
    descendants(defer, |_| false).into_iter().find_map(|node| {
        let (operand, field) = selector_call(node)?;
        (&text[field.byte_range()] == "Rollback").then(|| &text[operand.byte_range()])
    })
}
