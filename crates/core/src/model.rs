//! The product's nouns: accounts, their settings, their token sets.
//!
//! An account is split in two on purpose. [`Account`] holds everything that is
//! not secret (label, provider, endpoints, client_id, expiry, status) and lives
//! in the index file; [`AccountSecrets`] holds the secrets and lives only in the
//! OS keyring, one entry per account, under the account's id.

use crate::secret::{
    AccessToken, ApiToken, ClientSecret, IdToken, Nonce, Password, PkceVerifier, PrivateKey, RefreshToken, State,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Seconds since the Unix epoch. Every time in the store is one of these.
pub type UnixTime = i64;

/// A stable account id: a short slug such as `wazzup-main`, fixed when the
/// account is created and never changed (labels can change; the keyring entry
/// and scripts refer to the id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct AccountId(String);

/// Read through [`AccountId::parse`]: an id from the index file names a
/// keyring entry and a lock file, so one edited by hand into `../x` or a
/// kilobyte of text is refused like any other damage.
impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        Self::parse(&value).ok_or_else(|| {
            let shown: String = value.chars().take(70).collect();
            serde::de::Error::custom(format!(
                "{shown:?} is not an account id (1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit)"
            ))
        })
    }
}

impl AccountId {
    /// Accepts `[a-z0-9][a-z0-9._-]{0,63}`: safe in a file name, a keyring
    /// attribute and a shell word without quoting.
    pub fn parse(value: &str) -> Option<Self> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value.bytes().enumerate().all(|(i, b)| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || (i > 0 && matches!(b, b'.' | b'_' | b'-'))
            });
        ok.then(|| Self(value.to_owned()))
    }

    /// A slug made from a label: `"Wazzup Main!"` → `wazzup-main`.
    pub fn slug(label: &str) -> Self {
        let mut out = String::new();
        for c in label.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            if out.len() >= 48 {
                break;
            }
        }
        let out = out.trim_end_matches('-');
        Self(if out.is_empty() { "account".into() } else { out.into() })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A kind of server and its flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Wazzup,
    Payu,
    GreenApi,
    Wordapp,
    /// Any RFC 6749 server.
    Oauth2,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 5] = crate::providers::registry::ALL;

    /// The name used on the command line and in JSON.
    pub fn id(self) -> &'static str {
        crate::providers::registry::entry(self).id
    }

    /// The name a person reads.
    pub fn display_name(self) -> &'static str {
        crate::providers::registry::entry(self).name
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// Where an account stands, as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum AccountStatus {
    /// Created, never connected.
    NotConnected,
    /// Holds a token set (valid or expired: expiry is derived from `expires_at`).
    Connected,
    /// The provider refused the refresh token (or a 401 said so): only a new
    /// authorization helps. `reason` is the sentence shown to the person.
    NeedsReconnect { reason: String },
    /// Revoked by the person; secrets deleted.
    Revoked,
    /// GREEN-API: the WhatsApp number is linked to the instance.
    Linked,
}

/// The non-secret part of a token set, kept in the index so the list can show
/// expiry without touching the keyring.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TokenMeta {
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub obtained_at: UnixTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UnixTime>,
    pub has_refresh_token: bool,
    /// When the refresh token ends, where the server said so
    /// (`refresh_expires_in`, `refresh_token_expires_in`): after it, only a
    /// new sign-in helps, so Latch warns ahead of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<UnixTime>,
    /// Provider extras that are not secret (PayU `user_uuid`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extras: BTreeMap<String, String>,
}

/// One connected identity. Everything here is safe to write to disk and to
/// show in the webview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Account {
    pub id: AccountId,
    pub label: String,
    pub settings: ProviderSettings,
    pub status: AccountStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenMeta>,
    pub created_at: UnixTime,
    /// A demo account of the sandbox (the window's "Try the sandbox",
    /// `latch sandbox --add-accounts`): its endpoints are fakes on
    /// 127.0.0.1, both front ends mark it as such, and only such accounts
    /// are pointed at a sandbox that starts again (`latch_sandbox::demo`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sandbox: bool,
    /// The named OpenBao / Vault store (`latch store add`) that keeps this
    /// account's secrets, shared with other machines; `None`: the OS keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

impl Account {
    pub fn provider(&self) -> ProviderKind {
        self.settings.kind()
    }
}

/// Per-provider, non-secret settings. Every endpoint has the provider's
/// documented default and can be overridden per account (the sandbox and
/// tests point them at 127.0.0.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "provider", rename_all = "kebab-case")]
// Other OAuth 2.0 has the most settings by far; an account holds one value,
// and boxing it would buy a few hundred bytes per account at the price of an
// indirection in every provider call.
#[allow(clippy::large_enum_variant)]
pub enum ProviderSettings {
    Wazzup(WazzupSettings),
    Payu(PayuSettings),
    GreenApi(GreenApiSettings),
    Wordapp(WordappSettings),
    Oauth2(OAuth2Settings),
}

/// What the rest of Latch asks of an account's settings goes through its
/// [`crate::providers::Provider`] (see [`crate::providers::registry`]).
impl ProviderSettings {
    /// How the account gets its tokens; `None` for GREEN-API, which links a
    /// number with a code instead.
    pub fn grant(&self) -> Option<Grant> {
        self.provider().grant()
    }

    /// Where the provider sends the browser back; `None` for GREEN-API (and
    /// for a Wordapp account that signs in without a browser).
    pub fn redirect_uri(&self) -> Option<&str> {
        self.provider().redirect_uri()
    }

    /// Uses another redirect URI (a loopback listener's actual port).
    pub fn set_redirect_uri(&mut self, uri: &str) {
        self.provider_mut().set_redirect_uri(uri)
    }

    pub fn kind(&self) -> ProviderKind {
        self.provider().kind()
    }
}

/// How an account obtains its tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    AuthorizationCode,
    /// Legacy; the password is typed each time and never stored.
    Password,
    ClientCredentials,
    /// RFC 8628: the person approves on another device (or a browser) with
    /// a short user code while Latch polls the token endpoint.
    DeviceCode,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WazzupSettings {
    /// Default `https://tech.wazzup24.com`.
    pub base_url: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Default `["transport", "crm"]`, sent comma-joined.
    pub scopes: Vec<String>,
    /// `AuthorizationCode` (Wazzup Label) or `ClientCredentials` (White Label machine token).
    pub grant: Grant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PayuEnvironment {
    Uat,
    Production,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PayuSettings {
    pub environment: PayuEnvironment,
    /// Overrides the environment's `https://{uat-}accounts.payu.in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts_url: Option<String>,
    /// Overrides the environment's onboarding (consent) host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding_url: Option<String>,
    pub client_id: String,
    pub redirect_uri: String,
    /// The partner's reseller id, sent on the consent page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reseller_id: Option<String>,
    /// The API server `latch api` calls, instead of the accounts server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GreenApiSettings {
    /// From the console, e.g. `https://7105.api.greenapi.com`. Never derived.
    pub api_url: String,
    pub id_instance: u64,
    /// As the person typed it; normalized when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WordappSettings {
    /// Default `https://app.wordapp.com`.
    pub base_url: String,
    pub grant: Grant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// For the password grant: the username or e-mail (not secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Value of the `X-Api-Version` header (not documented; setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `Authorization: Basic` (RFC 6749 §2.3.1, the recommended way).
    Basic,
    /// `client_id` and `client_secret` in the form body.
    Body,
    /// `client_secret_jwt` (RFC 7523 §2.2): an assertion signed with the
    /// client secret (HS256); the secret itself is never sent.
    SecretJwt,
    /// `private_key_jwt` (RFC 7523 §2.2): an assertion signed with the
    /// account's private key, whose public half the server has.
    PrivateKeyJwt,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OAuth2Settings {
    pub authorize_url: String,
    pub token_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_url: Option<String>,
    pub client_id: String,
    pub client_auth: ClientAuth,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub pkce: bool,
    pub grant: Grant,
    /// The server's `issuer` (from its metadata, RFC 8414): an authorization
    /// response whose `iss` names another server is refused (RFC 9207).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The server always sends `iss` (its metadata says
    /// `authorization_response_iss_parameter_supported`): a response without
    /// one is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_iss: bool,
    /// Where the API is, which `latch api` joins paths to (default: the
    /// token endpoint's server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// An authenticated URL (or a path on the API) that answers 2xx while
    /// the token works: `latch status --check` calls it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_url: Option<String>,
    /// The device authorization endpoint (RFC 8628 §3.1), for the device
    /// code grant; discovery fills it from `device_authorization_endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_url: Option<String>,
    /// The introspection endpoint (RFC 7662): without a test call, `latch
    /// status --check` and the window's Check ask it whether the access
    /// token is still active. Discovery fills it from
    /// `introspection_endpoint`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_url: Option<String>,
    /// The server's JWKS (RFC 7517 §5, its metadata's `jwks_uri`): the keys
    /// an id_token is verified with. Discovery fills it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// What `latch token` and every other hand-out gives: the access token,
    /// or the verified id_token (for APIs that take one as their bearer).
    #[serde(default, skip_serializing_if = "HandOut::is_access_token")]
    pub hand_out: HandOut,
    /// What the requests carry beyond their own parameters, where servers
    /// differ. Its settings sit beside the others in the index and the form.
    #[serde(flatten)]
    pub requests: RequestOptions,
}

/// Which of an Other OAuth 2.0 account's tokens is its credential.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HandOut {
    #[default]
    AccessToken,
    IdToken,
}

impl HandOut {
    pub fn is_access_token(&self) -> bool {
        *self == Self::AccessToken
    }
}

/// An Other OAuth 2.0 account's per-request settings (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestOptions {
    /// Extra parameters of the authorization request (and of the device
    /// authorization request), as a query string: `prompt=consent&ui_locales=de`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_params: Option<String>,
    /// Extra parameters of the token requests that get a token (code
    /// exchange, client credentials, password, device code), as a query string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_params: Option<String>,
    /// Extra parameters of the refresh request, as a query string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_params: Option<String>,
    /// The API the token is for, as Auth0 and others name it: `audience` on
    /// the authorization, device authorization, client credentials and
    /// password requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Resource indicators (RFC 8707): one `resource` per URI on the
    /// authorization request and on every token request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource: Vec<String>,
    /// Send `scope` on the code exchange too. Off by default: RFC 6749
    /// §4.1.3 has no scope there, and some servers (Microsoft Entra) refuse it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scope_on_exchange: bool,
}

/// A token set as the provider issued it, with expiry computed once, when the
/// answer arrived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: AccessToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    pub token_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub obtained_at: UnixTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UnixTime>,
    /// When the refresh token ends, if the server said ([`TokenMeta`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<UnixTime>,
    /// Provider extras (PayU `user_uuid`, `merchantId`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extras: BTreeMap<String, String>,
    /// The OpenID Connect id_token that came with the tokens, kept only
    /// once it was verified ([`crate::jose::verify_id_token`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
}

impl TokenSet {
    /// The part of the set that may be written to the index.
    pub fn meta(&self) -> TokenMeta {
        TokenMeta {
            token_type: self.token_type.clone(),
            scope: self.scope.clone(),
            obtained_at: self.obtained_at,
            expires_at: self.expires_at,
            has_refresh_token: self.refresh_token.is_some(),
            refresh_expires_at: self.refresh_expires_at,
            extras: self.extras.clone(),
        }
    }
}

/// Wazzup's partner login, sent as `Authorization: Basic base64(email:password)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerLogin {
    pub email: String,
    pub password: Password,
}

/// The secrets of a pending authorization, kept in the keyring until its
/// deadline so that a deep link arriving while Latch was closed can still
/// complete the flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSecrets {
    pub state: State,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier: Option<PkceVerifier>,
    pub redirect_uri: String,
    pub deadline: UnixTime,
    #[serde(default, skip_serializing_if = "IssuerCheck::is_not_checked")]
    pub iss: IssuerCheck,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
}

/// What the `iss` of an authorization response must say (RFC 9207), as the
/// flow's account set it when the flow started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuerCheck {
    /// The provider has no issuer to record (its documents name none and
    /// its servers are fixed): `iss` is not read, as RFC 9207 §2.4 allows a
    /// client that cannot check it.
    #[default]
    NotChecked,
    /// Checked against the account's issuer (`None`: none recorded), and
    /// `required` when the server always sends `iss`.
    Checked { issuer: Option<String>, required: bool },
}

impl IssuerCheck {
    pub fn is_not_checked(&self) -> bool {
        *self == Self::NotChecked
    }
}

/// Everything secret about one account: the value of its one keyring entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSecrets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<ClientSecret>,
    /// The private key of a `private_key_jwt` client (a PEM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<PrivateKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_login: Option<PartnerLogin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token: Option<ApiToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingSecrets>,
    /// The origins (`https://host[:port]`) these secrets may be sent to,
    /// recorded when they were stored: the index on disk says where an
    /// account's endpoints are, but only this record, kept in the keyring
    /// beside the secrets, says where they were issued (see
    /// [`crate::binding`]). Empty in an entry written before Latch recorded
    /// them; the next write fills it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_shell_and_file_safe() {
        assert!(AccountId::parse("wazzup-main").is_some());
        assert!(AccountId::parse("a").is_some());
        for bad in ["", "-x", "Upper", "a b", "a/b", "../x", &"x".repeat(65)] {
            assert!(AccountId::parse(bad).is_none(), "{bad:?} should be refused");
        }
    }

    /// Found by the index_file fuzz target: an index with an id of 80
    /// characters loaded, and one with `../x` would have named a lock file
    /// outside the data directory.
    #[test]
    fn an_id_that_parse_refuses_is_refused_when_read_too() {
        let id: AccountId = serde_json::from_str("\"wazzup-main\"").unwrap();
        assert_eq!(id.as_str(), "wazzup-main");
        for bad in ["", "../x", "Upper", &"x".repeat(65)] {
            let e = serde_json::from_value::<AccountId>(bad.into()).unwrap_err();
            assert!(e.to_string().contains("is not an account id"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn slugs_come_from_labels() {
        assert_eq!(AccountId::slug("Wazzup Main!").as_str(), "wazzup-main");
        assert_eq!(AccountId::slug("  --  ").as_str(), "account");
        assert!(AccountId::parse(AccountId::slug("Ünïcödé PayU (UAT)").as_str()).is_some());
    }

    #[test]
    fn provider_ids_round_trip() {
        for p in ProviderKind::ALL {
            assert_eq!(ProviderKind::from_id(p.id()), Some(p));
        }
    }

    #[test]
    fn index_part_of_a_token_set_carries_no_secret() {
        let set = TokenSet {
            access_token: AccessToken::new("secret-access"),
            refresh_token: Some(RefreshToken::new("secret-refresh")),
            token_type: "Bearer".into(),
            scope: Some("transport,crm".into()),
            obtained_at: 1,
            expires_at: Some(86401),
            refresh_expires_at: None,
            extras: BTreeMap::new(),
            id_token: None,
        };
        let json = serde_json::to_string(&set.meta()).unwrap();
        assert!(!json.contains("secret-"), "{json}");
        assert!(json.contains("\"has_refresh_token\":true"));
    }
}
