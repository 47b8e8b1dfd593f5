//! Error checks: finding the `if err != nil { … }` that guards the results of a call.

use tree_sitter::Node;

use super::descendants;
use super::flow::Exits;
use super::names::expression_list;

/// How the first statement after a call that mentions its error variable treats it.
pub enum ErrorCheck<'t> {
    /// `if err != nil { … }` (no init statement, no else) whose body always leaves: after it,
    /// `err == nil` holds.
    Leaving(Node<'t>),
    /// Any other `if` testing the error: a compound condition, a body that may fall through, an
    /// else branch. Code after it cannot assume `err == nil`.
    Other(Node<'t>),
}

impl<'t> ErrorCheck<'t> {
    pub fn statement(&self) -> Node<'t> {
        match self {
            ErrorCheck::Leaving(node) | ErrorCheck::Other(node) => *node,
        }
    }
}

/// Whether `node` mentions the identifier `name` (outside nested function literals too).
pub fn mentions(node: Node, name: &str, text: &str) -> bool {
    std::iter::once(node)
        .chain(descendants(node, |_| false))
        .any(|child| child.kind() == "identifier" && &text[child.byte_range()] == name)
}

/// The check of `err` among the statements following `statement` in its block: the first of them
/// that mentions `err` must be an `if` whose condition tests it. `None` when there is no such
/// statement, or when `err` is used or reassigned first. `skip` statements (the defer being moved)
/// are passed over.
pub fn error_check_after<'t>(
    statement: Node<'t>,
    err: &str,
    text: &str,
    exits: &Exits,
    skip: &dyn Fn(Node) -> bool,
) -> Option<ErrorCheck<'t>> {
    let mut next = statement.next_named_sibling();
    while let Some(candidate) = next {
        next = candidate.next_named_sibling();
        if candidate.kind() == "comment" || skip(candidate) || !mentions(candidate, err, text) {
            continue;
        }
        if candidate.kind() != "if_statement" {
            return None;
        }
        let condition = candidate.child_by_field_name("condition")?;
        if !mentions(condition, err, text) {
            return None;
        }
        let leaving = candidate.child_by_field_name("initializer").is_none()
            && candidate.child_by_field_name("alternative").is_none()
            && is_not_nil_test(condition, err, text)
            && candidate
                .child_by_field_name("consequence")
                .is_some_and(|body| exits.always_leaves(body, text));
        return Some(if leaving {
            ErrorCheck::Leaving(candidate)
        } else {
            ErrorCheck::Other(candidate)
        });
    }
    None
}

/// `err != nil` or `nil != err`, possibly parenthesised.
fn is_not_nil_test(condition: Node, err: &str, text: &str) -> bool {
    let mut condition = condition;
    while condition.kind() == "parenthesized_expression" {
        match condition.named_child(0) {
            Some(inner) => condition = inner,
            None => return false,
        }
    }
    if condition.kind() != "binary_expression" {
        return false;
    }
    let operand = |field: &str| {
        condition
            .child_by_field_name(field)
            .map(|node| &text[node.byte_range()])
    };
    let operator = operand("operator");
    let (left, right) = (operand("left"), operand("right"));
    operator == Some("!=")
        && matches!(
            (left, right),
            (Some(l), Some("nil")) | (Some("nil"), Some(l)) if l == err
        )
}

/// Whether `node` compares `value` with nil (`x == nil`, `nil != x`).
pub fn compares_with_nil(node: Node, value: &str, text: &str) -> bool {
    descendants(node, |_| false).into_iter().any(|child| {
        child.kind() == "binary_expression"
            && child
                .child_by_field_name("operator")
                .is_some_and(|op| matches!(&text[op.byte_range()], "==" | "!="))
            && {
                let side = |field: &str| {
                    child
                        .child_by_field_name(field)
                        .map_or("", |side| &text[side.byte_range()])
                };
                matches!((side("left"), side("right")), (l, "nil") | ("nil", l) if l == value)
            }
    })
}

/// The names a declaration or assignment statement writes, in order (`tx, err := …`).
pub fn assigned_names<'a>(statement: Node, text: &'a str) -> Vec<&'a str> {
    statement
        .child_by_field_name("left")
        .map(expression_list)
        .unwrap_or_default()
        .into_iter()
        .map(|node| &text[node.byte_range()])
        .collect()
}

/// The single value of a declaration or assignment statement (`db.Begin()` in `tx, err := db.Begin()`).
pub fn single_value(statement: Node) -> Option<Node> {
    let values = expression_list(statement.child_by_field_name("right")?);
    match values.as_slice() {
        [value] => Some(*value),
        _ => None,
    }
}
