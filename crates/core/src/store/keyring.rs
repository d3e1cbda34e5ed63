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
//! Each of those sentences is a [`KeyringTrouble`]: what was found, what to
//! do, and the platform's own words, so `latch doctor` can show the parts
//! ([`KeyringStore::diagnose`]) where an error shows the whole sentence.
//!
//! One trap on Linux: gnome-keyring that was started but never unlocked has no
//! `default` collection yet, so a read finds nothing (`NoEntry`) and only the
//! first write fails. A "no entry" answer is therefore double-checked against
//! the state of the default collection before it is believed.

use super::{SecretStore, SecretStoreError, VaultCredential};
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
        Ok(platform::check_default_collection()?)
    }

    /// `latch doctor`'s question: can secrets be kept now? Connects afresh,
    /// checks the default collection, then writes, reads back and deletes a
    /// test entry. Its user, `doctor:<random>`, has a `:`, which no account
    /// id (nor `<id>@<profile>`) has, so no account's entry is ever touched.
    pub fn diagnose() -> Result<(), KeyringTrouble> {
        let store = platform::connect().map_err(|e| trouble(&e))?;
        platform::check_default_collection()?;
        let user = format!("doctor:{}", random_hex());
        let modifiers = platform::modifiers(&user);
        let modifiers = modifiers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let entry = store.build(SERVICE, &user, Some(&modifiers)).map_err(trouble_of)?;
        const PROBE: &[u8] = b"latch doctor test entry";
        entry.set_secret(PROBE).map_err(trouble_of)?;
        let read = entry.get_secret().map(Zeroizing::new);
        let removed = entry.delete_credential();
        match (read, removed) {
            (Ok(bytes), Ok(())) if bytes.as_slice() == PROBE => Ok(()),
            (Ok(_), Ok(())) => Err(KeyringTrouble::failed(
                "The system keyring gave back something else than the test entry Latch wrote",
                "the keyring returned other bytes than were stored".into(),
            )),
            (Err(e), _) => Err(trouble_of(e)),
            (Ok(_), Err(e)) => Err(KeyringTrouble {
                fix: format!(
                    "remove it with `secret-tool clear service {SERVICE} username {user}`, and check that the \
                     keyring lets Latch delete entries"
                ),
                ..KeyringTrouble::failed(
                    "The system keyring kept a test entry Latch asked it to delete",
                    map_error(e).to_string(),
                )
            }),
        }
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
        self.entry_of(self.user(id))
    }

    /// The entry of a named Vault store's credential: its user,
    /// `vault:<store>`, has a `:`, which no account id has.
    fn credential_entry(&self, store: &str) -> Result<Entry, SecretStoreError> {
        let user = match &self.profile {
            Some(profile) => format!("vault:{store}@{profile}"),
            None => format!("vault:{store}"),
        };
        self.entry_of(user)
    }

    fn entry_of(&self, user: String) -> Result<Entry, SecretStoreError> {
        let store = self.store()?;
        let modifiers = platform::modifiers(&user);
        let modifiers = modifiers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        store.build(SERVICE, &user, Some(&modifiers)).map_err(|e| self.fail(e))
    }

    /// Writes `value` as JSON into `entry`, the bytes wiped after.
    fn set_json(&self, entry: &Entry, value: &impl serde::Serialize, what: &str) -> Result<(), SecretStoreError> {
        let json = Zeroizing::new(
            serde_json::to_vec(value).map_err(|e| SecretStoreError::Refused(format!("cannot encode {what}: {e}")))?,
        );
        entry.set_secret(&json).map_err(|e| self.fail(e))
    }

    /// Deletes `entry`; one that is not there is not an error.
    fn remove(&self, entry: &Entry) -> Result<(), SecretStoreError> {
        match entry.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(err) => Err(self.fail(err)),
        }
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
        self.set_json(&self.entry(id)?, secrets, "secrets")
    }

    fn delete(&self, id: &AccountId) -> Result<(), SecretStoreError> {
        self.remove(&self.entry(id)?)
    }

    fn vault_credential(&self, store: &str) -> Result<Option<VaultCredential>, SecretStoreError> {
        let entry = self.credential_entry(store)?;
        match entry.get_secret() {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                serde_json::from_slice(&bytes).map(Some).map_err(|_| {
                    SecretStoreError::Refused(format!(
                        "the keyring's credential for the Vault store `{store}` is not Latch's format; save it \
                         again with `latch store login {store}`"
                    ))
                })
            }
            Err(KeyringError::NoEntry) => Ok(None),
            Err(err) => Err(self.fail(err)),
        }
    }

    fn put_vault_credential(&self, store: &str, credential: &VaultCredential) -> Result<(), SecretStoreError> {
        self.set_json(&self.credential_entry(store)?, credential, "the credential")
    }

    fn delete_vault_credential(&self, store: &str) -> Result<(), SecretStoreError> {
        self.remove(&self.credential_entry(store)?)
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
    trouble(err).into()
}

/// What is wrong, chosen from what the platform said.
fn trouble(err: &KeyringError) -> KeyringTrouble {
    let detail = match err {
        KeyringError::PlatformFailure(e) | KeyringError::NoStorageAccess(e) => e.to_string(),
        other => other.to_string(),
    };
    let locked = matches!(err, KeyringError::NoStorageAccess(_));
    platform::explain(&detail, locked)
}

/// The same for any error of an operation: the keyring may also answer and
/// refuse (`map_error`'s words, never the bytes).
fn trouble_of(err: KeyringError) -> KeyringTrouble {
    match err {
        KeyringError::PlatformFailure(_) | KeyringError::NoStorageAccess(_) | KeyringError::NoDefaultStore => {
            trouble(&err)
        }
        other => KeyringTrouble::failed("The system keyring refused a test entry", map_error(other).to_string()),
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 6];
    // Without a random source the user is still one no account can have.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why the keyring cannot be used, in a person's words. Its `Display` is the
/// sentence [`SecretStoreError::Unavailable`] carries; `latch doctor` shows
/// `found` and `fix` apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyringTrouble {
    pub kind: TroubleKind,
    /// What is wrong, as a sentence without its full stop: "There is no D-Bus session".
    pub found: String,
    /// What to do, starting in lower case: "run Latch in a desktop session …".
    pub fix: String,
    /// What the platform said (D-Bus or OS text, never a secret).
    pub detail: String,
}

/// The ways of not having a keyring that a person fixes differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TroubleKind {
    /// No D-Bus session to ask (Linux).
    NoSession,
    /// A session, but no Secret Service on it (Linux).
    NoService,
    /// The keyring (its default collection) is locked or was never set up.
    Locked,
    /// Anything else the keyring said.
    Failed,
}

impl KeyringTrouble {
    fn failed(found: &str, detail: String) -> Self {
        Self {
            kind: TroubleKind::Failed,
            found: found.into(),
            fix: platform::CHECK_IT.into(),
            detail,
        }
    }

    fn consequence(&self) -> &'static str {
        match self.kind {
            TroubleKind::NoSession => "Latch cannot reach the system keyring",
            TroubleKind::NoService => "Latch has nowhere safe to keep secrets",
            TroubleKind::Locked | TroubleKind::Failed => "Latch cannot read or store secrets",
        }
    }
}

impl std::fmt::Display for KeyringTrouble {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut fix = self.fix.chars();
        let first = fix.next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
        write!(
            f,
            "{}, so {}. {first}{}, then try again. Latch never stores secrets anywhere else. ({})",
            self.found,
            self.consequence(),
            fix.as_str(),
            self.detail
        )
    }
}

impl From<KeyringTrouble> for SecretStoreError {
    fn from(trouble: KeyringTrouble) -> Self {
        SecretStoreError::Unavailable(trouble.to_string())
    }
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

    pub(super) const CHECK_IT: &str =
        "check that gnome-keyring or KeePassXC's Secret Service integration is running and unlocked";

    pub(super) fn explain(detail: &str, locked: bool) -> KeyringTrouble {
        let bus_missing = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|a| a.is_empty())
            || ["Failed to connect", "No such file", "Connection refused"]
                .iter()
                .any(|n| detail.contains(n));
        let service_missing = ["was not provided", "ServiceUnknown", "NameHasNoOwner"]
            .iter()
            .any(|n| detail.contains(n));
        let (kind, found, fix) = if locked {
            (
                TroubleKind::Locked,
                "The system keyring is locked (or was never set up)",
                "unlock it (log in to the desktop session, or unlock the login keyring in Passwords and Keys, \
                 or the database in KeePassXC)",
            )
        } else if service_missing {
            (
                TroubleKind::NoService,
                "No keyring service (Secret Service) answers on this D-Bus session",
                "install and start gnome-keyring (`apt install gnome-keyring`), or enable the Secret Service \
                 integration in KeePassXC",
            )
        } else if bus_missing {
            (
                TroubleKind::NoSession,
                "There is no D-Bus session",
                "run Latch in a desktop session (or under `dbus-run-session`) with gnome-keyring or KeePassXC's \
                 Secret Service running and unlocked",
            )
        } else {
            (
                TroubleKind::Failed,
                "The system keyring (Secret Service) failed",
                CHECK_IT,
            )
        };
        KeyringTrouble {
            kind,
            found: found.into(),
            fix: fix.into(),
            detail: detail.into(),
        }
    }

    /// A never-unlocked gnome-keyring has no `default` collection, and a
    /// locked one refuses writes: both look like "no entry" to a read.
    pub(super) fn check_default_collection() -> Result<(), KeyringTrouble> {
        let ss = SecretService::connect(EncryptionType::Plain).map_err(|e| explain(&e.to_string(), false))?;
        let locked = match ss.get_default_collection() {
            Ok(collection) => collection.is_locked().unwrap_or(true),
            Err(secret_service::Error::NoResult) => true,
            Err(e) => return Err(explain(&e.to_string(), false)),
        };
        if locked {
            return Err(explain("the default collection is missing or locked", true));
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

    pub(super) const CHECK_IT: &str = "unlock your login keychain in Keychain Access";

    pub(super) fn explain(detail: &str, locked: bool) -> KeyringTrouble {
        KeyringTrouble {
            kind: if locked {
                TroubleKind::Locked
            } else {
                TroubleKind::Failed
            },
            found: "The macOS Keychain is not available".into(),
            fix: CHECK_IT.into(),
            detail: detail.into(),
        }
    }

    pub(super) fn check_default_collection() -> Result<(), KeyringTrouble> {
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

    pub(super) const CHECK_IT: &str = "sign in to Windows with a user profile of your own";

    pub(super) fn explain(detail: &str, locked: bool) -> KeyringTrouble {
        KeyringTrouble {
            kind: if locked {
                TroubleKind::Locked
            } else {
                TroubleKind::Failed
            },
            found: "The Windows Credential Manager is not available".into(),
            fix: CHECK_IT.into(),
            detail: detail.into(),
        }
    }

    pub(super) fn check_default_collection() -> Result<(), KeyringTrouble> {
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

    pub(super) const CHECK_IT: &str = "use Latch on Linux, macOS or Windows";

    pub(super) fn explain(detail: &str, _locked: bool) -> KeyringTrouble {
        KeyringTrouble {
            kind: TroubleKind::Failed,
            found: "This platform has no OS keyring Latch can use".into(),
            fix: CHECK_IT.into(),
            detail: detail.into(),
        }
    }

    pub(super) fn check_default_collection() -> Result<(), KeyringTrouble> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyring_store_is_shown_by_its_service_alone() {
        // What a log line or a panic shows of the store: not its profile,
        // not its connection, and it holds no secret to show.
        let store = KeyringStore::lazy_in(Some("p-0123456789abcdef".into()));
        assert_eq!(format!("{store:?}"), r#"KeyringStore { service: "latch", .. }"#);
    }

    #[test]
    fn doctor_s_test_entries_have_random_names_of_12_hex_digits() {
        // `diagnose` writes `doctor:<random_hex>`: two runs of `latch doctor`
        // at once must not take each other's test entry.
        let (a, b) = (random_hex(), random_hex());
        for name in [&a, &b] {
            assert_eq!(name.len(), 12, "{name:?}");
            assert!(
                name.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
                "{name:?}"
            );
        }
        assert_ne!(a, b, "48 random bits twice the same");
    }

    fn trouble(kind: TroubleKind) -> KeyringTrouble {
        KeyringTrouble {
            kind,
            found: "Something is wrong".into(),
            fix: "do this".into(),
            detail: "the platform's words".into(),
        }
    }

    #[test]
    fn each_kind_of_trouble_says_what_it_means_for_secrets() {
        let cases = [
            (TroubleKind::NoSession, "Latch cannot reach the system keyring"),
            (TroubleKind::NoService, "Latch has nowhere safe to keep secrets"),
            (TroubleKind::Locked, "Latch cannot read or store secrets"),
            (TroubleKind::Failed, "Latch cannot read or store secrets"),
        ];
        for (kind, consequence) in cases {
            assert_eq!(
                trouble(kind).to_string(),
                format!(
                    "Something is wrong, so {consequence}. Do this, then try again. Latch never stores \
                     secrets anywhere else. (the platform's words)"
                ),
                "{kind:?}"
            );
        }
    }
}
