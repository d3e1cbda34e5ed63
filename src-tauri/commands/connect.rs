//! Commands that connect an account: create it, start its flow, take a
//! pasted callback, cancel (the device code grant's own steps are in
//! `device.rs`). The browser is opened from Rust, on the core's
//! private sign-in page rather than the address (an opener's command line
//! is readable by every local user); the page is kept until the sign-in
//! ends, is cancelled or reaches its deadline. Tokens never come back
//! through here.

use super::account::{Target, changing};
use crate::callback;
use crate::state::AppState;
use latch_core::Error;
use latch_core::model::{Account, Grant, UnixTime};
use latch_core::providers::AccountDraft;
use latch_core::providers::catalogue::FieldProblem;
use latch_core::redirect::page::SignInPage;
use latch_core::secret::Password;
use latch_core::signin::{Return, accept_pasted};
use serde::Serialize;
use std::time::Duration;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;

/// How long a loopback listener waits for the browser.
const LOOPBACK_WAIT: Duration = Duration::from_secs(10 * 60);

/// The draft's problems, field by field, by the core's rules (the same
/// `latch add` checks with). Empty when it can be added.
#[tauri::command]
pub fn check_draft(draft: AccountDraft) -> Vec<FieldProblem> {
    draft.problems()
}

/// Adds the account the dialog's draft describes; its one secret goes
/// straight to the keyring.
#[tauri::command]
pub fn add_account(
    state: State<'_, AppState>,
    app: AppHandle,
    draft: AccountDraft,
    store: Option<String>,
) -> Result<Account, Error> {
    let latch = state.latch()?;
    let label = draft.values.get("label").map(|l| l.trim()).unwrap_or_default();
    let id = latch.free_id(label)?;
    let (mut account, secrets) = draft.build(id, latch_core::time::now())?;
    if let Some(name) = store.filter(|s| !s.is_empty()) {
        if !latch.store().stores()?.iter().any(|s| s.name == name) {
            return Err(refused(
                "That shared store is not in Latch's settings any more; choose another.",
            ));
        }
        account.store = Some(name);
    }
    let account = latch.add(account, secrets)?;
    crate::callback::accounts_changed(&app);
    Ok(account)
}

/// The fields `edit_account` can change, with their values now, in the
/// form's order (never a secret).
#[tauri::command]
pub fn edit_values(app: AppHandle, id: String) -> Result<Vec<(String, String)>, Error> {
    let target = Target::find(&app, &id)?;
    Ok(latch_core::providers::edit::editable(&target.account))
}

/// Changes the account's label and settings (field name → value), by the
/// rules `latch edit` uses. New servers for its secrets are refused with
/// [`Error::ServerChanged`] unless `confirm_server` says the person agreed.
#[tauri::command]
pub fn edit_account(
    app: AppHandle,
    id: String,
    changes: Vec<(String, String)>,
    confirm_server: Option<bool>,
) -> Result<Account, Error> {
    let target = Target::find(&app, &id)?;
    // A new secret (the field the add form calls `secret`; empty keeps the
    // old one) goes to the keyring after the settings it belongs with.
    let (secret, changes): (Vec<_>, Vec<_>) = changes.into_iter().partition(|(name, _)| name == "secret");
    let secret = secret
        .into_iter()
        .map(|(_, value)| value)
        .find(|v| !v.trim().is_empty());
    let edited = latch_core::providers::edit::edited(&target.account, &changes)?;
    let confirmed = match target.latch.server_change(&edited)? {
        Some(change) if confirm_server != Some(true) => return Err(change.error()),
        Some(_) => true,
        None => false,
    };
    let saved = if changes.is_empty() {
        Ok(target.account.clone())
    } else {
        target.latch.edit(&edited, confirmed)
    };
    let saved = match (saved, secret) {
        (Ok(saved), Some(secret)) => target
            .latch
            .replace_secret(&saved, &latch_core::secret::DraftSecret::new(secret))
            .map(|()| saved),
        (saved, _) => saved,
    };
    target.announce(saved)
}

/// What revoking will do at the account's provider, said before it is done.
#[tauri::command]
pub fn revoke_consequence(app: AppHandle, id: String) -> Result<String, Error> {
    let target = Target::find(&app, &id)?;
    let consequence = target.account.settings.provider().revoke_consequence();
    Ok(match &target.account.store {
        Some(store) => {
            format!("{consequence} It is shared through the store “{store}”: every machine that uses it loses access.")
        }
        None => consequence,
    })
}

/// The named shared stores (OpenBao/Vault) a new account may keep its secrets in.
#[tauri::command]
pub fn list_stores(state: State<'_, AppState>) -> Result<Vec<String>, Error> {
    Ok(state.latch()?.store().stores()?.into_iter().map(|s| s.name).collect())
}

/// A refusal written here, in the shell: the input cannot be used.
fn refused(sentence: &str) -> Error {
    Error::InvalidInput(sentence.to_owned())
}

/// What the dialog shows after Connect.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ConnectStarted {
    /// The browser is on the provider's page; the redirect comes back
    /// `via` a deep link, the loopback listener, or the paste field.
    /// It runs out at `expires_at` (Unix seconds): the dialog counts down.
    Waiting {
        url: String,
        via: Via,
        expires_at: UnixTime,
    },
    /// Done already (client credentials).
    Connected { message: String },
    /// The password grant: ask for the password, then `connect_with_password`.
    NeedsPassword,
    /// The device code grant (RFC 8628): the person types `user_code` at
    /// `verification_uri` (or opens `verification_uri_complete`, which
    /// carries it) before `expires_at`; the outcome comes as `connect-finished`.
    Device {
        user_code: String,
        verification_uri: String,
        verification_uri_complete: Option<String>,
        /// Unix seconds; the page counts down to it.
        expires_at: UnixTime,
        /// Whether a browser was opened at the address.
        opened: bool,
    },
}

/// How the browser's redirect comes back to Latch.
#[derive(Clone, Copy, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The app's URL scheme, opened by the desktop.
    DeepLink,
    /// A listener on 127.0.0.1.
    Loopback,
    /// The person pastes the address the browser landed on.
    Paste,
}

/// `confirm_server`: the person agreed to send the account's secrets to the
/// server its settings name now; without it, a changed server is refused
/// with [`Error::ServerChanged`] and the dialog asks.
#[tauri::command]
pub async fn connect_account(
    app: AppHandle,
    id: String,
    confirm_server: Option<bool>,
) -> Result<ConnectStarted, Error> {
    let target = Target::find(&app, &id)?;
    if let Some(change) = target.latch.server_change(&target.account)? {
        if confirm_server != Some(true) {
            return Err(change.error());
        }
        target.latch.confirm_servers(&target.account)?;
    }
    match target.account.settings.grant() {
        Some(Grant::AuthorizationCode) => start_browser_flow(&target).await,
        Some(Grant::Password) => Ok(ConnectStarted::NeedsPassword),
        Some(Grant::ClientCredentials) => {
            let outcome = target.latch.connect_with_client_credentials(&target.account).await;
            target.announce(outcome).map(|_| ConnectStarted::Connected {
                message: format!("Connected {}.", target.account.label),
            })
        }
        Some(Grant::DeviceCode) => super::device::start(&target).await,
        None => Err(refused(
            "A GREEN-API account is linked with a code, not connected in a browser.",
        )),
    }
}

async fn start_browser_flow(target: &Target<'_>) -> Result<ConnectStarted, Error> {
    let Target {
        app,
        state,
        latch,
        account,
    } = target;
    cancel_listener(state, account);
    let way_back = Return::of(account)?;
    let via = match &way_back {
        Return::Loopback(_) => Via::Loopback,
        Return::DeepLink => Via::DeepLink,
        Return::Paste => Via::Paste,
    };
    let url = match way_back {
        Return::Loopback(redirect) => {
            let sign_in = latch.start_loopback_sign_in(account, &redirect, &state.flows).await?;
            let url = sign_in.url.clone();
            let page = open_browser(app, latch, &url);
            let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
            state.listeners.lock().unwrap().insert(account.id.clone(), cancel);
            let app = (*app).clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                let cancelled = async {
                    let _ = cancelled.await;
                };
                let served = sign_in.callback(&state.flows, LOOPBACK_WAIT, cancelled).await;
                // The listener has ended: so has the page's use.
                drop(page);
                if let (Ok((flow, params)), Ok(latch)) = (served, state.latch()) {
                    let _ = callback::complete(&app, latch, flow, params).await;
                }
            });
            url
        }
        Return::DeepLink | Return::Paste => {
            let url = latch.start_kept_sign_in(account, &state.flows)?;
            if let Some(page) = open_browser(app, latch, &url) {
                keep_page(app, latch, account, page);
            }
            url
        }
    };
    state.sign_ins.lock().unwrap().insert(account.id.clone(), url.clone());
    let listening = latch_core::time::now() + LOOPBACK_WAIT.as_secs() as UnixTime;
    let expires_at = match (state.flows.waiting(&account.id), via) {
        (Some((deadline, _)), Via::Loopback) => deadline.min(listening),
        (Some((deadline, _)), _) => deadline,
        (None, _) => listening,
    };
    Ok(ConnectStarted::Waiting {
        url: url.to_string(),
        via,
        expires_at,
    })
}

/// The address the account's browser sign-in waits on, or the sentence
/// that says it has ended (used, cancelled, or out of time).
fn waiting_sign_in(app: &AppHandle, id: &str) -> Result<tauri::Url, Error> {
    let state = app.state::<AppState>();
    let ended = || Error::InvalidInput("This sign-in has ended; press Start again for a new one.".into());
    let id = latch_core::model::AccountId::parse(id).ok_or_else(ended)?;
    let (_, waiting) = state.flows.waiting(&id).ok_or_else(ended)?;
    let url = state.sign_ins.lock().unwrap().get(&id).cloned().ok_or_else(ended)?;
    // The address must be the one this flow started at, not an older one's.
    let started = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned());
    match started {
        Some(s) if latch_core::secret::State::new(s.as_str()) == waiting => Ok(url),
        _ => Err(ended()),
    }
}

/// Copies the sign-in address (it is on the screen: not a secret).
#[tauri::command]
pub fn copy_sign_in(app: AppHandle, id: String) -> Result<(), Error> {
    use tauri_plugin_clipboard_manager::ClipboardExt;
    let url = waiting_sign_in(&app, &id)?;
    app.clipboard()
        .write_text(url.to_string())
        .map_err(super::clipboard_failed)
}

/// Opens the browser on the sign-in again (through a new private page).
/// Answers whether a browser was opened (not on a machine without one).
#[tauri::command]
pub fn open_sign_in(app: AppHandle, id: String) -> Result<bool, Error> {
    let url = waiting_sign_in(&app, &id)?;
    let target = Target::find(&app, &id)?;
    let Some(page) = open_browser(&app, target.latch, &url) else {
        return Ok(false);
    };
    // A loopback sign-in's first page is held by its listener; this one is
    // kept like a deep link's, until the sign-in ends or runs out.
    keep_page(&app, target.latch, &target.account, page);
    Ok(true)
}

/// Opens the browser on the sign-in page that leads to `url`; the page is
/// returned to be kept while the sign-in runs. `None` when there is no
/// browser to open (the dialog shows the address either way).
pub(super) fn open_browser(app: &AppHandle, latch: &latch_core::Latch, url: &tauri::Url) -> Option<SignInPage> {
    // LATCH_NO_BROWSER: show the address only (tests, and machines without a browser).
    if std::env::var_os("LATCH_NO_BROWSER").is_some() {
        return None;
    }
    let page = latch
        .sign_in_page(url)
        .map_err(|e| eprintln!("latch-desktop: {e}"))
        .ok()?;
    match app.opener().open_path(page.path().to_string_lossy(), None::<&str>) {
        Ok(()) => Some(page),
        Err(e) => {
            eprintln!("latch-desktop: could not open the browser: {e}");
            None
        }
    }
}

/// Keeps the page of a sign-in that comes back by deep link or paste until
/// that sign-in ends ([`forget_page`]) or its deadline passes.
fn keep_page(app: &AppHandle, latch: &latch_core::Latch, account: &Account, page: SignInPage) {
    let state = app.state::<AppState>();
    let path = page.path().to_owned();
    state.pages.lock().unwrap().insert(account.id.clone(), page);
    let (app, id) = (app.clone(), account.id.clone());
    let ttl = latch.engine().config().pending_ttl;
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(ttl).await;
        let state = app.state::<AppState>();
        let mut pages = state.pages.lock().unwrap();
        if pages.get(&id).is_some_and(|page| page.path() == path) {
            pages.remove(&id);
        }
    });
}

/// Deletes the sign-in page kept for `account`, if any: its sign-in ended.
pub fn forget_page(app: &AppHandle, account: &latch_core::AccountId) {
    app.state::<AppState>().pages.lock().unwrap().remove(account);
}

/// The address the browser landed on, or just the code, pasted by the
/// person: read by the core's one rule for a paste.
#[tauri::command]
pub async fn submit_callback(app: AppHandle, id: String, pasted: String) -> Result<(), Error> {
    let target = Target::find(&app, &id)?;
    let (flow, params) = accept_pasted(&target.state.flows, &target.account, &pasted)
        .map_err(|e| callback::report(&app, &target.account, e))?;
    callback::complete(&app, target.latch, flow, params).await
}

#[tauri::command]
pub fn cancel_connect(app: AppHandle, id: String) -> Result<(), Error> {
    let target = Target::find(&app, &id)?;
    cancel_listener(target.state, &target.account);
    super::device::stop(target.state, &target.account.id);
    forget_page(&app, &target.account.id);
    target.state.sign_ins.lock().unwrap().remove(&target.account.id);
    target.state.flows.take_for_account(&target.account.id);
    target.latch.forget_kept_flow(&target.account);
    Ok(())
}
/// The password grant: the password is used for this one request.
#[tauri::command]
pub async fn connect_with_password(
    app: AppHandle,
    id: String,
    username: String,
    password: String,
) -> Result<String, Error> {
    changing(&app, &id, async |t| {
        t.latch
            .connect_with_password(&t.account, &username, Password::new(password))
            .await?;
        Ok(format!("Connected {}.", t.account.label))
    })
    .await
}

fn cancel_listener(state: &AppState, account: &Account) {
    if let Some(cancel) = state.listeners.lock().unwrap().remove(&account.id) {
        let _ = cancel.send(());
    }
}
