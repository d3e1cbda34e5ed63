//! Commands on the list of accounts. They return what the UI may see: ids,
//! labels, status and expiry, never a secret.

use crate::state::AppState;
use latch_core::Account;
use latch_core::store::KeyringStore;

/// The accounts to show, soonest expiry first.
#[tauri::command]
pub fn list_accounts(state: tauri::State<'_, AppState>) -> Result<Vec<Account>, String> {
    state.latch()?.accounts().map_err(|e| e.to_string())
}

/// `None` when secrets can be read and written; otherwise the sentence that
/// says what is wrong with the keyring and how to fix it. The window stays
/// up and shows it.
#[tauri::command]
pub async fn keyring_problem() -> Option<String> {
    tauri::async_runtime::spawn_blocking(|| KeyringStore::connect().and_then(|k| k.check()).err())
        .await
        .ok()
        .flatten()
        .map(|e| e.to_string())
}
