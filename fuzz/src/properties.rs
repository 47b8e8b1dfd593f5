//! The properties every input must keep through deferfix's per-file pipeline, with every rule and
//! `--unsafe` fixes applied (what `deferfix -w --unsafe FILE` does to one file):
//!
//! 1. no panic and no hang (libFuzzer's `-timeout` catches the hang);
//! 2. a file that parses (as deferfix parses it) comes out parsing, and when plain tree-sitter-go
//!    parses it without errors so does the output; the fix engine reports no internal error
//!    (fixes that break the syntax, do not converge, or overlap);
//! 3. fixing the fixed output again changes nothing (idempotence);
//! 4. a file that does not parse, or is not UTF-8, comes back byte for byte;
//! 5. every finding's span and every edit of its fix lie inside the file, on char boundaries;
//! 6. the rules' lexical tests skip no file a rule finds something in: without them the outcome
//!    is the same (a file they skip may then turn out not to parse, and had nothing to find).
//!
//! This one file is shared: the fuzz targets and the differential check use it through the fuzz
//! crate, and the main crate's `tests/fuzz_regressions.rs` includes it with `#[path]`, so the
//! regression test checks exactly what the fuzzer checked. It depends on `deferfix` and
//! `tree_sitter` only.

use std::path::Path;

use deferfix::analysis::package::PackageContext;
use deferfix::engine::{Linter, Settings};
use deferfix::fix::Applicability;
use deferfix::goversion::GoVersion;
use deferfix::pipeline::{FileContext, FileReport, process_bytes};

/// What a checked input turned into.
#[derive(Debug)]
pub struct Checked {
    /// The fixed file bytes (BOM and line endings restored), when a fix applied.
    pub fixed: Option<Vec<u8>>,
    /// Whether the input was UTF-8 and deferfix did not reject it as unparsable (true also for
    /// a file no rule could match, which is never parsed).
    pub parsed: bool,
}

/// Runs the pipeline (every rule, `--unsafe`) on `bytes` as the file `fuzz.go`, alone in its
/// package, with `go_version` as its module's Go version.
pub fn run(linter: &mut Linter, bytes: &[u8], go_version: Option<GoVersion>) -> FileReport {
    let settings = Settings::all_rules(Some(Applicability::Unsafe));
    run_with(linter, bytes, go_version, &settings)
}

fn run_with(
    linter: &mut Linter,
    bytes: &[u8],
    go_version: Option<GoVersion>,
    settings: &Settings,
) -> FileReport {
    let package = PackageContext::alone();
    let context = FileContext {
        explicit: true,
        include_generated: true,
        go_version,
        package: &package,
    };
    process_bytes(
        Path::new("fuzz.go"),
        bytes.to_vec(),
        &context,
        linter,
        settings,
    )
}

/// Whether plain tree-sitter-go parses `text` without an error node.
pub fn parses_plain(text: &str) -> bool {
    let mut parser = deferfix::syntax::new_parser();
    parser
        .parse(text, None)
        .is_some_and(|tree| !tree.root_node().has_error())
}

/// Whether deferfix's own parse (plain, then with builtin calls masked) has no syntax error (in
/// the sense of `deferfix::syntax::first_syntax_error`, which also refuses what tree-sitter reads
/// and Go does not, such as an import after another declaration).
pub fn parses_for_deferfix(text: &str) -> bool {
    let mut parser = deferfix::syntax::new_parser();
    deferfix::syntax::first_syntax_error(&deferfix::syntax::parse(&mut parser, text)).is_none()
}

/// Checks every property on `bytes`; `Err` says which one failed and how.
pub fn check(bytes: &[u8], go_version: Option<GoVersion>) -> Result<Checked, String> {
    let mut linter = Linter::default();
    let report = run(&mut linter, bytes, go_version);
    prefilter_skips_nothing(&mut linter, bytes, go_version, &report)?;
    if std::str::from_utf8(bytes).is_err() {
        // Not UTF-8: reported, never changed.
        if report.change().is_some() || report.outcome.is_some() {
            return Err("a file that is not UTF-8 was processed or changed".into());
        }
        return Ok(Checked {
            fixed: None,
            parsed: false,
        });
    }
    let decoded = deferfix::source::SourceText::decode(bytes.to_vec())
        .map_err(|err| format!("valid UTF-8 did not decode: {err}"))?;
    // An error is only for a file that does not parse (and is then left as it is); anything
    // else is an internal error of the fix engine: fixes that break the syntax, do not
    // converge, or overlap.
    if let Some(error) = &report.error {
        if error.message.contains("internal error") || parses_for_deferfix(&decoded.text) {
            return Err(format!(
                "a file that parses got an error: {}:{}: {}",
                error.line, error.column, error.message
            ));
        }
        return Ok(Checked {
            fixed: None,
            parsed: false,
        });
    }
    let Some(outcome) = &report.outcome else {
        return Err("a file that is UTF-8 has neither an outcome nor an error".into());
    };
    edits_inside(outcome, &decoded.text)?;
    // Unchanged: nothing more to check (parsing it only to know would slow the fuzzer down).
    let Some(fixed_text) = outcome.fixed.clone() else {
        return Ok(Checked {
            fixed: None,
            parsed: true,
        });
    };
    fixed_text_parses(outcome, &decoded.text, &fixed_text)?;
    let (_, fixed_bytes) = report
        .change()
        .ok_or("a fixed text but no change to write")?;
    second_run_changes_nothing(&mut linter, outcome, &fixed_bytes, &fixed_text, go_version)?;
    Ok(Checked {
        fixed: Some(fixed_bytes),
        parsed: true,
    })
}

/// Property 6: the run without the rules' lexical tests gives the same outcome, or, when it finds
/// the file does not parse, the run with them found nothing to report or fix.
fn prefilter_skips_nothing(
    linter: &mut Linter,
    bytes: &[u8],
    go_version: Option<GoVersion>,
    report: &FileReport,
) -> Result<(), String> {
    let settings = Settings {
        lexical_prefilter: false,
        ..Settings::all_rules(Some(Applicability::Unsafe))
    };
    let unfiltered = run_with(linter, bytes, go_version, &settings);
    let same = match (&unfiltered.outcome, &report.outcome) {
        (Some(unfiltered), Some(filtered)) => format!("{unfiltered:?}") == format!("{filtered:?}"),
        (None, Some(filtered)) => {
            unfiltered.error.is_some() && filtered.findings.is_empty() && filtered.fixed.is_none()
        }
        (None, None) => format!("{:?}", unfiltered.error) == format!("{:?}", report.error),
        (Some(_), None) => false,
    };
    if same {
        Ok(())
    } else {
        Err(format!(
            "the lexical prefilter changed the outcome: without it {:?} / {:?}, with it {:?} / {:?}",
            unfiltered.outcome, unfiltered.error, report.outcome, report.error
        ))
    }
}

/// Every finding's span and edit inside the (normalised) text, on char boundaries.
fn edits_inside(outcome: &deferfix::engine::Outcome, text: &str) -> Result<(), String> {
    let inside = |range: &std::ops::Range<usize>| {
        range.start <= range.end
            && range.end <= text.len()
            && text.is_char_boundary(range.start)
            && text.is_char_boundary(range.end)
    };
    for finding in &outcome.findings {
        if !inside(&finding.span) {
            return Err(format!(
                "{}: finding span {:?} outside the file ({} bytes) or off a char boundary",
                finding.rule,
                finding.span,
                text.len()
            ));
        }
        for edit in finding.fix.fix().into_iter().flat_map(|fix| fix.edits()) {
            if !inside(&edit.range) {
                return Err(format!(
                    "{}: edit {:?} outside the file ({} bytes) or off a char boundary",
                    finding.rule,
                    edit.range,
                    text.len()
                ));
            }
        }
    }
    Ok(())
}

/// Only a file that parses may change, and the fixed text parses (plainly, when the input did).
fn fixed_text_parses(
    outcome: &deferfix::engine::Outcome,
    text: &str,
    fixed_text: &str,
) -> Result<(), String> {
    if !parses_for_deferfix(text) {
        return Err(format!(
            "rules {:?}: a file that does not parse was changed",
            outcome.fixed_rules
        ));
    }
    if !parses_for_deferfix(fixed_text) {
        return Err(format!(
            "rules {:?}: the fixed text does not parse:\n{fixed_text}",
            outcome.fixed_rules
        ));
    }
    if parses_plain(text) && !parses_plain(fixed_text) {
        return Err(format!(
            "rules {:?}: the input parses with tree-sitter-go but the fixed text does not:\n{fixed_text}",
            outcome.fixed_rules
        ));
    }
    Ok(())
}

/// Idempotence: a second run on what -w wrote changes nothing.
fn second_run_changes_nothing(
    linter: &mut Linter,
    outcome: &deferfix::engine::Outcome,
    fixed_bytes: &[u8],
    fixed_text: &str,
    go_version: Option<GoVersion>,
) -> Result<(), String> {
    let again = run(linter, fixed_bytes, go_version);
    if let Some(error) = &again.error {
        return Err(format!(
            "rules {:?}: the second run on the fixed text failed: {}:{}: {}\n{fixed_text}",
            outcome.fixed_rules, error.line, error.column, error.message
        ));
    }
    if let Some((_, twice)) = again.change() {
        let rules = again
            .outcome
            .as_ref()
            .map(|outcome| outcome.fixed_rules.clone())
            .unwrap_or_default();
        return Err(format!(
            "not idempotent: rules {rules:?} changed the fixed text again\n---- fixed once\n{fixed_text}\n---- fixed twice\n{}",
            String::from_utf8_lossy(&twice)
        ));
    }
    Ok(())
}

/// [`check`], panicking with the input and the violated property (for libFuzzer to report).
pub fn assert_holds(bytes: &[u8], go_version: Option<GoVersion>) -> Checked {
    match check(bytes, go_version) {
        Ok(checked) => checked,
        Err(violation) => panic!(
            "property violated (go version {}): {violation}\n==== input ({} bytes)\n{}\n==== end of input",
            go_version.map_or("none".to_owned(), |version| version.to_string()),
            bytes.len(),
            String::from_utf8_lossy(bytes)
        ),
    }
}
