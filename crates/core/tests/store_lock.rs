//! Two Latch processes that want to refresh the same account take turns: the
//! second waits for the first and then uses the token the first stored.
//!
//! Each process is the `latch-store-refresher` helper; they report through
//! one append-only log file, whose order is the order things happened.

#![cfg(unix)]

mod support;

use latch_core::model::TokenMeta;
use latch_core::store::{MemoryStore, Store, StoreError};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Duration;

struct Scene {
    dir: tempfile::TempDir,
    log: PathBuf,
    store: Store,
}

impl Scene {
    /// A data directory with one account whose token expired a minute ago.
    fn with_expired_account(id: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(Some(dir.path().join("home")), Arc::new(MemoryStore::new())).unwrap();
        let mut account = support::account(id);
        account.token = Some(TokenMeta {
            token_type: "Bearer".into(),
            obtained_at: support::now() - 3660,
            expires_at: Some(support::now() - 60),
            has_refresh_token: true,
            ..TokenMeta::default()
        });
        store.upsert_account(&account).unwrap();
        let log = dir.path().join("log");
        Scene { dir, log, store }
    }

    fn refresher(&self, id: &str, tag: &str, extra: &[&str]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_latch-store-refresher"))
            .arg(self.store.home())
            .args([id, self.log.to_str().unwrap(), tag])
            .args(extra)
            .spawn()
            .unwrap()
    }

    fn lines(&self) -> Vec<String> {
        read_lines(&self.log)
    }

    fn wait_for_line(&self, line: &str) {
        support::wait_until(line, Duration::from_secs(20), || self.lines().iter().any(|l| l == line));
    }

    fn position(&self, line: &str) -> usize {
        let lines = self.lines();
        lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("no {line:?} in {lines:#?}"))
    }
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn finish(mut child: Child) {
    assert!(child.wait().unwrap().success(), "a refresher failed");
}

#[test]
fn second_process_waits_for_the_first_and_uses_its_token() {
    let scene = Scene::with_expired_account("wazzup-main");
    let release = scene.dir.path().join("release");
    let first = scene.refresher("wazzup-main", "A", &["--hold-until", release.to_str().unwrap()]);
    scene.wait_for_line("A provider-call");

    let second = scene.refresher("wazzup-main", "B", &["--probe-first"]);
    // B found the lock taken and is now queued behind A.
    scene.wait_for_line("B found-held");
    assert!(
        !scene.lines().contains(&"B acquired".to_string()),
        "B got in while A held the account"
    );
    std::fs::write(&release, "").unwrap();
    finish(first);
    finish(second);

    let lines = scene.lines();
    assert!(
        scene.position("A releasing") < scene.position("B acquired"),
        "{lines:#?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.ends_with("provider-call")).count(),
        1,
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"B reused".to_string()),
        "B did not use A's token: {lines:#?}"
    );
    // And this process sees the refreshed token without reopening.
    let expires = scene
        .store
        .account(&support::id("wazzup-main"))
        .unwrap()
        .unwrap()
        .token
        .unwrap()
        .expires_at;
    assert!(expires.unwrap() > support::now() + 3000);
}

#[test]
fn processes_refreshing_the_same_expired_account_at_once_call_the_provider_once() {
    let scene = Scene::with_expired_account("payu-uat");
    // A slow provider (150 ms) widens the window in which they overlap.
    let children: Vec<Child> = ["P1", "P2", "P3", "P4"]
        .iter()
        .map(|tag| scene.refresher("payu-uat", tag, &["--call-ms", "150"]))
        .collect();
    children.into_iter().for_each(finish);

    let lines = scene.lines();
    assert_eq!(
        lines.iter().filter(|l| l.ends_with("provider-call")).count(),
        1,
        "{lines:#?}"
    );
    assert_eq!(lines.iter().filter(|l| l.ends_with("reused")).count(), 3, "{lines:#?}");
}

#[test]
fn different_accounts_refresh_in_parallel() {
    let scene = Scene::with_expired_account("wazzup-main");
    scene.store.upsert_account(&support::account("green-shop")).unwrap();
    let release = scene.dir.path().join("release");
    let holder = scene.refresher("wazzup-main", "A", &["--hold-until", release.to_str().unwrap()]);
    scene.wait_for_line("A provider-call");

    // green-shop has no token yet, so it "refreshes" too, while A still holds wazzup-main.
    finish(scene.refresher("green-shop", "G", &["--probe-first"]));
    assert!(
        scene.lines().contains(&"G acquired-at-once".to_string()),
        "{:#?}",
        scene.lines()
    );
    assert!(!scene.lines().contains(&"A releasing".to_string()));

    std::fs::write(&release, "").unwrap();
    finish(holder);
}

#[test]
fn waiting_too_long_for_another_process_gives_a_plain_error() {
    let scene = Scene::with_expired_account("wordapp");
    let release = scene.dir.path().join("release");
    let holder = scene.refresher("wordapp", "A", &["--hold-until", release.to_str().unwrap()]);
    scene.wait_for_line("A provider-call");

    let err = scene
        .store
        .lock_account_for(&support::id("wordapp"), Duration::from_millis(100))
        .unwrap_err();
    assert!(matches!(err, StoreError::Lock(_)), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("another Latch process") && message.contains("wordapp"),
        "{message}"
    );

    std::fs::write(&release, "").unwrap();
    finish(holder);
    drop(
        scene
            .store
            .lock_account_for(&support::id("wordapp"), Duration::ZERO)
            .expect("released at exit"),
    );
}

#[test]
fn a_killed_holder_releases_the_account() {
    let scene = Scene::with_expired_account("wazzup-main");
    let never = scene.dir.path().join("never");
    let mut holder = scene.refresher("wazzup-main", "A", &["--hold-until", never.to_str().unwrap()]);
    scene.wait_for_line("A provider-call");
    holder.kill().unwrap();
    holder.wait().unwrap();
    drop(
        scene
            .store
            .lock_account_for(&support::id("wazzup-main"), Duration::from_secs(5))
            .expect("lock freed"),
    );
}
