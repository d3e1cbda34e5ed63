//! The window's own life cycle.

/// The UI has painted its first account list. With `LATCH_REPORT_READY` set
/// (the start-up benchmark, `scripts/bench`), this prints `ready` on stdout so
/// that the time from launch to a usable window can be measured from outside.
#[tauri::command]
pub fn window_ready(marks: Option<serde_json::Value>) {
    if std::env::var_os("LATCH_REPORT_READY").is_some() {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "ready {}", marks.unwrap_or_default());
        let _ = out.flush();
    }
}
