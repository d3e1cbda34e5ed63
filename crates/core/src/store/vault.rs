//! [`VaultStore`]: account secrets in an OpenBao / HashiCorp Vault KV v2 mount.
//!
//! One KV v2 secret per account, at `<mount>/data/<prefix>/<account id>`,
//! whose data is the JSON object of [`AccountSecrets`] (the keyring entry's
//! value, field for field). OpenBao and Vault speak the same HTTP API; what
//! Latch uses of it:
//!
//! - `GET`/`POST <mount>/data/<path>`: read with the version, write plainly
//!   ([`SecretStore::put`]) or with check-and-set (`options.cas`,
//!   [`VaultStore::put_cas`]): the write lands only if the secret is still at
//!   the version that was read, which is what keeps two machines from
//!   refreshing one account at once.
//! - `DELETE <mount>/metadata/<path>`: every version goes. KV v2 keeps old
//!   versions, and an old version of a token set holds refresh tokens that a
//!   soft delete would leave readable.
//! - `auth/approle/login` and `auth/token/renew-self` for an AppRole.
//! - Only to explain a refusal: `sys/capabilities-self` (which capability
//!   on which path the token lacks) and `sys/internal/ui/mounts/<mount>`
//!   (whether the mount is KV v2: a KV v1 mount would take a write to
//!   `<mount>/data/...` as a plain secret of that name, so the mount is
//!   checked once before the first read or write of each store).
//!
//! Every call goes through the core's [`Http`] client: TLS verified, plain
//! http only to a loopback literal ([`crate::http::check_transport`]), no
//! redirects (a standby node's redirect would carry the token elsewhere),
//! timeouts on the whole call, a size cap on the answer. The token travels
//! only in the `X-Vault-Token` header to the store's own address, is a
//! [`VaultToken`] (redacted `Debug`, wiped on drop) and is never in a log
//! line, an error or an argv.
//!
//! [`SecretStore`] is synchronous (the keyring is a blocking D-Bus call and
//! async callers already treat the store as blocking), so the store owns a
//! small runtime of one thread that runs its requests; a call from inside
//! another runtime blocks its thread as a keyring call does, and never
//! nests runtimes.

use super::{Lease, Refreshed, SecretStore, SecretStoreError, SharedEntry, SharedSecrets};
use crate::http::{Answer, Http, HttpConfig};
use crate::model::{AccountId, AccountSecrets};
use crate::secret::{VaultSecretId, VaultToken};
use serde_json::{Value, json};
use std::ffi::OsString;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server's address, as the Vault CLI reads it.
pub const ADDR_ENV: &str = "VAULT_ADDR";
/// The token, as the Vault CLI reads it.
pub const TOKEN_ENV: &str = "VAULT_TOKEN";
/// The namespace (Vault Enterprise, OpenBao namespaces), sent as `X-Vault-Namespace`.
pub const NAMESPACE_ENV: &str = "VAULT_NAMESPACE";
/// The KV v2 mount when none is given.
pub const DEFAULT_MOUNT: &str = "secret";
/// The path under the mount when none is given.
pub const DEFAULT_PREFIX: &str = "latch";
/// An AppRole token is renewed once less than this share of its life is left.
const RENEW_AT_FRACTION: f64 = 1.0 / 3.0;

/// Where a Vault store is: not secret (the credential is [`VaultAuth`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultSettings {
    /// `https://host[:port]` (plain http only to 127.0.0.1 or `[::1]`).
    pub address: url::Url,
    /// The KV v2 mount, without slashes at either end: `secret`.
    pub mount: String,
    /// The path under the mount where Latch's entries live: `latch`, `team/latch`.
    pub prefix: String,
    pub namespace: Option<String>,
}

impl VaultSettings {
    /// Checks and normalises what a person typed: an https address (plain
    /// http only to loopback) with no path, query or user in it; a mount and
    /// a prefix made of path segments of letters, digits, `.`, `_` and `-`.
    pub fn new(address: &str, mount: &str, prefix: &str, namespace: Option<&str>) -> Result<Self, VaultError> {
        let shown: String = address.chars().filter(|c| !c.is_control()).take(80).collect();
        let bad = |why: &str| VaultError::Settings(format!("The Vault address \"{shown}\" {why}."));
        let url = url::Url::parse(address.trim())
            .map_err(|_| bad("is not a URL; give it as https://vault.example.com:8200 (as VAULT_ADDR is written)"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("has a user name or password in it; give the address alone"));
        }
        if url.query().is_some() || url.fragment().is_some() || !matches!(url.path(), "" | "/") {
            return Err(bad(
                "has a path or query; give only scheme, host and port (Latch adds /v1/...)",
            ));
        }
        if crate::http::check_transport(&url).is_err() {
            return Err(bad(
                "is not https; Latch sends tokens to Vault only over TLS (plain http only to 127.0.0.1 or [::1])",
            ));
        }
        let namespace = namespace.map(str::trim).filter(|n| !n.is_empty());
        if let Some(namespace) = namespace {
            segments("namespace", namespace)?;
        }
        Ok(Self {
            address: url,
            mount: segments("mount", mount)?,
            prefix: segments("path prefix", prefix)?,
            namespace: namespace.map(|n| n.trim_matches('/').to_owned()),
        })
    }

    /// The address as shown to a person: `https://vault.example.com:8200`.
    pub fn origin(&self) -> String {
        self.address.origin().ascii_serialization()
    }

    /// The API path of an account's data: `secret/data/latch/<id>`.
    pub fn data_path(&self, id: &AccountId) -> String {
        format!("{}/data/{}/{id}", self.mount, self.prefix)
    }

    /// The API path of an account's metadata: `secret/metadata/latch/<id>`.
    pub fn metadata_path(&self, id: &AccountId) -> String {
        format!("{}/metadata/{}/{id}", self.mount, self.prefix)
    }
}

/// A mount, prefix or namespace: `a/b/c`, slashes at the ends dropped.
fn segments(what: &str, value: &str) -> Result<String, VaultError> {
    let trimmed = value.trim().trim_matches('/');
    let ok = !trimmed.is_empty()
        && trimmed.len() <= 200
        && trimmed.split('/').all(|s| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        });
    if ok {
        Ok(trimmed.to_owned())
    } else {
        let shown: String = value.chars().filter(|c| !c.is_control()).take(80).collect();
        Err(VaultError::Settings(format!(
            "The Vault {what} \"{shown}\" is not a path Latch can use: give segments of letters, digits, \
             '.', '_' and '-' separated by '/' (for example \"secret\" or \"team/latch\")."
        )))
    }
}

/// How Latch authenticates to Vault.
#[derive(Clone, Debug)]
pub enum VaultAuth {
    /// A token given as it is (`VAULT_TOKEN`), never renewed by Latch.
    Token(VaultToken),
    /// An AppRole (role id + secret id), logged in at `auth/<mount>/login`;
    /// the client token it buys is renewed, and bought again once expired.
    AppRole {
        role_id: String,
        secret_id: VaultSecretId,
        /// Where the AppRole auth method is enabled: `approle` by default.
        mount: String,
    },
}

impl VaultAuth {
    pub fn app_role(role_id: impl Into<String>, secret_id: VaultSecretId) -> Self {
        Self::AppRole {
            role_id: role_id.into(),
            secret_id,
            mount: "approle".into(),
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Token(_) => "token",
            Self::AppRole { .. } => "AppRole",
        }
    }
}

/// Why Vault could not be used. Each message says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The store's settings (or the environment) are not usable.
    #[error("{0}")]
    Settings(String),
    #[error(
        "The OpenBao/Vault server at {address} is sealed, so nothing can be read or written; ask its operator \
         to unseal it (`bao operator unseal` or `vault operator unseal`), then try again."
    )]
    Sealed { address: String },
    #[error(
        "Latch cannot reach OpenBao/Vault at {address} ({detail}); check that the server runs and that the \
         address (VAULT_ADDR or the store's settings) is right."
    )]
    Unreachable { address: String, detail: String },
    #[error(
        "OpenBao/Vault at {address} refused the token{from} as invalid or expired; log in again \
         (`bao login` / `vault login`) and give Latch the new token."
    )]
    BadToken { address: String, from: String },
    #[error(
        "OpenBao/Vault at {address} refused the AppRole login ({detail}); check the role id, and ask the \
         operator for a new secret id if it expired or was used up."
    )]
    BadAppRole { address: String, detail: String },
    #[error(
        "The Vault {auth} may not {missing} `{path}` (its policies allow {allowed} there); ask the Vault \
         operator to grant \"{missing}\" on \"{path}\" in Latch's policy."
    )]
    Denied {
        address: String,
        auth: &'static str,
        /// The capabilities lacking, as a policy names them: `create, update`.
        missing: String,
        path: String,
        /// What the token may do on the path: `read`, or `nothing`.
        allowed: String,
    },
    #[error(
        "The mount `{mount}/` at {address} is KV version {found}, and Latch needs KV version 2 (versions and \
         check-and-set writes); upgrade it (`bao kv enable-versioning {mount}/`) or give a KV v2 mount."
    )]
    NotKv2 {
        address: String,
        mount: String,
        found: String,
    },
    #[error(
        "There is no KV secrets engine at `{mount}/` on {address}; enable one (`bao secrets enable -version=2 \
         -path={mount} kv`) or give the mount that holds Latch's secrets."
    )]
    NoMount { address: String, mount: String },
    #[error(
        "Another writer changed `{path}` after Latch read version {expected}, so Latch's write was not made; \
         read it again."
    )]
    Conflict { path: String, expected: u64 },
    #[error("The secret at `{path}` on {address} is not Latch's format; remove it there or fix it by hand.")]
    Corrupt { address: String, path: String },
    #[error("OpenBao/Vault at {address} refused ({detail}).")]
    Refused { address: String, detail: String },
}

/// What one request is for, to explain a refusal in the words of a policy.
struct Need<'a> {
    path: &'a str,
    /// Any one of them would do (a write is `create` or `update`).
    capabilities: &'static [&'static str],
}

/// The client token in use and when to renew or replace it.
struct Session {
    token: VaultToken,
    /// `None` for a token without end (a root token, or one given as is).
    renew_at: Option<Instant>,
    expires_at: Option<Instant>,
    renewable: bool,
}

struct Inner {
    settings: VaultSettings,
    auth: VaultAuth,
    http: Http,
    session: tokio::sync::Mutex<Option<Session>>,
    /// Set once the mount was seen to be KV v2.
    kv2: tokio::sync::OnceCell<()>,
}

/// Account secrets in an OpenBao / Vault KV v2 mount. Cheap to share in an `Arc`.
pub struct VaultStore {
    inner: Arc<Inner>,
    /// Taken on drop and shut down without waiting (a drop inside another
    /// runtime must not block).
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for VaultStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultStore")
            .field("address", &self.inner.settings.origin())
            .field("mount", &self.inner.settings.mount)
            .field("prefix", &self.inner.settings.prefix)
            .field("auth", &self.inner.auth.describe())
            .finish_non_exhaustive()
    }
}

impl Drop for VaultStore {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl VaultStore {
    /// A store at `settings`, authenticating with `auth`. Connects nothing
    /// yet: the first read or write does.
    pub fn new(settings: VaultSettings, auth: VaultAuth, http: HttpConfig) -> Result<Self, VaultError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("latch-vault")
            .enable_all()
            .build()
            .map_err(|e| VaultError::Settings(format!("Latch could not start its Vault client ({e}).")))?;
        let http = {
            // reqwest's client must be built where its runtime runs.
            let _entered = runtime.enter();
            Http::new(http).map_err(|e| VaultError::Settings(e.to_string()))?
        };
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                auth,
                http,
                session: tokio::sync::Mutex::new(None),
                kv2: tokio::sync::OnceCell::new(),
            }),
            runtime: Some(runtime),
        })
    }

    /// The store as the Vault CLI would find it: `VAULT_ADDR`, `VAULT_TOKEN`
    /// and `VAULT_NAMESPACE`, with the given mount and prefix.
    pub fn from_env(mount: &str, prefix: &str, http: HttpConfig) -> Result<Self, VaultError> {
        let (settings, auth) = Self::settings_from_vars(mount, prefix, |name| std::env::var_os(name))?;
        Self::new(settings, auth, http)
    }

    /// [`VaultStore::from_env`]'s reading of the variables, over any source (for tests).
    pub fn settings_from_vars(
        mount: &str,
        prefix: &str,
        var: impl Fn(&str) -> Option<OsString>,
    ) -> Result<(VaultSettings, VaultAuth), VaultError> {
        let text = |name: &str| {
            var(name)
                .map(|v| v.to_string_lossy().trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let address = text(ADDR_ENV).ok_or_else(|| {
            VaultError::Settings(format!(
                "{ADDR_ENV} is not set: set it to the OpenBao/Vault server's address (for example \
                 https://vault.example.com:8200), as for the Vault CLI."
            ))
        })?;
        let token = text(TOKEN_ENV).ok_or_else(|| {
            VaultError::Settings(format!(
                "{TOKEN_ENV} is not set: set it to a Vault token whose policy lets Latch read and write its \
                 secrets (`bao login` prints one), as for the Vault CLI."
            ))
        })?;
        let settings = VaultSettings::new(&address, mount, prefix, text(NAMESPACE_ENV).as_deref())?;
        Ok((settings, VaultAuth::Token(VaultToken::new(token))))
    }

    pub fn settings(&self) -> &VaultSettings {
        &self.inner.settings
    }

    /// The account's secrets and the version they are at. `(None, 0)`: there
    /// never was an entry (or it was deleted with its metadata); `(None, n)`:
    /// its latest version `n` was soft-deleted. Either version is the one a
    /// [`VaultStore::put_cas`] that creates the entry gives.
    pub fn get_versioned(&self, id: &AccountId) -> Result<(Option<AccountSecrets>, u64), SecretStoreError> {
        let id = id.clone();
        self.block(move |inner| async move { inner.read(&id).await })
    }

    /// Writes the secrets only if the entry is still at `version` (0: only
    /// if there is none), and returns the new version. A write that lost to
    /// another writer is [`VaultError::Conflict`] ([`SecretStoreError::is_conflict`]).
    pub fn put_cas(&self, id: &AccountId, secrets: &AccountSecrets, version: u64) -> Result<u64, SecretStoreError> {
        let (id, secrets) = (id.clone(), secrets.clone());
        self.block(move |inner| async move { inner.write(&id, &secrets, Some(version)).await })
    }

    /// Checks that the store can be used now: the server answers, is
    /// unsealed, the mount is KV v2 and the credential is accepted.
    pub fn check(&self) -> Result<(), SecretStoreError> {
        self.block(|inner| async move { inner.ensure_kv2().await })
    }

    /// Runs a request on the store's own runtime and waits for it.
    fn block<T, F>(&self, call: impl FnOnce(Arc<Inner>) -> F) -> Result<T, SecretStoreError>
    where
        F: Future<Output = Result<T, VaultError>> + Send + 'static,
        T: Send + 'static,
    {
        let address = self.inner.settings.origin();
        let runtime = self.runtime.as_ref().expect("the runtime lives until drop");
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let future = call(self.inner.clone());
        runtime.spawn(async move {
            // The receiver waits for this; if it is gone there is nobody to tell.
            let _ = tx.send(future.await);
        });
        match rx.recv() {
            Ok(result) => result.map_err(SecretStoreError::Vault),
            Err(_) => Err(SecretStoreError::Vault(VaultError::Refused {
                address,
                detail: "Latch's Vault client stopped in the middle of a request; report this as a bug".into(),
            })),
        }
    }
}

impl SecretStore for VaultStore {
    fn get(&self, id: &AccountId) -> Result<Option<AccountSecrets>, SecretStoreError> {
        Ok(self.get_versioned(id)?.0)
    }

    fn put(&self, id: &AccountId, secrets: &AccountSecrets) -> Result<(), SecretStoreError> {
        let (id, secrets) = (id.clone(), secrets.clone());
        self.block(move |inner| async move { inner.write(&id, &secrets, None).await.map(drop) })
    }

    fn delete(&self, id: &AccountId) -> Result<(), SecretStoreError> {
        let id = id.clone();
        self.block(move |inner| async move { inner.delete(&id).await })
    }

    fn shared(&self) -> Option<&dyn SharedSecrets> {
        Some(self)
    }
}

impl SharedSecrets for VaultStore {
    fn read_shared(&self, id: &AccountId) -> Result<SharedEntry, SecretStoreError> {
        let id = id.clone();
        let (entry, version) = self.block(move |inner| async move { inner.read_entry(&id).await })?;
        Ok(match entry {
            Some(entry) => SharedEntry {
                secrets: Some(entry.secrets),
                version,
                lease: entry.lease,
                refreshed: entry.refreshed,
                account: entry.account,
            },
            None => SharedEntry {
                version,
                ..SharedEntry::default()
            },
        })
    }

    fn write_shared(&self, id: &AccountId, entry: &SharedEntry, version: u64) -> Result<u64, SecretStoreError> {
        let id = id.clone();
        let entry = Entry {
            secrets: entry.secrets.clone().unwrap_or_default(),
            lease: entry.lease.clone(),
            refreshed: entry.refreshed.clone(),
            account: entry.account.clone(),
        };
        self.block(move |inner| async move { inner.write_entry(&id, &entry, Some(version)).await })
    }
}

/// The data of one account's KV v2 secret: the keyring entry's fields, and
/// beside them the refresh lease and the last refresh (for "shared").
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    #[serde(flatten)]
    secrets: AccountSecrets,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease: Option<Lease>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refreshed: Option<Refreshed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    account: Option<crate::model::Account>,
}

/// A Vault credential as the keyring keeps it for a named store (`latch
/// store add … --token-stdin`, or an AppRole): JSON in one entry.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum VaultCredential {
    Token {
        token: VaultToken,
    },
    #[serde(rename = "approle")]
    AppRole {
        role_id: String,
        secret_id: VaultSecretId,
        #[serde(default = "approle_mount")]
        mount: String,
    },
}

fn approle_mount() -> String {
    "approle".into()
}

impl std::fmt::Debug for VaultCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Token { .. } => "VaultCredential::Token(..)",
            Self::AppRole { .. } => "VaultCredential::AppRole(..)",
        })
    }
}

impl VaultCredential {
    pub fn auth(&self) -> VaultAuth {
        match self.clone() {
            Self::Token { token } => VaultAuth::Token(token),
            Self::AppRole {
                role_id,
                secret_id,
                mount,
            } => VaultAuth::AppRole {
                role_id,
                secret_id,
                mount,
            },
        }
    }
}

impl Inner {
    fn address(&self) -> String {
        self.settings.origin()
    }

    async fn read(&self, id: &AccountId) -> Result<(Option<AccountSecrets>, u64), VaultError> {
        let (entry, version) = self.read_entry(id).await?;
        Ok((entry.map(|e| e.secrets), version))
    }

    async fn read_entry(&self, id: &AccountId) -> Result<(Option<Entry>, u64), VaultError> {
        self.ensure_kv2().await?;
        let path = self.settings.data_path(id);
        let need = Need {
            path: &path,
            capabilities: &["read"],
        };
        let answer = self.call(&need, reqwest::Method::GET, &path, None).await?;
        let body = self.body(&answer);
        let version = |body: &Value| body.pointer("/data/metadata/version").and_then(Value::as_u64);
        match answer.status {
            200 => {
                let body = body.ok_or_else(|| self.corrupt(&path))?;
                let version = version(&body).ok_or_else(|| self.corrupt(&path))?;
                let data = body.pointer("/data/data").cloned().unwrap_or(Value::Null);
                if data.is_null() {
                    return Ok((None, version));
                }
                let entry = serde_json::from_value(data).map_err(|_| self.corrupt(&path))?;
                Ok((Some(entry), version))
            }
            // A soft-deleted latest version answers 404 with its metadata.
            404 => Ok((None, body.as_ref().and_then(version).unwrap_or(0))),
            _ => Err(self.refused(&answer)),
        }
    }

    /// A write of the secrets alone keeps the entry's account settings and
    /// last refresh (a plain write, `cas` `None`, reads them first).
    async fn write(&self, id: &AccountId, secrets: &AccountSecrets, cas: Option<u64>) -> Result<u64, VaultError> {
        let kept = match cas {
            None => self.read_entry(id).await?.0,
            Some(_) => None,
        };
        let entry = Entry {
            secrets: secrets.clone(),
            lease: None,
            refreshed: kept.as_ref().and_then(|e| e.refreshed.clone()),
            account: kept.and_then(|e| e.account),
        };
        self.write_entry(id, &entry, cas).await
    }

    async fn write_entry(&self, id: &AccountId, entry: &Entry, cas: Option<u64>) -> Result<u64, VaultError> {
        self.ensure_kv2().await?;
        let path = self.settings.data_path(id);
        let need = Need {
            path: &path,
            capabilities: &["create", "update"],
        };
        let data = serde_json::to_value(entry).map_err(|_| self.corrupt(&path))?;
        let body = match cas {
            Some(version) => json!({ "options": { "cas": version }, "data": data }),
            None => json!({ "data": data }),
        };
        let answer = self.call(&need, reqwest::Method::POST, &path, Some(body)).await?;
        match answer.status {
            200 | 204 => {
                let body = self.body(&answer);
                Ok(body
                    .as_ref()
                    .and_then(|b| b.pointer("/data/version"))
                    .and_then(Value::as_u64)
                    .unwrap_or(0))
            }
            400 if cas.is_some() && errors(&answer).iter().any(|e| e.contains("check-and-set")) => {
                Err(VaultError::Conflict {
                    path,
                    expected: cas.unwrap_or(0),
                })
            }
            _ => Err(self.refused(&answer)),
        }
    }

    async fn delete(&self, id: &AccountId) -> Result<(), VaultError> {
        self.ensure_kv2().await?;
        let path = self.settings.metadata_path(id);
        let need = Need {
            path: &path,
            capabilities: &["delete"],
        };
        let answer = self.call(&need, reqwest::Method::DELETE, &path, None).await?;
        match answer.status {
            200 | 204 | 404 => Ok(()),
            _ => Err(self.refused(&answer)),
        }
    }

    /// Once per store: the mount exists and is KV version 2.
    async fn ensure_kv2(&self) -> Result<(), VaultError> {
        self.kv2.get_or_try_init(|| self.check_mount()).await.map(|_| ())
    }

    async fn check_mount(&self) -> Result<(), VaultError> {
        let mount = &self.settings.mount;
        let path = format!("sys/internal/ui/mounts/{mount}");
        // What the token may do under Latch's prefix is what a refusal here means.
        let probe = format!("{}/data/{}/", self.settings.mount, self.settings.prefix);
        let need = Need {
            path: &probe,
            capabilities: &["read"],
        };
        let answer = self.call(&need, reqwest::Method::GET, &path, None).await?;
        let no_mount = || VaultError::NoMount {
            address: self.address(),
            mount: mount.clone(),
        };
        match answer.status {
            200 => {
                let body = self.body(&answer).ok_or_else(no_mount)?;
                let kind = body.pointer("/data/type").and_then(Value::as_str).unwrap_or("");
                if kind != "kv" && kind != "generic" {
                    return Err(no_mount());
                }
                let version = body
                    .pointer("/data/options/version")
                    .and_then(Value::as_str)
                    .unwrap_or("1")
                    .to_owned();
                if version == "2" {
                    Ok(())
                } else {
                    Err(VaultError::NotKv2 {
                        address: self.address(),
                        mount: mount.clone(),
                        found: version,
                    })
                }
            }
            // 403 to a token allowed under the prefix: the mount is not there.
            400 | 403 | 404 => Err(no_mount()),
            _ => Err(self.refused(&answer)),
        }
    }

    /// A request with the client token. A 403 is explained: a token that
    /// is no longer valid (an AppRole logs in again, once, and the request
    /// is sent again), or a policy that lacks what `need` names.
    async fn call(
        &self,
        need: &Need<'_>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, VaultError> {
        let mut fresh_login = false;
        loop {
            let token = self.token(fresh_login).await?;
            let answer = self.send(method.clone(), path, body.as_ref(), Some(&token)).await?;
            if answer.status != 403 {
                return Ok(answer);
            }
            match self.capabilities(&token, need.path).await? {
                None if matches!(self.auth, VaultAuth::AppRole { .. }) && !fresh_login => {
                    // The client token expired or was revoked: buy another one.
                    fresh_login = true;
                }
                None => {
                    return Err(VaultError::BadToken {
                        address: self.address(),
                        from: match self.auth {
                            VaultAuth::Token(_) => " Latch was given".into(),
                            VaultAuth::AppRole { .. } => " the AppRole login gave".into(),
                        },
                    });
                }
                Some(allowed) => {
                    let missing: Vec<&str> = need
                        .capabilities
                        .iter()
                        .copied()
                        .filter(|c| !allowed.iter().any(|a| a == c || a == "root"))
                        .collect();
                    if missing.is_empty() || allowed.iter().any(|a| a == "root") {
                        // Not the policy: the caller reads the refusal (a
                        // mount that is not there answers 403 too).
                        return Ok(answer);
                    }
                    let allowed: Vec<&str> = allowed.iter().map(String::as_str).filter(|a| *a != "deny").collect();
                    return Err(VaultError::Denied {
                        address: self.address(),
                        auth: self.auth.describe(),
                        missing: missing.join(" and "),
                        path: need.path.to_owned(),
                        allowed: if allowed.is_empty() {
                            "nothing".into()
                        } else {
                            allowed.join(", ")
                        },
                    });
                }
            }
        }
    }

    /// What the token may do on `path` (`sys/capabilities-self`), `None` if
    /// the token itself is refused.
    async fn capabilities(&self, token: &VaultToken, path: &str) -> Result<Option<Vec<String>>, VaultError> {
        let body = json!({ "paths": [path] });
        let answer = self
            .send(reqwest::Method::POST, "sys/capabilities-self", Some(&body), Some(token))
            .await?;
        match answer.status {
            200 => {
                let body = self.body(&answer);
                let list = body
                    .as_ref()
                    .and_then(|b| b.pointer("/data/capabilities").or_else(|| b.get("capabilities")))
                    .and_then(Value::as_array)
                    .map(|caps| caps.iter().filter_map(Value::as_str).map(str::to_owned).collect());
                Ok(Some(list.unwrap_or_default()))
            }
            401 | 403 => Ok(None),
            _ => Err(self.refused(&answer)),
        }
    }

    /// The client token: the one given, or the AppRole's (logged in, renewed
    /// or bought again as its life requires; `again`: a new login now).
    async fn token(&self, again: bool) -> Result<VaultToken, VaultError> {
        let (role_id, secret_id, mount) = match &self.auth {
            VaultAuth::Token(token) => return Ok(token.clone()),
            VaultAuth::AppRole {
                role_id,
                secret_id,
                mount,
            } => (role_id, secret_id, mount),
        };
        let mut session = self.session.lock().await;
        let now = Instant::now();
        if let Some(current) = session.as_ref().filter(|_| !again) {
            let expired = current.expires_at.is_some_and(|at| at <= now);
            let due = current.renew_at.is_some_and(|at| at <= now);
            if !expired && !due {
                return Ok(current.token.clone());
            }
            if !expired
                && current.renewable
                && let Some(renewed) = self.renew(&current.token).await?
            {
                let token = renewed.token.clone();
                *session = Some(renewed);
                return Ok(token);
            }
        }
        let body = json!({ "role_id": role_id, "secret_id": secret_id.secret() });
        let answer = self
            .send(reqwest::Method::POST, &format!("auth/{mount}/login"), Some(&body), None)
            .await?;
        if !(200..300).contains(&answer.status) {
            let detail = errors(&answer)
                .into_iter()
                .next()
                .unwrap_or_else(|| format!("HTTP {}", answer.status));
            return Err(VaultError::BadAppRole {
                address: self.address(),
                detail,
            });
        }
        let fresh = self.session_of(&answer, now).ok_or_else(|| VaultError::BadAppRole {
            address: self.address(),
            detail: "its answer carried no client token".into(),
        })?;
        let token = fresh.token.clone();
        *session = Some(fresh);
        Ok(token)
    }

    /// `auth/token/renew-self`; `None` when the token can no longer be renewed.
    async fn renew(&self, token: &VaultToken) -> Result<Option<Session>, VaultError> {
        let now = Instant::now();
        let answer = self
            .send(
                reqwest::Method::POST,
                "auth/token/renew-self",
                Some(&json!({})),
                Some(token),
            )
            .await?;
        if !(200..300).contains(&answer.status) {
            return Ok(None);
        }
        Ok(self.session_of(&answer, now))
    }

    /// The `auth` part of a login or renewal answer. A renewal that does not
    /// extend the life (the token reached its max TTL) is kept until it
    /// ends, and then a login buys a new one.
    fn session_of(&self, answer: &Answer, sent_at: Instant) -> Option<Session> {
        let body = self.body(answer)?;
        let auth = body.get("auth")?;
        let token = auth.get("client_token")?.as_str().filter(|t| !t.is_empty())?;
        let lease = auth.get("lease_duration").and_then(Value::as_u64).unwrap_or(0);
        let renewable = auth.get("renewable").and_then(Value::as_bool).unwrap_or(false);
        let (renew_at, expires_at) = if lease == 0 {
            (None, None)
        } else {
            let life = Duration::from_secs(lease);
            let left = life.mul_f64(RENEW_AT_FRACTION);
            (Some(sent_at + (life - left)), Some(sent_at + life))
        };
        Some(Session {
            token: VaultToken::new(token),
            renew_at: if renewable { renew_at } else { None },
            expires_at,
            renewable,
        })
    }

    /// One request to `/v1/<path>` and its whole answer. Sealed and
    /// unreachable servers are errors here, whatever the request was.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&VaultToken>,
    ) -> Result<Answer, VaultError> {
        let url = format!("{}v1/{path}", self.settings.address);
        let mut request = self
            .http
            .client()
            .request(method, url)
            .header("X-Vault-Request", "true");
        if let Some(token) = token {
            request = request.header("X-Vault-Token", token.secret());
        }
        if let Some(namespace) = &self.settings.namespace {
            request = request.header("X-Vault-Namespace", namespace);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let answer = self
            .http
            .send("OpenBao/Vault", request)
            .await
            .map_err(|e| self.transport(e))?;
        if answer.status == 503 {
            let sealed = errors(&answer)
                .iter()
                .any(|e| e.to_ascii_lowercase().contains("sealed"));
            return Err(if sealed {
                VaultError::Sealed {
                    address: self.address(),
                }
            } else {
                self.refused(&answer)
            });
        }
        Ok(answer)
    }

    fn transport(&self, e: crate::error::Error) -> VaultError {
        use crate::error::Error;
        let address = self.address();
        match e {
            Error::Network { detail, .. } => VaultError::Unreachable { address, detail },
            Error::Timeout { seconds, .. } => VaultError::Unreachable {
                address,
                detail: format!("no answer within {seconds} s"),
            },
            Error::RateLimited { .. } => VaultError::Refused {
                address,
                detail: "HTTP 429, too many requests; try again in a moment".into(),
            },
            Error::InvalidInput(_) => VaultError::Settings(format!(
                "The Vault address {address} is not https; Latch sends tokens to Vault only over TLS."
            )),
            other => VaultError::Refused {
                address,
                detail: match other {
                    Error::InvalidAnswer { detail, .. } => detail,
                    other => other.to_string(),
                },
            },
        }
    }

    fn body(&self, answer: &Answer) -> Option<Value> {
        serde_json::from_slice(&answer.body).ok()
    }

    fn corrupt(&self, path: &str) -> VaultError {
        VaultError::Corrupt {
            address: self.address(),
            path: path.to_owned(),
        }
    }

    fn refused(&self, answer: &Answer) -> VaultError {
        let said = errors(answer).into_iter().next();
        VaultError::Refused {
            address: self.address(),
            detail: match said {
                Some(said) => format!("HTTP {}: {said}", answer.status),
                None => format!("HTTP {}", answer.status),
            },
        }
    }
}

/// Vault's `{"errors": [...]}`, each cut short and without control characters.
fn errors(answer: &Answer) -> Vec<String> {
    let Ok(body) = serde_json::from_slice::<Value>(&answer.body) else {
        return Vec::new();
    };
    body.get("errors")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(|e| {
                    let one_line: String = e
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .take(200)
                        .collect();
                    one_line.split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .filter(|e| !e.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn settings_take_https_anywhere_and_http_only_to_loopback() {
        assert!(VaultSettings::new("https://vault.example.com:8200", "secret", "latch", None).is_ok());
        assert!(VaultSettings::new("http://127.0.0.1:8200", "secret", "latch", None).is_ok());
        assert!(VaultSettings::new("http://[::1]:8200/", "secret", "latch", None).is_ok());
        for bad in [
            "http://vault.example.com:8200",
            "http://localhost:8200",
            "vault.example.com",
            "https://user:pw@vault.example.com",
            "https://vault.example.com/v1/secret",
            "https://vault.example.com?x=1",
        ] {
            let e = VaultSettings::new(bad, "secret", "latch", None).unwrap_err();
            assert!(matches!(e, VaultError::Settings(_)), "{bad}: {e}");
            assert!(e.to_string().starts_with("The Vault address"), "{e}");
        }
    }

    #[test]
    fn mounts_and_prefixes_are_plain_path_segments() {
        let s = VaultSettings::new("https://v.example", "/secret/", "team/latch/", Some(" ns1/ ")).unwrap();
        assert_eq!((s.mount.as_str(), s.prefix.as_str()), ("secret", "team/latch"));
        assert_eq!(s.namespace.as_deref(), Some("ns1"));
        let id = AccountId::parse("wazzup-main").unwrap();
        assert_eq!(s.data_path(&id), "secret/data/team/latch/wazzup-main");
        assert_eq!(s.metadata_path(&id), "secret/metadata/team/latch/wazzup-main");
        for bad in ["", "/", "a//b", "../x", "a/./b", "a b", "a?b", "%2e%2e"] {
            assert!(
                VaultSettings::new("https://v.example", "secret", bad, None).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_environment_is_read_as_the_vault_cli_reads_it() {
        let (settings, auth) = VaultStore::settings_from_vars(
            DEFAULT_MOUNT,
            DEFAULT_PREFIX,
            vars(&[
                (ADDR_ENV, "http://127.0.0.1:8200"),
                (TOKEN_ENV, "s.secret-token"),
                (NAMESPACE_ENV, "team"),
            ]),
        )
        .unwrap();
        assert_eq!(settings.origin(), "http://127.0.0.1:8200");
        assert_eq!(settings.namespace.as_deref(), Some("team"));
        assert!(matches!(&auth, VaultAuth::Token(t) if t.secret() == "s.secret-token"));
        assert!(!format!("{auth:?}").contains("secret-token"), "Debug redacts the token");

        let e = VaultStore::settings_from_vars("secret", "latch", vars(&[(TOKEN_ENV, "t")])).unwrap_err();
        assert!(e.to_string().starts_with("VAULT_ADDR is not set"), "{e}");
        let e =
            VaultStore::settings_from_vars("secret", "latch", vars(&[(ADDR_ENV, "https://v.example")])).unwrap_err();
        assert!(e.to_string().starts_with("VAULT_TOKEN is not set"), "{e}");
    }

    #[test]
    fn vault_errors_are_cut_short_and_kept_on_one_line() {
        let answer = Answer {
            status: 400,
            content_type: Some("application/json".into()),
            body: format!(
                r#"{{"errors":["1 error occurred:\n\t* permission denied\n\n", "{}"]}}"#,
                "x".repeat(500)
            )
            .into_bytes(),
        };
        let said = errors(&answer);
        assert_eq!(said[0], "1 error occurred: * permission denied");
        assert_eq!(said[1].len(), 200);
    }
}
