//! The default dry-run output: a unified diff of every file the fixes change, which `git apply`
//! accepts from the directory the paths are relative to.

use std::io::{self, Write};
use std::path::Path;

use similar::TextDiff;

use super::paint::{ADDED, HEADER, HUNK, REMOVED, paint};
use super::{FileResult, Reporter, display_path};

pub struct Diff {
    pub color: bool,
}

impl Reporter for Diff {
    fn file(&mut self, out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        let Some(change) = file.change else {
            return Ok(());
        };
        let old = String::from_utf8_lossy(&change.old);
        let new = String::from_utf8_lossy(&change.new);
        let diff = unified_diff(file.path, &old, &new);
        let diff = if self.color { paint_diff(&diff) } else { diff };
        out.write_all(diff.as_bytes())
    }
}

/// A unified diff with git's `a/` and `b/` prefixes.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    let shown = display_path(path);
    // An absolute path keeps its single leading slash.
    let shown = shown.strip_prefix('/').unwrap_or(&shown);
    let diff = TextDiff::from_lines(old, new);
    diff.unified_diff()
        .context_radius(3)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

/// A unified diff, coloured line by line as `git diff` colours it.
fn paint_diff(diff: &str) -> String {
    diff.split_inclusive('\n')
        .map(|line| {
            let (body, newline) = match line.strip_suffix('\n') {
                Some(body) => (body, "\n"),
                None => (line, ""),
            };
            let style = if body.starts_with("--- ") || body.starts_with("+++ ") {
                Some(HEADER)
            } else if body.starts_with("@@") {
                Some(HUNK)
            } else if body.starts_with('+') {
                Some(ADDED)
            } else if body.starts_with('-') {
                Some(REMOVED)
            } else {
                None
            };
            match style {
                Some(style) => format!("{}{newline}", paint(style, body)),
                None => line.to_owned(),
            }
        })
        .collect()
}
