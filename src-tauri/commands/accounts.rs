//! Commands on the list of accounts. They return what the UI may see: ids,
//! labels, status and expiry, never a secret.

use latch_core::Account;

/// The accounts to show, soonest expiry first.
#[tauri::command]
pub fn list_accounts() -> Vec<Account> {
    Vec::new()
}
