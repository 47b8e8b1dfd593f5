//! Fix safety: running a deferred call at the end of each iteration instead of at function exit
//! only changes what the fix intends when the call releases something the iteration acquired,
//! nothing still needs it after the iteration, and releasing it early cannot change what code
//! after the loop observes. This module is the rule's policy; the facts (types, bindings,
//! escapes, what callees do) come from [`crate::analysis`].

use crate::syntax::strip_parens;
use std::rc::Rc;

use tree_sitter::Node;

use crate::analysis::callee::Callee;
use crate::analysis::escape::{Policy, Region, RegionKind, Trace, Use, UseKind, trace};
use crate::analysis::resource::RELEASE_METHODS;
use crate::analysis::scope::{BindingId, BindingKind, Scopes, Source};
use crate::analysis::{FileAnalysis, ResourceKind, Retention};
use crate::fix::{Reason, ReasonCode};
use crate::syntax::descendants;
use crate::syntax::names::{contains, root_identifier};
use crate::transforms::shown;

/// Packages whose calls only print or log: a deferred function literal may call them beside its
/// releases.
const LOGGING_PACKAGES: &[&str] = &["fmt", "log", "log/slog"];

/// Why running `defer` at the end of each iteration may change more than intended, or `None`
/// when it cannot.
pub fn classify<'a>(
    analysis: &FileAnalysis<'a>,
    for_loop: Node<'a>,
    defer: Node<'a>,
) -> Option<Reason> {
    let body = for_loop.child_by_field_name("body")?;
    let call = defer.named_child(0)?;
    let scopes = analysis.scopes_for(defer)?;
    let released = match released_values(analysis, &scopes, call) {
        Ok(released) => released,
        Err(reason) => return Some(reason),
    };
    for operand in &released {
        if let Some(reason) = judge(analysis, &scopes, for_loop, body, defer, *operand) {
            return Some(reason);
        }
    }
    None
}

/// One value the deferred call releases: the receiver expression of its release (`f`,
/// `resp.Body`, or the `cancel` function itself) and the variable it is rooted in.
#[derive(Clone, Copy)]
struct Released<'a> {
    operand: Node<'a>,
    root: BindingId,
}

/// The values a deferred call releases, or why it is not only a release: `x.Close()` (any
/// spelling the model or the method name says releases), a context's `cancel()`, or a function
/// literal that only releases and logs.
fn released_values<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Rc<Scopes<'a>>,
    call: Node<'a>,
) -> Result<Vec<Released<'a>>, Reason> {
    let function = call.child_by_field_name("function");
    let Some(literal) = function.filter(|f| f.kind() == "func_literal") else {
        return release_of(analysis, scopes, call).map(|released| vec![released]);
    };
    let mut released = Vec::new();
    for node in descendants(literal, |_| false) {
        match node.kind() {
            "func_literal" => return Err(not_a_release(analysis, call)),
            "call_expression" => {
                if is_recover(analysis, node) {
                    return Err(Reason::new(
                        ReasonCode::Recovers,
                        "the deferred function calls recover, which would stop only the panics of the iteration".to_owned(),
                    ));
                }
                if is_logging(analysis, node) {
                    continue;
                }
                released.push(release_of(analysis, scopes, node)?);
            }
            "assignment_statement" | "inc_statement" | "dec_statement" => {
                if let Some(target) = outer_write(analysis, scopes, literal, node) {
                    return Err(Reason::new(
                        ReasonCode::WritesOuter,
                        format!(
                            "the deferred function assigns `{target}`, declared outside it ({})",
                            analysis.location(node)
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    if released.is_empty() {
        return Err(not_a_release(analysis, call));
    }
    Ok(released)
}

fn not_a_release(analysis: &FileAnalysis, call: Node) -> Reason {
    Reason::new(
        ReasonCode::NotARelease,
        format!(
            "`{}` does more than release a resource, and code after the loop may rely on it running when the function returns",
            shown(analysis.text_of(call))
        ),
    )
}

/// The value a single call releases.
fn release_of<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Rc<Scopes<'a>>,
    call: Node<'a>,
) -> Result<Released<'a>, Reason> {
    let function = call
        .child_by_field_name("function")
        .ok_or_else(|| not_a_release(analysis, call))?;
    let arguments = call
        .child_by_field_name("arguments")
        .map_or(0, |list| list.named_child_count());
    match function.kind() {
        "selector_expression" => {
            let resolved = analysis.call(call);
            let operand = resolved
                .receiver
                .ok_or_else(|| not_a_release(analysis, call))?;
            let method = function
                .child_by_field_name("field")
                .map_or("", |field| analysis.text_of(field));
            let releases = match &resolved.callee {
                Callee::Model(model) => model.release,
                // A method of this package, or of a type deferfix does not know: its name says.
                _ => RELEASE_METHODS.contains(&method),
            };
            if !releases || arguments > 0 {
                return Err(not_a_release(analysis, call));
            }
            let root = root_identifier(operand)
                .and_then(|root| scopes.resolve(root))
                .ok_or_else(|| not_a_release(analysis, call))?;
            Ok(Released { operand, root })
        }
        // `cancel()` (or `cancel(nil)` for a cause): a function value the model calls a handle.
        "identifier" => {
            let root = scopes
                .resolve(function)
                .ok_or_else(|| not_a_release(analysis, call))?;
            let ty = analysis.binding_type(scopes, root);
            let is_cancel = matches!(ty, crate::analysis::types::Type::Named(_))
                && analysis.resource_kind(&ty) == Some(ResourceKind::Handle)
                && arguments <= 1;
            if !is_cancel {
                return Err(not_a_release(analysis, call));
            }
            Ok(Released {
                operand: function,
                root,
            })
        }
        _ => Err(not_a_release(analysis, call)),
    }
}

fn is_recover<'a>(analysis: &FileAnalysis<'a>, call: Node<'a>) -> bool {
    matches!(analysis.call(call).callee, Callee::Builtin("recover"))
}

/// `log.Printf(…)`, `fmt.Println(…)`, `slog.Error(…)`, `println(…)`.
fn is_logging<'a>(analysis: &FileAnalysis<'a>, call: Node<'a>) -> bool {
    match &analysis.call(call).callee {
        Callee::Builtin(name) => matches!(*name, "print" | "println"),
        Callee::Model(model) => LOGGING_PACKAGES.iter().any(|package| {
            let short = package.rsplit('/').next().unwrap_or(package);
            model.qualified.starts_with(&format!("{short}."))
                && !model.qualified.contains("Fatal")
                && !model.qualified.contains("Panic")
                && !model.qualified.starts_with("fmt.Fscan")
        }),
        _ => false,
    }
}

/// A variable declared outside the deferred literal that an assignment in it writes.
fn outer_write<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Scopes<'a>,
    literal: Node<'a>,
    statement: Node<'a>,
) -> Option<String> {
    crate::syntax::names::assignment_targets(statement)
        .into_iter()
        .find_map(|target| {
            let root = root_identifier(target)?;
            let name = analysis.text_of(root);
            if name == "_" {
                return None;
            }
            let declared_inside = scopes
                .resolve(root)
                .is_some_and(|id| contains(literal, scopes.binding(id).ident));
            (!declared_inside).then(|| name.to_owned())
        })
}

/// Whether releasing `released` at the end of each iteration is safe.
fn judge<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Rc<Scopes<'a>>,
    for_loop: Node<'a>,
    body: Node<'a>,
    defer: Node<'a>,
    released: Released<'a>,
) -> Option<Reason> {
    if let Some(reason) = not_acquired(analysis, scopes, for_loop, body, released.root) {
        return Some(reason);
    }
    let kind = resource_kind(analysis, scopes, released);
    // Values acquired by the same call belong to the same resource (`ctx, cancel :=
    // context.WithCancel(…)`: cancelling ends ctx too).
    let roots = acquired_together(analysis, scopes, released.root);
    let policy = if is_context_cancel(analysis, scopes, released.root) {
        // A context goes to helpers by Go's convention ("do not store contexts"): they are done
        // with it when they return.
        Policy::HANDED_TO_HELPERS
    } else {
        Policy {
            // A visible resource is named by its URL or path: strings derived from it may still
            // reach it after the loop.
            strings_reference: kind != Some(ResourceKind::Handle),
            ..Policy::RESOURCE
        }
    };
    let region = Region {
        node: body,
        kind: RegionKind::Iteration,
    };
    let traced = trace(analysis, scopes, region, &roots, &policy, Some(defer));
    if let Some(escape) = &traced.escape {
        return Some(Reason::new(escape.code(), escape.describe()));
    }
    finished_with(scopes, released, &traced, kind)
}

/// Whether the iteration is done with the resource when it ends. One it only acquires (and
/// perhaps reassigns) and defers is held open on purpose, whatever its kind: rows kept open hold
/// a pooled connection the next query would otherwise reuse, as Go's own `database/sql` tests
/// rely on. A handle the iteration uses is done with; a resource whose release may be visible
/// must also be read from, and nothing may be called on it only for its side effect.
fn finished_with(
    scopes: &Scopes,
    released: Released,
    traced: &Trace,
    kind: Option<ResourceKind>,
) -> Option<Reason> {
    let name = scopes.binding(released.root).name;
    let what = match kind {
        Some(ResourceKind::Handle) => "a resource",
        Some(ResourceKind::Visible) => "a resource whose release other code can observe",
        None => "a resource of a type deferfix does not know",
    };
    let worked_with: Vec<&Use> = traced
        .uses
        .iter()
        .filter(|used| used.kind != UseKind::Release)
        .collect();
    if worked_with.is_empty() {
        let reassigned = if reassigned(scopes, released.root) {
            ", reassigned"
        } else {
            ""
        };
        return Some(Reason::new(
            ReasonCode::HeldOpen,
            format!(
                "`{name}` is only acquired{reassigned} and deferred: {what} may be held open on purpose until the function returns"
            ),
        ));
    }
    if kind == Some(ResourceKind::Handle) {
        return None;
    }
    if let Some(side_effect) = worked_with
        .iter()
        .find(|used| used.kind == UseKind::SideEffect)
    {
        return Some(Reason::new(
            ReasonCode::HeldOpen,
            format!(
                "`{}` ({}) is called only for its effect on `{name}`, {what}: it may be held open on purpose until the function returns",
                side_effect.code, side_effect.location
            ),
        ));
    }
    if !worked_with
        .iter()
        .any(|used| used.kind == UseKind::Consumed)
    {
        return Some(Reason::new(
            ReasonCode::VisibleRelease,
            format!(
                "`{name}` is {what}, and the iteration does not demonstrably finish with it (no read from it): closing it early may change what code after the loop sees"
            ),
        ));
    }
    None
}

fn reassigned(scopes: &Scopes, binding: BindingId) -> bool {
    !scopes.writes(binding).is_empty()
}

/// Why the released value is not something the iteration acquired, if it is not: it must be
/// declared in the loop body from a call (or assigned from one there).
fn not_acquired<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Scopes<'a>,
    for_loop: Node<'a>,
    body: Node<'a>,
    root: BindingId,
) -> Option<Reason> {
    let binding = scopes.binding(root);
    let name = binding.name;
    let reason = |why: String| {
        Some(Reason::new(
            ReasonCode::NotAcquired,
            format!("`{name}` {why}, not something the iteration acquired"),
        ))
    };
    match binding.kind {
        BindingKind::Parameter | BindingKind::Result => {
            return reason("is a parameter of the function".into());
        }
        BindingKind::Receiver => return reason("is the method's receiver".into()),
        BindingKind::Local => {}
    }
    if !contains(body, binding.ident) {
        if contains(for_loop, binding.ident) {
            return reason("is a loop variable".into());
        }
        return reason(format!(
            "is declared outside the loop ({})",
            analysis.location(binding.ident)
        ));
    }
    // Made in the iteration: by a call (not one handing out something that already exists)
    // or a composite literal (`&T{…}`).
    let from_call = |value: Node<'a>| {
        let value = strip_parens(value);
        let literal = match value.kind() {
            "unary_expression" => value
                .child_by_field_name("operand")
                .is_some_and(|operand| operand.kind() == "composite_literal"),
            kind => kind == "composite_literal",
        };
        literal || (value.kind() == "call_expression" && !is_shared_getter(analysis, value))
    };
    let acquired = match binding.source {
        Source::Value(value) | Source::Element(value, _) => from_call(value),
        Source::Declared => {
            let writes = scopes.writes(root);
            !writes.is_empty()
                && writes.iter().all(|write| match write.value {
                    Some(Source::Value(value) | Source::Element(value, _)) => from_call(value),
                    _ => false,
                })
        }
        Source::Range(..) | Source::TypeSwitch(_) => false,
    };
    if acquired {
        return None;
    }
    let origin = match binding.source {
        Source::Value(value) | Source::Element(value, _) => {
            format!(
                "is taken from `{}` ({})",
                shown(analysis.text_of(value)),
                analysis.location(value)
            )
        }
        _ => "is not given a value from a call in the loop".to_owned(),
    };
    reason(origin)
}

/// A call that hands out something that already exists: a method of this package whose result
/// references its receiver and is not made on the spot (`s.conn()` returning `s.c`, unlike
/// `p.dial()` returning `&session{pool: p}`).
fn is_shared_getter<'a>(analysis: &FileAnalysis<'a>, call: Node<'a>) -> bool {
    let resolved = analysis.call(call);
    matches!(resolved.callee, Callee::Package { .. })
        && resolved.receiver.is_some()
        && resolved.receiver_retention(analysis) == Retention::Result
        && !resolved.returns_fresh(analysis)
}

/// The released value's kind: what the acquiring call says (`os.Pipe` ends are visible), else
/// the released expression's type or field.
fn resource_kind<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Scopes<'a>,
    released: Released<'a>,
) -> Option<ResourceKind> {
    let binding = scopes.binding(released.root);
    if let Source::Value(value) | Source::Element(value, _) = binding.source
        && value.kind() == "call_expression"
        && let Callee::Model(model) = analysis.call(value).callee.clone()
        && model.resource.is_some()
        && released.operand.kind() == "identifier"
    {
        return model.resource;
    }
    analysis.resource_kind_of(released.operand)
}

/// Whether the released value is the cancel function of a `context.With…` call.
fn is_context_cancel<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Scopes<'a>,
    root: BindingId,
) -> bool {
    analysis
        .binding_type(scopes, root)
        .as_named()
        .is_some_and(|named| {
            named.package == crate::analysis::types::Package::Path("context".into())
                && named.name.starts_with("Cancel")
        })
}

/// The root and the other values acquired by the same multi-value call (errors and other values
/// that cannot hold a reference left out).
fn acquired_together<'a>(
    analysis: &FileAnalysis<'a>,
    scopes: &Scopes<'a>,
    root: BindingId,
) -> Vec<BindingId> {
    let binding = scopes.binding(root);
    let mut roots = vec![root];
    if let Source::Element(call, _) = binding.source {
        for (id, other) in scopes.bindings() {
            let same_call =
                matches!(other.source, Source::Element(value, _) if value.id() == call.id());
            if id != root && same_call && analysis.may_carry(scopes, id) {
                roots.push(id);
            }
        }
    }
    roots
}
