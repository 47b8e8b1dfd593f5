//! exit-after-defer: `os.Exit` or `log.Fatal*` (also on a `*log.Logger`) after a `defer` of the
//! same function: the program ends without running the deferred calls.
//!
//! Report only: how to restructure (return an exit code to `main`, run the cleanup first) is a
//! decision for the author.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::analysis::blocks::Lexed;
use tree_sitter::Node;

use crate::analysis::FileAnalysis;
use crate::analysis::package::PackageContext;
use crate::analysis::stdlib::{Model, Origins};
use crate::analysis::types::Package;
use crate::fix::{Finding, FixState};
use crate::syntax::flow::LOG_FATAL;
use crate::syntax::indent::line_number;
use crate::syntax::{ancestors, selector_call};
use crate::transforms::{QueryMatch, Rule, RuleContext, shown};

pub static RULE: Rule = Rule {
    id: "exit-after-defer",
    summary: "os.Exit or log.Fatal after a defer: the deferred calls never run",
    docs: include_str!("README.md"),
    query_source: include_str!("query.scm"),
    keywords: &["Exit", "Fatal", "Fatalf", "Fatalln"],
    requires: &["defer"],
    severity: crate::transforms::Severity::Minor,
    applies_to: crate::transforms::any_go_version,
    may_match: Some(may_match),
    reasons: &[],
    check,
    compiled: std::sync::OnceLock::new(),
};

/// How many skipped defers a message lists before summing up the rest.
const LISTED_DEFERS: usize = 3;

/// Without parsing: `.Exit(`/`.Fatal…(` after a `defer` of the same function, in a block the
/// defer's block encloses, that may end the program (see [`may_end_program`]).
fn may_match(lexed: &Lexed, package: &PackageContext) -> bool {
    let exits = LexicalExits::new(lexed, package);
    lexed
        .all_among(RULE.keywords)
        .filter(|&call| call >= 1 && lexed.is(call - 1, "."))
        .any(|call| exits.let_through(call))
}

/// The test of one call, with what it reads once per file: where the first defer statement of
/// each block ends (a file can have thousands of `t.Fatal` calls), the imports, and whether a
/// `*log.Logger` can be had (asked only for a call that needs it, as it may read the package's
/// other files).
struct LexicalExits<'l, 't> {
    lexed: &'l Lexed<'t>,
    package: &'l PackageContext<'l>,
    /// By block: the index past the last token of its first defer statement.
    first_defer_end: HashMap<usize, usize>,
    imports: &'l [(String, String)],
    logger: std::cell::OnceCell<bool>,
    /// [`Lexed::declares_in_own_body`] by (function, name): a test function's `t.Fatal` calls
    /// ask it of the same `t` again and again.
    declared: RefCell<HashMap<(usize, &'t str), bool>>,
}

impl<'l, 't> LexicalExits<'l, 't> {
    fn new(lexed: &'l Lexed<'t>, package: &'l PackageContext<'l>) -> Self {
        let mut first_defer_end = HashMap::new();
        for &defer in lexed.defers() {
            first_defer_end
                .entry(lexed.tokens[defer].block)
                .or_insert_with(|| lexed.statement_end(defer));
        }
        LexicalExits {
            lexed,
            package,
            first_defer_end,
            imports: lexed.imports(),
            logger: std::cell::OnceCell::new(),
            declared: RefCell::default(),
        }
    }

    /// For the token of `Exit`/`Fatal…` at index `call`: a defer comes before it and it may
    /// end the program.
    fn let_through(&self, call: usize) -> bool {
        follows_a_defer(self.lexed, &self.first_defer_end, call) && may_end_program(self, call)
    }

    fn declares_in_own_body(&self, function: usize, name: &'t str) -> bool {
        if let Some(&declares) = self.declared.borrow().get(&(function, name)) {
            return declares;
        }
        let declares = self.lexed.declares_in_own_body(function, name);
        self.declared
            .borrow_mut()
            .insert((function, name), declares);
        declares
    }

    fn may_hold_logger(&self) -> bool {
        *self.logger.get_or_init(|| {
            let origins = logger_origins();
            // The analysis gives a package whose import path is `log` the model's facts.
            self.package.import_path.as_deref() == Some(origins.path.as_str())
                || origins.in_lexed(self.lexed)
                || self.package.others_may_give(origins)
        })
    }
}

/// Whether a defer statement of the call's function ends before token `call` in a block around
/// it (its own block up to the function's body): one that ran on every path to the call. The
/// call's own statement does not count (`defer os.Exit(0)` runs last, as the check reads it).
fn follows_a_defer(lexed: &Lexed, first_defer_end: &HashMap<usize, usize>, call: usize) -> bool {
    let function = lexed.function_of(call);
    let mut block = lexed.tokens[call].block;
    loop {
        if first_defer_end.get(&block).is_some_and(|&end| end <= call) {
            return true;
        }
        if block == function || block == 0 {
            return false;
        }
        block = lexed.blocks[block].parent;
    }
}

/// What [`ends_program`] accepts, read from the tokens and erring towards yes: `Exit` only on an
/// import of `os`; `Fatal…` on an import of `log`, or on anything else that may be a
/// `*log.Logger`: not a bare `*testing.T`/`*testing.B`/`*testing.F`/`testing.TB` parameter
/// (`t.Fatal` runs deferred calls, and is most such calls in tests), nor a parameter or
/// variable of a type declared in the package (`f.Fatalf` on `f *Func`), nor another import,
/// and only where a `*log.Logger` can be had at all (`may_hold_logger`).
fn may_end_program(exits: &LexicalExits, call: usize) -> bool {
    let (lexed, imports) = (exits.lexed, exits.imports);
    let receiver = plain_receiver(lexed, call);
    let imports_as = |path: &str| {
        receiver.is_some_and(|receiver| {
            imports
                .iter()
                .any(|(name, imported)| name == receiver && imported == path)
        })
    };
    if lexed.text_of(call) == "Exit" {
        return imports_as("os");
    }
    if imports_as("log") {
        return true;
    }
    // A dot import can make a bare type name another package's, `log`'s `Logger` too.
    let dot_import = imports.iter().any(|(name, _)| name == ".");
    !on_parameter_of_other_type(exits, call, dot_import)
        && !on_other_package(lexed, call, imports)
        && exits.may_hold_logger()
}

/// Where the analysis can get a `*log.Logger` from (the standard-library model's `log.New`,
/// `log.Default`, the type itself).
fn logger_origins() -> &'static Origins {
    static ORIGINS: std::sync::OnceLock<Origins> = std::sync::OnceLock::new();
    ORIGINS.get_or_init(|| Model::get().origins("log", "Logger"))
}

const TESTING_TYPES: &[&[&str]] = &[
    &["*", "testing", ".", "T"],
    &["*", "testing", ".", "B"],
    &["*", "testing", ".", "F"],
    &["testing", ".", "TB"],
];

/// `t.Fatal(…)` where `t` is a plain identifier that names, in the function the call is in or the
/// nearest enclosing one declaring it, a parameter not declared again there, of a testing type
/// or of a type of the package (`*Func`, `state`: the check reads it as that named type, never as
/// `log.Logger`), or a variable declared once there, with a type of the package (`var s state`).
/// Not in a file with a dot import, where a bare type name may be another package's.
fn on_parameter_of_other_type(exits: &LexicalExits, call: usize, dot_import: bool) -> bool {
    let lexed = exits.lexed;
    let Some(receiver) = plain_receiver(lexed, call) else {
        return false;
    };
    let mut function = lexed.function_of(call);
    while function != 0 {
        if lexed.parameter_has_type(function, receiver, TESTING_TYPES)
            || (!dot_import && lexed.parameter_has_local_type(function, receiver))
        {
            return !exits.declares_in_own_body(function, receiver);
        }
        if lexed.parameter_has_type(function, receiver, &[&[]]) {
            return false;
        }
        if exits.declares_in_own_body(function, receiver) {
            return !dot_import
                && lexed.only_declaration_is_var_of_local_type(function, receiver, call);
        }
        function = lexed.blocks[lexed.blocks[function].parent].function;
    }
    false
}

/// `pkg.Fatal(…)` where `pkg` is the file's import of a package other than `log`, not declared
/// again around the call: never an exit.
fn on_other_package(lexed: &Lexed, call: usize, imports: &[(String, String)]) -> bool {
    let Some(receiver) = plain_receiver(lexed, call) else {
        return false;
    };
    let import_declarations: Vec<std::ops::Range<usize>> = lexed
        .all("import")
        .map(|keyword| lexed.statement(keyword))
        .collect();
    // In the functions around the call (their signatures are in the function around each) and
    // at the top level, but for the imports, the name only ever before `.`: no variable,
    // parameter or function of that name hides the package there. A name declared in another
    // function is that function's own (`base := filepath.Base(p)` elsewhere in the file).
    let around: Vec<usize> = lexed.functions_around(call).collect();
    imports
        .iter()
        .any(|(name, path)| name == receiver && path != "log")
        && !lexed
            .all(receiver)
            .filter(|&index| around.contains(&lexed.function_of(index)))
            .filter(|index| {
                !import_declarations
                    .iter()
                    .any(|range| range.contains(index))
            })
            .any(|index| !lexed.is(index + 1, "."))
}

/// The identifier before `.Fatal`: `t` in `t.Fatal(…)`, not `s.t.Fatal(…)`.
fn plain_receiver<'t>(lexed: &Lexed<'t>, call: usize) -> Option<&'t str> {
    if call < 2 || lexed.tokens[call - 2].kind != crate::analysis::blocks::Kind::Ident {
        return None;
    }
    if call >= 3 && lexed.is(call - 3, ".") {
        return None;
    }
    Some(lexed.text_of(call - 2))
}

fn check<'a>(context: &RuleContext<'a>, matches: &[QueryMatch<'a>]) -> Vec<Finding> {
    let analysis = context.analysis;
    let exits = context
        .lexed
        .map(|lexed| LexicalExits::new(lexed, analysis.package));
    matches
        .iter()
        .filter_map(|found| found.get("anchor"))
        .filter_map(|call| finding(analysis, call, exits.as_ref()))
        .collect()
}

/// Whether the file's lexical test lets `call` through: it passes the file when one call does,
/// and asked again of each call it spares the others the walk to their function and the type
/// question (a test file's `t.Fatal` calls on a `*testing.T` parameter).
fn lexically_let_through(exits: &LexicalExits, call: Node) -> bool {
    let Some((_, field)) = selector_call(call) else {
        return true;
    };
    exits
        .lexed
        .token_at(field.start_byte())
        .is_none_or(|token| exits.let_through(token))
}

fn finding<'a>(
    analysis: &FileAnalysis<'a>,
    call: Node<'a>,
    exits: Option<&LexicalExits>,
) -> Option<Finding> {
    if !exits.is_none_or(|exits| lexically_let_through(exits, call)) {
        return None;
    }
    let text = analysis.text();
    let function = analysis.enclosing_function(call)?;
    // Only a call after a defer can skip one: a cheap look at the text comes first.
    if !crate::query::contains_word(
        &text.as_bytes()[function.start_byte()..call.start_byte()],
        "defer",
    ) {
        return None;
    }
    // Before the type question, which builds the function's scopes: most calls that fail
    // have no defer on their path.
    let skipped = skipped_defers(function, call);
    if skipped.is_empty() || !ends_program(analysis, call) {
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

/// Defers that ran on every path to the call: earlier statements of the blocks around it, up to
/// its function (no function boundary lies between, the function being the nearest), in source
/// order.
fn skipped_defers<'a>(function: Node<'a>, call: Node<'a>) -> Vec<Node<'a>> {
    let mut skipped = Vec::new();
    for enclosing in ancestors(call) {
        let mut cursor = enclosing.walk();
        skipped.extend(enclosing.named_children(&mut cursor).filter(|statement| {
            statement.kind() == "defer_statement" && statement.end_byte() <= call.start_byte()
        }));
        if enclosing.id() == function.id() {
            break;
        }
    }
    skipped.sort_by_key(|defer| defer.start_byte());
    skipped
}

/// `os.Exit(…)`, `log.Fatal…(…)`, or `logger.Fatal…(…)` on a `*log.Logger` (however the logger
/// was made: `log.New`, `log.Default`, a typed variable, parameter or field): the program ends
/// and no deferred call runs.
fn ends_program<'a>(analysis: &FileAnalysis<'a>, call: Node<'a>) -> bool {
    let Some((operand, field)) = selector_call(call) else {
        return false;
    };
    let method = analysis.text_of(field);
    if let Some(path) = analysis.package_ref(operand) {
        return (path == "os" && method == "Exit")
            || (path == "log" && LOG_FATAL.contains(&method));
    }
    LOG_FATAL.contains(&method)
        && analysis.type_of(operand).as_named().is_some_and(|named| {
            named.name == "Logger" && named.package == Package::Path("log".into())
        })
}
