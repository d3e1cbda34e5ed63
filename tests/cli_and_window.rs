//! The command line and the window share one store: what `latch` does while
//! the window is open shows in the window without a restart.

mod support;

use std::process::Command;
use support::{Window, latch, latch_cli};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_added_and_refreshed_by_the_cli_shows_in_the_open_window() {
    let sandbox = support::sandbox().await;
    let window = Window::launch().await;
    window.wait_for("#empty-title").await;
    let home = window.home.path().to_owned();
    let base = sandbox.wordapp().base_url();

    support::add_wordapp_robot(&home, "From the CLI", &base);
    latch(&home, &["connect", "from-the-cli"], "");
    let row = "[data-account=from-the-cli]";
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Valid")
        .await;
    window
        .wait_text(&format!("{row} [data-testid=expiry]"), |t| {
            t.starts_with("expires in 2 h") || t.starts_with("expires in 1 h 59")
        })
        .await;

    // A few more providers, for the README's picture of the list.
    let oauth = sandbox.oauth2().base_url();
    latch(
        &home,
        &[
            "add",
            "oauth2",
            "--label",
            "Analytics API",
            "--grant",
            "client-credentials",
            "--token-url",
            &format!("{oauth}/token"),
            "--client-id",
            "demo-oauth2-client",
            "--secret-stdin",
        ],
        "demo-oauth2-secret\n",
    );
    latch(&home, &["connect", "analytics-api"], "");
    let wazzup = sandbox.wazzup().base_url();
    latch(
        &home,
        &[
            "add",
            "wazzup",
            "--label",
            "Wazzup partner",
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wazzup-client",
            "--email",
            "partner@demo.latch",
            "--base-url",
            &wazzup,
            "--secret-stdin",
        ],
        "demo-partner-password\n",
    );
    latch(&home, &["connect", "wazzup-partner"], "");
    let green = sandbox.green_api().base_url();
    latch(
        &home,
        &[
            "add",
            "green-api",
            "--label",
            "WhatsApp support",
            "--api-url",
            &green,
            "--instance",
            "1101000001",
            "--secret-stdin",
        ],
        "demo0green0api0token0000000000000000000000000000\n",
    );
    window
        .wait_text("[data-account=wazzup-partner] [data-testid=status]", |t| t == "Valid")
        .await;
    window.wait_for("[data-account=whatsapp-support]").await;
    window.screenshot("account-list").await;

    sandbox.wordapp().settings().expires_in = 600;
    latch(&home, &["refresh", "from-the-cli"], "");
    window
        .wait_text(&format!("{row} [data-testid=expiry]"), |t| {
            t.starts_with("expires in 9 m") || t.starts_with("expires in 10 m")
        })
        .await;
    let _ = window.close().await;
}

/// Issue 16, item 7: an account's Details say when its token was last
/// handed out, how, and to whom: after `latch token` in a script, that
/// script's command line; after the window's Copy, the window (the open
/// panel follows the copy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_show_who_last_took_the_token_from_a_script_and_then_from_the_window() {
    let sandbox = support::sandbox().await;
    let window = Window::launch().await;
    window.wait_for("#empty-title").await;
    let home = window.home.path().to_owned();
    let base = sandbox.wordapp().base_url();
    support::add_wordapp_robot(&home, "Handed out", &base);
    latch(&home, &["connect", "handed-out"], "");
    let row = "[data-account=handed-out]";
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Valid")
        .await;
    window.click(&format!("{row} [data-testid=details]")).await;
    window
        .wait_text(&format!("{row} [data-testid=last-used]"), |t| t == "not handed out yet")
        .await;
    window.click(&format!("{row} [data-testid=details]")).await; // closed again

    let script = "\"$0\" token handed-out >/dev/null; : marker-XYZ";
    let status = Command::new("sh")
        .args(["-c", script, latch_cli().to_str().unwrap()])
        .env("LATCH_HOME", &home)
        .status()
        .unwrap();
    assert!(status.success());
    window.click(&format!("{row} [data-testid=details]")).await;
    let shown = window
        .wait_text(&format!("{row} [data-testid=last-used]"), |t| {
            t.contains(" · token by sh -c ")
        })
        .await;
    assert!(shown.contains(": marker-XYZ "), "{shown}");
    assert!(shown.ends_with(')') && shown.contains("(pid "), "{shown}");

    window.click(&format!("{row} [data-testid=copy-token]")).await;
    window
        .wait_text("[data-testid=notice]", |t| t.contains("Token copied"))
        .await;
    let shown = window
        .wait_text(&format!("{row} [data-testid=last-used]"), |t| {
            t.contains(" · window-copy by ")
        })
        .await;
    assert!(
        shown.contains("latch-desktop"),
        "the window's own command line: {shown}"
    );
    window.screenshot("details-last-used").await;
    let _ = window.close().await;
}
