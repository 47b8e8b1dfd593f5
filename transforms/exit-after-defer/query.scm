; Calls that end the program: `os.Exit(…)`, `log.Fatal…(…)` and `logger.Fatal…(…)`. Whether the
; package is really "os"/"log" or the receiver a *log.Logger, and which defers come before, is
; decided in Rust.
(call_expression
  function: (selector_expression
    field: (field_identifier) @method)
  (#any-of? @method "Exit" "Fatal" "Fatalf" "Fatalln")) @anchor
