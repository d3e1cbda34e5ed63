//! Refreshing tokens before they expire, while the window is open.
//!
//! Each token is due at about 80 % of its life or five minutes before it
//! expires, whichever is earlier — but never before half its life, so a
//! token that lives 20 seconds is refreshed once, at 10 s, not in a loop —
//! minus a little jitter so that accounts connected together do not all
//! refresh in the same second. The scheduler sleeps until the next due time
//! (or until it is woken because accounts changed); nothing polls.
//!
//! Accounts that are due together are refreshed together: at most
//! [`MAX_IN_FLIGHT`] requests at a time, in batches of [`BATCH`] recorded in
//! one index write each (`scripts/bench` runs 10,000 accounts through this).
//!
//! A refresh that fails for a reason that may pass (network, timeout, a 5xx
//! or unreadable answer, a 429) is retried with exponential backoff; a
//! refused one (`invalid_grant`, Wazzup's `OAUTH_REFRESH_TOKEN_…`) is not:
//! the account turns to "needs reconnect" (done by [`Latch::refresh`]) and
//! waits for a person. After a 429 the next try waits at least the
//! provider's `Retry-After` (plus a second, because the plan is kept in
//! whole seconds), even when that is longer than the backoff. Every failure
//! is reported as an [`Event`]; none ends the loop.

use crate::Latch;
use crate::error::{Error, ErrorKind};
use crate::model::{Account, AccountId, AccountStatus, Grant, TokenMeta, UnixTime};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::Notify;

/// The first retry after a transient failure; doubled each time, up to
/// [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(10);
pub const MAX_BACKOFF: Duration = Duration::from_secs(10 * 60);

/// At most this many refresh requests in flight at once, across providers:
/// the load Latch puts on a provider stays bounded however many accounts
/// fall due together.
pub const MAX_IN_FLIGHT: usize = 4;

/// Due accounts are refreshed in batches of this many, each recorded in one
/// write of the index; then the plan is made again from what the index says.
pub const BATCH: usize = 64;

/// How long the scheduler waits after failed refreshes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// After the first transient failure; doubled each time up to `max`.
    pub first: Duration,
    /// The longest wait, and the wait after a failure that is not transient.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: FIRST_BACKOFF,
            max: MAX_BACKOFF,
        }
    }
}

impl Backoff {
    /// The wait after the `failures`-th failure in a row (1 = the first)
    /// with `error`.
    pub fn delay(&self, failures: u32, error: &Error) -> Duration {
        let doubled = self
            .first
            .saturating_mul(1 << failures.saturating_sub(1).min(16))
            .min(self.max);
        let delay = if transient(error) { doubled } else { self.max };
        delay.max(error.retry_after().unwrap_or_default())
    }
}

/// What the scheduler did, for the window to show.
#[derive(Debug)]
pub enum Event {
    Refreshed(AccountId),
    /// The provider refused: a person must connect the account again.
    NeedsReconnect(AccountId, String),
    /// A transient failure; the next try is after `retry_in`.
    Failed {
        account: AccountId,
        error: Error,
        retry_in: Duration,
    },
}

/// When a token is due for refresh, before jitter.
pub fn due_at(token: &TokenMeta) -> Option<UnixTime> {
    let expires = token.expires_at?;
    let life = (expires - token.obtained_at).max(0);
    let by_rule = (token.obtained_at + life * 8 / 10).min(expires - 300);
    Some(by_rule.max(token.obtained_at + life / 2))
}

/// When to warn that the refresh token is near its end (where the server
/// said when that is): three days before, or a fifth of its life before for
/// one that lives less than fifteen days. After the end only a new sign-in
/// helps, so the person hears of it while there is still time.
pub fn refresh_warning_at(token: &TokenMeta) -> Option<UnixTime> {
    let end = token.refresh_expires_at?;
    let life = (end - token.obtained_at).max(0);
    Some(end - (life / 5).min(3 * 24 * 3600))
}

/// Up to 5 % of the token's life, at most 30 s, taken from the due time.
fn jitter(token: &TokenMeta) -> i64 {
    let life = token.expires_at.unwrap_or(token.obtained_at) - token.obtained_at;
    let span = (life / 20).clamp(0, 30);
    if span == 0 {
        return 0;
    }
    let mut byte = [0u8; 2];
    let _ = getrandom::fill(&mut byte);
    i64::from(u16::from_le_bytes(byte)) % (span + 1)
}

/// Whether the scheduler looks after this account.
fn refreshable(account: &Account) -> Option<&TokenMeta> {
    if account.status != AccountStatus::Connected {
        return None;
    }
    let token = account.token.as_ref()?;
    let renewable = token.has_refresh_token || account.settings.grant() == Some(Grant::ClientCredentials);
    (renewable && token.expires_at.is_some()).then_some(token)
}

fn transient(error: &Error) -> bool {
    error.is_rate_limited()
        || matches!(
            error.kind(),
            ErrorKind::Network | ErrorKind::Timeout | ErrorKind::InvalidAnswer | ErrorKind::Storage
        )
        || matches!(error, Error::ProviderRefused { code, .. } if code.starts_with("HTTP 5") || code == "HTTP 429")
}

/// Runs until the future is dropped. `wake` is notified when accounts change
/// (connected, removed, refreshed elsewhere).
pub async fn run(latch: &Latch, wake: &Notify, report: impl FnMut(Event)) {
    run_with(latch, wake, Backoff::default(), report).await
}

/// [`run`] with its own backoff (tests shorten it).
pub async fn run_with(latch: &Latch, wake: &Notify, backoff_rule: Backoff, mut report: impl FnMut(Event)) {
    let mut backoff: HashMap<AccountId, (u32, UnixTime)> = HashMap::new();
    let mut planned: HashMap<AccountId, (Option<UnixTime>, UnixTime)> = HashMap::new();
    loop {
        let now = crate::time::now();
        let accounts = latch.accounts().unwrap_or_default();
        let mut next: Option<UnixTime> = None;
        let mut due_now: Vec<(UnixTime, &Account)> = Vec::new();
        for account in &accounts {
            let Some(token) = refreshable(account) else { continue };
            // Plan once per token (the jitter must not be drawn anew on every wake).
            let due = match planned.get(&account.id) {
                Some((expires, due)) if *expires == token.expires_at => *due,
                _ => {
                    let due = due_at(token).unwrap_or(now) - jitter(token);
                    planned.insert(account.id.clone(), (token.expires_at, due));
                    due
                }
            };
            let due = match backoff.get(&account.id) {
                Some((_, retry_at)) => due.max(*retry_at),
                None => due,
            };
            if due > now {
                next = Some(next.map_or(due, |n| n.min(due)));
            } else {
                due_now.push((due, account));
            }
        }
        if !due_now.is_empty() {
            // The most overdue first.
            due_now.sort_by_key(|(due, _)| *due);
            let due_now: Vec<Account> = due_now.into_iter().take(BATCH).map(|(_, a)| a.clone()).collect();
            let results = latch.refresh_many(&due_now, MAX_IN_FLIGHT).await;
            for (account, result) in due_now.iter().zip(results) {
                match result {
                    Ok(_) => {
                        backoff.remove(&account.id);
                        report(Event::Refreshed(account.id.clone()));
                    }
                    Err(Error::NeedsReconnect { reason, .. }) => {
                        backoff.remove(&account.id);
                        report(Event::NeedsReconnect(account.id.clone(), reason));
                    }
                    Err(error) => {
                        let attempts = backoff.get(&account.id).map_or(0, |(n, _)| *n);
                        let delay = backoff_rule.delay(attempts + 1, &error);
                        // The plan is in whole seconds: a second more keeps a
                        // provider's Retry-After from being cut short.
                        let margin = i64::from(error.retry_after().is_some());
                        let retry_at = crate::time::now() + delay.as_secs() as UnixTime + margin;
                        backoff.insert(account.id.clone(), (attempts + 1, retry_at));
                        report(Event::Failed {
                            account: account.id.clone(),
                            error,
                            retry_in: delay,
                        });
                    }
                }
            }
            // The batch changed the index: plan again from what it says now.
            continue;
        }
        let sleep = match next {
            Some(at) => Duration::from_secs((at - crate::time::now()).max(0) as u64),
            None => Duration::from_secs(24 * 3600),
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = wake.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(obtained: UnixTime, life: i64) -> TokenMeta {
        TokenMeta {
            obtained_at: obtained,
            expires_at: Some(obtained + life),
            has_refresh_token: true,
            ..Default::default()
        }
    }

    #[test]
    fn long_tokens_are_due_at_80_percent_of_their_life() {
        assert_eq!(due_at(&token(0, 86400)), Some(69120));
    }

    #[test]
    fn middling_tokens_are_due_five_minutes_before_expiry() {
        assert_eq!(due_at(&token(0, 1200)), Some(900));
    }

    #[test]
    fn short_tokens_are_due_at_half_their_life_not_in_a_loop() {
        assert_eq!(due_at(&token(1000, 20)), Some(1010));
        assert_eq!(due_at(&token(0, 0)), Some(0));
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_never_undercuts_retry_after() {
        let rule = Backoff::default();
        let network = Error::Network {
            provider: "PayU".into(),
            detail: "the connection broke".into(),
        };
        let secs = |failures, e: &Error| rule.delay(failures, e).as_secs();
        assert_eq!(
            [1, 2, 3, 6, 7, 40].map(|n| secs(n, &network)),
            [10, 20, 40, 320, 600, 600]
        );
        let refused = Error::refused("PayU", "invalid_client", "x", "y");
        assert_eq!(secs(1, &refused), 600, "not transient: the longest wait");
        let limited = |retry_after| Error::RateLimited {
            provider: "PayU".into(),
            retry_after,
        };
        assert_eq!(secs(1, &limited(Some(45))), 45, "Retry-After beyond the backoff");
        assert_eq!(secs(3, &limited(Some(5))), 40, "the backoff beyond Retry-After");
        assert_eq!(secs(1, &limited(Some(3600))), 3600, "even beyond the cap");
        assert_eq!(secs(1, &limited(None)), 10, "a 429 is transient");
    }

    #[test]
    fn jitter_is_small_and_bounded() {
        for _ in 0..100 {
            let j = jitter(&token(0, 86400));
            assert!((0..=30).contains(&j));
            assert_eq!(jitter(&token(0, 10)), 0);
        }
    }

    #[test]
    fn a_refresh_token_near_its_end_is_warned_of_three_days_or_a_fifth_of_its_life_ahead() {
        let mut t = token(0, 300);
        assert_eq!(refresh_warning_at(&t), None, "no known end, no warning");
        t.refresh_expires_at = Some(30 * 24 * 3600);
        assert_eq!(refresh_warning_at(&t), Some(27 * 24 * 3600));
        t.refresh_expires_at = Some(1800); // Keycloak's default SSO session
        assert_eq!(refresh_warning_at(&t), Some(1440));
    }
}
