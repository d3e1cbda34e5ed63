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
use latch_core::model::Account;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

pub use latch_core::signin::SCHEME;

/// What the UI hears when a sign-in ends. Never carries a token.
#[derive(Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ConnectFinished {
    /// Empty when the callback named no sign-in in progress.
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

/// Handles one callback URL from any source. Errors are reported to the UI
/// (and returned for the paste command); nothing is stored on failure.
pub async fn handle(app: &AppHandle, url: &str) -> Result<(), Error> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let (flow, params) = match state.flows.accept(url) {
        Ok(found) => found,
        Err(first) => {
            // Not in memory: perhaps this start of Latch was caused by the link.
            let kept = latch.kept_flows();
            if kept.is_empty() {
                return Err(report(app, None, first));
            }
            kept.into_iter().for_each(|flow| state.flows.insert(flow));
            state.flows.accept(url).map_err(|e| report(app, None, e))?
        }
    };
    complete(app, latch, flow, params).await
}

/// Exchanges the code of an accepted callback and tells the UI.
pub async fn complete(app: &AppHandle, latch: &Latch, flow: PendingFlow, params: CallbackParams) -> Result<(), Error> {
    let account = latch.find(flow.account_id.as_str())?;
    let result = latch.complete_authorization(&account, flow, params).await;
    latch.forget_kept_flow(&account);
    crate::commands::forget_page(app, &account.id);
    accounts_changed(app);
    match result {
        Ok(tokens) => {
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
            Ok(())
        }
        Err(e) => Err(report(app, Some(&account), e)),
    }
}

/// Tells the UI that a sign-in failed, and gives the error back.
pub fn report(app: &AppHandle, account: Option<&Account>, error: Error) -> Error {
    let account = account.map(|a| a.id.to_string()).unwrap_or_default();
    let _ = app.emit(
        CONNECT_FINISHED,
        ConnectFinished {
            account,
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
