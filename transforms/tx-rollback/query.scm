; A transaction begun from a call: `tx, err := db.Begin()`, `tx, err = db.BeginTx(ctx, nil)`,
; `tx := db.MustBegin()`. Where the Rollback is deferred (if at all) is decided in Rust.
(short_var_declaration
  right: (expression_list
    (call_expression
      function: (selector_expression
        field: (field_identifier) @method)))
  (#any-of? @method "Begin" "BeginTx" "Beginx" "BeginTxx" "MustBegin")) @anchor

(assignment_statement
  right: (expression_list
    (call_expression
      function: (selector_expression
        field: (field_identifier) @method)))
  (#any-of? @method "Begin" "BeginTx" "Beginx" "BeginTxx" "MustBegin")) @anchor
