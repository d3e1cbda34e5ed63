//! Where every redirect lands in the window: a deep link to the running app,
//! a deep link that started the app, a loopback callback, or a pasted URL.
//! All go through `PendingFlows::accept` (the core's one strict gate), then
//! the exchange; the outcome goes to the UI as a `connect-finished` event.
//!
//! A pending flow's state and verifier are also kept in its account's keyring
//! entry until the deadline, so a deep link that arrives while Latch is closed
//! — and starts it — still finds its flow.

use crate::state::AppState;
use latch_core::Error;
use latch_core::Latch;
use latch_core::flows::{CallbackParams, PendingFlow};
use latch_core::model::{Account, AccountId, TokenSet};
use latch_core::signin::Refused;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

pub use latch_core::signin::SCHEME;

/// What the UI hears when a sign-in ends. Never carries a token.
#[derive(Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConnectFinished {
    /// The account whose sign-in ended (a callback that names none is not
    /// announced).
    pub account: String,
    pub ok: bool,
    /// What to tell the person: the outcome, or the failure's sentence.
    pub message: String,
    /// Why it failed, for the UI to act on (Reconnect, the keyring notice).
    #[cfg_attr(test, ts(as = "Option<latch_core::error::ErrorReport>"))]
    pub error: Option<Error>,
}

pub const ACCOUNTS_CHANGED: &str = "accounts-changed";

/// Tells the UI to read the list again and wakes the scheduler to plan again.
pub fn accounts_changed(app: &AppHandle) {
    let _ = app.emit(ACCOUNTS_CHANGED, ());
    app.state::<AppState>().wake.notify_one();
}
pub const CONNECT_FINISHED: &str = "connect-finished";

/// Handles one callback URL delivered by deep link. A refusal goes to the
/// UI when the callback named a sign-in in progress; one that named none
/// (junk, a replay, a forgery: anyone can open a link) speaks for no
/// sign-in, so it is only logged, and no connect dialog shows it.
pub async fn handle(app: &AppHandle, url: &str) -> Result<(), Error> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    match latch.complete_deep_link(&state.flows, url).await {
        Ok((account, tokens)) => {
            crate::commands::forget_page(app, &account.id);
            accounts_changed(app);
            connected(app, &account, &tokens);
            Ok(())
        }
        Err(Refused {
            account: Some(account),
            error,
        }) => {
            accounts_changed(app);
            Err(failed(app, &account, error))
        }
        Err(Refused { account: None, error }) => {
            eprintln!("latch-desktop: ignored a sign-in link that names no sign-in in progress: {error}");
            Err(error)
        }
    }
}

/// Exchanges the code of an accepted callback (loopback, paste) and tells
/// the UI. The flow's keyring copy goes first: its code is used now.
pub async fn complete(app: &AppHandle, latch: &Latch, flow: PendingFlow, params: CallbackParams) -> Result<(), Error> {
    let account = latch.find(flow.account_id.as_str())?;
    latch.forget_kept_flow(&account);
    let result = latch.complete_authorization(&account, flow, params).await;
    crate::commands::forget_page(app, &account.id);
    accounts_changed(app);
    match result {
        Ok(tokens) => {
            connected(app, &account, &tokens);
            Ok(())
        }
        Err(e) => Err(report(app, &account, e)),
    }
}

/// Tells the UI that a sign-in succeeded.
pub fn connected(app: &AppHandle, account: &Account, tokens: &TokenSet) {
    let left = tokens.expires_at.map(|at| at - latch_core::time::now());
    let message = match left {
        Some(s) => format!(
            "Connected {}: the token expires in {} h {} m.",
            account.label,
            s / 3600,
            (s % 3600) / 60
        ),
        None => format!("Connected {}.", account.label),
    };
    let _ = app.emit(
        CONNECT_FINISHED,
        ConnectFinished {
            account: account.id.to_string(),
            ok: true,
            message,
            error: None,
        },
    );
}

/// Tells the UI that the account's sign-in failed, and gives the error back.
pub fn report(app: &AppHandle, account: &Account, error: Error) -> Error {
    failed(app, &account.id, error)
}

/// Tells the UI that the account's sign-in failed.
fn failed(app: &AppHandle, account: &AccountId, error: Error) -> Error {
    let _ = app.emit(
        CONNECT_FINISHED,
        ConnectFinished {
            account: account.to_string(),
            ok: false,
            message: error.to_string(),
            error: Some(error.clone()),
        },
    );
    error
}

/// The callback URLs among a process's arguments (a launch by the desktop).
pub fn urls_in_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .filter(|a| a.starts_with(&format!("{SCHEME}:")))
        .collect()
}
