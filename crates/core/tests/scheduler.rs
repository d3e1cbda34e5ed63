//! The scheduler against a fake provider: a short-lived token is refreshed
//! before it expires, once per lifetime; a refused refresh is not retried.

mod flows_support;

use flows_support::*;
use latch_core::accounts::Latch;
use latch_core::model::{AccountStatus, Grant};
use latch_core::scheduler::{self, Event};
use latch_core::store::MemoryStore;
use latch_sandbox::{Fault, FaultKind};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

fn latch() -> (Latch, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let latch = Latch::with_secrets(
        Some(home.path().into()),
        Arc::new(MemoryStore::new()),
        Default::default(),
    )
    .unwrap();
    (latch, home)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_refreshes_a_short_lived_token_before_it_expires_once_per_life() {
    let sb = sandbox().await;
    sb.wordapp().settings().expires_in = 4;
    let (latch, _home) = latch();
    let (account, secrets) = wordapp(&sb, Grant::ClientCredentials);
    let account = latch.add(account, secrets).unwrap();
    latch.connect_with_client_credentials(&account).await.unwrap();
    let first_expiry = latch
        .find(account.id.as_str())
        .unwrap()
        .token
        .unwrap()
        .expires_at
        .unwrap();

    let wake = Notify::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let run = scheduler::run(&latch, &wake, move |e| {
        let _ = tx.send(e);
    });
    let watch = async {
        let mut refreshed = 0;
        while refreshed < 2 {
            match rx.recv().await.unwrap() {
                Event::Refreshed(_) => {
                    refreshed += 1;
                    if refreshed == 1 {
                        assert!(
                            latch_core::time::now() < first_expiry,
                            "refreshed before the token expired"
                        );
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    tokio::select! {
        _ = run => unreachable!(),
        _ = watch => {}
        _ = tokio::time::sleep(Duration::from_secs(15)) => panic!("no two refreshes within 15 s"),
    }
    // Two lifetimes of 4 s: two refreshes plus the first grant, never more.
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "not a loop: {:?}",
        started.elapsed()
    );
    assert_eq!(sb.wordapp().count("wordapp.token"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_does_not_retry_a_refused_refresh() {
    let sb = sandbox().await;
    sb.wazzup().settings().expires_in = 2;
    let (latch, _home) = latch();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let account = latch.add(account, secrets).unwrap();
    let (url, flow) = latch.start_authorization(&account, None).unwrap();
    let callback = latch_core::flows::CallbackParams::from_url(&browse(&url).await).unwrap();
    latch.complete_authorization(&account, flow, callback).await.unwrap();
    sb.wazzup().inject(
        "wazzup.token",
        Fault::always(FaultKind::json_status(
            401,
            serde_json::json!({"error": "OAUTH_REFRESH_TOKEN_INVALID", "description": "expired"}),
        )),
    );

    let wake = Notify::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = scheduler::run(&latch, &wake, move |e| {
        let _ = tx.send(e);
    });
    tokio::select! {
        _ = run => unreachable!(),
        event = rx.recv() => assert!(matches!(event, Some(Event::NeedsReconnect(..))), "{event:?}"),
        _ = tokio::time::sleep(Duration::from_secs(10)) => panic!("no refresh attempt"),
    }
    let calls = sb.wazzup().count("wazzup.token");
    // Another few seconds: the scheduler leaves the account alone.
    let run = scheduler::run(&latch, &wake, |e| panic!("retried: {e:?}"));
    let _ = tokio::time::timeout(Duration::from_secs(3), run).await;
    assert_eq!(sb.wazzup().count("wazzup.token"), calls);
    assert!(matches!(
        latch.find(account.id.as_str()).unwrap().status,
        AccountStatus::NeedsReconnect { .. }
    ));
}
