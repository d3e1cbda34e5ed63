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

pub mod catalogue;
pub mod discovery;
pub mod edit;
pub mod green_api;
pub mod oauth2;
pub mod payu;
pub mod provider;
pub mod registry;
pub mod rfc6749;
pub mod wazzup;
pub mod wordapp;

pub use catalogue::{AccountDraft, ProviderInfo};
pub use provider::{Authorization, Provider, RevokePlan, Revoked};

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
    /// An introspection request (RFC 7662), authenticated as the client.
    Introspect,
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
    /// Form parameters named at run time (an account's extra parameters),
    /// sent after the form's own.
    pub form_params: Vec<(String, String)>,
}

impl Call {
    pub fn post(url: Url, body: Body, auth: Auth) -> Self {
        Self {
            post: true,
            url,
            body,
            auth,
            headers: Vec::new(),
            form_params: Vec::new(),
        }
    }

    pub fn get(url: Url, auth: Auth) -> Self {
        Self {
            post: false,
            url,
            body: Body::None,
            auth,
            headers: Vec::new(),
            form_params: Vec::new(),
        }
    }

    /// The call with `params` added to its form.
    pub fn with_form_params(mut self, params: Vec<(String, String)>) -> Self {
        self.form_params.extend(params);
        self
    }

    /// The form's pairs as sent: its own, then the run-time ones.
    pub fn form_pairs(&self) -> Vec<(&str, &str)> {
        let own = match &self.body {
            Body::Form(pairs) => pairs.iter().map(|(n, v)| (*n, v.as_str())).collect(),
            _ => Vec::new(),
        };
        let more = self.form_params.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        own.into_iter().chain(more).collect()
    }

    pub fn into_request(self, client: &reqwest::Client) -> reqwest::RequestBuilder {
        let form: Option<Vec<(String, String)>> = matches!(self.body, Body::Form(_)).then(|| {
            self.form_pairs()
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect()
        });
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
        match (self.body, form) {
            (Body::Json(value), _) => request.json(&value),
            (_, Some(pairs)) => request.form(&pairs),
            _ => request,
        }
    }
}

/// `base` + `path`, or a clear error naming the setting.
pub fn endpoint(base: &str, path: &str) -> Result<Url, Error> {
    parse_url(base)?;
    let joined = format!("{}{}", base.trim().trim_end_matches('/'), path);
    parse_url(&joined)
}

/// An absolute `https` URL from the account's settings (plain `http` only to
/// a loopback address, see [`crate::http::check_transport`]), or a clear error.
/// Every endpoint is read through here when it is used, so an address edited
/// into the index by hand is refused like one typed into a form.
pub fn parse_url(value: &str) -> Result<Url, Error> {
    let url = Url::parse(value.trim()).map_err(|_| bad_address(value))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad_address(value));
    }
    crate::http::check_transport(&url)?;
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
/// receive time + seconds. Numbers and numeric strings (`"3600"`) are
/// accepted; fractions of a second are dropped. The odd values, decided
/// once here for every provider:
///
/// - missing or `null`: no known expiry (`Ok(None)`); the token is shown as
///   such and not refreshed ahead of time.
/// - `0`: refused as an invalid answer. A token that expires the moment it
///   is issued is of no use; stored as "no expiry" it would be shown as a
///   token that never expires, and stored as "expired" the scheduler would
///   refresh it again at once, in a loop.
/// - negative: refused as malformed; an already-expired token is never
///   stored (on a refresh, the old set stays).
/// - above [`MAX_EXPIRES_IN`] (ten years; `1e300`, `u64::MAX`): no known
///   expiry. The provider means "not any time soon", and nothing is added
///   that could overflow.
/// - anything else (text that is not a number, `"NaN"`, `true`, an object):
///   refused as malformed.
pub fn expiry(provider: &str, received_at: UnixTime, fields: &Map<String, Value>) -> Result<Option<UnixTime>, Error> {
    let Some(value) = fields.get("expires_in").or_else(|| fields.get("expire_in")) else {
        return Ok(None);
    };
    let not_a_number = || Error::invalid_answer(provider, "an expires_in that is not a number of seconds");
    let seconds = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64().ok_or_else(not_a_number)?,
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| not_a_number())?,
        _ => return Err(not_a_number()),
    };
    if !seconds.is_finite() {
        return Err(not_a_number());
    }
    // Quoted as sent (short): the number is not a secret.
    let shown: String = value.to_string().chars().filter(|c| !c.is_control()).take(24).collect();
    if seconds < 0.0 {
        return Err(Error::invalid_answer(
            provider,
            format!("a token that had expired before it was issued (expires_in {shown})"),
        ));
    }
    if seconds > MAX_EXPIRES_IN as f64 {
        return Ok(None);
    }
    match seconds as i64 {
        0 => Err(Error::invalid_answer(
            provider,
            format!("a token that expires the moment it is issued (expires_in {shown})"),
        )),
        s => Ok(Some(received_at + s)),
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
///
/// A field of the wrong JSON type is an invalid answer, never quietly
/// dropped: nothing of such an answer is stored. `token_type` is compared
/// without regard to case (Wordapp sends `bearer`) and kept as sent; a
/// missing one is taken as `Bearer` (RFC 6750 is the only type any of the
/// providers' documents names); any other type (`mac`, `DPoP`) is refused,
/// because Latch hands tokens out as `Authorization: Bearer …`.
pub fn read_token_fields(
    provider: &str,
    fields: &Map<String, Value>,
    received_at: UnixTime,
    extras: &[&str],
) -> Result<TokenSet, Error> {
    let invalid = |detail: &str| Error::invalid_answer(provider, detail);
    let access_token = match fields.get("access_token") {
        Some(Value::String(s)) if !s.trim().is_empty() => AccessToken::new(s.clone()),
        None | Some(Value::Null) => return Err(invalid("a token answer without an access_token")),
        Some(Value::String(_)) => return Err(invalid("a token answer with an empty access_token")),
        Some(_) => return Err(invalid("an access_token that is not text")),
    };
    let refresh_token = match fields.get("refresh_token") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(RefreshToken::new(s.clone())),
        None | Some(Value::Null | Value::String(_)) => None,
        Some(_) => return Err(invalid("a refresh_token that is not text")),
    };
    let token_type = match fields.get("token_type") {
        None | Some(Value::Null) => "Bearer".to_owned(),
        Some(Value::String(s)) if s.trim().is_empty() => "Bearer".to_owned(),
        Some(Value::String(s)) if s.trim().eq_ignore_ascii_case("bearer") => s.trim().to_owned(),
        Some(Value::String(s)) => {
            // A type's name is a short word ("mac", "DPoP"); anything else is not
            // quoted, since an answer that puts odd things here may put a token here.
            let s = s.trim();
            let word = s.len() <= 16 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            let shown = if word {
                format!("of type \"{s}\"")
            } else {
                "of another type".to_owned()
            };
            return Err(Error::invalid_answer(
                provider,
                format!("a token {shown}, but Latch only hands out Bearer tokens"),
            ));
        }
        Some(_) => return Err(invalid("a token_type that is not text")),
    };
    let scope = match fields.get("scope") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()).filter(|s| !s.is_empty()),
        Some(Value::Array(items)) => {
            let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            let names = names.ok_or_else(|| invalid("a scope list with entries that are not text"))?;
            Some(names.join(" ")).filter(|s| !s.is_empty())
        }
        Some(_) => return Err(invalid("a scope that is not text")),
    };
    let expires_at = expiry(provider, received_at, fields)?;
    let refresh_expires_at = refresh_token.as_ref().and_then(|_| refresh_expiry(received_at, fields));
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
        expires_at,
        refresh_expires_at,
        extras: kept,
        // Read as it came; the engine verifies it before anything keeps it.
        id_token: match fields.get("id_token") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(crate::secret::IdToken::new(s.trim())),
            _ => None,
        },
    })
}

/// When the refresh token ends, where the answer says: `refresh_expires_in`
/// (Keycloak and others) or `refresh_token_expires_in` (GitHub), in
/// seconds. Only advice, so read leniently: anything but a positive number
/// of seconds up to [`MAX_EXPIRES_IN`] (Keycloak's `0` for an offline
/// token that does not end, text, a negative number) means "not known".
pub fn refresh_expiry(received_at: UnixTime, fields: &Map<String, Value>) -> Option<UnixTime> {
    let value = fields
        .get("refresh_expires_in")
        .or_else(|| fields.get("refresh_token_expires_in"))?;
    let seconds = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (seconds.is_finite() && seconds >= 1.0 && seconds <= MAX_EXPIRES_IN as f64).then(|| received_at + seconds as i64)
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

    fn expires(v: Value) -> Result<Option<UnixTime>, Error> {
        expiry("PayU", 1000, &obj(v))
    }

    #[test]
    fn a_refresh_tokens_end_is_read_where_the_server_says_it_and_only_then() {
        let end = |v: Value| refresh_expiry(1000, v.as_object().unwrap());
        assert_eq!(end(json!({"refresh_expires_in": 1800})), Some(2800), "Keycloak");
        assert_eq!(
            end(json!({"refresh_token_expires_in": "15897600"})),
            Some(15898600),
            "GitHub"
        );
        assert_eq!(
            end(json!({"refresh_expires_in": 0})),
            None,
            "an offline token does not end"
        );
        assert_eq!(end(json!({"refresh_expires_in": -5})), None);
        assert_eq!(end(json!({"refresh_expires_in": "soon"})), None);
        assert_eq!(end(json!({"refresh_expires_in": 1e300})), None, "no overflow");
        assert_eq!(end(json!({"expires_in": 60})), None, "not said");
    }

    #[test]
    fn expiry_is_receive_time_plus_expires_in() {
        assert_eq!(expires(json!({"expires_in": 7199})), Ok(Some(8199)));
        assert_eq!(
            expires(json!({"expire_in": 60})),
            Ok(Some(1060)),
            "PayU's documented spelling"
        );
        assert_eq!(expires(json!({"expires_in": "3600"})), Ok(Some(4600)));
        assert_eq!(expires(json!({"expires_in": 10.9})), Ok(Some(1010)));
        assert_eq!(
            expires(json!({"expires_in": MAX_EXPIRES_IN})),
            Ok(Some(1000 + MAX_EXPIRES_IN))
        );
    }

    #[test]
    fn missing_and_absurdly_long_expires_in_mean_no_known_expiry() {
        assert_eq!(expires(json!({})), Ok(None), "missing");
        assert_eq!(expires(json!({"expires_in": null})), Ok(None), "null");
        assert_eq!(expires(json!({"expires_in": MAX_EXPIRES_IN + 1})), Ok(None));
        assert_eq!(expires(json!({"expires_in": 1e300})), Ok(None), "no overflow");
        assert_eq!(expires(json!({"expires_in": u64::MAX})), Ok(None), "no overflow");
        assert_eq!(expires(json!({"expires_in": i64::MAX})), Ok(None), "no overflow");
        assert_eq!(expires(json!({"expires_in": "1e300"})), Ok(None));
    }

    #[test]
    fn zero_negative_and_unreadable_expires_in_are_refused() {
        let said = |v: Value| expires(v).unwrap_err().to_string();
        assert!(
            said(json!({"expires_in": 0})).starts_with(
                "PayU sent an answer Latch cannot read (a token that expires the moment it is issued (expires_in 0))"
            ),
            "{}",
            said(json!({"expires_in": 0}))
        );
        assert!(said(json!({"expires_in": 0.4})).contains("expires the moment it is issued"));
        assert!(said(json!({"expires_in": "0"})).contains("expires the moment it is issued"));
        assert!(
            said(json!({"expires_in": -5})).contains("a token that had expired before it was issued (expires_in -5)")
        );
        assert!(said(json!({"expires_in": i64::MIN})).contains("had expired before it was issued"));
        assert!(said(json!({"expires_in": -1e300})).contains("had expired before it was issued"));
        for bad in [
            json!("soon"),
            json!("NaN"),
            json!("inf"),
            json!(true),
            json!({}),
            json!([3600]),
            json!(""),
        ] {
            assert_eq!(
                expires(json!({ "expires_in": bad.clone() })).unwrap_err().kind(),
                crate::ErrorKind::InvalidAnswer,
                "{bad}"
            );
            assert!(said(json!({ "expires_in": bad })).contains("an expires_in that is not a number of seconds"));
        }
    }

    fn read(v: Value) -> Result<TokenSet, Error> {
        read_token_fields("Wordapp", &obj(v), 1000, &[])
    }

    #[test]
    fn token_type_is_bearer_in_any_case_or_refused_quoted_when_a_short_word() {
        assert_eq!(
            read(json!({"access_token": "a"})).unwrap().token_type,
            "Bearer",
            "missing"
        );
        assert_eq!(
            read(json!({"access_token": "a", "token_type": "bearer"}))
                .unwrap()
                .token_type,
            "bearer"
        );
        assert_eq!(
            read(json!({"access_token": "a", "token_type": "BEARER"}))
                .unwrap()
                .token_type,
            "BEARER"
        );
        let e = read(json!({"access_token": "a", "token_type": "mac"})).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidAnswer);
        assert!(
            e.to_string()
                .starts_with("Wordapp sent an answer Latch cannot read (a token of type \"mac\", but Latch only hands out Bearer tokens)"),
            "{e}"
        );
        let long = "N".repeat(500);
        let e = read(json!({"access_token": "a", "token_type": long})).unwrap_err();
        assert!(e.to_string().contains("(a token of another type, but"), "{e}");
        let e = read(json!({"access_token": "a", "token_type": 1})).unwrap_err();
        assert!(e.to_string().contains("a token_type that is not text"), "{e}");
    }

    #[test]
    fn fields_of_the_wrong_type_are_refused_not_dropped() {
        for (answer, says) in [
            (json!({"access_token": 42}), "an access_token that is not text"),
            (
                json!({"access_token": {"value": "a"}}),
                "an access_token that is not text",
            ),
            (json!({"access_token": "  "}), "an empty access_token"),
            (json!({"access_token": null}), "without an access_token"),
            (
                json!({"access_token": "a", "refresh_token": 7}),
                "a refresh_token that is not text",
            ),
            (json!({"access_token": "a", "scope": 5}), "a scope that is not text"),
            (
                json!({"access_token": "a", "scope": ["read", 5]}),
                "a scope list with entries that are not text",
            ),
        ] {
            let e = read(answer.clone()).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidAnswer, "{answer}");
            assert!(e.to_string().contains(says), "{answer}: {e}");
        }
        let set = read(json!({"access_token": "a", "refresh_token": null, "scope": ["read", "write"]})).unwrap();
        assert_eq!((set.refresh_token, set.scope.as_deref()), (None, Some("read write")));
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

    /// Issue 15: `latch add … --token-url http://tokens.example.com/token` was
    /// accepted, and the client secret would have travelled in clear text.
    #[test]
    fn plain_http_is_refused_for_anything_but_loopback() {
        for bad in [
            "http://tokens.example.com/token",
            "http://10.0.0.1/t",
            "http://localhost:8080/t",
        ] {
            let e = parse_url(bad).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            assert!(e.to_string().contains("uses plain http"), "{bad}: {e}");
        }
        for good in [
            "https://tokens.example.com/token",
            "http://127.0.0.1:9/t",
            "http://127.8.0.1/t",
            "http://[::1]:9/t",
        ] {
            assert!(parse_url(good).is_ok(), "{good}");
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
