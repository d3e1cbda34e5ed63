//! The index: every account's non-secret half, in `index.json`.
//!
//! The file is the one place a person's account list lives on disk, so it is
//! treated as precious:
//!
//! - It is replaced, never edited: the new content goes to a temporary file in
//!   the same directory, which is flushed to disk and renamed over the old one,
//!   and the directory is flushed too. A crash at any instant leaves either the
//!   old file or the new one, never a mix (the crash test kills a writer with
//!   SIGKILL hundreds of times to hold us to that).
//! - It carries `"schema": N`. A file from an older Latch is migrated step by
//!   step on the JSON value (each step a small function), the original is kept
//!   beside it as `index.json.schema-<N>.bak`, and the result is written back.
//!   A file from a newer Latch is refused untouched.
//! - A file that cannot be parsed is moved aside to
//!   `index.json.corrupt-<unix time>` and reported with both paths; it is never
//!   overwritten.
//!
//! Secrets cannot reach this file: [`Account`] has no secret fields, by type.

use crate::model::{Account, AccountId, UnixTime};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The schema this Latch writes.
/// 3: named secret stores (`stores`) and an account's `store`; an older
/// Latch would drop both and look for a shared account's secrets in the keyring.
pub const SCHEMA: u64 = 3;
/// The index's file name inside the data directory.
pub const FILE_NAME: &str = "index.json";
const TEMP_PREFIX: &str = ".index.json.";
const TEMP_SUFFIX: &str = ".tmp";

/// Why the index could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("cannot {action} the account index {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "the account index {path} is damaged ({reason}). It was moved to {kept_at} and Latch starts with an \
         empty account list; the secrets are still in the keyring. Restore the file from a backup or add the \
         accounts again."
    )]
    Corrupt {
        path: PathBuf,
        kept_at: PathBuf,
        reason: String,
    },
    #[error(
        "the account index {path} was written by a newer Latch (schema {found}; this one knows up to {SCHEMA}). \
         It was left untouched: use the newer Latch, or point LATCH_HOME elsewhere."
    )]
    TooNew { path: PathBuf, found: u64 },
}

/// The accounts, in the order they were added, and the named secret
/// stores some of them keep their secrets in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Index {
    pub accounts: Vec<Account>,
    pub stores: Vec<NamedStore>,
}

/// A named OpenBao / Vault store (`latch store add`): where it is, never
/// its credential (the keyring or the environment has that).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NamedStore {
    pub name: String,
    /// `https://host[:port]` (plain http only to loopback).
    pub address: String,
    pub mount: String,
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl NamedStore {
    /// A store's name: what `--store NAME` and `vault:NAME` say. Letters,
    /// digits, `-` and `_`, up to 40, not `keyring` (the OS keyring's name).
    pub fn check_name(name: &str) -> Result<(), String> {
        let ok = !name.is_empty()
            && name.len() <= 40
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            && name != "keyring";
        if ok {
            Ok(())
        } else {
            let shown: String = name.chars().filter(|c| !c.is_control()).take(60).collect();
            Err(format!(
                "\"{shown}\" cannot name a store: use up to 40 letters, digits, '-' and '_' (and not \"keyring\", \
                 which is the OS keyring's name)"
            ))
        }
    }

    pub fn settings(&self) -> Result<super::VaultSettings, super::VaultError> {
        super::VaultSettings::new(&self.address, &self.mount, &self.prefix, self.namespace.as_deref())
    }
}

/// The file's shape at the current schema.
#[derive(Serialize, Deserialize)]
struct IndexFile {
    schema: u64,
    accounts: Vec<Account>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    stores: Vec<NamedStore>,
}

/// Why bytes are not an index this Latch can use ([`Index::from_bytes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Damaged or not an index: the reason, for [`IndexError::Corrupt`].
    Corrupt(String),
    /// Written by a newer Latch, with this schema.
    TooNew(u64),
}

/// What [`Index::load`] found.
#[derive(Debug)]
pub struct Loaded {
    pub index: Index,
    /// The schema the file had when it was older than [`SCHEMA`] and was migrated.
    pub migrated_from: Option<u64>,
}

impl Index {
    pub fn get(&self, id: &AccountId) -> Option<&Account> {
        self.accounts.iter().find(|a| &a.id == id)
    }

    /// Replaces the account with the same id, or appends it.
    pub fn upsert(&mut self, account: Account) {
        match self.accounts.iter_mut().find(|a| a.id == account.id) {
            Some(slot) => *slot = account,
            None => self.accounts.push(account),
        }
    }

    pub fn remove(&mut self, id: &AccountId) -> Option<Account> {
        let at = self.accounts.iter().position(|a| &a.id == id)?;
        Some(self.accounts.remove(at))
    }

    /// Reads the index at `path`. A missing file is an empty index. An older
    /// schema is migrated and written back (the original kept as a `.bak`).
    pub fn load(path: &Path) -> Result<Loaded, IndexError> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Loaded {
                    index: Index::default(),
                    migrated_from: None,
                });
            }
            Err(source) => {
                return Err(IndexError::Io {
                    action: "read",
                    path: path.into(),
                    source,
                });
            }
        };
        let loaded = match Index::from_bytes(&bytes, modified_time(path)) {
            Ok(loaded) => loaded,
            Err(Unreadable::TooNew(found)) => {
                return Err(IndexError::TooNew {
                    path: path.into(),
                    found,
                });
            }
            Err(Unreadable::Corrupt(reason)) => return Err(set_aside(path, reason)),
        };
        let Some(found) = loaded.migrated_from else {
            return Ok(loaded);
        };
        let backup = sibling(path, &format!("schema-{found}.bak"));
        write_atomic(&backup, &bytes)?;
        loaded.index.save(path)?;
        Ok(loaded)
    }

    /// Reads the content of an index file, touching no file: the schema
    /// check and the migration of [`Index::load`], on bytes (the fuzzer's
    /// way in). `written_at` is when the file was last written, the
    /// `created_at` that schema-1 accounts get.
    pub fn from_bytes(bytes: &[u8], written_at: UnixTime) -> Result<Loaded, Unreadable> {
        let mut value: Value =
            serde_json::from_slice(bytes).map_err(|e| Unreadable::Corrupt(format!("not JSON: {e}")))?;
        let found = match value.get("schema").and_then(Value::as_u64) {
            Some(n) if n >= 1 => n,
            _ => return Err(Unreadable::Corrupt("no \"schema\" number".into())),
        };
        if found > SCHEMA {
            return Err(Unreadable::TooNew(found));
        }
        if found < SCHEMA {
            migrate(&mut value, found, written_at).map_err(Unreadable::Corrupt)?;
        }
        let file: IndexFile =
            serde_json::from_value(value).map_err(|e| Unreadable::Corrupt(format!("unexpected content: {e}")))?;
        Ok(Loaded {
            index: Index {
                accounts: file.accounts,
                stores: file.stores,
            },
            migrated_from: (found < SCHEMA).then_some(found),
        })
    }

    /// The file's content at the current schema, as [`Index::save`] writes it.
    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        let file = IndexFile {
            schema: SCHEMA,
            accounts: self.accounts.clone(),
            stores: self.stores.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&file)?;
        json.push(b'\n');
        Ok(json)
    }

    /// Writes the index atomically at `path`, creating its directory.
    pub fn save(&self, path: &Path) -> Result<(), IndexError> {
        let json = self.to_bytes().map_err(|e| IndexError::Io {
            action: "encode",
            path: path.into(),
            source: io::Error::other(e),
        })?;
        write_atomic(path, &json)
    }

    /// Deletes temporary files left by writers that were killed mid-write.
    /// Call it only while holding the index lock, when no writer is running.
    pub fn remove_stale_temp_files(dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Brings an older index value up to [`SCHEMA`], one step at a time.
fn migrate(value: &mut Value, from: u64, written_at: UnixTime) -> Result<(), String> {
    let mut schema = from;
    while schema < SCHEMA {
        match schema {
            1 => v1_to_v2(value, written_at)?,
            // Schema 3 added what schema 2 did not have: nothing to change.
            2 => {}
            other => return Err(format!("no migration from schema {other}")),
        }
        schema += 1;
        value["schema"] = Value::from(schema);
    }
    Ok(())
}

/// Schema 1 had no `created_at`. The best truthful value is "no later than
/// the file's last write", so that is what the migrated accounts get.
fn v1_to_v2(value: &mut Value, written_at: UnixTime) -> Result<(), String> {
    let accounts = value
        .get_mut("accounts")
        .and_then(Value::as_array_mut)
        .ok_or("schema 1 index without an \"accounts\" list")?;
    for account in accounts {
        let account = account.as_object_mut().ok_or("an account that is not an object")?;
        account.entry("created_at").or_insert(Value::from(written_at));
    }
    Ok(())
}

fn modified_time(path: &Path) -> UnixTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or_else(now, |d| d.as_secs() as UnixTime)
}

fn now() -> UnixTime {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as UnixTime)
}

/// `index.json` → `index.json.<suffix>` in the same directory.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

/// Moves an unreadable index out of the way (never over another file) and
/// builds the error that names both places.
fn set_aside(path: &Path, reason: String) -> IndexError {
    let stamp = now();
    let mut kept_at = sibling(path, &format!("corrupt-{stamp}"));
    let mut n = 1;
    while kept_at.exists() {
        kept_at = sibling(path, &format!("corrupt-{stamp}-{n}"));
        n += 1;
    }
    match std::fs::rename(path, &kept_at) {
        Ok(()) => {
            sync_dir(path);
            IndexError::Corrupt {
                path: path.into(),
                kept_at,
                reason,
            }
        }
        Err(source) => IndexError::Io {
            action: "move aside the damaged",
            path: path.into(),
            source: io::Error::new(
                source.kind(),
                format!("{reason}; moving it to {} failed: {source}", kept_at.display()),
            ),
        },
    }
}

/// Temporary file in the same directory, fsync, rename over, fsync the directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let io_err = |source| IndexError::Io {
        action: "write",
        path: path.into(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_err)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(io_err)?;
    tmp.write_all(bytes).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    sync_dir(path);
    Ok(())
}

/// Makes a rename durable. Best effort: some filesystems refuse to fsync a
/// directory, and Windows cannot open one this way.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_schema_is_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, r#"{"schema": 99, "accounts": [], "future": true}"#).unwrap();
        let err = Index::load(&path).unwrap_err();
        assert!(matches!(err, IndexError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer Latch"), "{err}");
        assert!(std::fs::read_to_string(&path).unwrap().contains("future"));
    }

    /// Schemas count from 1: a file whose `schema` is 0, negative, a fraction
    /// or text was written by no Latch, and is called what it is rather than
    /// sent looking for a migration from a schema that never existed.
    #[test]
    fn a_schema_that_is_not_a_whole_number_from_1_is_no_schema() {
        for schema in ["0", "-1", "1.5", "\"2\"", "null"] {
            let bytes = format!(r#"{{"schema": {schema}, "accounts": []}}"#);
            assert_eq!(
                Index::from_bytes(bytes.as_bytes(), 0).unwrap_err(),
                Unreadable::Corrupt("no \"schema\" number".into()),
                "schema {schema}"
            );
        }
        let first = Index::from_bytes(br#"{"schema": 1, "accounts": []}"#, 0).unwrap();
        assert_eq!(first.migrated_from, Some(1));
    }

    #[test]
    fn a_missing_index_is_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let loaded = Index::load(&dir.path().join(FILE_NAME)).unwrap();
        assert!(loaded.index.accounts.is_empty());
        assert_eq!(loaded.migrated_from, None);
    }

    /// The sweep runs under the index lock, which a trim of the hand-out log
    /// (`handouts.rs`, under its own hold) does not wait for: the trim's
    /// temporary file, being written in the same directory right then, is not
    /// the index's to sweep. Nor is a name that only begins like the index's.
    #[test]
    fn the_sweep_leaves_other_temporary_files_of_the_data_directory_alone() {
        let dir = tempfile::tempdir().unwrap();
        let others = [".handouts.jsonl.Xy12Zq.tmp", ".index.json.Xy12Zq.swp", "notes.tmp"];
        for name in others {
            std::fs::write(dir.path().join(name), "not the index's").unwrap();
        }
        std::fs::write(dir.path().join(".index.json.Xy12Zq.tmp"), "{").unwrap();
        Index::remove_stale_temp_files(dir.path());
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut expected = others.map(String::from).to_vec();
        expected.sort();
        assert_eq!(names, expected);
    }

    #[test]
    fn stale_temp_files_are_swept_but_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".index.json.abc123.tmp"), "{").unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "{}").unwrap();
        Index::remove_stale_temp_files(dir.path());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec![FILE_NAME.to_string()]);
    }
}
