//! Revoke (RFC 7009 where the provider has an endpoint).
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
//! stays valid at Wazzup until it expires. In every case but "still valid"
//! the caller deletes the local secrets.

use super::{Engine, provider_name};
use crate::error::Error;
use crate::model::{Account, AccountSecrets, ProviderSettings, UnixTime};
use crate::providers::{Call, Step, oauth2, payu, wordapp};

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
    /// Revokes the account's tokens at the provider. Deletes nothing locally.
    pub async fn revoke(&self, account: &Account, secrets: &AccountSecrets) -> Result<RevokeOutcome, Error> {
        let Some(tokens) = &secrets.tokens else {
            return Ok(RevokeOutcome::NothingToRevoke);
        };
        let mut calls: Vec<Call> = Vec::new();
        match &account.settings {
            ProviderSettings::Wazzup(_) => {
                return Ok(RevokeOutcome::NotSupported {
                    expires_at: tokens.expires_at,
                });
            }
            ProviderSettings::GreenApi(_) => return Err(super::not_oauth()),
            ProviderSettings::Wordapp(s) => {
                let expired = tokens.expires_at.is_some_and(|at| at <= crate::time::now());
                calls.push(wordapp::revoke_call(s, secrets, tokens.access_token.secret(), expired)?)
            }
            ProviderSettings::Payu(s) => {
                if let Some(rt) = &tokens.refresh_token {
                    calls.push(payu::revoke_call(s, secrets, rt.secret(), "refresh_token")?);
                }
                calls.push(payu::revoke_call(
                    s,
                    secrets,
                    tokens.access_token.secret(),
                    "access_token",
                )?);
            }
            ProviderSettings::Oauth2(s) => {
                if let Some(rt) = &tokens.refresh_token {
                    match oauth2::revoke_call(s, secrets, rt.secret(), "refresh_token")? {
                        Some(call) => calls.push(call),
                        None => {
                            return Ok(RevokeOutcome::NotSupported {
                                expires_at: tokens.expires_at,
                            });
                        }
                    }
                }
                match oauth2::revoke_call(s, secrets, tokens.access_token.secret(), "access_token")? {
                    Some(call) => calls.push(call),
                    None => {
                        return Ok(RevokeOutcome::NotSupported {
                            expires_at: tokens.expires_at,
                        });
                    }
                }
            }
        }
        let name = provider_name(account);
        for call in calls {
            let answer = self.http.send(name, call.into_request(self.http.client())).await?;
            match answer.status {
                200..=299 => {}
                503 => return Ok(RevokeOutcome::StillValid),
                401 if matches!(account.settings, ProviderSettings::Wordapp(_)) => {} // already dead at Wordapp
                _ => return Err(oauth2::refusal(name, &answer, Step::Revoke)),
            }
        }
        Ok(RevokeOutcome::Revoked)
    }
}
