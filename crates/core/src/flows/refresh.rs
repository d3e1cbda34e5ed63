//! Refresh (RFC 6749 §6) without ever losing the refresh token
//! (DESIGN invariant 3).
//!
//! - **One refresh per account at a time.** In this process, callers that
//!   arrive while a refresh of the same account runs await its result (a
//!   "single flight"): two screens asking at once make one request. Across
//!   processes, the store's account lock (the [`super::CrossProcessLock`] hook)
//!   is held around the whole read–call–write; after taking it, the set is
//!   read again, and if another process already renewed it, that set is used
//!   with no request at all.
//! - **Write before drop.** The new set is written to the [`SecretStore`]
//!   before the function returns; the old set lives in the store until that
//!   write replaces it. An answer without a refresh token keeps the old one
//!   (and the old scope and extras).
//! - **Re-read before "reconnect".** When the provider refuses the refresh
//!   token (`invalid_grant`, Wazzup's `OAUTH_REFRESH_TOKEN_…`, a Wordapp
//!   401), the store is read again: if another process rotated the token in
//!   the meantime, its set is used (or refreshed once more) instead of
//!   declaring the account lost.
//! - Accounts on the client credentials grant have no refresh token; their
//!   "refresh" runs the grant again.

use super::{Engine, Flight, provider_name};
use crate::error::{Error, ErrorKind};
use crate::model::{Account, AccountSecrets, AccountStatus, Grant, TokenSet, UnixTime};
use crate::providers::GrantRequest;
use crate::store::{Holder, Lease, Refreshed, SecretStore, SharedEntry, SharedSecrets};
use std::sync::Arc;
use std::time::Duration;

impl Engine {
    /// Renews the account's token set now and writes it to the store.
    pub async fn refresh(&self, account: &Account, store: &dyn SecretStore) -> Result<TokenSet, Error> {
        self.single_flight(account, store, None).await
    }

    /// The account's token set, renewed first if it expires within
    /// `min_validity` (what `latch token` uses).
    pub async fn valid_token(
        &self,
        account: &Account,
        store: &dyn SecretStore,
        min_validity: Duration,
    ) -> Result<TokenSet, Error> {
        let tokens = stored_tokens(account, store)?.1;
        if is_fresh(&tokens, crate::time::now(), min_validity) {
            return Ok(tokens);
        }
        self.single_flight(account, store, Some(min_validity)).await
    }

    async fn single_flight(
        &self,
        account: &Account,
        store: &dyn SecretStore,
        min_validity: Option<Duration>,
    ) -> Result<TokenSet, Error> {
        let flight: Flight = {
            let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
            flights.entry(account.id.clone()).or_default().clone()
        };
        let result = flight
            .get_or_init(|| self.refresh_locked(account, store, min_validity))
            .await
            .clone();
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        if flights.get(&account.id).is_some_and(|f| Arc::ptr_eq(f, &flight)) {
            flights.remove(&account.id);
        }
        result
    }

    async fn refresh_locked(
        &self,
        account: &Account,
        store: &dyn SecretStore,
        min_validity: Option<Duration>,
    ) -> Result<TokenSet, Error> {
        let _guard = match &self.lock {
            Some(lock) => {
                let (lock, id) = (lock.clone(), account.id.clone());
                let guard = tokio::task::spawn_blocking(move || lock.lock(&id))
                    .await
                    .map_err(|_| Error::Storage("Latch could not take the account's lock; try again.".into()))??;
                Some(guard)
            }
            None => None,
        };
        if let Some(shared) = store.shared() {
            return self.refresh_shared(account, shared, min_validity).await;
        }
        let (secrets, current) = stored_tokens(account, store)?;
        if let Some(min) = min_validity
            && is_fresh(&current, crate::time::now(), min)
        {
            return Ok(current); // another process renewed it while we waited for the lock
        }
        match self.renew(account, &secrets, &current).await {
            Ok(renewed) => write(account, store, secrets, renewed),
            Err(e) if e.kind() == ErrorKind::NeedsReconnect => {
                let Ok((secrets, stored)) = stored_tokens(account, store) else {
                    return Err(e);
                };
                if stored.refresh_token == current.refresh_token && stored.access_token == current.access_token {
                    return Err(e);
                }
                // Rotated by someone else since we read it: use theirs.
                if is_fresh(&stored, crate::time::now(), min_validity.unwrap_or_default()) {
                    return Ok(stored);
                }
                let renewed = self.renew(account, &secrets, &stored).await?;
                write(account, store, secrets, renewed)
            }
            Err(e) => Err(e),
        }
    }

    /// The refresh of an account in a store other machines share (Vault),
    /// under the machine's file lock: the lease is taken by check-and-set
    /// before anything is sent, so across machines exactly one process
    /// sends the refresh token; the others wait and read its set. A loser
    /// never sends the refresh token it read: the providers rotate it, and
    /// a second use of a rotated one fails or revokes the family
    /// (ARCHITECTURE.md, "Secrets in OpenBao/Vault").
    async fn refresh_shared(
        &self,
        account: &Account,
        shared: &dyn SharedSecrets,
        min_validity: Option<Duration>,
    ) -> Result<TokenSet, Error> {
        let me = Holder::here();
        let nonce = crate::pkce::random_base64url(12)?;
        let lease_for = self.config.http.timeout * 2 + Duration::from_secs(10);
        let give_up = tokio::time::Instant::now() + lease_for + Duration::from_secs(5);
        let first = shared.read_shared(&account.id)?;
        let mut pause = Duration::from_millis(50);
        let mut entry = first.clone();
        loop {
            let now = crate::time::now();
            let (secrets, current) = tokens_of(account, entry.secrets.clone())?;
            // A set written since this refresh was asked for, or another
            // than the one this machine's index knows (the scheduler plans
            // by the index, which hears nothing of another machine's
            // refresh), is someone else's refresh: while it is not due by
            // the scheduler's rule, use it rather than refresh it again.
            let known = account.token.as_ref().and_then(|t| t.expires_at);
            let renewed_elsewhere = (entry.version != first.version && entry.lease.is_none())
                || known.is_some_and(|known| current.expires_at != Some(known));
            let not_due = crate::scheduler::due_at(&current.meta()).is_none_or(|due| due > now);
            if renewed_elsewhere && not_due {
                return Ok(current);
            }
            if let Some(min) = min_validity
                && is_fresh(&current, now, min)
            {
                return Ok(current);
            }
            let held = entry
                .lease
                .as_ref()
                .filter(|lease| lease.until > now && lease.nonce != nonce);
            if let Some(lease) = held {
                if tokio::time::Instant::now() >= give_up {
                    return Err(Error::Storage(format!(
                        "{} on {} has been refreshing {} for more than {} s and has not finished; try again, \
                         or check that machine.",
                        lease.holder.by,
                        lease.holder.machine,
                        account.label,
                        lease_for.as_secs()
                    )));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(500));
                entry = shared.read_shared(&account.id)?;
                continue;
            }
            // Take the lease; a lost check-and-set means someone else moved first.
            let lease = Lease {
                holder: me.clone(),
                nonce: nonce.clone(),
                until: now + lease_for.as_secs() as i64,
            };
            let with_lease = SharedEntry {
                lease: Some(lease),
                ..entry.clone()
            };
            let leased = match shared.write_shared(&account.id, &with_lease, entry.version) {
                Ok(version) => version,
                Err(e) if e.is_conflict() => {
                    entry = shared.read_shared(&account.id)?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            return match self.renew(account, &secrets, &current).await {
                Ok(renewed) => {
                    let mut secrets = secrets;
                    secrets.tokens = Some(renewed.clone());
                    crate::binding::bind_if_unbound(account, &mut secrets)?;
                    let refreshed = Refreshed {
                        by: me.by.clone(),
                        machine: me.machine.clone(),
                        at: crate::time::now(),
                    };
                    let done = SharedEntry {
                        secrets: Some(secrets),
                        lease: None,
                        refreshed: Some(refreshed),
                        ..entry.clone()
                    };
                    self.write_back(account, shared, &done, leased).await?;
                    Ok(renewed)
                }
                Err(e) => {
                    // Give the lease back: the old set is as it was.
                    let _ = shared.write_shared(&account.id, &entry, leased);
                    Err(e)
                }
            };
        }
    }

    /// Writes a renewed set over the lease this process holds, trying a
    /// few times: the provider has rotated the refresh token, so this set
    /// is the only one that works from now on.
    async fn write_back(
        &self,
        account: &Account,
        shared: &dyn SharedSecrets,
        done: &SharedEntry,
        leased: u64,
    ) -> Result<(), Error> {
        let mut pause = Duration::from_millis(200);
        let mut last = None;
        for _ in 0..4 {
            match shared.write_shared(&account.id, done, leased) {
                Ok(_) => return Ok(()),
                Err(e) if e.is_conflict() => {
                    // The lease outlived its time and another process took
                    // it: it sent the old refresh token, which no longer
                    // works, and wrote nothing newer than ours.
                    let now = shared.read_shared(&account.id)?;
                    match shared.write_shared(&account.id, done, now.version) {
                        Ok(_) => return Ok(()),
                        Err(e) => last = Some(e),
                    }
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
        let why = last.map(|e| e.to_string()).unwrap_or_default();
        Err(Error::Storage(format!(
            "{} renewed the token of {}, but Latch could not write the new set to the shared store: {why} The \
             set there is the old one, whose refresh token may no longer work: if `latch token {}` fails once \
             the store answers again, connect the account again.",
            provider_name(account),
            account.label,
            account.id
        )))
    }

    /// One request to the provider; the old set's refresh token, scope and
    /// extras are kept where the answer has none.
    async fn renew(&self, account: &Account, secrets: &AccountSecrets, current: &TokenSet) -> Result<TokenSet, Error> {
        match &current.refresh_token {
            Some(refresh_token) => {
                let mut renewed = self
                    .run_grant(account, secrets, GrantRequest::Refresh { refresh_token })
                    .await?;
                if renewed.refresh_token.is_none() {
                    // The same refresh token, so the same end.
                    renewed.refresh_token = current.refresh_token.clone();
                    renewed.refresh_expires_at = current.refresh_expires_at;
                }
                if renewed.scope.is_none() {
                    renewed.scope = current.scope.clone();
                }
                for (key, value) in &current.extras {
                    renewed.extras.entry(key.clone()).or_insert_with(|| value.clone());
                }
                Ok(renewed)
            }
            None if uses_client_credentials(account) => {
                self.run_grant(account, secrets, GrantRequest::ClientCredentials).await
            }
            None => Err(Error::reconnect(
                provider_name(account),
                None,
                "the provider gave no refresh token, so the token cannot be renewed",
            )),
        }
    }
}

fn uses_client_credentials(account: &Account) -> bool {
    account.settings.grant() == Some(Grant::ClientCredentials)
}

/// Valid for longer than `min_validity` (or with no known expiry).
fn is_fresh(tokens: &TokenSet, now: UnixTime, min_validity: Duration) -> bool {
    tokens
        .expires_at
        .is_none_or(|at| at - now > min_validity.as_secs() as i64)
}

fn stored_tokens(account: &Account, store: &dyn SecretStore) -> Result<(AccountSecrets, TokenSet), Error> {
    tokens_of(account, store.get(&account.id)?)
}

fn tokens_of(account: &Account, secrets: Option<AccountSecrets>) -> Result<(AccountSecrets, TokenSet), Error> {
    let secrets = secrets.unwrap_or_default();
    let next = match account.settings.grant() {
        Some(_) => format!("`latch connect {}`", account.id),
        None => format!("`latch link {}`", account.id),
    };
    match (secrets.tokens.clone(), &account.status) {
        (Some(tokens), _) => Ok((secrets, tokens)),
        // Issue 19: a read of a never-connected account said it "no longer
        // accepts" it; nothing stopped working, it just never started.
        (None, AccountStatus::NotConnected) => Err(Error::NotConnected(format!(
            "{} is not connected yet; connect it first ({next}, or Connect in the window).",
            account.label
        ))),
        (None, AccountStatus::Revoked) => Err(Error::NotConnected(format!(
            "{}'s tokens were revoked; connect it again ({next}, or Connect in the window).",
            account.label
        ))),
        (None, _) => Err(Error::reconnect(
            provider_name(account),
            None,
            "this account holds no token",
        )),
    }
}

/// Replaces the stored set with the renewed one: the only place the old set
/// is let go, and only once the new one is in the store.
fn write(
    account: &Account,
    store: &dyn SecretStore,
    mut secrets: AccountSecrets,
    renewed: TokenSet,
) -> Result<TokenSet, Error> {
    secrets.tokens = Some(renewed.clone());
    crate::binding::bind_if_unbound(account, &mut secrets)?;
    store.put(&account.id, &secrets)?;
    Ok(renewed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::AccessToken;
    use std::collections::BTreeMap;

    fn expiring_at(expires_at: Option<UnixTime>) -> TokenSet {
        TokenSet {
            access_token: AccessToken::new("a"),
            refresh_token: None,
            token_type: "Bearer".into(),
            scope: None,
            obtained_at: 0,
            expires_at,
            refresh_expires_at: None,
            extras: BTreeMap::new(),
            id_token: None,
        }
    }

    /// "Valid for another minute" means more than a minute left: a token
    /// with exactly a minute left is renewed, one with a second more is not.
    #[test]
    fn fresh_means_more_than_the_validity_asked_for() {
        let minute = Duration::from_secs(60);
        assert!(
            !is_fresh(&expiring_at(Some(1_060)), 1_000, minute),
            "exactly a minute left"
        );
        assert!(is_fresh(&expiring_at(Some(1_061)), 1_000, minute));
        assert!(
            !is_fresh(&expiring_at(Some(1_000)), 1_000, Duration::ZERO),
            "expiring now"
        );
        assert!(is_fresh(&expiring_at(None), 1_000, minute), "no known expiry");
    }
}
