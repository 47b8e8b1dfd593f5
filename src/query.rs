//! Compiling rule queries once and running them on candidate nodes only.

use std::sync::{Arc, Mutex};

use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, Tree};

use crate::syntax::language;
pub use crate::text::{contains_word, contains_word_at, word_offsets};

/// A rule's compiled query, with capture names leaked to `'static` once (queries live forever),
/// and the node kinds its patterns are rooted at.
pub struct CompiledQuery {
    /// Shared by the rules whose queries differ only in their comments (see [`shared_query`]).
    pub query: Arc<Query>,
    pub capture_names: Vec<&'static str>,
    /// The root node kind of each pattern (deduplicated): the engine runs the query on the
    /// innermost node of one of these kinds around each keyword occurrence.
    pub anchors: Vec<&'static str>,
}

/// The capture every pattern puts on its root node: the node a finding is about.
pub const ANCHOR: &str = "anchor";

/// Why a rule's query is refused. Queries are compiled into the binary, so each of these is a bug
/// in a rule, caught by the unit test that compiles every query.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("query of rule {rule} does not compile: {message}")]
    Syntax { rule: &'static str, message: String },
    #[error("query of rule {rule} uses a predicate the engine does not evaluate")]
    UnsupportedPredicate { rule: &'static str },
    #[error(
        "pattern {pattern} of rule {rule} must be written `(kind …) @anchor`: its root node \
         captured as @anchor, or its matches are never reported"
    )]
    NoAnchor { rule: &'static str, pattern: usize },
    #[error(
        "rule {rule} matches {literal:?} in its query, but no keyword of the rule is {literal:?} \
         (or ends in .{literal}), so files with only that word are never parsed for it"
    )]
    LiteralNotAKeyword { rule: &'static str, literal: String },
}

/// Compiles one query, holding it to the contract every rule's query keeps: each pattern's root
/// node is captured as `@anchor` (its kind becomes an anchor kind), and every string a text
/// predicate (`#eq?`, `#any-of?`) compares with is one of the rule's keywords, so the keyword
/// prefilter never skips a file the query could match.
pub fn compile(
    rule: &'static str,
    source: &'static str,
    keywords: &[&str],
) -> Result<CompiledQuery, QueryError> {
    let (query, source) = shared_query(rule, source)?;
    let mut anchors: Vec<&'static str> = Vec::new();
    for pattern in 0..query.pattern_count() {
        if !query.general_predicates(pattern).is_empty() {
            return Err(QueryError::UnsupportedPredicate { rule });
        }
        let text =
            &source[query.start_byte_for_pattern(pattern)..query.end_byte_for_pattern(pattern)];
        let kind = anchored_root_kind(text).ok_or(QueryError::NoAnchor { rule, pattern })?;
        if !anchors.contains(&kind) {
            anchors.push(kind);
        }
        for literal in predicate_literals(text) {
            let covered = keywords.iter().any(|keyword| {
                *keyword == literal
                    || keyword
                        .strip_suffix(literal)
                        .is_some_and(|q| q.ends_with('.'))
            });
            if !covered {
                return Err(QueryError::LiteralNotAKeyword {
                    rule,
                    literal: literal.to_owned(),
                });
            }
        }
    }
    let capture_names = query
        .capture_names()
        .iter()
        .map(|name| &*Box::leak(name.to_string().into_boxed_str()))
        .collect();
    Ok(CompiledQuery {
        query,
        capture_names,
        anchors,
    })
}

/// The compiled queries, by their text without comment lines, which their patterns' offsets
/// refer to.
static SHARED_QUERIES: Mutex<Vec<(&'static str, Arc<Query>)>> = Mutex::new(Vec::new());

/// The query of `source` (without its comment lines, the text returned), compiled once for all
/// rules whose queries differ only in their comments: five rules start from every assignment of
/// a call, and compiling a query costs more than running it over a large file.
fn shared_query(
    rule: &'static str,
    source: &'static str,
) -> Result<(Arc<Query>, &'static str), QueryError> {
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with(';'))
        .flat_map(|line| [line, "\n"])
        .collect();
    let known = |shared: &[(&'static str, Arc<Query>)]| {
        shared
            .iter()
            .find(|(text, _)| **text == code)
            .map(|(text, query)| (query.clone(), *text))
    };
    // A poisoned lock only means another thread panicked while pushing: the list is whole.
    let lock = || {
        SHARED_QUERIES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if let Some(found) = known(&lock()) {
        return Ok(found);
    }
    // Compiled outside the lock, so a worker waiting for one query never waits for another;
    // two threads compiling the same text at once keep the first one stored.
    let query = Query::new(&language(), &code).map_err(|err| QueryError::Syntax {
        rule,
        message: err.to_string(),
    })?;
    let mut shared = lock();
    if let Some(found) = known(&shared) {
        return Ok(found);
    }
    // Queries live as long as the program: their text is leaked once per distinct query.
    let text: &'static str = Box::leak(code.into_boxed_str());
    let query = Arc::new(query);
    shared.push((text, query.clone()));
    Ok((query, text))
}

/// The node kind of a pattern written `(kind …) @… @anchor`, as the query source spells it
/// (the query is `'static`, so the kind is too); `None` when the root is not captured as the
/// anchor.
fn anchored_root_kind(pattern: &'static str) -> Option<&'static str> {
    let inner = pattern.trim().strip_prefix('(')?;
    let kind_len = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let kind = &inner[..kind_len];
    let close = matching_paren(pattern.trim())?;
    let captures = &pattern.trim()[close + 1..];
    let all_captures = captures
        .split_whitespace()
        .all(|word| word.starts_with('@'));
    let anchored = captures
        .split_whitespace()
        .any(|word| word.strip_prefix('@') == Some(ANCHOR));
    (!kind.is_empty() && all_captures && anchored).then_some(kind)
}

/// The offset of the `)` that closes the `(` at the start of `pattern` (strings skipped).
fn matching_paren(pattern: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (at, c) in pattern.char_indices() {
        match (in_string, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (true, '"') => in_string = false,
            (true, _) => {}
            (false, '"') => in_string = true,
            (false, ';') => return None,
            (false, '(') => depth += 1,
            (false, ')') => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at);
                }
            }
            (false, _) => {}
        }
    }
    None
}

/// The strings the text predicates `#eq?` and `#any-of?` of a pattern compare captures with.
fn predicate_literals(pattern: &str) -> Vec<&str> {
    let mut literals = Vec::new();
    for predicate in ["(#eq?", "(#any-of?"] {
        for (start, _) in pattern.match_indices(predicate) {
            let rest = &pattern[start..];
            let Some(end) = matching_paren(rest) else {
                continue;
            };
            literals.extend(rest[..end].split('"').skip(1).step_by(2));
        }
    }
    literals
}

/// One query match, copied out of tree-sitter's streaming iterator.
pub struct QueryMatch<'t> {
    pub pattern: usize,
    pub captures: Vec<(&'static str, Node<'t>)>,
}

impl<'t> QueryMatch<'t> {
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        self.captures
            .iter()
            .find(|(capture, _)| *capture == name)
            .map(|(_, node)| *node)
    }
}

/// Runs a rule's query (whose root pattern must capture the anchor) on the anchor nodes around each keyword occurrence (deduplicated), and
/// copies the matches out of tree-sitter's streaming iterator.
pub fn run<'t>(
    compiled: &CompiledQuery,
    keywords: &[&str],
    tree: &'t Tree,
    text: &str,
    cursor: &mut QueryCursor,
) -> Vec<QueryMatch<'t>> {
    let root = tree.root_node();
    let mut anchors = Vec::new();
    for keyword in keywords {
        for at in word_offsets(text.as_bytes(), keyword) {
            if let Some(anchor) = innermost_around(root, at..at + keyword.len(), &compiled.anchors)
            {
                anchors.push(anchor);
            }
        }
    }
    anchors.sort_by_key(|node| (node.start_byte(), node.end_byte()));
    anchors.dedup_by_key(|node| node.id());

    let mut out = Vec::new();
    for anchor in anchors {
        let mut matches = cursor.matches(&compiled.query, anchor, text.as_bytes());
        while let Some(found) = matches.next() {
            // Only matches that capture the anchor itself: a nested anchor (a defer inside a
            // deferred closure) gets its own turn, so nothing is reported twice.
            let captures: Vec<_> = found
                .captures()
                .iter()
                .map(|capture| (compiled.capture_names[capture.index as usize], capture.node))
                .collect();
            if captures.iter().any(|(_, node)| node.id() == anchor.id()) {
                out.push(QueryMatch {
                    pattern: found.pattern_index,
                    captures,
                });
            }
        }
    }
    out
}

/// The innermost node of one of `kinds` that spans `range`, on one way down from `root` (the
/// ancestors of `descendant_for_byte_range`, without climbing back: each `Node::parent` searches
/// down from the root again).
fn innermost_around<'t>(
    root: Node<'t>,
    range: std::ops::Range<usize>,
    kinds: &[&str],
) -> Option<Node<'t>> {
    let mut cursor = root.walk();
    let mut innermost = None;
    loop {
        let node = cursor.node();
        if node.start_byte() > range.start || node.end_byte() < range.end {
            return innermost;
        }
        if kinds.contains(&node.kind()) {
            innermost = Some(node);
        }
        if cursor.goto_first_child_for_byte(range.start).is_none() {
            return innermost;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_found_on_the_way_down_is_the_one_found_climbing_up() {
        let text = "package p\n\n// defer in a comment\nfunc f(xs []string) {\n\tfor _, x := range xs {\n\t\tdefer func() { defer g(x) }()\n\t\tgo func() { _ = \"defer\" }()\n\t}\n}\n";
        let tree = crate::syntax::parse(&mut crate::syntax::new_parser(), text);
        let root = tree.root_node();
        let kinds = ["defer_statement", "go_statement"];
        let mut found = 0;
        for word in ["defer", "go", "x", "func"] {
            for at in word_offsets(text.as_bytes(), word) {
                let range = at..at + word.len();
                let mut climbed = root.descendant_for_byte_range(range.start, range.end);
                while let Some(node) = climbed.filter(|node| !kinds.contains(&node.kind())) {
                    climbed = node.parent();
                }
                assert_eq!(
                    innermost_around(root, range, &kinds),
                    climbed,
                    "{word} at {at}"
                );
                found += usize::from(climbed.is_some());
            }
        }
        assert!(found >= 6, "{found} anchors");
    }

    fn compile_test(
        source: &'static str,
        keywords: &'static [&'static str],
    ) -> Result<CompiledQuery, QueryError> {
        compile("test-rule", source, keywords)
    }

    #[test]
    fn a_pattern_whose_root_is_not_the_anchor_is_refused() {
        for source in [
            "(defer_statement (call_expression) @anchor)",
            "(defer_statement) @call",
            "((defer_statement) @anchor)",
            "(defer_statement) @anchor\n(go_statement)",
        ] {
            let err = compile_test(source, &["defer"]).err();
            assert!(
                matches!(err, Some(QueryError::NoAnchor { .. })),
                "{source}: {err:?}"
            );
        }
        let fine = "(defer_statement (call_expression) @call) @anchor @statement";
        assert!(compile_test(fine, &["defer"]).is_ok());
    }

    #[test]
    fn a_literal_the_keywords_miss_is_refused() {
        let source = "(call_expression function: (selector_expression field: (field_identifier) @m) (#any-of? @m \"Exit\" \"Fatal\")) @anchor";
        let missing = compile_test(source, &["Exit"]).err();
        assert!(
            matches!(&missing, Some(QueryError::LiteralNotAKeyword { literal, .. }) if literal == "Fatal"),
            "{missing:?}"
        );
        assert!(compile_test(source, &["os.Exit", "log.Fatal"]).is_ok());
        assert!(compile_test(source, &["Exit", "xFatal"]).is_err());
        let eq = "(call_expression function: (identifier) @f (#eq? @f \"recover\")) @anchor";
        assert!(compile_test(eq, &["panic"]).is_err());
    }
}
