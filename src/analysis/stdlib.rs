//! The standard-library model (`stdlib_model.txt`): result types, which arguments a call keeps,
//! which calls are pure, which types are handles and which releases are visible. Data, not code:
//! the table is Go declarations with `//deferfix:` directives, parsed once on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use tree_sitter::Node;

use super::blocks::Lexed;
use super::imports::Imports;
use super::types::{Named, Package, Signature, Type, from_type_node, signature_of};
use super::{ResourceKind, Retention, Site};

const MODEL: &str = include_str!("stdlib_model.txt");

/// What the model says about one function or method.
#[derive(Debug)]
pub struct FuncModel {
    pub signature: Signature,
    pub param_names: Vec<String>,
    /// The receiver's name, for methods.
    pub receiver: Option<String>,
    pub pure: bool,
    /// A method that releases its receiver.
    pub release: bool,
    /// The kind of resource the function's results are, when it differs from their type's.
    pub resource: Option<ResourceKind>,
    retains: HashMap<String, RetentionKind>,
    reads: Vec<String>,
    /// `pkg.Func` or `pkg.Type.Method`, for messages.
    pub qualified: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RetentionKind {
    None,
    Result,
    Receiver,
    Escape,
}

impl FuncModel {
    /// The name of the parameter that receives argument `index` (variadic ones included).
    fn param_name(&self, index: usize) -> Option<&str> {
        let last = self.param_names.len().checked_sub(1)?;
        let at = if self.signature.variadic {
            index.min(last)
        } else {
            index
        };
        self.param_names.get(at).map(String::as_str)
    }

    /// What the call does with argument `index`.
    pub fn retention_of_argument(&self, index: usize) -> Retention {
        let Some(name) = self.param_name(index) else {
            return Retention::None;
        };
        self.retention_of(name)
    }

    /// What the call does with its receiver.
    pub fn retention_of_receiver(&self) -> Retention {
        match &self.receiver {
            Some(name) => self.retention_of(name),
            None => Retention::None,
        }
    }

    fn retention_of(&self, name: &str) -> Retention {
        match self.retains.get(name) {
            None | Some(RetentionKind::None) => Retention::None,
            Some(RetentionKind::Result) => Retention::Result,
            Some(RetentionKind::Receiver) => Retention::Receiver,
            Some(RetentionKind::Escape) => Retention::Escapes(Site {
                description: "keeps it beyond the call".to_owned(),
                location: None,
            }),
        }
    }

    /// Whether the call reads data from argument `index`.
    pub fn reads_argument(&self, index: usize) -> bool {
        self.param_name(index)
            .is_some_and(|name| self.reads.iter().any(|read| read == name))
    }

    /// Whether the method reads data from its receiver.
    pub fn reads_receiver(&self) -> bool {
        self.receiver
            .as_ref()
            .is_some_and(|name| self.reads.contains(name))
    }
}

/// What the model says about one type.
#[derive(Debug, Default)]
pub struct TypeModel {
    pub kind: Option<ResourceKind>,
    /// The type it is defined as (`int64` for `time.Duration`, a struct, an interface).
    pub underlying: Option<Type>,
    fields: HashMap<String, (Type, Option<ResourceKind>)>,
    methods: HashMap<String, FuncModel>,
}

impl TypeModel {
    pub fn method(&self, name: &str) -> Option<&FuncModel> {
        self.methods.get(name)
    }

    pub fn field(&self, name: &str) -> Option<(&Type, Option<ResourceKind>)> {
        self.fields.get(name).map(|(ty, kind)| (ty, *kind))
    }

    /// Whether the type's definition, a field or a method's signature mentions `named`.
    fn mentions(&self, named: &Named) -> bool {
        self.underlying
            .as_ref()
            .is_some_and(|ty| ty.mentions(named))
            || self.fields.values().any(|(ty, _)| ty.mentions(named))
            || self
                .methods
                .values()
                .any(|method| method.signature.mentions(named))
    }
}

impl PackageModel {
    /// Whether a declaration of the package mentions `named`: a function's signature, or a
    /// type's definition, fields or methods.
    fn mentions(&self, named: &Named) -> bool {
        self.funcs
            .values()
            .any(|func| func.signature.mentions(named))
            || self.types.values().any(|model| model.mentions(named))
    }
}

#[derive(Debug, Default)]
struct PackageModel {
    funcs: HashMap<String, FuncModel>,
    types: HashMap<String, TypeModel>,
    /// Every function and method of the package only uses its arguments during the call and
    /// returns nothing that references them (assertion and logging libraries).
    keeps_nothing: bool,
}

/// The parsed model of every modelled package.
#[derive(Debug, Default)]
pub struct Model {
    packages: HashMap<String, PackageModel>,
}

impl Model {
    pub fn get() -> &'static Model {
        static MODEL_CELL: OnceLock<Model> = OnceLock::new();
        MODEL_CELL.get_or_init(|| parse(MODEL))
    }

    pub fn is_modelled(&self, path: &str) -> bool {
        self.packages.contains_key(path)
    }

    /// Whether every function and method of the package keeps nothing it is given.
    pub fn keeps_nothing(&self, path: &str) -> bool {
        self.packages
            .get(path)
            .is_some_and(|package| package.keeps_nothing)
    }

    pub fn func(&self, path: &str, name: &str) -> Option<&FuncModel> {
        self.packages.get(path)?.funcs.get(name)
    }

    pub fn type_model(&self, path: &str, name: &str) -> Option<&TypeModel> {
        self.packages.get(path)?.types.get(name)
    }

    pub fn method(&self, path: &str, type_name: &str, method: &str) -> Option<&FuncModel> {
        self.type_model(path, type_name)?.method(method)
    }

    /// Where the analysis can get a value of the modelled type `path`.`name` from (see
    /// [`Origins`]).
    pub fn origins(&self, path: &str, name: &str) -> Origins {
        let named = Named {
            package: Package::Path(path.to_owned()),
            name: name.to_owned(),
        };
        let mut words: Vec<String> = self.packages.get(path).map_or_else(Vec::new, |package| {
            let functions = package
                .funcs
                .iter()
                .filter(|(_, func)| func.signature.mentions(&named))
                .map(|(function, _)| function.clone());
            let types = package
                .types
                .iter()
                .filter(|(_, model)| model.mentions(&named))
                .map(|(type_name, _)| type_name.clone());
            functions.chain(types).collect()
        });
        if !words.iter().any(|word| word == name) {
            words.push(name.to_owned());
        }
        words.sort();
        let mut other_packages: Vec<String> = self
            .packages
            .iter()
            .filter(|(other, package)| *other != path && package.mentions(&named))
            .map(|(other, _)| other.clone())
            .collect();
        other_packages.sort();
        Origins {
            package_name: path.rsplit('/').next().unwrap_or(path).to_owned(),
            path: path.to_owned(),
            words,
            other_packages,
        }
    }
}

/// Where a value of one modelled type (`log.Logger`) can come from for the analysis, which
/// derives types only from declarations it reads (the file's, its package's, the model's): the
/// type's own package, or code that names the type or a function of its package returning it
/// (`log.Logger`, `log.New`, `log.Default`), or an import of another modelled package that
/// mentions the type in a declaration. A file with none of these cannot give one.
#[derive(Debug)]
pub struct Origins {
    /// The type's package's import path.
    pub path: String,
    /// The package clause of the type's own package.
    package_name: String,
    /// The type's name and the functions and types of its package whose declarations mention
    /// it (`New`, `Default`).
    pub words: Vec<String>,
    /// Other modelled packages whose declarations mention the type.
    pub other_packages: Vec<String>,
}

impl Origins {
    /// Whether Go source `text` may give the analysis a value of the type (see
    /// [`Self::in_lexed`]); tokenised only when it has the type's import path in quotes and,
    /// unless other packages mention the type, one of [`Self::words`] (what any way to the type
    /// through its own package spells: `log.New`, `lg.Logger`, `Default()` after a dot import).
    pub fn in_text(&self, text: &str) -> bool {
        let quoted = |path: &str| {
            crate::text::contains(text, &format!("\"{path}\""))
                || crate::text::contains(text, &format!("`{path}`"))
        };
        let spells_a_word = || {
            self.words
                .iter()
                .any(|word| crate::text::contains_word(text.as_bytes(), word))
        };
        let through_own_package = quoted(&self.path) && spells_a_word();
        if !through_own_package && !self.other_packages.iter().any(|path| quoted(path)) {
            return self.is_own_package(text);
        }
        self.in_lexed(&Lexed::new(text))
    }

    /// Whether a Go file may give the analysis a value of the type, read from its tokens and
    /// erring towards yes: it is the type's package or its external test (or its package
    /// clause is not found); or it imports the type's package and names one of
    /// [`Self::words`] through the import (`log.New`, `lg.Logger`), or dot-imports it; or it
    /// imports one of [`Self::other_packages`]. Names in comments and strings do not count; a
    /// file the tokeniser cannot read reliably always may. A package whose import path is the
    /// type's package's also may, whatever its clause: that is the caller's to ask (it knows
    /// the path, see [`super::package::PackageContext::import_path`]).
    pub fn in_lexed(&self, lexed: &Lexed) -> bool {
        if !lexed.is_reliable() || self.is_own_package(lexed.text()) {
            return true;
        }
        let imports = lexed.imports();
        let names: Vec<&str> = imports
            .iter()
            .filter(|(name, path)| *path == self.path && name != "_")
            .map(|(name, _)| name.as_str())
            .collect();
        if names.contains(&".")
            || imports
                .iter()
                .any(|(_, path)| self.other_packages.contains(path))
        {
            return true;
        }
        names.iter().any(|name| {
            lexed.all(name).any(|at| {
                lexed.is(at + 1, ".") && self.words.iter().any(|word| lexed.is(at + 2, word))
            })
        })
    }

    fn is_own_package(&self, text: &str) -> bool {
        let header = super::lexical::header(text);
        let package = header
            .package
            .strip_suffix("_test")
            .unwrap_or(&header.package);
        header.package.is_empty() || package == self.package_name
    }
}

/// Directives collected from the comment lines above a declaration.
#[derive(Default)]
struct Directives {
    pure: bool,
    release: bool,
    kind: Option<ResourceKind>,
    retains: HashMap<String, RetentionKind>,
    reads: Vec<String>,
}

impl Directives {
    fn read(&mut self, line: &str) {
        let Some(directive) = line.strip_prefix("//deferfix:") else {
            return;
        };
        let (name, rest) = directive.split_once(' ').unwrap_or((directive, ""));
        match name {
            "pure" => self.pure = true,
            "release" => self.release = true,
            "handle" => self.kind = Some(ResourceKind::Handle),
            "visible" => self.kind = Some(ResourceKind::Visible),
            "reads" => self
                .reads
                .extend(rest.split_whitespace().map(str::to_owned)),
            "retains" => {
                for pair in rest.split_whitespace() {
                    let Some((param, target)) = pair.split_once('=') else {
                        continue;
                    };
                    let kind = match target {
                        "result" => RetentionKind::Result,
                        "receiver" => RetentionKind::Receiver,
                        "escape" => RetentionKind::Escape,
                        _ => RetentionKind::None,
                    };
                    self.retains.insert(param.to_owned(), kind);
                }
            }
            _ => {}
        }
    }
}

fn parse(text: &str) -> Model {
    let mut parser = crate::syntax::new_parser();
    let tree = crate::syntax::parse(&mut parser, text);
    let root = tree.root_node();
    let mut model = Model::default();
    let mut section: Option<String> = None;
    let mut directives = Directives::default();
    let mut cursor = root.walk();
    let declarations: Vec<Node> = root.named_children(&mut cursor).collect();
    // Qualified names in the model refer to modelled packages by their last path element.
    let sections: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("//deferfix:package "))
        .filter_map(|rest| rest.split_whitespace().next())
        .collect();
    let imports = Imports::from_pairs(
        sections
            .iter()
            .map(|path| (path.rsplit('/').next().unwrap_or(path), *path)),
    );
    for node in declarations {
        let source = &text[node.byte_range()];
        if node.kind() == "comment" {
            if let Some(header) = source.strip_prefix("//deferfix:package ") {
                let mut words = header.split_whitespace();
                let path = words.next().unwrap_or_default().to_owned();
                let package = model.packages.entry(path.clone()).or_default();
                package.keeps_nothing = words.any(|word| word == "keeps-nothing");
                section = Some(path);
                directives = Directives::default();
            } else {
                directives.read(source);
            }
            continue;
        }
        let Some(path) = section.clone() else {
            directives = Directives::default();
            continue;
        };
        let own = Package::Path(path.clone());
        let taken = std::mem::take(&mut directives);
        let package = model.packages.entry(path.clone()).or_default();
        match node.kind() {
            "function_declaration" => {
                if let Some(name) = node.child_by_field_name("name") {
                    let name = text[name.byte_range()].to_owned();
                    let short = path.rsplit('/').next().unwrap_or(&path);
                    let func =
                        func_model(node, text, &imports, &own, taken, format!("{short}.{name}"));
                    package.funcs.insert(name, func);
                }
            }
            "method_declaration" => add_method(package, node, text, &imports, &own, &path, taken),
            "type_declaration" => add_types(package, node, text, &imports, &own, taken),
            _ => {}
        }
    }
    model
}

fn func_model(
    function: Node,
    text: &str,
    imports: &Imports,
    own: &Package,
    directives: Directives,
    qualified: String,
) -> FuncModel {
    let param_names = crate::syntax::parameter_names(function, text);
    let receiver = function
        .child_by_field_name("receiver")
        .and_then(|list| {
            crate::syntax::descendants(list, |_| false)
                .into_iter()
                .find(|node| node.kind() == "identifier")
        })
        .map(|ident| text[ident.byte_range()].to_owned());
    FuncModel {
        signature: signature_of(function, text, imports, own),
        param_names,
        receiver,
        pure: directives.pure,
        release: directives.release,
        resource: directives.kind,
        retains: directives.retains,
        reads: directives.reads,
        qualified,
    }
}

fn add_method(
    package: &mut PackageModel,
    method: Node,
    text: &str,
    imports: &Imports,
    own: &Package,
    path: &str,
    directives: Directives,
) {
    let Some(type_name) = receiver_type_name(method, text) else {
        return;
    };
    let Some(name) = method.child_by_field_name("name") else {
        return;
    };
    let name = text[name.byte_range()].to_owned();
    let short = path.rsplit('/').next().unwrap_or(path);
    let func = func_model(
        method,
        text,
        imports,
        own,
        directives,
        format!("{short}.{type_name}.{name}"),
    );
    package
        .types
        .entry(type_name)
        .or_default()
        .methods
        .insert(name, func);
}

/// `File` for `func (f *File) Close()`, `List` for `func (l *List[T]) Len()`.
pub fn receiver_type_name(method: Node, text: &str) -> Option<String> {
    let receiver = method.child_by_field_name("receiver")?;
    crate::syntax::descendants(receiver, |_| false)
        .into_iter()
        .find(|node| node.kind() == "type_identifier")
        .map(|node| text[node.byte_range()].to_owned())
}

fn add_types(
    package: &mut PackageModel,
    declaration: Node,
    text: &str,
    imports: &Imports,
    own: &Package,
    directives: Directives,
) {
    for (name, definition) in super::facts::type_specs(declaration) {
        let entry = package
            .types
            .entry(text[name.byte_range()].to_owned())
            .or_default();
        entry.kind = directives.kind;
        entry.underlying = Some(from_type_node(definition, text, imports, own));
        if definition.kind() == "struct_type" {
            entry.fields = struct_fields(definition, text, imports, own);
        }
    }
}

fn struct_fields(
    structure: Node,
    text: &str,
    imports: &Imports,
    own: &Package,
) -> HashMap<String, (Type, Option<ResourceKind>)> {
    let mut fields = HashMap::new();
    for field in crate::syntax::descendants(structure, |_| false) {
        if field.kind() != "field_declaration" {
            continue;
        }
        let Some(ty) = field.child_by_field_name("type") else {
            continue;
        };
        let ty = from_type_node(ty, text, imports, own);
        // A `//deferfix:` comment after the field, on its line.
        let line_end = text[field.end_byte()..]
            .find('\n')
            .map_or(text.len(), |at| field.end_byte() + at);
        let mut directives = Directives::default();
        if let Some(comment) = text[field.end_byte()..line_end].trim().strip_prefix("//") {
            directives.read(&format!("//{}", comment.trim()));
        }
        let mut names = field.walk();
        for name in field.children_by_field_name("name", &mut names) {
            fields.insert(
                text[name.byte_range()].to_owned(),
                (ty.clone(), directives.kind),
            );
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_a_type_are_read_from_the_model() {
        let logger = Model::get().origins("log", "Logger");
        assert_eq!(logger.words, ["Default", "Logger", "New"]);
        assert!(logger.other_packages.is_empty());
        // `net/http`'s `Response` has a field of `io.ReadCloser`: the model mentions it there.
        let reader = Model::get().origins("io", "ReadCloser");
        assert!(reader.other_packages.iter().any(|path| path == "net/http"));

        let file = |imports: &str, code: &str| format!("package p\n\n{imports}\n\n{code}\n");
        assert!(!logger.in_text(&file("", "var l *Logger")));
        assert!(!logger.in_text(&file("import \"log\"", "func f() { log.Print() }")));
        let commented = "// log.New would do.\nfunc f() { log.Print(\"log.Default\") }";
        assert!(!logger.in_text(&file("import \"log\"", commented)));
        assert!(!logger.in_text(&file("import \"log\"", "var r = rand.New(s)")));
        assert!(logger.in_text(&file(
            "import \"log\"",
            "var l = log. /* x */ New(w, \"\", 0)"
        )));
        // A dot import names the package's functions bare, but only those words give one.
        assert!(!logger.in_text(&file("import . \"log\"", "func f() { Print() }")));
        assert!(logger.in_text(&file("import . \"log\"", "var l = Default()")));
        assert!(logger.in_text(&file("import . \"log\"", "var l = x.New()")));
        assert!(!logger.in_text(&file("import _ \"log\"", "var l *log.Logger")));
        assert!(logger.in_text(&file("import \"log\"", "var l = log.New(w, \"\", 0)")));
        assert!(logger.in_text(&file("import `log`", "var l *log.Logger")));
        assert!(logger.in_text(&file("import (\n\tlg \"log\"\n)", "var l = lg.Default()")));
        assert!(logger.in_text("package log\n\nfunc f(l *Logger) {}\n"));
        assert!(logger.in_text("package log_test\n\nfunc f(l *Logger) {}\n"));
        assert!(!logger.in_text("package slog\n\nfunc f(l *Logger) {}\n"));
        assert!(reader.in_text(&file("import \"net/http\"", "")));
    }

    #[test]
    fn the_model_parses_with_its_directives() {
        let model = Model::get();
        let copy = model.func("io", "Copy").unwrap();
        assert!(copy.reads_argument(1) && !copy.reads_argument(0));
        assert_eq!(copy.retention_of_argument(1), Retention::None);
        assert_eq!(
            model
                .func("bufio", "NewReader")
                .unwrap()
                .retention_of_argument(0),
            Retention::Result
        );
        let file = model.type_model("os", "File").unwrap();
        assert_eq!(file.kind, Some(ResourceKind::Handle));
        let close = file.method("Close").unwrap();
        assert!(close.release);
        assert_eq!(
            model.func("os", "Open").unwrap().signature.results,
            [
                Type::Pointer(Box::new(Type::named(Package::Path("os".into()), "File"))),
                Type::Error
            ]
        );
        assert_eq!(
            model.func("os", "Pipe").unwrap().resource,
            Some(ResourceKind::Visible)
        );
        let response = model.type_model("net/http", "Response").unwrap();
        let (body, kind) = response.field("Body").unwrap();
        assert_eq!(body, &Type::named(Package::Path("io".into()), "ReadCloser"));
        assert_eq!(kind, Some(ResourceKind::Handle));
        assert_eq!(
            model.type_model("time", "Duration").unwrap().underlying,
            Some(Type::Number)
        );
        assert!(model.method("time", "Duration", "Round").unwrap().pure);
        assert!(matches!(
            model
                .func("net/http", "Handle")
                .unwrap()
                .retention_of_argument(1),
            Retention::Escapes(_)
        ));
        // Variadic parameters cover every trailing argument.
        assert_eq!(
            model
                .func("io", "MultiReader")
                .unwrap()
                .retention_of_argument(3),
            Retention::Result
        );
        assert!(
            model
                .method("database/sql", "Rows", "Next")
                .unwrap()
                .reads_receiver()
        );
    }

    #[test]
    fn every_declaration_in_the_model_parses() {
        let mut parser = crate::syntax::new_parser();
        let tree = crate::syntax::parse(&mut parser, MODEL);
        assert_eq!(crate::syntax::first_syntax_error(&tree), None);
    }
}
