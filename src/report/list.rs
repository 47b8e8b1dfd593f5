//! `-l`: the path of every file the fixes change (changed, with `-w`), as `gofmt -l` prints.

use std::io::{self, Write};

use super::{FileResult, Reporter, display_path};

pub struct List;

impl Reporter for List {
    fn file(&mut self, out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        if file.change.is_none() {
            return Ok(());
        }
        writeln!(out, "{}", display_path(file.path))
    }
}
