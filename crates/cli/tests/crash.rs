//! SIGKILL in the middle of a refresh loses no token set (issue 10).
//!
//! A real `latch refresh` renews a Wordapp account (the password grant; the
//! fake rotates the refresh token on every use) in the real keyring, and is
//! killed at a random moment: while it starts, while its request waits at the
//! fake, just after the fake answered, or while it writes the keyring and the
//! index. After every kill the account is loaded again and must hold a token
//! set that loads — the old one or the new one, never a mix or a broken
//! entry. When the fake had already rotated the refresh token but the new
//! set never reached the keyring, the next refresh must say "needs
//! reconnect" (exit 4, and the account shows it), not fail silently; the
//! test then reconnects and goes on.
//!
//! The seed is printed, so a failure can be replayed with `LATCH_CRASH_SEED`.

mod support;

use latch_core::Latch;
use latch_core::model::{AccountStatus, TokenSet};
use latch_sandbox::{Fault, FaultKind};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::*;

const TRIALS: u32 = 200;

/// xorshift64*: replayable randomness for kill times.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// What the keyring held after a kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The old set, and the fake never rotated it: the kill came before the answer.
    OldKept,
    /// The old set, but the fake had rotated it: the new set was lost in flight.
    RotatedButLost,
    /// The new set was saved (the index may lag until the next read).
    NewSaved,
}

fn tokens(home: &std::path::Path, id: &str) -> (TokenSet, latch_core::model::Account) {
    let latch = Latch::open(Some(home.to_owned())).expect("the store opens after a kill");
    let account = latch.find(id).expect("the index loads and has the account");
    let secrets = latch.secrets(&account).expect("the keyring entry loads");
    let set = secrets.tokens.expect("a token set is there");
    (set, account)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_killed_at_any_moment_leaves_the_old_or_the_new_set_never_a_broken_one() {
    let env = env().await;
    let seed = std::env::var("LATCH_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1);
    println!("LATCH_CRASH_SEED={seed}");
    let mut dice = Dice(seed);
    let fake = env.sandbox.wordapp();
    let id = env.wordapp_password_account();
    let mut outcomes: BTreeMap<Outcome, u32> = BTreeMap::new();
    let (mut finished_before_kill, mut index_lagged) = (0, 0);

    for trial in 0..TRIALS {
        let context = |what: &str| format!("trial {trial} (seed {seed}): {what}");
        let (old, _) = tokens(env.home.path(), &id);
        let old_refresh = old.refresh_token.clone().expect("a refresh token").secret().to_owned();
        assert!(
            fake.is_refresh_token_live(&old_refresh),
            "{}",
            context("the baseline is live")
        );

        // The fake holds its answer for 0–20 ms, so the request is in flight for a while.
        let answer_delay = Duration::from_millis(dice.below(20));
        fake.inject("wordapp.token", Fault::once(FaultKind::Delay(answer_delay)));
        let requests_before = fake.count("wordapp.token");
        let mut child = env
            .cmd(&["refresh", &id])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if dice.below(4) == 0 {
            // Anywhere from start-up to the request.
            std::thread::sleep(Duration::from_micros(dice.below(40_000)));
        } else {
            // Around the answer: from just before it to well into the writes.
            let deadline = Instant::now() + Duration::from_secs(20);
            while fake.count("wordapp.token") == requests_before && child.try_wait().unwrap().is_none() {
                assert!(Instant::now() < deadline, "{}", context("the request never came"));
                std::thread::sleep(Duration::from_micros(200));
            }
            let around = answer_delay.as_micros() as u64 + dice.below(12_000);
            std::thread::sleep(Duration::from_micros(around.saturating_sub(2_000)));
        }
        if child.try_wait().unwrap().is_some() {
            finished_before_kill += 1;
        } else {
            child.kill().unwrap(); // SIGKILL
        }
        child.wait().unwrap();
        fake.clear_faults();

        let (now, account) = tokens(env.home.path(), &id);
        let now_refresh = now.refresh_token.clone().expect("a refresh token").secret().to_owned();
        let outcome = if now_refresh == old_refresh {
            assert_eq!(
                now.access_token.secret(),
                old.access_token.secret(),
                "{}",
                context("the old refresh token with some other access token")
            );
            if fake.is_refresh_token_live(&old_refresh) {
                Outcome::OldKept
            } else {
                Outcome::RotatedButLost
            }
        } else {
            assert!(
                fake.is_refresh_token_live(&now_refresh),
                "{}",
                context("a new refresh token the fake never issued")
            );
            assert_ne!(
                now.access_token.secret(),
                old.access_token.secret(),
                "{}",
                context("a mixed set")
            );
            Outcome::NewSaved
        };
        *outcomes.entry(outcome).or_default() += 1;

        if outcome == Outcome::RotatedButLost {
            let out = env.run(&["refresh", &id], "");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(4),
                "{}: {stderr}",
                context("refresh after a lost rotation")
            );
            assert!(
                stderr.contains("connect the account again"),
                "{}: {stderr}",
                context("the message")
            );
            let (_, account) = tokens(env.home.path(), &id);
            assert!(
                matches!(account.status, AccountStatus::NeedsReconnect { .. }),
                "{}: {:?}",
                context("the account shows it"),
                account.status
            );
            env.ok(&["connect", &id], "demo-password\n");
        } else if outcome == Outcome::NewSaved && account.token.as_ref().and_then(|t| t.expires_at) != now.expires_at {
            // Killed between the keyring and the index: the next read mends the index.
            index_lagged += 1;
            let printed = env.ok(&["token", &id], "");
            assert_eq!(printed.trim(), now.access_token.secret(), "{}", context("latch token"));
            let (_, account) = tokens(env.home.path(), &id);
            assert_eq!(
                account.token.and_then(|t| t.expires_at),
                now.expires_at,
                "{}",
                context("the index follows the keyring after a read")
            );
        }
    }

    println!(
        "{TRIALS} kills: {outcomes:?}; the index lagged the keyring {index_lagged} times; \
         {finished_before_kill} runs had finished before the kill"
    );
    // The trials reached every phase that matters, or the test proved little.
    for phase in [Outcome::OldKept, Outcome::RotatedButLost, Outcome::NewSaved] {
        assert!(
            outcomes.get(&phase).copied().unwrap_or(0) > 0,
            "no trial ended as {phase:?} (seed {seed}): {outcomes:?}"
        );
    }
    // And the account still works at the end.
    let out = env.ok(&["token", &id], "");
    assert!(!out.trim().is_empty());
}
