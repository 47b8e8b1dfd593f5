//! The command line: parse flags, choose a mode and the reporters, lint the files in parallel,
//! then report (and write) their results in path order.

mod args;
mod deliver;

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::thread::JoinHandle;

use clap::Parser;
use rayon::prelude::*;

pub use args::{Args, CacheAction, ColorWhen, Command};

use crate::analysis::package::{IndexStore, PackageContext};
use crate::cache::{self, Cache};
use crate::config::Config;
use crate::engine::{FindingKey, Linter, Settings};
use crate::fix::Applicability;
use crate::goversion::{GoVersion, ModuleVersions};
use crate::pipeline::{FileContext, FileReport, process_bytes, process_one, process_path};
use crate::progress::Progress;
use crate::report::{Format, display_path};
use crate::source::SourceText;
use crate::transforms::{self, RULES, Rule};
use crate::verify;
use crate::walk;
use deliver::{Delivery, Sink};

/// Exit codes: 0 nothing found, 1 findings (or unfixed findings after -w), 2 errors.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

/// What a run does with the files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Report findings only (`--check`, `--statistics`): no fixed text is computed.
    Check,
    /// Compute the fixes and show them (a diff, `-l`, a machine format); change nothing.
    DryRun,
    /// Standard input: the fixed source goes to stdout.
    Filter,
    /// Apply the fixes in place; with `verify`, check the changed packages afterwards.
    Write { verify: Option<verify::Options> },
}

impl Mode {
    fn of(args: &Args, stdin: bool) -> Mode {
        if args.write {
            Mode::Write {
                verify: args.verify.map(|level| verify::Options {
                    level,
                    test_timeout: args.test_timeout.clone(),
                    short: !args.no_short,
                }),
            }
        } else if (args.check || args.statistics) && !args.list {
            Mode::Check
        } else if stdin && args.format == Format::Text && !args.list {
            Mode::Filter
        } else {
            Mode::DryRun
        }
    }

    /// Whether findings left unfixed (rather than all findings) decide the exit code.
    fn fixes(&self) -> bool {
        matches!(self, Mode::Filter | Mode::Write { .. })
    }
}

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

/// What -w applies, or what a dry run or --check shows as fixable.
fn threshold(args: &Args) -> Applicability {
    if args.unsafe_fixes {
        Applicability::Unsafe
    } else {
        Applicability::Safe
    }
}

/// The rules to run and fixes to apply: command-line flags, else the config file, else defaults.
fn settings(args: &Args, config: &Config, mode: &Mode) -> Result<Settings, String> {
    for id in args.select.iter().chain(&args.ignore) {
        if transforms::find(id).is_none() {
            return Err(format!("unknown rule {id:?} (see --list-rules)"));
        }
    }
    let apply = match mode {
        Mode::Check => None,
        Mode::DryRun | Mode::Filter | Mode::Write { .. } => Some(threshold(args)),
    };
    Ok(config.settings(
        &args.select,
        &args.ignore,
        apply,
        args.report_unused_ignores,
    ))
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
    match &args.command {
        Some(Command::Server) => return crate::server::run(),
        Some(Command::Cache {
            action: CacheAction::Clean,
        }) => return clean_cache(),
        None => {}
    }
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
    let config = load_config(args)?;
    let stdin = reads_stdin(args)?;
    let mode = Mode::of(args, stdin);
    let settings = settings(args, &config, &mode)?;
    if args.show_config {
        print!("{}", show_config(args, &config, &settings));
        return Ok(0);
    }
    let reporters = reporters(args, &mode, stdin)?;
    if args.verify.is_some() {
        verify::check_go_available().map_err(|err| err.to_string())?;
    }
    let mut delivery = Delivery::new(mode.clone(), &settings, threshold(args), reporters)?;
    let mut from_cache = 0;
    if stdin {
        delivery.deliver(vec![lint_stdin(args, &config, &settings)?])?;
    } else {
        let cache = open_cache(args, &mode, &settings);
        let linted = lint_paths(args, &config, &settings, cache.as_ref())?;
        if let Some(cache) = &cache {
            from_cache = cache.hits();
            cache.prune_if_due();
        }
        delivery.errors(&linted.errors);
        delivery.deliver(linted.reports)?;
    }
    let mut ended = delivery.finish(&Relint {
        settings: &settings,
        go_version: args.go_version.or(config.go_version),
    })?;
    ended.totals.files_from_cache = from_cache;
    if !args.quiet && !stdin {
        eprintln!("{}", ended.totals.summary(args.write, args.unsafe_fixes));
    }
    let mut had_error = ended.had_error;
    if let Some(path) = &args.summary_md
        && let Err(err) = std::fs::write(path, ended.totals.markdown(args.write))
    {
        eprintln!("{}: cannot write: {err}", display_path(path));
        had_error = true;
    }
    if had_error {
        return Ok(EXIT_ERROR);
    }
    if ended.verify_failed {
        return Ok(EXIT_FINDINGS);
    }
    let pending = if mode.fixes() {
        ended.totals.remaining
    } else {
        ended.totals.findings()
    };
    Ok(if pending > 0 { EXIT_FINDINGS } else { 0 })
}

/// The result cache for a run over paths, unless it is turned off or the run must not use it:
/// `--verify` re-fixes files with findings withheld and must see every fix computed afresh.
fn open_cache(args: &Args, mode: &Mode, settings: &Settings) -> Option<Cache> {
    let verifies = matches!(mode, Mode::Write { verify: Some(_) });
    if args.no_cache || cache::disabled_by_env() || verifies || !settings.withheld.is_empty() {
        return None;
    }
    let base = cache::base_dir()?;
    match Cache::open(&base, settings) {
        Ok(cache) => Some(cache),
        Err(err) => {
            // The run goes on without: a cache only saves time.
            eprintln!(
                "deferfix: warning: not using the cache in {}: {err}",
                display_path(&base)
            );
            None
        }
    }
}

/// `deferfix cache clean`.
fn clean_cache() -> Result<u8, String> {
    let base = cache::base_dir().ok_or("no cache directory: set DEFERFIX_CACHE_DIR")?;
    cache::clean(&base)
        .map_err(|err| format!("cannot clean the cache in {}: {err}", display_path(&base)))?;
    eprintln!("deferfix: cleaned the cache in {}", display_path(&base));
    Ok(0)
}

fn load_config(args: &Args) -> Result<Config, String> {
    match &args.config {
        Some(path) => Config::load(path).map_err(|err| err.to_string()),
        None => {
            let cwd = std::env::current_dir()
                .map_err(|err| format!("cannot read the working directory: {err}"))?;
            Config::discover(&cwd).map_err(|err| err.to_string())
        }
    }
}

/// Whether the input is standard input (`-`, which must then be the only path).
fn reads_stdin(args: &Args) -> Result<bool, String> {
    if !args.paths.iter().any(|path| path == "-") {
        return Ok(false);
    }
    if args.paths.len() != 1 {
        return Err("`-` (standard input) must be the only path".into());
    }
    if args.write {
        return Err("-w cannot be used with standard input".into());
    }
    Ok(true)
}

/// The reporters of this run, each with the stream it prints to, in the order they print.
fn reporters(args: &Args, mode: &Mode, stdin: bool) -> Result<Vec<Sink>, String> {
    use crate::report::{
        check::Check, diff::Diff, list::List, source::FixedSource, statistics::Statistics,
    };
    if let Some(machine) = args.format.machine_reporter() {
        for (given, flag) in [
            (args.list, "--list prints paths"),
            (args.statistics, "--statistics prints a table"),
        ] {
            if given {
                return Err(format!(
                    "{flag} and cannot be combined with --format {}",
                    format_name(args.format)
                ));
            }
        }
        let mut sinks = vec![Sink {
            reporter: machine,
            stream: deliver::Stream::Stdout,
        }];
        // Machine formats are never coloured, and neither is the diff beside them.
        if args.diff && *mode == Mode::DryRun {
            sinks.push(Sink::stderr(Diff { color: false }));
        }
        return Ok(sinks);
    }
    let color = args.color.for_stdout();
    let mut sinks = Vec::new();
    if args.check && !args.statistics {
        sinks.push(Sink::stdout(Check { color }));
    }
    if args.list {
        sinks.push(Sink::stdout(List));
    }
    if args.statistics {
        sinks.push(Sink::stdout(Statistics));
    }
    match mode {
        Mode::Filter => sinks.push(Sink::stdout(FixedSource)),
        Mode::DryRun if sinks.is_empty() && !stdin => sinks.push(Sink::stdout(Diff { color })),
        Mode::Check | Mode::DryRun | Mode::Write { .. } => {}
    }
    Ok(sinks)
}

/// A format as spelled on the command line.
fn format_name(format: Format) -> String {
    use clap::ValueEnum;
    format.to_possible_value().map_or_else(
        || format!("{format:?}"),
        |value| value.get_name().to_owned(),
    )
}

/// The files of a run, linted; errors found while walking and reading go.mod files.
struct Linted {
    reports: Vec<FileReport>,
    errors: Vec<String>,
}

/// Walks the paths and lints every Go file on a pool of worker threads.
fn lint_paths(
    args: &Args,
    config: &Config,
    settings: &Settings,
    cache: Option<&Cache>,
) -> Result<Linted, String> {
    let threads = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|err| format!("cannot start worker threads: {err}"))?;

    let compiling = compile_queries_in_background(&settings.rules);
    let (mut candidates, walk_errors) = walk::collect(&args.paths, threads);
    if let Some(rev) = &args.since {
        let changed = crate::since::changed_go_files(rev).map_err(|err| err.to_string())?;
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
                let report = match cache {
                    Some(cache) => cache.process_path(&candidate.path, &context, linter, settings),
                    None => process_path(&candidate.path, &context, linter, settings),
                };
                progress.tick();
                report
            })
            .collect()
    });
    // Long done by now; joined so that no thread is left running when the process exits.
    if let Some(compiling) = compiling {
        let _ = compiling.join();
    }
    progress.finish();
    let mut errors: Vec<String> = walk_errors
        .iter()
        .map(|error| format!("{}: {}", display_path(&error.path), error.message))
        .collect();
    errors.extend(versions.errors().iter().map(|error| {
        format!(
            "{}:{}: {}",
            display_path(&error.path),
            error.line,
            error.message
        )
    }));
    Ok(Linted { reports, errors })
}

/// Compiles the rules' queries on a thread of their own while the paths are walked, instead of
/// on the first file that needs each (about a millisecond each, on the workers' time); a worker
/// that needs a query being compiled waits for it. `None` when no thread could be started: each
/// query is then compiled on first use.
fn compile_queries_in_background(rules: &[&'static Rule]) -> Option<JoinHandle<()>> {
    let rules = rules.to_vec();
    std::thread::Builder::new()
        .name("deferfix-queries".into())
        .spawn(move || {
            for rule in rules {
                rule.query();
            }
        })
        .ok()
}

/// Re-fixes one file for `--verify` as this run fixed it, with some findings withheld.
struct Relint<'a> {
    settings: &'a Settings,
    /// `--go-version` or the config's, over each module's go.mod.
    go_version: Option<GoVersion>,
}

impl verify::Refix for Relint<'_> {
    fn refix(
        &self,
        path: &Path,
        original: &[u8],
        withheld: &[FindingKey],
    ) -> Result<Vec<u8>, String> {
        let settings = Settings {
            withheld: withheld.to_vec(),
            ..self.settings.clone()
        };
        // Explicit: the file was fixed in this run, whatever it is.
        let report = process_one(path, original.to_vec(), true, self.go_version, &settings);
        if let Some(error) = &report.error {
            return Err(format!(
                "{}:{}:{}: {}",
                display_path(path),
                error.line,
                error.column,
                error.message
            ));
        }
        Ok(report
            .change()
            .map_or_else(|| original.to_vec(), |(_, new)| new))
    }
}

/// `deferfix -`: standard input as one file of the working directory's module.
fn lint_stdin(args: &Args, config: &Config, settings: &Settings) -> Result<FileReport, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .map_err(|err| format!("cannot read standard input: {err}"))?;
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
    let mut report = process_bytes(
        Path::new("<stdin>"),
        bytes.clone(),
        &context,
        &mut Linter::default(),
        settings,
    );
    // The pipeline drops the text of files without findings; standard input always prints.
    if report.source.is_none() && report.outcome.is_some() {
        report.source = SourceText::decode(bytes).ok();
    }
    Ok(report)
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
