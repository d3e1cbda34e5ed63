//! Wordapp (document 004; providers.md §4).
//!
//! Quirks this profile carries:
//! - Four grants at `POST /oauth/token`, all form-encoded: password (the
//!   password is borrowed for one call and never stored), authorization
//!   code, client credentials, and refresh — which takes only the refresh
//!   token (the document lists no client credentials) and kills the previous
//!   access token.
//! - Authorize and revoke paths are not in the recoverable document; the
//!   token answer's shape matches the Doorkeeper gem, so its defaults are
//!   used: `/oauth/authorize`, `/oauth/revoke`.
//! - Revoke sends the access token as the form's `token` *and* an
//!   `Authorization` header (document 004).
//! - API calls carry `Authorization` and `X-Api-Version`; the version's
//!   value is not documented ([`DEFAULT_API_VERSION`], a setting).
//! - Any 401 means "start the authorization again": a token dies on expiry,
//!   on revocation, on a scope change and when a newer flow replaces it.

use super::catalogue::{
    AUTHORIZATION_CODE, CLIENT_CREDENTIALS, CODE_ONLY, Draft, Field, FieldKind, LABEL, PASSWORD, ProviderInfo, When,
    grant_field, redirect_field, server_field,
};
use super::provider::{Authorization, Provider, RevokePlan, Revoked};
use super::{Auth, Body, Call, GrantRequest, Step, endpoint, parse_url, rfc6749};
use crate::error::Error;
use crate::http::Answer;
use crate::model::{AccountSecrets, Grant, ProviderKind, ProviderSettings, TokenSet, UnixTime, WordappSettings};
use crate::pkce::Pkce;
use crate::secret::{AccessToken, State};
use url::Url;

pub const NAME: &str = "Wordapp";
pub const DEFAULT_BASE_URL: &str = "https://app.wordapp.com";
/// `X-Api-Version` when the account does not set one (not documented).
pub const DEFAULT_API_VERSION: &str = "1";
/// The authenticated test call (not documented; a setting of the engine).
pub const DEFAULT_PROBE_PATH: &str = "/api/me";

const NOT_PASSWORD: When = When::NotGrants(&[Grant::Password]);
const PASSWORD_ONLY: When = When::Grants(&[Grant::Password]);

pub static INFO: ProviderInfo = ProviderInfo {
    kind: ProviderKind::Wordapp,
    id: "wordapp",
    name: NAME,
    blurb: "OAuth 2.0: code, password or client credentials",
    grants: &[Grant::AuthorizationCode, Grant::Password, Grant::ClientCredentials],
    fields: &[
        LABEL,
        grant_field(&[AUTHORIZATION_CODE, PASSWORD, CLIENT_CREDENTIALS]),
        Field {
            required: NOT_PASSWORD,
            ..Field::text("client_id", "API Key (client_id)")
        },
        Field {
            kind: FieldKind::Secret,
            help: Some("Kept in the system keyring."),
            required: NOT_PASSWORD,
            ..Field::text("secret", "Secret Key (client_secret)")
        },
        redirect_field(
            crate::redirect_help!("One of your application's OAuth 2.0 Redirect URLs."),
            CODE_ONLY,
        ),
        Field {
            help: Some("Kept in the account's settings; the password is asked for each time and never stored."),
            required: PASSWORD_ONLY,
            shown: PASSWORD_ONLY,
            ..Field::text("username", "Username or e-mail")
        },
        Field::text("api_version", "X-Api-Version (optional)"),
        server_field(DEFAULT_BASE_URL),
    ],
    build,
};

/// A client secret typed with the password grant is kept too: revoking an
/// expired token authenticates with it.
fn build(draft: &Draft) -> Result<(ProviderSettings, AccountSecrets), Error> {
    let grant = draft.grant.unwrap_or(Grant::AuthorizationCode);
    let secrets = draft.client_secret();
    let settings = WordappSettings {
        base_url: draft.get("base_url").to_owned(),
        grant,
        client_id: draft.opt("client_id"),
        redirect_uri: draft.opt("redirect_uri").filter(|_| grant == Grant::AuthorizationCode),
        username: draft.opt("username"),
        api_version: draft.opt("api_version"),
    };
    Ok((ProviderSettings::Wordapp(settings), secrets))
}

impl Provider for WordappSettings {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Wordapp
    }

    fn grant(&self) -> Option<Grant> {
        Some(self.grant)
    }

    fn redirect_uri(&self) -> Option<&str> {
        self.redirect_uri.as_deref()
    }

    fn set_redirect_uri(&mut self, uri: &str) {
        self.redirect_uri = Some(uri.to_owned());
    }

    fn authorization_redirect(&self) -> Result<String, Error> {
        redirect_uri(self).map(str::to_owned)
    }

    fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Token, revoke and API calls all go to `base_url`.
    fn secret_endpoints(&self) -> Result<Vec<Url>, Error> {
        Ok(vec![endpoint(&self.base_url, "/oauth/token")?])
    }

    fn missing_exchange_secret(&self, secrets: &AccountSecrets) -> Option<&'static str> {
        secrets.client_secret.is_none().then_some("the client secret")
    }

    /// S256 PKCE, though document 004 does not name it: Doorkeeper, whose
    /// answers Wordapp's match, checks it when sent, and a server that does
    /// not know PKCE ignores it.
    fn authorize(&self, state: &State) -> Result<Authorization, Error> {
        let pkce = Pkce::new_s256()?;
        Ok(Authorization {
            url: authorize_url(self, state, &pkce)?,
            verifier: Some(pkce.verifier),
            nonce: None,
        })
    }

    fn authorize_error(&self, error: &str, description: Option<&str>) -> Error {
        if error == "access_denied" {
            return Error::refused(
                NAME,
                error,
                "the access request was refused on Wordapp's authorization screen",
                "connect the account again and click Authorize",
            );
        }
        rfc6749::code_refusal(NAME, Step::AuthorizationCode, error, description)
    }

    fn token_call(&self, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error> {
        token_call(self, secrets, grant)
    }

    fn read_token_answer(&self, answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
        read_token_answer(answer, step, received_at)
    }

    /// One call, by access token; see [`revoke_call`] for its header.
    fn revoke_plan(&self, secrets: &AccountSecrets, now: UnixTime) -> Result<RevokePlan, Error> {
        let Some(tokens) = &secrets.tokens else {
            return Ok(RevokePlan::Nothing);
        };
        let expired = tokens.expires_at.is_some_and(|at| at <= now);
        Ok(RevokePlan::Send {
            name: NAME.into(),
            calls: vec![revoke_call(self, secrets, tokens.access_token.secret(), expired)?],
        })
    }

    /// A 401 means the token is dead already, which is what revoking wanted.
    fn read_revoke_answer(&self, answer: &Answer) -> Result<Revoked, Error> {
        match answer.status {
            200..=299 | 401 => Ok(Revoked::Done),
            503 => Ok(Revoked::StillValid),
            _ => Err(rfc6749::refusal(NAME, answer, Step::Revoke)),
        }
    }

    /// The API is on the account's server (document 004 names no base path).
    fn api_base(&self) -> Result<Url, Error> {
        parse_url(&self.base_url)
    }

    /// Document 004: every API call carries `Authorization` and `X-Api-Version`.
    fn api_headers(&self, access_token: &AccessToken) -> Result<Vec<(&'static str, String)>, Error> {
        Ok(vec![
            ("authorization", format!("Bearer {}", access_token.secret())),
            ("x-api-version", api_version(self).to_owned()),
        ])
    }

    /// The token and the API version the requests need.
    fn credential_vars(
        &self,
        _secrets: &AccountSecrets,
        access_token: Option<&AccessToken>,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let token = access_token.ok_or_else(|| Error::InvalidInput("Wordapp has no access token here.".into()))?;
        Ok(vec![
            ("TOKEN", token.secret().to_owned()),
            ("API_VERSION", api_version(self).to_owned()),
        ])
    }

    fn probe_target(&self) -> Option<String> {
        Some(DEFAULT_PROBE_PATH.into())
    }

    fn probe_refusal(&self, answer: &Answer) -> Error {
        if answer.status == 401 {
            return unauthorized(answer);
        }
        rfc6749::refusal(NAME, answer, Step::Probe)
    }
}

fn client_id(settings: &WordappSettings) -> Result<&str, Error> {
    settings
        .client_id
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            Error::InvalidInput(
                "Wordapp needs the application's API Key (client id); add it in the account settings.".into(),
            )
        })
}

fn client_secret(secrets: &AccountSecrets) -> Result<&str, Error> {
    secrets.client_secret.as_ref().map(|s| s.secret()).ok_or_else(|| {
        Error::InvalidInput(
            "Wordapp needs the application's Secret Key (client secret); add it in the account settings.".into(),
        )
    })
}

/// `GET /oauth/authorize?response_type=code&client_id&redirect_uri&state`,
/// and the PKCE challenge. `state` is not in the document; Doorkeeper echoes
/// it, and Latch needs it.
pub fn authorize_url(settings: &WordappSettings, state: &State, pkce: &Pkce) -> Result<Url, Error> {
    let redirect_uri = redirect_uri(settings)?;
    let mut url = endpoint(&settings.base_url, "/oauth/authorize")?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id(settings)?)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state.secret())
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", pkce.method.as_str());
    Ok(url)
}

pub fn redirect_uri(settings: &WordappSettings) -> Result<&str, Error> {
    settings.redirect_uri.as_deref().filter(|r| !r.trim().is_empty()).ok_or_else(|| {
        Error::InvalidInput(
            "Wordapp's authorization needs a redirect URL registered with the application; add it in the account settings."
                .into(),
        )
    })
}

/// `POST /oauth/token`, form-encoded, one grant.
pub fn token_call(settings: &WordappSettings, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error> {
    let url = endpoint(&settings.base_url, "/oauth/token")?;
    let form: Vec<(&'static str, String)> = match grant {
        GrantRequest::Password { username, password } => vec![
            ("grant_type", "password".into()),
            ("username", (*username).into()),
            ("password", password.secret().into()),
        ],
        GrantRequest::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            let mut form = vec![
                ("grant_type", "authorization_code".into()),
                ("code", code.secret().into()),
                ("redirect_uri", (*redirect_uri).into()),
                ("client_id", client_id(settings)?.into()),
                ("client_secret", client_secret(secrets)?.into()),
            ];
            if let Some(verifier) = verifier {
                form.push(("code_verifier", verifier.secret().into()));
            }
            form
        }
        GrantRequest::ClientCredentials => vec![
            ("grant_type", "client_credentials".into()),
            ("client_id", client_id(settings)?.into()),
            ("client_secret", client_secret(secrets)?.into()),
        ],
        GrantRequest::Refresh { refresh_token } => {
            vec![
                ("grant_type", "refresh_token".into()),
                ("refresh_token", refresh_token.secret().into()),
            ]
        }
    };
    Ok(Call::post(url, Body::Form(form), Auth::None))
}

/// Revoke: form `token` = the access token, plus an `Authorization` header:
/// `Bearer` the token itself while it is alive; once it has expired (a dead
/// token cannot authorize anything) the application's own Basic credentials
/// when the account has them, so the refresh token paired with it still dies.
pub fn revoke_call(
    settings: &WordappSettings,
    secrets: &AccountSecrets,
    access_token: &str,
    expired: bool,
) -> Result<Call, Error> {
    let url = endpoint(&settings.base_url, "/oauth/revoke")?;
    let form = vec![("token", access_token.to_owned())];
    let auth = match (expired, settings.client_id.as_deref(), &secrets.client_secret) {
        (true, Some(id), Some(secret)) if !id.is_empty() => Auth::Basic {
            user: rfc6749::form_encode(id),
            password: rfc6749::form_encode(secret.secret()),
        },
        _ => Auth::Bearer(access_token.to_owned()),
    };
    Ok(Call::post(url, Body::Form(form), auth))
}

/// The `X-Api-Version` the account's requests carry.
pub fn api_version(settings: &WordappSettings) -> &str {
    settings
        .api_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_API_VERSION)
}

/// Reads a token answer. On a refresh, any 401 means reconnect.
pub fn read_token_answer(answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
    if answer.status == 401 && step == Step::Refresh {
        return Err(unauthorized(answer));
    }
    rfc6749::read_answer(NAME, answer, step, received_at, &["created_at"])
}

/// Document 004's rule: a 401 means the token is no longer valid.
pub fn unauthorized(answer: &Answer) -> Error {
    let code = answer
        .json_or_empty(NAME)
        .ok()
        .flatten()
        .and_then(|b| b.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    Error::reconnect(
        NAME,
        Some(code.as_deref().unwrap_or("HTTP 401")),
        "the token was refused with HTTP 401: it expired, was revoked, or a newer sign-in replaced it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::model::Grant;
    use crate::secret::{Password, RefreshToken};

    fn settings() -> WordappSettings {
        WordappSettings {
            base_url: DEFAULT_BASE_URL.into(),
            grant: Grant::Password,
            client_id: Some("api-key".into()),
            redirect_uri: Some("http://127.0.0.1:8765/callback".into()),
            username: Some("ann@example.com".into()),
            api_version: None,
        }
    }

    #[test]
    fn password_grant_sends_only_what_the_document_lists() {
        let password = Password::new("hunter2");
        let grant = GrantRequest::Password {
            username: "ann@example.com",
            password: &password,
        };
        let Body::Form(form) = token_call(&settings(), &AccountSecrets::default(), &grant)
            .unwrap()
            .body
        else {
            panic!()
        };
        assert_eq!(
            form,
            vec![
                ("grant_type", "password".into()),
                ("username", "ann@example.com".into()),
                ("password", "hunter2".into())
            ]
        );
    }

    #[test]
    fn refresh_sends_only_the_refresh_token() {
        let rt = RefreshToken::new("r1");
        let call = token_call(
            &settings(),
            &AccountSecrets::default(),
            &GrantRequest::Refresh { refresh_token: &rt },
        )
        .unwrap();
        let Body::Form(form) = call.body else { panic!() };
        assert_eq!(
            form,
            vec![("grant_type", "refresh_token".into()), ("refresh_token", "r1".into())]
        );
    }

    #[test]
    fn the_documents_sample_answer_is_read() {
        let body = r#"{"access_token":"a1b2","token_type":"bearer","expires_in":31555719,"refresh_token":"c3d4","scope":"public","created_at":1476891745}"#;
        let answer = Answer {
            status: 200,
            content_type: Some("application/json".into()),
            body: body.into(),
        };
        let set = read_token_answer(&answer, Step::Password, 100).unwrap();
        assert_eq!(set.token_type, "bearer");
        assert_eq!(set.expires_at, Some(100 + 31555719));
        assert_eq!(set.scope.as_deref(), Some("public"));
    }

    #[test]
    fn any_401_on_refresh_means_reconnect() {
        let answer = Answer {
            status: 401,
            content_type: None,
            body: vec![],
        };
        let e = read_token_answer(&answer, Step::Refresh, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
        assert!(e.to_string().ends_with("connect the account again."), "{e}");
    }

    #[test]
    fn probe_carries_the_api_version() {
        let call = settings()
            .probe_call(&Default::default(), Some(&AccessToken::new("tok")))
            .unwrap()
            .unwrap();
        assert_eq!(call.url.as_str(), "https://app.wordapp.com/api/me");
        assert_eq!(
            call.headers,
            vec![
                ("authorization", "Bearer tok".to_owned()),
                ("x-api-version", "1".to_owned())
            ]
        );
    }
}
