//! The GitHub Action's shell (.github/action/run.sh), given its inputs as environment variables
//! the way action.yml passes them, on a temporary git repository: exit codes, the `exit-code` and
//! `findings` outputs, and the job summary, as the README documents them.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::cli::{git, stdout, tree};

/// One defer-in-loop finding.
const LEAKY: &str =
    "package p\n\nfunc f(xs []int) {\n\tfor range xs {\n\t\tdefer println()\n\t}\n}\n";

/// A repository whose base commit is clean and whose head adds the leaky file; returns the base.
fn repository_with_one_finding() -> (tempfile::TempDir, String) {
    let dir = tree(&[
        ("go.mod", b"module m\n\ngo 1.22\n"),
        ("ok.go", b"package p\n"),
    ]);
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    let base = git(root, &["rev-parse", "HEAD"]);
    std::fs::write(root.join("leaky.go"), LEAKY).unwrap();
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "leak"]);
    (dir, base)
}

struct ActionRun {
    status: Option<i32>,
    stdout: String,
    outputs: String,
    summary: String,
}

/// Runs the action's script in `dir` with `inputs` as `INPUT_*` variables.
fn run_action(dir: &Path, inputs: &[(&str, &str)]) -> ActionRun {
    run_action_with(dir, inputs, Path::new(env!("CARGO_BIN_EXE_deferfix")))
}

fn run_action_with(dir: &Path, inputs: &[(&str, &str)], deferfix: &Path) -> ActionRun {
    let files = tempfile::tempdir().unwrap();
    let outputs = files.path().join("output");
    let summary = files.path().join("summary");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/action/run.sh");
    let mut command = Command::new("bash");
    command
        .arg(script)
        .current_dir(dir)
        .env("DEFERFIX", deferfix)
        .env("DEFERFIX_NO_CACHE", "1")
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", files.path());
    for (name, value) in inputs {
        command.env(format!("INPUT_{name}"), value);
    }
    let output: Output = command.output().expect("bash runs");
    ActionRun {
        status: output.status.code(),
        stdout: stdout(&output),
        outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

#[test]
fn a_finding_fails_the_step_with_annotations_and_outputs() {
    let (dir, base) = repository_with_one_finding();
    let run = run_action(dir.path(), &[("SINCE", &base)]);
    assert_eq!(run.status, Some(1), "stdout: {}", run.stdout);
    assert_eq!(run.outputs, "exit-code=1\nfindings=1\n");
    assert!(
        run.stdout.starts_with("::warning file=leaky.go,line=5,")
            || run.stdout.starts_with("::error file=leaky.go,line=5,"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("| `defer-in-loop` | 1 |"),
        "{}",
        run.summary
    );
}

#[test]
fn fail_on_findings_false_passes_and_still_reports_the_exit_code() {
    let (dir, base) = repository_with_one_finding();
    let run = run_action(
        dir.path(),
        &[("SINCE", &base), ("FAIL_ON_FINDINGS", "false")],
    );
    assert_eq!(run.status, Some(0));
    assert_eq!(run.outputs, "exit-code=1\nfindings=1\n");
}

#[test]
fn since_leaves_out_the_files_the_change_did_not_touch() {
    let (dir, _) = repository_with_one_finding();
    // Nothing changed since HEAD: the leaky file is not the change's.
    let run = run_action(dir.path(), &[("SINCE", "HEAD")]);
    assert_eq!(run.status, Some(0), "stdout: {}", run.stdout);
    assert_eq!(run.outputs, "exit-code=0\nfindings=0\n");
    assert_eq!(run.stdout, "");
}

#[test]
fn without_since_every_file_is_checked_and_args_pass_through() {
    let (dir, _) = repository_with_one_finding();
    let run = run_action(
        dir.path(),
        &[("ARGS", "--select defer-in-loop ."), ("FORMAT", "json")],
    );
    assert_eq!(run.status, Some(1));
    assert_eq!(run.outputs, "exit-code=1\nfindings=1\n");
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        document.is_object() || document.is_array(),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("defer-in-loop"));
}

#[test]
fn an_error_fails_the_step_even_with_fail_on_findings_false() {
    let (dir, _) = repository_with_one_finding();
    let run = run_action(
        dir.path(),
        &[("FORMAT", "no-such-format"), ("FAIL_ON_FINDINGS", "false")],
    );
    assert_eq!(run.status, Some(2));
    assert_eq!(run.outputs, "exit-code=2\nfindings=\n");
}

#[test]
fn a_bad_fail_on_findings_value_is_refused() {
    let (dir, _) = repository_with_one_finding();
    let run = run_action(dir.path(), &[("FAIL_ON_FINDINGS", "yes")]);
    assert_eq!(run.status, Some(2));
    assert_eq!(run.outputs, "");
}

#[test]
fn output_file_takes_the_findings_out_of_the_log() {
    let (dir, _) = repository_with_one_finding();
    let run = run_action(
        dir.path(),
        &[("FORMAT", "rdjson"), ("OUTPUT_FILE", "deferfix.rdjson")],
    );
    assert_eq!(run.status, Some(1));
    assert_eq!(run.stdout, "");
    assert_eq!(run.outputs, "exit-code=1\nfindings=1\n");
    let written = std::fs::read_to_string(dir.path().join("deferfix.rdjson")).unwrap();
    let document: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(document["source"]["name"], "deferfix", "{written}");
    assert_eq!(document["diagnostics"].as_array().map(Vec::len), Some(1));
}

#[test]
fn args_on_several_lines_are_all_passed() {
    let (dir, _) = repository_with_one_finding();
    // An `args: |` block: one argument per line; the finding is in the second.
    let run = run_action(dir.path(), &[("ARGS", "ok.go\nleaky.go\n")]);
    assert_eq!(run.status, Some(1), "stdout: {}", run.stdout);
    assert_eq!(run.outputs, "exit-code=1\nfindings=1\n");
}

#[test]
fn an_output_file_that_cannot_be_written_is_an_error_not_a_finding() {
    let (dir, _) = repository_with_one_finding();
    std::fs::create_dir(dir.path().join("taken")).unwrap();
    let run = run_action(
        dir.path(),
        &[("OUTPUT_FILE", "taken"), ("FAIL_ON_FINDINGS", "false")],
    );
    assert_eq!(run.status, Some(2));
    assert_eq!(run.outputs, "exit-code=2\nfindings=\n");
}

#[test]
fn an_output_file_in_a_new_directory_is_written() {
    let (dir, _) = repository_with_one_finding();
    let run = run_action(
        dir.path(),
        &[
            ("FORMAT", "sarif"),
            ("OUTPUT_FILE", "reports/deferfix.sarif"),
        ],
    );
    assert_eq!(run.status, Some(1));
    let written = std::fs::read_to_string(dir.path().join("reports/deferfix.sarif")).unwrap();
    assert!(written.contains("\"version\": \"2.1.0\""), "{written}");
}

#[test]
fn a_missing_deferfix_is_an_error() {
    let (dir, _) = repository_with_one_finding();
    let missing = dir.path().join("no-such-deferfix");
    let run = run_action_with(dir.path(), &[], &missing);
    assert_eq!(run.status, Some(2));
    assert_eq!(run.outputs, "exit-code=2\nfindings=\n");
}
