//! The device authorization grant (RFC 8628) of "Other OAuth 2.0" accounts
//! against the fake server's device endpoint; the person's answer at the
//! device page comes from the fake's hook. One of RFC 8628's seconds lasts a
//! millisecond here (`EngineConfig::device_second`), so the intervals the
//! engine waits are the RFC's numbers, seen through `on_wait`.

mod flows_support;

use flows_support::*;
use latch_core::ErrorKind;
use latch_core::http::HttpConfig;
use latch_core::model::{Account, AccountSecrets, ClientAuth, Grant, ProviderSettings};
use latch_core::{Engine, EngineConfig, Error, TokenSet};
use latch_sandbox::Sandbox;
use latch_sandbox::oauth2::DeviceDecision;
use std::time::Duration;

fn form_param(request: &latch_sandbox::RecordedRequest, name: &str) -> Option<String> {
    request.form().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn fast_engine() -> Engine {
    engine_with_second(Duration::from_millis(1))
}

fn engine_with_second(second: Duration) -> Engine {
    Engine::new(EngineConfig {
        http: HttpConfig {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            ..Default::default()
        },
        device_second: second,
        ..Default::default()
    })
    .expect("engine")
}

const MS: Duration = Duration::from_millis(1);

fn device_account(sb: &Sandbox) -> (Account, AccountSecrets) {
    oauth2(sb, ClientAuth::Basic, false, Grant::DeviceCode)
}

/// Starts the sign-in, lets `person` act before each wait (it hears the
/// interval and how many waits came before), and returns what the poll
/// ended with and the intervals it waited.
async fn sign_in(
    sb: &Sandbox,
    account: &Account,
    secrets: &AccountSecrets,
    second: Duration,
    mut person: impl FnMut(&str, usize),
) -> (Result<TokenSet, Error>, Vec<u64>) {
    let engine = engine_with_second(second);
    let device = engine
        .start_device_authorization(account, secrets)
        .await
        .expect("device codes");
    assert_eq!(sb.oauth2().user_codes(), vec![device.user_code.clone()]);
    let mut waits = Vec::new();
    let result = engine
        .poll_device_authorization(account, secrets, &device, |interval| {
            person(&device.user_code, waits.len());
            waits.push(interval.as_secs());
        })
        .await;
    (result, waits)
}

#[tokio::test]
async fn device_code_approved_after_pending_gives_a_working_token_set() {
    let sb = sandbox().await;
    let (account, secrets) = device_account(&sb);
    let engine = fast_engine();
    let device = engine.start_device_authorization(&account, &secrets).await.unwrap();
    assert_eq!(
        device.interval, 5,
        "RFC 8628 §3.2: 5 seconds when the server names none"
    );
    assert_eq!(device.expires_in, 600);
    assert!(device.verification_uri.ends_with("/device"));
    assert_eq!(
        device.verification_uri_complete.as_deref(),
        Some(format!("{}?user_code={}", device.verification_uri, device.user_code).as_str())
    );
    let fake = sb.oauth2();
    let mut waits = 0;
    let tokens = engine
        .poll_device_authorization(&account, &secrets, &device, |_| {
            waits += 1;
            if waits == 2 {
                assert!(fake.decide_device(&device.user_code, DeviceDecision::Approved));
            }
        })
        .await
        .expect("approved");
    assert!(fake.is_live(tokens.access_token.secret()));
    assert!(tokens.refresh_token.is_some());
    assert_eq!(
        fake.count("oauth2.token"),
        2,
        "one authorization_pending, then the tokens"
    );

    let requests = fake.requests();
    let asked = last(&requests, "oauth2.device_authorization");
    assert_eq!(form_param(&asked, "scope").as_deref(), Some("read write"));
    assert!(
        asked.header("authorization").is_some(),
        "the account's Basic client auth"
    );
    let poll = last(&requests, "oauth2.token");
    assert_eq!(
        form_param(&poll, "grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:device_code")
    );
    assert!(form_param(&poll, "device_code").is_some_and(|c| c.len() == 64));
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_every_later_poll() {
    let sb = sandbox().await;
    sb.oauth2().settings().device_interval = Some(2);
    let (account, secrets) = device_account(&sb);
    let fake = sb.oauth2();
    let (result, waits) = sign_in(&sb, &account, &secrets, MS, |code, n| match n {
        0 => assert!(fake.slow_down_once(code)),
        2 => assert!(fake.decide_device(code, DeviceDecision::Approved)),
        _ => {}
    })
    .await;
    result.expect("approved after slowing down");
    assert_eq!(
        waits,
        vec![2, 7, 7],
        "RFC 8628 §3.5: +5 s after slow_down, and it stays"
    );
}

#[tokio::test]
async fn access_denied_at_the_device_page_says_so() {
    let sb = sandbox().await;
    let (account, secrets) = device_account(&sb);
    let fake = sb.oauth2();
    let (result, waits) = sign_in(&sb, &account, &secrets, MS, |code, _| {
        fake.decide_device(code, DeviceDecision::Denied);
    })
    .await;
    let e = result.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProviderRefused);
    assert!(e.to_string().contains("refused on the server's page"), "{e}");
    assert_eq!(waits.len(), 1, "no poll after the refusal");
}

#[tokio::test]
async fn expired_token_from_the_server_asks_for_a_new_code() {
    let sb = sandbox().await;
    let (account, secrets) = device_account(&sb);
    let fake = sb.oauth2();
    let (result, _) = sign_in(&sb, &account, &secrets, MS, |code, _| {
        fake.decide_device(code, DeviceDecision::Expired);
    })
    .await;
    let e = result.unwrap_err().to_string();
    assert!(
        e.contains("expired_token") && e.contains("connect again for a new code"),
        "{e}"
    );
}

#[tokio::test]
async fn polling_stops_when_the_codes_expire_even_if_the_server_keeps_saying_pending() {
    let sb = sandbox().await;
    sb.oauth2().settings().device_expires_in = 14;
    let (account, secrets) = device_account(&sb);
    // Seconds of 50 ms: the two polls have 200 ms for their requests before
    // the deadline; the third wait would end at 750 ms, after it.
    let (result, waits) = sign_in(&sb, &account, &secrets, Duration::from_millis(50), |_, _| {}).await;
    let e = result.unwrap_err().to_string();
    assert!(e.contains("not approved in time"), "{e}");
    assert_eq!(waits, vec![5, 5], "a third wait would end after 14 s");
    assert_eq!(sb.oauth2().count("oauth2.token"), 2);
}

#[tokio::test]
async fn a_device_account_without_its_endpoint_is_told_what_to_set() {
    let sb = sandbox().await;
    let (mut account, secrets) = device_account(&sb);
    if let ProviderSettings::Oauth2(settings) = &mut account.settings {
        settings.device_authorization_url = None;
    }
    let e = fast_engine()
        .start_device_authorization(&account, &secrets)
        .await
        .err()
        .expect("refused");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("device_authorization_url"), "{e}");
    assert_eq!(sb.oauth2().count("oauth2.device_authorization"), 0, "nothing was sent");
}
