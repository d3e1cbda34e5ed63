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
/// second launch, forwarded by single-instance) while a sign-in waits: it is
/// rejected with its reason, nothing reaches the provider or the keyring,
/// and the waiting sign-in is left as it was — its real callback still
/// completes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_deep_link_stores_nothing_and_leaves_the_waiting_sign_in_alone() {
    let sandbox = sandbox().await;
    let window = Window::launch().await;
    let url = start_wazzup_connect(&window, &sandbox).await;
    let real = sign_in(&url).await;

    let forged = format!("{SCHEME_REDIRECT}?code=forged-code&state=forged-state");
    assert!(launch_again_with(window.home.path(), &forged).success());
    let problem = window
        .wait_text("[data-testid=connect-problem]", |t| !t.is_empty())
        .await;
    assert_eq!(
        problem,
        "Latch rejected the sign-in callback (its state matches no sign-in in progress: it was already used, has \
         expired, or was not started by this Latch); start connecting the account again."
    );
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
