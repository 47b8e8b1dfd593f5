//! `--statistics`: per rule, findings by fix state and the reasons fixes are held back.

use std::io::{self, Write};

use super::{FileResult, Reporter};
use crate::summary::Totals;

pub struct Statistics;

impl Reporter for Statistics {
    fn file(&mut self, _out: &mut dyn Write, _file: &FileResult) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, totals: &Totals) -> io::Result<()> {
        out.write_all(totals.statistics().as_bytes())
    }
}
