//! Finding the Go files to process, the way the go tool would: `.gitignore`/`.ignore` honoured,
//! hidden, `_`-prefixed, `vendor` and `testdata` directories skipped, output sorted.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

/// A file to process and whether the user named it explicitly (then it is never skipped).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    pub explicit: bool,
}

/// A path argument that could not be walked.
#[derive(Debug)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// Turns `./...`, `dir/...` into the directory they name (Go package-pattern spelling).
pub fn normalize_argument(argument: &str) -> PathBuf {
    let trimmed = argument
        .strip_suffix("/...")
        .or_else(|| (argument == "...").then_some("."));
    PathBuf::from(
        trimmed
            .map(|dir| if dir.is_empty() { "." } else { dir })
            .unwrap_or(argument),
    )
}

fn skipped_dir_name(name: &str) -> bool {
    name == "vendor" || name == "testdata" || name.starts_with('.') || name.starts_with('_')
}

/// Every `.go` file under the arguments, sorted by path and deduplicated.
pub fn collect(arguments: &[String], threads: usize) -> (Vec<Candidate>, Vec<WalkError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for argument in arguments {
        let path = normalize_argument(argument);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => files.push(Candidate {
                path: clean(&path),
                explicit: true,
            }),
            Ok(_) => {
                let (found, walk_errors) = walk_directory(&path, threads);
                files.extend(found.into_iter().map(|path| Candidate {
                    path,
                    explicit: false,
                }));
                errors.extend(walk_errors);
            }
            Err(err) => errors.push(WalkError {
                path: path.clone(),
                message: err.to_string(),
            }),
        }
    }
    files.sort();
    // An explicit mention sorts after the walked copy of the same path; keep the explicit one.
    files.dedup_by(|later, earlier| {
        if later.path == earlier.path {
            earlier.explicit |= later.explicit;
            true
        } else {
            false
        }
    });
    (files, errors)
}

/// `./a/b.go` → `a/b.go`, and an absolute path inside the working directory → relative, so
/// printed paths are the ones `git apply` expects from where deferfix ran.
fn clean(path: &Path) -> PathBuf {
    if path.is_absolute()
        && let Ok(cwd) = std::env::current_dir()
        && let Ok(relative) = path.strip_prefix(&cwd)
        && !relative.as_os_str().is_empty()
    {
        return relative.to_path_buf();
    }
    let mut cleaned: PathBuf = path
        .components()
        .filter(|part| *part != std::path::Component::CurDir)
        .collect();
    if cleaned.as_os_str().is_empty() {
        cleaned = PathBuf::from(".");
    }
    cleaned
}

fn walk_directory(root: &Path, threads: usize) -> (Vec<PathBuf>, Vec<WalkError>) {
    let found = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    let walker = WalkBuilder::new(root)
        .hidden(true)
        .parents(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .threads(threads)
        .filter_entry(|entry| {
            entry.depth() == 0
                || !entry.file_type().is_some_and(|kind| kind.is_dir())
                || !skipped_dir_name(&entry.file_name().to_string_lossy())
        })
        .build_parallel();
    walker.run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) => {
                    let is_go = entry.path().extension().is_some_and(|ext| ext == "go");
                    if is_go && entry.file_type().is_some_and(|kind| kind.is_file()) {
                        let path = clean(entry.path());
                        if let Ok(mut found) = found.lock() {
                            found.push(path);
                        }
                    }
                }
                Err(err) => {
                    if let Ok(mut errors) = errors.lock() {
                        errors.push(WalkError {
                            path: root.to_path_buf(),
                            message: err.to_string(),
                        });
                    }
                }
            }
            WalkState::Continue
        })
    });
    (
        found.into_inner().unwrap_or_default(),
        errors.into_inner().unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_patterns_name_directories() {
        assert_eq!(normalize_argument("./..."), PathBuf::from("."));
        assert_eq!(normalize_argument("pkg/..."), PathBuf::from("pkg"));
        assert_eq!(normalize_argument("..."), PathBuf::from("."));
        assert_eq!(normalize_argument("main.go"), PathBuf::from("main.go"));
    }

    #[test]
    fn walking_skips_what_the_go_tool_skips() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "a.go",
            "vendor/v.go",
            "testdata/t.go",
            ".hidden/h.go",
            "_tmp/u.go",
            "sub/b.go",
            "sub/c.txt",
            "ignored/i.go",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "package p\n").unwrap();
        }
        std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
        let (files, errors) = collect(&[format!("{}/...", dir.path().display())], 2);
        assert!(errors.is_empty());
        let names: Vec<_> = files
            .iter()
            .map(|file| file.path.strip_prefix(dir.path()).unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            vec![PathBuf::from("a.go"), PathBuf::from("sub/b.go")]
        );
    }
}

/// One part of a deterministic split of the files, for CI matrices: `--shard K/N` keeps the
/// files whose path hashes to K-1 modulo N, so the shards together are exactly a full run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let parsed = text
            .split_once('/')
            .and_then(|(k, n)| Some((k.parse::<u64>().ok()?, n.parse::<u64>().ok()?)));
        match parsed {
            Some((index, count)) if count >= 1 && (1..=count).contains(&index) => {
                Ok(Shard { index, count })
            }
            _ => Err(format!(
                "not a shard: {text:?} (expected K/N with 1 <= K <= N, e.g. 2/4)"
            )),
        }
    }
}

impl Shard {
    /// Whether `path` (as printed: relative, `/`-separated) belongs to this shard.
    pub fn contains(&self, path: &str) -> bool {
        fnv1a(path.as_bytes()) % self.count == self.index - 1
    }
}

/// FNV-1a, 64-bit: a fixed, documented hash, so a path lands in the same shard on every machine
/// and every Rust version (std's hasher makes no such promise).
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    })
}
