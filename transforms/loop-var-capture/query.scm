; Function literals that may run after the loop iteration that created them has ended: started
; by `go`, deferred, or handed to a `.Go(...)` runner (errgroup, conc) or `t.Run(...)` (a subtest
; that calls t.Parallel(), checked in Rust). Which loop variables they capture, and whether the
; loop is one whose variables are shared, is decided in Rust.
(go_statement
  (call_expression
    function: (func_literal) @literal)) @anchor

(defer_statement
  (call_expression
    function: (func_literal) @literal)) @anchor

(call_expression
  function: (selector_expression
    field: (field_identifier) @method)
  arguments: (argument_list
    (func_literal) @literal)
  (#any-of? @method "Go" "Run")) @anchor
