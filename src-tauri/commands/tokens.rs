//! What a person does with a connected account: copy its token, refresh it,
//! see its details, revoke it, remove it. Copying happens here, in Rust: the
//! token goes from the keyring to the clipboard and never into the webview.

use crate::state::AppState;
use latch_core::model::UnixTime;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use tauri::{AppHandle, Manager};
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

/// How long a copied token stays on the clipboard.
pub const CLIPBOARD_CLEAR_AFTER: Duration = Duration::from_secs(45);

/// Copies a valid access token (refreshed first if it is about to expire),
/// or the whole `Authorization: Bearer …` header, and clears the clipboard
/// after 45 s if it still holds what Latch put there.
#[tauri::command]
pub async fn copy_token(app: AppHandle, id: String, header: bool) -> Result<String, String> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let account = latch.find(&id).map_err(|e| e.to_string())?;
    let result = latch.valid_token(&account).await;
    crate::callback::accounts_changed(&app);
    let tokens = result.map_err(|e| e.to_string())?;
    let text = Zeroizing::new(if header {
        format!("Authorization: Bearer {}", tokens.access_token.secret())
    } else {
        tokens.access_token.secret().to_owned()
    });
    app.clipboard().write_text(text.as_str()).map_err(|e| e.to_string())?;
    let clearer = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(clear_after()).await;
        if clearer.clipboard().read_text().is_ok_and(|now| now == *text) {
            let _ = clearer.clipboard().write_text(String::new());
        }
    });
    let what = if header { "Authorization header" } else { "Token" };
    Ok(format!(
        "{what} copied; the clipboard is cleared in {} s.",
        clear_after().as_secs()
    ))
}

/// `LATCH_CLIPBOARD_CLEAR_SECS` shortens the wait (tests).
fn clear_after() -> Duration {
    std::env::var("LATCH_CLIPBOARD_CLEAR_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(CLIPBOARD_CLEAR_AFTER)
}

#[tauri::command]
pub async fn refresh_account(app: AppHandle, id: String) -> Result<String, String> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let account = latch.find(&id).map_err(|e| e.to_string())?;
    let result = latch.refresh(&account).await;
    crate::callback::accounts_changed(&app);
    result
        .map(|_| format!("Refreshed {}.", account.label))
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub async fn revoke_account(app: AppHandle, id: String) -> Result<String, String> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let account = latch.find(&id).map_err(|e| e.to_string())?;
    let result = latch.revoke(&account).await;
    crate::callback::accounts_changed(&app);
    result
        .map(|outcome| outcome.message(latch_core::accounts::Latch::provider_name(&account)))
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub fn remove_account(app: AppHandle, id: String) -> Result<(), String> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let account = latch.find(&id).map_err(|e| e.to_string())?;
    let result = latch.remove(&account);
    crate::callback::accounts_changed(&app);
    result.map_err(|e| e.to_string())
}

/// What the details view shows. The claims of a JWT access token are shown
/// decoded; the token itself is not sent.
#[derive(Serialize)]
pub struct Details {
    scope: Option<String>,
    token_type: Option<String>,
    obtained_at: Option<UnixTime>,
    expires_at: Option<UnixTime>,
    has_refresh_token: bool,
    extras: BTreeMap<String, String>,
    claims: Option<serde_json::Value>,
}

#[tauri::command]
pub fn account_details(app: AppHandle, id: String) -> Result<Details, String> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let account = latch.find(&id).map_err(|e| e.to_string())?;
    let tokens = latch.secrets(&account).map_err(|e| e.to_string())?.tokens;
    let meta = account.token.clone().unwrap_or_default();
    Ok(Details {
        scope: meta.scope,
        token_type: account.token.as_ref().map(|t| t.token_type.clone()),
        obtained_at: account.token.as_ref().map(|t| t.obtained_at),
        expires_at: meta.expires_at,
        has_refresh_token: meta.has_refresh_token,
        extras: meta.extras,
        claims: tokens.and_then(|t| latch_core::jwt::claims(t.access_token.secret())),
    })
}
