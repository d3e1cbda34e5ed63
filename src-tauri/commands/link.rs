//! GREEN-API in the window: read the instance's state, log it out, ask for a
//! link code, and watch the instance until the code is typed in WhatsApp or
//! runs out. The watcher runs here, not in the page: the page only shows the
//! code and counts down to the expiry time it is given.

use super::account::{Target, changing};
use crate::state::AppState;
use latch_core::flows::{LinkOutcome, LinkWatch};
use latch_core::model::AccountId;
use latch_core::providers::green_api::{InstanceState, LINK_CODE_LIFETIME};
use latch_core::{Error, model::UnixTime};
use serde::Serialize;
use std::time::UNIX_EPOCH;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_clipboard_manager::ClipboardExt;

pub const LINK_FINISHED: &str = "link-finished";

/// The instance's state, as the link panel shows it.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct InstanceReport {
    authorized: bool,
    /// Whether a link code can be asked for now.
    ready: bool,
    message: String,
}

/// A link code on screen.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CodeShown {
    /// As WhatsApp shows it: `ABCD-EFGH`.
    grouped: String,
    /// Unix seconds; the page counts down to it.
    expires_at: UnixTime,
    phone: String,
    /// For a sandbox account: the code is fake and must not be typed into
    /// WhatsApp, said in place of the instructions.
    warning: Option<String>,
}

/// What the UI hears when watching an instance ends.
#[derive(Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct LinkFinished {
    account: AccountId,
    linked: bool,
    message: String,
    /// Why watching failed, when it did (not when the code merely expired).
    #[cfg_attr(test, ts(as = "Option<latch_core::error::ErrorReport>"))]
    error: Option<Error>,
}

#[tauri::command]
pub async fn link_state(app: AppHandle, id: String) -> Result<InstanceReport, Error> {
    let target = Target::find(&app, &id)?;
    let instance = target.latch.instance_state(&target.account).await?;
    Ok(InstanceReport {
        authorized: instance == InstanceState::Authorized,
        ready: instance == InstanceState::NotAuthorized,
        message: instance.message(),
    })
}

#[tauri::command]
pub async fn link_logout(app: AppHandle, id: String) -> Result<(), Error> {
    changing(&app, &id, async |t| t.latch.logout(&t.account).await).await
}

/// Asks for a code for the number as typed, shows it, and starts watching.
#[tauri::command]
pub async fn link_request_code(app: AppHandle, id: String, phone: String) -> Result<CodeShown, Error> {
    let Target {
        state, latch, account, ..
    } = Target::find(&app, &id)?;
    stop_watching(state, &account.id);
    let code = latch.request_link_code(&account, &phone).await?;
    let expires_at = code
        .expires_at(LINK_CODE_LIFETIME)
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let shown = CodeShown {
        grouped: code.grouped(),
        expires_at,
        phone: code.phone.to_string(),
        warning: latch_sandbox::demo::link_code_warning(&account).map(str::to_owned),
    };
    let id = account.id.clone();
    state.link_codes.lock().unwrap().insert(id.clone(), code.code.clone());

    let watcher_app = app.clone();
    let watcher = tauri::async_runtime::spawn(async move {
        let state = watcher_app.state::<AppState>();
        let Ok(latch) = state.latch() else { return };
        let result = latch.wait_until_linked(&account, &code, LinkWatch::default()).await;
        let finished = match result {
            Ok(LinkOutcome::Linked) => LinkFinished {
                account: account.id.clone(),
                linked: true,
                message: format!("WhatsApp linked: {}", code.phone),
                error: None,
            },
            Ok(LinkOutcome::Expired { last_state }) => LinkFinished {
                account: account.id.clone(),
                linked: false,
                message: match last_state {
                    Some(s) if s != InstanceState::NotAuthorized => format!("The code expired. {}", s.message()),
                    _ => "The code expired before it was typed in WhatsApp; get a new one.".into(),
                },
                error: None,
            },
            Err(e) => LinkFinished {
                account: account.id.clone(),
                linked: false,
                message: e.to_string(),
                error: Some(e),
            },
        };
        crate::callback::accounts_changed(&watcher_app);
        let _ = watcher_app.emit(LINK_FINISHED, finished);
    });
    state.link_watchers.lock().unwrap().insert(id, watcher);
    Ok(shown)
}

/// Copies the link code (not a secret: it is on the screen, and lives 2.5 minutes).
#[tauri::command]
pub fn link_copy_code(app: AppHandle, id: String) -> Result<(), Error> {
    let state = app.state::<AppState>();
    let code = AccountId::parse(&id)
        .and_then(|id| state.link_codes.lock().unwrap().get(&id).cloned())
        .ok_or_else(|| Error::InvalidInput("There is no link code to copy; get a new one.".into()))?;
    app.clipboard().write_text(code).map_err(super::clipboard_failed)
}

/// Stops watching (the dialog closed).
#[tauri::command]
pub fn link_cancel(app: AppHandle, id: String) {
    if let Some(id) = AccountId::parse(&id) {
        stop_watching(&app.state::<AppState>(), &id);
    }
}

fn stop_watching(state: &AppState, id: &AccountId) {
    if let Some(watcher) = state.link_watchers.lock().unwrap().remove(id) {
        watcher.abort();
    }
    state.link_codes.lock().unwrap().remove(id);
}
