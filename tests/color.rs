//! `--color`: coloured diffs and findings on a terminal or on request, plain text otherwise, and
//! NO_COLOR honoured.

mod common;

use std::process::Command;

use common::cli::{stdout, tree};

const LEAKY: &str = "package p\n\nimport \"os\"\n\nfunc f(ps []string) {\n\tfor _, p := range ps {\n\t\tfh, err := os.Open(p)\n\t\tif err != nil {\n\t\t\tcontinue\n\t\t}\n\t\tdefer fh.Close()\n\t\t_, _ = fh.Stat()\n\t}\n}\n";

fn run(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tree(&[("a.go", LEAKY.as_bytes())]);
    let output = Command::new(env!("CARGO_BIN_EXE_deferfix"))
        .env("DEFERFIX_NO_CACHE", "1")
        .args(args)
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .envs(env.iter().copied())
        .output()
        .expect("binary runs");
    stdout(&output)
}

/// Removes ANSI SGR sequences (`ESC [ … m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn always_colours_and_only_adds_escapes() {
    for mode in [&[][..], &["--check"][..]] {
        let plain = run(&[mode, &["--color", "never"]].concat(), &[]);
        let coloured = run(&[mode, &["--color", "always"]].concat(), &[]);
        assert!(!plain.contains('\u{1b}'));
        assert!(coloured.contains('\u{1b}'), "{mode:?}");
        assert_eq!(strip_ansi(&coloured), plain, "{mode:?}");
    }
    let diff = run(&["--color", "always"], &[]);
    assert!(diff.contains("\u{1b}[32m+"), "added lines green: {diff:?}");
    assert!(diff.contains("\u{1b}[31m-"), "removed lines red: {diff:?}");
}

#[test]
fn auto_is_plain_when_piped_and_honours_the_environment() {
    assert!(!run(&[], &[]).contains('\u{1b}'));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]).contains('\u{1b}'));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\u{1b}'));
    // Machine formats are never coloured.
    assert!(!run(&["--format", "github", "--color", "always"], &[]).contains('\u{1b}'));
}
