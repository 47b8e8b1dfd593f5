//! lost-cancel: the cancel function of `context.WithCancel`/`WithTimeout`/`WithDeadline` (and
//! their `…Cause` forms) is discarded with `_` or never used after the assignment.
//!
//! Fix: name it (`cancel`, or `cancelN` when taken) and `defer cancel()` right after.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::fix::{Applicability, Edit, Finding, Fix};
use crate::syntax::checks::{assigned_names, mentions, single_value};
use crate::syntax::flow::jump_label;
use crate::syntax::known::{CONTEXT_CONSTRUCTORS, NUMERIC_TYPES};
use crate::syntax::names::{
    Declaration, expression_list, find_declaration, fresh_name, is_shadowed, package_name,
    used_names,
};
use crate::syntax::statements::{clear_of_trailing_comments, insert_line_after};
use crate::syntax::{GoFile, ancestors, descendants, enclosing_function, is_function};
use crate::transforms::{QueryMatch, Rule, RuleContext};

pub static RULE: Rule = Rule {
    id: "lost-cancel",
    summary: "the cancel function of a context is discarded or never called",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: CONTEXT_CONSTRUCTORS,
    anchors: &["short_var_declaration", "assignment_statement"],
    applies_to: crate::transforms::any_go_version,
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Methods that start work in the background: a context handed to them outlives the call.
const BACKGROUND_STARTERS: &[&str] = &["Start", "Go"];

fn check(context: &RuleContext, matches: &[QueryMatch]) -> Vec<Finding> {
    let file = &context.file;
    let Some(package) = package_name(file.tree.root_node(), file.text, "context") else {
        return Vec::new();
    };
    matches
        .iter()
        .filter_map(|found| Some((found.get("anchor")?, found.get("constructor")?)))
        .filter_map(|(statement, constructor)| finding(file, &package, statement, constructor))
        .collect()
}

fn finding(file: &GoFile, package: &str, statement: Node, constructor: Node) -> Option<Finding> {
    let text = file.text;
    let call = single_value(statement)?;
    let operand = call
        .child_by_field_name("function")?
        .child_by_field_name("operand")?;
    let function = enclosing_function(statement)?;
    let body = function.child_by_field_name("body")?;
    // `context` must be the package, not a variable or parameter of that name.
    if &text[operand.byte_range()] != package || is_shadowed(package, operand, text) {
        return None;
    }
    let left = expression_list(statement.child_by_field_name("left")?);
    let [ctx_node, cancel_node] = left.as_slice() else {
        return None;
    };
    if ctx_node.kind() != "identifier" || cancel_node.kind() != "identifier" {
        return None;
    }
    let names = assigned_names(statement, text);
    let (ctx, cancel) = (names[0], names[1]);
    let constructor = &text[constructor.byte_range()];
    let declares = statement.kind() == "short_var_declaration";
    let discarded = cancel == "_";
    if !discarded {
        // Assigned to a variable declared in this function, and never used after: a result, a
        // parameter or a package variable hands the function on.
        let declared_here =
            find_declaration(cancel, *cancel_node, body, text).is_some() || declares;
        let used_after = descendants(body, |_| false).into_iter().any(|node| {
            node.start_byte() >= statement.end_byte()
                && node.kind() == "identifier"
                && &text[node.byte_range()] == cancel
        });
        if !declared_here || used_after {
            return None;
        }
    }
    let message = if discarded {
        format!(
            "the cancel function returned by {package}.{constructor} is discarded: the context and its timer are not released until the parent context ends; call it with defer"
        )
    } else {
        format!(
            "{cancel} from {package}.{constructor} is never called: the context and its timer are not released until the parent context ends; call it with defer"
        )
    };
    let fix = fix(
        file,
        statement,
        function,
        ctx,
        cancel_node,
        constructor,
        discarded && declares,
    );
    let reason = match &fix {
        Err(reason) => format!(" (no fix: {reason})"),
        Ok(_) => String::new(),
    };
    Some(Finding {
        rule: RULE.id,
        span: statement.byte_range(),
        message: format!("{message}{reason}"),
        fix: fix.ok(),
    })
}

fn fix(
    file: &GoFile,
    statement: Node,
    function: Node,
    ctx: &str,
    cancel_node: &Node,
    constructor: &str,
    rename_blank: bool,
) -> Result<Fix, &'static str> {
    let text = file.text;
    if statement
        .parent()
        .is_none_or(|parent| parent.kind() != "statement_list")
    {
        return Err("the assignment is not a statement of a block");
    }
    let in_loop = ancestors(statement)
        .take_while(|node| node.id() != function.id())
        .any(|node| node.kind() == "for_statement");
    // A `goto` back to a label above the assignment loops just the same.
    let nodes = descendants(function, |node| {
        is_function(node) && node.id() != function.id()
    });
    let labels_before: Vec<&str> = nodes
        .iter()
        .filter(|node| {
            node.kind() == "labeled_statement" && node.start_byte() < statement.start_byte()
        })
        .filter_map(|node| node.child_by_field_name("label"))
        .map(|label| &text[label.byte_range()])
        .collect();
    let jumps_back = nodes.iter().any(|node| {
        node.kind() == "goto_statement"
            && node.start_byte() > statement.end_byte()
            && jump_label(*node, text).is_some_and(|label| labels_before.contains(&label))
    });
    if in_loop || jumps_back {
        return Err("a defer in a loop would hold every context until the function returns");
    }
    let cancel_text = &text[cancel_node.byte_range()];
    if cancel_text == "_" && !rename_blank {
        return Err("the cancel function would need a new variable in an `=` assignment");
    }
    if !clear_of_trailing_comments(text, &[statement.start_byte(), statement.end_byte()]) {
        return Err("a trailing comment next to the assignment would need realigning");
    }
    let mut edits = Vec::new();
    let name = if rename_blank {
        let mut taken: HashSet<String> = used_names(function, text);
        let name = fresh_name("cancel", &mut taken);
        edits.push(Edit::replace(cancel_node.byte_range(), name.clone()));
        name
    } else {
        cancel_text.to_owned()
    };
    // A CancelCauseFunc takes the cause; nil means "canceled" as plain cancel does.
    let argument = if constructor == "WithCancelCause" {
        "nil"
    } else {
        ""
    };
    let defer = insert_line_after(text, statement, &format!("defer {name}({argument})"))
        .ok_or("something follows the assignment on its line")?;
    edits.push(defer);
    let in_main = function.kind() == "function_declaration"
        && function
            .child_by_field_name("name")
            .is_some_and(|name| &text[name.byte_range()] == "main")
        && is_package_main(file);
    let applicability = if in_main || context_escapes(function, statement, ctx, text) {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    Ok(Fix::new(
        format!("defer {name}() right after the context is created"),
        edits,
        applicability,
    ))
}

fn is_package_main(file: &GoFile) -> bool {
    let root = file.tree.root_node();
    let mut cursor = root.walk();
    let clause = root
        .named_children(&mut cursor)
        .find(|node| node.kind() == "package_clause");
    clause.is_some_and(|clause| {
        clause
            .named_child(0)
            .is_some_and(|name| &file.text[name.byte_range()] == "main")
    })
}

/// Whether the context, or anything derived from it (a child context, `exec.CommandContext(ctx,
/// …)`, rows from `QueryContext`), may be used after the function returns: returned, sent,
/// stored outside a local variable, captured by a goroutine or a function literal that is not
/// called on the spot, or handed to something that starts background work (`cmd.Start()`,
/// `group.Go(…)`). Functions that take a context are assumed to be done with it when they return,
/// as the context package's conventions ask.
fn context_escapes(function: Node, statement: Node, ctx: &str, text: &str) -> bool {
    let Some(body) = function.child_by_field_name("body") else {
        return true;
    };
    let after: Vec<Node> = descendants(body, |_| false)
        .into_iter()
        .filter(|node| node.start_byte() >= statement.end_byte())
        .collect();
    let mut tracked: HashSet<&str> = HashSet::from([ctx]);
    loop {
        let before = tracked.len();
        for node in &after {
            let Some(declaration) = Declaration::of(*node, text).or_else(|| assignment(*node))
            else {
                continue;
            };
            let derived = declaration
                .values
                .iter()
                .any(|value| tracked.iter().any(|name| mentions(*value, name, text)));
            if derived {
                for name in &declaration.names {
                    let name = &text[name.byte_range()];
                    if name != "_" && name != "err" {
                        tracked.insert(name);
                    }
                }
            }
        }
        if tracked.len() == before {
            break;
        }
    }
    // A defer or closure made before the assignment that reads the context (or a variable only
    // given it afterwards, `cur = ctx`) may run after the new deferred cancel.
    let read_by_earlier_closure = descendants(body, |_| false).into_iter().any(|node| {
        node.end_byte() <= statement.start_byte()
            && matches!(node.kind(), "func_literal" | "defer_statement")
            && tracked.iter().any(|name| mentions(node, name, text))
    });
    if read_by_earlier_closure {
        return true;
    }
    // Uses anywhere in the function count: a closure made before the assignment may read a
    // variable that is only given the context afterwards.
    descendants(body, |_| false).into_iter().any(|node| {
        node.kind() == "identifier"
            && tracked.contains(&text[node.byte_range()])
            && use_escapes(node, function, body, text)
    })
}

/// `x = value` read as a declaration of `x`, for following derived values.
fn assignment(node: Node) -> Option<Declaration> {
    if node.kind() != "assignment_statement" {
        return None;
    }
    Some(Declaration {
        statement: node,
        names: expression_list(node.child_by_field_name("left")?),
        values: expression_list(node.child_by_field_name("right")?),
    })
}

fn use_escapes(ident: Node, function: Node, body: Node, text: &str) -> bool {
    for ancestor in ancestors(ident) {
        if ancestor.id() == function.id() {
            return false;
        }
        match ancestor.kind() {
            "go_statement" | "send_statement" | "literal_value" => return true,
            "return_statement" if !returns_only_plain_values(function, text) => return true,
            "func_literal" if !is_called_on_the_spot(ancestor) => return true,
            "call_expression" => {
                let callee = ancestor.child_by_field_name("function");
                let starts_background = callee
                    .and_then(|callee| callee.child_by_field_name("field"))
                    .is_some_and(|field| BACKGROUND_STARTERS.contains(&&text[field.byte_range()]));
                let appends = callee.is_some_and(|callee| &text[callee.byte_range()] == "append");
                if starts_background || appends {
                    return true;
                }
            }
            "assignment_statement" | "short_var_declaration" => {
                let in_right = ancestor
                    .child_by_field_name("right")
                    .is_some_and(|right| right.start_byte() <= ident.start_byte());
                let stored_outside = ancestor.child_by_field_name("left").is_some_and(|left| {
                    expression_list(left).iter().any(|target| {
                        target.kind() != "identifier"
                            || (ancestor.kind() == "assignment_statement"
                                && &text[target.byte_range()] != "_"
                                && find_declaration(
                                    &text[target.byte_range()],
                                    *target,
                                    body,
                                    text,
                                )
                                .is_none())
                    })
                });
                if in_right && stored_outside {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// Result types besides numbers that cannot hold on to a context.
const PLAIN_TYPES: &[&str] = &["error", "bool", "string", "[]byte", "time.Duration"];

fn is_plain_type(type_text: &str) -> bool {
    PLAIN_TYPES.contains(&type_text) || NUMERIC_TYPES.contains(&type_text)
}

/// Whether every result of the function has a type from `PLAIN_TYPES` (or there are none), so
/// whatever it returns cannot reference the context.
fn returns_only_plain_values(function: Node, text: &str) -> bool {
    let Some(result) = function.child_by_field_name("result") else {
        return true;
    };
    if result.kind() != "parameter_list" {
        return is_plain_type(&text[result.byte_range()]);
    }
    let mut cursor = result.walk();
    result
        .named_children(&mut cursor)
        .filter(|node| node.kind() == "parameter_declaration")
        .all(|declaration| {
            declaration
                .child_by_field_name("type")
                .is_some_and(|ty| is_plain_type(&text[ty.byte_range()]))
        })
}

/// A function literal called where it is written (`func() { … }()`), not by `go`.
fn is_called_on_the_spot(literal: Node) -> bool {
    literal.parent().is_some_and(|parent| {
        parent.kind() == "call_expression"
            && parent
                .child_by_field_name("function")
                .is_some_and(|callee| callee.id() == literal.id())
    }) && !ancestors(literal)
        .take_while(|node| !is_function(*node))
        .any(|node| node.kind() == "go_statement")
}
