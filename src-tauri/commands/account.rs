//! The preamble that every command acting on one account shares: open the
//! core, look the account up, run the call, and — for a call that may change
//! accounts — tell the UI to read the list again and wake the scheduler,
//! whatever the call's outcome (a refused refresh changes the account too).
//! Every failure on the way is the core's typed error, as the UI gets it.

use crate::state::AppState;
use latch_core::Latch;
use latch_core::{Account, Error};
use tauri::{AppHandle, Manager};

/// One account and what a command needs to act on it.
pub struct Target<'a> {
    pub app: &'a AppHandle,
    pub state: &'a AppState,
    pub latch: &'a Latch,
    pub account: Account,
}

impl<'a> Target<'a> {
    /// Finds the account `id` names (an id, or a label as the CLI accepts).
    pub fn find(app: &'a AppHandle, id: &str) -> Result<Self, Error> {
        let state = app.state::<AppState>().inner();
        let latch = state.latch()?;
        let account = latch.find(id)?;
        Ok(Self {
            app,
            state,
            latch,
            account,
        })
    }

    /// Tells the UI and the scheduler that accounts changed, and passes the
    /// outcome of the call that changed them on.
    pub fn announce<T>(&self, outcome: Result<T, Error>) -> Result<T, Error> {
        crate::callback::accounts_changed(self.app);
        outcome.map_err(|e| e.about(&self.account))
    }
}

/// Runs `call` on the account `id` names, then announces the change.
pub async fn changing<T>(
    app: &AppHandle,
    id: &str,
    call: impl AsyncFnOnce(&Target<'_>) -> Result<T, Error>,
) -> Result<T, Error> {
    let target = Target::find(app, id)?;
    let outcome = call(&target).await;
    target.announce(outcome)
}
