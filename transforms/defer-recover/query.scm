; `defer recover()`: the builtin deferred directly. Whether `recover` is the builtin (not a local
; function of that name) is decided in Rust.
(defer_statement
  (call_expression
    function: (identifier) @callee
    arguments: (argument_list) @arguments)
  (#eq? @callee "recover")) @anchor
