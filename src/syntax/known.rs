//! Names from the Go standard library and common database packages that several rules rely on.
//! Without type information these spellings are how the rules recognise what a call does.

/// The `context` functions whose second result is a cancel function.
pub const CONTEXT_CONSTRUCTORS: &[&str] = &[
    "WithCancel",
    "WithTimeout",
    "WithDeadline",
    "WithCancelCause",
    "WithTimeoutCause",
    "WithDeadlineCause",
];

/// Methods that begin a transaction (`database/sql`, `sqlx`).
pub const BEGIN_METHODS: &[&str] = &["Begin", "BeginTx", "Beginx", "BeginTxx", "MustBegin"];

/// Predeclared numeric types, whose zero value is `0` and which hold no references.
pub const NUMERIC_TYPES: &[&str] = &[
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uintptr",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "byte",
    "rune",
];
