//! Fix safety: running a deferred call at the end of each iteration instead of at function exit
//! is only harmless when the call releases something the iteration itself acquired and nothing
//! outlives the iteration that still needs it. Without type information this is decided
//! conservatively; anything unclear makes the fix unsafe.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::fix::Applicability;
use crate::syntax::names::{
    Declaration, contains, expression_list, find_declaration, import_names, is_declared_name,
    root_identifier,
};
use crate::syntax::{
    GoFile, ancestors, descendants, descendants_and_self, enclosing_function, is_function,
    selector_call,
};

/// Identifiers that name no variable.
const PREDECLARED: &[&str] = &["nil", "true", "false", "iota", "_"];

pub fn classify(file: &GoFile, for_loop: Node, defer: Node) -> Applicability {
    if is_safe(file, for_loop, defer) {
        Applicability::Safe
    } else {
        Applicability::Unsafe
    }
}

fn is_safe(file: &GoFile, for_loop: Node, defer: Node) -> bool {
    let text = file.text;
    let (Some(body), Some(call)) = (for_loop.child_by_field_name("body"), defer.named_child(0))
    else {
        return false;
    };
    let Some(function) = call.child_by_field_name("function") else {
        return false;
    };
    let imports = import_names(file.tree.root_node(), text);
    if !only_releases(call, function, body, &imports, text) {
        return false;
    }
    let Some(operands) = operands(call, function, &imports, text) else {
        return false;
    };
    if operands.is_empty() {
        return false;
    }
    // Every value the deferred call acts on must be acquired in the body from a call…
    let mut tracked: HashSet<String> = HashSet::new();
    for operand in &operands {
        let name = &text[operand.byte_range()];
        let Some(declaration) = find_declaration(name, *operand, body, text) else {
            return false;
        };
        let Some(ident) = declaration
            .names
            .iter()
            .find(|ident| &text[ident.byte_range()] == name)
        else {
            return false;
        };
        if declaration
            .value_of(*ident)
            .is_none_or(|value| value.kind() != "call_expression")
        {
            return false;
        }
        tracked.insert(name.to_owned());
        // Values acquired by the same call belong to the same resource (`ctx, cancel :=
        // context.WithCancel(...)`: cancelling early ends ctx too), errors aside.
        if declaration.values.len() == 1 {
            for sibling in &declaration.names {
                let sibling = &text[sibling.byte_range()];
                if sibling != "_" && !is_error_name(sibling) {
                    tracked.insert(sibling.to_owned());
                }
            }
        }
    }
    // …used for work within the iteration (a value only the defer mentions may be held open on
    // purpose, like an accepted connection kept until the function returns)…
    if !used_outside_defer(body, defer, &tracked, text) {
        return false;
    }
    // …and neither it nor anything derived from it may outlive the iteration.
    let tracked = derived_closure(body, tracked, &imports, text);
    !escapes(&Uses {
        body,
        defer,
        tracked: &tracked,
        imports: &imports,
        text,
    })
}

/// Methods whose only job is to release what their receiver holds. Anything else a deferred call
/// does (removing a file, unlocking a mutex, signalling a `WaitGroup`, calling a function value
/// of unknown origin) may be what the code after the loop relies on, so it is never assumed safe.
const RELEASE_METHODS: &[&str] = &["Close", "Stop", "Release", "Cancel"];

/// Packages whose functions only print or build errors: a value passed to them goes nowhere.
const LOGGING_PACKAGES: &[&str] = &["log", "slog"];

/// Whether the deferred call does nothing but release resources: `x.Close()` (also
/// `resp.Body.Close()`), another method of `RELEASE_METHODS`, the cancel function of a
/// `context.With…` call, or a function literal whose calls are all of these or logging.
fn only_releases(
    call: Node,
    function: Node,
    body: Node,
    imports: &HashSet<String>,
    text: &str,
) -> bool {
    if function.kind() != "func_literal" {
        return is_release_call(call, body, imports, text);
    }
    descendants(function, |_| false)
        .into_iter()
        .all(|node| match node.kind() {
            "func_literal" => node.id() == function.id(),
            "call_expression" => {
                is_release_call(node, body, imports, text) || is_logging_call(node, imports, text)
            }
            _ => true,
        })
}

fn is_release_call(call: Node, body: Node, imports: &HashSet<String>, text: &str) -> bool {
    let no_arguments = call
        .child_by_field_name("arguments")
        .is_some_and(|arguments| arguments.named_child_count() == 0);
    let Some(callee) = call.child_by_field_name("function") else {
        return false;
    };
    if !no_arguments {
        return false;
    }
    match callee.kind() {
        "selector_expression" => {
            let is_release_method = callee
                .child_by_field_name("field")
                .is_some_and(|field| RELEASE_METHODS.contains(&&text[field.byte_range()]));
            let receiver_is_variable = method_receiver_root(callee).is_some_and(|root| {
                !(imports.contains(&text[root.byte_range()]) && is_package_use(root))
            });
            is_release_method && receiver_is_variable
        }
        "identifier" => is_context_cancel(callee, body, imports, text),
        _ => false,
    }
}

/// Whether `ident` was declared in the body as the cancel function of `context.With…(…)`.
fn is_context_cancel(ident: Node, body: Node, imports: &HashSet<String>, text: &str) -> bool {
    let name = &text[ident.byte_range()];
    let Some(declaration) = find_declaration(name, ident, body, text) else {
        return false;
    };
    let Some(value) = declaration
        .names
        .iter()
        .find(|candidate| &text[candidate.byte_range()] == name)
        .and_then(|candidate| declaration.value_of(*candidate))
    else {
        return false;
    };
    selector_call(value).is_some_and(|(operand, field)| {
        operand.kind() == "identifier"
            && imports.contains(&text[operand.byte_range()])
            && crate::syntax::known::CONTEXT_CONSTRUCTORS.contains(&&text[field.byte_range()])
    })
}

/// `log.Println(err)`, `slog.Error(...)`, `fmt.Println(...)`, `println(...)`.
fn is_logging_call(call: Node, imports: &HashSet<String>, text: &str) -> bool {
    let Some(callee) = call.child_by_field_name("function") else {
        return false;
    };
    match callee.kind() {
        "identifier" => matches!(&text[callee.byte_range()], "print" | "println"),
        "selector_expression" => {
            let (Some(operand), Some(field)) = (
                callee.child_by_field_name("operand"),
                callee.child_by_field_name("field"),
            ) else {
                return false;
            };
            let package = &text[operand.byte_range()];
            let function = &text[field.byte_range()];
            operand.kind() == "identifier"
                && imports.contains(package)
                && (LOGGING_PACKAGES.contains(&package)
                    || (package == "fmt" && function.contains("print")))
        }
        _ => false,
    }
}

/// Whether a tracked variable is mentioned in the body outside the defer and its own declaration.
fn used_outside_defer(body: Node, defer: Node, tracked: &HashSet<String>, text: &str) -> bool {
    descendants(body, |_| false).into_iter().any(|node| {
        node.kind() == "identifier"
            && tracked.contains(&text[node.byte_range()])
            && !is_declared_name(node, text)
            && !contains(defer, node)
    })
}

/// The variables the deferred call acts on, or `None` when the call is of a kind that is never
/// safe to run early (it calls `recover`, or assigns to variables declared outside it).
fn operands<'t>(
    call: Node<'t>,
    function: Node<'t>,
    imports: &HashSet<String>,
    text: &str,
) -> Option<Vec<Node<'t>>> {
    let is_variable = |ident: Node| {
        let name = &text[ident.byte_range()];
        let is_package = imports.contains(name) && is_package_use(ident);
        !PREDECLARED.contains(&name) && !is_package
    };
    let mut operands = Vec::new();
    if function.kind() == "func_literal" {
        let inner = descendants(function, |node| {
            is_function(node) && node.id() != function.id()
        });
        let declared_inside: HashSet<&str> = inner
            .iter()
            .filter_map(|node| Declaration::of(*node, text))
            .flat_map(|declaration| declaration.names)
            .map(|ident| &text[ident.byte_range()])
            .chain(parameter_names(function, text))
            .collect();
        for node in &inner {
            match node.kind() {
                "call_expression" => {
                    let callee = node.child_by_field_name("function")?;
                    if callee.kind() == "identifier" && &text[callee.byte_range()] == "recover" {
                        return None;
                    }
                    if let Some(root) = method_receiver_root(callee)
                        && is_variable(root)
                        && !declared_inside.contains(&text[root.byte_range()])
                    {
                        operands.push(root);
                    }
                }
                "assignment_statement" | "inc_statement" | "dec_statement" => {
                    let targets = match node.child_by_field_name("left") {
                        Some(left) => expression_list(left),
                        None => node.named_child(0).into_iter().collect(),
                    };
                    for target in targets {
                        let root = root_identifier(target)?;
                        let name = &text[root.byte_range()];
                        if name != "_" && !declared_inside.contains(name) {
                            // Assigning outer variables or named results from a deferred call.
                            return None;
                        }
                    }
                }
                _ => {}
            }
        }
    } else if let Some(root) = method_receiver_root(function) {
        if is_variable(root) {
            operands.push(root);
        }
    } else if function.kind() == "identifier" && is_variable(function) {
        let name = &text[function.byte_range()];
        // A builtin (`close(ch)`) acts on its arguments; a variable holding a func acts itself.
        if !matches!(
            name,
            "close" | "delete" | "clear" | "panic" | "print" | "println"
        ) {
            operands.push(function);
        }
    }
    if let Some(arguments) = call.child_by_field_name("arguments") {
        let idents = descendants(arguments, is_function);
        operands.extend(
            idents
                .into_iter()
                .filter(|node| node.kind() == "identifier" && is_variable(*node)),
        );
    }
    Some(operands)
}

/// `x` for `x.M`, `x.a.M`, `x[i].M`: the variable whose method is called.
fn method_receiver_root(callee: Node) -> Option<Node> {
    if callee.kind() != "selector_expression" {
        return None;
    }
    root_identifier(callee.child_by_field_name("operand")?)
}

/// Whether an identifier is used as a package qualifier (`os` in `os.Open`).
fn is_package_use(ident: Node) -> bool {
    ident.parent().is_some_and(|parent| {
        parent.kind() == "selector_expression"
            && parent
                .child_by_field_name("operand")
                .is_some_and(|operand| operand.id() == ident.id())
    })
}

fn parameter_names<'a>(function: Node, text: &'a str) -> Vec<&'a str> {
    let Some(parameters) = function.child_by_field_name("parameters") else {
        return Vec::new();
    };
    descendants(parameters, |_| false)
        .into_iter()
        .filter(|node| node.kind() == "identifier")
        .map(|node| &text[node.byte_range()])
        .collect()
}

/// Adds every variable declared in the body from an expression that uses a tracked variable
/// other than as the receiver of a method call (`r := bufio.NewReader(f)` tracks `r`;
/// `n, err := f.Read(buf)` does not track `n`). Error values never hold the resource.
fn derived_closure(
    body: Node,
    mut tracked: HashSet<String>,
    imports: &HashSet<String>,
    text: &str,
) -> HashSet<String> {
    let nodes = descendants(body, is_function);
    let mut declarations: Vec<Declaration> = nodes
        .iter()
        .filter_map(|node| Declaration::of(*node, text))
        .collect();
    // `x = f` into a variable of the body makes `x` as much the resource as a declaration would.
    declarations.extend(
        nodes
            .iter()
            .filter(|node| {
                // `total += n` computes a number or string: only `=` hands the value on.
                node.kind() == "assignment_statement"
                    && node
                        .child_by_field_name("operator")
                        .is_some_and(|op| &text[op.byte_range()] == "=")
            })
            .filter_map(|node| {
                Some(Declaration {
                    statement: *node,
                    names: expression_list(node.child_by_field_name("left")?),
                    values: expression_list(node.child_by_field_name("right")?),
                })
            }),
    );
    // `br.Reset(f)`, `list.PushBack(f)`: a value of the body handed the resource may keep it.
    declarations.extend(
        nodes
            .iter()
            .filter(|node| node.kind() == "call_expression")
            .filter_map(|node| {
                let receiver = method_receiver_root(node.child_by_field_name("function")?)?;
                if imports.contains(&text[receiver.byte_range()]) {
                    return None;
                }
                Some(Declaration {
                    statement: *node,
                    names: vec![receiver],
                    values: vec![node.child_by_field_name("arguments")?],
                })
            }),
    );
    // `switch v := x.(type)` binds `v` to `x` in every case.
    declarations.extend(
        nodes
            .iter()
            .filter(|node| node.kind() == "type_switch_statement")
            .filter_map(|node| {
                Some(Declaration {
                    statement: *node,
                    names: expression_list(node.child_by_field_name("alias")?),
                    values: vec![node.child_by_field_name("value")?],
                })
            }),
    );
    loop {
        let before = tracked.len();
        for declaration in &declarations {
            let uses_tracked = declaration.values.iter().any(|value| {
                descendants_and_self(*value).into_iter().any(|node| {
                    node.kind() == "identifier"
                        && tracked.contains(&text[node.byte_range()])
                        && !consumed_within(node, *value, text)
                })
            });
            if uses_tracked {
                for name in &declaration.names {
                    let name = &text[name.byte_range()];
                    if name != "_" && !is_error_name(name) {
                        tracked.insert(name.to_owned());
                    }
                }
            }
        }
        if tracked.len() == before {
            return tracked;
        }
    }
}

fn is_error_name(name: &str) -> bool {
    name == "err" || name.ends_with("Err") || name.ends_with("Error")
}

/// Whether a call only prints, logs or builds an error, so a value passed to it travels no
/// further (`fmt.Errorf("%s", resp.Status)`). Calls that build strings (`fmt.Sprintf`,
/// `strings.Join`, `filepath.Join`) are followed: a URL or a path names the resource.
fn is_consuming_call(package: &str, function: &str) -> bool {
    match package {
        "errors" | "log" | "slog" => true,
        "fmt" => function.contains("print") || function == "Errorf",
        "strconv" => !function.starts_with("Quote") && !function.starts_with("Append"),
        _ => false,
    }
}

/// Where the tracked values are used, and how to judge those uses.
struct Uses<'a> {
    body: Node<'a>,
    defer: Node<'a>,
    tracked: &'a HashSet<String>,
    imports: &'a HashSet<String>,
    text: &'a str,
}

/// Whether any tracked variable can outlive the iteration: returned, sent, appended, stored in a
/// composite literal, a field, a map or slice element or an outer variable, handed to a method of
/// a value from outside the body, or captured by a goroutine or a function literal that is not
/// called on the spot. Without types, whatever a method returns (`t.Query()`) may reference the
/// value, so it is followed like the value itself; numbers, strings and booleans computed from it
/// (`n > 0`, `total += n`, `len(b)`, `b[:n]`) are not.
fn escapes(uses: &Uses) -> bool {
    let Uses { body, text, .. } = *uses;
    let function = enclosing_function(body);
    for node in descendants(body, |_| false) {
        if node.kind() != "identifier" || !uses.tracked.contains(&text[node.byte_range()]) {
            continue;
        }
        if is_declared_name(node, text) {
            continue;
        }
        for ancestor in ancestors(node) {
            if function.is_some_and(|function| ancestor.id() == function.id())
                || ancestor.id() == body.id()
            {
                break;
            }
            match ancestor.kind() {
                "go_statement" => return true,
                "func_literal" if !is_run_in_iteration(ancestor, uses.defer) => return true,
                "func_literal" => {}
                // `m[f] = true`, `seen[f]++`: the value is stored as a key.
                "index_expression" if is_store_target(ancestor) => return true,
                _ if consumes(ancestor, node, text) => break,
                "return_statement" | "send_statement" | "literal_value" => return true,
                "call_expression" if is_append(ancestor, text) => return true,
                "argument_list" => match argument_destination(ancestor, uses) {
                    Destination::Consumed => break,
                    Destination::Outer => return true,
                    Destination::Unknown => {}
                },
                "assignment_statement" => {
                    let in_right = ancestor.child_by_field_name("right").is_some_and(|right| {
                        right.start_byte() <= node.start_byte()
                            && node.end_byte() <= right.end_byte()
                    });
                    if in_right {
                        let Some(left) = ancestor.child_by_field_name("left") else {
                            return true;
                        };
                        let all_local = expression_list(left).iter().all(|target| {
                            target.kind() == "identifier"
                                && (&text[target.byte_range()] == "_"
                                    || find_declaration(
                                        &text[target.byte_range()],
                                        *target,
                                        body,
                                        text,
                                    )
                                    .is_some())
                        });
                        if !all_local {
                            return true;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    false
}

/// Whether `parent` turns the use of a value below it (`child` or an ancestor of it) into a value
/// that cannot reference it: an arithmetic, comparison or logical operation, an index or slice
/// bound, `len`/`cap`, or the right side of an operator assignment (`+=`).
fn consumes(parent: Node, child: Node, text: &str) -> bool {
    let within = |field: &str| {
        parent.child_by_field_name(field).is_some_and(|part| {
            part.start_byte() <= child.start_byte() && child.end_byte() <= part.end_byte()
        })
    };
    match parent.kind() {
        "binary_expression" => parent
            .child_by_field_name("operator")
            // `+` may join strings, and a string (a URL, a path) can name the resource.
            .is_some_and(|op| &text[op.byte_range()] != "+"),
        "unary_expression" => parent
            .child_by_field_name("operator")
            .is_some_and(|op| matches!(&text[op.byte_range()], "!" | "-" | "+" | "^")),
        "index_expression" => within("index") && !is_store_target(parent),
        "slice_expression" => !within("operand"),
        "call_expression" => parent
            .child_by_field_name("function")
            .is_some_and(|function| matches!(&text[function.byte_range()], "len" | "cap")),
        "assignment_statement" => parent
            .child_by_field_name("operator")
            .is_some_and(|op| &text[op.byte_range()] != "="),
        _ => false,
    }
}

/// Whether an expression is written to: the left side of an assignment or an `x++`/`x--`. A map
/// key or slice index there is stored, not merely looked up.
fn is_store_target(expression: Node) -> bool {
    ancestors(expression)
        .take_while(|ancestor| {
            matches!(
                ancestor.kind(),
                "expression_list"
                    | "assignment_statement"
                    | "inc_statement"
                    | "dec_statement"
                    | "index_expression"
                    | "selector_expression"
                    | "parenthesized_expression"
            )
        })
        .any(|ancestor| match ancestor.kind() {
            "inc_statement" | "dec_statement" => true,
            "assignment_statement" => ancestor
                .child_by_field_name("left")
                .is_some_and(|left| contains(left, expression)),
            _ => false,
        })
}

/// Whether the use `node` turns into a value that cannot reference it before reaching `value`.
fn consumed_within(node: Node, value: Node, text: &str) -> bool {
    ancestors(node)
        .take_while(|ancestor| {
            ancestor.id() != value.parent().map_or(value.id(), |parent| parent.id())
        })
        .any(|ancestor| consumes(ancestor, node, text))
}

/// Whether a function literal runs within the iteration: it is the deferred function of a defer
/// in the body, or it is called on the spot and not by a `go` statement.
fn is_run_in_iteration(literal: Node, defer: Node) -> bool {
    let called_here = literal.parent().is_some_and(|parent| {
        parent.kind() == "call_expression"
            && parent
                .child_by_field_name("function")
                .is_some_and(|f| f.id() == literal.id())
    });
    let deferred = ancestors(literal)
        .nth(1)
        .is_some_and(|grand| grand.id() == defer.id() || grand.kind() == "defer_statement");
    called_here && (deferred || !in_go_statement(literal))
}

/// What becomes of a value passed as an argument.
enum Destination {
    /// A function of a package known not to keep its arguments.
    Consumed,
    /// A method of a value declared outside the body: it may keep the argument.
    Outer,
    /// Anything else: follow the call's result.
    Unknown,
}

fn argument_destination(arguments: Node, uses: &Uses) -> Destination {
    let text = uses.text;
    let Some(callee) = arguments
        .parent()
        .and_then(|call| call.child_by_field_name("function"))
    else {
        return Destination::Unknown;
    };
    let Some(root) = method_receiver_root(callee) else {
        return plain_call_destination(arguments, uses);
    };
    let name = &text[root.byte_range()];
    if uses.imports.contains(name) && is_package_use(root) {
        let function = callee
            .child_by_field_name("field")
            .map_or("", |field| &text[field.byte_range()]);
        return if is_consuming_call(name, function) {
            Destination::Consumed
        } else {
            plain_call_destination(arguments, uses)
        };
    }
    if find_declaration(name, root, uses.body, text).is_some() {
        Destination::Unknown
    } else {
        Destination::Outer
    }
}

/// A function (not a method) may store one argument into another (`heap.Push(h, x)`,
/// `register(m, x)`): when a variable from outside the body is passed too, the value may escape.
fn plain_call_destination(arguments: Node, uses: &Uses) -> Destination {
    let passes_outer_variable = descendants(arguments, is_function).into_iter().any(|node| {
        node.kind() == "identifier" && !is_field_name(node) && is_function_variable(node, uses)
    });
    if passes_outer_variable {
        Destination::Outer
    } else {
        Destination::Unknown
    }
}

/// Whether `ident` names a variable of the enclosing function declared before the loop: one of its
/// parameters, its receiver or one of its locals (not the loop's own variables, not the body's).
/// Package-level variables are not recognised: without the rest of the package they cannot be
/// told apart from constants and functions.
fn is_function_variable(ident: Node, uses: &Uses) -> bool {
    let text = uses.text;
    let name = &text[ident.byte_range()];
    let Some(function) = enclosing_function(uses.body) else {
        return false;
    };
    let Some(for_loop) = uses.body.parent() else {
        return false;
    };
    let declared_before_loop = function
        .child_by_field_name("body")
        .and_then(|function_body| find_declaration(name, ident, function_body, text))
        .is_some_and(|declaration| !contains(for_loop, declaration.statement));
    let is_parameter = ["parameters", "receiver"].iter().any(|field| {
        function.child_by_field_name(field).is_some_and(|list| {
            descendants(list, |_| false).into_iter().any(|node| {
                node.kind() == "identifier"
                    && &text[node.byte_range()] == name
                    && is_declared_name(node, text)
            })
        })
    });
    declared_before_loop || is_parameter
}

/// `name` in `x.name` or in a keyed composite literal `{name: v}` is not a variable.
fn is_field_name(ident: Node) -> bool {
    ident.parent().is_some_and(|parent| {
        parent.kind() == "selector_expression"
            && parent
                .child_by_field_name("field")
                .is_some_and(|field| field.id() == ident.id())
    })
}

fn in_go_statement(node: Node) -> bool {
    ancestors(node)
        .take_while(|ancestor| !is_function(*ancestor))
        .any(|ancestor| ancestor.kind() == "go_statement")
}

fn is_append(call: Node, text: &str) -> bool {
    call.child_by_field_name("function")
        .is_some_and(|function| {
            function.kind() == "identifier" && &text[function.byte_range()] == "append"
        })
}
