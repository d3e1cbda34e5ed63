//! The index file, as `Index::load` reads it from disk.

use crate::model::AccountId;
use crate::store::Index;
use crate::store::index::{SCHEMA, Unreadable};

/// When the file was last written: the `created_at` of migrated accounts.
const WRITTEN_AT: i64 = 1_700_000_000;

/// `Index::from_bytes`: what loads has valid ids and saves and loads back
/// the same, at the current schema; what does not load says why.
pub fn index_file(data: &[u8]) {
    match Index::from_bytes(data, WRITTEN_AT) {
        Ok(loaded) => {
            assert!(
                matches!(loaded.migrated_from, None | Some(1..SCHEMA)),
                "migrated from {:?}",
                loaded.migrated_from
            );
            for account in &loaded.index.accounts {
                // The id names the keyring entry and `locks/<id>.lock`.
                assert!(
                    AccountId::parse(account.id.as_str()).is_some(),
                    "an account id that AccountId::parse refuses: {:?}",
                    account.id.as_str()
                );
            }
            let bytes = loaded.index.to_bytes().expect("a loaded index encodes");
            let again = Index::from_bytes(&bytes, WRITTEN_AT).expect("a saved index loads");
            assert_eq!(again.migrated_from, None, "a saved index is at the current schema");
            assert_eq!(again.index, loaded.index, "an index changed through save and load");
        }
        Err(Unreadable::TooNew(found)) => assert!(found > SCHEMA),
        Err(Unreadable::Corrupt(reason)) => assert!(!reason.is_empty()),
    }
}
