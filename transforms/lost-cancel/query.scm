; `ctx, cancel := context.WithTimeout(...)` and the other constructors that return a cancel
; function. Whether the package is "context", and whether the cancel function is lost, is decided
; in Rust.
(short_var_declaration
  right: (expression_list
    (call_expression
      function: (selector_expression
        operand: (identifier)
        field: (field_identifier) @constructor)))
  (#any-of? @constructor "WithCancel" "WithTimeout" "WithDeadline" "WithCancelCause" "WithTimeoutCause" "WithDeadlineCause")) @anchor

(assignment_statement
  right: (expression_list
    (call_expression
      function: (selector_expression
        operand: (identifier)
        field: (field_identifier) @constructor)))
  (#any-of? @constructor "WithCancel" "WithTimeout" "WithDeadline" "WithCancelCause" "WithTimeoutCause" "WithDeadlineCause")) @anchor
