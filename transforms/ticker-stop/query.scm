; `t := time.NewTicker(d)` / `t = time.NewTimer(d)`: a statement assigning a call. Which call it
; is (`NewTicker`/`NewTimer` on a plain identifier), whether the package is "time", whether Stop
; is ever called and whether the value escapes is decided in Rust.
(short_var_declaration
  right: (expression_list (call_expression) @call)) @anchor

(assignment_statement
  right: (expression_list (call_expression) @call)) @anchor
