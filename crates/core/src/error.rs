//! The one error type of the flow engine.
//!
//! Every failure a person can meet reads as one sentence that says what
//! happened and what to do (DESIGN invariant 4); [`Error::kind`] gives a
//! script something stable to branch on (the CLI maps kinds to exit codes).
//! What a provider said (its error code and our plain-words reading of it)
//! is kept apart from what the transport did and from answers that could not
//! be read, the way oauth2-rs separates them.
//!
//! No variant ever carries a secret: details are written by Latch, never
//! copied from a request, and answer bodies are never echoed.

use crate::store::SecretStoreError;
use serde::Serialize;

/// What kind of failure, for scripts and exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The provider could not be reached (DNS, refused connection, TLS, reset).
    Network,
    /// The provider did not answer in time.
    Timeout,
    /// The provider answered with an error code.
    ProviderRefused,
    /// The provider's answer could not be read (HTML page, not JSON, too big…).
    InvalidAnswer,
    /// Only a new authorization helps.
    NeedsReconnect,
    /// The keyring failed.
    Storage,
    /// Latch was given something it cannot use (settings, URL, missing secret).
    InvalidInput,
    /// A redirect back from the provider did not belong to a pending flow.
    CallbackRejected,
    /// No account by that name.
    NotFound,
    /// The account's settings point its secrets at a server they were not
    /// issued for: nothing was sent; a person must confirm the new server.
    ServerChanged,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Network => "network",
            Self::Timeout => "timeout",
            Self::ProviderRefused => "provider-refused",
            Self::InvalidAnswer => "invalid-answer",
            Self::NeedsReconnect => "needs-reconnect",
            Self::Storage => "storage",
            Self::InvalidInput => "invalid-input",
            Self::CallbackRejected => "callback-rejected",
            Self::NotFound => "not-found",
            Self::ServerChanged => "server-changed",
        }
    }
}

/// A failure of a flow. `Display` is the sentence a person reads. It crosses to the window as an [`ErrorReport`] (see `Serialize` below).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error(
        "Could not reach {provider} ({detail}); check the internet connection and the account's server address, then try again."
    )]
    Network { provider: String, detail: String },

    #[error("{provider} did not answer within {}; try again later.", count(*seconds, "second"))]
    Timeout { provider: String, seconds: u64 },

    /// A demo account's fake could not be reached: the sandbox is not
    /// running (no internet connection is at fault).
    #[error(
        "The sandbox is not running, so its fake {provider} cannot answer; start it (Start sandbox in the window, or `latch sandbox`), then try again."
    )]
    SandboxNotRunning { provider: String },

    /// HTTP 429. Never retried inside the call: an authorization code is
    /// single-use and a POST the server may have processed is not replayed.
    /// `retry_after` is the provider's `Retry-After` in seconds (capped, see
    /// [`crate::http::MAX_RETRY_AFTER`]), when it sent a readable one; the
    /// scheduler waits at least that long before its next try.
    #[error(
        "{provider} turned the request away because too many requests were sent (HTTP 429); try again {}.",
        try_again_in(*retry_after)
    )]
    RateLimited { provider: String, retry_after: Option<u64> },

    /// `code` is the provider's own (e.g. `OAUTH_SCOPE_FORBIDDEN`,
    /// `invalid_client`); `explanation` and `what_to_do` come from the
    /// provider's document, in plain words, without a final period.
    #[error("{provider} refused the request ({code}: {explanation}); {what_to_do}.")]
    ProviderRefused {
        provider: String,
        code: String,
        explanation: String,
        what_to_do: String,
    },

    #[error(
        "{provider} sent an answer Latch cannot read ({detail}); try again later, and check the account's server address if it keeps happening."
    )]
    InvalidAnswer { provider: String, detail: String },

    /// The provider no longer accepts the account's grant: expired or revoked
    /// refresh token, a 401 from Wordapp, a missing refresh token.
    #[error("{provider} no longer accepts this account's authorization ({reason}); connect the account again.")]
    NeedsReconnect {
        provider: String,
        code: Option<String>,
        reason: String,
    },

    /// The account holds no token because it was never connected (or its
    /// tokens were revoked): a whole sentence naming the command that
    /// connects it. Unlike [`Error::NeedsReconnect`] nothing stopped working,
    /// so the account's state does not change.
    #[error("{0}")]
    NotConnected(String),

    /// The keyring's own message, which already says what to do.
    #[error("{0}")]
    Storage(String),

    /// A whole sentence written where the input was refused.
    #[error("{0}")]
    InvalidInput(String),

    #[error("Latch rejected the sign-in callback ({0}); start connecting the account again.")]
    CallbackRejected(String),

    /// A call would carry the account's secrets to `to`, which is not among
    /// the servers they are bound to (see [`crate::binding`]).
    #[error(
        "This account's server changed from {from} to {to}, so Latch sent nothing; if you made that change, connect the account again to confirm the new server."
    )]
    ServerChanged { from: String, to: String },

    /// A whole sentence naming the account that does not exist.
    #[error("{0}")]
    UnknownAccount(String),
}

impl Error {
    /// The error as it concerns `account`: a demo account's fake that
    /// cannot be reached means the sandbox is not running.
    pub fn about(self, account: &crate::model::Account) -> Self {
        match self {
            Self::Network { provider, .. } if account.sandbox => Self::SandboxNotRunning { provider },
            other => other,
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Network { .. } | Self::SandboxNotRunning { .. } => ErrorKind::Network,
            Self::Timeout { .. } => ErrorKind::Timeout,
            // A kind of its own would suit scripts better, but the CLI's exit
            // codes match kinds exhaustively; `retry_after` tells them apart.
            Self::ProviderRefused { .. } | Self::RateLimited { .. } => ErrorKind::ProviderRefused,
            Self::InvalidAnswer { .. } => ErrorKind::InvalidAnswer,
            Self::NeedsReconnect { .. } | Self::NotConnected(_) => ErrorKind::NeedsReconnect,
            Self::Storage(_) => ErrorKind::Storage,
            Self::InvalidInput(_) => ErrorKind::InvalidInput,
            Self::CallbackRejected(_) => ErrorKind::CallbackRejected,
            Self::UnknownAccount(_) => ErrorKind::NotFound,
            Self::ServerChanged { .. } => ErrorKind::ServerChanged,
        }
    }

    /// The provider's error code, where the provider sent one.
    pub fn provider_code(&self) -> Option<&str> {
        match self {
            Self::ProviderRefused { code, .. } => Some(code),
            Self::NeedsReconnect { code, .. } => code.as_deref(),
            Self::RateLimited { .. } => Some(RATE_LIMITED_CODE),
            _ => None,
        }
    }

    /// How long the provider asked to wait before the next request: set on
    /// a 429 ([`Error::RateLimited`]) that carried a readable `Retry-After`.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => retry_after.map(std::time::Duration::from_secs),
            _ => None,
        }
    }

    /// Whether the provider turned the request away with HTTP 429.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::RateLimited { .. })
    }

    pub(crate) fn refused(provider: &str, code: &str, explanation: &str, what_to_do: &str) -> Self {
        Self::ProviderRefused {
            provider: provider.to_owned(),
            code: shown_code(code),
            explanation: explanation.to_owned(),
            what_to_do: what_to_do.to_owned(),
        }
    }

    pub(crate) fn reconnect(provider: &str, code: Option<&str>, reason: &str) -> Self {
        Self::NeedsReconnect {
            provider: provider.to_owned(),
            code: code.map(shown_code),
            reason: reason.to_owned(),
        }
    }

    pub(crate) fn invalid_answer(provider: &str, detail: impl Into<String>) -> Self {
        Self::InvalidAnswer {
            provider: provider.to_owned(),
            detail: detail.into(),
        }
    }
}

/// The provider code of an [`Error::RateLimited`].
pub const RATE_LIMITED_CODE: &str = "HTTP 429";

/// `1 second`, `30 seconds`.
fn count(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// When to try again after a 429, as the end of a sentence.
fn try_again_in(retry_after: Option<u64>) -> String {
    match retry_after {
        None => "in a minute".to_owned(),
        Some(0) => "now".to_owned(),
        Some(s) if s < 120 => format!("in {}", count(s, "second")),
        Some(s) => format!("in {}", count(s.div_ceil(60), "minute")),
    }
}

/// The longest provider error code shown; real ones are a few dozen characters.
pub const MAX_CODE_CHARS: usize = 80;

/// A provider's error code as a person may see it: without control
/// characters (a terminal escape, a line break) and cut short. It comes from
/// the provider's answer, which may hold anything.
fn shown_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_control()).take(MAX_CODE_CHARS).collect()
}

impl From<SecretStoreError> for Error {
    fn from(e: SecretStoreError) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<crate::store::StoreError> for Error {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Storage(e.to_string())
    }
}

/// An [`Error`] as the window receives it, so that it can branch on what
/// happened: `kind` (offer Reconnect for `needs-reconnect`, the keyring
/// notice for `storage`), `rate_limited` with `retry_after_secs` (a 429: say
/// when to try again), and always the sentence to show. Everything in it is
/// written by Latch or is a provider's error code: never a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErrorReport {
    pub kind: ErrorKind,
    /// The provider's error code, where it sent one ([`Error::provider_code`]).
    pub code: Option<String>,
    /// The sentence a person reads: what happened and what to do.
    pub message: String,
    /// The provider turned the request away with HTTP 429 ([`Error::RateLimited`]).
    pub rate_limited: bool,
    /// How long the provider asked to wait, when it said ([`Error::retry_after`]).
    pub retry_after_secs: Option<u64>,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        Self {
            kind: e.kind(),
            code: e.provider_code().map(str::to_owned),
            message: e.to_string(),
            rate_limited: e.is_rate_limited(),
            retry_after_secs: e.retry_after().map(|d| d.as_secs()),
        }
    }
}

/// Serialized as an [`ErrorReport`] so the desktop shell can hand an error
/// to the webview as is.
impl Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ErrorReport::from(self).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_one_sentence_that_says_what_to_do() {
        let errors = [
            Error::Network {
                provider: "PayU".into(),
                detail: "connection refused".into(),
            },
            Error::Timeout {
                provider: "Wazzup".into(),
                seconds: 30,
            },
            Error::refused(
                "Wazzup",
                "OAUTH_SCOPE_FORBIDDEN",
                "the requested scope is not permitted",
                "agree the scope with your Wazzup manager",
            ),
            Error::invalid_answer("PayU", "an HTML page with HTTP status 502 instead of JSON"),
            Error::reconnect("Wordapp", None, "the token was refused with HTTP 401"),
            Error::CallbackRejected("its state does not match any sign-in in progress".into()),
            Error::RateLimited {
                provider: "PayU".into(),
                retry_after: Some(7),
            },
            Error::RateLimited {
                provider: "PayU".into(),
                retry_after: None,
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(text.ends_with('.'), "{text}");
            assert_eq!(text.matches(". ").count(), 0, "more than one sentence: {text}");
            assert!(text.contains("; "), "no advice in: {text}");
        }
    }

    /// Found by the token_answer fuzz target: a code with control characters
    /// (`"u\u{7f}…nsupported_token_type"`) went into the message as it came.
    #[test]
    fn a_providers_error_code_is_shown_printable_and_short() {
        let e = Error::refused(
            "PayU",
            "invalid\u{7f}_grant\x1b[31m\n",
            "the code is bad",
            "connect again",
        );
        assert_eq!(e.provider_code(), Some("invalid_grant[31m"));
        assert!(!e.to_string().contains(char::is_control), "{e}");
        let e = Error::reconnect("Wazzup", Some(&"OAUTH_".repeat(100)), "the token expired");
        assert_eq!(e.provider_code().unwrap().chars().count(), MAX_CODE_CHARS);
        let e = Error::refused("GREEN-API", "status: false", "no link code this time", "try again");
        assert_eq!(
            e.provider_code(),
            Some("status: false"),
            "Latch's own codes are kept as they are"
        );
    }

    #[test]
    fn a_429_says_when_to_try_again_in_plain_words() {
        let said = |retry_after| {
            Error::RateLimited {
                provider: "Wordapp".into(),
                retry_after,
            }
            .to_string()
        };
        assert_eq!(
            said(Some(7)),
            "Wordapp turned the request away because too many requests were sent (HTTP 429); try again in 7 seconds."
        );
        assert!(said(Some(1)).ends_with("try again in 1 second."));
        assert!(said(Some(0)).ends_with("try again now."));
        assert!(said(Some(600)).ends_with("try again in 10 minutes."));
        assert!(said(Some(601)).ends_with("try again in 11 minutes."));
        assert!(said(None).ends_with("try again in a minute."));
        let e = Error::RateLimited {
            provider: "Wordapp".into(),
            retry_after: Some(7),
        };
        assert_eq!(e.kind(), ErrorKind::ProviderRefused);
        assert_eq!(e.provider_code(), Some("HTTP 429"));
        assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["retry_after_secs"], 7);
        assert_eq!(json["rate_limited"], true, "the window tells a 429 apart by this");
    }

    #[test]
    fn a_timeout_of_one_second_is_singular() {
        let e = Error::Timeout {
            provider: "Wazzup".into(),
            seconds: 1,
        };
        assert_eq!(e.to_string(), "Wazzup did not answer within 1 second; try again later.");
    }

    #[test]
    fn a_demo_accounts_unreachable_fake_means_the_sandbox_is_not_running() {
        let account = |sandbox: bool| -> crate::model::Account {
            serde_json::from_value(serde_json::json!({
                "id": "demo", "label": "Demo", "created_at": 0, "sandbox": sandbox,
                "status": { "state": "connected" },
                "settings": { "provider": "wordapp", "base_url": "http://127.0.0.1:9", "grant": "client_credentials",
                              "client_id": "c", "redirect_uri": null, "username": null, "api_version": null },
            }))
            .unwrap()
        };
        let unreachable = || Error::Network {
            provider: "Wordapp".into(),
            detail: "connection refused".into(),
        };
        let said = unreachable().about(&account(true));
        assert_eq!(said.kind(), ErrorKind::Network);
        assert!(said.to_string().starts_with("The sandbox is not running"), "{said}");
        assert!(!said.to_string().contains("internet"), "{said}");
        assert_eq!(
            unreachable().about(&account(false)),
            unreachable(),
            "a real account's network error stays"
        );
    }

    #[test]
    fn kinds_are_stable_for_scripts() {
        let e = Error::reconnect(
            "Wazzup",
            Some("OAUTH_REFRESH_TOKEN_INVALID"),
            "the refresh token expired",
        );
        assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
        assert_eq!(e.provider_code(), Some("OAUTH_REFRESH_TOKEN_INVALID"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "needs-reconnect");
        assert_eq!(json["code"], "OAUTH_REFRESH_TOKEN_INVALID");
        assert_eq!(json["rate_limited"], false);
        assert_eq!(json["retry_after_secs"], serde_json::Value::Null);
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .starts_with("Wazzup no longer accepts")
        );
    }
}
