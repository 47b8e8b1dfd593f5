; A rows cursor, a prepared statement or an HTTP response from a call: `rows, err := db.Query(…)`,
; `stmt, err = tx.Prepare(…)`, `resp, err := http.Get(…)`, `resp, err := client.Do(req)`. Whether
; the call is one of database/sql, sqlx or net/http, and whether the value is ever released, is
; decided in Rust.
(short_var_declaration
  left: (expression_list (identifier) (identifier) .)
  right: (expression_list
    (call_expression
      function: (selector_expression
        field: (field_identifier) @method)) .)
  (#any-of? @method "Query" "QueryContext" "Queryx" "QueryxContext" "Prepare" "PrepareContext" "Preparex" "PreparexContext" "Get" "Head" "Post" "PostForm" "Do")) @anchor

(assignment_statement
  left: (expression_list (identifier) (identifier) .)
  right: (expression_list
    (call_expression
      function: (selector_expression
        field: (field_identifier) @method)) .)
  (#any-of? @method "Query" "QueryContext" "Queryx" "QueryxContext" "Prepare" "PrepareContext" "Preparex" "PreparexContext" "Get" "Head" "Post" "PostForm" "Do")) @anchor
