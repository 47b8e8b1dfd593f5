//! Snapshot tests: for every fixture of every rule, the findings and the diffs of the safe and
//! unsafe fixes, stored in `snapshots/<rule-id>/<fixture>.snap`. The harness also asserts the
//! engine's invariants on each fixture: fixes converge, a second run changes nothing, and every
//! finding that offers a fix at a level really changes the file at that level; and that the
//! fixture's name prefix says what it shows. A fixture that is a directory is one package: each
//! file is checked with the others as its package, and the snapshot shows every file.
//!
//! Each fixture is a test of its own (a libtest-mimic trial, `harness = false` in Cargo.toml),
//! named `<rule_id>::<fixture>` (`-` in the rule id written `_`):
//! `cargo test --test fixtures defer_in_loop::basic_close` runs one fixture, and every failing
//! fixture is reported.

mod common;

use common::{Fixture, fixtures, run_package};
use deferfix::fix::Applicability;
use deferfix::report::{check::check_lines, diff::unified_diff};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;

fn snapshot_body(fixture: &Fixture) -> String {
    let reports = fixture.run(None);
    let safe = fixture.fixed(Applicability::Safe);
    let all = fixture.fixed(Applicability::Unsafe);
    let mut body = String::new();
    for (index, (name, text)) in fixture.files.iter().enumerate() {
        if fixture.is_package() {
            body.push_str(&format!("==== {name}\n"));
        }
        let normalized = deferfix::source::SourceText::decode(text.as_bytes().to_vec()).unwrap();
        let file = Path::new(name);
        body.push_str("---- findings\n");
        body.push_str(&check_lines(
            file,
            &deferfix::source::LineIndex::new(&normalized.text),
            &reports[index].findings,
        ));
        body.push_str("---- safe fixes (deferfix -w)\n");
        body.push_str(&diff_or_none(file, text, &safe[index].1));
        body.push_str(
            "---- with unsafe fixes (deferfix -w --unsafe), relative to the safe fixes\n",
        );
        body.push_str(&diff_or_none(file, &safe[index].1, &all[index].1));
    }
    body
}

fn diff_or_none(file: &Path, old: &str, new: &str) -> String {
    if old == new {
        "(no change)\n".to_owned()
    } else {
        unified_diff(file, old, new)
    }
}

fn assert_invariants(fixture: &Fixture) {
    let reports = fixture.run(None);
    for level in [Applicability::Safe, Applicability::Unsafe] {
        let fixed = fixture.fixed(level);
        // Idempotence: fixing the fixed package again changes nothing.
        let again = run_package(fixture.rule, &fixed, Some(level));
        for ((name, _), outcome) in fixed.iter().zip(&again) {
            assert!(
                outcome.fixed.is_none(),
                "{}/{}: a second run at {level:?} changed {name}",
                fixture.rule,
                fixture.name
            );
        }
        // Declared availability matches reality, file by file.
        for (index, (name, text)) in fixture.files.iter().enumerate() {
            let offers_fix = reports[index]
                .findings
                .iter()
                .any(|finding| finding.fix.applicability().is_some_and(|at| at >= level));
            assert_eq!(
                offers_fix,
                &fixed[index].1 != text,
                "{}/{} ({name}): fix availability at {level:?}",
                fixture.rule,
                fixture.name
            );
        }
    }
    // A package fixture must exercise the package: its files see each other.
    if fixture.is_package() {
        assert!(
            fixture.files.len() > 1,
            "{}: a package of one file",
            fixture.name
        );
    }
}

/// Every reason code a rule lists is shown by one of its fixtures, and every code its fixtures
/// show is listed: the list `--explain` prints is what the rule does.
fn fixtures_cover_every_reason_code_of_their_rule() -> Result<(), Failed> {
    use std::collections::BTreeSet;
    let all = fixtures();
    let mut failures = Vec::new();
    for rule in deferfix::transforms::RULES {
        let emitted: BTreeSet<&str> = all
            .iter()
            .filter(|fixture| fixture.rule == rule.id)
            .flat_map(|fixture| fixture.run(None))
            .flat_map(|outcome| outcome.findings)
            .filter_map(|finding| finding.fix.reason().map(|reason| reason.code.as_str()))
            .collect();
        let listed: BTreeSet<&str> = rule.reasons.iter().map(|code| code.as_str()).collect();
        if emitted != listed {
            failures.push(format!(
                "{}: reason codes shown by fixtures {emitted:?}, listed in Rule::reasons {listed:?}",
                rule.id
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

/// A fixture's name says what it shows, and the harness holds it to that: a `safe_` fixture has
/// a finding with a safe fix, an `unsafe_` one a finding with an unsafe fix, a `no_fix_` one a
/// finding without a fix (any of them may show contrasting cases beside it), and a `no_finding_`
/// one no finding at all.
fn assert_name_matches_what_the_rule_does(fixture: &Fixture) {
    use deferfix::fix::FixState;
    let findings: Vec<_> = fixture
        .run(None)
        .into_iter()
        .flat_map(|outcome| outcome.findings)
        .collect();
    let any = |state: fn(&FixState) -> bool| findings.iter().any(|f| state(&f.fix));
    let name = format!("{}/{}", fixture.rule, fixture.name);
    if fixture.name.starts_with("safe_") {
        assert!(
            any(|fix| matches!(fix, FixState::Safe(_))),
            "{name}: no safe fix"
        );
    } else if fixture.name.starts_with("unsafe_") {
        assert!(
            any(|fix| matches!(fix, FixState::Unsafe(..))),
            "{name}: no unsafe fix"
        );
    } else if fixture.name.starts_with("no_fix_") {
        assert!(
            any(|fix| matches!(fix, FixState::NoFix(_))),
            "{name}: no finding without a fix"
        );
    } else if fixture.name.starts_with("no_finding_") {
        assert!(findings.is_empty(), "{name}: expected no finding");
    }
}

fn assert_snapshot(fixture: &Fixture) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(format!("../snapshots/{}", fixture.rule));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(&fixture.path);
    settings.bind(|| insta::assert_snapshot!(fixture.name.clone(), snapshot_body(fixture)));
}

/// One fixture's trial: its name prefix, the engine's invariants, its snapshot.
fn check_fixture(fixture: &Fixture) -> Result<(), Failed> {
    assert_name_matches_what_the_rule_does(fixture);
    assert_invariants(fixture);
    assert_snapshot(fixture);
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = fixtures()
        .into_iter()
        .map(|fixture| Trial::test(fixture.trial_name(), move || check_fixture(&fixture)))
        .collect();
    trials.push(Trial::test(
        "fixtures_cover_every_reason_code_of_their_rule",
        fixtures_cover_every_reason_code_of_their_rule,
    ));
    libtest_mimic::run(&args, trials).exit();
}
