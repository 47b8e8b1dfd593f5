//! loop-var-capture: a function literal that outlives its loop iteration (started with `go`,
//! deferred, passed to `.Go(...)`, or a parallel subtest) and captures a variable declared by the
//! loop's `for` clause, in a file whose Go version is older than 1.22 (one variable per loop).
//!
//! Fix: rebind each captured variable (`v := v`) as the first statement of the loop body.

use tree_sitter::Node;

use crate::analysis::blocks::Lexed;
use crate::analysis::package::PackageContext;
use crate::analysis::scope::is_struct_field_key;
use crate::fix::{Edit, Finding, Fix, FixState, Reason, ReasonCode};
use crate::goversion::{GoVersion, file_version};
use crate::syntax::indent::{indentation_at, starts_line};
use crate::syntax::names::{Declaration, expression_list, find_declaration, is_declared_name};
use crate::syntax::{
    GoFile, ancestors, block_statements, descendants, descendants_and_self, is_function,
};
use crate::transforms::{QueryMatch, Rule, RuleContext};

pub static RULE: Rule = Rule {
    id: "loop-var-capture",
    summary: "closure started by go/defer/.Go in a loop captures a loop variable shared by all iterations (before Go 1.22)",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["go", "defer", "Go", "Run"],
    requires: &[],
    severity: crate::transforms::Severity::Major,
    applies_to: shares_loop_variables,
    may_match: Some(may_match),
    reasons: &[
        ReasonCode::LoopVarWritten,
        ReasonCode::Redeclared,
        ReasonCode::Layout,
    ],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// Without parsing: a launch the query can match (`go func`, `defer func`, `.Go(`, or `.Run(`
/// in a statement that spells `Parallel`) in a `for` statement, its header included, of its
/// function or of one around it (a function literal called in the loop body runs in the
/// iteration, as the check follows it).
fn may_match(lexed: &Lexed, _package: &PackageContext) -> bool {
    let literal_launches = lexed
        .defers()
        .iter()
        .copied()
        .chain(lexed.all("go"))
        .filter(|&at| lexed.is(at + 1, "func"));
    // A subtest (`t.Run`) is a launch only when its literal calls `Parallel`.
    let runners = ["Go", "Run"]
        .into_iter()
        .flat_map(|method| lexed.all(method))
        .filter(|&at| at >= 1 && lexed.is(at - 1, ".") && lexed.is(at + 1, "("))
        .filter(|&at| {
            lexed.is(at, "Go")
                || lexed.contains(lexed.statement(lexed.statement_start(at)), "Parallel")
        });
    literal_launches
        .chain(runners)
        .any(|at| lexed.inside_any_loop(at))
}

/// Before Go 1.22 (or without a go.mod) a `for` clause declares one variable for the whole loop.
/// Decided before parsing: the file's `//go:build` line is read from its text.
fn shares_loop_variables(module: Option<GoVersion>, text: &str) -> bool {
    is_before_per_iteration(file_version(module, text))
}

fn is_before_per_iteration(version: Option<GoVersion>) -> bool {
    version.is_none_or(|version| version < GoVersion::PER_ITERATION_LOOP_VARS)
}

/// How a function literal gets to run after the iteration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Launch {
    Goroutine,
    Deferred,
    Runner,
    ParallelSubtest,
}

impl Launch {
    fn describe(self) -> &'static str {
        match self {
            Launch::Goroutine => "a goroutine",
            Launch::Deferred => "a deferred function",
            Launch::Runner => "a function passed to .Go",
            Launch::ParallelSubtest => "a parallel subtest",
        }
    }
}

/// One captured loop variable.
struct Capture<'t> {
    for_loop: Node<'t>,
    name: String,
    first_use: Node<'t>,
    launch: Launch,
}

fn check(context: &RuleContext, matches: &[QueryMatch]) -> Vec<Finding> {
    let text = context.file.text;
    let version = file_version(context.module_go_version, text);
    if !is_before_per_iteration(version) {
        return Vec::new();
    }
    let mut captures: Vec<Capture> = Vec::new();
    for found in matches {
        let (Some(anchor), Some(literal)) = (found.get("anchor"), found.get("literal")) else {
            continue;
        };
        let Some(launch) = launch_of(anchor, literal, found.get("method"), text) else {
            continue;
        };
        for for_loop in enclosing_loops(anchor, launch) {
            let Some(body) = for_loop.child_by_field_name("body") else {
                continue;
            };
            for name in loop_variables(for_loop, text) {
                // Rebound inside the body already (`v := v`): the literal sees the copy.
                if find_declaration(&name, literal, body, text).is_some() {
                    continue;
                }
                // A subtest runs its statements before t.Parallel() within the iteration.
                let after = match launch {
                    Launch::ParallelSubtest => {
                        parallel_call_end(literal, text).unwrap_or(literal.start_byte())
                    }
                    _ => literal.start_byte(),
                };
                let uses = free_uses(literal, &name, text);
                let Some(first_use) = uses.into_iter().find(|node| node.start_byte() >= after)
                else {
                    continue;
                };
                match captures
                    .iter_mut()
                    .find(|c| c.for_loop.id() == for_loop.id() && c.name == name)
                {
                    Some(existing) if first_use.start_byte() < existing.first_use.start_byte() => {
                        existing.first_use = first_use;
                        existing.launch = launch;
                    }
                    Some(_) => {}
                    None => captures.push(Capture {
                        for_loop,
                        name,
                        first_use,
                        launch,
                    }),
                }
            }
        }
    }

    let version_note = match version {
        Some(version) => format!("this file is Go {version}"),
        None => "no usable go.mod found, treated as older than Go 1.22".to_owned(),
    };
    let mut findings = Vec::new();
    for capture in &captures {
        let names: Vec<String> = loop_variables(capture.for_loop, text)
            .into_iter()
            .filter(|name| {
                captures
                    .iter()
                    .any(|c| c.for_loop.id() == capture.for_loop.id() && &c.name == name)
            })
            .collect();
        let fix = rebind(&context.file, capture.for_loop, &names);
        let message = format!(
            "loop variable {} is captured by {} and shared by all iterations before Go 1.22 ({version_note})",
            capture.name,
            capture.launch.describe()
        );
        findings.push(Finding {
            rule: RULE.id,
            span: capture.first_use.byte_range(),
            message,
            fix: fix.into(),
        });
    }
    findings
}

/// Whether the matched literal really outlives the iteration, and how.
fn launch_of(anchor: Node, literal: Node, method: Option<Node>, text: &str) -> Option<Launch> {
    match anchor.kind() {
        "go_statement" => Some(Launch::Goroutine),
        "defer_statement" => Some(Launch::Deferred),
        _ => match method.map(|method| &text[method.byte_range()]) {
            Some("Go") => Some(Launch::Runner),
            Some("Run") if calls_parallel(literal, text) => Some(Launch::ParallelSubtest),
            _ => None,
        },
    }
}

/// Whether a subtest literal `func(t *testing.T) {...}` calls `t.Parallel()` on its parameter.
fn calls_parallel(literal: Node, text: &str) -> bool {
    parallel_call_end(literal, text).is_some()
}

/// Where the subtest literal's `t.Parallel()` call ends (`t` being its parameter).
fn parallel_call_end(literal: Node, text: &str) -> Option<usize> {
    let parameter = literal
        .child_by_field_name("parameters")
        .and_then(|parameters| {
            descendants(parameters, |_| false)
                .into_iter()
                .find(|node| node.kind() == "identifier")
        })?;
    let receiver = &text[parameter.byte_range()];
    let body = literal.child_by_field_name("body")?;
    descendants(body, is_function)
        .into_iter()
        .find(|node| {
            node.kind() == "call_expression"
                && node
                    .child_by_field_name("function")
                    .is_some_and(|function| {
                        text[function.byte_range()].strip_suffix(".Parallel") == Some(receiver)
                    })
        })
        .map(|call| call.end_byte())
}

/// The `for` statements whose iteration the literal can outlive. A deferred literal belongs to
/// the innermost function; a goroutine or runner also escapes immediately invoked literals.
fn enclosing_loops(anchor: Node, launch: Launch) -> Vec<Node> {
    let mut loops = Vec::new();
    for ancestor in ancestors(anchor) {
        if is_function(ancestor) {
            let invoked_here = ancestor.kind() == "func_literal"
                && crate::syntax::call_of(ancestor).is_some_and(|call| {
                    call.parent()
                        .is_none_or(|statement| statement.kind() != "go_statement")
                });
            if launch == Launch::Deferred || !invoked_here {
                break;
            }
            continue;
        }
        if ancestor.kind() == "for_statement" {
            loops.push(ancestor);
        }
    }
    loops
}

/// The variables a loop's `for` clause declares with `:=`, in declaration order.
pub fn loop_variables(for_loop: Node, text: &str) -> Vec<String> {
    let mut cursor = for_loop.walk();
    let clause = for_loop
        .named_children(&mut cursor)
        .find(|child| matches!(child.kind(), "for_clause" | "range_clause"));
    let declaration = match clause {
        Some(clause) if clause.kind() == "for_clause" => clause
            .child_by_field_name("initializer")
            .filter(|init| init.kind() == "short_var_declaration")
            .and_then(|init| Declaration::of(init, text)),
        Some(clause) => Declaration::of(clause, text),
        None => None,
    };
    declaration
        .map(|declaration| {
            declaration
                .names
                .iter()
                .map(|name| text[name.byte_range()].to_owned())
                .filter(|name| name != "_")
                .collect()
        })
        .unwrap_or_default()
}

/// Uses of `name` inside `literal` that refer to a variable outside it (not shadowed by a
/// parameter, named result or declaration of the literal or of a literal nested in it), in source
/// order. Names being declared and struct field keys (`T{v: 1}`) are not uses.
fn free_uses<'t>(literal: Node<'t>, name: &str, text: &str) -> Vec<Node<'t>> {
    let declares_in_signature = |function: Node| {
        ["parameters", "result"].iter().any(|field| {
            function.child_by_field_name(field).is_some_and(|list| {
                descendants(list, |_| false)
                    .into_iter()
                    .any(|node| node.kind() == "identifier" && &text[node.byte_range()] == name)
            })
        })
    };
    descendants(literal, |_| false)
        .into_iter()
        .filter(|node| node.kind() == "identifier" && &text[node.byte_range()] == name)
        .filter(|node| !is_declared_name(*node, text) && !is_struct_field_key(*node))
        .filter(|node| {
            let shadowed_by_signature = std::iter::once(*node)
                .chain(ancestors(*node))
                .take_while(|ancestor| ancestor.id() != literal.id())
                .chain(std::iter::once(literal))
                .any(|ancestor| {
                    ancestor.kind() == "func_literal" && declares_in_signature(ancestor)
                });
            !shadowed_by_signature && find_declaration(name, *node, literal, text).is_none()
        })
        .collect()
}

/// `v := v` lines at the top of the loop body, one per captured variable.
fn rebind(file: &GoFile, for_loop: Node, names: &[String]) -> Result<FixState, Reason> {
    let not_formatted = || Reason::new(ReasonCode::Layout, "the loop body is not gofmt-formatted");
    let text = file.text;
    let body = for_loop
        .child_by_field_name("body")
        .ok_or_else(not_formatted)?;
    let open = body.start_byte();
    let close = body.end_byte() - 1;
    let first_newline = open + text[open..close].find('\n').ok_or_else(not_formatted)?;
    // The copies go on the line after the `{`: only a line comment may share that line (a block
    // comment may go on past it, and the copies would land inside it).
    let brace_line = text[open + 1..first_newline].trim();
    if !starts_line(text, close) || !(brace_line.is_empty() || brace_line.starts_with("//")) {
        return Err(not_formatted());
    }
    // `v := v` next to a later `v := ...` of the body itself would not compile, or would turn
    // that declaration into an assignment the closure then sees.
    let body_declares = block_statements(body).into_iter().find_map(|statement| {
        descendants_and_self(statement)
            .into_iter()
            .filter_map(|node| Declaration::of(node, text))
            .filter(|declaration| declared_directly_in(declaration.statement, body))
            .find_map(|declaration| {
                declaration
                    .names
                    .iter()
                    .map(|ident| &text[ident.byte_range()])
                    .find(|declared| names.iter().any(|name| name == declared))
            })
    });
    if let Some(name) = body_declares {
        return Err(Reason::new(
            ReasonCode::Redeclared,
            format!(
                "the loop body declares its own `{name}`, which `{name} := {name}` would clash with"
            ),
        ));
    }
    let indent = format!("{}\t", indentation_at(text, close));
    let lines: String = names
        .iter()
        .map(|name| format!("{indent}{name} := {name}\n"))
        .collect();
    // A three-clause loop reads back what the body writes (`i += 2`): a copy would swallow the
    // write. A range loop never reads its variables back, so writes there are harmless.
    let is_range = {
        let mut cursor = for_loop.walk();
        for_loop
            .named_children(&mut cursor)
            .any(|child| child.kind() == "range_clause")
    };
    let written = names
        .iter()
        .find(|name| !is_range && assigned_in(body, name, text))
        .map(|name| {
            Reason::new(
                ReasonCode::LoopVarWritten,
                format!("the loop body writes `{name}`, which the three-clause loop reads back; a copy would keep the write from the loop"),
            )
        });
    Ok(FixState::offered(
        Fix::new(
            "rebind the loop variables at the top of the loop body",
            vec![Edit::insert(first_newline + 1, lines)],
        ),
        written,
    ))
}

/// Whether a declaration statement belongs to the body's own scope (not a nested block or clause).
fn declared_directly_in(statement: Node, body: Node) -> bool {
    let scope = ancestors(statement).find(|node| {
        matches!(
            node.kind(),
            "block"
                | "func_literal"
                | "if_statement"
                | "for_statement"
                | "expression_switch_statement"
                | "type_switch_statement"
                | "communication_case"
                | "expression_case"
                | "type_case"
                | "default_case"
        )
    });
    scope.is_some_and(|scope| scope.id() == body.id())
}

/// Whether the body assigns to, increments or takes the address of the loop variable `name`
/// (not of a variable of the same name declared inside the body).
fn assigned_in(body: Node, name: &str, text: &str) -> bool {
    let is_name = |node: Node| {
        node.kind() == "identifier"
            && &text[node.byte_range()] == name
            && find_declaration(name, node, body, text).is_none()
    };
    descendants(body, |_| false)
        .into_iter()
        .any(|node| match node.kind() {
            "assignment_statement" => node
                .child_by_field_name("left")
                .is_some_and(|left| expression_list(left).into_iter().any(is_name)),
            "inc_statement" | "dec_statement" => node.named_child(0).is_some_and(is_name),
            "unary_expression" => {
                node.child_by_field_name("operator")
                    .is_some_and(|op| &text[op.byte_range()] == "&")
                    && node.child_by_field_name("operand").is_some_and(is_name)
            }
            _ => false,
        })
}
