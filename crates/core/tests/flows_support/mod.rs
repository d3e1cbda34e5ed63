//! Shared pieces of the flow tests: the sandbox, an engine with short
//! timeouts, demo accounts, and a "browser" that follows a consent page to
//! its redirect the way a person's browser would.
#![allow(dead_code)]

use latch_core::flows::{CallbackParams, PendingFlow};
use latch_core::http::HttpConfig;
use latch_core::model::{
    Account, AccountId, AccountSecrets, AccountStatus, ClientAuth, Grant, OAuth2Settings, PartnerLogin,
    PayuEnvironment, PayuSettings, ProviderSettings, WazzupSettings, WordappSettings,
};
use latch_core::secret::{ClientSecret, Password};
use latch_core::store::{MemoryStore, SecretStore};
use latch_core::{Engine, EngineConfig, TokenSet};
use latch_sandbox::{DemoCredentials, RecordedRequest, Sandbox, SandboxConfig};
use std::time::Duration;

pub const REDIRECT: &str = "app.latch.desktop:/oauth/callback";
pub const OTHER_REDIRECT: &str = "http://127.0.0.1:8976/callback";

pub async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::demo())
        .await
        .expect("sandbox starts on 127.0.0.1")
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

fn account(id: &str, settings: ProviderSettings) -> Account {
    Account {
        id: AccountId::parse(id).unwrap(),
        label: id.into(),
        settings,
        status: AccountStatus::NotConnected,
        token: None,
        created_at: 0,
    }
}

pub fn wazzup(sb: &Sandbox, grant: Grant) -> (Account, AccountSecrets) {
    let d = demo();
    let settings = WazzupSettings {
        base_url: sb.wazzup().base_url(),
        client_id: d.wazzup_client_id,
        redirect_uri: REDIRECT.into(),
        scopes: vec!["transport".into(), "crm".into()],
        grant,
    };
    let secrets = AccountSecrets {
        partner_login: Some(PartnerLogin {
            email: d.wazzup_email,
            password: Password::new(d.wazzup_password),
        }),
        ..Default::default()
    };
    (account("wazzup-main", ProviderSettings::Wazzup(settings)), secrets)
}

pub fn payu(sb: &Sandbox) -> (Account, AccountSecrets) {
    let d = demo();
    let settings = PayuSettings {
        environment: PayuEnvironment::Uat,
        accounts_url: Some(sb.payu().base_url()),
        onboarding_url: Some(sb.payu().base_url()),
        client_id: d.payu_client_id,
        redirect_uri: REDIRECT.into(),
        reseller_id: Some(d.payu_reseller_id),
    };
    let secrets = AccountSecrets {
        client_secret: Some(ClientSecret::new(d.payu_client_secret)),
        ..Default::default()
    };
    (account("payu-uat", ProviderSettings::Payu(settings)), secrets)
}

pub fn wordapp(sb: &Sandbox, grant: Grant) -> (Account, AccountSecrets) {
    let d = demo();
    let settings = WordappSettings {
        base_url: sb.wordapp().base_url(),
        grant,
        client_id: Some(d.wordapp_client_id),
        redirect_uri: Some(REDIRECT.into()),
        username: Some(d.wordapp_username),
        api_version: None,
    };
    let secrets = AccountSecrets {
        client_secret: Some(ClientSecret::new(d.wordapp_client_secret)),
        ..Default::default()
    };
    (account("wordapp-main", ProviderSettings::Wordapp(settings)), secrets)
}

pub fn oauth2(sb: &Sandbox, client_auth: ClientAuth, pkce: bool, grant: Grant) -> (Account, AccountSecrets) {
    let d = demo();
    let base = sb.oauth2().base_url();
    let settings = OAuth2Settings {
        authorize_url: format!("{base}/authorize"),
        token_url: format!("{base}/token"),
        revoke_url: Some(format!("{base}/revoke")),
        client_id: d.oauth2_client_id,
        client_auth,
        redirect_uri: REDIRECT.into(),
        scopes: vec!["read".into(), "write".into()],
        pkce,
        grant,
    };
    let secrets = AccountSecrets {
        client_secret: Some(ClientSecret::new(d.oauth2_client_secret)),
        ..Default::default()
    };
    (account("oauth2-main", ProviderSettings::Oauth2(settings)), secrets)
}

/// What a browser does with the consent URL: the fakes consent at once and
/// redirect; the redirect's `Location` is the callback URL.
pub async fn browse(url: &url::Url) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client.get(url.clone()).send().await.expect("consent page reachable");
    assert!(
        answer.status().is_redirection(),
        "consent page answered {} instead of redirecting",
        answer.status()
    );
    answer.headers()["location"].to_str().unwrap().to_owned()
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

pub fn now() -> i64 {
    latch_core::time::now()
}
