//! Fake Wordapp: `GET /oauth/authorize`, `POST /oauth/token`, `POST /oauth/revoke` and a
//! probe `GET /api/me` (providers.md §4, §6.4; document 004).
//!
//! The document's paths for authorize and revoke were lost; the fake uses the Rails
//! Doorkeeper defaults its answers resemble (`token_type: "bearer"`, `created_at`,
//! revoke answering `{}`). Two rules from the document shape the token store:
//! refreshing revokes the old access token, and a new flow for the same user and
//! application invalidates the previous token ("one live token").

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use crate::grants::{CodeStore, Grant, PendingCode, TokenCheck, TokenStore};
use crate::record::{FakeCore, query_map};
use crate::server::Server;
use crate::util::{
    basic_auth, bearer, bearer_unauthorized, ct_eq, form_decode, form_map, html_page, is_form, json, proves_pkce,
    random_hex, redirect, requested_pkce, status,
};
use crate::{Consent, DemoCredentials, fake_common, lock, with_recording};

/// A Wordapp application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordappApp {
    /// "Application ID" / "API Key".
    pub client_id: String,
    /// "Client Secret" / "Secret Key".
    pub client_secret: String,
    /// "OAuth 2.0 Redirect URLs", matched exactly.
    pub redirect_urls: Vec<String>,
    pub scopes: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordappUser {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// Wordapp behaviour, changeable at run time. Defaults marked *assumption* are not documented.
#[derive(Clone, Debug)]
pub struct WordappSettings {
    pub apps: Vec<WordappApp>,
    pub users: Vec<WordappUser>,
    /// Who is logged in on the consent screen; `None` = the first user.
    pub consenting_user: Option<String>,
    /// Used only when the user has no grant for the app yet (document 004 skips consent otherwise).
    pub consent: Consent,
    /// `expires_in`: 7200 per the text (the sample shows 31555719).
    pub expires_in: u64,
    /// Authorization-code lifetime ("very short"). *Assumption*: 600 s (Doorkeeper's default).
    pub code_ttl: Duration,
    /// Required `X-Api-Version` value; `None` accepts any non-empty value. *Assumption*: `None`.
    pub api_version: Option<String>,
    /// Status when `X-Api-Version` is missing or wrong. *Assumption*: 400.
    pub bad_api_version_status: u16,
}

impl WordappSettings {
    fn from_demo(demo: &DemoCredentials) -> Self {
        Self {
            apps: vec![WordappApp {
                client_id: demo.wordapp_client_id.clone(),
                client_secret: demo.wordapp_client_secret.clone(),
                redirect_urls: demo.redirect_uris.clone(),
                scopes: "public".into(),
            }],
            users: vec![WordappUser {
                username: demo.wordapp_username.clone(),
                email: demo.wordapp_email.clone(),
                password: demo.wordapp_password.clone(),
            }],
            consenting_user: None,
            consent: Consent::Approve,
            expires_in: 7200,
            code_ttl: Duration::from_secs(600),
            api_version: None,
            bad_api_version_status: 400,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum E {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
}

/// RFC 6749 §5.2 bodies with Doorkeeper's wording. *Assumption*: the document shows none.
fn error(e: E) -> Response {
    let (code, st, description) = match e {
        E::InvalidRequest => (
            "invalid_request",
            400,
            "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.",
        ),
        E::InvalidClient => (
            "invalid_client",
            401,
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        ),
        E::InvalidGrant => (
            "invalid_grant",
            400,
            "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        ),
        E::UnsupportedGrantType => (
            "unsupported_grant_type",
            400,
            "The authorization grant type is not supported by the authorization server.",
        ),
    };
    json(status(st), json!({ "error": code, "error_description": description }))
}

struct WordappState {
    core: Arc<FakeCore>,
    settings: Mutex<WordappSettings>,
    /// (username, client_id) pairs the user has consented to.
    grants: Mutex<HashSet<(String, String)>>,
    codes: Mutex<CodeStore>,
    tokens: Mutex<TokenStore>,
}

/// The fake Wordapp server.
pub struct FakeWordapp {
    core: Arc<FakeCore>,
    state: Arc<WordappState>,
    server: Server,
}

fake_common!(FakeWordapp);

impl FakeWordapp {
    pub fn settings(&self) -> MutexGuard<'_, WordappSettings> {
        lock(&self.state.settings)
    }

    /// The app changes the scopes it requests: every token and grant of the app dies
    /// and users must consent again (document 004).
    pub fn change_app_scopes(&self, client_id: &str, scopes: &str) {
        if let Some(app) = lock(&self.state.settings)
            .apps
            .iter_mut()
            .find(|a| a.client_id == client_id)
        {
            app.scopes = scopes.to_owned();
        }
        lock(&self.state.grants).retain(|(_, c)| c != client_id);
        lock(&self.state.tokens).revoke_where(|g| g.client_id == client_id);
    }

    /// Whether a refresh token would still be accepted (read-only: nothing rotates).
    pub fn is_refresh_token_live(&self, refresh_token: &str) -> bool {
        lock(&self.state.tokens).live_refresh(refresh_token).is_some()
    }

    /// The user revokes the app's access in Wordapp's settings page.
    pub fn revoke_grant(&self, username: &str, client_id: &str) {
        lock(&self.state.grants).remove(&(username.to_owned(), client_id.to_owned()));
        lock(&self.state.tokens).revoke_where(|g| g.client_id == client_id && g.subject.as_deref() == Some(username));
    }
}

pub(crate) async fn start(demo: &DemoCredentials, port: u16) -> std::io::Result<FakeWordapp> {
    let core = FakeCore::new("wordapp");
    let state = Arc::new(WordappState {
        core: core.clone(),
        settings: Mutex::new(WordappSettings::from_demo(demo)),
        grants: Mutex::default(),
        codes: Mutex::default(),
        tokens: Mutex::default(),
    });
    let router = Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/api/me", get(me))
        .with_state(state.clone());
    let server = Server::start(with_recording(router, core.clone(), classify), port).await?;
    Ok(FakeWordapp { core, state, server })
}

fn classify(method: &Method, path: &str) -> (&'static str, String) {
    let route = match (method.as_str(), path) {
        ("GET", "/oauth/authorize") => "wordapp.authorize",
        ("POST", "/oauth/token") => "wordapp.token",
        ("POST", "/oauth/revoke") => "wordapp.revoke",
        ("GET", "/api/me") => "wordapp.me",
        _ => "wordapp.unknown",
    };
    (route, path.to_owned())
}

/// `GET /oauth/authorize?response_type=code&client_id&redirect_uri[&state]`.
async fn authorize(State(st): State<Arc<WordappState>>, uri: Uri) -> Response {
    let q = query_map(&uri);
    let s = lock(&st.settings).clone();
    let Some(app) = q
        .get("client_id")
        .and_then(|id| s.apps.iter().find(|a| &a.client_id == id))
    else {
        return html_page(
            StatusCode::UNAUTHORIZED,
            "An error has occurred",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        );
    };
    let Some(redirect_uri) = q.get("redirect_uri").filter(|r| app.redirect_urls.contains(r)) else {
        // Never redirect to a URL the app did not register.
        return html_page(
            StatusCode::BAD_REQUEST,
            "An error has occurred",
            "The redirect uri included is not valid.",
        );
    };
    let with_state = |mut params: Vec<(&'static str, String)>| {
        if let Some(state) = q.get("state") {
            params.push(("state", state.clone()));
        }
        let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        redirect(redirect_uri, &borrowed)
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return with_state(vec![
            ("error", "unsupported_response_type".into()),
            (
                "error_description",
                "The authorization server does not support this response type.".into(),
            ),
        ]);
    }
    let Some(user) = s
        .consenting_user
        .clone()
        .or_else(|| s.users.first().map(|u| u.username.clone()))
    else {
        return html_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An error has occurred",
            "No user can log in.",
        );
    };
    let key = (user.clone(), app.client_id.clone());
    let granted = lock(&st.grants).contains(&key);
    if !granted {
        if s.consent == Consent::Deny {
            return with_state(vec![
                ("error", "access_denied".into()),
                (
                    "error_description",
                    "The resource owner or authorization server denied the request.".into(),
                ),
            ]);
        }
        lock(&st.grants).insert(key);
    }
    // Doorkeeper checks PKCE when a challenge is sent (document 004 does not
    // name it), so a sign-in that drops its verifier fails here.
    let pkce = match requested_pkce(
        q.get("code_challenge").map(String::as_str),
        q.get("code_challenge_method").map(String::as_str),
    ) {
        Ok(pkce) => pkce,
        Err(problem) => {
            return with_state(vec![
                ("error", "invalid_request".into()),
                ("error_description", problem.into()),
            ]);
        }
    };
    let code = random_hex(32);
    lock(&st.codes).insert(
        code.clone(),
        PendingCode {
            grant: Grant {
                client_id: app.client_id.clone(),
                subject: Some(user),
                scope: app.scopes.clone(),
            },
            redirect_uri: redirect_uri.clone(),
            pkce,
            expires_at: st.core.clock.now() + s.code_ttl,
        },
    );
    with_state(vec![("code", code)])
}

/// Client credentials from the body or a Basic header: `Ok(None)` when none were sent.
fn client_auth(
    s: &WordappSettings,
    headers: &HeaderMap,
    f: &std::collections::HashMap<String, String>,
) -> Result<Option<WordappApp>, E> {
    let creds = match basic_auth(headers) {
        Some((id, secret)) => Some((form_decode(&id), Some(form_decode(&secret)))),
        None => f
            .get("client_id")
            .map(|id| (id.clone(), f.get("client_secret").cloned())),
    };
    let Some((id, secret)) = creds else { return Ok(None) };
    match (s.apps.iter().find(|a| a.client_id == id), secret) {
        (Some(app), Some(secret)) if ct_eq(&app.client_secret, &secret) => Ok(Some(app.clone())),
        _ => Err(E::InvalidClient),
    }
}

/// `POST /oauth/token` (form only).
async fn token(State(st): State<Arc<WordappState>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    if !is_form(&headers) {
        return error(E::InvalidRequest);
    }
    let f = form_map(&body);
    let Some(grant_type) = f.get("grant_type") else {
        return error(E::InvalidRequest);
    };
    let app = match client_auth(&s, &headers, &f) {
        Ok(app) => app,
        Err(e) => return error(e),
    };
    match grant_type.as_str() {
        "password" => {
            let (Some(username), Some(password)) = (f.get("username"), f.get("password")) else {
                return error(E::InvalidRequest);
            };
            let user = s
                .users
                .iter()
                .find(|u| (&u.username == username || &u.email == username) && ct_eq(&u.password, password));
            let Some(user) = user else {
                return error(E::InvalidGrant);
            };
            let client_id = app.as_ref().map(|a| a.client_id.clone()).unwrap_or_default();
            let scope = app.map(|a| a.scopes).unwrap_or_else(|| "public".into());
            issue(
                &st,
                &s,
                Grant {
                    client_id,
                    subject: Some(user.username.clone()),
                    scope,
                },
                true,
            )
        }
        "authorization_code" => {
            let Some(app) = app else { return error(E::InvalidClient) };
            let (Some(code), Some(redirect_uri)) = (f.get("code"), f.get("redirect_uri")) else {
                return error(E::InvalidRequest);
            };
            let mut codes = lock(&st.codes);
            let pending = match codes.peek(code, st.core.clock.now()) {
                Ok(p) if p.grant.client_id == app.client_id && &p.redirect_uri == redirect_uri => p.clone(),
                _ => return error(E::InvalidGrant),
            };
            if !proves_pkce(pending.pkce.as_ref(), f.get("code_verifier")) {
                return error(E::InvalidGrant);
            }
            codes.consume(code);
            drop(codes);
            issue(&st, &s, pending.grant, true)
        }
        "client_credentials" => {
            let Some(app) = app else { return error(E::InvalidClient) };
            issue(
                &st,
                &s,
                Grant {
                    client_id: app.client_id,
                    subject: None,
                    scope: app.scopes,
                },
                false,
            )
        }
        "refresh_token" => {
            let Some(refresh) = f.get("refresh_token") else {
                return error(E::InvalidRequest);
            };
            let mut tokens = lock(&st.tokens);
            let record = match tokens.live_refresh(refresh) {
                Some(r) if app.as_ref().is_none_or(|a| a.client_id == r.grant.client_id) => r.clone(),
                _ => return error(E::InvalidGrant),
            };
            // "revoke the current token and create another fresh token" (document 004).
            tokens.revoke_pair(refresh);
            drop(tokens);
            issue(&st, &s, record.grant, true)
        }
        _ => error(E::UnsupportedGrantType),
    }
}

fn issue(st: &WordappState, s: &WordappSettings, grant: Grant, with_refresh: bool) -> Response {
    let access = random_hex(32);
    let refresh = with_refresh.then(|| random_hex(32));
    let scope = grant.scope.clone();
    let mut tokens = lock(&st.tokens);
    if grant.subject.is_some() {
        // One live token per user and application.
        tokens.revoke_where(|g| g.client_id == grant.client_id && g.subject == grant.subject);
    }
    tokens.issue(
        access.clone(),
        refresh.clone(),
        grant,
        st.core.clock.now(),
        Duration::from_secs(s.expires_in),
    );
    drop(tokens);
    let mut body = json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": s.expires_in,
        "scope": scope,
        "created_at": st.core.clock.unix(),
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    json(StatusCode::OK, body)
}

/// `POST /oauth/revoke`: an `Authorization` header (Basic client or Bearer token) and form `token`.
async fn revoke(State(st): State<Arc<WordappState>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    let now = st.core.clock.now();
    let authorized = match (basic_auth(&headers), bearer(&headers)) {
        (Some((id, secret)), _) => {
            let (id, secret) = (form_decode(&id), form_decode(&secret));
            s.apps
                .iter()
                .any(|a| a.client_id == id && ct_eq(&a.client_secret, &secret))
        }
        (None, Some(t)) => matches!(lock(&st.tokens).check_access(&t, now), TokenCheck::Valid(_)),
        (None, None) => false,
    };
    if !authorized {
        return json(
            StatusCode::FORBIDDEN,
            json!({ "error": "unauthorized_client", "error_description": "You are not authorized to revoke this token" }),
        );
    }
    if !is_form(&headers) {
        return error(E::InvalidRequest);
    }
    let f = form_map(&body);
    let Some(token) = f.get("token") else {
        return error(E::InvalidRequest);
    };
    lock(&st.tokens).revoke_pair(token);
    json(StatusCode::OK, json!({}))
}

/// `GET /api/me`: needs `Authorization: Bearer` and `X-Api-Version`.
async fn me(State(st): State<Arc<WordappState>>, headers: HeaderMap) -> Response {
    let s = lock(&st.settings).clone();
    let Some(token) = bearer(&headers) else {
        return bearer_unauthorized("Wordapp", "The access token is invalid");
    };
    let version = headers
        .get("x-api-version")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty());
    let version_ok = match (&s.api_version, version) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(want), Some(got)) => want == got,
    };
    if !version_ok {
        return json(
            status(s.bad_api_version_status),
            json!({ "error": "invalid_api_version", "error_description": "Missing or unsupported X-Api-Version header" }),
        );
    }
    match lock(&st.tokens).check_access(&token, st.core.clock.now()) {
        TokenCheck::Valid(g) => {
            let user = g
                .subject
                .as_ref()
                .and_then(|u| s.users.iter().find(|x| &x.username == u));
            json(
                StatusCode::OK,
                json!({
                    "username": user.map(|u| u.username.clone()),
                    "email": user.map(|u| u.email.clone()),
                    "client_id": g.client_id,
                    "scope": g.scope,
                }),
            )
        }
        TokenCheck::Expired => bearer_unauthorized("Wordapp", "The access token expired"),
        TokenCheck::Revoked => bearer_unauthorized("Wordapp", "The access token was revoked"),
        TokenCheck::Unknown => bearer_unauthorized("Wordapp", "The access token is invalid"),
    }
}
