//! What kind of resource a value is: a handle whose release only frees itself, or one whose
//! release others can observe. The standard-library model says it for its types; for this
//! package's types, a type is a handle when its `Close` (or `Stop`, `Release`) only releases
//! handles held in its own fields and clears them.

use tree_sitter::Node;

use super::types::{Package, Type};
use super::{DeclSite, FileAnalysis, ResourceKind};
use crate::syntax::descendants;
use crate::syntax::names::root_identifier;

/// Method names that release what their receiver holds, when nothing better is known.
pub const RELEASE_METHODS: &[&str] = &["Close", "Stop", "Release", "Cancel"];

impl<'a> FileAnalysis<'a> {
    /// The kind of resource values of type `ty` are, when known.
    pub fn resource_kind(&self, ty: &Type) -> Option<ResourceKind> {
        let named = ty.as_named()?;
        match &named.package {
            Package::Path(path) => self.model().type_model(path, &named.name)?.kind,
            Package::Local => {
                if let Some(path) = self.package.import_path.as_deref()
                    && let Some(model) = self.model().type_model(path, &named.name)
                {
                    return model.kind;
                }
                self.local_handle_kind(&named.name)
            }
        }
    }

    /// The kind of resource an expression is: a field the model marks (`resp.Body`), or its
    /// type's kind.
    pub fn resource_kind_of(&self, expr: Node<'a>) -> Option<ResourceKind> {
        if expr.kind() == "selector_expression"
            && let (Some(operand), Some(field)) = (
                expr.child_by_field_name("operand"),
                expr.child_by_field_name("field"),
            )
            && let Some((_, Some(kind))) = self.field(&self.type_of(operand), self.text_of(field))
        {
            return Some(kind);
        }
        self.resource_kind(&self.type_of(expr))
    }

    /// A type of this package is a handle when one of its release methods only releases
    /// handles in its own fields (and clears fields): closing it early shows nowhere else.
    fn local_handle_kind(&self, type_name: &str) -> Option<ResourceKind> {
        self.cached_local_kind(type_name, || self.read_local_kind(type_name))
    }

    fn read_local_kind(&self, type_name: &str) -> Option<ResourceKind> {
        RELEASE_METHODS.iter().find_map(|method| {
            let site = self.lookup_method(type_name, method)?;
            let releases_only_fields = match &site {
                DeclSite::Own(node) => releases_only_own_handles(self, *node),
                DeclSite::Sibling(index, id) => self
                    .in_sibling(index, *id, |analysis, node| {
                        releases_only_own_handles(analysis, node)
                    })
                    .unwrap_or(false),
            };
            releases_only_fields.then_some(ResourceKind::Handle)
        })
    }
}

/// Whether a release method's body does nothing but release handles held in fields of its
/// receiver (`r.f.Close()`), clear such fields (`r.f = nil`) and return.
fn releases_only_own_handles<'t>(analysis: &FileAnalysis<'t>, method: Node<'t>) -> bool {
    let (Some(body), Some(receiver)) = (
        method.child_by_field_name("body"),
        method
            .child_by_field_name("receiver")
            .and_then(|list| {
                descendants(list, |_| false)
                    .into_iter()
                    .find(|node| node.kind() == "identifier")
            })
            .map(|ident| analysis.text_of(ident)),
    ) else {
        return false;
    };
    let on_receiver_field = |expr: Node<'t>| {
        expr.kind() == "selector_expression"
            && root_identifier(expr).is_some_and(|root| analysis.text_of(root) == receiver)
    };
    let mut released_any = false;
    for node in descendants(body, |_| false) {
        match node.kind() {
            "go_statement" | "send_statement" | "defer_statement" | "func_literal" => return false,
            "call_expression" => {
                let call = analysis.call(node);
                let releases_field = call.receiver.is_some_and(|operand| {
                    on_receiver_field(operand)
                        && call.releases_receiver()
                        && analysis.resource_kind_of(operand) == Some(ResourceKind::Handle)
                });
                if !releases_field {
                    return false;
                }
                released_any = true;
            }
            "assignment_statement" | "short_var_declaration" => {
                let clears_field = node.child_by_field_name("left").is_some_and(|left| {
                    crate::syntax::names::expression_list(left)
                        .into_iter()
                        .all(|target| on_receiver_field(target) || target.kind() == "identifier")
                }) && node.child_by_field_name("right").is_some_and(|right| {
                    crate::syntax::names::expression_list(right)
                        .into_iter()
                        .all(|value| {
                            matches!(value.kind(), "nil" | "true" | "false" | "int_literal")
                                || value.kind() == "call_expression"
                        })
                });
                if !clears_field {
                    return false;
                }
            }
            "inc_statement" | "dec_statement" => return false,
            _ => {}
        }
    }
    released_any
}

#[cfg(test)]
mod tests {
    use super::super::test_support::with_analysis;
    use super::*;

    #[test]
    fn package_types_that_only_close_their_handles_are_handles() {
        let text = r#"package p

import (
	"net"
	"os"
)

type logFile struct {
	f *os.File
}

func (l *logFile) Close() error {
	err := l.f.Close()
	l.f = nil
	return err
}

type session struct {
	conn net.Conn
	n    int
}

func (s *session) Close() error {
	s.n++
	return s.conn.Close()
}
"#;
        with_analysis(text, |analysis| {
            assert_eq!(
                analysis.resource_kind(&Type::named(Package::Local, "logFile")),
                Some(ResourceKind::Handle)
            );
            assert_eq!(
                analysis.resource_kind(&Type::named(Package::Local, "session")),
                None,
                "closing a connection is visible, and the counter too"
            );
            assert_eq!(
                analysis.resource_kind(&Type::named(Package::Path("net".into()), "Conn")),
                Some(ResourceKind::Visible)
            );
        });
    }
}
