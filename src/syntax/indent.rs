//! Line and indentation helpers. gofmt indents with tabs; raw string literals must never be
//! re-indented because their bytes are part of the program.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::text::Edit;

use tree_sitter::Node;

/// Start offset of the line containing `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |at| at + 1)
}

/// The 1-based line number of `offset`, for messages.
pub fn line_number(text: &str, offset: usize) -> usize {
    text[..offset].bytes().filter(|&byte| byte == b'\n').count() + 1
}

/// The leading whitespace of the line containing `offset`.
pub fn indentation_at(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    let width = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..width]
}

/// Whether only whitespace precedes `offset` on its line.
pub fn starts_line(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset]
        .trim_matches([' ', '\t'])
        .is_empty()
}

/// Byte ranges of the bodies of multi-line raw string literals under `node`: a line starting
/// inside one of these ranges belongs to the literal and must keep its exact bytes.
pub fn raw_string_ranges(node: Node, text: &str) -> Vec<Range<usize>> {
    super::descendants(node, |_| false)
        .into_iter()
        .filter(|child| child.kind() == "raw_string_literal")
        .map(|literal| literal.byte_range())
        .filter(|range| text[range.clone()].contains('\n'))
        .collect()
}

/// Copies `text[region]`, applying `edits` (sorted, disjoint, inside the region) and adding one
/// tab at the start of every non-blank line that does not start inside a raw string literal.
pub fn reindent_with_edits(
    text: &str,
    region: Range<usize>,
    edits: &[Edit],
    raw_strings: &[Range<usize>],
) -> String {
    let mut out = String::with_capacity(region.len() + region.len() / 8);
    let mut pending = edits.iter().peekable();
    let mut at = region.start;
    let mut at_line_start = region.start == 0 || text.as_bytes()[region.start - 1] == b'\n';
    while at < region.end {
        if at_line_start {
            let line_end = text[at..region.end]
                .find('\n')
                .map_or(region.end, |n| at + n);
            let blank = text[at..line_end].trim().is_empty();
            let in_raw = raw_strings.iter().any(|raw| raw.start < at && at < raw.end);
            if !blank && !in_raw {
                out.push('\t');
            }
            at_line_start = false;
        }
        let mut jumped = false;
        while let Some(edit) = pending.next_if(|edit| edit.range.start == at) {
            out.push_str(&edit.replacement);
            if edit.range.end > at {
                at_line_start = text[at..edit.range.end].ends_with('\n');
                at = edit.range.end;
                jumped = true;
                break;
            }
        }
        if jumped {
            continue;
        }
        let ch = text[at..].chars().next().unwrap_or('\n');
        out.push(ch);
        at += ch.len_utf8();
        at_line_start = ch == '\n';
    }
    // An insertion at the very end of the region.
    for edit in pending {
        out.push_str(&edit.replacement);
    }
    out
}

/// Keeps gofmt's alignment of trailing `//` comments when the code before one of them changes.
///
/// gofmt aligns the trailing comments of consecutive lines (same indentation) one space after the
/// longest code. `changed` lists lines whose code now has a different width: (an offset on the
/// line, the new code width in chars). Returns edits re-spacing every comment of the affected
/// blocks, or an error when the original block is not aligned the way this model predicts (then
/// the result could not be guaranteed gofmt-clean).
pub fn realign_trailing_comments(
    text: &str,
    comments: &[Range<usize>],
    changed: &[(usize, usize)],
) -> Result<Vec<Edit>, String> {
    let trailing = trailing_comments(text, comments);
    let new_width_of = |line: usize| {
        changed
            .iter()
            .find(|(at, _)| line_start(text, *at) == line)
            .map(|(_, w)| *w)
    };
    let mut edits = Vec::new();
    let mut done: Vec<usize> = Vec::new();
    for &(offset, _) in changed {
        let line = line_start(text, offset);
        if !trailing.contains_key(&line) || done.contains(&line) {
            continue;
        }
        let block = aligned_block(text, &trailing, line);
        edits.extend(realign_block(text, &trailing, &block, &new_width_of)?);
        done.extend(&block);
    }
    edits.sort_by_key(|edit| edit.range.start);
    Ok(edits)
}

/// A line's trailing `//` comment: where the line's indentation and code end and the comment
/// starts.
#[derive(Clone, Copy)]
struct TrailingComment {
    indent_end: usize,
    code_end: usize,
    comment_start: usize,
}

/// The lines (by start offset) with a trailing comment among `comments`.
fn trailing_comments(text: &str, comments: &[Range<usize>]) -> BTreeMap<usize, TrailingComment> {
    let mut trailing = BTreeMap::new();
    for comment in comments {
        if !text[comment.clone()].starts_with("//") {
            continue;
        }
        let start = line_start(text, comment.start);
        let before = &text[start..comment.start];
        let code = before.trim_end();
        if code.trim().is_empty() {
            continue;
        }
        let indent_end = start + (before.len() - before.trim_start_matches('\t').len());
        trailing.insert(
            start,
            TrailingComment {
                indent_end,
                code_end: start + code.len(),
                comment_start: comment.start,
            },
        );
    }
    trailing
}

/// The block gofmt aligns together with `line`: the adjacent lines above and below with trailing
/// comments at the same indentation, in order.
fn aligned_block(
    text: &str,
    trailing: &BTreeMap<usize, TrailingComment>,
    line: usize,
) -> Vec<usize> {
    let indent = trailing[&line].indent_end - line;
    let same_block = |start: &usize| {
        trailing
            .get(start)
            .is_some_and(|comment| comment.indent_end - start == indent)
    };
    let mut block = vec![line];
    let mut cursor = line;
    while cursor > 0 {
        let previous = line_start(text, cursor - 1);
        if !same_block(&previous) {
            break;
        }
        block.insert(0, previous);
        cursor = previous;
    }
    let mut cursor = line;
    while let Some(next) = text[cursor..].find('\n').map(|at| cursor + at + 1) {
        if !same_block(&next) {
            break;
        }
        block.push(next);
        cursor = next;
    }
    block
}

/// Edits re-spacing the comments of `block` one space after its longest code, with the new code
/// widths `new_width_of` gives (unchanged lines keep theirs); an error when the block is not
/// aligned the way this model predicts today.
fn realign_block(
    text: &str,
    trailing: &BTreeMap<usize, TrailingComment>,
    block: &[usize],
    new_width_of: &dyn Fn(usize) -> Option<usize>,
) -> Result<Vec<Edit>, String> {
    let width = |from: usize, to: usize| text[from..to].chars().count();
    let old_widths: Vec<usize> = block
        .iter()
        .map(|start| width(trailing[start].indent_end, trailing[start].code_end))
        .collect();
    let old_column = old_widths.iter().max().copied().unwrap_or(0) + 1;
    if block
        .iter()
        .any(|start| width(trailing[start].indent_end, trailing[start].comment_start) != old_column)
    {
        return Err(
            "trailing comments next to a rewritten jump are not aligned as gofmt aligns them"
                .into(),
        );
    }
    let new_widths: Vec<usize> = block
        .iter()
        .zip(&old_widths)
        .map(|(start, old)| new_width_of(*start).unwrap_or(*old))
        .collect();
    let new_column = new_widths.iter().max().copied().unwrap_or(0) + 1;
    Ok(block
        .iter()
        .zip(&new_widths)
        .map(|(start, new)| Edit {
            range: trailing[start].code_end..trailing[start].comment_start,
            replacement: " ".repeat(new_column - new),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reindent_skips_blank_lines_and_raw_strings() {
        let text = "a := `x\ny`\n\nb()\n";
        let raw: Vec<std::ops::Range<usize>> = std::iter::once(5..10).collect();
        let out = reindent_with_edits(text, 0..text.len(), &[], &raw);
        assert_eq!(out, "\ta := `x\ny`\n\n\tb()\n");
    }

    #[test]
    fn reindent_applies_edits_after_the_added_tab() {
        let text = "\tcontinue\n";
        let edits = vec![Edit {
            range: 1..9,
            replacement: "return".into(),
        }];
        assert_eq!(
            reindent_with_edits(text, 0..text.len(), &edits, &[]),
            "\t\treturn\n"
        );
    }

    #[test]
    fn trailing_comments_are_realigned_like_gofmt() {
        let text = "\tx := 1   // one\n\tcontinue // two\n";
        let comments = vec![10..16, 27..33];
        // `continue` (8 chars) becomes `return` (6): both comments move left by two.
        let edits = realign_trailing_comments(text, &comments, &[(18, 6)]).unwrap();
        let spaces: Vec<&str> = edits.iter().map(|edit| edit.replacement.as_str()).collect();
        assert_eq!(spaces, vec![" ", " "]);
        // A block that gofmt did not align is refused rather than guessed at.
        let unaligned = "\tx := 1 // one\n\tcontinue // two\n";
        assert!(realign_trailing_comments(unaligned, &[8..14, 25..31], &[(16, 6)]).is_err());
    }

    #[test]
    fn indentation_is_the_leading_whitespace() {
        assert_eq!(indentation_at("x\n\t\tfoo()\n", 5), "\t\t");
        assert!(starts_line("x\n\t\tfoo()\n", 4));
        assert!(!starts_line("x\n\t\tfoo()\n", 6));
    }
}
