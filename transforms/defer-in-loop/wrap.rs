//! Wrapping a loop body in `func() { ... }()` without changing what any jump in it does.
//!
//! Inside the closure, a jump that used to leave the body (`break`, `continue` of this loop,
//! `break L`/`continue L` of an outer statement, `return`) becomes a `return` that reports which
//! exit was taken; after the call the loop performs that exit. Everything is inserted around the
//! original text, which is only re-indented by one tab (never inside raw strings).

use std::collections::HashSet;

use tree_sitter::Node;

use crate::fix::{Edit, Reason, ReasonCode};
use crate::syntax::flow::{jump_label, jump_target, label_of, list_terminates};
use crate::syntax::indent::{
    LocalEdit, indentation_at, line_start, raw_string_ranges, realign_trailing_comments,
    reindent_with_edits, starts_line,
};
use crate::syntax::names::{Declaration, expression_list, fresh_name, used_names};
use crate::syntax::{
    GoFile, block_statements, descendants, descendants_and_self, enclosing_function, is_function,
};

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
    let own_label = label_of(for_loop, text);

    // 1. Classify every jump that belongs to this function and sits in the body.
    let in_body =
        |node: Node| body.start_byte() <= node.start_byte() && node.end_byte() <= body.end_byte();
    let body_nodes = descendants(body, is_function);
    let body_labels: HashSet<&str> = body_nodes
        .iter()
        .filter(|node| node.kind() == "labeled_statement")
        .filter_map(|node| node.child_by_field_name("label"))
        .map(|label| &text[label.byte_range()])
        .collect();
    let mut exits: Vec<Exit> = Vec::new();
    let mut jumps: Vec<Jump> = Vec::new();
    let add_exit = |exits: &mut Vec<Exit>, exit: Exit| -> usize {
        // One Break exit however it was spelled; a labelled spelling wins so the label stays used.
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
    };
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
                let is_break = node.kind() == "break_statement";
                if target.id() == for_loop.id() {
                    if is_break {
                        let spelling = text[node.byte_range()].to_owned();
                        let index = add_exit(&mut exits, Exit::Break(spelling));
                        jumps.push(Jump::Leave(*node, index));
                    } else {
                        jumps.push(Jump::Next(*node));
                    }
                } else {
                    let index =
                        add_exit(&mut exits, Exit::Outer(text[node.byte_range()].to_owned()));
                    jumps.push(Jump::Leave(*node, index));
                }
            }
            "return_statement" => {
                let index = add_exit(&mut exits, Exit::Return);
                jumps.push(Jump::Leave(*node, index));
            }
            _ => {}
        }
    }
    // Exits in a fixed order so the generated code reads the same way every time.
    let order = |exit: &Exit| match exit {
        Exit::Break(_) => 0,
        Exit::Outer(_) => 1,
        Exit::Return => 2,
    };
    let mut sorted: Vec<(usize, Exit)> = exits.iter().cloned().enumerate().collect();
    sorted.sort_by_key(|(index, exit)| (order(exit), *index));
    let renumber: Vec<usize> = (0..exits.len())
        .map(|old| {
            sorted
                .iter()
                .position(|(index, _)| *index == old)
                .unwrap_or(old)
        })
        .collect();
    let exits: Vec<Exit> = sorted.into_iter().map(|(_, exit)| exit).collect();

    // 2. The enclosing function's results, and fresh names for what the closure reports.
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
    let exit_value = |index: usize| {
        if exits.len() == 1 {
            "true".to_owned()
        } else {
            (index + 1).to_string()
        }
    };
    // The closure returns literal zero values where every result type has an obvious one (as a
    // person would write it); otherwise it names its results and hands the unset ones back.
    let forwards_call = jumps.iter().any(|jump| match jump {
        Jump::Leave(node, _) if node.kind() == "return_statement" => {
            let count = node
                .named_child(0)
                .filter(|child| child.kind() == "expression_list")
                .map(expression_list);
            count.is_some_and(|expressions| expressions.len() == 1) && results.len() > 1
        }
        _ => false,
    });
    let zeros: Option<Vec<&str>> = if needs_values && !forwards_call {
        results
            .iter()
            .map(|result| zero_literal(&result.type_text))
            .collect()
    } else {
        None
    };
    let returned_defaults = match &zeros {
        Some(zeros) => zeros.join(", "),
        None => values.join(", "),
    };
    let with_values = |head: String| {
        if values.is_empty() {
            head
        } else {
            format!("{head}, {returned_defaults}")
        }
    };
    // What a normal end of the iteration returns.
    let next_statement = match (&control, needs_values, exits.len()) {
        (None, _, _) => "return".to_owned(),
        (Some(_), true, 1) if zeros.is_some() => with_values("return false".to_owned()),
        (Some(_), true, _) if zeros.is_some() => with_values("return 0".to_owned()),
        (Some(_), true, _) => "return".to_owned(),
        (Some(_), false, 1) => "return false".to_owned(),
        (Some(_), false, _) => "return 0".to_owned(),
    };

    // 3. The body's shape: gofmt-formatted, `{` line then statements then `}` on its own line.
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
    let region = first_newline + 1..line_start(text, close);
    let base_indent = indentation_at(text, close);
    let body_indent = format!("{base_indent}\t");

    // 4. Rewrite each jump in place.
    let mut local_edits = Vec::new();
    for jump in &jumps {
        match jump {
            Jump::Next(node) => local_edits.push(LocalEdit {
                range: node.byte_range(),
                text: next_statement.clone(),
            }),
            Jump::Leave(node, old_index) => {
                let index = renumber[*old_index];
                let value = exit_value(index);
                if exits[index] != Exit::Return {
                    local_edits.push(LocalEdit {
                        range: node.byte_range(),
                        text: with_values(format!("return {value}")),
                    });
                    continue;
                }
                local_edits.extend(rewrite_return(*node, text, &results, &values, &value)?);
            }
        }
    }
    // gofmt aligns trailing comments of neighbouring lines: a jump rewritten to a longer or
    // shorter statement moves where its comment, and its neighbours' comments, must stand.
    let comments: Vec<_> = body_nodes
        .iter()
        .filter(|node| node.kind() == "comment")
        .map(|node| node.byte_range())
        .collect();
    let changed: Vec<(usize, usize)> = local_edits
        .iter()
        .filter(|edit| !edit.text.contains('\n'))
        .map(|edit| {
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
            (edit.range.start, before + edit.text.chars().count() + after)
        })
        .collect();
    local_edits
        .extend(realign_trailing_comments(text, &comments, &changed).map_err(|why| layout(&why))?);
    local_edits.sort_by_key(|edit| edit.range.start);

    // 5. Assemble the new body.
    let raw_strings = raw_string_ranges(body, text);
    let statements = block_statements(body);
    let becomes_return = |node: Node| {
        jumps
            .iter()
            .any(|jump| matches!(jump, Jump::Next(n) | Jump::Leave(n, _) if n.id() == node.id()))
    };
    let falls_off = !list_terminates(&statements, text, &becomes_return);
    let signature = closure_signature(
        control.as_deref(),
        exits.len(),
        &values,
        &results,
        zeros.is_some(),
    );
    let receivers = match &control {
        None => String::new(),
        Some(control) => {
            let names: Vec<&str> = std::iter::once(control.as_str())
                .chain(values.iter().map(String::as_str))
                .collect();
            format!("{} := ", names.join(", "))
        }
    };

    let mut new_body = String::with_capacity(region.len() + 256);
    new_body.push('{');
    new_body.push_str(&text[open + 1..first_newline]);
    new_body.push('\n');
    new_body.push_str(&format!("{body_indent}{receivers}{signature} {{\n"));
    new_body.push_str(&reindent_with_edits(
        text,
        region,
        &local_edits,
        &raw_strings,
    ));
    if falls_off && control.is_some() {
        new_body.push_str(&format!("{body_indent}\t{next_statement}\n"));
    }
    new_body.push_str(&format!("{body_indent}}}()\n"));
    if let Some(control) = &control {
        for (index, exit) in exits.iter().enumerate() {
            let condition = if exits.len() == 1 {
                control.clone()
            } else {
                format!("{control} == {}", index + 1)
            };
            let action = match exit {
                Exit::Break(spelling) => spelling.clone(),
                Exit::Outer(statement) => statement.clone(),
                Exit::Return if values.is_empty() => "return".to_owned(),
                Exit::Return => format!("return {}", values.join(", ")),
            };
            new_body.push_str(&format!(
                "{body_indent}if {condition} {{\n{body_indent}\t{action}\n{body_indent}}}\n"
            ));
        }
    }
    new_body.push_str(base_indent);
    new_body.push('}');

    let mut edits = vec![Edit::replace(body.byte_range(), new_body)];

    // 6. A label whose only uses were `continue L` of this loop is now unused: remove it.
    if let Some(label) = own_label {
        let break_keeps_label = exits
            .iter()
            .any(|exit| matches!(exit, Exit::Break(spelling) if spelling != "break"));
        let goto_uses_label = descendants(function, |node| {
            is_function(node) && node.id() != function.id()
        })
        .into_iter()
        .any(|node| node.kind() == "goto_statement" && jump_label(node, text) == Some(label));
        if !break_keeps_label && !goto_uses_label {
            edits.push(remove_label(for_loop, text)?);
        }
    }
    Ok(edits)
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
) -> Result<Vec<LocalEdit>, Reason> {
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
        return Ok(vec![LocalEdit {
            range: node.byte_range(),
            text: returned,
        }]);
    };
    if expressions.len() == results.len() {
        let first = expressions[0].start_byte();
        return Ok(vec![LocalEdit {
            range: first..first,
            text: format!("{value}, "),
        }]);
    }
    if expressions.len() == 1 && results.len() > 1 {
        // `return f()` with f returning several values: they cannot be mixed with another value
        // in one return, so assign them to the closure's results first.
        let indent = format!("{}\t", indentation_at(text, node.start_byte()));
        let first = expressions[0].start_byte();
        return Ok(vec![
            LocalEdit {
                range: node.start_byte()..first,
                text: format!("{} = ", values.join(", ")),
            },
            LocalEdit {
                range: node.end_byte()..node.end_byte(),
                text: format!("\n{indent}return {value}, {}", values.join(", ")),
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
