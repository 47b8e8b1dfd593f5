//! missing-close: rows or a prepared statement from database/sql or sqlx (`Query`, `Prepare`
//! and their forms), or an HTTP response from net/http (`http.Get`, `client.Do`, …), that the
//! function never releases and hands to nothing that could.
//!
//! Fix: `defer rows.Close()` / `defer resp.Body.Close()` right after the error check of the call.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::blocks::Lexed;
use crate::analysis::callee::Callee;
use crate::analysis::escape::{Policy, Region, RegionKind, trace};
use crate::analysis::package::PackageContext;
use crate::analysis::scope::{BindingId, BindingKind, Scopes};
use crate::analysis::types::{Named, Package, Type};
use crate::fix::{Finding, Fix, FixState, Reason, ReasonCode};
use crate::syntax::checks::{ErrorCheck, error_check_after, single_value};
use crate::syntax::flow::{Exits, repeats_within};
use crate::syntax::names::expression_list;
use crate::syntax::statements::{clear_of_trailing_comments, insert_line_after};
use crate::syntax::{ancestors, selector_call};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "missing-close",
    summary: "rows, a prepared statement or an HTTP response body is never closed",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &[
        "Query",
        "QueryContext",
        "Queryx",
        "QueryxContext",
        "Prepare",
        "PrepareContext",
        "Preparex",
        "PreparexContext",
        "Get",
        "Head",
        "Post",
        "PostForm",
        "Do",
    ],
    requires: &[],
    severity: crate::transforms::Severity::Major,
    applies_to: imports_a_covered_package,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::UnknownReceiver,
        ReasonCode::EarlierClosure,
        ReasonCode::UnknownType,
        ReasonCode::CheckNotPlain,
        ReasonCode::InLoop,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

const SQL: &str = "database/sql";
const SQLX: &str = "github.com/jmoiron/sqlx";
const HTTP: &str = "net/http";

/// The methods of database/sql and sqlx values whose result holds a connection until closed.
const SQL_METHODS: &[&str] = &[
    "Query",
    "QueryContext",
    "Queryx",
    "QueryxContext",
    "Prepare",
    "PrepareContext",
    "Preparex",
    "PreparexContext",
];

/// The types of database/sql and sqlx with those methods.
const SQL_RECEIVERS: &[&str] = &["DB", "Tx", "Conn", "Stmt", "NamedStmt"];

/// The net/http functions (and `*http.Client` methods, with `Do`) that return a response.
const HTTP_FUNCTIONS: &[&str] = &["Get", "Head", "Post", "PostForm"];

/// Only a file importing one of the packages can be reported on, so no other file is parsed,
/// nor searched for the rule's keywords (asked of every file: no allocation here). The paths
/// are looked for in the import section only: a whole-file search cost three passes over every
/// file of a tree.
fn imports_a_covered_package(_: Option<crate::goversion::GoVersion>, text: &str) -> bool {
    let imports = crate::analysis::lexical::import_section(text);
    QUOTED_PATHS
        .iter()
        .any(|quoted| crate::text::contains(imports, quoted))
}

/// [`SQL`], [`SQLX`] and [`HTTP`] as import paths are written.
const QUOTED_PATHS: [&str; 3] = [
    "\"database/sql\"",
    "\"github.com/jmoiron/sqlx\"",
    "\"net/http\"",
];

/// What must be closed, and how.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    /// Rows: `x.Close()`.
    Rows,
    /// A prepared statement: `x.Close()`.
    Statement,
    /// A response: `x.Body.Close()`.
    Http,
}

impl Family {
    /// What `.Close()` is called on to release `value`.
    fn released(self, value: &str) -> String {
        match self {
            Family::Rows | Family::Statement => value.to_owned(),
            Family::Http => format!("{value}.Body"),
        }
    }

    fn release(self, value: &str) -> String {
        format!("{}.Close()", self.released(value))
    }
}

/// How well the source shows where the value comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A net/http function, or a method of a database/sql, sqlx or `*http.Client` value: a nil
    /// error means a value that must be released.
    Known,
    /// The value's type is the package's (`*sql.Rows`, `*http.Response`), but the receiver is
    /// something else (an interface, a wrapper).
    ResultTyped,
    /// A database/sql-like method name on a receiver of unknown type (neither a named type nor
    /// known results), in a file importing the package.
    Unknown,
}

/// Where the value lives: its function, and its binding with those derived from it.
struct Scope<'s, 'a> {
    function: Node<'a>,
    scopes: &'s Scopes<'a>,
    tracked: &'s [BindingId],
}

/// An acquiring statement `x, err := CALL`.
struct Acquired<'t> {
    statement: Node<'t>,
    call_text: &'t str,
    value: &'t str,
    value_node: Node<'t>,
    err: &'t str,
    family: Family,
    origin: Origin,
}

/// Without parsing: `x, err := ….Query(…)` (or another covered call; two names on the left, the
/// first not `_`) in a function that never names `x.Close` (`x.Body.Close` for the HTTP calls)
/// anywhere, literals included.
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    lexed
        .all_among(RULE.keywords)
        .filter(|&call| call >= 1 && lexed.is(call - 1, ".") && lexed.is(call + 1, "("))
        .any(|call| {
            // `x, err := …`: the rule takes two expressions on the left, the first not `_`.
            let Some(left) = lexed.assigned_side(call) else {
                return false;
            };
            let block = lexed.tokens[call].block;
            let commas = left.clone().filter(|&at| {
                lexed.is(at, ",") && lexed.tokens[at].block == block && lexed.tokens[at].depth == 0
            });
            let Some(value) = lexed.first_assigned(call) else {
                return false;
            };
            let name = lexed.text_of(value);
            if commas.count() != 1 || name == "_" || !lexed.may_be_single_call(left.end) {
                return false;
            }
            let http = !lexed.text_of(call).starts_with("Query")
                && !lexed.text_of(call).starts_with("Prepare");
            let body = lexed.body(lexed.function_of(call));
            !body.into_iter().any(|index| {
                let closes = |at: usize| lexed.is(at, ".") && lexed.is(at + 1, "Close");
                lexed.text_of(index) == name
                    && (index == 0 || !lexed.is(index - 1, "."))
                    && if http {
                        // `x.Body` as one piece of text, as the rule compares it.
                        lexed.is(index + 1, ".")
                            && lexed.is(index + 2, "Body")
                            && lexed.tokens[index].end == lexed.tokens[index + 1].start
                            && lexed.tokens[index + 1].end == lexed.tokens[index + 2].start
                            && closes(index + 3)
                    } else {
                        closes(index + 1)
                    }
            })
        })
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    let exits = Exits::with_imports(&analysis.imports);
    let mut closed = ClosedValues::default();
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|statement| acquired(analysis, statement, &mut closed))
        .filter_map(|acquired| finding(analysis, &acquired, &exits))
        .collect()
}

fn acquired<'a>(
    analysis: &FileAnalysis<'a>,
    statement: Node<'a>,
    closed: &mut ClosedValues,
) -> Option<Acquired<'a>> {
    let text = analysis.text();
    let call = single_value(statement).filter(|value| value.kind() == "call_expression")?;
    let (operand, method) = selector_call(call)?;
    let left = expression_list(statement.child_by_field_name("left")?);
    let [value_node, err_node] = left.as_slice() else {
        return None;
    };
    let value = analysis.text_of(*value_node);
    if value == "_" || value_node.kind() != "identifier" || err_node.kind() != "identifier" {
        return None;
    }
    // The syntactic rejections first: the type questions below build the function's scopes.
    // In an `if` or `switch` initializer the value lives only in that statement, whose
    // condition decides what the branches do with it (often: fail when there was no error).
    let method = analysis.text_of(method);
    let family = family_of(method)?;
    let function = analysis.enclosing_function(statement)?;
    if statement.parent()?.kind() != "statement_list"
        || closed
            .in_function(function, text)
            .contains(&family.released(value))
    {
        return None;
    }
    let origin = origin(analysis, operand, *value_node, method, family)?;
    let imported = |paths: &[&str]| paths.iter().any(|p| analysis.imports.name_of(p).is_some());
    let imports_family = match family {
        Family::Rows | Family::Statement => imported(&[SQL, SQLX]),
        Family::Http => imported(&[HTTP]),
    };
    if !imports_family {
        return None;
    }
    Some(Acquired {
        statement,
        call_text: &text[call.byte_range()],
        value,
        value_node: *value_node,
        err: analysis.text_of(*err_node),
        family,
        origin,
    })
}

/// What a covered method's result is, whichever package it turns out to be from: the SQL and
/// HTTP names do not overlap, so [`origin`] gives the same family or none.
fn family_of(method: &str) -> Option<Family> {
    if SQL_METHODS.contains(&method) {
        Some(if method.starts_with("Prepare") {
            Family::Statement
        } else {
            Family::Rows
        })
    } else if HTTP_FUNCTIONS.contains(&method) || method == "Do" {
        Some(Family::Http)
    } else {
        None
    }
}

/// How sure the source is that the call is a covered one of `family` (see [`family_of`]);
/// `None` when nothing says it is one of them (`cache.Get(key)`, `once.Do(f)`).
fn origin<'a>(
    analysis: &FileAnalysis<'a>,
    operand: Node<'a>,
    value: Node<'a>,
    method: &str,
    family: Family,
) -> Option<Origin> {
    let is_http_method = family == Family::Http;
    let is_sql_method = !is_http_method;
    if let Some(path) = analysis.package_ref(operand) {
        return (path == HTTP && HTTP_FUNCTIONS.contains(&method)).then_some(Origin::Known);
    }
    if is_http_method && is_default_client(analysis, operand) {
        return Some(Origin::Known);
    }
    let receiver = analysis.type_of(operand);
    if let Some(named) = receiver.as_named() {
        if is_sql_method && in_package(named, &[SQL, SQLX], SQL_RECEIVERS) {
            return Some(Origin::Known);
        }
        if is_http_method && in_package(named, &[HTTP], &["Client"]) {
            return Some(Origin::Known);
        }
    }
    let result = analysis.type_of(value);
    if let Some(named) = result.as_named() {
        if is_sql_method && in_package(named, &[SQL, SQLX], &["Rows", "Stmt"]) {
            return Some(Origin::ResultTyped);
        }
        if is_http_method && in_package(named, &[HTTP], &["Response"]) {
            return Some(Origin::ResultTyped);
        }
    }
    // A type deferfix knows that is not one of these packages' (pgx rows, a driver's statement,
    // a wrapper's own result) is another API, whatever its method is called.
    let untyped = receiver.as_named().is_none() && result == Type::Unknown;
    (is_sql_method && untyped).then_some(Origin::Unknown)
}

/// `http.DefaultClient`, a package variable the model (functions and types only) cannot type.
fn is_default_client<'a>(analysis: &FileAnalysis<'a>, operand: Node<'a>) -> bool {
    operand.kind() == "selector_expression"
        && operand
            .child_by_field_name("field")
            .is_some_and(|field| analysis.text_of(field) == "DefaultClient")
        && operand
            .child_by_field_name("operand")
            .is_some_and(|package| analysis.package_ref(package) == Some(HTTP))
}

fn in_package(named: &Named, paths: &[&str], names: &[&str]) -> bool {
    matches!(&named.package, Package::Path(path) if paths.contains(&path.as_str()))
        && names.contains(&named.name.as_str())
}

fn finding<'a>(
    analysis: &FileAnalysis<'a>,
    acquired: &Acquired<'a>,
    exits: &Exits,
) -> Option<Finding> {
    let statement = acquired.statement;
    let function = analysis.enclosing_function(statement)?;
    let (scopes, id) = analysis.resolve(acquired.value_node)?;
    let binding = scopes.binding(id);
    // A named result, a parameter, or a variable of an enclosing function is handed on.
    if binding.kind != BindingKind::Local || binding.function.id() != function.id() {
        return None;
    }
    let tracked = kept_locally(analysis, &scopes, id, function)?;
    let Acquired { value, family, .. } = *acquired;
    let call = shown(acquired.call_text);
    let message = match family {
        Family::Rows => format!(
            "{value} from {call} is never closed: until it is, it holds a pooled connection, and a return or break before the rows are exhausted leaks it; defer {value}.Close() after the error check"
        ),
        Family::Statement => format!(
            "{value} from {call} is never closed: the prepared statement stays open on every connection it was prepared on; defer {value}.Close() after the error check"
        ),
        Family::Http => format!(
            "the body of {value} from {call} is never closed: its connection cannot go back to the pool; defer {value}.Body.Close() after the error check"
        ),
    };
    let scope = Scope {
        function,
        scopes: &scopes,
        tracked: &tracked,
    };
    let fix = inserted_close(analysis, acquired, &scope, exits);
    Some(Finding {
        rule: RULE.id,
        span: statement.byte_range(),
        message,
        fix: fix.into(),
    })
}

/// For each function asked about, what it releases anywhere (nested literals included), by any
/// value of that name: the operands of `….Close` called, deferred or passed as a method value
/// (`rows`, `resp.Body`). Read once per function: a file asks for each covered call in it.
#[derive(Default)]
struct ClosedValues {
    by_function: HashMap<usize, HashSet<String>>,
}

impl ClosedValues {
    fn in_function(&mut self, function: Node, text: &str) -> &HashSet<String> {
        self.by_function
            .entry(function.id())
            .or_insert_with(|| closed_in(function, text))
    }
}

/// The operands of the selectors `….Close` in `function`, found from the places its text spells
/// `Close` rather than by a walk over all of its nodes: each must be a whole field name. An
/// operand split over lines (`resp.\n\t\tBody.\n\t\tClose()`) is read without its spaces.
fn closed_in(function: Node, text: &str) -> HashSet<String> {
    const CLOSE: &str = "Close";
    let range = function.byte_range();
    memchr::memmem::find_iter(&text.as_bytes()[range.clone()], CLOSE)
        .filter_map(|at| {
            let start = range.start + at;
            let field = function.descendant_for_byte_range(start, start + CLOSE.len())?;
            if field.byte_range() != (start..start + CLOSE.len()) {
                return None;
            }
            let selector = field.parent()?;
            let is_field = selector.kind() == "selector_expression"
                && selector
                    .child_by_field_name("field")
                    .is_some_and(|named| named.id() == field.id());
            let operand = selector
                .child_by_field_name("operand")
                .filter(|_| is_field)?;
            Some(text[operand.byte_range()].split_whitespace().collect())
        })
        .collect()
}

/// The value's binding and those derived from it, unless the value may be released by other
/// code: returned, stored outside the function, sent, used by a goroutine, passed to a function
/// that may keep it, or passed (itself or its `Body`) to a function of this package or a
/// literal, which may close it. Modelled standard-library calls (`io.ReadAll(resp.Body)`,
/// `json.NewDecoder`) only read it.
fn kept_locally<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Scopes<'a>,
    id: BindingId,
    function: Node<'a>,
) -> Option<Vec<BindingId>> {
    let region = Region {
        node: function,
        kind: RegionKind::Function,
    };
    let traced = trace(analysis, scopes, region, &[id], &Policy::RESOURCE, None);
    if traced.escape.is_some() {
        return None;
    }
    let passed_on = traced.tracked.iter().any(|tracked| {
        scopes
            .reads(*tracked)
            .iter()
            .any(|read| passed_to_package_code(analysis, *read))
    });
    (!passed_on).then_some(traced.tracked)
}

/// A read of the value in a defer or function literal made before `before` (the end of the
/// error check): it may run after the new deferred close, and see the value closed.
fn earlier_closure_read<'a>(
    scopes: &Scopes<'a>,
    tracked: &[BindingId],
    function: Node<'a>,
    before: usize,
) -> Option<Node<'a>> {
    tracked.iter().find_map(|binding| {
        scopes.reads(*binding).iter().copied().find(|read| {
            read.start_byte() < before
                && ancestors(*read)
                    .take_while(|node| node.id() != function.id())
                    .any(|node| matches!(node.kind(), "func_literal" | "defer_statement"))
        })
    })
}

/// Whether a read (`x`, `x.Body`, `&x`) is an argument of a call to a function of this package,
/// a function literal, or something unknown.
fn passed_to_package_code<'a>(analysis: &FileAnalysis<'a>, read: Node<'a>) -> bool {
    let mut expression = read;
    while let Some(parent) = expression.parent() {
        match parent.kind() {
            "parenthesized_expression" | "unary_expression" => expression = parent,
            "selector_expression"
                if parent
                    .child_by_field_name("operand")
                    .is_some_and(|operand| operand.id() == expression.id())
                    && crate::syntax::call_of(parent).is_none() =>
            {
                expression = parent
            }
            "argument_list" => {
                let Some(call) = parent.parent() else {
                    return false;
                };
                return !matches!(
                    analysis.call(call).callee,
                    Callee::Model(_)
                        | Callee::Builtin(_)
                        | Callee::Reporter
                        | Callee::Conversion(_)
                );
            }
            _ => return false,
        }
    }
    false
}

/// The fix inserting the deferred release after the error check.
fn inserted_close<'a>(
    analysis: &FileAnalysis<'a>,
    acquired: &Acquired<'a>,
    scope: &Scope<'_, 'a>,
    exits: &Exits,
) -> Result<FixState, Reason> {
    let function = scope.function;
    let text = analysis.text();
    let Acquired {
        statement,
        value,
        err,
        family,
        origin,
        ..
    } = *acquired;
    let release = family.release(value);
    if origin == Origin::Unknown {
        return Err(Reason::new(
            ReasonCode::UnknownType,
            format!(
                "nothing shows that `{value}` ({}) is database/sql or sqlx rows or a statement with a Close method: the receiver's type is not known",
                analysis.location(statement)
            ),
        ));
    }
    let anchor = leaving_check(analysis, acquired, exits)?;
    if let Some(place) = repeats_within(statement, function, analysis.text()) {
        return Err(Reason::new(
            ReasonCode::InLoop,
            format!(
                "`{value}` is acquired in {place} ({}): a defer there would hold every one until the function returns; close it at the end of each iteration",
                analysis.location(statement)
            ),
        ));
    }
    let layout = || {
        Reason::new(
            ReasonCode::Layout,
            format!(
                "a trailing comment or other code next to the error check of `{err}` ({}) would need realigning",
                analysis.location(anchor)
            ),
        )
    };
    if !clear_of_trailing_comments(text, &[anchor.end_byte()]) {
        return Err(layout());
    }
    let edit = insert_line_after(text, anchor, &format!("defer {release}")).ok_or_else(layout)?;
    let earlier = earlier_closure_read(scope.scopes, scope.tracked, function, anchor.end_byte());
    let held_back = match earlier {
        Some(read) => Some(Reason::new(
            ReasonCode::EarlierClosure,
            format!(
                "a defer or function literal made before the new defer reads `{}` ({}) and may run after it, on a closed value",
                analysis.text_of(read),
                analysis.location(read)
            ),
        )),
        None => (origin == Origin::ResultTyped).then(|| {
            Reason::new(
                ReasonCode::UnknownReceiver,
                format!(
                    "`{value}` ({}) comes from a method of a value not known to be database/sql, sqlx or an *http.Client, which may return a nil error without a value to close",
                    analysis.location(statement)
                ),
            )
        }),
    };
    Ok(FixState::offered(
        Fix::new(
            format!("defer {release} right after the error check"),
            vec![edit],
        ),
        held_back,
    ))
}

/// The `if err != nil { … }` after the statement that always leaves: after it, the value is
/// valid.
fn leaving_check<'a>(
    analysis: &FileAnalysis<'a>,
    acquired: &Acquired<'a>,
    exits: &Exits,
) -> Result<Node<'a>, Reason> {
    let Acquired {
        statement,
        value,
        err,
        ..
    } = *acquired;
    let at = analysis.location(statement);
    let not_plain = |why: &str| {
        Reason::new(
            ReasonCode::CheckNotPlain,
            format!(
                "{why}: no place is known where `{value}` ({at}) is valid, and a deferred call on a nil value panics"
            ),
        )
    };
    if err == "_" {
        return Err(not_plain("the error is discarded"));
    }
    let none = |_: Node| false;
    match error_check_after(statement, err, analysis.text(), exits, &none) {
        Some(ErrorCheck::Leaving(check)) => Ok(check),
        Some(ErrorCheck::Other(check)) => Err(not_plain(&format!(
            "the check of `{err}` ({}) does not only test `{err} != nil` and always leave",
            analysis.location(check)
        ))),
        None => Err(not_plain(&format!(
            "no `if {err} != nil` check follows the call"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_paths_are_the_covered_packages() {
        let quoted: Vec<String> = [SQL, SQLX, HTTP]
            .iter()
            .map(|path| format!("\"{path}\""))
            .collect();
        assert_eq!(quoted, QUOTED_PATHS);
    }

    /// What a walk over every node of the function finds: the operands of selectors whose
    /// field is `Close`.
    fn closed_by_walk(function: Node, text: &str) -> HashSet<String> {
        crate::syntax::descendants(function, |_| false)
            .into_iter()
            .filter(|node| node.kind() == "selector_expression")
            .filter(|node| {
                node.child_by_field_name("field")
                    .is_some_and(|field| &text[field.byte_range()] == "Close")
            })
            .filter_map(|node| node.child_by_field_name("operand"))
            .map(|operand| text[operand.byte_range()].split_whitespace().collect())
            .collect()
    }

    #[test]
    fn closed_values_are_found_from_the_text_as_by_a_walk() {
        let mut texts = vec![
            concat!(
                "package p\n\nfunc f() {\n\trows.Close()\n\tdefer resp.Body.Close()\n",
                "\tx.Closer()\n\ty.CloseIdle()\n\tClose()\n\t_ = \"z.Close\"\n\t// w.Close()\n",
                "\tg := v.\n\t\tClose\n\tgo func() { (a).Close() }()\n\tb[0].Close()\n",
                "\tc.Close.x()\n\ttype T struct{ Close int }\n\t_ = T{Close: 1}\n}\n"
            )
            .to_owned(),
        ];
        texts.extend(crate::syntax::fixture_texts());
        let mut parser = crate::syntax::new_parser();
        let mut closed = 0;
        for text in &texts {
            let tree = crate::syntax::parse(&mut parser, text);
            let functions = crate::syntax::descendants(tree.root_node(), |_| false)
                .into_iter()
                .filter(|node| crate::syntax::is_function(*node));
            for function in functions {
                let expected = closed_by_walk(function, text);
                closed += expected.len();
                assert_eq!(closed_in(function, text), expected, "{text}");
            }
        }
        assert!(closed > 100, "{closed} closed values");
    }
}
