; Every defer statement, with its deferred call. Whether the defer sits in a loop (and not in a
; function literal inside the loop) is decided in Rust, walking up from the match: tree-sitter
; queries cannot say "inside X, stopping at Y".
(defer_statement
  (call_expression
    function: (_) @callee) @call) @anchor
