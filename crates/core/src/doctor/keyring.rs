//! The keyring: a Secret Service on the session bus that answers, with its
//! default collection unlocked, that takes, gives back and deletes a test
//! entry (`KeyringStore::diagnose`, in the store's own words).

use super::Check;
use crate::store::KeyringStore;

const CHECK: &str = "keyring";

pub(super) fn check() -> Check {
    match KeyringStore::diagnose() {
        Ok(()) => Check::ok(
            CHECK,
            "The system keyring answers and is unlocked; it stored, gave back and deleted a test entry",
        ),
        Err(trouble) => Check::fail(CHECK, format!("{} ({})", trouble.found, trouble.detail), trouble.fix),
    }
}
