//! `deferfix -` (standard input): the fixed source, or the source unchanged when nothing
//! applies, so an editor can pipe every buffer through deferfix as through gofmt.

use std::io::{self, Write};

use super::{FileResult, Reporter};

pub struct FixedSource;

impl Reporter for FixedSource {
    fn file(&mut self, out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        match file.change {
            Some(change) => out.write_all(&change.new),
            None => out.write_all(&file.source.encode(&file.source.text)),
        }
    }
}
