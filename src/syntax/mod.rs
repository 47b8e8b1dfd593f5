//! Go syntax helpers over tree-sitter-go trees, shared by the engine and every rule.
//!
//! Rules never see raw tree-sitter setup: they get a parsed [`GoFile`] and use these helpers to
//! ask syntactic questions (what a jump targets, where a name is declared, how a line is indented).

pub mod flow;
pub mod indent;
pub mod names;

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
