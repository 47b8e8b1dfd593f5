//! Line and indentation helpers. gofmt indents with tabs; raw string literals must never be
//! re-indented because their bytes are part of the program.

use std::ops::Range;

use tree_sitter::Node;

/// Start offset of the line containing `offset`.
pub fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |at| at + 1)
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

/// A text edit local to one region, in offsets of the original text.
#[derive(Clone, Debug)]
pub struct LocalEdit {
    pub range: Range<usize>,
    pub text: String,
}

/// Copies `text[region]`, applying `edits` (sorted, disjoint, inside the region) and adding one
/// tab at the start of every non-blank line that does not start inside a raw string literal.
pub fn reindent_with_edits(
    text: &str,
    region: Range<usize>,
    edits: &[LocalEdit],
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
            out.push_str(&edit.text);
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
        out.push_str(&edit.text);
    }
    out
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
        let edits = vec![LocalEdit {
            range: 1..9,
            text: "return".into(),
        }];
        assert_eq!(
            reindent_with_edits(text, 0..text.len(), &edits, &[]),
            "\t\treturn\n"
        );
    }

    #[test]
    fn indentation_is_the_leading_whitespace() {
        assert_eq!(indentation_at("x\n\t\tfoo()\n", 5), "\t\t");
        assert!(starts_line("x\n\t\tfoo()\n", 4));
        assert!(!starts_line("x\n\t\tfoo()\n", 6));
    }
}
