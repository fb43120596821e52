//! Replays every saved fuzz input (`fuzz/corpus/<target>/*`) through the fuzz target bodies on
//! stable Rust, so CI keeps each crash the fuzzers once found fixed without nightly or libFuzzer.

use std::path::{Path, PathBuf};

use caiji::fuzzing::TARGETS;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

#[test]
fn every_corpus_file_runs_through_its_target() {
    for &(target, body) in TARGETS {
        let dir = corpus_dir(target);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("corpus entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no corpus for {target}");
        for file in files {
            let bytes = std::fs::read(&file).expect("corpus file");
            let run = std::panic::catch_unwind(|| body(&bytes));
            assert!(
                run.is_ok(),
                "fuzz target {target} panicked on {}",
                file.display()
            );
        }
    }
}

#[test]
fn every_seed_runs_through_its_target() {
    for (target, name, bytes) in caiji::fuzzing::seeds::all() {
        let (_, body) = TARGETS
            .iter()
            .find(|(t, _)| *t == target)
            .expect("seed of a known target");
        let run = std::panic::catch_unwind(|| body(&bytes));
        assert!(run.is_ok(), "fuzz target {target} panicked on seed {name}");
    }
}

/// `cargo test --test fuzz_corpus -- --ignored write_seed_corpora` (re)writes the seeds.
#[test]
#[ignore = "writes fuzz/corpus; run by hand when the seeds change"]
fn write_seed_corpora() {
    for (target, name, bytes) in caiji::fuzzing::seeds::all() {
        let dir = corpus_dir(target);
        std::fs::create_dir_all(&dir).expect("corpus dir");
        std::fs::write(dir.join(name), bytes).expect("seed file");
    }
}
