//! "Try the sandbox" from the empty window: fake providers inside the app,
//! demo accounts that point at them, and a real browser flow against them.

mod support;

use support::{Window, launch_again_with, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_the_sandbox_adds_demo_accounts_that_really_connect() {
    let window = Window::launch().await;
    window.click("[data-testid=try-sandbox]").await;
    let notice = window
        .wait_text("[data-testid=notice]", |t| t.contains("demo account"))
        .await;
    assert!(notice.contains("127.0.0.1:8971"), "{notice}");

    // Client credentials connect at once; the browser flows wait for a person.
    window
        .wait_text("[data-account=sandbox-wordapp] [data-testid=status]", |t| t == "Valid")
        .await;
    assert_eq!(
        window.text("[data-account=sandbox-wazzup] [data-testid=status]").await,
        "Not connected"
    );
    window.wait_for("[data-account=sandbox-green-api]").await;
    window.wait_for("[data-account=sandbox-payu]").await;

    // Connect the Wazzup demo through the browser and the deep link, as a person would.
    window
        .click("[data-account=sandbox-wazzup] [data-testid=reconnect]")
        .await;
    let url = window
        .wait_for("[data-testid=authorize-url]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(url.starts_with("http://127.0.0.1:8971/v2/oauth/authorize?"), "{url}");
    assert!(launch_again_with(window.home.path(), &sign_in(&url).await).success());
    window
        .wait_text("[data-account=sandbox-wazzup] [data-testid=status]", |t| t == "Valid")
        .await;
    let _ = window.close().await;
}
