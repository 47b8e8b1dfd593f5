//! `--since REV`: only the Go files changed between the merge base of REV and the working tree
//! (committed, staged, unstaged and untracked changes; deleted files left out), so a pull-request
//! check looks at what the pull request touched. Asks `git`, as reviewers' tools do.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Canonical paths of the changed `.go` files that still exist.
pub fn changed_go_files(rev: &str) -> Result<HashSet<PathBuf>, SinceError> {
    let root = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let base = git(&["merge-base", rev, "HEAD"])?;
    let base = base.trim();
    let changed = git(&[
        "diff",
        "--name-only",
        "--no-renames",
        "--diff-filter=d",
        base,
    ])?;
    let untracked = git(&["ls-files", "--others", "--exclude-standard", "--full-name"])?;
    Ok(changed
        .lines()
        .chain(untracked.lines())
        .filter(|name| name.ends_with(".go"))
        .filter_map(|name| std::fs::canonicalize(root.join(name)).ok())
        .collect())
}

/// Whether a candidate (relative to the working directory, or absolute) is one of `changed`.
pub fn is_changed(path: &Path, changed: &HashSet<PathBuf>) -> bool {
    std::fs::canonicalize(path).is_ok_and(|absolute| changed.contains(&absolute))
}

/// Why `--since` cannot tell which files changed.
#[derive(Debug, thiserror::Error)]
pub enum SinceError {
    #[error("--since needs git: {0}")]
    NoGit(std::io::Error),
    #[error("--since: git {command} failed: {stderr}")]
    GitFailed { command: String, stderr: String },
}

fn git(args: &[&str]) -> Result<String, SinceError> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(SinceError::NoGit)?;
    if !output.status.success() {
        return Err(SinceError::GitFailed {
            command: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
