//! The type of an expression, as far as the source shows it: declared types, literals, composite
//! literals, conversions, `make`/`new`, and results of calls to this package's functions and
//! methods and to modelled standard-library ones. Everything else is `Unknown`.

use crate::syntax::strip_parens;
use tree_sitter::Node;

use super::callee::Callee;
use super::scope::{BindingId, Scopes, Source};
use super::types::{Package, Type, from_type_node, results_of, signature_of};
use super::{DeclSite, FileAnalysis, ResourceKind};

/// How many named types deep underlying types and fields are followed.
const MAX_TYPE_DEPTH: usize = 6;

impl<'a> FileAnalysis<'a> {
    /// The type of an expression (memoised per node).
    pub fn type_of(&self, expr: Node<'a>) -> Type {
        if let Some(ty) = self.types.borrow().get(&expr.id()) {
            return ty.clone();
        }
        // A cycle (a variable whose type depends on itself) ends as Unknown.
        self.types.borrow_mut().insert(expr.id(), Type::Unknown);
        let ty = self.compute_type(expr);
        self.types.borrow_mut().insert(expr.id(), ty.clone());
        ty
    }

    fn type_node(&self, node: Node<'a>) -> Type {
        from_type_node(node, self.file.text, &self.imports, &Package::Local)
    }

    fn compute_type(&self, expr: Node<'a>) -> Type {
        let text = self.file.text;
        let child = |field: &str| expr.child_by_field_name(field);
        match expr.kind() {
            "identifier" => self.identifier_type(expr),
            "true" | "false" => Type::Bool,
            "nil" => Type::Nil,
            "iota" | "int_literal" | "float_literal" | "imaginary_literal" | "rune_literal" => {
                Type::Number
            }
            "interpreted_string_literal" | "raw_string_literal" => Type::String,
            "composite_literal" => child("type").map_or(Type::Unknown, |ty| self.type_node(ty)),
            "func_literal" => Type::Func(Box::new(signature_of(
                expr,
                text,
                &self.imports,
                &Package::Local,
            ))),
            "parenthesized_expression" => expr
                .named_child(0)
                .map_or(Type::Unknown, |inner| self.type_of(inner)),
            "unary_expression" => self.unary_type(expr),
            "binary_expression" => self.binary_type(expr),
            "call_expression" => self.call_type(expr),
            "type_conversion_expression" => self.conversion_type(expr),
            "selector_expression" => self.selector_type(expr),
            "index_expression" => child("operand").map_or(Type::Unknown, |operand| {
                element_type(&self.underlying(&self.type_of(operand)), 1)
            }),
            "slice_expression" => {
                child("operand").map_or(Type::Unknown, |operand| match self.type_of(operand) {
                    Type::Array(element) => Type::Slice(element),
                    Type::Pointer(inner) => match *inner {
                        Type::Array(element) => Type::Slice(element),
                        _ => Type::Unknown,
                    },
                    other => other,
                })
            }
            "type_assertion_expression" => {
                child("type").map_or(Type::Unknown, |ty| self.type_node(ty))
            }
            _ => Type::Unknown,
        }
    }

    fn identifier_type(&self, ident: Node<'a>) -> Type {
        if let Some((scopes, id)) = self.resolve(ident) {
            return self.binding_type(&scopes, id);
        }
        let name = self.text_of(ident);
        let Some(site) = self.lookup_decl(name) else {
            return Type::Unknown;
        };
        let Some(facts) = self.decl_facts(&site) else {
            return Type::Unknown;
        };
        if let Some(ty) = facts.vars.get(name) {
            if *ty != Type::Unknown {
                return ty.clone();
            }
            // `var logger = log.New(…)`: the type of its value.
            return match &site {
                DeclSite::Own(declaration) => self.package_var_type(*declaration, name),
                DeclSite::Sibling(index, id) => self
                    .in_sibling(index, *id, |analysis, declaration| {
                        analysis.package_var_type(declaration, name)
                    })
                    .unwrap_or(Type::Unknown),
            };
        }
        match &facts.func {
            Some(func) if func.name == name => Type::Func(Box::new(func.signature.clone())),
            _ => Type::Unknown,
        }
    }

    /// The type of package-level variable `name` declared by `declaration`, from its value.
    fn package_var_type(&self, declaration: Node<'a>, name: &str) -> Type {
        let spec = crate::syntax::descendants(declaration, |_| false)
            .into_iter()
            .find(|spec| {
                spec.kind() == "var_spec" && {
                    let mut names = spec.walk();
                    spec.children_by_field_name("name", &mut names)
                        .any(|ident| self.text_of(ident) == name)
                }
            });
        let Some(spec) = spec else {
            return Type::Unknown;
        };
        let Some(declaration) = crate::syntax::names::Declaration::of(spec, self.text()) else {
            return Type::Unknown;
        };
        let Some(ident) = declaration
            .names
            .iter()
            .find(|ident| self.text_of(**ident) == name)
        else {
            return Type::Unknown;
        };
        let index = declaration
            .names
            .iter()
            .position(|other| other.id() == ident.id())
            .unwrap_or(0);
        match declaration.values.as_slice() {
            [single] if declaration.names.len() > 1 => self.type_of(*single).element(index),
            values => values
                .get(index)
                .map_or(Type::Unknown, |value| self.type_of(*value)),
        }
    }

    /// The type of a variable.
    pub fn binding_type(&self, scopes: &Scopes<'a>, id: BindingId) -> Type {
        let binding = scopes.binding(id);
        if let Some(ty) = binding.type_node {
            let declared = self.type_node(ty);
            let variadic = binding
                .ident
                .parent()
                .is_some_and(|parent| parent.kind() == "variadic_parameter_declaration");
            return if variadic {
                Type::Slice(Box::new(declared))
            } else {
                declared
            };
        }
        match binding.source {
            Source::Declared | Source::TypeSwitch(_) => Type::Unknown,
            Source::Value(value) => self.type_of(value),
            Source::Element(value, index) => self.element_of(value, index),
            Source::Range(value, position) => {
                element_type(&self.underlying(&self.type_of(value)), position)
            }
        }
    }

    /// Element `index` of a multi-value expression: call results, or the comma-ok forms.
    fn element_of(&self, value: Node<'a>, index: usize) -> Type {
        let value = strip_parens(value);
        let comma_ok = matches!(
            value.kind(),
            "index_expression" | "type_assertion_expression" | "unary_expression"
        );
        if comma_ok {
            return match index {
                0 => self.type_of(value),
                1 => Type::Bool,
                _ => Type::Unknown,
            };
        }
        self.type_of(value).element(index)
    }

    fn unary_type(&self, expr: Node<'a>) -> Type {
        let operator = expr
            .child_by_field_name("operator")
            .map_or("", |op| self.text_of(op));
        let Some(operand) = expr.child_by_field_name("operand") else {
            return Type::Unknown;
        };
        match operator {
            "&" => Type::Pointer(Box::new(self.type_of(operand))),
            "*" => match self.type_of(operand) {
                Type::Pointer(inner) => *inner,
                _ => Type::Unknown,
            },
            "<-" => match self.underlying(&self.type_of(operand)) {
                Type::Chan(element) => *element,
                _ => Type::Unknown,
            },
            "!" => Type::Bool,
            _ => self.type_of(operand),
        }
    }

    fn binary_type(&self, expr: Node<'a>) -> Type {
        let operator = expr
            .child_by_field_name("operator")
            .map_or("", |op| self.text_of(op));
        if matches!(
            operator,
            "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||"
        ) {
            return Type::Bool;
        }
        let left = expr
            .child_by_field_name("left")
            .map_or(Type::Unknown, |left| self.type_of(left));
        if left != Type::Unknown || matches!(operator, "<<" | ">>") {
            return left;
        }
        expr.child_by_field_name("right")
            .map_or(Type::Unknown, |right| self.type_of(right))
    }

    fn call_type(&self, call: Node<'a>) -> Type {
        let arguments = call
            .child_by_field_name("arguments")
            .map(|list| {
                let mut cursor = list.walk();
                list.named_children(&mut cursor)
                    .filter(|node| node.kind() != "comment")
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let first = arguments.first().copied();
        let resolved = self.call(call);
        match resolved.callee.clone() {
            Callee::Builtin(name) => match name {
                "len" | "cap" | "copy" | "complex" | "real" | "imag" => Type::Number,
                "append" | "min" | "max" => first.map_or(Type::Unknown, |arg| self.type_of(arg)),
                "make" => first.map_or(Type::Unknown, |arg| self.type_node(arg)),
                "new" => first.map_or(Type::Unknown, |arg| {
                    Type::Pointer(Box::new(self.type_node(arg)))
                }),
                "recover" => Type::Interface,
                _ => Type::Tuple(Vec::new()),
            },
            Callee::Conversion(ty) => ty,
            Callee::Model(model) => Type::of_results(&model.signature.results),
            Callee::Package { facts, .. } => Type::of_results(&facts.signature.results),
            Callee::Literal(literal) => Type::of_results(&results_of(
                literal,
                self.file.text,
                &self.imports,
                &Package::Local,
            )),
            Callee::Reporter => Type::Unknown,
            Callee::Unknown => {
                // A function value of a known signature.
                let function = call.child_by_field_name("function");
                match function.map(|function| self.type_of(function)) {
                    Some(Type::Func(signature)) => Type::of_results(&signature.results),
                    _ => Type::Unknown,
                }
            }
        }
    }

    fn conversion_type(&self, expr: Node<'a>) -> Type {
        let Some(ty) = expr.child_by_field_name("type") else {
            return Type::Unknown;
        };
        // `F[int](x)` parses as a conversion to a generic type; it may be a generic call.
        if ty.kind() == "generic_type"
            && let Some(base) = ty.child_by_field_name("type")
            && let Some(site) = self.lookup_decl(self.text_of(base))
            && let Some(func) = self.decl_facts(&site).and_then(|facts| facts.func.clone())
        {
            return Type::of_results(&func.signature.results);
        }
        self.type_node(ty)
    }

    fn selector_type(&self, expr: Node<'a>) -> Type {
        let (Some(operand), Some(field)) = (
            expr.child_by_field_name("operand"),
            expr.child_by_field_name("field"),
        ) else {
            return Type::Unknown;
        };
        let field = self.text_of(field);
        if let Some(path) = self.package_ref(operand) {
            return self
                .model()
                .func(path, field)
                .map_or(Type::Unknown, |model| {
                    Type::Func(Box::new(model.signature.clone()))
                });
        }
        let operand_type = self.type_of(operand);
        if let Some((ty, _)) = self.field(&operand_type, field) {
            return ty;
        }
        match self.method_callee(&operand_type, field) {
            Callee::Model(model) => Type::Func(Box::new(model.signature.clone())),
            Callee::Package { facts, .. } => Type::Func(Box::new(facts.signature.clone())),
            _ => Type::Unknown,
        }
    }

    /// The underlying type of a named type (the type itself for others).
    pub fn underlying(&self, ty: &Type) -> Type {
        let mut current = ty.clone();
        for _ in 0..MAX_TYPE_DEPTH {
            let Type::Named(named) = &current else {
                return current;
            };
            let next = match &named.package {
                Package::Path(path) => self
                    .model()
                    .type_model(path, &named.name)
                    .and_then(|model| model.underlying.clone()),
                Package::Local => self
                    .local_type_facts(&named.name)
                    .map(|facts| facts.underlying),
            };
            match next {
                Some(next) if next != current => current = next,
                _ => return Type::Unknown,
            }
        }
        Type::Unknown
    }

    /// What this package's source says about its type `name` (for a modelled standard-library
    /// package analysed from its own source, the source comes first and the model fills in).
    pub fn local_type_facts(&self, name: &str) -> Option<super::facts::TypeFacts> {
        let from_source = self
            .lookup_decl(name)
            .and_then(|site| self.decl_facts(&site))
            .and_then(|facts| facts.types.get(name).cloned());
        if from_source.is_some() {
            return from_source;
        }
        let path = self.package.import_path.as_deref()?;
        let model = self.model().type_model(path, name)?;
        Some(super::facts::TypeFacts {
            underlying: model.underlying.clone().unwrap_or(Type::Unknown),
            fields: Vec::new(),
            embedded: Vec::new(),
        })
    }

    /// The type of field `name` of values of type `ty` (through a pointer), with the resource
    /// kind the model gives the field.
    pub fn field(&self, ty: &Type, name: &str) -> Option<(Type, Option<ResourceKind>)> {
        let named = ty.as_named()?;
        match &named.package {
            Package::Path(path) => {
                let (field, kind) = self.model().type_model(path, &named.name)?.field(name)?;
                Some((field.clone(), kind))
            }
            Package::Local => {
                if let Some(path) = self.package.import_path.as_deref()
                    && let Some(model) = self.model().type_model(path, &named.name)
                    && let Some((field, kind)) = model.field(name)
                {
                    return Some((field.clone(), kind));
                }
                let facts = self.local_type_facts(&named.name)?;
                facts
                    .fields
                    .iter()
                    .find(|(field, _)| field == name)
                    .map(|(_, ty)| (ty.clone(), None))
            }
        }
    }

    /// Whether values of `ty` cannot hold a reference to anything that needs releasing: numbers,
    /// booleans, strings, `error` values (by policy: an error describes, it does not own), and
    /// named types or structs made only of those. Unknown types may.
    pub fn holds_no_reference(&self, ty: &Type) -> bool {
        self.holds_no_reference_within(ty, MAX_TYPE_DEPTH)
    }

    /// Whether a variable may carry a reference on: its type may hold one, and it is not an
    /// error by its name when its type is unknown.
    pub fn may_carry(&self, scopes: &Scopes<'a>, id: BindingId) -> bool {
        let ty = self.binding_type(scopes, id);
        !(self.holds_no_reference(&ty)
            || (ty == Type::Unknown && looks_like_error_name(scopes.binding(id).name)))
    }

    /// Whether a variable holds an error: its type says so, or, when the type is unknown, its
    /// name does.
    pub fn is_error_variable(&self, scopes: &Scopes<'a>, id: BindingId) -> bool {
        match self.binding_type(scopes, id) {
            Type::Error => true,
            Type::Unknown | Type::Interface => looks_like_error_name(scopes.binding(id).name),
            Type::Named(named) => {
                named.name.ends_with("Error") || looks_like_error_name(scopes.binding(id).name)
            }
            _ => false,
        }
    }

    fn holds_no_reference_within(&self, ty: &Type, depth: usize) -> bool {
        if depth == 0 {
            return false;
        }
        match ty {
            Type::Bool | Type::String | Type::Number | Type::Error | Type::Nil => true,
            Type::Tuple(types) => types
                .iter()
                .all(|ty| self.holds_no_reference_within(ty, depth - 1)),
            // Slices, arrays and maps of plain data are plain data. (A pointer is not: it is
            // the very object it points to.)
            Type::Array(element) | Type::Slice(element) => {
                self.holds_no_reference_within(element, depth - 1)
            }
            Type::Map(key, value) => {
                self.holds_no_reference_within(key, depth - 1)
                    && self.holds_no_reference_within(value, depth - 1)
            }
            Type::Named(named) => {
                let underlying = self.underlying(ty);
                if underlying == Type::Struct && named.package == Package::Local {
                    return self.local_type_facts(&named.name).is_some_and(|facts| {
                        !facts.fields.is_empty()
                            && facts
                                .fields
                                .iter()
                                .all(|(_, field)| self.holds_no_reference_within(field, depth - 1))
                    });
                }
                underlying != Type::Unknown
                    && underlying != Type::Struct
                    && self.holds_no_reference_within(&underlying, depth - 1)
            }
            _ => false,
        }
    }
}

/// `err`, `readErr`, `parseError`, `closeerr`: the names Go code gives error values (`ok`, `hit`
/// and the like are not errors). The one place deferfix judges a value by its name, used only
/// when its type is unknown.
pub fn looks_like_error_name(name: &str) -> bool {
    name == "err" || name.ends_with("Err") || name.ends_with("Error") || name.ends_with("err")
}

/// The type of position 0 (key) or 1 (value) of ranging over or indexing a value of type `ty`.
fn element_type(ty: &Type, position: usize) -> Type {
    match (ty, position) {
        (Type::Slice(element) | Type::Array(element), 1) => (**element).clone(),
        (Type::Slice(_) | Type::Array(_) | Type::String | Type::Number, 0) => Type::Number,
        (Type::String, 1) => Type::Number,
        (Type::Map(key, _), 0) => (**key).clone(),
        (Type::Map(_, value), 1) => (**value).clone(),
        (Type::Chan(element), 0) => (**element).clone(),
        (Type::Pointer(inner), _) => match &**inner {
            Type::Array(element) if position == 1 => (**element).clone(),
            Type::Array(_) => Type::Number,
            _ => Type::Unknown,
        },
        _ => Type::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{find, with_analysis};
    use super::*;

    #[test]
    fn types_come_from_declarations_literals_calls_and_the_model() {
        let text = r#"package p

import (
	"bufio"
	"net/http"
	"os"
)

type conn struct{ n int }

func dial() (*conn, error) { return nil, nil }

func (c *conn) Read() (string, error) { return "", nil }

func f(paths []string) {
	for i, p := range paths {
		f, err := os.Open(p)
		r := bufio.NewReader(f)
		line, _ := r.ReadString('\n')
		c, _ := dial()
		data, _ := c.Read()
		resp, _ := http.Get(p)
		body := resp.Body
		n := len(paths) + i
		m := map[string]*conn{}
		v, ok := m[p]
		use(err, line, data, body, n, v, ok)
	}
}
"#;
        with_analysis(text, |analysis| {
            let root = analysis.file.tree.root_node();
            let ty = |name: &str| {
                let ident = find(root, text, "identifier", name);
                // The use in `use(…)` is the last identifier of that name.
                let last = crate::syntax::descendants(root, |_| false)
                    .into_iter()
                    .filter(|node| node.kind() == "identifier" && analysis.text_of(*node) == name)
                    .last()
                    .unwrap_or(ident);
                analysis.type_of(last)
            };
            let os_file = Type::Pointer(Box::new(Type::named(Package::Path("os".into()), "File")));
            assert_eq!(ty("f"), os_file);
            assert_eq!(ty("err"), Type::Error);
            assert_eq!(
                ty("r"),
                Type::Pointer(Box::new(Type::named(
                    Package::Path("bufio".into()),
                    "Reader"
                )))
            );
            assert_eq!(ty("line"), Type::String);
            assert_eq!(
                ty("c"),
                Type::Pointer(Box::new(Type::named(Package::Local, "conn")))
            );
            assert_eq!(ty("data"), Type::String, "a package method's result");
            assert_eq!(
                ty("body"),
                Type::named(Package::Path("io".into()), "ReadCloser")
            );
            assert_eq!(ty("n"), Type::Number);
            assert_eq!(ty("i"), Type::Number);
            assert_eq!(ty("p"), Type::String);
            assert_eq!(
                ty("v"),
                Type::Pointer(Box::new(Type::named(Package::Local, "conn")))
            );
            assert_eq!(ty("ok"), Type::Bool);
            assert!(analysis.holds_no_reference(&Type::named(Package::Local, "conn")));
            assert!(!analysis.holds_no_reference(&os_file));
            assert!(
                analysis.holds_no_reference(&Type::named(Package::Path("time".into()), "Duration"))
            );
        });
    }
}
