//! Compiling rule queries once and running them on candidate nodes only.

use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, Tree};

use crate::syntax::language;
#[cfg(test)]
use crate::transforms::RULES;
use crate::transforms::{QueryMatch, Rule};

/// A rule's compiled query, with capture names leaked to `'static` once (queries live forever).
pub struct CompiledQuery {
    pub query: Query,
    pub capture_names: Vec<&'static str>,
}

/// Compiles one query; an error names the rule and the position in the query.
pub fn compile(rule: &Rule) -> Result<CompiledQuery, String> {
    let query = Query::new(&language(), rule.query_source)
        .map_err(|err| format!("query of rule {} does not compile: {err}", rule.id))?;
    for pattern in 0..query.pattern_count() {
        if !query.general_predicates(pattern).is_empty() {
            return Err(format!(
                "query of rule {} uses a predicate the engine does not evaluate",
                rule.id
            ));
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
    })
}

/// Whether `word` occurs in `bytes` as a whole Go word (not part of a longer identifier).
pub fn contains_word(bytes: &[u8], word: &str) -> bool {
    word_offsets(bytes, word).next().is_some()
}

/// Whether `bytes` starts with `word` as a whole word.
pub fn contains_word_at(bytes: &[u8], word: &str) -> bool {
    word_offsets(bytes, word).next() == Some(0)
}

/// Offsets of whole-word occurrences of `word` in `bytes`.
pub fn word_offsets<'a>(bytes: &'a [u8], word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let is_word_byte = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80;
    memchr::memmem::find_iter(bytes, word.as_bytes()).filter(move |&at| {
        let before_ok = at == 0 || !is_word_byte(bytes[at - 1]);
        let after = at + word.len();
        let after_ok = after >= bytes.len() || !is_word_byte(bytes[after]);
        before_ok && after_ok
    })
}

/// Runs a rule's query (whose root pattern must capture the anchor) on the anchor nodes around each keyword occurrence (deduplicated), and
/// copies the matches out of tree-sitter's streaming iterator.
pub fn run<'t>(
    rule: &Rule,
    tree: &'t Tree,
    text: &str,
    cursor: &mut QueryCursor,
) -> Vec<QueryMatch<'t>> {
    let compiled = rule.query();
    let root = tree.root_node();
    let mut anchors = Vec::new();
    for keyword in rule.keywords {
        for at in word_offsets(text.as_bytes(), keyword) {
            if let Some(anchor) = innermost_around(root, at..at + keyword.len(), rule.anchors) {
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
    fn every_rule_query_compiles_against_the_grammar() {
        for rule in RULES {
            let compiled = compile(rule).unwrap_or_else(|err| panic!("{err}"));
            assert!(
                compiled.query.pattern_count() > 0,
                "rule {} has an empty query",
                rule.id
            );
        }
    }

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

    #[test]
    fn words_must_stand_alone() {
        assert!(contains_word(b"\tdefer f()", "defer"));
        assert!(!contains_word(b"deferred and undefer", "defer"));
        assert!(contains_word(b"x;defer", "defer"));
    }
}
