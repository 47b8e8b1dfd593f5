//! `--shard K/N`: deterministic, disjoint parts whose union is a full run.

mod common;

use common::cli::{deferfix, stderr, stdout, tree};

#[test]
fn shards_partition_the_files() {
    let sources: Vec<(String, String)> = (0..24)
        .map(|n| {
            (
                format!("pkg{}/f{n}.go", n % 3),
                format!("package p\n\nfunc f{n}(xs []int) {{\n\tfor range xs {{\n\t\tdefer println({n})\n\t}}\n}}\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &[u8])> = sources
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_bytes()))
        .collect();
    let dir = tree(&files);
    let full = stdout(&deferfix(dir.path(), &["--check"]));
    assert_eq!(full.lines().count(), 24);

    let shards: Vec<String> = (1..=3)
        .map(|k| {
            stdout(&deferfix(
                dir.path(),
                &["--check", "--shard", &format!("{k}/3")],
            ))
        })
        .collect();
    // Disjoint, together complete, and each one non-empty for this many files.
    let mut union: Vec<&str> = shards.iter().flat_map(|shard| shard.lines()).collect();
    assert!(shards.iter().all(|shard| !shard.is_empty()));
    union.sort_unstable();
    let mut expected: Vec<&str> = full.lines().collect();
    expected.sort_unstable();
    assert_eq!(union, expected);
    // The same shard twice is the same output, whatever the thread count.
    let again = stdout(&deferfix(
        dir.path(),
        &["--check", "--shard", "2/3", "-j", "1"],
    ));
    assert_eq!(again, shards[1]);
    // 1/1 is everything.
    assert_eq!(
        stdout(&deferfix(dir.path(), &["--check", "--shard", "1/1"])),
        full
    );
}

#[test]
fn malformed_shards_are_usage_errors() {
    let dir = tree(&[]);
    for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
        let output = deferfix(dir.path(), &["--shard", bad]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&output).contains("not a shard"),
            "{bad}: {}",
            stderr(&output)
        );
    }
}
