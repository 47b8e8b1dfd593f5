//! A seed from the corpus (fuzz/seed-corpus.sh) mutated structurally by the fuzzer's bytes
//! (`deferfix_fuzz::mutate`), then through the pipeline with the properties checked.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| deferfix_fuzz::fuzz_mutated_go(data));
