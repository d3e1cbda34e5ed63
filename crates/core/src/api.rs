//! An authenticated request to a provider's API (`latch api`), and the
//! credential handed to a program (`latch exec`, `latch env`).
//!
//! The provider builds the request ([`crate::providers::Provider::api_url`]
//! and [`crate::providers::Provider::api_headers`]): a Bearer header for
//! Wazzup, PayU, Wordapp and OAuth 2.0, `X-Api-Version` beside it for
//! Wordapp, the instance and its token in the path for GREEN-API. What is
//! ours is the order around it, in [`crate::Latch::api`]:
//!
//! 1. the token, refreshed first unless it lives another `min_validity`;
//! 2. the request, only to a server the account's secrets are bound to
//!    ([`crate::binding`]), never following a redirect (the token would go
//!    with it);
//! 3. on a 401, one refresh and one retry: a token the provider killed
//!    (Wordapp invalidates the previous token when the same user signs in
//!    again) is replaced if the refresh token still works;
//! 4. a refused refresh, or a retry that is still 401, turns the account to
//!    "needs reconnect" in the index, where the window sees it.
//!
//! No secret appears in anything returned for showing: `shown_url` masks
//! GREEN-API's token.

use crate::error::Error;
use std::time::Duration;

/// The largest API answer `latch api` reads: 64 MiB.
pub const MAX_API_ANSWER_BYTES: usize = 64 << 20;

/// A request to the account's API.
pub struct ApiRequest {
    /// `GET`, `POST`, …, as typed (checked when sent).
    pub method: String,
    /// A path on the API, a whole URL on the account's server, or
    /// GREEN-API's method name.
    pub target: String,
    /// Extra headers (`-H`), already checked by [`parse_header`].
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The token is refreshed first unless it lives this much longer.
    pub min_validity: Duration,
}

/// The answer, as the server sent it.
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The address called, with any secret in it masked.
    pub shown_url: String,
    /// The first answer was a 401, so the token was refreshed and the
    /// request sent again.
    pub retried: bool,
}

/// The headers Latch sets itself and a person may not: the credential.
const OWN_HEADERS: &[&str] = &["authorization", "x-api-version"];

/// `Name: value`, as curl's `-H` takes it, checked for what HTTP allows.
pub fn parse_header(line: &str) -> Result<(String, String), Error> {
    let shown: String = line.chars().take(60).collect();
    let Some((name, value)) = line.split_once(':') else {
        return Err(Error::InvalidInput(format!(
            "The header `{shown}` has no colon; write it as `Name: value`."
        )));
    };
    let name = name.trim();
    let value = value.trim();
    if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(Error::InvalidInput(format!(
            "`{shown}`: a header name is letters, digits and -, with nothing else."
        )));
    }
    if reqwest::header::HeaderValue::from_str(value).is_err() {
        return Err(Error::InvalidInput(format!(
            "The header {name} holds a character HTTP does not allow (a line break or a control character)."
        )));
    }
    if OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(Error::InvalidInput(format!(
            "Latch sets {name} itself, from the account; leave it out."
        )));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// The method, upper-cased, if HTTP allows it.
pub fn parse_method(method: &str) -> Result<reqwest::Method, Error> {
    let upper = method.trim().to_ascii_uppercase();
    match reqwest::Method::from_bytes(upper.as_bytes()) {
        Ok(m) if upper.chars().all(|c| c.is_ascii_uppercase()) => Ok(m),
        _ => Err(Error::InvalidInput(format!(
            "`{}` is not an HTTP method; use GET, POST, PUT, PATCH or DELETE.",
            method.chars().take(20).collect::<String>()
        ))),
    }
}

/// Whether a method is one `latch api` takes before the path: an HTTP
/// method in upper case (`latch api ACCOUNT POST /path`).
pub fn looks_like_method(word: &str) -> bool {
    matches!(word, "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS")
}

/// A variable name from an account id: `wazzup-main` → `WAZZUP_MAIN`.
pub fn var_prefix(account: &str) -> String {
    let mut name: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// A name a shell takes for a variable.
pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_name_colon_value_and_never_the_credential() {
        assert_eq!(
            parse_header("Content-Type:  application/json ").unwrap(),
            ("Content-Type".into(), "application/json".into())
        );
        for bad in ["no colon", "bad name: x", "X-A: a\nb"] {
            assert!(parse_header(bad).is_err(), "{bad}");
        }
        let own = parse_header("authorization: Bearer stolen").unwrap_err().to_string();
        assert!(own.contains("Latch sets authorization itself"), "{own}");
        assert!(parse_header("X-Api-Version: 2").is_err());
    }

    #[test]
    fn methods_are_http_methods() {
        assert_eq!(parse_method("post").unwrap(), reqwest::Method::POST);
        assert!(parse_method("PO ST").is_err());
        assert!(parse_method("P0ST").is_err());
        assert!(looks_like_method("DELETE") && !looks_like_method("/v2/channels"));
    }

    #[test]
    fn variable_names_come_from_the_account_id() {
        assert_eq!(var_prefix("wazzup-main"), "WAZZUP_MAIN");
        assert_eq!(var_prefix("7shop.eu"), "_7SHOP_EU");
        assert!(is_var_name("WAZZUP_MAIN_TOKEN") && is_var_name("_x"));
        assert!(!is_var_name("1X") && !is_var_name("A-B") && !is_var_name(""));
    }
}
