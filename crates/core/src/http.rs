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

use crate::error::Error;
use serde_json::Value;
use std::time::Duration;

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
        let mut response = request.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(Error::invalid_answer(
                provider,
                format!("a redirect (HTTP {status}), which Latch does not follow on these endpoints"),
            ));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let cap = self.config.max_answer_bytes;
        let too_big = || {
            Error::invalid_answer(
                provider,
                format!("an answer larger than {} KiB, with HTTP status {status}", cap / 1024),
            )
        };
        if response.content_length().is_some_and(|len| len > cap as u64) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > cap {
                return Err(too_big());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            content_type,
            body,
        })
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
        "the connection broke".to_owned()
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
