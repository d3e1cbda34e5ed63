//! "Try the sandbox": the fake providers, started inside the app, and demo
//! accounts that point at them, so a new user can try every flow with no
//! credentials. The browser flows stay real: Wazzup and PayU go through the
//! browser and come back by deep link.
//!
//! The window's sandbox always listens on ports the OS chooses for it, and
//! the window never adopts a listener it did not start (one on the README's
//! fixed ports may be any program): `latch_sandbox::demo` says why, and how
//! the demo accounts follow the sandbox when it starts again. On launch the
//! window starts its sandbox again if it holds demo accounts, before the
//! scheduler runs ([`resume_sandbox`]).

use crate::callback::accounts_changed;
use crate::state::AppState;
use latch_core::Error;
use latch_core::signin::SCHEME;
use latch_sandbox::demo::{self, BaseUrls};
use latch_sandbox::{Sandbox, SandboxConfig};
use tauri::{AppHandle, Manager};

#[tauri::command]
pub async fn try_sandbox(app: AppHandle) -> Result<String, Error> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let urls = own_sandbox(&state).await?;
    let added = demo::add_accounts(latch, &urls, &redirect()).await;
    accounts_changed(&app);
    Ok(match added?.len() {
        0 => "The sandbox is running inside Latch; its demo accounts are in the list, marked “Sandbox”.".into(),
        n => format!(
            "The sandbox is running inside Latch with {n} demo account{}, marked “Sandbox”: press Connect or Link \
             on each to try its flow.",
            if n == 1 { "" } else { "s" }
        ),
    })
}

/// On launch: when the window holds demo accounts, starts its sandbox again
/// and points them at it, so they never point at ports another program
/// may hold by now. Quiet when there are none.
pub async fn resume_sandbox(app: &AppHandle) {
    let state = app.state::<AppState>();
    let Ok(latch) = state.latch() else { return };
    if !demo::has_accounts(latch, &redirect()).unwrap_or(false) {
        return;
    }
    let pointed = match own_sandbox(&state).await {
        Ok(urls) => demo::point_accounts(latch, &urls, &redirect()).await,
        Err(e) => Err(e),
    };
    match pointed {
        Ok(_) => accounts_changed(app),
        Err(e) => eprintln!("latch-desktop: the sandbox's demo accounts could not be started again ({e})"),
    }
}

/// The sandbox this window started, started now if it has none yet.
async fn own_sandbox(state: &AppState) -> Result<BaseUrls, Error> {
    let mut sandbox = state.sandbox.lock().await;
    if let Some(running) = sandbox.as_ref() {
        return Ok(running.base_urls());
    }
    // `SandboxConfig::demo()` has no fixed ports: the OS chooses each one.
    let started = Sandbox::start(SandboxConfig::demo())
        .await
        .map_err(|e| Error::InvalidInput(format!("The sandbox could not start on 127.0.0.1 ({e}); try again.")))?;
    let urls = started.base_urls();
    *sandbox = Some(started);
    Ok(urls)
}

fn redirect() -> String {
    format!("{SCHEME}:/oauth/callback")
}

/// Whether this window's sandbox runs now (the bar's Sandbox control).
#[tauri::command]
pub async fn sandbox_running(app: AppHandle) -> bool {
    app.state::<AppState>().sandbox.lock().await.is_some()
}

/// Starts the window's sandbox and points its demo accounts at it.
#[tauri::command]
pub async fn start_sandbox(app: AppHandle) -> Result<String, Error> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let urls = own_sandbox(&state).await?;
    demo::point_accounts(latch, &urls, &redirect()).await?;
    accounts_changed(&app);
    Ok("The sandbox is running; its demo accounts answer again.".into())
}

/// Stops the window's sandbox: its fakes stop answering (the demo accounts
/// then say "the sandbox is not running").
#[tauri::command]
pub async fn stop_sandbox(app: AppHandle) -> Result<String, Error> {
    let stopped = app.state::<AppState>().sandbox.lock().await.take();
    drop(stopped);
    accounts_changed(&app);
    Ok("The sandbox stopped; Start sandbox brings its demo accounts back.".into())
}

/// GREEN-API in the sandbox: plays the phone, typing the link code shown
/// for the demo account into the fake's WhatsApp, as a person would on
/// their phone. Only for a demo account, only with this window's sandbox.
#[tauri::command]
pub async fn sandbox_phone(app: AppHandle, id: String) -> Result<(), Error> {
    let state = app.state::<AppState>();
    let account = state.latch()?.find(&id)?;
    let latch_core::model::ProviderSettings::GreenApi(settings) = &account.settings else {
        return Err(Error::InvalidInput("Only a GREEN-API account links a phone.".into()));
    };
    if !account.sandbox {
        return Err(Error::InvalidInput(
            "Only a sandbox account's phone can be simulated; type the code on your phone.".into(),
        ));
    }
    let code = state
        .link_codes
        .lock()
        .unwrap()
        .get(&account.id)
        .cloned()
        .ok_or_else(|| Error::InvalidInput("There is no link code to type; get a new one.".into()))?;
    let sandbox = state.sandbox.lock().await;
    let sandbox = sandbox.as_ref().ok_or_else(|| Error::SandboxNotRunning {
        provider: "GREEN-API".into(),
    })?;
    if sandbox.green_api().enter_code(settings.id_instance, &code) {
        Ok(())
    } else {
        Err(Error::InvalidInput(
            "The sandbox's phone could not link: the code is no longer the one shown; get a new one.".into(),
        ))
    }
}
