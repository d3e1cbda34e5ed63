//! Changes made by other Latch processes (the `latch` command line) reach the
//! window: the data directory is watched (inotify on Linux) and a change to
//! the index is handled like any change made here — the list is read again
//! and the scheduler plans again. Nothing polls.

use crate::callback::accounts_changed;
use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;
use tauri::AppHandle;

pub fn watch_index(app: AppHandle, home: &Path) -> notify::Result<()> {
    let (tx, rx) = mpsc::channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let touches_index = event.is_ok_and(|e| {
            e.paths
                .iter()
                .any(|p| p.file_name().is_some_and(|n| n == latch_core::store::index::FILE_NAME))
        });
        if touches_index {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(home, RecursiveMode::NonRecursive)?;
    std::thread::Builder::new()
        .name("latch-index-watch".into())
        .spawn(move || {
            let _watcher = watcher; // lives as long as this thread
            while rx.recv().is_ok() {
                // One write is several events (create, rename): take them as one.
                while rx.recv_timeout(Duration::from_millis(50)).is_ok() {}
                accounts_changed(&app);
            }
        })?;
    Ok(())
}
