//! Commands on the list of accounts. They return what the UI may see: ids,
//! labels, status and expiry, never a secret.

use crate::state::AppState;
use latch_core::store::KeyringStore;
use latch_core::{Account, Error};

/// The accounts to show, soonest expiry first.
#[tauri::command]
pub fn list_accounts(state: tauri::State<'_, AppState>) -> Result<Vec<Account>, Error> {
    state.latch()?.accounts()
}

/// `None` when secrets can be read and written; otherwise the keyring's
/// error (kind `storage`), whose sentence says what is wrong and how to fix
/// it. The window stays up and shows it.
#[tauri::command]
pub async fn keyring_problem() -> Option<Error> {
    tauri::async_runtime::spawn_blocking(|| KeyringStore::connect().and_then(|k| k.check()).err())
        .await
        .ok()
        .flatten()
        .map(Error::from)
}
