//! Issue 19, item 8 in the real window: Export writes the file `latch
//! export` writes (no secret in it), onto the clipboard and, through the
//! desktop's own save dialog, to a file; on another computer (a second
//! LATCH_HOME), Import reads that file through the desktop's open dialog,
//! asks for the account's secret, refuses to add anything while it is
//! missing, and adds the account, whose secret reaches the keyring: the
//! fake Wordapp connects it and hands `latch token` a token.
//!
//! The file dialogs are GTK's, driven as a person would with the keyboard
//! (xdotool on the test's X display): WebDriver cannot reach them.

mod support;

use latch_sandbox::DemoCredentials;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Window, clipboard, latch, sandbox, windows_on};

/// Waits for the window of the desktop's file dialog titled `title` that the
/// latch-desktop on `home` opened, gives it the keyboard, types `keys`
/// (xdotool's names) and `path`, and presses Enter.
fn answer_file_dialog(home: &Path, title: &str, keys: &[&str], path: &Path) {
    let pid = windows_on(home)
        .first()
        .copied()
        .expect("the latch-desktop of this test");
    let deadline = Instant::now() + support::WAIT;
    let window = loop {
        if let Some(id) = find(pid, title) {
            break id;
        }
        assert!(
            Instant::now() < deadline,
            "no file dialog \"{title}\" within {:?}",
            support::WAIT
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let xdotool = |args: &[&str]| {
        let status = Command::new("xdotool").args(args).status().unwrap();
        assert!(status.success(), "xdotool {args:?}");
    };
    xdotool(&["windowfocus", "--sync", &window]);
    for key in keys {
        xdotool(&["key", "--clearmodifiers", key]);
    }
    xdotool(&["type", "--delay", "20", path.to_str().unwrap()]);
    // Enter takes GTK's completion of the typed path first, and only then
    // the dialog's default button: pressed until the dialog is gone.
    for _ in 0..5 {
        xdotool(&["key", "--clearmodifiers", "Return"]);
        let gone = Instant::now() + Duration::from_secs(2);
        while Instant::now() < gone {
            if find(pid, title).is_none() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    panic!("the file dialog \"{title}\" did not take {}", path.display());
}

/// The file the Export dialog shows, once the core has written it.
async fn export_shown(window: &Window) -> String {
    let deadline = Instant::now() + support::WAIT;
    loop {
        let text = support::field_value(window, "[data-testid=export-text]").await;
        if text.contains("latch-accounts") {
            return text;
        }
        assert!(Instant::now() < deadline, "the Export dialog shows no file");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The X window of `pid`'s shown dialog titled `title`.
fn find(pid: i32, title: &str) -> Option<String> {
    let out = Command::new("xdotool")
        .args([
            "search",
            "--all",
            "--onlyvisible",
            "--pid",
            &pid.to_string(),
            "--name",
            title,
        ])
        .output()
        .expect("xdotool (scripts/setup installs it)");
    String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_owned)
}

// Two workers: the fakes answer `latch connect` while the test waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_file_exported_in_one_window_is_imported_in_another_with_its_secret_asked() {
    let fakes = sandbox().await;
    let demo = DemoCredentials::default();
    let from = Window::launch().await;
    let base = fakes.wordapp().base_url();
    latch(
        from.home.path(),
        &[
            "add",
            "wordapp",
            "--id",
            "robot",
            "--label",
            "Wordapp robot",
            "--grant",
            "client-credentials",
            "--client-id",
            &demo.wordapp_client_id,
            "--base-url",
            &base,
            "--secret-stdin",
        ],
        &format!("{}\n", demo.wordapp_client_secret),
    );
    latch(
        from.home.path(),
        &[
            "add",
            "oauth2",
            "--id",
            "partner",
            "--label",
            "Partner API",
            "--grant",
            "client-credentials",
            "--token-url",
            &format!("{}/token", fakes.oauth2().base_url()),
            "--client-id",
            "demo-oauth2-client",
            "--secret-stdin",
        ],
        "demo-oauth2-secret\n",
    );
    let cli = latch(from.home.path(), &["export"], "");

    from.click("[data-testid=open-export]").await;
    let shown = export_shown(&from).await;
    assert_eq!(shown, cli, "the window's export is not `latch export`'s");
    for secret in [demo.wordapp_client_secret.as_str(), "demo-oauth2-secret"] {
        assert!(!shown.contains(secret), "the secret {secret:?} is in the export");
    }

    from.click("[data-testid=export-copy]").await;
    from.wait_text("[data-testid=notice]", |t| {
        t.contains("Copied the settings of 2 accounts")
    })
    .await;
    assert_eq!(clipboard(), cli);

    // Save to file…, in GTK's save dialog: the whole path typed over the proposed name.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.json");
    from.click("[data-testid=open-export]").await;
    from.click("[data-testid=export-save]").await;
    answer_file_dialog(from.home.path(), "Export accounts", &["ctrl+a"], &file);
    let said = from.wait_text("[data-testid=notice]", |t| t.contains("Saved")).await;
    assert!(said.contains("team.json"), "{said}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), cli);
    drop(from.close().await);

    // Another computer: nothing there yet; the empty window offers Import.
    let to = Window::launch().await;
    to.click("[data-testid=import-file]").await;
    to.click("[data-testid=import-choose]").await;
    // GTK's open dialog: Ctrl+L for a location to type.
    answer_file_dialog(to.home.path(), "Import accounts", &["ctrl+l"], &file);
    to.wait_text("#import-title", |t| t == "Import from team.json").await;
    let secret = "[data-testid=import-account][data-id=robot] [data-field=secret]";
    to.wait_for(secret).await;
    // Import with the robot's secret missing: nothing is added, and the field says so.
    to.fill(
        "[data-testid=import-account][data-id=partner] [data-field=secret]",
        "demo-oauth2-secret",
    )
    .await;
    to.click("[data-testid=import-submit]").await;
    to.wait_for("[data-testid=import-account][data-id=robot] [data-testid=import-field-problem]")
        .await;
    assert_eq!(latch(to.home.path(), &["--json", "accounts"], "").trim(), "[]");

    to.fill(secret, &demo.wordapp_client_secret).await;
    to.click("[data-testid=import-submit]").await;
    to.wait_text("[data-testid=notice]", |t| t.contains("Imported 2 accounts"))
        .await;
    to.wait_for("[data-account=robot]").await;
    to.wait_for("[data-account=partner]").await;
    // As it was: the same file comes out of the second computer.
    assert_eq!(latch(to.home.path(), &["export"], ""), cli);
    // And its secret reached the keyring: with it the fake gives the robot
    // a token (a client credentials connect, no person needed).
    latch(to.home.path(), &["connect", "robot"], "");
    let token = latch(to.home.path(), &["token", "robot"], "");
    assert!(!token.trim().is_empty());
    drop(to.close().await);
}
