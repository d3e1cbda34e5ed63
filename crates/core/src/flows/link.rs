//! Linking a WhatsApp number to a GREEN-API instance by a code (document 002).
//!
//! The steps, each its own call so that a window and a terminal can show
//! each one: read the instance state; log out when a number is linked
//! already; ask for a code for the phone number (up to 30 s: this call has
//! its own 45 s limit, [`green_api::LINK_CODE_ANSWER_TIMEOUT`]); then watch the state
//! until the person has typed the code in WhatsApp, or the code's lifetime
//! is over. Watching polls getStateInstance every few seconds rather than
//! waiting for a `stateInstanceChanged` notification: the notification is
//! only sent when the instance's `stateWebhook` setting is on, and reading
//! the queue would consume notifications another program may rely on.

use super::Engine;
use crate::error::Error;
use crate::model::{Account, AccountSecrets, GreenApiSettings};
use crate::phone::PhoneNumber;
use crate::providers::green_api::{self, InstanceState, LINK_CODE_LIFETIME, LINK_POLL_INTERVAL, LinkCode};
use std::time::{Duration, SystemTime};

/// How a code is watched: its lifetime and the pause between two reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkWatch {
    /// [`LINK_CODE_LIFETIME`] unless a test or a setting shortens it.
    pub lifetime: Duration,
    /// [`LINK_POLL_INTERVAL`]; GREEN-API allows one getStateInstance a second.
    pub interval: Duration,
}

impl Default for LinkWatch {
    fn default() -> Self {
        Self {
            lifetime: LINK_CODE_LIFETIME,
            interval: LINK_POLL_INTERVAL,
        }
    }
}

/// How watching a code ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    /// The instance is authorized: the number is linked.
    Linked,
    /// The deadline passed first. `last_state` is the last state read, if
    /// any: a state other than notAuthorized explains why (e.g. `starting`
    /// after a wrong code, a known GREEN-API defect).
    Expired { last_state: Option<InstanceState> },
}

fn green_api(account: &Account) -> Result<&GreenApiSettings, Error> {
    match account.settings.green_api() {
        Some(s) => Ok(s),
        None => Err(Error::InvalidInput(format!(
            "{} is a {} account; only GREEN-API accounts are linked with a phone code.",
            account.id,
            account.provider().display_name()
        ))),
    }
}

impl Engine {
    /// getStateInstance.
    pub async fn instance_state(&self, account: &Account, secrets: &AccountSecrets) -> Result<InstanceState, Error> {
        let call = green_api::state_call(green_api(account)?, secrets)?;
        let provider = green_api::Method::GetStateInstance.provider();
        let answer = self.send(secrets, &provider, call, None).await?;
        green_api::read_state(&answer)
    }

    /// logout: unlinks the WhatsApp number from the instance.
    pub async fn logout(&self, account: &Account, secrets: &AccountSecrets) -> Result<(), Error> {
        let call = green_api::logout_call(green_api(account)?, secrets)?;
        let provider = green_api::Method::Logout.provider();
        let answer = self.send(secrets, &provider, call, None).await?;
        green_api::read_logout(&answer)
    }

    /// getAuthorizationCode for `phone`, allowed the engine's
    /// `link_code_timeout` ([`green_api::LINK_CODE_ANSWER_TIMEOUT`] by default) or the
    /// whole-call timeout if that is longer. The code's lifetime counts from
    /// the moment its answer arrived.
    pub async fn request_link_code(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        phone: PhoneNumber,
    ) -> Result<LinkCode, Error> {
        let call = green_api::code_call(green_api(account)?, secrets, phone)?;
        let provider = green_api::Method::GetAuthorizationCode.provider();
        let timeout = self.config.link_code_timeout.max(self.http.config().timeout);
        let answer = self.send(secrets, &provider, call, Some(timeout)).await?;
        green_api::read_code(&answer, phone, SystemTime::now())
    }

    /// Reads the state every `interval` until the instance is authorized or
    /// `deadline` passes (one last read is made at the deadline). Passing
    /// trouble (network, 429, 5xx) does not end the watch; a refusal that
    /// will not go away by itself (wrong token, wrong instance) does.
    pub async fn wait_until_linked(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        deadline: SystemTime,
        interval: Duration,
    ) -> Result<LinkOutcome, Error> {
        let interval = interval.max(Duration::from_millis(10));
        let mut last_state = None;
        loop {
            let left = deadline.duration_since(SystemTime::now()).unwrap_or_default();
            // A read that hangs must not outlive the code.
            let read = tokio::time::timeout(left.max(interval), self.instance_state(account, secrets)).await;
            match read {
                Ok(Ok(InstanceState::Authorized)) => return Ok(LinkOutcome::Linked),
                Ok(Ok(state)) => last_state = Some(state),
                Ok(Err(e)) if green_api::is_transient(&e) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => {}
            }
            let left = deadline.duration_since(SystemTime::now()).unwrap_or_default();
            if left.is_zero() {
                return Ok(LinkOutcome::Expired { last_state });
            }
            tokio::time::sleep(interval.min(left)).await;
        }
    }
}
