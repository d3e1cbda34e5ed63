//! What a person does with connected accounts in the real window: copy,
//! refresh, revoke, and what happens when the provider refuses a refresh.

mod support;

use latch_sandbox::{Fault, FaultKind};
use std::time::{Duration, Instant};
use support::{
    Launch, Window, clipboard, clipboard_targets, connect_wordapp_robot, detail, details, launch_again_with, page_time,
    sandbox, sign_in, start_wazzup_connect, stored_tokens,
};

async fn connected_wazzup(window: &Window, sandbox: &latch_sandbox::Sandbox) {
    let url = start_wazzup_connect(window, sandbox).await;
    assert!(launch_again_with(window.home.path(), &sign_in(&url).await).success());
    window
        .wait_text("[data-account=wazzup-main] [data-testid=status]", |t| {
            t == "Valid" || t == "Expiring soon"
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_token_and_header_reach_the_clipboard_and_are_cleared() {
    let sandbox = sandbox().await;
    let window = Window::start(Launch {
        env: &[("LATCH_CLIPBOARD_CLEAR_SECS", "3")],
        ..Launch::default()
    })
    .await;
    connected_wazzup(&window, &sandbox).await;

    window
        .click("[data-account=wazzup-main] [data-testid=copy-token]")
        .await;
    window
        .wait_text("[data-testid=notice]", |t| t.contains("Token copied"))
        .await;
    let token = clipboard();
    assert!(
        token.starts_with("eyJ"),
        "a Wazzup token on the clipboard: {:?}",
        &token[..token.len().min(8)]
    );
    let probe = reqwest::Client::new()
        .get(format!("{}/v2/channels", sandbox.wazzup().base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200, "the copied token works at the provider");
    // Issue 15, item 13: marked as a secret, so clipboard managers (Klipper,
    // and those that follow its hint) keep it out of their history.
    let targets = clipboard_targets();
    assert!(
        targets.iter().any(|t| t == "x-kde-passwordManagerHint"),
        "the copy is not marked as a secret; it offers {targets:?}"
    );

    window
        .click("[data-account=wazzup-main] [data-testid=copy-header]")
        .await;
    window
        .wait_text("[data-testid=notice]", |t| t.contains("Authorization header copied"))
        .await;
    assert_eq!(clipboard(), format!("Authorization: Bearer {token}"));
    assert!(clipboard_targets().iter().any(|t| t == "x-kde-passwordManagerHint"));

    let deadline = Instant::now() + Duration::from_secs(15);
    while !clipboard().is_empty() {
        assert!(Instant::now() < deadline, "the clipboard was not cleared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_moves_the_expiry_and_a_refused_refresh_asks_to_reconnect() {
    let sandbox = sandbox().await;
    let window = Window::launch().await;
    connected_wazzup(&window, &sandbox).await;
    let row = "[data-account=wazzup-main]";

    sandbox.wazzup().settings().expires_in = 7200;
    window.click(&format!("{row} [data-testid=refresh]")).await;
    let expiry = window
        .wait_text(&format!("{row} [data-testid=expiry]"), |t| {
            t.starts_with("expires in 1 h 59 m") || t.starts_with("expires in 2 h")
        })
        .await;
    assert!(expiry.contains(" h "), "{expiry}");
    assert_eq!(sandbox.wazzup().count("wazzup.token"), 2);

    sandbox.wazzup().inject(
        "wazzup.token",
        Fault::once(FaultKind::json_status(401, serde_json::json!({"error": "OAUTH_REFRESH_TOKEN_INVALID", "description": "Invalid or expired refresh_token"}))),
    );
    window.click(&format!("{row} [data-testid=refresh]")).await;
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Needs reconnect")
        .await;
    // The reason is Wazzup's own, from its error table (providers.md).
    assert_eq!(
        window.text(&format!("{row} [data-testid=expiry]")).await,
        "the refresh token is invalid or expired, so the whole authorization must be repeated"
    );
    window.wait_for(&format!("{row} [data-testid=reconnect]")).await;
    let _ = window.close().await;
}

/// Issue 14: the refresh command's failure reaches the page as the core's
/// typed error, not a string, so the page offers Reconnect on the failure
/// itself; Reconnect runs the account's connect flow to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_offers_reconnect_on_the_failure_and_reconnecting_works() {
    let sandbox = sandbox().await;
    let window = Window::launch().await;
    connected_wazzup(&window, &sandbox).await;
    let row = "[data-account=wazzup-main]";
    sandbox.wazzup().inject(
        "wazzup.token",
        Fault::once(FaultKind::json_status(401, serde_json::json!({"error": "OAUTH_REFRESH_TOKEN_INVALID", "description": "Invalid or expired refresh_token"}))),
    );
    window.click(&format!("{row} [data-testid=refresh]")).await;

    let failure = window.wait_for("[data-testid=notice][data-kind=needs-reconnect]").await;
    let said = failure.text().await.unwrap();
    assert!(
        said.contains("Wazzup no longer accepts this account's authorization"),
        "{said}"
    );
    assert!(!said.contains("[object Object]"), "{said}");
    window.screenshot("failure-reconnect").await;
    window
        .click("[data-testid=notice] [data-testid=failure-reconnect]")
        .await;

    let waiting = window.wait_for("[data-testid=waiting]").await;
    assert_eq!(waiting.attr("data-via").await.unwrap().as_deref(), Some("deep-link"));
    let url = window
        .wait_for("[data-testid=authorize-url]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(launch_again_with(window.home.path(), &sign_in(&url).await).success());
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| {
            t == "Valid" || t == "Expiring soon"
        })
        .await;
    assert_eq!(
        sandbox.wazzup().count("wazzup.token"),
        3,
        "the first code exchange, the refused refresh, the new code exchange"
    );
    let _ = window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_a_wordapp_account_after_saying_what_happens_at_wordapp() {
    let sandbox = sandbox().await;
    let window = Window::launch().await;
    connect_wordapp_robot(&window, &sandbox, "[data-testid=connect-account]").await;
    let row = "[data-account=wordapp-robot]";
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Valid")
        .await;
    window.screenshot("accounts").await;

    window.click(&format!("{row} [data-testid=details]")).await;
    window.wait_for(&format!("{row} [data-testid=details-panel]")).await;
    window.screenshot("details").await;

    window.click(&format!("{row} [data-testid=revoke]")).await;
    let question = window.text(&format!("{row} [data-testid=confirm-revoke]")).await;
    let latch = latch_core::Latch::open(Some(window.home.path().to_owned())).unwrap();
    let words = latch
        .find("wordapp-robot")
        .unwrap()
        .settings
        .provider()
        .revoke_consequence();
    assert!(words.starts_with("Latch asks Wordapp to revoke"), "{words}");
    assert!(question.contains(&words), "the core's words, as they are: {question}");
    assert_eq!(
        sandbox.wordapp().count("wordapp.revoke"),
        0,
        "nothing is sent before the confirmation"
    );
    window.click(&format!("{row} [data-testid=confirm-revoke-yes]")).await;
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Revoked")
        .await;
    assert_eq!(sandbox.wordapp().count("wordapp.revoke"), 1);

    // Remove asks first (issue 19): "Keep it" keeps the account, "Remove"
    // removes it.
    window.click(&format!("{row} [data-testid=remove]")).await;
    window
        .wait_text(&format!("{row} [data-testid=confirm-remove] h2"), |t| {
            t.starts_with("Remove ")
        })
        .await;
    window.click(&format!("{row} [data-testid=confirm-remove-no]")).await;
    window.wait_gone(&format!("{row} [data-testid=confirm-remove]")).await;
    assert!(latch.find("wordapp-robot").is_ok(), "Keep it keeps the account");
    window.click(&format!("{row} [data-testid=remove]")).await;
    window.click(&format!("{row} [data-testid=confirm-remove-yes]")).await;
    window.wait_text("#empty-title", |t| t == "No accounts yet").await;
    let _ = window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expires_in_20_seconds_is_refreshed_before_it_expires() {
    let sandbox = sandbox().await;
    sandbox.wazzup().settings().expires_in = 20;
    let window = Window::launch().await;
    connected_wazzup(&window, &sandbox).await;
    let connected = Instant::now();
    assert_eq!(sandbox.wazzup().count("wazzup.token"), 1);

    // The scheduler refreshes at half of a short life; nobody clicks anything.
    while sandbox.wazzup().count("wazzup.token") < 2 {
        assert!(
            connected.elapsed() < Duration::from_secs(19),
            "not refreshed before the 20 s token expired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refresh = sandbox
        .wazzup()
        .requests()
        .into_iter()
        .filter(|r| r.route == "wazzup.token")
        .nth(1)
        .unwrap();
    assert_eq!(refresh.json().unwrap()["grant_type"], "refresh_token");
    // A 20 s token is always within five minutes of expiry; it never shows expired.
    window
        .wait_text("[data-account=wazzup-main] [data-testid=status]", |t| {
            t == "Expiring soon"
        })
        .await;
    let _ = window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_automatic_refresh_names_the_account_in_a_desktop_notification() {
    // Watch the test's own session bus for the notification call (no daemon needed).
    let mut monitor = support::notification_monitor();
    let sandbox = sandbox().await;
    sandbox.wazzup().settings().expires_in = 20;
    let window = Window::launch().await;
    connected_wazzup(&window, &sandbox).await;
    sandbox.wazzup().inject(
        "wazzup.token",
        Fault::always(FaultKind::json_status(
            401,
            serde_json::json!({"error": "OAUTH_REFRESH_TOKEN_INVALID", "description": "Invalid or expired refresh_token"}),
        )),
    );
    window
        .wait_text("[data-account=wazzup-main] [data-testid=status]", |t| {
            t == "Needs reconnect"
        })
        .await;
    let _ = window.close().await;

    let _ = monitor.kill();
    let output = monitor.wait_with_output().unwrap();
    let seen = String::from_utf8_lossy(&output.stdout);
    assert!(
        seen.contains("Wazzup main needs reconnecting"),
        "no notification naming the account:\n{seen}"
    );
}

/// "The clipboard is cleared only if it still holds Latch's text": another
/// program copies after Latch, and its text survives Latch's clear. xclip
/// holds the other program's text and says each time it serves a read;
/// the first read it serves is Latch's check before clearing (nothing else
/// reads the clipboard here), so the test knows the clear has looked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_another_program_copied_after_latch_survives_the_clear() {
    use std::io::{BufRead, Write};
    let sandbox = sandbox().await;
    let window = Window::start(Launch {
        env: &[("LATCH_CLIPBOARD_CLEAR_SECS", "5")],
        ..Launch::default()
    })
    .await;
    connect_wordapp_robot(&window, &sandbox, "[data-testid=connect-account]").await;
    let row = "[data-account=wordapp-robot]";
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Valid")
        .await;
    window.click(&format!("{row} [data-testid=copy-token]")).await;
    window
        .wait_text("[data-testid=notice]", |t| {
            t == "Token copied; the clipboard is cleared in 5 s."
        })
        .await;
    let token = stored_tokens(window.home.path(), "wordapp-robot");
    assert_eq!(clipboard(), token.access_token.secret(), "Latch's text first");

    let mut other = std::process::Command::new("xclip")
        .args(["-verbose", "-selection", "clipboard", "-i"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("xclip");
    other
        .stdin
        .take()
        .unwrap()
        .write_all(b"copied by another program")
        .unwrap();
    let (said, hear) = std::sync::mpsc::channel();
    let stderr = std::io::BufReader::new(other.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = said.send(line);
        }
    });
    let wait_for = |line: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match hear.recv_timeout(left) {
                Ok(heard) if heard.contains(line) => return,
                Ok(_) => {}
                Err(_) => panic!("xclip never said {line:?}"),
            }
        }
    };
    wait_for("Waiting for selection request number 1"); // the other program owns the clipboard
    wait_for("Waiting for selection request number 2"); // and Latch's clear has read it
    assert_eq!(
        clipboard(),
        "copied by another program",
        "Latch cleared another program's text"
    );
    let _ = other.kill();
    let _ = other.wait();
    let _ = window.close().await;
}

/// The clear's default, 45 s, read from what the window says when nothing
/// shortens it (the other clipboard tests set a few seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_setting_the_clipboard_is_cleared_after_45_seconds() {
    assert!(
        std::env::var_os("LATCH_CLIPBOARD_CLEAR_SECS").is_none(),
        "this test reads the default: unset LATCH_CLIPBOARD_CLEAR_SECS"
    );
    let sandbox = sandbox().await;
    let window = Window::launch().await;
    connect_wordapp_robot(&window, &sandbox, "[data-testid=connect-account]").await;
    let row = "[data-account=wordapp-robot]";
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Valid")
        .await;
    window.click(&format!("{row} [data-testid=copy-header]")).await;
    window
        .wait_text("[data-testid=notice]", |t| {
            t == "Authorization header copied; the clipboard is cleared in 45 s."
        })
        .await;
    let token = stored_tokens(window.home.path(), "wordapp-robot");
    assert_eq!(
        clipboard(),
        format!("Authorization: Bearer {}", token.access_token.secret())
    );
    let _ = window.close().await;
}

/// Details show what Wazzup issued: the times its answer gave (obtained
/// when it arrived, expiring `expires_in` later), that a refresh token is
/// kept, and the claims of its JWT access token decoded — never the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_show_the_times_and_the_jwt_claims_of_the_token_wazzup_issued() {
    let sandbox = sandbox().await;
    let expires_in = sandbox.wazzup().settings().expires_in as i64;
    let window = Window::launch().await;
    let before = latch_core::time::now();
    connected_wazzup(&window, &sandbox).await;
    let after = latch_core::time::now();
    let row = "[data-account=wazzup-main]";
    window.click(&format!("{row} [data-testid=details]")).await;
    let shown = details(&window, row).await;

    let tokens = stored_tokens(window.home.path(), "wazzup-main");
    assert!(
        (before..=after).contains(&tokens.obtained_at),
        "obtained {} outside the connect ({before}..={after})",
        tokens.obtained_at
    );
    assert_eq!(tokens.expires_at, Some(tokens.obtained_at + expires_in));
    assert_eq!(detail(&shown, "Obtained"), page_time(&window, tokens.obtained_at).await);
    assert_eq!(
        detail(&shown, "Expires"),
        page_time(&window, tokens.obtained_at + expires_in).await
    );
    assert_eq!(detail(&shown, "Refresh token"), "kept in the keyring");
    assert_eq!(detail(&shown, "Scopes"), tokens.scope.as_deref().unwrap_or("—"));

    let issued = latch_sandbox::jwt::claims(tokens.access_token.secret()).expect("the fake issues JWTs");
    assert!(issued.as_object().is_some_and(|c| !c.is_empty()), "{issued}");
    let claims: serde_json::Value =
        serde_json::from_str(detail(&shown, "Token claims (JWT)")).expect("the claims as JSON");
    // The dates among them read as the rest of Details (issue 19 item 5).
    let mut readable = issued.clone();
    for date in ["exp", "iat", "nbf"] {
        if let Some(unix) = issued.get(date).and_then(|v| v.as_i64()) {
            readable[date] = page_time(&window, unix).await.into();
        }
    }
    assert_ne!(readable, issued, "the fake's token has dates");
    assert_eq!(claims, readable, "the claims of the token the fake issued");
    assert!(
        !shown.iter().any(|(_, v)| v.contains(tokens.access_token.secret())),
        "the token itself is not shown"
    );
    let _ = window.close().await;
}

/// Issue 15, item 1, in the window: Edit moves an account to a new server
/// only after the person confirms it; until then the new server gets
/// nothing, and the account's secrets follow only after "Use the new server".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_the_server_asks_before_the_secrets_go_there() {
    let sandbox = sandbox().await;
    let staging = support::sandbox().await;
    let window = Window::launch().await;
    connect_wordapp_robot(&window, &sandbox, "[data-testid=connect-account]").await;
    let row = "[data-account=wordapp-robot]";
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| {
            t == "Valid" || t == "Expiring soon"
        })
        .await;

    window.click(&format!("{row} [data-testid=edit]")).await;
    window.fill("#e-label", "Wordapp robot (staging)").await;
    window.fill("#e-base_url", &staging.wordapp().base_url()).await;
    window.click("[data-testid=edit-save]").await;
    let asked = window
        .wait_text("[data-testid=edit-problem][data-kind=server-changed]", |t| {
            t.contains("changed from")
        })
        .await;
    assert!(
        asked.contains(&format!(
            "from {} to {}",
            sandbox.wordapp().base_url(),
            staging.wordapp().base_url()
        )),
        "{asked}"
    );
    assert_eq!(
        window.text(&format!("{row} [data-testid=label]")).await,
        "Wordapp robot",
        "nothing is saved before the person says so"
    );
    window
        .click("[data-testid=edit-problem] [data-testid=failure-confirm-server]")
        .await;
    window
        .wait_text("[data-testid=notice]", |t| t == "Saved Wordapp robot (staging).")
        .await;
    assert!(staging.wordapp().requests().is_empty(), "an edit sends nothing");

    window.click(&format!("{row} [data-testid=refresh]")).await;
    window
        .wait_text("[data-testid=notice]", |t| t.starts_with("Refreshed"))
        .await;
    assert_eq!(
        staging.wordapp().count("wordapp.token"),
        1,
        "the refresh went to the new server"
    );
    let _ = window.close().await;
}

/// Issue 16, item 5: "Check" asks the provider whether the token works. A
/// working one says so; once the provider killed the token and its refresh
/// token, the same click turns the account to "needs reconnect".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_asks_the_provider_and_a_dead_token_asks_to_reconnect() {
    let sandbox = sandbox().await;
    let window = Window::launch().await;
    connected_wazzup(&window, &sandbox).await;
    let row = "[data-account=wazzup-main]";
    let channels = sandbox.wazzup().count("wazzup.channels");
    window.click(&format!("{row} [data-testid=check]")).await;
    window
        .wait_text("[data-testid=notice]", |t| t.contains("Wazzup main works"))
        .await;
    assert_eq!(sandbox.wazzup().count("wazzup.channels"), channels + 1, "one test call");

    let tokens = stored_tokens(window.home.path(), "wazzup-main");
    assert!(sandbox.wazzup().revoke_token(tokens.access_token.secret()));
    assert!(
        sandbox
            .wazzup()
            .revoke_refresh_token(tokens.refresh_token.as_ref().unwrap().secret())
    );
    window.click(&format!("{row} [data-testid=check]")).await;
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Needs reconnect")
        .await;
    window.wait_for(&format!("{row} [data-testid=reconnect]")).await;
    let _ = window.close().await;
}

/// While the window runs it checks every account now and then (every 30
/// minutes; 2 s here): a token killed at the provider is found without a
/// click.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_finds_a_killed_token_by_itself() {
    let sandbox = sandbox().await;
    let window = Window::start(Launch {
        env: &[("LATCH_CHECK_EVERY_SECS", "2")],
        ..Launch::default()
    })
    .await;
    connected_wazzup(&window, &sandbox).await;
    let tokens = stored_tokens(window.home.path(), "wazzup-main");
    assert!(sandbox.wazzup().revoke_token(tokens.access_token.secret()));
    assert!(
        sandbox
            .wazzup()
            .revoke_refresh_token(tokens.refresh_token.as_ref().unwrap().secret())
    );
    window
        .wait_text("[data-account=wazzup-main] [data-testid=status]", |t| {
            t == "Needs reconnect"
        })
        .await;
    assert!(sandbox.wazzup().count("wazzup.channels") >= 1, "found by a test call");
    let _ = window.close().await;
}

/// Issue 19, items 2 and 11: a person without a mouse connects a Wordapp
/// account, copies its token and revokes it with the keyboard alone; a
/// dialog keeps Tab inside it (Enter never reaches a Copy token behind it),
/// Escape closes it and focus goes back to the button that opened it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_copy_and_revoke_with_the_keyboard_alone() {
    const TAB: &str = "\u{E004}";
    const ENTER: &str = "\u{E007}";
    const ESCAPE: &str = "\u{E00C}";
    const DOWN: &str = "\u{E015}";
    let sandbox = sandbox().await;
    let demo = latch_sandbox::DemoCredentials::default();
    let window = Window::launch().await;
    let row = "[data-account=wordapp-robot]";

    window.tab_to("[data-testid=connect-account]").await;
    window.press(ENTER).await;
    window.wait_for("[data-testid=provider-picker]").await;
    window.tab_to("button[data-provider=wordapp]").await;
    window.press(ENTER).await;
    window.wait_for("[data-testid=connect-dialog]").await;
    assert!(window.focus_is("#f-label").await, "the dialog's first field has focus");
    window.press("Wordapp robot").await;
    window.tab_to("#f-grant").await;
    window.press(&format!("{DOWN}{DOWN}")).await;
    assert_eq!(support::field_value(&window, "#f-grant").await, "client_credentials");
    window.tab_to("#f-client_id").await;
    window.press(&demo.wordapp_client_id).await;
    window.tab_to("#f-secret").await;
    window.press(&demo.wordapp_client_secret).await;
    window.tab_to("#f-base_url").await;
    let base = sandbox.wordapp().base_url();
    // End, then Backspace over the default address, then the fake's.
    window.press(&format!("\u{E010}{}{base}", "\u{E003}".repeat(40))).await;
    assert_eq!(support::field_value(&window, "#f-base_url").await, base);
    window.press(ENTER).await;
    if let Ok(problem) = window
        .client
        .find(fantoccini::Locator::Css("[data-testid=connect-problem]"))
        .await
    {
        panic!("{:?}", problem.text().await);
    }
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Valid")
        .await;
    let token = stored_tokens(window.home.path(), "wordapp-robot").access_token;

    // The picker open over the list: Tab goes round inside it, never to
    // the row's Copy token; Escape closes it, back on its opener.
    window.tab_to("[data-testid=connect-another]").await;
    window.press(ENTER).await;
    window.wait_for("[data-testid=provider-picker]").await;
    for _ in 0..12 {
        window.press(TAB).await;
        assert!(
            window.focus_is("[data-testid=provider-picker] *").await,
            "Tab left the dialog"
        );
    }
    window.press(ESCAPE).await;
    window.wait_gone("[data-testid=provider-picker]").await;
    assert!(
        window.focus_is("[data-testid=connect-another]").await,
        "focus is back where the dialog was opened"
    );
    assert_ne!(clipboard(), token.secret(), "nothing was copied behind the dialog");

    window.tab_to(&format!("{row} [data-testid=copy-token]")).await;
    window.press(ENTER).await;
    window
        .wait_text("[data-testid=notice]", |t| t.starts_with("Token copied"))
        .await;
    assert_eq!(clipboard(), token.secret());

    window.tab_to(&format!("{row} [data-testid=revoke]")).await;
    window.press(ENTER).await;
    window.tab_to(&format!("{row} [data-testid=confirm-revoke-yes]")).await;
    window.press(ENTER).await;
    window
        .wait_text(&format!("{row} [data-testid=status]"), |t| t == "Revoked")
        .await;
    assert_eq!(sandbox.wordapp().count("wordapp.revoke"), 1);
    let _ = window.close().await;
}
