//! What a person does with a connected account: copy its token, refresh it,
//! see its details, revoke it, remove it. Copying happens here, in Rust: the
//! token goes from the keyring to the clipboard and never into the webview.

use super::account::{Target, changing};
use latch_core::Error;
use latch_core::details::Details;
use latch_core::handouts::Verb;
use std::time::Duration;
use tauri::AppHandle;
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

/// How long a copied token stays on the clipboard.
pub const CLIPBOARD_CLEAR_AFTER: Duration = Duration::from_secs(45);

/// Copies a valid access token (refreshed first if it is about to expire),
/// or the whole `Authorization: Bearer …` header, marked as a secret so that
/// clipboard managers keep it out of their history (`x-kde-passwordManagerHint`
/// on Linux, the platforms' own marks elsewhere), and clears the clipboard
/// after 45 s if it still holds what Latch put there.
///
/// The copy is noted in the hand-out log once it is on the clipboard; when
/// the log cannot be written the copy stands and the notice says why.
#[tauri::command]
pub async fn copy_token(app: AppHandle, id: String, header: bool) -> Result<String, Error> {
    // All inside `changing`, so the list (and an open Details) is read
    // again only once the copy is in the log.
    changing(&app, &id, async |t| {
        let tokens = t.latch.valid_token(&t.account).await?;
        let credential = t.account.settings.provider().credential(&tokens)?;
        let text = Zeroizing::new(if header {
            format!("Authorization: Bearer {}", credential.secret())
        } else {
            credential.secret().to_owned()
        });
        put_on_clipboard(t.app, text)?;
        let what = if header { "Authorization header" } else { "Token" };
        let copied = format!(
            "{what} copied; the clipboard is cleared in {} s.",
            clear_after().as_secs()
        );
        Ok(match t.latch.record_handout(&t.account, Verb::WindowCopy) {
            Ok(()) => copied,
            Err(e) => format!("{copied} It is not in the hand-out log: {e}"),
        })
    })
    .await
}

/// Writes `text` to the clipboard as a secret and clears it after
/// [`clear_after`] if it still holds `text`.
fn put_on_clipboard(app: &AppHandle, text: Zeroizing<String>) -> Result<(), Error> {
    app.clipboard()
        .write_secret(text.as_str())
        .map_err(super::clipboard_failed)?;
    let clearer = app.clone();
    use std::sync::atomic::Ordering;
    use tauri::Manager;
    let clears = &app.state::<crate::state::AppState>().clipboard_clears;
    clears.fetch_add(1, Ordering::SeqCst);
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(clear_after()).await;
        if clearer.clipboard().read_text().is_ok_and(|now| now == *text) {
            let _ = clearer.clipboard().write_text(String::new());
        }
        clearer
            .state::<crate::state::AppState>()
            .clipboard_clears
            .fetch_sub(1, Ordering::SeqCst);
    });
    Ok(())
}

/// 45 s; test builds can shorten it (`crate::test_hooks`).
fn clear_after() -> Duration {
    crate::test_hooks::clipboard_clear_after().unwrap_or(CLIPBOARD_CLEAR_AFTER)
}

#[tauri::command]
pub async fn refresh_account(app: AppHandle, id: String) -> Result<String, Error> {
    changing(&app, &id, async |t| {
        t.latch.refresh(&t.account).await?;
        Ok(format!("Refreshed {}.", t.account.label))
    })
    .await
}

/// Asks the provider whether the token works (its test call; one refresh
/// and one retry on a 401). A dead token turns the account to "needs
/// reconnect", which the list shows.
#[tauri::command]
pub async fn check_account(app: AppHandle, id: String) -> Result<String, Error> {
    changing(&app, &id, async |t| {
        t.latch.check(&t.account).await?;
        Ok(format!(
            "{} works: {} accepted its credential just now.",
            t.account.label,
            latch_core::Latch::provider_name(&t.account)
        ))
    })
    .await
}

#[tauri::command]
pub async fn revoke_account(app: AppHandle, id: String) -> Result<String, Error> {
    changing(&app, &id, async |t| {
        let outcome = t.latch.revoke(&t.account).await?;
        Ok(outcome.message(latch_core::Latch::provider_name(&t.account)))
    })
    .await
}

#[tauri::command]
pub async fn remove_account(app: AppHandle, id: String) -> Result<(), Error> {
    changing(&app, &id, async |t| t.latch.remove(&t.account)).await
}

#[tauri::command]
pub fn account_details(app: AppHandle, id: String) -> Result<Details, Error> {
    let Target { latch, account, .. } = Target::find(&app, &id)?;
    latch.details(&account)
}
