//! Wrapping a loop body in `func() { ... }()` without changing what any jump in it does.
//!
//! Inside the closure, a jump that used to leave the body (`break`, `continue` of this loop,
//! `break L`/`continue L` of an outer statement, `return`) becomes a `return` that reports which
//! exit was taken; after the call the loop performs that exit. Everything is inserted around the
//! original text, which is only re-indented by one tab (never inside raw strings).

use std::collections::HashSet;

use tree_sitter::Node;

use crate::fix::{Reason, ReasonCode};
use crate::syntax::flow::{jump_label, jump_target, label_of, list_terminates};
use crate::syntax::indent::{
    indentation_at, line_start, raw_string_ranges, realign_trailing_comments, reindent_with_edits,
    starts_line,
};
use crate::syntax::names::{Declaration, expression_list, fresh_name, used_names};
use crate::syntax::{
    GoFile, block_statements, descendants, descendants_and_self, enclosing_function, is_function,
};
use crate::text::Edit;

/// A way out of the loop body other than finishing the iteration.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Exit {
    /// `break` (or `break L` with this loop's label; the text is what to emit after the call).
    Break(String),
    /// `break L` / `continue L` naming a statement outside the body; the text is the statement.
    Outer(String),
    /// `return` from the enclosing function.
    Return,
}

/// One result of the enclosing function: its name (if named) and its type's text.
struct ResultParam {
    name: Option<String>,
    type_text: String,
}

/// A jump statement inside the body and what it becomes.
enum Jump<'t> {
    /// Ends the iteration normally (`continue` of this loop).
    Next(Node<'t>),
    /// Leaves the body through `exits[index]`.
    Leave(Node<'t>, usize),
}

/// Code the wrap cannot handle without re-laying it out (or code that does not compile).
fn layout(why: &str) -> Reason {
    Reason::new(ReasonCode::Layout, why)
}

/// Builds the edits that wrap `for_loop`'s body, or says why it cannot be done safely.
pub fn wrap_loop_body(file: &GoFile, for_loop: Node) -> Result<Vec<Edit>, Reason> {
    let text = file.text;
    let body = for_loop
        .child_by_field_name("body")
        .ok_or_else(|| layout("loop has no body"))?;
    let function =
        enclosing_function(for_loop).ok_or_else(|| layout("loop is not inside a function"))?;
    let table = JumpTable::classify(for_loop, body, text)?;
    let plan = ClosurePlan::new(function, &table, text)?;
    let shape = BodyShape::of(body, text)?;
    let local_edits = rewrite_jumps(&table, &plan, text)?;
    let new_body = assemble_body(body, &table, &plan, &shape, &local_edits, text);
    let mut edits = vec![Edit::replace(body.byte_range(), new_body)];
    if let Some(removal) = unused_label_removal(for_loop, function, &table, text)? {
        edits.push(removal);
    }
    Ok(edits)
}

/// Step 1: every jump that belongs to the enclosing function and sits in the body, and the exits
/// they take, in the fixed order the generated code tests them.
struct JumpTable<'t> {
    /// The body's nodes, not descending into function literals.
    body_nodes: Vec<Node<'t>>,
    jumps: Vec<Jump<'t>>,
    /// `Jump::Leave` indexes point here.
    exits: Vec<Exit>,
}

impl<'t> JumpTable<'t> {
    fn classify(for_loop: Node<'t>, body: Node<'t>, text: &str) -> Result<JumpTable<'t>, Reason> {
        let in_body = |node: Node| {
            body.start_byte() <= node.start_byte() && node.end_byte() <= body.end_byte()
        };
        let body_nodes = descendants(body, is_function);
        let body_labels: HashSet<&str> = body_nodes
            .iter()
            .filter(|node| node.kind() == "labeled_statement")
            .filter_map(|node| node.child_by_field_name("label"))
            .map(|label| &text[label.byte_range()])
            .collect();
        let mut exits: Vec<Exit> = Vec::new();
        let mut jumps: Vec<Jump> = Vec::new();
        for node in &body_nodes {
            match node.kind() {
                "goto_statement" => {
                    let label = jump_label(*node, text).unwrap_or("");
                    if !body_labels.contains(label) {
                        return Err(Reason::new(
                            ReasonCode::GotoOut,
                            format!("goto {label} jumps out of the loop body"),
                        ));
                    }
                }
                "break_statement" | "continue_statement" => {
                    let target = jump_target(*node, text)
                        .ok_or_else(|| layout("a break or continue has no target"))?;
                    if in_body(target) && target.id() != for_loop.id() {
                        continue;
                    }
                    let spelling = text[node.byte_range()].to_owned();
                    let jump = match (target.id() == for_loop.id(), node.kind()) {
                        (true, "break_statement") => {
                            Jump::Leave(*node, add_exit(&mut exits, Exit::Break(spelling)))
                        }
                        (true, _) => Jump::Next(*node),
                        (false, _) => {
                            Jump::Leave(*node, add_exit(&mut exits, Exit::Outer(spelling)))
                        }
                    };
                    jumps.push(jump);
                }
                "return_statement" => {
                    let index = add_exit(&mut exits, Exit::Return);
                    jumps.push(Jump::Leave(*node, index));
                }
                _ => {}
            }
        }
        let (exits, renumber) = in_fixed_order(exits);
        for jump in &mut jumps {
            if let Jump::Leave(_, index) = jump {
                *index = renumber[*index];
            }
        }
        Ok(JumpTable {
            body_nodes,
            jumps,
            exits,
        })
    }

    /// Whether `node` is one of the jumps, all of which become a `return` of the closure.
    fn becomes_return(&self, node: Node) -> bool {
        self.jumps
            .iter()
            .any(|jump| matches!(jump, Jump::Next(n) | Jump::Leave(n, _) if n.id() == node.id()))
    }
}

/// Adds `exit` unless it is known, returning its index. One Break exit however it was spelled;
/// a labelled spelling wins so the label stays used.
fn add_exit(exits: &mut Vec<Exit>, exit: Exit) -> usize {
    if let Exit::Break(spelling) = &exit
        && let Some(index) = exits
            .iter()
            .position(|existing| matches!(existing, Exit::Break(_)))
    {
        if spelling != "break" {
            exits[index] = exit;
        }
        return index;
    }
    if let Some(index) = exits.iter().position(|existing| *existing == exit) {
        return index;
    }
    exits.push(exit);
    exits.len() - 1
}

/// Exits in a fixed order so the generated code reads the same way every time, and where each
/// old index went.
fn in_fixed_order(exits: Vec<Exit>) -> (Vec<Exit>, Vec<usize>) {
    let order = |exit: &Exit| match exit {
        Exit::Break(_) => 0,
        Exit::Outer(_) => 1,
        Exit::Return => 2,
    };
    let count = exits.len();
    let mut sorted: Vec<(usize, Exit)> = exits.into_iter().enumerate().collect();
    sorted.sort_by_key(|(index, exit)| (order(exit), *index));
    let renumber: Vec<usize> = (0..count)
        .map(|old| {
            sorted
                .iter()
                .position(|(index, _)| *index == old)
                .unwrap_or(old)
        })
        .collect();
    (sorted.into_iter().map(|(_, exit)| exit).collect(), renumber)
}

/// Step 2: what the closure reports and how: the enclosing function's results, fresh names for
/// the control value and the returned values, and the statement that ends an iteration.
struct ClosurePlan {
    results: Vec<ResultParam>,
    /// The variable that receives which exit was taken; `None` when there is no exit.
    control: Option<String>,
    /// Fresh names for the enclosing function's results, when a `return` must hand them over.
    values: Vec<String>,
    /// Literal zero values for the results, when every result type has an obvious one (as a
    /// person would write it); otherwise the closure names its results and hands the unset ones
    /// back.
    zeros: Option<Vec<&'static str>>,
    exit_count: usize,
    /// What a normal end of the iteration returns.
    next_statement: String,
}

impl ClosurePlan {
    fn new(function: Node, table: &JumpTable, text: &str) -> Result<ClosurePlan, Reason> {
        let exits = &table.exits;
        let results = result_params(function, text)?;
        let needs_values = exits.contains(&Exit::Return) && !results.is_empty();
        if needs_values && let Some(name) = shadowed_result_type_name(function, text) {
            return Err(Reason::new(
                ReasonCode::ShadowedResultType,
                format!("the result types name `{name}`, which the function redeclares"),
            ));
        }
        let mut taken = used_names(function, text);
        let control = match exits.as_slice() {
            [] => None,
            [Exit::Return] => Some(fresh_name("ret", &mut taken)),
            [_] => Some(fresh_name("brk", &mut taken)),
            _ => Some(fresh_name("ctl", &mut taken)),
        };
        let values: Vec<String> = if needs_values {
            (0..results.len())
                .map(|index| fresh_name(&format!("r{index}"), &mut taken))
                .collect()
        } else {
            Vec::new()
        };
        let forwards_call = table.jumps.iter().any(|jump| match jump {
            Jump::Leave(node, _) if node.kind() == "return_statement" => {
                return_expressions(*node).is_some_and(|expressions| expressions.len() == 1)
                    && results.len() > 1
            }
            _ => false,
        });
        let zeros: Option<Vec<&'static str>> = if needs_values && !forwards_call {
            results
                .iter()
                .map(|result| zero_literal(&result.type_text))
                .collect()
        } else {
            None
        };
        let mut plan = ClosurePlan {
            results,
            control,
            values,
            zeros,
            exit_count: exits.len(),
            next_statement: String::new(),
        };
        plan.next_statement = match (&plan.control, needs_values, exits.len()) {
            (None, _, _) => "return".to_owned(),
            (Some(_), true, 1) if plan.zeros.is_some() => plan.with_values("return false"),
            (Some(_), true, _) if plan.zeros.is_some() => plan.with_values("return 0"),
            (Some(_), true, _) => "return".to_owned(),
            (Some(_), false, 1) => "return false".to_owned(),
            (Some(_), false, _) => "return 0".to_owned(),
        };
        Ok(plan)
    }

    /// The value the closure returns for exit `index`.
    fn exit_value(&self, index: usize) -> String {
        if self.exit_count == 1 {
            "true".to_owned()
        } else {
            (index + 1).to_string()
        }
    }

    /// `head` followed by the values a closure `return` hands back for the enclosing function's
    /// results (their zero values, or the named results).
    fn with_values(&self, head: &str) -> String {
        if self.values.is_empty() {
            return head.to_owned();
        }
        let defaults = match &self.zeros {
            Some(zeros) => zeros.join(", "),
            None => self.values.join(", "),
        };
        format!("{head}, {defaults}")
    }
}

/// The expressions of a `return` statement, if it has any.
fn return_expressions(node: Node) -> Option<Vec<Node>> {
    node.named_child(0)
        .filter(|child| child.kind() == "expression_list")
        .map(expression_list)
}

/// Step 3: the body's shape. gofmt-formatted, a `{` line, then the statements, then `}` on its
/// own line.
struct BodyShape<'t> {
    open: usize,
    first_newline: usize,
    /// The statements' lines, re-indented into the closure.
    region: std::ops::Range<usize>,
    base_indent: &'t str,
    body_indent: String,
}

impl<'t> BodyShape<'t> {
    fn of(body: Node, text: &'t str) -> Result<BodyShape<'t>, Reason> {
        let open = body.start_byte();
        let close = body.end_byte() - 1;
        let first_newline = open
            + text[open..close]
                .find('\n')
                .ok_or_else(|| layout("loop body is on one line"))?;
        let after_brace = text[open + 1..first_newline].trim();
        if !(after_brace.is_empty() || after_brace.starts_with("//")) {
            return Err(layout("loop body starts on the line of its `{`"));
        }
        if !starts_line(text, close) {
            return Err(layout("loop body ends on the line of its last statement"));
        }
        let base_indent = indentation_at(text, close);
        Ok(BodyShape {
            open,
            first_newline,
            region: first_newline + 1..line_start(text, close),
            base_indent,
            body_indent: format!("{base_indent}\t"),
        })
    }
}

/// Step 4: each jump rewritten in place as a `return` of the closure, with the trailing comments
/// around the rewritten lines realigned; sorted by position.
fn rewrite_jumps(table: &JumpTable, plan: &ClosurePlan, text: &str) -> Result<Vec<Edit>, Reason> {
    let mut local_edits = Vec::new();
    for jump in &table.jumps {
        match jump {
            Jump::Next(node) => local_edits.push(Edit {
                range: node.byte_range(),
                replacement: plan.next_statement.clone(),
            }),
            Jump::Leave(node, index) => {
                let value = plan.exit_value(*index);
                if table.exits[*index] != Exit::Return {
                    local_edits.push(Edit {
                        range: node.byte_range(),
                        replacement: plan.with_values(&format!("return {value}")),
                    });
                    continue;
                }
                local_edits.extend(rewrite_return(
                    *node,
                    text,
                    &plan.results,
                    &plan.values,
                    &value,
                )?);
            }
        }
    }
    let realigned = realign_comments(&table.body_nodes, &local_edits, text)?;
    local_edits.extend(realigned);
    local_edits.sort_by_key(|edit| edit.range.start);
    Ok(local_edits)
}

/// gofmt aligns trailing comments of neighbouring lines: a jump rewritten to a longer or shorter
/// statement moves where its comment, and its neighbours' comments, must stand.
fn realign_comments(
    body_nodes: &[Node],
    local_edits: &[Edit],
    text: &str,
) -> Result<Vec<Edit>, Reason> {
    let comments: Vec<_> = body_nodes
        .iter()
        .filter(|node| node.kind() == "comment")
        .map(|node| node.byte_range())
        .collect();
    let changed: Vec<(usize, usize)> = local_edits
        .iter()
        .filter(|edit| !edit.replacement.contains('\n'))
        .map(|edit| (edit.range.start, rewritten_code_width(edit, text)))
        .collect();
    realign_trailing_comments(text, &comments, &changed).map_err(|why| layout(&why))
}

/// How many characters the code of an edited line takes after the edit (indentation and a
/// trailing comment not counted).
fn rewritten_code_width(edit: &Edit, text: &str) -> usize {
    let line = line_start(text, edit.range.start);
    let indent_end = line + indentation_at(text, edit.range.start).len();
    let line_end = text[edit.range.end..]
        .find('\n')
        .map_or(text.len(), |at| edit.range.end + at);
    let code_end = edit.range.end
        + text[edit.range.end..line_end]
            .find("//")
            .unwrap_or(line_end - edit.range.end);
    let before = text[indent_end..edit.range.start].chars().count();
    let after = text[edit.range.end..code_end].trim_end().chars().count();
    before + edit.replacement.chars().count() + after
}

/// Step 5: the new body: the closure around the re-indented statements, then one `if` per exit
/// that performs it.
fn assemble_body(
    body: Node,
    table: &JumpTable,
    plan: &ClosurePlan,
    shape: &BodyShape,
    local_edits: &[Edit],
    text: &str,
) -> String {
    let BodyShape {
        open,
        first_newline,
        region,
        base_indent,
        body_indent,
    } = shape;
    let statements = block_statements(body);
    let falls_off = !list_terminates(&statements, text, &|node| table.becomes_return(node));
    let signature = closure_signature(
        plan.control.as_deref(),
        plan.exit_count,
        &plan.values,
        &plan.results,
        plan.zeros.is_some(),
    );
    let receivers = match &plan.control {
        None => String::new(),
        Some(control) => {
            let names: Vec<&str> = std::iter::once(control.as_str())
                .chain(plan.values.iter().map(String::as_str))
                .collect();
            format!("{} := ", names.join(", "))
        }
    };
    let raw_strings = raw_string_ranges(body, text);
    let mut new_body = String::with_capacity(region.len() + 256);
    new_body.push('{');
    new_body.push_str(&text[open + 1..*first_newline]);
    new_body.push('\n');
    new_body.push_str(&format!("{body_indent}{receivers}{signature} {{\n"));
    new_body.push_str(&reindent_with_edits(
        text,
        region.clone(),
        local_edits,
        &raw_strings,
    ));
    if falls_off && plan.control.is_some() {
        new_body.push_str(&format!("{body_indent}\t{}\n", plan.next_statement));
    }
    new_body.push_str(&format!("{body_indent}}}()\n"));
    if let Some(control) = &plan.control {
        new_body.push_str(&exit_dispatch(
            control,
            &table.exits,
            &plan.values,
            body_indent,
        ));
    }
    new_body.push_str(base_indent);
    new_body.push('}');
    new_body
}

/// After the call: one `if` per exit, performing it when the closure reported it.
fn exit_dispatch(control: &str, exits: &[Exit], values: &[String], indent: &str) -> String {
    let mut out = String::new();
    for (index, exit) in exits.iter().enumerate() {
        let condition = if exits.len() == 1 {
            control.to_owned()
        } else {
            format!("{control} == {}", index + 1)
        };
        let action = match exit {
            Exit::Break(spelling) => spelling.clone(),
            Exit::Outer(statement) => statement.clone(),
            Exit::Return if values.is_empty() => "return".to_owned(),
            Exit::Return => format!("return {}", values.join(", ")),
        };
        out.push_str(&format!(
            "{indent}if {condition} {{\n{indent}\t{action}\n{indent}}}\n"
        ));
    }
    out
}

/// Step 6: a label whose only uses were `continue L` of this loop is now unused: its removal.
fn unused_label_removal(
    for_loop: Node,
    function: Node,
    table: &JumpTable,
    text: &str,
) -> Result<Option<Edit>, Reason> {
    let Some(label) = label_of(for_loop, text) else {
        return Ok(None);
    };
    let break_keeps_label = table
        .exits
        .iter()
        .any(|exit| matches!(exit, Exit::Break(spelling) if spelling != "break"));
    let goto_uses_label = descendants(function, |node| {
        is_function(node) && node.id() != function.id()
    })
    .into_iter()
    .any(|node| node.kind() == "goto_statement" && jump_label(node, text) == Some(label));
    if break_keeps_label || goto_uses_label {
        return Ok(None);
    }
    remove_label(for_loop, text).map(Some)
}

/// The closure's `func(...) ...` text.
fn closure_signature(
    control: Option<&str>,
    exit_count: usize,
    values: &[String],
    results: &[ResultParam],
    unnamed: bool,
) -> String {
    let control_type = if exit_count == 1 { "bool" } else { "int" };
    match control {
        None => "func()".to_owned(),
        Some(_) if values.is_empty() => format!("func() {control_type}"),
        Some(_) if unnamed => {
            let types: Vec<&str> = results
                .iter()
                .map(|result| result.type_text.as_str())
                .collect();
            format!("func() ({control_type}, {})", types.join(", "))
        }
        Some(control) => {
            let mut params = vec![format!("{control} {control_type}")];
            params.extend(
                values
                    .iter()
                    .zip(results)
                    .map(|(name, result)| format!("{name} {}", result.type_text)),
            );
            format!("func() ({})", params.join(", "))
        }
    }
}

/// Edits turning a `return` of the enclosing function into a `return` of the closure that
/// reports exit `value` and hands over the returned values.
fn rewrite_return(
    node: Node,
    text: &str,
    results: &[ResultParam],
    values: &[String],
    value: &str,
) -> Result<Vec<Edit>, Reason> {
    let expressions = node
        .named_child(0)
        .filter(|child| child.kind() == "expression_list")
        .map(expression_list);
    let Some(expressions) = expressions else {
        // Bare return: with named results it returns their current values.
        let named: Vec<&str> = results
            .iter()
            .filter_map(|result| result.name.as_deref())
            .collect();
        let returned = if results.is_empty() {
            format!("return {value}")
        } else if named.contains(&"_") {
            // A result named `_` cannot be read, so its value cannot be handed on.
            return Err(Reason::new(
                ReasonCode::BlankResults,
                "a bare return in a function with a result named `_`: its value cannot be handed on",
            ));
        } else if named.len() == results.len() {
            format!("return {value}, {}", named.join(", "))
        } else {
            return Err(layout("a bare return in a function with unnamed results"));
        };
        return Ok(vec![Edit {
            range: node.byte_range(),
            replacement: returned,
        }]);
    };
    if expressions.len() == results.len() {
        let first = expressions[0].start_byte();
        // `return&x, err` is Go too (gofmt spaces it): keep the keyword apart from the value
        // inserted before the first expression.
        let spaced = text[..first].ends_with(char::is_whitespace);
        let replacement = if spaced {
            format!("{value}, ")
        } else {
            format!(" {value}, ")
        };
        return Ok(vec![Edit {
            range: first..first,
            replacement,
        }]);
    }
    if expressions.len() == 1 && results.len() > 1 {
        // `return f()` with f returning several values: they cannot be mixed with another value
        // in one return, so assign them to the closure's results first.
        let indent = format!("{}\t", indentation_at(text, node.start_byte()));
        let first = expressions[0].start_byte();
        return Ok(vec![
            Edit {
                range: node.start_byte()..first,
                replacement: format!("{} = ", values.join(", ")),
            },
            Edit {
                range: node.end_byte()..node.end_byte(),
                replacement: format!("\n{indent}return {value}, {}", values.join(", ")),
            },
        ]);
    }
    Err(layout(
        "a return statement does not match the function's results",
    ))
}

/// The enclosing function's results, expanded to one entry per value.
fn result_params(function: Node, text: &str) -> Result<Vec<ResultParam>, Reason> {
    let Some(result) = function.child_by_field_name("result") else {
        return Ok(Vec::new());
    };
    if result.kind() != "parameter_list" {
        return Ok(vec![ResultParam {
            name: None,
            type_text: text[result.byte_range()].to_owned(),
        }]);
    }
    let mut params = Vec::new();
    let mut cursor = result.walk();
    for declaration in result.named_children(&mut cursor) {
        if declaration.kind() == "comment" {
            continue;
        }
        if declaration.kind() != "parameter_declaration" {
            return Err(layout(&format!(
                "unexpected {} in the function's results",
                declaration.kind()
            )));
        }
        let type_node = declaration
            .child_by_field_name("type")
            .ok_or_else(|| layout("a result without a type"))?;
        let type_text = text[type_node.byte_range()].to_owned();
        let mut names_cursor = declaration.walk();
        let names: Vec<Node> = declaration
            .children_by_field_name("name", &mut names_cursor)
            .collect();
        if names.is_empty() {
            params.push(ResultParam {
                name: None,
                type_text,
            });
        } else {
            params.extend(names.iter().map(|name| ResultParam {
                name: Some(text[name.byte_range()].to_owned()),
                type_text: type_text.clone(),
            }));
        }
    }
    Ok(params)
}

/// Deletes the label in front of a loop: the whole `L:` line when the label stands alone on it
/// (comments between the label and the loop stay), or `L: ` when the loop follows on its line.
fn remove_label(for_loop: Node, text: &str) -> Result<Edit, Reason> {
    let labeled = for_loop
        .parent()
        .ok_or_else(|| layout("label without statement"))?;
    let label = labeled
        .child_by_field_name("label")
        .ok_or_else(|| layout("labeled statement without label"))?;
    let colon = label.end_byte()
        + text[label.end_byte()..]
            .find(':')
            .ok_or_else(|| layout("label without colon"))?;
    let line_end = colon + text[colon..].find('\n').unwrap_or(text.len() - colon);
    if !text[label.end_byte()..for_loop.start_byte()].contains('\n') {
        return Ok(Edit::delete(labeled.start_byte()..for_loop.start_byte()));
    }
    if starts_line(text, labeled.start_byte()) && text[colon + 1..line_end].trim().is_empty() {
        return Ok(Edit::delete(
            line_start(text, labeled.start_byte())..line_end + 1,
        ));
    }
    Err(layout("the loop's label shares its line with a comment"))
}

/// The zero value of a type spelled `type_text`, when the spelling alone tells it.
fn zero_literal(type_text: &str) -> Option<&'static str> {
    let nil_kinds = ["*", "[]", "map[", "chan ", "chan<-", "<-chan", "func("];
    match type_text {
        "error" | "any" | "interface{}" => Some("nil"),
        "string" => Some("\"\""),
        "bool" => Some("false"),
        numeric if crate::syntax::known::NUMERIC_TYPES.contains(&numeric) => Some("0"),
        other if nil_kinds.iter().any(|prefix| other.starts_with(prefix)) => Some("nil"),
        _ => None,
    }
}

/// A package or type name used in the function's result types that the function itself declares
/// as a parameter or variable: restating the types inside the body would then name the variable.
fn shadowed_result_type_name<'a>(function: Node, text: &'a str) -> Option<&'a str> {
    let result = function.child_by_field_name("result")?;
    let type_names: HashSet<&str> = descendants_and_self(result)
        .into_iter()
        .filter(|node| matches!(node.kind(), "package_identifier" | "type_identifier"))
        .map(|node| &text[node.byte_range()])
        .collect();
    let nodes = descendants(function, |_| false);
    let parameters = nodes
        .iter()
        .filter(|node| {
            node.kind() == "parameter_declaration"
                || node.kind() == "variadic_parameter_declaration"
        })
        .flat_map(|node| {
            let mut cursor = node.walk();
            node.children_by_field_name("name", &mut cursor)
                .collect::<Vec<_>>()
        });
    let variables = nodes
        .iter()
        .filter_map(|node| Declaration::of(*node, text))
        .flat_map(|declaration| declaration.names);
    parameters
        .chain(variables)
        .map(|name| &text[name.byte_range()])
        .find(|name| type_names.contains(name))
}
