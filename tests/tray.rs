//! Latch in the tray (issue 17): the window closes and Latch stays, keeping
//! tokens fresh; the tray's menu, read as a panel reads it, copies a token
//! and quits. Each test puts a tray on the private session bus (a
//! StatusNotifierWatcher with a host) and starts latch-desktop as a person
//! does; the window is closed as a window manager closes it.

mod support;

use std::time::{Duration, Instant};
use support::desktop::{Desktop, Notifications, Tray, close_window_as_a_person, wait_for_window};
use support::{Launch, WAIT, Window, latch, sandbox, stored_tokens};

/// A Wordapp robot (client credentials), connected by the command line
/// against the fake, in a fresh data directory.
async fn robot(sandbox: &latch_sandbox::Sandbox) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let base = sandbox.wordapp().base_url();
    support::add_wordapp_robot(home.path(), "Robot", &base);
    latch(home.path(), &["connect", "robot"], "");
    home
}

/// Done when (issue 17): the window closes, the process stays, a token is
/// refreshed at the fake while the window is closed, and the window opened
/// again (a second launch) paints the new expiry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_to_the_tray_latch_keeps_refreshing_and_the_reopened_window_shows_the_new_expiry() {
    let tray = Tray::start().await;
    let sandbox = sandbox().await;
    // A 20 s token: the scheduler renews it at half its life, again and again.
    sandbox.wordapp().settings().expires_in = 20;
    let home = robot(&sandbox).await;
    let first = stored_tokens(home.path(), "robot").expires_at.unwrap();

    let mut desktop = Desktop::start(home.path(), &[]);
    let painted = desktop.painted();
    assert_eq!(painted[0]["id"], "robot");
    let window = wait_for_window(desktop.pid(), true);
    tray.item().await;
    let webkit_before = desktop.children();
    assert!(
        webkit_before.iter().any(|c| c.starts_with("WebKitWebProces")),
        "the window's page runs in WebKit's web process: {webkit_before:?}"
    );

    close_window_as_a_person(desktop.pid(), window[0]);
    assert!(desktop.running(), "closing the window leaves Latch running in the tray");

    // Nearly free while hidden: the page and WebKit's processes are gone.
    let deadline = Instant::now() + WAIT;
    while desktop.children().iter().any(|c| c.starts_with("WebKitWebProces")) {
        assert!(Instant::now() < deadline, "WebKit still runs: {:?}", desktop.children());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A few seconds after, Latch starts over hidden (the same process, its
    // tray icon registered again), shedding what WebKit left behind.
    let deadline = Instant::now() + WAIT;
    while tray.registrations() < 2 {
        assert!(Instant::now() < deadline, "Latch did not start over hidden");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(desktop.running(), "the same process");
    // WebKit's network process ends once it sees the old image gone.
    let deadline = Instant::now() + WAIT;
    while desktop.children().iter().any(|c| c.starts_with("WebKit")) {
        assert!(Instant::now() < deadline, "WebKit still runs: {:?}", desktop.children());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tokens_at_close = sandbox.wordapp().count("wordapp.token");
    let closed = Instant::now();

    // The scheduler goes on: a renewal reaches the fake with no window open.
    while sandbox.wordapp().count("wordapp.token") == tokens_at_close {
        assert!(
            closed.elapsed() < Duration::from_secs(25),
            "no renewal while the window was closed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(desktop.running());
    assert!(wait_for_window(desktop.pid(), false).is_empty());

    // A second launch (the person starts Latch again) opens the window in
    // the running process, and it paints the expiry the keyring now holds.
    let mut again = Desktop::start(home.path(), &[]);
    assert!(
        again.exited().success(),
        "the second launch hands over to the first and exits"
    );
    let painted = desktop.painted();
    wait_for_window(desktop.pid(), true);
    let now_stored = stored_tokens(home.path(), "robot").expires_at.unwrap();
    assert!(now_stored > first, "renewed: {now_stored} after {first}");
    let shown = painted[0]["expires_at"].as_i64().unwrap();
    assert!(
        shown > first && shown <= now_stored,
        "the reopened window paints a renewed expiry ({shown}; first {first}, stored now {now_stored})"
    );
    drop(tray);
}

/// Done when (issue 17): the tray's menu, read over dbusmenu as a panel
/// reads it, lists the account with its state, copies its token (in Rust,
/// onto the clipboard), and quits Latch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trays_menu_lists_the_account_copies_its_token_and_quits() {
    let tray = Tray::start().await;
    let sandbox = sandbox().await;
    let home = robot(&sandbox).await;
    let mut desktop = Desktop::start(home.path(), &[("LATCH_CLIPBOARD_CLEAR_SECS", "30")]);
    desktop.painted();
    let menu = tray.menu().await;

    let layout = menu.layout().await;
    let labels = layout.labels();
    let summary = &labels[0];
    assert!(summary.starts_with("Latch: Robot expires soonest, at "), "{labels:?}");
    let account = labels
        .iter()
        .find(|l| l.starts_with("Robot: "))
        .expect("the account's line");
    assert!(account.starts_with("Robot: valid until "), "{account}");
    for wanted in ["Copy token", "Copy header", "Refresh all", "Open Latch", "Quit Latch"] {
        assert!(labels.iter().any(|l| l == wanted), "{wanted:?} missing from {labels:?}");
    }

    let token = stored_tokens(home.path(), "robot").access_token;
    assert_ne!(support::clipboard(), token.secret());
    menu.click("Copy token").await;
    let deadline = Instant::now() + WAIT;
    while support::clipboard() != token.secret() {
        assert!(Instant::now() < deadline, "the token never reached the clipboard");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        support::clipboard_targets()
            .iter()
            .any(|t| t == "x-kde-passwordManagerHint"),
        "marked as a secret, as the window's copy is"
    );

    menu.click("Quit Latch").await;
    assert!(desktop.exited().success(), "Quit ends Latch");
}

/// Issue 17, item 5: a refresh that keeps failing (here the fake answers
/// 503 to every renewal of a 20 s token, so it runs out while Latch keeps
/// trying) is named in a desktop notification and marked in the tray.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_keeps_failing_is_named_in_a_notification_and_in_the_tray() {
    // The notifications as the desktop's daemon would get them.
    let notifications = Notifications::watch();
    let tray = Tray::start().await;
    let sandbox = sandbox().await;
    sandbox.wordapp().settings().expires_in = 20;
    let home = robot(&sandbox).await;
    sandbox.wordapp().inject(
        "wordapp.token",
        latch_sandbox::Fault::always(latch_sandbox::FaultKind::html_status(
            503,
            "<h1>Service Unavailable</h1>",
        )),
    );
    let desktop = Desktop::start(home.path(), &[]);
    desktop.painted();
    let menu = tray.menu().await;
    let fine = menu.layout().await;
    assert!(
        fine.labels()[0].starts_with("Latch: Robot expires soonest"),
        "{:?}",
        fine.labels()
    );

    let deadline = Instant::now() + Duration::from_secs(40);
    let warned = loop {
        let layout = menu.layout().await;
        if layout.labels()[0].starts_with("Latch: refreshing Robot keeps failing") {
            break layout;
        }
        assert!(
            Instant::now() < deadline,
            "the tray never warned: {:?}",
            layout.labels()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        warned
            .labels()
            .iter()
            .any(|l| l.starts_with("Robot: ") && l.ends_with(", refresh failing")),
        "{:?}",
        warned.labels()
    );
    assert!(sandbox.wordapp().count("wordapp.token") >= 2, "Latch tried to renew");

    notifications.wait_for("Refreshing Robot keeps failing").await;
    drop(desktop);
    drop(tray);
}

/// Issue 17, item 4: start at login is off until the person turns it on in
/// the window; on, it is an XDG autostart entry that starts this Latch
/// hidden; off again, the entry is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_at_login_is_off_until_switched_on_in_the_window_and_off_again() {
    let user = tempfile::tempdir().unwrap(); // HOME: autostart entries live in ~/.config/autostart
    let home_var = user.path().to_str().unwrap().to_owned();
    let window = Window::start(Launch {
        env: &[("HOME", &home_var)],
        ..Launch::default()
    })
    .await;
    let switch = window.wait_for("[data-testid=start-at-login]").await;
    assert_eq!(
        switch.prop("checked").await.unwrap().as_deref(),
        Some("false"),
        "off by default"
    );
    let entry = user.path().join(".config/autostart/Latch.desktop");
    assert!(!entry.exists());

    switch.click().await.unwrap();
    window
        .wait_text("[data-testid=notice]", |t| t == "Latch starts at login, in the tray.")
        .await;
    let text = std::fs::read_to_string(&entry).expect("an autostart entry");
    let exec = text
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .expect("an Exec line");
    assert_eq!(
        exec,
        format!("{} --hidden", env!("CARGO_BIN_EXE_latch-desktop")),
        "{text}"
    );
    assert_eq!(
        window
            .wait_for("[data-testid=start-at-login]")
            .await
            .prop("checked")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );

    window.click("[data-testid=start-at-login]").await;
    window
        .wait_text("[data-testid=notice]", |t| t == "Latch no longer starts at login.")
        .await;
    assert!(!entry.exists(), "the entry is gone");
    let _ = window.close().await;
}

/// Issue 17, item 4: started as the login entry starts it (`--hidden`),
/// with a tray on the desktop, Latch shows no window, only its tray icon;
/// starting it again opens the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_hidden_latch_shows_only_its_tray_icon_until_opened() {
    let tray = Tray::start().await;
    let sandbox = sandbox().await;
    let home = robot(&sandbox).await;
    let desktop = Desktop::start_with(home.path(), &[], &["--hidden"]);
    let menu = tray.menu().await;
    menu.layout_where(|l| l.labels().iter().any(|l| l.starts_with("Robot: valid until ")))
        .await;
    assert!(
        support::desktop::windows_of(desktop.pid()).is_empty(),
        "no window while hidden"
    );
    assert!(
        !desktop.children().iter().any(|c| c.starts_with("WebKit")),
        "no WebKit while hidden: {:?}",
        desktop.children()
    );

    menu.click("Open Latch").await;
    assert_eq!(desktop.painted()[0]["id"], "robot");
    wait_for_window(desktop.pid(), true);
    drop(tray);
}

/// Issue 17, item 2: on a desktop that shows no tray icons (no
/// StatusNotifierWatcher on the bus), closing the window quits Latch, as it
/// always did, and a notification says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_tray_closing_the_window_quits_and_says_why() {
    let notifications = Notifications::watch();
    let sandbox = sandbox().await;
    let home = robot(&sandbox).await;
    let mut desktop = Desktop::start(home.path(), &[]);
    desktop.painted();
    let window = wait_for_window(desktop.pid(), true);
    close_window_as_a_person(desktop.pid(), window[0]);
    assert!(desktop.exited().success(), "closing the window quits Latch");
    notifications.wait_for("This desktop shows no tray icons").await;
}
