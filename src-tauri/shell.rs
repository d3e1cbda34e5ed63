//! Latch's life beside its window. Where the desktop shows tray icons,
//! closing the window destroys it — the webview and WebKit's processes go —
//! and Latch stays in the tray with the core, the refresh scheduler and the
//! checker; the tray's Open, a second launch or a deep link build the window
//! again. Quitting is explicit: the tray's Quit, or Ctrl+Q in the window.
//! Where no tray is shown, closing the window quits, as it always did, and
//! says why.

use crate::state::AppState;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::{AppHandle, Manager, WebviewWindow};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

pub const MAIN: &str = "main";

/// The argument the login entry starts Latch with: straight to the tray.
pub const HIDDEN: &str = "--hidden";

/// The argument Latch starts over with after its window closed to the tray
/// (`after_close`), with the number of the try.
pub const HANDOFF: &str = "--handoff=";

/// How long after the window closed Latch starts over hidden: a person who
/// closes and opens again at once finds the same process.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether closing the last window leaves Latch running (decided when the
/// window is asked to close).
#[derive(Default)]
pub struct Shell {
    stays: AtomicBool,
    /// Counts the window's resizes and moves: its size is saved once they
    /// stop for a moment ([`window_changed`]).
    resizes: std::sync::atomic::AtomicU64,
}

impl Shell {
    pub fn stays(&self) -> bool {
        self.stays.load(Ordering::SeqCst)
    }
}

/// Whether the desktop shows tray icons now: the tray's library can be
/// loaded, and a StatusNotifierWatcher on the session bus has a host
/// registered (the panel that draws the icons). Without both, an icon would
/// be invisible, and a hidden Latch unreachable.
pub fn tray_shown() -> bool {
    tray_library_loads() && watcher_has_host()
}

/// libayatana-appindicator (or the older libappindicator), which the tray
/// loads at run time: without it the tray is not built at all.
pub fn tray_library_loads() -> bool {
    ["libayatana-appindicator3.so.1", "libappindicator3.so.1"]
        .iter()
        .any(|name| {
            let name = std::ffi::CString::new(*name).expect("no NUL in a library name");
            // SAFETY: dlopen/dlclose with a valid C string; the handle is
            // closed at once and nothing from the library is called.
            unsafe {
                let handle = libc::dlopen(name.as_ptr(), libc::RTLD_LAZY | libc::RTLD_LOCAL);
                if handle.is_null() {
                    return false;
                }
                libc::dlclose(handle);
                true
            }
        })
}

fn watcher_has_host() -> bool {
    let Ok(bus) = zbus::blocking::Connection::session() else {
        return false;
    };
    let Ok(watcher) = zbus::blocking::Proxy::new(
        &bus,
        "org.kde.StatusNotifierWatcher",
        "/StatusNotifierWatcher",
        "org.kde.StatusNotifierWatcher",
    ) else {
        return false;
    };
    watcher
        .get_property::<bool>("IsStatusNotifierHostRegistered")
        .unwrap_or(false)
}

/// Shows the window, building it again if it was closed. A new window starts
/// with the list as it is now (no round trip before the first paint).
pub fn open_window(app: &AppHandle) -> tauri::Result<WebviewWindow> {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return Ok(window);
    }
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .expect("tauri.conf.json declares the main window")
        .clone();
    tauri::WebviewWindowBuilder::from_config(app, &config)?
        .initialization_script(page_start(app))
        .build()
}

/// What the page holds before its script runs:
/// - `window.__LATCH_ACCOUNTS__`: the account list as the window opens, the
///   same rows `list_accounts` answers (no secret in them), so the first list
///   is painted without waiting for a round trip; the page reads the list
///   again once its listener is in place.
/// - Test builds only, with `LATCH_IPC_LOG` set: `window.__LATCH_IPC_LOG__`, in
///   which `ui/src/lib/ipc.ts` records every call, answer and event, so the
///   secrets audit (tests/hardening.rs) can read all the IPC traffic. Release
///   builds leave this out entirely.
fn page_start(app: &AppHandle) -> String {
    let state = app.state::<AppState>();
    let rows = state.latch().ok().and_then(|latch| latch.accounts().ok());
    let json = rows
        .and_then(|rows| serde_json::to_string(&rows).ok())
        .unwrap_or_else(|| "null".into());
    let mut script = format!("window.__LATCH_ACCOUNTS__ = {json};");
    if crate::test_hooks::ipc_log() {
        script.push_str("\nwindow.__LATCH_IPC_LOG__ = [];");
    }
    script
}

/// The window is asked to close (its close button, the window manager).
/// With a tray on the desktop, the window goes and Latch stays; the first
/// time, a notification says so and how to quit. Without one, Latch quits
/// and says why nothing will refresh until it runs again.
/// What of the window is remembered (issue 19 item 5): its size, and
/// whether it was maximised. Not its place: a place on a screen that is
/// gone would put it out of sight.
pub const REMEMBERED: StateFlags = StateFlags::SIZE.union(StateFlags::MAXIMIZED);

/// The file it is remembered in: the data directory's own, not the
/// platform's config directory, so each `LATCH_HOME` has its own.
pub const WINDOW_FILE: &str = "window-state.json";

/// The window was resized or moved: its size is written half a second after
/// the last change (a drag is many changes), so even a Latch that is
/// killed, not quit, opens at the size it had.
pub fn window_changed(app: &AppHandle) {
    let shell = app.state::<Shell>();
    let seen = shell.resizes.fetch_add(1, Ordering::SeqCst) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        if app.state::<Shell>().resizes.load(Ordering::SeqCst) == seen {
            save_window(&app);
        }
    });
}

fn save_window(app: &AppHandle) {
    if let Err(e) = app.save_window_state(REMEMBERED) {
        eprintln!("latch-desktop: the window's size could not be saved ({e})");
    }
}

pub fn closing(app: &AppHandle) {
    save_window(app);
    let shown = tray_shown() && app.tray_by_id(crate::tray::ID).is_some();
    app.state::<Shell>().stays.store(shown, Ordering::SeqCst);
    if shown {
        let later = app.clone();
        tauri::async_runtime::spawn(async move { after_close(later).await });
        if first_time_in_tray(app) {
            notify(
                app,
                "Latch is still running",
                "It keeps your tokens fresh from the tray. To quit, choose Quit Latch in the tray's menu, or press Ctrl+Q in the window.",
            );
        }
    } else {
        eprintln!("latch-desktop: this desktop shows no tray icons, so closing the window quits Latch");
        // Sent and answered before the process ends (the plugin's own
        // notifications go out from a task the exit would cut short).
        notify_before_exit(
            app,
            "Latch has quit",
            "This desktop shows no tray icons, so Latch cannot stay running with its window closed. Tokens are refreshed again when you open it.",
        );
    }
}

/// Whether this is the first time Latch went to the tray for this data
/// directory; marks it as told. Told once, even if the mark cannot be kept.
fn first_time_in_tray(app: &AppHandle) -> bool {
    let state = app.state::<AppState>();
    let Ok(latch) = state.latch() else {
        return true;
    };
    let mark = latch.store().home().join("told-about-tray");
    if mark.exists() {
        return false;
    }
    let _ = std::fs::write(&mark, b"");
    true
}

/// A desktop notification sent on the session bus and answered before this
/// returns (org.freedesktop.Notifications.Notify); through the plugin where
/// that bus is not there.
fn notify_before_exit(app: &AppHandle, title: &str, body: &str) {
    let sent = zbus::blocking::Connection::session().and_then(|bus| {
        let hints: std::collections::HashMap<&str, zbus::zvariant::Value<'_>> = Default::default();
        bus.call_method(
            Some("org.freedesktop.Notifications"),
            "/org/freedesktop/Notifications",
            Some("org.freedesktop.Notifications"),
            "Notify",
            &("Latch", 0u32, "", title, body, Vec::<&str>::new(), hints, -1i32),
        )
    });
    if sent.is_err() {
        notify(app, title, body);
    }
}

pub fn notify(app: &AppHandle, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    let shown = app.notification().builder().title(title).body(body).show();
    if let Err(e) = shown {
        eprintln!("latch-desktop: could not show a notification ({e}): {title}. {body}");
    }
}

/// After the window closed to the tray, Latch starts over as a hidden Latch
/// (the same process, `exec`ed with `--hidden`): what WebKit leaves behind in
/// a process that had a window (its network process, GL, the pages of its
/// libraries it touched, about half the memory of an open window) goes,
/// and what runs is the core, the scheduler, the checker and the tray. It
/// waits until nothing is in flight that only this process holds: a
/// sign-in waiting for its redirect, a GREEN-API link code on screen, a
/// copied token still to be cleared from the clipboard. Opening the window
/// meanwhile keeps this process as it is.
async fn after_close(app: AppHandle) {
    tokio::time::sleep(SETTLE).await;
    loop {
        if app.get_webview_window(MAIN).is_some() {
            return;
        }
        if nothing_in_flight(&app) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    end_webkit_children();
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let error = std::os::unix::process::CommandExt::exec(
        std::process::Command::new(exe).arg(HIDDEN).arg(format!("{HANDOFF}1")),
    );
    eprintln!("latch-desktop: could not start over hidden ({error}); staying as it is");
}

/// WebKit's helpers this process started (its network process outlives the
/// window): ended and reaped before the `exec`, which would leave them
/// running, or as zombies no one waits for.
fn end_webkit_children() {
    let me = std::process::id();
    let children = std::fs::read_to_string(format!("/proc/{me}/task/{me}/children")).unwrap_or_default();
    for pid in children.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
        let webkit = std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.starts_with("WebKit"));
        if !webkit {
            continue;
        }
        // SAFETY: kill(2) and waitpid(2) on a child of this process; no memory is shared.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
            let mut status = 0;
            for _ in 0..100 {
                if libc::waitpid(pid, &mut status, libc::WNOHANG) != 0 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            if libc::waitpid(pid, &mut status, libc::WNOHANG) == 0 {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
        }
    }
}

fn nothing_in_flight(app: &AppHandle) -> bool {
    let state = app.state::<AppState>();
    state.flows.is_empty()
        && state.listeners.lock().unwrap().is_empty()
        && state.link_watchers.lock().unwrap().is_empty()
        && state.devices.lock().unwrap().is_empty()
        && state.clipboard_clears.load(Ordering::SeqCst) == 0
}

/// The try of a hand-off this process is (`--handoff=N`), if it is one.
pub fn handoff_try() -> Option<u32> {
    std::env::args().find_map(|a| a.strip_prefix(HANDOFF)?.parse().ok())
}

/// A hand-off could not start (the bus still holds the old process's
/// single-instance name for a moment): try again, a few times.
pub fn handoff_again(attempt: u32) -> ! {
    std::thread::sleep(std::time::Duration::from_millis(100));
    if attempt < 50
        && let Ok(exe) = std::env::current_exe()
    {
        let error = std::os::unix::process::CommandExt::exec(
            std::process::Command::new(exe)
                .arg(HIDDEN)
                .arg(format!("{HANDOFF}{}", attempt + 1)),
        );
        eprintln!("latch-desktop: could not start over hidden ({error})");
    }
    eprintln!("latch-desktop: could not start over hidden; start Latch again");
    std::process::exit(1);
}
