//! A generic OAuth 2.0 server: RFC 6749 (authorization code, refresh, client
//! credentials, password), RFC 7636 (PKCE) and RFC 7009 (revocation), at `/authorize`,
//! `/token`, `/revoke`, with a bearer probe `/userinfo`.
//!
//! It stands for "any standard server", so it follows the RFCs to the letter where
//! Latch's four providers bend them: JSON `{error, error_description}` bodies with
//! §5.2 statuses (401 + `WWW-Authenticate` for a failed Basic login), `no-store`
//! token answers, loopback redirects on any port (RFC 8252 §7.3), and revocation
//! answering 200 for tokens it does not know.
//!
//! The device authorization grant (RFC 8628) is at `/device_authorization`,
//! with a page at `/device`; the person's answer comes from a test hook
//! ([`FakeOAuth2::approve_device`] and its siblings), the way a person at the
//! page would give it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::grants::{CodeStore, Grant, PendingCode, TokenCheck, TokenStore};
use crate::record::{FakeCore, query_map};
use crate::server::Server;
use crate::util::{
    basic_auth, bearer, bearer_unauthorized, ct_eq, form_decode, form_map, html_page, is_form, json, pkce_matches,
    pkce_well_formed, random_hex, redirect, redirect_allowed,
};
use crate::{Consent, DemoCredentials, fake_common, lock, with_recording};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuth2Client {
    pub client_id: String,
    /// `None`: a public client (RFC 6749 §2.1), which sends only `client_id`.
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
    /// The public keys (JWKs) registered for `private_key_jwt` (RFC 7523):
    /// an assertion signed by one of them authenticates the client.
    pub jwks: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuth2User {
    pub username: String,
    pub password: String,
}

/// Which client authentication (RFC 6749 §2.3.1) the token and revoke endpoints accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthMode {
    /// Only `Authorization: Basic`.
    Basic,
    /// Only `client_id` / `client_secret` in the form body.
    Body,
    /// Either (never both at once).
    Either,
    /// Only `client_secret_jwt` (RFC 7523 §2.2, HS256 with the secret).
    SecretJwt,
    /// Only `private_key_jwt` (RFC 7523 §2.2, signed by a registered key).
    PrivateKeyJwt,
    /// Any of the above, as most servers that offer JWTs do.
    Any,
}

#[derive(Clone, Debug)]
pub struct OAuth2Settings {
    pub clients: Vec<OAuth2Client>,
    pub users: Vec<OAuth2User>,
    pub client_auth: ClientAuthMode,
    /// Refuse authorization requests without a code challenge.
    pub require_pkce: bool,
    /// Accept `code_challenge_method=plain`.
    pub allow_plain_pkce: bool,
    pub expires_in: u64,
    pub code_ttl: Duration,
    /// Refresh returns a new refresh token and invalidates the old one.
    pub rotate_refresh_tokens: bool,
    /// `/revoke` answers 503 `temporarily_unavailable` (RFC 7009 §2.2.1).
    pub revoke_unavailable: bool,
    /// Loopback redirect URIs match on any port (RFC 8252 §7.3).
    pub loopback_any_port: bool,
    pub consent: Consent,
    /// Scopes a client may ask for; empty = anything.
    pub allowed_scopes: Vec<String>,
    /// Scope granted when none is asked for.
    pub default_scope: String,
    /// RFC 9207: the `iss` every authorization response carries (the
    /// server's metadata would say `authorization_response_iss_parameter_supported`);
    /// `None`: no `iss`, as a server that does not know RFC 9207.
    pub issuer: Option<String>,
    /// RFC 8628 §3.2 `interval` in the device authorization answer;
    /// `None`: left out (the client then waits 5 s).
    pub device_interval: Option<u64>,
    /// RFC 8628 §3.2 `expires_in` of a device code.
    pub device_expires_in: u64,
    /// `refresh_expires_in` beside a refresh token (as Keycloak sends it):
    /// seconds until the refresh token ends; `None`: not said.
    pub refresh_expires_in: Option<u64>,
}

/// Where a device code stands (RFC 8628 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceDecision {
    /// The person has not answered yet: `authorization_pending`.
    Pending,
    Approved,
    /// `access_denied`.
    Denied,
    /// `expired_token`, whatever the clock says.
    Expired,
}

struct DeviceGrant {
    user_code: String,
    grant: Grant,
    decision: DeviceDecision,
    /// Answer the next poll with `slow_down`.
    slow_down: bool,
    expires_at: std::time::SystemTime,
}

impl OAuth2Settings {
    fn from_demo(demo: &DemoCredentials) -> Self {
        Self {
            clients: vec![OAuth2Client {
                client_id: demo.oauth2_client_id.clone(),
                client_secret: Some(demo.oauth2_client_secret.clone()),
                redirect_uris: demo.redirect_uris.clone(),
                jwks: Vec::new(),
            }],
            users: vec![OAuth2User {
                username: demo.oauth2_username.clone(),
                password: demo.oauth2_password.clone(),
            }],
            client_auth: ClientAuthMode::Any,
            require_pkce: false,
            allow_plain_pkce: true,
            expires_in: 3600,
            code_ttl: Duration::from_secs(600),
            rotate_refresh_tokens: true,
            revoke_unavailable: false,
            loopback_any_port: true,
            consent: Consent::Approve,
            allowed_scopes: Vec::new(),
            default_scope: "read".into(),
            issuer: None,
            device_interval: None,
            device_expires_in: 600,
            refresh_expires_in: None,
        }
    }
}

/// RFC 6749 §5.2 (and RFC 7009 §2.2.1) errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum E {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
}

impl E {
    fn code(self) -> &'static str {
        match self {
            E::InvalidRequest => "invalid_request",
            E::InvalidClient => "invalid_client",
            E::InvalidGrant => "invalid_grant",
            E::UnauthorizedClient => "unauthorized_client",
            E::UnsupportedGrantType => "unsupported_grant_type",
            E::InvalidScope => "invalid_scope",
        }
    }
}

fn error(e: E, description: &str) -> Response {
    let st = if e == E::InvalidClient {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut resp = json(st, json!({ "error": e.code(), "error_description": description }));
    if e == E::InvalidClient {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"oauth2\""),
        );
    }
    resp
}

struct OAuth2State {
    core: Arc<FakeCore>,
    settings: Mutex<OAuth2Settings>,
    codes: Mutex<CodeStore>,
    tokens: Mutex<TokenStore>,
    /// Device codes (RFC 8628) by device code.
    devices: Mutex<HashMap<String, DeviceGrant>>,
    /// The server's own address, known once it listens: the metadata's issuer.
    base_url: std::sync::OnceLock<String>,
    /// The `jti` of every client assertion taken, with its `exp`: an
    /// assertion is good once (RFC 7523 §3 item 7).
    assertions_seen: Mutex<HashMap<String, u64>>,
}

/// The fake generic OAuth 2.0 server.
pub struct FakeOAuth2 {
    core: Arc<FakeCore>,
    state: Arc<OAuth2State>,
    server: Server,
}

fake_common!(FakeOAuth2);

impl FakeOAuth2 {
    pub fn settings(&self) -> MutexGuard<'_, OAuth2Settings> {
        lock(&self.state.settings)
    }

    /// `/authorize` URL.
    pub fn authorize_url(&self) -> String {
        format!("{}/authorize", self.base_url())
    }
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base_url())
    }
    pub fn revoke_url(&self) -> String {
        format!("{}/revoke", self.base_url())
    }
    pub fn introspection_url(&self) -> String {
        format!("{}/introspect", self.base_url())
    }

    pub fn device_authorization_url(&self) -> String {
        format!("{}/device_authorization", self.base_url())
    }

    /// The user codes handed out, oldest first.
    pub fn user_codes(&self) -> Vec<String> {
        let devices = lock(&self.state.devices);
        let mut codes: Vec<(std::time::SystemTime, String)> =
            devices.values().map(|d| (d.expires_at, d.user_code.clone())).collect();
        codes.sort();
        codes.into_iter().map(|(_, code)| code).collect()
    }

    /// The person's answer at the device page for `user_code`; `false` when
    /// no device code has that user code.
    pub fn decide_device(&self, user_code: &str, decision: DeviceDecision) -> bool {
        self.with_device(user_code, |device| device.decision = decision)
    }

    /// Answers the next poll for `user_code` with `slow_down` (RFC 8628 §3.5).
    pub fn slow_down_once(&self, user_code: &str) -> bool {
        self.with_device(user_code, |device| device.slow_down = true)
    }

    /// Changes the device code whose user code is `user_code`; `false` when none has it.
    fn with_device(&self, user_code: &str, change: impl FnOnce(&mut DeviceGrant)) -> bool {
        let mut devices = lock(&self.state.devices);
        devices
            .values_mut()
            .find(|d| d.user_code == user_code)
            .map(change)
            .is_some()
    }

    /// Is this access token live (issued, unexpired, unrevoked)?
    pub fn is_live(&self, access_token: &str) -> bool {
        matches!(
            lock(&self.state.tokens).check_access(access_token, self.core.clock.now()),
            TokenCheck::Valid(_)
        )
    }
}

pub(crate) async fn start(demo: &DemoCredentials, port: u16) -> std::io::Result<FakeOAuth2> {
    let core = FakeCore::new("oauth2");
    let state = Arc::new(OAuth2State {
        core: core.clone(),
        settings: Mutex::new(OAuth2Settings::from_demo(demo)),
        codes: Mutex::default(),
        tokens: Mutex::default(),
        devices: Mutex::default(),
        base_url: std::sync::OnceLock::new(),
        assertions_seen: Mutex::default(),
    });
    let router = Router::new()
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .route("/introspect", post(introspect))
        .route("/device_authorization", post(device_authorization))
        .route("/device", get(device_page))
        .route("/userinfo", get(userinfo))
        .with_state(state.clone());
    let server = Server::start(with_recording(router, core.clone(), classify), port).await?;
    let _ = state.base_url.set(server.base_url());
    Ok(FakeOAuth2 { core, state, server })
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3.2): what the
/// fake supports, as its settings stand. With `issuer` set, that is the
/// issuer it names (and sends as `iss`); else its base URL, and no `iss`.
async fn metadata(State(st): State<Arc<OAuth2State>>) -> Response {
    let base = st.base_url.get().cloned().unwrap_or_default();
    let s = lock(&st.settings).clone();
    let methods: &[&str] = match s.client_auth {
        ClientAuthMode::Basic => &["client_secret_basic", "none"],
        ClientAuthMode::Body => &["client_secret_post", "none"],
        ClientAuthMode::Either => &["client_secret_basic", "client_secret_post", "none"],
        ClientAuthMode::SecretJwt => &["client_secret_jwt", "none"],
        ClientAuthMode::PrivateKeyJwt => &["private_key_jwt", "none"],
        ClientAuthMode::Any => &[
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none",
        ],
    };
    let pkce: &[&str] = if s.allow_plain_pkce {
        &["S256", "plain"]
    } else {
        &["S256"]
    };
    json(
        StatusCode::OK,
        json!({
            "issuer": s.issuer.clone().unwrap_or_else(|| base.clone()),
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "revocation_endpoint": format!("{base}/revoke"),
            "introspection_endpoint": format!("{base}/introspect"),
            "device_authorization_endpoint": format!("{base}/device_authorization"),
            "userinfo_endpoint": format!("{base}/userinfo"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", "password", DEVICE_CODE_GRANT],
            "code_challenge_methods_supported": pkce,
            "token_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_methods_supported": methods,
            "token_endpoint_auth_signing_alg_values_supported": ["HS256", "RS256", "ES256"],
            "authorization_response_iss_parameter_supported": s.issuer.is_some(),
        }),
    )
}

fn classify(method: &Method, path: &str) -> (&'static str, String) {
    let route = match (method.as_str(), path) {
        ("GET", "/.well-known/oauth-authorization-server") => "oauth2.metadata",
        ("GET", "/authorize") => "oauth2.authorize",
        ("POST", "/token") => "oauth2.token",
        ("POST", "/revoke") => "oauth2.revoke",
        ("POST", "/introspect") => "oauth2.introspect",
        ("POST", "/device_authorization") => "oauth2.device_authorization",
        ("GET", "/device") => "oauth2.device_page",
        ("GET", "/userinfo") => "oauth2.userinfo",
        _ => "oauth2.unknown",
    };
    (route, path.to_owned())
}

/// `GET /authorize` (RFC 6749 §4.1.1, RFC 7636 §4.3).
async fn authorize(State(st): State<Arc<OAuth2State>>, uri: Uri) -> Response {
    let q = query_map(&uri);
    let s = lock(&st.settings).clone();
    let param = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client) = param("client_id").and_then(|id| s.clients.iter().find(|c| c.client_id == id)) else {
        return html_page(StatusCode::BAD_REQUEST, "Authorization error", "Unknown client_id.");
    };
    // §3.1.2.3: without redirect_uri, a client's single registered URI is used.
    let redirect_uri = match param("redirect_uri") {
        Some(r) if redirect_allowed(&client.redirect_uris, r, s.loopback_any_port) => r.to_owned(),
        None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
        _ => {
            return html_page(
                StatusCode::BAD_REQUEST,
                "Authorization error",
                "The redirect_uri is not registered.",
            );
        }
    };
    let fail = |error: &str, description: &str| {
        let mut params = vec![("error", error), ("error_description", description)];
        if let Some(state) = param("state") {
            params.push(("state", state));
        }
        if let Some(issuer) = &s.issuer {
            params.push(("iss", issuer));
        }
        redirect(&redirect_uri, &params)
    };
    if param("response_type") != Some("code") {
        return fail("unsupported_response_type", "Only response_type=code is supported.");
    }
    let pkce = match (
        param("code_challenge"),
        param("code_challenge_method").unwrap_or("plain"),
    ) {
        (None, _) if s.require_pkce => return fail("invalid_request", "code challenge required."),
        (None, _) => None,
        (Some(c), _) if !pkce_well_formed(c) => return fail("invalid_request", "Malformed code_challenge."),
        (Some(c), "S256") => Some((c.to_owned(), "S256".to_owned())),
        (Some(c), "plain") if s.allow_plain_pkce => Some((c.to_owned(), "plain".to_owned())),
        (Some(_), _) => return fail("invalid_request", "transform algorithm not supported."),
    };
    let scope = param("scope")
        .map(str::to_owned)
        .unwrap_or_else(|| s.default_scope.clone());
    if !scope_allowed(&s, &scope) {
        return fail(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        );
    }
    if s.consent == Consent::Deny {
        return fail("access_denied", "The resource owner denied the request.");
    }
    let subject = s.users.first().map(|u| u.username.clone());
    let code = random_hex(32);
    lock(&st.codes).insert(
        code.clone(),
        PendingCode {
            grant: Grant {
                client_id: client.client_id.clone(),
                subject,
                scope,
            },
            redirect_uri: redirect_uri.clone(),
            pkce,
            expires_at: st.core.clock.now() + s.code_ttl,
        },
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = param("state") {
        params.push(("state", state));
    }
    if let Some(issuer) = &s.issuer {
        params.push(("iss", issuer));
    }
    redirect(&redirect_uri, &params)
}

fn scope_allowed(s: &OAuth2Settings, scope: &str) -> bool {
    s.allowed_scopes.is_empty()
        || scope
            .split(' ')
            .filter(|x| !x.is_empty())
            .all(|x| s.allowed_scopes.iter().any(|a| a == x))
}

/// How a request authenticated its client.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AuthMethod {
    Basic,
    Body,
    SecretJwt,
    PrivateKeyJwt,
    /// A public client: only its `client_id`.
    None,
}

/// RFC 6749 §2.3 and RFC 7523 §3: authenticates the client by Basic, body
/// or a client assertion (one method only), and checks the method against
/// the settings.
fn authenticate(
    st: &OAuth2State,
    s: &OAuth2Settings,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Result<OAuth2Client, (E, &'static str)> {
    let basic = basic_auth(headers).map(|(id, secret)| (form_decode(&id), form_decode(&secret)));
    let body_secret = f.get("client_secret");
    let assertion = f.get("client_assertion");
    let (client, method) = match (basic, body_secret, assertion) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
            return Err((E::InvalidRequest, "Use only one client authentication method."));
        }
        (None, None, Some(assertion)) => assertion_client(st, s, f, assertion)?,
        (Some((id, secret)), None, None) => (secret_client(s, &id, Some(&secret))?, AuthMethod::Basic),
        (None, secret, None) => match f.get("client_id") {
            Some(id) => {
                let client = secret_client(s, id, secret.map(String::as_str))?;
                let method = if client.client_secret.is_some() {
                    AuthMethod::Body
                } else {
                    AuthMethod::None
                };
                (client, method)
            }
            None => return Err((E::InvalidClient, "Client authentication required.")),
        },
    };
    let method_ok = match (s.client_auth, method) {
        (_, AuthMethod::None) | (ClientAuthMode::Any, _) => true,
        (ClientAuthMode::Either, m) => m == AuthMethod::Basic || m == AuthMethod::Body,
        (ClientAuthMode::Basic, m) => m == AuthMethod::Basic,
        (ClientAuthMode::Body, m) => m == AuthMethod::Body,
        (ClientAuthMode::SecretJwt, m) => m == AuthMethod::SecretJwt,
        (ClientAuthMode::PrivateKeyJwt, m) => m == AuthMethod::PrivateKeyJwt,
    };
    if !method_ok {
        return Err((E::InvalidClient, "Unsupported client authentication method."));
    }
    Ok(client)
}

/// The client a secret (or, for a public client, none) authenticates.
fn secret_client(s: &OAuth2Settings, id: &str, secret: Option<&str>) -> Result<OAuth2Client, (E, &'static str)> {
    let Some(client) = s.clients.iter().find(|c| c.client_id == id).cloned() else {
        return Err((E::InvalidClient, "Unknown client."));
    };
    match (&client.client_secret, secret) {
        // A public client identifies itself; there is nothing to check.
        (None, _) => Ok(client),
        (Some(want), Some(got)) if ct_eq(want, got) => Ok(client),
        _ => Err((E::InvalidClient, "Client authentication failed.")),
    }
}

/// RFC 7523 §3: the client a JWT assertion authenticates. `iss` and `sub`
/// are the client, `aud` the token endpoint or the issuer, it has not
/// expired, its `jti` was not seen before, and its signature is the
/// client secret's (HS256) or a registered key's.
fn assertion_client(
    st: &OAuth2State,
    s: &OAuth2Settings,
    f: &HashMap<String, String>,
    assertion: &str,
) -> Result<(OAuth2Client, AuthMethod), (E, &'static str)> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::Jwk};
    const BAD: (E, &str) = (E::InvalidClient, "The client assertion is invalid.");
    if f.get("client_assertion_type").map(String::as_str) != Some(latch_core::jose::ASSERTION_TYPE) {
        return Err((
            E::InvalidRequest,
            "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
        ));
    }
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| BAD)?;
    let claims = latch_core::jwt::claims(assertion).ok_or(BAD)?;
    let issuer = claims["iss"].as_str().ok_or(BAD)?;
    if claims["sub"].as_str() != Some(issuer) || f.get("client_id").is_some_and(|id| id != issuer) {
        return Err(BAD);
    }
    let Some(client) = s.clients.iter().find(|c| c.client_id == issuer).cloned() else {
        return Err((E::InvalidClient, "Unknown client."));
    };
    let (keys, method): (Vec<DecodingKey>, AuthMethod) = match header.alg {
        Algorithm::HS256 => {
            let secret = client.client_secret.as_deref().ok_or(BAD)?;
            (vec![DecodingKey::from_secret(secret.as_bytes())], AuthMethod::SecretJwt)
        }
        Algorithm::RS256 | Algorithm::ES256 => {
            let keys = client
                .jwks
                .iter()
                .filter(|jwk| header.kid.is_none() || jwk["kid"].as_str() == header.kid.as_deref())
                .filter_map(|jwk| serde_json::from_value::<Jwk>(jwk.clone()).ok())
                .filter_map(|jwk| DecodingKey::from_jwk(&jwk).ok())
                .collect();
            (keys, AuthMethod::PrivateKeyJwt)
        }
        _ => return Err(BAD),
    };
    let base = st.base_url.get().cloned().unwrap_or_default();
    let audiences = [format!("{base}/token"), s.issuer.clone().unwrap_or(base)];
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&audiences);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    // The fake's clock, which a test may move: checked below.
    validation.validate_exp = false;
    if !keys
        .iter()
        .any(|key| jsonwebtoken::decode::<serde_json::Value>(assertion, key, &validation).is_ok())
    {
        return Err(BAD);
    }
    let now = st.core.clock.unix();
    let exp = claims["exp"].as_u64().ok_or(BAD)?;
    if exp <= now {
        return Err((E::InvalidClient, "The client assertion has expired."));
    }
    let jti = claims["jti"].as_str().ok_or(BAD)?;
    let mut seen = lock(&st.assertions_seen);
    seen.retain(|_, until| *until > now);
    if seen.insert(jti.to_owned(), exp).is_some() {
        return Err((E::InvalidClient, "The client assertion was used before."));
    }
    Ok((client, method))
}

/// The form of a POST from an authenticated client (a token, device,
/// revocation or introspection request), or the error to answer.
fn client_form(
    st: &OAuth2State,
    s: &OAuth2Settings,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(OAuth2Client, HashMap<String, String>), Box<Response>> {
    if !is_form(headers) {
        return Err(Box::new(error(
            E::InvalidRequest,
            "The body must be application/x-www-form-urlencoded.",
        )));
    }
    let f = form_map(body);
    let client = authenticate(st, s, headers, &f).map_err(|(e, description)| Box::new(error(e, description)))?;
    Ok((client, f))
}

/// `POST /token` (RFC 6749 §3.2).
async fn token(State(st): State<Arc<OAuth2State>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    let (client, f) = match client_form(&st, &s, &headers, &body) {
        Ok(pair) => pair,
        Err(refusal) => return *refusal,
    };
    let Some(grant_type) = f.get("grant_type") else {
        return error(E::InvalidRequest, "Missing grant_type.");
    };
    let now = st.core.clock.now();
    match grant_type.as_str() {
        "authorization_code" => {
            let Some(code) = f.get("code") else {
                return error(E::InvalidRequest, "Missing code.");
            };
            let mut codes = lock(&st.codes);
            let pending = match codes.peek(code, now) {
                Ok(p) if p.grant.client_id == client.client_id => p.clone(),
                Ok(_) => return error(E::InvalidGrant, "The code was issued to another client."),
                Err(_) => return error(E::InvalidGrant, "The code is invalid, expired or already used."),
            };
            if f.get("redirect_uri") != Some(&pending.redirect_uri) {
                return error(
                    E::InvalidGrant,
                    "redirect_uri does not match the authorization request.",
                );
            }
            if let Some((challenge, method)) = &pending.pkce {
                let Some(verifier) = f.get("code_verifier") else {
                    return error(E::InvalidGrant, "Missing code_verifier.");
                };
                if !pkce_matches(method, challenge, verifier) {
                    return error(E::InvalidGrant, "PKCE verification failed.");
                }
            }
            codes.consume(code);
            drop(codes);
            issue(&st, &s, pending.grant, true, None)
        }
        "refresh_token" => {
            let Some(refresh) = f.get("refresh_token") else {
                return error(E::InvalidRequest, "Missing refresh_token.");
            };
            let mut tokens = lock(&st.tokens);
            let record = match tokens.live_refresh(refresh) {
                Some(r) if r.grant.client_id == client.client_id => r.clone(),
                _ => return error(E::InvalidGrant, "The refresh token is invalid, expired or revoked."),
            };
            let mut grant = record.grant;
            if let Some(scope) = f.get("scope") {
                // §6: the new scope must not exceed the original grant.
                let granted: Vec<&str> = grant.scope.split(' ').collect();
                if !scope.split(' ').all(|x| granted.contains(&x)) {
                    return error(E::InvalidScope, "The requested scope exceeds the original grant.");
                }
                grant.scope = scope.clone();
            }
            if s.rotate_refresh_tokens {
                tokens.revoke_refresh(refresh);
                drop(tokens);
                issue(&st, &s, grant, true, None)
            } else {
                drop(tokens);
                issue(&st, &s, grant, false, Some(refresh.clone()))
            }
        }
        "client_credentials" => {
            if client.client_secret.is_none() {
                return error(E::UnauthorizedClient, "Public clients cannot use client_credentials.");
            }
            let scope = f.get("scope").cloned().unwrap_or_else(|| s.default_scope.clone());
            if !scope_allowed(&s, &scope) {
                return error(
                    E::InvalidScope,
                    "The requested scope is invalid, unknown, or malformed.",
                );
            }
            issue(
                &st,
                &s,
                Grant {
                    client_id: client.client_id,
                    subject: None,
                    scope,
                },
                false,
                None,
            )
        }
        "password" => {
            let (Some(username), Some(password)) = (f.get("username"), f.get("password")) else {
                return error(E::InvalidRequest, "Missing username or password.");
            };
            if !s
                .users
                .iter()
                .any(|u| &u.username == username && ct_eq(&u.password, password))
            {
                return error(E::InvalidGrant, "Invalid resource owner credentials.");
            }
            let scope = f.get("scope").cloned().unwrap_or_else(|| s.default_scope.clone());
            issue(
                &st,
                &s,
                Grant {
                    client_id: client.client_id,
                    subject: Some(username.clone()),
                    scope,
                },
                true,
                None,
            )
        }
        DEVICE_CODE_GRANT => device_token(&st, &s, &client, &f),
        _ => error(
            E::UnsupportedGrantType,
            "The authorization grant type is not supported.",
        ),
    }
}

/// RFC 8628 §3.4's grant type.
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `POST /device_authorization` (RFC 8628 §3.1, §3.2).
async fn device_authorization(State(st): State<Arc<OAuth2State>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    let (client, f) = match client_form(&st, &s, &headers, &body) {
        Ok(pair) => pair,
        Err(refusal) => return *refusal,
    };
    let scope = f.get("scope").cloned().unwrap_or_else(|| s.default_scope.clone());
    if !scope_allowed(&s, &scope) {
        return error(
            E::InvalidScope,
            "The requested scope is invalid, unknown, or malformed.",
        );
    }
    let device_code = random_hex(32);
    // §6.1: eight letters without vowels, shown as XXXX-XXXX.
    // One letter per random byte: eight bytes, not eight hex digits' sixteen.
    let letters: String = crate::util::random_bytes(8)
        .iter()
        .map(|b| char::from(b"BCDFGHJKLMNPQRSTVWXZ"[usize::from(*b) % 20]))
        .collect();
    let user_code = format!("{}-{}", &letters[..4], &letters[4..]);
    let subject = s.users.first().map(|u| u.username.clone());
    lock(&st.devices).insert(
        device_code.clone(),
        DeviceGrant {
            user_code: user_code.clone(),
            grant: Grant {
                client_id: client.client_id,
                subject,
                scope,
            },
            decision: DeviceDecision::Pending,
            slow_down: false,
            expires_at: st.core.clock.now() + Duration::from_secs(s.device_expires_in),
        },
    );
    let base = st.base_url.get().cloned().unwrap_or_default();
    let mut body = json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": format!("{base}/device"),
        "verification_uri_complete": format!("{base}/device?user_code={user_code}"),
        "expires_in": s.device_expires_in,
    });
    if let Some(interval) = s.device_interval {
        body["interval"] = json!(interval);
    }
    let mut resp = json(StatusCode::OK, body);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /device`: the page where the person would type the user code.
async fn device_page() -> Response {
    html_page(
        StatusCode::OK,
        "Device sign-in",
        "Type the code your device shows. (The sandbox takes the answer from its test hook.)",
    )
}

/// The token endpoint's device code grant (RFC 8628 §3.4, §3.5).
fn device_token(st: &OAuth2State, s: &OAuth2Settings, client: &OAuth2Client, f: &HashMap<String, String>) -> Response {
    let Some(device_code) = f.get("device_code") else {
        return error(E::InvalidRequest, "Missing device_code.");
    };
    let mut devices = lock(&st.devices);
    let Some(device) = devices.get_mut(device_code) else {
        return error(E::InvalidGrant, "The device code is invalid or already used.");
    };
    if device.grant.client_id != client.client_id {
        return error(E::InvalidGrant, "The device code was issued to another client.");
    }
    let now = st.core.clock.now();
    if device.decision == DeviceDecision::Expired || now >= device.expires_at {
        return device_error("expired_token", "The device code has expired.");
    }
    if std::mem::take(&mut device.slow_down) {
        return device_error("slow_down", "Polling too often; wait 5 seconds longer.");
    }
    match device.decision {
        DeviceDecision::Pending => device_error("authorization_pending", "The user has not answered yet."),
        DeviceDecision::Denied => device_error("access_denied", "The user denied the request."),
        DeviceDecision::Expired => device_error("expired_token", "The device code has expired."),
        DeviceDecision::Approved => {
            let grant = devices.remove(device_code).map(|d| d.grant);
            drop(devices);
            match grant {
                Some(grant) => issue(st, s, grant, true, None),
                None => error(E::InvalidGrant, "The device code is invalid or already used."),
            }
        }
    }
}

fn device_error(code: &str, description: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        json!({ "error": code, "error_description": description }),
    )
}

/// Issues an access token; a new refresh token if `new_refresh`, or re-pairs `keep_refresh`.
fn issue(
    st: &OAuth2State,
    s: &OAuth2Settings,
    grant: Grant,
    new_refresh: bool,
    keep_refresh: Option<String>,
) -> Response {
    let access = random_hex(32);
    let refresh = new_refresh.then(|| random_hex(32));
    let scope = grant.scope.clone();
    lock(&st.tokens).issue(
        access.clone(),
        refresh.clone(),
        grant,
        st.core.clock.now(),
        Duration::from_secs(s.expires_in),
    );
    let mut body =
        json!({ "access_token": access, "token_type": "Bearer", "expires_in": s.expires_in, "scope": scope });
    if let Some(r) = refresh.or(keep_refresh) {
        body["refresh_token"] = json!(r);
        if let Some(seconds) = s.refresh_expires_in {
            body["refresh_expires_in"] = json!(seconds);
        }
    }
    let mut resp = json(StatusCode::OK, body);
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// `POST /revoke` (RFC 7009 §2.1).
async fn revoke(State(st): State<Arc<OAuth2State>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    if s.revoke_unavailable {
        let mut resp = json(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error": "temporarily_unavailable", "error_description": "Revocation is unavailable; try later." }),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return resp;
    }
    let (client, f) = match client_form(&st, &s, &headers, &body) {
        Ok(pair) => pair,
        Err(refusal) => return *refusal,
    };
    let Some(token) = f.get("token") else {
        return error(E::InvalidRequest, "Missing token.");
    };
    let mut tokens = lock(&st.tokens);
    let owner = match tokens.check_access(token, st.core.clock.now()) {
        TokenCheck::Valid(g) => Some(g.client_id),
        _ => tokens.live_refresh(token).map(|r| r.grant.client_id.clone()),
    };
    match owner {
        Some(owner) if owner != client.client_id => {
            return error(E::UnauthorizedClient, "The token was issued to another client.");
        }
        Some(_) if tokens.live_refresh(token).is_some() => {
            // §2.1: revoking a refresh token also revokes the access tokens of its grant.
            tokens.revoke_pair(token);
        }
        Some(_) => {
            tokens.revoke_access(token);
        }
        // §2.2: an invalid token is not an error.
        None => {}
    }
    (StatusCode::OK, Body::empty()).into_response()
}

/// `POST /introspect` (RFC 7662 §2): an authenticated client asks about a
/// token; only a live access token issued to that client is active, and
/// anything else is `{"active": false}` alone (§2.2).
async fn introspect(State(st): State<Arc<OAuth2State>>, headers: HeaderMap, body: Bytes) -> Response {
    let s = lock(&st.settings).clone();
    let (client, f) = match client_form(&st, &s, &headers, &body) {
        Ok(pair) => pair,
        Err(refusal) => return *refusal,
    };
    let Some(token) = f.get("token") else {
        return error(E::InvalidRequest, "Missing token.");
    };
    match lock(&st.tokens).check_access(token, st.core.clock.now()) {
        TokenCheck::Valid(g) if g.client_id == client.client_id => json(
            StatusCode::OK,
            json!({ "active": true, "client_id": g.client_id, "sub": g.subject, "scope": g.scope, "token_type": "Bearer" }),
        ),
        _ => json(StatusCode::OK, json!({ "active": false })),
    }
}

/// `GET /userinfo`: the bearer probe (RFC 6750).
async fn userinfo(State(st): State<Arc<OAuth2State>>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return bearer_unauthorized("oauth2", "The access token is missing");
    };
    match lock(&st.tokens).check_access(&token, st.core.clock.now()) {
        TokenCheck::Valid(g) => json(
            StatusCode::OK,
            json!({ "sub": g.subject, "client_id": g.client_id, "scope": g.scope }),
        ),
        TokenCheck::Expired => bearer_unauthorized("oauth2", "The access token expired"),
        TokenCheck::Revoked => bearer_unauthorized("oauth2", "The access token was revoked"),
        TokenCheck::Unknown => bearer_unauthorized("oauth2", "The access token is invalid"),
    }
}
