#![no_main]
//! `cargo +nightly fuzz run config` — see caiji::fuzzing::config.

libfuzzer_sys::fuzz_target!(|data: &[u8]| caiji::fuzzing::config(data));
