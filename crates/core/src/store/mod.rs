//! The store: secrets in the OS keyring, everything else in an index file.
//!
//! [`SecretStore`] is the one interface to where secrets live. The real one is
//! the OS keyring ([`KeyringStore`]); [`MemoryStore`] stands in for it in fast
//! unit tests. [`Index`] is the non-secret half of every account, in
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

pub use facade::{AccountLock, Store, StoreError};
pub use index::{Index, IndexError};
pub use keyring::{KeyringStore, KeyringTrouble, SERVICE, TroubleKind};
pub use lock::{DEFAULT_LOCK_TIMEOUT, FileLock, LockError};
pub use memory::MemoryStore;

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
}

/// Where an account's secrets live: one entry per account.
pub trait SecretStore: Send + Sync {
    fn get(&self, id: &AccountId) -> Result<Option<AccountSecrets>, SecretStoreError>;
    fn put(&self, id: &AccountId, secrets: &AccountSecrets) -> Result<(), SecretStoreError>;
    /// Deleting an entry that does not exist is not an error.
    fn delete(&self, id: &AccountId) -> Result<(), SecretStoreError>;
}
