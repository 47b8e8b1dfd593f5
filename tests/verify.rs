//! `--verify`: a package whose fixed files fail `go build`/`go vet` is restored byte for byte and
//! reported; the other packages keep their fixes. Needs `go` (DEFERFIX_REQUIRE_GO=1 makes its
//! absence a failure).

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

fn deferfix(
    dir: &std::path::Path,
    args: &[&str],
    break_part: Option<&str>,
) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_deferfix"));
    command
        .args(args)
        .current_dir(dir)
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod")
        .env_remove("DEFERFIX_TEST_BREAK_FIXES");
    if let Some(part) = break_part {
        command.env("DEFERFIX_TEST_BREAK_FIXES", part);
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
