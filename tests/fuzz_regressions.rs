//! The fuzzer's properties (fuzz/src/properties.rs, included here so both check the same thing)
//! on every input it ever broke (fuzz/regressions/*.go, minimised) and on every fixture: with
//! every rule and `--unsafe` fixes, under each module Go version the targets use, nothing panics,
//! a file that parses comes out parsing, a second run changes nothing, a file that does not parse
//! comes back untouched, and every edit lies inside the file.

#[allow(dead_code)]
#[path = "../fuzz/src/properties.rs"]
mod properties;

mod common;

use std::path::{Path, PathBuf};

use deferfix::goversion::GoVersion;

const VERSIONS: [Option<GoVersion>; 4] = [
    None,
    Some(GoVersion {
        major: 1,
        minor: 21,
    }),
    Some(GoVersion {
        major: 1,
        minor: 22,
    }),
    Some(GoVersion {
        major: 1,
        minor: 23,
    }),
];

fn go_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "go") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn check_all(files: &[PathBuf]) {
    let mut failures = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).unwrap();
        for version in VERSIONS {
            if let Err(violation) = properties::check(&bytes, version) {
                failures.push(format!(
                    "{} (go version {version:?}): {violation}",
                    path.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn fuzz_regressions_keep_the_properties() {
    // Empty while the fuzzer has found nothing that is not better kept as a rule's fixture.
    check_all(&go_files(&common::repo_root().join("fuzz/regressions")));
}

#[test]
fn fixtures_keep_the_fuzz_properties_with_every_rule() {
    let files = go_files(&common::repo_root().join("transforms"));
    assert!(files.len() > 100, "only {} fixture files", files.len());
    check_all(&files);
}
