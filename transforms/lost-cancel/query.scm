; `ctx, cancel := context.WithTimeout(...)` and the other constructors that return a cancel
; function: a statement assigning a call. Which call it is (one of the constructors' names on a
; plain identifier), whether that is the package "context", and whether the cancel function is
; lost, is decided in Rust (a pattern nested down to the method's name costs more to compile than
; the rule's matches to check).
(short_var_declaration
  right: (expression_list (call_expression) @call)) @anchor

(assignment_statement
  right: (expression_list (call_expression) @call)) @anchor
