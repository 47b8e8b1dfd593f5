//! Whole-line statement edits: taking a statement out of its block, and putting a statement on a
//! line of its own after another one. Rules that move a `defer` use these so the result keeps
//! gofmt's layout (one statement per line, no doubled blank lines, no trailing comment whose
//! alignment would shift).

use std::ops::Range;

use tree_sitter::Node;

use super::indent::{indentation_at, line_start, starts_line};
use crate::fix::{Edit, Reason, ReasonCode};
use crate::syntax::flow::repeats_within;

/// End of the line containing `offset`, after its newline (or the end of the text).
pub fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at + 1)
}

/// The whole lines `statement` occupies, together with the comment lines directly above it, when
/// nothing else shares those lines and no trailing comment sits on them.
pub fn statement_lines(text: &str, statement: Node) -> Option<Range<usize>> {
    if !starts_line(text, statement.start_byte()) {
        return None;
    }
    let end = line_end(text, statement.end_byte());
    if !text[statement.end_byte()..end].trim().is_empty() {
        return None;
    }
    Some(leading_comments_start(text, statement)..end)
}

/// The start of the line of `statement`, or of the comment lines directly above it: leading
/// comments travel with the statement they describe.
fn leading_comments_start(text: &str, statement: Node) -> usize {
    let mut start = line_start(text, statement.start_byte());
    let mut previous = previous_comment(statement);
    while let Some(comment) = previous {
        let comment_line_end = line_end(text, comment.end_byte());
        if comment_line_end != start || !starts_line(text, comment.start_byte()) {
            break;
        }
        start = line_start(text, comment.start_byte());
        previous = previous_comment(comment);
    }
    start
}

/// The comment right before `node`: its previous sibling, or, for the first statement of a block
/// (tree-sitter-go keeps comments after `{` outside the `statement_list`), the list's.
fn previous_comment(node: Node) -> Option<Node> {
    let previous = match node.prev_named_sibling() {
        Some(previous) => previous,
        None => node
            .parent()
            .filter(|parent| parent.kind() == "statement_list")?
            .prev_named_sibling()?,
    };
    (previous.kind() == "comment").then_some(previous)
}

/// The edit that removes `lines` (from [`statement_lines`]), also removing one blank line when the
/// removal would leave two blank lines in a row (gofmt would collapse them).
pub fn remove_lines(text: &str, lines: Range<usize>) -> Edit {
    let blank_before = lines.start >= 2 && text[..lines.start].ends_with("\n\n");
    let next_end = line_end(text, lines.end);
    let blank_after = lines.end < text.len() && text[lines.end..next_end].trim().is_empty();
    if blank_before && blank_after {
        Edit::delete(lines.start..next_end)
    } else {
        Edit::delete(lines)
    }
}

/// The edit that puts `line` (no newline) on a new line right after `statement`, indented like it.
/// `None` when something else follows the statement on its line.
pub fn insert_line_after(text: &str, statement: Node, line: &str) -> Option<Edit> {
    let end = line_end(text, statement.end_byte());
    if !text[statement.end_byte()..end].trim().is_empty() {
        return None;
    }
    let indentation = indentation_at(text, statement.start_byte());
    let newline = if text[..end].ends_with('\n') {
        ""
    } else {
        "\n"
    };
    Some(Edit::insert(end, format!("{newline}{indentation}{line}\n")))
}

/// Why no `defer` for the `noun` (`context`, `ticker`) that `statement` creates can go right after
/// it in `function`: the statement is an `if`/`switch` initializer rather than a statement of a
/// block, or it repeats (a loop, a backward `goto`), where the deferred calls would pile up.
pub fn no_defer_after(statement: Node, function: Node, text: &str, noun: &str) -> Option<Reason> {
    if statement
        .parent()
        .is_none_or(|parent| parent.kind() != "statement_list")
    {
        return Some(Reason::new(
            ReasonCode::NotAStatement,
            "the assignment is not a statement of a block (an if or switch initializer): no defer can follow it there",
        ));
    }
    repeats_within(statement, function, text).map(|place| {
        Reason::new(
            ReasonCode::InLoop,
            format!(
                "the {noun} is created in {place}: a defer there would hold every {noun} until the function returns"
            ),
        )
    })
}

/// Whether the line containing `offset` carries code followed by a `//` comment. gofmt aligns such
/// comments across neighbouring lines, so edits next to them could leave the file unformatted.
pub fn has_trailing_comment(text: &str, offset: usize) -> bool {
    let start = line_start(text, offset);
    let end = line_end(text, offset);
    let line = text[start..end].trim();
    comment_start(line).is_some_and(|at| at > 0)
}

/// Where a `//` or `/*` comment starts on a line of code, skipping string and rune literals
/// (`"http://x"` holds no comment).
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match quote {
            Some(open) => {
                if byte == b'\\' && open != b'`' {
                    at += 1;
                } else if byte == open {
                    quote = None;
                }
            }
            None => match byte {
                b'"' | b'`' | b'\'' => quote = Some(byte),
                b'/' if matches!(bytes.get(at + 1), Some(b'/' | b'*')) => return Some(at),
                _ => {}
            },
        }
        at += 1;
    }
    None
}

/// Whether a statement could be moved or inserted next to these offsets without touching a line
/// whose trailing comment gofmt aligns: the lines just before and after each offset.
pub fn clear_of_trailing_comments(text: &str, offsets: &[usize]) -> bool {
    offsets.iter().all(|&offset| {
        let before = line_start(text, offset).saturating_sub(1);
        let after = line_end(text, offset).min(text.len().saturating_sub(1));
        !has_trailing_comment(text, before)
            && !has_trailing_comment(text, offset.min(text.len().saturating_sub(1)))
            && !has_trailing_comment(text, after)
    })
}

/// The edits that move `statements` (each with its leading comments, kept in their order) to the
/// lines after `anchor`, a statement of the same block. `None` when one of them shares its lines
/// with other code or a trailing comment next to either place would make gofmt realign.
pub fn move_after(text: &str, statements: &[Node], anchor: Node) -> Option<Vec<Edit>> {
    let insert_at = line_end(text, anchor.end_byte());
    if !text[anchor.end_byte()..insert_at].trim().is_empty()
        || !clear_of_trailing_comments(text, &[insert_at])
    {
        return None;
    }
    let mut edits = Vec::new();
    let mut moved = String::new();
    let mut last_end = 0;
    for statement in statements {
        if statement.parent().map(|parent| parent.id()) != anchor.parent().map(|parent| parent.id())
        {
            return None;
        }
        let lines = statement_lines(text, *statement)?;
        if (lines.start <= insert_at && insert_at <= lines.end)
            || lines.start < last_end
            || !clear_of_trailing_comments(text, &[lines.start, lines.end.saturating_sub(1)])
        {
            return None;
        }
        let removal = remove_lines(text, lines.clone());
        last_end = removal.range.end;
        edits.push(removal);
        moved.push_str(&text[lines]);
    }
    let newline = if text[..insert_at].ends_with('\n') {
        ""
    } else {
        "\n"
    };
    edits.push(Edit::insert(insert_at, format!("{newline}{moved}")));
    Some(edits)
}

/// The edits that move `statement` (with its leading comments) onto the lines right before
/// `anchor` (and its leading comments), a statement that starts its line, re-indented like `anchor` (which may be in an outer
/// block). `None` when the statement shares its lines with other code, holds a raw string (whose
/// lines cannot be re-indented), or a trailing comment next to either place would make gofmt
/// realign.
pub fn move_before(text: &str, statement: Node, anchor: Node) -> Option<Vec<Edit>> {
    let insert_at = leading_comments_start(text, anchor);
    let lines = statement_lines(text, statement)?;
    if !starts_line(text, anchor.start_byte())
        || (lines.start <= insert_at && insert_at < lines.end)
        || text[lines.clone()].contains('`')
        || !clear_of_trailing_comments(text, &[insert_at, lines.start, lines.end.saturating_sub(1)])
    {
        return None;
    }
    let from = indentation_at(text, statement.start_byte());
    let to = indentation_at(text, anchor.start_byte());
    let moved: String = text[lines.clone()]
        .split_inclusive('\n')
        .map(|line| match line.strip_prefix(from) {
            Some(rest) => format!("{to}{rest}"),
            None => line.to_owned(),
        })
        .collect();
    Some(vec![
        Edit::insert(insert_at, moved),
        remove_lines(text, lines),
    ])
}

/// The statements strictly between two statements of the same block (comments left out).
pub fn siblings_between<'t>(first: Node<'t>, last: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut next = first.next_named_sibling();
    while let Some(statement) = next {
        if statement.start_byte() >= last.start_byte() {
            break;
        }
        if statement.kind() != "comment" {
            out.push(statement);
        }
        next = statement.next_named_sibling();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::{descendants, parse_for_test};

    fn find<'t>(tree: &'t tree_sitter::Tree, kind: &str) -> Node<'t> {
        descendants(tree.root_node(), |_| false)
            .into_iter()
            .find(|node| node.kind() == kind)
            .unwrap()
    }

    #[test]
    fn statement_lines_take_leading_comments() {
        let text = "package p\n\nfunc f() {\n\tx()\n\n\t// undo\n\tdefer y()\n\tz()\n}\n";
        let tree = parse_for_test(text);
        let defer = find(&tree, "defer_statement");
        let lines = statement_lines(text, defer).unwrap();
        assert_eq!(&text[lines], "\t// undo\n\tdefer y()\n");
    }

    #[test]
    fn statement_sharing_a_line_is_not_movable() {
        let text = "package p\n\nfunc f() {\n\tx(); defer y()\n}\n";
        let tree = parse_for_test(text);
        assert!(statement_lines(text, find(&tree, "defer_statement")).is_none());
    }

    #[test]
    fn removal_does_not_double_blank_lines() {
        let text = "a\n\nX\n\nb\n";
        let edit = remove_lines(text, 3..5);
        assert_eq!(edit.range, 3..6);
    }

    #[test]
    fn comments_are_not_found_inside_strings() {
        assert_eq!(comment_start(r#"get("http://x") // fetch"#), Some(16));
        assert_eq!(comment_start(r#"get("http://x")"#), None);
        assert_eq!(comment_start(r#"r := '/' // slash"#), Some(9));
        assert_eq!(comment_start("s := `a//b`"), None);
        assert_eq!(comment_start(r#"q := "\"//" /* c */"#), Some(12));
    }

    #[test]
    fn insertion_copies_indentation() {
        let text = "package p\n\nfunc f() {\n\tif e {\n\t\treturn\n\t}\n\tz()\n}\n";
        let tree = parse_for_test(text);
        let edit = insert_line_after(text, find(&tree, "if_statement"), "defer y()").unwrap();
        assert_eq!(edit.replacement, "\tdefer y()\n");
        assert_eq!(&text[edit.range.start..], "\tz()\n}\n");
    }
}
