//! Any RFC 6749 server ("Other OAuth 2.0"), and the RFC 6749 §5.2 error
//! table that PayU and Wordapp share.
//!
//! Client authentication follows the account's [`ClientAuth`]: a Basic
//! header (§2.3.1, id and secret form-urlencoded first, as the RFC says) or
//! `client_id`/`client_secret` in the body. A client without a secret is a
//! public client and sends its `client_id` in the body. Scopes are
//! space-joined (§3.3); PKCE (RFC 7636) is on or off per account.
//! Revocation is RFC 7009.

use super::catalogue::{
    AUTHORIZATION_CODE, CLIENT_CREDENTIALS, CODE_ONLY, Choice, DEVICE_CODE, DEVICE_ONLY, Draft, Field, FieldKind,
    LABEL, PASSWORD, ProviderInfo, Rule, URL_PROBLEM, When, grant_field, redirect_field,
};
use super::provider::{Authorization, IdTokenSource, Provider, RevokePlan};
use super::{Body, Call, GrantRequest, Step, parse_url, rfc6749};
use crate::error::Error;
use crate::http::Answer;
use crate::jose::{self, AssertionKey, SigningKey};
use crate::model::{
    AccountSecrets, ClientAuth, Grant, HandOut, IssuerCheck, OAuth2Settings, ProviderKind, ProviderSettings,
    RequestOptions, TokenSet, UnixTime,
};
use crate::pkce::Pkce;
use crate::secret::{AccessToken, DeviceCode, Nonce, PrivateKey, State};
use url::Url;

pub const NAME: &str = "Other OAuth 2.0";

pub static INFO: ProviderInfo = ProviderInfo {
    kind: ProviderKind::Oauth2,
    id: "oauth2",
    name: NAME,
    blurb: "Any standard OAuth 2.0 server",
    grants: &[
        Grant::AuthorizationCode,
        Grant::ClientCredentials,
        Grant::Password,
        Grant::DeviceCode,
    ],
    fields: &[
        LABEL,
        grant_field(&[AUTHORIZATION_CODE, CLIENT_CREDENTIALS, PASSWORD, DEVICE_CODE]),
        Field {
            kind: FieldKind::Url,
            required: CODE_ONLY,
            shown: CODE_ONLY,
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("authorize_url", "Authorization endpoint")
        },
        Field {
            kind: FieldKind::Url,
            required: When::Always,
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("token_url", "Token endpoint")
        },
        Field {
            kind: FieldKind::Url,
            required: DEVICE_ONLY,
            shown: DEVICE_ONLY,
            rule: Rule::Url,
            problem: URL_PROBLEM,
            help: Some("RFC 8628: where Latch asks for the code the person types on the server's page."),
            ..Field::text("device_authorization_url", "Device authorization endpoint")
        },
        Field {
            kind: FieldKind::Url,
            help: Some("RFC 7009. Without it, revoking only deletes the local copy."),
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("revoke_url", "Revocation endpoint (optional)")
        },
        Field {
            required: When::Always,
            ..Field::text("client_id", "client_id")
        },
        Field {
            kind: FieldKind::Secret,
            help: Some(
                "Kept in the system keyring. Leave it empty for a public client. With private_key_jwt, paste the private key (PEM) here, or leave it empty and Latch makes a key pair and shows the public key to register.",
            ),
            ..Field::text("secret", "client_secret or private key (optional)")
        },
        Field {
            kind: FieldKind::Select,
            options: &[
                Choice {
                    value: "basic",
                    label: "Basic header",
                },
                Choice {
                    value: "body",
                    label: "In the request body",
                },
                Choice {
                    value: "secret_jwt",
                    label: "Signed with the secret (client_secret_jwt)",
                },
                Choice {
                    value: "private_key_jwt",
                    label: "Signed with a private key (private_key_jwt)",
                },
            ],
            default: Some("basic"),
            rule: Rule::Choice,
            ..Field::text("client_auth", "Client authentication")
        },
        redirect_field(crate::redirect_help!("Registered with the server."), CODE_ONLY),
        Field {
            help: Some("Space- or comma-separated."),
            ..Field::text("scopes", "Scopes")
        },
        Field {
            kind: FieldKind::Checkbox,
            default: Some("true"),
            shown: CODE_ONLY,
            help: Some(PKCE_OFF_COST),
            ..Field::text("pkce", "Use PKCE (recommended)")
        },
        Field {
            kind: FieldKind::Url,
            shown: CODE_ONLY,
            rule: Rule::Url,
            problem: URL_PROBLEM,
            help: Some(
                "The `issuer` of the server's metadata (/.well-known/oauth-authorization-server). With it, Latch refuses an answer that names another server (RFC 9207), the mark of a mix-up.",
            ),
            ..Field::text("issuer", "Issuer (from the server's metadata)")
        },
        Field {
            kind: FieldKind::Checkbox,
            shown: CODE_ONLY,
            help: Some(
                "Tick it when the metadata says authorization_response_iss_parameter_supported: an answer that does not say which server sent it is then refused. Needs the issuer.",
            ),
            ..Field::text("require_iss", "The server always names itself (iss)")
        },
        Field {
            kind: FieldKind::Url,
            help: Some("Where `latch api` sends a path; by default the token endpoint's server."),
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("api_base", "API base (optional)")
        },
        Field {
            help: Some(
                "A URL (or a path on the API) that answers 2xx while the token works, such as the userinfo endpoint: `latch status --check` calls it.",
            ),
            ..Field::text("probe_url", "Test call (optional)")
        },
        Field {
            kind: FieldKind::Url,
            help: Some(
                "RFC 7662. Without a test call, Check asks this endpoint whether the access token is still active.",
            ),
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("introspection_url", "Introspection endpoint (optional)")
        },
        Field {
            kind: FieldKind::Url,
            rule: Rule::Url,
            problem: URL_PROBLEM,
            help: Some(
                "OpenID Connect: where the server publishes its keys. With it and the issuer, Latch verifies each id_token (signature, iss, aud, exp, nonce) and keeps it; without them it keeps none.",
            ),
            ..Field::text("jwks_uri", "JWKS URI (optional)")
        },
        Field {
            kind: FieldKind::Select,
            options: &[
                Choice {
                    value: "access_token",
                    label: "The access token",
                },
                Choice {
                    value: "id_token",
                    label: "The id_token (OpenID Connect)",
                },
            ],
            default: Some("access_token"),
            rule: Rule::Choice,
            help: Some(
                "What `latch token`, `header`, `api`, `exec` and Copy give. The id_token needs the openid scope, the issuer and the JWKS URI.",
            ),
            ..Field::text("hand_out", "Hand out")
        },
        Field {
            help: Some("The API the token is for, where the server asks for an `audience` (Auth0 and others)."),
            ..Field::text("audience", "Audience (optional)")
        },
        Field {
            help: Some(
                "RFC 8707 resource indicators: the APIs the token is for, as absolute URIs, space- or comma-separated.",
            ),
            rule: Rule::Uris,
            problem: "Enter each resource as an absolute URI without a #fragment, such as https://api.example.com/.",
            ..Field::text("resource", "Resources (optional)")
        },
        Field {
            help: Some("Sent on the authorization request as they are, such as prompt=consent&ui_locales=de."),
            rule: Rule::Params,
            problem: PARAMS_PROBLEM,
            ..Field::text("authorize_params", "Extra authorization parameters (optional)")
        },
        Field {
            help: Some(
                "Sent on each request for a new token (code exchange, client credentials, password, device code).",
            ),
            rule: Rule::Params,
            problem: PARAMS_PROBLEM,
            ..Field::text("token_params", "Extra token parameters (optional)")
        },
        Field {
            help: Some("Sent on each refresh."),
            rule: Rule::Params,
            problem: PARAMS_PROBLEM,
            ..Field::text("refresh_params", "Extra refresh parameters (optional)")
        },
        Field {
            kind: FieldKind::Checkbox,
            shown: CODE_ONLY,
            help: Some(
                "Off by default: RFC 6749 sends no scope when the code is exchanged, and some servers (Microsoft Entra) refuse one.",
            ),
            ..Field::text("scope_on_exchange", "Send the scopes on the code exchange too")
        },
    ],
    build,
};

/// What to say when extra parameters cannot be read.
pub const PARAMS_PROBLEM: &str = "Write the parameters as name=value pairs joined by &, such as prompt=consent&ui_locales=de; the ones Latch sends itself (client_id, state, grant_type, scope, audience, resource and the like) have their own fields or cannot be changed.";

/// What turning PKCE off costs, said beside the box and by `latch connect`.
pub const PKCE_OFF_COST: &str = "Keep it on: without PKCE, whoever sees the authorization code on its way back (another program on this computer, a browser extension, a log) can exchange it for this account's tokens. Turn it off only for a server that refuses PKCE.";

fn build(draft: &Draft) -> Result<(ProviderSettings, AccountSecrets), Error> {
    let grant = draft.grant.unwrap_or(Grant::AuthorizationCode);
    let client_auth = match draft.get("client_auth") {
        "body" => ClientAuth::Body,
        "secret_jwt" => ClientAuth::SecretJwt,
        "private_key_jwt" => ClientAuth::PrivateKeyJwt,
        _ => ClientAuth::Basic,
    };
    let secrets = match client_auth {
        ClientAuth::PrivateKeyJwt => private_key_secrets(draft.secret())?,
        ClientAuth::SecretJwt if draft.secret().is_none() => {
            return Err(Error::InvalidInput(format!(
                "{NAME}: client_secret_jwt signs with the client secret: enter it, or choose another client authentication."
            )));
        }
        _ => draft.client_secret(),
    };
    let issuer = draft.opt("issuer");
    let require_iss = draft.flag("require_iss");
    if require_iss && issuer.is_none() {
        return Err(Error::InvalidInput(format!(
            "{NAME}: enter the issuer too: Latch can only insist that the server names itself when it knows which name to expect."
        )));
    }
    let hand_out = match draft.get("hand_out") {
        "id_token" => HandOut::IdToken,
        _ => HandOut::AccessToken,
    };
    if hand_out == HandOut::IdToken && (draft.opt("issuer").is_none() || draft.opt("jwks_uri").is_none()) {
        return Err(Error::InvalidInput(format!(
            "{NAME}: to hand out the id_token, Latch must verify it: enter the issuer and the JWKS URI too (discovery fills both)."
        )));
    }
    let settings = OAuth2Settings {
        authorize_url: draft.get("authorize_url").to_owned(),
        token_url: draft.get("token_url").to_owned(),
        revoke_url: draft.opt("revoke_url"),
        client_id: draft.get("client_id").to_owned(),
        client_auth,
        redirect_uri: draft.get("redirect_uri").to_owned(),
        scopes: draft.list("scopes"),
        pkce: draft.flag("pkce"),
        grant,
        issuer,
        require_iss,
        api_base: draft.opt("api_base"),
        probe_url: draft.opt("probe_url"),
        device_authorization_url: draft.opt("device_authorization_url"),
        introspection_url: draft.opt("introspection_url"),
        jwks_uri: draft.opt("jwks_uri"),
        hand_out,
        requests: RequestOptions {
            authorize_params: draft.opt("authorize_params"),
            token_params: draft.opt("token_params"),
            refresh_params: draft.opt("refresh_params"),
            audience: draft.opt("audience"),
            resource: draft.list("resource"),
            scope_on_exchange: draft.flag("scope_on_exchange"),
        },
    };
    Ok((ProviderSettings::Oauth2(settings), secrets))
}

/// The secrets of a `private_key_jwt` client: the PEM given (checked now,
/// so a key that cannot sign is refused before the account exists), or a
/// new key pair.
fn private_key_secrets(given: Option<&str>) -> Result<AccountSecrets, Error> {
    let key = match given {
        Some(pem) => PrivateKey::new(pem),
        None => crate::jose::generate_key()?,
    };
    crate::jose::SigningKey::read(&key)?;
    Ok(AccountSecrets {
        private_key: Some(key),
        ..AccountSecrets::default()
    })
}

/// The host and port of `url` as a slice of it, without any user part
/// (`None` when it has no host).
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    (!host.is_empty() && !host.starts_with(':')).then_some(host)
}

impl Provider for OAuth2Settings {
    /// The client secret, or with private_key_jwt the private key (a PEM,
    /// read now so that one that cannot sign is refused).
    fn replace_secret(&self, secrets: &mut AccountSecrets, secret: &str) -> Result<(), Error> {
        match self.client_auth {
            ClientAuth::PrivateKeyJwt => {
                secrets.private_key = private_key_secrets(Some(secret))?.private_key;
            }
            _ => secrets.client_secret = Some(crate::secret::ClientSecret::new(secret)),
        }
        Ok(())
    }

    /// The server's address (`auth.acme.example`, `127.0.0.1:8975`), from
    /// its issuer or else its token endpoint, as typed: "auth.acme.example
    /// refused the request" says more than "Other OAuth 2.0 refused the
    /// request".
    fn name(&self) -> &str {
        let from = self.issuer.as_deref().unwrap_or(&self.token_url);
        host_of(from).unwrap_or(super::registry::entry(ProviderKind::Oauth2).name)
    }

    fn kind(&self) -> ProviderKind {
        ProviderKind::Oauth2
    }

    fn grant(&self) -> Option<Grant> {
        Some(self.grant)
    }

    fn redirect_uri(&self) -> Option<&str> {
        Some(&self.redirect_uri)
    }

    fn set_redirect_uri(&mut self, uri: &str) {
        self.redirect_uri = uri.to_owned();
    }

    /// A public client has no secret; nothing to check.
    /// The token endpoint and the revocation endpoint; the authorization
    /// endpoint is a page for the browser and gets no secret.
    /// So are the API base and the test call, when set.
    fn secret_endpoints(&self) -> Result<Vec<Url>, Error> {
        let mut endpoints = vec![parse_url(&self.token_url)?];
        if let Some(revoke_url) = set(&self.revoke_url) {
            endpoints.push(parse_url(revoke_url)?);
        }
        if let Some(device_url) = set(&self.device_authorization_url) {
            endpoints.push(parse_url(device_url)?);
        }
        if let Some(introspection_url) = set(&self.introspection_url) {
            endpoints.push(parse_url(introspection_url)?);
        }
        if set(&self.api_base).is_some() {
            endpoints.push(self.api_base()?);
        }
        if let Some(probe) = set(&self.probe_url) {
            endpoints.push(super::provider::join_api(&self.api_base()?, probe)?);
        }
        Ok(endpoints)
    }

    /// The account's API base, else the token endpoint's server.
    fn api_base(&self) -> Result<Url, Error> {
        match set(&self.api_base) {
            Some(base) => parse_url(base),
            None => {
                let token = parse_url(&self.token_url)?;
                parse_url(&crate::binding::origin(&token))
            }
        }
    }

    fn probe_target(&self) -> Option<String> {
        set(&self.probe_url).map(str::to_owned)
    }

    fn introspects(&self) -> bool {
        set(&self.introspection_url).is_some()
    }

    fn introspection_call(&self, secrets: &AccountSecrets, token: &AccessToken) -> Result<Option<Call>, Error> {
        introspection_call(self, secrets, token)
    }

    fn missing_exchange_secret(&self, _secrets: &AccountSecrets) -> Option<&'static str> {
        None
    }

    fn uses_pkce(&self) -> bool {
        self.pkce
    }

    fn issuer_check(&self) -> IssuerCheck {
        IssuerCheck::Checked {
            issuer: self.issuer.clone().filter(|i| !i.trim().is_empty()),
            required: self.require_iss,
        }
    }

    fn id_token_source(&self) -> Result<Option<IdTokenSource>, Error> {
        match (set(&self.issuer), set(&self.jwks_uri)) {
            (Some(issuer), Some(jwks_uri)) => Ok(Some(IdTokenSource {
                issuer: issuer.to_owned(),
                client_id: self.client_id.clone(),
                jwks_uri: parse_url(jwks_uri)?,
                bounds_expiry: self.hand_out == HandOut::IdToken,
            })),
            _ => Ok(None),
        }
    }

    /// The id_token when the account hands it out: only one that was
    /// verified is ever kept, and one past its `exp` is not handed out.
    fn credential(&self, tokens: &TokenSet) -> Result<AccessToken, Error> {
        if self.hand_out == HandOut::AccessToken {
            return Ok(tokens.access_token.clone());
        }
        let Some(id_token) = &tokens.id_token else {
            return Err(Error::reconnect(
                self.name(),
                None,
                "this account hands out the id_token, and the server sent none: check that the scopes include openid",
            ));
        };
        let exp = crate::jwt::claims(id_token.secret()).and_then(|c| c["exp"].as_i64());
        if exp.is_some_and(|exp| exp <= crate::time::now()) {
            return Err(Error::reconnect(
                self.name(),
                None,
                "the id_token has expired and the server sent no new one on the last refresh",
            ));
        }
        Ok(AccessToken::new(id_token.secret()))
    }

    fn authorize(&self, state: &State) -> Result<Authorization, Error> {
        let pkce = if self.pkce { Some(Pkce::new_s256()?) } else { None };
        // OpenID Connect: a sign-in that asks for an id_token sends a nonce
        // the id_token must carry back (Core §3.1.2.1, §3.1.3.7).
        let nonce = if self.scopes.iter().any(|s| s == "openid") {
            Some(Nonce::new(crate::pkce::random_base64url(24)?))
        } else {
            None
        };
        Ok(Authorization {
            url: authorize_url(self, state, pkce.as_ref(), nonce.as_ref())?,
            verifier: pkce.map(|p| p.verifier),
            nonce,
        })
    }

    fn token_call(&self, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error> {
        token_call(self, secrets, grant)
    }

    fn read_token_answer(&self, answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
        rfc6749::read_answer(self.name(), answer, step, received_at, &[])
    }

    fn revoke_consequence(&self) -> String {
        if self.revoke_url.as_deref().is_some_and(|u| !u.trim().is_empty()) {
            "Latch asks the server to revoke the refresh and access tokens, then deletes them from this computer."
                .into()
        } else {
            "This server has no revocation endpoint set: its tokens stay valid there until they expire. Latch deletes its copy."
                .into()
        }
    }

    /// RFC 7009 when the account has a revocation endpoint.
    fn revoke_plan(&self, secrets: &AccountSecrets, _now: UnixTime) -> Result<RevokePlan, Error> {
        rfc6749::revocation(self.name(), secrets, |token, hint| {
            revoke_call(self, secrets, token, hint)
        })
    }
}

/// An optional setting's value, unless it is blank.
fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The authorization request URL (§4.1.1, RFC 7636 §4.3).
pub fn authorize_url(
    settings: &OAuth2Settings,
    state: &State,
    pkce: Option<&Pkce>,
    nonce: Option<&Nonce>,
) -> Result<Url, Error> {
    let mut url = parse_url(&settings.authorize_url)?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code");
        q.append_pair("client_id", &settings.client_id);
        q.append_pair("redirect_uri", &settings.redirect_uri);
        if !settings.scopes.is_empty() {
            q.append_pair("scope", &settings.scopes.join(" "));
        }
        q.append_pair("state", state.secret());
        if let Some(pkce) = pkce {
            q.append_pair("code_challenge", &pkce.challenge);
            q.append_pair("code_challenge_method", pkce.method.as_str());
        }
        if let Some(nonce) = nonce {
            q.append_pair("nonce", nonce.secret());
        }
        for (name, value) in authorization_extras(settings) {
            q.append_pair(&name, &value);
        }
    }
    Ok(url)
}

/// The token request for a grant (§4.1.3, §4.3.2, §4.4.2, §6).
pub fn token_call(settings: &OAuth2Settings, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error> {
    let url = parse_url(&settings.token_url)?;
    let mut form: Vec<(&'static str, String)> = Vec::new();
    match grant {
        GrantRequest::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            form.push(("grant_type", "authorization_code".into()));
            form.push(("code", code.secret().into()));
            form.push(("redirect_uri", (*redirect_uri).into()));
            if let Some(v) = verifier {
                form.push(("code_verifier", v.secret().into()));
            }
            if settings.requests.scope_on_exchange {
                scope(settings, &mut form);
            }
            resources(settings, &mut form);
        }
        GrantRequest::Password { username, password } => {
            form.push(("grant_type", "password".into()));
            form.push(("username", (*username).into()));
            form.push(("password", password.secret().into()));
            scope(settings, &mut form);
            audience(settings, &mut form);
            resources(settings, &mut form);
        }
        GrantRequest::ClientCredentials => {
            form.push(("grant_type", "client_credentials".into()));
            scope(settings, &mut form);
            audience(settings, &mut form);
            resources(settings, &mut form);
        }
        GrantRequest::Refresh { refresh_token } => {
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", refresh_token.secret().into()));
            resources(settings, &mut form);
        }
    }
    let extra = match grant {
        GrantRequest::Refresh { .. } => &settings.requests.refresh_params,
        _ => &settings.requests.token_params,
    };
    let auth = authenticate(settings, secrets, &mut form)?;
    Ok(Call::post(url, Body::Form(form), auth).with_form_params(params(extra)))
}

fn scope(settings: &OAuth2Settings, form: &mut Vec<(&'static str, String)>) {
    if !settings.scopes.is_empty() {
        form.push(("scope", settings.scopes.join(" ")));
    }
}

fn audience(settings: &OAuth2Settings, form: &mut Vec<(&'static str, String)>) {
    if let Some(audience) = set(&settings.requests.audience) {
        form.push(("audience", audience.to_owned()));
    }
}

/// One `resource` per resource indicator (RFC 8707 §2).
fn resources(settings: &OAuth2Settings, form: &mut Vec<(&'static str, String)>) {
    for resource in &settings.requests.resource {
        form.push(("resource", resource.clone()));
    }
}

/// An extra-parameters setting's pairs; a value that cannot be read (only
/// an index edited by hand holds one: forms and `latch edit` check the rule)
/// sends nothing extra rather than something half-read.
fn params(value: &Option<String>) -> Vec<(String, String)> {
    set(value).and_then(super::catalogue::extra_params).unwrap_or_default()
}

/// What the authorization request and the device authorization request
/// carry beyond their own parameters: the audience, the resources and the
/// account's extra authorization parameters, in that order.
fn authorization_extras(settings: &OAuth2Settings) -> Vec<(String, String)> {
    let mut extras = Vec::new();
    if let Some(audience) = set(&settings.requests.audience) {
        extras.push(("audience".to_owned(), audience.to_owned()));
    }
    for resource in &settings.requests.resource {
        extras.push(("resource".to_owned(), resource.clone()));
    }
    extras.extend(params(&settings.requests.authorize_params));
    extras
}

/// The revocation request for one token (RFC 7009 §2.1), or `None` when the
/// account has no revocation endpoint.
pub fn revoke_call(
    settings: &OAuth2Settings,
    secrets: &AccountSecrets,
    token: &str,
    hint: &'static str,
) -> Result<Option<Call>, Error> {
    let Some(revoke_url) = settings.revoke_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let url = parse_url(revoke_url)?;
    let mut form = vec![("token", token.to_owned()), ("token_type_hint", hint.into())];
    let auth = authenticate(settings, secrets, &mut form)?;
    Ok(Some(Call::post(url, Body::Form(form), auth)))
}

/// Reads a token endpoint answer: a token set on 2xx, else the error (in
/// the words of a server without an address: the fuzz targets').
pub fn read_token_answer(answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
    rfc6749::read_answer(NAME, answer, step, received_at, &[])
}

/// The device authorization request (RFC 8628 §3.1): the client, its
/// authentication as at the token endpoint, and the scope.
pub fn device_authorization_call(settings: &OAuth2Settings, secrets: &AccountSecrets) -> Result<Call, Error> {
    let Some(device_url) = set(&settings.device_authorization_url) else {
        return Err(Error::InvalidInput(format!(
            "{NAME}: the device code sign-in needs the server's device authorization endpoint; set it with `latch edit <account> --set device_authorization_url=URL` (discovery fills it in when the server has one)."
        )));
    };
    let url = parse_url(device_url)?;
    let mut form: Vec<(&'static str, String)> = Vec::new();
    scope(settings, &mut form);
    let auth = authenticate(settings, secrets, &mut form)?;
    Ok(Call::post(url, Body::Form(form), auth).with_form_params(authorization_extras(settings)))
}

/// One poll of the token endpoint with the device code (RFC 8628 §3.4).
pub fn device_token_call(
    settings: &OAuth2Settings,
    secrets: &AccountSecrets,
    device_code: &DeviceCode,
) -> Result<Call, Error> {
    let url = parse_url(&settings.token_url)?;
    let mut form: Vec<(&'static str, String)> = vec![
        ("grant_type", DEVICE_CODE_GRANT.into()),
        ("device_code", device_code.secret().into()),
    ];
    resources(settings, &mut form);
    let auth = authenticate(settings, secrets, &mut form)?;
    Ok(Call::post(url, Body::Form(form), auth).with_form_params(params(&settings.requests.token_params)))
}

/// The introspection request for the access token (RFC 7662 §2.1),
/// authenticated as at the token endpoint, or `None` when the account has
/// no introspection endpoint.
pub fn introspection_call(
    settings: &OAuth2Settings,
    secrets: &AccountSecrets,
    token: &AccessToken,
) -> Result<Option<Call>, Error> {
    let Some(introspection_url) = set(&settings.introspection_url) else {
        return Ok(None);
    };
    let url = parse_url(introspection_url)?;
    let mut form = vec![
        ("token", token.secret().to_owned()),
        ("token_type_hint", "access_token".into()),
    ];
    let auth = authenticate(settings, secrets, &mut form)?;
    Ok(Some(Call::post(url, Body::Form(form), auth)))
}

/// The client's authentication on a request to the server (token,
/// revocation, device authorization, introspection): RFC 6749 §2.3.1's
/// Basic header or body, or an RFC 7523 assertion for the token endpoint
/// (the audience oidc-provider, Keycloak and Okta all accept, whichever of
/// the server's endpoints it is sent to), signed with the client secret or
/// the private key, new for each request.
fn authenticate(
    settings: &OAuth2Settings,
    secrets: &AccountSecrets,
    form: &mut Vec<(&'static str, String)>,
) -> Result<super::Auth, Error> {
    let key = match settings.client_auth {
        ClientAuth::Basic | ClientAuth::Body => {
            return Ok(rfc6749::client_auth(
                &settings.client_id,
                secrets.client_secret.as_ref(),
                settings.client_auth == ClientAuth::Body,
                form,
            ));
        }
        ClientAuth::SecretJwt => match &secrets.client_secret {
            Some(secret) => Signer::Secret(secret),
            None => {
                return Err(missing_key(
                    "client_secret_jwt signs with the client secret, and this account has none: remove it and add it again with the secret, or choose another client authentication with `latch edit <account> --set client_auth=…`",
                ));
            }
        },
        ClientAuth::PrivateKeyJwt => match &secrets.private_key {
            Some(pem) => Signer::Key(SigningKey::read(pem)?),
            None => {
                return Err(missing_key(
                    "private_key_jwt signs with the account's private key, and it has none: `latch key <account> --new` makes one and shows the public key to register with the server",
                ));
            }
        },
    };
    let key = match &key {
        Signer::Secret(secret) => AssertionKey::Secret(secret),
        Signer::Key(key) => AssertionKey::Private(key),
    };
    let assertion = jose::client_assertion(&settings.client_id, &settings.token_url, key, crate::time::now())?;
    form.push(("client_id", settings.client_id.clone()));
    form.push(("client_assertion_type", jose::ASSERTION_TYPE.into()));
    form.push(("client_assertion", assertion.secret().to_owned()));
    Ok(super::Auth::None)
}

enum Signer<'a> {
    Secret(&'a crate::secret::ClientSecret),
    Key(SigningKey),
}

fn missing_key(what: &str) -> Error {
    Error::InvalidInput(format!("{NAME}: {what}."))
}

/// RFC 8628 §3.4's `grant_type`.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Auth;
    use crate::secret::{ClientSecret, RefreshToken};

    fn settings(client_auth: ClientAuth) -> OAuth2Settings {
        OAuth2Settings {
            authorize_url: "https://auth.example/authorize".into(),
            token_url: "https://auth.example/token".into(),
            revoke_url: Some("https://auth.example/revoke".into()),
            client_id: "app 1".into(),
            client_auth,
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
            scopes: vec!["read".into(), "write".into()],
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
        }
    }

    /// A path joins the API base (the token endpoint's server by
    /// default); a whole URL must be on one of the account's servers; the
    /// API base and the test call are servers the secrets may reach.
    #[test]
    fn api_paths_join_the_base_and_urls_stay_on_the_accounts_servers() {
        let mut s = settings(ClientAuth::Basic);
        let none = AccountSecrets::default();
        assert_eq!(
            s.api_url(&none, "/v1/me?x=1").unwrap().url.as_str(),
            "https://auth.example/v1/me?x=1"
        );
        assert_eq!(
            s.api_url(&none, "https://auth.example/other").unwrap().shown,
            "https://auth.example/other"
        );
        let e = s.api_url(&none, "https://evil.example/steal").unwrap_err().to_string();
        assert!(e.contains("not one of this account's servers"), "{e}");
        assert!(s.api_url(&none, "//evil.example/x").is_err());
        assert!(
            s.api_url(&none, "http://api.example/x").is_err(),
            "plain http only to loopback"
        );
        s.api_base = Some("https://api.example/v2/".into());
        s.probe_url = Some("me".into());
        assert_eq!(
            s.api_url(&none, "users").unwrap().url.as_str(),
            "https://api.example/v2/users"
        );
        assert_eq!(s.probe_target().as_deref(), Some("me"));
        let origins: Vec<String> = s
            .secret_endpoints()
            .unwrap()
            .iter()
            .map(crate::binding::origin)
            .collect();
        assert!(origins.contains(&"https://api.example".to_owned()), "{origins:?}");
        let call = s
            .probe_call(&none, Some(&crate::secret::AccessToken::new("t")))
            .unwrap()
            .unwrap();
        assert_eq!(call.url.as_str(), "https://api.example/v2/me");
        assert_eq!(call.headers, vec![("authorization", "Bearer t".to_owned())]);
    }

    #[test]
    fn authorize_url_carries_space_joined_scopes_and_pkce() {
        let pkce = Pkce::new_s256().unwrap();
        let url = authorize_url(&settings(ClientAuth::Basic), &State::new("st"), Some(&pkce), None).unwrap();
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert!(q.contains(&("scope".into(), "read write".into())));
        assert!(q.contains(&("code_challenge_method".into(), "S256".into())));
        assert!(q.contains(&("code_challenge".into(), pkce.challenge.clone())));
        assert!(q.contains(&("state".into(), "st".into())));
    }

    #[test]
    fn body_client_auth_puts_the_secret_in_the_form_and_basic_does_not() {
        let secrets = AccountSecrets {
            client_secret: Some(ClientSecret::new("s&1")),
            ..Default::default()
        };
        let rt = RefreshToken::new("r");
        let call = token_call(
            &settings(ClientAuth::Body),
            &secrets,
            &GrantRequest::Refresh { refresh_token: &rt },
        )
        .unwrap();
        let Body::Form(form) = &call.body else {
            panic!("form expected")
        };
        assert!(form.contains(&("client_secret", "s&1".into())));
        assert!(matches!(call.auth, Auth::None));

        let call = token_call(
            &settings(ClientAuth::Basic),
            &secrets,
            &GrantRequest::Refresh { refresh_token: &rt },
        )
        .unwrap();
        let Body::Form(form) = &call.body else {
            panic!("form expected")
        };
        assert!(!form.iter().any(|(k, _)| *k == "client_secret" || *k == "client_id"));
        let Auth::Basic { user, password } = &call.auth else {
            panic!("basic expected")
        };
        assert_eq!(
            (user.as_str(), password.as_str()),
            ("app+1", "s%261"),
            "RFC 6749 §2.3.1 form-encodes both"
        );
    }

    /// What each request carries of the per-request knobs: the audience and
    /// the resources where the grant asks for a token, the extra parameters
    /// of their own request, the scope on the code exchange only when asked.
    #[test]
    fn each_request_carries_its_own_knobs() {
        let mut s = settings(ClientAuth::Basic);
        s.requests.audience = Some("https://api.example/".into());
        s.requests.resource = vec!["https://a.example/".into(), "https://b.example/x".into()];
        s.requests.authorize_params = Some("prompt=consent&ui_locales=de%20en".into());
        s.requests.token_params = Some("tenant=t1".into());
        s.requests.refresh_params = Some("keep=yes".into());
        s.device_authorization_url = Some("https://auth.example/device".into());
        let none = AccountSecrets::default();

        let url = authorize_url(&s, &State::new("st"), None, None).unwrap();
        let query: Vec<(String, String)> = url
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        let tail: Vec<(&str, &str)> = query[query.len() - 5..]
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            tail,
            [
                ("audience", "https://api.example/"),
                ("resource", "https://a.example/"),
                ("resource", "https://b.example/x"),
                ("prompt", "consent"),
                ("ui_locales", "de en"),
            ]
        );

        let sent = |call: &Call| -> Vec<(String, String)> {
            call.form_pairs()
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect()
        };
        let names = |call: &Call| -> Vec<String> { sent(call).into_iter().map(|(n, _)| n).collect() };

        let code = crate::secret::AuthorizationCode::new("c");
        let exchange = GrantRequest::AuthorizationCode {
            code: &code,
            redirect_uri: "http://127.0.0.1:8765/callback",
            verifier: None,
        };
        let call = token_call(&s, &none, &exchange).unwrap();
        assert_eq!(
            names(&call),
            [
                "grant_type",
                "code",
                "redirect_uri",
                "resource",
                "resource",
                "client_id",
                "tenant"
            ],
            "no scope, no audience, and the token parameters last"
        );
        s.requests.scope_on_exchange = true;
        let call = token_call(&s, &none, &exchange).unwrap();
        assert!(sent(&call).contains(&("scope".into(), "read write".into())));

        let call = token_call(&s, &none, &GrantRequest::ClientCredentials).unwrap();
        assert_eq!(
            names(&call),
            [
                "grant_type",
                "scope",
                "audience",
                "resource",
                "resource",
                "client_id",
                "tenant"
            ]
        );

        let rt = RefreshToken::new("r");
        let call = token_call(&s, &none, &GrantRequest::Refresh { refresh_token: &rt }).unwrap();
        assert_eq!(
            names(&call),
            [
                "grant_type",
                "refresh_token",
                "resource",
                "resource",
                "client_id",
                "keep"
            ],
            "a refresh sends the refresh parameters, not the token parameters"
        );

        let call = device_authorization_call(&s, &none).unwrap();
        assert_eq!(
            names(&call),
            [
                "scope",
                "client_id",
                "audience",
                "resource",
                "resource",
                "prompt",
                "ui_locales"
            ]
        );
        let call = device_token_call(&s, &none, &DeviceCode::new("d")).unwrap();
        assert_eq!(
            names(&call),
            [
                "grant_type",
                "device_code",
                "resource",
                "resource",
                "client_id",
                "tenant"
            ]
        );
    }

    /// Extra parameters are `name=value` pairs; a name Latch sends itself is
    /// refused by the rule, so no setting can replace the state, the client
    /// or the grant.
    #[test]
    fn extra_parameters_cannot_replace_what_latch_sends() {
        use crate::providers::catalogue::{Rule, extra_params};
        assert_eq!(
            extra_params("a=1&b=x%26y"),
            Some(vec![("a".into(), "1".into()), ("b".into(), "x&y".into())])
        );
        assert_eq!(extra_params(""), Some(Vec::new()));
        for refused in [
            "state=x",
            "a=1&client_id=evil",
            "grant_type=password",
            "novalue",
            "=1",
            "a=1&&b=2",
        ] {
            assert_eq!(extra_params(refused), None, "{refused}");
            assert!(!Rule::Params.accepts(refused, &[]), "{refused}");
        }
        assert!(Rule::Uris.accepts("https://a.example/ urn:example:api", &[]));
        assert!(!Rule::Uris.accepts("https://a.example/#frag", &[]));
        assert!(!Rule::Uris.accepts("api.example", &[]));
    }

    /// Introspection asks about the access token with the client's own
    /// authentication; without an endpoint there is no call.
    #[test]
    fn introspection_asks_about_the_access_token_as_the_client() {
        let mut s = settings(ClientAuth::Body);
        let secrets = AccountSecrets {
            client_secret: Some(ClientSecret::new("cs")),
            ..Default::default()
        };
        let token = AccessToken::new("at-1");
        assert!(introspection_call(&s, &secrets, &token).unwrap().is_none());
        assert!(!s.introspects());
        s.introspection_url = Some("https://auth.example/introspect".into());
        assert!(s.introspects());
        let call = introspection_call(&s, &secrets, &token).unwrap().unwrap();
        assert_eq!(call.url.as_str(), "https://auth.example/introspect");
        assert_eq!(
            call.form_pairs(),
            [
                ("token", "at-1"),
                ("token_type_hint", "access_token"),
                ("client_id", "app 1"),
                ("client_secret", "cs")
            ]
        );
        assert!(
            s.secret_endpoints()
                .unwrap()
                .iter()
                .any(|u| u.as_str() == "https://auth.example/introspect"),
            "the introspection endpoint is one of the servers the secrets may reach"
        );
    }

    #[test]
    fn an_introspection_answer_says_active_or_is_refused_plainly() {
        use crate::providers::rfc6749::read_introspection;
        let answer = |status: u16, body: &str| Answer {
            status,
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            read_introspection(NAME, &answer(200, r#"{"active":true,"sub":"x"}"#)),
            Ok(true)
        );
        assert_eq!(read_introspection(NAME, &answer(200, r#"{"active":false}"#)), Ok(false));
        let e = read_introspection(NAME, &answer(200, r#"{"active":"yes"}"#)).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidAnswer);
        let e = read_introspection(NAME, &answer(401, r#"{"error":"invalid_client"}"#)).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::ProviderRefused, "{e}");
        let e = read_introspection(NAME, &answer(401, "")).unwrap_err();
        assert_eq!(
            e.kind(),
            crate::error::ErrorKind::ProviderRefused,
            "a 401 there is about the client, never the token: {e}"
        );
    }
}
