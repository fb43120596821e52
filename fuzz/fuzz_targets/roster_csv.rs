#![no_main]
//! `cargo +nightly fuzz run roster_csv` — see caiji::fuzzing::roster.

libfuzzer_sys::fuzz_target!(|data: &[u8]| caiji::fuzzing::roster(data));
