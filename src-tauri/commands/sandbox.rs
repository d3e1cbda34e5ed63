//! "Try the sandbox": the fake providers, started inside the app on the same
//! fixed ports as `latch sandbox`, and demo accounts that point at them, so a
//! new user can try every flow with no credentials. The browser flows stay
//! real: Wazzup and PayU go through the browser and come back by deep link.

use crate::callback::accounts_changed;
use crate::state::AppState;
use latch_core::Error;
use latch_core::signin::SCHEME;
use latch_sandbox::demo::{self, BaseUrls};
use latch_sandbox::{Ports, Sandbox, SandboxConfig};
use tauri::{AppHandle, Manager};

#[tauri::command]
pub async fn try_sandbox(app: AppHandle) -> Result<String, Error> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let mut config = SandboxConfig::demo();
    config.ports = Some(Ports::FIXED);
    let running = match Sandbox::start(config).await {
        Ok(sandbox) => {
            *state.sandbox.lock().unwrap() = Some(sandbox);
            "The sandbox is running"
        }
        // Already running (another window, or `latch sandbox` in a terminal).
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => "A sandbox was already running",
        Err(e) => {
            return Err(Error::InvalidInput(format!(
                "The sandbox could not start on 127.0.0.1 ({e}); close what uses ports 8971–8975 and try again."
            )));
        }
    };
    let redirect = format!("{SCHEME}:/oauth/callback");
    let added = demo::add_accounts(latch, &BaseUrls::of_ports(Ports::FIXED), &redirect).await;
    accounts_changed(&app);
    let added = added?.len();
    Ok(format!(
        "{running} on 127.0.0.1:8971–8975 with {added} demo account{}: press Connect or Link on each to try its flow.",
        if added == 1 { "" } else { "s" }
    ))
}
