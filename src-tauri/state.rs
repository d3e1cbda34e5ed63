//! What the window's commands share: Latch's core, opened once, and the
//! sign-ins in progress.

use latch_core::Error;
use latch_core::Latch;
use latch_core::flows::PendingFlows;
use latch_core::model::AccountId;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::oneshot;

pub struct AppState {
    /// Opening can fail (an unwritable data directory); the window still
    /// starts and every command answers with the reason, as the core's
    /// error, so the window can tell a keyring problem from another.
    latch: Result<Latch, Error>,
    /// Sign-ins waiting for their redirect, found by `state`.
    pub flows: PendingFlows,
    /// Loopback listeners waiting for a browser, by account: sending (or
    /// dropping) the sender closes the listener.
    pub listeners: Mutex<HashMap<AccountId, oneshot::Sender<()>>>,
    /// The sign-in pages of flows that come back by deep link or paste, by
    /// account: removing one deletes its file.
    pub pages: Mutex<HashMap<AccountId, latch_core::redirect::page::SignInPage>>,
    /// The address each browser sign-in started at, by account, for the
    /// dialog's Copy address and Open in browser (only while its flow waits).
    pub sign_ins: Mutex<HashMap<AccountId, tauri::Url>>,
    /// GREEN-API: the link code on screen and its watcher, by account.
    pub link_codes: Mutex<HashMap<AccountId, String>>,
    pub link_watchers: Mutex<HashMap<AccountId, tauri::async_runtime::JoinHandle<()>>>,
    /// Device code sign-ins (RFC 8628) being polled, by account: removing
    /// one stops its polling and deletes its browser page.
    pub devices: Mutex<HashMap<AccountId, crate::commands::DeviceSignIn>>,
    /// Wakes the refresh scheduler when accounts change.
    pub wake: tokio::sync::Notify,
    /// Accounts whose refresh keeps failing (the person was warned), with
    /// the last failure's sentence; cleared by the next success.
    pub failing: Mutex<HashMap<AccountId, String>>,
    /// Copies whose clearing is still to come (`commands::put_on_clipboard`):
    /// Latch does not start over hidden (`shell::after_close`) before them.
    pub clipboard_clears: std::sync::atomic::AtomicUsize,
    /// The fake providers, once "Try the sandbox" (or a launch with demo
    /// accounts) started them. Held across the start, so two clicks start one.
    pub sandbox: tokio::sync::Mutex<Option<latch_sandbox::Sandbox>>,
}

impl AppState {
    pub fn open() -> Self {
        Self {
            latch: Latch::open(None),
            flows: PendingFlows::new(),
            listeners: Mutex::new(HashMap::new()),
            pages: Mutex::new(HashMap::new()),
            sign_ins: Mutex::new(HashMap::new()),
            link_codes: Mutex::new(HashMap::new()),
            link_watchers: Mutex::new(HashMap::new()),
            devices: Mutex::new(HashMap::new()),
            wake: tokio::sync::Notify::new(),
            failing: Mutex::new(HashMap::new()),
            clipboard_clears: std::sync::atomic::AtomicUsize::new(0),
            sandbox: tokio::sync::Mutex::new(None),
        }
    }

    pub fn latch(&self) -> Result<&Latch, Error> {
        self.latch.as_ref().map_err(Clone::clone)
    }
}
