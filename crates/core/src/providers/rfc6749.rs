//! The pieces of RFC 6749 that several providers share: reading a token
//! endpoint's answer (§5.1, §5.2), the error codes in plain words, what a
//! bare HTTP status means when no code came, and client authentication
//! (§2.3.1) with its form encoding. Wordapp and "Other OAuth 2.0" read their
//! answers here; PayU and Wazzup fall back to the code table for codes their
//! documents do not explain.

use super::provider::RevokePlan;
use super::{Auth, Call, Step, read_token_fields, shown_description};
use crate::error::Error;
use crate::http::Answer;
use crate::model::{AccountSecrets, TokenSet, UnixTime};
use crate::secret::ClientSecret;
use serde_json::Value;

/// How a client authenticates at a token or revocation endpoint with its
/// secret (§2.3.1): a Basic header with id and secret form-urlencoded
/// first, as the RFC says, or both in the body (`in_body`); a client
/// without a secret is a public client and sends its `client_id` in the
/// body. (Other OAuth 2.0's signed assertions are in `oauth2.rs`.)
pub fn client_auth(
    client_id: &str,
    secret: Option<&ClientSecret>,
    in_body: bool,
    form: &mut Vec<(&'static str, String)>,
) -> Auth {
    match secret {
        Some(secret) if !in_body => Auth::Basic {
            user: form_encode(client_id),
            password: form_encode(secret.secret()),
        },
        Some(secret) => {
            form.push(("client_id", client_id.to_owned()));
            form.push(("client_secret", secret.secret().into()));
            Auth::None
        }
        None => {
            form.push(("client_id", client_id.to_owned()));
            Auth::None
        }
    }
}

/// RFC 7009's revocation of an account's tokens: the refresh token first,
/// with `token_type_hint=refresh_token` (it is the long-lived one, and
/// revoking it usually ends the access token too), then the access token.
/// `call` builds the request for one token, or `None` when the account has
/// no revocation endpoint — then nothing is sent and the token stays valid.
pub fn revocation(
    name: &str,
    secrets: &AccountSecrets,
    mut call: impl FnMut(&str, &'static str) -> Result<Option<Call>, Error>,
) -> Result<RevokePlan, Error> {
    let Some(tokens) = &secrets.tokens else {
        return Ok(RevokePlan::Nothing);
    };
    let mut calls = Vec::new();
    if let Some(rt) = &tokens.refresh_token {
        calls.extend(call(rt.secret(), "refresh_token")?);
    }
    calls.extend(call(tokens.access_token.secret(), "access_token")?);
    if calls.is_empty() {
        return Ok(RevokePlan::NotSupported {
            expires_at: tokens.expires_at,
        });
    }
    Ok(RevokePlan::Send {
        name: name.to_owned(),
        calls,
    })
}

/// `application/x-www-form-urlencoded` encoding of one value (§2.3.1).
pub fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The standard reading shared by RFC-shaped servers.
pub fn read_answer(
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

/// An introspection answer (RFC 7662 §2.2): whether the server says the
/// token is active. A refusal is about Latch's client (its credentials at
/// the introspection endpoint), never about the token.
pub fn read_introspection(provider: &str, answer: &Answer) -> Result<bool, Error> {
    if !answer.is_success() {
        return Err(refusal(provider, answer, Step::Introspect));
    }
    let fields = super::answer_object(provider, answer)?;
    match fields.get("active") {
        Some(Value::Bool(active)) => Ok(*active),
        _ => Err(Error::invalid_answer(
            provider,
            "an introspection answer without the boolean `active` (RFC 7662 §2.2)",
        )),
    }
}

/// The error of a non-2xx answer: the RFC 6749 §5.2 body when there is one,
/// otherwise what the status says.
pub fn refusal(provider: &str, answer: &Answer, step: Step) -> Error {
    match answer.json_or_empty(provider) {
        Ok(Some(body)) => match body.get("error").and_then(|e| e.as_str()) {
            Some(code) => code_refusal(
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
pub fn code_refusal(provider: &str, step: Step, code: &str, description: Option<&str>) -> Error {
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

    #[test]
    fn invalid_grant_means_reconnect_only_on_refresh() {
        let e = code_refusal("PayU", Step::Refresh, "invalid_grant", None);
        assert_eq!(e.kind(), crate::error::ErrorKind::NeedsReconnect);
        let e = code_refusal("PayU", Step::AuthorizationCode, "invalid_grant", None);
        assert_eq!(e.kind(), crate::error::ErrorKind::ProviderRefused);
        assert!(
            e.to_string()
                .contains("the authorization code is invalid, expired, already used"),
            "{e}"
        );
    }

    #[test]
    fn unknown_codes_show_the_providers_description_briefly() {
        let e = code_refusal(
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
