#![no_main]
//! `cargo +nightly fuzz run keyring` — see caiji::fuzzing::keyring.

libfuzzer_sys::fuzz_target!(|data: &[u8]| caiji::fuzzing::keyring(data));
