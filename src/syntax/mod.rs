//! Go syntax helpers over tree-sitter-go trees, shared by the engine and every rule.
//!
//! Rules never see raw tree-sitter setup: they get a parsed [`GoFile`] and use these helpers to
//! ask syntactic questions (what a jump targets, where a name is declared, how a line is indented).

pub mod checks;
pub mod flow;
pub mod indent;
pub mod known;
pub mod names;
pub mod statements;

use tree_sitter::{Language, Node, Parser, Tree};

pub fn language() -> Language {
    tree_sitter_go::LANGUAGE.into()
}

pub fn new_parser() -> Parser {
    let mut parser = Parser::new();
    // The grammar is compiled into this binary; a version mismatch is a build bug, not user input.
    parser
        .set_language(&language())
        .expect("tree-sitter-go is ABI-compatible with the tree-sitter crate it is pinned with");
    parser
}

/// Parses Go source. tree-sitter-go 0.25 predates Go 1.26's `new(expr)` (`new(uint64(3))`) and
/// reads every `new(…)` as taking a type; when a file does not parse, it is parsed once more with
/// each `new` whose argument cannot start a type spelled as an ordinary function of the same
/// length, so offsets (and the text every node refers to) stay those of the real source.
pub fn parse(parser: &mut Parser, text: &str) -> Tree {
    // `parse` only returns None without a language or after a cancellation, neither of which
    // this crate ever sets up.
    let tree = parser
        .parse(text, None)
        .expect("parser has a language and no cancellation");
    if !tree.root_node().has_error() {
        return tree;
    }
    let Some(masked) = mask_new_expressions(text) else {
        return tree;
    };
    let retry = parser
        .parse(&masked, None)
        .expect("parser has a language and no cancellation");
    if retry.root_node().has_error() {
        tree
    } else {
        retry
    }
}

/// `text` with `new(` spelled `nev(` wherever what follows cannot be a type (`new(uint64(3))`,
/// `new(f())`); `None` when there is no such place.
fn mask_new_expressions(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut masked: Option<Vec<u8>> = None;
    for at in crate::query::word_offsets(bytes, "new") {
        let rest = &text[at + 3..];
        let Some(argument) = rest.strip_prefix('(') else {
            continue;
        };
        let argument = argument.trim_start();
        let starts_type = argument.starts_with(['[', '*', '('])
            || ["map", "chan", "struct", "func", "interface"]
                .iter()
                .any(|keyword| crate::query::contains_word_at(argument.as_bytes(), keyword));
        if !starts_type {
            masked.get_or_insert_with(|| bytes.to_vec())[at + 2] = b'v';
        }
    }
    masked.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// `(operand, field)` of a call `operand.field(…)`: a method call or a package function call.
pub fn selector_call(call: Node) -> Option<(Node, Node)> {
    if call.kind() != "call_expression" {
        return None;
    }
    let callee = call
        .child_by_field_name("function")
        .filter(|callee| callee.kind() == "selector_expression")?;
    Some((
        callee.child_by_field_name("operand")?,
        callee.child_by_field_name("field")?,
    ))
}

/// The call of `function` when `function` is what the call calls (`f` in `f(x)`, the literal in
/// `func() { … }()`); a literal called this way runs where it is written (unless a `go`
/// statement starts the call).
pub fn call_of(function: Node) -> Option<Node> {
    function.parent().filter(|call| {
        call.kind() == "call_expression"
            && call
                .child_by_field_name("function")
                .is_some_and(|callee| callee.id() == function.id())
    })
}

/// The expression inside any number of parentheses.
pub fn strip_parens(mut node: Node) -> Node {
    while node.kind() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

/// The `parameter_declaration`s (variadic ones too) of a parameter list.
pub fn parameter_declarations(list: Node) -> Vec<Node> {
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|child| {
            matches!(
                child.kind(),
                "parameter_declaration" | "variadic_parameter_declaration"
            )
        })
        .collect()
}

/// One name per parameter of a function (`""` for unnamed ones), in order.
pub fn parameter_names(function: Node, text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let Some(list) = function.child_by_field_name("parameters") else {
        return names;
    };
    for declaration in parameter_declarations(list) {
        let mut cursor = declaration.walk();
        let named: Vec<String> = declaration
            .children_by_field_name("name", &mut cursor)
            .map(|ident| text[ident.byte_range()].to_owned())
            .collect();
        if named.is_empty() {
            names.push(String::new());
        }
        names.extend(named);
    }
    names
}

/// A parsed Go file: its text and syntax tree.
pub struct GoFile<'a> {
    pub text: &'a str,
    pub tree: &'a Tree,
}

impl<'a> GoFile<'a> {
    pub fn text_of(&self, node: Node) -> &'a str {
        &self.text[node.byte_range()]
    }
}

/// Byte offset of the first ERROR or MISSING node, if the tree has one.
pub fn first_syntax_error(tree: &Tree) -> Option<usize> {
    let root = tree.root_node();
    if !root.has_error() {
        return None;
    }
    let mut node = root;
    'descend: loop {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.is_error() || child.is_missing() {
                return Some(child.start_byte());
            }
            if child.has_error() {
                node = child;
                continue 'descend;
            }
        }
        return Some(node.start_byte());
    }
}

/// Kinds that start a new function body: jumps and defers never cross them.
pub fn is_function(node: Node) -> bool {
    matches!(
        node.kind(),
        "function_declaration" | "method_declaration" | "func_literal"
    )
}

/// The innermost function (declaration, method or literal) containing `node`.
pub fn enclosing_function(node: Node) -> Option<Node> {
    ancestors(node).find(|ancestor| is_function(*ancestor))
}

/// Strict ancestors of `node`, innermost first.
pub fn ancestors(node: Node) -> impl Iterator<Item = Node> {
    std::iter::successors(node.parent(), |node| node.parent())
}

/// Every descendant of `node` in source order, not descending into nodes `prune` accepts
/// (a pruned node itself is still visited).
pub fn descendants<'t>(node: Node<'t>, prune: impl Fn(Node<'t>) -> bool) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cursor = node.walk();
    if !cursor.goto_first_child() {
        return out;
    }
    loop {
        let current = cursor.node();
        out.push(current);
        if !prune(current) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() || cursor.node().id() == node.id() {
                return out;
            }
        }
    }
}

/// `node` and every descendant of it, in source order, not descending into function literals
/// other than `node` itself.
pub fn descendants_and_self(node: Node) -> Vec<Node> {
    let mut all = vec![node];
    all.extend(descendants(node, |child| {
        is_function(child) && child.id() != node.id()
    }));
    all
}

/// The statements of a `block` (tree-sitter-go wraps them in a `statement_list`, absent when empty).
pub fn block_statements(block: Node) -> Vec<Node> {
    let mut cursor = block.walk();
    let Some(list) = block
        .named_children(&mut cursor)
        .find(|child| child.kind() == "statement_list")
    else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|child| child.kind() != "comment")
        .collect()
}

#[cfg(test)]
pub(crate) fn parse_for_test(text: &str) -> Tree {
    new_parser()
        .parse(text, None)
        .expect("parser has a language")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_1_26_new_expressions_parse() {
        let text = "package p\n\nvar a = new(uint64(3))\nvar b = new([]int)\nvar c = new(T)\n";
        let tree = parse(&mut new_parser(), text);
        assert!(
            !tree.root_node().has_error(),
            "{}",
            tree.root_node().to_sexp()
        );
        // Offsets are those of the real text.
        let call = descendants(tree.root_node(), |_| false)
            .into_iter()
            .find(|node| node.kind() == "call_expression")
            .unwrap();
        assert_eq!(&text[call.byte_range()], "new(uint64(3))");
    }

    #[test]
    fn files_that_do_not_parse_still_report_errors() {
        let text = "package p\n\nvar a = new(uint64(3)) +\n";
        assert!(parse(&mut new_parser(), text).root_node().has_error());
    }
}
