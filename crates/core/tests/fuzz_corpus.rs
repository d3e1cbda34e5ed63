//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the
//! harnesses of `latch_core::fuzzing`, on stable and without libFuzzer, so a
//! change that breaks what a fuzzer once checked fails here first. Inputs
//! that once found a bug are in the corpus too (named `regression-…`).
//!
//! To grow the corpus, run `scripts/fuzz`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn replay(target: &str) {
    let (_, harness) = latch_core::fuzzing::TARGETS
        .into_iter()
        .find(|(name, _)| *name == target)
        .expect("a harness of that name");
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no inputs", dir.display());
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file");
        if catch_unwind(AssertUnwindSafe(|| harness(&data))).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} of {} inputs fail: {failed:#?}",
        failed.len(),
        files.len()
    );
}

#[test]
fn callback_url_corpus_passes() {
    replay("callback_url");
}

#[test]
fn token_answer_corpus_passes() {
    replay("token_answer");
}

#[test]
fn green_api_answer_corpus_passes() {
    replay("green_api_answer");
}

#[test]
fn index_file_corpus_passes() {
    replay("index_file");
}

#[test]
fn jwt_corpus_passes() {
    replay("jwt");
}

#[test]
fn phone_corpus_passes() {
    replay("phone");
}

/// A harness without a fuzz target (or a corpus) would never run.
#[test]
fn every_harness_has_a_fuzz_target_and_a_corpus() {
    for (name, _) in latch_core::fuzzing::TARGETS {
        let target = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let source = std::fs::read_to_string(&target).unwrap_or_else(|e| panic!("{}: {e}", target.display()));
        assert!(
            source.contains(&format!("latch_core::fuzzing::{name}(")),
            "{} does not call its harness",
            target.display()
        );
        assert!(fuzz_dir().join("corpus").join(name).is_dir(), "no corpus for {name}");
    }
}
