//! GREEN-API (providers.md §2, document 002): link a WhatsApp number to an
//! instance by a code typed on the phone.
//!
//! There is no OAuth here. The credential is the pair idInstance +
//! apiTokenInstance, and "authorized" is the instance's state. Every call is
//! `{apiUrl}/waInstance{idInstance}/{method}/{apiTokenInstance}`: the token
//! sits in the path, so a GREEN-API URL is never shown, logged or quoted —
//! errors name the method instead (the provider name in every error is
//! `GREEN-API (getAuthorizationCode)`), and the engine's HTTP client already
//! renders transport errors without their URL.
//!
//! Error answers are plain-text identifiers whose exact format is not
//! documented (§2.5), so they are matched on substrings and never echoed.

use super::catalogue::{Draft, Field, FieldKind, LABEL, ProviderInfo, Rule, URL_PROBLEM, When};
use super::provider::{ApiUrl, Authorization, Provider, RevokePlan, Revoked, not_oauth};
use super::{Body, Call, GrantRequest, Step, parse_url};
use crate::error::Error;
use crate::http::Answer;
use crate::model::{AccountSecrets, Grant, GreenApiSettings, ProviderKind, ProviderSettings, TokenSet, UnixTime};
use crate::phone::PhoneNumber;
use crate::secret::{AccessToken, ApiToken, State};
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};
use url::Url;

pub const NAME: &str = "GREEN-API";

/// How long a link code stays valid once it arrived: "about 2.5 minutes" (document 002).
pub const LINK_CODE_LIFETIME: Duration = Duration::from_secs(150);

/// getAuthorizationCode "can take up to 30 s" (document 002): wait 45 s before giving up.
pub const LINK_CODE_ANSWER_TIMEOUT: Duration = Duration::from_secs(45);

/// Between two getStateInstance reads while a code is being typed. The
/// documented limit is one request a second per instance (§2.6).
pub const LINK_POLL_INTERVAL: Duration = Duration::from_secs(3);

pub static INFO: ProviderInfo = ProviderInfo {
    kind: ProviderKind::GreenApi,
    id: "green-api",
    name: NAME,
    blurb: "Link a WhatsApp number with a code",
    grants: &[],
    fields: &[
        LABEL,
        Field {
            kind: FieldKind::Url,
            help: Some("From the GREEN-API console, such as https://7105.api.greenapi.com."),
            required: When::Always,
            rule: Rule::Url,
            problem: URL_PROBLEM,
            ..Field::text("api_url", "apiUrl")
        },
        Field {
            required: When::Always,
            rule: Rule::Digits,
            problem: "The idInstance is a number.",
            flag: Some("instance"),
            ..Field::text("id_instance", "idInstance")
        },
        Field {
            kind: FieldKind::Secret,
            help: Some("Kept in the system keyring; never shown in an address."),
            required: When::Always,
            ..Field::text("secret", "apiTokenInstance")
        },
        Field {
            help: Some("International format, such as +44 1234 567890."),
            ..Field::text("phone", "WhatsApp phone number")
        },
    ],
    build,
};

fn build(draft: &Draft) -> Result<(ProviderSettings, AccountSecrets), Error> {
    let id_instance = draft
        .get("id_instance")
        .parse()
        .map_err(|_| Error::InvalidInput("GREEN-API: The idInstance is a number.".into()))?;
    let secrets = AccountSecrets {
        api_token: draft.secret().map(ApiToken::new),
        ..Default::default()
    };
    let settings = GreenApiSettings {
        api_url: draft.get("api_url").to_owned(),
        id_instance,
        phone: draft.opt("phone"),
    };
    Ok((ProviderSettings::GreenApi(settings), secrets))
}

/// No OAuth: every token step says so. Revoking means logging the instance
/// out (unlinking its WhatsApp number); the caller then deletes the
/// apiTokenInstance. A 401 or 403 means the instance or its token is gone
/// already, which ends it just as well.
impl Provider for GreenApiSettings {
    /// The apiTokenInstance.
    fn replace_secret(&self, secrets: &mut AccountSecrets, secret: &str) -> Result<(), Error> {
        secrets.api_token = Some(ApiToken::new(secret));
        Ok(())
    }

    fn kind(&self) -> ProviderKind {
        ProviderKind::GreenApi
    }

    fn grant(&self) -> Option<Grant> {
        None
    }

    fn redirect_uri(&self) -> Option<&str> {
        None
    }

    fn set_redirect_uri(&mut self, _uri: &str) {}

    fn authorization_redirect(&self) -> Result<String, Error> {
        Err(not_oauth(NAME))
    }

    /// Every method is `{apiUrl}/waInstance{id}/{method}/{token}`.
    fn secret_endpoints(&self) -> Result<Vec<Url>, Error> {
        Ok(vec![parse_url(&self.api_url)?])
    }

    fn missing_exchange_secret(&self, _secrets: &AccountSecrets) -> Option<&'static str> {
        None
    }

    fn api_base(&self) -> Result<Url, Error> {
        parse_url(&self.api_url)
    }

    /// A method by its name, as GREEN-API's documents write it
    /// (`getStateInstance`, `sendMessage`, `deleteNotification/42`, with a
    /// query if it takes one): `{apiUrl}/waInstance{id}/{method}/{token}[/…]`.
    fn api_url(&self, secrets: &AccountSecrets, target: &str) -> Result<ApiUrl, Error> {
        api_url(self, secrets, target)
    }

    /// The token is in the path: there is no header to hand out.
    fn api_headers(&self, _access_token: &AccessToken) -> Result<Vec<(&'static str, String)>, Error> {
        Err(Error::InvalidInput(format!(
            "{NAME} takes its apiTokenInstance in the URL path, not in a header: use `latch api ACCOUNT getStateInstance`, or `latch exec` for the instance and token."
        )))
    }

    /// `getStateInstance`: answers 401 when the apiTokenInstance is wrong.
    fn probe_target(&self) -> Option<String> {
        Some(Method::GetStateInstance.name().into())
    }

    /// The token works, but the instance is of no use while WhatsApp is
    /// unlinked from it (the phone logged it out) or blocked: a person must
    /// link it again. States that pass by themselves (`starting`,
    /// `sleepMode`) are not a reason.
    fn probe_unusable(&self, answer: &Answer) -> Option<String> {
        match read_state(answer).ok()? {
            InstanceState::NotAuthorized => Some(format!(
                "WhatsApp is no longer linked to instance {}: link the number again",
                self.id_instance
            )),
            state @ InstanceState::Blocked => Some(state.message().trim_end_matches('.').to_owned()),
            _ => None,
        }
    }

    /// The instance, its token and its server, as GREEN-API's SDKs name them.
    fn credential_vars(
        &self,
        secrets: &AccountSecrets,
        _access_token: Option<&AccessToken>,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        Ok(vec![
            ("API_TOKEN", api_token(secrets)?.secret().to_owned()),
            ("ID_INSTANCE", self.id_instance.to_string()),
            ("API_URL", self.api_url.trim().to_owned()),
        ])
    }

    fn authorize(&self, _state: &State) -> Result<Authorization, Error> {
        Err(not_oauth(NAME))
    }

    fn token_call(&self, _secrets: &AccountSecrets, _grant: &GrantRequest) -> Result<Call, Error> {
        Err(not_oauth(NAME))
    }

    fn read_token_answer(&self, _answer: &Answer, _step: Step, _received_at: UnixTime) -> Result<TokenSet, Error> {
        Err(not_oauth(NAME))
    }

    fn revoke_plan(&self, secrets: &AccountSecrets, _now: UnixTime) -> Result<RevokePlan, Error> {
        if secrets.api_token.is_none() {
            return Ok(RevokePlan::Nothing);
        }
        Ok(RevokePlan::Send {
            name: Method::Logout.provider(),
            calls: vec![logout_call(self, secrets)?],
        })
    }

    fn revoke_consequence(&self) -> String {
        "Latch logs the GREEN-API instance out, which unlinks its WhatsApp number, then deletes the apiTokenInstance from this computer."
            .into()
    }

    fn read_revoke_answer(&self, answer: &Answer) -> Result<Revoked, Error> {
        match read_logout(answer) {
            Ok(()) => Ok(Revoked::Done),
            Err(e) if matches!(e.provider_code(), Some("Unauthorized" | "Forbidden")) => Ok(Revoked::Done),
            Err(e) => Err(e),
        }
    }
}

/// The GREEN-API methods Latch calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    GetStateInstance,
    GetAuthorizationCode,
    Logout,
}

impl Method {
    /// The documented spelling, as it goes in the path.
    pub fn name(self) -> &'static str {
        match self {
            Self::GetStateInstance => "getStateInstance",
            Self::GetAuthorizationCode => "getAuthorizationCode",
            Self::Logout => "logout",
        }
    }

    /// The provider as errors name it: `GREEN-API (logout)`.
    pub fn provider(self) -> String {
        format!("{NAME} ({})", self.name())
    }
}

/// An instance's `stateInstance` (getStateInstance).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "value", rename_all = "kebab-case")]
pub enum InstanceState {
    /// No WhatsApp number linked: a link code can be asked for.
    NotAuthorized,
    Authorized,
    Blocked,
    /// Obsolete in GREEN-API's docs; the phone was offline.
    SleepMode,
    Starting,
    YellowCard,
    /// getStateInstance answered `null`: the instance is still being created.
    Creating,
    /// A state Latch does not know (shortened, printable).
    Unknown(String),
}

impl InstanceState {
    fn from_api(value: &str) -> Self {
        match value {
            "notAuthorized" => Self::NotAuthorized,
            "authorized" => Self::Authorized,
            "blocked" => Self::Blocked,
            "sleepMode" => Self::SleepMode,
            "starting" => Self::Starting,
            "yellowCard" => Self::YellowCard,
            other => Self::Unknown(other.chars().filter(|c| !c.is_control()).take(40).collect()),
        }
    }

    /// One sentence for the person, saying what to do where something must be done.
    pub fn message(&self) -> String {
        match self {
            Self::NotAuthorized => "No WhatsApp number is linked to this instance yet; it is ready to link one.".into(),
            Self::Authorized => {
                "A WhatsApp number is already linked to this instance; log it out first to link another.".into()
            }
            Self::Blocked => "WhatsApp has blocked the number of this instance; see the instance in the GREEN-API console.".into(),
            Self::SleepMode => {
                "The instance is in sleep mode (its phone was offline); reboot it in the GREEN-API console, then try again.".into()
            }
            Self::Starting => "The instance is starting; wait a minute, then try again.".into(),
            Self::YellowCard => {
                "WhatsApp has suspended sending from this instance's number (yellow card); see the instance in the GREEN-API console.".into()
            }
            Self::Creating => "The instance is still being created; wait a few minutes, then try again.".into(),
            Self::Unknown(state) => format!(
                "GREEN-API reports the instance state \"{state}\", which Latch does not know; check the instance in the GREEN-API console."
            ),
        }
    }
}

/// A link code as GREEN-API issued it, and when it arrived (its lifetime
/// counts from then: Latch cannot know when GREEN-API made it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkCode {
    /// As GREEN-API sent it, e.g. `GAPI2015`.
    pub code: String,
    pub received_at: SystemTime,
    /// The number it was asked for.
    pub phone: PhoneNumber,
}

impl LinkCode {
    /// As WhatsApp shows it: `ABCD-EFGH` (four and four). Codes of another
    /// length are shown as they came.
    pub fn grouped(&self) -> String {
        let chars: Vec<char> = self.code.chars().collect();
        if chars.len() == 8 {
            format!(
                "{}-{}",
                chars[..4].iter().collect::<String>(),
                chars[4..].iter().collect::<String>()
            )
        } else {
            self.code.clone()
        }
    }

    /// When it expires, for a code that lives `lifetime` (normally [`LINK_CODE_LIFETIME`]).
    pub fn expires_at(&self, lifetime: Duration) -> SystemTime {
        self.received_at + lifetime
    }

    /// Time left at `now` of [`LINK_CODE_LIFETIME`]; zero once expired.
    pub fn remaining(&self, now: SystemTime) -> Duration {
        self.remaining_of(LINK_CODE_LIFETIME, now)
    }

    /// Time left at `now` of a code that lives `lifetime`.
    pub fn remaining_of(&self, lifetime: Duration, now: SystemTime) -> Duration {
        self.expires_at(lifetime).duration_since(now).unwrap_or_default()
    }
}

/// The instance's token, or what to do when the keyring holds none.
fn api_token(secrets: &AccountSecrets) -> Result<&ApiToken, Error> {
    let token = secrets.api_token.as_ref().ok_or_else(|| {
        Error::InvalidInput(
            "This GREEN-API account has no apiTokenInstance in the keyring; add the account again with its apiTokenInstance from the GREEN-API console.".into(),
        )
    })?;
    if token.secret().trim().is_empty() {
        return Err(Error::InvalidInput(
            "This GREEN-API account's apiTokenInstance is empty; add the account again with its apiTokenInstance from the GREEN-API console.".into(),
        ));
    }
    Ok(token)
}

/// The URL of a method. It holds the token: build it only to send it.
fn method_url(settings: &GreenApiSettings, secrets: &AccountSecrets, method: Method) -> Result<Url, Error> {
    Ok(named_method_url(settings, secrets, method.name(), &[], None)?.url)
}

/// `{apiUrl}/waInstance{id}/{method}/{token}[/{extra}…][?query]`, and the same
/// with the token shown as `***`. The base is a setting (no secret):
/// parse_url may quote it. The token is pushed as a path segment,
/// percent-encoded, and never quoted.
fn named_method_url(
    settings: &GreenApiSettings,
    secrets: &AccountSecrets,
    method: &str,
    extra: &[&str],
    query: Option<&str>,
) -> Result<ApiUrl, Error> {
    let token = api_token(secrets)?;
    let mut url = parse_url(&settings.api_url)?;
    url.set_query(None);
    url.set_fragment(None);
    let mut shown = url.clone();
    for (url, token) in [(&mut url, token.secret()), (&mut shown, "***")] {
        let mut segments = url.path_segments_mut().map_err(|_| {
            Error::InvalidInput("The apiUrl cannot carry a path; fix it in the account settings.".into())
        })?;
        segments
            .pop_if_empty()
            .push(&format!("waInstance{}", settings.id_instance))
            .push(method)
            .push(token)
            .extend(extra);
        drop(segments);
        url.set_query(query);
    }
    Ok(ApiUrl {
        url,
        shown: shown.to_string(),
    })
}

/// `latch api ACCOUNT getStateInstance`: a method by its name.
fn api_url(settings: &GreenApiSettings, secrets: &AccountSecrets, target: &str) -> Result<ApiUrl, Error> {
    let target = target.trim().trim_start_matches('/');
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    let method = parts.next().unwrap_or_default();
    let named = !method.is_empty() && method.chars().all(|c| c.is_ascii_alphanumeric());
    if target.contains("://") || !named {
        return Err(Error::InvalidInput(format!(
            "{NAME} methods are called by name, and Latch puts the instance and the token into the address: `latch api ACCOUNT getStateInstance`, `latch api ACCOUNT POST sendMessage --data '{{…}}'`."
        )));
    }
    let extra: Vec<&str> = parts.collect();
    named_method_url(settings, secrets, method, &extra, query)
}

pub fn state_call(settings: &GreenApiSettings, secrets: &AccountSecrets) -> Result<Call, Error> {
    Ok(Call::get(
        method_url(settings, secrets, Method::GetStateInstance)?,
        super::Auth::None,
    ))
}

pub fn logout_call(settings: &GreenApiSettings, secrets: &AccountSecrets) -> Result<Call, Error> {
    Ok(Call::get(
        method_url(settings, secrets, Method::Logout)?,
        super::Auth::None,
    ))
}

/// `{"phoneNumber": 441234567890}`: a JSON number, never a string (document 002).
pub fn code_call(settings: &GreenApiSettings, secrets: &AccountSecrets, phone: PhoneNumber) -> Result<Call, Error> {
    Ok(Call::post(
        method_url(settings, secrets, Method::GetAuthorizationCode)?,
        Body::Json(json!({ "phoneNumber": phone.digits() })),
        super::Auth::None,
    ))
}

/// getStateInstance's answer. A `null` (or empty) body means the instance is still being created.
pub fn read_state(answer: &Answer) -> Result<InstanceState, Error> {
    let method = Method::GetStateInstance;
    let value = success_json(method, answer)?;
    match value {
        None | Some(Value::Null) => Ok(InstanceState::Creating),
        Some(Value::Object(fields)) => match fields.get("stateInstance") {
            Some(Value::String(s)) => Ok(InstanceState::from_api(s)),
            Some(Value::Null) => Ok(InstanceState::Creating),
            // Not a documented answer: guessing "still being created" would
            // keep a person waiting for an instance that may be fine.
            None => Err(unreadable(method, "an answer without stateInstance")),
            Some(_) => Err(unreadable(method, "a stateInstance that is not text")),
        },
        Some(_) => Err(unreadable(method, "an answer that is not a JSON object")),
    }
}

/// logout's answer: `{"isLogout": true}`.
pub fn read_logout(answer: &Answer) -> Result<(), Error> {
    let method = Method::Logout;
    let value = success_json(method, answer)?;
    match value.as_ref().and_then(|v| v.get("isLogout")) {
        Some(Value::Bool(true)) => Ok(()),
        Some(Value::Bool(false)) => Err(Error::refused(
            &method.provider(),
            "isLogout: false",
            "the instance was not logged out",
            "wait a minute, then try again",
        )),
        None | Some(Value::Null) => Err(unreadable(method, "an answer without isLogout")),
        Some(_) => Err(unreadable(method, "an isLogout that is not true or false")),
    }
}

/// The provider code of a `status: false` answer to getAuthorizationCode.
pub const TRY_AGAIN_CODE: &str = "status: false";

/// getAuthorizationCode's answer: `{"status": true, "code": "…"}`; `false` means "try again".
pub fn read_code(answer: &Answer, phone: PhoneNumber, received_at: SystemTime) -> Result<LinkCode, Error> {
    let method = Method::GetAuthorizationCode;
    let value = success_json(method, answer)?;
    let fields = value.as_ref().and_then(Value::as_object);
    let Some(fields) = fields else {
        return Err(unreadable(method, "an answer that is not a JSON object"));
    };
    match (fields.get("status"), fields.get("code")) {
        (Some(Value::Bool(true)), Some(Value::String(code))) if is_plausible_code(code) => Ok(LinkCode {
            code: code.trim().to_owned(),
            received_at,
            phone,
        }),
        (Some(Value::Bool(true)), Some(Value::String(_))) => {
            Err(unreadable(method, "a code that cannot be typed into WhatsApp"))
        }
        (Some(Value::Bool(true)), None | Some(Value::Null)) => Err(unreadable(method, "status true without a code")),
        (Some(Value::Bool(true)), Some(_)) => Err(unreadable(method, "a code that is not text")),
        (Some(Value::Bool(false)), _) => Err(Error::refused(
            &method.provider(),
            TRY_AGAIN_CODE,
            "no link code this time",
            "try again, and if it keeps happening reboot the instance in the GREEN-API console",
        )),
        (None | Some(Value::Null), _) => Err(unreadable(method, "an answer without a status")),
        (Some(_), _) => Err(unreadable(method, "a status that is not true or false")),
    }
}

/// Whether an error is GREEN-API's `status: false` ("try again").
pub fn is_try_again(e: &Error) -> bool {
    e.provider_code() == Some(TRY_AGAIN_CODE)
}

/// Letters and digits only, short: what a person can type into WhatsApp.
fn is_plausible_code(code: &str) -> bool {
    let code = code.trim();
    (4..=16).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The JSON of a 2xx answer (`None` when empty), or the error its status means.
fn success_json(method: Method, answer: &Answer) -> Result<Option<Value>, Error> {
    if !answer.is_success() {
        return Err(refusal(method, answer));
    }
    answer.json_or_empty(&method.provider())
}

fn unreadable(method: Method, detail: &str) -> Error {
    Error::invalid_answer(&method.provider(), detail)
}

/// GREEN-API's common errors (providers.md §2.5) in plain words. The body is
/// read for the documented identifiers and never quoted.
pub fn refusal(method: Method, answer: &Answer) -> Error {
    let provider = method.provider();
    let body = String::from_utf8_lossy(&answer.body).to_ascii_lowercase();
    let (code, explanation, what_to_do) = match answer.status {
        400 if body.contains("starting") => (
            "instance in starting process try later",
            "the instance is starting or restarting",
            "wait a minute, then try again",
        ),
        400 if body.contains("not authorized") => (
            "instance account not authorized",
            "no WhatsApp number is linked to the instance",
            "link the number first",
        ),
        400 if body.contains("bad request data") => (
            "bad request data",
            "GREEN-API did not accept the request's data",
            "check the phone number and the idInstance, then try again",
        ),
        400 => (
            "HTTP 400",
            "GREEN-API did not accept the request",
            "check the account settings, then try again",
        ),
        401 => (
            "Unauthorized",
            "the apiTokenInstance was not accepted",
            "check the apiTokenInstance in the GREEN-API console and add the account again with it",
        ),
        403 => (
            "Forbidden",
            "no instance has this idInstance at this apiUrl",
            "check the idInstance and the apiUrl in the GREEN-API console",
        ),
        429 => (
            "Too Many Requests",
            "too many requests to this instance",
            "wait a few seconds, then try again",
        ),
        466 => (
            "correspondentsStatus",
            "the plan's quota is used up",
            "see the instance's plan in the GREEN-API console",
        ),
        500..=599 => {
            return Error::refused(
                &provider,
                "server error",
                &format!("GREEN-API had a problem, HTTP {}", answer.status),
                "try again in a few minutes",
            );
        }
        _ => {
            return Error::refused(
                &provider,
                &format!("HTTP {}", answer.status),
                "GREEN-API refused the request",
                "check the account settings, then try again",
            );
        }
    };
    Error::refused(&provider, code, explanation, what_to_do)
}

/// A failure of getStateInstance worth reading again a few seconds later
/// while watching (a GET: repeating it changes nothing). An unreadable
/// answer counts too: a proxy's error page or a cut-off body says nothing
/// about the instance, and the code's deadline bounds the watching anyway.
pub fn is_transient(e: &Error) -> bool {
    use crate::error::ErrorKind;
    if e.is_rate_limited() {
        return true;
    }
    match e.kind() {
        ErrorKind::Network | ErrorKind::Timeout | ErrorKind::InvalidAnswer => true,
        ErrorKind::ProviderRefused => matches!(
            e.provider_code(),
            Some("Too Many Requests" | "server error" | "instance in starting process try later")
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ApiToken;

    fn settings(api_url: &str) -> GreenApiSettings {
        GreenApiSettings {
            api_url: api_url.into(),
            id_instance: 1101000001,
            phone: None,
        }
    }

    fn secrets(token: &str) -> AccountSecrets {
        AccountSecrets {
            api_token: Some(ApiToken::new(token)),
            ..Default::default()
        }
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
        }
    }

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("+441234567890").unwrap()
    }

    /// `latch api ID deleteNotification/42?x=1`: the method by name, the
    /// extra segment and the query after the token; shown with `***`.
    #[test]
    fn api_requests_name_the_method_and_show_the_token_masked() {
        let s = settings("https://7105.api.greenapi.com");
        let api = s.api_url(&secrets("tok/en"), "/deleteNotification/42?x=1").unwrap();
        assert_eq!(
            api.url.as_str(),
            "https://7105.api.greenapi.com/waInstance1101000001/deleteNotification/tok%2Fen/42?x=1"
        );
        assert_eq!(
            api.shown,
            "https://7105.api.greenapi.com/waInstance1101000001/deleteNotification/***/42?x=1"
        );
        for bad in [
            "https://7105.api.greenapi.com/waInstance1/getStateInstance/x",
            "",
            "get-state",
            "../x",
        ] {
            let e = s.api_url(&secrets("tok"), bad).unwrap_err().to_string();
            assert!(e.contains("called by name"), "{bad}: {e}");
        }
        assert!(
            s.api_headers(&AccessToken::new("t")).is_err(),
            "no header carries its token"
        );
        let vars = s.credential_vars(&secrets("tok"), None).unwrap();
        assert_eq!(
            vars,
            vec![
                ("API_TOKEN", "tok".to_owned()),
                ("ID_INSTANCE", "1101000001".to_owned()),
                ("API_URL", "https://7105.api.greenapi.com".to_owned())
            ]
        );
    }

    #[test]
    fn calls_follow_the_api_url_wa_instance_method_token_pattern() {
        let url = method_url(
            &settings("https://7105.api.greenapi.com/"),
            &secrets("abc123"),
            Method::Logout,
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://7105.api.greenapi.com/waInstance1101000001/logout/abc123"
        );
        let url = method_url(
            &settings("http://127.0.0.1:9/v1?x=1"),
            &secrets("a/b c"),
            Method::GetStateInstance,
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/v1/waInstance1101000001/getStateInstance/a%2Fb%20c"
        );
    }

    #[test]
    fn a_bad_api_url_is_named_without_the_token() {
        let e = method_url(&settings("not a url"), &secrets("secret-token"), Method::Logout).unwrap_err();
        assert!(e.to_string().contains("\"not a url\""), "{e}");
        assert!(!e.to_string().contains("secret-token"));
        let e = method_url(&settings("https://x"), &AccountSecrets::default(), Method::Logout).unwrap_err();
        assert!(e.to_string().contains("no apiTokenInstance"), "{e}");
    }

    #[test]
    fn the_phone_goes_as_a_json_number() {
        let call = code_call(&settings("https://x"), &secrets("t"), phone()).unwrap();
        let Body::Json(body) = call.body else {
            panic!("a JSON body")
        };
        assert!(body["phoneNumber"].is_u64());
        assert_eq!(body["phoneNumber"], 441234567890_u64);
        assert!(call.post);
    }

    #[test]
    fn states_and_a_null_body_are_read() {
        for (body, state) in [
            (r#"{"stateInstance":"notAuthorized"}"#, InstanceState::NotAuthorized),
            (r#"{"stateInstance":"authorized"}"#, InstanceState::Authorized),
            (r#"{"stateInstance":"yellowCard"}"#, InstanceState::YellowCard),
            (r#"{"stateInstance":"sleepMode"}"#, InstanceState::SleepMode),
            ("null", InstanceState::Creating),
            ("", InstanceState::Creating),
            (r#"{"stateInstance":null}"#, InstanceState::Creating),
            (
                r#"{"stateInstance":"newThing"}"#,
                InstanceState::Unknown("newThing".into()),
            ),
        ] {
            assert_eq!(read_state(&answer(200, body)).unwrap(), state, "{body}");
            let message = state.message();
            assert!(message.ends_with('.') && message.contains("; "), "{message}");
        }
    }

    #[test]
    fn a_state_answer_without_or_with_an_odd_state_is_invalid() {
        for body in ["{}", r#"{"stateInstance":5}"#, "[]", r#"{"state":"authorized"}"#] {
            let e = read_state(&answer(200, body)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidAnswer, "{body}");
            assert!(
                e.to_string().starts_with("GREEN-API (getStateInstance) sent an answer"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_code_is_grouped_as_whatsapp_shows_it_and_counts_down_from_its_arrival() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let code = read_code(&answer(200, r#"{"status":true,"code":"GAPI2015"}"#), phone(), at).unwrap();
        assert_eq!(code.grouped(), "GAPI-2015");
        assert_eq!(code.remaining(at), LINK_CODE_LIFETIME);
        assert_eq!(code.remaining(at + Duration::from_secs(100)), Duration::from_secs(50));
        assert_eq!(code.remaining(at + Duration::from_secs(151)), Duration::ZERO);
        assert_eq!(code.expires_at(LINK_CODE_LIFETIME), at + Duration::from_secs(150));
    }

    #[test]
    fn the_documented_lifetime_and_timeouts_hold() {
        assert_eq!(LINK_CODE_LIFETIME, Duration::from_secs(150), "about 2.5 minutes");
        assert!(
            LINK_CODE_ANSWER_TIMEOUT >= Duration::from_secs(45),
            "the answer can take 30 s"
        );
        assert!(
            LINK_POLL_INTERVAL >= Duration::from_secs(1),
            "one getStateInstance a second at most"
        );
    }

    #[test]
    fn status_false_says_try_again() {
        let e = read_code(
            &answer(200, r#"{"status":false,"code":""}"#),
            phone(),
            SystemTime::now(),
        )
        .unwrap_err();
        assert!(is_try_again(&e));
        assert!(e.to_string().contains("try again"), "{e}");
        assert!(
            e.to_string().starts_with("GREEN-API (getAuthorizationCode) refused"),
            "{e}"
        );
    }

    #[test]
    fn common_errors_read_as_plain_sentences_without_the_body() {
        let cases = [
            (
                400,
                "instance in starting process try later",
                "the instance is starting",
            ),
            (400, "instance account not authorized", "no WhatsApp number is linked"),
            (400, "bad request data", "did not accept the request's data"),
            (
                401,
                "Unauthorized",
                "check the apiTokenInstance in the GREEN-API console",
            ),
            (403, "Forbidden", "check the idInstance"),
            (429, "Too Many Requests", "wait a few seconds"),
            (502, "<html>Bad Gateway</html>", "try again in a few minutes"),
        ];
        for (status, body, says) in cases {
            let e = refusal(Method::GetStateInstance, &answer(status, body));
            assert!(e.to_string().contains(says), "{status} {body}: {e}");
            assert!(e.to_string().contains("(getStateInstance)"), "names the method: {e}");
        }
        let e = read_state(&answer(200, "<html><body>oops</body></html>")).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidAnswer);
    }

    #[test]
    fn odd_code_answers_are_invalid_not_panics() {
        for body in [
            r#"{"status":true}"#,
            r#"{"status":true,"code":"<script>"}"#,
            "[]",
            r#"{"code":"X"}"#,
        ] {
            let e = read_code(&answer(200, body), phone(), SystemTime::now()).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidAnswer, "{body}");
        }
    }
}
