//! The real window, driven through WebDriver as a person would use it.

mod support;

use support::Window;

const PROVIDERS: [&str; 5] = ["Wazzup", "PayU", "GREEN-API", "Wordapp", "Other OAuth 2.0"];

#[tokio::test]
async fn empty_window_offers_connect_and_opens_the_provider_picker() {
    let window = Window::launch().await;

    assert_eq!(window.text("#empty-title").await, "No accounts yet");
    assert!(
        window
            .client
            .find(fantoccini::Locator::Css("[data-testid=keyring-problem]"))
            .await
            .is_err(),
        "the test keyring works, so no keyring problem is shown"
    );
    window.screenshot("empty-state").await;

    let button = window.wait_for("[data-testid=connect-account]").await;
    assert_eq!(button.text().await.unwrap(), "Connect account");
    button.click().await.unwrap();

    let picker = window.wait_for("[data-testid=provider-picker]").await;
    assert_eq!(picker.attr("role").await.unwrap().as_deref(), Some("dialog"));
    let mut names = Vec::new();
    for element in picker
        .find_all(fantoccini::Locator::Css("button[data-provider] .name"))
        .await
        .unwrap()
    {
        names.push(element.text().await.unwrap());
    }
    assert_eq!(names, PROVIDERS);
    let shot = window.screenshot("provider-picker").await;
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 1000,
        "screenshot too small to hold a window"
    );

    let _ = window.close().await;
}

#[tokio::test]
async fn without_a_keyring_the_window_says_so_plainly_and_stays_up() {
    let window = Window::launch_with(&[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/latch-test-bus")]).await;

    let problem = window.text("[data-testid=keyring-problem]").await;
    assert!(problem.contains("keyring"), "{problem}");
    assert!(
        problem.contains("gnome-keyring") || problem.contains("KeePassXC"),
        "says how to fix it: {problem}"
    );
    assert_eq!(problem.lines().count(), 1);

    // Still usable: the empty state and the picker work.
    assert_eq!(window.text("#empty-title").await, "No accounts yet");
    window.screenshot("no-keyring").await;
    window.click("[data-testid=connect-account]").await;
    window.wait_for("[data-testid=provider-picker]").await;
    let _ = window.close().await;
}

/// Issue 17, item 2: Ctrl+Q in the window quits Latch (closing the window
/// would leave it in the tray).
#[tokio::test]
async fn ctrl_q_quits_latch() {
    let window = Window::launch().await;
    window.wait_for("#empty-title").await;
    let home = window.home.path().to_owned();
    assert!(!support::windows_on(&home).is_empty());
    let body = window.wait_for("body").await;
    // WebDriver's Control key (U+E009) held for the q.
    let _ = body.send_keys("\u{E009}q").await;
    let deadline = std::time::Instant::now() + support::WAIT;
    while !support::windows_on(&home).is_empty() {
        assert!(std::time::Instant::now() < deadline, "Latch still runs after Ctrl+Q");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = window.close().await;
}

/// Issue 19, item 5: the window opens again at the size it was given, from
/// a file of its own data directory, even after Latch was killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_remembers_its_size() {
    let window = Window::launch().await;
    window.wait_for("[data-testid=try-sandbox]").await;
    let (before_w, before_h) = window.client.get_window_size().await.expect("the window's size");
    let (w, h) = (
        before_w.saturating_sub(137).max(520),
        before_h.saturating_sub(91).max(420),
    );
    assert_ne!((w, h), (before_w, before_h));
    window
        .client
        .set_window_size(w as u32, h as u32)
        .await
        .expect("the window takes a new size");
    let file = window.home.path().join("window-state.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let saved = loop {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if text.contains(&format!("\"width\":{w}")) || text.contains(&format!("\"width\": {w}")) {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the size never reached {}: {text}",
            file.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(saved.contains(&format!("{h}")), "{saved}");

    // Killed, not quit (the session's end kills it), then started on the same data.
    let home = window.close().await;
    let again = Window::start(support::Launch {
        home: Some(home),
        ..Default::default()
    })
    .await;
    again.wait_for("[data-testid=try-sandbox]").await;
    assert_eq!(
        again.client.get_window_size().await.unwrap(),
        (w, h),
        "the window opens at its last size"
    );
    let _ = again.close().await;
}
