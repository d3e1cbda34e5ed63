//! Any RFC 6749 server ("Other OAuth 2.0"), and the RFC 6749 §5.2 error
//! table that PayU and Wordapp share.
//!
//! Client authentication follows the account's [`ClientAuth`]: a Basic
//! header (§2.3.1, id and secret form-urlencoded first, as the RFC says) or
//! `client_id`/`client_secret` in the body. A client without a secret is a
//! public client and sends its `client_id` in the body. Scopes are
//! space-joined (§3.3); PKCE (RFC 7636) is on or off per account.
//! Revocation is RFC 7009.

use super::{Auth, Body, Call, GrantRequest, Step, parse_url, read_token_fields, shown_description};
use crate::error::Error;
use crate::http::Answer;
use crate::model::{AccountSecrets, ClientAuth, OAuth2Settings, TokenSet, UnixTime};
use crate::pkce::Pkce;
use crate::secret::State;
use url::Url;

pub const NAME: &str = "Other OAuth 2.0";

/// The authorization request URL (§4.1.1, RFC 7636 §4.3).
pub fn authorize_url(settings: &OAuth2Settings, state: &State, pkce: Option<&Pkce>) -> Result<Url, Error> {
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
        }
        GrantRequest::Password { username, password } => {
            form.push(("grant_type", "password".into()));
            form.push(("username", (*username).into()));
            form.push(("password", password.secret().into()));
            scope(settings, &mut form);
        }
        GrantRequest::ClientCredentials => {
            form.push(("grant_type", "client_credentials".into()));
            scope(settings, &mut form);
        }
        GrantRequest::Refresh { refresh_token } => {
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", refresh_token.secret().into()));
        }
    }
    let auth = client_auth(settings, secrets, &mut form);
    Ok(Call::post(url, Body::Form(form), auth))
}

fn scope(settings: &OAuth2Settings, form: &mut Vec<(&'static str, String)>) {
    if !settings.scopes.is_empty() {
        form.push(("scope", settings.scopes.join(" ")));
    }
}

/// Adds client authentication to a form per the account's setting.
fn client_auth(settings: &OAuth2Settings, secrets: &AccountSecrets, form: &mut Vec<(&'static str, String)>) -> Auth {
    match (&secrets.client_secret, settings.client_auth) {
        (Some(secret), ClientAuth::Basic) => Auth::Basic {
            user: form_encode(&settings.client_id),
            password: form_encode(secret.secret()),
        },
        (Some(secret), ClientAuth::Body) => {
            form.push(("client_id", settings.client_id.clone()));
            form.push(("client_secret", secret.secret().into()));
            Auth::None
        }
        (None, _) => {
            form.push(("client_id", settings.client_id.clone()));
            Auth::None
        }
    }
}

/// `application/x-www-form-urlencoded` encoding of one value (§2.3.1).
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
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
    let auth = client_auth(settings, secrets, &mut form);
    Ok(Some(Call::post(url, Body::Form(form), auth)))
}

/// Reads a token endpoint answer: a token set on 2xx, else the error.
pub fn read_token_answer(answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error> {
    read_standard_answer(NAME, answer, step, received_at, &[])
}

/// The standard reading shared by RFC-shaped servers.
pub fn read_standard_answer(
    provider: &str,
    answer: &Answer,
    step: Step,
    received_at: UnixTime,
    extras: &[&str],
) -> Result<TokenSet, Error> {
    if answer.is_success() {
        let fields = super::answer_object(provider, answer)?;
        return read_token_fields(provider, &fields, received_at, extras);
    }
    Err(refusal(provider, answer, step))
}

/// The error of a non-2xx answer: the RFC 6749 §5.2 body when there is one,
/// otherwise what the status says.
pub fn refusal(provider: &str, answer: &Answer, step: Step) -> Error {
    match answer.json_or_empty(provider) {
        Ok(Some(body)) => match body.get("error").and_then(|e| e.as_str()) {
            Some(code) => rfc6749_refusal(
                provider,
                step,
                code,
                body.get("error_description").and_then(|d| d.as_str()),
            ),
            None => status_refusal(provider, answer.status, step),
        },
        Ok(None) => status_refusal(provider, answer.status, step),
        Err(e) => e,
    }
}

/// What a bare status means when there is no error code.
pub fn status_refusal(provider: &str, status: u16, step: Step) -> Error {
    let code = format!("HTTP {status}");
    match status {
        401 if step == Step::Refresh || step == Step::Probe => {
            Error::reconnect(provider, Some(&code), "the token was refused with HTTP 401")
        }
        401 | 403 => Error::refused(
            provider,
            &code,
            "the credentials were not accepted and no reason was given",
            "check the client id and secret in the account settings",
        ),
        429 => Error::refused(
            provider,
            &code,
            "too many requests were sent",
            "wait a minute, then try again",
        ),
        500..=599 => Error::refused(provider, &code, "the server had a problem", "try again later"),
        _ => Error::refused(
            provider,
            &code,
            "the request failed and no reason was given",
            "check the account settings, then try again",
        ),
    }
}

/// RFC 6749 §5.2 (and §4.1.2.1, RFC 7009 §2.2.1) error codes in plain words.
/// `invalid_grant` on a refresh means the account needs reconnecting.
pub fn rfc6749_refusal(provider: &str, step: Step, code: &str, description: Option<&str>) -> Error {
    let (explanation, what_to_do): (&str, &str) = match (code, step) {
        ("invalid_grant", Step::Refresh) => {
            return Error::reconnect(provider, Some(code), "the refresh token is invalid, expired or revoked");
        }
        ("invalid_grant", Step::Password) => ("the username or password is wrong", "check them and try again"),
        ("invalid_grant", _) => (
            "the authorization code is invalid, expired, already used, or does not match the redirect URI",
            "connect the account again, and check that the redirect URI matches the one registered with the provider",
        ),
        ("invalid_request", _) => (
            "the request is missing a required parameter or is malformed",
            "check the account settings (client id, redirect URI), then try again",
        ),
        ("invalid_client", _) => (
            "client authentication failed: unknown client, no client authentication, or an unsupported authentication method",
            "check the client id, the client secret and the client authentication method in the account settings",
        ),
        ("unauthorized_client", _) => (
            "this client is not allowed to use this grant",
            "allow the grant for the client at the provider, or choose another grant",
        ),
        ("unsupported_grant_type", _) => (
            "the server does not support this grant type",
            "choose another grant in the account settings",
        ),
        ("invalid_scope", _) => (
            "the requested scope is invalid or not allowed",
            "check the scopes in the account settings",
        ),
        ("access_denied", _) => (
            "the access request was refused",
            "connect the account again and approve the request",
        ),
        ("unsupported_response_type", _) => (
            "the server does not issue authorization codes for this client",
            "check the authorize URL and the client at the provider",
        ),
        ("server_error", _) => ("the server met an unexpected problem", "try again later"),
        ("temporarily_unavailable", _) => ("the server is overloaded or down for maintenance", "try again later"),
        ("unsupported_token_type", _) => (
            "the server cannot revoke this kind of token",
            "remove the account locally; the token stays valid until it expires",
        ),
        _ => {
            let explanation = shown_description(description).unwrap_or_else(|| "no explanation was given".into());
            return Error::refused(
                provider,
                code,
                &explanation,
                "check the account settings, then try again",
            );
        }
    };
    Error::refused(provider, code, explanation, what_to_do)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Grant;
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
        }
    }

    #[test]
    fn authorize_url_carries_space_joined_scopes_and_pkce() {
        let pkce = Pkce::new_s256().unwrap();
        let url = authorize_url(&settings(ClientAuth::Basic), &State::new("st"), Some(&pkce)).unwrap();
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

    #[test]
    fn invalid_grant_means_reconnect_only_on_refresh() {
        let e = rfc6749_refusal("PayU", Step::Refresh, "invalid_grant", None);
        assert_eq!(e.kind(), crate::error::ErrorKind::NeedsReconnect);
        let e = rfc6749_refusal("PayU", Step::AuthorizationCode, "invalid_grant", None);
        assert_eq!(e.kind(), crate::error::ErrorKind::ProviderRefused);
        assert!(
            e.to_string()
                .contains("the authorization code is invalid, expired, already used"),
            "{e}"
        );
    }

    #[test]
    fn unknown_codes_show_the_providers_description_briefly() {
        let e = rfc6749_refusal(
            "Other OAuth 2.0",
            Step::ClientCredentials,
            "slow_down",
            Some("Too fast.\n"),
        );
        assert_eq!(
            e.to_string(),
            "Other OAuth 2.0 refused the request (slow_down: Too fast); check the account settings, then try again."
        );
    }
}
