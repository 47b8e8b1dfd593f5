//! Shared by the fixture, Go-toolchain and CLI tests: finding fixtures and running the engine.
#![allow(dead_code)]

pub mod cli;
pub mod lsp;

use std::path::{Path, PathBuf};

use deferfix::engine::{Linter, Outcome, Settings};
use deferfix::fix::Applicability;
use deferfix::transforms::RULES;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A hand-written fixture: `transforms/<rule>/fixtures/<name>.go`, or a package of several
/// files `transforms/<rule>/fixtures/<name>/*.go` (for decisions that need the package index).
pub struct Fixture {
    pub rule: &'static str,
    pub name: String,
    pub path: PathBuf,
    /// (file name, text), sorted by name; one file for a single-file fixture.
    pub files: Vec<(String, String)>,
}

impl Fixture {
    /// The fixture's test name: `<rule_id>::<fixture>`, with the rule id's `-` written `_`
    /// (`defer_in_loop::basic_close`), as `cargo test` filters take it.
    pub fn trial_name(&self) -> String {
        format!("{}::{}", self.rule.replace('-', "_"), self.name)
    }

    /// Whether the fixture is a package directory.
    pub fn is_package(&self) -> bool {
        self.path.is_dir()
    }

    /// Every file's text, for markers (`//deferfix:go`, `//deferfix:vet-fails-before`).
    pub fn all_text(&self) -> String {
        self.files
            .iter()
            .map(|(_, text)| text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Lines of a `// Output <label>:` comment block (Go example-test style), if present.
    pub fn expected_output(&self, label: &str) -> Option<String> {
        let marker = format!("// Output {label}:");
        let text = self.all_text();
        let mut lines = text.lines().skip_while(|line| line.trim() != marker);
        lines.next()?;
        let body: Vec<&str> = lines
            .take_while(|line| line.starts_with("//") && !line.starts_with("// Output "))
            .map(|line| {
                line.strip_prefix("// ")
                    .unwrap_or(line.trim_start_matches("//"))
            })
            .collect();
        Some(body.join("\n") + "\n")
    }

    pub fn is_runnable(&self) -> bool {
        self.files
            .iter()
            .any(|(_, text)| text.starts_with("package main") || text.contains("\npackage main\n"))
    }

    /// The rule's outcome on each file, with the other files as its package.
    pub fn run(&self, apply: Option<Applicability>) -> Vec<Outcome> {
        run_package(self.rule, &self.files, apply)
    }

    /// Every file's text after applying fixes at `level` (CRLF and BOM restored).
    pub fn fixed(&self, level: Applicability) -> Vec<(String, String)> {
        fixed_package(self.rule, &self.files, level)
    }
}

pub fn fixtures() -> Vec<Fixture> {
    let mut all = Vec::new();
    for rule in RULES {
        let dir = repo_root()
            .join("transforms")
            .join(rule.id)
            .join("fixtures");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.is_dir() || path.extension().is_some_and(|ext| ext == "go"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let files = if path.is_dir() {
                go_files(&path)
            } else {
                vec![(format!("{name}.go"), read_text(&path))]
            };
            all.push(Fixture {
                rule: rule.id,
                name,
                path,
                files,
            });
        }
    }
    assert!(!all.is_empty(), "no fixtures found");
    all
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn go_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "go"))
        .map(|path| {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, read_text(&path))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no .go files", dir.display());
    files
}

pub fn rule(id: &str) -> &'static deferfix::transforms::Rule {
    deferfix::transforms::find(id).unwrap_or_else(|| panic!("unknown rule {id}"))
}

/// Runs one rule over `text` with fixes at `apply` (after normalising CRLF as the CLI does).
pub fn run_rule(rule: &str, text: &str, apply: Option<Applicability>) -> Outcome {
    let files = vec![("fixture.go".to_owned(), text.to_owned())];
    run_package(rule, &files, apply)
        .pop()
        .expect("one file, one outcome")
}

/// Runs one rule over each of `files` (name, text) with the others as its package: a single
/// file stands alone, as standard input does.
pub fn run_package(
    rule: &str,
    files: &[(String, String)],
    apply: Option<Applicability>,
) -> Vec<Outcome> {
    let decoded: Vec<(String, String)> = files
        .iter()
        .map(|(name, text)| {
            let source = deferfix::source::SourceText::decode(text.as_bytes().to_vec())
                .expect("fixtures are UTF-8");
            (name.clone(), source.text)
        })
        .collect();
    let index = std::sync::Arc::new(deferfix::analysis::package::DirIndex::from_sources(
        decoded
            .iter()
            .map(|(name, text)| (name.clone(), std::sync::Arc::from(text.as_str())))
            .collect(),
    ));
    let settings = Settings {
        rules: vec![self::rule(rule)],
        apply,
        report_unused_ignores: false,
        unsafe_rules: Vec::new(),
        withheld: Vec::new(),
        lexical_prefilter: true,
    };
    // The rule's lexical test must never skip a file it finds something in: the outcome is the
    // same without it.
    let unfiltered = Settings {
        lexical_prefilter: false,
        ..settings.clone()
    };
    // A package has one Go version: the `//deferfix:go` marker of any of its files.
    let all_text: String = decoded.iter().map(|(_, text)| text.as_str()).collect();
    decoded
        .iter()
        .map(|(name, text)| {
            let package = if decoded.len() > 1 {
                deferfix::analysis::package::PackageContext::in_memory(index.clone(), name)
            } else {
                deferfix::analysis::package::PackageContext::alone()
            };
            let outcome = Linter::default()
                .process(text, &settings, go_version(&all_text), &package)
                .unwrap_or_else(|err| panic!("engine error on {rule} fixture {name}: {err:?}"));
            let without_prefilter = Linter::default()
                .process(text, &unfiltered, go_version(&all_text), &package)
                .unwrap_or_else(|err| panic!("engine error on {rule} fixture {name}: {err:?}"));
            assert_eq!(
                format!("{outcome:?}"),
                format!("{without_prefilter:?}"),
                "{rule}'s lexical test changed the outcome of fixture {name}"
            );
            outcome
        })
        .collect()
}

/// The file text after applying fixes at `apply` (CRLF and BOM restored).
pub fn fixed_text(rule: &str, text: &str, apply: Applicability) -> String {
    let files = vec![("fixture.go".to_owned(), text.to_owned())];
    fixed_package(rule, &files, apply)
        .pop()
        .map(|(_, text)| text)
        .expect("one file, one text")
}

/// Every file's text after applying fixes at `apply` (CRLF and BOM restored).
pub fn fixed_package(
    rule: &str,
    files: &[(String, String)],
    apply: Applicability,
) -> Vec<(String, String)> {
    let outcomes = run_package(rule, files, Some(apply));
    files
        .iter()
        .zip(outcomes)
        .map(|((name, text), outcome)| {
            let source = deferfix::source::SourceText::decode(text.as_bytes().to_vec())
                .expect("fixtures are UTF-8");
            let fixed = match outcome.fixed {
                Some(fixed) => String::from_utf8(source.encode(&fixed)).expect("UTF-8 stays UTF-8"),
                None => text.clone(),
            };
            (name.clone(), fixed)
        })
        .collect()
}

pub fn path_display(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The module Go version a fixture declares with `//deferfix:go 1.N` (the Go-toolchain tests write
/// the same version into the fixture's go.mod); 1.22 otherwise.
pub fn go_version(text: &str) -> Option<deferfix::goversion::GoVersion> {
    let declared = text
        .lines()
        .find_map(|line| line.strip_prefix("//deferfix:go "))
        .unwrap_or("1.22");
    deferfix::goversion::GoVersion::parse(declared)
}

/// Whether `go` runs. Without it the Go-backed tests skip loudly, unless DEFERFIX_REQUIRE_GO=1
/// makes its absence a failure (as CI does).
pub fn go_available(tests: &str) -> bool {
    let found = std::process::Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        assert!(
            std::env::var("DEFERFIX_REQUIRE_GO").as_deref() != Ok("1"),
            "DEFERFIX_REQUIRE_GO=1 but `go` is not on PATH"
        );
        eprintln!("\n!!!! SKIPPED: `go` is not on PATH; {tests} did not run !!!!\n");
    }
    found
}

/// An external program a test drives as a user would (reviewdog, Neovim), from the environment
/// variable `var` (which `.ci/run` sets from the tool's install script in `.ci/tools/`). Without
/// it the test is skipped loudly, unless `DEFERFIX_REQUIRE_TOOLS=1` makes that a failure.
pub fn external_tool(var: &str, script: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            assert!(
                std::env::var("DEFERFIX_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "DEFERFIX_REQUIRE_TOOLS=1 but {var} is not set (run `{var}=$({script}) cargo test`)"
            );
            eprintln!(
                "\n!!!! SKIPPED: {var} is not set; run `{var}=$({script}) cargo test` !!!!\n"
            );
            None
        }
    }
}
