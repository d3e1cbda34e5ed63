//! The device authorization grant (RFC 8628) for Other OAuth 2.0 accounts:
//! Latch asks for a device code and a user code (§3.1, §3.2), the person
//! types the user code at the server's page (or opens the complete address),
//! and Latch polls the token endpoint (§3.4, §3.5) until the server answers.
//!
//! Three rules, from the RFC:
//! - the poll waits `interval` seconds (5 when the server gives none), and
//!   `slow_down` adds 5 seconds to it for every later poll;
//! - `authorization_pending` keeps polling; `access_denied` and
//!   `expired_token` end the flow with a sentence that says what happened;
//! - polling stops when `expires_in` has passed, whatever the server says.
//!
//! The device code is a [`DeviceCode`]: it never reaches a log or a screen.
//! The token set is returned for the caller to store, like every first grant.

use std::time::Duration;

use super::Engine;
use crate::error::Error;
use crate::http::Answer;
use crate::model::{Account, AccountSecrets, OAuth2Settings, ProviderSettings, TokenSet};
use crate::providers::{Step, answer_object, oauth2};
use crate::secret::DeviceCode;

/// RFC 8628 §3.2: the interval when the server names none.
pub const DEFAULT_INTERVAL: u64 = 5;
/// RFC 8628 §3.5: what `slow_down` adds to the interval.
pub const SLOW_DOWN_STEP: u64 = 5;

/// A started device authorization: what the person is shown, and the
/// device code Latch polls with (secret, never shown).
pub struct DeviceAuthorization {
    pub user_code: String,
    pub verification_uri: String,
    /// The address with the user code in it, to open in a browser.
    pub verification_uri_complete: Option<String>,
    /// Seconds the codes are valid.
    pub expires_in: u64,
    /// Seconds between polls, as the server asked.
    pub interval: u64,
    device_code: DeviceCode,
}

/// What one poll learned.
enum Poll {
    Tokens(TokenSet),
    Pending,
    SlowDown,
}

impl Engine {
    /// Asks the account's device authorization endpoint for the codes (§3.1).
    pub async fn start_device_authorization(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
    ) -> Result<DeviceAuthorization, Error> {
        let settings = device_settings(account)?;
        let call = oauth2::device_authorization_call(settings, secrets)?;
        let answer = self.send(secrets, oauth2::NAME, call, None).await?;
        read_device_answer(&answer)
    }

    /// Polls the token endpoint until the person approves or refuses, or the
    /// codes expire. `on_wait` hears the interval before every wait (the
    /// front ends count down with it).
    pub async fn poll_device_authorization(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        device: &DeviceAuthorization,
        mut on_wait: impl FnMut(Duration),
    ) -> Result<TokenSet, Error> {
        let settings = device_settings(account)?;
        let second = self.config.device_second;
        let deadline = tokio::time::Instant::now() + second * to_u32(device.expires_in);
        let mut interval = device.interval;
        loop {
            let wait = second * to_u32(interval);
            if tokio::time::Instant::now() + wait > deadline {
                return Err(expired());
            }
            on_wait(Duration::from_secs(interval));
            tokio::time::sleep(wait).await;
            let call = oauth2::device_token_call(settings, secrets, &device.device_code)?;
            let answer = self.send(secrets, oauth2::NAME, call, None).await?;
            match read_poll(&answer)? {
                Poll::Tokens(tokens) => return self.verified(account, secrets, tokens, None).await,
                Poll::Pending => {}
                Poll::SlowDown => interval += SLOW_DOWN_STEP,
            }
        }
    }
}

fn to_u32(seconds: u64) -> u32 {
    u32::try_from(seconds).unwrap_or(u32::MAX)
}

fn device_settings(account: &Account) -> Result<&OAuth2Settings, Error> {
    match &account.settings {
        ProviderSettings::Oauth2(settings) => Ok(settings),
        _ => Err(Error::InvalidInput(format!(
            "{} accounts do not sign in with a device code; only Other OAuth 2.0 accounts do.",
            super::provider_name(account)
        ))),
    }
}

/// Reads the device authorization answer (§3.2). A refusal reads like any
/// token endpoint's (RFC 6749 §5.2).
fn read_device_answer(answer: &Answer) -> Result<DeviceAuthorization, Error> {
    if !answer.is_success() {
        return Err(crate::providers::rfc6749::refusal(
            oauth2::NAME,
            answer,
            Step::AuthorizationCode,
        ));
    }
    let fields = answer_object(oauth2::NAME, answer)?;
    let text = |name: &str| fields.get(name).and_then(|v| v.as_str()).filter(|v| !v.is_empty());
    let missing = |name: &str| {
        Error::invalid_answer(
            oauth2::NAME,
            format!("the device authorization answer has no `{name}` (RFC 8628 §3.2)"),
        )
    };
    let seconds = |name: &str| fields.get(name).and_then(|v| v.as_u64());
    Ok(DeviceAuthorization {
        device_code: DeviceCode::new(text("device_code").ok_or_else(|| missing("device_code"))?),
        user_code: text("user_code").ok_or_else(|| missing("user_code"))?.to_owned(),
        verification_uri: text("verification_uri")
            .ok_or_else(|| missing("verification_uri"))?
            .to_owned(),
        verification_uri_complete: text("verification_uri_complete").map(str::to_owned),
        expires_in: seconds("expires_in")
            .filter(|s| *s > 0)
            .ok_or_else(|| missing("expires_in"))?,
        interval: seconds("interval").filter(|s| *s > 0).unwrap_or(DEFAULT_INTERVAL),
    })
}

/// Reads one poll's answer (§3.5): tokens, keep going, slower, or the end.
fn read_poll(answer: &Answer) -> Result<Poll, Error> {
    if answer.is_success() {
        return oauth2::read_token_answer(answer, Step::AuthorizationCode, crate::time::now()).map(Poll::Tokens);
    }
    let code = answer
        .json_or_empty(oauth2::NAME)
        .ok()
        .flatten()
        .and_then(|body| body.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    match code.as_deref() {
        Some("authorization_pending") => Ok(Poll::Pending),
        Some("slow_down") => Ok(Poll::SlowDown),
        Some("access_denied") => Err(Error::refused(
            oauth2::NAME,
            "access_denied",
            "the sign-in was refused on the server's page",
            "connect again and approve it there if that was a mistake",
        )),
        Some("expired_token") => Err(expired()),
        _ => Err(crate::providers::rfc6749::refusal(
            oauth2::NAME,
            answer,
            Step::AuthorizationCode,
        )),
    }
}

fn expired() -> Error {
    Error::refused(
        oauth2::NAME,
        "expired_token",
        "the code was not approved in time",
        "connect again for a new code",
    )
}
