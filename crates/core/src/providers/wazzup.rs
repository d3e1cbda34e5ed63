//! Wazzup, partner "tech" API v2 (document 000; providers.md §1).
//!
//! Quirks this profile carries:
//! - Every token request is JSON with the grant's fields nested under
//!   `<grant>_data`, authenticated with the *partner's* login as
//!   `Authorization: Basic base64(email:password)` — not a client secret.
//! - Answers are wrapped: `{data: {access_token, …}, meta: {timestamp}}`.
//! - Scopes are comma-joined (`transport,crm`).
//! - The refresh body `{grant_type: "refresh_token", refresh_token_data:
//!   {refresh_token, client_id}}` is not in the recoverable document; it
//!   follows the documented `<grant>_data` pattern (providers.md §1.3).
//! - Several error codes are cut off in the document (`OAUTH_REDIRECT_…`),
//!   so the table matches by prefix, longest first; the two
//!   `OAUTH_AUTHORIZATION_…` codes are told apart by the rest of the name or
//!   the description ("code" vs "header").
//! - There is no revoke endpoint.

use super::catalogue::{
    AUTHORIZATION_CODE, CLIENT_CREDENTIALS, CODE_ONLY, Draft, Field, FieldKind, LABEL, ProviderInfo, Rule, When,
    grant_field, redirect_field, server_field,
};
use super::provider::{Authorization, Provider, RevokePlan};
use super::{Auth, Body, Call, GrantRequest, Step, endpoint, read_token_fields, rfc6749, shown_description};
use crate::error::Error;
use crate::http::Answer;
use crate::model::{
    AccountSecrets, Grant, PartnerLogin, ProviderKind, ProviderSettings, TokenSet, UnixTime, WazzupSettings,
};
use crate::pkce::Pkce;
use crate::secret::{Password, State};
use serde_json::{Value, json};
use url::Url;

pub const NAME: &str = "Wazzup";
pub const DEFAULT_BASE_URL: &str = "https://tech.wazzup24.com";
pub const DEFAULT_SCOPES: [&str; 2] = ["transport", "crm"];

pub static INFO: ProviderInfo = ProviderInfo {
    kind: ProviderKind::Wazzup,
    id: "wazzup",
    name: NAME,
    blurb: "Wazzup Label partner: OAuth with PKCE",
    grants: &[Grant::AuthorizationCode, Grant::ClientCredentials],
    fields: &[
        LABEL,
        Field {
            help: Some(
                "In the browser for a Wazzup Label account; client credentials for a White Label machine token.",
            ),
            ..grant_field(&[AUTHORIZATION_CODE, CLIENT_CREDENTIALS])
        },
        Field {
            help: Some("Issued by your Wazzup manager."),
            required: When::Always,
            ..Field::text("client_id", "client_id")
        },
        Field {
            kind: FieldKind::Email,
            required: When::Always,
            rule: Rule::Email,
            problem: "Enter the e-mail you log in to Wazzup with.",
            ..Field::text("email", "Partner login e-mail")
        },
        Field {
            kind: FieldKind::Secret,
            help: Some("Kept in the system keyring; sent as Basic authentication to the token endpoint."),
            required: When::Always,
            ..Field::text("secret", "Partner password")
        },
        redirect_field(crate::redirect_help!("Registered with Wazzup."), CODE_ONLY),
        Field {
            help: Some("Comma-separated. Wazzup asks for transport and crm."),
            default: Some("transport,crm"),
            ..Field::text("scopes", "Scopes")
        },
        server_field(DEFAULT_BASE_URL),
    ],
    build,
};

/// The partner's login goes to the keyring; everything else is a setting.
fn build(draft: &Draft) -> Result<(ProviderSettings, AccountSecrets), Error> {
    let secrets = AccountSecrets {
        partner_login: Some(PartnerLogin {
            email: draft.get("email").to_owned(),
            password: Password::new(draft.secret().unwrap_or_default()),
        }),
        ..Default::default()
    };
    let settings = WazzupSettings {
        base_url: draft.get("base_url").to_owned(),
        client_id: draft.get("client_id").to_owned(),
        redirect_uri: draft.get("redirect_uri").to_owned(),
        scopes: draft.list("scopes"),
        grant: draft.grant.unwrap_or(Grant::AuthorizationCode),
    };
    Ok((ProviderSettings::Wazzup(settings), secrets))
}

impl Provider for WazzupSettings {
    /// The partner password; the login e-mail beside it stays.
    fn replace_secret(&self, secrets: &mut AccountSecrets, secret: &str) -> Result<(), Error> {
        let login = secrets.partner_login.as_mut().ok_or_else(|| {
            Error::InvalidInput(format!(
                "{NAME}: this account keeps no partner login; remove it and add it again."
            ))
        })?;
        login.password = Password::new(secret);
        Ok(())
    }

    fn kind(&self) -> ProviderKind {
        ProviderKind::Wazzup
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

    /// Token, partner and customer calls all go to `base_url`.
    fn secret_endpoints(&self) -> Result<Vec<Url>, Error> {
        Ok(vec![v2(self, "/oauth/token")?])
    }

    fn missing_exchange_secret(&self, secrets: &AccountSecrets) -> Option<&'static str> {
        secrets
            .partner_login
            .is_none()
            .then_some("the partner's login (e-mail and password)")
    }

    /// Always with PKCE (S256): document 000 requires it.
    fn authorize(&self, state: &State) -> Result<Authorization, Error> {
        let pkce = Pkce::new_s256()?;
        Ok(Authorization {
            url: authorize_url(self, state, &pkce)?,
            verifier: Some(pkce.verifier),
            nonce: None,
        })
    }

    /// Wazzup's own codes come from its table; anything else (a standard
    /// `access_denied`) is read as RFC 6749.
    fn authorize_error(&self, error: &str, description: Option<&str>) -> Error {
        if error.to_ascii_uppercase().starts_with("OAUTH_") || error == "VALIDATION_FAILED" {
            explain(error, description, Step::AuthorizationCode)
        } else {
            rfc6749::code_refusal(NAME, Step::AuthorizationCode, error, description)
        }
    }

    fn token_call(&self, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error> {
        token_call(self, secrets, grant)
    }

    fn read_token_answer(&self, answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
        read_token_answer(answer, step, received_at)
    }

    /// No revoke endpoint: the token stays valid at Wazzup until it expires.
    fn revoke_plan(&self, secrets: &AccountSecrets, _now: UnixTime) -> Result<RevokePlan, Error> {
        Ok(match &secrets.tokens {
            None => RevokePlan::Nothing,
            Some(tokens) => RevokePlan::NotSupported {
                expires_at: tokens.expires_at,
            },
        })
    }

    fn revoke_consequence(&self) -> String {
        "Wazzup offers no way to revoke a token: it stays valid at Wazzup until it expires. Latch deletes its copy."
            .into()
    }

    /// The tech API, `{base_url}/v2`: end-customer calls take
    /// `Authorization: Bearer` (the default headers).
    fn api_base(&self) -> Result<Url, Error> {
        v2(self, "")
    }

    /// `GET /v2/channels`, the end customer's channels.
    fn probe_target(&self) -> Option<String> {
        Some("/channels".into())
    }

    fn probe_refusal(&self, answer: &Answer) -> Error {
        refusal(answer, Step::Probe)
    }
}

/// `base_url` + `/v2` + path; a base that already ends in `/v2` is accepted.
fn v2(settings: &WazzupSettings, path: &str) -> Result<Url, Error> {
    let base = settings.base_url.trim().trim_end_matches('/');
    let base = base.strip_suffix("/v2").unwrap_or(base);
    endpoint(base, &format!("/v2{path}"))
}

fn scope(settings: &WazzupSettings) -> String {
    if settings.scopes.is_empty() {
        DEFAULT_SCOPES.join(",")
    } else {
        settings.scopes.join(",")
    }
}

/// Step 1: `GET /v2/oauth/authorize` with all seven parameters (document 000).
pub fn authorize_url(settings: &WazzupSettings, state: &State, pkce: &Pkce) -> Result<Url, Error> {
    let mut url = v2(settings, "/oauth/authorize")?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &settings.client_id)
        .append_pair("redirect_uri", &settings.redirect_uri)
        .append_pair("scope", &scope(settings))
        .append_pair("state", state.secret())
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", pkce.method.as_str());
    Ok(url)
}

/// Step 2 and the other grants: `POST /v2/oauth/token`, JSON, partner Basic.
pub fn token_call(settings: &WazzupSettings, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error> {
    let login = secrets.partner_login.as_ref().ok_or_else(|| {
        Error::InvalidInput(
            "Wazzup needs the partner's login (e-mail and password) to request tokens; add it in the account settings."
                .into(),
        )
    })?;
    let body = match grant {
        GrantRequest::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            let mut data = json!({
                "code": code.secret(),
                "redirect_uri": redirect_uri,
                "client_id": settings.client_id,
            });
            if let Some(v) = verifier {
                data["code_verifier"] = Value::from(v.secret());
            }
            json!({ "grant_type": "authorization_code", "authorize_code_data": data })
        }
        GrantRequest::ClientCredentials => json!({
            "grant_type": "client_credentials",
            "client_credentials_data": { "scope": scope(settings) },
        }),
        GrantRequest::Refresh { refresh_token } => json!({
            "grant_type": "refresh_token",
            "refresh_token_data": { "refresh_token": refresh_token.secret(), "client_id": settings.client_id },
        }),
        GrantRequest::Password { .. } => {
            return Err(Error::InvalidInput(
                "Wazzup has no password grant; connect the account through the browser or with a machine token.".into(),
            ));
        }
    };
    let auth = Auth::Basic {
        user: login.email.clone(),
        password: login.password.secret().to_owned(),
    };
    Ok(Call::post(v2(settings, "/oauth/token")?, Body::Json(body), auth))
}

/// Reads a token answer: `{data: {…}, meta}` on success, an `OAUTH_*` code otherwise.
pub fn read_token_answer(answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
    if !answer.is_success() {
        return Err(refusal(answer, step));
    }
    let fields = super::answer_object(NAME, answer)?;
    match fields.get("data") {
        Some(Value::Object(data)) => read_token_fields(NAME, data, received_at, &[]),
        _ => Err(Error::invalid_answer(
            NAME,
            "a token answer without its \"data\" object",
        )),
    }
}

/// The error of a failed answer: `{error, description}` (the v2 shape is not
/// documented; providers.md §1.3 gives this as the likely one, and an empty
/// body is possible).
pub fn refusal(answer: &Answer, step: Step) -> Error {
    let body = match answer.json_or_empty(NAME) {
        Ok(body) => body,
        Err(e) => return e,
    };
    let text = |key: &str| {
        body.as_ref()
            .and_then(|b| b.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match text("error").or_else(|| text("code")) {
        Some(code) => explain(&code, text("description").as_deref(), step),
        None => rfc6749::status_refusal(NAME, answer.status, step),
    }
}

/// Document 000's error tables: the code (full or truncated) in plain words.
pub fn explain(code: &str, description: Option<&str>, step: Step) -> Error {
    let upper = code.to_ascii_uppercase();
    let desc = description.unwrap_or("").to_ascii_lowercase();
    let refused = |explanation: &str, what_to_do: &str| Error::refused(NAME, code, explanation, what_to_do);
    let reconnect = |reason: &str| Error::reconnect(NAME, Some(code), reason);
    // Longest prefixes first: OAUTH_INVALID_GRANT_TYPE before OAUTH_INVALID_,
    // OAUTH_CLIENT_ID_MISMATCH before OAUTH_CLIENT_, OAUTH_PARTNER_NOT_… before OAUTH_PARTNER_.
    if upper == "VALIDATION_FAILED" {
        refused(
            "the request did not pass Wazzup's input validation",
            "check the client id, redirect URI and scopes in the account settings",
        )
    } else if upper.starts_with("OAUTH_INVALID_GRANT_TYPE") {
        refused(
            "the grant type is not valid",
            "make sure the grant_type value is correct; this is a Latch bug, please report it",
        )
    } else if upper.starts_with("OAUTH_REDIRECT_") {
        refused(
            "the redirect_uri is not the one registered with Wazzup",
            "use the redirect_uri agreed upon with Wazzup in the account settings",
        )
    } else if let Some(rest) = upper.strip_prefix("OAUTH_AUTHORIZATION_") {
        if rest.contains("HEADER") || desc.contains("header") {
            refused(
                "the Authorization header was not accepted",
                "check the partner e-mail and password in the account settings",
            )
        } else if rest.contains("CODE") || desc.contains("code") {
            refused(
                "the authorization code is invalid: it expired or does not belong to your client",
                "connect the account again to get a new authorization code",
            )
        } else if step == Step::AuthorizationCode {
            refused(
                "either the authorization code or the Authorization header was not accepted",
                "check the partner e-mail and password in the account settings, then connect the account again",
            )
        } else {
            refused(
                "the Authorization header was not accepted",
                "check the partner e-mail and password in the account settings",
            )
        }
    } else if upper.starts_with("OAUTH_CODE_CHALLENGE_") {
        refused(
            "the PKCE method (code_challenge_method) is unknown",
            "use a supported PKCE method (S256, PLAIN); this is a Latch bug, please report it",
        )
    } else if upper.starts_with("OAUTH_CODE_VERIFIER") {
        refused(
            "the PKCE code_verifier is missing or wrong",
            "connect the account again; if it keeps happening, report it as a Latch bug",
        )
    } else if upper.starts_with("OAUTH_REQUESTED_") {
        refused(
            "the requested subject does not match the expected value",
            "make sure you are using the correct machine token",
        )
    } else if upper.starts_with("OAUTH_SUBJECT_TOKEN_") {
        refused(
            "the subject_token_type does not match",
            "verify the subject_token_type that is sent",
        )
    } else if upper.starts_with("OAUTH_CLIENT_ID_MISMATCH") {
        refused(
            "the client_id does not belong to your application",
            "check the client id in the account settings",
        )
    } else if upper.starts_with("OAUTH_REFRESH_TOKEN_") {
        reconnect("the refresh token is invalid or expired, so the whole authorization must be repeated")
    } else if upper.starts_with("OAUTH_INVALID_") {
        refused(
            "the partner token is invalid or expired",
            "check the token's validity with your Wazzup manager or use a valid partner token",
        )
    } else if upper.starts_with("OAUTH_TOKEN_INVALID_") {
        if step == Step::Refresh {
            reconnect("the token is invalid or expired")
        } else {
            refused(
                "the token is invalid or expired",
                "refresh the token or connect the account again",
            )
        }
    } else if upper.starts_with("OAUTH_TOKEN_UNKNOWN_") {
        reconnect("the token is unknown or has been revoked")
    } else if upper.starts_with("OAUTH_PARTNER_NOT_FOUND")
        || (upper.starts_with("OAUTH_PARTNER_") && desc.contains("not found"))
    {
        refused(
            "the partner was not found",
            "make sure the client id is correct, or ask your Wazzup manager",
        )
    } else if upper.starts_with("OAUTH_PARTNER_NOT_ACTIVE")
        || (upper.starts_with("OAUTH_PARTNER_") && desc.contains("inactive"))
    {
        refused(
            "the partner account is inactive",
            "contact your Wazzup manager to activate the partner account",
        )
    } else if upper.starts_with("OAUTH_PARTNER_") {
        refused(
            "the partner was not found or is inactive",
            "check the client id, or ask your Wazzup manager to activate the partner account",
        )
    } else if upper.starts_with("OAUTH_CLIENT_") {
        refused(
            "the end customer does not belong to this partner",
            "verify that the customer is associated with your partner account",
        )
    } else if upper.starts_with("OAUTH_SCOPE_FORBIDDEN") {
        refused(
            "the requested scope is not permitted",
            "agree the requested permissions (scope) with your Wazzup manager",
        )
    } else {
        let explanation = shown_description(description).unwrap_or_else(|| "no explanation was given".into());
        refused(&explanation, "check the account settings, then try again")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::model::{Grant, PartnerLogin};
    use crate::secret::{AuthorizationCode, Password, PkceVerifier, RefreshToken};

    fn settings() -> WazzupSettings {
        WazzupSettings {
            base_url: "https://tech.wazzup24.com".into(),
            client_id: "partner_client_id".into(),
            redirect_uri: "https://your.website/callback".into(),
            scopes: vec!["transport".into(), "crm".into()],
            grant: Grant::AuthorizationCode,
        }
    }

    fn secrets() -> AccountSecrets {
        AccountSecrets {
            partner_login: Some(PartnerLogin {
                email: "p@example.com".into(),
                password: Password::new("pw"),
            }),
            ..Default::default()
        }
    }

    #[test]
    fn authorize_url_matches_the_documents_example() {
        let pkce = Pkce::from_verifier(PkceVerifier::new("v".repeat(43)), crate::pkce::ChallengeMethod::S256);
        let url = authorize_url(&settings(), &State::new("state_tech_partner_123"), &pkce).unwrap();
        let expected = format!(
            "https://tech.wazzup24.com/v2/oauth/authorize?response_type=code&client_id=partner_client_id\
             &redirect_uri=https%3A%2F%2Fyour.website%2Fcallback&scope=transport%2Ccrm&state=state_tech_partner_123\
             &code_challenge={}&code_challenge_method=S256",
            pkce.challenge
        );
        assert_eq!(url.as_str(), expected);
    }

    #[test]
    fn code_exchange_is_nested_json_with_partner_basic() {
        let code = AuthorizationCode::new("AUTH_CODE");
        let verifier = PkceVerifier::new("ORIGINAL_CODE_VERIFIER");
        let grant = GrantRequest::AuthorizationCode {
            code: &code,
            redirect_uri: "https://your.app/callback",
            verifier: Some(&verifier),
        };
        let call = token_call(&settings(), &secrets(), &grant).unwrap();
        assert_eq!(call.url.as_str(), "https://tech.wazzup24.com/v2/oauth/token");
        let Body::Json(body) = &call.body else {
            panic!("json expected")
        };
        assert_eq!(
            body,
            &json!({"grant_type": "authorization_code", "authorize_code_data": {
                "code": "AUTH_CODE", "redirect_uri": "https://your.app/callback",
                "client_id": "partner_client_id", "code_verifier": "ORIGINAL_CODE_VERIFIER"}})
        );
        assert!(matches!(&call.auth, Auth::Basic { user, password } if user == "p@example.com" && password == "pw"));
    }

    #[test]
    fn refresh_and_machine_token_bodies_follow_the_grant_data_pattern() {
        let rt = RefreshToken::new("def502");
        let call = token_call(&settings(), &secrets(), &GrantRequest::Refresh { refresh_token: &rt }).unwrap();
        let Body::Json(body) = &call.body else { panic!() };
        assert_eq!(
            body,
            &json!({"grant_type": "refresh_token", "refresh_token_data": {"refresh_token": "def502", "client_id": "partner_client_id"}})
        );
        let call = token_call(&settings(), &secrets(), &GrantRequest::ClientCredentials).unwrap();
        let Body::Json(body) = &call.body else { panic!() };
        assert_eq!(
            body,
            &json!({"grant_type": "client_credentials", "client_credentials_data": {"scope": "transport,crm"}})
        );
    }

    #[test]
    fn a_missing_partner_login_is_a_clear_input_error() {
        let e = token_call(
            &settings(),
            &AccountSecrets::default(),
            &GrantRequest::ClientCredentials,
        )
        .err()
        .unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("partner's login"));
    }

    #[test]
    fn the_documents_sample_answer_is_unwrapped_from_data() {
        let body = r#"{"data":{"access_token":"eyJhbGciOi","refresh_token":"def50200","token_type":"Bearer","expires_in":86400},"meta":{"timestamp":1759481570}}"#;
        let answer = Answer {
            status: 200,
            content_type: Some("application/json".into()),
            body: body.into(),
        };
        let set = read_token_answer(&answer, Step::AuthorizationCode, 1000).unwrap();
        assert_eq!(set.access_token.secret(), "eyJhbGciOi");
        assert_eq!(set.refresh_token.unwrap().secret(), "def50200");
        assert_eq!(
            set.expires_at,
            Some(1000 + 86400),
            "receive time + expires_in, not meta.timestamp"
        );
    }

    fn said(code: &str, description: Option<&str>, step: Step) -> String {
        explain(code, description, step).to_string()
    }

    #[test]
    fn truncated_codes_are_matched_by_prefix() {
        assert!(
            said("OAUTH_REDIRECT_URI_MISMATCH", None, Step::AuthorizationCode)
                .contains("redirect_uri agreed upon with Wazzup")
        );
        assert!(said("OAUTH_CODE_CHALLENGE_METHOD_UNSUPPORTED", None, Step::AuthorizationCode).contains("S256, PLAIN"));
        assert!(
            said("OAUTH_REQUESTED_SUBJECT_MISMATCH", None, Step::ClientCredentials).contains("correct machine token")
        );
        assert!(
            said("OAUTH_SUBJECT_TOKEN_TYPE_MISMATCH", None, Step::ClientCredentials).contains("subject_token_type")
        );
        assert!(
            said("OAUTH_INVALID_PARTNER_TOKEN", None, Step::ClientCredentials).contains("partner token is invalid")
        );
        assert!(said("OAUTH_INVALID_GRANT_TYPE", None, Step::Refresh).contains("grant type is not valid"));
        assert!(said("OAUTH_CLIENT_NOT_OWNED", None, Step::ClientCredentials).contains("end customer does not belong"));
        assert!(said("OAUTH_CLIENT_ID_MISMATCH", None, Step::Refresh).contains("client_id does not belong"));
    }

    #[test]
    fn refresh_token_errors_need_a_reconnect_and_token_invalid_means_refresh() {
        let e = explain("OAUTH_REFRESH_TOKEN_INVALID", None, Step::Refresh);
        assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
        assert!(e.to_string().contains("connect the account again"));
        let e = explain("OAUTH_TOKEN_INVALID_OR_EXPIRED", None, Step::Probe);
        assert_eq!(e.kind(), ErrorKind::ProviderRefused);
        assert!(e.to_string().contains("refresh the token"));
        assert_eq!(
            explain("OAUTH_TOKEN_UNKNOWN_OR_REVOKED", None, Step::Probe).kind(),
            ErrorKind::NeedsReconnect
        );
    }

    #[test]
    fn the_two_authorization_codes_are_told_apart() {
        assert!(
            said("OAUTH_AUTHORIZATION_CODE_INVALID", None, Step::AuthorizationCode)
                .contains("authorization code is invalid")
        );
        assert!(
            said("OAUTH_AUTHORIZATION_HEADER_INVALID", None, Step::AuthorizationCode)
                .contains("partner e-mail and password")
        );
        assert!(
            said(
                "OAUTH_AUTHORIZATION_",
                Some("Invalid authorization header"),
                Step::AuthorizationCode
            )
            .contains("Authorization header was not accepted")
        );
        assert!(
            said(
                "OAUTH_AUTHORIZATION_",
                Some("Invalid authorization code"),
                Step::AuthorizationCode
            )
            .contains("code is invalid")
        );
    }

    #[test]
    fn partner_codes_use_the_description_when_truncated() {
        assert!(said("OAUTH_PARTNER_NOT_FOUND", None, Step::AuthorizationCode).contains("partner was not found"));
        assert!(
            said("OAUTH_PARTNER_", Some("Partner is inactive"), Step::AuthorizationCode)
                .contains("activate the partner account")
        );
        assert_eq!(
            said("OAUTH_SCOPE_FORBIDDEN", None, Step::ClientCredentials),
            "Wazzup refused the request (OAUTH_SCOPE_FORBIDDEN: the requested scope is not permitted); agree the \
             requested permissions (scope) with your Wazzup manager."
        );
    }

    #[test]
    fn an_empty_401_is_explained_by_its_status() {
        let answer = Answer {
            status: 401,
            content_type: None,
            body: vec![],
        };
        let e = refusal(&answer, Step::ClientCredentials);
        assert!(e.to_string().contains("HTTP 401"), "{e}");
    }
}
