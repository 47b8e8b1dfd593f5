//! Facts about Go code that rules share, computed once and lazily: which variable a name is
//! ([`scope`]), what type a value has ([`infer`]), what a called function does with its
//! arguments ([`callee`], [`summary`], the [`stdlib`] model and the [`package`] index), and
//! whether a value, or anything derived from it, outlives a region of code ([`escape`]).
//!
//! Rules hold only their policy: they ask these questions and decide. Nothing here is
//! guessed in the safe direction: what the source does not show is `Unknown`, and every
//! decision built on it treats it as "may".

pub mod blocks;
pub mod callee;
pub mod escape;
pub mod facts;
/// Imports are read from syntax alone; analysis re-exports them where rules look for them.
pub use crate::syntax::imports;
pub mod infer;
pub mod lexical;
pub mod package;
pub mod resource;
pub mod scope;
pub mod stdlib;
pub mod summary;
pub mod types;

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use tree_sitter::Node;

use crate::syntax::{GoFile, ancestors, is_function};
use facts::DeclFacts;
use imports::Imports;
use package::{Chunk, DeclId, DirIndex, PackageContext};
use scope::{BindingId, Scopes};
use stdlib::Model;
use types::Type;

pub use summary::{Answer, Question};

/// How releasing a resource early shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// Releasing it frees only the resource itself (a file, a rows cursor, a response body, a
    /// timer, a context's cancel): nothing else can tell when it happened.
    Handle,
    /// Other code can observe the release (a connection's peer, a listener's clients, a server,
    /// a session, a lock).
    Visible,
}

/// What a callee does with one of its arguments (or its receiver).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Retention {
    /// Uses it during the call only.
    None,
    /// Returns it, or something that references it.
    Result,
    /// Keeps it in its receiver.
    Receiver,
    /// Keeps it somewhere that outlives the call.
    Escapes(Site),
    /// The callee's body is not known (or too deep to follow).
    Unknown,
}

/// How and where a callee keeps an argument, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// `stores it in the package variable `tracked``.
    pub description: String,
    /// `tracker.go:12`, when the callee's source is known.
    pub location: Option<String>,
}

/// How deep retention summaries follow calls into other functions.
pub const MAX_SUMMARY_DEPTH: usize = 4;

/// A top-level declaration of the package: in the file being analysed, or in a sibling file.
#[derive(Clone)]
pub enum DeclSite<'a> {
    Own(Node<'a>),
    Sibling(Arc<DirIndex>, DeclId),
}

/// Where the analysed text comes from, for line numbers in messages.
enum Origin<'a> {
    /// The file a rule is checking: its own lines.
    File,
    /// A declaration parsed from a sibling file.
    Chunk { file_name: String, chunk: &'a Chunk },
}

/// The analysis of one file's text (one pass of the engine), with everything computed on demand.
pub struct FileAnalysis<'a> {
    pub file: GoFile<'a>,
    pub imports: Imports,
    pub package: &'a PackageContext<'a>,
    package_name: String,
    origin: Origin<'a>,
    /// How many summaries deep this analysis is (0 for the file a rule checks).
    depth: usize,
    /// The summaries being computed on the way here (recursion stops at a repeat).
    stack: Rc<RefCell<summary::SummaryStack>>,
    scopes: RefCell<HashMap<usize, Rc<Scopes<'a>>>>,
    types: RefCell<HashMap<usize, Type>>,
    calls: RefCell<HashMap<usize, Rc<callee::Call<'a>>>>,
    own_decls: OnceCell<HashMap<String, Node<'a>>>,
    own_methods: OnceCell<HashMap<(String, String), Node<'a>>>,
    own_facts: RefCell<HashMap<usize, Arc<DeclFacts>>>,
    /// Resource kinds of this package's types, by name (their release methods are read once).
    local_kinds: RefCell<HashMap<String, Option<ResourceKind>>>,
    own_answers: RefCell<HashMap<(usize, Question), Answer>>,
    /// The offsets of the file's newlines, found once: the escape analysis says where each
    /// escape it records happens, and counting the newlines before a node each time cost a
    /// pass over the text up to it.
    newlines: OnceCell<Vec<usize>>,
}

impl<'a> FileAnalysis<'a> {
    /// The analysis of the file a rule checks.
    pub fn new(file: GoFile<'a>, package: &'a PackageContext<'a>) -> FileAnalysis<'a> {
        let root = file.tree.root_node();
        let imports = Imports::of(root, file.text);
        FileAnalysis::with(file, imports, package, Origin::File, 0, Rc::default())
    }

    fn with(
        file: GoFile<'a>,
        imports: Imports,
        package: &'a PackageContext<'a>,
        origin: Origin<'a>,
        depth: usize,
        stack: Rc<RefCell<summary::SummaryStack>>,
    ) -> FileAnalysis<'a> {
        let root = file.tree.root_node();
        let package_name = {
            let mut cursor = root.walk();
            root.named_children(&mut cursor)
                .find(|node| node.kind() == "package_clause")
                .and_then(|clause| clause.named_child(0))
                .map_or(String::new(), |name| {
                    file.text[name.byte_range()].to_owned()
                })
        };
        FileAnalysis {
            file,
            imports,
            package,
            package_name,
            origin,
            depth,
            stack,
            scopes: RefCell::default(),
            types: RefCell::default(),
            calls: RefCell::default(),
            own_decls: OnceCell::new(),
            own_methods: OnceCell::new(),
            own_facts: RefCell::default(),
            local_kinds: RefCell::default(),
            own_answers: RefCell::default(),
            newlines: OnceCell::new(),
        }
    }

    pub fn text(&self) -> &'a str {
        self.file.text
    }

    pub fn text_of(&self, node: Node) -> &'a str {
        self.file.text_of(node)
    }

    pub fn model(&self) -> &'static Model {
        Model::get()
    }

    /// The line of a node in its file (1-based).
    pub fn line(&self, node: Node) -> usize {
        match &self.origin {
            Origin::File => {
                let newlines = self.newlines.get_or_init(|| {
                    memchr::memchr_iter(b'\n', self.file.text.as_bytes()).collect()
                });
                newlines.partition_point(|&at| at < node.start_byte()) + 1
            }
            Origin::Chunk { chunk, .. } => chunk.line_of(node.start_byte()),
        }
    }

    /// Where a node is, for a message: `line 12` in the checked file, `tracker.go:12` elsewhere.
    pub fn location(&self, node: Node) -> String {
        match &self.origin {
            Origin::File => format!("line {}", self.line(node)),
            Origin::Chunk { file_name, .. } => format!("{file_name}:{}", self.line(node)),
        }
    }

    /// The bindings of the top-level function containing `node`.
    pub fn scopes_for(&self, node: Node<'a>) -> Option<Rc<Scopes<'a>>> {
        let root = self.outermost_function(node)?;
        if let Some(scopes) = self.scopes.borrow().get(&root.id()) {
            return Some(scopes.clone());
        }
        let scopes = Rc::new(Scopes::build(root, self.file.text));
        self.scopes.borrow_mut().insert(root.id(), scopes.clone());
        Some(scopes)
    }

    /// The outermost function around `node` (or `node` itself), whose bindings hold its names.
    fn outermost_function(&self, node: Node<'a>) -> Option<Node<'a>> {
        // Nearly always the top-level declaration: found from the root in one step, where
        // climbing `ancestors` re-descends from the root for every parent.
        let top = self.file.tree.root_node().child_with_descendant(node);
        if let Some(top) = top.filter(|top| is_function(*top)) {
            return Some(top);
        }
        std::iter::once(node)
            .chain(ancestors(node))
            .filter(|ancestor| is_function(*ancestor))
            .last()
    }

    /// The innermost function (declaration, method or literal) containing `node`, found from
    /// the root in one descent (see [`crate::syntax::enclosing_function_below`]).
    pub fn enclosing_function(&self, node: Node<'a>) -> Option<Node<'a>> {
        crate::syntax::enclosing_function_below(self.file.tree.root_node(), node)
    }

    /// The binding an identifier names, with the bindings it belongs to.
    pub fn resolve(&self, ident: Node<'a>) -> Option<(Rc<Scopes<'a>>, BindingId)> {
        let scopes = self.scopes_for(ident)?;
        let id = scopes.resolve(ident)?;
        Some((scopes, id))
    }

    /// The import path an identifier refers to, when it names an imported package (and no
    /// variable of that name hides it).
    pub fn package_ref(&self, ident: Node<'a>) -> Option<&str> {
        if ident.kind() != "identifier" && ident.kind() != "package_identifier" {
            return None;
        }
        let path = self.imports.path_of(self.text_of(ident))?;
        if ident.kind() == "identifier" && self.resolve(ident).is_some() {
            return None;
        }
        Some(path)
    }

    fn own_decls(&self) -> &HashMap<String, Node<'a>> {
        self.own_decls.get_or_init(|| {
            let text = self.file.text;
            let root = self.file.tree.root_node();
            let mut decls = HashMap::new();
            let mut cursor = root.walk();
            for declaration in root.named_children(&mut cursor) {
                match declaration.kind() {
                    "function_declaration" => {
                        if let Some(name) = declaration.child_by_field_name("name") {
                            decls.insert(text[name.byte_range()].to_owned(), declaration);
                        }
                    }
                    "type_declaration" | "var_declaration" | "const_declaration" => {
                        for spec in crate::syntax::descendants(declaration, |_| false) {
                            if !matches!(
                                spec.kind(),
                                "type_spec" | "type_alias" | "var_spec" | "const_spec"
                            ) {
                                continue;
                            }
                            let mut names = spec.walk();
                            for name in spec.children_by_field_name("name", &mut names) {
                                decls.insert(text[name.byte_range()].to_owned(), declaration);
                            }
                        }
                    }
                    _ => {}
                }
            }
            decls
        })
    }

    fn own_methods(&self) -> &HashMap<(String, String), Node<'a>> {
        self.own_methods.get_or_init(|| {
            let text = self.file.text;
            let root = self.file.tree.root_node();
            let mut methods = HashMap::new();
            let mut cursor = root.walk();
            for declaration in root.named_children(&mut cursor) {
                if declaration.kind() != "method_declaration" {
                    continue;
                }
                let (Some(receiver), Some(name)) = (
                    stdlib::receiver_type_name(declaration, text),
                    declaration.child_by_field_name("name"),
                ) else {
                    continue;
                };
                methods.insert((receiver, text[name.byte_range()].to_owned()), declaration);
            }
            methods
        })
    }

    /// The top-level declaration of `name` in this package: this file first, then its siblings.
    pub fn lookup_decl(&self, name: &str) -> Option<DeclSite<'a>> {
        if let Some(node) = self.own_decls().get(name) {
            return Some(DeclSite::Own(*node));
        }
        let index = self.package.index()?;
        let id = index.lookup(&self.package_name, name, self.excluded_file())?;
        Some(DeclSite::Sibling(index.clone(), id))
    }

    /// The method `method` of this package's type `receiver`.
    pub fn lookup_method(&self, receiver: &str, method: &str) -> Option<DeclSite<'a>> {
        if let Some(node) = self
            .own_methods()
            .get(&(receiver.to_owned(), method.to_owned()))
        {
            return Some(DeclSite::Own(*node));
        }
        let index = self.package.index()?;
        let id = index.lookup_method(&self.package_name, receiver, method, self.excluded_file())?;
        Some(DeclSite::Sibling(index.clone(), id))
    }

    /// Every declaration of the function or method a site names: the site itself and the
    /// other platform variants of it in sibling files (`dial_plan9.go` beside `dial_unix.go`).
    pub fn variants(&self, site: &DeclSite<'a>, facts: &facts::FuncFacts) -> Vec<DeclSite<'a>> {
        let mut all = vec![site.clone()];
        let Some(index) = self.package.index() else {
            return all;
        };
        let ids = match &facts.receiver {
            Some((_, receiver)) => index.lookup_method_all(
                &self.package_name,
                receiver,
                &facts.name,
                self.excluded_file(),
            ),
            None => index.lookup_all(&self.package_name, &facts.name, self.excluded_file()),
        };
        for id in ids {
            let sibling = DeclSite::Sibling(index.clone(), id);
            let same = matches!((site, &sibling), (DeclSite::Sibling(_, a), DeclSite::Sibling(_, b)) if a == b);
            if !same {
                all.push(sibling);
            }
        }
        all
    }

    /// Whether a package-level declaration of `name` exists (this file or its siblings).
    pub fn declares_at_package_level(&self, name: &str) -> bool {
        self.lookup_decl(name).is_some()
    }

    /// The file whose on-disk declarations the live text replaces.
    fn excluded_file(&self) -> Option<&str> {
        match &self.origin {
            Origin::File => self.package.file_name.as_deref(),
            // A sibling's declaration sees the whole package as it is on disk.
            Origin::Chunk { .. } => None,
        }
    }

    /// The facts of a package declaration.
    pub fn decl_facts(&self, site: &DeclSite<'a>) -> Option<Arc<DeclFacts>> {
        match site {
            DeclSite::Own(node) => {
                if let Some(facts) = self.own_facts.borrow().get(&node.id()) {
                    return Some(facts.clone());
                }
                let facts = Arc::new(facts::decl_facts(*node, self.file.text, &self.imports));
                self.own_facts.borrow_mut().insert(node.id(), facts.clone());
                Some(facts)
            }
            DeclSite::Sibling(index, id) => {
                let (file, _) = index.decl(*id)?;
                if let Some(facts) = file.cached_facts(id.decl) {
                    return Some(facts);
                }
                let chunk = file.parse_decl(id.decl)?;
                let node = chunk.tree.root_node().named_child(1)?;
                let facts = Arc::new(facts::decl_facts(node, &chunk.text, file.imports()));
                file.cache_facts(id.decl, facts.clone());
                Some(facts)
            }
        }
    }

    /// The kind of this package's type `name`, computed once per analysis.
    fn cached_local_kind(
        &self,
        name: &str,
        compute: impl FnOnce() -> Option<ResourceKind>,
    ) -> Option<ResourceKind> {
        if let Some(kind) = self.local_kinds.borrow().get(name) {
            return *kind;
        }
        let kind = compute();
        self.local_kinds.borrow_mut().insert(name.to_owned(), kind);
        kind
    }

    /// Runs `inside` on the analysis of a sibling's declaration (its own text and tree), when
    /// the recursion budget allows.
    fn in_sibling<R>(
        &self,
        index: &Arc<DirIndex>,
        id: DeclId,
        inside: impl for<'c> FnOnce(&FileAnalysis<'c>, Node<'c>) -> R,
    ) -> Option<R> {
        let (file, _) = index.decl(id)?;
        let chunk = file.parse_decl(id.decl)?;
        let node = chunk.tree.root_node().named_child(1)?;
        let analysis = FileAnalysis::with(
            GoFile {
                text: &chunk.text,
                tree: &chunk.tree,
            },
            file.imports().clone(),
            self.package,
            Origin::Chunk {
                file_name: file.name.clone(),
                chunk: &chunk,
            },
            self.depth + 1,
            self.stack.clone(),
        );
        Some(inside(&analysis, node))
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Parses `text` and runs `check` on its analysis, the file standing alone.
    pub fn with_analysis<R>(text: &str, check: impl FnOnce(&FileAnalysis) -> R) -> R {
        let tree = crate::syntax::parse_for_test(text);
        let package = PackageContext::alone();
        let analysis = FileAnalysis::new(GoFile { text, tree: &tree }, &package);
        check(&analysis)
    }

    /// The first node of `kind` whose text is `code`.
    pub fn find<'t>(root: Node<'t>, text: &str, kind: &str, code: &str) -> Node<'t> {
        crate::syntax::descendants(root, |_| false)
            .into_iter()
            .find(|node| node.kind() == kind && &text[node.byte_range()] == code)
            .unwrap_or_else(|| panic!("no {kind} `{code}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::package::PackageContext;

    #[test]
    fn the_line_of_a_node_counts_the_newlines_before_it() {
        let text = "package p\n\n// a\nfunc f() {\n\tx := `\n`\n\t_ = x\n}\n\nfunc g() {}\n";
        let tree = crate::syntax::parse_for_test(text);
        let package = PackageContext::alone();
        let analysis = FileAnalysis::new(GoFile { text, tree: &tree }, &package);
        let mut nodes = vec![tree.root_node()];
        let mut seen = 0;
        while let Some(node) = nodes.pop() {
            let expected = crate::syntax::indent::line_number(text, node.start_byte());
            assert_eq!(analysis.line(node), expected, "{}", node.kind());
            seen += 1;
            let mut cursor = node.walk();
            nodes.extend(node.children(&mut cursor));
        }
        assert!(seen > 20);
        let g = text.find("func g").unwrap();
        let node = tree.root_node().descendant_for_byte_range(g, g).unwrap();
        assert_eq!(analysis.location(node), "line 10");
    }
}
