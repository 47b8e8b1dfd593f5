; Every defer. Whether it is a statement of a block that follows a call whose results it uses, and
; comes before that call's error check, is decided in Rust.
(defer_statement) @anchor
