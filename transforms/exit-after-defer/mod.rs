//! exit-after-defer: `os.Exit` or `log.Fatal*` (also on a `*log.Logger`) after a `defer` of the
//! same function: the program ends without running the deferred calls.
//!
//! Report only: how to restructure (return an exit code to `main`, run the cleanup first) is a
//! decision for the author.

use tree_sitter::Node;

use crate::fix::{Finding, FixState};
use crate::syntax::flow::{Exits, LOG_FATAL};
use crate::syntax::indent::line_number;
use crate::syntax::names::{
    Declaration, contains, find_declaration, is_package_call, is_shadowed, package_name,
    top_level_declaration,
};
use crate::syntax::{GoFile, ancestors, descendants, enclosing_function, is_function};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "exit-after-defer",
    summary: "os.Exit or log.Fatal after a defer: the deferred calls never run",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["Exit", "Fatal", "Fatalf", "Fatalln"],
    anchors: &["call_expression"],
    applies_to: crate::transforms::any_go_version,
    reasons: &[],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// How many skipped defers a message lists before summing up the rest.
const LISTED_DEFERS: usize = 3;

fn check(context: &RuleContext, matches: &[QueryMatch]) -> Vec<Finding> {
    let file = &context.file;
    let exits = Exits::of(file.tree.root_node(), file.text);
    let log = package_name(file.tree.root_node(), file.text, "log");
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|call| finding(file, &exits, log.as_deref(), call))
        .collect()
}

fn finding(file: &GoFile, exits: &Exits, log: Option<&str>, call: Node) -> Option<Finding> {
    let text = file.text;
    let function = enclosing_function(call)?;
    if !exits.ends_program(call, text) && !is_logger_fatal(call, function, log, text) {
        return None;
    }
    // Defers that ran on every path to the call: earlier statements of a block enclosing it.
    let skipped: Vec<Node> = descendants(function, |node| {
        is_function(node) && node.id() != function.id()
    })
    .into_iter()
    .filter(|node| {
        node.kind() == "defer_statement"
            && node.end_byte() <= call.start_byte()
            && node.parent().is_some_and(|block| contains(block, call))
    })
    .collect();
    if skipped.is_empty() {
        return None;
    }
    let mut listed: Vec<String> = skipped
        .iter()
        .take(LISTED_DEFERS)
        .map(|defer| {
            let deferred = defer
                .named_child(0)
                .map_or(String::new(), |call| shown(&text[call.byte_range()]));
            format!(
                "defer {deferred} (line {})",
                line_number(text, defer.start_byte())
            )
        })
        .collect();
    if skipped.len() > LISTED_DEFERS {
        listed.push(format!("{} more", skipped.len() - LISTED_DEFERS));
    }
    let callee = call
        .child_by_field_name("function")
        .map_or("", |callee| &text[callee.byte_range()]);
    Some(Finding {
        rule: RULE.id,
        span: call.byte_range(),
        message: format!(
            "{callee} ends the program without running deferred calls: {} will not run",
            listed.join(", ")
        ),
        fix: FixState::ReportOnly,
    })
}

/// `logger.Fatal…(…)` where `logger` is a `*log.Logger`: made by `log.New`/`log.Default`, or
/// declared with that type as a variable or parameter of the function.
fn is_logger_fatal(call: Node, function: Node, log: Option<&str>, text: &str) -> bool {
    let Some(log) = log else {
        return false;
    };
    let Some(callee) = call.child_by_field_name("function") else {
        return false;
    };
    let is_fatal = callee
        .child_by_field_name("field")
        .is_some_and(|field| LOG_FATAL.contains(&&text[field.byte_range()]));
    let Some(receiver) = callee
        .child_by_field_name("operand")
        .filter(|operand| operand.kind() == "identifier")
    else {
        return false;
    };
    if !is_fatal {
        return false;
    }
    let name = &text[receiver.byte_range()];
    let logger_type = format!("*{log}.Logger");
    let made_by_log = |declaration: &Declaration| {
        declaration.names.iter().any(|ident| {
            &text[ident.byte_range()] == name
                && declaration.value_of(*ident).is_some_and(|value| {
                    is_package_call(value, text, Some(log), &["New", "Default"])
                })
        }) || declaration
            .statement
            .child_by_field_name("type")
            .is_some_and(|ty| text[ty.byte_range()] == logger_type)
    };
    let body = function.child_by_field_name("body");
    let local = body.and_then(|body| find_declaration(name, receiver, body, text));
    if local.as_ref().is_some_and(made_by_log) {
        return true;
    }
    // `var logger = log.New(…)` at package level, unless a local or parameter hides it.
    let root = ancestors(call).last().unwrap_or(call);
    let package_level = local.is_none()
        && !is_shadowed(name, receiver, text)
        && top_level_declaration(root, name, text)
            .and_then(|spec| Declaration::of(spec, text))
            .is_some_and(|declaration| made_by_log(&declaration));
    if package_level {
        return true;
    }
    function
        .child_by_field_name("parameters")
        .is_some_and(|parameters| {
            let mut cursor = parameters.walk();
            parameters
                .named_children(&mut cursor)
                .filter(|declaration| declaration.kind() == "parameter_declaration")
                .any(|declaration| {
                    let typed = declaration
                        .child_by_field_name("type")
                        .is_some_and(|ty| text[ty.byte_range()] == logger_type);
                    let mut names = declaration.walk();
                    typed
                        && declaration
                            .children_by_field_name("name", &mut names)
                            .any(|ident| &text[ident.byte_range()] == name)
                })
        })
}
