//! The Linux package registers Latch as the handler of its URL scheme, and
//! its desktop entry passes the URL on (`%u`): without that, a callback that
//! the desktop opens never reaches Latch.

use std::path::PathBuf;
use std::process::Command;

/// The Tauri CLI that packages the app, pinned to the Tauri version in use.
const TAURI_CLI: &str = "@tauri-apps/cli@2.12.5";

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
}

#[test]
fn deb_desktop_entry_declares_the_scheme_and_passes_the_url() {
    // Packages the debug build the tests already made (no second compile).
    let bundled = Command::new("npx")
        .args(["--yes", TAURI_CLI, "bundle", "--debug", "--bundles", "deb"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("npx (Node) is needed to package the app");
    assert!(
        bundled.status.success(),
        "tauri bundle failed: {}",
        String::from_utf8_lossy(&bundled.stderr)
    );

    let deb = target_dir().join("debug/bundle/deb/Latch_0.1.0_amd64.deb");
    let listing = Command::new("dpkg-deb").arg("-c").arg(&deb).output().expect("dpkg-deb");
    let listing = String::from_utf8_lossy(&listing.stdout);
    let entry_path = listing
        .split_whitespace()
        .find(|p| p.trim_start_matches("./").starts_with("usr/share/applications/") && p.ends_with(".desktop"))
        .unwrap_or_else(|| panic!("no desktop entry in {}:\n{listing}", deb.display()));

    let entry = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "dpkg-deb --fsys-tarfile '{}' | tar -xO '{entry_path}'",
            deb.display()
        ))
        .output()
        .expect("read the desktop entry");
    let entry = String::from_utf8(entry.stdout).unwrap();
    let line = |key: &str| {
        entry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("no {key}= in:\n{entry}"))
    };
    assert!(
        line("MimeType")
            .split(';')
            .any(|m| m == "x-scheme-handler/app.latch.desktop"),
        "{entry}"
    );
    let exec = line("Exec");
    assert!(exec.starts_with("latch-desktop"), "{exec}");
    assert!(
        exec.split_whitespace().any(|a| a == "%u" || a == "%U"),
        "Exec must pass the URL: {exec}"
    );
}
