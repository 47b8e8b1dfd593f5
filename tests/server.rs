//! `deferfix server` over its real stdio, as an editor speaks to it: the handshake, diagnostics
//! on open and change (UTF-16 positions on lines with non-ASCII text), the code actions and what
//! applying them gives (the CLI's fixed output), stale and closed documents, and bad input.

mod common;

use common::cli::tree;
use common::lsp::{Client, apply_edit, uri};
use serde_json::{Value, json};

/// One safe fix (the file) and one unsafe fix (the mutex), with non-ASCII text before the
/// finding on its own line.
const SOURCE: &str = "package p

import (
\t\"os\"
\t\"sync\"
)

// Öffnet alle Dateien: «café» 😀
func readAll(paths []string) error {
\tfor _, p := range paths {
\t\tf, err := os.Open(p) // ouvre «p»
\t\tif err != nil {
\t\t\treturn err
\t\t}
\t\t/* é😀 */ defer f.Close()
\t\tif _, err := f.Stat(); err != nil {
\t\t\treturn err
\t\t}
\t}
\treturn nil
}

func lockAll(mus []*sync.Mutex) {
\tfor _, mu := range mus {
\t\tmu.Lock()
\t\tdefer mu.Unlock()
\t}
}
";

const UTF16_CLIENT: &str = r#"{"workspace": {"workspaceEdit": {"documentChanges": true}}}"#;

/// `deferfix ARGS -` on `text` in `dir`: the CLI's fixed output.
fn cli_fixed(dir: &std::path::Path, text: &str, args: &[&str]) -> String {
    common::cli::stdout(&common::cli::deferfix_stdin(dir, text, args))
}

fn module() -> tempfile::TempDir {
    tree(&[("go.mod", b"module example.com/m\n\ngo 1.22\n")])
}

fn start(dir: &std::path::Path) -> Client {
    let capabilities: Value = serde_json::from_str(UTF16_CLIENT).unwrap();
    Client::initialized(dir, capabilities).0
}

/// The code actions for the range of `diagnostic` (or the whole file), of `kinds`.
fn actions(client: &mut Client, uri: &str, range: &Value, only: Option<&[&str]>) -> Vec<Value> {
    let mut context = json!({"diagnostics": []});
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    let result = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": range, "context": context}),
    );
    result.as_array().cloned().unwrap_or_default()
}

fn titled<'a>(actions: &'a [Value], part: &str) -> &'a Value {
    actions
        .iter()
        .find(|action| {
            action["title"]
                .as_str()
                .is_some_and(|title| title.contains(part))
        })
        .unwrap_or_else(|| panic!("no action titled …{part}… in {actions:#?}"))
}

#[test]
fn initialize_announces_the_capabilities() {
    let dir = module();
    let (client, result) = Client::initialized(dir.path(), json!({}));
    let capabilities = &result["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"]["change"], 2, "incremental");
    assert_eq!(
        capabilities["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source.fixAll.deferfix"])
    );
    assert_eq!(result["serverInfo"]["name"], "deferfix");
    assert_eq!(client.shutdown(), Some(0));
    // A client that offers UTF-8 gets it.
    let (client, result) = Client::initialized(
        dir.path(),
        json!({"general": {"positionEncodings": ["utf-8", "utf-16"]}}),
    );
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn diagnostics_quick_fixes_and_fix_all_match_the_cli() {
    let dir = module();
    let path = dir.path().join("a.go");
    std::fs::write(&path, SOURCE).unwrap();
    let uri = uri(&path);
    let mut client = start(dir.path());
    client.open(&uri, 1, SOURCE);
    let diagnostics = client.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 2, "{diagnostics:#?}");
    let file = &diagnostics[0];
    assert_eq!(file["code"], "defer-in-loop");
    assert_eq!(file["source"], "deferfix");
    assert_eq!(file["severity"], 2);
    // UTF-16 columns: the line's text before `defer` is `\t\t/* é😀 */ `.
    let before: &str = "\t\t/* é😀 */ ";
    assert_eq!(file["range"]["start"]["line"], 14);
    assert_eq!(
        file["range"]["start"]["character"],
        before.encode_utf16().count()
    );
    assert!(
        diagnostics[1]["message"]
            .as_str()
            .unwrap()
            .contains("[unsafe fix: not-a-release:")
    );

    let safe_only = cli_fixed(dir.path(), SOURCE, &[]);
    let quick = actions(&mut client, &uri, &file["range"], Some(&["quickfix"]));
    let fix = titled(&quick, "wrap the loop body");
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(
        fix["edit"]["documentChanges"][0]["textDocument"]["version"],
        1
    );
    assert_eq!(apply_edit(SOURCE, &fix["edit"], &uri), safe_only);

    let unsafe_actions = actions(&mut client, &uri, &diagnostics[1]["range"], None);
    let unsafe_fix = titled(&unsafe_actions, "(unsafe: not-a-release)");
    assert_eq!(unsafe_fix["isPreferred"], false);
    let with_unsafe = apply_edit(SOURCE, &unsafe_fix["edit"], &uri);
    assert!(
        with_unsafe.contains("\t\tfunc() {\n\t\t\tmu.Lock()"),
        "{with_unsafe}"
    );

    // Fix-all: the safe fixes only, exactly what `deferfix -` prints.
    let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": 30, "character": 0}});
    let all = actions(&mut client, &uri, &whole, Some(&["source.fixAll"]));
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["kind"], "source.fixAll.deferfix");
    assert_eq!(apply_edit(SOURCE, &all[0]["edit"], &uri), safe_only);
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn ignoring_a_finding_inserts_the_directive_above_it() {
    let dir = module();
    let path = dir.path().join("a.go");
    let uri = uri(&path);
    let mut client = start(dir.path());
    client.open(&uri, 1, SOURCE);
    let diagnostics = client.diagnostics(&uri, 1);
    let quick = actions(
        &mut client,
        &uri,
        &diagnostics[1]["range"],
        Some(&["quickfix"]),
    );
    let ignore = titled(&quick, "ignore this defer-in-loop finding");
    let ignored = apply_edit(SOURCE, &ignore["edit"], &uri);
    assert!(
        ignored
            .contains("\t\tmu.Lock()\n\t\t//deferfix:ignore defer-in-loop\n\t\tdefer mu.Unlock()"),
        "{ignored}"
    );
    // The editor sends the edit back as a change; the finding is gone.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": ignored}]}),
    );
    let after = client.diagnostics(&uri, 2);
    assert_eq!(after.len(), 1, "{after:#?}");
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn incremental_changes_in_utf16_positions_are_followed() {
    let dir = module();
    let path = dir.path().join("a.go");
    let uri = uri(&path);
    let mut client = start(dir.path());
    client.open(&uri, 1, SOURCE);
    client.diagnostics(&uri, 1);
    // Insert ` ü` after `😀` on the line of the defer: UTF-16 column 8 (`\t\t/* é` is 6 units,
    // `😀` 2), byte column 11.
    let change = json!({
        "range": {"start": {"line": 14, "character": 8}, "end": {"line": 14, "character": 8}},
        "text": " ü",
    });
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]}),
    );
    let changed = SOURCE.replace("/* é😀 */", "/* é😀 ü */");
    let diagnostics = client.diagnostics(&uri, 2);
    assert_eq!(diagnostics.len(), 2);
    assert_eq!(
        diagnostics[0]["range"]["start"]["character"],
        "\t\t/* é😀 ü */ ".encode_utf16().count()
    );
    let quick = actions(
        &mut client,
        &uri,
        &diagnostics[0]["range"],
        Some(&["quickfix"]),
    );
    let fix = titled(&quick, "wrap the loop body");
    assert_eq!(
        fix["edit"]["documentChanges"][0]["textDocument"]["version"],
        2
    );
    assert_eq!(
        apply_edit(&changed, &fix["edit"], &uri),
        cli_fixed(dir.path(), &changed, &[])
    );
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn only_the_newest_version_gets_diagnostics() {
    let dir = module();
    let uri = uri(&dir.path().join("a.go"));
    let mut client = start(dir.path());
    client.open(&uri, 1, SOURCE);
    let clean = "package p\n";
    for version in 2..=30 {
        let text = if version % 2 == 0 { clean } else { SOURCE };
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }
    // The last version is clean; whatever came before, it ends with no diagnostics.
    assert!(client.diagnostics(&uri, 30).is_empty());
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn config_and_suppressions_apply_as_in_the_cli() {
    let dir = tree(&[
        ("go.mod", b"module example.com/m\n\ngo 1.22\n"),
        ("deferfix.toml", b"ignore = [\"defer-in-loop\"]\n"),
        ("sub/.keep", b""),
    ]);
    let uri_a = uri(&dir.path().join("sub/a.go"));
    let mut client = start(dir.path());
    client.open(&uri_a, 1, SOURCE);
    assert!(
        client.diagnostics(&uri_a, 1).is_empty(),
        "the config ignores the rule"
    );
    assert_eq!(client.shutdown(), Some(0));

    let dir = module();
    let uri_b = uri(&dir.path().join("b.go"));
    let suppressed = SOURCE.replace(
        "\t\tdefer mu.Unlock()",
        "\t\tdefer mu.Unlock() //deferfix:ignore defer-in-loop",
    );
    let mut client = start(dir.path());
    client.open(&uri_b, 1, &suppressed);
    assert_eq!(client.diagnostics(&uri_b, 1).len(), 1);
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn bad_input_gets_answers_not_crashes() {
    let dir = module();
    let uri = uri(&dir.path().join("a.go"));
    let mut client = start(dir.path());
    // A file that does not parse: no diagnostics, no fixes.
    let broken = "package p\n\nfunc f() {\n\tfor {\n\t\tdefer g(\n\t}\n}\n";
    client.open(&uri, 1, broken);
    assert!(client.diagnostics(&uri, 1).is_empty());
    let whole = json!({"start": {"line": 0, "character": 0}, "end": {"line": 9, "character": 0}});
    assert!(actions(&mut client, &uri, &whole, None).is_empty());
    // A document that is not open: an error response.
    let id = client.send_request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": "file:///nowhere/x.go"}, "range": whole, "context": {"diagnostics": []}}),
    );
    let response = client.response(id);
    assert_eq!(response["error"]["code"], -32602, "{response}");
    // Malformed JSON: a parse error (id null), and the server goes on.
    client.send_raw("{this is not json");
    let error =
        client.wait_for(|message| message["id"].is_null() && message.get("error").is_some());
    assert_eq!(error["error"]["code"], -32700);
    // Bad params and unknown methods: errors with the request's id.
    let id = client.send_request("textDocument/codeAction", json!({"textDocument": 3}));
    assert_eq!(client.response(id)["error"]["code"], -32602);
    let id = client.send_request("textDocument/hover", json!({}));
    assert_eq!(client.response(id)["error"]["code"], -32601);
    // A change outside the text: the document is dropped, with its diagnostics.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 99, "character": 0}, "end": {"line": 99, "character": 1}},
            "text": "x"}]}),
    );
    let cleared = client.wait_for(|message| {
        message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["version"].is_null()
    });
    assert_eq!(cleared["params"]["diagnostics"], json!([]));
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let dir = module();
    let mut client = start(dir.path());
    client.notify("exit", Value::Null);
    assert_eq!(client.wait(), Some(1));
}

#[test]
fn the_modules_go_version_decides_as_in_the_cli() {
    let capture = "package p\n\nfunc each(items []int, run func(func())) {\n\tfor i := 0; i < len(items); i++ {\n\t\trun(func() {})\n\t\tgo func() {\n\t\t\t_ = items[i]\n\t\t}()\n\t}\n}\n";
    for (go, expected) in [("1.21", 1), ("1.22", 0)] {
        let dir = tree(&[(
            "go.mod",
            format!("module example.com/m\n\ngo {go}\n").as_bytes(),
        )]);
        let uri = uri(&dir.path().join("a.go"));
        let mut client = start(dir.path());
        client.open(&uri, 1, capture);
        let diagnostics = client.diagnostics(&uri, 1);
        assert_eq!(diagnostics.len(), expected, "go {go}: {diagnostics:#?}");
        if expected == 1 {
            assert_eq!(diagnostics[0]["code"], "loop-var-capture");
        }
        assert_eq!(client.shutdown(), Some(0));
    }
}
