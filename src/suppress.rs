//! Suppression comments, as Go linters spell them: `//deferfix:ignore` (all rules) or
//! `//deferfix:ignore rule-id[,rule-id] reason`, and golangci-lint's `//nolint`,
//! `//nolint:deferfix` and `//nolint:all`. A directive silences findings that start on its own
//! line (a trailing comment) or on the line below (a comment line above the code).
//!
//! Like `//go:` directives, they are written without a space after `//`.

use tree_sitter::{Node, Tree};

use crate::fix::Finding;
use crate::source::LineIndex;
use crate::syntax::descendants;

/// The pseudo rule id under which unused `//deferfix:ignore` directives are reported.
pub const UNUSED_IGNORE: &str = "unused-ignore";

/// Which rules a directive silences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Rules(Vec<String>),
}

/// One suppression comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Byte offset of the comment.
    pub offset: usize,
    /// 1-based line of the comment.
    pub line: usize,
    pub scope: Scope,
    /// `//deferfix:ignore` or `//nolint:deferfix` (reported when unused); a bare `//nolint` or
    /// `//nolint:all` also serves other linters and is never reported.
    pub names_deferfix: bool,
    /// The comment, for messages.
    pub text: String,
}

impl Directive {
    fn silences(&self, finding: &Finding, finding_line: usize) -> bool {
        let near = finding_line == self.line || finding_line == self.line + 1;
        near && match &self.scope {
            Scope::All => true,
            Scope::Rules(rules) => rules.iter().any(|rule| rule == finding.rule),
        }
    }
}

/// The suppression directives of a file. Cheap when the file has none: the tree is only walked
/// when the bytes mention one.
pub fn directives(tree: &Tree, text: &str) -> Vec<Directive> {
    if !crate::text::contains(text, "//deferfix:ignore") && !crate::text::contains(text, "//nolint")
    {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    descendants(tree.root_node(), |_| false)
        .into_iter()
        .filter(|node| node.kind() == "comment")
        .filter_map(|comment| parse(comment, text, &index))
        .collect()
}

fn parse(comment: Node, text: &str, index: &LineIndex) -> Option<Directive> {
    let body = &text[comment.byte_range()];
    let (scope, names_deferfix) = if let Some(rest) = body.strip_prefix("//deferfix:ignore") {
        if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            return None;
        }
        // The first word is a rule list when it looks like one (rule ids are lowercase words
        // joined by `-`); anything else is the reason.
        let first = rest.split_whitespace().next().unwrap_or("");
        let is_rule_list = !first.is_empty()
            && first.split(',').all(|id| {
                id.contains('-') && id.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            });
        let scope = if is_rule_list {
            Scope::Rules(first.split(',').map(str::to_owned).collect())
        } else {
            Scope::All
        };
        (scope, true)
    } else if let Some(rest) = body.strip_prefix("//nolint") {
        match rest.strip_prefix(':') {
            Some(list) => {
                let list = list.split_whitespace().next().unwrap_or("");
                let linters: Vec<&str> = list.split(',').collect();
                if linters.contains(&"all") {
                    (Scope::All, false)
                } else if linters.contains(&"deferfix") {
                    (Scope::All, true)
                } else {
                    return None;
                }
            }
            None if rest.is_empty() || rest.starts_with([' ', '\t']) => (Scope::All, false),
            None => return None,
        }
    } else {
        return None;
    };
    let (line, _) = index.line_col(comment.start_byte());
    Some(Directive {
        offset: comment.start_byte(),
        line,
        scope,
        names_deferfix,
        text: body.trim_end().to_owned(),
    })
}

/// Splits findings into those that stay and the rules of those silenced, marking which
/// directives were used.
pub fn apply(
    findings: Vec<Finding>,
    directives: &[Directive],
    text: &str,
    used: &mut [bool],
) -> (Vec<Finding>, Vec<&'static str>) {
    if directives.is_empty() {
        return (findings, Vec::new());
    }
    let index = LineIndex::new(text);
    let mut kept = Vec::with_capacity(findings.len());
    let mut silenced = Vec::new();
    for finding in findings {
        let (line, _) = index.line_col(finding.span.start);
        let mut hit = false;
        for (position, directive) in directives.iter().enumerate() {
            if directive.silences(&finding, line) {
                used[position] = true;
                hit = true;
            }
        }
        if hit {
            silenced.push(finding.rule);
        } else {
            kept.push(finding);
        }
    }
    (kept, silenced)
}

/// Findings for `//deferfix:ignore` and `//nolint:deferfix` directives that silenced nothing.
/// A directive naming only rules that did not run (`--select`) is not judged.
pub fn unused(directives: &[Directive], used: &[bool], ran: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    directives
        .iter()
        .zip(used)
        .filter(|(directive, used)| directive.names_deferfix && !**used)
        .filter(|(directive, _)| match &directive.scope {
            Scope::All => true,
            Scope::Rules(rules) => rules.iter().any(|rule| ran(rule)),
        })
        .map(|(directive, _)| Finding {
            rule: UNUSED_IGNORE,
            span: directive.offset..directive.offset + directive.text.len(),
            message: format!("{} silences nothing", directive.text),
            fix: crate::fix::FixState::ReportOnly,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_for_test;

    fn scopes(text: &str) -> Vec<(usize, Scope, bool)> {
        let tree = parse_for_test(text);
        directives(&tree, text)
            .into_iter()
            .map(|directive| (directive.line, directive.scope, directive.names_deferfix))
            .collect()
    }

    #[test]
    fn directive_forms() {
        let text = "package p\n\n//deferfix:ignore\nvar a = 1 //deferfix:ignore defer-in-loop,tx-rollback the loop is short\n//deferfix:ignore kept on purpose\n//nolint:errcheck,deferfix // reason\n//nolint:all\n//nolint\n//nolint:errcheck\n// deferfix:ignore\n//deferfix:ignored\n";
        assert_eq!(
            scopes(text),
            vec![
                (3, Scope::All, true),
                (
                    4,
                    Scope::Rules(vec!["defer-in-loop".into(), "tx-rollback".into()]),
                    true
                ),
                (5, Scope::All, true),
                (6, Scope::All, true),
                (7, Scope::All, false),
                (8, Scope::All, false),
            ]
        );
    }
}
