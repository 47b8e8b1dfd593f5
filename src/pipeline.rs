//! One file through the pipeline: read → decode → skip generated → lint/fix → report.
//! Pure with respect to output: it never prints, so results can be rendered in path order.

use std::path::{Path, PathBuf};

use crate::analysis::package::{IndexStore, PackageContext};
use crate::engine::{Linter, Outcome, Settings};
use crate::goversion::{GoVersion, ModuleVersions};
use crate::source::{SourceText, is_generated};

/// A per-file error, reported as `path:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Everything learned about one file.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub source: Option<SourceText>,
    pub outcome: Option<Outcome>,
    pub error: Option<FileError>,
    pub skipped_generated: bool,
}

impl FileReport {
    fn failed(path: &Path, source: Option<SourceText>, error: FileError) -> Self {
        FileReport {
            path: path.to_owned(),
            source,
            outcome: None,
            error: Some(error),
            skipped_generated: false,
        }
    }

    /// A file that could not be read.
    pub fn unreadable(path: &Path, err: &std::io::Error) -> Self {
        let error = FileError {
            line: 1,
            column: 1,
            message: format!("cannot read: {err}"),
        };
        FileReport::failed(path, None, error)
    }

    /// The original and fixed file bytes (BOM and line endings restored), when a fix applies.
    pub fn change(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        let source = self.source.as_ref()?;
        let fixed = self.outcome.as_ref()?.fixed.as_ref()?;
        Some((source.encode(&source.text), source.encode(fixed)))
    }
}

/// What the run knows about one file before reading it.
pub struct FileContext<'a> {
    /// Named on the command line (never skipped as generated).
    pub explicit: bool,
    pub include_generated: bool,
    /// The file's module Go version (see [`crate::goversion`]).
    pub go_version: Option<GoVersion>,
    /// Where the file's package is, for decisions that need its other files.
    pub package: &'a PackageContext<'a>,
}

/// Processes text that has already been read (a file, or standard input).
pub fn process_bytes(
    path: &Path,
    bytes: Vec<u8>,
    context: &FileContext,
    linter: &mut Linter,
    settings: &Settings,
) -> FileReport {
    let FileContext {
        explicit,
        include_generated,
        go_version,
        package,
    } = *context;
    let source = match SourceText::decode(bytes) {
        Ok(source) => source,
        Err(err) => {
            let error = FileError {
                line: err.line,
                column: 1,
                message: "file is not valid UTF-8, left unchanged".into(),
            };
            return FileReport::failed(path, None, error);
        }
    };
    if !explicit && !include_generated && is_generated(&source.text) {
        return FileReport {
            path: path.to_owned(),
            source: None,
            outcome: None,
            error: None,
            skipped_generated: true,
        };
    }
    match linter.process(&source.text, settings, go_version, package) {
        Ok(outcome) => FileReport {
            path: path.to_owned(),
            // Only files with findings need their text again (positions, diffs, writes): the
            // rest are dropped here so memory stays flat over large trees.
            source: (!outcome.findings.is_empty()).then_some(source),
            outcome: Some(outcome),
            error: None,
            skipped_generated: false,
        },
        Err(err) => {
            let (line, column, message) = err.describe(&source.text);
            FileReport::failed(
                path,
                Some(source),
                FileError {
                    line,
                    column,
                    message,
                },
            )
        }
    }
}

/// Processes `bytes` as the file at `path`, on its own: its module's Go version (unless
/// `go_version` overrides it) and its package's other files are read afresh, for files linted one
/// at a time (the language server's documents, `--verify`'s re-fixes) rather than in a run.
pub fn process_one(
    path: &Path,
    bytes: Vec<u8>,
    explicit: bool,
    go_version: Option<GoVersion>,
    settings: &Settings,
) -> FileReport {
    let versions = ModuleVersions::default();
    let indexes = IndexStore::default();
    let package = PackageContext::on_disk(&indexes, path, versions.import_path(path));
    let context = FileContext {
        explicit,
        include_generated: false,
        go_version: go_version.or_else(|| versions.for_file(path)),
        package: &package,
    };
    process_bytes(path, bytes, &context, &mut Linter::default(), settings)
}

/// Reads and processes one file from disk.
pub fn process_path(
    path: &Path,
    context: &FileContext,
    linter: &mut Linter,
    settings: &Settings,
) -> FileReport {
    match std::fs::read(path) {
        Ok(bytes) => process_bytes(path, bytes, context, linter, settings),
        Err(err) => FileReport::unreadable(path, &err),
    }
}
