//! What a top-level declaration says by its syntax alone: a function's signature, a type's
//! definition and fields, a variable's type. The same reading serves the file under analysis
//! and declarations parsed from sibling files.

use std::collections::HashMap;

use tree_sitter::Node;

use super::imports::Imports;
use super::types::{Package, Signature, Type, from_type_node, signature_of};
use crate::syntax::descendants;

#[derive(Clone, Debug)]
pub struct FuncFacts {
    pub name: String,
    pub signature: Signature,
    /// One name per parameter (`""` for unnamed ones).
    pub param_names: Vec<String>,
    /// The receiver's name and type name, for methods.
    pub receiver: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct TypeFacts {
    pub underlying: Type,
    pub fields: Vec<(String, Type)>,
    /// The types of embedded fields, whose methods the type has too.
    pub embedded: Vec<Type>,
}

/// The facts of one top-level declaration (a group declares several names).
#[derive(Clone, Debug, Default)]
pub struct DeclFacts {
    pub func: Option<FuncFacts>,
    pub types: HashMap<String, TypeFacts>,
    /// Package-level variables and constants, with their types.
    pub vars: HashMap<String, Type>,
    /// Which of `vars` are constants.
    pub consts: Vec<String>,
}

pub fn decl_facts(node: Node, text: &str, imports: &Imports) -> DeclFacts {
    let own = Package::Local;
    let mut facts = DeclFacts::default();
    match node.kind() {
        "function_declaration" | "method_declaration" => {
            facts.func = func_facts(node, text, imports);
        }
        "type_declaration" => {
            for (name, definition) in type_specs(node) {
                let (fields, embedded) = if definition.kind() == "struct_type" {
                    struct_fields(definition, text, imports)
                } else {
                    (Vec::new(), Vec::new())
                };
                facts.types.insert(
                    text[name.byte_range()].to_owned(),
                    TypeFacts {
                        underlying: from_type_node(definition, text, imports, &own),
                        fields,
                        embedded,
                    },
                );
            }
        }
        "var_declaration" | "const_declaration" => {
            for spec in descendants(node, |_| false) {
                if !matches!(spec.kind(), "var_spec" | "const_spec") {
                    continue;
                }
                let declared = spec
                    .child_by_field_name("type")
                    .map(|ty| from_type_node(ty, text, imports, &own));
                let values: Vec<Node> = spec
                    .child_by_field_name("value")
                    .map(crate::syntax::names::expression_list)
                    .unwrap_or_default();
                let mut names = spec.walk();
                for (index, name) in spec.children_by_field_name("name", &mut names).enumerate() {
                    let ty = declared.clone().unwrap_or_else(|| {
                        values
                            .get(index)
                            .map_or(Type::Unknown, |value| literal_type(*value, text, imports))
                    });
                    let name = text[name.byte_range()].to_owned();
                    if spec.kind() == "const_spec" {
                        facts.consts.push(name.clone());
                    }
                    facts.vars.insert(name, ty);
                }
            }
        }
        _ => {}
    }
    facts
}

/// The (name, definition) of each type a `type` declaration declares, grouped or not.
pub fn type_specs(declaration: Node) -> Vec<(Node, Node)> {
    descendants(declaration, |_| false)
        .into_iter()
        .filter(|spec| matches!(spec.kind(), "type_spec" | "type_alias"))
        .filter_map(|spec| {
            Some((
                spec.child_by_field_name("name")?,
                spec.child_by_field_name("type")?,
            ))
        })
        .collect()
}

fn func_facts(node: Node, text: &str, imports: &Imports) -> Option<FuncFacts> {
    let name = text[node.child_by_field_name("name")?.byte_range()].to_owned();
    let param_names = crate::syntax::parameter_names(node, text);
    let receiver = node.child_by_field_name("receiver").and_then(|list| {
        let nodes = descendants(list, |_| false);
        let type_name = nodes
            .iter()
            .find(|node| node.kind() == "type_identifier")
            .map(|node| text[node.byte_range()].to_owned())?;
        let name = nodes
            .iter()
            .find(|node| node.kind() == "identifier")
            .map_or(String::new(), |node| text[node.byte_range()].to_owned());
        Some((name, type_name))
    });
    Some(FuncFacts {
        name,
        signature: signature_of(node, text, imports, &Package::Local),
        param_names,
        receiver,
    })
}

/// The named fields of a struct type, and the types of its embedded ones (also listed as fields
/// named after their type).
fn struct_fields(
    structure: Node,
    text: &str,
    imports: &Imports,
) -> (Vec<(String, Type)>, Vec<Type>) {
    let mut fields = Vec::new();
    let mut embedded = Vec::new();
    for field in descendants(structure, |node| {
        node.kind() == "struct_type" && node.id() != structure.id()
    }) {
        if field.kind() != "field_declaration" {
            continue;
        }
        let Some(ty) = field.child_by_field_name("type") else {
            continue;
        };
        let ty = from_type_node(ty, text, imports, &Package::Local);
        let mut names = field.walk();
        let named: Vec<String> = field
            .children_by_field_name("name", &mut names)
            .map(|name| text[name.byte_range()].to_owned())
            .collect();
        if named.is_empty() {
            // An embedded field is named after its type.
            if let Some(named_type) = ty.as_named() {
                fields.push((named_type.name.clone(), ty.clone()));
                embedded.push(ty.clone());
            }
        }
        for name in named {
            fields.push((name, ty.clone()));
        }
    }
    (fields, embedded)
}

/// The type of a package-level initialiser when its syntax alone says it: literals, composite
/// literals and their addresses.
fn literal_type(value: Node, text: &str, imports: &Imports) -> Type {
    match value.kind() {
        "interpreted_string_literal" | "raw_string_literal" => Type::String,
        "int_literal" | "float_literal" | "imaginary_literal" | "rune_literal" => Type::Number,
        "true" | "false" => Type::Bool,
        "composite_literal" => value
            .child_by_field_name("type")
            .map_or(Type::Unknown, |ty| {
                from_type_node(ty, text, imports, &Package::Local)
            }),
        "unary_expression" => {
            let is_address = value
                .child_by_field_name("operator")
                .is_some_and(|op| &text[op.byte_range()] == "&");
            match value.child_by_field_name("operand") {
                Some(operand) if is_address => {
                    Type::Pointer(Box::new(literal_type(operand, text, imports)))
                }
                _ => Type::Unknown,
            }
        }
        _ => Type::Unknown,
    }
}
