//! A lexical scan of a Go file's top level: which declarations it has, their names and byte
//! ranges, without parsing. The package index uses it to find a declaration in a sibling file and
//! parse only that declaration, so that looking up one function does not cost parsing a package.
//!
//! Top-level declarations are recognised the way gofmt writes them: a keyword at the start of a
//! line, outside any bracket, string or comment. Code not laid out that way is simply not found
//! (lookups then answer "unknown", which no decision treats as safe).

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Func,
    /// A method of the named receiver type.
    Method {
        receiver: String,
    },
    Type,
    Var,
    Const,
    Import,
}

/// One top-level declaration (a `type (…)`/`var (…)` group is one declaration with many names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexDecl {
    pub kind: DeclKind,
    pub names: Vec<String>,
    pub range: Range<usize>,
}

/// The package clause's name and the top-level declarations of a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileOutline {
    pub package: String,
    pub decls: Vec<LexDecl>,
    /// `//go:build ignore` before the package clause: a program, not part of the package.
    pub ignored: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenKind {
    Ident,
    Punct(u8),
}

#[derive(Clone, Copy, Debug)]
struct Token {
    kind: TokenKind,
    start: usize,
    end: usize,
    depth: usize,
    /// The first token on its line (only whitespace before it).
    first_on_line: bool,
    /// At column 0.
    column0: bool,
}

/// The identifiers and brackets of `text`, skipping comments, strings and runes.
fn tokens(text: &str) -> Vec<Token> {
    tokens_until(text, |_, _| false).0
}

/// [`tokens`] up to the first identifier `stop` accepts (given its spelling), and where that one
/// starts.
fn tokens_until(text: &str, stop: impl Fn(&Token, &[u8]) -> bool) -> (Vec<Token>, Option<usize>) {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut at = 0;
    let mut line_has_token = false;
    while at < bytes.len() {
        // The test first: this runs on every byte of a sibling file the package index reads.
        if matches!(bytes[at], b'/' | b'"' | b'\'' | b'`')
            && let Some(after) = skip_non_code(bytes, at)
        {
            at = after;
            continue;
        }
        let byte = bytes[at];
        match byte {
            b'\n' => {
                line_has_token = false;
                at += 1;
            }
            _ if byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80 => {
                let start = at;
                at = word_end(bytes, at);
                let token = Token {
                    kind: TokenKind::Ident,
                    start,
                    end: at,
                    depth,
                    first_on_line: !line_has_token,
                    column0: start == 0 || bytes[start - 1] == b'\n',
                };
                if stop(&token, &bytes[start..at]) {
                    return (out, Some(start));
                }
                out.push(token);
                line_has_token = true;
            }
            b'(' | b'{' | b'[' | b')' | b'}' | b']' | b',' | b'=' | b'*' | b';' => {
                if matches!(byte, b')' | b'}' | b']') {
                    depth = depth.saturating_sub(1);
                }
                out.push(Token {
                    kind: TokenKind::Punct(byte),
                    start: at,
                    end: at + 1,
                    depth,
                    first_on_line: !line_has_token,
                    column0: at == 0 || bytes[at - 1] == b'\n',
                });
                if matches!(byte, b'(' | b'{' | b'[') {
                    depth += 1;
                }
                line_has_token = true;
                at += 1;
            }
            b' ' | b'\t' | b'\r' => at += 1,
            _ => {
                line_has_token = true;
                at += 1;
            }
        }
    }
    (out, None)
}

/// The end of the identifier or keyword starting at `start` (non-ASCII bytes count as letters).
fn word_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&byte| !(byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80))
        .map_or(bytes.len(), |length| start + length)
}

/// The offset after the comment, string, raw string or rune starting at `at`, if one does (an
/// unterminated one ends at the end of the text, or of its line for a string or rune).
fn skip_non_code(bytes: &[u8], at: usize) -> Option<usize> {
    let next = bytes.get(at + 1).copied();
    match bytes[at] {
        b'/' if next == Some(b'/') => {
            Some(memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n))
        }
        b'/' if next == Some(b'*') => Some(
            memchr::memmem::find(&bytes[at + 2..], b"*/").map_or(bytes.len(), |n| at + 2 + n + 2),
        ),
        b'"' | b'\'' => Some(skip_quoted(bytes, at)),
        b'`' => {
            Some(memchr::memchr(b'`', &bytes[at + 1..]).map_or(bytes.len(), |n| at + 1 + n + 1))
        }
        _ => None,
    }
}

/// The offset after a `"…"` string or `'…'` rune starting at `at` (an unterminated one ends at
/// the end of its line).
pub(crate) fn skip_quoted(bytes: &[u8], at: usize) -> usize {
    let quote = bytes[at];
    let mut at = at + 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'\n' => return at,
            byte if byte == quote => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The start of `text` up to its first top-level `func`, `type`, `var` or `const` keyword (outside
/// brackets, strings and comments): the package clause and every import of the file, since Go
/// puts the imports before any other declaration. Comments are skipped with one search each, so
/// a long package doc costs little.
pub fn import_section(text: &str) -> &str {
    let (_, stop) = tokens_until(text, |token, word| {
        token.depth == 0 && matches!(word, b"func" | b"type" | b"var" | b"const")
    });
    stop.map_or(text, |start| &text[..start])
}

const KEYWORDS: &[&str] = &["package", "import", "func", "type", "var", "const"];

/// What a file's first lines say: its package clause and whether it is a `//go:build ignore`
/// program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub package: String,
    pub ignored: bool,
}

/// Reads the package clause without scanning the rest of the file: the first line starting with
/// `package ` outside a block comment.
pub fn header(text: &str) -> Header {
    let mut in_comment = false;
    let mut package = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if in_comment {
            in_comment = !trimmed.contains("*/");
            continue;
        }
        if trimmed.starts_with("/*") && !trimmed.contains("*/") {
            in_comment = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix("package ") {
            package = rest
                .split(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
                .next()
                .unwrap_or("")
                .to_owned();
            break;
        }
    }
    Header {
        package,
        ignored: is_build_ignored(text),
    }
}

/// Scans a file's top level.
pub fn outline(text: &str) -> FileOutline {
    let tokens = tokens(text);
    let word = |token: &Token| &text[token.start..token.end];
    let starts: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, token)| {
            token.kind == TokenKind::Ident
                && token.depth == 0
                && token.column0
                && KEYWORDS.contains(&word(token))
        })
        .map(|(index, _)| index)
        .collect();
    let mut outline = FileOutline {
        ignored: is_build_ignored(text),
        ..FileOutline::default()
    };
    for (position, &first) in starts.iter().enumerate() {
        let last = starts.get(position + 1).copied().unwrap_or(tokens.len());
        let decl_tokens = &tokens[first..last];
        let end = starts
            .get(position + 1)
            .map_or(text.len(), |next| tokens[*next].start);
        let range = tokens[first].start..end;
        let keyword = word(&tokens[first]);
        if keyword == "package" {
            if let Some(name) = decl_tokens.get(1).filter(|t| t.kind == TokenKind::Ident) {
                outline.package = word(name).to_owned();
            }
            continue;
        }
        let (kind, names) = match keyword {
            "import" => (DeclKind::Import, Vec::new()),
            "func" => match func_names(decl_tokens, text) {
                Some(found) => found,
                None => continue,
            },
            _ => {
                let kind = match keyword {
                    "type" => DeclKind::Type,
                    "var" => DeclKind::Var,
                    _ => DeclKind::Const,
                };
                (kind, spec_names(decl_tokens, text))
            }
        };
        outline.decls.push(LexDecl { kind, names, range });
    }
    outline
}

/// `func Name` or `func (r *T) Name`.
fn func_names(tokens: &[Token], text: &str) -> Option<(DeclKind, Vec<String>)> {
    let word = |token: &Token| &text[token.start..token.end];
    let second = tokens.get(1)?;
    if second.kind == TokenKind::Ident {
        return Some((DeclKind::Func, vec![word(second).to_owned()]));
    }
    if second.kind != TokenKind::Punct(b'(') {
        return None;
    }
    // The receiver: up to the matching `)`; its type is the last identifier before any `[`.
    let close = tokens
        .iter()
        .skip(2)
        .position(|token| token.kind == TokenKind::Punct(b')') && token.depth == 0)?
        + 2;
    let receiver_tokens = &tokens[2..close];
    let before_type_args = receiver_tokens
        .iter()
        .position(|token| token.kind == TokenKind::Punct(b'['))
        .unwrap_or(receiver_tokens.len());
    let receiver = receiver_tokens[..before_type_args]
        .iter()
        .rev()
        .find(|token| token.kind == TokenKind::Ident)?;
    let name = tokens
        .get(close + 1)
        .filter(|t| t.kind == TokenKind::Ident)?;
    Some((
        DeclKind::Method {
            receiver: word(receiver).to_owned(),
        },
        vec![word(name).to_owned()],
    ))
}

/// The names a `type`, `var` or `const` declaration declares, grouped or not.
fn spec_names(tokens: &[Token], text: &str) -> Vec<String> {
    let word = |token: &Token| &text[token.start..token.end];
    let Some(second) = tokens.get(1) else {
        return Vec::new();
    };
    let grouped = second.kind == TokenKind::Punct(b'(');
    let mut names = Vec::new();
    let mut index = if grouped { 2 } else { 1 };
    let spec_depth = if grouped { 1 } else { 0 };
    while index < tokens.len() {
        let token = tokens[index];
        let starts_spec = token.kind == TokenKind::Ident
            && token.depth == spec_depth
            && (!grouped || token.first_on_line || previous_is_semicolon(tokens, index));
        if !starts_spec {
            index += 1;
            continue;
        }
        // `a, b, c T = …`: names separated by commas.
        names.push(word(&token).to_owned());
        index += 1;
        while index + 1 < tokens.len()
            && tokens[index].kind == TokenKind::Punct(b',')
            && tokens[index + 1].kind == TokenKind::Ident
            && tokens[index + 1].depth == spec_depth
        {
            names.push(word(&tokens[index + 1]).to_owned());
            index += 2;
        }
        if !grouped {
            break;
        }
        // Skip to the next line of the group.
        while index < tokens.len() && !tokens[index].first_on_line {
            index += 1;
        }
    }
    names
}

fn previous_is_semicolon(tokens: &[Token], index: usize) -> bool {
    index > 0 && tokens[index - 1].kind == TokenKind::Punct(b';')
}

/// Whether a `//go:build` line before the package clause is exactly `ignore`.
fn is_build_ignored(text: &str) -> bool {
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("package ") {
            return false;
        }
        if let Some(expression) = line.strip_prefix("//go:build ") {
            return expression.trim() == "ignore";
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_import_section_ends_at_the_first_other_declaration() {
        let text = "/* func in a comment */\n// type too\npackage p\n\nimport (\n\t\"fmt\" // var\n\tx `net/http`\n)\n\nimport \"os\"\n\nconst c = \"database/sql\"\n\nfunc f() {}\n";
        let section = import_section(text);
        assert!(section.ends_with("import \"os\"\n\n"), "{section:?}");
        assert!(!section.contains("database/sql"));
        // No other declaration: the whole file.
        assert_eq!(import_section("package p\n"), "package p\n");
        // A keyword inside brackets is not at the top level.
        let grouped = "package p\nimport (\n\tfunc\n)\nvar v int\n";
        assert_eq!(import_section(grouped), "package p\nimport (\n\tfunc\n)\n");
    }

    #[test]
    fn top_level_declarations_are_found_without_parsing() {
        let text = r#"// Package p.
package p

import (
	"fmt" // a comment with func in it
)

var tracked []*T

var (
	a, b = 1, 2
	c    = "func x() {"
)

type T struct {
	f   func()
	mu  int
}

type (
	U int
	V[K comparable] map[K]int
)

func track(r *T) { tracked = append(tracked, r) }

func (t *T) Close() error {
	x := func() {}
	_ = `
func fake() {}
`
	return nil
}

func (v *V[K]) Len() int { return 0 }

const Max = 3
"#;
        let outline = outline(text);
        assert_eq!(outline.package, "p");
        let summary: Vec<(DeclKind, Vec<String>)> = outline
            .decls
            .iter()
            .map(|decl| (decl.kind.clone(), decl.names.clone()))
            .collect();
        let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect::<Vec<_>>();
        assert_eq!(
            summary,
            [
                (DeclKind::Import, vec![]),
                (DeclKind::Var, names(&["tracked"])),
                (DeclKind::Var, names(&["a", "b", "c"])),
                (DeclKind::Type, names(&["T"])),
                (DeclKind::Type, names(&["U", "V"])),
                (DeclKind::Func, names(&["track"])),
                (
                    DeclKind::Method {
                        receiver: "T".into()
                    },
                    names(&["Close"])
                ),
                (
                    DeclKind::Method {
                        receiver: "V".into()
                    },
                    names(&["Len"])
                ),
                (DeclKind::Const, names(&["Max"])),
            ]
        );
        let track = &outline.decls[5];
        assert_eq!(
            &text[track.range.clone()],
            "func track(r *T) { tracked = append(tracked, r) }\n\n"
        );
    }

    #[test]
    fn build_ignored_programs_are_marked() {
        assert!(outline("//go:build ignore\n\npackage main\n").ignored);
        assert!(!outline("//go:build linux\n\npackage p\n").ignored);
    }
}
