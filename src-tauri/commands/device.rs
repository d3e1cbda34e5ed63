//! The device code sign-in (RFC 8628) in the window: Connect asks the
//! server for the codes, the dialog shows the user code and the address to
//! type it at, and a task here polls until the person answers there, like
//! the GREEN-API link watcher. The page only counts down to the expiry time
//! it is given; the polling, its interval and `slow_down` are the core's
//! (`Latch::finish_device_sign_in`).
//!
//! The device code is what the tokens are fetched with: it stays in the
//! task's `DeviceAuthorization` and never reaches the page. The user code
//! and the verification address are on the screen by design, so copying
//! them needs no clipboard clear.

use super::account::Target;
use super::connect::{ConnectStarted, open_browser};
use crate::callback;
use crate::state::AppState;
use latch_core::Error;
use latch_core::flows::DeviceAuthorization;
use latch_core::model::{Account, AccountId};
use latch_core::redirect::page::SignInPage;
use tauri::{AppHandle, Manager};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tokio::sync::oneshot;

/// A device code sign-in in progress: what the dialog may copy or open
/// again, and the switch that stops its polling (dropping it does too).
pub struct DeviceSignIn {
    user_code: String,
    /// `verification_uri_complete` where the server gave one (the code is
    /// filled in there), else `verification_uri`.
    address: String,
    /// The browser's page, kept until the sign-in ends.
    page: Option<SignInPage>,
    _stop: oneshot::Sender<()>,
}

/// Asks for the codes, opens the browser at the address that carries the
/// user code, and starts polling. A sign-in already running for the account
/// is stopped first ("Start again").
pub async fn start(target: &Target<'_>) -> Result<ConnectStarted, Error> {
    let Target {
        app,
        state,
        latch,
        account,
    } = target;
    stop(state, &account.id);
    let device = latch.start_device_sign_in(account).await?;
    let address = device
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| device.verification_uri.clone());
    let page = open_address(app, &address);
    let started = ConnectStarted::Device {
        user_code: device.user_code.clone(),
        verification_uri: device.verification_uri.clone(),
        verification_uri_complete: device.verification_uri_complete.clone(),
        expires_at: latch_core::time::now().saturating_add(i64::try_from(device.expires_in).unwrap_or(i64::MAX)),
        opened: page.is_some(),
    };
    let (stop_tx, stopped) = oneshot::channel::<()>();
    state.devices.lock().unwrap().insert(
        account.id.clone(),
        DeviceSignIn {
            user_code: device.user_code.clone(),
            address,
            page,
            _stop: stop_tx,
        },
    );
    tauri::async_runtime::spawn(poll((*app).clone(), account.clone(), device, stopped));
    Ok(started)
}

/// Polls until the person answers, the codes expire or the sign-in is
/// stopped; tells the dialog the outcome (not when stopped: the dialog
/// that stopped it is gone or has started again).
async fn poll(app: AppHandle, account: Account, device: DeviceAuthorization, stopped: oneshot::Receiver<()>) {
    let state = app.state::<AppState>();
    let Ok(latch) = state.latch() else { return };
    let outcome = tokio::select! {
        outcome = latch.finish_device_sign_in(&account, &device, |_| {}) => outcome,
        _ = stopped => return,
    };
    // Ended: its entry goes (unless a new sign-in has taken its place).
    {
        let mut devices = state.devices.lock().unwrap();
        if devices
            .get(&account.id)
            .is_some_and(|d| d.user_code == device.user_code)
        {
            devices.remove(&account.id);
        }
    }
    callback::accounts_changed(&app);
    match outcome {
        Ok(tokens) => callback::connected(&app, &account, &tokens),
        Err(e) => {
            callback::report(&app, &account, e);
        }
    }
}

/// Stops the account's device code sign-in, if one runs: polling ends and
/// its browser page is deleted.
pub fn stop(state: &AppState, id: &AccountId) {
    state.devices.lock().unwrap().remove(id);
}

/// Opens the browser at `address` through the core's private page.
fn open_address(app: &AppHandle, address: &str) -> Option<SignInPage> {
    let latch = app.state::<AppState>().inner().latch().ok()?;
    let url = tauri::Url::parse(address)
        .map_err(|e| eprintln!("latch-desktop: the server's verification address is not a URL: {e}"))
        .ok()?;
    open_browser(app, latch, &url)
}

/// What the dialog asks of a sign-in in progress, or the sentence that
/// says there is none.
fn running<T>(app: &AppHandle, id: &str, what: impl FnOnce(&mut DeviceSignIn) -> T) -> Result<T, Error> {
    let state = app.state::<AppState>();
    let mut devices = state.devices.lock().unwrap();
    AccountId::parse(id)
        .and_then(|id| devices.get_mut(&id))
        .map(what)
        .ok_or_else(|| {
            Error::InvalidInput("This device code sign-in has ended; press Start again for a new code.".into())
        })
}

/// Copies the user code, or (`address`) the verification address. Neither
/// is a secret: both are on the screen.
#[tauri::command]
pub fn device_copy(app: AppHandle, id: String, address: bool) -> Result<(), Error> {
    let text = running(&app, &id, |d| {
        if address {
            d.address.clone()
        } else {
            d.user_code.clone()
        }
    })?;
    app.clipboard().write_text(text).map_err(super::clipboard_failed)
}

/// Opens the verification address in the browser again. Answers whether a
/// browser was opened (not on a machine without one, nor in tests).
#[tauri::command]
pub fn device_open(app: AppHandle, id: String) -> Result<bool, Error> {
    let address = running(&app, &id, |d| d.address.clone())?;
    let Some(page) = open_address(&app, &address) else {
        return Ok(false);
    };
    running(&app, &id, |d| d.page = Some(page))?;
    Ok(true)
}
