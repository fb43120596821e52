#![no_main]
//! `cargo +nightly fuzz run theme` — see caiji::fuzzing::theme.

libfuzzer_sys::fuzz_target!(|data: &[u8]| caiji::fuzzing::theme(data));
