//! Text-level helpers below every other layer: whole-word search, quoting code in messages, and
//! text edits, the one edit type of the crate. Rules, syntax helpers and the engine all describe
//! changes as [`Edit`]s over byte offsets; only the engine turns them into `ra_ap_text_edit`
//! edits, where fixes are merged and applied.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// Replace the bytes in `range` (offsets into the text the edit was made for) with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Edit {
    pub range: Range<usize>,
    pub replacement: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, replacement: impl Into<String>) -> Self {
        Edit {
            range,
            replacement: replacement.into(),
        }
    }

    pub fn insert(offset: usize, text: impl Into<String>) -> Self {
        Edit::replace(offset..offset, text)
    }

    pub fn delete(range: Range<usize>) -> Self {
        Edit::replace(range, String::new())
    }
}

/// Whether `needle` occurs in `text`: memchr's vectorised search, several times faster than
/// `str::contains` over a whole file, and this runs on every file of a tree.
pub fn contains(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
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
    memchr::memmem::find_iter(bytes, word.as_bytes()).filter(move |&at| {
        let before_ok = at == 0 || !is_word_byte(bytes[at - 1]);
        let after = at + word.len();
        let after_ok = after >= bytes.len() || !is_word_byte(bytes[after]);
        before_ok && after_ok
    })
}

/// Whether `byte` can be part of a Go identifier (any non-ASCII byte counts: it may be part of a
/// Unicode letter).
pub fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// Code quoted in a message: its first line, at most 60 characters, `…` marking a cut.
pub fn shown(code: &str) -> String {
    let first = code.lines().next().unwrap_or("");
    let cut: String = first.chars().take(60).collect();
    if cut.len() < code.len() {
        format!("{cut} …")
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_must_stand_alone() {
        assert!(contains_word(b"\tdefer f()", "defer"));
        assert!(!contains_word(b"deferred and undefer", "defer"));
        assert!(contains_word(b"x;defer", "defer"));
    }
}
