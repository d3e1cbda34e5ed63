//! latch-desktop: the window. A thin shell over `latch-core`: commands that
//! call the core, events that carry its changes to the UI, and the deep-link
//! and single-instance plugins feeding callback URLs into it.

#[cfg(test)]
mod bindings;
mod callback;
mod commands;
mod shell;
mod state;
mod test_hooks;
mod tray;
mod watch;

use tauri::Manager;

pub fn run() {
    let state = state::AppState::open();
    // The window's size, kept in the data directory (an absolute name
    // replaces the plugin's config directory). Without a data directory the
    // window opens at its default size.
    let window_file = state.latch().ok().map(|latch| {
        latch
            .store()
            .home()
            .join(shell::WINDOW_FILE)
            .to_string_lossy()
            .into_owned()
    });
    let builder = tauri::Builder::default();
    let builder = match window_file {
        Some(file) => builder.plugin(
            tauri_plugin_window_state::Builder::new()
                .with_filename(file)
                .with_state_flags(shell::REMEMBERED)
                .build(),
        ),
        None => builder,
    };
    let app = builder
        // Single-instance first: a second launch (the desktop opening a
        // callback URL, or the person starting Latch again) hands its
        // arguments to this process and exits; its `deep-link` feature
        // forwards the URL to the deep-link plugin. The window shows, built
        // again if it was closed to the tray.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // The login entry starting a Latch that already runs: nothing to show.
            if argv.iter().any(|a| a == shell::HIDDEN) {
                return;
            }
            if let Err(e) = shell::open_window(app) {
                eprintln!("latch-desktop: the window could not open ({e})");
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_notification::init())
        // The desktop's own file dialogs, for Export and Import; used from
        // Rust only (the window is granted none of the plugin's commands).
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![shell::HIDDEN]),
        ))
        .manage(state)
        .manage(shell::Shell::default())
        .setup(|app| {
            register_scheme_for_development(app);
            if let Err(e) = tray::install(app.handle()) {
                eprintln!("latch-desktop: the tray icon could not be built ({e})");
            }
            // Started at login: straight to the tray, if the desktop shows it.
            let hidden = std::env::args().any(|a| a == shell::HIDDEN) && shell::tray_shown();
            if !hidden {
                shell::open_window(app.handle())?;
            }
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
        .on_window_event(|window, event| {
            if window.label() != shell::MAIN {
                return;
            }
            match event {
                tauri::WindowEvent::CloseRequested { .. } => shell::closing(window.app_handle()),
                tauri::WindowEvent::Resized(_) => shell::window_changed(window.app_handle()),
                _ => {}
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::list_accounts,
            commands::keyring_problem,
            commands::check_draft,
            commands::add_account,
            commands::revoke_consequence,
            commands::list_stores,
            commands::edit_values,
            commands::edit_account,
            commands::connect_account,
            commands::submit_callback,
            commands::cancel_connect,
            commands::copy_sign_in,
            commands::open_sign_in,
            commands::connect_with_password,
            commands::discover_issuer,
            commands::device_copy,
            commands::device_open,
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
            commands::export_text,
            commands::copy_export,
            commands::save_export,
            commands::read_import,
            commands::choose_import,
            commands::import_accounts,
            commands::try_sandbox,
            commands::sandbox_running,
            commands::start_sandbox,
            commands::stop_sandbox,
            commands::sandbox_phone,
            commands::window_ready,
            commands::window_filtered,
            commands::start_at_login,
            commands::set_start_at_login,
            commands::quit,
        ])
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        // A hand-off (`shell::after_close`) tries again; anything else is fatal.
        Err(e) => match shell::handoff_try() {
            Some(attempt) => shell::handoff_again(attempt),
            None => panic!("Latch could not start its window: {e}"),
        },
    };
    app.run(|app, event| {
        // The last window closed: Latch stays in the tray if `closing` said
        // so; an explicit quit (`exit`) carries a code and always ends it.
        if let tauri::RunEvent::ExitRequested { code: None, api, .. } = event
            && app.state::<shell::Shell>().stays()
        {
            api.prevent_exit();
        }
    });
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

/// Refreshes tokens ahead of expiry for as long as Latch runs, window open
/// or not; the UI and the tray hear of each change. An account whose refresh
/// is refused turns to "needs reconnect", and one whose refresh keeps
/// failing (a third failure in a row, or its token ran out meanwhile) is
/// named in a notification, once, and marked in the tray until a refresh
/// works again.
fn start_scheduler(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        use latch_core::scheduler::Event;
        use tauri::Emitter;
        // Demo accounts first point at this window's own sandbox again, so
        // the first refresh goes nowhere else.
        commands::resume_sandbox(&app).await;
        let state = app.state::<state::AppState>();
        let Ok(latch) = state.latch() else { return };
        let mut failures: std::collections::HashMap<latch_core::AccountId, u32> = Default::default();
        latch_core::scheduler::run(latch, &state.wake, |event| {
            match &event {
                Event::Failed {
                    account,
                    error,
                    retry_in,
                } => {
                    eprintln!(
                        "latch-desktop: refreshing {account} failed ({error}); next try in {} s",
                        retry_in.as_secs()
                    );
                    let n = failures.entry(account.clone()).or_default();
                    *n += 1;
                    let found = latch.find(account.as_str()).ok();
                    let ran_out = found
                        .as_ref()
                        .and_then(|a| a.token.as_ref()?.expires_at)
                        .is_some_and(|at| at <= latch_core::time::now());
                    let warned = state.failing.lock().unwrap().contains_key(account);
                    if (*n >= 3 || ran_out) && !warned {
                        let label = found.map_or_else(|| account.to_string(), |a| a.label);
                        let token = if ran_out {
                            "Its token has expired"
                        } else {
                            "Its token still works"
                        };
                        shell::notify(
                            &app,
                            &format!("Refreshing {label} keeps failing"),
                            &format!("{error}. {token}; Latch tries again in {} s.", retry_in.as_secs()),
                        );
                        state.failing.lock().unwrap().insert(account.clone(), error.to_string());
                    }
                }
                Event::Refreshed(id) | Event::NeedsReconnect(id, _) => {
                    failures.remove(id);
                    state.failing.lock().unwrap().remove(id);
                    if let Event::NeedsReconnect(id, reason) = &event {
                        notify_needs_reconnect(&app, latch, id, reason);
                    }
                }
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
    let label = latch
        .find(id.as_str())
        .map(|a| a.label)
        .unwrap_or_else(|_| id.to_string());
    shell::notify(
        app,
        &format!("{label} needs reconnecting"),
        &format!("{reason}. Open Latch and press Reconnect."),
    );
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
