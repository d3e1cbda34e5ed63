//! Test helper: one Latch process refreshing one account, as the GUI and the
//! CLI do it, with a log of what it did.
//!
//! `latch-store-refresher <home> <account> <log> <tag> --latch` asks the
//! product for a valid token as `latch token` does (`Latch::valid_token` on
//! the real keyring: the store's lock, the re-read under it, the provider
//! call) and logs `token <access token>`. The tests watch it from outside.
//!
//! `latch-store-refresher <home> <account> <log> <tag> [--probe-first]
//! [--hold-until <file>]` exercises the store's lock alone: under the
//! account lock it re-reads the account: if the token has expired it plays
//! the provider call (logs `provider-call`, optionally holds until `<file>`
//! exists) and stores a token valid for an hour; otherwise it logs `reused`. `--probe-first` tries
//! the lock without waiting first and logs `found-held` if another process
//! holds it — so a test knows this process is queued, without sleeping.
//! Every log line is one append, so lines from processes never interleave.

#[path = "../support/mod.rs"]
mod support;

use latch_core::model::TokenMeta;
use latch_core::store::{MemoryStore, Store, StoreError};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let home = PathBuf::from(args.next().expect("home"));
    let id = support::id(&args.next().expect("account"));
    let log = PathBuf::from(args.next().expect("log"));
    let tag = args.next().expect("tag");
    let (mut probe_first, mut hold_until) = (false, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--latch" => return through_latch(home, &id, &log, &tag),
            "--probe-first" => probe_first = true,
            "--hold-until" => hold_until = Some(PathBuf::from(args.next().expect("file"))),
            other => panic!("unknown argument {other}"),
        }
    }
    let note = |what: &str| append(&log, &format!("{tag} {what}\n"));

    let store = Store::open(Some(home), Arc::new(MemoryStore::new())).expect("open store");
    note("trying");
    if probe_first {
        match store.lock_account_for(&id, Duration::ZERO) {
            Err(StoreError::Lock(_)) => note("found-held"),
            Err(other) => panic!("{other}"),
            Ok(_) => note("acquired-at-once"),
        }
    }
    let guard = store.lock_account(&id).expect("lock");
    note("acquired");
    let mut account = store.account(&id).expect("read").expect("account exists");
    let expired = account
        .token
        .as_ref()
        .and_then(|t| t.expires_at)
        .is_none_or(|at| at <= support::now());
    if expired {
        note("provider-call");
        if let Some(file) = &hold_until {
            support::wait_until("the release file", Duration::from_secs(30), || file.exists());
        }
        account.token = Some(TokenMeta {
            token_type: "Bearer".into(),
            obtained_at: support::now(),
            expires_at: Some(support::now() + 3600),
            has_refresh_token: true,
            ..TokenMeta::default()
        });
        store.upsert_account(&account).expect("store refreshed token");
    } else {
        note("reused");
    }
    note("releasing");
    drop(guard);
}

fn through_latch(home: PathBuf, id: &latch_core::AccountId, log: &Path, tag: &str) {
    let latch = latch_core::Latch::open(Some(home)).expect("open Latch");
    let account = latch.find(id.as_str()).expect("the account");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tokens = runtime
        .block_on(latch.valid_token(&account))
        .unwrap_or_else(|e| panic!("{tag}: {e}"));
    append(log, &format!("{tag} token {}\n", tokens.access_token.secret()));
}

fn append(log: &Path, line: &str) {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open log");
    file.write_all(line.as_bytes()).expect("append log");
}
