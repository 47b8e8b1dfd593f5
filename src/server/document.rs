//! Open documents: their text as the editor has it, and LSP positions, which count UTF-16 code
//! units by default (UTF-8 bytes when the client offers that encoding).

use std::path::PathBuf;

use line_index::{LineCol, LineIndex, TextSize, WideEncoding, WideLineCol};
use lsp_types::{Position, TextDocumentContentChangeEvent, Url};

/// How LSP positions count characters within a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// An open document.
pub struct Document {
    pub version: i32,
    pub text: String,
    /// The file it is, for the config, the module and the package.
    pub path: PathBuf,
}

/// Why a change could not be applied.
#[derive(Debug, PartialEq, Eq)]
pub struct OutOfRange;

impl Document {
    /// Applies the changes of one `didChange`, in order; on a change whose range is not in the
    /// text, nothing after it is applied.
    pub fn apply(
        &mut self,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) -> Result<(), OutOfRange> {
        self.version = version;
        for change in changes {
            match change.range {
                None => self.text = change.text,
                Some(range) => {
                    let index = LineIndex::new(&self.text);
                    let start =
                        offset(&self.text, &index, range.start, encoding).ok_or(OutOfRange)?;
                    let end = offset(&self.text, &index, range.end, encoding).ok_or(OutOfRange)?;
                    if start > end {
                        return Err(OutOfRange);
                    }
                    self.text.replace_range(start..end, &change.text);
                }
            }
        }
        Ok(())
    }
}

/// The byte offset of an LSP position in `text` (which `index` indexes), if the line is in the
/// text. A character past the end of its line means the end of the line (before its line break),
/// as the protocol says.
pub fn offset(
    text: &str,
    index: &LineIndex,
    position: Position,
    encoding: Encoding,
) -> Option<usize> {
    let line = index.line(position.line)?;
    let (start, next) = (
        u32::from(line.start()) as usize,
        u32::from(line.end()) as usize,
    );
    let content = text[start..next]
        .trim_end_matches('\n')
        .trim_end_matches('\r');
    let end = start + content.len();
    let column = match encoding {
        Encoding::Utf8 => position.character,
        Encoding::Utf16 => {
            index
                .to_utf8(
                    WideEncoding::Utf16,
                    WideLineCol {
                        line: position.line,
                        col: position.character,
                    },
                )?
                .col
        }
    };
    let at = start.saturating_add(column as usize).min(end);
    text.is_char_boundary(at).then_some(at)
}

/// The LSP position of a byte offset (on a character boundary) of the text.
pub fn position(index: &LineIndex, offset: usize, encoding: Encoding) -> Position {
    let size = TextSize::try_from(offset)
        .unwrap_or(index.len())
        .min(index.len());
    let line_col = index
        .try_line_col(size)
        .unwrap_or(LineCol { line: 0, col: 0 });
    let character = match encoding {
        Encoding::Utf8 => line_col.col,
        Encoding::Utf16 => index
            .to_wide(WideEncoding::Utf16, line_col)
            .map_or(line_col.col, |wide| wide.col),
    };
    Position::new(line_col.line, character)
}

/// The file of a `file:` URI.
pub fn file_path(uri: &Url) -> Option<PathBuf> {
    (uri.scheme() == "file").then(|| uri.to_file_path().ok())?
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Range;

    #[test]
    fn utf16_positions_count_code_units() {
        // `é` is 2 bytes and 1 UTF-16 unit; `😀` is 4 bytes and 2 units.
        let text = "a\n\té😀 x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(position(&index, x, Encoding::Utf16), Position::new(1, 5));
        assert_eq!(position(&index, x, Encoding::Utf8), Position::new(1, 8));
        assert_eq!(
            offset(text, &index, Position::new(1, 5), Encoding::Utf16),
            Some(x)
        );
        // Past the end of a line: the end of that line, before its line break.
        assert_eq!(
            offset(text, &index, Position::new(0, 99), Encoding::Utf16),
            Some(1)
        );
        assert_eq!(
            offset(text, &index, Position::new(9, 0), Encoding::Utf16),
            None
        );
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let mut document = Document {
            version: 1,
            text: "héllo\nworld\n".into(),
            path: PathBuf::from("a.go"),
        };
        let change = |range: Option<Range>, text: &str| TextDocumentContentChangeEvent {
            range,
            range_length: None,
            text: text.into(),
        };
        document
            .apply(
                2,
                vec![
                    change(
                        Some(Range::new(Position::new(0, 1), Position::new(0, 2))),
                        "e",
                    ),
                    change(
                        Some(Range::new(Position::new(1, 0), Position::new(1, 5))),
                        "there",
                    ),
                ],
                Encoding::Utf16,
            )
            .unwrap();
        assert_eq!(document.text, "hello\nthere\n");
        assert_eq!(document.version, 2);
        let bad = change(
            Some(Range::new(Position::new(7, 0), Position::new(7, 1))),
            "x",
        );
        assert_eq!(
            document.apply(3, vec![bad], Encoding::Utf16),
            Err(OutOfRange)
        );
    }
}
