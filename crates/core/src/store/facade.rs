//! [`Store`]: the one door the GUI and the CLI use to accounts and secrets.
//!
//! It joins the two halves of an account — the index file for what is not
//! secret, a [`SecretStore`] for what is — and keeps them consistent:
//! `put_secrets` also records the token's non-secret meta (expiry, scope) in the
//! index so the list never has to open the keyring; `remove_account` deletes the
//! keyring entry before the index row, so a failure never orphans a secret.
//!
//! Several processes share one data directory (the GUI stays up while scripts
//! run `latch token`), so:
//! - every read checks whether `index.json` changed on disk (inode, size,
//!   modification time) and re-reads it if so — a refresh done by the CLI shows
//!   in the GUI without a restart;
//! - every change is a read-modify-write under the index lock
//!   (`index.json.lock`), so two processes never lose each other's edits;
//! - [`Store::lock_account`] gives the per-account lock callers hold around a
//!   refresh (`locks/<id>.lock`). Lock order: account lock, then index
//!   lock, never the reverse.
//!
//! Everything here is synchronous and may block (the keyring is a D-Bus
//! round trip; a lock may wait for another process): async callers use
//! `tokio::task::spawn_blocking`.

use super::index::{FILE_NAME, Index, IndexError, NamedStore};
use super::lock::{DEFAULT_LOCK_TIMEOUT, FileLock, LockError};
use super::vault::{ADDR_ENV, TOKEN_ENV};
use super::{KeyringStore, SecretStore, SecretStoreError, VaultAuth, VaultError, VaultSettings, VaultStore};
use crate::model::{Account, AccountId, AccountSecrets};
use crate::secret::{VaultSecretId, VaultToken};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// How long a change waits for another process's index write (milliseconds
/// in practice).
const INDEX_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a store operation failed. Each message is meant for the person.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Secrets(#[from] SecretStoreError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("there is no account `{0}`; `latch accounts` lists them")]
    UnknownAccount(AccountId),
    #[error("cannot use the data directory {path}: {source}")]
    Home { path: PathBuf, source: std::io::Error },
    #[error("cannot find a data directory for Latch: set LATCH_HOME to a directory")]
    NoHome,
    /// The account's endpoints cannot be read, so its secrets cannot be bound to them.
    #[error("{0}")]
    Unbindable(String),
    /// The data directory, its index or its locks could be changed by
    /// someone else: the sentence says which and how to fix it.
    #[error("{0}")]
    NotPrivate(String),
}

impl From<VaultError> for StoreError {
    fn from(e: VaultError) -> Self {
        Self::Secrets(e.into())
    }
}

/// Held while an account is being refreshed (or otherwise changed in a way
/// that must not interleave with another process). Dropping it releases it.
#[derive(Debug)]
pub struct AccountLock {
    id: AccountId,
    _lock: FileLock,
}

impl AccountLock {
    pub fn account(&self) -> &AccountId {
        &self.id
    }
}

/// Accounts and their secrets, shared by every Latch process of one data directory.
pub struct Store {
    home: PathBuf,
    index_path: PathBuf,
    /// The OS keyring: every account's secrets unless its `store` names a
    /// Vault store, and the Vault stores' saved credentials.
    secrets: Arc<dyn SecretStore>,
    /// The named Vault stores opened so far, by name.
    vaults: Mutex<HashMap<String, Arc<VaultStore>>>,
    cache: Mutex<Cache>,
}

/// An AppRole's role id for a named store, read where `VAULT_TOKEN` is not set.
pub const ROLE_ID_ENV: &str = "VAULT_ROLE_ID";
/// An AppRole's secret id, with [`ROLE_ID_ENV`].
pub const SECRET_ID_ENV: &str = "VAULT_SECRET_ID";

/// The index as last read, and how the file looked then.
struct Cache {
    index: Index,
    stamp: Option<Stamp>,
}

/// What identifies one version of the file: a rename gives a new inode, a
/// write a new size or time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Stamp {
    inode: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the data directory: `home` if given, else
    /// [`Store::default_home`]. Refuses one that is not the person's own
    /// (`store::private`). Reads the index now, so a damaged or too-new
    /// index is reported at start-up.
    pub fn open(home: Option<PathBuf>, secrets: Arc<dyn SecretStore>) -> Result<Self, StoreError> {
        let home = match home {
            Some(home) => home,
            None => Self::default_home()?,
        };
        super::private::open_home(&home)?;
        let index_path = home.join(FILE_NAME);
        let store = Self {
            home,
            index_path,
            secrets,
            vaults: Mutex::new(HashMap::new()),
            cache: Mutex::new(Cache {
                index: Index::default(),
                stamp: None,
            }),
        };
        {
            // A migration writes the file: do it under the index lock.
            let _lock = store.index_lock()?;
            drop(store.fresh()?);
        }
        Ok(store)
    }

    /// `LATCH_HOME` if set, else the platform's data directory + `latch`
    /// (`$XDG_DATA_HOME/latch` or `~/.local/share/latch` on Linux).
    pub fn default_home() -> Result<PathBuf, StoreError> {
        match std::env::var_os("LATCH_HOME") {
            Some(home) if !home.is_empty() => Ok(PathBuf::from(home)),
            _ => dirs::data_dir().map(|d| d.join("latch")).ok_or(StoreError::NoHome),
        }
    }

    /// The OS keyring, connected now: an `Unavailable` error here carries the
    /// sentence to show (what is wrong, how to fix it).
    pub fn default_secret_store() -> Result<Arc<dyn SecretStore>, SecretStoreError> {
        Ok(Arc::new(KeyringStore::connect()?))
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn index_path(&self) -> &Path {
        &self.index_path
    }

    /// Every account, as the index on disk holds it now.
    pub fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        Ok(self.fresh()?.index.accounts.clone())
    }

    pub fn account(&self, id: &AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.fresh()?.index.get(id).cloned())
    }

    /// Adds the account, or replaces the one with the same id.
    pub fn upsert_account(&self, account: &Account) -> Result<(), StoreError> {
        self.change(|index| {
            index.upsert(account.clone());
            Ok(())
        })
    }

    /// Edits many accounts in one read-modify-write of the index (one file
    /// write however many accounts change): the scheduler records a batch of
    /// refreshes this way.
    pub fn update_accounts<T>(&self, edit: impl FnOnce(&mut Vec<Account>) -> T) -> Result<T, StoreError> {
        self.change(|index| Ok(edit(&mut index.accounts)))
    }

    /// Deletes the account's keyring entry, then its index row. Returns
    /// whether the account was in the index. An account in a shared store
    /// keeps its entry there (other machines use it): only its row goes;
    /// [`Store::delete_shared_secrets`] is the explicit choice.
    pub fn remove_account(&self, id: &AccountId) -> Result<bool, StoreError> {
        let shared = self.account(id)?.is_some_and(|a| a.store.is_some());
        if !shared {
            self.secrets.delete(id)?;
        }
        self.change(|index| Ok(index.remove(id).is_some()))
    }

    /// Deletes a shared account's entry from its Vault store, every version.
    pub fn delete_shared_secrets(&self, account: &Account) -> Result<(), StoreError> {
        Ok(self.secrets_for(account)?.delete(&account.id)?)
    }

    /// The account's secrets, `None` if it has none yet.
    pub fn secrets(&self, id: &AccountId) -> Result<Option<AccountSecrets>, StoreError> {
        Ok(self.secrets_of(id)?.get(id)?)
    }

    /// Where the account's secrets live: the OS keyring, or the Vault store
    /// its `store` names (opened on first use, with the credential the
    /// environment or the keyring has for it).
    pub fn secrets_for(&self, account: &Account) -> Result<Arc<dyn SecretStore>, StoreError> {
        match &account.store {
            None => Ok(self.secrets.clone()),
            Some(name) => Ok(self.vault(name)?),
        }
    }

    fn secrets_of(&self, id: &AccountId) -> Result<Arc<dyn SecretStore>, StoreError> {
        match self.account(id)? {
            Some(account) => self.secrets_for(&account),
            None => Ok(self.secrets.clone()),
        }
    }

    /// The OS keyring (its half of the store, whatever the accounts use).
    pub fn keyring(&self) -> &Arc<dyn SecretStore> {
        &self.secrets
    }

    /// The named stores in the settings.
    pub fn stores(&self) -> Result<Vec<NamedStore>, StoreError> {
        Ok(self.fresh()?.index.stores.clone())
    }

    /// Adds a named store, or replaces the one of that name.
    pub fn put_store(&self, store: &NamedStore) -> Result<(), StoreError> {
        NamedStore::check_name(&store.name).map_err(|e| StoreError::Secrets(VaultError::Settings(e).into()))?;
        store.settings()?;
        self.change(|index| {
            match index.stores.iter_mut().find(|s| s.name == store.name) {
                Some(slot) => *slot = store.clone(),
                None => index.stores.push(store.clone()),
            }
            Ok(())
        })?;
        self.forget_vault(&store.name);
        Ok(())
    }

    /// Removes a named store that no account uses, and its saved credential.
    pub fn remove_store(&self, name: &str) -> Result<bool, StoreError> {
        let removed = self.change(|index| {
            let users: Vec<String> = index
                .accounts
                .iter()
                .filter(|a| a.store.as_deref() == Some(name))
                .map(|a| a.id.to_string())
                .collect();
            if !users.is_empty() {
                return Err(StoreError::Secrets(
                    VaultError::Settings(format!(
                        "The store `{name}` keeps the secrets of {}; move them first (`latch edit ID --store \
                         keyring`) or remove those accounts.",
                        users.join(", ")
                    ))
                    .into(),
                ));
            }
            let before = index.stores.len();
            index.stores.retain(|s| s.name != name);
            Ok(index.stores.len() != before)
        })?;
        self.forget_vault(name);
        if removed {
            // A keyring that is not there keeps nothing to delete.
            match self.secrets.delete_vault_credential(name) {
                Ok(()) | Err(SecretStoreError::Unavailable(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(removed)
    }

    /// Forgets the opened client of a store (its credential changed).
    pub fn forget_vault(&self, name: &str) {
        self.vaults.lock().unwrap_or_else(|p| p.into_inner()).remove(name);
    }

    /// The named Vault store, opened once per process.
    pub fn vault(&self, name: &str) -> Result<Arc<VaultStore>, StoreError> {
        if let Some(vault) = self.vaults.lock().unwrap_or_else(|p| p.into_inner()).get(name) {
            return Ok(vault.clone());
        }
        let Some(named) = self.stores()?.into_iter().find(|s| s.name == name) else {
            return Err(StoreError::Secrets(
                VaultError::Settings(format!(
                    "The store `{name}` is not in this Latch's settings; add it with `latch store add {name} \
                     --address https://…` (`latch store list` shows the stores there are)."
                ))
                .into(),
            ));
        };
        let settings = named.settings()?;
        let auth = self.vault_auth(&named, &settings, |v| std::env::var_os(v))?;
        let http = crate::http::HttpConfig::from_env().unwrap_or_default();
        let vault = Arc::new(VaultStore::new(settings, auth, http)?);
        self.vaults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_owned(), vault.clone());
        Ok(vault)
    }

    /// The credential for a named store: `VAULT_TOKEN` (or an AppRole's
    /// `VAULT_ROLE_ID` and `VAULT_SECRET_ID`) when `VAULT_ADDR` is unset or
    /// names this store's server, else the one saved in the keyring. A token
    /// meant for another server (`VAULT_ADDR` elsewhere) is never sent here.
    pub fn vault_auth(
        &self,
        named: &NamedStore,
        settings: &VaultSettings,
        var: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<VaultAuth, StoreError> {
        let text = |name: &str| {
            var(name)
                .map(|v| v.to_string_lossy().trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let elsewhere = text(ADDR_ENV).filter(|addr| {
            url::Url::parse(addr)
                .map(|u| u.origin().ascii_serialization() != settings.origin())
                .unwrap_or(true)
        });
        let from_env = if elsewhere.is_none() {
            match (text(TOKEN_ENV), text(ROLE_ID_ENV), text(SECRET_ID_ENV)) {
                (Some(token), _, _) => Some(VaultAuth::Token(VaultToken::new(token))),
                (None, Some(role), Some(secret)) => Some(VaultAuth::app_role(role, VaultSecretId::new(secret))),
                _ => None,
            }
        } else {
            None
        };
        if let Some(auth) = from_env {
            return Ok(auth);
        }
        let saved = self.secrets.vault_credential(&named.name);
        if let Ok(Some(credential)) = &saved {
            return Ok(credential.auth());
        }
        let name = &named.name;
        let mut why = format!(
            "Latch has no credential for the store `{name}` ({}): set {TOKEN_ENV} (or {ROLE_ID_ENV} and \
             {SECRET_ID_ENV} for an AppRole), or save one in the keyring with `latch store login {name}`.",
            settings.origin()
        );
        if let (Some(addr), Some(_)) = (&elsewhere, text(TOKEN_ENV).or(text(ROLE_ID_ENV))) {
            let addr: String = addr.chars().filter(|c| !c.is_control()).take(80).collect();
            why.push_str(&format!(
                " The credential in the environment was not used: {ADDR_ENV} names {addr}, not this store's \
                 server, and Latch sends a Vault credential only to the server it is for."
            ));
        }
        if let Err(SecretStoreError::Unavailable(keyring)) = saved {
            why.push_str(&format!(" (The keyring could not be asked: {keyring})"));
        }
        Err(StoreError::Secrets(VaultError::Settings(why).into()))
    }

    /// Writes the account's secrets to the keyring and then the non-secret
    /// meta of its token set to the index. The account must exist. Secrets
    /// that are not bound to servers yet are bound to the account's
    /// (see [`crate::binding`]); a record they carry is kept as it is.
    pub fn put_secrets(&self, id: &AccountId, secrets: &AccountSecrets) -> Result<(), StoreError> {
        let Some(account) = self.account(id)? else {
            return Err(StoreError::UnknownAccount(id.clone()));
        };
        let mut secrets = secrets.clone();
        crate::binding::bind_if_unbound(&account, &mut secrets).map_err(|e| StoreError::Unbindable(e.to_string()))?;
        self.secrets_for(&account)?.put(id, &secrets)?;
        let meta = secrets.tokens.as_ref().map(|t| t.meta());
        self.change(|index| {
            let account = index.accounts.iter_mut().find(|a| &a.id == id);
            let account = account.ok_or_else(|| StoreError::UnknownAccount(id.clone()))?;
            account.token = meta;
            Ok(())
        })
    }

    /// Waits (up to [`DEFAULT_LOCK_TIMEOUT`]) until no other thread or
    /// process holds the account, then holds it until the guard is dropped.
    /// After getting it, re-read the account: another holder may have just
    /// refreshed it.
    pub fn lock_account(&self, id: &AccountId) -> Result<AccountLock, StoreError> {
        self.lock_account_for(id, DEFAULT_LOCK_TIMEOUT)
    }

    pub fn lock_account_for(&self, id: &AccountId, timeout: Duration) -> Result<AccountLock, StoreError> {
        let path = self.home.join("locks").join(format!("{id}.lock"));
        let lock = FileLock::acquire(&path, &format!("account `{id}`"), timeout)?;
        Ok(AccountLock {
            id: id.clone(),
            _lock: lock,
        })
    }

    fn index_lock(&self) -> Result<FileLock, StoreError> {
        // Beside the index, not in `locks/`: an account may be called `index`.
        let path = self.home.join("index.json.lock");
        Ok(FileLock::acquire(&path, "the account index", INDEX_LOCK_TIMEOUT)?)
    }

    /// The cache, re-read first if the file changed since it was read.
    fn fresh(&self) -> Result<MutexGuard<'_, Cache>, StoreError> {
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let stamp = self.stamp()?;
        if stamp != cache.stamp || stamp.is_none() {
            cache.index = Index::load(&self.index_path)?.index;
            // Stamp after reading: a migration or a set-aside changed the file.
            cache.stamp = self.stamp()?;
        }
        Ok(cache)
    }

    /// Read-modify-write of the index under the index lock.
    fn change<T>(&self, edit: impl FnOnce(&mut Index) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let _lock = self.index_lock()?;
        Index::remove_stale_temp_files(&self.home);
        let mut cache = self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Always re-read under the lock: a stamp can repeat (a freed inode
        // reused within one clock tick), and a lost update loses an account.
        let mut index = Index::load(&self.index_path)?.index;
        let out = edit(&mut index)?;
        index.save(&self.index_path)?;
        cache.index = index;
        cache.stamp = self.stamp()?;
        Ok(out)
    }

    fn stamp(&self) -> Result<Option<Stamp>, StoreError> {
        match std::fs::metadata(&self.index_path) {
            Ok(meta) => Ok(Some(Stamp {
                inode: inode(&meta),
                len: meta.len(),
                modified: meta.modified().ok(),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(IndexError::Io {
                action: "read",
                path: self.index_path.clone(),
                source,
            }
            .into()),
        }
    }
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}
