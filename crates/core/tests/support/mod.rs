//! Shared by the store tests and their helper programs: sample accounts and
//! secrets, and polling with a deadline instead of sleeping. The helper
//! programs (`tests/bin/`) are binaries of the core, which cannot link the
//! sandbox's test harness (the sandbox depends on the core), so this file
//! needs nothing but the core and std.
#![allow(dead_code)]

use latch_core::model::{ClientAuth, Grant, OAuth2Settings, ProviderSettings};
use latch_core::secret::{AccessToken, ClientSecret, RefreshToken};
use latch_core::{Account, AccountId, AccountSecrets, AccountStatus, TokenSet};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub fn now() -> i64 {
    latch_core::time::now()
}

pub fn id(value: &str) -> AccountId {
    AccountId::parse(value).unwrap_or_else(|| panic!("bad test id {value:?}"))
}

/// A generic OAuth 2.0 account pointed at loopback, never connected.
pub fn account(id_: &str) -> Account {
    Account {
        id: id(id_),
        label: format!("Test {id_}"),
        settings: ProviderSettings::Oauth2(OAuth2Settings {
            authorize_url: "http://127.0.0.1:9/authorize".into(),
            token_url: "http://127.0.0.1:9/token".into(),
            revoke_url: None,
            client_id: "client-public-id".into(),
            client_auth: ClientAuth::Basic,
            redirect_uri: "http://127.0.0.1:9/callback".into(),
            scopes: vec!["read".into()],
            pkce: true,
            grant: Grant::AuthorizationCode,
            issuer: None,
            require_iss: false,
            api_base: None,
            probe_url: None,
            device_authorization_url: None,
            introspection_url: None,
            jwks_uri: None,
            hand_out: Default::default(),
            requests: Default::default(),
        }),
        status: AccountStatus::NotConnected,
        token: None,
        created_at: now(),
        sandbox: false,
        store: None,
    }
}

/// Secrets whose every value starts with `prefix`, so a scan for the prefix
/// finds any of them.
pub fn secrets(prefix: &str, generation: u32, expires_at: i64) -> AccountSecrets {
    AccountSecrets {
        client_secret: Some(ClientSecret::new(format!("{prefix}-client-secret"))),
        tokens: Some(TokenSet {
            access_token: AccessToken::new(format!("{prefix}-access-{generation}")),
            refresh_token: Some(RefreshToken::new(format!("{prefix}-refresh-{generation}"))),
            token_type: "Bearer".into(),
            scope: Some("read".into()),
            obtained_at: now(),
            expires_at: Some(expires_at),
            refresh_expires_at: None,
            extras: BTreeMap::new(),
            id_token: None,
        }),
        ..AccountSecrets::default()
    }
}

/// Polls `done` until it holds or `limit` passes; panics with `what` then.
pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}
