//! The one HTTP client of the engine, and the rules every call follows.
//!
//! - One `reqwest` client (rustls), built once: connection reuse, one place
//!   for the User-Agent `Latch/<version>`.
//! - Redirects are never followed (`redirect::Policy::none()`): a token
//!   endpoint that redirects is misconfigured or hostile, and following it
//!   would resend credentials elsewhere.
//! - A connect timeout, and a timeout on the whole call including reading the
//!   body, so a server that trickles bytes cannot hold a flow forever.
//! - The answer is read as a stream and given up past a size cap, so a giant
//!   body cannot exhaust memory.
//! - Transport errors are rendered without their URL (a GREEN-API URL carries
//!   a token in its path; no URL here should, but none is printed anyway).
//! - Nothing is ever sent twice: the client's own retries are off. Almost
//!   every call is a POST that the server may have processed before the
//!   connection broke (an authorization code is single-use; a refresh may
//!   have rotated the refresh token), so replaying it is not safe. Callers
//!   that know a call is idempotent (GREEN-API's getStateInstance while
//!   watching a link) repeat it themselves.
//! - HTTP 429 is [`Error::RateLimited`] for every provider, with the
//!   `Retry-After` it carried (seconds or an HTTP-date, capped at
//!   [`MAX_RETRY_AFTER`]), so that one rule decides when to try again.
//! - The timeouts can be set by the person: [`HttpConfig::from_env`] reads
//!   [`TIMEOUT_ENV`] and [`CONNECT_TIMEOUT_ENV`].

use crate::error::Error;
use serde_json::Value;
use std::ffi::OsString;
use std::time::{Duration, SystemTime};

/// The whole-call timeout in seconds, as a person sets it (`30` by default).
pub const TIMEOUT_ENV: &str = "LATCH_HTTP_TIMEOUT_SECS";
/// The connect timeout in seconds, as a person sets it (`10` by default).
pub const CONNECT_TIMEOUT_ENV: &str = "LATCH_HTTP_CONNECT_TIMEOUT_SECS";
/// The largest timeout either variable accepts: an hour.
pub const MAX_TIMEOUT_SECS: u64 = 3600;
/// The longest `Retry-After` taken at its word: an hour. A longer one (or a
/// hostile `Retry-After: 99999999999`) is read as an hour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Limits of every call. The defaults suit interactive use.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    /// The whole call: connect, send, and read the full answer.
    pub timeout: Duration,
    /// Largest answer body accepted, in bytes.
    pub max_answer_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_answer_bytes: 1 << 20,
        }
    }
}

impl HttpConfig {
    /// The defaults, with the timeouts a person set in [`TIMEOUT_ENV`] and
    /// [`CONNECT_TIMEOUT_ENV`] (whole seconds, 1 to [`MAX_TIMEOUT_SECS`]).
    /// An unset or empty variable keeps the default; any other value that
    /// is not such a number is an [`Error::InvalidInput`] naming the
    /// variable — refused rather than ignored, so that nobody believes they
    /// waited two minutes when Latch gave up after thirty seconds.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// [`HttpConfig::from_env`] over any source of variables (for tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<OsString>) -> Result<Self, Error> {
        let mut config = Self::default();
        if let Some(seconds) = seconds_var(TIMEOUT_ENV, var(TIMEOUT_ENV))? {
            config.timeout = seconds;
        }
        if let Some(seconds) = seconds_var(CONNECT_TIMEOUT_ENV, var(CONNECT_TIMEOUT_ENV))? {
            config.connect_timeout = seconds;
        }
        Ok(config)
    }
}

fn seconds_var(name: &str, value: Option<OsString>) -> Result<Option<Duration>, Error> {
    let Some(value) = value else { return Ok(None) };
    let text = value.to_string_lossy();
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u64>() {
        Ok(seconds) if (1..=MAX_TIMEOUT_SECS).contains(&seconds) => Ok(Some(Duration::from_secs(seconds))),
        _ => {
            let shown: String = text.chars().filter(|c| !c.is_control()).take(20).collect();
            Err(Error::InvalidInput(format!(
                "{name} is \"{shown}\", which is not a whole number of seconds from 1 to {MAX_TIMEOUT_SECS}; set it to one (for example 60) or unset it."
            )))
        }
    }
}

/// A `Retry-After` value (RFC 9110 §10.2.3) in whole seconds from `now`:
/// a number of seconds or an HTTP-date; a date in the past is 0. Capped at
/// [`MAX_RETRY_AFTER`]; `None` when unreadable.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<u64> {
    let value = value.trim();
    let cap = MAX_RETRY_AFTER.as_secs();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: too many of them to fit is still "a very long time".
        return Some(value.parse::<u64>().map_or(cap, |s| s.min(cap)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let wait = at.duration_since(now).unwrap_or_default();
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Some(seconds.min(cap))
}

/// Secrets travel over TLS: `https` for every host, plain `http` only to a
/// loopback literal (127.0.0.0/8, `[::1]`), where nothing crosses a network.
/// `localhost` is a name (a hosts file or a resolver may send it elsewhere),
/// so it gets no exception. Checked where settings are read
/// ([`crate::providers::parse_url`]) and again for every request the client
/// sends, so no path around the first check can reach the network in clear.
pub fn check_transport(url: &url::Url) -> Result<(), Error> {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => {
            // Settings hold no secrets (a GREEN-API token is never in a
            // setting), but cut the origin short anyway: it is all we show.
            let shown: String = url.origin().ascii_serialization().chars().take(80).collect();
            Err(Error::InvalidInput(format!(
                "The server address {shown} uses plain http, which would send this account's secrets unencrypted; \
                 use https (plain http is allowed only to 127.0.0.1 or [::1])."
            )))
        }
        _ => Err(Error::InvalidInput(
            "The server address is not an https URL; fix it in the account settings.".into(),
        )),
    }
}

/// A complete answer: status, content type and the body (within the cap).
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// The body is a token answer more often than not: `Debug` shows its length only.
impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, or an "invalid answer" error naming the provider and
    /// the status. The body itself is never quoted: it could echo a secret.
    pub fn json(&self, provider: &str) -> Result<Value, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::invalid_answer(
                provider,
                format!("an empty answer with HTTP status {}", self.status),
            ));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(value) => Ok(value),
            Err(_) if self.looks_like_html() => Err(Error::invalid_answer(
                provider,
                format!("an HTML page with HTTP status {} instead of JSON", self.status),
            )),
            Err(_) => Err(Error::invalid_answer(
                provider,
                format!("an answer that is not JSON, with HTTP status {}", self.status),
            )),
        }
    }

    /// Like [`Answer::json`], but an empty body is `None` (some error answers
    /// are empty).
    pub fn json_or_empty(&self, provider: &str) -> Result<Option<Value>, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            Ok(None)
        } else {
            self.json(provider).map(Some)
        }
    }

    fn looks_like_html(&self) -> bool {
        let html_type = self
            .content_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
        let first = self.body.iter().find(|b| !b.is_ascii_whitespace());
        html_type || first == Some(&b'<')
    }
}

/// The engine's HTTP client.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    config: HttpConfig,
}

impl Http {
    pub fn new(config: HttpConfig) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("Latch/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .build()
            .map_err(|e| {
                Error::InvalidInput(format!(
                    "Latch could not set up its HTTPS client ({}); reinstall Latch or report this as a bug.",
                    e.without_url()
                ))
            })?;
        Ok(Self { client, config })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and reads the whole answer within the timeout and the
    /// size cap. `provider` names the server in every error.
    pub async fn send(&self, provider: &str, request: reqwest::RequestBuilder) -> Result<Answer, Error> {
        self.send_within(provider, request, self.config.timeout).await
    }

    /// [`Http::send`] with its own limit for the whole call, for the few
    /// methods documented to answer slowly (GREEN-API's getAuthorizationCode
    /// can take 30 s). The connect timeout and the size cap stay the same.
    pub async fn send_within(
        &self,
        provider: &str,
        request: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<Answer, Error> {
        let seconds = timeout.as_secs().max(1);
        // The client's own timeout would cut a longer call short: override it per request.
        let request = request.timeout(timeout);
        match tokio::time::timeout(timeout, self.send_inner(provider, request, seconds)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                provider: provider.to_owned(),
                seconds,
            }),
        }
    }

    async fn send_inner(
        &self,
        provider: &str,
        request: reqwest::RequestBuilder,
        seconds: u64,
    ) -> Result<Answer, Error> {
        let transport_error = |e| transport_error(provider, e, seconds);
        let request = request.build().map_err(transport_error)?;
        check_transport(request.url())?;
        let mut response = self.client.execute(request).await.map_err(transport_error)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(Error::invalid_answer(
                provider,
                format!("a redirect (HTTP {status}), which Latch does not follow on these endpoints"),
            ));
        }
        if status == 429 {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            return Err(Error::RateLimited {
                provider: provider.to_owned(),
                retry_after,
            });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_body(&mut response, provider, self.config.max_answer_bytes, seconds).await?;
        Ok(Answer {
            status,
            content_type,
            body,
        })
    }

    /// Sends an API request and reads the whole answer (at most `cap`
    /// bytes) within the timeout, taking every status as an answer: a
    /// redirect (never followed: the credentials would go with it) and a
    /// 429 are the caller's to show, with their headers.
    pub async fn exchange(
        &self,
        provider: &str,
        request: reqwest::RequestBuilder,
        cap: usize,
    ) -> Result<RawAnswer, Error> {
        let seconds = self.config.timeout.as_secs().max(1);
        let call = async {
            let request = request.build().map_err(|e| transport_error(provider, e, seconds))?;
            check_transport(request.url())?;
            let mut response = self
                .client
                .execute(request)
                .await
                .map_err(|e| transport_error(provider, e, seconds))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                .collect();
            let body = read_body(&mut response, provider, cap, seconds).await?;
            Ok(RawAnswer { status, headers, body })
        };
        match tokio::time::timeout(self.config.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                provider: provider.to_owned(),
                seconds,
            }),
        }
    }
}

/// An answer as the server sent it, for a caller that shows it whole.
pub struct RawAnswer {
    pub status: u16,
    /// In the order received; names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Reads a body up to `cap` bytes; past it, an invalid answer.
async fn read_body(
    response: &mut reqwest::Response,
    provider: &str,
    cap: usize,
    seconds: u64,
) -> Result<Vec<u8>, Error> {
    let status = response.status().as_u16();
    let too_big = || {
        Error::invalid_answer(
            provider,
            format!("an answer larger than {}, with HTTP status {status}", size(cap)),
        )
    };
    if response.content_length().is_some_and(|len| len > cap as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(provider, e, seconds))?
    {
        if body.len() + chunk.len() > cap {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `1 MiB`, `64 KiB`, `100 bytes`.
fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// A transport failure in one sentence, without the URL (a GREEN-API URL carries a token).
fn transport_error(provider: &str, e: reqwest::Error, seconds: u64) -> Error {
    if e.is_timeout() {
        return Error::Timeout {
            provider: provider.to_owned(),
            seconds,
        };
    }
    let detail = if e.is_connect() {
        "the connection failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "the connection broke while the answer was read".to_owned()
    } else if e.is_builder() {
        "the server address is not a valid URL".to_owned()
    } else {
        // Reset or closed after the request went out: the server may have
        // acted on it, which is why nothing is ever sent again by itself.
        "the connection broke before an answer arrived".to_owned()
    };
    Error::Network {
        provider: provider.to_owned(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, content_type: &str, body: &str) -> Answer {
        Answer {
            status,
            content_type: Some(content_type.into()),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_html_error_page_is_an_invalid_answer_naming_provider_and_status() {
        let e = answer(502, "text/html", "<html><body>Bad Gateway</body></html>")
            .json("PayU")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "PayU sent an answer Latch cannot read (an HTML page with HTTP status 502 instead of JSON); try again \
             later, and check the account's server address if it keeps happening."
        );
    }

    /// The client itself refuses plain http to a remote host, whatever built
    /// the request: without the check this is a connection attempt to
    /// 192.0.2.1 (TEST-NET-1, nothing answers) and a network error.
    #[tokio::test]
    async fn the_client_sends_nothing_in_clear_text_to_a_remote_host() {
        let http = Http::new(HttpConfig {
            connect_timeout: Duration::from_millis(200),
            ..HttpConfig::default()
        })
        .unwrap();
        let request = http
            .client()
            .post("http://192.0.2.1/oauth/token")
            .body("client_secret=s");
        let e = http.send("Acme", request).await.unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("uses plain http"), "{e}");
    }

    #[test]
    fn a_non_json_body_is_an_invalid_answer_that_does_not_echo_the_body() {
        let e = answer(200, "text/plain", "access_token=secret-value")
            .json("Wordapp")
            .unwrap_err();
        assert!(e.to_string().contains("not JSON, with HTTP status 200"), "{e}");
        assert!(!e.to_string().contains("secret-value"));
    }

    #[test]
    fn debug_never_shows_the_body() {
        let a = answer(200, "application/json", r#"{"access_token":"secret-access"}"#);
        assert!(!format!("{a:?}").contains("secret-access"));
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn timeouts_come_from_the_environment_when_set() {
        let config = HttpConfig::from_vars(vars(&[(TIMEOUT_ENV, "120"), (CONNECT_TIMEOUT_ENV, " 3 ")])).unwrap();
        assert_eq!(config.timeout, Duration::from_secs(120));
        assert_eq!(config.connect_timeout, Duration::from_secs(3));
        assert_eq!(config.max_answer_bytes, HttpConfig::default().max_answer_bytes);

        let unset = HttpConfig::from_vars(vars(&[(TIMEOUT_ENV, "")])).unwrap();
        assert_eq!(unset.timeout, HttpConfig::default().timeout, "empty is unset");
        assert_eq!(unset.connect_timeout, HttpConfig::default().connect_timeout);
    }

    #[test]
    fn a_bad_timeout_in_the_environment_is_refused_naming_the_variable() {
        for (name, bad) in [
            (TIMEOUT_ENV, "abc"),
            (TIMEOUT_ENV, "0"),
            (TIMEOUT_ENV, "-5"),
            (TIMEOUT_ENV, "1.5"),
            (TIMEOUT_ENV, "3601"),
            (CONNECT_TIMEOUT_ENV, "99999999999999999999"),
        ] {
            let e = HttpConfig::from_vars(vars(&[(name, bad)])).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            assert!(
                e.to_string().starts_with(&format!(
                    "{name} is \"{bad}\", which is not a whole number of seconds from 1 to 3600"
                )),
                "{e}"
            );
        }
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date_and_capped() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(parse_retry_after("7", now), Some(7));
        assert_eq!(parse_retry_after(" 120 ", now), Some(120));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), Some(30));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(0), "past");
        assert_eq!(parse_retry_after("86400", now), Some(3600), "capped");
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(3600),
            "no overflow"
        );
        for bad in ["", "-1", "soon", "1.5", "Wed, 99 Oct 2015"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(1 << 20), "1 MiB");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(100), "100 bytes");
    }

    #[test]
    fn an_empty_body_is_named_as_such() {
        let e = answer(500, "application/json", "  ").json("Wazzup").unwrap_err();
        assert!(e.to_string().contains("an empty answer with HTTP status 500"), "{e}");
        assert_eq!(
            answer(401, "application/json", "").json_or_empty("Wazzup").unwrap(),
            None
        );
    }
}
