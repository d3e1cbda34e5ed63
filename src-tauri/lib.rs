//! latch-desktop: the window. A thin shell over `latch-core`: commands that
//! call the core, events that carry its changes to the UI, and the deep-link
//! and single-instance plugins feeding callback URLs into it.

#[cfg(test)]
mod bindings;
mod callback;
mod commands;
mod state;
mod test_hooks;
mod watch;

use tauri::Manager;

pub fn run() {
    let state = state::AppState::open();
    let page_start = page_start(&state);
    tauri::Builder::default()
        // Single-instance first: a second launch (the desktop opening a
        // callback URL) hands its arguments to this process and exits; its
        // `deep-link` feature forwards the URL to the deep-link plugin.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(page_start)
        .manage(state)
        .setup(|app| {
            register_scheme_for_development(app);
            catch_deep_links(app);
            start_scheduler(app.handle().clone());
            start_checker(app.handle().clone());
            if let Ok(latch) = app.state::<state::AppState>().latch()
                && let Err(e) = watch::watch_index(app.handle().clone(), latch.store().home())
            {
                eprintln!("latch-desktop: changes from the command line will show after a restart ({e})");
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_accounts,
            commands::keyring_problem,
            commands::check_draft,
            commands::add_account,
            commands::revoke_consequence,
            commands::edit_values,
            commands::edit_account,
            commands::connect_account,
            commands::submit_callback,
            commands::cancel_connect,
            commands::connect_with_password,
            commands::link_state,
            commands::link_logout,
            commands::link_request_code,
            commands::link_copy_code,
            commands::link_cancel,
            commands::copy_token,
            commands::refresh_account,
            commands::check_account,
            commands::revoke_account,
            commands::remove_account,
            commands::account_details,
            commands::try_sandbox,
            commands::window_ready,
        ])
        .run(tauri::generate_context!())
        .expect("Latch could not start its window");
}

/// What the page holds before its script runs:
/// - `window.__LATCH_ACCOUNTS__`: the account list as the window starts, the
///   same rows `list_accounts` answers (no secret in them), so the first list
///   is painted without waiting for a round trip; the page reads the list
///   again once its listener is in place.
/// - Test builds only, with `LATCH_IPC_LOG` set: `window.__LATCH_IPC_LOG__`, in
///   which `ui/src/lib/ipc.ts` records every call, answer and event, so the
///   secrets audit (tests/hardening.rs) can read all the IPC traffic. Release
///   builds leave this out entirely.
fn page_start(state: &state::AppState) -> tauri::plugin::TauriPlugin<tauri::Wry> {
    let rows = state.latch().ok().and_then(|latch| latch.accounts().ok());
    let json = rows
        .and_then(|rows| serde_json::to_string(&rows).ok())
        .unwrap_or_else(|| "null".into());
    let mut script = format!("window.__LATCH_ACCOUNTS__ = {json};");
    if test_hooks::ipc_log() {
        script.push_str("\nwindow.__LATCH_IPC_LOG__ = [];");
    }
    tauri::plugin::Builder::<tauri::Wry>::new("page-start")
        .js_init_script(script)
        .build()
}

/// Callback URLs reach the running window through the deep-link plugin (a
/// second launch is forwarded by single-instance); a URL that started this
/// process is among its arguments.
fn catch_deep_links(app: &tauri::App) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            spawn_callback(&handle, url.to_string());
        }
    });
    let mut at_launch: Vec<String> = match app.deep_link().get_current() {
        Ok(Some(urls)) => urls.into_iter().map(|u| u.to_string()).collect(),
        _ => Vec::new(),
    };
    if at_launch.is_empty() {
        at_launch = callback::urls_in_args(std::env::args().skip(1));
    }
    for url in at_launch {
        spawn_callback(app.handle(), url);
    }
}

/// Refreshes tokens ahead of expiry for as long as the window runs; the UI
/// hears of each change. An account whose refresh is refused turns to
/// "needs reconnect" and the UI says which one needs attention.
fn start_scheduler(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        use tauri::Emitter;
        // Demo accounts first point at this window's own sandbox again, so
        // the first refresh goes nowhere else.
        commands::resume_sandbox(&app).await;
        let state = app.state::<state::AppState>();
        let Ok(latch) = state.latch() else { return };
        latch_core::scheduler::run(latch, &state.wake, |event| {
            if let latch_core::scheduler::Event::Failed {
                account,
                error,
                retry_in,
            } = &event
            {
                eprintln!(
                    "latch-desktop: refreshing {account} failed ({error}); next try in {} s",
                    retry_in.as_secs()
                );
            }
            if let latch_core::scheduler::Event::NeedsReconnect(id, reason) = &event {
                notify_needs_reconnect(&app, latch, id, reason);
            }
            let _ = app.emit(callback::ACCOUNTS_CHANGED, ());
        })
        .await;
    });
}

/// Asks each provider now and then whether the tokens still work
/// (`latch_core::checker`: every 30 minutes, at most one test call a second
/// to one server); a token found dead turns its account to "needs
/// reconnect", and the person hears of it as of a refused refresh.
fn start_checker(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        use tauri::Emitter;
        let state = app.state::<state::AppState>();
        let Ok(latch) = state.latch() else { return };
        let every = test_hooks::check_every().unwrap_or(latch_core::checker::CHECK_EVERY);
        latch_core::checker::run(latch, every, |id, result| {
            if let Err(latch_core::Error::NeedsReconnect { reason, .. }) = result {
                notify_needs_reconnect(&app, latch, id, reason);
                let _ = app.emit(callback::ACCOUNTS_CHANGED, ());
            }
        })
        .await;
    });
}

/// A desktop notification naming the account that needs a person.
fn notify_needs_reconnect(app: &tauri::AppHandle, latch: &latch_core::Latch, id: &latch_core::AccountId, reason: &str) {
    use tauri_plugin_notification::NotificationExt;
    let label = latch
        .find(id.as_str())
        .map(|a| a.label)
        .unwrap_or_else(|_| id.to_string());
    let shown = app
        .notification()
        .builder()
        .title(format!("{label} needs reconnecting"))
        .body(format!("{reason}. Open Latch and press Reconnect."))
        .show();
    if let Err(e) = shown {
        eprintln!("latch-desktop: could not show a notification ({e}); {label} needs reconnecting");
    }
}

fn spawn_callback(app: &tauri::AppHandle, url: String) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let _ = callback::handle(&app, &url).await;
    });
}

/// An installed Latch is registered as the handler of its URL scheme by the
/// .desktop file its package installs. A development build is not installed,
/// so it registers itself at run time (on Linux: a desktop file under the
/// user's data directory).
fn register_scheme_for_development(app: &tauri::App) {
    #[cfg(any(target_os = "linux", windows))]
    if tauri::is_dev() && !test_hooks::no_scheme_registration() {
        use tauri_plugin_deep_link::DeepLinkExt;
        if let Err(e) = app.deep_link().register_all() {
            eprintln!("latch-desktop: could not register the callback URL scheme: {e}");
        }
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    let _ = app;
}
