//! Fake PayU accounts server (WhatsApp / partner OAuth): the onboarding consent page
//! `GET /app/account/signup`, `POST /oauth/token`, `POST /oauth/revoke`, the partner
//! code API `POST /api/v1/merchants/auth_code`, and a bearer probe `GET /api/me`
//! (providers.md §3, §6.3; documents 001 and 003).
//!
//! Every documented error row answers HTTP 401 with the stock RFC 6749 §5.2
//! description, exactly as the documents show, including their oddities: a missing
//! code is `invalid_grant`, a wrong grant type is `invalid_client` in document 001 and
//! `unsupported_grant_type` in document 003 ([`WrongGrantType::ByContext`] tells them
//! apart by whether the request carries a `refresh_token`), and a refresh without
//! `client_secret` succeeds.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::grants::{CodeStore, Grant, PendingCode, TokenCheck, TokenStore};
use crate::record::{FakeCore, query_map};
use crate::server::Server;
use crate::util::{
    bearer, bearer_unauthorized, ct_eq, form_map, html_page, is_form, json, proves_pkce, random_hex, redirect,
    requested_pkce,
};
use crate::{DemoCredentials, fake_common, lock, with_recording};

/// A partner's OAuth client at PayU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayuClient {
    pub client_id: String,
    pub client_secret: String,
    /// The whitelisted redirect URL the consent page sends the merchant back to.
    pub redirect_uri: String,
    pub reseller_id: String,
}

/// What a wrong `grant_type` answers (documents 001 and 003 disagree).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrongGrantType {
    /// `unsupported_grant_type` when the request carries a `refresh_token`, else `invalid_client`.
    ByContext,
    InvalidClient,
    UnsupportedGrantType,
}

/// PayU behaviour, changeable at run time. Defaults marked *assumption* are not documented.
#[derive(Clone, Debug)]
pub struct PayuSettings {
    pub clients: Vec<PayuClient>,
    /// The merchant who consents on the onboarding page.
    pub merchant_id: String,
    pub user_uuid: String,
    /// Reseller login for the password grant (`scope=hub_session`).
    pub username: String,
    pub password: String,
    /// The scope an authorization code carries.
    pub consent_scope: String,
    /// `expires_in` (documents: 7199).
    pub expires_in: u64,
    /// Authorization-code lifetime. *Assumption*: 600 s.
    pub code_ttl: Duration,
    /// Emit `created_at` in milliseconds (the docs' prose) instead of seconds (their samples).
    pub created_at_millis: bool,
    /// Answer with RFC statuses (400; 401 for invalid_client) instead of the documented 401 for all.
    pub rfc_statuses: bool,
    pub wrong_grant_type: WrongGrantType,
    /// Query name of the code on the consent redirect (docs: `auth_code`).
    pub redirect_code_param: String,
    /// After a refresh the old refresh token keeps working. *Assumption*: off.
    pub old_refresh_token_stays_valid: bool,
    /// Revoking one token of a pair revokes the other too. *Assumption*: off.
    pub revoke_revokes_pair: bool,
}

impl PayuSettings {
    /// What the sandbox's PayU starts with for these demo credentials.
    pub fn from_demo(demo: &DemoCredentials) -> Self {
        Self {
            clients: vec![PayuClient {
                client_id: demo.payu_client_id.clone(),
                client_secret: demo.payu_client_secret.clone(),
                redirect_uri: demo.redirect_uris.first().cloned().unwrap_or_default(),
                reseller_id: demo.payu_reseller_id.clone(),
            }],
            merchant_id: demo.payu_merchant_id.clone(),
            user_uuid: "11ed-933c-d307ba06-b71a-0a64ecf8a4cc".into(),
            username: demo.payu_username.clone(),
            password: demo.payu_password.clone(),
            consent_scope: "credentials_using_oauth create_payment_links read_payment_links update_payment_links \
                            delete_payment_links"
                .into(),
            expires_in: 7199,
            code_ttl: Duration::from_secs(600),
            created_at_millis: false,
            rfc_statuses: false,
            wrong_grant_type: WrongGrantType::ByContext,
            redirect_code_param: "auth_code".into(),
            old_refresh_token_stays_valid: false,
            revoke_revokes_pair: false,
        }
    }
}

/// RFC 6749 §5.2 error codes with PayU's (stock) descriptions.
#[derive(Clone, Copy, Debug)]
enum E {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
}

impl E {
    fn code(self) -> &'static str {
        match self {
            E::InvalidRequest => "invalid_request",
            E::InvalidClient => "invalid_client",
            E::InvalidGrant => "invalid_grant",
            E::UnsupportedGrantType => "unsupported_grant_type",
        }
    }

    fn description(self) -> &'static str {
        match self {
            E::InvalidRequest => {
                "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed."
            }
            E::InvalidClient => {
                "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."
            }
            E::InvalidGrant => {
                "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
            }
            E::UnsupportedGrantType => "The authorization grant type is not supported by the authorization server.",
        }
    }
}

fn error(s: &PayuSettings, e: E) -> Response {
    let st = match (s.rfc_statuses, e) {
        (false, _) | (true, E::InvalidClient) => StatusCode::UNAUTHORIZED,
        (true, _) => StatusCode::BAD_REQUEST,
    };
    json(st, json!({ "error": e.code(), "error_description": e.description() }))
}

struct PayuState {
    core: Arc<FakeCore>,
    settings: Mutex<PayuSettings>,
    codes: Mutex<CodeStore>,
    tokens: Mutex<TokenStore>,
}

/// The fake PayU server.
pub struct FakePayu {
    core: Arc<FakeCore>,
    state: Arc<PayuState>,
    server: Server,
}

fake_common!(FakePayu);

impl FakePayu {
    pub fn settings(&self) -> MutexGuard<'_, PayuSettings> {
        lock(&self.state.settings)
    }

    /// Plays PayU revoking a token server-side. Returns whether a live token was revoked.
    pub fn revoke_token(&self, token: &str) -> bool {
        let mut tokens = lock(&self.state.tokens);
        tokens.revoke_access(token) | tokens.revoke_refresh(token)
    }
}

pub(crate) async fn start(demo: &DemoCredentials, port: u16) -> std::io::Result<FakePayu> {
    let core = FakeCore::new("payu");
    let state = Arc::new(PayuState {
        core: core.clone(),
        settings: Mutex::new(PayuSettings::from_demo(demo)),
        codes: Mutex::default(),
        tokens: Mutex::default(),
    });
    let router = Router::new()
        .route("/app/account/signup", get(signup))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/api/v1/merchants/auth_code", post(partner_auth_code))
        .route("/api/me", get(me))
        .with_state(state.clone());
    let server = Server::start(with_recording(router, core.clone(), classify), port).await?;
    Ok(FakePayu { core, state, server })
}

fn classify(method: &Method, path: &str) -> (&'static str, String) {
    let route = match (method.as_str(), path) {
        ("GET", "/app/account/signup") => "payu.signup",
        ("POST", "/oauth/token") => "payu.token",
        ("POST", "/oauth/revoke") => "payu.revoke",
        ("POST", "/api/v1/merchants/auth_code") => "payu.auth_code",
        ("GET", "/api/me") => "payu.me",
        _ => "payu.unknown",
    };
    (route, path.to_owned())
}

/// `GET /app/account/signup?reseller_id&state[&email]`: the merchant consents at once.
async fn signup(State(st): State<Arc<PayuState>>, uri: Uri) -> Response {
    let q = query_map(&uri);
    let s = lock(&st.settings).clone();
    let Some(client) = q
        .get("reseller_id")
        .and_then(|r| s.clients.iter().find(|c| &c.reseller_id == r))
    else {
        return html_page(
            StatusCode::BAD_REQUEST,
            "PayU onboarding",
            "Unknown or missing reseller_id.",
        );
    };
    // *Assumption*: the documents name no PKCE; the fake honours a challenge
    // when one is sent, so a sign-in that drops its verifier fails here.
    let pkce = match requested_pkce(
        q.get("code_challenge").map(String::as_str),
        q.get("code_challenge_method").map(String::as_str),
    ) {
        Ok(pkce) => pkce,
        Err(problem) => return html_page(StatusCode::BAD_REQUEST, "PayU onboarding", problem),
    };
    let code = random_hex(32);
    lock(&st.codes).insert(
        code.clone(),
        PendingCode {
            grant: Grant {
                client_id: client.client_id.clone(),
                subject: Some(s.merchant_id.clone()),
                scope: s.consent_scope.clone(),
            },
            redirect_uri: client.redirect_uri.clone(),
            pkce,
            expires_at: st.core.clock.now() + s.code_ttl,
        },
    );
    let mut params = vec![
        (s.redirect_code_param.as_str(), code.as_str()),
        ("merchantId", s.merchant_id.as_str()),
    ];
    if let Some(state) = q.get("state") {
        params.push(("state", state));
    }
    redirect(&client.redirect_uri, &params)
}

fn client<'a>(s: &'a PayuSettings, id: Option<&String>) -> Option<&'a PayuClient> {
    let id = id?;
    s.clients.iter().find(|c| &c.client_id == id)
}

/// `POST /oauth/token` (form only).
async fn token(State(st): State<Arc<PayuState>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    if !is_form(&headers) {
        return error(&s, E::InvalidRequest);
    }
    let f = form_map(&body);
    let Some(grant_type) = f.get("grant_type") else {
        return error(&s, E::InvalidRequest);
    };
    // Confidential client: client_id + client_secret, both required and right.
    let authenticated = || {
        let c = client(&s, f.get("client_id"))?;
        let secret = f.get("client_secret")?;
        ct_eq(&c.client_secret, secret).then_some(c)
    };
    match grant_type.as_str() {
        "authorization_code" => {
            let Some(c) = authenticated() else {
                return error(&s, E::InvalidClient);
            };
            let Some(redirect_uri) = f.get("redirect_uri") else {
                return error(&s, E::InvalidRequest);
            };
            let Some(code) = f.get("code") else {
                return error(&s, E::InvalidGrant);
            };
            let mut codes = lock(&st.codes);
            let pending = match codes.peek(code, st.core.clock.now()) {
                Ok(p) if p.grant.client_id == c.client_id && &p.redirect_uri == redirect_uri => p.clone(),
                _ => return error(&s, E::InvalidGrant),
            };
            if !proves_pkce(pending.pkce.as_ref(), f.get("code_verifier")) {
                return error(&s, E::InvalidGrant);
            }
            codes.consume(code);
            drop(codes);
            issue(&st, &s, pending.grant, true)
        }
        "refresh_token" => {
            let Some(refresh) = f.get("refresh_token") else {
                return error(&s, E::InvalidRequest);
            };
            let Some(c) = client(&s, f.get("client_id")) else {
                return error(&s, E::InvalidClient);
            };
            // Document 003: client_secret is optional; if sent it must be right.
            if let Some(secret) = f.get("client_secret")
                && !ct_eq(&c.client_secret, secret)
            {
                return error(&s, E::InvalidClient);
            }
            let mut tokens = lock(&st.tokens);
            let record = match tokens.live_refresh(refresh) {
                Some(r) if r.grant.client_id == c.client_id => r.clone(),
                _ => return error(&s, E::InvalidGrant),
            };
            if !s.old_refresh_token_stays_valid {
                tokens.revoke_refresh(refresh);
            }
            drop(tokens);
            issue(&st, &s, record.grant, true)
        }
        "client_credentials" => {
            let Some(c) = authenticated() else {
                return error(&s, E::InvalidClient);
            };
            let scope = f.get("scope").cloned().unwrap_or_default();
            issue(
                &st,
                &s,
                Grant {
                    client_id: c.client_id.clone(),
                    subject: None,
                    scope,
                },
                false,
            )
        }
        "password" => {
            let Some(c) = authenticated() else {
                return error(&s, E::InvalidClient);
            };
            let ok = f.get("username") == Some(&s.username) && f.get("password").is_some_and(|p| ct_eq(p, &s.password));
            if !ok {
                return error(&s, E::InvalidGrant);
            }
            let scope = f.get("scope").cloned().unwrap_or_else(|| "hub_session".into());
            issue(
                &st,
                &s,
                Grant {
                    client_id: c.client_id.clone(),
                    subject: Some(s.username.clone()),
                    scope,
                },
                true,
            )
        }
        _ => {
            let e = match s.wrong_grant_type {
                WrongGrantType::InvalidClient => E::InvalidClient,
                WrongGrantType::UnsupportedGrantType => E::UnsupportedGrantType,
                WrongGrantType::ByContext if f.contains_key("refresh_token") => E::UnsupportedGrantType,
                WrongGrantType::ByContext => E::InvalidClient,
            };
            error(&s, e)
        }
    }
}

fn issue(st: &PayuState, s: &PayuSettings, grant: Grant, with_refresh: bool) -> Response {
    let access = random_hex(32);
    let refresh = with_refresh.then(|| random_hex(32));
    let scope = grant.scope.clone();
    lock(&st.tokens).issue(
        access.clone(),
        refresh.clone(),
        grant,
        st.core.clock.now(),
        Duration::from_secs(s.expires_in),
    );
    let created_at = if s.created_at_millis {
        st.core.clock.unix_millis()
    } else {
        st.core.clock.unix()
    };
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": s.expires_in,
        "scope": scope,
        "created_at": created_at,
        "user_uuid": s.user_uuid,
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    json(StatusCode::OK, body)
}

/// `POST /oauth/revoke`: form client_id, client_secret, token → 200 with an empty body.
async fn revoke(State(st): State<Arc<PayuState>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    if !is_form(&headers) {
        return error(&s, E::InvalidRequest);
    }
    let f = form_map(&body);
    let authenticated = client(&s, f.get("client_id"))
        .zip(f.get("client_secret"))
        .is_some_and(|(c, secret)| ct_eq(&c.client_secret, secret));
    if !authenticated {
        return error(&s, E::InvalidClient);
    }
    let Some(token) = f.get("token") else {
        return error(&s, E::InvalidRequest);
    };
    let mut tokens = lock(&st.tokens);
    if s.revoke_revokes_pair {
        tokens.revoke_pair(token);
    } else {
        tokens.revoke_access(token);
        tokens.revoke_refresh(token);
    }
    (StatusCode::OK, Body::empty()).into_response()
}

/// `POST /api/v1/merchants/auth_code`: a partner (hub_session token) asks for a merchant's code.
/// Response shape not documented: `{"code": "<hex>"}` (*assumption*).
async fn partner_auth_code(State(st): State<Arc<PayuState>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    let grant = match bearer(&headers).map(|t| lock(&st.tokens).check_access(&t, st.core.clock.now())) {
        Some(TokenCheck::Valid(g)) if g.scope.split(' ').any(|x| x == "hub_session") => g,
        _ => return unauthorized("The access token is invalid"),
    };
    if !is_form(&headers) {
        return error(&s, E::InvalidRequest);
    }
    let f = form_map(&body);
    let (Some(merchant), Some(redirect_uri), Some(scopes)) =
        (f.get("merchant_id"), f.get("redirect_uri"), f.get("scopes"))
    else {
        return error(&s, E::InvalidRequest);
    };
    if !s
        .clients
        .iter()
        .any(|c| c.client_id == grant.client_id && &c.redirect_uri == redirect_uri)
    {
        return error(&s, E::InvalidGrant);
    }
    let code = random_hex(32);
    lock(&st.codes).insert(
        code.clone(),
        PendingCode {
            grant: Grant {
                client_id: grant.client_id,
                subject: Some(merchant.clone()),
                scope: scopes.clone(),
            },
            redirect_uri: redirect_uri.clone(),
            pkce: None,
            expires_at: st.core.clock.now() + s.code_ttl,
        },
    );
    json(StatusCode::OK, json!({ "code": code }))
}

fn unauthorized(description: &str) -> Response {
    bearer_unauthorized("PayU", description)
}

/// `GET /api/me`: the bearer probe. *Assumption*: Doorkeeper-style 401 bodies.
async fn me(State(st): State<Arc<PayuState>>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return unauthorized("The access token is invalid");
    };
    let s = lock(&st.settings).clone();
    match lock(&st.tokens).check_access(&token, st.core.clock.now()) {
        TokenCheck::Valid(g) => json(
            StatusCode::OK,
            json!({ "user_uuid": s.user_uuid, "merchant_id": g.subject, "client_id": g.client_id, "scope": g.scope }),
        ),
        TokenCheck::Expired => unauthorized("The access token expired"),
        TokenCheck::Revoked => unauthorized("The access token was revoked"),
        TokenCheck::Unknown => unauthorized("The access token is invalid"),
    }
}
