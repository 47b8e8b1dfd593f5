; A rows cursor, a prepared statement or an HTTP response from a call: `rows, err := db.Query(…)`,
; `stmt, err = tx.Prepare(…)`, `resp, err := http.Get(…)`, `resp, err := client.Do(req)`: a
; statement assigning a call. Whether the call is one of database/sql, sqlx or net/http (a
; covered method name first), the two names it is assigned to, and whether the value is ever
; released, is decided in Rust.
(short_var_declaration
  right: (expression_list (call_expression) @call)) @anchor

(assignment_statement
  right: (expression_list (call_expression) @call)) @anchor
