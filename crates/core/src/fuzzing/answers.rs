//! Providers' answers: every OAuth profile's token answer reader (and the
//! refusal readers the probe and revoke use), and GREEN-API's three readers.
//!
//! An input is framed as one selector byte, the HTTP status (two bytes, big
//! endian), a content-type byte, then the body:
//!
//! | byte | token_answer | green_api_answer |
//! | --- | --- | --- |
//! | 0 | provider (`% 4`: Wazzup, PayU, Wordapp, OAuth 2.0), step (`/ 4 % 6`) | method (`% 3`: state, logout, code) |
//! | 1–2 | status | status |
//! | 3 | content type (`% 4`: none, JSON, HTML, text) | same |

use crate::error::Error;
use crate::http::Answer;
use crate::model::{TokenSet, UnixTime};
use crate::phone::PhoneNumber;
use crate::providers::green_api::{self, Method};
use crate::providers::{MAX_EXPIRES_IN, Step, oauth2, payu, rfc6749, wazzup, wordapp};
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// A provider's `read_token_answer`.
type Reader = fn(&Answer, Step, UnixTime) -> Result<TokenSet, Error>;

const RECEIVED_AT: UnixTime = 1_700_000_000;
const STEPS: [Step; 6] = [
    Step::AuthorizationCode,
    Step::Password,
    Step::ClientCredentials,
    Step::Refresh,
    Step::Revoke,
    Step::Probe,
];
/// Fields whose value a refusal may quote: the provider's own words, and a
/// token type's name (quoted only when it is a short word).
const QUOTABLE: [&str; 5] = ["error", "error_description", "description", "code", "token_type"];

fn frame(data: &[u8]) -> Option<(u8, Answer)> {
    let (head, body) = data.split_at_checked(4)?;
    let content_type = match head[3] % 4 {
        0 => None,
        1 => Some("application/json"),
        2 => Some("text/html; charset=utf-8"),
        _ => Some("text/plain"),
    };
    let answer = Answer {
        status: u16::from_be_bytes([head[1], head[2]]),
        content_type: content_type.map(str::to_owned),
        body: body.to_vec(),
    };
    Some((head[0], answer))
}

/// `read_token_answer` of each OAuth provider, at each step.
pub fn token_answer(data: &[u8]) {
    let Some((selector, answer)) = frame(data) else {
        return;
    };
    let step = STEPS[usize::from(selector / 4) % STEPS.len()];
    let (name, read): (&str, Reader) = match selector % 4 {
        0 => (wazzup::NAME, wazzup::read_token_answer),
        1 => (payu::NAME, payu::read_token_answer),
        2 => (wordapp::NAME, wordapp::read_token_answer),
        _ => (oauth2::NAME, oauth2::read_token_answer),
    };
    let secrets = Secrets::of(&answer.body);
    match read(&answer, step, RECEIVED_AT) {
        Ok(tokens) => check_tokens(&tokens, &answer, &secrets),
        Err(e) => secrets.check_error(&e),
    }
    // What the probe and revoke make of a failed answer.
    secrets.check_error(&wazzup::refusal(&answer, step));
    secrets.check_error(&rfc6749::refusal(name, &answer, step));
    secrets.check_error(&wordapp::unauthorized(&answer));
}

fn check_tokens(tokens: &TokenSet, answer: &Answer, secrets: &Secrets) {
    let access = tokens.access_token.secret();
    assert!(!access.trim().is_empty(), "a blank access token");
    assert!(
        serde_json::from_slice::<Value>(&answer.body).is_ok(),
        "a token from a body that is not JSON"
    );
    assert_eq!(tokens.obtained_at, RECEIVED_AT);
    if let Some(at) = tokens.expires_at {
        assert!(
            (RECEIVED_AT..=RECEIVED_AT + MAX_EXPIRES_IN).contains(&at),
            "expires at {at}, received at {RECEIVED_AT}"
        );
    }
    // The index gets the meta; logs could get the Debug.
    let meta = serde_json::to_string(&tokens.meta()).expect("meta serializes");
    assert_absent(&secrets.tokens, &meta, "the token meta");
    assert_absent(&secrets.tokens, &format!("{tokens:?}"), "a token set's Debug");
    let _ = crate::jwt::claims(access);
}

/// GREEN-API's readers: `read_state`, `read_logout`, `read_code`, `refusal`.
pub fn green_api_answer(data: &[u8]) {
    let Some((selector, answer)) = frame(data) else {
        return;
    };
    // GREEN-API never quotes an answer: every token-like word is a secret.
    let secrets = Secrets::all_words(&answer.body);
    let method = match selector % 3 {
        0 => Method::GetStateInstance,
        1 => Method::Logout,
        _ => Method::GetAuthorizationCode,
    };
    match method {
        Method::GetStateInstance => match green_api::read_state(&answer) {
            Ok(state) => {
                assert!(answer.is_success());
                if let green_api::InstanceState::Unknown(name) = &state {
                    assert!(
                        name.chars().count() <= 40 && !name.contains(char::is_control),
                        "{name:?}"
                    );
                }
                let message = state.message();
                super::assert_readable(&message);
            }
            Err(e) => secrets.check_error(&e),
        },
        Method::Logout => match green_api::read_logout(&answer) {
            Ok(()) => {
                let body: Value = serde_json::from_slice(&answer.body).expect("logged out by a JSON answer");
                assert_eq!(body["isLogout"], Value::Bool(true));
            }
            Err(e) => secrets.check_error(&e),
        },
        Method::GetAuthorizationCode => {
            let phone = PhoneNumber::parse("+441234567890").expect("a valid number");
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(RECEIVED_AT as u64);
            match green_api::read_code(&answer, phone, at) {
                Ok(code) => {
                    let body: Value = serde_json::from_slice(&answer.body).expect("a code from a JSON answer");
                    assert_eq!(body["code"].as_str().map(str::trim), Some(code.code.as_str()));
                    assert!((4..=16).contains(&code.code.len()), "{:?}", code.code);
                    assert!(code.code.chars().all(|c| c.is_ascii_alphanumeric()), "{:?}", code.code);
                    assert_eq!(code.grouped().replace('-', ""), code.code);
                    assert_eq!(code.remaining(at), green_api::LINK_CODE_LIFETIME);
                }
                Err(e) => secrets.check_error(&e),
            }
        }
    }
    secrets.check_error(&green_api::refusal(method, &answer));
}

/// The token-like values of an answer that must not come out again.
struct Secrets {
    /// Not in an error: every token-like word of the answer but the
    /// provider's own words (`error`, `code`, `description`…), which a
    /// refusal quotes.
    unquotable: Vec<String>,
    /// Not in the token meta or a `Debug`: the words of `access_token`,
    /// `refresh_token` and `id_token` found nowhere else in the answer.
    tokens: Vec<String>,
}

impl Secrets {
    fn of(body: &[u8]) -> Self {
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            return Self::all_words(body);
        };
        let mut strings = Strings::default();
        strings.collect(&json, None);
        // A quotable value is shown trimmed, cut short and without control
        // characters: anything inside its cleaned form may appear.
        let quotable: Vec<String> = (strings.quotable.iter())
            .flat_map(|q| [q.clone(), q.chars().filter(|c| !c.is_control()).collect()])
            .collect();
        let unquotable = (strings.tokens.iter().chain(&strings.other))
            .flat_map(|text| super::token_like_words(text))
            .filter(|word| !quotable.iter().any(|q| q.contains(word)))
            .map(str::to_owned)
            .collect();
        let tokens = (strings.tokens.iter())
            .flat_map(|text| super::token_like_words(text))
            .filter(|word| !strings.other.iter().chain(&quotable).any(|o| o.contains(word)))
            .map(str::to_owned)
            .collect();
        Self { unquotable, tokens }
    }

    /// For an answer nothing may quote.
    fn all_words(body: &[u8]) -> Self {
        let words: Vec<String> = super::token_like_words(&String::from_utf8_lossy(body))
            .map(str::to_owned)
            .collect();
        Self {
            unquotable: words.clone(),
            tokens: words,
        }
    }

    fn check_error(&self, e: &Error) {
        let message = e.to_string();
        super::assert_readable(&message);
        assert_absent(&self.unquotable, &message, "an error");
        let serialized = serde_json::to_string(e).expect("errors serialize");
        assert_absent(&self.unquotable, &serialized, "a serialized error");
    }
}

fn assert_absent(values: &[String], text: &str, what: &str) {
    for value in values {
        assert!(
            !text.contains(value.as_str()),
            "{what} repeats {value:?} from the answer: {text:?}"
        );
    }
}

/// The strings (and keys) of a JSON answer, by where they sit.
#[derive(Default)]
struct Strings {
    /// Under `error`, `error_description`, `description`, `code` or `token_type`.
    quotable: Vec<String>,
    /// Under `access_token`, `refresh_token` or `id_token`.
    tokens: Vec<String>,
    other: Vec<String>,
}

impl Strings {
    fn collect(&mut self, value: &Value, under: Option<&str>) {
        match value {
            Value::String(s) => match under {
                Some(key) if QUOTABLE.contains(&key) => self.quotable.push(s.clone()),
                Some("access_token" | "refresh_token" | "id_token") => self.tokens.push(s.clone()),
                _ => self.other.push(s.clone()),
            },
            Value::Number(n) => self.other.push(n.to_string()),
            Value::Array(items) => items.iter().for_each(|v| self.collect(v, under)),
            Value::Object(fields) => {
                for (key, v) in fields {
                    self.other.push(key.clone());
                    // The outermost interesting key decides.
                    let under = match under {
                        Some(k) if QUOTABLE.contains(&k) || k.ends_with("_token") => Some(k),
                        _ => Some(key.as_str()),
                    };
                    self.collect(v, under);
                }
            }
            _ => {}
        }
    }
}
