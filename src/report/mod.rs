//! Printing a run's results: one module per output format, all behind [`Reporter`].
//!
//! The CLI hands each reporter every file's results in path order, then the run's totals; a
//! reporter decides what, if anything, it prints for each. Rendering is plain text; colour is
//! painted on finished text (see [`paint`]), so what goes to a pipe is byte for byte what is
//! tested.

pub mod check;
pub mod codeclimate;
pub mod diff;
pub mod github;
pub mod json;
pub mod list;
pub mod paint;
pub mod rdjson;
pub mod sarif;
pub mod source;
pub mod statistics;

use std::io::{self, Write};
use std::path::Path;

use crate::fix::Finding;
use crate::source::{LineIndex, SourceText};
use crate::summary::Totals;

/// What `--format` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diff (dry run), fixed source (standard input), or `path:line:col: rule: message` lines
    /// (`--check`).
    Text,
    /// One JSON document on stdout.
    Json,
    /// `::warning file=…` workflow commands, one per finding.
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// Reviewdog Diagnostic Format, with fixes as suggestions (`reviewdog -f=rdjson`).
    Rdjson,
    /// GitLab Code Quality report.
    Codeclimate,
}

impl Format {
    /// The reporter of a machine-readable format; `None` for `text`, whose output depends on
    /// the other flags.
    pub fn machine_reporter(self) -> Option<Box<dyn Reporter>> {
        Some(match self {
            Format::Text => return None,
            Format::Json => Box::<json::Json>::default(),
            Format::Github => Box::new(github::Github),
            Format::Sarif => Box::<sarif::Sarif>::default(),
            Format::Rdjson => Box::<rdjson::Rdjson>::default(),
            Format::Codeclimate => Box::<codeclimate::CodeClimate>::default(),
        })
    }
}

/// One file's results, as the reporters see them.
pub struct FileResult<'a> {
    pub path: &'a Path,
    /// The original file; `source.text` is what positions refer to.
    pub source: &'a SourceText,
    /// Positions in `text`, computed once for every reporter.
    pub lines: &'a LineIndex,
    /// Findings on the original text, sorted by position.
    pub findings: &'a [Finding],
    /// The file's original and fixed bytes, when this run's fixes change it.
    pub change: Option<&'a Change>,
    /// Whether this run applies (or, in a dry run, would apply) a finding's fix.
    pub applies: &'a dyn Fn(&Finding) -> bool,
}

/// A file's bytes before and after the fixes (BOM and line endings as on disk).
pub struct Change {
    pub old: Vec<u8>,
    pub new: Vec<u8>,
}

/// An output format.
pub trait Reporter {
    /// Called once per file with results, in path order.
    fn file(&mut self, out: &mut dyn Write, file: &FileResult) -> io::Result<()>;

    /// Called once at the end of the run.
    fn finish(&mut self, _out: &mut dyn Write, _totals: &Totals) -> io::Result<()> {
        Ok(())
    }
}

/// Path as printed: `/`-separated whatever the platform.
pub fn display_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
