//! The rules' lexical prefilters (`Rule::may_match`) on small files: what they let through to the
//! parser and what they skip. That they never skip a finding is checked on every fixture (the
//! fixture harness runs each with and without them), on GOROOT (.ci/prefilter-check.sh) and by
//! the fuzz targets; this file pins what they are for, that they skip.

use deferfix::analysis::blocks::Lexed;
use deferfix::analysis::package::PackageContext;

fn may_match(rule: &str, text: &str) -> bool {
    let rule = deferfix::transforms::find(rule).unwrap();
    let test = rule.may_match.expect("the rule has a lexical test");
    test(&Lexed::new(text), &PackageContext::alone())
}

fn function(body: &str) -> String {
    format!("package p\n\nfunc f(t *testing.T, xs []string) error {{\n{body}\n}}\n")
}

/// [`function`] in a file that imports `log`.
fn logging_function(body: &str) -> String {
    function(body).replacen("package p\n", "package p\n\nimport \"log\"\n", 1)
}

#[test]
fn defer_in_loop_needs_a_defer_inside_a_loop_of_its_own_function() {
    assert!(may_match(
        "defer-in-loop",
        &function("\tfor range xs {\n\t\tdefer g()\n\t}")
    ));
    assert!(may_match(
        "defer-in-loop",
        &function("\tfor _, x := range []int{1} {\n\t\tif x > 0 {\n\t\t\tdefer g()\n\t\t}\n\t}")
    ));
    assert!(!may_match(
        "defer-in-loop",
        &function("\tdefer g()\n\tfor range xs {\n\t}")
    ));
    assert!(!may_match(
        "defer-in-loop",
        &function("\tfor range xs {\n\t\tfunc() {\n\t\t\tdefer g()\n\t\t}()\n\t}")
    ));
}

#[test]
fn exit_after_defer_skips_testing_parameters_and_other_packages() {
    let test = "\tdefer g()\n\tt.Fatal(\"x\")";
    assert!(!may_match("exit-after-defer", &function(test)));
    let shadowed = "\tt := log.New(os.Stderr, \"\", 0)\n\tdefer g()\n\tt.Fatal(\"x\")";
    assert!(may_match("exit-after-defer", &logging_function(shadowed)));
    let logged = "\tdefer g()\n\tlog.Fatal(\"x\")";
    assert!(may_match("exit-after-defer", &logging_function(logged)));
    let other = "package p\n\nimport \"example.com/base\"\n\nfunc f() {\n\tdefer g()\n\tbase.Fatalf(\"x\")\n}\n";
    assert!(!may_match("exit-after-defer", other));
    let before = "\tlog.Fatal(\"x\")\n\tdefer g()";
    assert!(!may_match("exit-after-defer", &function(before)));
}

/// The import `base` is hidden only where a name `base` is in scope: in the call's function, a
/// function around it, or at the top level.
#[test]
fn exit_after_defer_reads_a_package_name_as_hidden_only_around_the_call() {
    let file = |elsewhere: &str, around: &str| {
        format!(
            "package p\n\nimport (\n\t\"example.com/base\"\n\t\"log\"\n)\n\n{elsewhere}\n\nfunc f(xs []string) {{\n{around}\tdefer g()\n\tbase.Fatalf(\"x\")\n}}\n"
        )
    };
    assert!(!may_match("exit-after-defer", &file("", "")));
    let other_function = "func h(p string) {\n\tbase := filepath.Base(p)\n\tuse(base)\n}";
    assert!(!may_match("exit-after-defer", &file(other_function, "")));
    let literal_beside = "\tfunc() {\n\t\tbase := 1\n\t\tuse(base)\n\t}()\n";
    assert!(!may_match("exit-after-defer", &file("", literal_beside)));
    let this_function = "\tbase := log.New(os.Stderr, \"\", 0)\n";
    assert!(may_match("exit-after-defer", &file("", this_function)));
    let top_level = "var base = log.Default()";
    assert!(may_match("exit-after-defer", &file(top_level, "")));
    // A top-level function's parameters are at the top level for the lexer: let through.
    let other_signature = "func h(base *log.Logger) {}";
    assert!(may_match("exit-after-defer", &file(other_signature, "")));
    let around_literal =
        "func outer(base *log.Logger) {\n\tfunc() {\n\t\tdefer g()\n\t\tbase.Fatal(1)\n\t}()\n}";
    assert!(may_match("exit-after-defer", &file(around_literal, "")));
}

#[test]
fn defer_before_check_needs_the_check_after_the_defer() {
    let misplaced = "\tf, err := open()\n\tdefer f.Close()\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(misplaced)));
    let checked = "\tf, err := open()\n\tif err != nil {\n\t\treturn err\n\t}\n\tdefer f.Close()";
    assert!(!may_match("defer-before-check", &function(checked)));
}

#[test]
fn defer_before_check_needs_the_values_of_one_call() {
    let listed = "\told, err := a, b\n\tdefer restore(old)\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(!may_match("defer-before-check", &function(listed)));
    let indexed = "\tv, err := m[k]\n\tdefer use(v)\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(!may_match("defer-before-check", &function(indexed)));
    let called = "\tv, err := get(a, b)\n\tdefer use(v)\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(called)));
    let literal_argument = "\tv, err := run(func() {\n\t\tg(a, b)\n\t})\n\tdefer use(v)\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(literal_argument)));
}

#[test]
fn tx_rollback_needs_an_assigned_begin_call_in_code() {
    let begun = "\ttx, err := db.BeginTx(ctx, nil)\n\tdefer tx.Rollback()";
    assert!(may_match("tx-rollback", &function(begun)));
    let assigned = "\ttx = db.MustBegin()";
    assert!(may_match("tx-rollback", &function(assigned)));
    let commented = "\t// Begin the work: tx, err := db.Begin()\n\tg(\"db.Begin()\")";
    assert!(!may_match("tx-rollback", &function(commented)));
    let unassigned = "\tdb.Begin()\n\tx := Begin";
    assert!(!may_match("tx-rollback", &function(unassigned)));
}

#[test]
fn lost_cancel_needs_a_cancel_that_is_discarded_or_never_read() {
    let used = "\tctx, cancel := context.WithCancel(p)\n\tdefer cancel()\n\tuse(ctx)";
    assert!(!may_match("lost-cancel", &function(used)));
    let discarded = "\tctx, _ := context.WithCancel(p)\n\tuse(ctx)";
    assert!(may_match("lost-cancel", &function(discarded)));
    let unread = "\tctx, cancel := context.WithCancel(p)\n\tuse(ctx)\n\tcancel = nil";
    assert!(may_match("lost-cancel", &function(unread)));
}

#[test]
fn missing_close_needs_a_function_that_never_closes_the_value() {
    let closed = "\tresp, err := http.Get(u)\n\tif err != nil {\n\t\treturn err\n\t}\n\tdefer resp.Body.Close()";
    assert!(!may_match("missing-close", &function(closed)));
    let open = "\tresp, err := http.Get(u)\n\tif err != nil {\n\t\treturn err\n\t}\n\tuse(resp)";
    assert!(may_match("missing-close", &function(open)));
}

/// The acquiring statement assigns two expressions, the value and the error.
#[test]
fn missing_close_needs_a_value_and_an_error_assigned() {
    let header = "\tct := resp.Header.Get(\"Content-Type\")\n\tuse(ct)";
    assert!(!may_match("missing-close", &function(header)));
    let pair = "\tif got, want := h.Get(k), \"x\"; got != want {\n\t}";
    assert!(!may_match("missing-close", &function(pair)));
    let discarded = "\t_, err := http.Get(u)\n\tuse(err)";
    assert!(!may_match("missing-close", &function(discarded)));
    let field = "\ts.resp, err = http.Get(u)\n\tuse(err)";
    assert!(may_match("missing-close", &function(field)));
    let initializer = "\tif rows, err := db.Query(q); err == nil {\n\t\tuse(rows)\n\t}";
    assert!(may_match("missing-close", &function(initializer)));
    let indexed = "\tresps[i], err = c.Do(req)\n\tuse(err)";
    assert!(may_match("missing-close", &function(indexed)));
}

#[test]
fn exit_after_defer_skips_receivers_of_a_package_type() {
    let method = "package p\n\nfunc (s *state) f(x int) {\n\tdefer g()\n\ts.Fatalf(\"x\")\n}\n";
    assert!(!may_match("exit-after-defer", method));
    let parameter = "package p\n\nfunc f(x int, fn *Func) {\n\tdefer g()\n\tfn.Fatalf(\"x\")\n}\n";
    assert!(!may_match("exit-after-defer", parameter));
    let local = "package p\n\nfunc f() {\n\tvar s state\n\tdefer g()\n\ts.Fatalf(\"x\")\n}\n";
    assert!(!may_match("exit-after-defer", local));
    // A keyed value (`{t: t}`) declares nothing: `t` is still the testing parameter.
    let keyed = "\tc := conn{t: t, n: 1}\n\tdefer c.Close()\n\tt.Fatal(\"x\")";
    assert!(!may_match("exit-after-defer", &function(keyed)));
    let case_clause =
        "\tdefer g()\n\tswitch {\n\tcase ok:\tt, x := log.Default(), 1\n\t\tt.Fatal(x)\n\t}";
    assert!(may_match(
        "exit-after-defer",
        &logging_function(case_clause)
    ));
    // A logger, or a name declared more than once, may be a *log.Logger.
    let logger = "package p\n\nimport \"log\"\n\nfunc f(l *log.Logger) {\n\tdefer g()\n\tl.Fatalf(\"x\")\n}\n";
    assert!(may_match("exit-after-defer", logger));
    let logger_var = "package p\n\nimport \"log\"\n\nfunc f() {\n\tvar s *log.Logger\n\tdefer g()\n\ts.Fatalf(\"x\")\n}\n";
    assert!(may_match("exit-after-defer", logger_var));
    let twice = "package p\n\nimport \"log\"\n\nfunc f() {\n\tvar s state\n\t{\n\t\ts := log.Default()\n\t\tdefer g()\n\t\ts.Fatalf(\"x\")\n\t}\n}\n";
    assert!(may_match("exit-after-defer", twice));
    let declared_after = "package p\n\nimport \"log\"\n\nvar s = log.Default()\n\nfunc f() {\n\tdefer g()\n\ts.Fatalf(\"x\")\n\tvar s state\n\t_ = s\n}\n";
    assert!(may_match("exit-after-defer", declared_after));
    // With a dot import a bare type name may be log's own `Logger`.
    let dotted =
        "package p\n\nimport . \"log\"\n\nfunc f(l *Logger) {\n\tdefer g()\n\tl.Fatalf(\"x\")\n}\n";
    assert!(may_match("exit-after-defer", dotted));
}

#[test]
fn lost_cancel_counts_keyed_values_results_and_fields_as_what_they_are() {
    let stored = "\tctx, cancel := context.WithCancel(p)\n\treturn &s{c: ctx, stop: cancel, n: 1}";
    assert!(!may_match("lost-cancel", &function(stored)));
    let field_set = "\tctx, cancel := context.WithCancel(p)\n\tc.cancel = cancel\n\tuse(ctx)";
    assert!(!may_match("lost-cancel", &function(field_set)));
    let returned = "\tctx, cancel := context.WithCancel(p)\n\treturn cancel, ctx";
    assert!(!may_match("lost-cancel", &function(returned)));
    // Two plain names on the left: a field is not the rule's.
    let into_fields = "\tt.ctx, t.cancel = context.WithCancel(p)";
    assert!(!may_match("lost-cancel", &function(into_fields)));
    // A case clause's `a, b :=` after its colon assigns, it does not read.
    let in_case = "\tctx, cancel := context.WithCancel(p)\n\tswitch {\n\tcase ok:\tcancel, x := 1, 2\n\t\tuse(x, cancel)\n\t}\n\tuse(ctx)";
    assert!(may_match("lost-cancel", &function(in_case)));
}

#[test]
fn waitgroup_done_needs_code_that_may_leave_before_a_late_done() {
    let blocking = "\tgo func() {\n\t\tsema <- struct{}{}\n\t\tdefer wg.Done()\n\t\twork()\n\t}()";
    assert!(!may_match("waitgroup-done", &function(blocking)));
    let leaving = "\tgo func() {\n\t\tif bad() {\n\t\t\treturn\n\t\t}\n\t\tdefer wg.Done()\n\t}()";
    assert!(may_match("waitgroup-done", &function(leaving)));
    let failing = "\tgo func() {\n\t\tt.Fatal(\"x\")\n\t\tdefer wg.Done()\n\t}()";
    assert!(may_match("waitgroup-done", &function(failing)));
    // A return inside a function literal before the defer leaves only that literal.
    let literal = "\tgo func() {\n\t\tf := func() { return }\n\t\tf()\n\t\tdefer wg.Done()\n\t}()";
    assert!(!may_match("waitgroup-done", &function(literal)));
}

/// An Add the rule reports is a statement of the goroutine's own, on a group it has not called
/// Done on before.
#[test]
fn waitgroup_done_needs_an_add_statement_of_the_goroutine() {
    let inside = "\tgo func() {\n\t\twg.Add(1)\n\t\tdefer wg.Done()\n\t}()";
    assert!(may_match("waitgroup-done", &function(inside)));
    let field = "\tgo func() {\n\t\tdefer s.wg.Done()\n\t\ts.wg.Add(1)\n\t}()";
    assert!(may_match("waitgroup-done", &function(field)));
    let counted = "\tgo func() {\n\t\tdefer wg.Done()\n\t\twg.Add(1)\n\t\tgo child()\n\t}()";
    assert!(!may_match("waitgroup-done", &function(counted)));
    let nested = "\tgo func() {\n\t\tdefer wg.Done()\n\t\tif x {\n\t\t\tother.Add(1)\n\t\t}\n\t}()";
    assert!(!may_match("waitgroup-done", &function(nested)));
    let value = "\tgo func() {\n\t\tdefer wg.Done()\n\t\tn := c.Add(1)\n\t\tuse(n)\n\t}()";
    assert!(!may_match("waitgroup-done", &function(value)));
    let other_group = "\tgo func() {\n\t\tdefer other.Done()\n\t\twg.Add(1)\n\t}()";
    assert!(may_match("waitgroup-done", &function(other_group)));
}

#[test]
fn defer_before_check_needs_the_error_named_after_the_defer() {
    let never_checked = "\tf, err := open()\n\tdefer f.Close()\n\tuse(f)";
    assert!(!may_match("defer-before-check", &function(never_checked)));
}

/// The check is the first statement after the defer (defers passed over) that uses the last
/// name, and an `if`: `r, w := net.Pipe()` then `defer r.Close()` and `NewEncoder(w)` has none.
#[test]
fn defer_before_check_needs_an_if_first_to_use_the_last_name() {
    let pipe = "\tr, w := net.Pipe()\n\tdefer r.Close()\n\tdefer w.Close()\n\tenc := NewEncoder(w)\n\tif w != nil {\n\t}";
    assert!(!may_match("defer-before-check", &function(pipe)));
    let checked = "\tf, err := open()\n\tdefer f.Close()\n\tdefer log(err)\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(checked)));
    let on_one_line = "\tf, err := open()\n\tdefer f.Close(); if err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(on_one_line)));
    // A field or a key of the same name is not the variable: the `if` after it may be the check.
    let field = "\tf, err := open()\n\tdefer f.Close()\n\tx.err = nil\n\tr := result{err: 1}\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(field)));
    let used_first =
        "\tf, err := open()\n\tdefer f.Close()\n\tlog(err)\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(!may_match("defer-before-check", &function(used_first)));
}

fn may_match_in(rule: &str, files: &[(&str, &str)]) -> bool {
    let rule = deferfix::transforms::find(rule).unwrap();
    let test = rule.may_match.expect("the rule has a lexical test");
    let sources = files
        .iter()
        .map(|(name, text)| (name.to_string(), std::sync::Arc::from(*text)))
        .collect();
    let index = std::sync::Arc::new(deferfix::analysis::package::DirIndex::from_sources(sources));
    let package = PackageContext::in_memory(index, files[0].0);
    test(&Lexed::new(files[0].1), &package)
}

/// `b.Fatalf` on a value the lexer cannot type ends the program only if it is a `*log.Logger`,
/// which the analysis derives only from code that names `log`'s `Logger`, `New` or `Default`
/// (in the file or another file of the package) or from `log`'s own package.
#[test]
fn exit_after_defer_needs_a_way_to_a_logger() {
    let ranged = |imports: &str, extra: &str| {
        format!(
            "package ssa\n\n{imports}\n\nfunc f(fn *Func) {{\n\tdefer g()\n\tfor _, b := range fn.Blocks {{\n\t\tb.Fatalf(\"x\")\n\t}}\n}}\n{extra}"
        )
    };
    assert!(!may_match("exit-after-defer", &ranged("", "")));
    let printing = "func p() { log.Printf(\"x\") }\n";
    assert!(!may_match(
        "exit-after-defer",
        &ranged("import \"log\"", printing)
    ));
    let making = "var l = log.New(nil, \"\", 0)\n";
    assert!(may_match(
        "exit-after-defer",
        &ranged("import \"log\"", making)
    ));
    let aliased = "var l *lg.Logger\n";
    assert!(may_match(
        "exit-after-defer",
        &ranged("import lg \"log\"", aliased)
    ));
    let own = ranged("", "").replacen("package ssa", "package log", 1);
    assert!(may_match("exit-after-defer", &own));

    let file = ranged("", "");
    let sibling_printing = format!("package ssa\n\nimport \"log\"\n\n{printing}");
    assert!(!may_match_in(
        "exit-after-defer",
        &[("a.go", &file), ("b.go", &sibling_printing)]
    ));
    let sibling_making = format!("package ssa\n\nimport \"log\"\n\n{making}");
    assert!(may_match_in(
        "exit-after-defer",
        &[("a.go", &file), ("b.go", &sibling_making)]
    ));
    // The file's own name in the index is the text being analysed, not what is on disk.
    assert!(!may_match_in(
        "exit-after-defer",
        &[("a.go", &file), ("a.go", &sibling_making)]
    ));
}

/// Only `os.Exit` exits: `Exit` on anything but an import of `os` is passed over.
#[test]
fn exit_after_defer_reads_exit_only_on_os() {
    let file = |imports: &str, call: &str| {
        format!("package p\n\n{imports}\n\nfunc f(p *Proc) {{\n\tdefer g()\n\t{call}\n}}\n")
    };
    assert!(may_match(
        "exit-after-defer",
        &file("import \"os\"", "os.Exit(1)")
    ));
    assert!(may_match(
        "exit-after-defer",
        &file("import sys \"os\"", "sys.Exit(1)")
    ));
    assert!(!may_match(
        "exit-after-defer",
        &file("import \"os\"", "p.Exit(1)")
    ));
    assert!(!may_match("exit-after-defer", &file("", "os.Exit(1)")));
    assert!(!may_match(
        "exit-after-defer",
        &file("import \"os\"", "p.os.Exit(1)")
    ));
}

/// Only `os.Create` and `os.OpenFile` with a writing flag open a file the rule reports on.
#[test]
fn close_error_needs_a_file_of_os_opened_for_writing() {
    let file = |imports: &str, open: &str| {
        format!(
            "package p\n\n{imports}\n\nfunc f(p string) error {{\n\tf, err := {open}\n\tif err != nil {{\n\t\treturn err\n\t}}\n\tdefer f.Close()\n\treturn write(f)\n}}\n"
        )
    };
    let os = "import \"os\"";
    assert!(may_match("close-error", &file(os, "os.Create(p)")));
    assert!(may_match(
        "close-error",
        &file("import sys \"os\"", "sys.Create(p)")
    ));
    assert!(!may_match("close-error", &file(os, "fs.Create(p)")));
    assert!(!may_match("close-error", &file("", "os.Create(p)")));
    let writing = "os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)";
    assert!(may_match("close-error", &file(os, writing)));
    let reading = "os.OpenFile(p, os.O_RDONLY, 0)";
    assert!(!may_match("close-error", &file(os, reading)));
    // A flags variable: the rule cannot tell it writes.
    assert!(!may_match(
        "close-error",
        &file(os, "os.OpenFile(p, mode, 0)")
    ));
}

/// Inputs a review found where the lexical tests skipped a finding (each checked against the
/// binary without the tests).
#[test]
fn lexical_tests_let_through_what_the_review_found() {
    // defer-before-check: a field named like the error is no use of it.
    let struct_type = "\tf, err := open()\n\tdefer f.Close()\n\ttype result struct {\n\t\terr error\n\t}\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(struct_type)));
    let method = "\tf, err := open()\n\tdefer f.Close()\n\tvar i interface{ err() error }\n\t_ = i\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(method)));
    let between = "\tf, err := open()\n\tvar r struct{ err error }\n\t_ = r\n\tdefer f.Close()\n\tif err != nil {\n\t\treturn err\n\t}";
    assert!(may_match("defer-before-check", &function(between)));

    // waitgroup-done: receivers of more than one token, a method value, Done in a string.
    for body in [
        "wgs[i].Add(1)\n\t\tdefer wgs[i].Done()",
        "(wg).Add(1)\n\t\tdefer wg.Done()",
        "group().Add(1)\n\t\tdefer group().Done()",
        "done := wg.Done\n\t\twg.Add(1)\n\t\tdefer done()",
        "wg.Add(1)\n\t\tfmt.Println(\"Done\")",
        "wg.Add(1) // Done by the pool",
    ] {
        let goroutine = format!("\tgo func() {{\n\t\t{body}\n\t}}()");
        assert!(may_match("waitgroup-done", &function(&goroutine)), "{body}");
    }

    // exit-after-defer: `v2` is no import name of `example.com/foo/v2` (package foo) to the
    // analysis, and a package at import path `log` has log's facts whatever its clause.
    let versioned = "package p\n\nimport (\n\t\"os\"\n\t\"example.com/foo/v2\"\n)\n\nfunc f() {\n\tdefer os.Remove(\"x\")\n\tv2.Fatal(\"x\")\n\tfoo.Bar()\n}\n";
    let sibling =
        "package p\n\nimport (\n\t\"log\"\n\t\"os\"\n)\n\nvar v2 = log.New(os.Stderr, \"\", 0)\n";
    assert!(may_match_in(
        "exit-after-defer",
        &[("a.go", versioned), ("b.go", sibling)]
    ));
    let main = "package main\n\nimport \"os\"\n\nfunc main() {\n\tdefer os.Remove(\"tmp\")\n\tl := New(os.Stderr, \"\", 0)\n\tl.Fatal(\"y\")\n}\n";
    assert!(!may_match("exit-after-defer", main));
    let rule = deferfix::transforms::find("exit-after-defer").unwrap();
    let mut package = PackageContext::alone();
    package.import_path = Some("log".into());
    assert!((rule.may_match.unwrap())(&Lexed::new(main), &package));
}

/// A second review: the parameters of a function type written as the result, unparenthesised,
/// are not the function's own (the lexer gave the body the result's `func`, and read `l int` of
/// `func(l int)` as a parameter of a type of the package).
#[test]
fn exit_after_defer_reads_the_function_s_own_parameters() {
    let logger = |signature: &str, call: &str| {
        format!(
            "package p\n\nimport (\n\t\"log\"\n\t\"testing\"\n)\n\nfunc {signature} {{\n\tdefer g()\n\t{call}\n\treturn nil\n}}\n"
        )
    };
    for (signature, call) in [
        ("b(l *log.Logger) func(l int)", "l.Fatal(\"z\")"),
        ("b(t *log.Logger) []func(t *testing.T)", "t.Fatal(\"z\")"),
        ("b(l *log.Logger) chan func(l int)", "l.Fatalf(\"z\")"),
        ("b(l *log.Logger) func() func(l int)", "l.Fatal(\"z\")"),
    ] {
        assert!(
            may_match("exit-after-defer", &logger(signature, call)),
            "{signature}"
        );
    }
    // The function's own `t` is still read: a *testing.T, whatever the result's parameters.
    let testing = logger("b(t *testing.T) func(t *log.Logger)", "t.Fatal(\"z\")");
    assert!(!may_match("exit-after-defer", &testing));
    let parenthesised = logger(
        "b(t *testing.T) (func(t *log.Logger), error)",
        "t.Fatal(\"z\")",
    );
    assert!(!may_match("exit-after-defer", &parenthesised));
}

/// A file closed again with its error read (`return f.Close()`) is the rule's "safety net"
/// case: skipped, unless another variable of the name may be the one closed.
#[test]
fn close_error_skips_a_file_surely_closed_elsewhere() {
    let file = |before: &str, after: &str| {
        format!(
            "package p\n\nimport \"os\"\n\nfunc f(p string) error {{\n{before}\tf, err := os.Create(p)\n\tif err != nil {{\n\t\treturn err\n\t}}\n\tdefer f.Close()\n\twrite(f)\n{after}\n}}\n"
        )
    };
    assert!(may_match("close-error", &file("", "\treturn nil")));
    assert!(!may_match("close-error", &file("", "\treturn f.Close()")));
    let checked = "\tif err := f.Close(); err != nil {\n\t\treturn err\n\t}\n\treturn nil";
    assert!(!may_match("close-error", &file("", checked)));
    // In a literal of the function, the same variable.
    let literal = "\tdone := func() error { return f.Close() }\n\treturn done()";
    assert!(!may_match("close-error", &file("", literal)));
    // Before the open, `f` is another variable.
    assert!(may_match(
        "close-error",
        &file("\tf.Close()\n", "\treturn nil")
    ));
    // Declared again in a block, or as a literal's parameter, `f` may be another file.
    let shadowed = "\t{\n\t\tf := other()\n\t\tf.Close()\n\t}\n\treturn nil";
    assert!(may_match("close-error", &file("", shadowed)));
    let parameter = "\tfunc(f io.Closer) { f.Close() }(x)\n\treturn nil";
    assert!(may_match("close-error", &file("", parameter)));
    // A field of that name is not the variable.
    assert!(may_match("close-error", &file("", "\treturn x.f.Close()")));
    // In a block of clauses, or opened in a statement's header, the name's scope ends before
    // the block does.
    let clauses = "package p\n\nimport \"os\"\n\nfunc f(p string, b bool) error {\n\tswitch {\n\tcase b:\n\t\tf, err := os.Create(p)\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\tdefer f.Close()\n\t\twrite(f)\n\tdefault:\n\t\treturn f.Close()\n\t}\n\treturn nil\n}\n";
    assert!(may_match("close-error", clauses));
    let header = "package p\n\nimport \"os\"\n\nfunc f(p string) error {\n\tif f, err := os.Create(p); err == nil {\n\t\tdefer f.Close()\n\t\twrite(f)\n\t}\n\treturn f.Close()\n}\n";
    assert!(may_match("close-error", header));
}

/// The check reads the deferred call's arguments, not what function literals in the statement
/// compute when they run.
#[test]
fn defer_eval_needs_a_measurement_outside_the_deferred_literals() {
    let file = |body: &str| {
        format!("package p\n\nimport \"time\"\n\nfunc f(start time.Time) {{\n{body}\n}}\n")
    };
    assert!(may_match(
        "defer-eval",
        &file("\tdefer log.Printf(\"%v\", time.Since(start))")
    ));
    assert!(may_match(
        "defer-eval",
        &file("\tdefer func(d time.Duration) { log.Print(d) }(time.Now().Sub(start))")
    ));
    assert!(!may_match(
        "defer-eval",
        &file("\tdefer func() {\n\t\tlog.Print(time.Since(start))\n\t}()")
    ));
    assert!(!may_match(
        "defer-eval",
        &file("\tdefer report(func() time.Duration { return time.Since(start) })")
    ));
}

/// A deferred exit runs after the function's other deferred calls only when it was deferred
/// first: its own defer statement is not one it skips.
#[test]
fn exit_after_defer_does_not_count_the_exit_s_own_defer() {
    let file = |body: &str| format!("package p\n\nimport \"os\"\n\nfunc f() {{\n{body}\n}}\n");
    assert!(!may_match("exit-after-defer", &file("\tdefer os.Exit(0)")));
    assert!(!may_match(
        "exit-after-defer",
        &file("\tdefer os.Exit(0)\n\tg()")
    ));
    assert!(may_match(
        "exit-after-defer",
        &file("\tdefer g()\n\tdefer os.Exit(0)")
    ));
    assert!(may_match(
        "exit-after-defer",
        &file("\tdefer g(); os.Exit(1)")
    ));
    assert!(may_match(
        "exit-after-defer",
        &file("\tdefer os.Exit(0)\n\tdefer g()\n\tos.Exit(1)")
    ));
}

/// loop-var-capture needs a launch of a function literal inside a loop: of the launch's own
/// function or of one around it (a literal called in the loop body runs in the iteration).
#[test]
fn loop_var_capture_needs_a_launch_inside_a_loop() {
    let lvc = |body: &str| may_match("loop-var-capture", &function(body));
    assert!(lvc(
        "\tfor _, x := range xs {\n\t\tgo func() { use(x) }()\n\t}"
    ));
    assert!(lvc(
        "\tfor _, x := range xs {\n\t\tdefer func() { use(x) }()\n\t}"
    ));
    assert!(lvc(
        "\tfor _, x := range xs {\n\t\tg.Go(func() error { return use(x) })\n\t}"
    ));
    assert!(lvc(
        "\tfor _, x := range xs {\n\t\tfunc() {\n\t\t\tgo func() { use(x) }()\n\t\t}()\n\t}"
    ));
    let parallel = "\tfor _, x := range xs {\n\t\tt.Run(x, func(t *testing.T) {\n\t\t\tt.Parallel()\n\t\t\tuse(x)\n\t\t})\n\t}";
    assert!(lvc(parallel));
    // A subtest that does not call Parallel runs within the iteration.
    let serial =
        "\tfor _, x := range xs {\n\t\tt.Run(x, func(t *testing.T) {\n\t\t\tuse(x)\n\t\t})\n\t}";
    assert!(!lvc(serial));
    assert!(!lvc("\tgo func() { use(xs) }()\n\tfor range xs {\n\t}"));
    assert!(!lvc("\tfor _, x := range xs {\n\t\tgo use(x)\n\t}"));
    assert!(!lvc("\t// go func() in a loop: for {}\n\tuse(xs)"));
}

/// Inputs the review of the lexical tests above found skipped (each a finding of the rule
/// without the tests).
#[test]
fn lexical_tests_let_through_what_the_second_review_found() {
    // close-error: a literal's parameter or result of the name, listed with others or in
    // parentheses, is another variable.
    let opened = |literal: &str| {
        format!(
            "package p\n\nimport \"os\"\n\nfunc f(p string) error {{\n\tf, err := os.Create(p)\n\tif err != nil {{\n\t\treturn err\n\t}}\n\tdefer f.Close()\n\t{literal}\n\t_, err = f.Write(nil)\n\treturn err\n}}\n"
        )
    };
    for literal in [
        "closeBoth := func(f, g *os.File) error { g.Close(); return f.Close() }",
        "reopen := func() (f, g *os.File) { f.Close(); return }",
        "closeOne := func(f (*os.File)) error { return f.Close() }",
    ] {
        assert!(may_match("close-error", &opened(literal)), "{literal}");
    }
    // defer-eval: the braces of a composite literal of functions are no function body.
    let measured = |deferred: &str| {
        format!(
            "package p\n\nimport \"time\"\n\nfunc f(start time.Time) {{\n\tdefer {deferred}\n}}\n"
        )
    };
    for deferred in [
        "fmt.Println(len(map[time.Duration]func(){time.Since(start): nil}))",
        "run([]func(){after(time.Since(start))})",
        "run([]func() func(){after(time.Since(start))})",
    ] {
        assert!(may_match("defer-eval", &measured(deferred)), "{deferred}");
    }
    // loop-var-capture: a launch in the loop's condition or post statement runs in each
    // iteration.
    let header = "\tfor i := 0; i < 3 && t.Run(\"sub\", func(t *testing.T) {\n\t\tt.Parallel()\n\t\tt.Log(i)\n\t}); i++ {\n\t}";
    assert!(may_match("loop-var-capture", &function(header)));
    let post = "\tfor i := 0; i < 3; g.Go(func() { println(i) }) {\n\t\ti++\n\t}";
    assert!(may_match("loop-var-capture", &function(post)));
}

/// A second review's inputs: a `]` that ends a statement does not make the next line's `func`
/// an element type, and a label or a local type named like the error is no use of it.
#[test]
fn lexical_tests_let_through_what_the_third_review_found() {
    let write = "func write(name string) error {\n\tf, err := os.Create(name)\n\tif err != nil {\n\t\treturn err\n\t}\n\tdefer f.Close()\n\t_, err = f.WriteString(\"x\")\n\treturn err\n}\n";
    for before in [
        "type IntStack = Stack[int]",
        "var cache List[string]",
        "var first = names[0] /* the\ndefault */",
    ] {
        let file = format!("package p\n\nimport \"os\"\n\n{before}\n\n{write}");
        assert!(may_match("close-error", &file), "{before}");
    }
    let unclosed = "package p\n\nimport \"net/http\"\n\nvar first = urls[0]\n\nfunc get() int {\n\tresp, err := http.Get(first)\n\tif err != nil {\n\t\treturn 0\n\t}\n\treturn resp.StatusCode\n}\n\nfunc other() {\n\tresp, err := http.Get(first)\n\tif err != nil {\n\t\treturn\n\t}\n\tdefer resp.Body.Close()\n}\n";
    assert!(may_match("missing-close", unclosed));
    let checked = |between: &str| {
        function(&format!(
            "\th, err := acquire(name)\n\tdefer h.Close()\n{between}\n\tif err != nil {{\n\t\treturn err\n\t}}\n\tuse(h)"
        ))
    };
    for between in [
        "\tfor name == \"\" {\n\t\tgoto err\n\t}",
        "\t{\n\t\ttype err struct{}\n\t\tfmt.Println(err{})\n\t}",
    ] {
        assert!(
            may_match("defer-before-check", &checked(between)),
            "{between}"
        );
    }
}

/// A third review's inputs: composite literals of function pointers or channels, a `struct{}`
/// before the name in a literal's parameters, and a local type named like the error in a
/// type's place.
#[test]
fn lexical_tests_let_through_what_the_fourth_review_found() {
    let measured = |deferred: &str| {
        format!(
            "package p\n\nimport \"time\"\n\nfunc f(start time.Time) {{\n\tdefer {deferred}\n}}\n"
        )
    };
    for deferred in [
        "report(map[time.Duration]*func(){time.Since(start): nil})",
        "report([]chan func(){mk(time.Since(start))})",
    ] {
        assert!(may_match("defer-eval", &measured(deferred)), "{deferred}");
    }
    let opened = "package p\n\nimport \"os\"\n\nfunc f(p string) error {\n\tf, err := os.Create(p)\n\tif err != nil {\n\t\treturn err\n\t}\n\tdefer f.Close()\n\tcloseBoth := func(_ struct{}, f, g *os.File) {\n\t\tf.Close()\n\t}\n\t_, err = f.Write(nil)\n\treturn err\n}\n";
    assert!(may_match("close-error", opened));
    let typed = function(
        "\tc, err := open()\n\tfunc() {\n\t\ttype err int\n\t\tvar g func(err)\n\t\t_ = g\n\t}()\n\tdefer c.Close()\n\tif err != nil {\n\t\treturn err\n\t}\n\tuse(c)",
    );
    assert!(may_match("defer-before-check", &typed));
}

/// A fourth review's inputs: a conversion to a type of functions before a literal, and a
/// send-only channel of functions in an `if` header or a range.
#[test]
fn lexical_tests_let_through_what_the_fifth_review_found() {
    let unclosed = "package p\n\nimport \"net/http\"\n\nfunc main() {\n\tresp, err := http.Get(\"a\")\n\tif err != nil {\n\t\treturn\n\t}\n\tdefer resp.Body.Close()\n\tn := []func() int(fs)[0]() * func() int {\n\t\tresp, err := http.Get(\"b\")\n\t\tif err != nil {\n\t\t\treturn 0\n\t\t}\n\t\treturn resp.StatusCode\n\t}()\n\tuse(n, resp)\n}\n";
    assert!(may_match("missing-close", unclosed));
    let opened = "package p\n\nimport \"os\"\n\nfunc write(c chan<- func() bool) error {\n\tif c != chan<- func() bool(nil) {\n\t\tf, err := os.Create(\"x\")\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\tdefer f.Close()\n\t\t_, err = f.Write(nil)\n\t\treturn err\n\t}\n\treturn nil\n}\n";
    assert!(may_match("close-error", opened));
    let ranged = "\tfor _, c := range []chan<- func() int(cs) {\n\t\tdefer close(c)\n\t}";
    assert!(may_match("defer-in-loop", &function(ranged)));
}
