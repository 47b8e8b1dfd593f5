; A deferred call with arguments. Whether an argument measures time with `time.Since` or
; `time.Now().Sub` (so it is evaluated too early) is decided in Rust, where the import name of
; "time" is known.
(defer_statement
  (call_expression
    arguments: (argument_list (_)))) @anchor
