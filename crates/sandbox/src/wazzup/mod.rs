//! Fake Wazzup partner ("tech") API v2: `GET /v2/oauth/authorize`, `POST /v2/oauth/token`
//! and a bearer probe `GET /v2/channels` (providers.md §1, §6.1; document 000).
//!
//! The token endpoint takes JSON only, authenticates the partner with HTTP Basic
//! (email:password), reads each grant's fields from a nested `<grant>_data` object and
//! answers `{data:{…}, meta:{timestamp}}`. Errors are `{error, description}` with the
//! document's `OAUTH_*` codes; the names the document cuts off (`OAUTH_REDIRECT_…`) get
//! full names in [`ErrorCodes`], which a test may change. HTTP statuses per error are
//! not documented: [`WazzupSettings::statuses`] overrides the defaults
//! (400 validation, 401 auth/token, 403 partner/scope).
//!
//! There is no public revoke endpoint; [`FakeWazzup::revoke_token`] plays the server
//! revoking a token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::grants::{CodeStore, Grant, PendingCode, TokenCheck, TokenStore};
use crate::record::{FakeCore, query_map};
use crate::server::Server;
use crate::util::{
    basic_auth, bearer, ct_eq, is_json, json, pkce_matches, pkce_well_formed, random_hex, redirect, redirect_allowed,
};
use crate::{DemoCredentials, fake_common, lock, with_recording};

mod errors;
mod white_label;
pub use errors::ErrorCodes;
use errors::{E, error_response};

/// A Wazzup partner (Wazzup Label): its login and its OAuth client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WazzupPartner {
    pub email: String,
    pub password: String,
    pub client_id: String,
    pub active: bool,
    pub allowed_scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
}

/// An end-customer account (8-digit id) and the partner it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WazzupAccount {
    pub account_id: String,
    pub partner_client_id: String,
}

/// The machine-token → customer-token exchange. Its shape is not recoverable from the
/// documents; every name here is an *assumption*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenExchange {
    pub grant_type: String,
    pub data_field: String,
    pub subject_token_type: String,
}

impl Default for TokenExchange {
    fn default() -> Self {
        Self {
            grant_type: "token_exchange".into(),
            data_field: "token_exchange_data".into(),
            subject_token_type: "urn:ietf:params:oauth:token-type:access_token".into(),
        }
    }
}

/// Wazzup behaviour, changeable at run time. Defaults marked *assumption* are not documented.
#[derive(Clone, Debug)]
pub struct WazzupSettings {
    pub partners: Vec<WazzupPartner>,
    pub accounts: Vec<WazzupAccount>,
    /// The account the consent page "logs into"; `None` = the partner's first account.
    pub consenting_account: Option<String>,
    /// Authorization-code lifetime. *Assumption*: 600 s.
    pub code_ttl: Duration,
    /// `expires_in` of issued access tokens (document 000: 86400).
    pub expires_in: u64,
    /// Refresh returns a new refresh token and kills the old one. *Assumption*: on.
    pub rotate_refresh_tokens: bool,
    /// Refresh answers carry a refresh token at all. *Assumption*: on.
    pub refresh_returns_refresh_token: bool,
    /// Also accept `{"grant_type":"refresh_token","refresh_token":…}` at the top level. *Assumption*: off.
    pub accept_top_level_refresh_token: bool,
    /// client_credentials answers carry a refresh token. *Assumption*: off.
    pub machine_token_has_refresh_token: bool,
    /// Access tokens are `eyJ…` JWTs with `exp` (on) or opaque hex (off). *Assumption*: on.
    pub jwt_access_tokens: bool,
    /// Authorize errors: JSON `{error, description}` (off) or a redirect with `?error=` (on,
    /// only when the redirect URI is registered). *Assumption*: off.
    pub authorize_errors_redirect: bool,
    /// A malformed verifier (length/charset) is `VALIDATION_FAILED` (on) or `OAUTH_CODE_VERIFIER` (off).
    pub malformed_verifier_is_validation_failed: bool,
    pub codes: ErrorCodes,
    pub token_exchange: TokenExchange,
    /// HTTP status per error code, overriding the defaults.
    pub statuses: HashMap<String, u16>,
}

impl WazzupSettings {
    fn from_demo(demo: &DemoCredentials) -> Self {
        Self {
            partners: vec![WazzupPartner {
                email: demo.wazzup_email.clone(),
                password: demo.wazzup_password.clone(),
                client_id: demo.wazzup_client_id.clone(),
                active: true,
                allowed_scopes: vec!["transport".into(), "crm".into()],
                redirect_uris: demo.redirect_uris.clone(),
            }],
            accounts: vec![WazzupAccount {
                account_id: demo.wazzup_account_id.clone(),
                partner_client_id: demo.wazzup_client_id.clone(),
            }],
            consenting_account: None,
            code_ttl: Duration::from_secs(600),
            expires_in: 86400,
            rotate_refresh_tokens: true,
            refresh_returns_refresh_token: true,
            accept_top_level_refresh_token: false,
            machine_token_has_refresh_token: false,
            jwt_access_tokens: true,
            authorize_errors_redirect: false,
            malformed_verifier_is_validation_failed: true,
            codes: ErrorCodes::default(),
            token_exchange: TokenExchange::default(),
            statuses: HashMap::new(),
        }
    }
}

struct WazzupState {
    core: Arc<FakeCore>,
    settings: Mutex<WazzupSettings>,
    codes: Mutex<CodeStore>,
    tokens: Mutex<TokenStore>,
}

fn error(s: &WazzupSettings, e: E) -> Response {
    error_response(&s.codes, &s.statuses, e)
}

/// The fake Wazzup server.
pub struct FakeWazzup {
    core: Arc<FakeCore>,
    state: Arc<WazzupState>,
    server: Server,
}

fake_common!(FakeWazzup);

impl FakeWazzup {
    pub fn settings(&self) -> MutexGuard<'_, WazzupSettings> {
        lock(&self.state.settings)
    }

    /// Plays the server revoking `access_token` (there is no public revoke endpoint).
    /// Returns whether a live token was revoked.
    pub fn revoke_token(&self, access_token: &str) -> bool {
        lock(&self.state.tokens).revoke_access(access_token)
    }

    /// Plays the server revoking a refresh token. Returns whether a live one was revoked.
    pub fn revoke_refresh_token(&self, refresh_token: &str) -> bool {
        lock(&self.state.tokens).revoke_refresh(refresh_token)
    }
}

pub(crate) async fn start(demo: &DemoCredentials, port: u16) -> std::io::Result<FakeWazzup> {
    let core = FakeCore::new("wazzup");
    let state = Arc::new(WazzupState {
        core: core.clone(),
        settings: Mutex::new(WazzupSettings::from_demo(demo)),
        codes: Mutex::default(),
        tokens: Mutex::default(),
    });
    let router = Router::new()
        .route("/v2/oauth/authorize", get(authorize))
        .route("/v2/oauth/token", post(token))
        .route("/v2/channels", get(channels))
        .with_state(state.clone());
    let server = Server::start(with_recording(router, core.clone(), classify), port).await?;
    Ok(FakeWazzup { core, state, server })
}

fn classify(method: &Method, path: &str) -> (&'static str, String) {
    let route = match (method.as_str(), path) {
        ("GET", "/v2/oauth/authorize") => "wazzup.authorize",
        ("POST", "/v2/oauth/token") => "wazzup.token",
        ("GET", "/v2/channels") => "wazzup.channels",
        _ => "wazzup.unknown",
    };
    (route, path.to_owned())
}

/// `GET /v2/oauth/authorize`: validates, auto-consents, redirects with `code` and `state`.
async fn authorize(State(st): State<Arc<WazzupState>>, uri: Uri) -> Response {
    let q = query_map(&uri);
    let s = lock(&st.settings).clone();
    let param = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let fail = |e: E, redirect_to: Option<&str>| match redirect_to {
        Some(r) if s.authorize_errors_redirect => {
            let code = e.code(&s.codes);
            let mut params = vec![("error", code.as_str()), ("description", e.description())];
            if let Some(state) = param("state") {
                params.push(("state", state));
            }
            redirect(r, &params)
        }
        _ => error(&s, e),
    };
    let (Some(client_id), Some(redirect_uri), Some(scope), Some(state), Some(challenge), Some(method)) = (
        param("client_id"),
        param("redirect_uri"),
        param("scope"),
        param("state"),
        param("code_challenge"),
        param("code_challenge_method"),
    ) else {
        return fail(E::Validation, None);
    };
    if param("response_type") != Some("code") || !pkce_well_formed(challenge) {
        return fail(E::Validation, None);
    }
    let Some(partner) = s.partners.iter().find(|p| p.client_id == client_id) else {
        return fail(E::PartnerNotFound, None);
    };
    if !partner.active {
        return fail(E::PartnerNotActive, None);
    }
    if !redirect_allowed(&partner.redirect_uris, redirect_uri, false) {
        // Never redirect to an unregistered URI, whatever the delivery switch says.
        return error(&s, E::RedirectMismatch);
    }
    let method = match method {
        "S256" | "s256" => "S256",
        "plain" | "PLAIN" => "plain",
        _ => return fail(E::ChallengeMethod, Some(redirect_uri)),
    };
    let scopes: Vec<&str> = scope.split(',').map(str::trim).collect();
    if scopes.iter().any(|s| s.is_empty()) {
        return fail(E::Validation, Some(redirect_uri));
    }
    if scopes.iter().any(|sc| !partner.allowed_scopes.iter().any(|a| a == sc)) {
        return fail(E::ScopeForbidden, Some(redirect_uri));
    }
    let account = s.consenting_account.clone().or_else(|| {
        s.accounts
            .iter()
            .find(|a| a.partner_client_id == client_id)
            .map(|a| a.account_id.clone())
    });
    let Some(account) = account else {
        return fail(E::ClientNotOfPartner, Some(redirect_uri));
    };
    let code = random_hex(32);
    lock(&st.codes).insert(
        code.clone(),
        PendingCode {
            grant: Grant {
                client_id: client_id.into(),
                subject: Some(account),
                scope: scopes.join(","),
            },
            redirect_uri: redirect_uri.into(),
            pkce: Some((challenge.into(), method.into())),
            expires_at: st.core.clock.now() + s.code_ttl,
        },
    );
    redirect(redirect_uri, &[("code", &code), ("state", state)])
}

/// A string field of a JSON object, non-empty.
fn field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// `POST /v2/oauth/token`.
async fn token(State(st): State<Arc<WazzupState>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    let Some((email, password)) = basic_auth(&headers) else {
        return error(&s, E::AuthHeader);
    };
    let Some(partner) = s
        .partners
        .iter()
        .find(|p| p.email == email && ct_eq(&p.password, &password))
        .cloned()
    else {
        return error(&s, E::AuthHeader);
    };
    if !partner.active {
        return error(&s, E::PartnerNotActive);
    }
    if !is_json(&headers) {
        return error(&s, E::Validation);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error(&s, E::Validation);
    };
    let Some(grant_type) = field(&body, "grant_type") else {
        return error(&s, E::Validation);
    };
    match grant_type {
        "authorization_code" => authorization_code(&st, &s, &partner, &body),
        "client_credentials" => white_label::client_credentials(&st, &s, &partner, &body),
        "refresh_token" => refresh(&st, &s, &partner, &body),
        g if g == s.token_exchange.grant_type => white_label::exchange(&st, &s, &partner, &body),
        _ => error(&s, E::InvalidGrantType),
    }
}

fn authorization_code(st: &WazzupState, s: &WazzupSettings, partner: &WazzupPartner, body: &Value) -> Response {
    let Some(data) = body.get("authorize_code_data").filter(|d| d.is_object()) else {
        return error(s, E::Validation);
    };
    let (Some(code), Some(redirect_uri), Some(client_id)) = (
        field(data, "code"),
        field(data, "redirect_uri"),
        field(data, "client_id"),
    ) else {
        return error(s, E::Validation);
    };
    if client_id != partner.client_id {
        return error(s, E::ClientIdMismatch);
    }
    let now = st.core.clock.now();
    let mut codes = lock(&st.codes);
    let pending = match codes.peek(code, now) {
        Ok(p) if p.grant.client_id == partner.client_id => p.clone(),
        _ => return error(s, E::CodeInvalid),
    };
    if pending.redirect_uri != redirect_uri {
        return error(s, E::RedirectMismatch);
    }
    let Some(verifier) = field(data, "code_verifier") else {
        return error(s, E::CodeVerifier);
    };
    if !pkce_well_formed(verifier) {
        let e = if s.malformed_verifier_is_validation_failed {
            E::Validation
        } else {
            E::CodeVerifier
        };
        return error(s, e);
    }
    if let Some((challenge, method)) = &pending.pkce
        && !pkce_matches(method, challenge, verifier)
    {
        return error(s, E::CodeVerifier);
    }
    codes.consume(code);
    drop(codes);
    issue(st, s, pending.grant, true)
}

fn refresh(st: &WazzupState, s: &WazzupSettings, partner: &WazzupPartner, body: &Value) -> Response {
    let (refresh_token, client_id) = match body.get("refresh_token_data").filter(|d| d.is_object()) {
        Some(data) => (field(data, "refresh_token"), field(data, "client_id")),
        None if s.accept_top_level_refresh_token => (
            field(body, "refresh_token"),
            field(body, "client_id").or(Some(partner.client_id.as_str())),
        ),
        None => return error(s, E::Validation),
    };
    let (Some(refresh_token), Some(client_id)) = (refresh_token, client_id) else {
        return error(s, E::Validation);
    };
    if client_id != partner.client_id {
        return error(s, E::ClientIdMismatch);
    }
    let mut tokens = lock(&st.tokens);
    let Some(record) = tokens.live_refresh(refresh_token).cloned() else {
        return error(s, E::RefreshInvalid);
    };
    if record.grant.client_id != partner.client_id {
        return error(s, E::ClientIdMismatch);
    }
    if s.rotate_refresh_tokens {
        tokens.revoke_refresh(refresh_token);
    }
    drop(tokens);
    if !s.refresh_returns_refresh_token {
        return issue(st, s, record.grant, false);
    }
    if s.rotate_refresh_tokens {
        return issue(st, s, record.grant, true);
    }
    // Not rotating: answer with the same refresh token, now paired with the new access token.
    let (access, expires_in) = new_access(st, s, &record.grant);
    lock(&st.tokens).issue(
        access.clone(),
        None,
        record.grant,
        st.core.clock.now(),
        Duration::from_secs(expires_in),
    );
    answer(st, &access, Some(refresh_token), expires_in)
}

fn new_access(st: &WazzupState, s: &WazzupSettings, grant: &Grant) -> (String, u64) {
    let iat = st.core.clock.unix();
    let access = if s.jwt_access_tokens {
        let subject = grant.subject.as_deref().unwrap_or(&grant.client_id);
        crate::jwt::access_token(subject, &grant.client_id, &grant.scope, iat, iat + s.expires_in)
    } else {
        random_hex(32)
    };
    (access, s.expires_in)
}

fn issue(st: &WazzupState, s: &WazzupSettings, grant: Grant, with_refresh: bool) -> Response {
    let (access, expires_in) = new_access(st, s, &grant);
    let refresh = with_refresh.then(|| format!("def50200{}", random_hex(48)));
    lock(&st.tokens).issue(
        access.clone(),
        refresh.clone(),
        grant,
        st.core.clock.now(),
        Duration::from_secs(expires_in),
    );
    answer(st, &access, refresh.as_deref(), expires_in)
}

fn answer(st: &WazzupState, access: &str, refresh: Option<&str>, expires_in: u64) -> Response {
    let mut data = json!({ "access_token": access, "token_type": "Bearer", "expires_in": expires_in });
    if let Some(r) = refresh {
        data["refresh_token"] = json!(r);
    }
    json(
        StatusCode::OK,
        json!({ "data": data, "meta": { "timestamp": st.core.clock.unix() } }),
    )
}

/// `GET /v2/channels`: the bearer probe; customer tokens only.
async fn channels(State(st): State<Arc<WazzupState>>, headers: HeaderMap) -> Response {
    let s = lock(&st.settings).clone();
    let Some(token) = bearer(&headers) else {
        return error(&s, E::AuthHeader);
    };
    match lock(&st.tokens).check_access(&token, st.core.clock.now()) {
        TokenCheck::Valid(g) if g.subject.is_some() => json(
            StatusCode::OK,
            json!({ "data": [], "meta": { "timestamp": st.core.clock.unix() } }),
        ),
        TokenCheck::Expired => error(&s, E::TokenInvalid),
        _ => error(&s, E::TokenUnknown),
    }
}
