//! Linking a WhatsApp number to a GREEN-API instance by code, against the
//! fake GREEN-API (document 002, providers.md §2).

mod flows_support;

use latch_core::Latch;
use latch_core::flows::{LinkOutcome, LinkWatch, RevokeOutcome};
use latch_core::http::HttpConfig;
use latch_core::model::{Account, AccountStatus, ProviderSettings};
use latch_core::providers::green_api::{InstanceState, LinkCode, is_try_again};
use latch_core::secret::ApiToken;
use latch_core::store::{MemoryStore, SecretStore};
use latch_core::{EngineConfig, ErrorKind};
use latch_sandbox::Sandbox;
use latch_sandbox::green_api::InstanceState as FakeState;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PHONE_TYPED: &str = "+44 1234 567890";
const PHONE: u64 = 441234567890;

struct World {
    sb: Sandbox,
    latch: Latch,
    secrets: Arc<MemoryStore>,
    account: Account,
    _home: tempfile::TempDir,
}

impl World {
    fn id(&self) -> u64 {
        demo_instance()
    }
}

fn demo_instance() -> u64 {
    latch_sandbox::DemoCredentials::default().green_api_id_instance
}

/// A sandbox and a Latch (memory keyring) holding one GREEN-API account on the demo instance.
/// `timeout` is the engine's default per-call limit.
async fn world_with(timeout: Duration, token: &str) -> World {
    let sb = flows_support::sandbox().await;
    let home = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::new());
    let config = EngineConfig {
        http: HttpConfig {
            connect_timeout: Duration::from_secs(5),
            timeout,
            ..Default::default()
        },
        ..Default::default()
    };
    let latch = Latch::with_secrets(Some(home.path().to_owned()), secrets.clone(), config).unwrap();
    // The sandbox's demo instance, with no number saved yet: linking is
    // what saves one (asserted below).
    let (mut account, mut account_secrets) = flows_support::green_api(&sb);
    if let ProviderSettings::GreenApi(settings) = &mut account.settings {
        settings.phone = None;
    }
    account_secrets.api_token = Some(ApiToken::new(token));
    let account = latch.add(account, account_secrets).unwrap();
    World {
        sb,
        latch,
        secrets,
        account,
        _home: home,
    }
}

async fn world() -> World {
    world_with(
        Duration::from_secs(10),
        &latch_sandbox::DemoCredentials::default().green_api_token,
    )
    .await
}

fn fast(lifetime: Duration) -> LinkWatch {
    LinkWatch {
        lifetime,
        interval: Duration::from_millis(50),
    }
}

/// Plays the phone's owner: once Latch has read the state at least `reads`
/// times (it is watching), types `code` into WhatsApp.
async fn type_code_while_watched(w: &World, code: &LinkCode, reads: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while w.sb.green_api().count("green_api.getStateInstance") < reads {
        assert!(Instant::now() < deadline, "Latch never watched the instance");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        w.sb.green_api().enter_code(w.id(), &code.grouped()),
        "the fake accepts the code"
    );
}

#[tokio::test]
async fn green_api_link_success_marks_the_account_linked_with_its_number() {
    let w = world().await;
    assert_eq!(
        w.latch.instance_state(&w.account).await.unwrap(),
        InstanceState::NotAuthorized
    );
    let code = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap();
    assert_eq!(code.grouped().len(), 9);
    assert_eq!(&code.grouped()[4..5], "-");
    assert!(code.remaining(std::time::SystemTime::now()) > Duration::from_secs(140));

    let reads_before = w.sb.green_api().count("green_api.getStateInstance");
    let (outcome, ()) = tokio::join!(
        w.latch
            .wait_until_linked(&w.account, &code, fast(Duration::from_secs(20))),
        type_code_while_watched(&w, &code, reads_before + 2),
    );
    assert_eq!(outcome.unwrap(), LinkOutcome::Linked);

    let account = w.latch.find("green-main").unwrap();
    assert_eq!(account.status, AccountStatus::Linked);
    let ProviderSettings::GreenApi(s) = &account.settings else {
        unreachable!()
    };
    assert_eq!(s.phone.as_deref(), Some("+441234567890"));
    assert_eq!(w.sb.green_api().wid(w.id()).as_deref(), Some("441234567890@c.us"));
}

#[tokio::test]
async fn green_api_phone_is_sent_as_a_json_number_in_international_format() {
    let w = world().await;
    w.latch.request_link_code(&w.account, "0044 1234-567890").await.unwrap();
    let requests = w.sb.green_api().requests();
    let asked = requests
        .iter()
        .find(|r| r.route == "green_api.getAuthorizationCode")
        .expect("getAuthorizationCode was called");
    assert_eq!(asked.method, "POST");
    let body = asked.json().expect("a JSON body");
    assert!(body["phoneNumber"].is_u64(), "a number, not a string: {body}");
    assert_eq!(body["phoneNumber"].as_u64(), Some(PHONE));
    assert!(asked.header("content-type").unwrap().starts_with("application/json"));
}

#[tokio::test]
async fn green_api_bad_phone_input_is_refused_before_any_request() {
    let w = world().await;
    for typed in ["07911 123456", "+44 1234 CALLME", "+123", ""] {
        let e = w.latch.request_link_code(&w.account, typed).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{typed}: {e}");
    }
    let e = w.latch.request_link_code(&w.account, "07911 123456").await.unwrap_err();
    assert!(e.to_string().contains("include the country code"), "{e}");
    assert_eq!(w.sb.green_api().requests().len(), 0, "nothing was sent");
}

#[tokio::test]
async fn green_api_already_authorized_instance_is_logged_out_before_a_new_link() {
    let w = world().await;
    w.sb.green_api().set_state(w.id(), Some(FakeState::Authorized));
    w.latch
        .mark_linked(
            &w.account,
            latch_core::phone::PhoneNumber::parse("+441234567890").unwrap(),
        )
        .unwrap();

    let state = w.latch.instance_state(&w.account).await.unwrap();
    assert_eq!(state, InstanceState::Authorized);
    assert!(state.message().contains("log it out first"), "{}", state.message());

    w.latch.logout(&w.account).await.unwrap();
    assert_eq!(w.sb.green_api().count("green_api.logout"), 1);
    assert_eq!(
        w.sb.green_api().instance(w.id()).unwrap().state,
        Some(FakeState::NotAuthorized)
    );
    assert_eq!(w.latch.find("green-main").unwrap().status, AccountStatus::NotConnected);

    let code = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap();
    let (outcome, ()) = tokio::join!(
        w.latch
            .wait_until_linked(&w.account, &code, fast(Duration::from_secs(20))),
        type_code_while_watched(&w, &code, 1),
    );
    assert_eq!(outcome.unwrap(), LinkOutcome::Linked);
}

#[tokio::test]
async fn green_api_expired_code_ends_the_watch_and_a_new_code_links() {
    let w = world().await;
    let old = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap();
    // GREEN-API's side: the code's 150 s pass on the fake's clock.
    w.sb.green_api().advance(Duration::from_secs(150));
    assert!(
        !w.sb.green_api().enter_code(w.id(), &old.code),
        "the fake refuses an expired code"
    );

    // Latch's side: a short lifetime; the watch ends when it is over.
    let lifetime = Duration::from_millis(400);
    let started = Instant::now();
    let outcome = w
        .latch
        .wait_until_linked(&w.account, &old, fast(lifetime))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        LinkOutcome::Expired {
            last_state: Some(InstanceState::NotAuthorized)
        }
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(old.remaining_of(lifetime, std::time::SystemTime::now()).is_zero());
    assert_eq!(w.latch.find("green-main").unwrap().status, AccountStatus::NotConnected);

    let new = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap();
    assert_ne!(new.code, old.code);
    let (outcome, ()) = tokio::join!(
        w.latch
            .wait_until_linked(&w.account, &new, fast(Duration::from_secs(20))),
        type_code_while_watched(&w, &new, w.sb.green_api().count("green_api.getStateInstance") + 1),
    );
    assert_eq!(outcome.unwrap(), LinkOutcome::Linked);
}

/// The default per-call limit here is 1 s; getAuthorizationCode has its own
/// 45 s, so an answer that takes 3 s (the document says up to 30 s) arrives.
/// The document: "It may take up to 30 seconds to receive the code". A real
/// 25 s answer, with the engine's ordinary 30 s timeout and default settings.
#[tokio::test]
async fn green_api_code_that_takes_25_seconds_still_arrives() {
    let w = world_with(
        latch_core::http::HttpConfig::default().timeout,
        &latch_sandbox::DemoCredentials::default().green_api_token,
    )
    .await;
    w.sb.green_api().settings().code_delay = Duration::from_secs(25);
    let started = Instant::now();
    let code = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(25));
    assert_eq!(code.grouped().len(), 9);
}

#[tokio::test]
async fn green_api_slow_code_answer_outlives_the_default_timeout() {
    let w = world_with(
        Duration::from_secs(1),
        &latch_sandbox::DemoCredentials::default().green_api_token,
    )
    .await;
    w.sb.green_api().settings().code_delay = Duration::from_secs(3);
    let started = Instant::now();
    let code = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert_eq!(code.code.len(), 8);
    // The lifetime counts from the arrival, not from the question.
    assert!(code.remaining(std::time::SystemTime::now()) > Duration::from_secs(149));
}

#[tokio::test]
async fn green_api_status_false_says_try_again() {
    let w = world().await;
    w.sb.green_api().settings().code_status_false = true;
    let e = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap_err();
    assert!(is_try_again(&e), "{e}");
    assert_eq!(e.kind(), ErrorKind::ProviderRefused);
    assert!(e.to_string().contains("try again"), "{e}");

    w.sb.green_api().settings().code_status_false = false;
    assert!(
        w.latch.request_link_code(&w.account, PHONE_TYPED).await.is_ok(),
        "a second try works"
    );
}

#[tokio::test]
async fn green_api_wrong_token_is_explained_without_showing_it_or_the_url() {
    let token = "wrong0token0that0must0never0be0shown0000000000";
    let w = world_with(Duration::from_secs(10), token).await;
    let e = w.latch.instance_state(&w.account).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProviderRefused);
    assert_eq!(
        e.to_string(),
        "GREEN-API (getStateInstance) refused the request (Unauthorized: the apiTokenInstance was not accepted); \
         check the apiTokenInstance in the GREEN-API console and add the account again with it."
    );
    let e2 = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap_err();
    for text in [e.to_string(), e2.to_string(), format!("{e:?}"), format!("{e2:?}")] {
        assert!(!text.contains(token), "{text}");
        assert!(!text.contains("waInstance"), "no URL: {text}");
    }
}

#[tokio::test]
async fn green_api_wrong_instance_and_unreadable_answers_are_named() {
    let w = world().await;
    let mut other = w.account.clone();
    if let ProviderSettings::GreenApi(s) = &mut other.settings {
        s.id_instance = 1101999999;
    }
    let e = w.latch.instance_state(&other).await.unwrap_err();
    assert!(e.to_string().contains("check the idInstance"), "{e}");

    w.sb.green_api().settings().non_json_answers = true;
    let e = w.latch.instance_state(&w.account).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidAnswer);
    assert!(
        e.to_string()
            .starts_with("GREEN-API (getStateInstance) sent an answer Latch cannot read (an HTML page"),
        "{e}"
    );
}

#[tokio::test]
async fn green_api_states_other_than_not_authorized_read_as_plain_sentences() {
    let w = world().await;
    for (fake, state, says) in [
        (Some(FakeState::Starting), InstanceState::Starting, "starting"),
        (Some(FakeState::Blocked), InstanceState::Blocked, "blocked"),
        (Some(FakeState::YellowCard), InstanceState::YellowCard, "yellow card"),
        (None, InstanceState::Creating, "still being created"),
    ] {
        w.sb.green_api().set_state(w.id(), fake);
        let read = w.latch.instance_state(&w.account).await.unwrap();
        assert_eq!(read, state);
        assert!(read.message().contains(says), "{}", read.message());
    }
    // Asking for a code while starting: GREEN-API's 400 identifier, in plain words.
    w.sb.green_api().set_state(w.id(), Some(FakeState::Starting));
    let e = w.latch.request_link_code(&w.account, PHONE_TYPED).await.unwrap_err();
    assert!(e.to_string().contains("the instance is starting"), "{e}");
}

#[tokio::test]
async fn green_api_revoke_logs_the_instance_out_then_deletes_the_token() {
    let w = world().await;
    w.sb.green_api().set_state(w.id(), Some(FakeState::Authorized));
    let outcome = w.latch.revoke(&w.account).await.unwrap();
    assert_eq!(outcome, RevokeOutcome::Revoked);
    assert_eq!(w.sb.green_api().count("green_api.logout"), 1);
    assert_eq!(
        w.sb.green_api().instance(w.id()).unwrap().state,
        Some(FakeState::NotAuthorized)
    );
    assert!(
        w.secrets.get(&w.account.id).unwrap().is_none(),
        "the apiTokenInstance is gone"
    );
    assert_eq!(w.latch.find("green-main").unwrap().status, AccountStatus::Revoked);
}

#[tokio::test]
async fn green_api_revoke_keeps_the_token_when_the_instance_cannot_log_out_now() {
    let w = world().await;
    w.sb.green_api().set_state(w.id(), Some(FakeState::Starting));
    let e = w.latch.revoke(&w.account).await.unwrap_err();
    assert!(e.to_string().contains("the instance is starting"), "{e}");
    assert!(w.secrets.get(&w.account.id).unwrap().is_some(), "kept for a second try");
}

#[tokio::test]
async fn green_api_revoke_of_a_token_the_instance_no_longer_accepts_still_forgets_it() {
    let w = world_with(
        Duration::from_secs(10),
        "a0token0that0was0rotated0in0the0console00000000",
    )
    .await;
    assert_eq!(w.latch.revoke(&w.account).await.unwrap(), RevokeOutcome::Revoked);
    assert_eq!(w.sb.green_api().count("green_api.logout"), 1, "it was tried");
    assert!(w.secrets.get(&w.account.id).unwrap().is_none());
}
