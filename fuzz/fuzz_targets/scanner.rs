#![no_main]
//! `cargo +nightly fuzz run scanner` — see caiji::fuzzing::scanner.

libfuzzer_sys::fuzz_target!(|data: &[u8]| caiji::fuzzing::scanner(data));
