//! The fix vocabulary shared by rules and the engine: plain data, no behaviour beyond ordering.
//!
//! Rules describe *what* to change and how sure they are; the engine decides *whether* and
//! *when* to apply it. Every finding says where its fix stands ([`FixState`]), and a fix that is
//! held back (unsafe, or not offered at all) always carries a [`Reason`].

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// How confident a rule is that its fix preserves behaviour (apart from the intended change).
///
/// Ordered so that "does this fix apply at threshold T" is `applicability >= T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// May change behaviour in ways the rule cannot rule out; applied only with `--unsafe`.
    Unsafe,
    /// Keeps behaviour apart from the intended change; applied by `--write`.
    Safe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Unsafe => "unsafe",
            Applicability::Safe => "safe",
        }
    }
}

pub use crate::text::Edit;

/// A set of edits that must be applied together: at least one, sorted by start and pairwise
/// disjoint (an insertion may touch a neighbour), as [`Fix::new`] checks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "UncheckedFix")]
pub struct Fix {
    pub title: String,
    edits: Vec<Edit>,
}

/// A fix as stored (the result cache), checked by [`Fix::new`] when read back.
#[derive(Deserialize)]
struct UncheckedFix {
    title: String,
    edits: Vec<Edit>,
}

impl TryFrom<UncheckedFix> for Fix {
    type Error = FixError;

    fn try_from(fix: UncheckedFix) -> Result<Fix, FixError> {
        Fix::new(fix.title, fix.edits)
    }
}

/// Why edits cannot make a [`Fix`]: a bug in the rule that built them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    #[error("the fix has no edit")]
    Empty,
    #[error("an edit of the fix ends before it starts ({start}..{end})")]
    Reversed { start: usize, end: usize },
    #[error("two edits of the fix overlap (at {at})")]
    Overlapping { at: usize },
}

impl Fix {
    /// The fix made of `edits` (in any order), or why they cannot be one.
    pub fn new(title: impl Into<String>, mut edits: Vec<Edit>) -> Result<Fix, FixError> {
        edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        if edits.is_empty() {
            return Err(FixError::Empty);
        }
        if let Some(edit) = edits.iter().find(|edit| edit.range.start > edit.range.end) {
            return Err(FixError::Reversed {
                start: edit.range.start,
                end: edit.range.end,
            });
        }
        if let Some(pair) = edits
            .windows(2)
            .find(|pair| pair[1].range.start < pair[0].range.end)
        {
            return Err(FixError::Overlapping {
                at: pair[1].range.start,
            });
        }
        Ok(Fix {
            title: title.into(),
            edits,
        })
    }

    /// The edits, sorted and disjoint.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// This fix with one more edit, if it keeps the edits disjoint.
    pub fn with_edit(&self, edit: Edit) -> Result<Fix, FixError> {
        let mut edits = self.edits.clone();
        edits.push(edit);
        Fix::new(self.title.clone(), edits)
    }

    /// This fix, safe when `held_back` is `None` and unsafe for that reason otherwise.
    pub fn classified(self, held_back: Option<Reason>) -> FixState {
        match held_back {
            None => FixState::Safe(self),
            Some(reason) => FixState::Unsafe(self, reason),
        }
    }

    /// First byte any edit touches.
    pub fn start(&self) -> usize {
        self.edits.first().map_or(0, |edit| edit.range.start)
    }

    /// Last byte any edit touches.
    pub fn end(&self) -> usize {
        self.edits
            .iter()
            .map(|edit| edit.range.end)
            .max()
            .unwrap_or(0)
    }
}

/// Why a fix is unsafe or not offered: a stable code for tools and statistics, and a sentence
/// that names the value and the line that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub message: String,
}

impl Reason {
    pub fn new(code: ReasonCode, message: impl Into<String>) -> Self {
        Reason {
            code,
            message: message.into(),
        }
    }
}

/// Where a finding's fix stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FixState {
    /// Applied by `--write`.
    Safe(Fix),
    /// Applied only with `--unsafe`, for the reason given.
    Unsafe(Fix, Reason),
    /// The rule offers fixes, but not for this finding, for the reason given.
    NoFix(Reason),
    /// The rule never fixes (how to restructure is the author's decision).
    ReportOnly,
}

impl FixState {
    /// A fix offered safe (no `held_back`) or unsafe for that reason. Edits that could not make a
    /// fix (a rule's bug) offer none, and the finding says so rather than the run failing.
    pub fn offered(fix: Result<Fix, FixError>, held_back: Option<Reason>) -> FixState {
        match fix {
            Ok(fix) => fix.classified(held_back),
            Err(err) => FixState::NoFix(Reason::new(
                ReasonCode::Layout,
                format!("the fix could not be built: {err}"),
            )),
        }
    }

    pub fn fix(&self) -> Option<&Fix> {
        match self {
            FixState::Safe(fix) | FixState::Unsafe(fix, _) => Some(fix),
            FixState::NoFix(_) | FixState::ReportOnly => None,
        }
    }

    pub fn fix_mut(&mut self) -> Option<&mut Fix> {
        match self {
            FixState::Safe(fix) | FixState::Unsafe(fix, _) => Some(fix),
            FixState::NoFix(_) | FixState::ReportOnly => None,
        }
    }

    pub fn applicability(&self) -> Option<Applicability> {
        match self {
            FixState::Safe(_) => Some(Applicability::Safe),
            FixState::Unsafe(..) => Some(Applicability::Unsafe),
            FixState::NoFix(_) | FixState::ReportOnly => None,
        }
    }

    /// Why the fix is held back (unsafe or not offered).
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            FixState::Unsafe(_, reason) | FixState::NoFix(reason) => Some(reason),
            FixState::Safe(_) | FixState::ReportOnly => None,
        }
    }

    /// `safe`, `unsafe`, `no-fix` or `report-only`, as JSON and SARIF spell it.
    pub fn as_str(&self) -> &'static str {
        match self {
            FixState::Safe(_) => "safe",
            FixState::Unsafe(..) => "unsafe",
            FixState::NoFix(_) => "no-fix",
            FixState::ReportOnly => "report-only",
        }
    }
}

impl From<Result<Fix, Reason>> for FixState {
    /// A safe fix, or no fix for the reason given.
    fn from(result: Result<Fix, Reason>) -> Self {
        match result {
            Ok(fix) => FixState::Safe(fix),
            Err(reason) => FixState::NoFix(reason),
        }
    }
}

impl From<Result<FixState, Reason>> for FixState {
    fn from(result: Result<FixState, Reason>) -> Self {
        result.unwrap_or_else(FixState::NoFix)
    }
}

/// Defines [`ReasonCode`] with its stable spelling and a one-line description.
macro_rules! reason_codes {
    ($($variant:ident = $code:literal: $description:literal,)*) => {
        /// The stable codes of held-back fixes. The spelling is part of the JSON and SARIF
        /// output; a rule lists the codes it can emit in its `Rule::reasons` and its README.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum ReasonCode {
            $($variant,)*
        }

        impl ReasonCode {
            pub const ALL: &[ReasonCode] = &[$(ReasonCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(ReasonCode::$variant => $code,)*
                }
            }

            pub fn description(self) -> &'static str {
                match self {
                    $(ReasonCode::$variant => $description,)*
                }
            }
        }
    };
}

reason_codes! {
    Layout = "layout": "the edit would touch code gofmt lays out differently (a shared line, a trailing comment it aligns, a body that is not gofmt-formatted)",
    NotARelease = "not-a-release": "the deferred call does more than release a resource (removes a file, unlocks, signals, logs, calls a function value of unknown origin)",
    NotAcquired = "not-acquired": "the released value was not acquired in the loop iteration (a loop variable, an outer or package-level variable, an element of an outer collection)",
    Escapes = "escapes": "the value, or something derived from it, can outlive the region (returned, stored, sent, appended, captured, or passed to a function that keeps it)",
    OuterReceiver = "outer-receiver": "the value is passed to a method of a value declared outside the region, which may keep it",
    UnknownCallee = "unknown-callee": "the value is passed to a function whose effect deferfix cannot see",
    HeldOpen = "held-open": "a resource whose release other code can observe is only acquired, reassigned and deferred, or used only for side effects: it is held open on purpose",
    VisibleRelease = "visible-release": "releasing the resource early may be visible to other code (a connection, listener, server, session, lock, or a type deferfix does not know), and the iteration does not demonstrably finish with it",
    Recovers = "recovers": "the deferred function calls recover, which only works for the function it is deferred in",
    WritesOuter = "writes-outer": "the deferred function assigns variables declared outside it (named results, outer variables)",
    GotoOut = "goto-out": "a goto jumps out of the code the fix would wrap",
    ShadowedResultType = "shadowed-result-type": "a result type names something the function redeclares, so the fix cannot restate it",
    BlankResults = "blank-results": "the function's results are named `_`, so a bare return cannot be restated",
    LoopVarWritten = "loop-var-written": "the loop body writes the loop variable, which a copy would no longer pass back to the loop",
    Redeclared = "redeclared": "the body declares a variable of the same name, so the added declaration would clash",
    PassesDefer = "passes-defer": "the moved defer passes another defer, so the deferred calls would run in another order",
    PassesCommit = "passes-commit": "the moved Rollback would also run after a Commit of a type deferfix does not know",
    LeavesBetween = "leaves-between": "code between the old and new place can leave or jump, and took the deferred call with it before",
    WritesBetween = "writes-between": "code between the old and new place changes what the deferred call reads when the defer runs",
    CalleeTakesValue = "callee-takes-value": "the deferred call does more than call a method of the value, and may be meant for the error path too",
    CustomRollback = "custom-rollback": "the transaction is not database/sql or sqlx, whose Rollback after Commit is a no-op",
    CheckNotPlain = "check-not-plain": "the error check does not only test `err != nil` and always leave",
    InLoop = "in-loop": "the statement is in a loop (or a backward goto), where a new defer would be held until the function returns",
    DeclaredBetween = "declared-between": "the deferred call uses a name declared between the old and the new place",
    UnknownReceiver = "unknown-receiver": "the value comes from a method of a type deferfix does not know, which may return a nil error without a value to release",
    UnknownType = "unknown-type": "nothing shows that the method the fix calls exists on this value",
    InMain = "in-main": "the code is in main.main, where deferred calls do not run on os.Exit",
    EarlierClosure = "earlier-closure": "a defer or closure made earlier reads the value and may run after the new deferred call",
    NotAStatement = "not-a-statement": "the code is not a statement of a block (an if or switch initializer), where no defer can follow it",
    NeedsDeclaration = "needs-declaration": "the fix would need a new variable inside an `=` assignment",
    ChangesBeforeReturn = "changes-before-return": "something the deferred call reads can change between the defer and the return",
    ImpureCall = "impure-call": "an argument calls something that may have effects or see other state when run at return",
    SwallowsPanics = "swallows-panics": "the fix makes recover work, which swallows every panic",
    Reassigned = "reassigned": "the variable is assigned again later, so a defer after the first assignment would release only the first value",
    EvaluatedEarlier = "evaluated-earlier": "the moved expression would be evaluated before the goroutine starts instead of inside it, and what it reads may differ then",
    OuterVariable = "outer-variable": "the value is created in a function literal but held by a variable of the enclosing function, which may use it after the literal returns",
    NoErrorName = "no-error-name": "the function's error result has no name, or is named `_`, and no name for it keeps every `:=` and return compiling and meaning the same",
    ClosedByCallee = "closed-by-callee": "the file, or a value wrapping it, is given to code not known to leave it open (only the standard library is), which may close it itself",
    ResultShadowed = "result-shadowed": "the function's named error result is shadowed where the fix would assign it",
}

/// One reported problem: which rule, where, what, and where its fix stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    /// Byte range in the (normalised) source the finding was made on.
    pub span: Range<usize>,
    pub message: String,
    pub fix: FixState,
}

impl Finding {
    /// The marker `--check` prints after the message: `[fix]`, `[unsafe fix: code: why]`,
    /// `[no fix: code: why]`, nothing for report-only findings.
    pub fn fix_marker(&self) -> String {
        match &self.fix {
            FixState::Safe(_) => " [fix]".to_owned(),
            FixState::Unsafe(_, reason) => {
                format!(
                    " [unsafe fix: {}: {}]",
                    reason.code.as_str(),
                    reason.message
                )
            }
            FixState::NoFix(reason) => {
                format!(" [no fix: {}: {}]", reason.code.as_str(), reason.message)
            }
            FixState::ReportOnly => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ReasonCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{text}"
            );
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn a_fix_is_never_empty_and_its_edits_are_sorted_and_disjoint() {
        assert_eq!(Fix::new("t", Vec::new()), Err(FixError::Empty));
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = Fix::new("t", vec![Edit::replace(5..3, "x")]);
        assert_eq!(reversed, Err(FixError::Reversed { start: 5, end: 3 }));
        let overlapping = Fix::new(
            "t",
            vec![Edit::replace(4..8, "y"), Edit::replace(0..5, "x")],
        );
        assert_eq!(overlapping, Err(FixError::Overlapping { at: 4 }));
        let fix = Fix::new(
            "t",
            vec![
                Edit::insert(4, "b"),
                Edit::replace(0..4, "a"),
                Edit::insert(4, "c"),
            ],
        )
        .unwrap();
        let starts: Vec<_> = fix.edits().iter().map(|edit| edit.range.clone()).collect();
        assert_eq!(starts, [0..4, 4..4, 4..4]);
        assert!(fix.with_edit(Edit::replace(3..5, "z")).is_err());
    }

    #[test]
    fn a_stored_fix_is_checked_when_read_back() {
        let stored = r#"{"title":"t","edits":[{"range":{"start":0,"end":4},"replacement":"x"},{"range":{"start":2,"end":6},"replacement":"y"}]}"#;
        assert!(serde_json::from_str::<Fix>(stored).is_err());
        let fine = r#"{"title":"t","edits":[{"range":{"start":0,"end":4},"replacement":"x"}]}"#;
        assert_eq!(serde_json::from_str::<Fix>(fine).unwrap().edits().len(), 1);
    }

    #[test]
    fn markers_name_the_reason() {
        let fix = Fix::new("t", vec![Edit::insert(0, "x")]).unwrap();
        let reason = Reason::new(ReasonCode::Escapes, "`f` is returned (line 3)");
        let finding = |fix| Finding {
            rule: "r",
            span: 0..1,
            message: "m".into(),
            fix,
        };
        assert_eq!(finding(FixState::Safe(fix.clone())).fix_marker(), " [fix]");
        assert_eq!(
            finding(fix.classified(Some(reason.clone()))).fix_marker(),
            " [unsafe fix: escapes: `f` is returned (line 3)]"
        );
        assert_eq!(
            finding(FixState::NoFix(reason)).fix_marker(),
            " [no fix: escapes: `f` is returned (line 3)]"
        );
        assert_eq!(finding(FixState::ReportOnly).fix_marker(), "");
    }
}
