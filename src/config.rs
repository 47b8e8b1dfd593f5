//! `deferfix.toml`: project settings a team commits next to go.mod, so every run (a developer's,
//! the PR check's, the fix bot's) uses the same rules. Found by walking up from the working
//! directory, or named with `--config`. Command-line flags override it.
//!
//! ```toml
//! select = ["defer-in-loop", "tx-rollback"]   # default: every rule
//! ignore = ["exit-after-defer"]
//! exclude = ["gen/**", "**/*_mock.go"]        # globs, relative to this file's directory
//! go-version = "1.21"                          # instead of each module's go.mod
//!
//! [rules.defer-in-loop]
//! unsafe = true                                # apply this rule's unsafe fixes with -w
//! ```

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::engine::Settings;
use crate::fix::Applicability;
use crate::goversion::GoVersion;
use crate::transforms;

pub const FILE_NAME: &str = "deferfix.toml";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    go_version: Option<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, RuleConfig>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RuleConfig {
    #[serde(default, rename = "unsafe")]
    unsafe_fixes: bool,
}

/// The settings read from a `deferfix.toml`, checked.
#[derive(Debug, Default)]
pub struct Config {
    /// The file they came from.
    pub path: Option<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub exclude: Vec<String>,
    exclude_set: Option<GlobSet>,
    pub go_version: Option<GoVersion>,
    /// Rules whose unsafe fixes `-w` applies.
    pub unsafe_rules: Vec<String>,
}

impl Config {
    /// The rules to run and fixes to apply: `select`/`ignore` given on the command line replace
    /// the file's lists (an empty slice keeps them); `apply` as in [`Settings::apply`].
    pub fn settings(
        &self,
        select: &[String],
        ignore: &[String],
        apply: Option<Applicability>,
        report_unused_ignores: bool,
    ) -> Settings {
        let chosen = |flag: &[String], file: &Option<Vec<String>>| {
            if flag.is_empty() {
                file.clone().unwrap_or_default()
            } else {
                flag.to_vec()
            }
        };
        let select = chosen(select, &self.select);
        let ignore = chosen(ignore, &self.ignore);
        let rules = transforms::RULES
            .iter()
            .copied()
            .filter(|rule| select.is_empty() || select.iter().any(|id| id == rule.id))
            .filter(|rule| !ignore.iter().any(|id| id == rule.id))
            .collect();
        let unsafe_rules = transforms::RULES
            .iter()
            .filter(|rule| self.unsafe_rules.iter().any(|id| id == rule.id))
            .map(|rule| rule.id)
            .collect();
        Settings {
            rules,
            apply,
            report_unused_ignores,
            unsafe_rules,
            withheld: Vec::new(),
            lexical_prefilter: crate::engine::lexical_prefilter_default(),
        }
    }

    /// The nearest `deferfix.toml` at or above `start`, read; an empty config when there is none.
    pub fn discover(start: &Path) -> Result<Config, ConfigError> {
        let found = start
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|candidate| candidate.is_file());
        match found {
            Some(path) => Config::load(&path),
            None => Ok(Config::default()),
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses and checks a config; errors read `path:line: message`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let at = |span: Option<Range<usize>>, message: &str| ConfigError::Invalid {
            path: path.to_owned(),
            line: span.map_or(1, |span| line_of(text, span.start)),
            message: message.to_owned(),
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|err| at(err.span(), err.message().trim_end()))?;
        let check_rule = |id: &Spanned<String>| {
            if transforms::find(id.get_ref()).is_some() {
                Ok(id.get_ref().clone())
            } else {
                Err(at(
                    Some(id.span()),
                    &format!(
                        "unknown rule {:?} (see deferfix --list-rules)",
                        id.get_ref()
                    ),
                ))
            }
        };
        let rule_list =
            |list: Option<Vec<Spanned<String>>>| -> Result<Option<Vec<String>>, ConfigError> {
                list.map(|ids| ids.iter().map(check_rule).collect())
                    .transpose()
            };
        let select = rule_list(raw.select)?;
        let ignore = rule_list(raw.ignore)?;
        let mut unsafe_rules = Vec::new();
        for (id, rule) in &raw.rules {
            let id = check_rule(id)?;
            if rule.unsafe_fixes {
                unsafe_rules.push(id);
            }
        }
        let go_version = raw
            .go_version
            .map(|version| {
                GoVersion::parse(version.get_ref()).ok_or_else(|| {
                    at(
                        Some(version.span()),
                        &format!(
                            "go-version: not a Go version: {:?} (expected e.g. \"1.21\")",
                            version.get_ref()
                        ),
                    )
                })
            })
            .transpose()?;
        let mut builder = GlobSetBuilder::new();
        for pattern in &raw.exclude {
            let glob = Glob::new(pattern.get_ref())
                .map_err(|err| at(Some(pattern.span()), &format!("exclude: {err}")))?;
            builder.add(glob);
        }
        let exclude_set = builder
            .build()
            .map_err(|err| at(None, &format!("exclude: {err}")))?;
        Ok(Config {
            path: Some(path.to_owned()),
            select,
            ignore,
            exclude: raw.exclude.into_iter().map(Spanned::into_inner).collect(),
            exclude_set: Some(exclude_set),
            go_version,
            unsafe_rules,
        })
    }

    /// Whether a walked file is excluded: its path relative to the config file's directory
    /// matches an `exclude` glob.
    pub fn excludes(&self, file: &Path) -> bool {
        let (Some(set), Some(config)) = (&self.exclude_set, &self.path) else {
            return false;
        };
        let base = config.parent().unwrap_or(Path::new(""));
        let absolute = std::env::current_dir()
            .map(|cwd| cwd.join(file))
            .unwrap_or_else(|_| file.to_owned());
        let base = std::env::current_dir()
            .map(|cwd| cwd.join(base))
            .unwrap_or_else(|_| base.to_owned());
        absolute
            .strip_prefix(&base)
            .is_ok_and(|relative| set.is_match(relative))
    }
}

/// Why a `deferfix.toml` cannot be used; `Display` reads `path: …` or `path:line: …`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", .path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(Path::new("deferfix.toml"), text).map_err(|err| err.to_string())
    }

    #[test]
    fn a_full_config_reads() {
        let config = parse(
            "select = [\"defer-in-loop\", \"tx-rollback\"]\nignore = [\"exit-after-defer\"]\nexclude = [\"gen/**\"]\ngo-version = \"1.21\"\n\n[rules.defer-in-loop]\nunsafe = true\n",
        )
        .unwrap();
        assert_eq!(
            config.select.as_deref(),
            Some(&["defer-in-loop".to_owned(), "tx-rollback".to_owned()][..])
        );
        assert_eq!(config.unsafe_rules, vec!["defer-in-loop".to_owned()]);
        assert_eq!(config.go_version, GoVersion::parse("1.21"));
    }

    #[test]
    fn mistakes_name_the_file_line_and_key() {
        let cases = [
            ("select = []\nunsafe = true\n", "deferfix.toml:2:", "unsafe"),
            (
                "select = [\"no-such-rule\"]\n",
                "deferfix.toml:1:",
                "no-such-rule",
            ),
            (
                "\n\ngo-version = \"one\"\n",
                "deferfix.toml:3:",
                "go-version",
            ),
            (
                "select = \"defer-in-loop\"\n",
                "deferfix.toml:1:",
                "sequence",
            ),
            (
                "[rules.defer-in-loop]\nunsafe = \"yes\"\n",
                "deferfix.toml:2:",
                "bool",
            ),
            (
                "[rules.defer-in-loop]\nunsave = true\n",
                "deferfix.toml:2:",
                "unsave",
            ),
            ("[rules.nope]\nunsafe = true\n", "deferfix.toml:1:", "nope"),
            ("exclude = [\"a/{b\"]\n", "deferfix.toml:1:", "exclude"),
        ];
        for (text, at, key) in cases {
            let err = parse(text)
                .err()
                .unwrap_or_else(|| panic!("accepted {text:?}"));
            assert!(err.starts_with(at), "{text:?}: {err}");
            assert!(err.contains(key), "{text:?}: {err}");
        }
    }
}
