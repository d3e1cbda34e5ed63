//! The cross-process lock hook around refresh: taken for the whole refresh,
//! and honoured — after waiting for it, a set another process renewed is
//! used without a request.

mod flows_support;

use flows_support::*;
use latch_core::model::{AccountId, Grant};
use latch_core::store::SecretStore;
use latch_core::{CrossProcessLock, Error, ErrorKind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Counts locks; optionally plays "another process" renewing the stored set
/// while we waited for the lock.
struct RecordingLock {
    taken: AtomicUsize,
    meanwhile: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl CrossProcessLock for RecordingLock {
    fn lock(&self, _id: &AccountId) -> Result<Box<dyn Send>, Error> {
        self.taken.fetch_add(1, Ordering::SeqCst);
        if let Some(other_process) = self.meanwhile.lock().unwrap().take() {
            other_process();
        }
        Ok(Box::new(()))
    }
}

struct BrokenLock;

impl CrossProcessLock for BrokenLock {
    fn lock(&self, _id: &AccountId) -> Result<Box<dyn Send>, Error> {
        Err(Error::Storage(
            "another Latch process held account `wazzup-main` for more than 60 s".into(),
        ))
    }
}

#[tokio::test]
async fn refresh_takes_the_cross_process_lock() {
    let sb = sandbox().await;
    let lock = Arc::new(RecordingLock {
        taken: AtomicUsize::new(0),
        meanwhile: Mutex::new(None),
    });
    let engine = engine().with_cross_process_lock(lock.clone());
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let store = store_with(&account, &secrets, connect(&engine, &account, &secrets).await);
    engine.refresh(&account, &store).await.unwrap();
    assert_eq!(lock.taken.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_set_renewed_by_another_process_while_waiting_is_used_without_a_request() {
    let sb = sandbox().await;
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let plain = engine();
    let mut expiring = connect(&plain, &account, &secrets).await;
    expiring.expires_at = Some(now() + 10);
    let store = Arc::new(store_with(&account, &secrets, expiring.clone()));
    let mut renewed = expiring.clone();
    renewed.access_token = latch_core::secret::AccessToken::new("renewed-by-the-cli");
    renewed.expires_at = Some(now() + 86400);
    let (other_store, other_set, id) = (store.clone(), renewed.clone(), account.id.clone());
    let lock = Arc::new(RecordingLock {
        taken: AtomicUsize::new(0),
        meanwhile: Mutex::new(Some(Box::new(move || {
            let mut s = other_store.get(&id).unwrap().unwrap();
            s.tokens = Some(other_set);
            other_store.put(&id, &s).unwrap();
        }))),
    });
    let engine = engine().with_cross_process_lock(lock);
    let calls = sb.wazzup().count("wazzup.token");
    let got = engine
        .valid_token(&account, store.as_ref(), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(got, renewed);
    assert_eq!(
        sb.wazzup().count("wazzup.token"),
        calls,
        "no request: the other process already renewed it"
    );
}

#[tokio::test]
async fn a_lock_that_cannot_be_taken_stops_the_refresh_with_its_message() {
    let sb = sandbox().await;
    let engine = engine().with_cross_process_lock(Arc::new(BrokenLock));
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let store = store_with(&account, &secrets, connect(&engine, &account, &secrets).await);
    let calls = sb.wazzup().count("wazzup.token");
    let e = engine.refresh(&account, &store).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.to_string().contains("another Latch process held"), "{e}");
    assert_eq!(sb.wazzup().count("wazzup.token"), calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stores_file_lock_makes_a_refresh_wait_for_the_other_holder() {
    let sb = sandbox().await;
    let home = tempfile::tempdir().unwrap();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let first = connect(&engine(), &account, &secrets).await;
    let secret_store = Arc::new(store_with(&account, &secrets, first.clone()));
    let store = Arc::new(latch_core::store::Store::open(Some(home.path().to_owned()), secret_store.clone()).unwrap());
    let engine = Arc::new(engine().with_cross_process_lock(store.clone()));

    let held = store.lock_account(&account.id).unwrap(); // "the CLI" is refreshing
    let calls = sb.wazzup().count("wazzup.token");
    let task = {
        let (engine, account, secret_store) = (engine.clone(), account.clone(), secret_store.clone());
        tokio::spawn(async move { engine.refresh(&account, secret_store.as_ref()).await })
    };
    // While the lock is held, no request goes out (observed for a while, not slept past).
    let watch_until = std::time::Instant::now() + Duration::from_millis(300);
    while std::time::Instant::now() < watch_until {
        assert_eq!(
            sb.wazzup().count("wazzup.token"),
            calls,
            "refreshed while another holder had the lock"
        );
        assert!(!task.is_finished());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(held);
    let renewed = task.await.unwrap().unwrap();
    assert_ne!(renewed.access_token, first.access_token);
    assert_eq!(sb.wazzup().count("wazzup.token"), calls + 1);
}
