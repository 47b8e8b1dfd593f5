//! Turning file bytes into the text the engine works on, and back.
//!
//! Rules and the engine only ever see `\n` line endings and no byte-order mark; `SourceText`
//! remembers what the file had so a written file keeps its CRLF endings and BOM.

use std::fmt;

const UTF8_BOM: &str = "\u{feff}";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceText {
    /// The normalised text: no BOM, `\n` line endings when the file used CRLF throughout.
    pub text: String,
    pub had_bom: bool,
    pub crlf: bool,
}

/// Why a file's bytes cannot be worked on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// 1-based line of the first invalid byte.
    pub line: usize,
}

impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: file is not valid UTF-8", self.line)
    }
}

impl SourceText {
    pub fn decode(bytes: Vec<u8>) -> Result<SourceText, NotUtf8> {
        let text = String::from_utf8(bytes).map_err(|err| {
            let valid_up_to = err.utf8_error().valid_up_to();
            let bytes = err.as_bytes();
            NotUtf8 {
                line: 1 + memchr::memchr_iter(b'\n', &bytes[..valid_up_to]).count(),
            }
        })?;
        let (had_bom, text) = match text.strip_prefix(UTF8_BOM) {
            Some(rest) => (true, rest.to_owned()),
            None => (false, text),
        };
        // Only a file that uses CRLF on every line is normalised; a file with mixed endings is
        // left byte for byte as it is, so converting back can never touch a line it should not.
        // Most files have no `\r` at all: one vectorised search says so.
        let crlf = memchr::memchr(b'\r', text.as_bytes()).is_some() && {
            let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).count();
            newlines > 0 && memchr::memmem::find_iter(text.as_bytes(), b"\r\n").count() == newlines
        };
        let text = if crlf {
            text.replace("\r\n", "\n")
        } else {
            text
        };
        Ok(SourceText {
            text,
            had_bom,
            crlf,
        })
    }

    /// The bytes to write for `text` (a fixed version of `self.text`), restoring BOM and CRLF.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let mut out = String::with_capacity(text.len() + text.len() / 16 + 3);
        if self.had_bom {
            out.push_str(UTF8_BOM);
        }
        if self.crlf {
            out.push_str(&text.replace('\n', "\r\n"));
        } else {
            out.push_str(text);
        }
        out.into_bytes()
    }
}

/// 1-based line and byte column of every offset in a text.
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        LineIndex { line_starts }
    }

    /// (line, column), both 1-based; the column counts bytes, as go vet and gofmt do.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        (line + 1, offset - self.line_starts[line] + 1)
    }
}

/// The line of `text` that holds `offset`, without its line break.
pub fn line_at(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    let end = text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at);
    &text[start..end]
}

/// Whether the file carries the standard "generated code" marker before its package clause
/// (https://go.dev/s/generatedcode): a line `// Code generated ... DO NOT EDIT.`.
pub fn is_generated(text: &str) -> bool {
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("package ") {
            return false;
        }
        if line.starts_with("// Code generated ") && line.ends_with(" DO NOT EDIT.") {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_and_bom_round_trip() {
        let bytes = "\u{feff}package p\r\n\r\nfunc f() {}\r\n"
            .as_bytes()
            .to_vec();
        let source = SourceText::decode(bytes.clone()).unwrap();
        assert!(source.had_bom && source.crlf);
        assert_eq!(source.text, "package p\n\nfunc f() {}\n");
        assert_eq!(source.encode(&source.text), bytes);
    }

    #[test]
    fn mixed_line_endings_are_kept_verbatim() {
        let bytes = b"package p\r\nfunc f() {}\n".to_vec();
        let source = SourceText::decode(bytes.clone()).unwrap();
        assert!(!source.crlf);
        assert_eq!(source.encode(&source.text), bytes);
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = SourceText::decode(b"package p\n\n// \xff\n".to_vec()).unwrap_err();
        assert_eq!(err.line, 3);
    }

    #[test]
    fn generated_marker_only_counts_before_the_package_clause() {
        assert!(is_generated(
            "// Code generated by stringer. DO NOT EDIT.\n\npackage p\n"
        ));
        assert!(!is_generated(
            "package p\n// Code generated by stringer. DO NOT EDIT.\n"
        ));
        assert!(!is_generated(
            "// Code generated by hand, edit freely.\npackage p\n"
        ));
    }

    #[test]
    fn line_col_is_one_based() {
        let index = LineIndex::new("ab\ncd\n");
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(4), (2, 2));
    }
}
