//! The fix vocabulary shared by rules and the engine: plain data, no behaviour beyond ordering.
//!
//! Rules describe *what* to change; the engine decides *whether* and *when* to apply it.

use std::ops::Range;

/// How confident a rule is that its fix preserves behaviour (apart from the intended change).
///
/// Ordered so that "does this fix apply at threshold T" is `applicability >= T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// May change behaviour in ways the rule cannot rule out; applied only with `--unsafe`.
    Unsafe,
    /// Keeps behaviour apart from the intended change; applied by `--write`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

/// Replace the bytes in `range` (offsets into the text the finding was made on) with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// A set of edits that must be applied together, and how safe they are.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fix {
    pub title: String,
    /// Sorted by start and pairwise disjoint (the engine checks).
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix::new(title, edits, Applicability::Safe)
    }

    pub fn unsafe_edits(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Fix::new(title, edits, Applicability::Unsafe)
    }

    pub fn new(
        title: impl Into<String>,
        mut edits: Vec<Edit>,
        applicability: Applicability,
    ) -> Self {
        edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        Fix {
            title: title.into(),
            edits,
            applicability,
        }
    }

    /// First byte any edit touches.
    pub fn start(&self) -> usize {
        self.edits.first().map_or(0, |edit| edit.range.start)
    }

    /// Last byte any edit touches.
    pub fn end(&self) -> usize {
        self.edits
            .iter()
            .map(|edit| edit.range.end)
            .max()
            .unwrap_or(0)
    }
}

/// One reported problem: which rule, where, what, and optionally how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    /// Byte range in the (normalised) source the finding was made on.
    pub span: Range<usize>,
    pub message: String,
    pub fix: Option<Fix>,
}

impl Finding {
    /// The marker `--check` prints after the message.
    pub fn fix_marker(&self) -> &'static str {
        match self.fix.as_ref().map(|fix| fix.applicability) {
            Some(Applicability::Safe) => " [fix]",
            Some(Applicability::Unsafe) => " [unsafe fix]",
            None => "",
        }
    }
}
