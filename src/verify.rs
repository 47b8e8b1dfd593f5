//! `--verify` (with `--write`): after the fixes are written, every Go package (directory) that
//! changed must still pass `go build` and `go vet` in its module; a package that does not gets its
//! files back byte for byte, and the failure is reported with the rules whose fixes were rolled
//! back. For scheduled bots: what lands in their pull request has been compiled.
//!
//! Each file is replaced atomically (see [`crate::write`]), and until verification has finished
//! every written file is kept in [`Pending`]: an interrupted run (Ctrl-C, SIGTERM) restores them
//! all before it exits, so nothing unverified is left behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, PoisonError};

use crate::report::display_path;
use crate::write::write_atomically;

/// One written file: its original bytes and the rules whose fixes changed it.
pub struct Written {
    pub path: PathBuf,
    pub original: Vec<u8>,
    pub rules: Vec<&'static str>,
    /// How many findings its fixes resolved.
    pub fixed: usize,
}

/// The files written in a `--verify` run and not yet verified, shared with the interrupt handler.
#[derive(Clone)]
pub struct Pending {
    files: Arc<Mutex<Vec<Written>>>,
}

/// The exit code of a run stopped by an interrupt (128 + SIGINT), as shells report it.
const EXIT_INTERRUPTED: i32 = 130;

impl Pending {
    /// Installs the interrupt handler that restores every pending file and exits.
    pub fn install() -> Result<Pending, String> {
        let pending = Pending {
            files: Arc::new(Mutex::new(Vec::new())),
        };
        let handler = pending.clone();
        ctrlc::set_handler(move || {
            let restored = handler.restore_all();
            eprintln!("deferfix: interrupted; restored {restored} unverified file(s)");
            std::process::exit(EXIT_INTERRUPTED);
        })
        .map_err(|err| format!("--verify: cannot install the interrupt handler: {err}"))?;
        Ok(pending)
    }

    /// Writes `contents` over `file.path` and records the original, as one step the interrupt
    /// handler cannot split.
    pub fn write(&self, file: Written, contents: &[u8]) -> std::io::Result<()> {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        write_atomically(&file.path, contents)?;
        files.push(file);
        Ok(())
    }

    /// Verifies the pending files (see [`verify`]) and clears them.
    pub fn verify(&self) -> (Vec<RolledBack>, Vec<String>) {
        let files = {
            let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
            files
                .iter()
                .map(|file| Written {
                    path: file.path.clone(),
                    original: file.original.clone(),
                    rules: file.rules.clone(),
                    fixed: file.fixed,
                })
                .collect()
        };
        let outcome = verify(files);
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        outcome
    }

    fn restore_all(&self) -> usize {
        let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files
            .iter()
            .filter(|file| write_atomically(&file.path, &file.original).is_ok())
            .count()
    }
}

/// A package that failed and was restored.
pub struct RolledBack {
    pub directory: PathBuf,
    pub rules: Vec<&'static str>,
    pub files: usize,
    /// Findings whose fixes were undone.
    pub unfixed: usize,
    /// `go build` or `go vet`, and what it printed.
    pub step: &'static str,
    pub output: String,
}

/// Fails early, with a clear message, when `go` cannot run.
pub fn check_go_available() -> Result<(), String> {
    match Command::new("go").arg("version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(format!(
            "--verify: `go version` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )),
        Err(err) => Err(format!("--verify needs `go` on PATH: {err}")),
    }
}

/// Builds and vets every changed package; restores the files of those that fail. Returns the
/// rolled-back packages, and errors for files that could not be restored.
pub fn verify(written: Vec<Written>) -> (Vec<RolledBack>, Vec<String>) {
    let mut packages: BTreeMap<PathBuf, Vec<Written>> = BTreeMap::new();
    for file in written {
        let directory = file
            .path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        packages.entry(directory).or_default().push(file);
    }
    let mut rolled_back = Vec::new();
    let mut errors = Vec::new();
    for (directory, files) in packages {
        let Some(failure) = check_package(&directory) else {
            continue;
        };
        let mut rules: Vec<&'static str> = Vec::new();
        for file in &files {
            if let Err(err) = write_atomically(&file.path, &file.original) {
                errors.push(format!(
                    "{}: cannot restore after a failed --verify: {err}",
                    display_path(&file.path)
                ));
            }
            for rule in &file.rules {
                if !rules.contains(rule) {
                    rules.push(rule);
                }
            }
        }
        rolled_back.push(RolledBack {
            directory,
            rules,
            files: files.len(),
            unfixed: files.iter().map(|file| file.fixed).sum(),
            step: failure.0,
            output: failure.1,
        });
    }
    (rolled_back, errors)
}

/// `go build` then `go vet` on the package in `directory`, run from the directory itself so the
/// go command finds its module; the failing step and its output, if any.
fn check_package(directory: &Path) -> Option<(&'static str, String)> {
    let directory = if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    };
    for (step, args) in [
        ("go build", &["build", "-o", null_device(), "."][..]),
        ("go vet", &["vet", "."][..]),
    ] {
        let output = Command::new("go")
            .args(args)
            .current_dir(directory)
            .output();
        match output {
            Ok(output) if output.status.success() => {}
            Ok(output) => {
                let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
                text.push_str(&String::from_utf8_lossy(&output.stdout));
                return Some((step, text.trim().to_owned()));
            }
            Err(err) => return Some((step, format!("cannot run go: {err}"))),
        }
    }
    None
}

/// Where `go build -o` discards a main package's binary.
fn null_device() -> &'static str {
    if cfg!(windows) { "NUL" } else { "/dev/null" }
}
