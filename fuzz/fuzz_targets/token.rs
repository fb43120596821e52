#![no_main]
//! `cargo +nightly fuzz run token` — see caiji::fuzzing::token.

libfuzzer_sys::fuzz_target!(|data: &[u8]| caiji::fuzzing::token(data));
