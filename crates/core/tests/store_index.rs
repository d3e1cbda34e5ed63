//! The index file: atomic replacement, schema migration, damaged files kept
//! aside, and never a secret inside.

mod support;

use latch_core::store::index::{FILE_NAME, SCHEMA};
use latch_core::store::{Index, IndexError, MemoryStore, Store, StoreError};
use std::path::Path;
use std::sync::Arc;

const V1_FIXTURE: &str = include_str!("fixtures/index-v1.json");

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn index_round_trips_and_carries_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let index = Index {
        accounts: vec![support::account("alpha"), support::account("beta")],
        stores: Vec::new(),
    };
    index.save(&path).unwrap();

    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["schema"], SCHEMA);
    let loaded = Index::load(&path).unwrap();
    assert_eq!(loaded.index, index);
    assert_eq!(loaded.migrated_from, None);
}

#[cfg(unix)]
#[test]
fn saving_replaces_the_file_whole_so_an_open_reader_keeps_the_old_version() {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    Index {
        accounts: vec![support::account("old-one")],
        stores: Vec::new(),
    }
    .save(&path)
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    let inode_before = std::fs::metadata(&path).unwrap().ino();
    let mut reader = std::fs::File::open(&path).unwrap();

    Index {
        accounts: vec![support::account("new-one"), support::account("new-two")],
        stores: Vec::new(),
    }
    .save(&path)
    .unwrap();

    let mut seen = Vec::new();
    reader.read_to_end(&mut seen).unwrap();
    assert_eq!(seen, before, "a reader of the old version saw it change under it");
    assert_ne!(
        std::fs::metadata(&path).unwrap().ino(),
        inode_before,
        "the file was edited in place"
    );
    assert_eq!(
        names_in(dir.path()),
        vec![FILE_NAME.to_string()],
        "a temporary file was left behind"
    );
    let ids: Vec<_> = Index::load(&path)
        .unwrap()
        .index
        .accounts
        .into_iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(ids, ["new-one", "new-two"]);
}

#[test]
fn v1_index_is_migrated_to_the_current_schema_and_the_original_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, V1_FIXTURE).unwrap();
    let written_at = std::fs::metadata(&path)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;

    let loaded = Index::load(&path).unwrap();

    assert_eq!(loaded.migrated_from, Some(1));
    let accounts = &loaded.index.accounts;
    assert_eq!(accounts.len(), 2, "an account was lost in the migration");
    assert_eq!(accounts[0].id.as_str(), "wazzup-main");
    assert_eq!(accounts[0].token.as_ref().unwrap().expires_at, Some(1700086400));
    assert_eq!(accounts[1].label, "GREEN-API shop");
    assert!(
        accounts.iter().all(|a| a.created_at == written_at),
        "created_at should be the file's last write"
    );
    // Written back at the current schema, the v1 file kept byte for byte.
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(json["schema"], SCHEMA);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("index.json.schema-1.bak")).unwrap(),
        V1_FIXTURE
    );
    let again = Index::load(&path).unwrap();
    assert_eq!(again.migrated_from, None);
    assert_eq!(again.index, loaded.index);
}

#[test]
fn store_opens_a_v1_data_directory_with_its_accounts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), V1_FIXTURE).unwrap();
    let store = Store::open(Some(dir.path().into()), Arc::new(MemoryStore::new())).unwrap();
    let ids: Vec<_> = store
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.id.to_string())
        .collect();
    assert_eq!(ids, ["wazzup-main", "green-shop"]);
}

#[test]
fn damaged_index_is_moved_aside_and_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let damaged = r#"{"schema": 2, "accounts": [{"id": "half-writ"#;
    std::fs::write(&path, damaged).unwrap();

    let err = Index::load(&path).unwrap_err();

    let IndexError::Corrupt {
        path: reported,
        kept_at,
        ..
    } = &err
    else {
        panic!("expected Corrupt, got {err}")
    };
    assert_eq!(reported, &path);
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains(&kept_at.display().to_string()), "{message}");
    let kept_name = kept_at.file_name().unwrap().to_str().unwrap();
    assert!(kept_name.starts_with("index.json.corrupt-"), "{kept_name}");
    assert_eq!(
        std::fs::read_to_string(kept_at).unwrap(),
        damaged,
        "the damaged file was not kept as it was"
    );
    assert!(!path.exists());

    // Latch goes on with an empty list, and a new save never touches the kept file.
    assert!(Index::load(&path).unwrap().index.accounts.is_empty());
    Index {
        accounts: vec![support::account("fresh")],
        stores: Vec::new(),
    }
    .save(&path)
    .unwrap();
    assert_eq!(std::fs::read_to_string(kept_at).unwrap(), damaged);
}

#[test]
fn index_without_a_schema_is_kept_aside_not_guessed_at() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, "[]").unwrap();
    let err = Index::load(&path).unwrap_err();
    assert!(matches!(err, IndexError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("schema"), "{err}");
}

#[test]
fn two_damaged_files_in_one_second_are_both_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, "first damage").unwrap();
    let first = Index::load(&path).unwrap_err();
    std::fs::write(&path, "second damage").unwrap();
    let second = Index::load(&path).unwrap_err();
    let (IndexError::Corrupt { kept_at: a, .. }, IndexError::Corrupt { kept_at: b, .. }) = (&first, &second) else {
        panic!("expected two Corrupt errors: {first} / {second}");
    };
    assert_ne!(a, b);
    assert_eq!(std::fs::read_to_string(a).unwrap(), "first damage");
    assert_eq!(std::fs::read_to_string(b).unwrap(), "second damage");
}

/// The kept file's name tells a person when the damage was found
/// (`index.json.corrupt-<unix time>`).
#[test]
fn a_damaged_index_is_kept_under_the_time_it_was_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, "damage").unwrap();
    let before = support::now();
    let err = Index::load(&path).unwrap_err();
    let after = support::now();
    let IndexError::Corrupt { kept_at, .. } = &err else {
        panic!("expected Corrupt, got {err}")
    };
    let name = kept_at.file_name().unwrap().to_str().unwrap();
    let at: i64 = name
        .strip_prefix("index.json.corrupt-")
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{name} does not carry a time"));
    assert!(
        (before..=after).contains(&at),
        "{name}: not found between {before} and {after}"
    );
}

/// Damage found again within the second of an earlier one is kept as `…-1`,
/// then `…-2`: numbered in the order found, never over another kept file,
/// and found a name at all.
/// The next seconds are filled in advance, so the test does not depend on
/// where a second begins.
#[test]
fn damaged_files_found_within_one_second_are_numbered_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let kept = |suffix: String| dir.path().join(format!("{FILE_NAME}.corrupt-{suffix}"));
    let from = support::now();
    let seconds = from..from + 30;
    for t in seconds.clone() {
        std::fs::write(kept(format!("{t}")), "first damage").unwrap();
        std::fs::write(kept(format!("{t}-1")), "second damage").unwrap();
    }
    std::fs::write(&path, "third damage").unwrap();

    // A count that stops counting would look for a free name for ever.
    let (done, result) = std::sync::mpsc::channel();
    let loading = path.clone();
    std::thread::spawn(move || done.send(Index::load(&loading).map(|_| ())));
    let err = result
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("setting the damaged index aside did not end")
        .unwrap_err();

    let IndexError::Corrupt { kept_at, .. } = &err else {
        panic!("expected Corrupt, got {err}")
    };
    let name = kept_at.file_name().unwrap().to_str().unwrap();
    let at: i64 = name
        .strip_prefix("index.json.corrupt-")
        .and_then(|rest| rest.strip_suffix("-2"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not the third file kept in its second"));
    assert!(seconds.contains(&at), "{name}");
    assert_eq!(std::fs::read_to_string(kept_at).unwrap(), "third damage");
    assert_eq!(
        std::fs::read_to_string(kept(format!("{at}-1"))).unwrap(),
        "second damage"
    );
    assert_eq!(std::fs::read_to_string(kept(format!("{at}"))).unwrap(), "first damage");
}

#[test]
fn unreadable_index_is_reported_with_its_path_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::create_dir(&path).unwrap(); // reading a directory fails even for root
    let err = Index::load(&path).unwrap_err();
    assert!(matches!(err, IndexError::Io { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    assert!(path.is_dir(), "an unreadable index must not be moved or replaced");
}

#[test]
fn store_reports_a_damaged_index_at_open_and_starts_empty_after() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(FILE_NAME), "\0\0\0garbage").unwrap();
    let secrets = Arc::new(MemoryStore::new());
    let err = Store::open(Some(dir.path().into()), secrets.clone()).unwrap_err();
    assert!(matches!(err, StoreError::Index(IndexError::Corrupt { .. })), "{err}");
    assert!(
        err.to_string()
            .contains(&dir.path().join(FILE_NAME).display().to_string()),
        "{err}"
    );
    let store = Store::open(Some(dir.path().into()), secrets).unwrap();
    assert!(store.accounts().unwrap().is_empty());
}

#[test]
fn index_holds_no_secret_of_accounts_that_have_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::new());
    let store = Store::open(Some(dir.path().into()), secrets.clone()).unwrap();
    for (n, name) in ["wazzup-main", "payu-uat", "wordapp"].iter().enumerate() {
        store.upsert_account(&support::account(name)).unwrap();
        let id = support::id(name);
        store
            .put_secrets(&id, &support::secrets(&format!("SECRET{n}"), 1, support::now() + 60))
            .unwrap();
        store
            .put_secrets(&id, &support::secrets(&format!("SECRET{n}"), 2, support::now() + 3600))
            .unwrap();
    }
    assert_eq!(secrets.len(), 3);

    let index = std::fs::read_to_string(store.index_path()).unwrap();
    assert!(
        index.contains("\"has_refresh_token\": true"),
        "the token meta is missing:\n{index}"
    );
    assert!(!index.contains("SECRET"), "a secret reached the index:\n{index}");
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("SECRET"),
            "a secret reached {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path))
        } else {
            files.push(path)
        }
    }
    files
}
