//! Linking a WhatsApp number to a GREEN-API instance in the real window,
//! against the fake GREEN-API, with the fake playing the phone.

mod support;

use latch_sandbox::{Sandbox, SandboxConfig};
use support::{Window, add_green_api_sales};

fn seconds(countdown: &str) -> u64 {
    let (m, s) = countdown.split_once(':').expect("m:ss");
    m.parse::<u64>().unwrap() * 60 + s.parse::<u64>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn green_api_link_shows_the_code_counts_down_and_ends_linked() {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await.expect("sandbox");
    let demo = SandboxConfig::demo().demo;
    let window = Window::launch().await;

    add_green_api_sales(&window, &sandbox, "[data-testid=connect-account]").await;

    window.click("[data-testid=get-code]").await;
    let code = window.text("[data-testid=link-code]").await;
    assert!(
        code.len() == 9 && code.as_bytes()[4] == b'-',
        "grouped as WhatsApp shows it: {code}"
    );
    let first = seconds(&window.text("[data-testid=countdown]").await);
    assert!((140..=150).contains(&first), "about 2.5 minutes: {first}");
    let later = window
        .wait_text("[data-testid=countdown]", |t| seconds(t) < first)
        .await;
    assert!(seconds(&later) < first);
    window.screenshot("green-api-link-code").await;

    // The phone's owner types the code in WhatsApp.
    assert!(sandbox.green_api().enter_code(demo.green_api_id_instance, &code));
    let linked = window
        .wait_text("[data-testid=linked]", |t| t.contains("WhatsApp linked"))
        .await;
    assert!(linked.contains("+441234567890"), "{linked}");
    let request = sandbox
        .green_api()
        .requests()
        .into_iter()
        .find(|r| r.route == "green_api.getAuthorizationCode")
        .unwrap();
    assert!(
        request.json().unwrap()["phoneNumber"].is_u64(),
        "the number goes as a JSON number"
    );

    window.click("[data-testid=link-panel] button.primary").await;
    let status = window
        .wait_text("[data-account=whatsapp-sales] [data-testid=status]", |t| {
            t == "WhatsApp linked"
        })
        .await;
    assert_eq!(status, "WhatsApp linked");
    let _ = window.close().await;
}
