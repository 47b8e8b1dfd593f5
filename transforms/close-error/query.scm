; A file opened with `os.Create(…)` or `os.OpenFile(…)`, declared with `:=` or assigned with `=`:
; a statement assigning a call. Whether the call is `Create`/`OpenFile` on the package `os`, the
; flags write, and the file's Close is only deferred is decided in Rust.
(short_var_declaration
  right: (expression_list (call_expression) @call)) @anchor

(assignment_statement
  right: (expression_list (call_expression) @call)) @anchor
