//! `--verify`: a package whose fixed files fail `go build`/`go vet` (and, with `--verify=test`,
//! `go test`) is restored byte for byte and reported; its fixes are re-applied in halves so that
//! only the ones that break it are rolled back; the other packages keep their fixes. Needs `go`
//! (DEFERFIX_REQUIRE_GO=1 makes its absence a failure). The fixes are broken on purpose through
//! the test switches of `src/test_hooks.rs`.

mod common;

use std::process::Command;

use common::cli::{read, stderr, tree};

/// `fPKG` names the file so that the test switch can break one package's fix by its line.
const LEAKY: &str = "package PKG\n\nimport \"os\"\n\nfunc ReadAll(paths []string) error {\r\n\tfor _, p := range paths {\r\n\t\tfPKG, err := os.Open(p)\r\n\t\tif err != nil {\r\n\t\t\treturn err\r\n\t\t}\r\n\t\tdefer fPKG.Close()\r\n\t\tif _, err := fPKG.Stat(); err != nil {\r\n\t\t\treturn err\r\n\t\t}\r\n\t}\r\n\treturn nil\r\n}\r\n";

fn module() -> tempfile::TempDir {
    let a = LEAKY.replace("PKG", "a");
    let b = LEAKY.replace("PKG", "b");
    tree(&[
        ("go.mod", b"module example.com/m\n\ngo 1.22\n"),
        ("a/a.go", a.as_bytes()),
        ("b/b.go", b.as_bytes()),
    ])
}

/// Runs deferfix; `break_part` breaks the fixes of findings on lines containing it (by default
/// with a declaration that does not compile).
fn deferfix(
    dir: &std::path::Path,
    args: &[&str],
    break_part: Option<&str>,
) -> std::process::Output {
    deferfix_breaking(dir, args, break_part, None)
}

/// As [`deferfix`], with `declaration` appended by each broken fix instead.
fn deferfix_breaking(
    dir: &std::path::Path,
    args: &[&str],
    break_part: Option<&str>,
    declaration: Option<&str>,
) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_deferfix"));
    command
        .args(args)
        .current_dir(dir)
        .env("DEFERFIX_NO_CACHE", "1")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env_remove("DEFERFIX_TEST_BREAK_FIXES")
        .env_remove("DEFERFIX_TEST_BREAK_WITH");
    if let Some(part) = break_part {
        command.env("DEFERFIX_TEST_BREAK_FIXES", part);
    }
    if let Some(declaration) = declaration {
        command.env("DEFERFIX_TEST_BREAK_WITH", declaration);
    }
    command.output().expect("binary runs")
}

#[test]
fn fixes_that_build_are_kept() {
    if !common::go_available("the --verify tests") {
        return;
    }
    let dir = module();
    let output = deferfix(dir.path(), &["-w", "--verify"], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_ne!(
        read(dir.path(), "a/a.go"),
        LEAKY.replace("PKG", "a").as_bytes()
    );
    assert_ne!(
        read(dir.path(), "b/b.go"),
        LEAKY.replace("PKG", "b").as_bytes()
    );
}

#[test]
fn a_package_that_fails_is_restored_byte_for_byte_and_reported() {
    if !common::go_available("the --verify tests") {
        return;
    }
    let dir = module();
    let output = deferfix(dir.path(), &["-w", "--verify"], Some("defer fa.Close()"));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains(
            "a: go build failed after the fixes; rolled back the fixes of defer-in-loop (1 file)"
        ),
        "{message}"
    );
    assert!(
        message.contains("deferfixTestBreak"),
        "the compiler's message: {message}"
    );
    // a/ is back to its exact bytes (CRLF and all); b/ keeps its fix.
    assert_eq!(
        read(dir.path(), "a/a.go"),
        LEAKY.replace("PKG", "a").as_bytes()
    );
    let b = String::from_utf8(read(dir.path(), "b/b.go")).unwrap();
    assert!(b.contains("func() (bool, error) {"), "{b}");
    assert!(
        message.contains("1 fixed in 1 file") || message.contains("fixed in 1 file"),
        "{message}"
    );
}

#[test]
fn verify_needs_write() {
    let dir = module();
    let output = deferfix(dir.path(), &["--verify"], None);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

/// Package `t`: two leaky functions in two files and a test that fails when a fix sets
/// `brokenByAFix` (which the test switch makes one fix do, while it still builds and vets).
fn tested_module(test_body: &str) -> tempfile::TempDir {
    let leaky = |name: &str, var: &str| {
        LEAKY
            .replace("package PKG", "package t")
            .replace("ReadAll", name)
            .replace("PKG", var)
            .replace("\r\n", "\n")
    };
    let a = format!("{}\nvar brokenByAFix bool\n", leaky("ReadAll", "a"));
    let b = leaky("ReadSome", "b");
    let test = format!(
        "package t\n\nimport \"testing\"\n\nfunc TestNotBroken(t *testing.T) {{\n{test_body}}}\n"
    );
    tree(&[
        ("go.mod", b"module example.com/m\n\ngo 1.22\n"),
        ("t/a.go", a.as_bytes()),
        ("t/b.go", b.as_bytes()),
        ("t/t_test.go", test.as_bytes()),
    ])
}

const FAILS_WHEN_BROKEN: &str =
    "\tif brokenByAFix {\n\t\tt.Fatal(\"a fix broke this test\")\n\t}\n";
const BREAKS_THE_TEST: &str = "func init() { brokenByAFix = true }";

fn go_test_passes(dir: &std::path::Path) -> bool {
    Command::new("go")
        .args(["test", "-count=1", "./..."])
        .current_dir(dir)
        .env("DEFERFIX_NO_CACHE", "1")
        .env("GOTOOLCHAIN", "local")
        .status()
        .is_ok_and(|status| status.success())
}

#[test]
fn only_the_fix_that_breaks_a_test_is_rolled_back() {
    if !common::go_available("the --verify=test tests") {
        return;
    }
    let dir = tested_module(FAILS_WHEN_BROKEN);
    let original_b = read(dir.path(), "t/b.go");
    let output = deferfix_breaking(
        dir.path(),
        &["-w", "--verify=test"],
        Some("defer fb.Close()"),
        Some(BREAKS_THE_TEST),
    );
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains(
            "t: go test failed after the fixes; re-applied them in halves: kept 1, rolled back 1 of defer-in-loop"
        ),
        "{message}"
    );
    assert!(
        message
            .contains("t/b.go:11:3: defer-in-loop: fix rolled back: go test failed: TestNotBroken"),
        "{message}"
    );
    assert!(
        message.contains("a fix broke this test"),
        "go test's output: {message}"
    );
    assert!(message.contains("1 fixed in 1 file"), "{message}");
    // b.go is back to its exact bytes; a.go keeps its fix, without the breaking line.
    assert_eq!(read(dir.path(), "t/b.go"), original_b);
    let a = String::from_utf8(read(dir.path(), "t/a.go")).unwrap();
    assert!(a.contains("func() (bool, error) {"), "{a}");
    assert!(!a.contains("brokenByAFix = true"), "{a}");
    assert!(go_test_passes(dir.path()));
}

#[test]
fn fixes_whose_tests_pass_are_all_kept() {
    if !common::go_available("the --verify=test tests") {
        return;
    }
    let dir = tested_module(FAILS_WHEN_BROKEN);
    let output = deferfix(dir.path(), &["-w", "--verify=test"], None);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for file in ["t/a.go", "t/b.go"] {
        let text = String::from_utf8(read(dir.path(), file)).unwrap();
        assert!(text.contains("func() (bool, error) {"), "{file}: {text}");
    }
}

#[test]
fn build_level_does_not_run_the_tests() {
    if !common::go_available("the --verify tests") {
        return;
    }
    let dir = tested_module(FAILS_WHEN_BROKEN);
    let output = deferfix_breaking(
        dir.path(),
        &["-w", "--verify"],
        Some("defer fb.Close()"),
        Some(BREAKS_THE_TEST),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        !go_test_passes(dir.path()),
        "the broken fix was kept: it builds"
    );
}

#[test]
fn a_package_whose_tests_already_fail_gets_no_fixes() {
    if !common::go_available("the --verify=test tests") {
        return;
    }
    let dir = tested_module("\tt.Fatal(\"fails before any fix\")\n");
    let before = (read(dir.path(), "t/a.go"), read(dir.path(), "t/b.go"));
    let output = deferfix(dir.path(), &["-w", "--verify=test"], None);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(
        message.contains("t: go test fails without the fixes too, so they cannot be verified; rolled back the fixes of defer-in-loop (2 files)"),
        "{message}"
    );
    assert_eq!(
        (read(dir.path(), "t/a.go"), read(dir.path(), "t/b.go")),
        before
    );
}
