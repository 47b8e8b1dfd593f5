//! The Go language version a file is compiled with: the `go` line of the nearest go.mod, raised
//! by a `//go:build go1.N` constraint in the file, or `--go-version` from the command line.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A Go language version `1.N` (patch releases and pre-release suffixes do not change semantics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
}

impl GoVersion {
    /// Go 1.22 made `for` loop variables per-iteration.
    pub const PER_ITERATION_LOOP_VARS: GoVersion = GoVersion {
        major: 1,
        minor: 22,
    };

    /// Go 1.23 collects unreferenced timers and tickers even when they were never stopped.
    pub const COLLECTED_TIMERS: GoVersion = GoVersion {
        major: 1,
        minor: 23,
    };

    /// Go 1.21 is the oldest version a `//go:build` line can select.
    const OLDEST_SELECTABLE: GoVersion = GoVersion {
        major: 1,
        minor: 21,
    };

    /// Parses `1.21`, `1.21.3`, `1.22rc1`, `go1.21`.
    pub fn parse(text: &str) -> Option<GoVersion> {
        let text = text.trim().strip_prefix("go").unwrap_or(text.trim());
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor_text = parts.next().unwrap_or("0");
        let digits: String = minor_text
            .chars()
            .take_while(|ch| ch.is_ascii_digit())
            .collect();
        let minor = digits.parse().ok()?;
        Some(GoVersion { major, minor })
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A go.mod that could not be read or whose `go` line is malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoModError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

/// The `go` directive of a go.mod text (`toolchain` lines do not count), or an error with its line.
pub fn parse_go_mod(text: &str) -> Result<Option<GoVersion>, (usize, String)> {
    for (index, line) in text.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("go") else {
            continue;
        };
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        return match GoVersion::parse(rest) {
            Some(version) => Ok(Some(version)),
            None => Err((
                index + 1,
                format!("malformed go directive {:?}", rest.trim()),
            )),
        };
    }
    Ok(None)
}

/// The `module` directive of a go.mod text.
pub fn module_path(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let line = line.split("//").next().unwrap_or("").trim();
        let rest = line.strip_prefix("module")?;
        rest.starts_with([' ', '\t'])
            .then(|| rest.trim().trim_matches('"').to_owned())
    })
}

/// The directory of a file path (`.` for a bare file name).
fn directory_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The language version a file is compiled with: a `//go:build` constraint that requires go1.N
/// sets it (never below go1.21, the oldest version a file can select), else the module's
/// (`None`: no go.mod and no constraint).
pub fn file_version(module: Option<GoVersion>, text: &str) -> Option<GoVersion> {
    match build_constraint_version(text) {
        Some(required) => Some(required.max(GoVersion::OLDEST_SELECTABLE)),
        None => module,
    }
}

/// The minimum Go version a file's `//go:build` expression requires, if it requires one (what
/// `go/build/constraint.GoVersion` computes: `go1.22 && linux` requires 1.22, `go1.22 || appengine`
/// requires nothing, `!go1.22` requires nothing).
pub fn build_constraint_version(text: &str) -> Option<GoVersion> {
    for line in text.lines() {
        if line.starts_with("package ") {
            return None;
        }
        if let Some(expression) = line.strip_prefix("//go:build ") {
            let tokens = tokenize(expression);
            let mut parser = ConstraintParser {
                tokens: &tokens,
                at: 0,
            };
            let minor = parser.or(1)?;
            return u32::try_from(minor)
                .ok()
                .map(|minor| GoVersion { major: 1, minor });
        }
    }
    None
}

fn tokenize(expression: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = expression.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            ' ' | '\t' => {}
            '(' | ')' | '!' => tokens.push(ch.to_string()),
            '&' | '|' => {
                chars.next_if_eq(&ch);
                tokens.push(format!("{ch}{ch}"));
            }
            _ => {
                let mut tag = ch.to_string();
                while let Some(next) =
                    chars.next_if(|next| next.is_alphanumeric() || matches!(next, '_' | '.'))
                {
                    tag.push(next);
                }
                tokens.push(tag);
            }
        }
    }
    tokens
}

/// Recursive descent over `||`, `&&`, `!` and parentheses. Each level returns the minimum Go minor
/// version the sub-expression implies (-1: none), with `sign` flipping under negation.
struct ConstraintParser<'a> {
    tokens: &'a [String],
    at: usize,
}

impl ConstraintParser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn or(&mut self, sign: i32) -> Option<i64> {
        let mut version = self.and(sign)?;
        while self.peek() == Some("||") {
            self.at += 1;
            let right = self.and(sign)?;
            version = if sign > 0 {
                version.min(right)
            } else {
                version.max(right)
            };
        }
        Some(version)
    }

    fn and(&mut self, sign: i32) -> Option<i64> {
        let mut version = self.not(sign)?;
        while self.peek() == Some("&&") {
            self.at += 1;
            let right = self.not(sign)?;
            version = if sign > 0 {
                version.max(right)
            } else {
                version.min(right)
            };
        }
        Some(version)
    }

    fn not(&mut self, sign: i32) -> Option<i64> {
        let token = self.peek()?.to_owned();
        match token.as_str() {
            "!" => {
                self.at += 1;
                self.not(-sign)
            }
            "(" => {
                self.at += 1;
                let version = self.or(sign)?;
                (self.peek() == Some(")")).then(|| self.at += 1)?;
                Some(version)
            }
            tag => {
                self.at += 1;
                if sign < 0 {
                    return Some(-1);
                }
                Some(
                    tag.strip_prefix("go1.")
                        .and_then(|minor| minor.parse().ok())
                        .unwrap_or(-1),
                )
            }
        }
    }
}

/// A module as its go.mod declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// The `go` line's version (`None` when the go.mod is malformed or has none).
    pub version: Option<GoVersion>,
    /// The `module` line's path.
    pub path: Option<String>,
    /// The directory holding the go.mod.
    pub dir: PathBuf,
}

/// The module of every directory, found by walking up to the nearest go.mod. Shared by all
/// worker threads; each directory is looked up once.
#[derive(Default)]
pub struct ModuleVersions {
    by_directory: Mutex<HashMap<PathBuf, Option<Arc<Module>>>>,
    errors: Mutex<Vec<GoModError>>,
}

impl ModuleVersions {
    /// The `go` version of the module containing `file`, or `None` without a (valid) go.mod.
    pub fn for_file(&self, file: &Path) -> Option<GoVersion> {
        self.module_of(file)?.version
    }

    /// The import path of the package `file` belongs to: the module path and the directory
    /// below the module (in Go's own tree, module `std` stands for no prefix at all).
    pub fn import_path(&self, file: &Path) -> Option<String> {
        let module = self.module_of(file)?;
        let module_path = module.path.as_deref()?;
        let directory = std::path::absolute(directory_of(file)).ok()?;
        let relative = directory.strip_prefix(&module.dir).ok()?;
        let relative = relative.to_string_lossy().replace('\\', "/");
        Some(match (module_path, relative.as_str()) {
            ("std", rest) => rest.to_owned(),
            (path, "") => path.to_owned(),
            (path, rest) => format!("{path}/{rest}"),
        })
    }

    fn module_of(&self, file: &Path) -> Option<Arc<Module>> {
        self.for_directory(&directory_of(file))
    }

    fn for_directory(&self, directory: &Path) -> Option<Arc<Module>> {
        if let Ok(cache) = self.by_directory.lock()
            && let Some(known) = cache.get(directory)
        {
            return known.clone();
        }
        let go_mod = directory.join("go.mod");
        let module = match std::fs::read_to_string(&go_mod) {
            Ok(text) => {
                let version = match parse_go_mod(&text) {
                    Ok(version) => version,
                    Err((line, message)) => {
                        self.report(GoModError {
                            path: go_mod,
                            line,
                            message,
                        });
                        None
                    }
                };
                let dir =
                    std::path::absolute(directory).unwrap_or_else(|_| directory.to_path_buf());
                Some(Arc::new(Module {
                    version,
                    path: module_path(&text),
                    dir,
                }))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let absolute =
                    std::path::absolute(directory).unwrap_or_else(|_| directory.to_path_buf());
                match absolute.parent() {
                    Some(parent) if parent != absolute => self.for_directory(parent),
                    _ => None,
                }
            }
            Err(err) => {
                self.report(GoModError {
                    path: go_mod,
                    line: 1,
                    message: format!("cannot read: {err}"),
                });
                None
            }
        };
        if let Ok(mut cache) = self.by_directory.lock() {
            cache.insert(directory.to_path_buf(), module.clone());
        }
        module
    }

    fn report(&self, error: GoModError) {
        if let Ok(mut errors) = self.errors.lock()
            && !errors.contains(&error)
        {
            errors.push(error);
        }
    }

    /// go.mod problems met so far, sorted by path.
    pub fn errors(&self) -> Vec<GoModError> {
        let mut errors = self
            .errors
            .lock()
            .map(|errors| errors.clone())
            .unwrap_or_default();
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_the_go_command() {
        assert_eq!(
            GoVersion::parse("1.21"),
            Some(GoVersion {
                major: 1,
                minor: 21
            })
        );
        assert_eq!(
            GoVersion::parse("1.22.3"),
            Some(GoVersion {
                major: 1,
                minor: 22
            })
        );
        assert_eq!(
            GoVersion::parse("1.23rc1"),
            Some(GoVersion {
                major: 1,
                minor: 23
            })
        );
        assert_eq!(
            GoVersion::parse("go1.20"),
            Some(GoVersion {
                major: 1,
                minor: 20
            })
        );
        assert_eq!(GoVersion::parse("banana"), None);
    }

    #[test]
    fn go_mod_go_line_wins_over_toolchain() {
        let text = "module example.com/m\n\ntoolchain go1.23.0\ngo 1.21 // old\n";
        assert_eq!(parse_go_mod(text), Ok(GoVersion::parse("1.21")));
        assert_eq!(
            parse_go_mod("module m\n\ngo one.two\n"),
            Err((3, "malformed go directive \"one.two\"".into()))
        );
        assert_eq!(parse_go_mod("module m\n"), Ok(None));
    }

    #[test]
    fn build_constraints_require_a_minimum_version() {
        assert_eq!(
            build_constraint_version("//go:build go1.22 && linux\n\npackage p\n"),
            GoVersion::parse("1.22")
        );
        assert_eq!(
            build_constraint_version("//go:build !go1.22\n\npackage p\n"),
            None
        );
        assert_eq!(
            build_constraint_version("package p\n//go:build go1.22\n"),
            None
        );
    }

    #[test]
    fn the_standard_library_module_has_no_prefix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("net/http")).unwrap();
        std::fs::write(dir.path().join("go.mod"), "module std\n\ngo 1.26\n").unwrap();
        let versions = ModuleVersions::default();
        assert_eq!(
            versions
                .import_path(&dir.path().join("net/http/server.go"))
                .as_deref(),
            Some("net/http")
        );
        assert_eq!(
            module_path("module \"example.com/m\" // quoted\n").as_deref(),
            Some("example.com/m")
        );
    }

    #[test]
    fn nearest_go_mod_is_found_walking_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("go.mod"), "module m\n\ngo 1.21\n").unwrap();
        std::fs::write(dir.path().join("a/go.mod"), "module m/a\n\ngo bad\n").unwrap();
        let versions = ModuleVersions::default();
        assert_eq!(
            versions.for_file(&dir.path().join("x.go")),
            GoVersion::parse("1.21")
        );
        assert_eq!(versions.for_file(&dir.path().join("a/b/y.go")), None);
        assert_eq!(
            versions
                .import_path(&dir.path().join("a/b/y.go"))
                .as_deref(),
            Some("m/a/b")
        );
        assert_eq!(versions.errors().len(), 1);
        assert_eq!(versions.errors()[0].line, 3);
    }
}
