//! The package index: the other files of a file's package, read once per directory per run and
//! only when a decision needs a declaration that is not in the file itself. A file is outlined
//! lexically ([`super::lexical`]) only when the name looked up occurs in it as a word, and a
//! declaration is parsed only when it is looked up.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use tree_sitter::Tree;

use super::facts::DeclFacts;
use super::imports::Imports;
use super::lexical::{DeclKind, FileOutline, LexDecl, outline};
use super::stdlib::Origins;
use super::{Answer, Question};

/// One Go file of a directory.
pub struct SourceFile {
    /// The file name, for messages (`tracker.go`).
    pub name: String,
    pub text: Arc<str>,
    /// The package clause's name.
    pub package: String,
    /// `//go:build ignore`: a program beside the package, not part of it.
    pub ignored: bool,
    outline: OnceLock<FileOutline>,
    imports: OnceLock<Imports>,
    /// Complete answers about its functions, by declaration index and question.
    answers: Mutex<HashMap<(usize, Question), Answer>>,
    /// What its declarations say (signatures, types), by declaration index.
    facts: Mutex<HashMap<usize, Arc<DeclFacts>>>,
}

impl SourceFile {
    pub fn new(name: String, text: Arc<str>) -> SourceFile {
        let header = super::lexical::header(&text);
        SourceFile {
            name,
            text,
            package: header.package,
            ignored: header.ignored,
            outline: OnceLock::new(),
            imports: OnceLock::new(),
            answers: Mutex::new(HashMap::new()),
            facts: Mutex::new(HashMap::new()),
        }
    }

    /// The file's top-level declarations, scanned on first use.
    pub fn outline(&self) -> &FileOutline {
        self.outline.get_or_init(|| outline(&self.text))
    }

    /// The file's imports, parsed from its import declarations on first use.
    pub fn imports(&self) -> &Imports {
        self.imports.get_or_init(|| {
            let mut source = format!("package {}\n", self.package);
            for decl in &self.outline().decls {
                if decl.kind == DeclKind::Import {
                    source.push_str(&self.text[decl.range.clone()]);
                    source.push('\n');
                }
            }
            let mut parser = crate::syntax::new_parser();
            let tree = crate::syntax::parse(&mut parser, &source);
            Imports::of(tree.root_node(), &source)
        })
    }

    /// Parses one declaration on its own (with a package clause in front).
    pub fn parse_decl(&self, decl: usize) -> Option<Chunk> {
        let range = self.outline().decls.get(decl)?.range.clone();
        Some(Chunk::parse(&self.package, &self.text, range))
    }

    pub fn cached_facts(&self, decl: usize) -> Option<Arc<DeclFacts>> {
        self.facts
            .lock()
            .ok()
            .and_then(|facts| facts.get(&decl).cloned())
    }

    pub fn cache_facts(&self, decl: usize, facts: Arc<DeclFacts>) {
        if let Ok(mut cached) = self.facts.lock() {
            cached.entry(decl).or_insert(facts);
        }
    }

    pub fn cached_answer(&self, decl: usize, question: Question) -> Option<Answer> {
        self.answers
            .lock()
            .ok()
            .and_then(|answers| answers.get(&(decl, question)).cloned())
    }

    pub fn cache_answer(&self, decl: usize, question: Question, answer: Answer) {
        if let Ok(mut answers) = self.answers.lock() {
            answers.entry((decl, question)).or_insert(answer);
        }
    }
}

/// One declaration of a sibling file, parsed on its own.
pub struct Chunk {
    /// `package p\n` followed by the declaration's text.
    pub text: String,
    pub tree: Tree,
    /// What to add to an offset in `text` to get the offset in the file.
    prefix: usize,
    start: usize,
    /// The line (1-based) the declaration starts on in its file.
    first_line: usize,
}

impl Chunk {
    fn parse(package: &str, file_text: &str, range: Range<usize>) -> Chunk {
        let header = format!("package {package}\n");
        let prefix = header.len();
        let text = format!("{header}{}", &file_text[range.clone()]);
        let mut parser = crate::syntax::new_parser();
        let tree = crate::syntax::parse(&mut parser, &text);
        let first_line = file_text[..range.start].matches('\n').count() + 1;
        Chunk {
            text,
            tree,
            prefix,
            start: range.start,
            first_line,
        }
    }

    /// The line in the file of an offset in the chunk.
    pub fn line_of(&self, offset: usize) -> usize {
        let within = offset
            .saturating_sub(self.prefix)
            .min(self.text.len() - self.prefix);
        self.first_line
            + self.text[self.prefix..self.prefix + within]
                .matches('\n')
                .count()
    }

    /// The file offset of an offset in the chunk.
    pub fn file_offset(&self, offset: usize) -> usize {
        self.start + offset.saturating_sub(self.prefix)
    }
}

/// Where one declaration is: a file of the index and its position in that file's outline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeclId {
    pub file: usize,
    pub decl: usize,
}

/// The Go files of one directory.
pub struct DirIndex {
    pub files: Vec<Arc<SourceFile>>,
    /// The files each word occurs in (a word is looked up in every file once).
    files_with_word: Mutex<HashMap<String, Arc<[usize]>>>,
    /// The first files that may give a value of a modelled type, by type (see
    /// [`Self::first_files_giving`]).
    files_giving_type: Mutex<HashMap<String, Arc<[usize]>>>,
    /// A hash of every file's name and text, computed on first use (see [`Self::fingerprint`]).
    fingerprint: OnceLock<[u8; 32]>,
}

impl DirIndex {
    /// Indexes files given as (name, text).
    pub fn from_sources(sources: Vec<(String, Arc<str>)>) -> DirIndex {
        DirIndex {
            files: sources
                .into_iter()
                .map(|(name, text)| Arc::new(SourceFile::new(name, text)))
                .collect(),
            files_with_word: Mutex::new(HashMap::new()),
            files_giving_type: Mutex::new(HashMap::new()),
            fingerprint: OnceLock::new(),
        }
    }

    /// A hash of exactly what the analysis can see of the directory (each file's name and its
    /// text as indexed), so the result cache can tell whether a result that consulted the index
    /// still holds.
    pub fn fingerprint(&self) -> [u8; 32] {
        *self.fingerprint.get_or_init(|| {
            let mut hasher = blake3::Hasher::new();
            for file in &self.files {
                for part in [file.name.as_bytes(), file.text.as_bytes()] {
                    // Length-prefixed, so moving bytes between names and texts changes the hash.
                    hasher.update(&(part.len() as u64).to_le_bytes());
                    hasher.update(part);
                }
            }
            *hasher.finalize().as_bytes()
        })
    }

    /// The indexes of the files in which `word` occurs as a word.
    fn files_with(&self, word: &str) -> Arc<[usize]> {
        cached_files(
            &self.files_with_word,
            word,
            &self.files,
            usize::MAX,
            |file| crate::text::contains_word(file.text.as_bytes(), word),
        )
    }

    /// The indexes of the first two files, in name order, that may give the analysis a value of
    /// a modelled type (see [`Origins::in_text`]), whatever their package: each file is read at
    /// most once per type. Two are enough to tell whether one other than the asking file does,
    /// and reading stops there (a file that may give needs tokenising, the costly part).
    fn first_files_giving(&self, origins: &Origins) -> Arc<[usize]> {
        let key = format!("{}\0{}", origins.path, origins.words.join(","));
        cached_files(&self.files_giving_type, &key, &self.files, 2, |file| {
            origins.in_text(&file.text)
        })
    }

    /// Reads every `.go` file of `dir` (not recursively).
    pub fn read(dir: &Path) -> Option<DirIndex> {
        let mut sources = Vec::new();
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "go") && path.is_file())
            .collect();
        entries.sort();
        for path in entries {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            let text = if text.contains('\r') {
                text.replace("\r\n", "\n")
            } else {
                text
            };
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            sources.push((name, Arc::from(text)));
        }
        Some(DirIndex::from_sources(sources))
    }

    pub fn decl(&self, id: DeclId) -> Option<(&Arc<SourceFile>, &LexDecl)> {
        let file = self.files.get(id.file)?;
        Some((file, file.outline().decls.get(id.decl)?))
    }

    /// The top-level declaration of `name` in package `package`, not in the file `excluded`.
    pub fn lookup(&self, package: &str, name: &str, excluded: Option<&str>) -> Option<DeclId> {
        self.find(package, name, excluded, |decl| {
            !matches!(decl.kind, DeclKind::Method { .. } | DeclKind::Import)
                && decl.names.iter().any(|declared| declared == name)
        })
        .next()
    }

    /// Every declaration of `name` in package `package` (files for other platforms may each
    /// declare it), in file order.
    pub fn lookup_all(&self, package: &str, name: &str, excluded: Option<&str>) -> Vec<DeclId> {
        self.find(package, name, excluded, |decl| {
            !matches!(decl.kind, DeclKind::Method { .. } | DeclKind::Import)
                && decl.names.iter().any(|declared| declared == name)
        })
        .collect()
    }

    /// The method `method` of type `receiver` in package `package`, not in the file `excluded`.
    pub fn lookup_method(
        &self,
        package: &str,
        receiver: &str,
        method: &str,
        excluded: Option<&str>,
    ) -> Option<DeclId> {
        self.lookup_method_all(package, receiver, method, excluded)
            .into_iter()
            .next()
    }

    /// Every declaration of a method (one per platform variant), in file order.
    pub fn lookup_method_all(
        &self,
        package: &str,
        receiver: &str,
        method: &str,
        excluded: Option<&str>,
    ) -> Vec<DeclId> {
        self.find(package, method, excluded, |decl| {
            matches!(&decl.kind, DeclKind::Method { receiver: declared } if declared == receiver)
                && decl.names.iter().any(|declared| declared == method)
        })
        .collect()
    }

    /// The declarations `matches` accepts in the files of `package` (but `excluded`) in which
    /// `word` occurs; only those files are outlined.
    fn find<'s>(
        &'s self,
        package: &'s str,
        word: &'s str,
        excluded: Option<&'s str>,
        matches: impl Fn(&LexDecl) -> bool + 's,
    ) -> impl Iterator<Item = DeclId> + 's {
        let candidates = self.files_with(word);
        (0..candidates.len())
            .map(move |at| (candidates[at], &self.files[candidates[at]]))
            .filter(move |(_, file)| {
                !file.ignored && file.package == package && Some(file.name.as_str()) != excluded
            })
            .flat_map(move |(file_index, file)| {
                let matches = &matches;
                file.outline()
                    .decls
                    .iter()
                    .enumerate()
                    .filter(move |(_, decl)| matches(decl))
                    .map(move |(decl, _)| DeclId {
                        file: file_index,
                        decl,
                    })
                    .collect::<Vec<_>>()
            })
    }
}

/// The indexes of the first `limit` of the `files` that `keep` accepts, computed once per `key`
/// into `cache`.
fn cached_files(
    cache: &Mutex<HashMap<String, Arc<[usize]>>>,
    key: &str,
    files: &[Arc<SourceFile>],
    limit: usize,
    keep: impl Fn(&SourceFile) -> bool,
) -> Arc<[usize]> {
    if let Ok(cached) = cache.lock()
        && let Some(found) = cached.get(key)
    {
        return found.clone();
    }
    let found: Arc<[usize]> = files
        .iter()
        .enumerate()
        .filter(|(_, file)| keep(file))
        .map(|(index, _)| index)
        .take(limit)
        .collect();
    if let Ok(mut cached) = cache.lock() {
        cached.insert(key.to_owned(), found.clone());
    }
    found
}

/// Every directory index of a run, each read at most once (threads asking for the same directory
/// at once wait for the first to finish reading it).
#[derive(Default)]
pub struct IndexStore {
    dirs: Mutex<HashMap<PathBuf, DirSlot>>,
}

/// One directory's index, read by the first thread that needs it (`None`: unreadable).
type DirSlot = Arc<OnceLock<Option<Arc<DirIndex>>>>;

impl IndexStore {
    pub fn get(&self, dir: &Path) -> Option<Arc<DirIndex>> {
        let cell = {
            let mut dirs = self.dirs.lock().ok()?;
            dirs.entry(dir.to_owned()).or_default().clone()
        };
        cell.get_or_init(|| DirIndex::read(dir).map(Arc::new))
            .clone()
    }
}

/// What the engine knows about a file's package, handed to the analysis of each pass over it.
pub struct PackageContext<'s> {
    source: PackageSource<'s>,
    loaded: OnceLock<Option<Arc<DirIndex>>>,
    /// The file's own name in its directory: its on-disk declarations are replaced by the text
    /// being analysed.
    pub file_name: Option<String>,
    /// The package's import path, when it is known (the module path in go.mod and the
    /// directory, or the `std`/`cmd` tree): local names of a package whose path is a modelled
    /// standard-library package's then take the model's facts, whatever its package clause.
    pub import_path: Option<String>,
}

enum PackageSource<'s> {
    None,
    Dir { store: &'s IndexStore, dir: PathBuf },
    Memory(Arc<DirIndex>),
}

impl<'s> PackageContext<'s> {
    /// A file on its own (standard input, tests): no other files.
    pub fn alone() -> PackageContext<'static> {
        PackageContext {
            source: PackageSource::None,
            loaded: OnceLock::new(),
            file_name: None,
            import_path: None,
        }
    }

    /// A file on disk: its directory's other files, read from `store` when first needed.
    pub fn on_disk(store: &'s IndexStore, path: &Path, import_path: Option<String>) -> Self {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        PackageContext {
            source: PackageSource::Dir { store, dir },
            loaded: OnceLock::new(),
            file_name: path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned()),
            import_path,
        }
    }

    /// A file among files given in memory (multi-file fixtures).
    pub fn in_memory(index: Arc<DirIndex>, file_name: &str) -> PackageContext<'static> {
        PackageContext {
            source: PackageSource::Memory(index),
            loaded: OnceLock::new(),
            file_name: Some(file_name.to_owned()),
            import_path: None,
        }
    }

    /// The directory index, read on first use.
    pub fn index(&self) -> Option<&Arc<DirIndex>> {
        self.loaded
            .get_or_init(|| match &self.source {
                PackageSource::None => None,
                PackageSource::Dir { store, dir } => store.get(dir),
                PackageSource::Memory(index) => Some(index.clone()),
            })
            .as_ref()
    }

    /// Whether a file of the package's directory other than this one may give the analysis a
    /// value of a modelled type (see [`Origins::in_text`]). Consults the index: a result that
    /// follows depends on the other files.
    pub fn others_may_give(&self, origins: &Origins) -> bool {
        let Some(index) = self.index() else {
            return false;
        };
        index
            .first_files_giving(origins)
            .iter()
            .any(|&file| Some(index.files[file].name.as_str()) != self.file_name.as_deref())
    }

    /// Whether the analysis asked for the directory index (read or not): its result then depends
    /// on the package's other files.
    pub fn was_consulted(&self) -> bool {
        self.loaded.get().is_some()
    }

    /// Whether the directory has been read (for tests of laziness).
    pub fn was_loaded(&self) -> bool {
        self.loaded.get().is_some_and(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_stay_in_the_package_and_skip_the_excluded_file() {
        let index = DirIndex::from_sources(vec![
            (
                "a.go".into(),
                Arc::from("package p\n\nfunc a() {}\n\nfunc (t *T) M() {}\n"),
            ),
            (
                "b.go".into(),
                Arc::from("package p\n\nfunc b() {}\n\nfunc a() {}\n"),
            ),
            (
                "b_test.go".into(),
                Arc::from("package p_test\n\nfunc c() {}\n"),
            ),
            (
                "gen.go".into(),
                Arc::from("//go:build ignore\n\npackage main\n\nfunc d() {}\n"),
            ),
        ]);
        assert_eq!(
            index.lookup("p", "a", None),
            Some(DeclId { file: 0, decl: 0 })
        );
        assert_eq!(
            index.lookup("p", "a", Some("a.go")),
            Some(DeclId { file: 1, decl: 1 })
        );
        assert_eq!(index.lookup("p", "c", None), None);
        assert!(index.lookup("p_test", "c", None).is_some());
        assert_eq!(index.lookup("main", "d", None), None);
        assert!(index.lookup_method("p", "T", "M", None).is_some());
        let chunk = index.files[1].parse_decl(1).unwrap();
        assert!(chunk.text.starts_with("package p\nfunc a() {}"));
        assert_eq!(chunk.line_of(chunk.text.find("func").unwrap()), 5);
    }
}
