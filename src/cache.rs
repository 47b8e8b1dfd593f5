//! The result cache: what linting a file produced (findings, fixes, errors), stored per file under
//! a key that covers everything the result depends on, so an unchanged file is neither parsed nor
//! analysed again.
//!
//! The key hashes the deferfix version and the running binary (development builds share a
//! version), the entry format, the effective settings (rules in order,
//! fix threshold, per-rule unsafe fixes, unused-ignore reports), the file's Go version, import
//! path and name, whether it may be skipped as generated, and its bytes. A result that consulted
//! the package index (the other files of its directory) also records the index's fingerprint,
//! and is only used while that still matches. Content hashes, never mtimes: a `git checkout`
//! restores mtimes but not always contents.
//!
//! An entry is `MAGIC`, `FORMAT`, the key, a hash of the payload, then the payload as JSON. One
//! that does not match in every part is ignored and rewritten, never trusted. Entries are written
//! atomically (a temporary file renamed into place), touched when used at most once a day, and
//! those unused for [`UNUSED_FOR`] are dropped by a prune that runs at most once a day.

use std::fs;
use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::engine::{Linter, Outcome, Settings};
use crate::fix::FixState;
use crate::pipeline::{FileContext, FileError, FileReport, process_bytes};
use crate::source::SourceText;

const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Bumped whenever the entry layout, the payload or what a key covers changes.
const FORMAT: u32 = 1;
const MAGIC: &[u8; 8] = b"DFXCACHE";
const HASH_LEN: usize = 32;
const HEADER_LEN: usize = MAGIC.len() + 4 + HASH_LEN + HASH_LEN;
const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// Entries not used for this long are dropped.
pub const UNUSED_FOR: Duration = Duration::from_secs(30 * 24 * 60 * 60);
const ENTRIES: &str = "entries";
const LAST_PRUNE: &str = "last-prune";
const TAG_NAME: &str = "CACHEDIR.TAG";
/// <https://bford.info/cachedir/>: backup and sync tools skip a directory holding this file.
const TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by deferfix.\n\
# For information about cache directory tags, see https://bford.info/cachedir/\n";

type Hash = [u8; HASH_LEN];

/// Where the cache lives: `$DEFERFIX_CACHE_DIR`, else `deferfix` in the user cache directory.
pub fn base_dir() -> Option<PathBuf> {
    match std::env::var_os("DEFERFIX_CACHE_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::cache_dir().map(|dir| dir.join("deferfix")),
    }
}

/// `DEFERFIX_NO_CACHE` set to anything but empty or `0`.
pub fn disabled_by_env() -> bool {
    std::env::var_os("DEFERFIX_NO_CACHE").is_some_and(|value| !value.is_empty() && value != "0")
}

/// The cache of one run (one set of settings).
pub struct Cache {
    base: PathBuf,
    entries: PathBuf,
    run_key: Hash,
    hits: AtomicUsize,
}

impl Cache {
    /// Opens the cache under `base` for a run with `settings`, creating it (with its
    /// `CACHEDIR.TAG`) if needed.
    pub fn open(base: &Path, settings: &Settings) -> std::io::Result<Cache> {
        let entries = base.join(VERSION).join(ENTRIES);
        fs::create_dir_all(&entries)?;
        let tag = base.join(TAG_NAME);
        if !tag.is_file() {
            write_atomically_new(base, &tag, TAG.as_bytes())?;
        }
        Ok(Cache {
            base: base.to_owned(),
            entries,
            run_key: run_key(settings)?,
            hits: AtomicUsize::new(0),
        })
    }

    /// How many scanned (not generated-skipped) files were answered from the cache.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Reads and processes one file as [`crate::pipeline::process_path`] does, answering from the
    /// cache when it holds this file's result and storing the result when it did not.
    pub fn process_path(
        &self,
        path: &Path,
        context: &FileContext,
        linter: &mut Linter,
        settings: &Settings,
    ) -> FileReport {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) => return FileReport::unreadable(path, &err),
        };
        let key = self.file_key(&bytes, context);
        let entry_path = self.entry_path(&key);
        if let Some(report) = load(&entry_path, &key, path, &bytes, context) {
            // Counted among the scanned files the summary reports; generated ones are not.
            if !report.skipped_generated {
                self.hits.fetch_add(1, Ordering::Relaxed);
            }
            return report;
        }
        let report = process_bytes(path, bytes, context, linter, settings);
        if let Some(entry) = Entry::of(&report, context)
            && let Some(encoded) = encode(&key, &entry)
        {
            // A cache that cannot be written only makes the next run slower.
            let _ = entry_path
                .parent()
                .map(|shard| store(shard, &entry_path, &encoded));
        }
        report
    }

    /// Everything a file's result depends on besides the package index.
    fn file_key(&self, bytes: &[u8], context: &FileContext) -> Hash {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.run_key);
        let go_version = context.go_version.map(|version| version.to_string());
        let package = context.package;
        for part in [
            go_version.as_deref(),
            package.import_path.as_deref(),
            package.file_name.as_deref(),
        ] {
            // `None` and `Some("")` hash apart.
            hasher.update(&[u8::from(part.is_some())]);
            update_field(&mut hasher, part.unwrap_or_default().as_bytes());
        }
        let may_skip_generated = !context.explicit && !context.include_generated;
        hasher.update(&[u8::from(may_skip_generated)]);
        update_field(&mut hasher, bytes);
        *hasher.finalize().as_bytes()
    }

    fn entry_path(&self, key: &Hash) -> PathBuf {
        let hex = blake3::Hash::from_bytes(*key).to_hex();
        let (shard, rest) = hex.split_at(2);
        self.entries.join(shard).join(rest)
    }

    /// Drops the entries of every version not used for [`UNUSED_FOR`], at most once a day.
    pub fn prune_if_due(&self) {
        let stamp = self.base.join(LAST_PRUNE);
        if modified_within(&stamp, DAY) {
            return;
        }
        if fs::write(&stamp, b"").is_err() {
            return;
        }
        let cutoff = SystemTime::now().checked_sub(UNUSED_FOR);
        for entries in version_dirs(&self.base).map(|dir| dir.join(ENTRIES)) {
            for shard in children(&entries) {
                for file in children(&shard) {
                    if cutoff.is_some_and(|cutoff| modified_before(&file, cutoff)) {
                        let _ = fs::remove_file(&file);
                    }
                }
            }
        }
    }
}

/// `deferfix cache clean`: removes the entries of every version; how many version directories
/// were removed. Only directories deferfix made are touched, wherever `base` points.
pub fn clean(base: &Path) -> std::io::Result<usize> {
    let mut removed = 0;
    for dir in version_dirs(base) {
        fs::remove_dir_all(&dir)?;
        removed += 1;
    }
    match fs::remove_file(base.join(LAST_PRUNE)) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err),
        _ => {}
    }
    Ok(removed)
}

/// The directories under `base` that hold entries (one per deferfix version).
fn version_dirs(base: &Path) -> impl Iterator<Item = PathBuf> {
    children(base).filter(|dir| dir.join(ENTRIES).is_dir())
}

fn children(dir: &Path) -> impl Iterator<Item = PathBuf> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
}

fn modified_within(path: &Path, age: Duration) -> bool {
    fs::metadata(path)
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| modified.elapsed().is_ok_and(|elapsed| elapsed < age))
}

fn modified_before(path: &Path, cutoff: SystemTime) -> bool {
    fs::metadata(path)
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| modified < cutoff)
}

/// What every file's key shares: the version, the format and the effective settings.
fn run_key(settings: &Settings) -> std::io::Result<Hash> {
    #[derive(Serialize)]
    struct RunKey<'a> {
        version: &'a str,
        format: u32,
        rules: Vec<&'a str>,
        apply: Option<&'a str>,
        report_unused_ignores: bool,
        unsafe_rules: &'a [&'a str],
        withheld: usize,
        test_hooks: String,
        build: &'a str,
    }
    let key = RunKey {
        version: VERSION,
        format: FORMAT,
        rules: settings.rules.iter().map(|rule| rule.id).collect(),
        apply: settings.apply.map(|level| level.as_str()),
        report_unused_ignores: settings.report_unused_ignores,
        unsafe_rules: &settings.unsafe_rules,
        withheld: settings.withheld.len(),
        test_hooks: test_hooks_salt(),
        build: build_identity()?,
    };
    let bytes = serde_json::to_vec(&key)?;
    Ok(*blake3::hash(&bytes).as_bytes())
}

/// A hash of the running executable. Development builds share the crate version while their
/// rules change, so the version alone would let one build answer from another's entries; the
/// binary's bytes tell builds apart (hashing them costs a few milliseconds per run).
fn build_identity() -> std::io::Result<&'static str> {
    static IDENTITY: OnceLock<Result<String, String>> = OnceLock::new();
    let identity = IDENTITY.get_or_init(|| {
        let exe = std::env::current_exe().map_err(|err| err.to_string())?;
        let bytes = fs::read(&exe).map_err(|err| format!("{}: {err}", exe.display()))?;
        Ok(blake3::hash(&bytes).to_hex().to_string())
    });
    identity
        .as_deref()
        .map_err(|err| std::io::Error::other(err.clone()))
}

/// The test switches change results, so they are part of the key in the builds that have them.
fn test_hooks_salt() -> String {
    #[cfg(feature = "test-hooks")]
    return crate::test_hooks::cache_salt();
    #[cfg(not(feature = "test-hooks"))]
    String::new()
}

fn update_field(hasher: &mut blake3::Hasher, bytes: &[u8]) {
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// One file's stored result.
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The package index's fingerprint, when the result consulted the index.
    package: Option<Hash>,
    result: StoredResult,
}

#[derive(Serialize, Deserialize)]
enum StoredResult {
    Outcome(StoredOutcome),
    Error(FileError),
    SkippedGenerated,
}

/// [`Outcome`] with rule ids as owned strings (checked against the registry when read back).
#[derive(Serialize, Deserialize)]
struct StoredOutcome {
    findings: Vec<StoredFinding>,
    fixed: Option<String>,
    remaining: usize,
    applied: usize,
    fixed_rules: Vec<String>,
    suppressed: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct StoredFinding {
    rule: String,
    span: Range<usize>,
    message: String,
    fix: FixState,
}

impl Entry {
    /// The entry for a freshly computed report, or `None` when it must not be stored (unread, or
    /// depending on a package directory that could not be read).
    fn of(report: &FileReport, context: &FileContext) -> Option<Entry> {
        let result = if report.skipped_generated {
            StoredResult::SkippedGenerated
        } else if let Some(error) = &report.error {
            StoredResult::Error(error.clone())
        } else {
            StoredResult::Outcome(StoredOutcome::of(report.outcome.as_ref()?))
        };
        let package = if context.package.was_consulted() {
            Some(context.package.index()?.fingerprint())
        } else {
            None
        };
        Some(Entry { package, result })
    }

    /// The report this entry stands for, for `path` with `bytes`; `None` if it does not fit.
    fn report(self, path: &Path, bytes: &[u8], context: &FileContext) -> Option<FileReport> {
        if let Some(fingerprint) = self.package
            && context.package.index()?.fingerprint() != fingerprint
        {
            return None;
        }
        let mut report = FileReport {
            path: path.to_owned(),
            source: None,
            outcome: None,
            error: None,
            skipped_generated: false,
        };
        match self.result {
            StoredResult::SkippedGenerated => report.skipped_generated = true,
            StoredResult::Error(error) => report.error = Some(error),
            StoredResult::Outcome(stored) => {
                // As the pipeline does: only files with findings keep their text.
                if !stored.findings.is_empty() {
                    let source = SourceText::decode(bytes.to_vec()).ok()?;
                    report.outcome = Some(stored.outcome(&source.text)?);
                    report.source = Some(source);
                } else {
                    report.outcome = Some(stored.outcome("")?);
                }
            }
        }
        Some(report)
    }
}

impl StoredOutcome {
    fn of(outcome: &Outcome) -> StoredOutcome {
        let owned = |rules: &[&str]| rules.iter().map(|rule| (*rule).to_owned()).collect();
        StoredOutcome {
            findings: outcome
                .findings
                .iter()
                .map(|finding| StoredFinding {
                    rule: finding.rule.to_owned(),
                    span: finding.span.clone(),
                    message: finding.message.clone(),
                    fix: finding.fix.clone(),
                })
                .collect(),
            fixed: outcome.fixed.clone(),
            remaining: outcome.remaining,
            applied: outcome.applied,
            fixed_rules: owned(&outcome.fixed_rules),
            suppressed: owned(&outcome.suppressed),
        }
    }

    /// The outcome on `text`, or `None` if a rule is unknown or a range does not fit the text
    /// (reporters slice the text with them).
    fn outcome(self, text: &str) -> Option<Outcome> {
        let rules = |ids: Vec<String>| -> Option<Vec<&'static str>> {
            ids.iter().map(|id| known_rule(id)).collect()
        };
        let mut findings = Vec::with_capacity(self.findings.len());
        for stored in self.findings {
            let fits = fits(text, &stored.span)
                && stored
                    .fix
                    .fix()
                    .is_none_or(|fix| fix.edits().iter().all(|edit| fits(text, &edit.range)));
            if !fits {
                return None;
            }
            findings.push(crate::fix::Finding {
                rule: known_rule(&stored.rule)?,
                span: stored.span,
                message: stored.message,
                fix: stored.fix,
            });
        }
        Some(Outcome {
            findings,
            fixed: self.fixed,
            remaining: self.remaining,
            applied: self.applied,
            fixed_rules: rules(self.fixed_rules)?,
            suppressed: rules(self.suppressed)?,
        })
    }
}

fn fits(text: &str, range: &Range<usize>) -> bool {
    range.start <= range.end
        && text.is_char_boundary(range.start)
        && text.is_char_boundary(range.end)
}

/// A rule id of the registry (or the unused-ignore pseudo-rule), as the `'static` string
/// findings carry.
fn known_rule(id: &str) -> Option<&'static str> {
    if id == crate::suppress::UNUSED_IGNORE {
        return Some(crate::suppress::UNUSED_IGNORE);
    }
    crate::transforms::find(id).map(|rule| rule.id)
}

fn encode(key: &Hash, entry: &Entry) -> Option<Vec<u8>> {
    let payload = serde_json::to_vec(entry).ok()?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(blake3::hash(&payload).as_bytes());
    out.extend_from_slice(&payload);
    Some(out)
}

/// The entry in `bytes`, if it is one of this format, for `key`, and intact.
fn decode(key: &Hash, bytes: &[u8]) -> Option<Entry> {
    let (magic, rest) = bytes.split_at_checked(MAGIC.len())?;
    let (format, rest) = rest.split_at_checked(4)?;
    let (stored_key, rest) = rest.split_at_checked(HASH_LEN)?;
    let (checksum, payload) = rest.split_at_checked(HASH_LEN)?;
    let intact = magic == MAGIC
        && format == FORMAT.to_le_bytes()
        && stored_key == key
        && checksum == blake3::hash(payload).as_bytes();
    if !intact {
        return None;
    }
    serde_json::from_slice(payload).ok()
}

/// The cached report for `key`, touching the entry so the prune keeps it.
fn load(
    entry_path: &Path,
    key: &Hash,
    path: &Path,
    bytes: &[u8],
    context: &FileContext,
) -> Option<FileReport> {
    let mut file = fs::File::open(entry_path).ok()?;
    let mut stored = Vec::new();
    file.read_to_end(&mut stored).ok()?;
    let report = decode(key, &stored)?.report(path, bytes, context)?;
    let stale = file
        .metadata()
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| modified.elapsed().is_ok_and(|elapsed| elapsed > DAY));
    if stale {
        // Failing to touch only means the entry may be pruned and computed again.
        let _ = file.set_modified(SystemTime::now());
    }
    Some(report)
}

/// Writes an entry atomically, so a concurrent reader sees the old entry, the new one or none.
fn store(shard: &Path, entry_path: &Path, encoded: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(shard)?;
    write_atomically_new(shard, entry_path, encoded)
}

/// A temporary file in `dir` renamed to `path` (which need not exist, unlike
/// [`crate::write::write_atomically`], which keeps an existing file's permissions).
fn write_atomically_new(dir: &Path, path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut temporary = tempfile::Builder::new()
        .prefix(".deferfix-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temporary.write_all(contents)?;
    temporary.persist(path).map_err(|err| err.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            package: None,
            result: StoredResult::SkippedGenerated,
        }
    }

    #[test]
    fn an_entry_reads_back_only_for_its_key_and_intact() {
        let key = [7; HASH_LEN];
        let encoded = encode(&key, &entry()).unwrap();
        assert!(decode(&key, &encoded).is_some());
        assert!(decode(&[8; HASH_LEN], &encoded).is_none());
        let mut flipped = encoded.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(decode(&key, &flipped).is_none());
        assert!(decode(&key, &encoded[..HEADER_LEN - 1]).is_none());
        let mut other_format = encoded;
        other_format[MAGIC.len()] ^= 1;
        assert!(decode(&key, &other_format).is_none());
    }

    #[test]
    fn outcomes_with_unknown_rules_or_ranges_off_the_text_are_refused() {
        let stored = |rule: &str, span: Range<usize>| StoredOutcome {
            findings: vec![StoredFinding {
                rule: rule.to_owned(),
                span,
                message: "m".into(),
                fix: FixState::ReportOnly,
            }],
            fixed: None,
            remaining: 1,
            applied: 0,
            fixed_rules: Vec::new(),
            suppressed: Vec::new(),
        };
        let rule = crate::transforms::RULES[0].id;
        assert!(stored(rule, 0..3).outcome("abc").is_some());
        assert!(stored("no-such-rule", 0..3).outcome("abc").is_none());
        assert!(stored(rule, 0..4).outcome("abc").is_none());
        assert!(stored(rule, 1..2).outcome("é").is_none());
    }
}
