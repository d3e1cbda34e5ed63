//! Provider profiles: one module per provider, each knowing its endpoints
//! (documented defaults, overridable in the account's settings), how its
//! requests are encoded, how its answers are unwrapped, and what its error
//! codes mean in plain words.
//!
//! A profile does not send anything. It builds a [`Call`] — method, URL,
//! body, authentication — and reads an [`Answer`]; the flows in
//! [`crate::flows`] send and sequence. That keeps each provider's quirks in
//! one file that can be read next to its document, and lets the answer
//! readers be unit-tested on the documents' own samples.
//!
//! Shared here: the call type, the grant being run ([`Step`]), and the
//! reading of an RFC 6749 §5.1 token answer with Latch's expiry rules.

pub mod green_api;
pub mod oauth2;
pub mod payu;
pub mod wazzup;
pub mod wordapp;

use crate::error::Error;
use crate::http::Answer;
use crate::model::{TokenSet, UnixTime};
use crate::secret::{AccessToken, AuthorizationCode, Password, PkceVerifier, RefreshToken};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use url::Url;

/// The longest `expires_in` taken at face value: ten years. Anything longer
/// is treated as "no expiry given" rather than trusted or overflowed.
pub const MAX_EXPIRES_IN: i64 = 10 * 365 * 24 * 3600;

/// Which step of which grant a call belongs to. Error codes mean different
/// things per step: `invalid_grant` on a code exchange means "the code is
/// bad, start again", on a refresh it means "reconnect the account".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    AuthorizationCode,
    Password,
    ClientCredentials,
    Refresh,
    Revoke,
    /// An authenticated API call that checks a token works.
    Probe,
}

/// The grant a token request runs, with what it needs.
pub enum GrantRequest<'a> {
    /// RFC 6749 §4.1.3; `verifier` when the flow used PKCE.
    AuthorizationCode {
        code: &'a AuthorizationCode,
        redirect_uri: &'a str,
        verifier: Option<&'a PkceVerifier>,
    },
    /// RFC 6749 §4.3 (legacy). The password is borrowed for this one call.
    Password { username: &'a str, password: &'a Password },
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 6749 §6.
    Refresh { refresh_token: &'a RefreshToken },
}

impl GrantRequest<'_> {
    pub fn step(&self) -> Step {
        match self {
            Self::AuthorizationCode { .. } => Step::AuthorizationCode,
            Self::Password { .. } => Step::Password,
            Self::ClientCredentials => Step::ClientCredentials,
            Self::Refresh { .. } => Step::Refresh,
        }
    }
}

/// A request body.
pub enum Body {
    None,
    /// `application/x-www-form-urlencoded`.
    Form(Vec<(&'static str, String)>),
    /// `application/json`.
    Json(Value),
}

/// How a call authenticates.
pub enum Auth {
    None,
    /// `Authorization: Basic base64(user:password)`, the pair as given.
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
}

/// One HTTP request a profile wants sent. Holds secrets only for as long as
/// it takes to send it; it has no `Debug` on purpose.
pub struct Call {
    pub post: bool,
    pub url: Url,
    pub body: Body,
    pub auth: Auth,
    pub headers: Vec<(&'static str, String)>,
}

impl Call {
    pub fn post(url: Url, body: Body, auth: Auth) -> Self {
        Self {
            post: true,
            url,
            body,
            auth,
            headers: Vec::new(),
        }
    }

    pub fn get(url: Url, auth: Auth) -> Self {
        Self {
            post: false,
            url,
            body: Body::None,
            auth,
            headers: Vec::new(),
        }
    }

    pub fn into_request(self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        let mut request = if self.post {
            client.post(self.url)
        } else {
            client.get(self.url)
        };
        request = request.header(reqwest::header::ACCEPT, "application/json");
        request = match self.auth {
            Auth::None => request,
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
        };
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        match self.body {
            Body::None => request,
            Body::Form(pairs) => request.form(&pairs),
            Body::Json(value) => request.json(&value),
        }
    }
}

/// `base` + `path`, or a clear error naming the setting.
pub fn endpoint(base: &str, path: &str) -> Result<Url, Error> {
    parse_url(base)?;
    let joined = format!("{}{}", base.trim().trim_end_matches('/'), path);
    parse_url(&joined)
}

/// An absolute `http(s)` URL from the account's settings, or a clear error.
pub fn parse_url(value: &str) -> Result<Url, Error> {
    let url = Url::parse(value.trim()).map_err(|_| bad_address(value))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad_address(value));
    }
    Ok(url)
}

fn bad_address(value: &str) -> Error {
    // Settings hold no secrets, so the address may be quoted; cut it short.
    let shown: String = value.chars().take(80).collect();
    Error::InvalidInput(format!(
        "The server address \"{shown}\" in this account's settings is not a valid http(s) URL; fix it in the account settings."
    ))
}

/// Reads `expires_in` (or PayU's documented `expire_in`) into an expiry:
/// receive time + seconds. Numbers and numeric strings are accepted.
/// Missing, zero or unreadable → no known expiry; negative → already
/// expired; above [`MAX_EXPIRES_IN`] → no known expiry.
pub fn expiry(received_at: UnixTime, fields: &Map<String, Value>) -> Option<UnixTime> {
    let value = fields.get("expires_in").or_else(|| fields.get("expire_in"))?;
    let seconds = match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }?;
    match seconds {
        s if s < 0 => Some(received_at),
        0 => None,
        s if s > MAX_EXPIRES_IN => None,
        s => Some(received_at + s),
    }
}

/// A provider's `created_at`, in seconds: values above 10^12 are taken as
/// milliseconds (PayU's document says milliseconds, its samples are seconds).
pub fn created_at_seconds(value: &Value) -> Option<i64> {
    let n = value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))?;
    Some(if n > 1_000_000_000_000 { n / 1000 } else { n })
}

/// Reads an RFC 6749 §5.1 token object. `extras` names the non-secret
/// fields kept in [`TokenSet::extras`].
pub fn read_token_fields(
    provider: &str,
    fields: &Map<String, Value>,
    received_at: UnixTime,
    extras: &[&str],
) -> Result<TokenSet, Error> {
    let access_token = match fields.get("access_token") {
        Some(Value::String(s)) if !s.trim().is_empty() => AccessToken::new(s.clone()),
        _ => {
            return Err(Error::invalid_answer(
                provider,
                "a token answer without an access_token",
            ));
        }
    };
    let refresh_token = match fields.get("refresh_token") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(RefreshToken::new(s.clone())),
        _ => None,
    };
    let token_type = fields
        .get("token_type")
        .and_then(Value::as_str)
        .unwrap_or("Bearer")
        .to_owned();
    let scope = match fields.get("scope") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Array(items)) => Some(items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ")),
        _ => None,
    };
    let mut kept = BTreeMap::new();
    for &name in extras {
        let value = match fields.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(v) if name == "created_at" => match created_at_seconds(v) {
                Some(s) => s.to_string(),
                None => continue,
            },
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        kept.insert(name.to_owned(), value);
    }
    Ok(TokenSet {
        access_token,
        refresh_token,
        token_type,
        scope,
        obtained_at: received_at,
        expires_at: expiry(received_at, fields),
        extras: kept,
    })
}

/// The JSON object of an answer, or an "invalid answer" error.
pub fn answer_object(provider: &str, answer: &Answer) -> Result<Map<String, Value>, Error> {
    match answer.json(provider)? {
        Value::Object(map) => Ok(map),
        _ => Err(Error::invalid_answer(
            provider,
            format!(
                "a JSON answer that is not an object, with HTTP status {}",
                answer.status
            ),
        )),
    }
}

/// A provider's free-text description, made safe to show: printable, short.
pub fn shown_description(description: Option<&str>) -> Option<String> {
    let text: String = description?.chars().filter(|c| !c.is_control()).take(200).collect();
    let text = text.trim().trim_end_matches('.').to_owned();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn expiry_is_receive_time_plus_expires_in() {
        assert_eq!(expiry(1000, &obj(json!({"expires_in": 7199}))), Some(8199));
        assert_eq!(
            expiry(1000, &obj(json!({"expire_in": 60}))),
            Some(1060),
            "PayU's documented spelling"
        );
        assert_eq!(expiry(1000, &obj(json!({"expires_in": "3600"}))), Some(4600));
        assert_eq!(expiry(1000, &obj(json!({"expires_in": 10.9}))), Some(1010));
    }

    #[test]
    fn odd_expires_in_values_are_handled_explicitly() {
        assert_eq!(expiry(1000, &obj(json!({}))), None, "missing: no known expiry");
        assert_eq!(
            expiry(1000, &obj(json!({"expires_in": 0}))),
            None,
            "zero: no known expiry"
        );
        assert_eq!(
            expiry(1000, &obj(json!({"expires_in": -5}))),
            Some(1000),
            "negative: already expired"
        );
        assert_eq!(
            expiry(1000, &obj(json!({"expires_in": 1e300}))),
            None,
            "absurd: no known expiry"
        );
        assert_eq!(
            expiry(1000, &obj(json!({"expires_in": u64::MAX}))),
            None,
            "absurd: no overflow"
        );
        assert_eq!(expiry(1000, &obj(json!({"expires_in": "soon"}))), None);
    }

    #[test]
    fn created_at_in_milliseconds_is_read_as_seconds() {
        assert_eq!(created_at_seconds(&json!(1709198191)), Some(1709198191));
        assert_eq!(created_at_seconds(&json!(1709198191123_i64)), Some(1709198191));
    }

    #[test]
    fn endpoints_join_and_bad_addresses_are_refused_clearly() {
        assert_eq!(
            endpoint("http://127.0.0.1:9/", "/oauth/token").unwrap().as_str(),
            "http://127.0.0.1:9/oauth/token"
        );
        for bad in ["not a url", "ftp://example.com", "", "http://"] {
            let e = endpoint(bad, "/oauth/token").unwrap_err();
            assert!(
                e.to_string()
                    .contains("is not a valid http(s) URL; fix it in the account settings"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_token_answer_without_access_token_is_invalid() {
        let e = read_token_fields("PayU", &obj(json!({"token_type": "Bearer"})), 0, &[]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("PayU sent an answer Latch cannot read (a token answer without an access_token)")
        );
    }
}
