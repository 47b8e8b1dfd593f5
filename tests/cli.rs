//! End-to-end tests of the `deferfix` binary: modes, exit codes, stdin, `git apply`, idempotence,
//! file safety (syntax errors, non-UTF-8, CRLF/BOM), walking rules and determinism.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::cli::{deferfix, read, stderr, stdout, tree};

const LEAKY: &str = "package p

import \"os\"

func readAll(paths []string) error {
\tfor _, p := range paths {
\t\tf, err := os.Open(p)
\t\tif err != nil {
\t\t\treturn err
\t\t}
\t\tdefer f.Close()
\t\tif _, err := f.Stat(); err != nil {
\t\t\treturn err
\t\t}
\t}
\treturn nil
}
";

const LOCK_ALL: &str = "package p

import \"sync\"

func lockAll(mus []*sync.Mutex) {
\tfor _, mu := range mus {
\t\tmu.Lock()
\t\tdefer mu.Unlock()
\t}
}
";

const CLEAN: &str = "package p\n\nfunc f() {\n\tdefer println()\n}\n";

#[test]
fn dry_run_prints_a_diff_changes_nothing_and_exits_1() {
    let dir = tree(&[("a.go", LEAKY.as_bytes()), ("clean.go", CLEAN.as_bytes())]);
    let output = deferfix(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let diff = stdout(&output);
    assert!(
        diff.starts_with("--- a/a.go\n+++ b/a.go\n@@ -4,13 +4,19 @@"),
        "{diff}"
    );
    assert!(
        diff.contains("+\t\tret, r0 := func() (bool, error) {"),
        "{diff}"
    );
    assert_eq!(read(dir.path(), "a.go"), LEAKY.as_bytes());
    let summary = stderr(&output);
    assert!(
        summary.contains("2 files scanned, 1 finding (defer-in-loop: 1), 1 fixable"),
        "{summary}"
    );
}

#[test]
fn nothing_found_exits_0_with_empty_stdout() {
    let dir = tree(&[("clean.go", CLEAN.as_bytes())]);
    let output = deferfix(dir.path(), &["./..."]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}

#[test]
fn diff_applies_with_git_apply_and_matches_write() {
    let dir = tree(&[("pkg/a.go", LEAKY.as_bytes()), ("b.go", LEAKY.as_bytes())]);
    let diff = stdout(&deferfix(dir.path(), &["./..."]));
    let applied = tree(&[("pkg/a.go", LEAKY.as_bytes()), ("b.go", LEAKY.as_bytes())]);
    let mut git = Command::new("git")
        .args(["apply", "-"])
        .current_dir(applied.path())
        .stdin(Stdio::piped())
        .spawn()
        .expect("git is installed");
    git.stdin
        .take()
        .unwrap()
        .write_all(diff.as_bytes())
        .unwrap();
    assert!(git.wait().unwrap().success(), "git apply rejected:\n{diff}");

    let output = deferfix(dir.path(), &["-w", "."]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for name in ["pkg/a.go", "b.go"] {
        assert_eq!(read(dir.path(), name), read(applied.path(), name), "{name}");
        assert_ne!(read(dir.path(), name), LEAKY.as_bytes());
    }
}

#[test]
fn write_is_idempotent() {
    let dir = tree(&[("a.go", LEAKY.as_bytes())]);
    assert_eq!(deferfix(dir.path(), &["-w"]).status.code(), Some(0));
    let once = read(dir.path(), "a.go");
    let second = deferfix(dir.path(), &["-w"]);
    assert_eq!(second.status.code(), Some(0));
    assert_eq!(read(dir.path(), "a.go"), once);
    let dry = deferfix(dir.path(), &[]);
    assert!(stdout(&dry).is_empty());
    assert_eq!(dry.status.code(), Some(0));
}

#[test]
fn check_prints_findings_with_fix_markers() {
    let dir = tree(&[("a.go", LEAKY.as_bytes()), ("lock.go", LOCK_ALL.as_bytes())]);
    let output = deferfix(dir.path(), &["--check"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "a.go:11:3: defer-in-loop: defer f.Close() in a loop runs when the function returns, not at the end of each iteration [fix]\n\
         lock.go:8:3: defer-in-loop: defer mu.Unlock() in a loop runs when the function returns, not at the end of each iteration [unsafe fix: not-a-release: `mu.Unlock()` does more than release a resource, and code after the loop may rely on it running when the function returns]\n"
    );
    assert_eq!(read(dir.path(), "a.go"), LEAKY.as_bytes());
}

#[test]
fn unsafe_fixes_need_the_flag_and_leave_exit_1_after_write() {
    let dir = tree(&[("lock.go", LOCK_ALL.as_bytes())]);
    let output = deferfix(dir.path(), &["-w"]);
    assert_eq!(output.status.code(), Some(1), "an unfixed finding remains");
    assert_eq!(read(dir.path(), "lock.go"), LOCK_ALL.as_bytes());
    assert!(
        stderr(&output).contains("1 more with --unsafe"),
        "{}",
        stderr(&output)
    );

    let output = deferfix(dir.path(), &["-w", "--unsafe"]);
    assert_eq!(output.status.code(), Some(0));
    assert_ne!(read(dir.path(), "lock.go"), LOCK_ALL.as_bytes());
}

#[test]
fn list_prints_paths_that_would_change() {
    let dir = tree(&[
        ("b.go", LEAKY.as_bytes()),
        ("a.go", LEAKY.as_bytes()),
        ("c.go", CLEAN.as_bytes()),
    ]);
    let output = deferfix(dir.path(), &["-l"]);
    assert_eq!(stdout(&output), "a.go\nb.go\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(read(dir.path(), "a.go"), LEAKY.as_bytes());
}

/// Runs `deferfix ARGS -` in an empty directory with `input` on stdin.
fn deferfix_stdin(input: &str, args: &[&str]) -> Output {
    common::cli::deferfix_stdin(tree(&[]).path(), input, args)
}

#[test]
fn stdin_mode_passes_clean_source_through() {
    // An editor pipes every buffer through deferfix: a clean one must come back unchanged.
    let output = deferfix_stdin(CLEAN, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), CLEAN);
    let output = deferfix_stdin(CLEAN, &["--check"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "");
}

#[test]
fn stdin_mode_writes_fixed_source() {
    let output = deferfix_stdin(LEAKY, &[]);
    assert_eq!(output.status.code(), Some(0));
    let fixed = stdout(&output);
    assert!(fixed.contains("\t\t\tdefer f.Close()\n"), "{fixed}");
    // The same text as -w produces.
    let dir = tree(&[("a.go", LEAKY.as_bytes())]);
    deferfix(dir.path(), &["-w"]);
    assert_eq!(read(dir.path(), "a.go"), fixed.as_bytes());
}

#[test]
fn stdin_mode_goes_through_every_format() {
    let json = deferfix_stdin(LEAKY, &["--format", "json"]);
    assert_eq!(json.status.code(), Some(1), "{}", stderr(&json));
    let document: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(document["findings"][0]["path"], "<stdin>");
    assert_eq!(document["findings"][0]["fix_state"], "safe");
    let rdjson = deferfix_stdin(LEAKY, &["--format", "rdjson"]);
    let document: serde_json::Value = serde_json::from_str(&stdout(&rdjson)).unwrap();
    assert_eq!(document["diagnostics"][0]["location"]["path"], "<stdin>");
    let github = deferfix_stdin(LEAKY, &["--format", "github"]);
    assert!(stdout(&github).starts_with("::warning file=<stdin>,line="));
    // -l names standard input as the file that would change.
    let list = deferfix_stdin(LEAKY, &["-l"]);
    assert_eq!(stdout(&list), "<stdin>\n");
    // And a clean buffer gives an empty document, not the source.
    let clean = deferfix_stdin(CLEAN, &["--format", "json"]);
    assert_eq!(clean.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_str(&stdout(&clean)).unwrap();
    assert_eq!(document["findings"], serde_json::json!([]));
}

#[test]
fn stdin_cannot_be_written_in_place() {
    let output = deferfix_stdin(LEAKY, &["-w"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("-w cannot be used with standard input"));
    assert_eq!(stdout(&output), "");
}

#[test]
fn broken_files_are_reported_and_left_untouched_while_others_are_fixed() {
    let broken = "package p\n\nfunc f() {\n\tfor {\n\t\tdefer g(\n\t}\n}\n";
    let latin1: &[u8] = b"package p\n\n// caf\xe9\nfunc f() {\n\tfor {\n\t\tdefer g()\n\t}\n}\n";
    let dir = tree(&[
        ("broken.go", broken.as_bytes()),
        ("latin1.go", latin1),
        ("ok.go", LEAKY.as_bytes()),
    ]);
    let output = deferfix(dir.path(), &["-w"]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(errors.contains("broken.go:5:10: syntax error"), "{errors}");
    assert!(
        errors.contains("latin1.go:3:1: file is not valid UTF-8"),
        "{errors}"
    );
    assert_eq!(read(dir.path(), "broken.go"), broken.as_bytes());
    assert_eq!(read(dir.path(), "latin1.go"), latin1);
    assert_ne!(
        read(dir.path(), "ok.go"),
        LEAKY.as_bytes(),
        "the good file is still fixed"
    );
}

#[test]
fn crlf_and_bom_survive_a_write() {
    let crlf = format!("\u{feff}{}", LEAKY.replace('\n', "\r\n"));
    let dir = tree(&[("a.go", crlf.as_bytes())]);
    assert_eq!(deferfix(dir.path(), &["-w"]).status.code(), Some(0));
    let written = String::from_utf8(read(dir.path(), "a.go")).unwrap();
    assert!(written.starts_with('\u{feff}'));
    assert_eq!(
        written.matches('\n').count(),
        written.matches("\r\n").count(),
        "every line ends in CRLF"
    );
    let lf = tree(&[("a.go", LEAKY.as_bytes())]);
    deferfix(lf.path(), &["-w"]);
    let expected = String::from_utf8(read(lf.path(), "a.go"))
        .unwrap()
        .replace('\n', "\r\n");
    assert_eq!(written.trim_start_matches('\u{feff}'), expected);
}

#[test]
fn walking_skips_vendor_testdata_hidden_and_generated_files() {
    let generated = format!("// Code generated by hand. DO NOT EDIT.\n\n{LEAKY}");
    let dir = tree(&[
        ("vendor/v.go", LEAKY.as_bytes()),
        ("testdata/t.go", LEAKY.as_bytes()),
        (".git/x.go", LEAKY.as_bytes()),
        ("gen.go", generated.as_bytes()),
        ("sub/real.go", LEAKY.as_bytes()),
    ]);
    let output = deferfix(dir.path(), &["-l", "./..."]);
    assert_eq!(stdout(&output), "sub/real.go\n");
    let with_generated = deferfix(dir.path(), &["-l", "--include-generated", "./..."]);
    assert_eq!(stdout(&with_generated), "gen.go\nsub/real.go\n");
    let explicit = deferfix(dir.path(), &["-l", "gen.go", "vendor/v.go"]);
    assert_eq!(stdout(&explicit), "gen.go\nvendor/v.go\n");
}

#[test]
fn rule_selection_and_docs() {
    let dir = tree(&[("a.go", LEAKY.as_bytes())]);
    let ignored = deferfix(dir.path(), &["--ignore", "defer-in-loop"]);
    assert_eq!(ignored.status.code(), Some(0));
    assert!(stdout(&ignored).is_empty());
    let unknown = deferfix(dir.path(), &["--select", "no-such-rule"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown rule \"no-such-rule\""));
    let rules = deferfix(dir.path(), &["--list-rules"]);
    let listing = stdout(&rules);
    assert!(listing.starts_with("defer-in-loop "));
    assert_eq!(listing.lines().count(), deferfix::transforms::RULES.len());
    // Summaries start in one column, however long the rule ids are.
    let summary_columns: std::collections::HashSet<usize> = listing
        .lines()
        .map(|line| {
            let id_end = line.find(' ').unwrap_or(0);
            line.len() - line[id_end..].trim_start().len()
        })
        .collect();
    assert_eq!(summary_columns.len(), 1, "{listing}");
    let explain = deferfix(dir.path(), &["--explain", "defer-in-loop"]);
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Fix safety",
    ] {
        assert!(stdout(&explain).contains(section), "missing {section}");
    }
    let missing = deferfix(dir.path(), &["does-not-exist"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let files: Vec<(String, &[u8])> = (0..40)
        .map(|n| {
            (
                format!("d{}/f{n}.go", n % 7),
                if n % 3 == 0 {
                    LOCK_ALL.as_bytes()
                } else {
                    LEAKY.as_bytes()
                },
            )
        })
        .collect();
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(name, text)| (name.as_str(), *text))
        .collect();
    let dir = tree(&files);
    let one = deferfix(dir.path(), &["-j", "1", "--check", "--unsafe"]);
    let many = deferfix(dir.path(), &["-j", "8", "--check", "--unsafe"]);
    assert_eq!(stdout(&one), stdout(&many));
    let diff_one = deferfix(dir.path(), &["-j", "1", "--unsafe"]);
    let diff_many = deferfix(dir.path(), &["-j", "8", "--unsafe"]);
    assert_eq!(stdout(&diff_one), stdout(&diff_many));
    assert!(!stdout(&diff_one).is_empty());
}

const CAPTURE: &str = "package p

func run(items []int, use func(int)) {
\tfor _, v := range items {
\t\tgo func() { use(v) }()
\t}
}
";

#[test]
fn the_module_go_version_decides_loop_var_capture() {
    let old = tree(&[
        ("go.mod", b"module m\n\ngo 1.21\n"),
        ("p/a.go", CAPTURE.as_bytes()),
    ]);
    let output = deferfix(old.path(), &["--check", "./..."]);
    assert!(
        stdout(&output)
            .contains("p/a.go:5:19: loop-var-capture: loop variable v is captured by a goroutine"),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("(this file is Go 1.21) [fix]"));
    let overridden = deferfix(old.path(), &["--check", "--go-version", "1.22"]);
    assert_eq!(overridden.status.code(), Some(0), "{}", stdout(&overridden));

    let new = tree(&[
        ("go.mod", b"module m\n\ngo 1.22.1\n"),
        ("a.go", CAPTURE.as_bytes()),
    ]);
    assert_eq!(deferfix(new.path(), &["--check"]).status.code(), Some(0));

    let none = tree(&[("a.go", CAPTURE.as_bytes())]);
    let output = deferfix(none.path(), &["-w"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        String::from_utf8(read(none.path(), "a.go"))
            .unwrap()
            .contains("\t\tv := v\n\t\tgo func()")
    );

    let bad_flag = deferfix(old.path(), &["--go-version", "one"]);
    assert_eq!(bad_flag.status.code(), Some(2));
}

#[test]
fn a_malformed_go_mod_is_reported_with_its_line() {
    let dir = tree(&[
        ("go.mod", b"module m\n\ngo banana\n"),
        ("a.go", CAPTURE.as_bytes()),
    ]);
    let output = deferfix(dir.path(), &["--check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("go.mod:3: malformed go directive \"banana\""),
        "{}",
        stderr(&output)
    );
    // The file then counts as having no go.mod: older than Go 1.22.
    assert!(stdout(&output).contains("no usable go.mod found, treated as older than Go 1.22"));
}

#[test]
fn pre_commit_hook_entries_run_on_named_files() {
    // pre-commit runs `entry` with the staged file names appended.
    let hooks =
        std::fs::read_to_string(common::repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    let entries: Vec<&str> = hooks
        .lines()
        .filter_map(|line| line.trim().strip_prefix("entry: "))
        .collect();
    assert_eq!(entries.len(), 2);
    for entry in entries {
        let mut words = entry.split_whitespace();
        assert_eq!(words.next(), Some("deferfix"));
        let mut args: Vec<&str> = words.collect();
        let dir = tree(&[("a.go", LEAKY.as_bytes()), ("b.go", CLEAN.as_bytes())]);
        args.extend(["a.go", "b.go"]);
        let output = deferfix(dir.path(), &args);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{entry}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("2 files scanned"),
            "{entry}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn quiet_drops_the_summary_and_piped_runs_draw_no_progress() {
    let dir = tree(&[("a.go", LEAKY.as_bytes())]);
    let normal = deferfix(dir.path(), &["--check"]);
    assert!(stderr(&normal).starts_with("deferfix: 1 file scanned"));
    // stderr is a pipe here: no progress bar (it redraws with carriage returns).
    assert!(!stderr(&normal).contains('\r'));
    let quiet = deferfix(dir.path(), &["--check", "-q"]);
    assert_eq!(stderr(&quiet), "");
    assert_eq!(stdout(&quiet), stdout(&normal));
    assert_eq!(quiet.status.code(), normal.status.code());
}

#[test]
fn statistics_count_findings_by_fix_state_and_reason() {
    let dir = tree(&[("a.go", LEAKY.as_bytes()), ("lock.go", LOCK_ALL.as_bytes())]);
    let output = deferfix(dir.path(), &["--statistics"]);
    assert_eq!(output.status.code(), Some(1), "findings exist");
    assert_eq!(
        stdout(&output),
        "defer-in-loop      2 findings      1 safe      1 unsafe      0 no fix      0 report only\n\
         \x20     1  unsafe  not-a-release\n"
    );
    // Nothing is written, and no diff is printed.
    assert_eq!(read(dir.path(), "a.go"), LEAKY.as_bytes());
    let machine = deferfix(dir.path(), &["--statistics", "--format", "json"]);
    assert_eq!(
        machine.status.code(),
        Some(2),
        "a table is not a machine format"
    );
}

#[test]
fn explain_lists_the_reason_codes_of_the_rule() {
    let dir = tree(&[]);
    let output = deferfix(dir.path(), &["--explain", "defer-in-loop"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let codes = text
        .split("## Reason codes\n")
        .nth(1)
        .expect("a reason-code list after the README");
    for code in deferfix::transforms::find("defer-in-loop").unwrap().reasons {
        assert!(
            codes.contains(&format!("- `{}`: ", code.as_str())),
            "{} missing from:\n{codes}",
            code.as_str()
        );
    }
    let report_only = stdout(&deferfix(dir.path(), &["--explain", "exit-after-defer"]));
    assert!(!report_only.contains("## Reason codes"));
}

#[test]
fn version_names_the_crate_version_and_the_commit_of_a_checkout() {
    let output = common::cli::binary().arg("--version").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let line = stdout(&output);
    let version = concat!("deferfix ", env!("CARGO_PKG_VERSION"));
    let manifest_dir = env!("CARGO_MANIFEST_DIR");
    let head = Command::new("git")
        .args([
            "-C",
            manifest_dir,
            "log",
            "-1",
            "--abbrev=12",
            "--date=short",
        ])
        .arg("--format=%h %cd")
        .output()
        .ok()
        .filter(|head| head.status.success());
    let toplevel = Command::new("git")
        .args(["-C", manifest_dir, "rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    let in_checkout = toplevel.is_some_and(|dir| {
        std::fs::canonicalize(dir).ok() == std::fs::canonicalize(manifest_dir).ok()
    });
    match head {
        // Built from this checkout: the commit the build saw is HEAD's (build.rs re-runs when
        // HEAD moves).
        Some(head) if in_checkout => {
            let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
            assert_eq!(line, format!("{version} ({head})\n"));
        }
        _ => assert_eq!(line, format!("{version}\n")),
    }
}
