//! Arbitrary bytes as one file through deferfix's per-file pipeline (every rule, `--unsafe`),
//! checking the properties of `deferfix_fuzz::properties`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| deferfix_fuzz::fuzz_pipeline_bytes(data));
