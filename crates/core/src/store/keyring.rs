//! [`KeyringStore`]: account secrets in the operating system's keyring.
//!
//! One entry per account: service `latch`, user = the account id, value = the
//! JSON of [`AccountSecrets`]. The entry is built through `keyring-core` with
//! the platform's own store crate — the Secret Service over pure-Rust D-Bus
//! (`zbus-secret-service-keyring-store`) on Linux and the BSDs, the Keychain on
//! macOS, the Credential Manager on Windows — exactly the stores the `keyring`
//! 4 façade picks. We hold the store ourselves instead of going through the
//! façade's process-global default: the façade connects once per process and
//! keeps a failure forever, while a GUI that was started before the keyring was
//! unlocked must recover on the next try. So a failed connection is dropped and
//! the next call connects again. The calls are synchronous D-Bus (or OS)
//! round trips of about a millisecond: async code wraps them in
//! `spawn_blocking`.
//!
//! Every way of not having a keyring becomes [`SecretStoreError::Unavailable`]
//! with a sentence that says what is wrong and how to fix it. There is no
//! fallback: a secret that cannot go into the keyring goes nowhere.
//!
//! One trap on Linux: gnome-keyring that was started but never unlocked has no
//! `default` collection yet, so a read finds nothing (`NoEntry`) and only the
//! first write fails. A "no entry" answer is therefore double-checked against
//! the state of the default collection before it is believed.

use super::{SecretStore, SecretStoreError};
use crate::model::{AccountId, AccountSecrets};
use keyring_core::{CredentialStore, Entry, Error as KeyringError};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// The keyring service name of every Latch entry.
pub const SERVICE: &str = "latch";

/// The OS keyring. Cheap to share: wrap it in an `Arc` once per process.
pub struct KeyringStore {
    /// `None` after a failure that suggests the connection is gone; the next
    /// call reconnects.
    store: Mutex<Option<Arc<CredentialStore>>>,
    /// For a data directory other than the default one (`LATCH_HOME`): its
    /// profile id, added to every entry's user (`<account>@<profile>`) so that
    /// two profiles with an account of the same id keep separate secrets.
    profile: Option<String>,
}

impl std::fmt::Debug for KeyringStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringStore")
            .field("service", &SERVICE)
            .finish_non_exhaustive()
    }
}

impl KeyringStore {
    /// Connects to the platform's keyring now, so that a missing keyring is
    /// reported when the program starts rather than at the first secret.
    pub fn connect() -> Result<Self, SecretStoreError> {
        let store = platform::connect().map_err(|e| unavailable(&e))?;
        Ok(Self {
            store: Mutex::new(Some(store)),
            profile: None,
        })
    }

    /// A store that connects at its first use: commands that read no secret
    /// (`latch accounts`) then work, and say nothing, without a keyring.
    pub fn lazy() -> Self {
        Self::lazy_in(None)
    }

    /// The same, for the entries of one profile (see `profile`).
    pub fn lazy_in(profile: Option<String>) -> Self {
        Self {
            store: Mutex::new(None),
            profile,
        }
    }

    /// The keyring user of an account's entry.
    fn user(&self, id: &AccountId) -> String {
        match &self.profile {
            Some(profile) => format!("{id}@{profile}"),
            None => id.to_string(),
        }
    }

    /// Checks that secrets can be read and written now: the keyring answers
    /// and (on Linux) its default collection exists and is unlocked.
    pub fn check(&self) -> Result<(), SecretStoreError> {
        self.store()?;
        platform::check_default_collection()
    }

    fn store(&self) -> Result<Arc<CredentialStore>, SecretStoreError> {
        let mut slot = self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(store) = slot.as_ref() {
            return Ok(store.clone());
        }
        let store = platform::connect().map_err(|e| unavailable(&e))?;
        *slot = Some(store.clone());
        Ok(store)
    }

    fn entry(&self, id: &AccountId) -> Result<Entry, SecretStoreError> {
        let store = self.store()?;
        let user = self.user(id);
        let modifiers = platform::modifiers(&user);
        let modifiers = modifiers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        store.build(SERVICE, &user, Some(&modifiers)).map_err(|e| self.fail(e))
    }

    /// Maps a keyring error, forgetting the connection when the error says
    /// the keyring went away.
    fn fail(&self, err: KeyringError) -> SecretStoreError {
        let mapped = map_error(err);
        if matches!(mapped, SecretStoreError::Unavailable(_)) {
            *self.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
        }
        mapped
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, id: &AccountId) -> Result<Option<AccountSecrets>, SecretStoreError> {
        let entry = self.entry(id)?;
        match entry.get_secret() {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|_| SecretStoreError::Corrupt(id.clone()))
            }
            Err(KeyringError::NoEntry) => {
                platform::check_default_collection()?;
                Ok(None)
            }
            Err(KeyringError::BadEncoding(bytes)) => {
                drop(Zeroizing::new(bytes));
                Err(SecretStoreError::Corrupt(id.clone()))
            }
            Err(err) => Err(self.fail(err)),
        }
    }

    fn put(&self, id: &AccountId, secrets: &AccountSecrets) -> Result<(), SecretStoreError> {
        let entry = self.entry(id)?;
        let json = Zeroizing::new(
            serde_json::to_vec(secrets)
                .map_err(|e| SecretStoreError::Refused(format!("cannot encode secrets: {e}")))?,
        );
        entry.set_secret(&json).map_err(|e| self.fail(e))
    }

    fn delete(&self, id: &AccountId) -> Result<(), SecretStoreError> {
        let entry = self.entry(id)?;
        match entry.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(err) => Err(self.fail(err)),
        }
    }
}

/// Turns a keyring error into ours. Platform errors carry D-Bus or OS
/// messages, never secret values; `BadEncoding`/`BadDataFormat` carry the
/// raw bytes, which are never printed.
fn map_error(err: KeyringError) -> SecretStoreError {
    match err {
        KeyringError::PlatformFailure(_) | KeyringError::NoStorageAccess(_) | KeyringError::NoDefaultStore => {
            unavailable(&err)
        }
        KeyringError::BadEncoding(bytes) | KeyringError::BadDataFormat(bytes, _) => {
            drop(Zeroizing::new(bytes));
            SecretStoreError::Refused("the keyring returned data Latch cannot read".into())
        }
        KeyringError::Ambiguous(entries) => SecretStoreError::Refused(format!(
            "the keyring holds {} entries for this account; remove the extra ones (e.g. with Seahorse or `secret-tool clear service latch username <id>`)",
            entries.len()
        )),
        other => SecretStoreError::Refused(other.to_string()),
    }
}

/// The plain sentence for "there is no usable keyring", chosen from what the
/// platform said.
fn unavailable(err: &KeyringError) -> SecretStoreError {
    let detail = match err {
        KeyringError::PlatformFailure(e) | KeyringError::NoStorageAccess(e) => e.to_string(),
        other => other.to_string(),
    };
    let locked = matches!(err, KeyringError::NoStorageAccess(_));
    SecretStoreError::Unavailable(platform::explain(&detail, locked))
}

#[cfg(all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))))]
mod platform {
    use super::*;
    use secret_service::EncryptionType;
    use secret_service::blocking::SecretService;

    pub(super) fn connect() -> Result<Arc<CredentialStore>, KeyringError> {
        Ok(zbus_secret_service_keyring_store::Store::new()?)
    }

    /// A label a person recognizes in Seahorse or KeePassXC.
    pub(super) fn modifiers(user: &str) -> Vec<(&'static str, String)> {
        vec![("label", format!("Latch: {user}"))]
    }

    const NEVER_ELSEWHERE: &str = "Latch never stores secrets anywhere else.";

    pub(super) fn explain(detail: &str, locked: bool) -> String {
        let bus_missing = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|a| a.is_empty())
            || ["Failed to connect", "No such file", "Connection refused"]
                .iter()
                .any(|n| detail.contains(n));
        let service_missing = ["was not provided", "ServiceUnknown", "NameHasNoOwner"]
            .iter()
            .any(|n| detail.contains(n));
        if locked {
            format!(
                "The system keyring is locked (or was never set up), so Latch cannot read or store secrets. \
                 Unlock it (log in to the desktop session, or unlock the login keyring in Passwords and Keys, \
                 or the database in KeePassXC) and try again. {NEVER_ELSEWHERE} ({detail})"
            )
        } else if service_missing {
            format!(
                "No keyring service (Secret Service) answers on this D-Bus session, so Latch has nowhere safe to \
                 keep secrets. Install and start gnome-keyring (`apt install gnome-keyring`), or enable the Secret \
                 Service integration in KeePassXC, then try again. {NEVER_ELSEWHERE} ({detail})"
            )
        } else if bus_missing {
            format!(
                "There is no D-Bus session, so Latch cannot reach the system keyring. Run Latch in a desktop \
                 session (or under `dbus-run-session`) with gnome-keyring or KeePassXC's Secret Service running \
                 and unlocked. {NEVER_ELSEWHERE} ({detail})"
            )
        } else {
            format!(
                "The system keyring (Secret Service) failed: {detail}. Check that gnome-keyring or KeePassXC's \
                 Secret Service integration is running and unlocked, then try again. {NEVER_ELSEWHERE}"
            )
        }
    }

    /// A never-unlocked gnome-keyring has no `default` collection, and a
    /// locked one refuses writes: both look like "no entry" to a read.
    pub(super) fn check_default_collection() -> Result<(), SecretStoreError> {
        let ss = SecretService::connect(EncryptionType::Plain)
            .map_err(|e| SecretStoreError::Unavailable(explain(&e.to_string(), false)))?;
        let locked = match ss.get_default_collection() {
            Ok(collection) => collection.is_locked().unwrap_or(true),
            Err(secret_service::Error::NoResult) => true,
            Err(e) => return Err(SecretStoreError::Unavailable(explain(&e.to_string(), false))),
        };
        if locked {
            return Err(SecretStoreError::Unavailable(explain(
                "the default collection is missing or locked",
                true,
            )));
        }
        Ok(())
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use super::*;

    pub(super) fn connect() -> Result<Arc<CredentialStore>, KeyringError> {
        Ok(apple_native_keyring_store::keychain::Store::new()?)
    }

    pub(super) fn modifiers(_user: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    pub(super) fn explain(detail: &str, _locked: bool) -> String {
        format!(
            "The macOS Keychain is not available ({detail}). Unlock your login keychain in Keychain Access \
             and try again. Latch never stores secrets anywhere else."
        )
    }

    pub(super) fn check_default_collection() -> Result<(), SecretStoreError> {
        Ok(())
    }
}

#[cfg(target_os = "windows")]
mod platform {
    use super::*;

    pub(super) fn connect() -> Result<Arc<CredentialStore>, KeyringError> {
        Ok(windows_native_keyring_store::Store::new()?)
    }

    pub(super) fn modifiers(_user: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    pub(super) fn explain(detail: &str, _locked: bool) -> String {
        format!("The Windows Credential Manager is not available ({detail}). Latch never stores secrets anywhere else.")
    }

    pub(super) fn check_default_collection() -> Result<(), SecretStoreError> {
        Ok(())
    }
}

#[cfg(not(any(
    all(unix, not(any(target_os = "macos", target_os = "ios", target_os = "android"))),
    target_os = "macos",
    target_os = "windows"
)))]
mod platform {
    use super::*;

    pub(super) fn connect() -> Result<Arc<CredentialStore>, KeyringError> {
        Err(KeyringError::NotSupportedByStore(
            "no OS keyring is known on this platform".into(),
        ))
    }

    pub(super) fn modifiers(_user: &str) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    pub(super) fn explain(detail: &str, _locked: bool) -> String {
        format!("This platform has no OS keyring Latch can use ({detail}).")
    }

    pub(super) fn check_default_collection() -> Result<(), SecretStoreError> {
        Ok(())
    }
}
