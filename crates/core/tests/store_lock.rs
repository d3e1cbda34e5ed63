//! Two Latch processes that want to refresh the same account take turns: the
//! second waits for the first and then uses the token the first stored.
//!
//! Each process is the `latch-store-refresher` helper. With `--latch` it is
//! the product's own `Latch::valid_token` on the real keyring, against the
//! fake Wordapp behind a gate this test opens and closes: the test sees who
//! waits for the account's lock (the lock file open in /proc) and which
//! request is held, so the overlap is a handshake, not a sleep. Without it
//! the helper exercises the store's lock alone and reports through one
//! append-only log file, whose order is the order things happened.

#![cfg(unix)]

use latch_sandbox::harness::keyring_bus;
mod support;

use latch_core::Latch;
use latch_core::model::{AccountSecrets, Grant, ProviderSettings, TokenMeta, WordappSettings};
use latch_core::secret::{ClientSecret, Password};
use latch_core::store::{MemoryStore, Store, StoreError};
use latch_sandbox::{DemoCredentials, Sandbox, SandboxConfig};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// A Wordapp account connected through a [`Gate`], in a home of its own on
/// the real keyring, whose token expires within `latch token`'s minute.
struct Connected {
    sb: Sandbox,
    gate: Arc<Gate>,
    dir: tempfile::TempDir,
    home: PathBuf,
    log: PathBuf,
    latch: Latch,
    id: String,
}

async fn connected_expiring_account(name: &str) -> Connected {
    keyring_bus();
    let sb = Sandbox::start(SandboxConfig::demo()).await.expect("sandbox");
    let gate = Gate::start(&sb.wordapp().base_url()).await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let latch = Latch::open(Some(home.clone())).unwrap();
    let demo = DemoCredentials::default();
    let id = format!("{name}-{}", std::process::id());
    let mut account = support::account(&id);
    account.settings = ProviderSettings::Wordapp(WordappSettings {
        base_url: gate.url.clone(),
        grant: Grant::Password,
        client_id: Some(demo.wordapp_client_id.clone()),
        redirect_uri: None,
        username: Some(demo.wordapp_username.clone()),
        api_version: None,
    });
    let secrets = AccountSecrets {
        client_secret: Some(ClientSecret::new(demo.wordapp_client_secret.clone())),
        ..AccountSecrets::default()
    };
    let account = latch.add(account, secrets).unwrap();
    // 30 s left: less than the minute `latch token` wants, so it refreshes.
    sb.wordapp().settings().expires_in = 30;
    latch
        .connect_with_password(&account, "", Password::new(demo.wordapp_password))
        .await
        .unwrap();
    sb.wordapp().settings().expires_in = 3600;
    let log = dir.path().join("log");
    Connected {
        sb,
        gate,
        dir,
        home,
        log,
        latch,
        id,
    }
}

impl Connected {
    /// `latch-store-refresher … --latch`: the product's `valid_token` in a process of its own.
    fn token_process(&self, tag: &str) -> Child {
        Command::new(env!("CARGO_BIN_EXE_latch-store-refresher"))
            .arg(&self.home)
            .args([self.id.as_str(), self.log.to_str().unwrap(), tag, "--latch"])
            .spawn()
            .unwrap()
    }

    fn lock_file(&self) -> PathBuf {
        self.home.join("locks").join(format!("{}.lock", self.id))
    }

    fn tokens_logged(&self) -> Vec<String> {
        read_lines(&self.log)
            .iter()
            .map(|l| l.split_once(" token ").expect("a token line").1.to_owned())
            .collect()
    }

    fn stored_access_token(&self) -> String {
        let account = self.latch.find(&self.id).unwrap();
        let secrets = self.latch.secrets(&account).unwrap();
        secrets.tokens.unwrap().access_token.secret().to_owned()
    }
}

/// Whether process `pid` has `path` open: a Latch process opens the
/// account's lock file only to take the lock, inside the refresh.
fn has_open(pid: u32, path: &Path) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == path))
}

/// Waits (polling, with a deadline) for `done`, from a blocking thread so
/// the fakes of this process keep answering.
async fn wait_until(what: &'static str, done: impl FnMut() -> bool + Send + 'static) {
    tokio::task::spawn_blocking(move || support::wait_until(what, Duration::from_secs(20), done))
        .await
        .unwrap();
}

async fn finish_async(child: Child) {
    tokio::task::spawn_blocking(move || finish(child)).await.unwrap();
}

/// The README: two processes never refresh the same account at once; the
/// second waits and uses the first one's token. A's refresh request is held
/// at the gate (A holds the account's lock) until B is seen waiting for the
/// lock — B has read the expiring set and is inside the product's refresh —
/// and only then is A let through. No sleep decides the overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_process_waits_for_the_first_and_uses_its_token() {
    let c = connected_expiring_account("wordapp-two").await;
    let old = c.stored_access_token();
    assert_eq!(c.sb.wordapp().count("wordapp.token"), 1, "the connect");
    c.gate.close();

    let a = c.token_process("A");
    let gate = c.gate.clone();
    wait_until("A's refresh request at the gate", move || gate.held() == 1).await;
    let b = c.token_process("B");
    let (b_pid, lock) = (b.id(), c.lock_file());
    wait_until("B waiting for the account's lock", move || has_open(b_pid, &lock)).await;
    assert!(
        read_lines(&c.log).is_empty(),
        "neither finished while A held the account"
    );
    assert_eq!(c.gate.held(), 1, "B sent nothing while A held the account");

    c.gate.open();
    finish_async(a).await;
    finish_async(b).await;

    assert_eq!(c.sb.wordapp().count("wordapp.token"), 2, "one refresh, by A");
    assert_eq!(c.gate.held(), 1);
    // A's was the one request (it was held at the gate while B waited for
    // the lock). Which of the two prints first is not part of the claim:
    // A lets go of the lock before it prints, and B may print before it.
    let tokens = c.tokens_logged();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], tokens[1], "B used A's token");
    assert_ne!(tokens[0], old, "a new token");
    assert_eq!(tokens[0], c.stored_access_token(), "the one in the keyring");
    // And this process's index follows without reopening.
    let expires = c.latch.find(&c.id).unwrap().token.unwrap().expires_at.unwrap();
    assert!(expires > support::now() + 3000, "{expires}");
    drop(c.dir);
}

/// Four processes ask at once; one refresh reaches the provider, the other
/// three are seen waiting for the lock before it is let through, and all
/// four print the same token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_refreshing_the_same_expiring_account_at_once_call_the_provider_once() {
    let c = connected_expiring_account("wordapp-four").await;
    c.gate.close();
    let children: Vec<Child> = ["P1", "P2", "P3", "P4"]
        .iter()
        .map(|tag| c.token_process(tag))
        .collect();
    let (pids, lock, gate) = (
        children.iter().map(Child::id).collect::<Vec<_>>(),
        c.lock_file(),
        c.gate.clone(),
    );
    // The holder has the lock file open too, while its request waits at the gate.
    wait_until("one request at the gate and four processes at the lock", move || {
        gate.held() >= 1 && pids.iter().all(|pid| has_open(*pid, &lock))
    })
    .await;
    assert_eq!(c.gate.held(), 1, "only the lock's holder calls the provider");
    c.gate.open();
    for child in children {
        finish_async(child).await;
    }

    assert_eq!(c.sb.wordapp().count("wordapp.token"), 2, "the connect and one refresh");
    let tokens = c.tokens_logged();
    assert_eq!(tokens.len(), 4, "{tokens:?}");
    assert!(tokens.iter().all(|t| *t == tokens[0]), "one token for all: {tokens:?}");
    assert_eq!(tokens[0], c.stored_access_token());
}

/// A TCP gate in front of a fake: while closed, each connection is held
/// (counted, nothing forwarded); opening lets them through. The account's
/// address is the gate's, so every request of it passes here.
struct Gate {
    url: String,
    held: AtomicUsize,
    open: tokio::sync::watch::Sender<bool>,
}

impl Gate {
    async fn start(target_url: &str) -> Arc<Gate> {
        let target = url::Url::parse(target_url).unwrap();
        let target = format!("{}:{}", target.host_str().unwrap(), target.port().unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (open, _) = tokio::sync::watch::channel(true);
        let gate = Arc::new(Gate {
            url,
            held: AtomicUsize::new(0),
            open,
        });
        let g = gate.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let (g, target) = (g.clone(), target.clone());
                tokio::spawn(async move {
                    let mut open = g.open.subscribe();
                    if !*open.borrow_and_update() {
                        g.held.fetch_add(1, Ordering::SeqCst);
                        let _ = open.wait_for(|o| *o).await;
                    }
                    let mut outbound = tokio::net::TcpStream::connect(&target).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
            }
        });
        gate
    }

    /// Connections that arrived while closed.
    fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    fn close(&self) {
        self.open.send_replace(false);
    }

    fn open(&self) {
        self.open.send_replace(true);
    }
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
