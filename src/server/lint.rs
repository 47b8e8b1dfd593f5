//! What the server knows about a document: its findings and fixes, computed by the same pipeline
//! as the CLI (nearest `deferfix.toml`, the module's Go version, the package's other files on
//! disk, suppression comments), and how they become diagnostics and code actions.

use std::collections::HashMap;
use std::path::Path;

use line_index::LineIndex;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeDescription, Diagnostic,
    DiagnosticSeverity, DocumentChanges, NumberOrString, OneOf,
    OptionalVersionedTextDocumentIdentifier, Position, Range, TextDocumentEdit, TextEdit, Url,
    WorkspaceEdit,
};
use similar::{DiffOp, TextDiff};

use super::document::{self, Encoding};
use crate::config::Config;
use crate::fix::{Applicability, Finding, Fix, FixState};
use crate::pipeline::process_one;
use crate::source::SourceText;

/// The code-action kind of "apply every safe fix of the file", as ruff's `source.fixAll.ruff`.
pub const FIX_ALL: &str = "source.fixAll.deferfix";

/// A document's findings, on the text they were made on.
pub struct Linted {
    /// The document's text as the engine sees it (no BOM, `\n` line breaks).
    pub source: SourceText,
    pub findings: Vec<Finding>,
    /// The text with every safe fix applied, when they change it.
    pub fixed: Option<String>,
}

/// What a lint computes besides the findings (each with its own fix).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Findings only: diagnostics.
    Findings,
    /// Also the text with every safe fix applied: code actions' fix-all.
    FixedText,
}

/// Lints a document's text as the CLI lints the file at `path`. `None` when the file is not
/// linted (excluded by the config, generated, not Go that parses): no diagnostics, no fixes.
pub fn lint(path: &Path, text: &str, want: Want) -> Option<Linted> {
    let directory = path.parent().unwrap_or(Path::new("."));
    let config = Config::discover(directory).unwrap_or_else(|err| {
        eprintln!("deferfix server: {err}");
        Config::default()
    });
    if config.excludes(path) {
        return None;
    }
    let apply = (want == Want::FixedText).then_some(Applicability::Safe);
    let mut settings = config.settings(&[], &[], apply, false);
    // Fix-all applies only safe fixes, whatever the config lets -w apply.
    settings.unsafe_rules.clear();
    let report = process_one(
        path,
        text.as_bytes().to_vec(),
        false,
        config.go_version,
        &settings,
    );
    let outcome = report.outcome?;
    let source = match report.source {
        Some(source) => source,
        None => SourceText::decode(text.as_bytes().to_vec()).ok()?,
    };
    Some(Linted {
        source,
        findings: outcome.findings,
        fixed: outcome.fixed,
    })
}

/// Positions on the document's text for offsets on the engine's text: the lines are the same
/// (CRLF only loses its `\r`), and a BOM the editor kept shifts the first line.
pub struct Positions<'a> {
    lines: LineIndex,
    text: &'a str,
    had_bom: bool,
    encoding: Encoding,
}

impl<'a> Positions<'a> {
    pub fn new(linted: &'a Linted, encoding: Encoding) -> Self {
        Positions {
            lines: LineIndex::new(&linted.source.text),
            text: &linted.source.text,
            had_bom: linted.source.had_bom,
            encoding,
        }
    }

    pub fn position(&self, offset: usize) -> Position {
        let mut position = document::position(&self.lines, offset, self.encoding);
        if self.had_bom && position.line == 0 {
            position.character += match self.encoding {
                Encoding::Utf8 => 3,
                Encoding::Utf16 => 1,
            };
        }
        position
    }

    pub fn range(&self, span: &std::ops::Range<usize>) -> Range {
        Range::new(self.position(span.start), self.position(span.end))
    }

    /// The indentation of the line holding `offset`.
    fn indentation(&self, offset: usize) -> &'a str {
        let line = crate::source::line_at(self.text, offset);
        &line[..line.len() - line.trim_start().len()]
    }
}

pub fn diagnostics(linted: &Linted, encoding: Encoding) -> Vec<Diagnostic> {
    let positions = Positions::new(linted, encoding);
    linted
        .findings
        .iter()
        .map(|finding| diagnostic(finding, &positions))
        .collect()
}

fn diagnostic(finding: &Finding, positions: &Positions) -> Diagnostic {
    let href = Url::parse(&crate::transforms::docs_url(finding.rule)).ok();
    Diagnostic {
        range: positions.range(&finding.span),
        severity: Some(DiagnosticSeverity::WARNING),
        code: Some(NumberOrString::String(finding.rule.to_owned())),
        code_description: href.map(|href| CodeDescription { href }),
        source: Some("deferfix".to_owned()),
        message: format!("{}{}", finding.message, finding.fix_marker()),
        ..Diagnostic::default()
    }
}

/// What a code-action request asks for.
pub struct Request<'a> {
    pub uri: &'a Url,
    pub version: i32,
    /// The document's text as the editor has it.
    pub text: &'a str,
    pub range: Range,
    /// The kinds asked for (`None`: all).
    pub only: Option<&'a [CodeActionKind]>,
    pub encoding: Encoding,
    /// The client takes versioned `documentChanges` (and so refuses an edit of an older text).
    pub document_changes: bool,
}

/// The code actions for a request: a quick fix per finding in the range that has a fix (the
/// safe one preferred; an unsafe one titled as such), "ignore" per finding in the range, and
/// the safe fix-all of the file.
pub fn code_actions(linted: &Linted, request: &Request) -> Vec<CodeActionOrCommand> {
    let positions = Positions::new(linted, request.encoding);
    let mut actions = Vec::new();
    if wanted(request.only, CodeActionKind::QUICKFIX.as_str()) {
        for finding in &linted.findings {
            let diagnostic = diagnostic(finding, &positions);
            if !overlaps(&diagnostic.range, &request.range) {
                continue;
            }
            if let Some(action) = quick_fix(linted, request, finding, &diagnostic) {
                actions.push(action);
            }
            actions.push(ignore(request, finding, &positions, diagnostic));
        }
    }
    if wanted(request.only, FIX_ALL)
        && let Some(fixed) = &linted.fixed
    {
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: "deferfix: apply every safe fix".to_owned(),
            kind: Some(CodeActionKind::new(FIX_ALL)),
            edit: Some(edit(
                request,
                line_edits(request, &linted.source.encode(fixed)),
            )),
            ..CodeAction::default()
        }));
    }
    actions
}

fn quick_fix(
    linted: &Linted,
    request: &Request,
    finding: &Finding,
    diagnostic: &Diagnostic,
) -> Option<CodeActionOrCommand> {
    let (fix, title, preferred) = match &finding.fix {
        FixState::Safe(fix) => (fix, format!("deferfix: {}", fix.title), true),
        FixState::Unsafe(fix, reason) => (
            fix,
            format!("deferfix: {} (unsafe: {})", fix.title, reason.code.as_str()),
            false,
        ),
        FixState::NoFix(_) | FixState::ReportOnly => return None,
    };
    let fixed = linted.source.encode(&apply(&linted.source.text, fix));
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(edit(request, line_edits(request, &fixed))),
        is_preferred: Some(preferred),
        ..CodeAction::default()
    }))
}

/// `//deferfix:ignore rule-id` on the line above the finding, with its indentation.
fn ignore(
    request: &Request,
    finding: &Finding,
    positions: &Positions,
    diagnostic: Diagnostic,
) -> CodeActionOrCommand {
    let line = positions.position(finding.span.start).line;
    let newline = if request.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let comment = format!(
        "{}//deferfix:ignore {}{newline}",
        positions.indentation(finding.span.start),
        finding.rule
    );
    let at = Position::new(line, 0);
    CodeActionOrCommand::CodeAction(CodeAction {
        title: format!("deferfix: ignore this {} finding", finding.rule),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic]),
        edit: Some(edit(
            request,
            vec![TextEdit::new(Range::new(at, at), comment)],
        )),
        is_preferred: Some(false),
        ..CodeAction::default()
    })
}

/// The text with one fix's edits applied.
fn apply(text: &str, fix: &Fix) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for edit in fix.edits() {
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.replacement);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Edits that turn the document's text into `new`, one per changed run of lines, so that an
/// editor keeps the cursor and folds of the lines in between.
fn line_edits(request: &Request, new: &[u8]) -> Vec<TextEdit> {
    let old = request.text;
    let new = String::from_utf8_lossy(new);
    let diff = TextDiff::from_lines(old, new.as_ref());
    let old_lines: Vec<&str> = old.split_inclusive('\n').collect();
    let new_lines: Vec<&str> = new.split_inclusive('\n').collect();
    let mut line_starts = Vec::with_capacity(old_lines.len() + 1);
    let mut offset = 0;
    for line in &old_lines {
        line_starts.push(offset);
        offset += line.len();
    }
    line_starts.push(offset);
    let index = LineIndex::new(old);
    let position = |line: usize| document::position(&index, line_starts[line], request.encoding);
    diff.ops()
        .iter()
        .filter(|op| !matches!(op, DiffOp::Equal { .. }))
        .map(|op| {
            let (old_range, new_range) = (op.old_range(), op.new_range());
            TextEdit::new(
                Range::new(position(old_range.start), position(old_range.end)),
                new_lines[new_range].concat(),
            )
        })
        .collect()
}

fn edit(request: &Request, edits: Vec<TextEdit>) -> WorkspaceEdit {
    if request.document_changes {
        let edit = TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: request.uri.clone(),
                version: Some(request.version),
            },
            edits: edits.into_iter().map(OneOf::Left).collect(),
        };
        WorkspaceEdit {
            document_changes: Some(DocumentChanges::Edits(vec![edit])),
            ..WorkspaceEdit::default()
        }
    } else {
        WorkspaceEdit {
            changes: Some(HashMap::from([(request.uri.clone(), edits)])),
            ..WorkspaceEdit::default()
        }
    }
}

/// Whether `kind` is asked for: `only` lists kinds and their parents (`source` covers
/// `source.fixAll.deferfix`); no `only` asks for all.
fn wanted(only: Option<&[CodeActionKind]>, kind: &str) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|asked| {
            let asked = asked.as_str();
            kind == asked
                || kind
                    .strip_prefix(asked)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    })
}

fn overlaps(a: &Range, b: &Range) -> bool {
    a.start <= b.end && b.start <= a.end
}
