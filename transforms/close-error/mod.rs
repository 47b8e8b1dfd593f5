//! close-error: `defer f.Close()` on a file opened for writing, in a function that returns an
//! error: the error `Close` reports (where many file systems report a failed write) is dropped.
//!
//! Fix: defer a function literal that hands the Close error to the function's error result when
//! nothing else failed, naming the results when they are unnamed.

use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use std::rc::Rc;

use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::escape::{Policy, Region, RegionKind, UnknownCallee, trace};
use crate::analysis::scope::{BindingId, BindingKind, Scopes, Source};
use crate::analysis::types::{Named, Package, Type};
use crate::fix::{Edit, Finding, Fix, FixState, Reason, ReasonCode};
use crate::syntax::checks::single_value;
use crate::syntax::indent::{indentation_at, line_number, starts_line};
use crate::syntax::names::{Declaration, contains, expression_list, fresh_name, used_names};
use crate::syntax::{ancestors, descendants, is_function, parameter_declarations, selector_call};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "close-error",
    summary: "a file opened for writing is closed by a plain defer, which drops the error Close reports",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    // As written in the files it looks at (`OpenFile` counts only with a writing flag, which the
    // check decides).
    keywords: &["os.Create", "os.OpenFile"],
    requires: &["defer"],
    severity: crate::transforms::Severity::Major,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::NoErrorName,
        ReasonCode::ResultShadowed,
        ReasonCode::Escapes,
        ReasonCode::OuterReceiver,
        ReasonCode::ClosedByCallee,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// The `os.OpenFile` flags that open a file for writing (`O_CREATE` alone creates it, which a
/// write error can also leave incomplete).
const WRITE_FLAGS: &[&str] = &["O_WRONLY", "O_RDWR", "O_APPEND", "O_CREATE"];

/// Methods of `*os.File` that do not write to it: a file used only through these (and closed)
/// has no write whose error Close could report.
const NON_WRITING_METHODS: &[&str] = &[
    "Close",
    "Name",
    "Fd",
    "Stat",
    "Read",
    "ReadAt",
    "ReadDir",
    "Readdir",
    "Readdirnames",
    "Seek",
    "Chdir",
    "Chmod",
    "Chown",
    "SetDeadline",
    "SetReadDeadline",
    "SetWriteDeadline",
    "SyscallConn",
];

/// How the file is traced: only other code closing it matters. Calls it is given to are judged
/// by [`handed_out`] (only the standard library is known to leave a writer open), so an unknown
/// callee is no escape here; a function literal capturing the file is followed like a derived
/// value, its reads of the file being the file's reads.
const CLOSE_POLICY: Policy<'static> = Policy {
    unknown_callee: UnknownCallee::Finishes,
    strings_reference: false,
    return_escapes: true,
    background_methods: &[],
    closures_escape: false,
};

/// Names tried, in order, for an unnamed error result.
const NAME_CANDIDATES: &[&str] = &["err", "retErr"];

/// A file opened for writing, and the variable holding it.
struct Opened<'t> {
    statement: Node<'t>,
    file: &'t str,
    id: BindingId,
    scopes: Rc<Scopes<'t>>,
    function: Node<'t>,
    body: Node<'t>,
}

/// How the function declares its last result, of type `error`.
enum ErrorResult<'t> {
    /// `func f() error`: the result node is the type itself.
    Bare(Node<'t>),
    /// `func f() (T, error)`: every parameter declaration of the list is a type alone.
    Unnamed(Vec<Node<'t>>),
    /// `func f() (n int, err error)`: the name of the last result (maybe `_`).
    Named(Node<'t>),
}

/// Without parsing: `defer f.Close()` after `f, err := os.Create(`/`os.OpenFile(` (with a writing
/// flag) in its function (any `defer` naming `Close` when the opened name is not plain), in a
/// function whose signature names `error`, and no other `f.Close(` that surely closes the same
/// file ([`surely_closed_elsewhere`]).
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    // The keywords (`os.Create`) already pass over an aliased `os`; the names are read for the
    // test to say what it means.
    let os_names: Vec<&str> = lexed
        .imports()
        .iter()
        .filter(|(_, path)| path == "os")
        .map(|(name, _)| name.as_str())
        .collect();
    let opens: Vec<usize> = ["Create", "OpenFile"]
        .iter()
        .flat_map(|word| lexed.all(word))
        .filter(|&open| open >= 2 && lexed.is(open - 1, ".") && lexed.is(open + 1, "("))
        .filter(|&open| os_names.iter().any(|name| lexed.is(open - 2, name)))
        .filter(|&open| lexed.is(open, "Create") || may_open_for_writing(lexed, open))
        .collect();
    lexed.defers().iter().copied().any(|defer| {
        let function = lexed.function_of(defer);
        // The rule needs a function whose last result is `error`.
        let signature = lexed.blocks[function]
            .func_keyword
            .map_or(0..0, |keyword| keyword..lexed.blocks[function].open);
        lexed.contains(signature, "error")
            && opens
                .iter()
                .filter(|&&open| open < defer && lexed.function_of(open) == function)
                .any(|&open| match lexed.first_assigned(open) {
                    Some(file) => {
                        lexed.is(defer + 1, lexed.text_of(file))
                            && lexed.is(defer + 2, ".")
                            && lexed.is(defer + 3, "Close")
                            && !surely_closed_elsewhere(lexed, open, file, defer)
                    }
                    None => lexed.contains(lexed.statement(defer), "Close"),
                })
    })
}

/// Whether the file variable at token `file`, declared by the statement of the open at token
/// `open`, is surely closed by a call other than the deferred one at `defer`, so that the check
/// finds nothing for them ([`closed_elsewhere`], or two deferred closes): a `file.Close(` after
/// the open, in the open's block or one inside it, outside the defer, where nothing else in the
/// function can declare or assign the name (so each `file` there is the opened variable).
fn surely_closed_elsewhere(lexed: &Lexed, open: usize, file: usize, defer: usize) -> bool {
    let name = lexed.text_of(file);
    let start = lexed.statement_start(open);
    let statement = lexed.statement(start);
    let block = lexed.tokens[start].block;
    let function = lexed.function_of(open);
    if !lexed.block_is_scope_of(start)
        || lexed.may_redeclare(function, name, statement.clone())
        || in_a_signature(lexed, lexed.body(function), name)
    {
        return false;
    }
    let deferred = lexed.statement(defer);
    lexed
        .all_in(name, statement.end..lexed.blocks[block].close)
        .filter(|at| !deferred.contains(at))
        .any(|at| {
            !lexed.is(at - 1, ".")
                && lexed.is(at + 1, ".")
                && lexed.is(at + 2, "Close")
                && lexed.is(at + 3, "(")
                && lexed.encloses(block, lexed.tokens[at].block)
        })
}

/// Whether `name` is spelled between a `func` keyword among the tokens `range` and the next
/// `{` that does not open a `struct` or `interface` type: a parameter or result of a function
/// literal (or a function type), which [`Lexed::may_redeclare`] does not see in every form
/// (`func(f, g *os.File)`, `func(f (*os.File))`, `func(_ struct{}, f *os.File)`).
fn in_a_signature(lexed: &Lexed, range: std::ops::Range<usize>, name: &str) -> bool {
    let opens_a_body = |at: usize| {
        lexed.is(at, "{") && !(lexed.is(at - 1, "struct") || lexed.is(at - 1, "interface"))
    };
    lexed.all_in("func", range.clone()).any(|keyword| {
        (keyword + 1..range.end)
            .take_while(|&at| !opens_a_body(at))
            .any(|at| lexed.is(at, name))
    })
}

/// Whether the statement of the `OpenFile` at token `open` names one of [`WRITE_FLAGS`] after
/// a `.` (`os.O_WRONLY`): [`opens_for_writing`] reads its flags argument.
fn may_open_for_writing(lexed: &Lexed, open: usize) -> bool {
    (open..lexed.statement_end(open)).any(|index| {
        lexed.is(index, ".") && WRITE_FLAGS.iter().any(|flag| lexed.is(index + 1, flag))
    })
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|statement| opened(analysis, statement))
        .filter_map(|opened| finding(analysis, &opened))
        .collect()
}

/// `f, err := os.Create(…)` or `os.OpenFile(…)` with a writing flag, into a variable of this
/// function that nothing else writes.
fn opened<'a>(analysis: &FileAnalysis<'a>, statement: Node<'a>) -> Option<Opened<'a>> {
    let text = analysis.text();
    let call = single_value(statement).filter(|value| value.kind() == "call_expression")?;
    let (operand, field) = selector_call(call)?;
    if operand.kind() != "identifier" || analysis.package_ref(operand) != Some("os") {
        return None;
    }
    match &text[field.byte_range()] {
        "Create" => {}
        "OpenFile" => {
            let arguments = call.child_by_field_name("arguments")?;
            let mut cursor = arguments.walk();
            let flags = arguments
                .named_children(&mut cursor)
                .filter(|argument| argument.kind() != "comment")
                .nth(1)?;
            if !opens_for_writing(analysis, flags) {
                return None;
            }
        }
        _ => return None,
    }
    let left = expression_list(statement.child_by_field_name("left")?);
    let [file_ident, _] = left.as_slice() else {
        return None;
    };
    let file = &text[file_ident.byte_range()];
    if file_ident.kind() != "identifier" || file == "_" {
        return None;
    }
    let (scopes, id) = analysis.resolve(*file_ident)?;
    let function = analysis.enclosing_function(statement)?;
    let body = function.child_by_field_name("body")?;
    let binding = scopes.binding(id);
    let declared_here = binding.ident.id() == file_ident.id();
    // `var f *os.File` and then `f, err = os.Create(…)`.
    let declared_bare = binding.kind == BindingKind::Local
        && matches!(binding.source, Source::Declared)
        && binding.declaration.kind() == "var_spec";
    // Written again, `f` may be another file when the deferred function literal reads it.
    let written_elsewhere = scopes
        .writes(id)
        .iter()
        .any(|write| write.statement.id() != statement.id());
    if !(declared_here || declared_bare)
        || binding.function.id() != function.id()
        || written_elsewhere
        || scopes.address_taken(id)
    {
        return None;
    }
    Some(Opened {
        statement,
        file,
        id,
        scopes,
        function,
        body,
    })
}

/// Whether the flags expression names one of `os`'s writing flags.
fn opens_for_writing<'a>(analysis: &FileAnalysis<'a>, flags: Node<'a>) -> bool {
    let text = analysis.text();
    std::iter::once(flags)
        .chain(descendants(flags, |_| false))
        .any(|node| {
            node.kind() == "selector_expression"
                && node
                    .child_by_field_name("field")
                    .is_some_and(|field| WRITE_FLAGS.contains(&&text[field.byte_range()]))
                && node
                    .child_by_field_name("operand")
                    .is_some_and(|operand| analysis.package_ref(operand) == Some("os"))
        })
}

fn finding<'a>(analysis: &FileAnalysis<'a>, opened: &Opened<'a>) -> Option<Finding> {
    let text = analysis.text();
    let defer = deferred_close(opened, text)?;
    // In a loop the defer is defer-in-loop's finding; a deferred literal there would also hold
    // every file until the function returns.
    let in_loop = ancestors(defer)
        .take_while(|node| node.id() != opened.function.id())
        .any(|node| node.kind() == "for_statement");
    if in_loop || closed_elsewhere(opened, defer, text) || !is_written(opened, defer, text) {
        return None;
    }
    let result = error_result(analysis, opened.function)?;
    let file = opened.file;
    let line = line_number(text, opened.statement.start_byte());
    let message = format!(
        "defer {file}.Close() drops the error Close returns: {file} is opened for writing (line {line}), and a write error reported only at Close is lost while the function reports success"
    );
    Some(Finding {
        rule: RULE.id,
        span: defer.byte_range(),
        message,
        fix: fix(analysis, opened, defer, &result),
    })
}

/// The one `defer f.Close()` of the function (not of a literal inside it), after the open.
fn deferred_close<'a>(opened: &Opened<'a>, text: &str) -> Option<Node<'a>> {
    let defers: Vec<Node> = descendants(opened.function, is_function)
        .into_iter()
        .filter(|node| node.kind() == "defer_statement")
        .filter(|defer| {
            defer
                .named_child(0)
                .is_some_and(|call| closes(opened, call, text))
        })
        .collect();
    match defers.as_slice() {
        [defer] if defer.start_byte() > opened.statement.end_byte() => Some(*defer),
        _ => None,
    }
}

/// Whether `call` is `f.Close()` on the opened file's variable.
fn closes(opened: &Opened, call: Node, text: &str) -> bool {
    selector_call(call).is_some_and(|(operand, field)| {
        &text[field.byte_range()] == "Close"
            && operand.kind() == "identifier"
            && opened.scopes.resolve(operand) == Some(opened.id)
    })
}

/// Whether the function also calls `f.Close()` itself (anywhere, literals included): the defer
/// is then a safety net whose "file already closed" error must stay dropped.
fn closed_elsewhere(opened: &Opened, defer: Node, text: &str) -> bool {
    descendants(opened.function, |_| false)
        .into_iter()
        .any(|node| !contains(defer, node) && closes(opened, node, text))
}

/// Whether the file is written in the function: used other than by a method that does not
/// write, or a comparison with nil (passed on, assigned, or a writing method called).
fn is_written(opened: &Opened, defer: Node, text: &str) -> bool {
    opened
        .scopes
        .reads(opened.id)
        .iter()
        .filter(|read| !contains(defer, **read))
        .any(|read| !is_non_writing_use(*read, text))
}

/// Whether a read of the file is a call of a method that does not write, or a nil comparison.
fn is_non_writing_use(read: Node, text: &str) -> bool {
    let Some(parent) = read.parent() else {
        return false;
    };
    match parent.kind() {
        "selector_expression" => {
            parent
                .child_by_field_name("field")
                .is_some_and(|field| NON_WRITING_METHODS.contains(&&text[field.byte_range()]))
                && parent.parent().is_some_and(|call| {
                    call.kind() == "call_expression"
                        && call
                            .child_by_field_name("function")
                            .is_some_and(|function| function.id() == parent.id())
                })
        }
        "binary_expression" => {
            let other = [
                parent.child_by_field_name("left"),
                parent.child_by_field_name("right"),
            ]
            .into_iter()
            .flatten()
            .find(|side| side.id() != read.id());
            other.is_some_and(|side| &text[side.byte_range()] == "nil")
        }
        _ => false,
    }
}

/// The function's last result, when its type is the predeclared `error`.
fn error_result<'a>(analysis: &FileAnalysis<'a>, function: Node<'a>) -> Option<ErrorResult<'a>> {
    let text = analysis.text();
    let is_error =
        |node: Node| node.kind() == "type_identifier" && &text[node.byte_range()] == "error";
    // A package that declares its own `error` type means something else by it.
    if analysis.declares_at_package_level("error") {
        return None;
    }
    let result = function.child_by_field_name("result")?;
    if result.kind() != "parameter_list" {
        return is_error(result).then_some(ErrorResult::Bare(result));
    }
    let declarations = parameter_declarations(result);
    let last = declarations.last()?;
    if !last.child_by_field_name("type").is_some_and(is_error) {
        return None;
    }
    let mut cursor = last.walk();
    let last_name = last.children_by_field_name("name", &mut cursor).last();
    match last_name {
        Some(name) => Some(ErrorResult::Named(name)),
        None => Some(ErrorResult::Unnamed(declarations)),
    }
}

/// The fix: name the error result if needed, and defer a literal that reports Close's error.
fn fix<'a>(
    analysis: &FileAnalysis<'a>,
    opened: &Opened<'a>,
    defer: Node<'a>,
    result: &ErrorResult<'a>,
) -> FixState {
    let text = analysis.text();
    if !starts_line(text, defer.start_byte()) {
        return FixState::NoFix(Reason::new(
            ReasonCode::Layout,
            format!(
                "the defer on line {} shares its line with other code",
                line_number(text, defer.start_byte())
            ),
        ));
    }
    let (name, mut edits) = match result_name(analysis, opened, defer, result) {
        Ok(named) => named,
        Err(reason) => return FixState::NoFix(reason),
    };
    let mut taken = used_names(opened.function, text);
    taken.insert(name.clone());
    let cerr = fresh_name("cerr", &mut taken);
    let indent = indentation_at(text, defer.start_byte());
    let file = opened.file;
    edits.push(Edit::replace(
        defer.byte_range(),
        format!(
            "defer func() {{\n{indent}\tif {cerr} := {file}.Close(); {cerr} != nil && {name} == nil {{\n{indent}\t\t{name} = {cerr}\n{indent}\t}}\n{indent}}}()"
        ),
    ));
    FixState::offered(
        Fix::new(
            format!("return the error of {file}.Close() through `{name}` when nothing else failed"),
            edits,
        ),
        handed_out(analysis, opened, defer),
    )
}

/// The name of the error result, and the edits that give it one when it has none.
fn result_name<'a>(
    analysis: &FileAnalysis<'a>,
    opened: &Opened<'a>,
    defer: Node<'a>,
    result: &ErrorResult<'a>,
) -> Result<(String, Vec<Edit>), Reason> {
    let text = analysis.text();
    match result {
        ErrorResult::Named(name) if &text[name.byte_range()] == "_" => {
            // Bare returns hand back the blank result's zero value: a name nothing in the body
            // mentions keeps it so.
            let mut taken = used_names(opened.function, text);
            let fresh = NAME_CANDIDATES
                .iter()
                .find(|candidate| {
                    !taken.contains(**candidate) && !analysis.imports.has_name(candidate)
                })
                .ok_or_else(|| {
                    Reason::new(
                        ReasonCode::NoErrorName,
                        format!(
                            "the error result is named `_`, and the function already uses {}",
                            quoted_candidates()
                        ),
                    )
                })?;
            taken.insert((*fresh).to_owned());
            Ok((
                (*fresh).to_owned(),
                vec![Edit::replace(name.byte_range(), *fresh)],
            ))
        }
        ErrorResult::Named(name) => {
            let name_text = &text[name.byte_range()];
            let seen = opened.scopes.lookup(name_text, defer.start_byte());
            if seen.is_some_and(|id| opened.scopes.binding(id).ident.id() == name.id()) {
                return Ok((name_text.to_owned(), Vec::new()));
            }
            let line = seen.map_or(0, |id| {
                line_number(text, opened.scopes.binding(id).ident.start_byte())
            });
            Err(Reason::new(
                ReasonCode::ResultShadowed,
                format!(
                    "the error result `{name_text}` is shadowed at the defer (line {}) by the `{name_text}` declared on line {line}",
                    line_number(text, defer.start_byte())
                ),
            ))
        }
        ErrorResult::Bare(_) | ErrorResult::Unnamed(_) => {
            let mut refusals = Vec::new();
            for candidate in NAME_CANDIDATES {
                match usable_name(analysis, opened, defer, candidate) {
                    Ok(()) => {
                        return Ok(((*candidate).to_owned(), naming_edits(result, candidate)));
                    }
                    Err(why) => refusals.push(why),
                }
            }
            Err(Reason::new(
                ReasonCode::NoErrorName,
                format!(
                    "the error result is unnamed, and no name keeps the body compiling and meaning the same: {}",
                    refusals.join("; ")
                ),
            ))
        }
    }
}

fn quoted_candidates() -> String {
    NAME_CANDIDATES
        .iter()
        .map(|candidate| format!("`{candidate}`"))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// The edits naming unnamed results: `(name error)`, `(_ T, name error)`.
fn naming_edits(result: &ErrorResult, name: &str) -> Vec<Edit> {
    match result {
        ErrorResult::Bare(node) => {
            vec![Edit::replace(node.byte_range(), format!("({name} error)"))]
        }
        ErrorResult::Unnamed(declarations) => {
            let last = declarations.len().saturating_sub(1);
            declarations
                .iter()
                .enumerate()
                .map(|(index, declaration)| {
                    let given = if index == last { name } else { "_" };
                    Edit::insert(declaration.start_byte(), format!("{given} "))
                })
                .collect()
        }
        ErrorResult::Named(_) => Vec::new(),
    }
}

/// Whether `name` can name the unnamed error result: every use of it in the function names a
/// variable of the function, the defer sees no inner one, and a variable of that name at the top
/// of the body (which would become the result) is an `error` declared by a `:=` with another new
/// variable, read by no function literal and never addressed. With unnamed results every return
/// lists its values, so inner variables of that name (which shadow the result) change nothing.
fn usable_name<'a>(
    analysis: &FileAnalysis<'a>,
    opened: &Opened<'a>,
    defer: Node<'a>,
    name: &str,
) -> Result<(), String> {
    let text = analysis.text();
    let scopes = &opened.scopes;
    if analysis.imports.has_name(name) {
        return Err(format!("`{name}` names an imported package"));
    }
    let line_of = |node: Node| line_number(text, node.start_byte());
    let nodes = descendants(opened.function, |_| false);
    // A type of that name declared in the function would clash with the result in the body's
    // block; one in an inner block would hide the result's type `error` no more than now.
    if let Some(declared) = nodes.iter().find(|node| {
        matches!(node.kind(), "type_spec" | "type_alias")
            && node
                .child_by_field_name("name")
                .is_some_and(|type_name| &text[type_name.byte_range()] == name)
    }) {
        return Err(format!(
            "`{name}` is declared as a type on line {}",
            line_of(*declared)
        ));
    }
    let uses = nodes
        .into_iter()
        .filter(|node| node.kind() == "identifier" && &text[node.byte_range()] == name);
    for ident in uses {
        let Some(id) = scopes.resolve(ident) else {
            return Err(format!(
                "`{name}` on line {} names something declared outside the function",
                line_of(ident)
            ));
        };
        if !contains(opened.function, scopes.binding(id).ident) {
            return Err(format!(
                "`{name}` on line {} is a variable of the enclosing function",
                line_of(ident)
            ));
        }
        // `L: err := …` is in the body's block too, though its scope is recorded as the label's.
        let labeled = scopes
            .binding(id)
            .declaration
            .parent()
            .is_some_and(|parent| parent.kind() == "labeled_statement");
        if labeled {
            return Err(format!(
                "`{name}` is declared by a labeled statement on line {}",
                line_of(ident)
            ));
        }
        if is_top_level(opened, id) {
            becomes_result(analysis, opened, id)?;
        }
    }
    if let Some(id) = scopes.lookup(name, defer.start_byte())
        && contains(opened.function, scopes.binding(id).ident)
        && !is_top_level(opened, id)
    {
        return Err(format!(
            "`{name}` declared on line {} is visible at the defer",
            line_of(scopes.binding(id).ident)
        ));
    }
    Ok(())
}

/// Whether a binding lives in the function body's own block (where the results live too).
fn is_top_level(opened: &Opened, id: BindingId) -> bool {
    let binding = opened.scopes.binding(id);
    binding.function.id() == opened.function.id() && binding.scope.end == opened.body.end_byte()
}

/// Why the body's top-level variable `id` cannot become the error result, if it cannot.
fn becomes_result<'a>(
    analysis: &FileAnalysis<'a>,
    opened: &Opened<'a>,
    id: BindingId,
) -> Result<(), String> {
    let text = analysis.text();
    let scopes = &opened.scopes;
    let binding = scopes.binding(id);
    let name = binding.name;
    let line = line_number(text, binding.ident.start_byte());
    if binding.kind != BindingKind::Local || binding.declaration.kind() != "short_var_declaration" {
        return Err(format!(
            "`{name}` is declared on line {line} by other than `:=` (a parameter or `var`)"
        ));
    }
    let other_new = Declaration::of(binding.declaration, text).is_some_and(|declaration| {
        declaration.names.iter().any(|ident| {
            ident.id() != binding.ident.id()
                && &text[ident.byte_range()] != "_"
                && scopes
                    .resolve(*ident)
                    .is_some_and(|other| scopes.binding(other).ident.id() == ident.id())
        })
    });
    if !other_new {
        return Err(format!(
            "`{name} :=` on line {line} declares no other new variable, and would not compile"
        ));
    }
    if analysis.binding_type(scopes, id) != Type::Error {
        return Err(format!(
            "`{name}` declared on line {line} is not known to be of type error"
        ));
    }
    let in_literal = |node: Node| {
        ancestors(node)
            .take_while(|ancestor| ancestor.id() != opened.function.id())
            .any(is_function)
    };
    let captured = scopes
        .reads(id)
        .iter()
        .copied()
        .chain(scopes.writes(id).iter().map(|write| write.target))
        .find(|node| in_literal(*node));
    if let Some(node) = captured {
        return Err(format!(
            "`{name}` is used by a function literal on line {}, which would see the result",
            line_number(text, node.start_byte())
        ));
    }
    if scopes.address_taken(id) {
        return Err(format!("the address of `{name}` is taken"));
    }
    Ok(())
}

/// Why the file may be closed by other code too, if it may: it (or something derived from it)
/// is returned, stored, sent, or passed to a function deferfix cannot see. The deferred Close
/// would then report "file already closed" where it was dropped before.
fn handed_out<'a>(
    analysis: &FileAnalysis<'a>,
    opened: &Opened<'a>,
    defer: Node<'a>,
) -> Option<Reason> {
    let region = Region {
        node: opened.function,
        kind: RegionKind::Function,
    };
    let traced = trace(
        analysis,
        &opened.scopes,
        region,
        &[opened.id],
        &CLOSE_POLICY,
        Some(defer),
    );
    // A call comes first: what the trace calls an escape through a callee's result
    // (`return helper(f)`) is the callee's doing.
    closed_by_callee(analysis, opened, defer, &traced.tracked).or_else(|| {
        traced.escape.map(|escape| {
            Reason::new(
                escape.code(),
                format!(
                    "{}; it may be closed there, and the deferred Close would then report an error the function dropped before",
                    escape.describe()
                ),
            )
        })
    })
}

/// The first call not known to leave the file open that the file, or a value derived from it,
/// is given to.
fn closed_by_callee<'a>(
    analysis: &FileAnalysis<'a>,
    opened: &Opened<'a>,
    defer: Node<'a>,
    tracked: &[BindingId],
) -> Option<Reason> {
    let text = analysis.text();
    let (value, call) = tracked.iter().find_map(|tracked| {
        let derived = *tracked != opened.id;
        opened
            .scopes
            .reads(*tracked)
            .iter()
            .filter(|read| !contains(defer, **read))
            .find_map(|read| {
                let call = call_given(*read, derived)?;
                (!calls_standard_library(analysis, call))
                    .then(|| (opened.scopes.binding(*tracked).name, call))
            })
    })?;
    let callee = call
        .child_by_field_name("function")
        .map_or("", |function| &text[function.byte_range()]);
    Some(Reason::new(
        ReasonCode::ClosedByCallee,
        format!(
            "`{value}` is given to `{}` ({}), which deferfix does not know to leave the file open (it knows that only of calls it can tell are the standard library's); if it closes the file, the deferred Close would report an error the function dropped before",
            shown(callee),
            analysis.location(call)
        ),
    ))
}

/// The call a read of the file (or of a value derived from it) hands it to: as an argument, or,
/// for a derived value, as the receiver of a method (a wrapper's `Close` may close the file).
fn call_given(read: Node, derived: bool) -> Option<Node> {
    let parent = read.parent()?;
    if parent.kind() == "argument_list" {
        return parent.parent();
    }
    if !derived || parent.kind() != "selector_expression" {
        return None;
    }
    let call = parent
        .parent()
        .filter(|call| call.kind() == "call_expression")?;
    call.child_by_field_name("function")
        .is_some_and(|function| function.id() == parent.id())
        .then_some(call)
}

/// Whether `call` is a function or method of the standard library, which never closes a writer
/// it is given.
fn calls_standard_library<'a>(analysis: &FileAnalysis<'a>, call: Node<'a>) -> bool {
    let Some(function) = call.child_by_field_name("function") else {
        return false;
    };
    if function.kind() != "selector_expression" {
        return false;
    }
    let Some(operand) = function.child_by_field_name("operand") else {
        return false;
    };
    let path = match analysis.package_ref(operand) {
        Some(path) => Some(path.to_owned()),
        None => match analysis.type_of(operand).as_named() {
            Some(Named {
                package: Package::Path(path),
                ..
            }) => Some(path.clone()),
            _ => None,
        },
    };
    path.is_some_and(|path| is_standard_library(&path))
}

/// Whether an import path is of the standard library (its first element is one of Go's).
fn is_standard_library(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or(path);
    STANDARD_ROOTS.contains(&first)
}

/// The first elements of the standard library's import paths.
const STANDARD_ROOTS: &[&str] = &[
    "archive",
    "bufio",
    "bytes",
    "cmp",
    "compress",
    "container",
    "context",
    "crypto",
    "database",
    "debug",
    "embed",
    "encoding",
    "errors",
    "expvar",
    "flag",
    "fmt",
    "go",
    "hash",
    "html",
    "image",
    "index",
    "io",
    "iter",
    "log",
    "maps",
    "math",
    "mime",
    "net",
    "os",
    "path",
    "reflect",
    "regexp",
    "runtime",
    "slices",
    "sort",
    "strconv",
    "strings",
    "sync",
    "syscall",
    "testing",
    "text",
    "time",
    "unicode",
    "unique",
    "unsafe",
    "weak",
];
