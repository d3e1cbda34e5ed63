//! What one account's details say: the window's Details and `latch show`
//! read the same [`Details`], made here, so the two cannot drift.
//!
//! Nothing in it is a secret: the claims of a JWT access token and of a
//! verified id_token are decoded (the tokens themselves stay in the
//! keyring), and a private_key_jwt account shows its public key.

use crate::handouts::{Handout, Verb};
use crate::model::{Account, UnixTime};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the details view shows. The claims of a JWT access token are shown
/// decoded; the token itself is not sent.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Details {
    pub scope: Option<String>,
    pub token_type: Option<String>,
    pub obtained_at: Option<UnixTime>,
    pub expires_at: Option<UnixTime>,
    pub has_refresh_token: bool,
    pub extras: BTreeMap<String, String>,
    /// A JWT's payload: claims the issuer chose, none of them a secret.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub claims: Option<serde_json::Value>,
    /// The claims of the verified id_token (OpenID Connect): who signed in.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub id_token_claims: Option<serde_json::Value>,
    /// A private_key_jwt account's public key, as the JWK to register
    /// with the server (the private key never leaves the keyring).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub public_key: Option<serde_json::Value>,
    /// The latest hand-out of its credential, from the hand-out log.
    pub last_used: Option<LastUsed>,
    /// Why the hand-out log could not be read, when it could not.
    pub last_used_problem: Option<String>,
    /// An account in a shared store: who refreshed it last, on which machine, when.
    pub last_refresh: Option<crate::store::Refreshed>,
}

/// When, how and by whom the account's credential was last handed out: a
/// command line (as `ps` shows it, a `Bearer` value masked), never a token.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LastUsed {
    pub at: UnixTime,
    pub verb: Verb,
    /// The command line of the one who asked (`None`: it could not be read).
    pub by: Option<String>,
    pub pid: u32,
}

impl From<Handout> for LastUsed {
    fn from(handout: Handout) -> Self {
        let by = handout.asked_by().clone();
        Self {
            at: handout.at,
            verb: handout.verb,
            by: by.command,
            pid: by.pid,
        }
    }
}

impl crate::Latch {
    /// The account's details. Its secrets are read (for the claims); a
    /// hand-out log that cannot be read is said, not an error.
    pub fn details(&self, account: &Account) -> Result<Details, crate::Error> {
        let tokens = self.secrets(account)?.tokens;
        let public_key = self.public_key(account).ok().flatten();
        let meta = account.token.clone().unwrap_or_default();
        let (last_used, last_used_problem) = match self.last_handout(&account.id) {
            Ok(last) => (last.map(LastUsed::from), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Ok(Details {
            scope: meta.scope,
            token_type: account.token.as_ref().map(|t| t.token_type.clone()),
            obtained_at: account.token.as_ref().map(|t| t.obtained_at),
            expires_at: meta.expires_at,
            has_refresh_token: meta.has_refresh_token,
            extras: meta.extras,
            claims: tokens
                .as_ref()
                .and_then(|t| crate::jwt::claims(t.access_token.secret())),
            id_token_claims: tokens
                .as_ref()
                .and_then(|t| t.id_token.as_ref())
                .and_then(|t| crate::jwt::claims(t.secret())),
            public_key,
            last_refresh: match account.store {
                Some(_) => self.last_refresh(account)?,
                None => None,
            },
            last_used,
            last_used_problem,
        })
    }
}
