//! `--since REV` in a temporary git repository: only files changed since the merge base count.

mod common;

use common::cli::{deferfix, git, stderr, stdout, tree};

const LEAKY: &str =
    "package p\n\nfunc f(xs []int) {\n\tfor range xs {\n\t\tdefer println()\n\t}\n}\n";

#[test]
fn only_files_changed_since_the_merge_base_are_checked() {
    let dir = tree(&[
        ("old.go", LEAKY.as_bytes()),
        ("edited.go", b"package p\n"),
        ("deleted.go", LEAKY.as_bytes()),
        ("sub/unchanged.go", LEAKY.as_bytes()),
    ]);
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(root.join("edited.go"), LEAKY.replace("f(", "g(")).unwrap();
    git(root, &["commit", "-qam", "edit"]);
    std::fs::remove_file(root.join("deleted.go")).unwrap();
    std::fs::write(root.join("untracked.go"), LEAKY).unwrap();
    // main moves on after the branch point: its changes are not the PR's.
    git(root, &["checkout", "-q", "main"]);
    std::fs::write(root.join("main_only.go"), LEAKY).unwrap();
    git(root, &["add", "main_only.go"]);
    git(root, &["commit", "-q", "-m", "main moves"]);
    git(root, &["checkout", "-q", "feature"]);

    let output = deferfix(root, &["--check", "--since", "main"]);
    let output_text = stdout(&output);
    let listed: Vec<&str> = output_text
        .lines()
        .map(|line| line.split(':').next().unwrap_or(""))
        .collect();
    assert_eq!(listed, vec!["edited.go", "untracked.go"], "{output_text}");
    // Also from a subdirectory, where nothing changed.
    let sub = deferfix(&root.join("sub"), &["--check", "--since", "main"]);
    assert_eq!(sub.status.code(), Some(0), "{}", stdout(&sub));
    assert_eq!(stdout(&sub), "");
}

#[test]
fn outside_a_git_repository_is_a_clear_error() {
    let dir = tree(&[("a.go", LEAKY.as_bytes())]);
    let output = deferfix(dir.path(), &["--since", "main"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--since: git"),
        "{}",
        stderr(&output)
    );
}
