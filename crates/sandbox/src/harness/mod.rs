//! The test harness every test crate shares (feature `harness`, which only
//! dev-dependencies turn on; the `latch` binary does not link it).
//!
//! - a sandbox with the demo credentials, or with the redirect URIs a test
//!   registers ([`sandbox`], [`sandbox_with_redirects`]), and free loopback
//!   ports ([`free_port`], [`loopback_redirect`]);
//! - the browser's part of a sign-in ([`follow_consent`]): the fakes consent
//!   at once and redirect, and what a person's browser would land on is the
//!   redirect's `Location`; and what it does with Latch's sign-in page, the
//!   file an opener is handed ([`page_target`]), and an opener that records
//!   how it was run ([`FakeOpener`]);
//! - the demo accounts as the sandbox, `latch sandbox --add-accounts` and the
//!   window's "Try the sandbox" create them: a [`crate::demo`] draft, built
//!   through the core's rules under an id the test chooses ([`account`]);
//! - the clock: [`now`] is Latch's "now"; the fakes' own clocks move with
//!   `Sandbox::advance_all` or a fake's `advance`;
//! - a real, unlocked keyring for the tests that need one ([`keyring_bus`]),
//!   and the keyrings that do not work ([`PrivateBus`]), down to one that
//!   gives back other bytes than it was given ([`FakeSecretService`]);
//! - a real OpenBao dev server, set up for Latch as an operator would
//!   ([`bao::Bao`]), for the Vault store's tests.

pub mod bao;
mod bus;
mod keyring;
mod opener;
mod secret_service;

pub use bus::{PrivateBus, PrivateKeyring};
pub use keyring::keyring_bus;
pub use opener::{FakeOpener, Opened};
pub use secret_service::{Answers, FakeSecretService};

use crate::{DemoCredentials, Sandbox, SandboxConfig};
use latch_core::model::{Account, AccountId, AccountSecrets, UnixTime};
use latch_core::providers::AccountDraft;
use std::sync::OnceLock;
use std::time::Duration;

/// The window's redirect: Latch's URL scheme (a deep link).
pub const SCHEME_REDIRECT: &str = "app.latch.desktop:/oauth/callback";
/// The loopback redirect the demo credentials register besides the scheme.
pub const DEMO_LOOPBACK_REDIRECT: &str = "http://127.0.0.1:8976/callback";

/// Every fake on its own free port, with the demo credentials.
pub async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::demo())
        .await
        .expect("the sandbox starts on 127.0.0.1")
}

/// The same, with exactly these redirect URIs registered at every fake.
pub async fn sandbox_with_redirects(redirect_uris: &[&str]) -> Sandbox {
    let config = SandboxConfig {
        demo: DemoCredentials {
            redirect_uris: redirect_uris.iter().map(|&uri| uri.to_owned()).collect(),
            ..DemoCredentials::default()
        },
        ..SandboxConfig::demo()
    };
    Sandbox::start(config).await.expect("the sandbox starts on 127.0.0.1")
}

/// A port nothing listens on at the moment of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port on 127.0.0.1")
}

/// A loopback redirect on a port no other test uses.
pub fn loopback_redirect() -> String {
    format!("http://127.0.0.1:{}/callback", free_port())
}

/// An HTTP client that follows no redirect, as the tests read `Location`
/// themselves, and gives up on an answer after 10 s. One per process:
/// building one costs tens of milliseconds in a debug build.
pub fn browser() -> &'static reqwest::Client {
    static BROWSER: OnceLock<reqwest::Client> = OnceLock::new();
    BROWSER.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client")
    })
}

/// What a person's browser does with a consent page: the fakes consent at
/// once and redirect. Returns where the redirect points (the callback URL);
/// panics when the page does not redirect.
pub async fn follow_consent(url: &str) -> String {
    let answer = browser().get(url).send().await.expect("the consent page is reachable");
    assert!(
        answer.status().is_redirection(),
        "the consent page answered {} instead of redirecting",
        answer.status()
    );
    answer
        .headers()
        .get("location")
        .expect("a redirect with a Location")
        .to_str()
        .expect("an ASCII Location")
        .to_owned()
}

/// What a browser does with Latch's sign-in page (the file an opener is
/// handed): the address its refresh and its link lead to. Panics when the
/// file is not such a page or the two disagree.
pub fn page_target(page: &std::path::Path) -> String {
    let html = std::fs::read_to_string(page).unwrap_or_else(|e| panic!("the sign-in page {page:?}: {e}"));
    page_target_in(&html)
}

/// The same, of the page's HTML.
pub fn page_target_in(html: &str) -> String {
    let between = |start: &str, end: char| {
        let from = html.find(start).unwrap_or_else(|| panic!("no `{start}` in {html}")) + start.len();
        let value = &html[from..from + html[from..].find(end).expect("a closed attribute")];
        value
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let refresh = between("http-equiv=refresh content=\"0;url=", '"');
    assert_eq!(
        refresh,
        between("<a href=\"", '"'),
        "the refresh and the link lead apart"
    );
    refresh
}

/// A demo account built from its draft through the core's rules (the
/// catalogue's defaults and checks, the secret routed to its place), under
/// `id`. Panics, naming the problems, when the draft does not pass them.
pub fn account(draft: AccountDraft, id: &str) -> (Account, AccountSecrets) {
    let problems = draft.problems();
    assert!(
        problems.is_empty(),
        "the demo draft for {id} has problems: {problems:?}"
    );
    let id = AccountId::parse(id).unwrap_or_else(|| panic!("`{id}` is not an account id"));
    draft.build(id, now()).expect("a demo draft builds")
}

/// Latch's "now", in seconds since the epoch (what the core stamps tokens with).
pub fn now() -> UnixTime {
    latch_core::time::now()
}
