; `t := time.NewTicker(d)` / `t = time.NewTimer(d)`. Whether the package is "time", whether Stop
; is ever called and whether the value escapes is decided in Rust.
(short_var_declaration
  right: (expression_list
    (call_expression
      function: (selector_expression
        operand: (identifier)
        field: (field_identifier) @constructor)))
  (#any-of? @constructor "NewTicker" "NewTimer")) @anchor

(assignment_statement
  right: (expression_list
    (call_expression
      function: (selector_expression
        operand: (identifier)
        field: (field_identifier) @constructor)))
  (#any-of? @constructor "NewTicker" "NewTimer")) @anchor
