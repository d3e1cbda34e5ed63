//! The floor of the start-up and memory benchmarks (`scripts/bench`): a bare
//! Tauri window from the same Tauri version, the same build profile and the
//! same `tauri.conf.json` (window size, CSP), showing one line of text and
//! no plugins, no store, no scheduler.
//!
//! Its page is served from memory in place of Latch's UI. Like Latch's UI,
//! it calls `window_ready` two animation frames after its first render,
//! and with `LATCH_REPORT_READY` set that prints `ready` on stdout.

use std::borrow::Cow;
use tauri::utils::assets::{AssetKey, AssetsIter, CspHash};

const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>bare</title>\
<script type=\"module\" src=\"/bare.js\"></script></head><body><p>A bare Tauri window.</p></body></html>";

const SCRIPT: &str = "const script = Math.round(performance.now()); \
requestAnimationFrame(() => requestAnimationFrame(() => \
window.__TAURI_INTERNALS__.invoke(\"window_ready\", \
{ marks: { script, painted: Math.round(performance.now()) } })));";

struct BarePage;

impl<R: tauri::Runtime> tauri::Assets<R> for BarePage {
    fn get(&self, key: &AssetKey) -> Option<Cow<'_, [u8]>> {
        match key.as_ref() {
            "/index.html" => Some(Cow::Borrowed(PAGE.as_bytes())),
            "/bare.js" => Some(Cow::Borrowed(SCRIPT.as_bytes())),
            _ => None,
        }
    }

    fn iter(&self) -> Box<AssetsIter<'_>> {
        Box::new(
            [("/index.html", PAGE), ("/bare.js", SCRIPT)]
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v.as_bytes()))),
        )
    }

    fn csp_hashes(&self, _html_path: &AssetKey) -> Box<dyn Iterator<Item = CspHash<'_>> + '_> {
        Box::new(std::iter::empty())
    }
}

#[tauri::command]
fn window_ready(marks: Option<serde_json::Value>) {
    if std::env::var_os("LATCH_REPORT_READY").is_some() {
        println!("ready {}", marks.unwrap_or_default());
    }
}

fn main() {
    let mut context = tauri::generate_context!();
    context.set_assets(Box::new(BarePage));
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![window_ready])
        // Latch builds its window itself (it builds it again after a close
        // to the tray), from the same declaration: so does the floor.
        .setup(|app| {
            let config = app.config().app.windows[0].clone();
            tauri::WebviewWindowBuilder::from_config(app, &config)?.build()?;
            Ok(())
        })
        .run(context)
        .expect("the bare window could not start");
}
