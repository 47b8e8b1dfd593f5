//! A lexical view of a Go file, for the rules' prefilters: its tokens (comments skipped, strings
//! and runes as literals), where Go's lexer ends statements (its semicolon rule), the brace blocks
//! the tokens sit in, and the function body each block belongs to. No parsing.
//!
//! A rule's lexical test (`Rule::may_match`, in the rule registry) asks it whether a file can hold
//! the rule's finding at all; a file no rule can match is not parsed. So a statement ends only
//! where Go's lexer ends it, and a function body is told from other braces as Go's grammar tells
//! them, since a mistake either way can mislead a test: a body taken for a plain block merges two
//! functions (close-error would read the outer signature, missing-close the outer `Close` calls),
//! and a composite literal of functions (`[]func(){…}`) taken for a body splits one (defer-eval
//! would take its elements for a literal's).

use std::cell::OnceCell;

use super::lexical::skip_quoted;

/// What a token is, as far as the prefilters care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ident,
    Keyword,
    /// A number, string, raw string or rune.
    Literal,
    Punct,
}

#[derive(Clone, Copy, Debug)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
    /// The innermost brace block around the token (0: the file).
    pub block: usize,
    /// Parentheses and brackets open around the token inside its block.
    pub depth: usize,
    /// Go's lexer puts a semicolon after this token: it is the last of a statement.
    pub ends_statement: bool,
    /// Part of a function's signature: from its `func` keyword to its body's `{`.
    pub in_signature: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct Block {
    /// The enclosing block (the file block is its own parent).
    pub parent: usize,
    /// Token index of the `{` (0 for the file block).
    pub open: usize,
    /// Token index of the matching `}` (the token count when the file ends first).
    pub close: usize,
    /// The function body this block is, or is inside (0: none, top level).
    pub function: usize,
    /// The `func` keyword whose body this block is.
    pub func_keyword: Option<usize>,
}

pub struct Lexed<'t> {
    text: &'t str,
    pub tokens: Vec<Token>,
    pub blocks: Vec<Block>,
    /// The text has a byte outside Go's tokens (a NUL, a lone `\r`, `@`, a non-ASCII letter or
    /// space outside strings and comments), where tree-sitter may split statements otherwise.
    unusual: bool,
    /// The `defer` and `for` tokens, found once: six rules' tests walk the defers of a file,
    /// and [`Lexed::inside_loop`] the loops before each defer.
    defers: OnceCell<Vec<usize>>,
    fors: OnceCell<Vec<usize>>,
    /// [`Lexed::imports`], read once: three rules' tests ask for them.
    imports: OnceCell<Vec<(String, String)>>,
}

const KEYWORDS: &[&str] = &[
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

/// The bytes Go's operators and punctuation are made of.
const GO_PUNCTUATION: &[u8] = b"+-*/%&|^<>=!()[]{},;.:~";

/// [`GO_PUNCTUATION`] as a table: asked of every punctuation byte of a file, where a search of
/// the list cost a `memchr` call each.
static IS_GO_PUNCTUATION: [bool; 256] = byte_set(GO_PUNCTUATION);

/// The bytes that can follow the first byte of one of [`OPERATORS`]: after any other, the
/// punctuation token is one byte long.
static CONTINUES_AN_OPERATOR: [bool; 256] = byte_set(b"<>^.=&|+-");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut at = 0;
    while at < bytes.len() {
        set[bytes[at] as usize] = true;
        at += 1;
    }
    set
}

/// Longest operators first, so that `<<=` is one token and `:=` is not `:` then `=`.
const OPERATORS: &[&str] = &[
    "<<=", ">>=", "&^=", "...", ":=", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "&^", "+=",
    "-=", "*=", "/=", "%=", "&=", "|=", "^=", "++", "--", "<-",
];

impl<'t> Lexed<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut builder = Builder::default();
        scan(text, &mut builder);
        builder.finish(text)
    }

    /// Whether the view can be trusted to say a rule finds nothing: not when the text holds a
    /// byte Go's lexer would reject (tree-sitter accepts more, and may read it differently).
    pub fn is_reliable(&self) -> bool {
        !self.unusual
    }

    pub fn text_of(&self, index: usize) -> &'t str {
        let token = &self.tokens[index];
        &self.text[token.start..token.end]
    }

    /// Whether token `index` is the identifier or keyword `word`.
    pub fn is(&self, index: usize, word: &str) -> bool {
        index < self.tokens.len() && self.text_of(index) == word
    }

    /// The index of the token that starts at byte `offset`, if one does.
    pub fn token_at(&self, offset: usize) -> Option<usize> {
        self.tokens
            .binary_search_by_key(&offset, |token| token.start)
            .ok()
    }

    /// The indices of the tokens spelled `word` (an identifier or keyword), in order: found in
    /// the text, kept where a token starts there (not in a comment or string) and ends with it.
    pub fn all<'s>(&'s self, word: &'s str) -> impl Iterator<Item = usize> + 's {
        memchr::memmem::find_iter(self.text.as_bytes(), word.as_bytes()).filter_map(move |start| {
            let index = self
                .tokens
                .binary_search_by_key(&start, |token| token.start)
                .ok()?;
            (self.tokens[index].end == start + word.len()).then_some(index)
        })
    }

    /// The tokens spelled one of `words`, [`Lexed::all`] of each, with one search of the text per
    /// word no other word starts (`Fatal` finds `Fatalf` and `Fatalln` too): grouped by that
    /// word, in text order within each group.
    pub fn all_among<'s>(&'s self, words: &'s [&'s str]) -> impl Iterator<Item = usize> + 's {
        words
            .iter()
            .filter(move |word| {
                !words
                    .iter()
                    .any(|shorter| shorter.len() < word.len() && word.starts_with(shorter))
            })
            .flat_map(move |stem| {
                memchr::memmem::find_iter(self.text.as_bytes(), stem.as_bytes()).filter_map(
                    move |start| {
                        let index = self.token_at(start)?;
                        words.contains(&self.text_of(index)).then_some(index)
                    },
                )
            })
    }

    /// The `defer` keywords of the file, in order ([`Lexed::all`] of `defer`, searched once).
    pub fn defers(&self) -> &[usize] {
        self.defers.get_or_init(|| self.all("defer").collect())
    }

    /// The `for` keywords of the file, in order, searched once.
    fn fors(&self) -> &[usize] {
        self.fors.get_or_init(|| self.all("for").collect())
    }

    /// The tokens spelled `word` within `range`.
    pub fn all_in<'s>(
        &'s self,
        word: &'s str,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = usize> + 's {
        // A scan of the range: searching the text for a short name (`t`) would stop at every
        // letter of the file.
        range.filter(move |&index| index < self.tokens.len() && self.text_of(index) == word)
    }

    /// The function body token `index` belongs to (0: top level).
    pub fn function_of(&self, index: usize) -> usize {
        self.blocks[self.tokens[index].block].function
    }

    /// Whether token `index` is inside the braces of a `struct` or `interface` type: a field or
    /// method name there is no variable.
    pub fn in_type_body(&self, index: usize) -> bool {
        let mut block = self.tokens[index].block;
        while block != 0 {
            let open = self.blocks[block].open;
            if open >= 1 && (self.is(open - 1, "struct") || self.is(open - 1, "interface")) {
                return true;
            }
            block = self.blocks[block].parent;
        }
        false
    }

    /// The text the tokens are of.
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// The functions token `index` is in, innermost first, then 0 (the top level).
    pub fn functions_around(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        let innermost = self.function_of(index);
        std::iter::successors(Some(innermost), move |&function| {
            (function != 0).then(|| self.blocks[self.blocks[function].parent].function)
        })
    }

    /// Whether block `outer` is `inner` or encloses it.
    pub fn encloses(&self, outer: usize, inner: usize) -> bool {
        let mut block = inner;
        loop {
            if block == outer {
                return true;
            }
            if block == 0 {
                return false;
            }
            block = self.blocks[block].parent;
        }
    }

    /// The index past the last token of the statement starting at token `start`: after the token
    /// Go's lexer ends it with, or at the `}` closing its block.
    pub fn statement_end(&self, start: usize) -> usize {
        let block = self.tokens[start].block;
        let close = self.blocks[block].close;
        let mut index = start;
        while index < close {
            let token = &self.tokens[index];
            if token.block == block && token.depth == 0 {
                if self.text_of(index) == ";" {
                    return index;
                }
                if token.ends_statement {
                    return index + 1;
                }
            }
            index += 1;
        }
        close
    }

    /// The tokens of the statement starting at token `start`.
    pub fn statement(&self, start: usize) -> std::ops::Range<usize> {
        start..self.statement_end(start)
    }

    /// Whether a token in `range` is spelled `word`.
    pub fn contains(&self, range: std::ops::Range<usize>, word: &str) -> bool {
        self.all_in(word, range).next().is_some()
    }

    /// Whether token `index` is inside a `for` loop of its own function: in a block the loop's
    /// statement opens (its body, or a literal in its header, which holds no statement).
    pub fn inside_loop(&self, index: usize) -> bool {
        let function = self.function_of(index);
        self.fors_before(index).any(|keyword| {
            self.function_of(keyword) == function
                && self.tokens[index].block != self.tokens[keyword].block
                && self.in_loop_statement(keyword, index)
        })
    }

    /// Whether token `index` is in a `for` statement, its header included, of its own function
    /// or of any function around it (a function literal in a loop body may run in the
    /// iteration, and a call in the condition or post statement runs in each).
    pub fn inside_any_loop(&self, index: usize) -> bool {
        self.fors_before(index)
            .any(|keyword| self.in_loop_statement(keyword, index))
    }

    /// Whether the names the statement starting at token `start` declares are scoped to the rest
    /// of its block: not in an `if`/`switch`/`for` header (the statement's own scope), after a
    /// label, or in a block of `switch`/`select` clauses (each clause is a scope of its own).
    pub fn block_is_scope_of(&self, start: usize) -> bool {
        let block = self.tokens[start].block;
        let labelled = start >= 1 && self.is(start - 1, ":");
        let in_clauses = self
            .body(block)
            .filter(|&index| self.tokens[index].block == block)
            .any(|index| self.is(index, "case") || self.is(index, "default"));
        self.tokens[start].kind != Kind::Keyword && !labelled && !in_clauses
    }

    fn fors_before(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.fors()
            .iter()
            .copied()
            .take_while(move |&keyword| keyword < index)
    }

    /// Whether token `index`, after the `for` keyword at token `keyword`, is in that statement:
    /// in its block or one inside it, before the statement ends.
    fn in_loop_statement(&self, keyword: usize, index: usize) -> bool {
        self.encloses(self.tokens[keyword].block, self.tokens[index].block)
            && index < self.loop_end(keyword)
    }

    /// Where the `for` statement at token `keyword` surely ends: after the first `}` of its block
    /// that ends a statement (its header cannot end one, its body's last brace does), else at the
    /// end of its block.
    fn loop_end(&self, keyword: usize) -> usize {
        let block = self.tokens[keyword].block;
        let close = self.blocks[block].close;
        (keyword..close)
            .find(|&index| {
                let token = &self.tokens[index];
                token.block == block && token.ends_statement && self.text_of(index) == "}"
            })
            .map_or(close, |index| index + 1)
    }

    /// The tokens of function body `function`, those of function literals inside it included.
    pub fn body(&self, function: usize) -> std::ops::Range<usize> {
        let block = &self.blocks[function];
        block.open..block.close
    }

    /// Whether `name` is declared in the signature of function `function` (not in a function
    /// type inside it) with one of `types`, each given as its tokens (`["*", "testing", ".",
    /// "T"]`).
    pub fn parameter_has_type(&self, function: usize, name: &str, types: &[&[&str]]) -> bool {
        self.in_signature_of(function, name).any(|index| {
            types.iter().any(|spelled| {
                spelled
                    .iter()
                    .enumerate()
                    .all(|(offset, word)| self.is(index + 1 + offset, word))
            })
        })
    }

    /// The tokens spelled `name` in the parameter, receiver and result lists of function
    /// `function` (not in a function type inside them: not in `(l int)` of a result written
    /// `func(l int)`, `[]func(l int)` or `chan func(l int)`, whose `func` is at the signature's
    /// own depth; in parentheses it is deeper).
    fn in_signature_of<'s>(
        &'s self,
        function: usize,
        name: &'s str,
    ) -> impl Iterator<Item = usize> + 's {
        let keyword = self.blocks[function].func_keyword;
        let (block, depth) = keyword.map_or((0, 0), |keyword| {
            (self.tokens[keyword].block, self.tokens[keyword].depth)
        });
        let open = self.blocks[function].open;
        let signature = keyword.map_or(0..0, |keyword| {
            let end = (keyword + 1..open)
                .find(|&index| {
                    let token = &self.tokens[index];
                    token.block == block && token.depth == depth && self.text_of(index) == "func"
                })
                .unwrap_or(open);
            keyword + 1..end
        });
        signature.filter(move |&index| {
            let token = &self.tokens[index];
            token.block == block && token.depth == depth + 1 && self.text_of(index) == name
        })
    }

    /// Whether `name` is declared in the signature of function `function` with a type of the
    /// package: `name T` or `name *T`, `T` a bare name ending the declaration (not `p.T`, not
    /// generic, not one of a list of names). A dot import can make `T` another package's: the
    /// caller asks.
    pub fn parameter_has_local_type(&self, function: usize, name: &str) -> bool {
        let bare_type_at = |index: usize| {
            index + 1 < self.tokens.len()
                && self.tokens[index].kind == Kind::Ident
                && matches!(self.text_of(index + 1), "," | ")")
        };
        self.in_signature_of(function, name).any(|index| {
            index >= 1
                && matches!(self.text_of(index - 1), "(" | ",")
                && (bare_type_at(index + 1) || (self.is(index + 1, "*") && bare_type_at(index + 2)))
        })
    }

    /// Whether the one declaration of `name` in the own body of function `function` is
    /// `var name T` or `var name *T` (`T` a bare name ending the statement, as in
    /// [`Lexed::parameter_has_local_type`]), before token `use_at` in a block enclosing it.
    pub fn only_declaration_is_var_of_local_type(
        &self,
        function: usize,
        name: &str,
        use_at: usize,
    ) -> bool {
        let mut declarations = self.all_in(name, self.body(function)).filter(|&index| {
            self.function_of(index) == function
                && !self.tokens[index].in_signature
                && self.may_declare_at(index)
        });
        let (Some(declaration), None) = (declarations.next(), declarations.next()) else {
            return false;
        };
        let type_at = declaration + 1 + usize::from(self.is(declaration + 1, "*"));
        declaration >= 1
            && declaration < use_at
            && self.is(declaration - 1, "var")
            && type_at < self.tokens.len()
            && self.tokens[type_at].kind == Kind::Ident
            && self.tokens[type_at].ends_statement
            && self.encloses(self.tokens[declaration].block, self.tokens[use_at].block)
    }

    /// Whether `name` may be declared or assigned anew in function `function` (literals inside
    /// it included), outside the tokens `except`: `name :=`, `name =`, `name,` in a list,
    /// `var name`, `name` before a type (a parameter), or `name` starting a line of a
    /// `var (…)` group.
    pub fn may_redeclare(
        &self,
        function: usize,
        name: &str,
        except: std::ops::Range<usize>,
    ) -> bool {
        self.all_in(name, self.body(function))
            .filter(|index| !except.contains(index))
            .any(|index| self.may_declare_at(index))
    }

    /// Whether `name` may be declared or assigned anew among the tokens `range`.
    pub fn may_redeclare_in(&self, name: &str, range: std::ops::Range<usize>) -> bool {
        self.all_in(name, range)
            .any(|index| self.may_declare_at(index))
    }

    fn may_declare_at(&self, index: usize) -> bool {
        let next = (index + 1 < self.tokens.len()).then(|| self.text_of(index + 1));
        // A label, the key of an element (`name: value`) or a field (`x.name = v`) declares no
        // variable.
        if next == Some(":") || (index >= 1 && self.is(index - 1, ".")) {
            return false;
        }
        if self.is_keyed_value(index) {
            return false;
        }
        let next_is_type = index + 1 < self.tokens.len()
            && (self.tokens[index + 1].kind == Kind::Ident
                || matches!(
                    next,
                    Some("*" | "[" | "func" | "map" | "chan" | "..." | "struct" | "interface")
                ));
        let previous = index.checked_sub(1);
        // A line of a `var (…)` group: after a statement's end, or after `var (`.
        let at_statement_start = previous.is_none_or(|previous| {
            self.tokens[previous].ends_statement
                || self.text_of(previous) == ";"
                || (self.text_of(previous) == "("
                    && previous
                        .checked_sub(1)
                        .is_some_and(|before| self.is(before, "var")))
        });
        matches!(next, Some(":=" | "="))
            || next_is_type
            || (next == Some(",") && self.tokens[index].depth == 0)
            || previous.is_some_and(|previous| {
                self.text_of(previous) == "var"
                    || (self.text_of(previous) == "," && self.tokens[index].depth == 0)
            })
            || (at_statement_start && next != Some("."))
    }

    /// Whether function `function` declares `name` in its own body (not in a function literal
    /// inside it, whose declarations are its own): see [`Lexed::may_redeclare`] for the forms.
    pub fn declares_in_own_body(&self, function: usize, name: &str) -> bool {
        self.all_in(name, self.body(function)).any(|index| {
            self.function_of(index) == function
                && !self.tokens[index].in_signature
                && self.may_declare_at(index)
        })
    }

    /// The file's imports as (name, path): the name written (`_` and `.` too), else each name
    /// the analysis may take the path for ([`crate::syntax::imports::implied_names`]).
    pub fn imports(&self) -> &[(String, String)] {
        self.imports.get_or_init(|| self.read_imports())
    }

    /// Go puts the imports before any other declaration, so only the tokens of the import
    /// section ([`super::lexical::import_section`]) are read for `import` keywords.
    fn read_imports(&self) -> Vec<(String, String)> {
        let section_end = super::lexical::import_section(self.text).len();
        let keywords = (0..self.tokens.len())
            .take_while(|&index| self.tokens[index].start < section_end)
            .filter(|&index| self.is(index, "import"));
        let mut imports = Vec::new();
        for keyword in keywords {
            let grouped = self.is(keyword + 1, "(");
            let mut index = keyword + 1 + usize::from(grouped);
            while index < self.tokens.len() {
                let token = self.tokens[index];
                if grouped && self.text_of(index) == ")" {
                    break;
                }
                if token.kind == Kind::Literal {
                    let path = self.text_of(index).trim_matches(|c| c == '"' || c == '`');
                    let named = index > keyword + 1
                        && matches!(self.tokens[index - 1].kind, Kind::Ident)
                        || (index >= 1 && self.is(index - 1, "."));
                    if named {
                        imports.push((self.text_of(index - 1).to_owned(), path.to_owned()));
                    } else {
                        // The names the analysis takes the import for (`foo` for
                        // `example.com/foo/v2`), so that both read a name alike.
                        for name in crate::syntax::imports::implied_names(path) {
                            imports.push((name, path.to_owned()));
                        }
                    }
                    if !grouped {
                        break;
                    }
                }
                index += 1;
            }
        }
        imports
    }

    /// Whether token `index` (a name) is surely read: called, an argument or operand closing a
    /// list or statement, the first result returned, the value of a keyed element
    /// (`key: name,`), not a field (after `.`) nor a key or a target of assignment.
    pub fn is_read(&self, index: usize) -> bool {
        if index >= 1 && self.is(index - 1, ".") {
            return false;
        }
        let token = &self.tokens[index];
        let next = (index + 1 < self.tokens.len()).then(|| self.text_of(index + 1));
        token.ends_statement
            || matches!(next, Some("(" | ")" | ";" | "}"))
            || (next == Some(",") && token.depth > 0)
            || (next == Some(",") && index >= 1 && self.is(index - 1, "return"))
            || self.is_keyed_value(index)
    }

    /// Whether token `index` is the value of a keyed element followed by more (`{t: t, …}`),
    /// not the first name of `case 1: a, b := f()`, which follows a colon too.
    fn is_keyed_value(&self, index: usize) -> bool {
        index >= 1
            && self.is(index - 1, ":")
            && self.is(index + 1, ",")
            && !self.assigns_after(index)
    }

    /// Whether the statement holding token `index` assigns after it (`case 1: a, b := f()`, whose
    /// `a` follows a colon too): an `=` or `:=` at its depth in its block.
    fn assigns_after(&self, index: usize) -> bool {
        let (block, depth) = (self.tokens[index].block, self.tokens[index].depth);
        (index..self.statement_end(index)).any(|at| {
            self.tokens[at].block == block
                && self.tokens[at].depth == depth
                && matches!(self.text_of(at), "=" | ":=")
        })
    }

    /// The first token of the statement holding token `index`, a token at depth 0 of its block:
    /// after the previous statement's end, a `;`, or the colon of `case x:`, `default:` or a
    /// label.
    pub fn statement_start(&self, index: usize) -> usize {
        let block = self.tokens[index].block;
        let open = self.blocks[block].open;
        let first = if block == 0 { 0 } else { open + 1 };
        (first..index)
            .rev()
            .find(|&before| {
                let token = &self.tokens[before];
                token.block == block
                    && token.depth == 0
                    && (token.ends_statement || matches!(self.text_of(before), ";" | ":"))
            })
            .map_or(first, |end| end + 1)
    }

    /// The first name assigned by the assignment or short declaration holding token `index`
    /// (in its right side, at depth 0 of its block): `x` in `x, err := …`. `None` when the
    /// statement assigns nothing before `index`.
    pub fn first_assigned(&self, index: usize) -> Option<usize> {
        let left = self.assigned_side(index)?;
        left.into_iter()
            .find(|&at| self.tokens[at].kind == Kind::Ident)
    }

    /// The tokens before the `:=` or `=` of the assignment or short declaration holding token
    /// `index` in its right side (at depth 0 of its block), from the statement's start (an `if`
    /// or `switch` keyword included).
    pub fn assigned_side(&self, index: usize) -> Option<std::ops::Range<usize>> {
        let start = self.statement_start(index);
        let block = self.tokens[index].block;
        let assign = (start..index).find(|&at| {
            self.tokens[at].block == block
                && self.tokens[at].depth == 0
                && matches!(self.text_of(at), ":=" | "=")
        })?;
        Some(start..assign)
    }

    /// Whether the right side of the assignment at token `assign` (its `:=` or `=`) can be one
    /// call, as the rules that read `x, err := call()` take: it ends with `)` and has no `,` of
    /// its own.
    pub fn may_be_single_call(&self, assign: usize) -> bool {
        let end = self.statement_end(assign);
        let token = self.tokens[assign];
        let own_comma = (assign + 1..end).any(|index| {
            let other = &self.tokens[index];
            other.block == token.block && other.depth == token.depth && self.is(index, ",")
        });
        end > assign + 1 && self.is(end - 1, ")") && !own_comma
    }

    /// Whether the tokens `words` follow one another somewhere in `range`.
    pub fn contains_sequence(&self, range: std::ops::Range<usize>, words: &[&str]) -> bool {
        range.into_iter().any(|index| {
            words
                .iter()
                .enumerate()
                .all(|(offset, word)| self.is(index + offset, word))
        })
    }

    /// The body block of the function literal whose `func` keyword is token `keyword`.
    pub fn body_of(&self, keyword: usize) -> Option<usize> {
        self.blocks
            .iter()
            .position(|block| block.func_keyword == Some(keyword))
    }
}

/// A `func` keyword whose body has not been seen yet: in `block`, at paren `depth`.
#[derive(Clone, Copy, PartialEq, Eq)]
struct PendingFunc {
    keyword: usize,
    block: usize,
    depth: usize,
    /// The element type of a slice, array, map or channel (`[]func(){…}`, `map[K]*func(){…}`,
    /// see [`Builder::is_element_type`]), whose `{` opens a composite literal, never a body.
    element_type: bool,
}

struct Builder {
    tokens: Vec<Token>,
    blocks: Vec<Block>,
    unusual: bool,
    /// Open blocks, innermost last, with the paren depth in each; the file block is always first.
    open: Vec<(usize, usize)>,
    pending: Vec<PendingFunc>,
    /// For each `[` open, whether it starts a type (`[]T`, `[N]T`, `map[K]V`) rather than an
    /// index or type arguments: it follows `map` or a token that cannot end an operand.
    brackets: Vec<bool>,
    /// The last `]` that closed a bracket starting a type (or an empty `[]`).
    last_type_bracket: Option<usize>,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            tokens: Vec::new(),
            blocks: vec![Block {
                parent: 0,
                open: 0,
                close: usize::MAX,
                function: 0,
                func_keyword: None,
            }],
            open: vec![(0, 0)],
            pending: Vec::new(),
            brackets: Vec::new(),
            last_type_bracket: None,
            unusual: false,
        }
    }
}

impl Builder {
    fn current(&self) -> (usize, usize) {
        self.open.last().copied().unwrap_or((0, 0))
    }

    fn push(&mut self, text: &str, kind: Kind, start: usize, end: usize) {
        let word = &text[start..end];
        let index = self.tokens.len();
        let (block, mut depth) = self.current();
        if matches!(word, ")" | "]") {
            depth = depth.saturating_sub(1);
            self.set_depth(depth);
        }
        self.forget_pending(block, depth, word, kind);
        self.tokens.push(Token {
            kind,
            start,
            end,
            block,
            depth,
            ends_statement: false,
            in_signature: false,
        });
        match word {
            "(" => {
                self.forget_element_types_at(text, index, block, depth);
                self.set_depth(depth + 1);
            }
            "[" => {
                let starts_type = self.opens_a_type(text, index);
                self.brackets.push(starts_type);
                self.set_depth(depth + 1);
            }
            "]" => {
                let empty = index > 0 && self.word(text, index - 1) == "[";
                if self.brackets.pop().unwrap_or(false) || empty {
                    self.last_type_bracket = Some(index);
                }
            }
            "{" => self.open_block(text, index, block, depth),
            "}" => self.close_block(index),
            "func" if kind == Kind::Keyword => {
                let element_type = self.is_element_type(text, index);
                self.pending.push(PendingFunc {
                    keyword: index,
                    block,
                    depth,
                    element_type,
                });
            }
            _ => {}
        }
    }

    /// A `(` right after a name, a literal, `]` or `}` at the depth of an element-type `func`
    /// converts or calls with a complete type (`[]func() int(fs)`, `chan func() error(ch)`): the
    /// type has ended, and its `func` must not take the body of a literal that follows
    /// (`… * func() int {…}()`). A signature's own `(` comes after `func` or `)`.
    fn forget_element_types_at(&mut self, text: &str, index: usize, block: usize, depth: usize) {
        let Some(previous) = index.checked_sub(1).map(|at| &self.tokens[at]) else {
            return;
        };
        let ends_a_type = match previous.kind {
            Kind::Ident | Kind::Literal => true,
            Kind::Punct => matches!(self.word(text, index - 1), "]" | "}"),
            Kind::Keyword => false,
        };
        if ends_a_type {
            self.pending.retain(|pending| {
                !(pending.element_type && pending.block == block && pending.depth == depth)
            });
        }
    }

    /// Whether the `[` at token `index` starts a type: after `map`, or after a token that cannot
    /// end an operand (an index or type arguments follow a name, `)`, `]`, `}` or a literal).
    fn opens_a_type(&self, text: &str, index: usize) -> bool {
        let Some(previous) = index.checked_sub(1).map(|at| &self.tokens[at]) else {
            return true;
        };
        match previous.kind {
            Kind::Keyword => true,
            Kind::Punct => !matches!(self.word(text, index - 1), ")" | "]" | "}"),
            Kind::Ident | Kind::Literal => false,
        }
    }

    /// The text of token `index`.
    fn word<'t>(&self, text: &'t str, index: usize) -> &'t str {
        let token = &self.tokens[index];
        &text[token.start..token.end]
    }

    /// Whether the `func` keyword at token `index` is (part of) an element type, so that a `{`
    /// after its signature opens a composite literal (`[]func(){…}`, `map[K]*func(){…}`,
    /// `[]chan func(){…}`): right after a `]` that does not end a statement (no literal can
    /// start there), after `chan`, or after `*`s that follow a `]` closing a type's bracket
    /// (`xs[i] * func() int {…}()` multiplies by a literal's result).
    fn is_element_type(&self, text: &str, index: usize) -> bool {
        let mut at = index;
        while let Some(before) = at.checked_sub(1) {
            match self.word(text, before) {
                "]" if !self.tokens[before].ends_statement => {
                    return at == index || self.last_type_bracket == Some(before);
                }
                "chan" => return true,
                // `chan<- func()`; a send (`ch <- func() {…}`) has its channel before the arrow.
                "<-" => return before >= 1 && self.word(text, before - 1) == "chan",
                "*" => at = before,
                _ => return false,
            }
        }
        false
    }

    fn set_depth(&mut self, depth: usize) {
        if let Some(open) = self.open.last_mut() {
            open.1 = depth;
        }
    }

    /// Drops the pending `func` keywords a token shows have no body coming: ones inside brackets
    /// that closed, and ones at this depth when the token cannot continue a signature.
    fn forget_pending(&mut self, block: usize, depth: usize, word: &str, kind: Kind) {
        self.pending
            .retain(|pending| pending.block != block || pending.depth <= depth);
        let continues_signature = match kind {
            Kind::Ident => true,
            Kind::Keyword => matches!(word, "func" | "struct" | "interface" | "map" | "chan"),
            Kind::Literal => false,
            Kind::Punct => matches!(word, "." | "(" | ")" | "[" | "]" | "*" | "<-" | "{"),
        };
        if !continues_signature {
            self.pending
                .retain(|pending| pending.block != block || pending.depth != depth);
        }
    }

    fn open_block(&mut self, text: &str, index: usize, block: usize, depth: usize) {
        let after_type_keyword = index > 0 && {
            let previous = &self.tokens[index - 1];
            matches!(&text[previous.start..previous.end], "struct" | "interface")
        };
        let body_of = match self.pending.last() {
            Some(pending)
                if !after_type_keyword && pending.block == block && pending.depth == depth =>
            {
                // `func() func() int {`: one body for the whole signature, whose first `func` it
                // is (no statement ends between them, or they would have been dropped).
                let first = self
                    .pending
                    .iter()
                    .find(|other| other.block == block && other.depth == depth)
                    .copied()
                    .unwrap_or(*pending);
                self.pending
                    .retain(|other| other.block != block || other.depth != depth);
                (!first.element_type).then_some(first.keyword)
            }
            _ => None,
        };
        if let Some(keyword) = body_of {
            for token in &mut self.tokens[keyword..index] {
                token.in_signature = true;
            }
        }
        let id = self.blocks.len();
        let function = if body_of.is_some() {
            id
        } else {
            self.blocks[block].function
        };
        self.blocks.push(Block {
            parent: block,
            open: index,
            close: usize::MAX,
            function,
            func_keyword: body_of,
        });
        self.open.push((id, 0));
    }

    /// The `}` belongs to the enclosing block, as its `{` does.
    fn close_block(&mut self, index: usize) {
        // A `}` with no `{` open (a file that does not parse) closes nothing.
        if self.open.len() < 2 {
            return;
        }
        if let Some((block, _)) = self.open.pop() {
            self.blocks[block].close = index;
            self.pending.retain(|pending| pending.block != block);
            let (parent, depth) = self.current();
            self.tokens[index].block = parent;
            self.tokens[index].depth = depth;
        }
    }

    /// A newline (or the end of the file): Go's lexer ends the statement after an identifier, a
    /// literal, `break`/`continue`/`fallthrough`/`return`, `++`, `--`, `)`, `]` or `}`.
    fn newline(&mut self, text: &str) {
        let Some(last) = self.tokens.last_mut() else {
            return;
        };
        let word = &text[last.start..last.end];
        last.ends_statement = match last.kind {
            Kind::Ident | Kind::Literal => true,
            Kind::Keyword => matches!(word, "break" | "continue" | "fallthrough" | "return"),
            Kind::Punct => matches!(word, "++" | "--" | ")" | "]" | "}"),
        };
        if last.ends_statement {
            let (block, depth) = (last.block, last.depth);
            // A signature never spans a statement end.
            self.pending
                .retain(|pending| pending.block != block || pending.depth < depth);
        }
    }

    fn finish(mut self, text: &str) -> Lexed<'_> {
        self.newline(text);
        let count = self.tokens.len();
        for block in &mut self.blocks {
            block.close = block.close.min(count);
        }
        Lexed {
            text,
            tokens: self.tokens,
            blocks: self.blocks,
            unusual: self.unusual,
            defers: OnceCell::new(),
            fors: OnceCell::new(),
            imports: OnceCell::new(),
        }
    }
}

fn scan(text: &str, builder: &mut Builder) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let next = bytes.get(at + 1).copied();
        match byte {
            b'\n' => {
                builder.newline(text);
                at += 1;
            }
            b' ' | b'\t' => at += 1,
            b'\r' => {
                // CRLF is a newline; a lone carriage return is not one to Go.
                builder.unusual |= next != Some(b'\n');
                at += 1;
            }
            b'/' if next == Some(b'/') => {
                at = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |n| at + n);
            }
            b'/' if next == Some(b'*') => {
                let end = memchr::memmem::find(&bytes[at + 2..], b"*/")
                    .map_or(bytes.len(), |n| at + 2 + n + 2);
                // A comment over several lines acts like a newline.
                if memchr::memchr(b'\n', &bytes[at..end]).is_some() {
                    builder.newline(text);
                }
                at = end;
            }
            b'"' | b'\'' => at = literal(text, builder, at, skip_quoted(bytes, at)),
            b'`' => {
                let end =
                    memchr::memchr(b'`', &bytes[at + 1..]).map_or(bytes.len(), |n| at + 1 + n + 1);
                at = literal(text, builder, at, end);
            }
            b'0'..=b'9' => at = literal(text, builder, at, number_end(bytes, at)),
            b'.' if next.is_some_and(|next| next.is_ascii_digit()) => {
                at = literal(text, builder, at, number_end(bytes, at));
            }
            _ if byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80 => {
                let start = at;
                while at < bytes.len() && is_word_byte(bytes[at]) {
                    // Non-ASCII letters are identifiers to Go, but non-ASCII spaces are not.
                    builder.unusual |= bytes[at] >= 0x80;
                    at += 1;
                }
                let kind = if KEYWORDS.contains(&&text[start..at]) {
                    Kind::Keyword
                } else {
                    Kind::Ident
                };
                builder.push(text, kind, start, at);
            }
            _ => {
                builder.unusual |= !IS_GO_PUNCTUATION[usize::from(byte)];
                let rest = &bytes[at..];
                let length = if next.is_some_and(|next| CONTINUES_AN_OPERATOR[usize::from(next)]) {
                    OPERATORS
                        .iter()
                        .find(|operator| rest.starts_with(operator.as_bytes()))
                        .map_or(1, |operator| operator.len())
                } else {
                    1
                };
                builder.push(text, Kind::Punct, at, at + length);
                at += length;
            }
        }
    }
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

fn literal(text: &str, builder: &mut Builder, start: usize, end: usize) -> usize {
    let end = end.min(text.len());
    builder.push(text, Kind::Literal, start, end);
    end
}

/// The offset after a number: digits, letters (hex digits, exponents, suffixes), `_` and `.`,
/// and the sign right after an exponent letter.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let hex = bytes[start..].starts_with(b"0x") || bytes[start..].starts_with(b"0X");
    let mut at = start;
    while at < bytes.len() {
        let byte = bytes[at];
        let exponent = if hex {
            matches!(byte, b'p' | b'P')
        } else {
            matches!(byte, b'e' | b'E')
        };
        if exponent && matches!(bytes.get(at + 1), Some(b'+' | b'-')) {
            at += 2;
        } else if is_word_byte(byte) || byte == b'.' {
            at += 1;
        } else {
            break;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_of(lexed: &Lexed, word: &str) -> usize {
        let index = lexed.all(word).next().unwrap();
        lexed.tokens[index].block
    }

    #[test]
    fn function_bodies_are_told_from_type_braces_and_composite_literals() {
        let text = "package p\n\nfunc f(g func()) interface{ M() } {\n\tfor _, x := range []int{1} {\n\t\tgo func() { inner() }()\n\t\touter()\n\t}\n\treturn nil\n}\n";
        let lexed = Lexed::new(text);
        let outer = lexed.function_of(lexed.all("outer").next().unwrap());
        let inner = lexed.function_of(lexed.all("inner").next().unwrap());
        assert_ne!(outer, 0);
        assert_ne!(inner, outer);
        // The interface's braces and the composite literal are not function bodies.
        assert_eq!(lexed.function_of(lexed.all("M").next().unwrap()), 0);
        assert_eq!(lexed.blocks[block_of(&lexed, "outer")].function, outer);
    }

    #[test]
    fn a_composite_literal_of_functions_is_no_function_body() {
        let text = "package p\n\nfunc f() {\n\tfs := []func(){first}\n\tm := map[string]func() int{\"k\": second}\n\tg := [2]func() func(){third}\n\th := []func(){func() { inner() }}\n}\n";
        let lexed = Lexed::new(text);
        let f = lexed.function_of(lexed.all("fs").next().unwrap());
        assert_ne!(f, 0);
        for element in ["first", "second", "third"] {
            assert_eq!(
                lexed.function_of(lexed.all(element).next().unwrap()),
                f,
                "{element}"
            );
        }
        // A function literal among the elements has its body.
        assert_ne!(lexed.function_of(lexed.all("inner").next().unwrap()), f);
        // Through pointers and channels too; a product with a literal's result is a literal.
        let text = "package p\n\nfunc f() {\n\tps := []*func(){first}\n\tcs := map[int]chan func(){1: second}\n\tn := xs[0] * func() int { return inner() }()\n}\n";
        let lexed = Lexed::new(text);
        let f = lexed.function_of(lexed.all("ps").next().unwrap());
        for element in ["first", "second"] {
            assert_eq!(
                lexed.function_of(lexed.all(element).next().unwrap()),
                f,
                "{element}"
            );
        }
        assert_ne!(lexed.function_of(lexed.all("inner").next().unwrap()), f);
        // A conversion ends the element type: the literal after it has its body. A channel
        // type that only sends is a type too.
        let text = "package p\n\nfunc f() {\n\tn := []func() int(fs)[0]() * func() int { return inner() }()\n\tif c != chan<- func() bool(nil) {\n\t\tthen()\n\t}\n}\n";
        let lexed = Lexed::new(text);
        let f = lexed.function_of(lexed.all("n").next().unwrap());
        assert_ne!(lexed.function_of(lexed.all("inner").next().unwrap()), f);
        assert_eq!(lexed.function_of(lexed.all("then").next().unwrap()), f);
        // After a `]` that ends a statement, `func` starts a function.
        let text =
            "package p\n\nvar first = xs[0]\nfunc g() {\n\tu := us[0]\n\tfunc() { body() }()\n}\n";
        let lexed = Lexed::new(text);
        let g = lexed.function_of(lexed.all("u").next().unwrap());
        assert_ne!(g, 0);
        let body = lexed.function_of(lexed.all("body").next().unwrap());
        assert!(body != 0 && body != g);
    }

    #[test]
    fn a_func_type_without_a_body_makes_no_later_block_a_function() {
        let text = "package p\n\nfunc f(v any) {\n\tswitch v.(type) {\n\tcase func():\n\t\tif true {\n\t\t\tcall()\n\t\t}\n\t}\n\tvar g func()\n\tif g == nil {\n\t\tother()\n\t}\n}\n";
        let lexed = Lexed::new(text);
        let f = lexed.function_of(lexed.all("switch").next().unwrap());
        assert_ne!(f, 0);
        assert_eq!(lexed.function_of(lexed.all("call").next().unwrap()), f);
        assert_eq!(lexed.function_of(lexed.all("other").next().unwrap()), f);
    }

    #[test]
    fn statements_end_where_go_inserts_semicolons() {
        let text = "package p\n\nfunc f() {\n\tx, err := g(a,\n\t\tb) +\n\t\tc\n\tdefer x.Close(); y()\n\tz()\n}\n";
        let lexed = Lexed::new(text);
        let assign = lexed.all("x").next().unwrap();
        let end = lexed.statement_end(assign);
        assert_eq!(lexed.text_of(end - 1), "c");
        let defer = lexed.all("defer").next().unwrap();
        assert_eq!(lexed.text_of(lexed.statement_end(defer)), ";");
    }

    #[test]
    fn strings_comments_and_runes_hide_their_words() {
        let text = "package p\n\nvar s = \"defer {\" + `for {\n}` // defer\nvar r = '{'\n/* func {\n*/\nfunc f() { defer g() }\n";
        let lexed = Lexed::new(text);
        assert_eq!(lexed.all("defer").count(), 1);
        assert_eq!(lexed.blocks.len(), 2);
    }

    #[test]
    fn one_search_per_stem_finds_what_a_search_per_word_finds() {
        let text = "package p\n\n// t.Fatalf in a comment\nfunc f(t *T) {\n\tdefer g()\n\tt.Fatal(1)\n\tt.Fatalf(\"Fatal\")\n\tFatality()\n\tt.Fatalln()\n\tos.Exit(1)\n\tdefer h()\n}\n";
        let lexed = Lexed::new(text);
        let words = ["Exit", "Fatal", "Fatalf", "Fatalln"];
        let mut among: Vec<usize> = lexed.all_among(&words).collect();
        among.sort_unstable();
        let mut each: Vec<usize> = words.iter().flat_map(|word| lexed.all(word)).collect();
        each.sort_unstable();
        assert_eq!(among, each);
        assert_eq!(among.len(), 4);
        assert_eq!(
            lexed.defers().to_vec(),
            lexed.all("defer").collect::<Vec<_>>()
        );
        assert_eq!(lexed.defers().len(), 2);
    }

    #[test]
    fn the_byte_tables_say_what_the_lists_say() {
        for byte in 0..=u8::MAX {
            assert_eq!(
                IS_GO_PUNCTUATION[usize::from(byte)],
                GO_PUNCTUATION.contains(&byte),
                "{byte}"
            );
        }
        // Every operator continues after its first byte with a byte the fast path looks for.
        for operator in OPERATORS {
            let second = operator.as_bytes()[1];
            assert!(CONTINUES_AN_OPERATOR[usize::from(second)], "{operator}");
        }
        let lexed = Lexed::new("package p\n\nfunc f() { a <<= 1; b := <-c; d &^= e... }\n");
        let spelled: Vec<&str> = (0..lexed.tokens.len()).map(|i| lexed.text_of(i)).collect();
        for operator in ["<<=", ":=", "<-", "&^=", "...", "{", "}"] {
            assert!(spelled.contains(&operator), "{operator} in {spelled:?}");
        }
    }

    #[test]
    fn bytes_outside_go_tokens_make_the_view_unreliable() {
        assert!(Lexed::new("package p\n\nfunc f() { a := \"\\x00é\" } // é\n").is_reliable());
        for text in ["a\0\n", "a\rb", "x := 1 @ 2", "é := 1", "a\u{a0}b"] {
            assert!(!Lexed::new(text).is_reliable(), "{text:?}");
        }
    }

    #[test]
    fn unbalanced_braces_do_not_panic() {
        for text in [
            "}}}", "{{{", "func", "func (", "\"", "`", "/*", "0x1p-", ".",
        ] {
            let lexed = Lexed::new(text);
            for index in 0..lexed.tokens.len() {
                let _ = lexed.statement_end(index);
                let _ = lexed.function_of(index);
            }
        }
    }
}
