//! Suppression comments end to end: `//deferfix:ignore [rules] reason`, `//nolint:deferfix`,
//! `//nolint:all`, and `--report-unused-ignores`.

mod common;

use common::cli::{deferfix, read, stderr, stdout, tree};

/// A leaky loop with `COMMENT` on the line above the defer and `TRAILING` after it.
fn leaky(comment: &str, trailing: &str) -> String {
    format!(
        "package p\n\nimport \"os\"\n\nfunc readAll(paths []string) error {{\n\tfor _, p := range paths {{\n\t\tf, err := os.Open(p)\n\t\tif err != nil {{\n\t\t\treturn err\n\t\t}}\n{comment}\t\tdefer f.Close(){trailing}\n\t\tif _, err := f.Stat(); err != nil {{\n\t\t\treturn err\n\t\t}}\n\t}}\n\treturn nil\n}}\n"
    )
}

#[test]
fn directives_silence_findings_and_their_fixes() {
    for (comment, trailing) in [
        ("\t\t//deferfix:ignore\n", ""),
        (
            "\t\t//deferfix:ignore defer-in-loop the loop has three elements\n",
            "",
        ),
        ("\t\t//deferfix:ignore tx-rollback,defer-in-loop\n", ""),
        ("", " //deferfix:ignore"),
        ("", " //nolint:deferfix // held on purpose"),
        ("", " //nolint:errcheck,deferfix"),
        ("", " //nolint:all"),
        ("", " //nolint"),
    ] {
        let source = leaky(comment, trailing);
        let dir = tree(&[("a.go", source.as_bytes())]);
        let check = deferfix(dir.path(), &["--check"]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "{comment}{trailing}: {}",
            stdout(&check)
        );
        assert_eq!(stdout(&check), "");
        assert!(
            stderr(&check).contains("0 findings, 1 suppressed"),
            "{}",
            stderr(&check)
        );
        let write = deferfix(dir.path(), &["-w", "--unsafe"]);
        assert_eq!(write.status.code(), Some(0));
        assert_eq!(
            read(dir.path(), "a.go"),
            source.as_bytes(),
            "{comment}{trailing}"
        );
    }
}

#[test]
fn directives_for_other_rules_or_linters_do_not_silence() {
    for (comment, trailing) in [
        ("\t\t//deferfix:ignore tx-rollback\n", ""),
        ("", " //nolint:errcheck"),
        // Directives are written without a space, like `//go:` ones.
        ("\t\t// deferfix:ignore\n", ""),
        // Two lines above is too far.
        ("\t\t//deferfix:ignore\n\n", ""),
    ] {
        let source = leaky(comment, trailing);
        let dir = tree(&[("a.go", source.as_bytes())]);
        let check = deferfix(dir.path(), &["--check"]);
        assert_eq!(check.status.code(), Some(1), "{comment}{trailing}");
        assert!(
            stdout(&check).contains("defer-in-loop"),
            "{}",
            stdout(&check)
        );
    }
}

#[test]
fn unused_ignores_are_reported_on_request() {
    let clean = "package p\n\n//deferfix:ignore defer-in-loop nothing here\nfunc f() {\n\tdefer println() //nolint:deferfix\n}\n\nfunc g() {} //nolint:all\n";
    let dir = tree(&[("a.go", clean.as_bytes())]);
    let quiet = deferfix(dir.path(), &["--check"]);
    assert_eq!(quiet.status.code(), Some(0));
    let report = deferfix(dir.path(), &["--check", "--report-unused-ignores"]);
    assert_eq!(report.status.code(), Some(1));
    assert_eq!(
        stdout(&report),
        "a.go:3:1: unused-ignore: //deferfix:ignore defer-in-loop nothing here silences nothing\n\
         a.go:5:18: unused-ignore: //nolint:deferfix silences nothing\n"
    );
    // A directive for a rule that did not run is not judged.
    let selected = deferfix(
        dir.path(),
        &[
            "--check",
            "--report-unused-ignores",
            "--select",
            "tx-rollback",
        ],
    );
    assert_eq!(
        stdout(&selected),
        "a.go:5:18: unused-ignore: //nolint:deferfix silences nothing\n"
    );
    // A used directive is not reported.
    let used = leaky("\t\t//deferfix:ignore defer-in-loop\n", "");
    let dir = tree(&[("a.go", used.as_bytes())]);
    let report = deferfix(dir.path(), &["--check", "--report-unused-ignores"]);
    assert_eq!(report.status.code(), Some(0), "{}", stdout(&report));
}
