//! Settings only the tests use, read only in test builds.
//!
//! The window's tests need a few things a person never should: a clipboard
//! cleared after 3 s, the IPC traffic recorded in the page, no desktop
//! registration of the URL scheme. Each is an environment variable, and
//! anything that can set a variable for the window (a launcher, a desktop
//! file, another program of the same user) could otherwise keep a copied
//! token on the clipboard for as long as it likes, or record every IPC
//! crossing. So they are read only when the crate is built with its
//! `test-hooks` feature, which the crate's own dev-dependency on itself turns
//! on for test builds (`cargo test`, `cargo nextest`, `--all-targets`); the
//! build `scripts/run` and `scripts/bench` make does not have it, and there
//! every function here answers "not set".
//!
//! Settings documented for people (`LATCH_HOME`, `LATCH_HTTP_TIMEOUT_SECS`,
//! `LATCH_NO_BROWSER`) and the benchmark's `LATCH_REPORT_READY`, which only
//! prints a line, are not here.

use std::time::Duration;

/// `LATCH_CLIPBOARD_CLEAR_SECS`: how long a copied token stays on the
/// clipboard, instead of the 45 s a person gets.
pub fn clipboard_clear_after() -> Option<Duration> {
    read("LATCH_CLIPBOARD_CLEAR_SECS")
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
}

/// `LATCH_IPC_LOG`: the page records every IPC call, answer and event in
/// `window.__LATCH_IPC_LOG__` (the secrets audit, tests/hardening.rs).
pub fn ipc_log() -> bool {
    read("LATCH_IPC_LOG").is_some()
}

/// `LATCH_NO_SCHEME_REGISTRATION`: a development build does not register
/// itself as the handler of the URL scheme (tests register it their way).
pub fn no_scheme_registration() -> bool {
    read("LATCH_NO_SCHEME_REGISTRATION").is_some()
}

/// `LATCH_CHECK_EVERY_SECS`: how often the window asks the providers
/// whether the tokens work, instead of every 30 minutes.
pub fn check_every() -> Option<Duration> {
    read("LATCH_CHECK_EVERY_SECS")
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
}

#[cfg(feature = "test-hooks")]
fn read(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(not(feature = "test-hooks"))]
fn read(_name: &str) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    /// The features `latch-desktop` is built with, as cargo resolves them
    /// for `args` (no build: `cargo tree` only resolves).
    fn features(args: &[&str]) -> String {
        let out = Command::new(env!("CARGO"))
            .args([
                "tree",
                "--offline",
                "--locked",
                "-p",
                "latch-desktop",
                "--depth",
                "0",
                "-f",
                "{f}",
            ])
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo tree");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        // The first line is the crate itself; headings of its dependency kinds follow.
        let tree = String::from_utf8(out.stdout).unwrap();
        tree.lines().next().unwrap_or_default().trim().to_owned()
    }

    // Every test build reads the settings above: one that does not is not built.
    const _: () = assert!(
        cfg!(feature = "test-hooks"),
        "this test build lacks the test-hooks feature"
    );

    /// Issue 15, item 13: the build `scripts/run` makes (`--release
    /// --features custom-protocol -p latch-desktop`, normal dependencies
    /// only) has no `test-hooks`, so it never reads the settings above;
    /// a build with the tests' dev-dependencies has it.
    #[test]
    fn the_release_build_leaves_the_test_settings_out() {
        let release = features(&["--features", "custom-protocol", "-e", "normal,build,features"]);
        assert_eq!(release, "custom-protocol");
        let tests = features(&["-e", "normal,build,dev,features"]);
        assert!(tests.split(',').any(|f| f == "test-hooks"), "{tests}");
    }
}
