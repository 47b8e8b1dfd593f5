//! Names without type information: which package names a file imports, where a local variable
//! is declared, and which variable an expression is rooted in.

use std::collections::HashSet;

use tree_sitter::Node;

use super::{descendants, is_function, selector_call};

/// The name under which the file sees the package with import path `path` (`"context"`), if it
/// imports it under a usable name (not `_` or `.`).
pub fn package_name(root: Node, text: &str, path: &str) -> Option<String> {
    let mut cursor = root.walk();
    for declaration in root.named_children(&mut cursor) {
        if declaration.kind() != "import_declaration" {
            continue;
        }
        for spec in descendants(declaration, |_| false) {
            if spec.kind() != "import_spec" {
                continue;
            }
            let imported = spec
                .child_by_field_name("path")
                .map(|node| text[node.byte_range()].trim_matches(['"', '`']));
            if imported != Some(path) {
                continue;
            }
            return match spec.child_by_field_name("name") {
                Some(alias) => {
                    let alias = &text[alias.byte_range()];
                    (alias != "_" && alias != ".").then(|| alias.to_owned())
                }
                None => path.rsplit('/').next().map(str::to_owned),
            };
        }
    }
    None
}

/// Whether `call` is `pkg.function(...)` with `pkg` the file's name for import path `path`, one
/// of `functions`, and `pkg` not shadowed by a local variable.
pub fn is_package_call(call: Node, text: &str, package: Option<&str>, functions: &[&str]) -> bool {
    let Some(package) = package else {
        return false;
    };
    selector_call(call).is_some_and(|(operand, field)| {
        operand.kind() == "identifier"
            && &text[operand.byte_range()] == package
            && functions.contains(&&text[field.byte_range()])
            && !is_shadowed(package, operand, text)
    })
}

/// Whether `name` at `usage` refers to something declared in the file's functions rather than at
/// package level: a local variable of any enclosing function (literals see their outer function's
/// locals), or a parameter, receiver or named result of one of them.
pub fn is_shadowed(name: &str, usage: Node, text: &str) -> bool {
    let local = find_declaration(name, usage, root_of(usage), text)
        .is_some_and(|declaration| ancestors_of(declaration.statement).any(is_function));
    if local {
        return true;
    }
    ancestors_of(usage)
        .filter(|node| is_function(*node))
        .any(|function| {
            ["parameters", "receiver", "result"].iter().any(|field| {
                function.child_by_field_name(field).is_some_and(|list| {
                    descendants(list, |_| false).into_iter().any(|node| {
                        node.kind() == "identifier"
                            && &text[node.byte_range()] == name
                            && node.parent().is_some_and(|parent| {
                                parent.kind() == "parameter_declaration"
                                    || parent.kind() == "variadic_parameter_declaration"
                            })
                    })
                })
            })
        })
}

/// The top-level declaration of `name` in the file: a `func`, or the `var_spec`/`const_spec`/
/// `type_spec` that declares it.
pub fn top_level_declaration<'t>(root: Node<'t>, name: &str, text: &str) -> Option<Node<'t>> {
    let mut cursor = root.walk();
    let declarations: Vec<Node> = root.named_children(&mut cursor).collect();
    declarations.into_iter().find_map(|declaration| {
        if declaration.kind() == "function_declaration" {
            return declaration
                .child_by_field_name("name")
                .filter(|ident| &text[ident.byte_range()] == name)
                .map(|_| declaration);
        }
        if !matches!(
            declaration.kind(),
            "var_declaration" | "const_declaration" | "type_declaration"
        ) {
            return None;
        }
        descendants(declaration, |_| false)
            .into_iter()
            .find(|spec| {
                matches!(spec.kind(), "var_spec" | "const_spec" | "type_spec") && {
                    let mut names = spec.walk();
                    spec.children_by_field_name("name", &mut names)
                        .any(|ident| &text[ident.byte_range()] == name)
                }
            })
    })
}

fn ancestors_of(node: Node) -> impl Iterator<Item = Node> {
    std::iter::successors(node.parent(), |node| node.parent())
}

fn root_of(node: Node) -> Node {
    let mut root = node;
    while let Some(parent) = root.parent() {
        root = parent;
    }
    root
}

/// The variable an expression is rooted in: `x` for `x`, `x.a.b`, `x[i]`, `&x`, `*x`, `(x)`,
/// `x.M()` (a method call on x). `None` for literals, plain function calls and the like.
pub fn root_identifier(expr: Node) -> Option<Node> {
    match expr.kind() {
        "identifier" => Some(expr),
        "selector_expression"
        | "index_expression"
        | "slice_expression"
        | "type_assertion_expression" => root_identifier(expr.child_by_field_name("operand")?),
        "unary_expression" => root_identifier(expr.child_by_field_name("operand")?),
        "parenthesized_expression" => root_identifier(expr.named_child(0)?),
        "call_expression" => {
            let function = expr.child_by_field_name("function")?;
            if function.kind() == "selector_expression" {
                root_identifier(function)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The identifiers a declaration-like statement introduces, paired with the expression each is
/// initialised from (when it has one of its own).
pub struct Declaration<'t> {
    pub statement: Node<'t>,
    pub names: Vec<Node<'t>>,
    pub values: Vec<Node<'t>>,
}

impl<'t> Declaration<'t> {
    /// Reads `short_var_declaration`, `var_spec`, `const_spec`, and `range_clause` and select
    /// `receive_statement` nodes that declare with `:=`.
    pub fn of(node: Node<'t>, text: &str) -> Option<Declaration<'t>> {
        let (names, values) = match node.kind() {
            "short_var_declaration" => (
                expression_list(node.child_by_field_name("left")?),
                expression_list(node.child_by_field_name("right")?),
            ),
            "var_spec" => {
                let mut cursor = node.walk();
                let names = node.children_by_field_name("name", &mut cursor).collect();
                let values = node
                    .child_by_field_name("value")
                    .map(expression_list)
                    .unwrap_or_default();
                (names, values)
            }
            // `for k, v := range`, and `case msg := <-ch:` in a select.
            "range_clause" | "receive_statement" => {
                let left = node.child_by_field_name("left")?;
                let declares = text[left.end_byte()..node.end_byte()]
                    .trim_start()
                    .starts_with(":=");
                if !declares {
                    return None;
                }
                let values = node.child_by_field_name("right").into_iter().collect();
                (expression_list(left), values)
            }
            "const_spec" => {
                let mut cursor = node.walk();
                let names = node.children_by_field_name("name", &mut cursor).collect();
                (names, Vec::new())
            }
            _ => return None,
        };
        let names = names
            .into_iter()
            .filter(|name| name.kind() == "identifier")
            .collect();
        Some(Declaration {
            statement: node,
            names,
            values,
        })
    }

    /// The expression `name` is initialised from: positional, or the single multi-value call.
    pub fn value_of(&self, name: Node) -> Option<Node<'t>> {
        let position = self
            .names
            .iter()
            .position(|candidate| candidate.id() == name.id())?;
        match self.values.len() {
            1 => self.values.first().copied(),
            n if n == self.names.len() => self.values.get(position).copied(),
            _ => None,
        }
    }
}

/// The named children of an `expression_list` (or the node itself when it is a lone expression).
pub fn expression_list(node: Node) -> Vec<Node> {
    if node.kind() != "expression_list" {
        return vec![node];
    }
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|child| child.kind() != "comment")
        .collect()
}

/// The region in which a declaration made by `statement` is visible.
fn declaration_scope(statement: Node) -> Option<Node> {
    let mut node = statement;
    // var_spec sits in var_declaration (possibly inside a var_spec_list).
    while matches!(
        node.kind(),
        "var_spec" | "var_spec_list" | "var_declaration"
    ) {
        match node.parent() {
            Some(parent) if matches!(parent.kind(), "var_spec_list" | "var_declaration") => {
                node = parent
            }
            _ => break,
        }
    }
    let parent = node.parent()?;
    match parent.kind() {
        // A statement in a list is visible until the end of the enclosing block or clause.
        "statement_list" => parent.parent(),
        // Initialisers of if/for/switch, and range clauses, are scoped to their statement.
        "for_clause" => parent.parent(),
        _ => Some(parent),
    }
}

/// The closest declaration of `name` that precedes `usage` inside `region` and is visible at
/// `usage`, not looking inside function literals that do not contain `usage`.
pub fn find_declaration<'t>(
    name: &str,
    usage: Node<'t>,
    region: Node<'t>,
    text: &str,
) -> Option<Declaration<'t>> {
    let mut best: Option<Declaration> = None;
    let prune = |node: Node| is_function(node) && !contains(node, usage);
    for node in descendants(region, prune) {
        if node.start_byte() >= usage.start_byte() {
            break;
        }
        // A variable's scope begins after its declaration: `n := n * 10` reads the outer `n`.
        if node.end_byte() > usage.start_byte() {
            continue;
        }
        let Some(declaration) = Declaration::of(node, text) else {
            continue;
        };
        if !declaration
            .names
            .iter()
            .any(|ident| &text[ident.byte_range()] == name)
        {
            continue;
        }
        if declaration_scope(node).is_some_and(|scope| contains(scope, usage)) {
            best = Some(declaration);
        }
    }
    best
}

/// Whether an identifier is a name being declared (left of `:=` in a declaration, range clause or
/// select case, a `var`/`const` name, a parameter or result name), not a use of a variable.
pub fn is_declared_name(ident: Node, text: &str) -> bool {
    let Some(parent) = ident.parent() else {
        return false;
    };
    let is_field = |node: Node, field: &str| {
        node.child_by_field_name(field).is_some_and(|part| {
            part.start_byte() <= ident.start_byte() && ident.end_byte() <= part.end_byte()
        })
    };
    match parent.kind() {
        "var_spec" | "const_spec" => !is_field(parent, "value") && !is_field(parent, "type"),
        "parameter_declaration" | "variadic_parameter_declaration" => !is_field(parent, "type"),
        "expression_list" => parent.parent().is_some_and(|grand| {
            matches!(
                grand.kind(),
                "short_var_declaration" | "range_clause" | "receive_statement"
            ) && grand
                .child_by_field_name("left")
                .is_some_and(|left| left.id() == parent.id())
                && Declaration::of(grand, text).is_some()
        }),
        _ => false,
    }
}

/// The variables `node` itself writes (not its children): the roots of the targets of `=`, `op=`
/// and `:=`, of `x++`/`x--`, of `for k, v = range` and of `case v = <-ch`, and the root of `&x`
/// (whose address lets anything write it).
pub fn written_variables<'a>(node: Node, text: &'a str) -> Vec<&'a str> {
    written_targets(node, text)
        .into_iter()
        .filter_map(root_identifier)
        .map(|ident| &text[ident.byte_range()])
        .collect()
}

/// The variables `node` gives a new value as a whole (`x = …`, `for _, x = range`, `&x`), not
/// through a field or element (`x.f = …`).
pub fn rebound_variables<'a>(node: Node, text: &'a str) -> Vec<&'a str> {
    written_targets(node, text)
        .into_iter()
        .filter(|target| target.kind() == "identifier")
        .map(|ident| &text[ident.byte_range()])
        .collect()
}

fn written_targets<'t>(node: Node<'t>, text: &str) -> Vec<Node<'t>> {
    let targets: Vec<Node> = match node.kind() {
        "assignment_statement" | "short_var_declaration" | "range_clause" | "receive_statement" => {
            node.child_by_field_name("left")
                .map(expression_list)
                .unwrap_or_default()
        }
        "inc_statement" | "dec_statement" => node.named_child(0).into_iter().collect(),
        "unary_expression"
            if node
                .child_by_field_name("operator")
                .is_some_and(|op| &text[op.byte_range()] == "&") =>
        {
            node.child_by_field_name("operand").into_iter().collect()
        }
        _ => Vec::new(),
    };
    targets
}

/// The targets an assignment, `x++` or `x--` writes (the expressions on the left).
pub fn assignment_targets(statement: Node) -> Vec<Node> {
    match statement.child_by_field_name("left") {
        Some(left) => expression_list(left),
        None => statement.named_child(0).into_iter().collect(),
    }
}

/// Whether `outer`'s byte range contains `inner`'s.
pub fn contains(outer: Node, inner: Node) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}

/// Every identifier-like name used in `node` (for picking fresh names).
pub fn used_names(node: Node, text: &str) -> HashSet<String> {
    descendants(node, |_| false)
        .into_iter()
        .filter(|child| {
            matches!(
                child.kind(),
                "identifier"
                    | "type_identifier"
                    | "package_identifier"
                    | "field_identifier"
                    | "label_name"
            )
        })
        .map(|child| text[child.byte_range()].to_owned())
        .collect()
}

/// `base`, or `base1`, `base2`, … whichever is not in `taken`; the result is added to `taken`.
pub fn fresh_name(base: &str, taken: &mut HashSet<String>) -> String {
    let name = std::iter::once(base.to_owned())
        .chain((1..).map(|n| format!("{base}{n}")))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_owned());
    taken.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_for_test;

    #[test]
    fn package_names_follow_aliases() {
        let text = "package p\n\nimport (\n\tstdctx \"context\"\n\t\"os\"\n\t_ \"embed\"\n)\n";
        let tree = parse_for_test(text);
        let root = tree.root_node();
        assert_eq!(
            package_name(root, text, "context").as_deref(),
            Some("stdctx")
        );
        assert_eq!(package_name(root, text, "os").as_deref(), Some("os"));
        assert_eq!(package_name(root, text, "embed"), None);
        assert_eq!(package_name(root, text, "log"), None);
    }

    #[test]
    fn declarations_are_found_in_scope_only() {
        let text =
            "package p\n\nfunc f() {\n\tif a := 1; a > 0 {\n\t}\n\tb := g()\n\tuse(a, b)\n}\n";
        let tree = parse_for_test(text);
        let root = tree.root_node();
        let uses: Vec<_> = descendants(root, |_| false)
            .into_iter()
            .filter(|node| {
                node.kind() == "identifier" && node.start_byte() > text.find("use(").unwrap()
            })
            .collect();
        assert!(find_declaration("a", uses[0], root, text).is_none());
        let b = find_declaration("b", uses[1], root, text).unwrap();
        assert_eq!(b.value_of(b.names[0]).unwrap().kind(), "call_expression");
    }

    #[test]
    fn fresh_names_avoid_taken_ones() {
        let mut taken: HashSet<String> = ["ret".to_owned(), "ret1".to_owned()].into();
        assert_eq!(fresh_name("ret", &mut taken), "ret2");
        assert_eq!(fresh_name("ctl", &mut taken), "ctl");
    }
}
