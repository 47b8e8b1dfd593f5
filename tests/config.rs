//! `deferfix.toml` end to end: discovery, rule selection, per-rule unsafe fixes, excludes,
//! flags overriding the file, `--show-config`, and errors naming the file, line and key.

mod common;

use common::cli::{deferfix, read, stderr, stdout, tree};

const SAFE_AND_UNSAFE: &str = "package p\n\nimport (\n\t\"os\"\n\t\"sync\"\n)\n\nfunc readAll(paths []string) error {\n\tfor _, p := range paths {\n\t\tf, err := os.Open(p)\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\tdefer f.Close()\n\t\tif _, err := f.Stat(); err != nil {\n\t\t\treturn err\n\t\t}\n\t}\n\treturn nil\n}\n\nfunc lockAll(mus []*sync.Mutex) {\n\tfor _, mu := range mus {\n\t\tmu.Lock()\n\t\tdefer mu.Unlock()\n\t}\n}\n";

const EXIT: &str =
    "package main\n\nimport \"os\"\n\nfunc main() {\n\tdefer println()\n\tos.Exit(1)\n}\n";

#[test]
fn the_nearest_config_selects_rules_and_excludes_files() {
    let dir = tree(&[
        (
            "deferfix.toml",
            b"select = [\"exit-after-defer\"]\nexclude = [\"gen/**\"]\n",
        ),
        ("app/main.go", EXIT.as_bytes()),
        ("app/loops.go", SAFE_AND_UNSAFE.as_bytes()),
        ("gen/main.go", EXIT.as_bytes()),
    ]);
    // Found from a subdirectory, as go.mod is.
    let app = dir.path().join("app");
    let check = deferfix(&app, &["--check"]);
    assert_eq!(stdout(&check).lines().count(), 1, "{}", stdout(&check));
    assert!(stdout(&check).starts_with("main.go:7:2: exit-after-defer:"));
    // gen/ is excluded when walked, but not when named.
    let walked = deferfix(dir.path(), &["--check"]);
    assert!(!stdout(&walked).contains("gen/"), "{}", stdout(&walked));
    let named = deferfix(dir.path(), &["--check", "gen/main.go"]);
    assert!(stdout(&named).contains("gen/main.go"));
    // Flags override the file.
    let flags = deferfix(&app, &["--check", "--select", "defer-in-loop"]);
    assert_eq!(stdout(&flags).lines().count(), 2, "{}", stdout(&flags));
}

#[test]
fn per_rule_unsafe_applies_that_rules_unsafe_fixes() {
    let config = b"[rules.defer-in-loop]\nunsafe = true\n";
    let dir = tree(&[
        ("deferfix.toml", config),
        ("a.go", SAFE_AND_UNSAFE.as_bytes()),
    ]);
    let write = deferfix(dir.path(), &["-w"]);
    assert_eq!(write.status.code(), Some(0), "{}", stderr(&write));
    let fixed = String::from_utf8(read(dir.path(), "a.go")).unwrap();
    assert!(fixed.contains("\t\t\tdefer mu.Unlock()\n"), "{fixed}");
    // Without the config only the safe fix applies and the unsafe finding remains.
    let dir = tree(&[("a.go", SAFE_AND_UNSAFE.as_bytes())]);
    let write = deferfix(dir.path(), &["-w"]);
    assert_eq!(write.status.code(), Some(1));
    let fixed = String::from_utf8(read(dir.path(), "a.go")).unwrap();
    assert!(fixed.contains("\n\t\tdefer mu.Unlock()\n"), "{fixed}");
}

#[test]
fn config_mistakes_exit_2_with_file_line_and_key() {
    let dir = tree(&[
        (
            "deferfix.toml",
            b"select = [\"defer-in-loop\"]\n\n[rules.defer-in-loop]\nunsave = true\n",
        ),
        ("a.go", SAFE_AND_UNSAFE.as_bytes()),
    ]);
    let output = deferfix(dir.path(), &["--check"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("deferfix.toml:4:"), "{message}");
    assert!(message.contains("unsave"), "{message}");
    assert_eq!(stdout(&output), "");
}

#[test]
fn an_explicit_config_and_show_config() {
    let dir = tree(&[
        (
            "ci/strict.toml",
            b"ignore = [\"exit-after-defer\"]\ngo-version = \"1.21\"\n",
        ),
        ("a.go", EXIT.as_bytes()),
    ]);
    let check = deferfix(dir.path(), &["--check", "--config", "ci/strict.toml"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    let shown = stdout(&deferfix(
        dir.path(),
        &["--show-config", "--config", "ci/strict.toml"],
    ));
    assert!(shown.contains("# config file: ci/strict.toml\n"), "{shown}");
    assert!(!shown.contains("exit-after-defer"), "{shown}");
    assert!(shown.contains("go-version = \"1.21\"\n"), "{shown}");
    let missing = deferfix(dir.path(), &["--config", "nope.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("nope.toml: cannot read"));
}
