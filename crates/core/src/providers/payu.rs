//! PayU, WhatsApp / partner OAuth on the PayU Hub (documents 001 and 003;
//! providers.md §3).
//!
//! Quirks this profile carries:
//! - Two environments: UAT (`uat-accounts.payu.in`, consent on
//!   `uat-onboarding.payu.in`) and production (`accounts.payu.in`,
//!   `onboarding.payu.in`); both hosts overridable per account.
//! - The "authorize" step is the onboarding sign-up page with `reseller_id`
//!   and `state`; the redirect back carries `auth_code` and `merchantId`,
//!   not `code` (the callback reader accepts both names).
//! - Every token request is form-encoded; the refresh takes `client_secret`
//!   only if there is one (document 003 marks it optional).
//! - Every error is documented as HTTP 401, and document 003 even lists a
//!   success body in its 401 table, so answers are read by their content —
//!   `error` means refused, `access_token` means a token — never by status.
//! - `created_at` is documented in milliseconds but sampled in seconds;
//!   both are read (it is kept only as an extra: expiry comes from the
//!   local receive time).
//! - Revoke: `POST /oauth/revoke` with client_id, client_secret, token.

use super::catalogue::{Choice, Draft, Field, FieldKind, LABEL, ProviderInfo, Rule, URL_PROBLEM, When, redirect_field};
use super::provider::{Authorization, Provider, RevokePlan};
use super::{Body, Call, GrantRequest, Step, answer_object, endpoint, parse_url, read_token_fields, rfc6749};
use crate::error::Error;
use crate::http::Answer;
use crate::model::{
    AccountSecrets, Grant, PayuEnvironment, PayuSettings, ProviderKind, ProviderSettings, TokenSet, UnixTime,
};
use crate::pkce::Pkce;
use crate::secret::State;
use serde_json::Value;
use url::Url;

pub const NAME: &str = "PayU";
/// Non-secret fields of PayU's token answer kept with the token set.
pub const EXTRAS: [&str; 2] = ["user_uuid", "created_at"];

pub static INFO: ProviderInfo = ProviderInfo {
    kind: ProviderKind::Payu,
    id: "payu",
    name: NAME,
    blurb: "WhatsApp integration: authorization code and refresh",
    grants: &[Grant::AuthorizationCode],
    fields: &[
        LABEL,
        Field {
            kind: FieldKind::Select,
            options: &[
                Choice {
                    value: "uat",
                    label: "UAT (testing)",
                },
                Choice {
                    value: "production",
                    label: "Production",
                },
            ],
            default: Some("uat"),
            rule: Rule::Choice,
            ..Field::text("environment", "Environment")
        },
        Field {
            required: When::Always,
            ..Field::text("client_id", "client_id")
        },
        Field {
            kind: FieldKind::Secret,
            help: Some("Kept in the system keyring."),
            required: When::Always,
            ..Field::text("secret", "client_secret")
        },
        redirect_field(
            crate::redirect_help!("The redirect URL whitelisted in your PayU partner dashboard."),
            When::Always,
        ),
        Field {
            help: Some("Your partner id, sent to PayU's consent page."),
            ..Field::text("reseller_id", "Reseller id")
        },
        Field {
            kind: FieldKind::Url,
            help: Some("Instead of the environment's accounts.payu.in."),
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("accounts_url", "Token server (optional)")
        },
        Field {
            kind: FieldKind::Url,
            help: Some("Instead of the environment's onboarding page."),
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("onboarding_url", "Consent server (optional)")
        },
        Field {
            kind: FieldKind::Url,
            help: Some("Where `latch api` sends requests, instead of the accounts server."),
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("api_url", "API server (optional)")
        },
    ],
    build,
};

fn build(draft: &Draft) -> Result<(ProviderSettings, AccountSecrets), Error> {
    let secrets = draft.client_secret();
    let settings = PayuSettings {
        environment: match draft.get("environment") {
            "production" => PayuEnvironment::Production,
            _ => PayuEnvironment::Uat,
        },
        accounts_url: draft.opt("accounts_url"),
        onboarding_url: draft.opt("onboarding_url"),
        client_id: draft.get("client_id").to_owned(),
        redirect_uri: draft.get("redirect_uri").to_owned(),
        reseller_id: draft.opt("reseller_id"),
        api_url: draft.opt("api_url"),
    };
    Ok((ProviderSettings::Payu(settings), secrets))
}

impl Provider for PayuSettings {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Payu
    }

    fn grant(&self) -> Option<Grant> {
        Some(Grant::AuthorizationCode)
    }

    fn redirect_uri(&self) -> Option<&str> {
        Some(&self.redirect_uri)
    }

    fn set_redirect_uri(&mut self, uri: &str) {
        self.redirect_uri = uri.to_owned();
    }

    /// The accounts host (token and revoke) and the API server; the
    /// onboarding host is the merchant's consent page and gets no secret.
    fn secret_endpoints(&self) -> Result<Vec<Url>, Error> {
        let mut endpoints = vec![endpoint(accounts_url(self), "/oauth/token")?];
        if self.api_url.as_deref().is_some_and(|u| !u.trim().is_empty()) {
            endpoints.push(self.api_base()?);
        }
        Ok(endpoints)
    }

    /// The account's API server, else the accounts server (the documents
    /// name no API base for the integration's tokens).
    fn api_base(&self) -> Result<Url, Error> {
        match self.api_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) => parse_url(url),
            None => parse_url(accounts_url(self)),
        }
    }

    /// `GET /api/me` with the Bearer token. Not in the copies of PayU's
    /// documents (an assumption, like the fake's probe, providers.md §6.3):
    /// `latch status --check` says which call it made.
    fn probe_target(&self) -> Option<String> {
        Some("/api/me".into())
    }

    fn missing_exchange_secret(&self, secrets: &AccountSecrets) -> Option<&'static str> {
        secrets.client_secret.is_none().then_some("the client secret")
    }

    /// S256 PKCE, though the documents name only `reseller_id` and `state`:
    /// a server that does not know PKCE ignores the challenge, and one that
    /// does binds the code to this sign-in.
    fn authorize(&self, state: &State) -> Result<Authorization, Error> {
        let pkce = Pkce::new_s256()?;
        Ok(Authorization {
            url: authorize_url(self, state, &pkce)?,
            verifier: Some(pkce.verifier),
            nonce: None,
        })
    }

    fn token_call(&self, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error> {
        token_call(self, secrets, grant)
    }

    fn read_token_answer(&self, answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
        read_token_answer(answer, step, received_at)
    }

    /// RFC 7009, at `/oauth/revoke`.
    fn revoke_plan(&self, secrets: &AccountSecrets, _now: UnixTime) -> Result<RevokePlan, Error> {
        rfc6749::revocation(NAME, secrets, |token, hint| {
            revoke_call(self, secrets, token, hint).map(Some)
        })
    }
}

pub fn accounts_url(settings: &PayuSettings) -> &str {
    match (&settings.accounts_url, settings.environment) {
        (Some(url), _) if !url.trim().is_empty() => url,
        (_, PayuEnvironment::Uat) => "https://uat-accounts.payu.in",
        (_, PayuEnvironment::Production) => "https://accounts.payu.in",
    }
}

pub fn onboarding_url(settings: &PayuSettings) -> &str {
    match (&settings.onboarding_url, settings.environment) {
        (Some(url), _) if !url.trim().is_empty() => url,
        (_, PayuEnvironment::Uat) => "https://uat-onboarding.payu.in",
        (_, PayuEnvironment::Production) => "https://onboarding.payu.in",
    }
}

/// The merchant's consent page:
/// `/app/account/signup?reseller_id=…&state=…&code_challenge=…&code_challenge_method=S256`.
pub fn authorize_url(settings: &PayuSettings, state: &State, pkce: &Pkce) -> Result<Url, Error> {
    let reseller_id = settings
        .reseller_id
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| {
            Error::InvalidInput(
                "PayU's consent page needs your partner reseller id; add it in the account settings.".into(),
            )
        })?;
    let mut url = endpoint(onboarding_url(settings), "/app/account/signup")?;
    url.query_pairs_mut()
        .append_pair("reseller_id", reseller_id)
        .append_pair("state", state.secret())
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", pkce.method.as_str());
    Ok(url)
}

fn client_secret(secrets: &AccountSecrets) -> Result<&str, Error> {
    secrets.client_secret.as_ref().map(|s| s.secret()).ok_or_else(|| {
        Error::InvalidInput("PayU needs the client secret for this step; add it in the account settings.".into())
    })
}

/// `POST /oauth/token`, form-encoded (documents 001, 003).
pub fn token_call(settings: &PayuSettings, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error> {
    let url = endpoint(accounts_url(settings), "/oauth/token")?;
    let mut form: Vec<(&'static str, String)> = vec![("client_id", settings.client_id.clone())];
    match grant {
        GrantRequest::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            form.push(("client_secret", client_secret(secrets)?.into()));
            form.push(("grant_type", "authorization_code".into()));
            form.push(("code", code.secret().into()));
            form.push(("redirect_uri", (*redirect_uri).into()));
            if let Some(verifier) = verifier {
                form.push(("code_verifier", verifier.secret().into()));
            }
        }
        GrantRequest::Refresh { refresh_token } => {
            if let Some(secret) = &secrets.client_secret {
                form.push(("client_secret", secret.secret().into()));
            }
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", refresh_token.secret().into()));
        }
        GrantRequest::ClientCredentials => {
            form.push(("client_secret", client_secret(secrets)?.into()));
            form.push(("grant_type", "client_credentials".into()));
        }
        GrantRequest::Password { .. } => {
            return Err(Error::InvalidInput(
                "Latch does not run PayU's password grant; connect the account through the consent page.".into(),
            ));
        }
    }
    Ok(Call::post(url, Body::Form(form), super::Auth::None))
}

/// `POST /oauth/revoke` for one token.
pub fn revoke_call(
    settings: &PayuSettings,
    secrets: &AccountSecrets,
    token: &str,
    hint: &'static str,
) -> Result<Call, Error> {
    let url = endpoint(accounts_url(settings), "/oauth/revoke")?;
    let form = vec![
        ("client_id", settings.client_id.clone()),
        ("client_secret", client_secret(secrets)?.into()),
        ("token", token.to_owned()),
        ("token_type_hint", hint.into()),
    ];
    Ok(Call::post(url, Body::Form(form), super::Auth::None))
}

/// Reads a token answer by its content, whatever the status.
pub fn read_token_answer(answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
    if answer.body.iter().all(u8::is_ascii_whitespace) && !answer.is_success() {
        return Err(rfc6749::status_refusal(NAME, answer.status, step));
    }
    let fields = answer_object(NAME, answer)?;
    if let Some(code) = fields.get("error").and_then(Value::as_str) {
        let description = fields.get("error_description").and_then(Value::as_str);
        return Err(explain(code, description, step));
    }
    if fields.contains_key("access_token") {
        return read_token_fields(NAME, &fields, received_at, &EXTRAS);
    }
    if answer.is_success() {
        Err(Error::invalid_answer(NAME, "a token answer without an access_token"))
    } else {
        Err(rfc6749::status_refusal(NAME, answer.status, step))
    }
}

/// Documents 001 and 003's error rows. The generic RFC words, with PayU's
/// own advice where the documents explain a cause.
pub fn explain(code: &str, description: Option<&str>, step: Step) -> Error {
    match (code, step) {
        ("invalid_client", _) => Error::refused(
            NAME,
            code,
            "client authentication failed: unknown client, missing or wrong client secret",
            "check the client id and client secret in the account settings",
        ),
        ("invalid_request", Step::Refresh) => Error::refused(
            NAME,
            code,
            "a required parameter (grant type or refresh token) was missing or malformed",
            "connect the account again; if it keeps happening, report it as a Latch bug",
        ),
        ("invalid_request", _) => Error::refused(
            NAME,
            code,
            "a required parameter (redirect URI or grant type) was missing or malformed",
            "check the redirect URI in the account settings, then connect again",
        ),
        ("invalid_grant", Step::AuthorizationCode) => Error::refused(
            NAME,
            code,
            "the authorization code is missing, invalid, expired, already used, or the redirect URI does not match",
            "connect the account again, with the redirect URI whitelisted in your PayU partner dashboard",
        ),
        _ => rfc6749::code_refusal(NAME, step, code, description),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::secret::{AuthorizationCode, ClientSecret, RefreshToken};

    fn settings(environment: PayuEnvironment) -> PayuSettings {
        PayuSettings {
            environment,
            accounts_url: None,
            onboarding_url: None,
            client_id: "6f7afb".into(),
            redirect_uri: "https://abc.in".into(),
            reseller_id: Some("R42".into()),
            api_url: None,
        }
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            content_type: Some("application/json".into()),
            body: body.into(),
        }
    }

    #[test]
    fn environments_pick_their_hosts() {
        let pkce = Pkce::from_verifier(
            crate::secret::PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            crate::pkce::ChallengeMethod::S256,
        );
        let url = authorize_url(&settings(PayuEnvironment::Production), &State::new("s1"), &pkce).unwrap();
        assert_eq!(
            url.as_str(),
            "https://onboarding.payu.in/app/account/signup?reseller_id=R42&state=s1\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
        let url = authorize_url(&settings(PayuEnvironment::Uat), &State::new("s1"), &pkce).unwrap();
        assert!(
            url.as_str()
                .starts_with("https://uat-onboarding.payu.in/app/account/signup?")
        );
        let s = settings(PayuEnvironment::Uat);
        let call = token_call(
            &s,
            &AccountSecrets::default(),
            &GrantRequest::Refresh {
                refresh_token: &RefreshToken::new("r"),
            },
        )
        .unwrap();
        assert_eq!(call.url.as_str(), "https://uat-accounts.payu.in/oauth/token");
    }

    #[test]
    fn refresh_without_a_client_secret_omits_it_and_exchange_requires_it() {
        let s = settings(PayuEnvironment::Uat);
        let call = token_call(
            &s,
            &AccountSecrets::default(),
            &GrantRequest::Refresh {
                refresh_token: &RefreshToken::new("r"),
            },
        )
        .unwrap();
        let Body::Form(form) = call.body else { panic!() };
        assert!(!form.iter().any(|(k, _)| *k == "client_secret"));
        assert!(form.contains(&("grant_type", "refresh_token".into())));

        let code = AuthorizationCode::new("c");
        let grant = GrantRequest::AuthorizationCode {
            code: &code,
            redirect_uri: "https://abc.in",
            verifier: None,
        };
        let e = token_call(&s, &AccountSecrets::default(), &grant).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let secrets = AccountSecrets {
            client_secret: Some(ClientSecret::new("cs")),
            ..Default::default()
        };
        let Body::Form(form) = token_call(&s, &secrets, &grant).unwrap().body else {
            panic!()
        };
        let keys: Vec<_> = form.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            ["client_id", "client_secret", "grant_type", "code", "redirect_uri"]
        );
    }

    #[test]
    fn the_documents_sample_answer_keeps_user_uuid() {
        let body = r#"{"access_token":"e6ff7e34","token_type":"Bearer","expires_in":7199,"refresh_token":"356fe080",
            "scope":"credentials_using_oauth create_payment_links","created_at":1709198191,"user_uuid":"11ed-933c"}"#;
        let set = read_token_answer(&answer(200, body), Step::AuthorizationCode, 5000).unwrap();
        assert_eq!(set.expires_at, Some(5000 + 7199));
        assert_eq!(set.extras["user_uuid"], "11ed-933c");
        assert_eq!(set.extras["created_at"], "1709198191");
        assert_eq!(
            set.scope.as_deref(),
            Some("credentials_using_oauth create_payment_links")
        );
    }

    #[test]
    fn created_at_in_milliseconds_and_expire_in_are_read() {
        let body = r#"{"access_token":"a","token_type":"Bearer","expire_in":7199,"created_at":1709198191000}"#;
        let set = read_token_answer(&answer(200, body), Step::Refresh, 10).unwrap();
        assert_eq!(set.extras["created_at"], "1709198191");
        assert_eq!(set.expires_at, Some(10 + 7199));
    }

    #[test]
    fn a_success_body_is_a_success_even_under_401() {
        // Document 003 lists this row ("without client secret") in its 401 table.
        let body = r#"{"access_token":"8703","token_type":"Bearer","expires_in":7199,"refresh_token":"249f","scope":"hub_session"}"#;
        assert!(read_token_answer(&answer(401, body), Step::Refresh, 0).is_ok());
    }

    #[test]
    fn errors_are_branched_on_error_not_on_status() {
        let rfc = |code: &str| format!(r#"{{"error":"{code}","error_description":"RFC words."}}"#);
        let e = read_token_answer(&answer(401, &rfc("invalid_grant")), Step::Refresh, 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
        let e = read_token_answer(&answer(401, &rfc("invalid_grant")), Step::AuthorizationCode, 0).unwrap_err();
        assert!(
            e.to_string().contains("whitelisted in your PayU partner dashboard"),
            "{e}"
        );
        let e = read_token_answer(&answer(401, &rfc("invalid_client")), Step::AuthorizationCode, 0).unwrap_err();
        assert!(e.to_string().contains("check the client id and client secret"), "{e}");
        let e = read_token_answer(&answer(401, &rfc("unsupported_grant_type")), Step::Refresh, 0).unwrap_err();
        assert!(e.to_string().contains("does not support this grant type"), "{e}");
    }
}
