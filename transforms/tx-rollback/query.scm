; A transaction begun from a call: `tx, err := db.Begin()`, `tx, err = db.BeginTx(ctx, nil)`,
; `tx := db.MustBegin()`: a statement assigning a call. Whether the call is one of the Begin
; methods, and where the Rollback is deferred (if at all), is decided in Rust.
(short_var_declaration
  right: (expression_list (call_expression) @call)) @anchor

(assignment_statement
  right: (expression_list (call_expression) @call)) @anchor
