//! The command-line flags, following gofmt and go vet where they have one.

use clap::Parser;

use crate::goversion::GoVersion;
use crate::report::Format;
use crate::verify;
use crate::walk;

/// Finds `defer` statements that run later than intended in Go code, and fixes them.
///
/// By default prints a unified diff of every safe fix and changes nothing.
#[derive(Parser, Debug)]
#[command(
    name = "deferfix",
    // The crate version, and the commit when built from a checkout (build.rs).
    version = env!("DEFERFIX_VERSION_LINE"),
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
pub struct Args {
    /// `deferfix server`: run as a language server instead; `deferfix cache clean`: empty the
    /// result cache (a directory named `server` or `cache` is `./server`, `./cache`).
    #[command(subcommand)]
    pub command: Option<Command>,

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

    /// How findings are printed: `text` (a diff, or lines with --check), `json` (one document),
    /// `github` (workflow commands that annotate a pull request), `sarif` (code scanning),
    /// `rdjson` (reviewdog, with fixes as suggestions) or `codeclimate` (GitLab Code Quality).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// With --write: afterwards build and vet every changed Go package (`go` on PATH), and with
    /// `--verify=test` run its tests too; a package that fails is restored, and its fixes are
    /// re-applied in halves to keep those that pass. The rules and findings rolled back are
    /// reported.
    #[arg(
        long,
        requires = "write",
        value_enum,
        value_name = "LEVEL",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "build"
    )]
    pub verify: Option<verify::Level>,

    /// With --verify=test: the `go test -timeout` of each package.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10m",
        requires = "verify"
    )]
    pub test_timeout: String,

    /// With --verify=test: run the tests without `-short`.
    #[arg(long, requires = "verify")]
    pub no_short: bool,

    /// Quiet: no progress bar and no summary line on stderr (errors are still reported).
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Colour the diff and findings: `auto` (on a terminal, unless NO_COLOR is set), `always` or
    /// `never`.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: ColorWhen,

    /// With a machine-readable --format: also print the diff of the fixes, to stderr (stdout keeps
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

    /// Do not read or write the result cache (also `DEFERFIX_NO_CACHE=1`). The cache is in
    /// `$DEFERFIX_CACHE_DIR`, else the user cache directory's `deferfix`.
    #[arg(long)]
    pub no_cache: bool,

    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run a language server over stdio: diagnostics and code actions for open Go files.
    Server,
    /// Manage the result cache.
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum CacheAction {
    /// Remove every cached result (of every deferfix version).
    Clean,
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
    pub fn for_stdout(self) -> bool {
        match self {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
            }
        }
    }
}
