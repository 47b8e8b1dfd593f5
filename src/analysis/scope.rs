//! Bindings: every variable a function (with the literals nested in it) declares, where the name
//! refers to it, where it is read, and where it is written. Built once per top-level function and
//! shared by every rule, so that "which variable is this?" has one answer.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use tree_sitter::Node;

use crate::syntax::names::{Declaration, expression_list};
use crate::syntax::{Family, Up, ancestors_of, is_function, kind_of};

pub type BindingId = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingKind {
    Parameter,
    Receiver,
    Result,
    Local,
}

/// Where a binding's first value comes from.
#[derive(Clone, Copy, Debug)]
pub enum Source<'t> {
    /// A parameter, receiver or named result, or `var x T`: only the declared type is known.
    Declared,
    /// `x := e`, `var x = e`, `x, y := a, b`: the expression for this name.
    Value(Node<'t>),
    /// `a, b := f()`: element `index` of one multi-value expression (a call, `m[k]`, `x.(T)`,
    /// `<-ch`).
    Element(Node<'t>, usize),
    /// `for k, v := range e`: position 0 (key) or 1 (value) of ranging over `e`.
    Range(Node<'t>, usize),
    /// `switch v := e.(type)`: `e`, asserted to each case's type.
    TypeSwitch(Node<'t>),
}

pub struct Binding<'t> {
    pub name: &'t str,
    pub ident: Node<'t>,
    pub kind: BindingKind,
    pub source: Source<'t>,
    /// The type the declaration spells, if any.
    pub type_node: Option<Node<'t>>,
    /// The bytes in which the name refers to this binding.
    pub scope: Range<usize>,
    /// The statement, clause or parameter list that declares it.
    pub declaration: Node<'t>,
    /// The function (declaration or literal) it belongs to.
    pub function: Node<'t>,
    /// The block-like node whose scope it lives in (redeclaring `:=` in it assigns instead).
    block: usize,
}

/// A write to a binding after its declaration.
#[derive(Clone, Copy, Debug)]
pub struct Write<'t> {
    pub statement: Node<'t>,
    pub target: Node<'t>,
    /// The value written, when the statement gives this name one of its own (`=`, `:=`, range);
    /// `None` for `x += …`, `x++`.
    pub value: Option<Source<'t>>,
}

/// The bindings of one top-level function and everything nested in it.
pub struct Scopes<'t> {
    pub root: Node<'t>,
    bindings: Vec<Binding<'t>>,
    by_name: HashMap<&'t str, Vec<BindingId>>,
    /// Identifier node id → binding, for every identifier that names a binding (reads, writes and
    /// the declaring identifiers).
    resolved: HashMap<usize, BindingId>,
    reads: Vec<Vec<Node<'t>>>,
    writes: Vec<Vec<Write<'t>>>,
    address_taken: Vec<bool>,
}

impl<'t> Scopes<'t> {
    /// Builds the bindings of `root`, a function declaration, method or top-level literal.
    pub fn build(root: Node<'t>, text: &'t str) -> Scopes<'t> {
        let mut scopes = Scopes {
            root,
            bindings: Vec::new(),
            by_name: HashMap::new(),
            resolved: HashMap::new(),
            reads: Vec::new(),
            writes: Vec::new(),
            address_taken: Vec::new(),
        };
        let family = Family::walk(root);
        for index in 0..family.nodes().len() {
            scopes.declare(family.member(index), text);
        }
        scopes.resolve_all(&family, text);
        scopes
    }

    pub fn binding(&self, id: BindingId) -> &Binding<'t> {
        &self.bindings[id]
    }

    pub fn bindings(&self) -> impl Iterator<Item = (BindingId, &Binding<'t>)> {
        self.bindings.iter().enumerate()
    }

    /// The binding an identifier names (a read, a write or its declaration), if it names a
    /// variable of this function rather than something at package level.
    pub fn resolve(&self, ident: Node) -> Option<BindingId> {
        self.resolved.get(&ident.id()).copied()
    }

    /// The binding `name` refers to at `offset` (for code that is not an identifier node here).
    pub fn lookup(&self, name: &str, offset: usize) -> Option<BindingId> {
        self.by_name.get(name)?.iter().copied().rev().find(|id| {
            let scope = &self.bindings[*id].scope;
            scope.start <= offset && offset < scope.end
        })
    }

    /// Where a binding's value is read, in source order.
    pub fn reads(&self, id: BindingId) -> &[Node<'t>] {
        &self.reads[id]
    }

    /// Where a binding is written after its declaration, in source order.
    pub fn writes(&self, id: BindingId) -> &[Write<'t>] {
        &self.writes[id]
    }

    /// Whether `&x` is taken anywhere (then anything holding the pointer can write it).
    pub fn address_taken(&self, id: BindingId) -> bool {
        self.address_taken[id]
    }

    fn declare(&mut self, member: impl Up<'t>, text: &'t str) {
        let node = member.node();
        match kind_of(node) {
            "function_declaration" | "method_declaration" | "func_literal" => {
                self.declare_signature(node, text)
            }
            "short_var_declaration" | "var_spec" | "const_spec" => {
                self.declare_statement(member, text)
            }
            "range_clause" | "receive_statement" if Declaration::of(node, text).is_some() => {
                self.declare_statement(member, text);
            }
            "type_switch_statement" => self.declare_type_switch(member, text),
            _ => {}
        }
    }

    fn add(&mut self, binding: Binding<'t>) -> BindingId {
        let id = self.bindings.len();
        self.by_name.entry(binding.name).or_default().push(id);
        self.resolved.insert(binding.ident.id(), id);
        self.bindings.push(binding);
        self.reads.push(Vec::new());
        self.writes.push(Vec::new());
        self.address_taken.push(false);
        id
    }

    fn declare_signature(&mut self, function: Node<'t>, text: &'t str) {
        let Some(body) = function.child_by_field_name("body") else {
            return;
        };
        let fields = [
            ("receiver", BindingKind::Receiver),
            ("parameters", BindingKind::Parameter),
            ("result", BindingKind::Result),
        ];
        for (field, kind) in fields {
            let Some(list) = function
                .child_by_field_name(field)
                .filter(|list| kind_of(*list) == "parameter_list")
            else {
                continue;
            };
            for declaration in crate::syntax::parameter_declarations(list) {
                let type_node = declaration.child_by_field_name("type");
                let mut names = declaration.walk();
                for ident in declaration.children_by_field_name("name", &mut names) {
                    let name = &text[ident.byte_range()];
                    if name == "_" {
                        continue;
                    }
                    self.add(Binding {
                        name,
                        ident,
                        kind,
                        source: Source::Declared,
                        type_node,
                        scope: body.start_byte()..body.end_byte(),
                        declaration: list,
                        function,
                        block: body.id(),
                    });
                }
            }
        }
    }

    fn declare_statement(&mut self, member: impl Up<'t>, text: &'t str) {
        let statement = member.node();
        let Some(declaration) = Declaration::of(statement, text) else {
            return;
        };
        let Some((scope_node, scope_end)) = scope_of(member) else {
            return;
        };
        let Some(function) = enclosing_function(member) else {
            return;
        };
        let start = match kind_of(statement) {
            // Range variables are visible in the loop body only.
            "range_clause" => member
                .up()
                .map(Up::node)
                .and_then(|for_loop| for_loop.child_by_field_name("body"))
                .map_or(statement.end_byte(), |body| body.start_byte()),
            _ => statement.end_byte(),
        };
        let type_node = statement.child_by_field_name("type");
        let single_value = declaration.values.len() == 1 && declaration.names.len() > 1;
        for (index, ident) in declaration.names.iter().enumerate() {
            let name = &text[ident.byte_range()];
            if name == "_" {
                continue;
            }
            let source = match kind_of(statement) {
                "range_clause" => declaration
                    .values
                    .first()
                    .map_or(Source::Declared, |value| Source::Range(*value, index)),
                _ if single_value => Source::Element(declaration.values[0], index),
                _ => declaration
                    .values
                    .get(index)
                    .map_or(Source::Declared, |value| Source::Value(*value)),
            };
            // `a, err := f()` after `err` was declared in the same block assigns `err`.
            if kind_of(statement) == "short_var_declaration"
                && let Some(existing) =
                    self.visible_in_block(name, statement.start_byte(), scope_node)
            {
                self.resolved.insert(ident.id(), existing);
                self.writes[existing].push(Write {
                    statement,
                    target: *ident,
                    value: Some(source),
                });
                continue;
            }
            self.add(Binding {
                name,
                ident: *ident,
                kind: BindingKind::Local,
                source,
                type_node,
                scope: start..scope_end,
                declaration: statement,
                function,
                block: scope_node,
            });
        }
    }

    fn declare_type_switch(&mut self, member: impl Up<'t>, text: &'t str) {
        let switch = member.node();
        let (Some(alias), Some(value)) = (
            switch.child_by_field_name("alias"),
            switch.child_by_field_name("value"),
        ) else {
            return;
        };
        let Some(function) = enclosing_function(member) else {
            return;
        };
        for ident in expression_list(alias) {
            let name = &text[ident.byte_range()];
            if kind_of(ident) != "identifier" || name == "_" {
                continue;
            }
            self.add(Binding {
                name,
                ident,
                kind: BindingKind::Local,
                source: Source::TypeSwitch(value),
                type_node: None,
                scope: alias.end_byte()..switch.end_byte(),
                declaration: switch,
                function,
                block: switch.id(),
            });
        }
    }

    /// A binding named `name` declared in the block `block` and visible at `offset`.
    fn visible_in_block(&self, name: &str, offset: usize, block: usize) -> Option<BindingId> {
        self.lookup(name, offset)
            .filter(|id| self.bindings[*id].block == block)
    }

    fn resolve_all(&mut self, family: &Family<'t>, text: &'t str) {
        let declaring: HashSet<usize> = self.bindings.iter().map(|b| b.ident.id()).collect();
        for (index, node) in family.nodes().iter().enumerate() {
            match kind_of(*node) {
                "identifier" if !declaring.contains(&node.id()) => {
                    if self.resolved.contains_key(&node.id()) {
                        continue;
                    }
                    let name = &text[node.byte_range()];
                    // The name lookup first: most identifiers name no local.
                    if let Some(id) = self.lookup(name, node.start_byte())
                        && !is_struct_field_key(family.member(index))
                    {
                        self.resolved.insert(node.id(), id);
                        if !is_plain_write_target(family.member(index)) {
                            self.reads[id].push(*node);
                        }
                    }
                }
                "assignment_statement"
                | "inc_statement"
                | "dec_statement"
                | "range_clause"
                | "receive_statement" => self.record_writes(*node, text),
                "unary_expression" => {
                    let operand = node.child_by_field_name("operand");
                    let is_address = node
                        .child_by_field_name("operator")
                        .is_some_and(|op| &text[op.byte_range()] == "&");
                    if is_address
                        && let Some(operand) = operand.filter(|o| kind_of(*o) == "identifier")
                        && let Some(id) =
                            self.lookup(&text[operand.byte_range()], operand.start_byte())
                    {
                        self.address_taken[id] = true;
                    }
                }
                _ => {}
            }
        }
    }

    /// Records `x = …`, `x op= …`, `x++`, `for x = range …` and `case x = <-ch` as writes.
    fn record_writes(&mut self, statement: Node<'t>, text: &'t str) {
        if Declaration::of(statement, text).is_some() {
            return;
        }
        let (targets, values, plain) = match kind_of(statement) {
            "inc_statement" | "dec_statement" => (
                statement.named_child(0).into_iter().collect::<Vec<_>>(),
                Vec::new(),
                false,
            ),
            _ => {
                let Some(left) = statement.child_by_field_name("left") else {
                    return;
                };
                let values = statement
                    .child_by_field_name("right")
                    .map(expression_list)
                    .unwrap_or_default();
                let plain = statement
                    .child_by_field_name("operator")
                    .is_none_or(|op| &text[op.byte_range()] == "=");
                (expression_list(left), values, plain)
            }
        };
        let is_range = kind_of(statement) == "range_clause";
        for (index, target) in targets.iter().enumerate() {
            if kind_of(*target) != "identifier" {
                continue;
            }
            let Some(id) = self.lookup(&text[target.byte_range()], target.start_byte()) else {
                continue;
            };
            let value = if !plain {
                None
            } else if is_range {
                values.first().map(|value| Source::Range(*value, index))
            } else if values.len() == 1 && targets.len() > 1 {
                Some(Source::Element(values[0], index))
            } else {
                values.get(index).map(|value| Source::Value(*value))
            };
            self.resolved.insert(target.id(), id);
            self.writes[id].push(Write {
                statement,
                target: *target,
                value,
            });
        }
    }
}

/// The innermost function around `member`.
fn enclosing_function<'t>(member: impl Up<'t>) -> Option<Node<'t>> {
    ancestors_of(member)
        .map(Up::node)
        .find(|node| is_function(*node))
}

/// The node a declaration made by `statement` is scoped to, and where that scope ends; `None` at
/// package level.
fn scope_of<'t>(statement: impl Up<'t>) -> Option<(usize, usize)> {
    let mut member = statement;
    while matches!(
        kind_of(member.node()),
        "var_spec" | "var_spec_list" | "var_declaration" | "const_spec" | "const_declaration"
    ) {
        member = member.up()?;
    }
    let mut parent = member.up()?;
    // `L: x := …` declares `x` in the block around the label, not in the labelled statement.
    while kind_of(parent.node()) == "labeled_statement" {
        parent = parent.up()?;
    }
    let scope = match kind_of(parent.node()) {
        "source_file" => return None,
        // A statement of a list is visible until the end of the enclosing block or clause.
        "statement_list" => parent.up()?.node(),
        // `for i := 0; …` is scoped to the loop.
        "for_clause" => parent.up()?.node(),
        // Range clauses (scoped to their loop), initialisers of if/switch (to their statement),
        // select cases (to their clause).
        _ => parent.node(),
    };
    if is_function(scope) {
        return None;
    }
    Some((scope.id(), scope.end_byte()))
}

/// `x` in `x = …`, `x += …`, `x++`: the variable is written, not read. (`x.f = …` and `x[i] = …`
/// read `x`.)
fn is_plain_write_target<'t>(member: impl Up<'t>) -> bool {
    let ident = member.node();
    let Some(up) = member.up() else {
        return false;
    };
    let parent = up.node();
    match kind_of(parent) {
        "inc_statement" | "dec_statement" => true,
        "expression_list" => up.up().map(Up::node).is_some_and(|statement| {
            matches!(
                kind_of(statement),
                "assignment_statement" | "range_clause" | "receive_statement"
            ) && statement
                .child_by_field_name("left")
                .is_some_and(|left| left.id() == parent.id())
            // `x += 1` reads x too, but only to compute a number or string.
        }),
        "assignment_statement" | "range_clause" | "receive_statement" => parent
            .child_by_field_name("left")
            .is_some_and(|left| left.id() == ident.id()),
        _ => false,
    }
}

/// `v` in `T{v: 1}` when `T` is not a map, slice or array type: a field name, not a variable.
pub fn is_struct_field_key<'t>(ident: impl Up<'t>) -> bool {
    let Some(element) = ident
        .up()
        .filter(|up| kind_of(up.node()) == "literal_element")
    else {
        return false;
    };
    let Some(keyed) = element
        .up()
        .filter(|up| kind_of(up.node()) == "keyed_element")
    else {
        return false;
    };
    if keyed
        .node()
        .named_child(0)
        .is_none_or(|key| key.id() != element.node().id())
    {
        return false;
    }
    let literal = ancestors_of(keyed)
        .map(Up::node)
        .find(|node| kind_of(*node) == "composite_literal");
    let literal_type = literal.and_then(|literal| literal.child_by_field_name("type"));
    literal_type.is_none_or(|kind| {
        !matches!(
            kind_of(kind),
            "map_type" | "slice_type" | "array_type" | "implicit_length_array_type"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{descendants, parse_for_test};

    fn idents<'t>(root: Node<'t>, text: &str, name: &str) -> Vec<Node<'t>> {
        descendants(root, |_| false)
            .into_iter()
            .filter(|node| kind_of(*node) == "identifier" && &text[node.byte_range()] == name)
            .collect()
    }

    #[test]
    fn names_resolve_to_the_innermost_visible_binding() {
        let text = "package p\n\nfunc f(err error) error {\n\tx := 1\n\tif x := x + 1; x > 0 {\n\t\tuse(x)\n\t}\n\tuse(x)\n\ta, err := g()\n\tuse(a, err)\n\treturn err\n}\n";
        let tree = parse_for_test(text);
        let function = tree.root_node().named_child(1).unwrap();
        let scopes = Scopes::build(function, text);
        let xs = idents(function, text, "x");
        // x := 1 | if x := x + 1 (reads outer) ; x > 0 (inner) | use(x) inner | use(x) outer
        let outer = scopes.resolve(xs[0]).unwrap();
        let inner = scopes.resolve(xs[1]).unwrap();
        assert_ne!(outer, inner);
        assert_eq!(
            scopes.resolve(xs[2]),
            Some(outer),
            "x + 1 reads the outer x"
        );
        assert_eq!(scopes.resolve(xs[3]), Some(inner));
        assert_eq!(scopes.resolve(xs[4]), Some(inner));
        assert_eq!(scopes.resolve(xs[5]), Some(outer));
        // `a, err := g()` reuses the parameter err: a write, not a new binding.
        let errs = idents(function, text, "err");
        let parameter = scopes.resolve(errs[0]).unwrap();
        assert_eq!(scopes.binding(parameter).kind, BindingKind::Parameter);
        assert!(
            errs.iter()
                .all(|err| scopes.resolve(*err) == Some(parameter))
        );
        assert_eq!(scopes.writes(parameter).len(), 1);
        assert_eq!(scopes.reads(parameter).len(), 2);
    }

    #[test]
    fn range_type_switch_and_select_bindings() {
        let text = "package p\n\nfunc f(m map[string]int, ch chan int, z any) {\n\tfor k, v := range m {\n\t\tuse(k, v)\n\t}\n\tswitch y := z.(type) {\n\tcase int:\n\t\tuse(y)\n\t}\n\tselect {\n\tcase n, ok := <-ch:\n\t\tuse(n, ok)\n\t}\n\tfunc(q int) { use(q) }(1)\n\tw := T{k: 1}\n\tuse(w)\n}\n";
        let tree = parse_for_test(text);
        let function = tree.root_node().named_child(1).unwrap();
        let scopes = Scopes::build(function, text);
        for name in ["k", "v", "y", "n", "ok", "q"] {
            let nodes = idents(function, text, name);
            let first = scopes.resolve(nodes[0]);
            assert!(first.is_some(), "{name} declared");
            assert!(
                nodes[1..]
                    .iter()
                    .filter(|node| !is_struct_field_key(**node))
                    .all(|node| scopes.resolve(*node) == first),
                "{name} resolves to its declaration"
            );
        }
        let k = scopes.resolve(idents(function, text, "k")[0]).unwrap();
        assert_eq!(
            scopes.reads(k).len(),
            1,
            "the struct key `k:` is not a read of k"
        );
        assert!(matches!(scopes.binding(k).source, Source::Range(_, 0)));
    }
}
