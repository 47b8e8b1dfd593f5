//! The crate's modules depend on each other one way: rules (`transforms`) → `analysis` →
//! `query`/`syntax` → `text`, and no top-level module reaches itself through others. Checked
//! from the source: every `crate::<module>` path (also inside `use crate::{…}` groups) outside
//! `#[cfg(test)]` modules is an edge from the module of the file it is written in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lower layers that must not use the modules listed with them.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "text",
        &["fix", "syntax", "query", "analysis", "transforms", "engine"],
    ),
    ("syntax", &["query", "analysis", "transforms", "engine"]),
    ("query", &["analysis", "transforms", "engine"]),
    ("analysis", &["transforms", "engine"]),
    ("transforms", &["engine"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module → the source files that belong to it.
fn modules(root: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("src")).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        let files = modules.entry(name).or_default();
        if path.is_dir() {
            rust_files(&path, files);
        } else {
            files.push(path);
        }
    }
    // The rules' own folders are modules of `transforms` (`#[path]` in src/transforms.rs).
    rust_files(
        &root.join("transforms"),
        modules.entry("transforms".into()).or_default(),
    );
    modules
}

/// The top-level modules `code` refers to as `crate::name` or in a `use crate::{…}` group.
fn referenced(code: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String = item.trim().chars().take_while(|c| is_name(*c)).collect();
                found.insert(name);
            }
        } else {
            found.insert(rest.chars().take_while(|c| is_name(*c)).collect());
        }
    }
    found.retain(|name| known.contains(name));
    found
}

fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let modules = modules(root);
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (module, files) in &modules {
        let mut uses = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(file).unwrap();
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
            uses.extend(referenced(code, &known));
        }
        uses.remove(module);
        edges.insert(module.clone(), uses);
    }
    edges
}

/// A cycle through `start`, if there is one (depth-first search over `edges`).
fn cycle_through(start: &str, edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_owned(), vec![start.to_owned()])];
    let mut seen = BTreeSet::new();
    while let Some((module, path)) = stack.pop() {
        for next in edges.get(&module).into_iter().flatten() {
            if next == start {
                let mut cycle = path.clone();
                cycle.push(start.to_owned());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_module_reaches_itself() {
    let edges = edges();
    assert!(edges.len() > 15, "found only {} modules", edges.len());
    for module in edges.keys() {
        if let Some(cycle) = cycle_through(module, &edges) {
            panic!("module cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn lower_layers_do_not_use_higher_ones() {
    let edges = edges();
    for (lower, higher) in FORBIDDEN {
        let uses = &edges[*lower];
        for module in *higher {
            assert!(!uses.contains(*module), "{lower} uses {module}");
        }
    }
}

#[test]
fn the_scan_sees_plain_and_grouped_paths() {
    let known: BTreeSet<String> = ["fix", "syntax", "text"].map(String::from).into();
    let code = "use crate::fix::Edit;\nuse crate::{syntax::Parse, text};\nlet x = crate::other::y;";
    assert_eq!(referenced(code, &known), known);
    let mut edges = BTreeMap::new();
    edges.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    edges.insert("b".to_owned(), BTreeSet::from(["a".to_owned()]));
    assert_eq!(cycle_through("a", &edges).unwrap(), ["a", "b", "a"]);
}
