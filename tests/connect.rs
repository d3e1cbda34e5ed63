//! Connecting an account in the real window, against the fake providers,
//! with the redirect coming back the way the desktop delivers it.

mod support;

use support::{Launch, Window, launch_again_with, sandbox, sign_in, start_wazzup_connect};

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
