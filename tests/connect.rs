//! Connecting an account in the real window, against the fake providers,
//! with the redirect coming back the way the desktop delivers it.

mod support;

use latch_sandbox::{DemoCredentials, Sandbox, SandboxConfig};
use support::{Launch, Window, launch_again_with};

const SCHEME_REDIRECT: &str = "app.latch.desktop:/oauth/callback";

async fn sandbox() -> Sandbox {
    let mut config = SandboxConfig::demo();
    config.demo = DemoCredentials {
        redirect_uris: vec![SCHEME_REDIRECT.into()],
        ..DemoCredentials::default()
    };
    Sandbox::start(config).await.expect("sandbox")
}

/// Fills the Wazzup dialog and presses Connect; returns the sign-in URL shown.
async fn start_wazzup_connect(window: &Window, sandbox: &Sandbox) -> String {
    window.click("[data-testid=connect-account]").await;
    window.click("button[data-provider=wazzup]").await;
    window.fill("#f-label", "Wazzup main").await;
    window.fill("#f-client_id", "demo-wazzup-client").await;
    window.fill("#f-email", "partner@demo.latch").await;
    window.fill("#f-secret", "demo-partner-password").await;
    window.fill("#f-base_url", &sandbox.wazzup().base_url()).await;
    assert_eq!(
        window.text("[data-testid=connect-submit]").await,
        "Connect Wazzup account"
    );
    window.click("[data-testid=connect-submit]").await;
    let waiting = window.wait_for("[data-testid=waiting]").await;
    assert_eq!(waiting.attr("data-via").await.unwrap().as_deref(), Some("deep-link"));
    let url = window
        .wait_for("[data-testid=authorize-url]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(url.contains("/v2/oauth/authorize?"), "{url}");
    url
}

/// What the browser does: the fake consents and redirects to Latch's scheme.
async fn sign_in(url: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client.get(url).send().await.unwrap();
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(SCHEME_REDIRECT), "{location}");
    location
}

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
