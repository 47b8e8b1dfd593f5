//! After linting: each file's results go to every reporter in path order, fixed files are
//! written (and verified) in write mode, and the run's totals are counted.

use std::io::{BufWriter, StdoutLock, Write};

use super::Mode;
use crate::engine::FindingKey;
use crate::engine::Settings;
use crate::fix::Applicability;
use crate::pipeline::FileReport;
use crate::report::{Change, FileResult, Reporter, display_path};
use crate::source::LineIndex;
use crate::source::SourceText;
use crate::summary::Totals;
use crate::verify::{FailedPackage, FixedFinding, Pending, Refix, Verdict, Written};
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
        let pending = match &mode {
            Mode::Write { verify: Some(_) } => Some(Pending::install()?),
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
        self.totals.findings_fixed += outcome.findings.len().saturating_sub(outcome.remaining);
        if let Mode::Write { .. } = self.mode {
            self.write(report, source, change);
        }
        Ok(())
    }

    /// Writes a fixed file in place (recording it, and the findings it fixes, for `--verify`).
    fn write(&mut self, report: &FileReport, source: &SourceText, change: Change) {
        let result = match &self.pending {
            Some(pending) => pending.write(self.written(report, source, change.old), &change.new),
            None => write_atomically(&report.path, &change.new),
        };
        if let Err(err) = result {
            eprintln!("{}:1:1: cannot write: {err}", display_path(&report.path));
            self.totals.files_with_errors += 1;
            self.had_error = true;
        }
    }

    /// What `--verify` needs to know about a written file.
    fn written(&self, report: &FileReport, source: &SourceText, original: Vec<u8>) -> Written {
        let Some(outcome) = &report.outcome else {
            return Written {
                path: report.path.clone(),
                original,
                rules: Vec::new(),
                findings: Vec::new(),
            };
        };
        let lines = LineIndex::new(&source.text);
        let findings = outcome
            .findings
            .iter()
            .filter(|finding| self.settings.applies(finding, self.threshold))
            .map(|finding| {
                let (line, column) = lines.line_col(finding.span.start);
                FixedFinding {
                    key: FindingKey::of(finding, &source.text),
                    line,
                    column,
                }
            })
            .collect();
        Written {
            path: report.path.clone(),
            original,
            rules: outcome.fixed_rules.clone(),
            findings,
        }
    }

    /// Lets every reporter print its end, then verifies what was written (re-fixing files with
    /// `refix` to find the fixes that break a package).
    pub fn finish(mut self, refix: &dyn Refix) -> Result<Ended, String> {
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
        let verify_failed = match (&self.pending, &self.mode) {
            (
                Some(pending),
                Mode::Write {
                    verify: Some(options),
                },
            ) => {
                let verdict = pending.verify(options, refix);
                report_verification(&verdict, &mut self.totals, &mut self.had_error)
            }
            _ => false,
        };
        Ok(Ended {
            totals: self.totals,
            had_error: self.had_error,
            verify_failed,
        })
    }
}

/// Reports the packages that failed verification and takes their rolled-back fixes out of the
/// totals; whether any fix was rolled back.
fn report_verification(verdict: &Verdict, totals: &mut Totals, had_error: &mut bool) -> bool {
    for package in &verdict.failed {
        eprint!("{}", describe_failed(package));
        totals.files_changed = totals.files_changed.saturating_sub(package.files_restored);
        totals.findings_fixed = totals.findings_fixed.saturating_sub(package.dropped.len());
        totals.remaining += package.dropped.len();
    }
    for error in &verdict.errors {
        eprintln!("{error}");
        *had_error = true;
    }
    !verdict.failed.is_empty()
}

/// What happened to a package that failed with its fixes: the step, what was rolled back (and,
/// after re-applying the fixes in halves, each dropped finding with the failure it caused), and
/// what go printed.
fn describe_failed(package: &FailedPackage) -> String {
    let directory = display_path(&package.directory);
    let rules = package.rules().join(", ");
    let step = package.failure.step;
    let files = match package.files_restored {
        1 => "1 file".to_owned(),
        files => format!("{files} files"),
    };
    let mut out = if package.fails_unfixed {
        format!(
            "{directory}: {step} fails without the fixes too, so they cannot be verified; rolled back the fixes of {rules} ({files}):\n"
        )
    } else if package.kept == 0 {
        format!(
            "{directory}: {step} failed after the fixes; rolled back the fixes of {rules} ({files}):\n"
        )
    } else {
        let dropped = package.dropped.len();
        format!(
            "{directory}: {step} failed after the fixes; re-applied them in halves: kept {}, rolled back {dropped} of {rules}:\n",
            package.kept
        )
    };
    if package.kept > 0 {
        for (path, finding, failure) in &package.dropped {
            out.push_str(&format!(
                "{}:{}:{}: {}: fix rolled back: {}\n",
                display_path(path),
                finding.line,
                finding.column,
                finding.key.rule,
                failure.summary()
            ));
        }
    }
    out.push_str(&package.failure.output);
    out.push('\n');
    out
}
