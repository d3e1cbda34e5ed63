//! The window's own life cycle.

/// The UI has painted its first account list. With `LATCH_REPORT_READY` set
/// (the start-up benchmark, `scripts/bench`, and the window tests that build
/// the window again), this prints `ready` and the page's timing marks on
/// stdout, so that the time from launch to a usable window can be measured
/// from outside, then `painted` and the rows the page painted (ids and
/// expiry times, nothing secret).
///
/// With `LATCH_BENCH_FILTER` set too (the 500-account benchmark), it answers
/// that search text: the page types it into its search and reports how long
/// the list took to show what matches ([`window_filtered`]). `None` otherwise.
#[tauri::command]
pub fn window_ready(marks: Option<serde_json::Value>, rows: Option<serde_json::Value>) -> Option<String> {
    std::env::var_os("LATCH_REPORT_READY")?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "ready {}", marks.unwrap_or_default());
    let _ = writeln!(out, "painted {}", rows.unwrap_or_default());
    let _ = out.flush();
    std::env::var("LATCH_BENCH_FILTER").ok().filter(|q| !q.is_empty())
}

/// The benchmark's search was typed and the list painted what matches:
/// prints `filtered <milliseconds> <rows shown>` (only with `LATCH_REPORT_READY`).
#[tauri::command]
pub fn window_filtered(ms: f64, rows: u32) {
    if std::env::var_os("LATCH_REPORT_READY").is_some() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "filtered {ms:.1} {rows}");
        let _ = out.flush();
    }
}

/// Whether Latch starts at login (hidden, in the tray): an XDG autostart
/// entry on Linux, written by `tauri-plugin-autostart`. Off until the person
/// turns it on.
#[tauri::command]
pub fn start_at_login(app: tauri::AppHandle) -> Result<bool, latch_core::Error> {
    use tauri_plugin_autostart::ManagerExt;
    app.autolaunch()
        .is_enabled()
        .map_err(|e| latch_core::Error::Storage(format!("Latch could not tell whether it starts at login: {e}")))
}

#[tauri::command]
pub fn set_start_at_login(app: tauri::AppHandle, on: bool) -> Result<bool, latch_core::Error> {
    use tauri_plugin_autostart::ManagerExt;
    let launch = app.autolaunch();
    let done = if on { launch.enable() } else { launch.disable() };
    done.map_err(|e| {
        let what = if on { "start at login" } else { "stop starting at login" };
        latch_core::Error::Storage(format!("Latch could not {what}: {e}"))
    })?;
    start_at_login(app)
}

/// Quits Latch, window and tray: Ctrl+Q in the window (closing it leaves
/// Latch in the tray).
#[tauri::command]
pub fn quit(app: tauri::AppHandle) {
    app.exit(0);
}
