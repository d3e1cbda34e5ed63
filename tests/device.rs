//! The device code sign-in (RFC 8628) in the real window, against the
//! sandbox's OAuth 2.0 fake: the Other OAuth 2.0 dialog discovers the
//! server from its issuer, the person picks the device grant and presses
//! Connect, reads the user code off the window and approves it at the
//! fake's device page (its hook, as `latch connect`'s tests answer), and
//! the account is connected — the token then comes out of `latch token` on
//! the same LATCH_HOME. The device code itself never reaches the page.

mod support;

use latch_sandbox::oauth2::DeviceDecision;
use support::{Launch, Window, connect_by_device, field_value as value, latch, sandbox};

const ROW: &str = "[data-account=device] [data-testid=status]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_oauth2_connects_through_the_device_flow_discovered_from_its_issuer() {
    let sandbox = sandbox().await;
    sandbox.oauth2().settings().device_interval = Some(1);
    let window = Window::start(Launch {
        env: &[("LATCH_IPC_LOG", "1")],
        ..Launch::default()
    })
    .await;
    let code = connect_by_device(&window, &sandbox, "[data-testid=connect-account]").await;
    assert_eq!(
        sandbox.oauth2().user_codes(),
        vec![code.clone()],
        "the code the server gave"
    );
    let left = window.text("[data-testid=device-countdown]").await;
    assert!(["10:00", "9:59", "9:58"].contains(&left.as_str()), "{left}");
    window.screenshot("device-code").await;

    assert!(sandbox.oauth2().decide_device(&code, DeviceDecision::Approved));
    window.wait_text(ROW, |t| t == "Valid").await;
    assert!(
        window
            .client
            .find(fantoccini::Locator::Css("[data-testid=connect-dialog]"))
            .await
            .is_err(),
        "the dialog closed once connected"
    );
    let token = latch(window.home.path(), &["token", "device"], "").trim().to_owned();
    assert!(
        sandbox.oauth2().is_live(&token),
        "latch token hands out the approved token"
    );

    // The device code was polled with, and never crossed into the page.
    let polled = sandbox
        .oauth2()
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.route == "oauth2.token")
        .expect("a poll");
    let device_code = polled
        .form()
        .into_iter()
        .find(|(k, _)| k == "device_code")
        .expect("polled with the device code")
        .1;
    let log = window
        .client
        .execute("return JSON.stringify(window.__LATCH_IPC_LOG__);", vec![])
        .await
        .unwrap();
    let log = log.as_str().unwrap();
    assert!(log.contains("\"call\":\"discover_issuer\""), "{log}");
    assert!(log.contains(&code), "the user code is shown");
    assert!(!log.contains(&device_code), "the device code reached the webview");
    assert!(!log.contains(&token), "the token reached the webview");
    let _ = window.close().await;
}

/// Refused at the server's page: the dialog says so in the core's words and
/// offers Start again, which asks for a new code that then connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_device_code_is_said_and_start_again_gets_a_new_one() {
    let sandbox = sandbox().await;
    sandbox.oauth2().settings().device_interval = Some(1);
    let window = Window::launch().await;
    let first = connect_by_device(&window, &sandbox, "[data-testid=connect-account]").await;
    assert!(sandbox.oauth2().decide_device(&first, DeviceDecision::Denied));
    let said = window.text("[data-testid=device-ended]").await;
    assert!(said.contains("the sign-in was refused on the server's page"), "{said}");
    window.screenshot("device-code-denied").await;
    let status = window.text(ROW).await;
    assert_eq!(status, "Not connected", "nothing was stored");

    window.click("[data-testid=device-start-again]").await;
    let second = window
        .wait_text("[data-testid=user-code]", |t| !t.is_empty() && t != first)
        .await;
    assert_ne!(second, first);
    assert!(sandbox.oauth2().decide_device(&second, DeviceDecision::Approved));
    window.wait_text(ROW, |t| t == "Valid").await;
    let token = latch(window.home.path(), &["token", "device"], "").trim().to_owned();
    assert!(sandbox.oauth2().is_live(&token));
    let _ = window.close().await;
}

/// Discovery's refusals are said under the Issuer field, in the core's
/// words, and fill nothing: a server whose metadata names another issuer
/// (a mix-up, RFC 8414 §3.3), and an issuer that nothing answers at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_refusals_are_said_in_the_dialog_and_fill_nothing() {
    let sandbox = sandbox().await;
    let base = sandbox.oauth2().base_url();
    sandbox.oauth2().settings().issuer = Some("https://other.example".into());
    let window = Window::launch().await;
    window.click("[data-testid=connect-account]").await;
    window.click("button[data-provider=oauth2]").await;
    window.fill("#discover-issuer", &base).await;
    window.click("[data-testid=discover-button]").await;
    let said = window.text("[data-testid=discover-problem]").await;
    assert_eq!(
        said,
        format!(
            "The metadata of {base} cannot be used: it names the issuer \"https://other.example\", not \"{base}\": \
             a server must describe only itself (RFC 8414 §3.3), so this may be another server posing as it; \
             check the issuer URL."
        )
    );
    assert_eq!(value(&window, "#f-token_url").await, "", "nothing was filled");

    let nobody = format!("http://127.0.0.1:{}", latch_sandbox::harness::free_port());
    window.fill("#discover-issuer", &nobody).await;
    window.click("[data-testid=discover-button]").await;
    let said = window
        .wait_text("[data-testid=discover-problem]", |t| !t.contains("other.example"))
        .await;
    assert_eq!(
        said,
        format!(
            "Could not reach {nobody} (the connection failed); check the internet connection and the account's \
             server address, then try again."
        )
    );
    assert_eq!(value(&window, "#f-token_url").await, "");
    let _ = window.close().await;
}
