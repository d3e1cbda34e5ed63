//! A Latch process killed with SIGKILL while it writes the index never
//! leaves an index that fails to load.
//!
//! A helper rewrites the index in a tight loop through `Store`; it is killed
//! at a random moment, the index is loaded, and again, 200+ times. The seed is
//! printed so a failure can be replayed (`LATCH_CRASH_SEED`).

#![cfg(unix)]

mod support;

use latch_core::store::Index;
use latch_core::store::index::FILE_NAME;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TRIALS: u32 = 220;

/// xorshift64*: enough randomness for kill times, and replayable.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

#[test]
fn index_survives_sigkill_at_random_moments_while_being_written() {
    let seed = std::env::var("LATCH_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1);
    println!("LATCH_CRASH_SEED={seed}");
    let mut dice = Dice(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let started = Instant::now();
    let mut highest_generation = 0;

    for trial in 0..TRIALS {
        let mut writer = Command::new(env!("CARGO_BIN_EXE_latch-store-index-writer"))
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(writer.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "writing", "trial {trial}: the writer did not start");
        // Up to ~6 ms of writing: several complete writes and one cut short.
        let pause = dice.below(6_000);
        std::thread::sleep(Duration::from_micros(pause));
        writer.kill().unwrap(); // SIGKILL
        writer.wait().unwrap();

        let loaded =
            Index::load(&path).unwrap_or_else(|e| panic!("trial {trial} (seed {seed}, killed after {pause} µs): {e}"));
        for account in &loaded.index.accounts {
            let generation: u64 = account
                .label
                .split_whitespace()
                .nth(1)
                .and_then(|g| g.parse().ok())
                .unwrap_or_else(|| panic!("trial {trial}: a half-written label {:?}", account.label));
            highest_generation = highest_generation.max(generation);
        }
    }

    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.contains("corrupt") || name.ends_with(".tmp"))
        .collect();
    assert!(
        !leftovers.iter().any(|n| n.contains("corrupt")),
        "an index was found damaged: {leftovers:?}"
    );
    assert!(leftovers.len() <= 1, "temporary files pile up: {leftovers:?}");
    assert!(
        highest_generation > u64::from(TRIALS),
        "the writers barely wrote ({highest_generation} generations): the kills did not land mid-stream"
    );
    println!(
        "{TRIALS} kills, {highest_generation} generations written, {:?}",
        started.elapsed()
    );
}
