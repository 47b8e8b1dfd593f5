//! Shared by the fixture, Go-toolchain and CLI tests: finding fixtures and running the engine.
#![allow(dead_code)]

pub mod cli;

use std::path::{Path, PathBuf};

use deferfix::engine::{Linter, Outcome, Settings};
use deferfix::fix::Applicability;
use deferfix::transforms::RULES;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A hand-written fixture: `transforms/<rule>/fixtures/<name>.go`.
pub struct Fixture {
    pub rule: &'static str,
    pub name: String,
    pub path: PathBuf,
    pub text: String,
}

impl Fixture {
    /// Lines of a `// Output <label>:` comment block (Go example-test style), if present.
    pub fn expected_output(&self, label: &str) -> Option<String> {
        let marker = format!("// Output {label}:");
        let mut lines = self.text.lines().skip_while(|line| line.trim() != marker);
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
        self.text.starts_with("package main") || self.text.contains("\npackage main\n")
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
            .filter(|path| path.extension().is_some_and(|ext| ext == "go"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            all.push(Fixture {
                rule: rule.id,
                name,
                path,
                text,
            });
        }
    }
    assert!(!all.is_empty(), "no fixtures found");
    all
}

pub fn rule(id: &str) -> &'static deferfix::transforms::Rule {
    deferfix::transforms::find(id).unwrap_or_else(|| panic!("unknown rule {id}"))
}

/// Runs one rule over `text` with fixes at `apply` (after normalising CRLF as the CLI does).
pub fn run_rule(rule: &str, text: &str, apply: Option<Applicability>) -> Outcome {
    let source =
        deferfix::source::SourceText::decode(text.as_bytes().to_vec()).expect("fixtures are UTF-8");
    let settings = Settings {
        rules: vec![self::rule(rule)],
        apply,
        report_unused_ignores: false,
        unsafe_rules: Vec::new(),
    };
    Linter::default()
        .process(
            &source.text,
            &settings,
            go_version(text),
            &deferfix::analysis::package::PackageContext::alone(),
        )
        .unwrap_or_else(|err| panic!("engine error on {rule} fixture: {err:?}"))
}

/// The file text after applying fixes at `apply` (CRLF and BOM restored).
pub fn fixed_text(rule: &str, text: &str, apply: Applicability) -> String {
    let source =
        deferfix::source::SourceText::decode(text.as_bytes().to_vec()).expect("fixtures are UTF-8");
    match run_rule(rule, text, Some(apply)).fixed {
        Some(fixed) => String::from_utf8(source.encode(&fixed)).expect("UTF-8 stays UTF-8"),
        None => text.to_owned(),
    }
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
