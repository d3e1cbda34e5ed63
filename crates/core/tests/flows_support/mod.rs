//! Shared pieces of the flow tests, over `latch_sandbox::harness` (the
//! sandbox, the demo accounts, the browser's part of a consent): an engine
//! with short timeouts, the demo accounts under the ids these tests use,
//! and a connection made the way a person makes one.
#![allow(dead_code, unused_imports)]

use latch_core::flows::{CallbackParams, PendingFlow};
use latch_core::http::HttpConfig;
use latch_core::model::{Account, AccountSecrets, ClientAuth, Grant, ProviderSettings};
use latch_core::store::{MemoryStore, SecretStore};
use latch_core::{Engine, EngineConfig, TokenSet};
use latch_sandbox::harness;
use latch_sandbox::{DemoCredentials, RecordedRequest, Sandbox};
use std::time::Duration;

pub const REDIRECT: &str = harness::SCHEME_REDIRECT;
pub const OTHER_REDIRECT: &str = harness::DEMO_LOOPBACK_REDIRECT;

pub async fn sandbox() -> Sandbox {
    harness::sandbox().await
}

pub fn demo() -> DemoCredentials {
    DemoCredentials::default()
}

pub fn engine() -> Engine {
    engine_with(HttpConfig {
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(10),
        ..Default::default()
    })
}

pub fn engine_with(http: HttpConfig) -> Engine {
    Engine::new(EngineConfig {
        http,
        ..Default::default()
    })
    .expect("engine")
}

/// The sandbox's demo accounts (`latch_sandbox::demo`), built through the
/// core's rules as the window's "Try the sandbox" builds them, under the ids
/// the tests use, and coming back to [`REDIRECT`].
pub fn wazzup(sb: &Sandbox, grant: Grant) -> (Account, AccountSecrets) {
    harness::account(
        latch_sandbox::demo::wazzup(&sb.base_urls(), &demo(), REDIRECT, grant),
        "wazzup-main",
    )
}

pub fn payu(sb: &Sandbox) -> (Account, AccountSecrets) {
    harness::account(
        latch_sandbox::demo::payu(&sb.base_urls(), &demo(), REDIRECT),
        "payu-uat",
    )
}

pub fn wordapp(sb: &Sandbox, grant: Grant) -> (Account, AccountSecrets) {
    harness::account(
        latch_sandbox::demo::wordapp(&sb.base_urls(), &demo(), REDIRECT, grant),
        "wordapp-main",
    )
}

pub fn oauth2(sb: &Sandbox, client_auth: ClientAuth, pkce: bool, grant: Grant) -> (Account, AccountSecrets) {
    let name = match client_auth {
        ClientAuth::Basic => "basic",
        ClientAuth::Body => "body",
        ClientAuth::SecretJwt => "secret_jwt",
        ClientAuth::PrivateKeyJwt => "private_key_jwt",
    };
    let mut draft = latch_sandbox::demo::oauth2(&sb.base_urls(), &demo(), REDIRECT, name, pkce, grant);
    if client_auth == ClientAuth::PrivateKeyJwt {
        draft.secret = None; // Latch makes the key pair
    }
    let (account, secrets) = harness::account(draft, "oauth2-main");
    if let Some(key) = &secrets.private_key {
        // Registered with the server, as the person would.
        let jwk = latch_core::jose::SigningKey::read(key).unwrap().public_jwk().clone();
        sb.oauth2().settings().clients[0].jwks.push(jwk);
    }
    let built = match &account.settings {
        ProviderSettings::Oauth2(settings) => settings.client_auth,
        other => panic!("the OAuth 2.0 draft built {other:?}"),
    };
    assert_eq!(built, client_auth, "the draft's client_auth `{name}`");
    (account, secrets)
}

pub fn green_api(sb: &Sandbox) -> (Account, AccountSecrets) {
    harness::account(latch_sandbox::demo::green_api(&sb.base_urls(), &demo()), "green-main")
}

/// What a browser does with the consent URL: the fakes consent at once and
/// redirect; the redirect's `Location` is the callback URL.
pub async fn browse(url: &url::Url) -> String {
    harness::follow_consent(url.as_str()).await
}

/// Start → consent → callback, as a person connecting an account.
pub async fn connect(engine: &Engine, account: &Account, secrets: &AccountSecrets) -> TokenSet {
    let (url, pending) = engine
        .start_authorization(account, secrets)
        .expect("authorization starts");
    let callback = CallbackParams::from_url(&browse(&url).await).unwrap();
    engine
        .complete(account, secrets, pending, callback)
        .await
        .expect("callback completes")
}

/// Starts a flow and returns the pending flow with its callback, not completed.
pub async fn consented(engine: &Engine, account: &Account, secrets: &AccountSecrets) -> (PendingFlow, String) {
    let (url, pending) = engine
        .start_authorization(account, secrets)
        .expect("authorization starts");
    (pending, browse(&url).await)
}

/// A store holding the account's secrets with this token set.
pub fn store_with(account: &Account, secrets: &AccountSecrets, tokens: TokenSet) -> MemoryStore {
    let store = MemoryStore::new();
    let mut secrets = secrets.clone();
    secrets.tokens = Some(tokens);
    store.put(&account.id, &secrets).unwrap();
    store
}

pub fn stored(store: &dyn SecretStore, account: &Account) -> TokenSet {
    store.get(&account.id).unwrap().unwrap().tokens.unwrap()
}

pub fn last(requests: &[RecordedRequest], route: &str) -> RecordedRequest {
    requests
        .iter()
        .rev()
        .find(|r| r.route == route)
        .cloned()
        .unwrap_or_else(|| panic!("no {route} request"))
}

pub use harness::now;

/// The authorization request carried `verifier`'s S256 challenge (RFC 7636 §4.3).
pub fn assert_s256(authorize: &RecordedRequest, verifier: &latch_core::secret::PkceVerifier) {
    assert_eq!(authorize.query_param("code_challenge_method"), Some("S256"));
    assert_eq!(
        authorize.query_param("code_challenge"),
        Some(latch_core::pkce::challenge(verifier, latch_core::pkce::ChallengeMethod::S256).as_str())
    );
}

/// Exchanges a consented flow's code that the provider must refuse, and
/// gives the refusal.
pub async fn refused_exchange(
    engine: &Engine,
    account: &Account,
    secrets: &AccountSecrets,
    pending: PendingFlow,
    callback: &str,
) -> latch_core::Error {
    engine
        .complete(account, secrets, pending, CallbackParams::from_url(callback).unwrap())
        .await
        .unwrap_err()
}
