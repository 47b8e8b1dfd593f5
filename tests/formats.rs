//! The machine-readable formats (json, github, sarif, rdjson, codeclimate) and the text diff:
//! snapshots, their documented shapes, and how they combine with the diff and exit codes.

mod common;

use common::cli::{deferfix, stderr, stdout, tree};

/// One safe fix, one unsafe fix and one finding without a fix, in two files.
fn sample() -> tempfile::TempDir {
    let loops = "package p\n\nimport (\n\t\"os\"\n\t\"sync\"\n)\n\nfunc readAll(paths []string) error {\n\tfor _, p := range paths {\n\t\tf, err := os.Open(p)\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\tdefer f.Close()\n\t\tif _, err := f.Stat(); err != nil {\n\t\t\treturn err\n\t\t}\n\t}\n\treturn nil\n}\n\nfunc lockAll(mus []*sync.Mutex) {\n\tfor _, mu := range mus {\n\t\tmu.Lock()\n\t\tdefer mu.Unlock()\n\t}\n}\n";
    let exit = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tdefer fmt.Println(\"bye, 100%\")\n\tos.Exit(3)\n}\n";
    tree(&[
        ("loops.go", loops.as_bytes()),
        ("cmd/main.go", exit.as_bytes()),
    ])
}

fn snapshot(name: &str, body: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots/formats");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name.to_owned(), body));
}

#[test]
fn json_document() {
    let dir = sample();
    let output = deferfix(dir.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    snapshot("json", &text);
    // Machine-checked shape, beside the snapshot.
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["version"], 2);
    let findings = document["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    for finding in findings {
        for key in [
            "rule",
            "path",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
            "fix_state",
            "reason",
            "fix",
        ] {
            assert!(finding.get(key).is_some(), "{key} missing in {finding}");
        }
        // A held-back fix always says why; a safe or report-only one has no reason.
        let held_back = matches!(finding["fix_state"].as_str(), Some("unsafe" | "no-fix"));
        assert_eq!(finding["reason"].is_object(), held_back, "{finding}");
        if held_back {
            assert!(finding["reason"]["code"].is_string(), "{finding}");
            assert!(finding["reason"]["message"].is_string(), "{finding}");
        }
    }
    let states: Vec<&str> = findings
        .iter()
        .filter_map(|finding| finding["fix_state"].as_str())
        .collect();
    assert_eq!(states, ["report-only", "safe", "unsafe"]);
    assert_eq!(document["summary"]["findings"], 3);
    assert_eq!(document["summary"]["safe_fixes"], 1);
    // No diff on stdout: the document is all there is.
    assert!(!text.contains("--- a/"));
}

#[test]
fn github_annotations() {
    let dir = sample();
    let output = deferfix(dir.path(), &["--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    snapshot("github", &text);
    assert_eq!(text.lines().count(), 3);
    assert!(text.lines().all(|line| line.starts_with("::warning file=")));
}

#[test]
fn diff_goes_to_stderr_with_machine_formats() {
    let dir = sample();
    let without = deferfix(dir.path(), &["--format", "github"]);
    assert!(!stderr(&without).contains("--- a/loops.go"));
    let with = deferfix(dir.path(), &["--format", "github", "--diff"]);
    assert!(stderr(&with).contains("--- a/loops.go\n+++ b/loops.go\n"));
    assert_eq!(stdout(&with), stdout(&without));
    let list = deferfix(dir.path(), &["--format", "json", "-l"]);
    assert_eq!(list.status.code(), Some(2));
}

#[test]
fn clean_trees_give_an_empty_document() {
    let dir = tree(&[("a.go", b"package p\n")]);
    let output = deferfix(dir.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["findings"], serde_json::json!([]));
    let github = deferfix(dir.path(), &["--format", "github"]);
    assert_eq!(stdout(&github), "");
}

#[test]
fn markdown_summary_for_a_bot() {
    let dir = sample();
    let suppressed = "package p\n\nfunc quiet(xs []int) {\n\tfor range xs {\n\t\tdefer println() //deferfix:ignore\n\t}\n}\n";
    std::fs::write(dir.path().join("quiet.go"), suppressed).unwrap();
    let output = deferfix(dir.path(), &["-w", "--summary-md", "summary.md"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    snapshot("summary_md", &summary);
    assert!(!summary.contains("http"), "no links: {summary}");
}

/// The SARIF 2.1.0 schema, vendored from the OASIS specification repository
/// (oasis-tcs/sarif-spec, `sarif-2.1/schema/sarif-schema-2.1.0.json`).
const SARIF_SCHEMA: &str = include_str!("data/sarif-schema-2.1.0.json");

#[test]
fn sarif_log_is_valid_sarif_2_1_0() {
    let dir = sample();
    let output = deferfix(dir.path(), &["--format", "sarif"]);
    assert_eq!(output.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(SARIF_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // The validator does reject what is not SARIF 2.1.0.
    let mut broken = log.clone();
    broken["version"] = serde_json::json!("2.0");
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        serde_json::json!(0);
    assert!(!validator.is_valid(&broken));
    // The rules carry their docs; the results are snapshotted (the docs have their own tests).
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "deferfix");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), deferfix::transforms::RULES.len());
    assert!(rules.iter().all(|rule| {
        rule["fullDescription"]["text"]
            .as_str()
            .is_some_and(|text| !text.is_empty() && !text.contains("## "))
    }));
    let results = serde_json::to_string_pretty(&log["runs"][0]["results"]).unwrap();
    snapshot("sarif_results", &results);
    // And a tree without findings is a valid empty log.
    let clean = tree(&[("a.go", b"package p\n")]);
    let empty: serde_json::Value =
        serde_json::from_str(&stdout(&deferfix(clean.path(), &["--format", "sarif"]))).unwrap();
    assert!(validator.is_valid(&empty));
    assert_eq!(empty["runs"][0]["results"], serde_json::json!([]));
}

#[test]
fn text_diff_and_check_lines() {
    let dir = sample();
    let diff = deferfix(dir.path(), &["--color", "never"]);
    assert_eq!(diff.status.code(), Some(1));
    snapshot("text_diff", &stdout(&diff));
    let check = deferfix(dir.path(), &["--check", "--color", "never"]);
    assert_eq!(check.status.code(), Some(1));
    snapshot("text_check", &stdout(&check));
}

const RDJSON_SCHEMA: &str = include_str!("data/rdjson/DiagnosticResult.json");

/// Replaces whole lines `start..=end` (1-based) of `text` with `replacement`, as GitHub applies a
/// suggested change.
fn apply_line_suggestion(text: &str, start: usize, end: usize, replacement: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out: String = lines[..start - 1].concat();
    out.push_str(replacement);
    out.push('\n');
    out.push_str(&lines[end..].concat());
    out
}

#[test]
fn rdjson_is_valid_and_its_suggestions_are_the_fixes() {
    let schema: serde_json::Value = serde_json::from_str(RDJSON_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (args, suggested) in [(&[][..], 1), (&["--unsafe"][..], 2)] {
        let dir = sample();
        let output = deferfix(dir.path(), &[&["--format", "rdjson"], args].concat());
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let text = stdout(&output);
        if args.is_empty() {
            snapshot("rdjson", &text);
        }
        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
        assert_eq!(document["source"]["name"], "deferfix");
        let diagnostics = document["diagnostics"].as_array().unwrap();
        assert_eq!(diagnostics.len(), 3);
        let mut fixed_by_suggestions =
            std::fs::read_to_string(dir.path().join("loops.go")).unwrap();
        let mut with_suggestions = 0;
        // Bottom-up, so earlier line numbers stay valid.
        for diagnostic in diagnostics.iter().rev() {
            assert_eq!(diagnostic["severity"], "WARNING");
            assert!(diagnostic["code"]["value"].is_string());
            assert!(
                diagnostic["code"]["url"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://")
            );
            // Never `null`: the key is left out.
            let Some(suggestions) = diagnostic.get("suggestions") else {
                continue;
            };
            let suggestions = suggestions.as_array().unwrap();
            assert_eq!(suggestions.len(), 1, "{diagnostic}");
            let suggestion = &suggestions[0];
            // Whole lines, and the diagnostic's own range: what github-pr-review renders.
            assert_eq!(suggestion["range"], diagnostic["location"]["range"]);
            assert!(suggestion["range"]["start"].get("column").is_none());
            assert!(suggestion["range"]["end"].get("column").is_none());
            assert_eq!(diagnostic["location"]["path"], "loops.go");
            let line = |end: &str| suggestion["range"][end]["line"].as_u64().unwrap() as usize;
            fixed_by_suggestions = apply_line_suggestion(
                &fixed_by_suggestions,
                line("start"),
                line("end"),
                suggestion["text"].as_str().unwrap(),
            );
            with_suggestions += 1;
        }
        assert_eq!(with_suggestions, suggested, "{args:?}");
        // Accepting every suggestion gives what -w writes.
        let written = deferfix(dir.path(), &[&["-w", "-q"], args].concat());
        // 1 either way: the report-only finding remains.
        assert_eq!(written.status.code(), Some(1));
        assert_eq!(
            fixed_by_suggestions,
            std::fs::read_to_string(dir.path().join("loops.go")).unwrap(),
            "{args:?}"
        );
    }
    // The schema does reject a `null` list of suggestions.
    let broken = serde_json::json!({"diagnostics": [{"message": "m", "suggestions": null}]});
    assert!(!validator.is_valid(&broken));
}

#[test]
fn codeclimate_report_for_gitlab() {
    let dir = sample();
    let output = deferfix(dir.path(), &["--format", "codeclimate"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    snapshot("codeclimate", &text);
    let issues: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(issues.len(), 3);
    for issue in &issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key} in {issue}");
        }
        assert!(matches!(
            issue["severity"].as_str(),
            Some("minor" | "major")
        ));
        assert!(issue["location"]["path"].is_string());
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    let fingerprints = |issues: &[serde_json::Value]| -> Vec<String> {
        issues
            .iter()
            .map(|issue| issue["fingerprint"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = fingerprints(&issues);
    let mut unique = before.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "one fingerprint per occurrence");
    // Unrelated lines moving does not change a fingerprint.
    let path = dir.path().join("loops.go");
    let moved = std::fs::read_to_string(&path).unwrap().replacen(
        "\nfunc readAll",
        "\n// A comment that moves every line below it.\n\nfunc readAll",
        1,
    );
    std::fs::write(&path, moved).unwrap();
    let after: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&deferfix(dir.path(), &["--format", "codeclimate"]))).unwrap();
    assert_ne!(
        after[1]["location"], issues[1]["location"],
        "the lines did move"
    );
    assert_eq!(fingerprints(&after), before);
}

#[test]
fn identical_lines_get_different_fingerprints() {
    let body = "package p\n\nimport \"os\"\n\nfunc f(ps []string) {\n\tfor _, p := range ps {\n\t\tf, _ := os.Open(p)\n\t\tdefer f.Close()\n\t\t_, _ = f.Stat()\n\t}\n\tfor _, p := range ps {\n\t\tf, _ := os.Open(p)\n\t\tdefer f.Close()\n\t\t_, _ = f.Stat()\n\t}\n}\n";
    let dir = tree(&[("a.go", body.as_bytes())]);
    let issues: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&deferfix(dir.path(), &["--format", "codeclimate"]))).unwrap();
    assert_eq!(issues.len(), 2);
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
}

/// The real client: reviewdog reads the rdjson document and reports every finding at its path and
/// line. Needs DEFERFIX_REVIEWDOG (`.ci/tools/reviewdog.sh` installs the pinned version).
#[test]
fn reviewdog_reports_every_finding() {
    let Some(reviewdog) = common::external_tool("DEFERFIX_REVIEWDOG", ".ci/tools/reviewdog.sh")
    else {
        return;
    };
    let dir = sample();
    let document = deferfix(dir.path(), &["--format", "rdjson", "."]);
    assert_eq!(document.status.code(), Some(1));
    let mut child = std::process::Command::new(&reviewdog)
        .args(["-f=rdjson", "-reporter=local", "-filter-mode=nofilter"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("reviewdog runs");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&document.stdout)
        .unwrap();
    let reported = child.wait_with_output().unwrap();
    assert!(reported.status.success(), "{}", stderr(&reported));
    // `-reporter=local` prints each diagnostic's original output: the `--check` line.
    let check = deferfix(dir.path(), &["--check", "--color", "never", "."]);
    let mut expected: Vec<String> = stdout(&check).lines().map(str::to_owned).collect();
    let mut got: Vec<String> = stdout(&reported).lines().map(str::to_owned).collect();
    expected.sort();
    got.sort();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got, expected);
}
