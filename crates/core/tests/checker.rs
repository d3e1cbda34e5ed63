//! Issue 16, item 5: the window's periodic check, against the fakes. A round
//! asks each account's provider whether its credential works, turns a dead
//! one to "needs reconnect", and keeps a second between two calls to one
//! server, so GREEN-API's one request per second per instance holds.

use latch_core::checker::{Pacer, round};
use latch_core::model::{AccountStatus, Grant};
use latch_core::secret::Password;
use latch_core::store::MemoryStore;
use latch_core::{EngineConfig, Latch};
use latch_sandbox::harness::{SCHEME_REDIRECT, account, sandbox};
use latch_sandbox::{DemoCredentials, demo};
use std::sync::Arc;

/// A Latch on a fresh data directory with an in-memory keyring, and where
/// the sandbox's fakes listen.
fn latch_on(sb: &latch_sandbox::Sandbox) -> (tempfile::TempDir, Latch, demo::BaseUrls) {
    let home = tempfile::tempdir().unwrap();
    let latch = Latch::with_secrets(
        Some(home.path().to_owned()),
        Arc::new(MemoryStore::new()),
        EngineConfig::default(),
    )
    .unwrap();
    let urls = demo::BaseUrls {
        wazzup: sb.wazzup().base_url(),
        payu: sb.payu().base_url(),
        wordapp: sb.wordapp().base_url(),
        green_api: sb.green_api().base_url(),
        oauth2: sb.oauth2().base_url(),
    };
    (home, latch, urls)
}

#[tokio::test]
async fn a_round_finds_the_dead_token_and_paces_calls_to_one_instance() {
    let sb = sandbox().await;
    sb.green_api().settings().rate_limits = true;
    let (_home, latch, urls) = latch_on(&sb);
    let d = DemoCredentials::default();
    // Two accounts on the one demo instance: without the pacing, the second
    // test call comes within the second and the fake answers 429.
    // Linked: the demo instance's WhatsApp is authorized.
    assert!(sb.green_api().set_state(
        d.green_api_id_instance,
        Some(latch_sandbox::green_api::InstanceState::Authorized)
    ));
    for id in ["whatsapp-a", "whatsapp-b"] {
        let (mut a, s) = account(demo::green_api(&urls, &d), id);
        a.status = AccountStatus::Linked;
        latch.add(a, s).unwrap();
    }
    let (a, s) = account(demo::wordapp(&urls, &d, SCHEME_REDIRECT, Grant::Password), "robot");
    let robot = latch.add(a, s).unwrap();
    latch
        .connect_with_password(&robot, &d.wordapp_username, Password::new(d.wordapp_password.clone()))
        .await
        .unwrap();
    let (a, s) = account(
        demo::wordapp(&urls, &d, SCHEME_REDIRECT, Grant::ClientCredentials),
        "never-connected",
    );
    latch.add(a, s).unwrap();
    // The user revokes the access at Wordapp: the access and the refresh
    // token die (the password grant names no client, document 004).
    sb.wordapp().revoke_grant(&d.wordapp_username, "");

    let mut results = Vec::new();
    round(&latch, &mut Pacer::default(), |id, result| {
        results.push((id.to_string(), result.as_ref().map_err(|e| e.to_string()).err()));
    })
    .await;

    results.sort();
    assert_eq!(
        results.len(),
        3,
        "the never-connected account is not asked about: {results:?}"
    );
    assert_eq!(results[0].0, "robot");
    assert!(
        results[0]
            .1
            .as_deref()
            .is_some_and(|e| e.contains("connect the account again")),
        "{results:?}"
    );
    assert_eq!(results[1], ("whatsapp-a".into(), None), "{results:?}");
    assert_eq!(
        results[2],
        ("whatsapp-b".into(), None),
        "paced: no 429 for the second call"
    );
    assert_eq!(sb.green_api().count("green_api.getStateInstance"), 2);
    let robot = latch.find("robot").unwrap();
    assert!(
        matches!(robot.status, AccountStatus::NeedsReconnect { .. }),
        "{:?}",
        robot.status
    );
    assert_eq!(latch.find("whatsapp-a").unwrap().status, AccountStatus::Linked);
}

/// Issue 17, item 5: a GREEN-API instance whose WhatsApp was unlinked (the
/// phone logged the device out) still takes its token, so the test call
/// succeeds; its answer says `notAuthorized`, and the round turns the
/// account to "needs reconnect" with the reason, as a dead token would.
#[tokio::test]
async fn a_round_finds_an_instance_whatsapp_was_unlinked_from() {
    let sb = sandbox().await;
    let (_home, latch, urls) = latch_on(&sb);
    let d = DemoCredentials::default();
    assert!(sb.green_api().set_state(
        d.green_api_id_instance,
        Some(latch_sandbox::green_api::InstanceState::Authorized)
    ));
    let (mut a, s) = account(demo::green_api(&urls, &d), "whatsapp");
    a.status = AccountStatus::Linked;
    latch.add(a, s).unwrap();
    let check = async || {
        let mut results = Vec::new();
        round(&latch, &mut Pacer::default(), |_, result| {
            results.push(result.as_ref().map_err(|e| e.to_string()).err());
        })
        .await;
        results
    };
    assert_eq!(check().await, [None], "linked: usable");

    assert!(sb.green_api().set_state(
        d.green_api_id_instance,
        Some(latch_sandbox::green_api::InstanceState::Starting)
    ));
    assert_eq!(check().await, [None], "starting passes by itself");

    assert!(sb.green_api().set_state(
        d.green_api_id_instance,
        Some(latch_sandbox::green_api::InstanceState::NotAuthorized)
    ));
    let results = check().await;
    assert!(
        results[0].as_deref().is_some_and(|e| e.contains("no longer linked")),
        "{results:?}"
    );
    match latch.find("whatsapp").unwrap().status {
        AccountStatus::NeedsReconnect { reason } => assert!(reason.contains("link the number again"), "{reason}"),
        other => panic!("{other:?}"),
    }
}
