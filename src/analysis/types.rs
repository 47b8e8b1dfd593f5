//! Go types as far as deferfix needs them: enough to tell a number from a file, a method's
//! result from its receiver, and which package a named type comes from. `Unknown` is the answer
//! whenever the source does not say, and no decision treats it as safe.

use tree_sitter::Node;

use super::imports::Imports;

/// Which package a named type belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Package {
    /// The package being analysed (its own files, found through the package index).
    Local,
    /// An imported package, by import path.
    Path(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Named {
    pub package: Package,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Signature {
    pub params: Vec<Type>,
    pub variadic: bool,
    pub results: Vec<Type>,
}

impl Signature {
    /// Whether a parameter or result type mentions `named` (see [`Type::mentions`]).
    pub fn mentions(&self, named: &Named) -> bool {
        self.params
            .iter()
            .chain(&self.results)
            .any(|ty| ty.mentions(named))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Unknown,
    /// The untyped `nil`.
    Nil,
    Bool,
    String,
    /// Any integer, float or complex type (they hold no references).
    Number,
    /// The predeclared `error` interface.
    Error,
    Named(Named),
    Pointer(Box<Type>),
    Slice(Box<Type>),
    Array(Box<Type>),
    Map(Box<Type>, Box<Type>),
    Chan(Box<Type>),
    Func(Box<Signature>),
    Interface,
    Struct,
    /// Several results of one call.
    Tuple(Vec<Type>),
}

impl Type {
    pub fn named(package: Package, name: &str) -> Type {
        Type::Named(Named {
            package,
            name: name.to_owned(),
        })
    }

    /// A type whose values cannot hold a reference to anything, by its spelling alone (numbers,
    /// booleans, strings). Named types need their underlying type (see the analysis).
    pub fn is_basic(&self) -> bool {
        matches!(self, Type::Bool | Type::String | Type::Number)
    }

    /// The pointed-to type of a pointer, the type itself otherwise.
    pub fn dereferenced(&self) -> &Type {
        match self {
            Type::Pointer(inner) => inner,
            other => other,
        }
    }

    /// The named type behind a value or a pointer to it.
    pub fn as_named(&self) -> Option<&Named> {
        match self.dereferenced() {
            Type::Named(named) => Some(named),
            _ => None,
        }
    }

    /// Element `index` of a multi-value type; the type itself for index 0 of a single value.
    pub fn element(&self, index: usize) -> Type {
        match self {
            Type::Tuple(types) => types.get(index).cloned().unwrap_or(Type::Unknown),
            Type::Unknown => Type::Unknown,
            single if index == 0 => single.clone(),
            _ => Type::Unknown,
        }
    }

    /// Whether `named` is this type or part of it (an element, a key, a parameter or result of
    /// a function type).
    pub fn mentions(&self, named: &Named) -> bool {
        match self {
            Type::Named(own) => own == named,
            Type::Pointer(inner) | Type::Slice(inner) | Type::Array(inner) | Type::Chan(inner) => {
                inner.mentions(named)
            }
            Type::Map(key, value) => key.mentions(named) || value.mentions(named),
            Type::Func(signature) => signature.mentions(named),
            Type::Tuple(types) => types.iter().any(|ty| ty.mentions(named)),
            Type::Unknown
            | Type::Nil
            | Type::Bool
            | Type::String
            | Type::Number
            | Type::Error
            | Type::Interface
            | Type::Struct => false,
        }
    }

    /// The type a function returns: its single result, or a tuple of several.
    pub fn of_results(results: &[Type]) -> Type {
        match results {
            [] => Type::Tuple(Vec::new()),
            [single] => single.clone(),
            several => Type::Tuple(several.to_vec()),
        }
    }
}

/// The type a predeclared type name stands for.
pub fn predeclared(name: &str) -> Option<Type> {
    Some(match name {
        "bool" => Type::Bool,
        "string" => Type::String,
        "error" => Type::Error,
        "any" => Type::Interface,
        "int" | "int8" | "int16" | "int32" | "int64" | "uint" | "uint8" | "uint16" | "uint32"
        | "uint64" | "uintptr" | "float32" | "float64" | "complex64" | "complex128" | "byte"
        | "rune" => Type::Number,
        _ => return None,
    })
}

/// Reads a type expression. Bare names are types of `own` (the package being analysed, or the
/// modelled package a declaration comes from); qualified names go through `imports`.
pub fn from_type_node(node: Node, text: &str, imports: &Imports, own: &Package) -> Type {
    let child = |field: &str| {
        node.child_by_field_name(field)
            .map_or(Type::Unknown, |inner| {
                from_type_node(inner, text, imports, own)
            })
    };
    match node.kind() {
        "type_identifier" | "identifier" => {
            let name = &text[node.byte_range()];
            predeclared(name).unwrap_or_else(|| Type::named(own.clone(), name))
        }
        "qualified_type" => {
            let (Some(package), Some(name)) = (
                node.child_by_field_name("package"),
                node.child_by_field_name("name"),
            ) else {
                return Type::Unknown;
            };
            match imports.path_of(&text[package.byte_range()]) {
                Some(path) => Type::named(Package::Path(path.to_owned()), &text[name.byte_range()]),
                None => Type::Unknown,
            }
        }
        "pointer_type" => Type::Pointer(Box::new(
            node.named_child(0).map_or(Type::Unknown, |inner| {
                from_type_node(inner, text, imports, own)
            }),
        )),
        "slice_type" => Type::Slice(Box::new(child("element"))),
        "array_type" | "implicit_length_array_type" => Type::Array(Box::new(child("element"))),
        "map_type" => Type::Map(Box::new(child("key")), Box::new(child("value"))),
        "channel_type" => Type::Chan(Box::new(child("value"))),
        "function_type" => Type::Func(Box::new(signature_of(node, text, imports, own))),
        "interface_type" => Type::Interface,
        "struct_type" => Type::Struct,
        "parenthesized_type" | "type_elem" => node.named_child(0).map_or(Type::Unknown, |inner| {
            from_type_node(inner, text, imports, own)
        }),
        // `List[T]`: the generic type itself; its type arguments do not matter here.
        "generic_type" => child("type"),
        _ => Type::Unknown,
    }
}

/// The signature of a function declaration, method, literal or function type.
pub fn signature_of(function: Node, text: &str, imports: &Imports, own: &Package) -> Signature {
    let mut params = Vec::new();
    let mut variadic = false;
    if let Some(list) = function.child_by_field_name("parameters") {
        let mut cursor = list.walk();
        for declaration in list.named_children(&mut cursor) {
            let is_variadic = declaration.kind() == "variadic_parameter_declaration";
            if !is_variadic && declaration.kind() != "parameter_declaration" {
                continue;
            }
            variadic |= is_variadic;
            let ty = declaration
                .child_by_field_name("type")
                .map_or(Type::Unknown, |ty| from_type_node(ty, text, imports, own));
            let ty = if is_variadic {
                Type::Slice(Box::new(ty))
            } else {
                ty
            };
            let mut names = declaration.walk();
            let count = declaration
                .children_by_field_name("name", &mut names)
                .count()
                .max(1);
            params.extend(std::iter::repeat_n(ty, count));
        }
    }
    Signature {
        params,
        variadic,
        results: results_of(function, text, imports, own),
    }
}

/// The result types of a function declaration, method, literal or function type, one per value.
pub fn results_of(function: Node, text: &str, imports: &Imports, own: &Package) -> Vec<Type> {
    let Some(result) = function.child_by_field_name("result") else {
        return Vec::new();
    };
    if result.kind() != "parameter_list" {
        return vec![from_type_node(result, text, imports, own)];
    }
    let mut results = Vec::new();
    let mut cursor = result.walk();
    for declaration in result.named_children(&mut cursor) {
        if declaration.kind() != "parameter_declaration" {
            continue;
        }
        let ty = declaration
            .child_by_field_name("type")
            .map_or(Type::Unknown, |ty| from_type_node(ty, text, imports, own));
        let mut names = declaration.walk();
        let count = declaration
            .children_by_field_name("name", &mut names)
            .count()
            .max(1);
        results.extend(std::iter::repeat_n(ty, count));
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_for_test;

    #[test]
    fn signatures_read_their_types() {
        let text = "package p\n\nimport \"os\"\n\nfunc f(a, b int, s ...string) (f *os.File, n int, err error)\n";
        let tree = parse_for_test(text);
        let root = tree.root_node();
        let imports = Imports::of(root, text);
        let function = root.named_child(2).unwrap();
        let signature = signature_of(function, text, &imports, &Package::Local);
        assert_eq!(
            signature.params,
            [
                Type::Number,
                Type::Number,
                Type::Slice(Box::new(Type::String))
            ]
        );
        assert!(signature.variadic);
        assert_eq!(
            signature.results,
            [
                Type::Pointer(Box::new(Type::named(Package::Path("os".into()), "File"))),
                Type::Number,
                Type::Error
            ]
        );
    }
}
