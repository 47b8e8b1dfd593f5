//! Control flow questions answered from syntax alone: where a jump goes, and whether a statement
//! is terminating in the sense of the Go spec (so no code after it is reachable).

use tree_sitter::Node;

use super::names::{is_package_call, package_name};
use super::{ancestors, block_statements, descendants, is_function};

/// The label a `break`, `continue` or `goto` names, if any.
pub fn jump_label<'a>(jump: Node, text: &'a str) -> Option<&'a str> {
    let mut cursor = jump.walk();
    let label = jump
        .named_children(&mut cursor)
        .find(|child| child.kind() == "label_name");
    label.map(|label| &text[label.byte_range()])
}

/// The statement labelled by a `labeled_statement`.
pub fn labeled_inner(labeled: Node) -> Option<Node> {
    let mut cursor = labeled.walk();
    labeled
        .named_children(&mut cursor)
        .find(|child| !matches!(child.kind(), "label_name" | "comment"))
}

/// The label name of `statement` when it is the body of a labelled statement.
pub fn label_of<'a>(statement: Node, text: &'a str) -> Option<&'a str> {
    let parent = statement
        .parent()
        .filter(|parent| parent.kind() == "labeled_statement")?;
    let label = parent.child_by_field_name("label")?;
    Some(&text[label.byte_range()])
}

/// The `for`, `switch` or `select` statement a `break` or `continue` leaves, or `None` when it
/// names no enclosing statement of the current function (code that does not compile).
pub fn jump_target<'t>(jump: Node<'t>, text: &str) -> Option<Node<'t>> {
    let label = jump_label(jump, text);
    let is_break = jump.kind() == "break_statement";
    for ancestor in ancestors(jump) {
        if is_function(ancestor) {
            return None;
        }
        match label {
            Some(name) => {
                if ancestor.kind() == "labeled_statement"
                    && ancestor
                        .child_by_field_name("label")
                        .is_some_and(|label| &text[label.byte_range()] == name)
                {
                    return labeled_inner(ancestor);
                }
            }
            None => {
                let breakable = matches!(
                    ancestor.kind(),
                    "expression_switch_statement" | "type_switch_statement" | "select_statement"
                );
                if ancestor.kind() == "for_statement" || (is_break && breakable) {
                    return Some(ancestor);
                }
            }
        }
    }
    None
}

/// Whether `statement` is terminating per the Go spec ("Terminating statements"), treating the
/// statements `becomes_return` accepts as if they were `return` statements (a rewrite is about to
/// turn them into returns).
pub fn is_terminating(statement: Node, text: &str, becomes_return: &dyn Fn(Node) -> bool) -> bool {
    if becomes_return(statement) {
        return true;
    }
    match statement.kind() {
        "return_statement" | "goto_statement" => true,
        "expression_statement" => statement
            .named_child(0)
            .is_some_and(|call| is_panic_call(call, text)),
        "block" => list_terminates(&block_statements(statement), text, becomes_return),
        "if_statement" => {
            let (Some(then), Some(otherwise)) = (
                statement.child_by_field_name("consequence"),
                statement.child_by_field_name("alternative"),
            ) else {
                return false;
            };
            is_terminating(then, text, becomes_return)
                && is_terminating(otherwise, text, becomes_return)
        }
        "for_statement" => {
            let mut cursor = statement.walk();
            let unconditional =
                statement
                    .named_children(&mut cursor)
                    .all(|child| match child.kind() {
                        "for_clause" => child.child_by_field_name("condition").is_none(),
                        "block" | "comment" => true,
                        _ => false,
                    });
            unconditional && !has_break_to(statement, text)
        }
        "expression_switch_statement" | "type_switch_statement" | "select_statement" => {
            let clauses = case_clauses(statement);
            let has_default = clauses.iter().any(|clause| clause.kind() == "default_case")
                || statement.kind() == "select_statement";
            has_default
                && !has_break_to(statement, text)
                && clauses.iter().all(|clause| {
                    let statements = clause_statements(*clause);
                    statements
                        .last()
                        .is_some_and(|last| last.kind() == "fallthrough_statement")
                        || list_terminates(&statements, text, becomes_return)
                })
        }
        "labeled_statement" => labeled_inner(statement)
            .is_some_and(|inner| is_terminating(inner, text, becomes_return)),
        _ => false,
    }
}

/// Whether a statement list ends in a terminating statement.
pub fn list_terminates(
    statements: &[Node],
    text: &str,
    becomes_return: &dyn Fn(Node) -> bool,
) -> bool {
    let last = statements
        .iter()
        .rev()
        .find(|statement| statement.kind() != "empty_statement");
    last.is_some_and(|last| is_terminating(*last, text, becomes_return))
}

fn is_panic_call(call: Node, text: &str) -> bool {
    call.kind() == "call_expression"
        && call
            .child_by_field_name("function")
            .is_some_and(|function| {
                function.kind() == "identifier" && &text[function.byte_range()] == "panic"
            })
}

fn has_break_to(statement: Node, text: &str) -> bool {
    descendants(statement, is_function)
        .into_iter()
        .filter(|node| node.kind() == "break_statement")
        .any(|jump| jump_target(jump, text).is_some_and(|target| target.id() == statement.id()))
}

fn case_clauses(statement: Node) -> Vec<Node> {
    let mut cursor = statement.walk();
    statement
        .named_children(&mut cursor)
        .filter(|child| {
            matches!(
                child.kind(),
                "expression_case" | "type_case" | "default_case" | "communication_case"
            )
        })
        .collect()
}

/// The statements of a case clause.
pub fn clause_statements(clause: Node) -> Vec<Node> {
    let mut cursor = clause.walk();
    let Some(list) = clause
        .named_children(&mut cursor)
        .find(|child| child.kind() == "statement_list")
    else {
        return Vec::new();
    };
    let mut cursor = list.walk();
    list.named_children(&mut cursor)
        .filter(|child| child.kind() != "comment")
        .collect()
}

/// Calls that leave a function other than by `return`, named as this file imports them.
pub struct Exits {
    os: Option<String>,
    log: Option<String>,
    runtime: Option<String>,
}

/// `log` functions that print and then call `os.Exit(1)`.
pub const LOG_FATAL: &[&str] = &["Fatal", "Fatalf", "Fatalln"];

/// `testing.TB` methods that stop the test with `runtime.Goexit` (deferred calls do run).
pub const TEST_STOPS: &[&str] = &["Fatal", "Fatalf", "FailNow", "Skip", "Skipf", "SkipNow"];

impl Exits {
    /// The exits of a file whose imports are already read.
    pub fn with_imports(imports: &crate::syntax::imports::Imports) -> Exits {
        Exits {
            os: imports.name_of("os").map(str::to_owned),
            log: imports.name_of("log").map(str::to_owned),
            runtime: imports.name_of("runtime").map(str::to_owned),
        }
    }

    pub fn of(root: Node, text: &str) -> Exits {
        Exits {
            os: package_name(root, text, "os"),
            log: package_name(root, text, "log"),
            runtime: package_name(root, text, "runtime"),
        }
    }

    /// `os.Exit(…)` or `log.Fatal…(…)`: the program ends and no deferred call runs.
    pub fn ends_program(&self, call: Node, text: &str) -> bool {
        is_package_call(call, text, self.os.as_deref(), &["Exit"])
            || is_package_call(call, text, self.log.as_deref(), LOG_FATAL)
    }

    /// Whether `call` never returns to its caller: `panic`, an exit of the program,
    /// `runtime.Goexit()`, or a method
    /// named like a `testing.TB` stop (`t.Fatalf`, `b.SkipNow`) on a variable.
    pub fn never_returns(&self, call: Node, text: &str) -> bool {
        if is_panic_call(call, text)
            || self.ends_program(call, text)
            || is_package_call(call, text, self.runtime.as_deref(), &["Goexit"])
        {
            return true;
        }
        call.child_by_field_name("function")
            .filter(|callee| callee.kind() == "selector_expression")
            .is_some_and(|callee| {
                let on_variable = callee
                    .child_by_field_name("operand")
                    .is_some_and(|operand| operand.kind() == "identifier");
                on_variable
                    && callee
                        .child_by_field_name("field")
                        .is_some_and(|field| TEST_STOPS.contains(&&text[field.byte_range()]))
            })
    }

    /// Whether running `statement` may leave the function: it contains a `return` or a call that
    /// never returns (outside nested function literals).
    pub fn may_leave(&self, statement: Node, text: &str) -> bool {
        std::iter::once(statement)
            .chain(descendants(statement, is_function))
            .any(|node| match node.kind() {
                "return_statement" => true,
                "call_expression" => self.never_returns(node, text),
                _ => false,
            })
    }

    /// Whether a block always leaves the enclosing code: it ends in a terminating statement, with
    /// `break`, `continue` and calls that never return counted as leaving too.
    pub fn always_leaves(&self, block: Node, text: &str) -> bool {
        let leaves = |statement: Node| match statement.kind() {
            "break_statement" | "continue_statement" => true,
            "expression_statement" => statement.named_child(0).is_some_and(|call| {
                call.kind() == "call_expression" && self.never_returns(call, text)
            }),
            _ => false,
        };
        is_terminating(block, text, &leaves)
    }
}

/// Where `statement` may run more than once per call of `function`: `Some("a loop")` inside a
/// `for` of the function, `Some("code a backward goto repeats")` below a label a later `goto`
/// jumps back to, `None` otherwise. A defer added there would pile up until the function returns.
pub fn repeats_within(statement: Node, function: Node, text: &str) -> Option<&'static str> {
    let in_loop = ancestors(statement)
        .take_while(|node| node.id() != function.id())
        .any(|node| node.kind() == "for_statement");
    if in_loop {
        return Some("a loop");
    }
    let nodes = descendants(function, |node| {
        is_function(node) && node.id() != function.id()
    });
    let labels_before: Vec<&str> = nodes
        .iter()
        .filter(|node| {
            node.kind() == "labeled_statement" && node.start_byte() < statement.start_byte()
        })
        .filter_map(|node| node.child_by_field_name("label"))
        .map(|label| &text[label.byte_range()])
        .collect();
    let jumps_back = nodes.iter().any(|node| {
        node.kind() == "goto_statement"
            && node.start_byte() > statement.end_byte()
            && jump_label(*node, text).is_some_and(|label| labels_before.contains(&label))
    });
    jumps_back.then_some("code a backward goto repeats")
}

/// Whether `statement` runs at most once per call of its function although it sits in a loop:
/// every path from it leaves the outermost loop of the function for good (a `return`, a call
/// that never returns, a `break` of the outermost loop or of a statement around it, a forward
/// `goto` past the loop in a function without backward ones), and nothing on the way jumps back
/// into a loop around it (`continue`, a `break` of an inner loop only).
pub fn runs_at_most_once(statement: Node, text: &str, exits: &Exits) -> bool {
    let Some(function) = super::enclosing_function(statement) else {
        return false;
    };
    let loops: Vec<Node> = ancestors(statement)
        .take_while(|node| node.id() != function.id())
        .filter(|node| node.kind() == "for_statement")
        .collect();
    let Some(outermost) = loops.last().copied() else {
        return false;
    };
    let Some(list) = statement.parent() else {
        return false;
    };
    let mut cursor = list.walk();
    let rest: Vec<Node> = list
        .named_children(&mut cursor)
        .filter(|node| node.kind() != "comment" && node.start_byte() >= statement.end_byte())
        .collect();
    let function_nodes = descendants(function, is_function);
    let backward_goto = function_nodes.iter().any(|node| {
        node.kind() == "goto_statement"
            && label_position(function_nodes.as_slice(), jump_label(*node, text), text)
                .is_none_or(|at| at < outermost.end_byte())
    });
    let leaves_for_good = |jump: Node| match jump.kind() {
        "break_statement" => jump_target(jump, text).is_some_and(|target| {
            target.start_byte() <= outermost.start_byte()
                && outermost.end_byte() <= target.end_byte()
        }),
        "goto_statement" => {
            !backward_goto
                && label_position(function_nodes.as_slice(), jump_label(jump, text), text)
                    .is_some_and(|at| at >= outermost.end_byte())
        }
        "expression_statement" => jump.named_child(0).is_some_and(|call| {
            call.kind() == "call_expression" && exits.never_returns(call, text)
        }),
        _ => false,
    };
    let jumps_back = rest.iter().any(|part| {
        std::iter::once(*part)
            .chain(descendants(*part, is_function))
            .any(|node| match node.kind() {
                "continue_statement" => jump_target(node, text)
                    .is_none_or(|target| loops.iter().any(|l| l.id() == target.id())),
                "break_statement" => {
                    !leaves_for_good(node)
                        && jump_target(node, text)
                            .is_none_or(|target| loops.iter().any(|l| l.id() == target.id()))
                }
                "goto_statement" => !leaves_for_good(node),
                _ => false,
            })
    });
    !jumps_back && list_terminates(&rest, text, &leaves_for_good)
}

/// Where the statement labelled `label` starts.
fn label_position(nodes: &[Node], label: Option<&str>, text: &str) -> Option<usize> {
    let label = label?;
    nodes
        .iter()
        .find(|node| {
            node.kind() == "labeled_statement"
                && node
                    .child_by_field_name("label")
                    .is_some_and(|name| &text[name.byte_range()] == label)
        })
        .map(|node| node.start_byte())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_for_test;

    fn last_statement_terminates(body: &str) -> bool {
        let text = format!("package p\n\nfunc f(x int) int {{\n{body}\n}}\n");
        let tree = parse_for_test(&text);
        let function = tree.root_node().named_child(1).unwrap();
        let block = function.child_by_field_name("body").unwrap();
        list_terminates(&block_statements(block), &text, &|_| false)
    }

    #[test]
    fn terminating_statements_follow_the_spec() {
        assert!(last_statement_terminates("return 1"));
        assert!(last_statement_terminates("panic(1)"));
        assert!(last_statement_terminates(
            "if x > 0 { return 1 } else { return 2 }"
        ));
        assert!(!last_statement_terminates("if x > 0 { return 1 }"));
        assert!(last_statement_terminates("for { }"));
        assert!(!last_statement_terminates("for { break }"));
        assert!(!last_statement_terminates("for x > 0 { }"));
        assert!(last_statement_terminates(
            "switch x { case 1: return 1; default: return 2 }"
        ));
        assert!(!last_statement_terminates("switch x { case 1: return 1 }"));
        assert!(!last_statement_terminates(
            "switch x { case 1: break; default: return 2 }"
        ));
        assert!(!last_statement_terminates("L: for { for { break L } }"));
    }

    fn once(body: &str) -> bool {
        let text = format!(
            "package p\n\nimport \"os\"\n\nfunc f(xs []int) int {{\n{body}\n\treturn 0\n}}\n"
        );
        let tree = parse_for_test(&text);
        let defer = descendants(tree.root_node(), |_| false)
            .into_iter()
            .find(|node| node.kind() == "defer_statement")
            .unwrap();
        runs_at_most_once(defer, &text, &Exits::of(tree.root_node(), &text))
    }

    #[test]
    fn defers_followed_by_a_way_out_for_good_run_once() {
        assert!(once(
            "\tfor _, x := range xs {\n\t\tdefer g()\n\t\treturn x\n\t}"
        ));
        assert!(once(
            "\tfor _, x := range xs {\n\t\tif x > 0 {\n\t\t\tcontinue\n\t\t}\n\t\tdefer g()\n\t\tbreak\n\t}"
        ));
        assert!(once(
            "\tfor {\n\t\tfor range xs {\n\t\t\tdefer g()\n\t\t\tos.Exit(1)\n\t\t}\n\t}"
        ));
        assert!(once(
            "L:\n\tfor {\n\t\tfor range xs {\n\t\t\tdefer g()\n\t\t\tbreak L\n\t\t}\n\t}"
        ));
        assert!(once(
            "\tfor range xs {\n\t\tdefer g()\n\t\tgoto done\n\t}\ndone:"
        ));
        // Paths back into a loop.
        assert!(!once(
            "\tfor _, x := range xs {\n\t\tdefer g()\n\t\tif x > 0 {\n\t\t\tcontinue\n\t\t}\n\t\treturn x\n\t}"
        ));
        assert!(!once(
            "\tfor {\n\t\tfor range xs {\n\t\t\tdefer g()\n\t\t\tbreak\n\t\t}\n\t}"
        ));
        assert!(!once("\tfor range xs {\n\t\tdefer g()\n\t}"));
        // A break of a switch goes on to the return: still once.
        assert!(once(
            "\tfor _, x := range xs {\n\t\tdefer g()\n\t\tswitch x {\n\t\tcase 1:\n\t\t\tbreak\n\t\t}\n\t\treturn x\n\t}"
        ));
        assert!(!once(
            "\tfor _, x := range xs {\n\t\tdefer g()\n\t\tswitch x {\n\t\tcase 1:\n\t\t\tcontinue\n\t\t}\n\t\treturn x\n\t}"
        ));
        assert!(!once(
            "again:\n\tfor range xs {\n\t\tdefer g()\n\t\tgoto done\n\t}\ndone:\n\tgoto again"
        ));
    }

    #[test]
    fn jumps_find_their_targets() {
        let text = "package p\n\nfunc f() {\nL:\n\tfor {\n\t\tswitch {\n\t\tdefault:\n\t\t\tbreak\n\t\t}\n\t\tcontinue L\n\t}\n}\n";
        let tree = parse_for_test(text);
        let jumps: Vec<_> = descendants(tree.root_node(), |_| false)
            .into_iter()
            .filter(|node| matches!(node.kind(), "break_statement" | "continue_statement"))
            .collect();
        assert_eq!(
            jump_target(jumps[0], text).unwrap().kind(),
            "expression_switch_statement"
        );
        assert_eq!(jump_target(jumps[1], text).unwrap().kind(), "for_statement");
    }
}
