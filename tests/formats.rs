//! `--format json` and `--format github`: snapshots of both, the JSON document's shape, and
//! how they combine with the diff and exit codes.

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
