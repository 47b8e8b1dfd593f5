//! The command line: flags (gofmt / go vet conventions), running the pipeline in parallel, and
//! printing results in path order.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use rayon::prelude::*;

use crate::analysis::package::{IndexStore, PackageContext};
use crate::config::Config;
use crate::engine::{Linter, Settings};
use crate::fix::Applicability;
use crate::formats::{Format, github_lines, json_document, json_findings, sarif_log};
use crate::goversion::{GoVersion, ModuleVersions};
use crate::pipeline::{FileContext, FileReport, process_bytes, process_path};
use crate::progress::Progress;
use crate::render::{check_lines, display_path, paint_check_lines, paint_diff, unified_diff};
use crate::summary::Totals;
use crate::transforms::{self, RULES};
use crate::verify;
use crate::walk;
use crate::write::write_atomically;

/// Finds `defer` statements that run later than intended in Go code, and fixes them.
///
/// By default prints a unified diff of every safe fix and changes nothing.
#[derive(Parser, Debug)]
#[command(name = "deferfix", version, about, long_about = None)]
pub struct Args {
    /// Files or directories to process; `./...` and `dir/...` mean the directory, recursively;
    /// `-` alone reads Go source on stdin and writes the fixed source to stdout.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<String>,

    /// Apply fixes in place instead of printing a diff.
    #[arg(short = 'w', long)]
    pub write: bool,

    /// Also apply (or show) fixes classed unsafe.
    #[arg(long = "unsafe")]
    pub unsafe_fixes: bool,

    /// Print only the paths of files that would change (that changed, with -w).
    #[arg(short = 'l', long)]
    pub list: bool,

    /// Print findings as `path:line:col: rule-id: message` instead of a diff.
    #[arg(long)]
    pub check: bool,

    /// Print, per rule, the findings by fix state (safe, unsafe, no fix, report only) and the
    /// reasons fixes are held back, with counts, instead of the diff or the findings.
    #[arg(long)]
    pub statistics: bool,

    /// How findings are printed: `text` (a diff, or lines with --check), `json` (one document)
    /// or `github` (workflow commands that annotate a pull request).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// With --write: build and vet every changed Go package afterwards (`go` on PATH) and restore
    /// the files of any package that fails, reporting the rules whose fixes were rolled back.
    #[arg(long, requires = "write")]
    pub verify: bool,

    /// Quiet: no progress bar and no summary line on stderr (errors are still reported).
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Colour the diff and findings: `auto` (on a terminal, unless NO_COLOR is set), `always` or
    /// `never`.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorWhen,

    /// With --format json or github: also print the diff of the fixes, to stderr (stdout keeps
    /// only the findings).
    #[arg(long)]
    pub diff: bool,

    /// Run only these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    pub select: Vec<String>,

    /// Do not run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULE,...")]
    pub ignore: Vec<String>,

    /// Process only a deterministic part of the files (by path hash), e.g. `2/4`: the shards
    /// 1/N..N/N together are a full run. For CI matrices over large trees.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<walk::Shard>,

    /// Only files changed since the merge base of REV (a branch, tag or commit) and the working
    /// tree, as `git` reports them: what a pull request touched.
    #[arg(long, value_name = "REV")]
    pub since: Option<String>,

    /// Read settings from this file instead of the nearest `deferfix.toml` above the working
    /// directory.
    #[arg(long, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,

    /// Also write a Markdown summary (rules × findings, fixed, held back, suppressed; files
    /// changed) to FILE, e.g. for a bot's pull-request body.
    #[arg(long, value_name = "FILE")]
    pub summary_md: Option<std::path::PathBuf>,

    /// Print the effective settings (config file and flags combined) and exit.
    #[arg(long)]
    pub show_config: bool,

    /// Report `//deferfix:ignore` and `//nolint:deferfix` comments that silence nothing.
    #[arg(long)]
    pub report_unused_ignores: bool,

    /// List the rules and exit.
    #[arg(long)]
    pub list_rules: bool,

    /// Print a rule's documentation and exit.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,

    /// Also process files marked `// Code generated ... DO NOT EDIT.`.
    #[arg(long)]
    pub include_generated: bool,

    /// Go language version to assume for every file instead of each module's go.mod `go` line
    /// (e.g. 1.21); a `//go:build` line requiring go1.N still sets that file's version.
    #[arg(long, value_name = "1.N", value_parser = parse_go_version)]
    pub go_version: Option<GoVersion>,

    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
}

fn parse_go_version(text: &str) -> Result<GoVersion, String> {
    GoVersion::parse(text).ok_or_else(|| format!("not a Go version: {text:?} (expected e.g. 1.21)"))
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Whether text for stdout gets colour: `auto` asks anstream, which checks for a terminal
    /// and honours NO_COLOR and CLICOLOR_FORCE.
    fn for_stdout(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
            }
        }
    }
}

/// Set only by deferfix's own tests: with --verify, every written file whose path contains its
/// value gets a line that does not compile, so the rollback can be tested on correct fixes.
const TEST_BREAK_FIXES: &str = "DEFERFIX_TEST_BREAK_FIXES";

/// Exit codes: 0 nothing found, 1 findings (or unfixed findings after -w), 2 errors.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("deferfix: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// The rules to run and fixes to apply: command-line flags, else the config file, else defaults.
fn settings(args: &Args, config: &Config) -> Result<Settings, String> {
    for id in args.select.iter().chain(&args.ignore) {
        if transforms::find(id).is_none() {
            return Err(format!("unknown rule {id:?} (see --list-rules)"));
        }
    }
    let select = if args.select.is_empty() {
        config.select.clone().unwrap_or_default()
    } else {
        args.select.clone()
    };
    let ignore = if args.ignore.is_empty() {
        config.ignore.clone().unwrap_or_default()
    } else {
        args.ignore.clone()
    };
    let rules = RULES
        .iter()
        .copied()
        .filter(|rule| select.is_empty() || select.iter().any(|id| id == rule.id))
        .filter(|rule| !ignore.iter().any(|id| id == rule.id))
        .collect();
    let threshold = if args.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    // --check and -l without -w only report, but the diff and -l need the fixed text.
    let apply = if (args.check || args.statistics) && !args.write && !args.list {
        None
    } else {
        Some(threshold)
    };
    let unsafe_rules = RULES
        .iter()
        .filter(|rule| config.unsafe_rules.iter().any(|id| id == rule.id))
        .map(|rule| rule.id)
        .collect();
    Ok(Settings {
        rules,
        apply,
        report_unused_ignores: args.report_unused_ignores,
        unsafe_rules,
    })
}

/// `--show-config`: the settings this run would use, as TOML.
fn show_config(args: &Args, config: &Config, settings: &Settings) -> String {
    let quoted = |items: &[&str]| {
        items
            .iter()
            .map(|item| format!("{item:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let source = config
        .path
        .as_ref()
        .map_or("none".to_owned(), |path| display_path(path));
    let rules: Vec<&str> = settings.rules.iter().map(|rule| rule.id).collect();
    let exclude: Vec<&str> = config.exclude.iter().map(String::as_str).collect();
    let go_version = args.go_version.or(config.go_version).map_or(
        "# go-version: from each module's go.mod".to_owned(),
        |version| format!("go-version = \"{version}\""),
    );
    let mut out = format!(
        "# config file: {source}\nselect = [{}]\nexclude = [{}]\n{go_version}\n",
        quoted(&rules),
        quoted(&exclude),
    );
    if !settings.unsafe_rules.is_empty() {
        out.push_str(&format!(
            "# unsafe fixes applied with -w for: {}\n",
            settings.unsafe_rules.join(", ")
        ));
    }
    out
}

pub fn run(args: &Args) -> Result<u8, String> {
    if args.list_rules {
        let width = RULES.iter().map(|rule| rule.id.len()).max().unwrap_or(0);
        for rule in RULES {
            println!("{:<width$}  {}", rule.id, rule.summary);
        }
        return Ok(0);
    }
    if let Some(id) = &args.explain {
        let rule = transforms::find(id)
            .ok_or_else(|| format!("unknown rule {id:?} (see --list-rules)"))?;
        print!("{}", explain(rule));
        return Ok(0);
    }
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => {
            let cwd = std::env::current_dir()
                .map_err(|err| format!("cannot read the working directory: {err}"))?;
            Config::discover(&cwd)?
        }
    };
    let settings = settings(args, &config)?;
    if args.verify {
        verify::check_go_available()?;
    }
    if args.show_config {
        print!("{}", show_config(args, &config, &settings));
        return Ok(0);
    }
    if args.format != Format::Text && args.list {
        return Err(
            "--list prints paths and cannot be combined with --format json, github or sarif".into(),
        );
    }
    if args.format != Format::Text && args.statistics {
        return Err(
            "--statistics prints a table and cannot be combined with --format json, github or sarif"
                .into(),
        );
    }
    if args.paths.iter().any(|path| path == "-") {
        if args.paths.len() != 1 {
            return Err("`-` (standard input) must be the only path".into());
        }
        return run_stdin(args, &config, &settings);
    }
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|err| format!("cannot start worker threads: {err}"))?;

    let (mut candidates, walk_errors) = walk::collect(&args.paths, threads);
    if let Some(rev) = &args.since {
        let changed = crate::since::changed_go_files(rev)?;
        candidates.retain(|candidate| crate::since::is_changed(&candidate.path, &changed));
    }
    // Explicitly named files are always processed, as with the other skipping rules.
    candidates.retain(|candidate| candidate.explicit || !config.excludes(&candidate.path));
    if let Some(shard) = args.shard {
        candidates.retain(|candidate| shard.contains(&display_path(&candidate.path)));
    }
    let versions = ModuleVersions::default();
    let indexes = IndexStore::default();
    let progress = Progress::new(candidates.len(), args.quiet);
    let reports: Vec<FileReport> = pool.install(|| {
        candidates
            .par_iter()
            .map_init(Linter::default, |linter, candidate| {
                let go_version = args
                    .go_version
                    .or(config.go_version)
                    .or_else(|| versions.for_file(&candidate.path));
                let package = PackageContext::on_disk(
                    &indexes,
                    &candidate.path,
                    versions.import_path(&candidate.path),
                );
                let context = FileContext {
                    explicit: candidate.explicit,
                    include_generated: args.include_generated,
                    go_version,
                    package: &package,
                };
                let report = process_path(&candidate.path, &context, linter, &settings);
                progress.tick();
                report
            })
            .collect()
    });
    progress.finish();

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut totals = Totals::default();
    // What -w applies, or what a dry run or --check shows as fixable.
    let threshold = if args.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    };
    let mut json = Vec::new();
    let pending = if args.verify {
        Some(verify::Pending::install()?)
    } else {
        None
    };
    // Machine formats are never coloured.
    let color = args.format == Format::Text && args.color.for_stdout();
    let mut had_error = false;
    for error in &walk_errors {
        eprintln!("{}: {}", display_path(&error.path), error.message);
        had_error = true;
    }
    for error in versions.errors() {
        eprintln!(
            "{}:{}: {}",
            display_path(&error.path),
            error.line,
            error.message
        );
        had_error = true;
    }
    for report in &reports {
        if report.skipped_generated {
            totals.files_skipped_generated += 1;
            continue;
        }
        totals.files_scanned += 1;
        if let Some(error) = &report.error {
            eprintln!(
                "{}:{}:{}: {}",
                display_path(&report.path),
                error.line,
                error.column,
                error.message
            );
            totals.files_with_errors += 1;
            had_error = true;
            continue;
        }
        if let Some(outcome) = &report.outcome {
            totals.add_suppressed(&outcome.suppressed);
        }
        let (Some(source), Some(outcome)) = (&report.source, &report.outcome) else {
            continue;
        };
        totals.add_findings(&outcome.findings, &|finding| {
            settings.applies(finding, threshold)
        });
        totals.remaining += outcome.remaining;
        match args.format {
            Format::Json | Format::Sarif => {
                json.extend(json_findings(&report.path, &source.text, &outcome.findings));
            }
            Format::Github => write_out(
                &mut out,
                &github_lines(&report.path, &source.text, &outcome.findings),
            )?,
            Format::Text => {}
        }
        if args.check && !args.statistics && args.format == Format::Text {
            let lines = check_lines(&report.path, &source.text, &outcome.findings);
            let lines = if color {
                paint_check_lines(&lines)
            } else {
                lines
            };
            write_out(&mut out, &lines)?;
        }
        let Some((old, new)) = report.change() else {
            continue;
        };
        totals.files_changed += 1;
        totals.findings_fixed += outcome.findings.len().saturating_sub(outcome.remaining);
        if args.list {
            write_out(&mut out, &format!("{}\n", display_path(&report.path)))?;
        }
        if args.write {
            let broken_by_test = std::env::var(TEST_BREAK_FIXES)
                .is_ok_and(|part| display_path(&report.path).contains(&part));
            let new = if args.verify && broken_by_test {
                [new.as_slice(), b"\nvar _ = deferfixTestBreak\n"].concat()
            } else {
                new
            };
            let result = match &pending {
                Some(pending) => pending.write(
                    verify::Written {
                        path: report.path.clone(),
                        original: old,
                        rules: outcome.fixed_rules.clone(),
                        fixed: outcome.findings.len().saturating_sub(outcome.remaining),
                    },
                    &new,
                ),
                None => write_atomically(&report.path, &new),
            };
            if let Err(err) = result {
                eprintln!("{}:1:1: cannot write: {err}", display_path(&report.path));
                totals.files_with_errors += 1;
                had_error = true;
            }
        } else if args.format == Format::Text && !args.list && !args.check && !args.statistics {
            let old = String::from_utf8_lossy(&old);
            let new = String::from_utf8_lossy(&new);
            let diff = unified_diff(&report.path, &old, &new);
            let diff = if color { paint_diff(&diff) } else { diff };
            write_out(&mut out, &diff)?;
        } else if args.format != Format::Text && args.diff {
            let old = String::from_utf8_lossy(&old);
            let new = String::from_utf8_lossy(&new);
            eprint!("{}", unified_diff(&report.path, &old, &new));
        }
    }
    if args.statistics {
        write_out(&mut out, &totals.statistics())?;
    }
    match args.format {
        Format::Json => write_out(&mut out, &json_document(&json, &totals))?,
        Format::Sarif => write_out(&mut out, &sarif_log(&json))?,
        Format::Text | Format::Github => {}
    }
    out.flush()
        .map_err(|err| format!("cannot write to stdout: {err}"))?;
    let mut verify_failed = false;
    if let Some(pending) = &pending {
        let (rolled_back, errors) = pending.verify();
        for package in &rolled_back {
            eprintln!(
                "{}: {} failed after the fixes; rolled back the fixes of {} ({}):\n{}",
                display_path(&package.directory),
                package.step,
                package.rules.join(", "),
                if package.files == 1 {
                    "1 file".to_owned()
                } else {
                    format!("{} files", package.files)
                },
                package.output
            );
            totals.files_changed -= package.files;
            totals.findings_fixed -= package.unfixed;
            totals.remaining += package.unfixed;
            verify_failed = true;
        }
        for error in &errors {
            eprintln!("{error}");
            had_error = true;
        }
    }
    if !args.quiet {
        eprintln!("{}", totals.summary(args.write, args.unsafe_fixes));
    }
    if let Some(path) = &args.summary_md
        && let Err(err) = std::fs::write(path, totals.markdown(args.write))
    {
        eprintln!("{}: cannot write: {err}", display_path(path));
        had_error = true;
    }

    if had_error {
        return Ok(EXIT_ERROR);
    }
    if verify_failed {
        return Ok(EXIT_FINDINGS);
    }
    let pending = if args.write {
        totals.remaining
    } else {
        totals.findings()
    };
    Ok(if pending > 0 { EXIT_FINDINGS } else { 0 })
}

/// `--explain RULE`: the rule's README, then the reason codes its held-back fixes can carry.
fn explain(rule: &transforms::Rule) -> String {
    let mut out = rule.docs.to_owned();
    if !rule.reasons.is_empty() {
        out.push_str("\n## Reason codes\n");
        for code in rule.reasons {
            out.push_str(&format!("- `{}`: {}\n", code.as_str(), code.description()));
        }
    }
    out
}

fn write_out(out: &mut impl Write, text: &str) -> Result<(), String> {
    out.write_all(text.as_bytes())
        .map_err(|err| format!("cannot write to stdout: {err}"))
}

/// `deferfix -`: fixed source on stdout (or findings with --check), for editors.
fn run_stdin(args: &Args, config: &Config, settings: &Settings) -> Result<u8, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read standard input: {err}"))?;
    let original = bytes.clone();
    let mut linter = Linter::default();
    // Standard input belongs to the module of the working directory.
    let go_version = args
        .go_version
        .or(config.go_version)
        .or_else(|| ModuleVersions::default().for_file(Path::new("./<stdin>")));
    let package = PackageContext::alone();
    let context = FileContext {
        explicit: true,
        include_generated: true,
        go_version,
        package: &package,
    };
    let report = process_bytes(Path::new("<stdin>"), bytes, &context, &mut linter, settings);
    if let Some(error) = &report.error {
        eprintln!("<stdin>:{}:{}: {}", error.line, error.column, error.message);
        return Ok(EXIT_ERROR);
    }
    let Some(outcome) = &report.outcome else {
        return Ok(EXIT_ERROR);
    };
    let mut out = std::io::stdout().lock();
    if args.check {
        // The pipeline keeps the source only when there are findings to print.
        if let Some(source) = &report.source {
            write_out(
                &mut out,
                &check_lines(&report.path, &source.text, &outcome.findings),
            )?;
        }
        return Ok(if outcome.findings.is_empty() {
            0
        } else {
            EXIT_FINDINGS
        });
    }
    let fixed = report.change().map_or(original, |(_, new)| new);
    out.write_all(&fixed)
        .map_err(|err| format!("cannot write to stdout: {err}"))?;
    Ok(if outcome.remaining > 0 {
        EXIT_FINDINGS
    } else {
        0
    })
}
