; A file opened with `os.Create(…)` or `os.OpenFile(…)`, declared with `:=` or assigned with `=`.
; Whether the package is `os`, the flags write, and the file's Close is only deferred is decided
; in Rust.
(short_var_declaration
  right: (expression_list
    (call_expression
      function: (selector_expression
        operand: (identifier)
        field: (field_identifier) @function)))
  (#any-of? @function "Create" "OpenFile")) @anchor

(assignment_statement
  right: (expression_list
    (call_expression
      function: (selector_expression
        operand: (identifier)
        field: (field_identifier) @function)))
  (#any-of? @function "Create" "OpenFile")) @anchor
