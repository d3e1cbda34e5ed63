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
pub use vault::{VaultAuth, VaultError, VaultSettings, VaultStore};

use crate::model::{AccountId, AccountSecrets};

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
}
