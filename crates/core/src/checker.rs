//! Known to work, not just unexpired: while the window runs, every account
//! that holds a credential is asked about at its provider now and then
//! ([`crate::Latch::check`]: the provider's test call, one refresh and one
//! retry on a 401). A token the provider killed (Wordapp invalidates the
//! previous token when the same user signs in elsewhere) is found before a
//! script trips on it, and the account turns to "needs reconnect".
//!
//! The calls are paced per server: at most one test call a second to any
//! one API server ([`MIN_GAP`]), which keeps within GREEN-API's documented
//! one request per second per instance and is gentle to the others, whose
//! limits are not documented. A round is sequential; accounts on different
//! servers do not wait for each other's gap.

use crate::error::Error;
use crate::latch::Latch;
use crate::model::{Account, AccountId, AccountStatus};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// How often the window checks every account.
pub const CHECK_EVERY: Duration = Duration::from_secs(30 * 60);
/// The least time between two test calls to one API server.
pub const MIN_GAP: Duration = Duration::from_secs(1);

/// Which accounts a round asks about: those that hold a credential.
pub fn checkable(account: &Account) -> bool {
    matches!(account.status, AccountStatus::Connected | AccountStatus::Linked)
        && account.settings.provider().probe_target().is_some()
}

/// Keeps [`MIN_GAP`] between calls to one server.
#[derive(Default)]
pub struct Pacer {
    last: HashMap<String, Instant>,
}

impl Pacer {
    /// Waits until a call to `server` keeps the gap, and records it.
    pub async fn wait(&mut self, server: &str, gap: Duration) {
        if let Some(last) = self.last.get(server) {
            tokio::time::sleep_until(*last + gap).await;
        }
        self.last.insert(server.to_owned(), Instant::now());
    }

    /// Records that the call to `server` has been answered: the gap runs
    /// from then, so the next call cannot reach the server within the gap
    /// of this one, however late this one arrived there (a new connection)
    /// and however early the next (a reused one).
    pub fn done(&mut self, server: &str) {
        self.last.insert(server.to_owned(), Instant::now());
    }
}

/// The server an account's test call goes to, for pacing.
fn server(account: &Account) -> String {
    account
        .settings
        .provider()
        .api_base()
        .map(|base| crate::binding::origin(&base))
        .unwrap_or_else(|_| account.id.to_string())
}

/// Checks every [`checkable`] account once, paced; `report` hears each result.
pub async fn round(latch: &Latch, pacer: &mut Pacer, mut report: impl FnMut(&AccountId, &Result<(), Error>)) {
    let accounts = latch.accounts().unwrap_or_default();
    for account in accounts.iter().filter(|a| checkable(a)) {
        let server = server(account);
        pacer.wait(&server, MIN_GAP).await;
        let result = latch.check(account).await;
        pacer.done(&server);
        report(&account.id, &result);
    }
}

/// Checks every account every `every`, for as long as it runs.
pub async fn run(latch: &Latch, every: Duration, mut report: impl FnMut(&AccountId, &Result<(), Error>)) {
    let mut pacer = Pacer::default();
    loop {
        tokio::time::sleep(every).await;
        round(latch, &mut pacer, &mut report).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two calls to one server are a gap apart; another server does not wait.
    #[tokio::test(start_paused = true)]
    async fn calls_to_one_server_keep_the_gap_and_others_do_not_wait() {
        let mut pacer = Pacer::default();
        let start = Instant::now();
        pacer.wait("https://7105.api.greenapi.com", MIN_GAP).await;
        pacer.wait("https://tech.wazzup24.com", MIN_GAP).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "first calls do not wait");
        pacer.wait("https://7105.api.greenapi.com", MIN_GAP).await;
        assert_eq!(start.elapsed(), MIN_GAP);
        tokio::time::advance(Duration::from_secs(5)).await;
        let later = Instant::now();
        pacer.wait("https://7105.api.greenapi.com", MIN_GAP).await;
        assert_eq!(later.elapsed(), Duration::ZERO, "the gap has long passed");
    }
}
