//! Authorization codes and issued tokens, as the fakes keep them.
//!
//! Every fake issues codes and tokens with the same life cycle (a code is single
//! use and short-lived; an access token expires on the fake clock or is revoked; a
//! refresh token lives until it is rotated or revoked), and differs only in formats
//! and error words, which stay in each provider's module.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// What a code or token was issued for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    /// The user or account; `None` for client-credentials (machine) tokens.
    pub(crate) subject: Option<String>,
    pub(crate) scope: String,
}

#[derive(Clone, Debug)]
pub(crate) struct PendingCode {
    pub(crate) grant: Grant,
    pub(crate) redirect_uri: String,
    /// `(challenge, method)` when PKCE was used.
    pub(crate) pkce: Option<(String, String)>,
    pub(crate) expires_at: SystemTime,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CodeProblem {
    /// Never issued, or already redeemed.
    Unknown,
    Expired,
}

#[derive(Default)]
pub(crate) struct CodeStore {
    codes: HashMap<String, PendingCode>,
}

impl CodeStore {
    pub(crate) fn insert(&mut self, code: String, pending: PendingCode) {
        self.codes.insert(code, pending);
    }

    /// Looks a code up without using it.
    pub(crate) fn peek(&self, code: &str, now: SystemTime) -> Result<&PendingCode, CodeProblem> {
        let pending = self.codes.get(code).ok_or(CodeProblem::Unknown)?;
        if now >= pending.expires_at {
            return Err(CodeProblem::Expired);
        }
        Ok(pending)
    }

    /// Uses a code up: it can never be redeemed again.
    pub(crate) fn consume(&mut self, code: &str) -> Option<PendingCode> {
        self.codes.remove(code)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct AccessRecord {
    pub(crate) grant: Grant,
    pub(crate) expires_at: SystemTime,
    pub(crate) revoked: bool,
    pub(crate) refresh: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct RefreshRecord {
    pub(crate) grant: Grant,
    pub(crate) revoked: bool,
    pub(crate) access: String,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    Valid(Grant),
    Expired,
    Revoked,
    Unknown,
}

#[derive(Default)]
pub(crate) struct TokenStore {
    access: HashMap<String, AccessRecord>,
    refresh: HashMap<String, RefreshRecord>,
}

impl TokenStore {
    pub(crate) fn issue(
        &mut self,
        access: String,
        refresh: Option<String>,
        grant: Grant,
        now: SystemTime,
        ttl: Duration,
    ) {
        if let Some(r) = &refresh {
            self.refresh.insert(
                r.clone(),
                RefreshRecord {
                    grant: grant.clone(),
                    revoked: false,
                    access: access.clone(),
                },
            );
        }
        self.access.insert(
            access,
            AccessRecord {
                grant,
                expires_at: now + ttl,
                revoked: false,
                refresh,
            },
        );
    }

    pub(crate) fn check_access(&self, token: &str, now: SystemTime) -> TokenCheck {
        match self.access.get(token) {
            None => TokenCheck::Unknown,
            Some(r) if r.revoked => TokenCheck::Revoked,
            Some(r) if now >= r.expires_at => TokenCheck::Expired,
            Some(r) => TokenCheck::Valid(r.grant.clone()),
        }
    }

    /// A live refresh token's record.
    pub(crate) fn live_refresh(&self, token: &str) -> Option<&RefreshRecord> {
        self.refresh.get(token).filter(|r| !r.revoked)
    }

    pub(crate) fn revoke_access(&mut self, token: &str) -> bool {
        match self.access.get_mut(token) {
            Some(r) if !r.revoked => {
                r.revoked = true;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn revoke_refresh(&mut self, token: &str) -> bool {
        match self.refresh.get_mut(token) {
            Some(r) if !r.revoked => {
                r.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// Revokes a token and the other half of its pair.
    pub(crate) fn revoke_pair(&mut self, token: &str) -> bool {
        let other = match (self.access.get(token), self.refresh.get(token)) {
            (Some(a), _) => a.refresh.clone(),
            (None, Some(r)) => Some(r.access.clone()),
            (None, None) => None,
        };
        let hit = self.revoke_access(token) | self.revoke_refresh(token);
        if let Some(other) = other {
            self.revoke_access(&other);
            self.revoke_refresh(&other);
        }
        hit
    }

    /// Revokes every token whose grant matches (e.g. "this user's tokens for this app").
    pub(crate) fn revoke_where(&mut self, pred: impl Fn(&Grant) -> bool) {
        for r in self.access.values_mut().filter(|r| pred(&r.grant)) {
            r.revoked = true;
        }
        for r in self.refresh.values_mut().filter(|r| pred(&r.grant)) {
            r.revoked = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            client_id: "c".into(),
            subject: Some("u".into()),
            scope: "s".into(),
        }
    }

    #[test]
    fn access_token_expires_on_the_clock_and_revokes_with_its_pair() {
        let mut store = TokenStore::default();
        let now = SystemTime::now();
        store.issue("a".into(), Some("r".into()), grant(), now, Duration::from_secs(10));
        assert_eq!(store.check_access("a", now), TokenCheck::Valid(grant()));
        assert_eq!(
            store.check_access("a", now + Duration::from_secs(10)),
            TokenCheck::Expired
        );
        assert!(store.revoke_pair("r"));
        assert_eq!(store.check_access("a", now), TokenCheck::Revoked);
        assert!(store.live_refresh("r").is_none());
    }
}
