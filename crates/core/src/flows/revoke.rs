//! Revoke (RFC 7009 where the provider has an endpoint). What to send and
//! how to read each answer is the provider's [`RevokePlan`]; this module
//! sends the calls in order and stops at the first "still valid".
//!
//! The refresh token goes first, with `token_type_hint=refresh_token` — it is
//! the long-lived one, and revoking it usually ends the access token too —
//! then the access token. HTTP 200 means revoked or already invalid
//! (RFC 7009 §2.2). HTTP 503 means the server could not revoke now and the
//! token is still valid (§2.2.1): the caller keeps it and says so.
//!
//! Wordapp revokes by access token, sent both as the form's `token` and in
//! the `Authorization` header (document 004); once the token has expired the
//! header carries the application's credentials instead, and a 401 means the
//! token is already dead. Wazzup has no revoke endpoint: the outcome says the token
//! stays valid at Wazzup until it expires. GREEN-API has no token to revoke:
//! its instance is logged out (the WhatsApp number unlinked). In every case but "still valid"
//! the caller deletes the local secrets.

use super::Engine;
use crate::error::Error;
use crate::model::{Account, AccountSecrets, UnixTime};
use crate::providers::{RevokePlan, Revoked};

/// What revoking did at the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevokeOutcome {
    /// The provider confirmed every token sent is revoked or already invalid.
    Revoked,
    /// The provider has no revoke endpoint: the access token stays valid
    /// there until `expires_at`.
    NotSupported { expires_at: Option<UnixTime> },
    /// HTTP 503: the provider could not revoke now; the token is still valid.
    StillValid,
    /// The account held no token.
    NothingToRevoke,
}

impl RevokeOutcome {
    /// Whether the caller should now delete the local secrets.
    pub fn delete_locally(&self) -> bool {
        !matches!(self, Self::StillValid)
    }

    /// One sentence for the person.
    pub fn message(&self, provider: &str) -> String {
        match self {
            Self::Revoked => format!("{provider} revoked the tokens; the local copy is deleted."),
            Self::NotSupported { .. } => format!(
                "{provider} offers no way to revoke a token, so it stays valid at {provider} until it expires; the local copy is deleted."
            ),
            Self::StillValid => format!(
                "{provider} could not revoke the token right now (HTTP 503), so it is still valid and Latch keeps it; try again later."
            ),
            Self::NothingToRevoke => "The account held no token; nothing was sent to the provider.".to_owned(),
        }
    }
}

impl Engine {
    /// Revokes the account's tokens at the provider, as its
    /// [`RevokePlan`] says. Deletes nothing locally.
    pub async fn revoke(&self, account: &Account, secrets: &AccountSecrets) -> Result<RevokeOutcome, Error> {
        let provider = account.settings.provider();
        let (name, calls) = match provider.revoke_plan(secrets, crate::time::now())? {
            RevokePlan::Nothing => return Ok(RevokeOutcome::NothingToRevoke),
            RevokePlan::NotSupported { expires_at } => return Ok(RevokeOutcome::NotSupported { expires_at }),
            RevokePlan::Send { name, calls } => (name, calls),
        };
        for call in calls {
            let answer = self.send(secrets, &name, call, None).await?;
            if provider.read_revoke_answer(&answer)? == Revoked::StillValid {
                return Ok(RevokeOutcome::StillValid);
            }
        }
        Ok(RevokeOutcome::Revoked)
    }
}
