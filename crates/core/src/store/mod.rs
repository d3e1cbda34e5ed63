//! The store: secrets in the OS keyring, everything else in an index file.
//!
//! [`SecretStore`] is the one interface to where secrets live. The real one is
//! the OS keyring ([`KeyringStore`]); [`MemoryStore`] stands in for it in fast
//! unit tests. [`VaultStore`] keeps them in an OpenBao / HashiCorp Vault
//! KV v2 mount, for accounts shared across machines. [`Index`] is the non-secret half of every account, in
//! `index.json`. [`Store`] joins the two for the GUI and the CLI, and hands
//! out the per-account lock that keeps two processes from refreshing the same
//! account at once.

mod facade;
pub mod index;
mod keyring;
pub mod lock;
mod memory;
pub(crate) mod private;
pub mod profile;
pub mod vault;

pub use facade::{AccountLock, Store, StoreError};
pub use index::{Index, IndexError};
pub use keyring::{KeyringStore, KeyringTrouble, SERVICE, TroubleKind};
pub use lock::{DEFAULT_LOCK_TIMEOUT, FileLock, LockError};
pub use memory::MemoryStore;
pub use vault::{VaultAuth, VaultCredential, VaultError, VaultSettings, VaultStore};

use crate::model::{AccountId, AccountSecrets, UnixTime};
use serde::{Deserialize, Serialize};

/// Why a secret could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    /// No usable keyring: no D-Bus session, no Secret Service, or locked.
    /// The message says what is wrong and how to fix it.
    #[error("{0}")]
    Unavailable(String),
    /// The keyring answered, but the operation failed.
    #[error("the keyring refused: {0}")]
    Refused(String),
    /// An entry exists but does not parse as Latch's secrets.
    #[error("the keyring entry for {0} is not Latch's format; remove it with `latch remove {0}`")]
    Corrupt(AccountId),
    /// An OpenBao / Vault store could not be used: sealed, unreachable, a
    /// refused token, a missing policy, a KV v1 mount, a lost check-and-set.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl SecretStoreError {
    /// Whether a check-and-set write lost to another writer
    /// ([`VaultStore::put_cas`]): read again and decide again.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Vault(VaultError::Conflict { .. }))
    }
}

/// Where an account's secrets live: one entry per account.
pub trait SecretStore: Send + Sync {
    fn get(&self, id: &AccountId) -> Result<Option<AccountSecrets>, SecretStoreError>;
    fn put(&self, id: &AccountId, secrets: &AccountSecrets) -> Result<(), SecretStoreError>;
    /// Deleting an entry that does not exist is not an error.
    fn delete(&self, id: &AccountId) -> Result<(), SecretStoreError>;
    /// A store that other machines use too (Vault): its entries carry a
    /// version, a refresh lease and who refreshed last, and the refresh
    /// takes the lease by check-and-set before it sends anything.
    fn shared(&self) -> Option<&dyn SharedSecrets> {
        None
    }
    /// The credential saved for the named Vault store `store` (the OS
    /// keyring keeps it beside the accounts' entries), `None` if none is.
    fn vault_credential(&self, _store: &str) -> Result<Option<VaultCredential>, SecretStoreError> {
        Ok(None)
    }
    fn put_vault_credential(&self, _store: &str, _credential: &VaultCredential) -> Result<(), SecretStoreError> {
        Err(SecretStoreError::Refused(
            "this secret store cannot keep a Vault credential".into(),
        ))
    }
    fn delete_vault_credential(&self, _store: &str) -> Result<(), SecretStoreError> {
        Ok(())
    }
}

/// Who did something to a shared account, and on which machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub by: String,
    pub machine: String,
}

impl Holder {
    /// This process's user and machine: `$USER` (or `$LOGNAME`) and the host name.
    pub fn here() -> Self {
        let by = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| "someone".into());
        let machine = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "an unnamed machine".into());
        // `LATCH_MACHINE` names the machine where the host name says nothing
        // (containers, and the tests' two "machines" on one host).
        let machine = std::env::var("LATCH_MACHINE")
            .ok()
            .filter(|m| !m.trim().is_empty())
            .unwrap_or(machine);
        Self { by, machine }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on {}", self.by, self.machine)
    }
}

/// The right to refresh a shared account until `until`, taken by
/// check-and-set: whoever holds a live lease is the only one who sends the
/// refresh token. A lease past `until` belongs to a process that died.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    #[serde(flatten)]
    pub holder: Holder,
    /// A random id of the process that took it: two processes of one user on
    /// one machine are still two holders.
    pub nonce: String,
    pub until: UnixTime,
}

/// The last refresh of a shared account: who, where, when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Refreshed {
    pub by: String,
    pub machine: String,
    pub at: UnixTime,
}

/// One shared entry as read: its secrets, the version a check-and-set
/// write must name, and the lease and last refresh it records.
#[derive(Clone, Debug, Default)]
pub struct SharedEntry {
    pub secrets: Option<AccountSecrets>,
    /// 0: there never was an entry.
    pub version: u64,
    pub lease: Option<Lease>,
    pub refreshed: Option<Refreshed>,
    /// The account's settings (never secret), so that another machine can
    /// add the account from the store alone (`latch store attach`).
    pub account: Option<crate::model::Account>,
}

/// The versioned side of a shared store ([`SecretStore::shared`]).
pub trait SharedSecrets: Send + Sync {
    fn read_shared(&self, id: &AccountId) -> Result<SharedEntry, SecretStoreError>;
    /// Writes the entry only if it is still at `version`; returns the new
    /// version, or a conflict ([`SecretStoreError::is_conflict`]).
    /// `entry.secrets` `None` writes an empty set.
    fn write_shared(&self, id: &AccountId, entry: &SharedEntry, version: u64) -> Result<u64, SecretStoreError>;
}
