//! Connecting an account in the real window, against the fake providers,
//! with the redirect coming back the way the desktop delivers it.

mod support;

use support::{Launch, SCHEME_REDIRECT, Window, launch_again_with, sandbox, sign_in, start_wazzup_connect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wazzup_connect_via_deep_link_to_the_running_window() {
    let sandbox = sandbox().await;
    let window = Window::launch().await;
    let url = start_wazzup_connect(&window, &sandbox).await;
    let callback = sign_in(&url).await;

    // The desktop hands the URL to a second launch; single-instance forwards it.
    let status = launch_again_with(window.home.path(), &callback);
    assert!(status.success(), "the second launch exits after handing over the URL");

    let status = window
        .wait_text("[data-account=wazzup-main] [data-testid=status]", |t| t == "Valid")
        .await;
    assert_eq!(status, "Valid");
    let expiry = window.text("[data-account=wazzup-main] [data-testid=expiry]").await;
    assert!(
        expiry.starts_with("expires in 23 h 59 m") || expiry.starts_with("expires in 1 d"),
        "{expiry}"
    );
    assert_eq!(sandbox.wazzup().count("wazzup.token"), 1);
    window.screenshot("wazzup-connected").await;
    let _ = window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wazzup_connect_completes_when_the_link_starts_a_closed_latch() {
    let sandbox = sandbox().await;
    let window = Window::launch().await;
    let url = start_wazzup_connect(&window, &sandbox).await;
    let home = window.close().await; // Latch is closed while the person signs in.

    let callback = sign_in(&url).await;
    let window = Window::start(Launch {
        args: vec![callback],
        home: Some(home),
        ..Launch::default()
    })
    .await;
    window
        .wait_text("[data-account=wazzup-main] [data-testid=status]", |t| t == "Valid")
        .await;
    assert_eq!(sandbox.wazzup().count("wazzup.token"), 1);
    let _ = window.close().await;
}

/// A forged deep link reaches the running window the way real ones do (a
/// second launch, forwarded by single-instance) while a sign-in waits: it
/// names no sign-in, so it is only logged — the connect dialog shows no
/// error (issue 15 item 10: anyone can open a link, and it must not speak
/// for the sign-in on screen) — nothing reaches the provider or the
/// keyring, and the waiting sign-in is left as it was. A link with the
/// sign-in's own state that arrives at another account's address is that
/// sign-in's news: the dialog says so, and keeps waiting. The real callback
/// still completes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_deep_link_stores_nothing_and_leaves_the_waiting_sign_in_alone() {
    let sandbox = sandbox().await;
    let log = tempfile::NamedTempFile::new().unwrap();
    let window = Window::start(Launch {
        env: &[("LATCH_IPC_LOG", "1")],
        stderr: Some(log.reopen().unwrap()),
        ..Launch::default()
    })
    .await;
    let url = start_wazzup_connect(&window, &sandbox).await;
    let real = sign_in(&url).await;
    assert!(
        real.starts_with(&format!("{SCHEME_REDIRECT}/wazzup-main?")),
        "the account's own address: {real}"
    );

    let forged = format!("{SCHEME_REDIRECT}?code=forged-code&state=forged-state");
    assert!(launch_again_with(window.home.path(), &forged).success());
    wait_for_line(log.path(), "ignored a sign-in link that names no sign-in in progress").await;
    let shown = window
        .client
        .find_all(fantoccini::Locator::Css("[data-testid=connect-problem]"))
        .await
        .unwrap();
    assert!(
        shown.is_empty(),
        "the forged link's refusal is not the dialog's to show"
    );

    // The sign-in's own state, at another account's address: refused, and said.
    let state = url::Url::parse(&real)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let elsewhere = format!("{SCHEME_REDIRECT}/wazzup-other?code=other-code&state={state}");
    assert!(launch_again_with(window.home.path(), &elsewhere).success());
    let problem = window
        .wait_text("[data-testid=connect-problem]", |t| !t.is_empty())
        .await;
    assert_eq!(
        problem,
        "Latch rejected the sign-in callback (it arrived at another account's redirect address, but its state \
         belongs to the sign-in of `wazzup-main`: another server may have sent your browser on to the wrong one); \
         start connecting the account again."
    );
    // Every connect-finished the page heard named this sign-in's account.
    let heard: serde_json::Value = serde_json::from_str(
        window
            .client
            .execute("return JSON.stringify(window.__LATCH_IPC_LOG__);", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let finished: Vec<&serde_json::Value> = heard
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["event"] == "connect-finished")
        .collect();
    assert!(!finished.is_empty(), "the page heard the second refusal");
    for event in finished {
        assert_eq!(event["payload"]["account"], "wazzup-main", "{event}");
    }

    // The sign-in is still waiting, on the same address.
    let waiting = window.wait_for("[data-testid=waiting]").await;
    assert_eq!(waiting.attr("data-via").await.unwrap().as_deref(), Some("deep-link"));
    let shown = window
        .wait_for("[data-testid=authorize-url]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(shown.as_deref(), Some(url.as_str()));
    // Nothing went to Wazzup, nothing was stored.
    assert_eq!(sandbox.wazzup().count("wazzup.token"), 0);
    let latch = latch_core::Latch::open(Some(window.home.path().to_owned())).unwrap();
    let account = latch.find("wazzup-main").unwrap();
    assert_eq!(account.status, latch_core::AccountStatus::NotConnected);
    assert!(account.token.is_none());
    assert!(
        latch.secrets(&account).unwrap().tokens.is_none(),
        "no token set in the keyring"
    );

    // The real callback still completes the sign-in it belongs to.
    assert!(launch_again_with(window.home.path(), &real).success());
    window
        .wait_text("[data-account=wazzup-main] [data-testid=status]", |t| t == "Valid")
        .await;
    assert_eq!(sandbox.wazzup().count("wazzup.token"), 1);
    let _ = window.close().await;
}

/// Waits until the window's log (its stderr) has a line containing `words`.
async fn wait_for_line(log: &std::path::Path, words: &str) {
    let deadline = std::time::Instant::now() + support::WAIT;
    while !std::fs::read_to_string(log).unwrap_or_default().contains(words) {
        assert!(
            std::time::Instant::now() < deadline,
            "the window never logged `{words}`"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
