//! `--verify` (with `--write`): after the fixes are written, every Go package (directory) that
//! changed must still pass `go build` and `go vet` in its module, and with `--verify=test` its
//! tests too. When a package fails, its files are restored byte for byte and checked unchanged;
//! then, if it had several fixes, they are re-applied in halves to find the ones that break it
//! ([`bisect`]), and the others are kept. For scheduled bots: what lands in their pull request
//! has been compiled (and tested).
//!
//! Each file is replaced atomically (see [`crate::write`]), and until verification has finished
//! every written file is kept in [`Pending`]: an interrupted run (Ctrl-C, SIGTERM) restores them
//! all before it exits, so nothing unverified is left behind.

mod bisect;
mod go;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

pub use go::{Failure, GoUnavailable, Level, Options, check_go_available};

use crate::engine::FindingKey;
use crate::write::write_atomically;

/// A finding whose fix was written, as `--verify` names and withholds it.
#[derive(Clone, Debug)]
pub struct FixedFinding {
    pub key: FindingKey,
    pub line: usize,
    pub column: usize,
}

/// One written file: its original bytes and what its fixes resolved.
#[derive(Clone)]
pub struct Written {
    pub path: PathBuf,
    pub original: Vec<u8>,
    pub rules: Vec<&'static str>,
    /// The findings whose fixes were applied, on the original text.
    pub findings: Vec<FixedFinding>,
}

/// Recomputes a file's fixed bytes from its original with some findings' fixes withheld (the
/// same settings as the run), for re-applying fixes in halves.
pub trait Refix {
    fn refix(
        &self,
        path: &Path,
        original: &[u8],
        withheld: &[FindingKey],
    ) -> Result<Vec<u8>, String>;
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
    pub fn verify(&self, options: &Options, refix: &dyn Refix) -> Verdict {
        let files = self
            .files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let verdict = verify(files, options, refix);
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        verdict
    }

    fn restore_all(&self) -> usize {
        let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files
            .iter()
            .filter(|file| write_atomically(&file.path, &file.original).is_ok())
            .count()
    }
}

/// What verification did.
#[derive(Default)]
pub struct Verdict {
    /// Packages that failed after the fixes, and what was done about it.
    pub failed: Vec<FailedPackage>,
    /// Files that could not be written back.
    pub errors: Vec<String>,
}

/// A package that failed with all its fixes.
pub struct FailedPackage {
    pub directory: PathBuf,
    /// The failure with every fix applied.
    pub failure: Failure,
    /// The package fails without the fixes too: they could not be verified and were rolled back.
    pub fails_unfixed: bool,
    /// The findings whose fixes were rolled back, each with the failure that it caused (when
    /// the re-applied halves isolated it).
    pub dropped: Vec<(PathBuf, FixedFinding, Failure)>,
    /// Fixes kept after the halves passed.
    pub kept: usize,
    /// Files back to their original bytes.
    pub files_restored: usize,
}

impl FailedPackage {
    /// The rules whose fixes were rolled back, in order of first appearance.
    pub fn rules(&self) -> Vec<&'static str> {
        let mut rules: Vec<&'static str> = Vec::new();
        for (_, finding, _) in &self.dropped {
            if !rules.contains(&finding.key.rule) {
                rules.push(finding.key.rule);
            }
        }
        rules
    }
}

/// Checks every changed package; restores, and bisects, those that fail.
pub fn verify(written: Vec<Written>, options: &Options, refix: &dyn Refix) -> Verdict {
    let mut packages: BTreeMap<PathBuf, Vec<Written>> = BTreeMap::new();
    for file in written {
        let directory = file
            .path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        packages.entry(directory).or_default().push(file);
    }
    let mut verdict = Verdict::default();
    for (directory, files) in packages {
        let Some(failure) = go::check_package(&directory, options) else {
            continue;
        };
        let mut package = PackageFixes {
            directory: &directory,
            files: &files,
            options,
            refix,
            errors: &mut verdict.errors,
        };
        verdict.failed.push(package.repair(failure));
    }
    verdict
}

/// The written files of one package, while they are being repaired.
struct PackageFixes<'a> {
    directory: &'a Path,
    files: &'a [Written],
    options: &'a Options,
    refix: &'a dyn Refix,
    errors: &'a mut Vec<String>,
}

impl PackageFixes<'_> {
    /// Restores the package, checks it unfixed, and keeps what fixes pass.
    fn repair(&mut self, failure: Failure) -> FailedPackage {
        self.restore();
        let candidates: Vec<(usize, &FixedFinding)> = self
            .files
            .iter()
            .enumerate()
            .flat_map(|(file, written)| written.findings.iter().map(move |found| (file, found)))
            .collect();
        let mut package = FailedPackage {
            directory: self.directory.to_owned(),
            failure: failure.clone(),
            fails_unfixed: false,
            dropped: Vec::new(),
            kept: 0,
            files_restored: self.files.len(),
        };
        let files = self.files;
        let drop_all = |package: &mut FailedPackage, failure: &Failure| {
            package.dropped = candidates
                .iter()
                .map(|(file, found)| (files[*file].path.clone(), (*found).clone(), failure.clone()))
                .collect();
        };
        if go::check_package(self.directory, self.options).is_some() {
            package.fails_unfixed = true;
            drop_all(&mut package, &failure);
            return package;
        }
        if candidates.len() <= 1 {
            drop_all(&mut package, &failure);
            return package;
        }
        let mut trial = |kept: &[usize]| {
            self.apply(&candidates, kept);
            go::check_package(self.directory, self.options)
        };
        let (mut kept, dropped) =
            bisect::keep_passing(candidates.len(), failure.clone(), &mut trial);
        kept.sort_unstable();
        self.apply(&candidates, &kept);
        if let Some(still) = go::check_package(self.directory, self.options) {
            // The halves passed alone but not together: keep nothing.
            self.restore();
            drop_all(&mut package, &still);
            return package;
        }
        package.kept = kept.len();
        package.files_restored = (0..self.files.len())
            .filter(|file| !kept.iter().any(|index| candidates[*index].0 == *file))
            .count();
        package.dropped = dropped
            .into_iter()
            .map(|(index, failure)| {
                let (file, found) = candidates[index];
                (self.files[file].path.clone(), found.clone(), failure)
            })
            .collect();
        package
            .dropped
            .sort_by_key(|(path, found, _)| (path.clone(), found.line));
        package
    }

    /// Writes every file back to its original bytes.
    fn restore(&mut self) {
        for file in self.files {
            if let Err(err) = write_atomically(&file.path, &file.original) {
                self.errors.push(format!(
                    "{}: cannot restore after a failed --verify: {err}",
                    crate::report::display_path(&file.path)
                ));
            }
        }
    }

    /// Writes the package with exactly the fixes `kept` (indices into `candidates`) applied.
    /// Every file is computed from its original while all files are original on disk, so the
    /// package index sees the code the findings were made on.
    fn apply(&mut self, candidates: &[(usize, &FixedFinding)], kept: &[usize]) {
        self.restore();
        let mut contents = Vec::new();
        for (file, written) in self.files.iter().enumerate() {
            let withheld: Vec<FindingKey> = candidates
                .iter()
                .enumerate()
                .filter(|(index, (of, _))| *of == file && !kept.contains(index))
                .map(|(_, (_, found))| found.key.clone())
                .collect();
            match self
                .refix
                .refix(&written.path, &written.original, &withheld)
            {
                Ok(bytes) => contents.push(bytes),
                Err(err) => {
                    self.errors.push(err);
                    contents.push(written.original.clone());
                }
            }
        }
        for (written, bytes) in self.files.iter().zip(contents) {
            if bytes != written.original
                && let Err(err) = write_atomically(&written.path, &bytes)
            {
                self.errors.push(format!(
                    "{}: cannot write: {err}",
                    crate::report::display_path(&written.path)
                ));
            }
        }
    }
}
