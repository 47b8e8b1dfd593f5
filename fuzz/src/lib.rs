//! What the fuzz targets, the differential check's mutant generator and the main crate's
//! regression test share: one implementation of the mutations ([`mutate`]) and one of the
//! properties ([`properties`]).

pub mod mutate;
pub mod properties;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arbitrary::Unstructured;

/// Where the seed corpus is: `$DEFERFIX_FUZZ_SEEDS`, else `fuzz/seeds` (made by
/// `fuzz/seed-corpus.sh`).
pub fn seed_dir() -> PathBuf {
    std::env::var_os("DEFERFIX_FUZZ_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds"))
}

/// The UTF-8 `.go` files of `dir`, sorted by name (so the same corpus gives the same mutants).
pub fn load_seeds(dir: &Path) -> Vec<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "go"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .filter_map(|bytes| String::from_utf8(bytes).ok())
        .collect()
}

/// Used when the seed directory is missing or empty, so a target still runs (and says so).
const FALLBACK_SEED: &str = "package p\n\nimport \"os\"\n\nfunc f(paths []string) error {\n\tfor _, p := range paths {\n\t\tf, err := os.Open(p)\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\tdefer f.Close()\n\t}\n\treturn nil\n}\n";

/// The seed corpus, loaded once per process.
pub fn seeds() -> &'static [String] {
    static SEEDS: OnceLock<Vec<String>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let dir = seed_dir();
        let seeds = load_seeds(&dir);
        if seeds.is_empty() {
            eprintln!(
                "deferfix-fuzz: no seeds in {} (run fuzz/seed-corpus.sh); using one built-in seed",
                dir.display()
            );
            vec![FALLBACK_SEED.to_owned()]
        } else {
            eprintln!(
                "deferfix-fuzz: {} seeds from {}",
                seeds.len(),
                dir.display()
            );
            seeds
        }
    })
}

/// The mutant that `data` describes: its first bytes pick a seed, the rest drive the mutations.
pub fn mutant(data: &[u8], seeds: &[String]) -> mutate::Mutant {
    thread_local! {
        static PARSER: std::cell::RefCell<tree_sitter::Parser> =
            std::cell::RefCell::new(deferfix::syntax::new_parser());
    }
    let mut u = Unstructured::new(data);
    let index = u.choose_index(seeds.len()).unwrap_or(0);
    let seed = &seeds[index];
    PARSER.with_borrow_mut(|parser| {
        // Running out of bytes is not an error: the mutations made so far stand.
        mutate::mutate(parser, seed, &mut u).unwrap_or_else(|_| mutate::Mutant {
            text: seed.clone(),
            go_version: None,
        })
    })
}

/// The `pipeline_bytes` target: the bytes are the file; its length picks the module version.
pub fn fuzz_pipeline_bytes(data: &[u8]) {
    const VERSIONS: [Option<deferfix::goversion::GoVersion>; 3] = [
        None,
        Some(deferfix::goversion::GoVersion {
            major: 1,
            minor: 21,
        }),
        Some(deferfix::goversion::GoVersion {
            major: 1,
            minor: 22,
        }),
    ];
    properties::assert_holds(data, VERSIONS[data.len() % VERSIONS.len()]);
}

/// The `mutated_go` target.
pub fn fuzz_mutated_go(data: &[u8]) {
    let mutant = mutant(data, seeds());
    properties::assert_holds(mutant.text.as_bytes(), mutant.go_version);
}
