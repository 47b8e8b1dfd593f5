//! The result cache end to end: a second run prints the same and is answered from the cache;
//! changing a file re-analyses it and the files whose results read it; changing the settings
//! re-analyses everything; a corrupt entry is ignored and rewritten; `--no-cache`,
//! `DEFERFIX_NO_CACHE=1` and standard input write nothing; `deferfix cache clean` empties it.
//! Every run here uses a cache directory of its own (`DEFERFIX_CACHE_DIR`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::cli::{stderr, stdout, tree};

/// Passes `fh` to `keep`, declared in b.go: whether the fix is safe depends on b.go.
const USES_SIBLING: &str = "package p\n\nimport \"os\"\n\nfunc f(ps []string) {\n\tfor _, p := range ps {\n\t\tfh, err := os.Open(p)\n\t\tif err != nil {\n\t\t\tcontinue\n\t\t}\n\t\tdefer fh.Close()\n\t\tkeep(fh)\n\t}\n}\n";
const KEEPS_NOTHING: &str =
    "package p\n\nimport \"os\"\n\nfunc keep(fh *os.File) {\n\t_, _ = fh.Stat()\n}\n";
const KEEPS_IT: &str =
    "package p\n\nimport \"os\"\n\nvar kept *os.File\n\nfunc keep(fh *os.File) {\n\tkept = fh\n}\n";
const EXIT: &str = "package p\n\nimport \"os\"\n\nfunc g() {\n\tdefer println()\n\tos.Exit(1)\n}\n";
/// Mentions `defer`, so the prefilter does not skip it before parsing.
/// A defer in a loop, so that defer-in-loop's lexical test sends the file to the parser.
const BROKEN: &str = "package p\n\nfunc h() {\n\tfor {\n\t\tdefer (\n\t}\n}\n";

fn project() -> tempfile::TempDir {
    tree(&[
        ("a.go", USES_SIBLING.as_bytes()),
        ("b.go", KEEPS_NOTHING.as_bytes()),
        ("c.go", EXIT.as_bytes()),
        ("d.go", BROKEN.as_bytes()),
    ])
}

/// `deferfix ARGS` in `dir` with the cache in `cache`.
fn command(dir: &Path, cache: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_deferfix"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("DEFERFIX_NO_CACHE")
        .env("DEFERFIX_CACHE_DIR", cache);
    command
}

fn run(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    command(dir, cache, args).output().expect("binary runs")
}

/// How many files the summary line says came from the cache.
fn from_cache(output: &Output) -> usize {
    let text = stderr(output);
    let Some(at) = text.find(" from cache)") else {
        return 0;
    };
    let start = text[..at].rfind('(').expect("opening parenthesis") + 1;
    text[start..at].parse().expect("a count")
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(versions) = std::fs::read_dir(cache) else {
        return found;
    };
    for version in versions.flatten() {
        let Ok(shards) = std::fs::read_dir(version.path().join("entries")) else {
            continue;
        };
        for shard in shards.flatten() {
            for entry in std::fs::read_dir(shard.path()).unwrap().flatten() {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// The same run without the cache, for what the output must be.
fn uncached(dir: &Path, args: &[&str]) -> Output {
    common::cli::deferfix(dir, args)
}

fn same_output(left: &Output, right: &Output) {
    assert_eq!(stdout(left), stdout(right));
    assert_eq!(left.status.code(), right.status.code());
}

#[test]
fn a_second_run_prints_the_same_from_the_cache() {
    let dir = project();
    for args in [&[][..], &["--check"], &["--format", "json"]] {
        let cache = tempfile::tempdir().unwrap();
        let first = run(dir.path(), cache.path(), args);
        let second = run(dir.path(), cache.path(), args);
        same_output(&first, &second);
        same_output(&first, &uncached(dir.path(), args));
        assert_eq!(from_cache(&first), 0, "{}", stderr(&first));
        assert_eq!(from_cache(&second), 4, "{}", stderr(&second));
        // The syntax error is reported again, from the cache.
        assert!(
            stderr(&second).contains("d.go:5:3: syntax error"),
            "{}",
            stderr(&second)
        );
        let tag = std::fs::read_to_string(cache.path().join("CACHEDIR.TAG")).unwrap();
        assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55"));
    }
}

#[test]
fn a_changed_file_is_analysed_again_with_the_files_that_read_its_package() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let before = run(dir.path(), cache.path(), &["--check"]);
    assert!(stdout(&before).contains("a.go:11:3: defer-in-loop"));
    // b.go now keeps the file: a.go's fix is no longer safe. a.go consulted the package, so it
    // is analysed again with b.go; c.go and d.go never read the package and come from the cache.
    std::fs::write(dir.path().join("b.go"), KEEPS_IT).unwrap();
    let after = run(dir.path(), cache.path(), &["--check"]);
    same_output(&after, &uncached(dir.path(), &["--check"]));
    assert_ne!(stdout(&before), stdout(&after));
    assert_eq!(from_cache(&after), 2, "{}", stderr(&after));
    // A file that does not read the package: only it is analysed again, and a.go, which reads
    // every file of the directory, with it.
    std::fs::write(dir.path().join("c.go"), EXIT.replace("g()", "g2()")).unwrap();
    let again = run(dir.path(), cache.path(), &["--check"]);
    same_output(&again, &uncached(dir.path(), &["--check"]));
    assert_eq!(from_cache(&again), 2, "{}", stderr(&again));
    // Restoring a file's content (as a checkout does) finds its entry again; a.go keeps one
    // entry, which now holds the result for the other c.go, and is analysed again.
    std::fs::write(dir.path().join("c.go"), EXIT).unwrap();
    let restored = run(dir.path(), cache.path(), &["--check"]);
    same_output(&restored, &after);
    assert_eq!(from_cache(&restored), 3, "{}", stderr(&restored));
}

#[test]
fn other_settings_analyse_everything_again() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    run(dir.path(), cache.path(), &["--check"]);
    let selected = run(
        dir.path(),
        cache.path(),
        &["--check", "--select", "defer-in-loop"],
    );
    assert_eq!(from_cache(&selected), 0, "{}", stderr(&selected));
    same_output(
        &selected,
        &uncached(dir.path(), &["--check", "--select", "defer-in-loop"]),
    );
    let unsafe_fixes = run(dir.path(), cache.path(), &["--unsafe"]);
    assert_eq!(from_cache(&unsafe_fixes), 0, "{}", stderr(&unsafe_fixes));
    std::fs::write(
        dir.path().join("deferfix.toml"),
        "select = [\"exit-after-defer\"]\n",
    )
    .unwrap();
    let configured = run(dir.path(), cache.path(), &["--check"]);
    assert_eq!(from_cache(&configured), 0, "{}", stderr(&configured));
    same_output(&configured, &uncached(dir.path(), &["--check"]));
    let again = run(dir.path(), cache.path(), &["--check"]);
    assert_eq!(from_cache(&again), 4, "{}", stderr(&again));
    let versioned = run(
        dir.path(),
        cache.path(),
        &["--check", "--go-version", "1.21"],
    );
    assert_eq!(from_cache(&versioned), 0, "{}", stderr(&versioned));
}

#[test]
fn a_corrupt_entry_is_ignored_and_rewritten() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let first = run(dir.path(), cache.path(), &[]);
    let stored = entries(cache.path());
    assert_eq!(stored.len(), 4);
    let originals: Vec<Vec<u8>> = stored
        .iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    // One entry truncated, one with a payload byte flipped, one replaced by another's bytes.
    std::fs::write(&stored[0], &originals[0][..originals[0].len() / 2]).unwrap();
    let mut flipped = originals[1].clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x20;
    std::fs::write(&stored[1], flipped).unwrap();
    std::fs::write(&stored[2], &originals[3]).unwrap();
    let second = run(dir.path(), cache.path(), &[]);
    same_output(&first, &second);
    assert_eq!(from_cache(&second), 1, "{}", stderr(&second));
    let rewritten: Vec<Vec<u8>> = stored
        .iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    assert_eq!(rewritten, originals);
    let third = run(dir.path(), cache.path(), &[]);
    assert_eq!(from_cache(&third), 4, "{}", stderr(&third));
}

#[test]
fn no_cache_and_standard_input_write_nothing() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let unused = cache.path().join("unused");
    run(dir.path(), &unused, &["--no-cache"]);
    command(dir.path(), &unused, &[])
        .env("DEFERFIX_NO_CACHE", "1")
        .output()
        .unwrap();
    assert!(!unused.exists());
    let mut child = command(dir.path(), &unused, &["-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(USES_SIBLING.as_bytes())
        .unwrap();
    let filtered = child.wait_with_output().unwrap();
    assert!(
        stdout(&filtered).contains("package p"),
        "{}",
        stderr(&filtered)
    );
    assert!(entries(&unused).is_empty());
}

#[test]
fn cache_clean_empties_the_cache() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    run(dir.path(), cache.path(), &[]);
    assert!(!entries(cache.path()).is_empty());
    let clean = run(dir.path(), cache.path(), &["cache", "clean"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert!(entries(cache.path()).is_empty());
    let after = run(dir.path(), cache.path(), &[]);
    assert_eq!(from_cache(&after), 0, "{}", stderr(&after));
}

#[test]
fn write_applies_cached_fixes_as_computed_ones() {
    let cached_dir = project();
    let plain_dir = project();
    let cache = tempfile::tempdir().unwrap();
    run(cached_dir.path(), cache.path(), &[]);
    let written = run(cached_dir.path(), cache.path(), &["-w"]);
    assert_eq!(from_cache(&written), 4, "{}", stderr(&written));
    let plain = uncached(plain_dir.path(), &["-w"]);
    assert_eq!(written.status.code(), plain.status.code());
    for name in ["a.go", "b.go", "c.go", "d.go"] {
        assert_eq!(
            std::fs::read(cached_dir.path().join(name)).unwrap(),
            std::fs::read(plain_dir.path().join(name)).unwrap(),
            "{name}"
        );
    }
    assert_ne!(
        std::fs::read(cached_dir.path().join("a.go")).unwrap(),
        USES_SIBLING.as_bytes()
    );
    // The rewritten file is new content: analysed, and then nothing is left to fix.
    let after = run(cached_dir.path(), cache.path(), &[]);
    same_output(&after, &uncached(cached_dir.path(), &[]));
}

#[test]
fn entries_in_use_are_touched_and_unused_ones_dropped_after_30_days() {
    let dir = project();
    let cache = tempfile::tempdir().unwrap();
    let days_ago =
        |days: u64| std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
    let set_mtime = |path: &Path, days: u64| {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(days_ago(days)).unwrap();
    };
    run(dir.path(), cache.path(), &[]);
    let stored = entries(cache.path());
    for entry in &stored {
        set_mtime(entry, 2);
    }
    // A hit marks its entry as used (at most once a day).
    run(dir.path(), cache.path(), &[]);
    for entry in &stored {
        let modified = std::fs::metadata(entry).unwrap().modified().unwrap();
        assert!(modified > days_ago(1), "{}", entry.display());
    }
    // The prune, due again once its stamp is a day old, drops what is older than 30 days.
    set_mtime(&stored[0], 31);
    set_mtime(&stored[1], 29);
    set_mtime(&cache.path().join("last-prune"), 2);
    run(dir.path(), cache.path(), &["--check"]);
    let left = entries(cache.path());
    assert!(!left.contains(&stored[0]));
    assert!(left.contains(&stored[1]));
}

#[test]
fn another_build_of_the_same_version_does_not_reuse_entries() {
    let project = project();
    let cache = tempfile::tempdir().expect("temp dir");
    let first = run(project.path(), cache.path(), &["."]);
    assert_eq!(from_cache(&run(project.path(), cache.path(), &["."])), 4);
    // A copy of the binary with one byte more stands for a rebuild with the same version.
    let builds = tempfile::tempdir().expect("temp dir");
    let rebuilt = builds.path().join("deferfix");
    let mut bytes = std::fs::read(env!("CARGO_BIN_EXE_deferfix")).expect("binary readable");
    bytes.push(0);
    std::fs::write(&rebuilt, bytes).expect("copy written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rebuilt, std::fs::Permissions::from_mode(0o755))
            .expect("copy executable");
    }
    let output = Command::new(&rebuilt)
        .arg(".")
        .current_dir(project.path())
        .env_remove("DEFERFIX_NO_CACHE")
        .env("DEFERFIX_CACHE_DIR", cache.path())
        .output()
        .expect("copy runs");
    assert_eq!(from_cache(&output), 0, "{}", stderr(&output));
    same_output(&first, &output);
}

/// exit-after-defer's lexical test reads the other files of the package to learn whether a
/// `*log.Logger` can be had at all: a file it passes over is analysed again when another file
/// starts making one.
#[test]
fn a_file_the_prefilter_passed_over_by_its_package_is_analysed_again() {
    let exits =
        "package p\n\nfunc (s *S) run() {\n\tdefer s.cleanup()\n\ts.l.Fatalf(\"boom\")\n}\n";
    let no_logger = "package p\n\nimport \"log\"\n\ntype S struct{ l *W }\n\ntype W struct{}\n\nfunc (*W) Fatalf(string) {}\n\nfunc (*S) cleanup() {}\n\nfunc p() { log.Printf(\"x\") }\n";
    let dir = tree(&[("a.go", exits.as_bytes()), ("b.go", no_logger.as_bytes())]);
    let cache = tempfile::tempdir().unwrap();
    let args = ["--check", "--select", "exit-after-defer"];
    let before = run(dir.path(), cache.path(), &args);
    same_output(&before, &uncached(dir.path(), &args));
    assert!(!stdout(&before).contains("a.go"), "{}", stdout(&before));
    let logger = no_logger
        .replace("l *W", "l *log.Logger")
        .replace("log.Printf(\"x\")", "_ = log.Default()");
    std::fs::write(dir.path().join("b.go"), logger).unwrap();
    let after = run(dir.path(), cache.path(), &args);
    same_output(&after, &uncached(dir.path(), &args));
    assert!(
        stdout(&after).contains("a.go:5:2: exit-after-defer"),
        "{}",
        stdout(&after)
    );
    assert_eq!(from_cache(&after), 0, "{}", stderr(&after));
}
