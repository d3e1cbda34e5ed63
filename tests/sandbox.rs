//! "Try the sandbox" from the empty window: fake providers inside the app,
//! demo accounts that point at them, and a real browser flow against them.

mod support;

use latch_core::store::Index;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Launch, Window, detail, details, launch_again_with, page_time, sign_in, stored_tokens};

const DEMO_IDS: [&str; 5] = [
    "sandbox-wazzup",
    "sandbox-payu",
    "sandbox-wordapp",
    "sandbox-green-api",
    "sandbox-oauth2",
];

/// The demo accounts as the window's data directory holds them.
fn demo_accounts(home: &std::path::Path) -> Vec<latch_core::Account> {
    let index = Index::load(&home.join("index.json")).expect("the index").index;
    index
        .accounts
        .into_iter()
        .filter(|a| DEMO_IDS.contains(&a.id.as_str()))
        .collect()
}

/// Every `http://` address in an account's settings (its endpoints).
fn endpoints(account: &latch_core::Account) -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if s.starts_with("http://") => out.push(s.clone()),
            serde_json::Value::Object(m) => m.values().for_each(|v| walk(v, out)),
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&serde_json::to_value(&account.settings).unwrap(), &mut out);
    out
}

/// The wazzup demo's base URL, as stored.
fn wazzup_base(home: &std::path::Path) -> String {
    let wazzup = demo_accounts(home)
        .into_iter()
        .find(|a| a.id.as_str() == "sandbox-wazzup");
    endpoints(&wazzup.expect("the Wazzup demo account"))[0].clone()
}

/// Whether a fake of the sandbox answers at `base` (its 404 for an unknown path).
fn a_fake_answers(base: &str) -> bool {
    let port: u16 = base
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = write!(
        stream,
        "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 404") && answer.to_ascii_lowercase().ends_with("not found")
}

/// Another program on one of the README's sandbox ports: it keeps what it
/// is sent and answers 503.
struct Squatter {
    port: u16,
    received: Arc<Mutex<Vec<u8>>>,
}

impl Squatter {
    fn on(port: u16) -> Squatter {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("this test needs 127.0.0.1:{port} free to squat it: {e}"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    kept.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                let _ = stream.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
            }
        });
        Squatter { port, received }
    }

    fn first_line(&self) -> String {
        let got = self.received.lock().unwrap();
        String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_the_sandbox_adds_demo_accounts_that_really_connect() {
    let window = Window::launch().await;
    window.click("[data-testid=try-sandbox]").await;
    let notice = window
        .wait_text("[data-testid=notice]", |t| t.contains("demo account"))
        .await;
    assert_eq!(
        notice,
        "The sandbox is running inside Latch with 5 demo accounts, marked “Sandbox”: press Connect or Link on \
         each to try its flow."
    );

    // Client credentials connect at once; the browser flows wait for a person.
    window
        .wait_text("[data-account=sandbox-wordapp] [data-testid=status]", |t| t == "Valid")
        .await;
    // The Other OAuth 2.0 robot too, by a client assertion signed with its secret.
    window
        .wait_text("[data-account=sandbox-oauth2] [data-testid=status]", |t| t == "Valid")
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
    let base = wazzup_base(window.home.path());
    assert!(url.starts_with(&format!("{base}/v2/oauth/authorize?")), "{url}");
    assert!(launch_again_with(window.home.path(), &sign_in(&url).await).success());
    window
        .wait_text("[data-account=sandbox-wazzup] [data-testid=status]", |t| t == "Valid")
        .await;
    let _ = window.close().await;
}

/// Issue 15, item 3: with another program on one of the README's ports
/// (8973, the Wordapp fake's, where the demo robot's client secret goes at
/// once), "Try the sandbox" sends it nothing; every demo account points at a
/// fake this window started, is marked in the list, and the GREEN-API demo's
/// link code says it is fake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_the_sandbox_never_adopts_a_listener_it_did_not_start() {
    let squatter = Squatter::on(8973);
    let window = Window::launch().await;
    window.click("[data-testid=try-sandbox]").await;
    let notice = window.wait_text("[data-testid=notice]", |t| !t.is_empty()).await;
    assert_eq!(
        squatter.first_line(),
        "",
        "the program on {} was sent a request (the notice said {notice:?})",
        squatter.port
    );
    assert!(notice.contains("5 demo accounts"), "{notice}");
    window
        .wait_text("[data-account=sandbox-wordapp] [data-testid=status]", |t| t == "Valid")
        .await;

    let accounts = demo_accounts(window.home.path());
    assert_eq!(accounts.len(), 5, "{accounts:?}");
    for account in &accounts {
        assert!(account.sandbox, "{} is not marked as a sandbox account", account.id);
        for url in endpoints(account) {
            let port: u16 = url
                .rsplit(':')
                .next()
                .unwrap()
                .split('/')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(!(8971..=8975).contains(&port), "{}: {url}", account.id);
            assert!(
                a_fake_answers(&format!("http://127.0.0.1:{port}")),
                "{}: nothing of the sandbox at {url}",
                account.id
            );
        }
        let row = format!("[data-account={}] [data-testid=sandbox-mark]", account.id);
        assert_eq!(window.text(&row).await, "Sandbox");
    }

    // The GREEN-API demo's code is fake, and says so in place of WhatsApp's steps.
    window
        .click("[data-account=sandbox-green-api] [data-testid=reconnect]")
        .await;
    window.wait_for("[data-testid=link-phone]").await;
    window.click("[data-testid=get-code]").await;
    window.wait_for("[data-testid=link-code]").await;
    let fake = window.text("[data-testid=link-code-fake]").await;
    assert!(fake.contains("is fake: do not type it into WhatsApp"), "{fake}");
    let panel = window.text("[data-testid=link-panel]").await;
    assert!(!panel.contains("Link with phone number instead"), "{panel}");
    assert_eq!(squatter.first_line(), "");
    let _ = window.close().await;
}

/// The window started again holds demo accounts whose sandbox is gone: it
/// starts a new one at launch and moves them there (their old ports may be
/// anyone's by now); the robot is connected again at the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_started_again_points_its_demo_accounts_at_its_new_sandbox() {
    let window = Window::launch().await;
    window.click("[data-testid=try-sandbox]").await;
    window
        .wait_text("[data-account=sandbox-wordapp] [data-testid=status]", |t| t == "Valid")
        .await;
    let before = wazzup_base(window.home.path());
    let home = window.close().await;

    let window = Window::start(Launch {
        home: Some(home),
        ..Launch::default()
    })
    .await;
    window
        .wait_text("[data-account=sandbox-wordapp] [data-testid=status]", |t| t == "Valid")
        .await;
    let after = wazzup_base(window.home.path());
    assert_ne!(after, before);
    assert!(a_fake_answers(&after), "{after}");
    assert_eq!(
        window
            .text("[data-account=sandbox-wazzup] [data-testid=sandbox-mark]")
            .await,
        "Sandbox"
    );
    let _ = window.close().await;
}

/// "Try the sandbox" adds the demo accounts against the window's own
/// sandbox; a person then connects the PayU demo through the browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_payu_demo_account_connects_as_a_person_would() {
    let demo = latch_sandbox::SandboxConfig::demo().demo;
    let window = Window::launch().await;
    window.click("[data-testid=try-sandbox]").await;
    window
        .wait_text("[data-testid=notice]", |t| t.contains("demo account"))
        .await;

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
    let stored = demo_accounts(window.home.path());
    let payu_base = endpoints(stored.iter().find(|a| a.id.as_str() == "sandbox-payu").unwrap())[0].clone();
    assert!(url.starts_with(&format!("{payu_base}/")), "{url}");
    let before = latch_core::time::now();
    assert!(launch_again_with(window.home.path(), &sign_in(&url).await).success());
    window
        .wait_text(&format!("{payu} [data-testid=status]"), |t| t == "Valid")
        .await;
    let after = latch_core::time::now();

    // Its details are PayU's answer: the scopes it granted, its user_uuid, its times.
    window.click(&format!("{payu} [data-testid=details]")).await;
    let shown = details(&window, payu).await;
    let s = latch_sandbox::payu::PayuSettings::from_demo(&demo);
    let (scope, user_uuid, expires_in) = (s.consent_scope.clone(), s.user_uuid.clone(), s.expires_in as i64);
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
    let _ = window.close().await;
}

/// Issue 19, item 6: the GREEN-API demo links in the sandbox, the sandbox
/// playing the phone; stopped from the bar, its demo accounts say the
/// sandbox is not running (not "check the internet connection"), and
/// started again, they answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_plays_the_phone_and_stops_and_starts_from_the_bar() {
    let window = Window::launch().await;
    window.click("[data-testid=try-sandbox]").await;
    window
        .wait_text("[data-account=sandbox-wordapp] [data-testid=status]", |t| t == "Valid")
        .await;
    window
        .wait_text("[data-testid=sandbox-state]", |t| t == "Sandbox running")
        .await;

    // Link the GREEN-API demo: a code, then the sandbox's phone types it.
    window
        .click("[data-account=sandbox-green-api] [data-testid=reconnect]")
        .await;
    window.click("[data-testid=get-code]").await;
    window.wait_for("[data-testid=link-code]").await;
    window.click("[data-testid=simulate-phone]").await;
    let linked = window.wait_text("[data-testid=linked]", |t| !t.is_empty()).await;
    assert!(linked.contains("linked"), "{linked}");
    window.click("[data-testid=link-panel] .actions .primary").await;
    window
        .wait_text("[data-account=sandbox-green-api] [data-testid=status]", |t| {
            t == "WhatsApp linked"
        })
        .await;

    // Stopped: a demo account's refresh says why it cannot answer.
    window.click("[data-testid=sandbox-toggle]").await;
    window
        .wait_text("[data-testid=sandbox-state]", |t| t == "Sandbox stopped")
        .await;
    window
        .click("[data-account=sandbox-wordapp] [data-testid=refresh]")
        .await;
    // The refresh's own notice (the stop's, just before, names the sandbox too).
    let said = window
        .wait_text("[data-testid=notice]", |t| {
            t.contains("not running") || t.contains("Could not reach")
        })
        .await;
    assert!(said.starts_with("The sandbox is not running"), "{said}");
    assert!(!said.contains("internet connection"), "{said}");

    // Started again: the demo accounts point at the new fakes and answer.
    window.click("[data-testid=sandbox-toggle]").await;
    window
        .wait_text("[data-testid=sandbox-state]", |t| t == "Sandbox running")
        .await;
    window
        .click("[data-account=sandbox-wordapp] [data-testid=refresh]")
        .await;
    window
        .wait_text("[data-testid=notice]", |t| t.starts_with("Refreshed"))
        .await;
    let _ = window.close().await;
}
