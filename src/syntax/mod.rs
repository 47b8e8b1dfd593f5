//! Go syntax helpers over tree-sitter-go trees, shared by the engine and every rule.
//!
//! Rules never see raw tree-sitter setup: they get a parsed [`GoFile`] and use these helpers to
//! ask syntactic questions (what a jump targets, where a name is declared, how a line is indented).

pub mod checks;
pub mod flow;
pub mod imports;
pub mod indent;
pub mod known;
pub mod names;
pub mod statements;

use tree_sitter::{Language, Node, Parser, Tree};

pub fn language() -> Language {
    tree_sitter_go::LANGUAGE.into()
}

/// `node.kind()` without its cost: tree-sitter's `Node::kind` measures and checks the C string
/// of the name on every call, a fifth of the instructions of walking a function's scopes. The
/// names are read once per kind here (the same `ts_language_symbol_name` of the same symbol).
pub fn kind_of<'t>(node: Node<'t>) -> &'t str {
    static LANGUAGE: std::sync::OnceLock<Language> = std::sync::OnceLock::new();
    static KINDS: std::sync::OnceLock<Vec<Option<&'static str>>> = std::sync::OnceLock::new();
    let kinds = KINDS.get_or_init(|| {
        let language = LANGUAGE.get_or_init(language);
        (0..language.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| language.node_kind_for_id(id))
            })
            .collect()
    });
    // `ERROR` and the other built-in symbols are outside the table.
    kinds
        .get(usize::from(node.kind_id()))
        .copied()
        .flatten()
        .unwrap_or_else(|| node.kind())
}

pub fn new_parser() -> Parser {
    let mut parser = Parser::new();
    // The grammar is compiled into this binary; a version mismatch is a build bug, not user input.
    parser
        .set_language(&language())
        .expect("tree-sitter-go is ABI-compatible with the tree-sitter crate it is pinned with");
    parser
}

/// Parses Go source. tree-sitter-go 0.25 reads every `new(…)` and `make(…)` as taking a type, so
/// it fails on Go 1.26's `new(expr)` (`new(uint64(3))`) and on a local function that shadows the
/// builtin `make` and is called with a value (`make(n - 1)`). When a file does not parse, it is
/// parsed once more with each such call whose argument cannot start a type spelled as an ordinary
/// call of a function of the same length (see [`mask_builtin_calls`]), so offsets (and the text
/// every node refers to) stay those of the real source. The masked text is only what the parser
/// sees: every caller reads node text from the original `text`.
pub fn parse(parser: &mut Parser, text: &str) -> Tree {
    parse_file(parser, text).tree
}

/// A parsed file, and whether its tree is of the masked text (see [`parse`]).
pub struct Parse {
    pub tree: Tree,
    pub masked: bool,
}

/// [`parse`], saying whether the tree needed the masking retry.
pub fn parse_file(parser: &mut Parser, text: &str) -> Parse {
    // `parse` only returns None without a language or after a cancellation, neither of which
    // this crate ever sets up.
    let tree = parser
        .parse(text, None)
        .expect("parser has a language and no cancellation");
    if !tree.root_node().has_error() {
        return Parse {
            tree,
            masked: false,
        };
    }
    let Some(masked) = mask_builtin_calls(text) else {
        return Parse {
            tree,
            masked: false,
        };
    };
    let retry = parser
        .parse(&masked, None)
        .expect("parser has a language and no cancellation");
    if retry.root_node().has_error() {
        Parse {
            tree,
            masked: false,
        }
    } else {
        Parse {
            tree: retry,
            masked: true,
        }
    }
}

/// Parses `text`, made from the text of `previous` by `edits` (sorted, disjoint, in the previous
/// text's offsets), reusing the subtrees the edits did not touch: a fixed file costs a fraction
/// of a second full parse. Only an error-free result is kept; anything else (and a previous
/// tree of masked text, whose reused parts would not be the real bytes) is parsed afresh with
/// [`parse_file`], so the answer is always the one a full parse gives.
pub fn reparse(
    parser: &mut Parser,
    previous: Parse,
    previous_text: &str,
    edits: &[TextChange],
    text: &str,
) -> Parse {
    if previous.masked {
        return parse_file(parser, text);
    }
    let mut old = previous.tree;
    // Last edit first: each one's positions, in the previous text, stay valid for the next.
    for edit in input_edits(previous_text, edits).iter().rev() {
        old.edit(edit);
    }
    let tree = parser
        .parse(text, Some(&old))
        .expect("parser has a language and no cancellation");
    if tree.root_node().has_error() {
        return parse_file(parser, text);
    }
    Parse {
        tree,
        masked: false,
    }
}

/// One replacement of a byte range by new text.
pub struct TextChange<'e> {
    pub range: std::ops::Range<usize>,
    pub insert: &'e str,
}

/// tree-sitter's description of each change, with row/column points in the previous text.
fn input_edits(previous_text: &str, edits: &[TextChange]) -> Vec<tree_sitter::InputEdit> {
    let bytes = previous_text.as_bytes();
    let mut point = tree_sitter::Point::new(0, 0);
    let mut at = 0;
    // The edits are sorted, so one scan from the start finds every position.
    let mut advance = |to: usize| {
        let segment = &bytes[at..to];
        match memchr::memrchr(b'\n', segment) {
            Some(last) => {
                point.row += memchr::memchr_iter(b'\n', segment).count();
                point.column = segment.len() - last - 1;
            }
            None => point.column += segment.len(),
        }
        at = to;
        point
    };
    edits
        .iter()
        .map(|edit| {
            let start_position = advance(edit.range.start);
            let old_end_position = advance(edit.range.end);
            let new_end_position = match edit.insert.rfind('\n') {
                Some(last) => tree_sitter::Point::new(
                    start_position.row + edit.insert.matches('\n').count(),
                    edit.insert.len() - last - 1,
                ),
                None => tree_sitter::Point::new(
                    start_position.row,
                    start_position.column + edit.insert.len(),
                ),
            };
            tree_sitter::InputEdit {
                start_byte: edit.range.start,
                old_end_byte: edit.range.end,
                new_end_byte: edit.range.start + edit.insert.len(),
                start_position,
                old_end_position,
                new_end_position,
            }
        })
        .collect()
}

/// `text` with `new(` spelled `nev(` and `make(` spelled `mak_(` wherever the argument cannot be
/// a type; `None` when there is no such place. Bytes are replaced one for one, never inserted or
/// removed.
fn mask_builtin_calls(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut masked: Option<Vec<u8>> = None;
    for at in crate::text::word_offsets(bytes, "new") {
        let Some(argument) = text[at + 3..].strip_prefix('(') else {
            continue;
        };
        if !new_argument_may_be_type(argument.trim_start()) {
            masked.get_or_insert_with(|| bytes.to_vec())[at + 2] = b'v';
        }
    }
    for at in crate::text::word_offsets(bytes, "make") {
        let Some(argument) = text[at + 4..].strip_prefix('(') else {
            continue;
        };
        if make_argument_is_not_type(argument.trim_start()) {
            masked.get_or_insert_with(|| bytes.to_vec())[at + 3] = b'_';
        }
    }
    masked.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// Go 1.26 gave `new` an expression argument, so anything but what starts a type literal
/// (`new(uint64(3))`, `new(f())`, `new(x)`) is read as an expression.
fn new_argument_may_be_type(argument: &str) -> bool {
    argument.starts_with(['[', '*', '('])
        || ["map", "chan", "struct", "func", "interface"]
            .iter()
            .any(|keyword| crate::text::contains_word_at(argument.as_bytes(), keyword))
}

/// Whether the first argument of a `make(` call (the text after the parenthesis) clearly is not a
/// type, so the call can only be of a function that shadows the builtin (`make(n - 1)`,
/// `make(100)`). The builtin's argument is always a type, and a type can be spelled like an
/// expression, so only what no type can look like counts:
/// - a literal: a digit, `.5`, a string or rune (`make(100)`, `make("x")`);
/// - a unary operator `-`, `+`, `!`, `^`, `&` (not `*`: `*T` is a type; not `<-`: `<-chan T` is
///   one);
/// - a name or qualified name (`n`, `pkg.N`) followed by a binary operator, a call's `(`, a
///   composite literal's `{` or a type assertion's `.(`: `make(n - 1)`, `make(f(x))`.
///
/// A lone name (`make(T, n)`, `make(n)`) or one followed by `[` (`make(S[int], n)`: a generic
/// type or an index) is ambiguous and left alone; tree-sitter parses it as a type name, which
/// does not make the file fail. Neither do keywords that start types (`map`, `chan`, `func`,
/// `struct`, `interface`) or `[`, `*`, `(`. The masking applies only to a file that does not
/// parse as it is, and a `make` of the builtin with such an argument does not compile anyway.
fn make_argument_is_not_type(argument: &str) -> bool {
    let bytes = argument.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    if first.is_ascii_digit()
        || matches!(
            first,
            b'"' | b'\'' | b'`' | b'-' | b'+' | b'!' | b'^' | b'&'
        )
        || (first == b'.' && bytes.get(1).is_some_and(u8::is_ascii_digit))
    {
        return true;
    }
    let is_word_byte = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80;
    if !is_word_byte(first) {
        return false;
    }
    if ["map", "chan", "struct", "func", "interface"]
        .iter()
        .any(|keyword| crate::text::contains_word_at(bytes, keyword))
    {
        return false;
    }
    // Past a (qualified) name: `a`, `a.b`.
    let mut at = 0;
    loop {
        while bytes.get(at).is_some_and(|&byte| is_word_byte(byte)) {
            at += 1;
        }
        match (bytes.get(at), bytes.get(at + 1)) {
            (Some(b'.'), Some(b'(')) => return true,
            (Some(b'.'), Some(&next)) if is_word_byte(next) && !next.is_ascii_digit() => at += 1,
            _ => break,
        }
    }
    while bytes
        .get(at)
        .is_some_and(|&byte| byte == b' ' || byte == b'\t')
    {
        at += 1;
    }
    match bytes.get(at) {
        // A comment (`make(T /* … */, n)`) is not an operator.
        Some(b'/') => !matches!(bytes.get(at + 1), Some(b'/' | b'*')),
        Some(&next) => matches!(
            next,
            b'+' | b'-'
                | b'*'
                | b'%'
                | b'&'
                | b'|'
                | b'^'
                | b'<'
                | b'>'
                | b'='
                | b'!'
                | b'('
                | b'{'
        ),
        None => false,
    }
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

/// The operand and field of a call `x.M(…)` whose method `M` is one of `names`: what a query's
/// `(selector_expression field: (field_identifier) @m)` with `(#any-of? @m …)` took, for a
/// query that captures only the call (such nesting is most of the cost of compiling a query).
pub fn method_call_named<'t>(
    call: Node<'t>,
    text: &str,
    names: &[&str],
) -> Option<(Node<'t>, Node<'t>)> {
    let (operand, field) = selector_call(call)?;
    names
        .contains(&&text[field.byte_range()])
        .then_some((operand, field))
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

/// Byte offset of the first place where the file is not Go the toolchain accepts: an ERROR or
/// MISSING node, a second package clause, or an import declaration after another declaration
/// (tree-sitter reads both anywhere at the top level; `go build` and gofmt refuse them, and the
/// lexical view, like Go, reads imports only before the first declaration).
pub fn first_syntax_error(tree: &Tree) -> Option<usize> {
    let root = tree.root_node();
    let error = root.has_error().then(|| first_error_node(root));
    [error, misplaced_header(root)].into_iter().flatten().min()
}

/// The start of the first ERROR or MISSING node below `root`, which has one.
fn first_error_node(root: Node) -> usize {
    let mut node = root;
    'descend: loop {
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            if child.is_error() || child.is_missing() {
                return child.start_byte();
            }
            if child.has_error() {
                node = child;
                continue 'descend;
            }
        }
        return node.start_byte();
    }
}

/// The start of the first top-level clause out of Go's order: a package clause after anything
/// but comments, or an import declaration after a declaration of another kind.
fn misplaced_header(root: Node) -> Option<usize> {
    let mut cursor = root.walk();
    let (mut begun, mut declared) = (false, false);
    for child in root.named_children(&mut cursor) {
        match child.kind() {
            "comment" => continue,
            "package_clause" if begun => return Some(child.start_byte()),
            "import_declaration" if declared => return Some(child.start_byte()),
            "package_clause" | "import_declaration" => {}
            _ => declared = true,
        }
        begun = true;
    }
    None
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

/// [`enclosing_function`] found by one descent from `top`, the tree's root (or any ancestor of
/// `node`): `Node::parent` descends from the root on every call, so climbing costs one descent
/// per level and this costs one in all.
pub fn enclosing_function_below<'t>(top: Node<'t>, node: Node<'t>) -> Option<Node<'t>> {
    let mut innermost = (top.id() != node.id() && is_function(top)).then_some(top);
    let mut current = top;
    while let Some(child) = current.child_with_descendant(node) {
        if child.id() == node.id() {
            break;
        }
        if is_function(child) {
            innermost = Some(child);
        }
        current = child;
    }
    innermost
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

/// A node with a way up to its parent: a plain tree-sitter node, or a node of a [`Family`].
pub trait Up<'t>: Copy {
    fn node(self) -> Node<'t>;
    fn up(self) -> Option<Self>;
}

impl<'t> Up<'t> for Node<'t> {
    fn node(self) -> Node<'t> {
        self
    }

    fn up(self) -> Option<Self> {
        self.parent()
    }
}

/// A root and its descendants in source order (as [`descendants`] with no pruning), with the
/// parent of each, found in one walk. `Node::parent` searches down from the tree's root on each
/// call, at a cost that grows with the file's top-level declarations: too slow for a question
/// asked of every identifier of a function.
pub struct Family<'t> {
    nodes: Vec<Node<'t>>,
    /// Index of each node's parent in `nodes`; the root's is its own index, 0.
    parents: Vec<usize>,
}

/// A node of a [`Family`]; above the family's root, the way up is the tree's own.
#[derive(Clone, Copy)]
pub enum Member<'f, 't> {
    In(&'f Family<'t>, usize),
    Above(Node<'t>),
}

impl<'t> Family<'t> {
    pub fn walk(root: Node<'t>) -> Family<'t> {
        let mut family = Family {
            nodes: vec![root],
            parents: vec![0],
        };
        let mut cursor = root.walk();
        // Index in `nodes` of the node the cursor is under.
        let mut parent = 0;
        if !cursor.goto_first_child() {
            return family;
        }
        loop {
            family.nodes.push(cursor.node());
            family.parents.push(parent);
            if cursor.goto_first_child() {
                parent = family.nodes.len() - 1;
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    break;
                }
                if !cursor.goto_parent() || parent == 0 {
                    return family;
                }
                parent = family.parents[parent];
            }
        }
    }

    /// The root, then its descendants in source order.
    pub fn nodes(&self) -> &[Node<'t>] {
        &self.nodes
    }

    pub fn member(&self, index: usize) -> Member<'_, 't> {
        Member::In(self, index)
    }
}

impl<'t> Up<'t> for Member<'_, 't> {
    fn node(self) -> Node<'t> {
        match self {
            Member::In(family, index) => family.nodes[index],
            Member::Above(node) => node,
        }
    }

    fn up(self) -> Option<Self> {
        match self {
            Member::In(family, 0) => family.nodes[0].parent().map(Member::Above),
            Member::In(family, index) => Some(Member::In(family, family.parents[index])),
            Member::Above(node) => node.parent().map(Member::Above),
        }
    }
}

/// Strict ancestors of `start`, innermost first (as [`ancestors`]).
pub fn ancestors_of<'t, U: Up<'t>>(start: U) -> impl Iterator<Item = U> {
    std::iter::successors(start.up(), |node| node.up())
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

/// The text of every rule's fixture, for tests that compare two ways of computing a fact.
#[cfg(test)]
pub(crate) fn fixture_texts() -> Vec<String> {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("transforms");
    let mut texts = Vec::new();
    for rule in std::fs::read_dir(&fixtures).into_iter().flatten().flatten() {
        for fixture in std::fs::read_dir(rule.path().join("fixtures"))
            .into_iter()
            .flatten()
            .flatten()
        {
            texts.extend(std::fs::read_to_string(fixture.path()).ok());
        }
    }
    texts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every node of `tree` with its kind, range and points, in source order.
    fn shape(tree: &Tree) -> Vec<String> {
        std::iter::once(tree.root_node())
            .chain(descendants(tree.root_node(), |_| false))
            .map(|node| {
                let (start, end) = (node.start_position(), node.end_position());
                format!("{} {:?} {start:?} {end:?}", node.kind(), node.byte_range())
            })
            .collect()
    }

    #[test]
    fn an_import_after_a_declaration_or_a_second_package_clause_is_a_syntax_error_as_in_go() {
        let error_at = |text: &str| first_syntax_error(&parse(&mut new_parser(), text));
        let late = "package p\n\ntype T int\n\nimport \"os\"\n\nfunc f() { os.Exit(0) }\n";
        assert_eq!(error_at(late), late.find("import"));
        let grouped_late = "package p\n\nimport \"fmt\"\n\nvar x = 1\n\nimport (\n\t\"os\"\n)\n";
        assert_eq!(error_at(grouped_late), grouped_late.find("import ("));
        for fine in [
            "package p\n\n// imports follow\nimport \"fmt\"\n\n/* and more */\nimport (\n\t\"os\"\n)\n\nfunc f() { fmt.Println(os.Args) }\n",
            "package p\n\nfunc f() {}\n\n// import \"os\" in a comment\n",
            "package p\n",
        ] {
            assert_eq!(error_at(fine), None, "{fine}");
        }
        let second_package =
            "package p\n\nimport \"fmt\"\n\npackage p\n\nfunc f() { fmt.Println() }\n";
        assert_eq!(error_at(second_package), second_package.rfind("package"));
        // The earlier of the two kinds of error is the one reported.
        let both = "package p\n\nfunc f() {}\n\nimport \"os\"\n\nfunc g() { ( }\n";
        assert_eq!(error_at(both), both.find("import"));
    }

    #[test]
    fn a_family_knows_every_parent_the_tree_knows() {
        let text = "package p\n\nfunc f(m map[string]int) {\n\tfor k := range m {\n\t\tx := T{k: 1}\n\t\tuse(x)\n\t}\n}\n";
        let tree = parse(&mut new_parser(), text);
        let function = tree.root_node().named_child(1).unwrap();
        let family = Family::walk(function);
        let expected: Vec<Node> = std::iter::once(function)
            .chain(descendants(function, |_| false))
            .collect();
        assert_eq!(family.nodes(), expected.as_slice());
        for (index, node) in family.nodes().iter().enumerate() {
            let up = family.member(index).up().map(Up::node);
            assert_eq!(up, node.parent(), "parent of {}", node.kind());
            let climbed: Vec<Node> = ancestors_of(family.member(index)).map(Up::node).collect();
            assert_eq!(climbed, ancestors(*node).collect::<Vec<_>>());
        }
    }

    #[test]
    fn one_descent_finds_the_function_climbing_finds() {
        let text = "package p\n\nvar v = func() int { return 1 }()\n\nfunc f(xs []int) {\n\tfor _, x := range xs {\n\t\tgo func() {\n\t\t\tdefer func() { use(x) }()\n\t\t}()\n\t}\n}\n\nfunc (t T) m() { g(func() {}) }\n";
        let tree = parse(&mut new_parser(), text);
        let root = tree.root_node();
        let nodes: Vec<Node> = std::iter::once(root)
            .chain(descendants(root, |_| false))
            .collect();
        let mut inside_literals = 0;
        for node in &nodes {
            let climbed = enclosing_function(*node);
            assert_eq!(
                enclosing_function_below(root, *node),
                climbed,
                "function around {} at {:?}",
                node.kind(),
                node.byte_range()
            );
            inside_literals += usize::from(climbed.is_some_and(|f| f.kind() == "func_literal"));
            // From the function itself (or an ancestor of the node) as well as from the root.
            if let Some(function) = climbed {
                assert_eq!(enclosing_function_below(function, *node), climbed);
            }
        }
        assert!(inside_literals > 10, "the sample nests function literals");
    }

    #[test]
    fn a_reparse_gives_the_tree_a_full_parse_gives() {
        let before = "package p\n\nfunc f(xs []string) {\n\tfor _, x := range xs {\n\t\tdefer close(x)\n\t}\n}\n\nfunc g() { h() }\n";
        let changes = [
            TextChange {
                range: 59..59,
                insert: "func() {\n\t\t\t",
            },
            TextChange {
                range: 73..73,
                insert: "\n\t\t}()",
            },
            TextChange {
                range: 91..94,
                insert: "hh(1, 2)",
            },
        ];
        let mut after = before.to_owned();
        for change in changes.iter().rev() {
            after.replace_range(change.range.clone(), change.insert);
        }
        let mut parser = new_parser();
        let previous = parse_file(&mut parser, before);
        let reparsed = reparse(&mut parser, previous, before, &changes, &after);
        let fresh = parse_file(&mut new_parser(), &after);
        assert!(!reparsed.tree.root_node().has_error(), "{after}");
        assert_eq!(shape(&reparsed.tree), shape(&fresh.tree));
    }

    #[test]
    fn a_reparse_of_masked_text_parses_afresh() {
        let mut parser = new_parser();
        let previous = parse_file(&mut parser, SHADOWED_MAKE);
        assert!(previous.masked);
        let at = SHADOWED_MAKE.find("return make(8)").unwrap() + "return make(".len();
        let changes = [TextChange {
            range: at..at + 1,
            insert: "9",
        }];
        let mut after = SHADOWED_MAKE.to_owned();
        after.replace_range(at..at + 1, "9");
        let reparsed = reparse(&mut parser, previous, SHADOWED_MAKE, &changes, &after);
        assert!(reparsed.masked && !reparsed.tree.root_node().has_error());
        assert_eq!(
            shape(&reparsed.tree),
            shape(&parse_file(&mut new_parser(), &after).tree)
        );
    }

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

    /// `encoding/json/v2/arshal_test.go` in Go 1.26: a local `make` called with values.
    const SHADOWED_MAKE: &str = "package p\n\nfunc f() *X {\n\tvar make func(int) *X\n\tmake = func(n int) *X {\n\t\tif n == 0 {\n\t\t\treturn nil\n\t\t}\n\t\treturn &X{make(n - 1), make(n - 1)}\n\t}\n\t_ = make([]int, 3)\n\treturn make(8)\n}\n";

    fn calls<'t>(tree: &'t Tree) -> Vec<Node<'t>> {
        descendants(tree.root_node(), |_| false)
            .into_iter()
            .filter(|node| node.kind() == "call_expression")
            .collect()
    }

    #[test]
    fn a_shadowed_make_called_with_values_parses() {
        assert!(
            parse_for_test(SHADOWED_MAKE).root_node().has_error(),
            "the grammar learnt `make(expr)`: the masking may no longer be needed"
        );
        let tree = parse(&mut new_parser(), SHADOWED_MAKE);
        assert!(
            !tree.root_node().has_error(),
            "{}",
            tree.root_node().to_sexp()
        );
        // Offsets, and so every node's text, are those of the real source.
        let texts: Vec<&str> = calls(&tree)
            .iter()
            .map(|call| &SHADOWED_MAKE[call.byte_range()])
            .collect();
        assert_eq!(
            texts,
            ["make(n - 1)", "make(n - 1)", "make([]int, 3)", "make(8)"]
        );
        for call in calls(&tree) {
            let function = call.child_by_field_name("function").unwrap();
            assert_eq!(&SHADOWED_MAKE[function.byte_range()], "make");
        }
        // The builtin's call keeps its type argument.
        let builtin = calls(&tree)[2];
        let first = builtin
            .child_by_field_name("arguments")
            .unwrap()
            .named_child(0)
            .unwrap();
        assert_eq!(first.kind(), "slice_type");
    }

    #[test]
    fn make_calls_whose_argument_cannot_be_a_type_are_masked() {
        for call in [
            "make(n - 1)",
            "make(n-1)",
            "make(100)",
            "make(.5)",
            "make(-n)",
            "make(!ok)",
            "make(&x)",
            "make(\"s\")",
            "make(`s`)",
            "make('c')",
            "make(f(x))",
            "make(a.b + 1)",
            "make(x.(int))",
            "make(n*2, m)",
            "make(n / 2)",
            "make(T{})",
        ] {
            let text = format!("package p\n\nvar v = {call}\n");
            let masked = mask_builtin_calls(&text).unwrap_or_else(|| panic!("{call} not masked"));
            assert_eq!(masked.len(), text.len(), "{call}");
            assert_eq!(masked, text.replacen("make(", "mak_(", 1), "{call}");
        }
    }

    #[test]
    fn make_calls_that_may_take_a_type_are_left_alone() {
        for call in [
            "make([]int, n)",
            "make(map[string]int)",
            "make(chan int)",
            "make(<-chan int)",
            "make(chan<- int, 1)",
            "make(T, n)",
            "make(T)",
            "make(pkg.T, n)",
            "make(S[int], n)",
            "make(pkg.S[int])",
            "make(*T)",
            "make((T))",
            "make(func())",
            "make(interface{ M() })",
            "make(struct{})",
            "make(T /* why */, n)",
            "make( []int, n)",
            "maker(1)",
            "remake(1)",
            "make (1)",
        ] {
            let text = format!("package p\n\nvar v = {call}\n");
            assert_eq!(mask_builtin_calls(&text), None, "{call}");
        }
    }

    #[test]
    fn a_file_that_parses_is_not_masked() {
        // `make(n)` with a shadowing `make` parses as a type name; the plain tree is kept.
        let text = "package p\n\nfunc f(make func(int) int, n int) int { return make(n) }\n";
        let tree = parse(&mut new_parser(), text);
        assert_eq!(
            tree.root_node().to_sexp(),
            parse_for_test(text).root_node().to_sexp()
        );
    }

    #[test]
    fn new_and_make_masks_apply_together() {
        let text =
            "package p\n\nvar a = new(uint64(3))\nvar b = make(n + 1)\nvar c = make([]int, 1)\n";
        let tree = parse(&mut new_parser(), text);
        assert!(
            !tree.root_node().has_error(),
            "{}",
            tree.root_node().to_sexp()
        );
        let texts: Vec<&str> = calls(&tree)
            .iter()
            .map(|call| &text[call.byte_range()])
            .collect();
        assert_eq!(
            texts,
            [
                "new(uint64(3))",
                "uint64(3)",
                "make(n + 1)",
                "make([]int, 1)"
            ]
        );
    }

    #[test]
    fn files_that_do_not_parse_still_report_errors() {
        let text = "package p\n\nvar a = new(uint64(3)) +\n";
        assert!(parse(&mut new_parser(), text).root_node().has_error());
        let text = "package p\n\nvar a = make(n - 1) +\n";
        assert!(parse(&mut new_parser(), text).root_node().has_error());
    }

    /// The table gives what tree-sitter gives, for every node of every fixture and of broken
    /// text (`ERROR` and missing nodes, outside the table).
    #[test]
    fn kind_of_is_node_kind() {
        let mut texts = vec![
            "package p\n\nfunc f() { x := ; defer }\n".to_owned(),
            "package p\n\nfunc f() {\n\tif x {\n".to_owned(),
            "\u{0}@@ func ( {".to_owned(),
        ];
        texts.extend(fixture_texts());
        assert!(texts.len() > 100, "{} texts", texts.len());
        let mut kinds: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let mut parser = new_parser();
        for text in &texts {
            let tree = parse(&mut parser, text);
            for node in
                std::iter::once(tree.root_node()).chain(descendants(tree.root_node(), |_| false))
            {
                assert_eq!(
                    kind_of(node),
                    node.kind(),
                    "{:?} in {text:?}",
                    node.byte_range()
                );
                kinds.insert(node.kind().to_owned());
            }
        }
        assert!(kinds.contains("ERROR") && kinds.len() > 100, "{kinds:?}");
    }

    #[test]
    fn a_method_call_is_named_by_its_field() {
        let text = "package p\n\nvar a, b, c, d = x.Begin(), Begin(), x.Begins(), s.db.Begin()\n";
        let tree = parse(&mut new_parser(), text);
        let found: Vec<Option<(&str, &str)>> = calls(&tree)
            .into_iter()
            .map(|call| {
                method_call_named(call, text, &["Begin"]).map(|(operand, field)| {
                    (&text[operand.byte_range()], &text[field.byte_range()])
                })
            })
            .collect();
        assert_eq!(
            found,
            [Some(("x", "Begin")), None, None, Some(("s.db", "Begin"))]
        );
    }
}
