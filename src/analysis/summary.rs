//! What this package's functions do, read from their bodies with the escape analysis: what each
//! one does with a parameter or its receiver, whether it is pure, whether it returns values made
//! on the spot. Each question is answered when first asked. Calls into other functions are
//! followed [`MAX_SUMMARY_DEPTH`] deep; recursion and deeper calls make an answer incomplete,
//! and an incomplete answer is never cached (so no answer depends on which question came
//! first).

use tree_sitter::Node;

use super::escape::{EscapeKind, Policy, Region, RegionKind, UnknownCallee, trace};
use super::facts::FuncFacts;
use super::scope::{BindingId, BindingKind, Scopes};
use super::{DeclSite, FileAnalysis, MAX_SUMMARY_DEPTH, Retention};
use crate::syntax::descendants;
use crate::syntax::names::root_identifier;

/// One thing to know about a function of the package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Question {
    /// What it does with parameter `n`.
    Param(usize),
    /// What it does with its receiver.
    Receiver,
    /// Whether it has no effect beyond its results, which depend only on its arguments.
    Pure,
    /// Whether every value it returns is made on the spot (by a call or a composite literal),
    /// not something that already existed (a field of its receiver, a package variable).
    FreshResults,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Retention(Retention),
    Holds(bool),
}

impl Answer {
    /// The answer when nothing can be known (recursion or depth cut it short, no body).
    fn unknown(question: Question) -> Answer {
        match question {
            Question::Param(_) | Question::Receiver => Answer::Retention(Retention::Unknown),
            Question::Pure | Question::FreshResults => Answer::Holds(false),
        }
    }

    pub fn retention(self) -> Retention {
        match self {
            Answer::Retention(retention) => retention,
            Answer::Holds(_) => Retention::Unknown,
        }
    }

    pub fn holds(self) -> bool {
        matches!(self, Answer::Holds(true))
    }
}

/// Answers being computed, for recursion and depth limits.
#[derive(Default, Debug)]
pub struct SummaryStack {
    keys: Vec<(String, Question)>,
    /// How many times an answer was cut short so far.
    cuts: usize,
}

const SUMMARY_POLICY: Policy<'static> = Policy {
    unknown_callee: UnknownCallee::MayRetain,
    strings_reference: false,
    return_escapes: false,
    background_methods: &[],
    closures_escape: false,
};

impl<'a> FileAnalysis<'a> {
    /// Answers a question about a function or method of this package, from its body. Only
    /// answers computed without cutting recursion or depth short are cached.
    pub fn ask(&self, site: &DeclSite<'a>, facts: &FuncFacts, question: Question) -> Answer {
        if let Some(cached) = self.cached_answer(site, question) {
            return cached;
        }
        let key = match site {
            DeclSite::Own(node) => format!("own:{}", node.start_byte()),
            DeclSite::Sibling(index, id) => {
                let name = index.decl(*id).map_or("", |(file, _)| file.name.as_str());
                format!("{name}:{}", id.decl)
            }
        };
        let cut = {
            let mut stack = self.stack.borrow_mut();
            let entry = (key, question);
            let cut = self.depth >= MAX_SUMMARY_DEPTH || stack.keys.contains(&entry);
            if cut {
                stack.cuts += 1;
            } else {
                stack.keys.push(entry);
            }
            cut
        };
        if cut {
            return Answer::unknown(question);
        }
        let cuts_before = self.stack.borrow().cuts;
        let answer = match site {
            DeclSite::Own(node) => Some(answer(self, *node, facts, question)),
            DeclSite::Sibling(index, id) => self.in_sibling(index, *id, |analysis, node| {
                answer(analysis, node, facts, question)
            }),
        };
        let complete = {
            let mut stack = self.stack.borrow_mut();
            stack.keys.pop();
            stack.cuts == cuts_before
        };
        let answer = answer.unwrap_or_else(|| Answer::unknown(question));
        if complete {
            self.cache_answer(site, question, answer.clone());
        }
        answer
    }

    fn cached_answer(&self, site: &DeclSite<'a>, question: Question) -> Option<Answer> {
        match site {
            DeclSite::Own(node) => self
                .own_answers
                .borrow()
                .get(&(node.id(), question))
                .cloned(),
            DeclSite::Sibling(index, id) => index.decl(*id)?.0.cached_answer(id.decl, question),
        }
    }

    fn cache_answer(&self, site: &DeclSite<'a>, question: Question, answer: Answer) {
        match site {
            DeclSite::Own(node) => {
                self.own_answers
                    .borrow_mut()
                    .insert((node.id(), question), answer);
            }
            DeclSite::Sibling(index, id) => {
                if let Some((file, _)) = index.decl(*id) {
                    file.cache_answer(id.decl, question, answer);
                }
            }
        }
    }
}

fn answer<'t>(
    analysis: &FileAnalysis<'t>,
    function: Node<'t>,
    facts: &FuncFacts,
    question: Question,
) -> Answer {
    let Some(scopes) = analysis.scopes_for(function) else {
        return Answer::unknown(question);
    };
    if function.child_by_field_name("body").is_none() {
        // Declared without a body (assembly, linkname): nothing is known.
        return Answer::unknown(question);
    }
    let region = Region {
        node: function,
        kind: RegionKind::Function,
    };
    let signature_binding = |kind: BindingKind, name: &str| {
        scopes
            .bindings()
            .find(|(_, b)| b.function.id() == function.id() && b.kind == kind && b.name == name)
            .map(|(id, _)| id)
    };
    let retention_of = |kind: BindingKind, name: Option<&str>| {
        // Unnamed or `_`: the body cannot touch it.
        name.and_then(|name| signature_binding(kind, name))
            .map_or(Retention::None, |id| {
                retention(analysis, &scopes, region, id)
            })
    };
    match question {
        Question::Param(index) => Answer::Retention(retention_of(
            BindingKind::Parameter,
            facts.param_names.get(index).map(String::as_str),
        )),
        Question::Receiver => Answer::Retention(retention_of(
            BindingKind::Receiver,
            facts.receiver.as_ref().map(|(name, _)| name.as_str()),
        )),
        Question::Pure => Answer::Holds(is_pure(analysis, &scopes, function)),
        Question::FreshResults => Answer::Holds(returns_fresh(analysis, &scopes, function)),
    }
}

fn retention<'t>(
    analysis: &FileAnalysis<'t>,
    scopes: &Scopes<'t>,
    region: Region<'t>,
    parameter: BindingId,
) -> Retention {
    let ty = analysis.binding_type(scopes, parameter);
    if analysis.holds_no_reference(&ty) {
        return Retention::None;
    }
    let traced = trace(
        analysis,
        scopes,
        region,
        &[parameter],
        &SUMMARY_POLICY,
        None,
    );
    match traced.escape {
        Some(escape) => match escape.kind {
            EscapeKind::StoredParam { receiver: true, .. } => Retention::Receiver,
            // What the callee's callee does is unknown: the caller's policy decides.
            EscapeKind::UnknownCallee(_) | EscapeKind::OuterReceiver { .. } => Retention::Unknown,
            _ => Retention::Escapes(escape.as_site()),
        },
        None if traced.returned => Retention::Result,
        None => Retention::None,
    }
}

/// Whether every `return` of the function (not of literals in it) returns values made on the
/// spot: calls, composite literals (or their address), literals, `nil`, or locals given one of
/// those. A bare `return` of named results is not known to.
fn returns_fresh<'t>(analysis: &FileAnalysis<'t>, scopes: &Scopes<'t>, function: Node<'t>) -> bool {
    let Some(body) = function.child_by_field_name("body") else {
        return false;
    };
    let made_here = |value: Node<'t>| {
        let value = crate::syntax::strip_parens(value);
        match value.kind() {
            "call_expression"
            | "composite_literal"
            | "nil"
            | "true"
            | "false"
            | "int_literal"
            | "interpreted_string_literal"
            | "raw_string_literal"
            | "float_literal" => true,
            "unary_expression" => value
                .child_by_field_name("operand")
                .is_some_and(|operand| operand.kind() == "composite_literal"),
            _ => false,
        }
    };
    descendants(body, crate::syntax::is_function)
        .into_iter()
        .filter(|node| node.kind() == "return_statement")
        .all(|ret| {
            let Some(values) = ret.named_child(0) else {
                return false;
            };
            crate::syntax::names::expression_list(values)
                .into_iter()
                .all(|value| {
                    made_here(value)
                        || (value.kind() == "identifier"
                            && scopes.resolve(value).is_some_and(|id| {
                                let binding = scopes.binding(id);
                                binding.kind == BindingKind::Local
                                    && matches!(binding.source,
                                        super::scope::Source::Value(source)
                                        | super::scope::Source::Element(source, _) if made_here(source))
                            }))
                        || analysis.holds_no_reference(&analysis.type_of(value))
                })
        })
}

/// Whether a function only computes its results from its arguments: it writes nothing but its
/// own variables, calls only pure functions, reads no package-level variable, and starts,
/// defers, sends and receives nothing.
fn is_pure<'t>(analysis: &FileAnalysis<'t>, scopes: &Scopes<'t>, function: Node<'t>) -> bool {
    let Some(body) = function.child_by_field_name("body") else {
        return false;
    };
    descendants(body, |_| false)
        .into_iter()
        .all(|node| match node.kind() {
            "go_statement" | "send_statement" | "defer_statement" | "func_literal" => false,
            "unary_expression" => node
                .child_by_field_name("operator")
                .is_none_or(|op| analysis.text_of(op) != "<-"),
            "assignment_statement" | "inc_statement" | "dec_statement" => {
                writes_only_locals(analysis, scopes, node, function)
            }
            "call_expression" => analysis.call(node).is_pure(analysis),
            "identifier" => !reads_package_variable(analysis, scopes, node),
            _ => true,
        })
}

fn writes_only_locals<'t>(
    analysis: &FileAnalysis<'t>,
    scopes: &Scopes<'t>,
    statement: Node<'t>,
    function: Node<'t>,
) -> bool {
    crate::syntax::names::assignment_targets(statement)
        .into_iter()
        .all(|target| {
            if analysis.text_of(target) == "_" {
                return true;
            }
            // Only whole variables of this function: `p.x = …` may write the caller's memory.
            target.kind() == "identifier"
                && root_identifier(target)
                    .and_then(|root| scopes.resolve(root))
                    .is_some_and(|id| {
                        let binding = scopes.binding(id);
                        binding.function.id() == function.id() && !scopes.address_taken(id)
                    })
        })
}

/// An identifier that names a package-level variable (not a constant, function or type).
fn reads_package_variable<'t>(
    analysis: &FileAnalysis<'t>,
    scopes: &Scopes<'t>,
    ident: Node<'t>,
) -> bool {
    if scopes.resolve(ident).is_some() || analysis.package_ref(ident).is_some() {
        return false;
    }
    let name = analysis.text_of(ident);
    let Some(site) = analysis.lookup_decl(name) else {
        return false;
    };
    analysis.decl_facts(&site).is_some_and(|facts| {
        facts.vars.contains_key(name) && !facts.consts.iter().any(|constant| constant == name)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::analysis::Site;
    use crate::analysis::package::{DirIndex, PackageContext};
    use crate::syntax::GoFile;

    const TRACKER: &str = "package p\n\nimport \"os\"\n\nvar tracked []*os.File\n\n// track keeps x.\nfunc track(x *os.File) {\n\tremember(x)\n}\n\nfunc remember(x *os.File) { tracked = append(tracked, x) }\n\nfunc label(x *os.File) string { return x.Name() }\n\nfunc same(x *os.File) *os.File { return x }\n\nfunc round(n int) int { return n / 10 * 10 }\n\nfunc counter() int { hits++; return hits }\n\nvar hits int\n\nfunc loop(x *os.File) { loop(x) }\n";

    /// For each function: what it does with its first parameter, whether it is pure, and
    /// whether the answer to the first was complete (cached).
    fn summaries(main: &str, names: &[&str]) -> (Vec<(Retention, bool, bool)>, bool) {
        let index = Arc::new(DirIndex::from_sources(vec![
            ("main.go".into(), Arc::from(main)),
            ("tracker.go".into(), Arc::from(TRACKER)),
        ]));
        let package = PackageContext::in_memory(index, "main.go");
        let tree = crate::syntax::parse_for_test(main);
        let analysis = FileAnalysis::new(
            GoFile {
                text: main,
                tree: &tree,
            },
            &package,
        );
        let found = names
            .iter()
            .map(|name| {
                let site = analysis.lookup_decl(name).expect("declared in the package");
                let facts = analysis.decl_facts(&site).unwrap().func.clone().unwrap();
                let param = analysis.ask(&site, &facts, Question::Param(0)).retention();
                let pure = analysis.ask(&site, &facts, Question::Pure).holds();
                let cached = analysis.cached_answer(&site, Question::Param(0)).is_some();
                (param, pure, cached)
            })
            .collect();
        (found, package.was_loaded())
    }

    #[test]
    fn summaries_follow_calls_across_files() {
        let (found, loaded) = summaries(
            "package p\n\nfunc main() {}\n",
            &["track", "label", "same", "round", "counter", "loop"],
        );
        assert!(loaded);
        let [track, label, same, round, counter, looping] = found.as_slice() else {
            panic!()
        };
        assert_eq!(
            track.0,
            Retention::Escapes(Site {
                description:
                    "passes it to `remember`, which stores it in the package variable `tracked`"
                        .into(),
                location: Some("tracker.go:9".into()),
            })
        );
        assert!(track.2, "a complete answer is cached");
        assert_eq!(label.0, Retention::None);
        assert_eq!(same.0, Retention::Result);
        assert!(round.1 && !counter.1 && !label.1);
        // Recursion is cut: the inner call is unknown, so what it does with x is unknown (the
        // caller's policy decides), and the answer is not cached.
        assert_eq!(looping.0, Retention::Unknown);
        assert!(!looping.2);
    }

    #[test]
    fn the_package_is_read_only_when_a_lookup_needs_it() {
        let main = "package p\n\nfunc own(x int) int { return x }\n";
        let (found, loaded) = summaries(main, &["own"]);
        assert!(found[0].1);
        assert!(!loaded, "a declaration of the file itself needs no sibling");
    }
}
