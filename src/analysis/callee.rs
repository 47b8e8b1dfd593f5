//! What a call calls: a builtin, a conversion, a modelled standard-library function or method, a
//! function or method of this package, a function literal, or something deferfix cannot see.

use std::rc::Rc;

use tree_sitter::Node;

use super::facts::FuncFacts;
use super::stdlib::FuncModel;
use super::types::{Package, Type};
use super::{DeclSite, FileAnalysis, Question, Retention};

pub const BUILTIN_FUNCTIONS: &[&str] = &[
    "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max",
    "min", "new", "panic", "print", "println", "real", "recover",
];

/// The function a call runs.
#[derive(Clone)]
pub enum Callee<'a> {
    Builtin(&'a str),
    /// `T(x)`: the value converted, not called.
    Conversion(Type),
    Model(&'static FuncModel),
    /// A function or method declared in this package.
    Package {
        site: DeclSite<'a>,
        facts: Rc<FuncFacts>,
    },
    /// `func(…) { … }(…)`.
    Literal(Node<'a>),
    /// A function or method of a package the model says keeps nothing (assertions, logging).
    Reporter,
    /// A function value, an interface method, or a function of a package deferfix does not
    /// model.
    Unknown,
}

/// A call and what it calls.
pub struct Call<'a> {
    pub node: Node<'a>,
    pub callee: Callee<'a>,
    /// The receiver expression of a method call (`x` in `x.M()`).
    pub receiver: Option<Node<'a>>,
    /// How the call is written, for messages: `track`, `io.Copy`, `pool.Put`.
    pub name: String,
}

impl<'a> Call<'a> {
    /// What the call does with argument `index`.
    pub fn argument_retention(&self, analysis: &FileAnalysis<'a>, index: usize) -> Retention {
        match &self.callee {
            Callee::Builtin(name) => match *name {
                "append" => Retention::Result,
                _ => Retention::None,
            },
            Callee::Conversion(_) => Retention::Result,
            Callee::Model(model) => model.retention_of_argument(index),
            Callee::Package { site, facts } => {
                let at = if facts.signature.variadic {
                    index.min(facts.param_names.len().saturating_sub(1))
                } else {
                    index
                };
                worst_over_variants(analysis, site, facts, Question::Param(at))
            }
            Callee::Reporter => Retention::None,
            Callee::Literal(_) | Callee::Unknown => Retention::Unknown,
        }
    }

    /// What a method call does with its receiver (`Unknown` for unmodelled methods).
    pub fn receiver_retention(&self, analysis: &FileAnalysis<'a>) -> Retention {
        match &self.callee {
            Callee::Model(model) => model.retention_of_receiver(),
            Callee::Reporter => Retention::None,
            Callee::Package { site, facts } => {
                worst_over_variants(analysis, site, facts, Question::Receiver)
            }
            _ => Retention::Unknown,
        }
    }

    /// Whether the call reads data from argument `index` (the caller works with that value).
    pub fn reads_argument(&self, index: usize) -> bool {
        matches!(&self.callee, Callee::Model(model) if model.reads_argument(index))
    }

    /// Whether a method call reads data from its receiver.
    pub fn reads_receiver(&self) -> bool {
        matches!(&self.callee, Callee::Model(model) if model.reads_receiver())
    }

    /// Whether the call releases its receiver (a modelled `Close`, `Stop`, `Rollback`).
    pub fn releases_receiver(&self) -> bool {
        matches!(&self.callee, Callee::Model(model) if model.release)
    }

    /// Whether every value the callee returns is made on the spot (this package's functions
    /// only; see [`Question::FreshResults`]).
    pub fn returns_fresh(&self, analysis: &FileAnalysis<'a>) -> bool {
        match &self.callee {
            Callee::Package { site, facts } => {
                holds_for_all_variants(analysis, site, facts, Question::FreshResults)
            }
            _ => false,
        }
    }

    /// Whether the callee is known to be pure: no effect beyond its results, which depend on
    /// its arguments only.
    pub fn is_pure(&self, analysis: &FileAnalysis<'a>) -> bool {
        match &self.callee {
            Callee::Builtin(name) => matches!(
                *name,
                "len" | "cap" | "min" | "max" | "complex" | "real" | "imag"
            ),
            Callee::Conversion(_) => true,
            Callee::Model(model) => model.pure,
            Callee::Package { site, facts } => {
                holds_for_all_variants(analysis, site, facts, Question::Pure)
            }
            Callee::Reporter | Callee::Literal(_) | Callee::Unknown => false,
        }
    }
}

/// What the worst of a function's platform variants does with a value: a file for another
/// platform may keep what this one does not, and the fix is compiled for every platform.
fn worst_over_variants<'a>(
    analysis: &FileAnalysis<'a>,
    site: &DeclSite<'a>,
    facts: &FuncFacts,
    question: Question,
) -> Retention {
    analysis
        .variants(site, facts)
        .iter()
        .map(|variant| analysis.ask(variant, facts, question).retention())
        .reduce(worse)
        .unwrap_or(Retention::Unknown)
}

/// Whether something holds for every platform variant of a function.
fn holds_for_all_variants<'a>(
    analysis: &FileAnalysis<'a>,
    site: &DeclSite<'a>,
    facts: &FuncFacts,
    question: Question,
) -> bool {
    analysis
        .variants(site, facts)
        .iter()
        .all(|variant| analysis.ask(variant, facts, question).holds())
}

/// The more dangerous of two retentions (the first of two escapes, for a stable message).
fn worse(a: Retention, b: Retention) -> Retention {
    let rank = |retention: &Retention| match retention {
        Retention::None => 0,
        Retention::Result => 1,
        Retention::Receiver => 2,
        Retention::Unknown => 3,
        Retention::Escapes(_) => 4,
    };
    if rank(&b) > rank(&a) { b } else { a }
}

impl<'a> FileAnalysis<'a> {
    /// Resolves what `call` (a `call_expression`) calls (once per call node).
    pub fn call(&self, call: Node<'a>) -> Rc<Call<'a>> {
        if let Some(resolved) = self.calls.borrow().get(&call.id()) {
            return resolved.clone();
        }
        let resolved = Rc::new(self.resolve_call(call));
        self.calls.borrow_mut().insert(call.id(), resolved.clone());
        resolved
    }

    fn resolve_call(&self, call: Node<'a>) -> Call<'a> {
        let function = call.child_by_field_name("function");
        let name = function.map_or(String::new(), |f| crate::text::shown(self.text_of(f)));
        let receiver = function
            .filter(|f| f.kind() == "selector_expression")
            .and_then(|f| f.child_by_field_name("operand"))
            .filter(|operand| self.package_ref(*operand).is_none());
        let callee = function.map_or(Callee::Unknown, |f| self.callee_of(f));
        Call {
            node: call,
            callee,
            receiver,
            name,
        }
    }

    fn callee_of(&self, function: Node<'a>) -> Callee<'a> {
        match function.kind() {
            "identifier" => self.callee_named(function),
            "selector_expression" => self.callee_selected(function),
            "func_literal" => Callee::Literal(function),
            "parenthesized_expression" => match function.named_child(0) {
                // `(*T)(x)`: a conversion.
                Some(inner) if inner.kind() == "unary_expression" => {
                    let operand = inner.child_by_field_name("operand");
                    match operand.filter(|o| o.kind() == "identifier") {
                        Some(name) if self.names_type(name) => Callee::Conversion(Type::Pointer(
                            Box::new(Type::named(Package::Local, self.text_of(name))),
                        )),
                        _ => Callee::Unknown,
                    }
                }
                Some(inner) => self.callee_of(inner),
                None => Callee::Unknown,
            },
            // `F[int](x)`.
            "index_expression" | "generic_type" => function
                .child_by_field_name("operand")
                .or_else(|| function.child_by_field_name("type"))
                .filter(|base| base.kind() == "identifier" || base.kind() == "type_identifier")
                .map_or(Callee::Unknown, |base| self.callee_named(base)),
            _ => Callee::Unknown,
        }
    }

    fn callee_named(&self, ident: Node<'a>) -> Callee<'a> {
        if self.resolve(ident).is_some() {
            return Callee::Unknown;
        }
        let name = self.text_of(ident);
        if let Some(site) = self.lookup_decl(name) {
            let facts = self.decl_facts(&site);
            if let Some(func) = facts.as_ref().and_then(|facts| facts.func.clone()) {
                return Callee::Package {
                    site,
                    facts: Rc::new(func),
                };
            }
            if facts.is_some_and(|facts| facts.types.contains_key(name)) {
                return Callee::Conversion(Type::named(Package::Local, name));
            }
            return Callee::Unknown;
        }
        if let Some(ty) = super::types::predeclared(name) {
            return Callee::Conversion(ty);
        }
        if let Some(builtin) = BUILTIN_FUNCTIONS.iter().find(|builtin| **builtin == name) {
            return Callee::Builtin(builtin);
        }
        if let Some(path) = self.package.import_path.as_deref()
            && let Some(model) = self.model().func(path, name)
        {
            return Callee::Model(model);
        }
        Callee::Unknown
    }

    fn callee_selected(&self, selector: Node<'a>) -> Callee<'a> {
        let (Some(operand), Some(field)) = (
            selector.child_by_field_name("operand"),
            selector.child_by_field_name("field"),
        ) else {
            return Callee::Unknown;
        };
        let field = self.text_of(field);
        if let Some(path) = self.package_ref(operand) {
            if let Some(model) = self.model().func(path, field) {
                return Callee::Model(model);
            }
            if self.model().type_model(path, field).is_some() {
                return Callee::Conversion(Type::named(Package::Path(path.to_owned()), field));
            }
            if self.model().keeps_nothing(path) {
                return Callee::Reporter;
            }
            return Callee::Unknown;
        }
        self.method_callee(&self.type_of(operand), field)
    }

    /// The method `method` of values of type `ty` (its own, or promoted from an embedded field).
    pub fn method_callee(&self, ty: &Type, method: &str) -> Callee<'a> {
        self.method_callee_within(ty, method, 3)
    }

    fn method_callee_within(&self, ty: &Type, method: &str, depth: usize) -> Callee<'a> {
        let Some(named) = ty.as_named() else {
            return Callee::Unknown;
        };
        match &named.package {
            Package::Path(path) => match self.model().method(path, &named.name, method) {
                Some(model) => Callee::Model(model),
                None if self.model().keeps_nothing(path) => Callee::Reporter,
                None => Callee::Unknown,
            },
            Package::Local => {
                if let Some(path) = self.package.import_path.as_deref()
                    && let Some(model) = self.model().method(path, &named.name, method)
                {
                    return Callee::Model(model);
                }
                let Some(site) = self.lookup_method(&named.name, method) else {
                    if depth == 0 {
                        return Callee::Unknown;
                    }
                    let embedded = self
                        .local_type_facts(&named.name)
                        .map(|facts| facts.embedded)
                        .unwrap_or_default();
                    return embedded
                        .iter()
                        .map(|inner| self.method_callee_within(inner, method, depth - 1))
                        .find(|callee| !matches!(callee, Callee::Unknown))
                        .unwrap_or(Callee::Unknown);
                };
                match self.decl_facts(&site).and_then(|facts| facts.func.clone()) {
                    Some(facts) => Callee::Package {
                        site,
                        facts: Rc::new(facts),
                    },
                    None => Callee::Unknown,
                }
            }
        }
    }

    /// Whether an identifier (not a variable) names a type of this package.
    pub fn names_type(&self, ident: Node<'a>) -> bool {
        let name = self.text_of(ident);
        self.lookup_decl(name)
            .and_then(|site| self.decl_facts(&site))
            .is_some_and(|facts| facts.types.contains_key(name))
    }
}
