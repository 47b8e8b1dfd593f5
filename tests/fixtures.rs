//! Snapshot tests: for every fixture of every rule, the findings and the diffs of the safe and
//! unsafe fixes, stored in `snapshots/<rule-id>/<fixture>.snap`. The harness also asserts the
//! engine's invariants on each fixture: fixes converge, a second run changes nothing, and every
//! finding that offers a fix at a level really changes the file at that level.

mod common;

use common::{Fixture, fixed_text, fixtures, run_rule};
use deferfix::fix::Applicability;
use deferfix::render::{check_lines, unified_diff};
use std::path::Path;

fn snapshot_body(fixture: &Fixture) -> String {
    let report = run_rule(fixture.rule, &fixture.text, None);
    let normalized =
        deferfix::source::SourceText::decode(fixture.text.as_bytes().to_vec()).unwrap();
    let file = Path::new(&fixture.name).with_extension("go");
    let mut body = String::from("---- findings\n");
    body.push_str(&check_lines(&file, &normalized.text, &report.findings));
    let safe = fixed_text(fixture.rule, &fixture.text, Applicability::Safe);
    let all = fixed_text(fixture.rule, &fixture.text, Applicability::Unsafe);
    body.push_str("---- safe fixes (deferfix -w)\n");
    body.push_str(&diff_or_none(&file, &fixture.text, &safe));
    body.push_str("---- with unsafe fixes (deferfix -w --unsafe), relative to the safe fixes\n");
    body.push_str(&diff_or_none(&file, &safe, &all));
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
    let report = run_rule(fixture.rule, &fixture.text, None);
    for level in [Applicability::Safe, Applicability::Unsafe] {
        let fixed = fixed_text(fixture.rule, &fixture.text, level);
        // Idempotence: fixing the fixed text again changes nothing.
        let again = run_rule(fixture.rule, &fixed, Some(level));
        assert!(
            again.fixed.is_none(),
            "{}/{}: a second run at {level:?} changed the file",
            fixture.rule,
            fixture.name
        );
        // Declared availability matches reality.
        let offers_fix = report
            .findings
            .iter()
            .any(|finding| finding.fix.applicability().is_some_and(|at| at >= level));
        assert_eq!(
            offers_fix,
            fixed != fixture.text,
            "{}/{}: fix availability at {level:?}",
            fixture.rule,
            fixture.name
        );
    }
}

#[test]
fn fixture_snapshots() {
    for fixture in fixtures() {
        assert_invariants(&fixture);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(format!("../snapshots/{}", fixture.rule));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.set_input_file(&fixture.path);
        settings.bind(|| insta::assert_snapshot!(fixture.name.clone(), snapshot_body(&fixture)));
    }
}
