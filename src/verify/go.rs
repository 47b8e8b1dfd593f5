//! Running the go command on one package directory: `go build`, `go vet` and, at the test level,
//! `go test`; a failure keeps the step and what go printed.

use std::path::Path;
use std::process::Command;

/// How much `--verify` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// `go build` and `go vet`.
    Build,
    /// Also `go test`.
    Test,
}

/// What `--verify` runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub level: Level,
    /// `go test -timeout`, per package (a Go duration: `90s`, `10m`).
    pub test_timeout: String,
    /// `go test -short`.
    pub short: bool,
}

/// A step of the check that failed, and what go printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub step: &'static str,
    pub output: String,
}

impl Failure {
    /// The tests `go test` reported as failing (`--- FAIL: TestName`), outermost first.
    pub fn failing_tests(&self) -> Vec<&str> {
        let mut tests: Vec<&str> = self
            .output
            .lines()
            .filter_map(|line| line.trim_start().strip_prefix("--- FAIL: "))
            .filter_map(|rest| rest.split_whitespace().next())
            .collect();
        tests.dedup();
        tests
    }

    /// One line for a report: the step, and the failing tests when there are some.
    pub fn summary(&self) -> String {
        let tests = self.failing_tests();
        if tests.is_empty() {
            format!("{} failed", self.step)
        } else {
            format!("{} failed: {}", self.step, tests.join(", "))
        }
    }
}

/// Why `--verify` cannot run the Go toolchain.
#[derive(Debug, thiserror::Error)]
pub enum GoUnavailable {
    #[error("--verify needs `go` on PATH: {0}")]
    NotFound(std::io::Error),
    #[error("--verify: `go version` failed: {0}")]
    Broken(String),
}

/// Fails early, with a clear message, when `go` cannot run.
pub fn check_go_available() -> Result<(), GoUnavailable> {
    match Command::new("go").arg("version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(output) => Err(GoUnavailable::Broken(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        )),
        Err(err) => Err(GoUnavailable::NotFound(err)),
    }
}

/// Runs the checks of `options` on the package in `directory`, from the directory itself so the
/// go command finds its module; the first failure, if any.
pub fn check_package(directory: &Path, options: &Options) -> Option<Failure> {
    let directory = if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    };
    let timeout = format!("-timeout={}", options.test_timeout);
    let mut steps: Vec<(&'static str, Vec<&str>)> = vec![
        ("go build", vec!["build", "-o", null_device(), "."]),
        ("go vet", vec!["vet", "."]),
    ];
    if options.level == Level::Test {
        let mut test = vec!["test", "-count=1", timeout.as_str()];
        if options.short {
            test.push("-short");
        }
        test.push(".");
        steps.push(("go test", test));
    }
    for (step, args) in steps {
        let output = match Command::new("go")
            .args(&args)
            .current_dir(directory)
            .output()
        {
            Ok(output) => output,
            Err(err) => {
                return Some(Failure {
                    step,
                    output: format!("cannot run go: {err}"),
                });
            }
        };
        if output.status.success() {
            continue;
        }
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        // A package of test files only has nothing to build; vet and test still compile it.
        if step == "go build" && text.contains("no non-test Go files") {
            continue;
        }
        return Some(Failure {
            step,
            output: text.trim().to_owned(),
        });
    }
    None
}

/// Where `go build -o` discards a main package's binary.
fn null_device() -> &'static str {
    if cfg!(windows) { "NUL" } else { "/dev/null" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_tests_are_read_from_go_test_output() {
        let failure = Failure {
            step: "go test",
            output: "--- FAIL: TestOuter (0.00s)\n    --- FAIL: TestOuter/sub (0.00s)\n        a_test.go:9: boom\n--- FAIL: TestOther (0.01s)\nFAIL\nFAIL\texample.com/m/a\t0.01s".into(),
        };
        assert_eq!(
            failure.failing_tests(),
            ["TestOuter", "TestOuter/sub", "TestOther"]
        );
        assert_eq!(
            failure.summary(),
            "go test failed: TestOuter, TestOuter/sub, TestOther"
        );
        let build = Failure {
            step: "go build",
            output: "./a.go:3:9: undefined: x".into(),
        };
        assert_eq!(build.summary(), "go build failed");
    }
}
