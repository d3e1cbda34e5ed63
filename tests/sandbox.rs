//! "Try the sandbox" from the empty window: fake providers inside the app,
//! demo accounts that point at them, and a real browser flow against them.

mod support;

use latch_sandbox::{Ports, Sandbox, SandboxConfig};
use support::{Window, detail, details, launch_again_with, page_time, sign_in, stored_tokens};

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

/// With a sandbox already running on the demo ports (`latch sandbox` in a
/// terminal, here this test's, so it can play the phone), "Try the sandbox"
/// adds the demo accounts against it; a person then connects the PayU demo
/// through the browser and links the GREEN-API demo by code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payu_and_green_api_demo_accounts_connect_as_a_person_would() {
    let mut config = SandboxConfig::demo();
    config.ports = Some(Ports {
        wazzup: 8971,
        payu: 8972,
        wordapp: 8973,
        green_api: 8974,
        oauth2: 8975,
    });
    let sandbox = Sandbox::start(config).await.expect("the sandbox on the demo ports");
    let demo = SandboxConfig::demo().demo;
    let window = Window::launch().await;
    window.click("[data-testid=try-sandbox]").await;
    let notice = window
        .wait_text("[data-testid=notice]", |t| t.contains("demo account"))
        .await;
    assert_eq!(
        notice,
        "A sandbox was already running on 127.0.0.1:8971–8975 with 4 demo accounts: press Connect or Link on each \
         to try its flow."
    );

    // PayU: Connect, the browser consents, the deep link comes back.
    let payu = "[data-account=sandbox-payu]";
    assert_eq!(
        window.text(&format!("{payu} [data-testid=status]")).await,
        "Not connected"
    );
    window.click(&format!("{payu} [data-testid=reconnect]")).await;
    let url = window
        .wait_for("[data-testid=authorize-url]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(url.starts_with("http://127.0.0.1:8972/"), "{url}");
    let before = latch_core::time::now();
    assert!(launch_again_with(window.home.path(), &sign_in(&url).await).success());
    window
        .wait_text(&format!("{payu} [data-testid=status]"), |t| t == "Valid")
        .await;
    let after = latch_core::time::now();
    assert_eq!(sandbox.payu().count("payu.token"), 1);

    // Its details are PayU's answer: the scopes it granted, its user_uuid, its times.
    window.click(&format!("{payu} [data-testid=details]")).await;
    let shown = details(&window, payu).await;
    let (scope, user_uuid, expires_in) = {
        let s = sandbox.payu().settings();
        (s.consent_scope.clone(), s.user_uuid.clone(), s.expires_in as i64)
    };
    assert_eq!(detail(&shown, "Scopes"), scope);
    assert_eq!(detail(&shown, "user_uuid"), user_uuid);
    let tokens = stored_tokens(window.home.path(), "sandbox-payu");
    assert!((before..=after).contains(&tokens.obtained_at), "{}", tokens.obtained_at);
    assert_eq!(tokens.expires_at, Some(tokens.obtained_at + expires_in));
    assert_eq!(detail(&shown, "Obtained"), page_time(&window, tokens.obtained_at).await);
    assert_eq!(
        detail(&shown, "Expires"),
        page_time(&window, tokens.obtained_at + expires_in).await
    );
    assert_eq!(
        detail(&shown, "Refresh token"),
        if tokens.refresh_token.is_some() {
            "kept in the keyring"
        } else {
            "none"
        }
    );

    // GREEN-API: Link, the saved number, the code typed on the phone.
    let green = "[data-account=sandbox-green-api]";
    window.click(&format!("{green} [data-testid=reconnect]")).await;
    let phone = window
        .wait_for("[data-testid=link-phone]")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(phone.as_deref(), Some("+441234567890"), "the demo's saved number");
    window.click("[data-testid=get-code]").await;
    let code = window.text("[data-testid=link-code]").await;
    assert!(
        sandbox.green_api().enter_code(demo.green_api_id_instance, &code),
        "{code}"
    );
    let linked = window
        .wait_text("[data-testid=linked]", |t| t.contains("WhatsApp linked"))
        .await;
    assert!(linked.contains("+441234567890"), "{linked}");
    window.click("[data-testid=link-panel] button.primary").await;
    window
        .wait_text(&format!("{green} [data-testid=status]"), |t| t == "WhatsApp linked")
        .await;
    assert_eq!(
        sandbox.green_api().wid(demo.green_api_id_instance).as_deref(),
        Some("441234567890@c.us")
    );
    let _ = window.close().await;
}
