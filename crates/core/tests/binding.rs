//! Issue 15, item 1: an account's secrets go only to the servers they were
//! issued for. The index on disk is not secret and anything that can write
//! the data directory can change it; these tests change it the way such a
//! program would (as text, behind Latch's back) and check that the next call
//! sends nothing anywhere, says why, and that a person's confirmation is
//! what moves the secrets to a new server.

use latch_core::model::{AccountStatus, Grant};
use latch_core::store::MemoryStore;
use latch_core::{EngineConfig, ErrorKind, Latch};
use latch_sandbox::harness::{SCHEME_REDIRECT, account, sandbox};
use latch_sandbox::{DemoCredentials, Sandbox, demo};
use std::path::Path;
use std::sync::Arc;

fn latch(home: &Path) -> Latch {
    Latch::with_secrets(
        Some(home.to_owned()),
        Arc::new(MemoryStore::new()),
        EngineConfig::default(),
    )
    .unwrap()
}

/// What a sync tool or another program does: rewrites `index.json` as text.
fn rewrite_index(home: &Path, from: &str, to: &str) {
    let path = home.join("index.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} is not in the index");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

fn urls(sandbox: &Sandbox) -> demo::BaseUrls {
    demo::BaseUrls {
        wazzup: sandbox.wazzup().base_url(),
        payu: sandbox.payu().base_url(),
        wordapp: sandbox.wordapp().base_url(),
        green_api: sandbox.green_api().base_url(),
        oauth2: sandbox.oauth2().base_url(),
    }
}

fn changed(from: &str, to: &str) -> String {
    format!(
        "This account's server changed from {from} to {to}, so Latch sent nothing; if you made that change, connect the \
         account again to confirm the new server."
    )
}

/// Client credentials: without the binding, the refresh sent the client
/// secret to whatever `base_url` the index named.
#[tokio::test]
async fn a_token_server_edited_into_the_index_gets_nothing_until_confirmed() {
    let (honest, hostile) = (sandbox().await, sandbox().await);
    let home = tempfile::tempdir().unwrap();
    let latch = latch(home.path());
    let draft = demo::wordapp(
        &urls(&honest),
        &DemoCredentials::default(),
        SCHEME_REDIRECT,
        Grant::ClientCredentials,
    );
    let (robot, secrets) = account(draft, "robot");
    latch.add(robot.clone(), secrets).unwrap();
    latch.connect_with_client_credentials(&robot).await.unwrap();
    let (from, to) = (honest.wordapp().base_url(), hostile.wordapp().base_url());
    rewrite_index(home.path(), &from, &to);

    let edited = latch.find("robot").unwrap();
    let e = latch.refresh(&edited).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerChanged);
    assert_eq!(e.to_string(), changed(&from, &to));
    assert!(
        hostile.wordapp().requests().is_empty(),
        "the new server got {:?}",
        hostile.wordapp().requests()
    );
    assert_eq!(honest.wordapp().count("wordapp.token"), 1, "only the first connect");
    // The list says what happened, and the scheduler's batch refuses alike.
    let AccountStatus::NeedsReconnect { reason } = latch.find("robot").unwrap().status else {
        panic!("the account should need a person");
    };
    assert!(
        reason.starts_with(&format!("its server changed from {from} to {to}")),
        "{reason}"
    );
    let batch = latch.refresh_many(std::slice::from_ref(&edited), 4).await;
    assert_eq!(batch[0].as_ref().unwrap_err().kind(), ErrorKind::ServerChanged);
    assert!(hostile.wordapp().requests().is_empty());

    // Connecting again, confirmed by the person, binds the new server.
    let change = latch.server_change(&edited).unwrap().expect("a change to confirm");
    assert_eq!(change.to, std::slice::from_ref(&to));
    latch.confirm_servers(&edited).unwrap();
    latch.connect_with_client_credentials(&edited).await.unwrap();
    assert_eq!(hostile.wordapp().count("wordapp.token"), 1);
    assert_eq!(latch.server_change(&edited).unwrap(), None);
}

/// GREEN-API carries its token in the URL path: a changed `api_url` would
/// have put it in the new server's access log.
#[tokio::test]
async fn a_green_api_token_never_reaches_an_edited_api_url() {
    let (honest, hostile) = (sandbox().await, sandbox().await);
    let home = tempfile::tempdir().unwrap();
    let latch = latch(home.path());
    let (whatsapp, secrets) = account(demo::green_api(&urls(&honest), &DemoCredentials::default()), "whatsapp");
    latch.add(whatsapp.clone(), secrets).unwrap();
    latch.instance_state(&whatsapp).await.unwrap();
    let (from, to) = (honest.green_api().base_url(), hostile.green_api().base_url());
    rewrite_index(home.path(), &from, &to);

    let edited = latch.find("whatsapp").unwrap();
    for e in [
        latch.instance_state(&edited).await.unwrap_err(),
        latch.logout(&edited).await.unwrap_err(),
        latch.request_link_code(&edited, "+44 7700 900123").await.unwrap_err(),
        latch.revoke(&edited).await.unwrap_err(),
    ] {
        assert_eq!(e.to_string(), changed(&from, &to));
    }
    assert!(hostile.green_api().requests().is_empty());
}

/// An entry written before Latch recorded origins is bound on its next
/// write, to the servers the account names then, and checked from then on.
#[tokio::test]
async fn an_entry_without_a_record_is_bound_by_its_next_write() {
    let (honest, hostile) = (sandbox().await, sandbox().await);
    let home = tempfile::tempdir().unwrap();
    let secrets_store = Arc::new(MemoryStore::new());
    let latch = Latch::with_secrets(
        Some(home.path().to_owned()),
        secrets_store.clone(),
        EngineConfig::default(),
    )
    .unwrap();
    let draft = demo::wordapp(
        &urls(&honest),
        &DemoCredentials::default(),
        SCHEME_REDIRECT,
        Grant::ClientCredentials,
    );
    let (robot, secrets) = account(draft, "robot");
    latch.add(robot.clone(), secrets).unwrap();
    latch.connect_with_client_credentials(&robot).await.unwrap();
    // As an older Latch wrote it: the same secrets, no record.
    use latch_core::store::SecretStore;
    let mut old = secrets_store.get(&robot.id).unwrap().unwrap();
    old.origins.clear();
    secrets_store.put(&robot.id, &old).unwrap();

    latch.refresh(&robot).await.unwrap();
    let bound = secrets_store.get(&robot.id).unwrap().unwrap().origins;
    assert_eq!(bound, [honest.wordapp().base_url()]);
    rewrite_index(home.path(), &honest.wordapp().base_url(), &hostile.wordapp().base_url());
    let e = latch.refresh(&latch.find("robot").unwrap()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ServerChanged);
    assert!(hostile.wordapp().requests().is_empty());
}
