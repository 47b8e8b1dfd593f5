//! Switches for deferfix's own tests, compiled only with the `test-hooks` feature (the tests
//! enable it through a dev-dependency of the package on itself, so `cargo test` has it and
//! `cargo build`/`cargo install` never do).
//!
//! `DEFERFIX_TEST_BREAK_FIXES=TEXT`: the fix of every finding whose line contains TEXT also
//! appends `DEFERFIX_TEST_BREAK_WITH` (a Go declaration; default one that does not compile) to
//! the file, so that `--verify` can be tested on fixes that are otherwise correct, one fix at a
//! time.
//!
//! `DEFERFIX_TEST_NO_LEXICAL_PREFILTER`: set, the rules' lexical tests are not asked and every
//! file with a rule's keywords is parsed for it, so that a test can check they never skip a file
//! a rule finds something in.

use crate::fix::{Edit, Finding};
use crate::source::line_at;

const BREAK_FIXES: &str = "DEFERFIX_TEST_BREAK_FIXES";
const BREAK_WITH: &str = "DEFERFIX_TEST_BREAK_WITH";
const NO_LEXICAL_PREFILTER: &str = "DEFERFIX_TEST_NO_LEXICAL_PREFILTER";

pub fn lexical_prefilter() -> bool {
    std::env::var_os(NO_LEXICAL_PREFILTER).is_none()
}

pub fn break_fixes(text: &str, findings: &mut [Finding]) {
    let Ok(marker) = std::env::var(BREAK_FIXES) else {
        return;
    };
    let declaration =
        std::env::var(BREAK_WITH).unwrap_or_else(|_| "var _ = deferfixTestBreak".to_owned());
    for finding in findings {
        if !line_at(text, finding.span.start).contains(&marker) {
            continue;
        }
        if let Some(fix) = finding.fix.fix_mut() {
            let breaking = Edit::insert(text.len(), format!("\n{declaration}\n"));
            // A fix that already ends at the end of the file keeps its own last edit.
            if let Ok(broken) = fix.with_edit(breaking) {
                *fix = broken;
            }
        }
    }
}

/// The switches' settings, for the result cache's key: a result computed with fixes broken must
/// not answer a run without.
pub fn cache_salt() -> String {
    [BREAK_FIXES, BREAK_WITH, NO_LEXICAL_PREFILTER]
        .map(|name| format!("{name}={:?}", std::env::var_os(name)))
        .join(";")
}
