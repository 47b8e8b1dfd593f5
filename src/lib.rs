//! deferfix: finds `defer` statements in Go code that run later than intended, and fixes them.
//!
//! Pipeline, one direction: [`walk`] → read → prefilter bytes (every selected rule's keywords in
//! one pass, [`keywords`]) → the rules' lexical tests ([`analysis::blocks`]) → parse ([`syntax`])
//! → query ([`query`]) → rule checks ([`transforms`]) → findings with fixes ([`fix`])
//! → suppressions ([`suppress`]) → [`engine`] (select, merge, apply, re-parse, repeat) → [`report`] or [`write`] → summary.

pub mod alloc;
pub mod analysis;
pub mod cache;
pub mod cli;
pub mod config;
pub mod engine;
pub mod fix;
pub mod goversion;
pub mod keywords;
pub mod pipeline;
pub mod progress;
pub mod query;
pub mod report;
pub mod server;
pub mod since;
pub mod source;
pub mod summary;
pub mod suppress;
pub mod syntax;
#[cfg(feature = "test-hooks")]
pub mod test_hooks;
pub mod text;
pub mod transforms;
pub mod verify;
pub mod walk;
pub mod write;
