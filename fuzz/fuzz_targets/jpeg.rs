#![no_main]
//! `cargo +nightly fuzz run jpeg` — see caiji::fuzzing::jpeg.

libfuzzer_sys::fuzz_target!(|data: &[u8]| caiji::fuzzing::jpeg(data));
