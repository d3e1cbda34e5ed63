//! The scheduler against a fake provider: a short-lived token is refreshed
//! before it expires, once per lifetime; a refused refresh is not retried;
//! passing faults are reported and backed off from, a 429's Retry-After is
//! honoured, and the scheduler refreshes once the fault clears — without
//! being restarted, and without losing the stored set on the way.

mod flows_support;

use flows_support::*;
use latch_core::Latch;
use latch_core::http::HttpConfig;
use latch_core::model::{Account, AccountStatus, ClientAuth, Grant};
use latch_core::scheduler::{self, Backoff, Event};
use latch_core::store::{MemoryStore, SecretStore};
use latch_core::{EngineConfig, ErrorKind, TokenSet};
use latch_sandbox::{Fault, FaultKind, Sandbox};
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

/// A Latch with one-second timeouts over a memory keyring, and an OAuth 2.0
/// account connected with a token that is due for refresh at once (it lives
/// two seconds; the fake rotates refresh tokens).
async fn short_lived(sb: &Sandbox) -> (Latch, Arc<MemoryStore>, Account, TokenSet, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::new());
    let config = EngineConfig {
        http: HttpConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
            ..Default::default()
        },
        ..Default::default()
    };
    let latch = Latch::with_secrets(Some(home.path().into()), secrets.clone(), config).unwrap();
    sb.oauth2().settings().expires_in = 2;
    let (account, account_secrets) = oauth2(sb, ClientAuth::Basic, true, Grant::AuthorizationCode);
    let account = latch.add(account, account_secrets).unwrap();
    let (url, flow) = latch.start_authorization(&account, None).unwrap();
    let callback = latch_core::flows::CallbackParams::from_url(&browse(&url).await).unwrap();
    let first = latch.complete_authorization(&account, flow, callback).await.unwrap();
    sb.oauth2().settings().expires_in = 3600;
    (latch, secrets, account, first, home)
}

/// Backoff short enough to watch: one second, always.
const QUICK: Backoff = Backoff {
    first: Duration::from_secs(1),
    max: Duration::from_secs(1),
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_rides_out_every_passing_fault_and_refreshes_once_it_clears() {
    let sb = sandbox().await;
    let (latch, secrets, account, first, _home) = short_lived(&sb).await;
    let faults = [
        FaultKind::Status {
            status: 500,
            body: String::new(),
            content_type: "text/plain".into(),
            headers: vec![],
        },
        FaultKind::html_status(502, "<html><h1>502 Bad Gateway</h1></html>"),
        FaultKind::ConnectionReset,
        FaultKind::Delay(Duration::from_secs(3)),
        FaultKind::Trickle {
            bytes_per_sec: 20,
            total: 1200,
        },
        FaultKind::HugeBody(10 << 20),
        FaultKind::Json(serde_json::json!({"access_token": "x", "token_type": "mac", "expires_in": 3600})),
        FaultKind::Json(serde_json::json!({"access_token": "x", "expires_in": 0})),
    ];
    for fault in &faults {
        sb.oauth2().inject("oauth2.token", Fault::once(fault.clone()));
    }
    let before = sb.oauth2().count("oauth2.token");

    let wake = Notify::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = scheduler::run_with(&latch, &wake, QUICK, move |e| {
        let _ = tx.send(e);
    });
    let watch = async {
        let mut failed = Vec::new();
        loop {
            match rx.recv().await.unwrap() {
                Event::Failed { error, retry_in, .. } => {
                    assert_eq!(retry_in, Duration::from_secs(1), "{error}");
                    let stored = secrets.get(&account.id).unwrap().unwrap().tokens.unwrap();
                    assert_eq!(stored, first, "a failed refresh loses nothing ({error})");
                    failed.push(error.kind());
                }
                Event::Refreshed(_) => return failed,
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    let failed = tokio::select! {
        _ = run => unreachable!("the scheduler never stops by itself"),
        failed = watch => failed,
        _ = tokio::time::sleep(Duration::from_secs(40)) => panic!("no recovery within 40 s"),
    };
    assert_eq!(
        failed,
        [
            ErrorKind::ProviderRefused,
            ErrorKind::InvalidAnswer,
            ErrorKind::Network,
            ErrorKind::Timeout,
            ErrorKind::Timeout,
            ErrorKind::InvalidAnswer,
            ErrorKind::InvalidAnswer,
            ErrorKind::InvalidAnswer,
        ]
    );
    assert_eq!(
        sb.oauth2().count("oauth2.token") - before,
        faults.len() + 1,
        "one request per attempt"
    );
    let now = latch.find(account.id.as_str()).unwrap();
    assert_eq!(now.status, AccountStatus::Connected);
    let stored = secrets.get(&account.id).unwrap().unwrap().tokens.unwrap();
    assert_ne!(stored.access_token, first.access_token, "refreshed in the end");
    assert_eq!(now.token, Some(stored.meta()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduler_waits_at_least_retry_after_after_a_429() {
    let sb = sandbox().await;
    let (latch, _secrets, account, _first, _home) = short_lived(&sb).await;
    sb.oauth2().inject(
        "oauth2.token",
        Fault::once(FaultKind::Status {
            status: 429,
            body: String::new(),
            content_type: "text/plain".into(),
            headers: vec![("Retry-After".into(), "3".into())],
        }),
    );
    let before = sb.oauth2().count("oauth2.token");

    let wake = Notify::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = scheduler::run_with(&latch, &wake, QUICK, move |e| {
        let _ = tx.send((Instant::now(), e));
    });
    let watch = async {
        let (failed_at, event) = rx.recv().await.unwrap();
        let Event::Failed { error, retry_in, .. } = event else {
            panic!("{event:?}")
        };
        assert!(error.to_string().contains("try again in 3 seconds"), "{error}");
        assert_eq!(
            retry_in,
            Duration::from_secs(3),
            "Retry-After beats the one-second backoff"
        );
        let (refreshed_at, event) = rx.recv().await.unwrap();
        assert!(matches!(event, Event::Refreshed(_)), "{event:?}");
        refreshed_at - failed_at
    };
    let waited = tokio::select! {
        _ = run => unreachable!(),
        waited = watch => waited,
        _ = tokio::time::sleep(Duration::from_secs(20)) => panic!("no refresh after the 429"),
    };
    assert!(waited >= Duration::from_secs(3), "retried after {waited:?}");
    assert_eq!(sb.oauth2().count("oauth2.token") - before, 2);
    assert_eq!(
        latch.find(account.id.as_str()).unwrap().status,
        AccountStatus::Connected
    );
}
