; `go func(…) { … }(…)`: a goroutine started from a function literal. Where its
; `defer wg.Done()` and `wg.Add(n)` sit, and whether `wg` is a sync.WaitGroup, is decided in Rust.
(go_statement
  (call_expression
    function: (func_literal
      body: (block) @body))) @anchor
