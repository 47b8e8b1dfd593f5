//! Every rule's README (what `--explain` prints) has the four sections, in order, and its "Fix
//! safety" section lists exactly the reason codes the rule can emit (`Rule::reasons`).
//!
//! A reason code is listed as a list item that starts with the code in backticks followed by its
//! level or a colon: `` - `layout` (no fix): … `` or `` - `escapes`: … ``. A rule without reason
//! codes says `Reason codes: none`.

use std::collections::BTreeSet;

use deferfix::transforms::RULES;

const SECTIONS: [&str; 4] = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Fix safety",
];

/// The reason codes the list items of a README's "Fix safety" section name.
fn listed_codes(fix_safety: &str) -> BTreeSet<&str> {
    fix_safety
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("- `"))
        .filter_map(|item| {
            let (code, rest) = item.split_once('`')?;
            let is_code =
                !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            (is_code && (rest.starts_with(" (") || rest.starts_with(':'))).then_some(code)
        })
        .collect()
}

/// The "Fix safety" section: from its heading to the next `## ` heading.
fn fix_safety_section(docs: &str) -> &str {
    let start = docs
        .find("\n## Fix safety\n")
        .map_or(docs.len(), |at| at + 1);
    let body = &docs[start..];
    let end = body[1..].find("\n## ").map_or(body.len(), |at| at + 1);
    &body[..end]
}

#[test]
fn every_readme_has_the_four_sections_and_lists_exactly_its_reason_codes() {
    let mut failures = Vec::new();
    for rule in RULES {
        let headings: Vec<&str> = rule
            .docs
            .lines()
            .filter(|line| line.starts_with("## "))
            .collect();
        let found: Vec<&str> = headings
            .iter()
            .copied()
            .filter(|heading| SECTIONS.contains(heading))
            .collect();
        if found != SECTIONS {
            failures.push(format!(
                "{}: README sections {found:?}, expected {SECTIONS:?} (in that order, once each)",
                rule.id
            ));
            continue;
        }
        let fix_safety = fix_safety_section(rule.docs);
        let listed = listed_codes(fix_safety);
        let emitted: BTreeSet<&str> = rule.reasons.iter().map(|code| code.as_str()).collect();
        if listed != emitted {
            failures.push(format!(
                "{}: README's Fix safety lists {listed:?}; Rule::reasons has {emitted:?}",
                rule.id
            ));
        }
        if emitted.is_empty() && !fix_safety.contains("Reason codes: none") {
            failures.push(format!(
                "{}: no reason codes, and the README's Fix safety does not say `Reason codes: none`",
                rule.id
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn reason_codes_are_read_from_the_fix_safety_list_items_only() {
    let docs = "## Example\n- `not-this` (no fix): in another section.\n\n## Fix safety\n\
        Safe when `f` is closed (`escapes` in prose is no list item).\n\
        - `f`, or a value derived from it, is returned.\n\
        Reason codes:\n- `in-loop` (no fix): in a loop.\n  - `escapes`: it escapes.\n\n\
        ## Later\n- `after` (unsafe): in a later section.\n";
    let section = fix_safety_section(docs);
    assert!(section.starts_with("## Fix safety\n") && !section.contains("## Later"));
    assert_eq!(
        listed_codes(section).into_iter().collect::<Vec<_>>(),
        ["escapes", "in-loop"]
    );
}
