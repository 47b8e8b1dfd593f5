//! `--format codeclimate`: a GitLab Code Quality report (the Code Climate issue format GitLab
//! reads), a JSON array with one issue per finding.
//!
//! GitLab matches issues between the merge request and its target branch by `fingerprint`, so
//! it must not change when unrelated lines move: it hashes the path, the rule and the text of the
//! finding's own line (as golangci-lint does), plus how many identical (path, rule, line text)
//! findings come before it, so that every occurrence has its own.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{FileResult, Reporter, display_path};
use crate::source::line_at;
use crate::summary::Totals;

/// Collects the issues of every file; prints the array at the end.
#[derive(Default)]
pub struct CodeClimate {
    issues: Vec<Issue>,
}

impl Reporter for CodeClimate {
    fn file(&mut self, _out: &mut dyn Write, file: &FileResult) -> io::Result<()> {
        let path = display_path(file.path);
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for finding in file.findings {
            let (begin, _) = file.lines.line_col(finding.span.start);
            let (end, _) = file.lines.line_col(finding.span.end);
            let line_text = line_at(&file.source.text, finding.span.start).trim();
            let occurrence = seen.entry((finding.rule, line_text)).or_default();
            let fingerprint = fingerprint(&path, finding.rule, line_text, *occurrence);
            *occurrence += 1;
            self.issues.push(Issue {
                kind: "issue",
                check_name: finding.rule,
                description: format!("{}{}", finding.message, finding.fix_marker()),
                categories: &["Bug Risk"],
                severity: crate::transforms::severity(finding.rule).as_str(),
                fingerprint,
                location: Location {
                    path: path.clone(),
                    lines: Lines { begin, end },
                },
            });
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _totals: &Totals) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, &self.issues).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}

fn fingerprint(path: &str, rule: &str, line_text: &str, occurrence: usize) -> String {
    let mut hasher = Sha256::new();
    // NUL separates the parts: none of them can contain it.
    for part in [path, rule, line_text, &occurrence.to_string()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[derive(Serialize)]
struct Issue {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'static str,
    description: String,
    categories: &'static [&'static str],
    severity: &'static str,
    fingerprint: String,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_differ_per_occurrence_and_part() {
        let base = fingerprint("a.go", "defer-in-loop", "defer f.Close()", 0);
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            fingerprint("a.go", "defer-in-loop", "defer f.Close()", 0)
        );
        for other in [
            fingerprint("a.go", "defer-in-loop", "defer f.Close()", 1),
            fingerprint("b.go", "defer-in-loop", "defer f.Close()", 0),
            fingerprint("a.go", "lost-cancel", "defer f.Close()", 0),
            fingerprint("a.go", "defer-in-loop", "defer g.Close()", 0),
        ] {
            assert_ne!(base, other);
        }
    }
}
