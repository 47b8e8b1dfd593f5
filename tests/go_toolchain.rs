//! The Go toolchain judges the fixes: every fixture, fixed at the safe and at the unsafe level,
//! must be gofmt-clean and pass `go vet` and `go build`; runnable fixtures (package main with
//! `// Output before fix:` / `// Output after fix:` blocks) must print what they record.
//!
//! Each fixture is a test of its own (a libtest-mimic trial, `harness = false` in Cargo.toml),
//! named like its snapshot test (`defer_in_loop::basic_close`): it writes its variants into
//! modules in a temporary directory of its own and runs the toolchain there, so trials run in
//! parallel (`--test-threads`, default: one per core). They share the user's Go build cache.
//!
//! Without `go` on PATH these tests skip loudly, unless DEFERFIX_REQUIRE_GO=1 makes them fail.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Fixture, fixtures};
use deferfix::fix::Applicability;
use libtest_mimic::{Arguments, Completion, Failed, Trial};

fn run(dir: &Path, program: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap_or_else(|err| panic!("cannot run {program}: {err}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The Go version a fixture's module declares: `//deferfix:go 1.21` in the fixture, else 1.22.
fn go_version(fixture: &Fixture) -> String {
    fixture
        .all_text()
        .lines()
        .find_map(|line| line.strip_prefix("//deferfix:go "))
        .unwrap_or("1.22")
        .trim()
        .to_owned()
}

/// Fixtures marked `//deferfix:vet-fails-before` show a mistake `go vet` itself reports (a lost
/// cancel): their originals (and fixed forms the fix left unchanged) go into a module of their
/// own, where vet must fail on every package, while every changed form must pass it.
const VET_FAILS_BEFORE: &str = "//deferfix:vet-fails-before";
const VET_FAILS_MODULE_SUFFIX: &str = "-vet-fails";

/// A fixture as written into a module: original or fixed, under the Go version of its module.
struct Variant<'a> {
    dir: String,
    fixture: &'a Fixture,
    /// (file name, text) of each file of the package.
    files: Vec<(String, String)>,
    go: String,
}

/// Languages versions before this one share `for` loop variables between iterations.
const PER_ITERATION_LOOP_VARS: (u32, u32) = (1, 22);

fn older_than_per_iteration_loop_vars(version: &str) -> bool {
    let mut parts = version
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) < PER_ITERATION_LOOP_VARS
}

/// One module per Go version, one package directory per fixture variant.
fn write_variants(root: &Path, variants: &[Variant]) {
    for Variant { dir, files, go, .. } in variants {
        let module = root.join(go);
        let package = module.join(dir);
        std::fs::create_dir_all(&package).unwrap();
        let version = go.trim_end_matches(VET_FAILS_MODULE_SUFFIX);
        std::fs::write(
            module.join("go.mod"),
            format!("module fixtures\n\ngo {version}\n"),
        )
        .unwrap();
        // gofmt always writes LF; CRLF preservation is the CLI tests' business, so the toolchain
        // judges the LF form of CRLF fixtures.
        for (name, text) in files {
            std::fs::write(package.join(name), text.replace("\r\n", "\n")).unwrap();
        }
    }
}

/// A fixture's variants: original, safe and unsafe fixes (each in the module of the fixture's Go
/// version, or in the vet-failing one), and for an old-Go loop-var-capture fixture its original
/// as a go 1.22 module.
fn variants(fixture: &Fixture) -> Vec<Variant<'_>> {
    let stem = format!(
        "{}_{}",
        fixture.rule.replace('-', "_"),
        fixture.name.replace('-', "_")
    );
    let go = go_version(fixture);
    let variant = |suffix: &str, files: Vec<(String, String)>, go: &str| Variant {
        dir: format!("{stem}_{suffix}"),
        fixture,
        files,
        go: go.to_owned(),
    };
    // A form still identical to a vet-failing original (no fix at that level) fails vet too.
    let vet_fails_before = fixture.all_text().contains(VET_FAILS_BEFORE);
    let module_for = |files: &[(String, String)]| {
        if vet_fails_before && files == fixture.files.as_slice() {
            format!("{go}{VET_FAILS_MODULE_SUFFIX}")
        } else {
            go.clone()
        }
    };
    let mut variants = Vec::new();
    for (suffix, files) in [
        ("original", fixture.files.clone()),
        ("safe", fixture.fixed(Applicability::Safe)),
        ("unsafe", fixture.fixed(Applicability::Unsafe)),
    ] {
        let module = module_for(&files);
        variants.push(variant(suffix, files, &module));
    }
    if fixture.rule == "loop-var-capture" && older_than_per_iteration_loop_vars(&go) {
        // The fix must make old code behave as the same code does with Go 1.22 semantics:
        // the original, built as a go 1.22 module, must print the "after fix" output too.
        variants.push(variant("as122", fixture.files.clone(), "1.22"));
    }
    variants
}

/// gofmt, then vet and build, in one module of `variants`; failures are pushed on `failures`.
fn check_module(module: &Path, variants: &[Variant], failures: &mut Vec<String>) {
    let (_, unformatted, gofmt_err) = run(module, "gofmt", &["-l", "."]);
    if !unformatted.trim().is_empty() || !gofmt_err.trim().is_empty() {
        let mut detail = String::new();
        for file in unformatted.lines() {
            let (_, diff, _) = run(module, "gofmt", &["-d", file]);
            detail.push_str(&diff);
        }
        failures.push(format!(
            "gofmt -l in {}:\n{unformatted}{gofmt_err}{detail}",
            module.display()
        ));
    }
    // `-o bin/` (main packages linked there, to be run by `check_outputs`) needs a main package;
    // a module of libraries only is just built.
    let has_main = variants
        .iter()
        .any(|variant| variant.fixture.is_runnable() && module.ends_with(&variant.go));
    let build: &[&str] = if has_main {
        &["build", "-o", "bin/", "./..."]
    } else {
        &["build", "./..."]
    };
    if module.to_string_lossy().ends_with(VET_FAILS_MODULE_SUFFIX) {
        let (ok, _, stderr) = run(module, "go", &["vet", "./..."]);
        let packages = std::fs::read_dir(module).unwrap().filter_map(|e| e.ok());
        for package in packages.filter(|entry| entry.path().is_dir()) {
            let name = package.file_name().to_string_lossy().into_owned();
            if ok || !stderr.contains(&name) {
                failures.push(format!(
                    "go vet was expected to report {name} (marked {VET_FAILS_BEFORE}):\n{stderr}"
                ));
            }
        }
    } else {
        let (ok, _, stderr) = run(module, "go", &["vet", "./..."]);
        if !ok {
            failures.push(format!(
                "go vet ./... failed in {}:\n{stderr}",
                module.display()
            ));
        }
    }
    let (ok, _, stderr) = run(module, "go", build);
    if !ok {
        failures.push(format!(
            "go {} failed in {}:\n{stderr}",
            build.join(" "),
            module.display()
        ));
    }
}

/// Runs a runnable fixture's binaries (built into `<module>/bin/` under `root`) and compares what
/// each prints with the fixture's `// Output …:` block for its variant.
fn check_outputs(root: &Path, variants: &[Variant], failures: &mut Vec<String>) {
    for Variant {
        dir, fixture, go, ..
    } in variants
    {
        if !fixture.is_runnable() {
            continue;
        }
        let label = match dir.rsplit('_').next() {
            Some("original") => "before fix",
            Some("safe" | "as122") => "after fix",
            _ => "after unsafe fix",
        };
        let expected = fixture.expected_output(label).or_else(|| {
            (label == "after unsafe fix")
                .then(|| fixture.expected_output("after fix"))
                .flatten()
        });
        let Some(expected) = expected else {
            failures.push(format!(
                "{}: runnable fixture lacks `// Output {label}:`",
                fixture.path.display()
            ));
            continue;
        };
        let module = root.join(go);
        let binary = module.join("bin").join(dir);
        let (ok, stdout, stderr) = run(&module, &binary.to_string_lossy(), &[]);
        if !ok || stdout != expected {
            failures.push(format!(
                "{} ({label}, {dir}): expected output\n{expected}got{}\n{stdout}{stderr}",
                fixture.path.display(),
                if ok { "" } else { " (failed)" }
            ));
        }
    }
}

/// One fixture's trial: its variants in modules of a temporary directory of its own, judged by
/// gofmt, vet, build and (runnable fixtures) their output.
fn fixed_fixture_passes_gofmt_vet_build_and_run(fixture: &Fixture) -> Result<(), Failed> {
    let temp = tempfile::tempdir().map_err(|err| format!("temporary directory: {err}"))?;
    let variants = variants(fixture);
    write_variants(temp.path(), &variants);
    let mut failures = Vec::new();
    let mut modules: Vec<_> = std::fs::read_dir(temp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    modules.sort();
    for module in &modules {
        check_module(module, &variants, &mut failures);
    }
    check_outputs(temp.path(), &variants, &mut failures);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} Go toolchain failures:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        )
        .into())
    }
}

fn main() {
    let args = Arguments::from_args();
    // Asked once, before any trial: missing `go` skips every trial loudly (or, with
    // DEFERFIX_REQUIRE_GO=1, fails the run).
    let go = args.list || common::go_available("the Go-toolchain tests");
    let trials = fixtures()
        .into_iter()
        .map(|fixture| {
            Trial::ignorable_test(fixture.trial_name(), move || {
                if !go {
                    return Ok(Completion::ignored_with("`go` is not on PATH"));
                }
                fixed_fixture_passes_gofmt_vet_build_and_run(&fixture)
                    .map(|()| Completion::Completed)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
