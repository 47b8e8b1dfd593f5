//! `deferfix server` driven by a real editor: Neovim, headless, opens a Go file, waits for the
//! server's diagnostics, applies a code action and writes the buffer
//! (`tests/data/lsp/apply_code_action.lua`); the written file must be what the CLI writes.
//! Needs DEFERFIX_NVIM (`.ci/tools/neovim.sh` installs Debian's Neovim).

mod common;

use std::process::{Command, Stdio};

use common::cli::tree;

/// A safe fix after a line of non-ASCII text, and an unsafe one.
const SOURCE: &str = "package main

import (
\t\"fmt\"
\t\"os\"
\t\"sync\"
)

// Öffnet alle Dateien: «café» 😀
func readAll(paths []string) error {
\tfor _, p := range paths {
\t\tf, err := os.Open(p) // ouvre «p» 😀
\t\tif err != nil {
\t\t\treturn err
\t\t}
\t\tdefer f.Close()
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

func main() {
\tfmt.Println(readAll(os.Args[1:]))
\tlockAll(nil)
}
";

fn cli_fixed(dir: &std::path::Path) -> String {
    common::cli::stdout(&common::cli::deferfix_stdin(dir, SOURCE, &[]))
}

fn apply_in_neovim(nvim: &std::path::Path, action: &str) {
    let dir = tree(&[
        ("go.mod", b"module example.com/m\n\ngo 1.22\n"),
        ("main.go", SOURCE.as_bytes()),
    ]);
    let expected = cli_fixed(dir.path());
    assert_ne!(expected, SOURCE, "the CLI fixes the file");
    let state = tempfile::tempdir().unwrap();
    let log = state.path().join("out.log");
    let script = common::repo_root().join("tests/data/lsp/apply_code_action.lua");
    let output = Command::new(nvim)
        .args([
            "--headless",
            "--clean",
            "-u",
            "NONE",
            "-i",
            "NONE",
            "-n",
            "-c",
        ])
        .arg(format!(
            "luafile {}",
            script.display().to_string().replace(' ', "\\ ")
        ))
        .current_dir(dir.path())
        .env("DEFERFIX_BIN", env!("CARGO_BIN_EXE_deferfix"))
        .env("FIXTURE", dir.path().join("main.go"))
        .env("ACTION", action)
        .env("OUT", &log)
        .env("XDG_CACHE_HOME", state.path())
        .env("XDG_STATE_HOME", state.path())
        .env("XDG_CONFIG_HOME", state.path())
        // An open stdin makes Neovim wait for its end first.
        .stdin(Stdio::null())
        .output()
        .expect("nvim runs");
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        output.status.success(),
        "{action}: nvim failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("diagnostics: 2"), "{report}");
    let written = std::fs::read_to_string(dir.path().join("main.go")).unwrap();
    assert_eq!(
        written, expected,
        "{action}: the file Neovim wrote\n{report}"
    );
}

#[test]
fn neovim_applies_the_quick_fix_and_the_fix_all() {
    let Some(nvim) = common::external_tool("DEFERFIX_NVIM", ".ci/tools/neovim.sh") else {
        return;
    };
    apply_in_neovim(&nvim, "quickfix");
    apply_in_neovim(&nvim, "source.fixAll.deferfix");
}
