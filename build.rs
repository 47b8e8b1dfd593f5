//! Gives `deferfix --version` the git commit it was built from, as rustc and cargo print theirs:
//! `deferfix 0.1.0 (2d45bb1bf380 2026-12-01)`. Outside a checkout of this repository (a crates.io
//! package, a wheel's source distribution) it is the bare version. `DEFERFIX_GIT_COMMIT`, when
//! set, is used as the commit instead of asking git (a release built from an exported tree).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-env-changed=DEFERFIX_GIT_COMMIT");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let line = match commit() {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo::rustc-env=DEFERFIX_VERSION_LINE={line}");
}

/// `hash date` of HEAD, or None when this is not built from a git checkout of this crate.
fn commit() -> Option<String> {
    if let Ok(commit) = std::env::var("DEFERFIX_GIT_COMMIT")
        && !commit.is_empty()
    {
        return Some(commit);
    }
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
    // A crate unpacked inside some other repository must not report that repository's commit.
    let toplevel = git(&manifest_dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&toplevel).canonicalize().ok()? != Path::new(&manifest_dir).canonicalize().ok()? {
        return None;
    }
    rerun_when_head_moves(&manifest_dir);
    git(
        &manifest_dir,
        &[
            "log",
            "-1",
            "--abbrev=12",
            "--date=short",
            "--format=%h %cd",
        ],
    )
}

/// Cargo re-runs this script when HEAD moves: HEAD itself, its reflog (written on every commit,
/// checkout and reset, also when the branch ref is only in packed-refs and a commit creates the
/// loose ref afresh), the branch's loose ref, packed-refs, and a reftable repository's table list.
/// Only files that exist are named: cargo re-runs a script on every build for a missing one.
fn rerun_when_head_moves(dir: &str) {
    let (Some(git_dir), Some(common_dir)) = (
        git(dir, &["rev-parse", "--absolute-git-dir"]),
        // Relative to `dir` (older git has no --path-format=absolute).
        git(dir, &["rev-parse", "--git-common-dir"]),
    ) else {
        return;
    };
    let git_dir = Path::new(&git_dir);
    let common_dir = Path::new(dir).join(common_dir);
    let mut watched = vec![
        git_dir.join("HEAD"),
        git_dir.join("logs/HEAD"),
        common_dir.join("packed-refs"),
        common_dir.join("reftable/tables.list"),
    ];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watched.push(common_dir.join(branch));
    }
    for path in watched.iter().filter(|path| path.is_file()) {
        println!("cargo::rerun-if-changed={}", path.display());
    }
}

fn git(dir: &str, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}
