//! tx-rollback: a transaction whose deferred `Rollback` is missing, comes before the error check
//! of `Begin`, or comes after code that can already leave the function.
//!
//! Fix: move the `defer tx.Rollback()` to the line after the error check (or after `MustBegin`),
//! or insert one there when the function has none.

use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::blocks::Lexed;
use crate::analysis::escape::{Policy, Region, RegionKind, trace};
use crate::analysis::package::PackageContext;
use crate::analysis::types::Package;
use crate::fix::{Finding, Fix, FixState, Reason, ReasonCode};
use crate::syntax::checks::{
    ErrorCheck, assigned_names, compares_with_nil, error_check_after, single_value,
};
use crate::syntax::flow::Exits;
use crate::syntax::indent::line_number;
use crate::syntax::names::{contains, expression_list, find_declaration};
use crate::syntax::statements::{
    clear_of_trailing_comments, insert_line_after, move_after, siblings_between,
};
use crate::syntax::{
    GoFile, ancestors, descendants, is_function, method_call_named, selector_call,
};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "tx-rollback",
    summary: "a transaction's deferred Rollback is missing, or comes too early or too late",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: crate::syntax::known::BEGIN_METHODS,
    requires: &[],
    severity: crate::transforms::Severity::Major,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::PassesDefer,
        ReasonCode::PassesCommit,
        ReasonCode::LeavesBetween,
        ReasonCode::CustomRollback,
        ReasonCode::CheckNotPlain,
        ReasonCode::Escapes,
        ReasonCode::InLoop,
        ReasonCode::DeclaredBetween,
        ReasonCode::UnknownType,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Packages whose `Tx.Rollback` after `Commit` is a harmless no-op (it returns `sql.ErrTxDone`).
const SQL_PACKAGES: &[&str] = &["database/sql", "github.com/jmoiron/sqlx"];

/// A `Begin` statement and what guards it.
struct Transaction<'t> {
    begin: Node<'t>,
    tx: &'t str,
    /// The identifier `tx` in the Begin statement.
    tx_node: Node<'t>,
    /// The statement after which `tx` is known to be valid: the leaving error check, or the
    /// `MustBegin` statement itself. `None` when the error check may fall through.
    valid_after: Option<Node<'t>>,
    /// The error check (or the `MustBegin` statement): code after it runs with a valid `tx`.
    check: Node<'t>,
}

/// Without parsing: `.Begin(` (any Begin method; `[` for type arguments) in code, not in a
/// comment or string, after a `:=` or `=` of its own statement (the query's assignment).
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    lexed
        .all_among(crate::syntax::known::BEGIN_METHODS)
        .filter(|&method| method >= 1 && lexed.is(method - 1, "."))
        .filter(|&method| lexed.is(method + 1, "(") || lexed.is(method + 1, "["))
        .any(|method| {
            let token = lexed.tokens[method];
            (lexed.statement_start(method)..method).any(|index| {
                let other = &lexed.tokens[index];
                other.block == token.block
                    && other.depth == token.depth
                    && matches!(lexed.text_of(index), ":=" | "=")
            })
        })
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    let file = &analysis.file;
    let exits = Exits::with_imports(&analysis.imports);
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|begin| transaction(file, begin, &exits))
        .filter_map(|transaction| finding(analysis, &transaction, &exits))
        .collect()
}

fn transaction<'t>(file: &GoFile<'t>, begin: Node<'t>, exits: &Exits) -> Option<Transaction<'t>> {
    let text = file.text;
    if begin.parent()?.kind() != "statement_list" {
        return None;
    }
    let call = single_value(begin).filter(|value| value.kind() == "call_expression")?;
    let (_, method) = method_call_named(call, text, crate::syntax::known::BEGIN_METHODS)?;
    let method = &text[method.byte_range()];
    let names = assigned_names(begin, text);
    let tx_node = begin
        .child_by_field_name("left")
        .map(expression_list)
        .and_then(|left| left.first().copied())?;
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
        tx_node,
        valid_after,
        check,
    })
}

fn finding<'a>(
    analysis: &FileAnalysis<'a>,
    transaction: &Transaction<'a>,
    exits: &Exits,
) -> Option<Finding> {
    let file = &analysis.file;
    let text = file.text;
    let Transaction {
        begin, tx, check, ..
    } = *transaction;
    let function = analysis.enclosing_function(begin)?;
    let deferred: Vec<Node> = descendants(function, |node| {
        is_function(node) && node.id() != function.id()
    })
    .into_iter()
    .filter(|node| node.kind() == "defer_statement" && defers_rollback(*node, tx, text))
    .collect();
    // One variable for several transactions (`tx, err = db.Begin()` again later): which defer
    // belongs to which Begin is beyond a syntactic rule.
    if is_reassigned(analysis, transaction) {
        return None;
    }
    let Some(&defer) = deferred.first() else {
        return missing_rollback(analysis, transaction, function);
    };
    // A Rollback deferred elsewhere (in a branch, before Begin) is not this rule's pattern.
    if defer.parent().map(|parent| parent.id()) != begin.parent().map(|parent| parent.id())
        || defer.start_byte() < begin.end_byte()
    {
        return None;
    }
    let shown = format!("defer {}", shown(&text[defer.named_child(0)?.byte_range()]));
    let kind = transaction_kind(analysis, transaction, function);
    let handed_out = is_handed_out(analysis, function, transaction);
    if defer.start_byte() < check.start_byte() {
        // `defer func() { if tx != nil { tx.Rollback() } }()` cannot panic.
        if compares_with_nil(defer, tx, text) {
            return None;
        }
        let leaving_before_check = siblings_between(defer, check)
            .into_iter()
            .find(|statement| exits.may_leave(*statement, text));
        let fix = match movable(transaction, handed_out) {
            Err(reason) => FixState::NoFix(reason),
            Ok(anchor) => match moved_defer(text, defer, anchor, function, kind) {
                // The defer rolled back on that path before; after the move it does not.
                FixState::Safe(fix) if leaving_before_check.is_some() => {
                    let line =
                        leaving_before_check.map_or(0, |node| line_number(text, node.start_byte()));
                    FixState::Unsafe(
                        fix,
                        Reason::new(
                            ReasonCode::LeavesBetween,
                            format!(
                                "line {line} can leave the function before the check, and the deferred Rollback ran on that path before the move"
                            ),
                        ),
                    )
                }
                fix => fix,
            },
        };
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
    let fix = match movable(transaction, handed_out) {
        Err(reason) => FixState::NoFix(reason),
        Ok(anchor) => moved_defer(text, defer, anchor, function, kind),
    };
    Some(Finding {
        rule: RULE.id,
        span: defer.byte_range(),
        message: format!(
            "{shown} comes after code that can leave the function (line {line}): on that path the transaction is never rolled back"
        ),
        fix,
    })
}

/// Where the defer can go: right after the leaving error check (or `MustBegin`), unless the check
/// may fall through or the transaction is handed out.
fn movable<'t>(
    transaction: &Transaction<'t>,
    handed_out: Option<Reason>,
) -> Result<Node<'t>, Reason> {
    if let Some(reason) = handed_out {
        return Err(reason);
    }
    transaction.valid_after.ok_or_else(|| {
        Reason::new(
            ReasonCode::CheckNotPlain,
            format!(
                "the error check of {} does not only test `err != nil` and always leave: no place is known where {} is valid",
                transaction.tx, transaction.tx
            ),
        )
    })
}

/// No deferred Rollback in the function: a finding when `tx` is committed, and a return between
/// the error check and the first Commit neither rolls back nor hands `tx` to anything.
fn missing_rollback<'a>(
    analysis: &FileAnalysis<'a>,
    transaction: &Transaction<'a>,
    function: Node<'a>,
) -> Option<Finding> {
    let text = analysis.text();
    let Transaction {
        begin, tx, check, ..
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
    let fix = inserted_rollback(analysis, transaction, function);
    Some(Finding {
        rule: RULE.id,
        span: begin.byte_range(),
        message,
        fix: fix.into(),
    })
}

/// The fix inserting `defer tx.Rollback()` after the error check.
fn inserted_rollback<'a>(
    analysis: &FileAnalysis<'a>,
    transaction: &Transaction<'a>,
    function: Node<'a>,
) -> Result<FixState, Reason> {
    let text = analysis.text();
    let Transaction { begin, tx, .. } = *transaction;
    let anchor = movable(transaction, is_handed_out(analysis, function, transaction))?;
    // A defer inside a loop would hold every transaction until the function returns.
    let in_loop = ancestors(begin)
        .take_while(|node| node.id() != function.id())
        .any(|node| node.kind() == "for_statement");
    if in_loop {
        return Err(Reason::new(
            ReasonCode::InLoop,
            format!(
                "{tx} is begun in a loop: a defer there would hold every transaction until the function returns"
            ),
        ));
    }
    let layout = || {
        Reason::new(
            ReasonCode::Layout,
            "a trailing comment or other code next to the error check would need realigning",
        )
    };
    if !clear_of_trailing_comments(text, &[anchor.end_byte()]) {
        return Err(layout());
    }
    // Rollback after Commit is a no-op for database/sql; for other types it may not be, and
    // only a type known to have Rollback (it is called in the function) gets a fix at all.
    let held_back = match transaction_kind(analysis, transaction, function) {
        TransactionKind::Sql => None,
        TransactionKind::HasRollback => Some(Reason::new(
            ReasonCode::CustomRollback,
            format!(
                "{tx} is not known to be a database/sql or sqlx transaction, whose Rollback after Commit is a no-op"
            ),
        )),
        TransactionKind::Unknown => {
            return Err(Reason::new(
                ReasonCode::UnknownType,
                format!(
                    "nothing shows that {tx} has a Rollback method: it is not a database/sql or sqlx transaction and the function never calls {tx}.Rollback()"
                ),
            ));
        }
    };
    let edit =
        insert_line_after(text, anchor, &format!("defer {tx}.Rollback()")).ok_or_else(layout)?;
    Ok(FixState::offered(
        Fix::new(
            format!("defer {tx}.Rollback() right after the error check"),
            vec![edit],
        ),
        held_back,
    ))
}

/// The fix that moves `defer` to right after `anchor`: safe unless another defer is passed (the
/// order deferred calls run in would change); none when the defer uses a name declared between.
fn moved_defer(
    text: &str,
    defer: Node,
    anchor: Node,
    function: Node,
    kind: TransactionKind,
) -> FixState {
    let (from, to) = if defer.start_byte() < anchor.start_byte() {
        (defer.end_byte(), anchor.start_byte())
    } else {
        (anchor.end_byte(), defer.start_byte())
    };
    let declared_between = function.child_by_field_name("body").and_then(|body| {
        descendants(defer, |_| false).into_iter().find(|node| {
            node.kind() == "identifier"
                && find_declaration(&text[node.byte_range()], *node, body, text).is_some_and(
                    |declaration| {
                        let at = declaration.statement.start_byte();
                        from <= at && at < to
                    },
                )
        })
    });
    if let Some(name) = declared_between {
        return FixState::NoFix(Reason::new(
            ReasonCode::DeclaredBetween,
            format!(
                "the deferred call uses `{}`, declared between the defer and the error check",
                &text[name.byte_range()]
            ),
        ));
    }
    // The statements the defer moves past.
    let (first, last) = if defer.start_byte() < anchor.start_byte() {
        (defer, anchor)
    } else {
        (anchor, defer)
    };
    let passed = siblings_between(first, last);
    let passed_defer = passed.iter().find(|statement| {
        std::iter::once(**statement)
            .chain(descendants(**statement, is_function))
            .any(|node| node.kind() == "defer_statement")
    });
    // Moved above a `tx.Commit()`, the Rollback now also runs after it: a no-op for
    // database/sql, unknown for other types.
    let tx = tx_of(defer, text).unwrap_or("");
    let passed_commit = passed.iter().find(|statement| {
        kind != TransactionKind::Sql && calls_method(**statement, tx, "Commit", text)
    });
    let Some(edits) = move_after(text, &[defer], anchor) else {
        return FixState::NoFix(Reason::new(
            ReasonCode::Layout,
            "the defer or the check shares its lines with other code, or a trailing comment would need realigning",
        ));
    };
    let held_back = match (passed_defer, passed_commit) {
        (Some(statement), _) => Some(Reason::new(
            ReasonCode::PassesDefer,
            format!(
                "the move passes the defer on line {}, so the deferred calls would run in another order",
                line_number(text, statement.start_byte())
            ),
        )),
        (None, Some(statement)) => Some(Reason::new(
            ReasonCode::PassesCommit,
            format!(
                "the move puts the Rollback before {tx}.Commit() on line {}, and {tx} is not known to be a database/sql or sqlx transaction",
                line_number(text, statement.start_byte())
            ),
        )),
        (None, None) => None,
    };
    FixState::offered(
        Fix::new(
            "move the deferred Rollback to right after the error check",
            edits,
        ),
        held_back,
    )
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

fn transaction_kind<'a>(
    analysis: &FileAnalysis<'a>,
    transaction: &Transaction<'a>,
    function: Node<'a>,
) -> TransactionKind {
    let text = analysis.text();
    let tx = transaction.tx;
    let rollback_called = descendants(function, |_| false)
        .into_iter()
        .any(|node| is_method_call(node, tx, "Rollback", text));
    let typed_sql = analysis
        .type_of(transaction.tx_node)
        .as_named()
        .is_some_and(|named| {
            named.name == "Tx"
                && matches!(&named.package, Package::Path(path) if SQL_PACKAGES.contains(&path.as_str()))
        });
    let imports_sql = SQL_PACKAGES
        .iter()
        .any(|path| analysis.imports.name_of(path).is_some());
    // A type of this package with its own Rollback (a wrapper) may not treat Rollback after
    // Commit as a no-op.
    let own_rollback = descendants(function.parent().unwrap_or(function), is_function)
        .into_iter()
        .any(|node| {
            node.kind() == "method_declaration"
                && node
                    .child_by_field_name("name")
                    .is_some_and(|name| &text[name.byte_range()] == "Rollback")
        });
    if typed_sql || (imports_sql && rollback_called && !own_rollback) {
        TransactionKind::Sql
    } else if rollback_called {
        TransactionKind::HasRollback
    } else {
        TransactionKind::Unknown
    }
}

/// Whether `tx` is written anywhere in the function other than by its `Begin`, or its address
/// is taken: which defer belongs to which transaction is then beyond the rule.
fn is_reassigned<'a>(analysis: &FileAnalysis<'a>, transaction: &Transaction<'a>) -> bool {
    let Some((scopes, id)) = analysis.resolve(transaction.tx_node) else {
        return true;
    };
    scopes.address_taken(id)
        || scopes
            .writes(id)
            .iter()
            .any(|write| write.statement.id() != transaction.begin.id())
}

/// Whether the transaction may be used after the function returns or by other code at the same
/// time: returned, stored outside the function, sent, used by a goroutine, captured by a
/// function literal that is not called on the spot, or kept by a function of this package.
/// Other callees (`insert(tx, row)`) are taken to finish with it when they return.
fn is_handed_out<'a>(
    analysis: &FileAnalysis<'a>,
    function: Node<'a>,
    transaction: &Transaction<'a>,
) -> Option<Reason> {
    let (scopes, id) = analysis.resolve(transaction.tx_node)?;
    let region = Region {
        node: function,
        kind: RegionKind::Function,
    };
    let traced = trace(
        analysis,
        &scopes,
        region,
        &[id],
        &Policy::HANDED_TO_HELPERS,
        None,
    );
    let escape = traced.escape?;
    Some(Reason::new(
        escape.code(),
        format!(
            "{}; the transaction may still be used after the function returns",
            escape.describe()
        ),
    ))
}

/// The transaction variable a Rollback defer acts on (`tx` in `defer tx.Rollback()`).
fn tx_of<'a>(defer: Node, text: &'a str) -> Option<&'a str> {
    descendants(defer, |_| false).into_iter().find_map(|node| {
        let (operand, field) = selector_call(node)?;
        (&text[field.byte_range()] == "Rollback").then(|| &text[operand.byte_range()])
    })
}
