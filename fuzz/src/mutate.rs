//! Structure-aware mutations of Go source, driven by the fuzzer's bytes (`arbitrary`).
//!
//! tree-sitter-go finds the statements (the named children of every `statement_list`); each
//! mutation edits the text at their boundaries and the next one re-parses: swap adjacent
//! statements, insert `defer`/`break`/`continue`/`return`/`goto L`/labels/`for` loops/func
//! literals (and the calls that open what a defer closes), wrap statements in loops, blocks and
//! func literals, delete or duplicate a statement, add or change a `//go:build go1.N` line, and
//! pick the module Go version the pipeline sees (none, 1.21, 1.22, …). Inserted code is indented
//! like the statement beside it but not re-formatted: gofmt-cleanness is not the point here
//! (the differential check gofmts the mutants first). Mutations that would make the file
//! unparsable are allowed: such files must come back untouched.

use arbitrary::{Result, Unstructured};
use deferfix::goversion::GoVersion;
use tree_sitter::{Node, Parser};

/// A mutated file and the module Go version to process it with.
#[derive(Clone, Debug)]
pub struct Mutant {
    pub text: String,
    pub go_version: Option<GoVersion>,
}

/// Mutants stop growing past this size: large inputs only slow the fuzzer down.
const MAX_LEN: usize = 96 * 1024;

const fn v(minor: u32) -> Option<GoVersion> {
    Some(GoVersion { major: 1, minor })
}

/// Module versions around the ones rules care about (1.22 loop variables, 1.23 timers).
const GO_VERSIONS: [Option<GoVersion>; 7] = [None, v(18), v(21), v(22), v(23), v(24), v(26)];

/// Statements to insert. `$V` becomes a name used in the file, `$L` a label.
const FRAGMENTS: &[&str] = &[
    "defer $V.Close()",
    "defer $V()",
    "defer cancel()",
    "defer func() { recover() }()",
    "defer recover()",
    "defer func() {\n\tif r := recover(); r != nil {\n\t\t$V = nil\n\t}\n}()",
    "defer mu.Unlock()",
    "defer wg.Done()",
    "defer log.Printf(\"took %v\", time.Since(start))",
    "defer fmt.Println(time.Since(start), $V)",
    "defer tx.Rollback()",
    "defer resp.Body.Close()",
    "defer $V.Stop()",
    "break",
    "continue",
    "return",
    "return nil",
    "return err",
    "return nil, err",
    "return $V",
    "panic($V)",
    "goto $L",
    "break $L",
    "continue $L",
    "$L:",
    "for {\n\tdefer $V.Close()\n\tbreak\n}",
    "for _, $V := range $V {\n\tdefer $V.Close()\n}",
    "for i := range 10 {\n\tdefer fmt.Println(i)\n}",
    "for i := 0; i < n; i++ {\n\tf, err := os.Open($V)\n\tif err != nil {\n\t\tcontinue\n\t}\n\tdefer f.Close()\n}",
    "$L:\n\tfor _, p := range paths {\n\t\tfor {\n\t\t\tdefer $V.Close()\n\t\t\tcontinue $L\n\t\t}\n\t}",
    "func() {\n\tdefer $V.Close()\n}()",
    "go func() {\n\tdefer wg.Done()\n\t$V()\n}()",
    "go func($V int) {\n\tdefer $V.Unlock()\n}($V)",
    "f, err := os.Open($V)",
    "f, err := os.Create($V)",
    "if err != nil {\n\treturn err\n}",
    "if err != nil {\n\tcontinue\n}",
    "if err != nil {\n\tlog.Fatal(err)\n}",
    "ctx, cancel := context.WithCancel(ctx)",
    "ctx, cancel := context.WithTimeout($V, time.Second)",
    "_, cancel := context.WithCancel(ctx)",
    "tx, err := db.Begin()",
    "resp, err := http.Get($V)",
    "start := time.Now()",
    "t := time.NewTicker(time.Second)",
    "timer := time.NewTimer(d)",
    "wg.Add(1)",
    "os.Exit(1)",
    "log.Fatal(err)",
    "mu.Lock()",
    "$V := $V",
    "$V = nil",
    "_ = $V",
    "select {}",
    "switch $V {\ncase nil:\n\tbreak\ndefault:\n\tdefer $V.Close()\n}",
    "select {\ncase <-ctx.Done():\n\treturn\ndefault:\n\tdefer $V()\n}",
    "fn := func() error {\n\tdefer $V.Close()\n\treturn nil\n}",
    "{\n\tdefer $V.Close()\n}",
    "if ok {\n\tdefer $V.Close()\n} else {\n\treturn\n}",
];

/// `(open, close)` around wrapped statements.
const WRAPPERS: &[(&str, &str)] = &[
    ("for {", "}"),
    ("for {", "\tbreak\n}"),
    ("for i := 0; i < n; i++ {", "}"),
    ("for _, $V := range $V {", "}"),
    ("for range 3 {", "}"),
    ("for $V != nil {", "}"),
    ("func() {", "}()"),
    ("go func() {", "}()"),
    ("defer func() {", "}()"),
    ("fn := func() error {", "\treturn nil\n}"),
    ("{", "}"),
    ("if ok {", "}"),
    ("if err != nil {", "}"),
    ("if ok {", "} else {\n\treturn\n}"),
    ("switch {\ncase true:", "}"),
    ("switch $V.(type) {\ncase nil:", "}"),
    ("select {\ndefault:", "}"),
    ("$L:\nfor {", "}"),
    ("$L:\nfor _, x := range xs {", "}"),
];

const LABELS: &[&str] = &["L", "outer", "retry", "next"];

/// One statement: its byte range, the statement after it in the same list, and its indentation.
struct Statement {
    range: std::ops::Range<usize>,
    next: Option<std::ops::Range<usize>>,
    indent: String,
}

/// A seed (any Go source) mutated by `u`'s bytes: the same seed and bytes give the same mutant.
pub fn mutate(parser: &mut Parser, seed: &str, u: &mut Unstructured) -> Result<Mutant> {
    let go_version = *u.choose(&GO_VERSIONS)?;
    let mut text = seed.to_owned();
    let rounds = u.int_in_range(1..=8)?;
    for _ in 0..rounds {
        if u.is_empty() || text.len() > MAX_LEN {
            break;
        }
        text = mutate_once(parser, &text, u)?;
    }
    Ok(Mutant { text, go_version })
}

fn mutate_once(parser: &mut Parser, text: &str, u: &mut Unstructured) -> Result<String> {
    let Some(tree) = parser.parse(text, None) else {
        return Ok(text.to_owned());
    };
    let statements = statements(tree.root_node(), text);
    let names = identifiers(tree.root_node(), text);
    let op = u.int_in_range(0..=9u8)?;
    if statements.is_empty() || op == 9 {
        return if u.ratio(1, 2)? {
            build_constraint(text, u)
        } else {
            Ok(append_function(text, &names, u)?)
        };
    }
    let at = &statements[u.choose_index(statements.len())?];
    let range = at.range.clone();
    let indent = at.indent.as_str();
    Ok(match op {
        // Swap with the next statement of the same list.
        0 => match &at.next {
            Some(next) => format!(
                "{}{}{}{}{}",
                &text[..range.start],
                &text[next.clone()],
                &text[range.end..next.start],
                &text[range.clone()],
                &text[next.end..]
            ),
            None => text.to_owned(),
        },
        // Insert a statement before or after.
        1..=3 => {
            let fragment = indented(&fill(u.choose(FRAGMENTS)?, &names, u)?, indent);
            if op == 3 {
                splice(text, range.end..range.end, &format!("\n{indent}{fragment}"))
            } else {
                splice(
                    text,
                    range.start..range.start,
                    &format!("{fragment}\n{indent}"),
                )
            }
        }
        // Wrap this statement (and up to two that follow in the same list).
        4..=5 => {
            let mut end = range.end;
            let mut next = at.next.clone();
            for _ in 0..u.int_in_range(0..=2u8)? {
                let Some(following) = next else { break };
                end = following.end;
                next = statements
                    .iter()
                    .find(|statement| statement.range == following)
                    .and_then(|statement| statement.next.clone());
            }
            let (open, close) = u.choose(WRAPPERS)?;
            let open = indented(&fill(open, &names, u)?, indent);
            let close = indented(&fill(close, &names, u)?, indent);
            let body = &text[range.start..end];
            splice(
                text,
                range.start..end,
                &format!("{open}\n{indent}\t{body}\n{indent}{close}"),
            )
        }
        // Delete it.
        6 => splice(text, range.clone(), ""),
        // Duplicate it.
        7 => {
            let copy = text[range.clone()].to_owned();
            splice(text, range.end..range.end, &format!("\n{indent}{copy}"))
        }
        // Label it.
        _ => {
            let label = u.choose(LABELS)?;
            splice(
                text,
                range.start..range.start,
                &format!("{label}:\n{indent}"),
            )
        }
    })
}

fn splice(text: &str, range: std::ops::Range<usize>, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    out.push_str(&text[..range.start]);
    out.push_str(with);
    out.push_str(&text[range.end..]);
    out
}

/// Every line after the first indented by `indent`.
fn indented(code: &str, indent: &str) -> String {
    code.replace('\n', &format!("\n{indent}"))
}

/// `$V` and `$L` filled in.
fn fill(template: &str, names: &[String], u: &mut Unstructured) -> Result<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        match rest.as_bytes().get(at + 1) {
            Some(b'V') => out.push_str(&names[u.choose_index(names.len())?]),
            Some(b'L') => out.push_str(u.choose(LABELS)?),
            _ => out.push('$'),
        }
        rest = rest.get(at + 2..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

/// Adds a `//go:build go1.N` line before the package clause, or changes the one there is.
fn build_constraint(text: &str, u: &mut Unstructured) -> Result<String> {
    let minor = *u.choose(&[18u32, 20, 21, 22, 23, 25])?;
    let line = format!("//go:build go1.{minor}");
    if let Some(at) = text.find("//go:build ") {
        let end = text[at..].find('\n').map_or(text.len(), |end| at + end);
        return Ok(splice(text, at..end, &line));
    }
    Ok(format!("{line}\n\n{text}"))
}

/// Appends a function made of fragments (for seeds without statements, and for new shapes).
fn append_function(text: &str, names: &[String], u: &mut Unstructured) -> Result<String> {
    let mut body = String::new();
    for _ in 0..u.int_in_range(1..=6u8)? {
        body.push('\t');
        body.push_str(&indented(&fill(u.choose(FRAGMENTS)?, names, u)?, "\t"));
        body.push('\n');
    }
    let id = text.len() % 1000;
    Ok(format!(
        "{text}\nfunc fuzz{id}(paths []string, xs []io.Closer) error {{\n\tfor _, p := range paths {{\n{body}\t}}\n\treturn nil\n}}\n"
    ))
}

/// The statements of every statement list, in source order.
fn statements(root: Node, text: &str) -> Vec<Statement> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() == "statement_list" {
            let mut cursor = node.walk();
            let children: Vec<Node> = node
                .named_children(&mut cursor)
                .filter(|child| child.kind() != "comment")
                .collect();
            for (index, child) in children.iter().enumerate() {
                let start = child.start_byte();
                let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
                let before = &text[line_start..start];
                let indent = if before.chars().all(|ch| ch == ' ' || ch == '\t') {
                    before.to_owned()
                } else {
                    String::new()
                };
                found.push(Statement {
                    range: child.byte_range(),
                    next: children.get(index + 1).map(Node::byte_range),
                    indent,
                });
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    found.sort_by_key(|statement| statement.range.start);
    found
}

/// Up to 64 distinct identifiers of the file (plus a few common ones when it has none).
fn identifiers(root: Node, text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if names.len() >= 64 {
            break;
        }
        if node.kind() == "identifier" {
            let name = &text[node.byte_range()];
            if !names.iter().any(|known| known == name) {
                names.push(name.to_owned());
            }
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    if names.is_empty() {
        names = ["f", "err", "x", "ctx"].map(str::to_owned).to_vec();
    }
    names
}
