//! The names under which a file sees its imports.

use tree_sitter::Node;

/// One import: the path and the names it may be referred to by (the alias, or the package name
/// the path suggests: its last element, without a `.vN`/`/vN` version or a `go-` prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Import {
    path: String,
    names: Vec<String>,
}

/// A file's imports, by the names its code uses for them (`_` and `.` imports name nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imports {
    imports: Vec<Import>,
}

impl Imports {
    /// The imports of a parsed file (its top-level `import` declarations).
    pub fn of(root: Node, text: &str) -> Imports {
        let mut imports = Vec::new();
        let mut cursor = root.walk();
        for declaration in root.named_children(&mut cursor) {
            if declaration.kind() != "import_declaration" {
                continue;
            }
            let mut specs = Vec::new();
            collect_specs(declaration, &mut specs);
            for spec in specs {
                if let Some(import) = import_of(spec, text) {
                    imports.push(import);
                }
            }
        }
        Imports { imports }
    }

    /// Imports given as (name, path) pairs, for code that has no import declarations of its own
    /// (the standard-library model).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Imports {
        Imports {
            imports: pairs
                .into_iter()
                .map(|(name, path)| Import {
                    path: path.to_owned(),
                    names: vec![name.to_owned()],
                })
                .collect(),
        }
    }

    /// The import path a name refers to, when the file imports a package under that name.
    pub fn path_of(&self, name: &str) -> Option<&str> {
        self.imports
            .iter()
            .find(|import| import.names.iter().any(|candidate| candidate == name))
            .map(|import| import.path.as_str())
    }

    /// The name the file uses for the package with import path `path`.
    pub fn name_of(&self, path: &str) -> Option<&str> {
        self.imports
            .iter()
            .find(|import| import.path == path)
            .and_then(|import| import.names.first())
            .map(String::as_str)
    }

    /// Whether some import is visible under `name`.
    pub fn has_name(&self, name: &str) -> bool {
        self.path_of(name).is_some()
    }
}

fn collect_specs<'t>(node: Node<'t>, out: &mut Vec<Node<'t>>) {
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "import_spec" => out.push(child),
            "import_spec_list" => collect_specs(child, out),
            _ => {}
        }
    }
}

fn import_of(spec: Node, text: &str) -> Option<Import> {
    let path = spec.child_by_field_name("path")?;
    let path = text[path.byte_range()].trim_matches(['"', '`']).to_owned();
    let names = match spec.child_by_field_name("name") {
        Some(alias) => {
            let alias = &text[alias.byte_range()];
            if alias == "_" || alias == "." {
                return None;
            }
            vec![alias.to_owned()]
        }
        None => implied_names(&path),
    };
    Some(Import { path, names })
}

/// The package names an import path suggests, most likely first: `gopkg.in/yaml.v3` → `yaml`,
/// `github.com/x/y/v2` → `y`, `github.com/mattn/go-sqlite3` → `sqlite3`, `go-sqlite3`.
pub fn implied_names(path: &str) -> Vec<String> {
    let mut elements: Vec<&str> = path.split('/').collect();
    if elements.len() > 1
        && elements.last().is_some_and(|last| {
            last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit())
        })
    {
        elements.pop();
    }
    let last = elements.last().copied().unwrap_or(path);
    let mut names = Vec::new();
    let stem = last.split_once('.').map_or(last, |(stem, _)| stem);
    if let Some(rest) = stem.strip_prefix("go-") {
        names.push(rest.replace('-', "_"));
    }
    names.push(stem.replace('-', "_"));
    if stem != last {
        names.push(last.to_owned());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_for_test;

    #[test]
    fn imports_are_named_by_alias_or_implied_name() {
        let text = "package p\n\nimport (\n\t\"os\"\n\tfoo \"example.com/bar\"\n\t\"gopkg.in/yaml.v3\"\n\t\"github.com/x/y/v2\"\n\t\"github.com/mattn/go-sqlite3\"\n\t_ \"embed\"\n)\n\nimport \"net/http\"\n";
        let tree = parse_for_test(text);
        let imports = Imports::of(tree.root_node(), text);
        assert_eq!(imports.path_of("os"), Some("os"));
        assert_eq!(imports.path_of("foo"), Some("example.com/bar"));
        assert_eq!(imports.path_of("bar"), None);
        assert_eq!(imports.path_of("yaml"), Some("gopkg.in/yaml.v3"));
        assert_eq!(imports.path_of("y"), Some("github.com/x/y/v2"));
        assert_eq!(
            imports.path_of("sqlite3"),
            Some("github.com/mattn/go-sqlite3")
        );
        assert_eq!(imports.path_of("http"), Some("net/http"));
        assert_eq!(imports.path_of("embed"), None);
        assert_eq!(imports.name_of("net/http"), Some("http"));
    }
}
