//! After linting: each file's results go to every reporter in path order, fixed files are
//! written (and verified) in write mode, and the run's totals are counted.

use std::io::{BufWriter, StdoutLock, Write};

use super::Mode;
use crate::engine::Settings;
use crate::fix::Applicability;
use crate::pipeline::FileReport;
use crate::report::{Change, FileResult, Reporter, display_path};
use crate::source::LineIndex;
use crate::summary::Totals;
use crate::verify::{self, Pending};
use crate::write::write_atomically;

/// Where a reporter prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A reporter and the stream it prints to.
pub struct Sink {
    pub reporter: Box<dyn Reporter>,
    pub stream: Stream,
}

impl Sink {
    pub fn stdout(reporter: impl Reporter + 'static) -> Sink {
        Sink {
            reporter: Box::new(reporter),
            stream: Stream::Stdout,
        }
    }

    pub fn stderr(reporter: impl Reporter + 'static) -> Sink {
        Sink {
            reporter: Box::new(reporter),
            stream: Stream::Stderr,
        }
    }
}

pub struct Delivery<'a> {
    mode: Mode,
    settings: &'a Settings,
    threshold: Applicability,
    sinks: Vec<Sink>,
    /// The written files not yet verified (`--verify`).
    pending: Option<Pending>,
    out: BufWriter<StdoutLock<'static>>,
    totals: Totals,
    had_error: bool,
}

/// What a finished delivery leaves for the exit code and the summary.
pub struct Ended {
    pub totals: Totals,
    pub had_error: bool,
    /// `--verify` rolled back at least one package.
    pub verify_failed: bool,
}

impl<'a> Delivery<'a> {
    pub fn new(
        mode: Mode,
        settings: &'a Settings,
        threshold: Applicability,
        sinks: Vec<Sink>,
    ) -> Result<Self, String> {
        let pending = match mode {
            Mode::Write { verify: true } => Some(Pending::install()?),
            _ => None,
        };
        Ok(Delivery {
            mode,
            settings,
            threshold,
            sinks,
            pending,
            out: BufWriter::new(std::io::stdout().lock()),
            totals: Totals::default(),
            had_error: false,
        })
    }

    /// Errors found before any file was linted (walking, go.mod files).
    pub fn errors(&mut self, errors: &[String]) {
        for error in errors {
            eprintln!("{error}");
            self.had_error = true;
        }
    }

    pub fn deliver(&mut self, reports: Vec<FileReport>) -> Result<(), String> {
        for report in &reports {
            self.file(report)?;
        }
        Ok(())
    }

    fn file(&mut self, report: &FileReport) -> Result<(), String> {
        if report.skipped_generated {
            self.totals.files_skipped_generated += 1;
            return Ok(());
        }
        self.totals.files_scanned += 1;
        if let Some(error) = &report.error {
            eprintln!(
                "{}:{}:{}: {}",
                display_path(&report.path),
                error.line,
                error.column,
                error.message
            );
            self.totals.files_with_errors += 1;
            self.had_error = true;
            return Ok(());
        }
        let Some(outcome) = &report.outcome else {
            return Ok(());
        };
        self.totals.add_suppressed(&outcome.suppressed);
        // The pipeline keeps the text only of files with findings (and of standard input).
        let Some(source) = &report.source else {
            return Ok(());
        };
        let (settings, threshold) = (self.settings, self.threshold);
        let applies = |finding: &_| settings.applies(finding, threshold);
        self.totals.add_findings(&outcome.findings, &applies);
        self.totals.remaining += outcome.remaining;
        let change = report.change().map(|(old, new)| Change { old, new });
        let lines = LineIndex::new(&source.text);
        let result = FileResult {
            path: &report.path,
            source,
            lines: &lines,
            findings: &outcome.findings,
            change: change.as_ref(),
            applies: &applies,
        };
        for sink in &mut self.sinks {
            let printed = match sink.stream {
                Stream::Stdout => sink.reporter.file(&mut self.out, &result),
                Stream::Stderr => sink.reporter.file(&mut std::io::stderr().lock(), &result),
            };
            printed.map_err(|err| format!("cannot write to stdout: {err}"))?;
        }
        let Some(change) = change else {
            return Ok(());
        };
        self.totals.files_changed += 1;
        let fixed = outcome.findings.len().saturating_sub(outcome.remaining);
        self.totals.findings_fixed += fixed;
        if let Mode::Write { .. } = self.mode {
            self.write(report, change, fixed);
        }
        Ok(())
    }

    /// Writes a fixed file in place (recording it for `--verify`).
    fn write(&mut self, report: &FileReport, change: Change, fixed: usize) {
        let rules = report
            .outcome
            .as_ref()
            .map(|outcome| outcome.fixed_rules.clone())
            .unwrap_or_default();
        let result = match &self.pending {
            Some(pending) => pending.write(
                verify::Written {
                    path: report.path.clone(),
                    original: change.old,
                    rules,
                    fixed,
                },
                &change.new,
            ),
            None => write_atomically(&report.path, &change.new),
        };
        if let Err(err) = result {
            eprintln!("{}:1:1: cannot write: {err}", display_path(&report.path));
            self.totals.files_with_errors += 1;
            self.had_error = true;
        }
    }

    /// Lets every reporter print its end, then verifies what was written.
    pub fn finish(mut self) -> Result<Ended, String> {
        for sink in &mut self.sinks {
            let printed = match sink.stream {
                Stream::Stdout => sink.reporter.finish(&mut self.out, &self.totals),
                Stream::Stderr => sink
                    .reporter
                    .finish(&mut std::io::stderr().lock(), &self.totals),
            };
            printed.map_err(|err| format!("cannot write to stdout: {err}"))?;
        }
        self.out
            .flush()
            .map_err(|err| format!("cannot write to stdout: {err}"))?;
        let verify_failed = match &self.pending {
            Some(pending) => report_verification(pending, &mut self.totals, &mut self.had_error),
            None => false,
        };
        Ok(Ended {
            totals: self.totals,
            had_error: self.had_error,
            verify_failed,
        })
    }
}

/// Verifies the written packages, reports the rolled-back ones and takes their fixes out of the
/// totals; whether any was rolled back.
fn report_verification(pending: &Pending, totals: &mut Totals, had_error: &mut bool) -> bool {
    let (rolled_back, errors) = pending.verify();
    for package in &rolled_back {
        eprintln!(
            "{}: {} failed after the fixes; rolled back the fixes of {} ({}):\n{}",
            display_path(&package.directory),
            package.step,
            package.rules.join(", "),
            if package.files == 1 {
                "1 file".to_owned()
            } else {
                format!("{} files", package.files)
            },
            package.output
        );
        totals.files_changed -= package.files;
        totals.findings_fixed -= package.unfixed;
        totals.remaining += package.unfixed;
    }
    for error in &errors {
        eprintln!("{error}");
        *had_error = true;
    }
    !rolled_back.is_empty()
}
