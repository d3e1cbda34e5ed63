//! Forged and broken callbacks: each is rejected with a clear message,
//! nothing reaches the token endpoint or the store, and the real sign-in
//! still completes afterwards where that is safe (issue 5's list).

mod flows_support;

use flows_support::*;
use latch_core::flows::PendingFlows;
use latch_core::model::{Account, AccountId, AccountSecrets, Grant};
use latch_core::{Engine, ErrorKind};
use latch_sandbox::Sandbox;
use std::time::Duration;

struct Case {
    sb: Sandbox,
    engine: Engine,
    account: Account,
    secrets: AccountSecrets,
    flows: PendingFlows,
    /// The address the fake's consent page redirected to: the real callback.
    real: String,
}

async fn case() -> Case {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let (url, flow) = engine.start_authorization(&account, &secrets).unwrap();
    let real = browse(&url).await;
    let flows = PendingFlows::new();
    flows.insert(flow);
    Case {
        sb,
        engine,
        account,
        secrets,
        flows,
        real,
    }
}

impl Case {
    fn state(&self) -> String {
        url_param(&self.real, "state")
    }

    fn code(&self) -> String {
        url_param(&self.real, "code")
    }

    /// Runs a callback through the whole path: accept, then complete.
    async fn deliver(&self, callback: &str) -> Result<(), latch_core::Error> {
        let (flow, params) = self.flows.accept(callback)?;
        self.engine
            .complete(&self.account, &self.secrets, flow, params)
            .await
            .map(|_| ())
    }

    /// Rejected with `kind`, the message containing `words`; nothing sent.
    async fn rejects(&self, callback: &str, kind: ErrorKind, words: &str) {
        let e = self.deliver(callback).await.expect_err(callback);
        assert_eq!(e.kind(), kind, "{callback}: {e}");
        assert!(
            e.to_string().contains(words),
            "{callback}: `{e}` should mention `{words}`"
        );
        assert_eq!(
            self.sb.wazzup().count("wazzup.token"),
            0,
            "{callback} reached the token endpoint"
        );
    }

    /// The real callback still completes (the flow survived the forgery).
    async fn real_still_completes(&self) {
        self.deliver(&self.real.clone())
            .await
            .expect("the real callback completes");
        assert_eq!(self.sb.wazzup().count("wazzup.token"), 1);
    }
}

fn url_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .into_owned()
}

const REJECTED: ErrorKind = ErrorKind::CallbackRejected;

#[tokio::test]
async fn forged_unknown_state_leaves_the_real_flow_usable() {
    let c = case().await;
    c.rejects(
        &format!("{REDIRECT}?code={}&state=not-ours", c.code()),
        REJECTED,
        "matches no sign-in",
    )
    .await;
    c.real_still_completes().await;
}

#[tokio::test]
async fn forged_state_in_another_case_is_another_state() {
    let c = case().await;
    let swapped: String = c
        .state()
        .chars()
        .map(|ch| {
            if ch.is_ascii_lowercase() {
                ch.to_ascii_uppercase()
            } else {
                ch.to_ascii_lowercase()
            }
        })
        .collect();
    assert_ne!(swapped, c.state());
    c.rejects(
        &format!("{REDIRECT}?code={}&state={swapped}", c.code()),
        REJECTED,
        "matches no sign-in",
    )
    .await;
    c.real_still_completes().await;
}

#[tokio::test]
async fn forged_replayed_callback_is_refused_the_second_time() {
    let c = case().await;
    c.real_still_completes().await;
    let e = c.deliver(&c.real.clone()).await.unwrap_err();
    assert_eq!(e.kind(), REJECTED);
    assert!(e.to_string().contains("already used"), "{e}");
    assert_eq!(
        c.sb.wazzup().count("wazzup.token"),
        1,
        "a replay never reaches the provider"
    );
}

#[tokio::test]
async fn forged_callback_after_the_deadline_is_refused() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let (url, mut flow) = engine.start_authorization(&account, &secrets).unwrap();
    flow.deadline = latch_core::time::now() - 1;
    let real = browse(&url).await;
    let flows = PendingFlows::new();
    flows.insert(flow);
    let e = flows.accept(&real).unwrap_err();
    assert_eq!(e.kind(), REJECTED);
    assert!(e.to_string().contains("10 minutes"), "{e}");
    assert_eq!(sb.wazzup().count("wazzup.token"), 0);
}

#[tokio::test]
async fn forged_state_of_another_account_is_refused() {
    let c = case().await;
    let (flow, params) = c.flows.accept(&c.real).unwrap();
    let mut other = c.account.clone();
    other.id = AccountId::parse("wazzup-other").unwrap();
    let e = c.engine.complete(&other, &c.secrets, flow, params).await.unwrap_err();
    assert_eq!(e.kind(), REJECTED);
    assert!(e.to_string().contains("another account"), "{e}");
    assert_eq!(c.sb.wazzup().count("wazzup.token"), 0);
}

#[tokio::test]
async fn forged_callbacks_with_missing_or_doubled_parameters_are_refused() {
    let c = case().await;
    let (code, state) = (c.code(), c.state());
    c.rejects(&format!("{REDIRECT}?code={code}"), REJECTED, "no state")
        .await;
    c.rejects(
        &format!("{REDIRECT}?code={code}&code=other&state={state}"),
        REJECTED,
        "`code` more than once",
    )
    .await;
    c.rejects(
        &format!("{REDIRECT}?code={code}&state={state}&state=other"),
        REJECTED,
        "`state` more than once",
    )
    .await;
    c.rejects(
        &format!("{REDIRECT}?auth_code={code}&code={code}&state={state}"),
        REJECTED,
        "more than once",
    )
    .await;
    // The flow survived every one of those; now a callback with the right state but no code uses it up.
    c.rejects(&format!("{REDIRECT}?state={state}"), REJECTED, "no authorization code")
        .await;
}

#[tokio::test]
async fn forged_redirect_to_another_path_or_host_is_refused() {
    let c = case().await;
    let (code, state) = (c.code(), c.state());
    c.rejects(
        &format!("app.latch.desktop:/elsewhere?code={code}&state={state}"),
        REJECTED,
        "another redirect address",
    )
    .await;
    let c = case().await;
    let (code, state) = (c.code(), c.state());
    c.rejects(
        &format!("https://evil.example/oauth/callback?code={code}&state={state}"),
        REJECTED,
        "another redirect address",
    )
    .await;
}

#[tokio::test]
async fn forged_oversized_or_undecodable_callbacks_are_refused_and_the_flow_survives() {
    let c = case().await;
    let (code, state) = (c.code(), c.state());
    let padding = "x".repeat(9 * 1024);
    c.rejects(
        &format!("{REDIRECT}?code={code}&state={state}&pad={padding}"),
        REJECTED,
        "more than the 8192",
    )
    .await;
    c.rejects(
        &format!("{REDIRECT}?code={code}&state={state}%FF%FE"),
        REJECTED,
        "not valid UTF-8",
    )
    .await;
    c.rejects(
        &format!("{REDIRECT}?code=%C3%28&state={state}"),
        REJECTED,
        "not valid UTF-8",
    )
    .await;
    c.rejects(
        "this is not a callback at all",
        ErrorKind::InvalidInput,
        "not a callback URL",
    )
    .await;
    c.real_still_completes().await;
}

#[tokio::test]
async fn denied_access_becomes_a_clear_message_and_stores_nothing() {
    let c = case().await;
    let state = c.state();
    let e = c
        .deliver(&format!(
            "{REDIRECT}?error=access_denied&error_description=The+user+refused&state={state}"
        ))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ProviderRefused, "{e}");
    assert_eq!(
        e.to_string(),
        "Wazzup refused the request (access_denied: the access request was refused); connect the account again \
         and approve the request."
    );
    assert_eq!(c.sb.wazzup().count("wazzup.token"), 0);
}

/// The flow table never keeps a flow it handed out, so a flow cannot be
/// completed twice even by two racing callbacks: two tasks on two threads
/// deliver the real callback at once (a barrier releases both), and exactly
/// one reaches the token endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_racing_real_callbacks_complete_once() {
    let c = std::sync::Arc::new(case().await);
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let (c, start) = (c.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                c.deliver(&c.real).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for racer in racers {
        results.push(racer.await.expect("a racer panicked"));
    }
    let (won, lost): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!((won.len(), lost.len()), (1, 1), "exactly one callback wins: {lost:?}");
    let e = lost.into_iter().next().unwrap().unwrap_err();
    assert_eq!(e.kind(), REJECTED, "{e}");
    assert_eq!(
        e.to_string(),
        "Latch rejected the sign-in callback (its state matches no sign-in in progress: it was already used, has \
         expired, or was not started by this Latch); start connecting the account again."
    );
    assert_eq!(c.sb.wazzup().count("wazzup.token"), 1, "one exchange of the code");
    assert!(c.flows.is_empty(), "the flow was used up");
}

/// The window's way in for a deep link, over a Latch whose keyring counts
/// its reads: the accounts, the sign-ins in memory, the fakes.
struct DeepLinks {
    sb: Sandbox,
    latch: latch_core::Latch,
    keyring: std::sync::Arc<CountingKeyring>,
    flows: PendingFlows,
    _home: tempfile::TempDir,
}

/// The in-memory keyring, counting the entries read.
#[derive(Default)]
struct CountingKeyring {
    inner: latch_core::store::MemoryStore,
    reads: std::sync::atomic::AtomicUsize,
}

impl CountingKeyring {
    fn reads(&self) -> usize {
        self.reads.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl latch_core::store::SecretStore for CountingKeyring {
    fn get(&self, id: &AccountId) -> Result<Option<AccountSecrets>, latch_core::store::SecretStoreError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.get(id)
    }
    fn put(&self, id: &AccountId, secrets: &AccountSecrets) -> Result<(), latch_core::store::SecretStoreError> {
        self.inner.put(id, secrets)
    }
    fn delete(&self, id: &AccountId) -> Result<(), latch_core::store::SecretStoreError> {
        self.inner.delete(id)
    }
}

/// `accounts` Wazzup accounts coming back by deep link: `wazzup-main` and
/// `wazzup-2`, `wazzup-3`, …
async fn deep_links(accounts: usize) -> DeepLinks {
    let sb = sandbox().await;
    let home = tempfile::tempdir().unwrap();
    let keyring = std::sync::Arc::new(CountingKeyring::default());
    let config = latch_core::EngineConfig {
        http: latch_core::http::HttpConfig {
            connect_timeout: std::time::Duration::from_secs(5),
            timeout: std::time::Duration::from_secs(10),
            ..Default::default()
        },
        ..Default::default()
    };
    let latch = latch_core::Latch::with_secrets(Some(home.path().to_owned()), keyring.clone(), config).unwrap();
    for n in 1..=accounts {
        let (mut account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
        if n > 1 {
            account.id = AccountId::parse(&format!("wazzup-{n}")).unwrap();
        }
        latch.add(account, secrets).unwrap();
    }
    DeepLinks {
        sb,
        latch,
        keyring,
        flows: PendingFlows::new(),
        _home: home,
    }
}

impl DeepLinks {
    /// Starts `wazzup-main`'s sign-in as the window does (kept in the
    /// keyring too) in `flows`, and returns the callback the browser lands on.
    async fn start(&self, flows: &PendingFlows) -> String {
        let account = self.latch.find("wazzup-main").unwrap();
        let url = self.latch.start_kept_sign_in(&account, flows).unwrap();
        browse(&url).await
    }

    /// Delivers one link as the window does with each deep link.
    async fn deliver(&self, url: &str) -> Result<(), latch_core::signin::Refused> {
        self.latch.complete_deep_link(&self.flows, url).await.map(|_| ())
    }

    /// Two deliveries of `url` released together (a barrier), on two threads.
    async fn deliver_twice_at_once(
        self: &std::sync::Arc<Self>,
        url: &str,
    ) -> Vec<Result<(), latch_core::signin::Refused>> {
        let start = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (d, start, url) = (self.clone(), start.clone(), url.to_owned());
                tokio::spawn(async move {
                    start.wait().await;
                    d.deliver(&url).await
                })
            })
            .collect();
        let mut results = Vec::new();
        for racer in racers {
            results.push(racer.await.expect("a racer panicked"));
        }
        results
    }
}

/// Issue 15 item 6: a deep link delivered twice while the first delivery's
/// code exchange runs. The second must not find the flow again (in memory
/// or in the keyring): the code is redeemed once, and the second delivery
/// hears that no sign-in waits for it.
fn assert_one_redemption(d: &DeepLinks, results: Vec<Result<(), latch_core::signin::Refused>>) {
    let (won, lost): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(
        d.sb.wazzup().count("wazzup.token"),
        1,
        "the single-use code was sent to the token endpoint once"
    );
    assert_eq!(
        (won.len(), lost.len()),
        (1, 1),
        "exactly one delivery completes: {lost:?}"
    );
    let refused = lost.into_iter().next().unwrap().unwrap_err();
    assert_eq!(refused.error.kind(), REJECTED, "{}", refused.error);
    assert!(
        refused
            .error
            .to_string()
            .contains("matches no sign-in in progress: it was already used"),
        "{}",
        refused.error
    );
    assert!(refused.account.is_none(), "the second delivery names no sign-in");
    let account = d.latch.find("wazzup-main").unwrap();
    assert_eq!(account.status, latch_core::AccountStatus::Connected);
    assert!(
        d.latch.secrets(&account).unwrap().pending.is_none(),
        "no kept flow is left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_double_delivery_to_the_running_window_redeems_the_code_once() {
    let d = std::sync::Arc::new(deep_links(1).await);
    let real = d.start(&d.flows).await;
    let results = d.deliver_twice_at_once(&real).await;
    assert_one_redemption(&d, results);
}

/// The same when the link starts Latch: the flow is only in the keyring.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_double_delivery_to_a_starting_latch_redeems_the_code_once() {
    let d = std::sync::Arc::new(deep_links(1).await);
    let real = d.start(&PendingFlows::new()).await;
    assert!(d.flows.is_empty(), "this run of the window has no flow in memory");
    let results = d.deliver_twice_at_once(&real).await;
    assert_one_redemption(&d, results);
}

/// Issue 15 item 10: forged deep links name no sign-in. Each is refused
/// without an account (so no connect dialog shows it), and the flows kept in
/// the keyring are read once in a run, not every account's entry per link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_deep_links_read_the_keyring_once_and_name_no_account() {
    const ACCOUNTS: usize = 5;
    let d = deep_links(ACCOUNTS).await;
    let real = d.start(&d.flows).await;
    let before = d.keyring.reads();
    for n in 0..3 {
        let refused = d
            .deliver(&format!("{REDIRECT}?code=forged&state=forged-{n}"))
            .await
            .unwrap_err();
        assert_eq!(refused.error.kind(), REJECTED, "{}", refused.error);
        assert!(refused.account.is_none(), "a forged link names no account");
    }
    let reads = d.keyring.reads() - before;
    assert!(
        reads <= ACCOUNTS,
        "3 forged links read {reads} keyring entries; the {ACCOUNTS} accounts' kept flows are read at most once"
    );
    assert_eq!(d.sb.wazzup().count("wazzup.token"), 0);
    d.deliver(&real).await.expect("the real link still completes");
    assert_eq!(d.sb.wazzup().count("wazzup.token"), 1);
}

/// An account from a demo draft with the redirect URI left as the connect
/// form gives it (one address per account: `…/callback/<id>`).
fn with_default_redirect(mut draft: latch_core::providers::AccountDraft, id: &str) -> (Account, AccountSecrets) {
    draft.values.remove("redirect_uri");
    latch_sandbox::harness::account(draft, id)
}

/// `url` with some query parameters set to other values.
fn with_params(url: &url::Url, changed: &[(&str, &str)]) -> url::Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = changed
                .iter()
                .find(|(name, _)| *name == k)
                .map_or(v.into_owned(), |(_, new)| (*new).to_owned());
            (k.into_owned(), v)
        })
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out
}

/// Issue 15 item 5: a mix-up (RFC 9700 §4.4). A hostile server, asked to
/// sign in to its own account, sends the browser on to an honest server
/// (the OAuth 2.0 fake) with its flow's state and PKCE challenge, hoping
/// the honest server's code comes back under that state and goes, with the
/// verifier, to the hostile server's token endpoint. Both accounts keep the
/// redirect the connect form gives them (one address per account), each
/// registered as such: the honest server sends the browser to its own
/// account's address, and the gate refuses the code there, leaving the
/// hostile account's flow where it was.
#[tokio::test]
async fn forged_mix_up_arrives_at_the_other_accounts_address_and_is_refused() {
    let sb = latch_sandbox::harness::sandbox_with_redirects(&[
        REDIRECT,
        "app.latch.desktop:/oauth/callback/hostile",
        "app.latch.desktop:/oauth/callback/honest",
    ])
    .await;
    let engine = engine();
    let urls = sb.base_urls();
    let (hostile, hostile_secrets) = with_default_redirect(
        latch_sandbox::demo::wazzup(&urls, &demo(), REDIRECT, Grant::AuthorizationCode),
        "hostile",
    );
    let (honest, honest_secrets) = with_default_redirect(
        latch_sandbox::demo::oauth2(&urls, &demo(), REDIRECT, "basic", true, Grant::AuthorizationCode),
        "honest",
    );
    let (hostile_page, flow) = engine.start_authorization(&hostile, &hostile_secrets).unwrap();
    let flows = PendingFlows::new();
    flows.insert(flow);

    // What the hostile server does with the browser: the honest server's
    // consent page, under the hostile flow's state and challenge.
    let (honest_page, _) = engine.start_authorization(&honest, &honest_secrets).unwrap();
    let param = |url: &url::Url, name: &str| url.query_pairs().find(|(k, _)| k == name).unwrap().1.into_owned();
    let bounced = with_params(
        &honest_page,
        &[
            ("state", &param(&hostile_page, "state")),
            ("code_challenge", &param(&hostile_page, "code_challenge")),
        ],
    );
    let callback = browse(&bounced).await;

    let e = match flows.accept(&callback) {
        Ok((flow, params)) => engine
            .complete(&hostile, &hostile_secrets, flow, params)
            .await
            .map(|_| ())
            .unwrap_err(),
        Err(e) => e,
    };
    assert_eq!(
        sb.wazzup().count("wazzup.token"),
        0,
        "the honest server's code went to the hostile server's token endpoint"
    );
    assert_eq!(sb.oauth2().count("oauth2.token"), 0);
    assert_eq!(e.kind(), REJECTED, "{e}");
    assert_eq!(
        e.to_string(),
        "Latch rejected the sign-in callback (it arrived at another account's redirect address, but its state \
         belongs to the sign-in of `hostile`: another server may have sent your browser on to the wrong one); start \
         connecting the account again."
    );
    assert_eq!(flows.len(), 1, "the refused callback cancelled nothing");
}

/// The same gate for any address of another account, forged by hand: the
/// real sign-in still completes afterwards.
#[tokio::test]
async fn forged_callback_on_another_accounts_path_is_refused_and_the_flow_survives() {
    let sb = latch_sandbox::harness::sandbox_with_redirects(&["app.latch.desktop:/oauth/callback/wazzup-main"]).await;
    let engine = engine();
    let (account, secrets) = with_default_redirect(
        latch_sandbox::demo::wazzup(&sb.base_urls(), &demo(), REDIRECT, Grant::AuthorizationCode),
        "wazzup-main",
    );
    let (url, flow) = engine.start_authorization(&account, &secrets).unwrap();
    let real = browse(&url).await;
    assert!(
        real.starts_with("app.latch.desktop:/oauth/callback/wazzup-main?"),
        "{real}"
    );
    let flows = PendingFlows::new();
    flows.insert(flow);
    for elsewhere in [
        "app.latch.desktop:/oauth/callback/payu-uat",
        "http://127.0.0.1:8976/callback/payu-uat",
    ] {
        let forged = real.replace("app.latch.desktop:/oauth/callback/wazzup-main", elsewhere);
        let rejected = flows.accept_naming(&forged).unwrap_err();
        assert_eq!(
            rejected.account.as_ref().map(AccountId::as_str),
            Some("wazzup-main"),
            "the refusal is news for the sign-in its state names"
        );
        assert!(
            rejected
                .error
                .to_string()
                .contains("another account's redirect address, but its state belongs to the sign-in of `wazzup-main`"),
            "{}",
            rejected.error
        );
        assert_eq!(flows.len(), 1, "{elsewhere}: the flow stays");
    }
    let (flow, params) = flows.accept(&real).unwrap();
    engine.complete(&account, &secrets, flow, params).await.unwrap();
    assert_eq!(sb.wazzup().count("wazzup.token"), 1);
}

/// An Other OAuth 2.0 account whose server (the fake) names itself in `iss`
/// when `sends_iss`, and the account's `issuer` / `require_iss` settings.
async fn issuer_case(
    sends_iss: bool,
    issuer: Option<&str>,
    require_iss: bool,
) -> (Sandbox, Engine, Account, AccountSecrets, PendingFlows, String) {
    let sb = sandbox().await;
    let base = sb.oauth2().base_url();
    if sends_iss {
        sb.oauth2().settings().issuer = Some(base.clone());
    }
    let mut draft = latch_sandbox::demo::oauth2(
        &sb.base_urls(),
        &demo(),
        REDIRECT,
        "basic",
        true,
        Grant::AuthorizationCode,
    );
    if let Some(issuer) = issuer {
        draft.set("issuer", issuer.replace("{base}", &base));
    }
    draft.set("require_iss", require_iss.to_string());
    let (account, secrets) = latch_sandbox::harness::account(draft, "oauth2-main");
    let engine = engine();
    let (url, flow) = engine.start_authorization(&account, &secrets).unwrap();
    let real = browse(&url).await;
    let flows = PendingFlows::new();
    flows.insert(flow);
    (sb, engine, account, secrets, flows, real)
}

/// RFC 9207: an answer naming another server than the account's issuer is
/// refused, naming both, and nothing is sent; the real answer (naming the
/// right one) still completes.
#[tokio::test]
async fn forged_iss_of_another_server_is_refused_naming_both() {
    let (sb, engine, account, secrets, flows, real) = issuer_case(true, Some("{base}"), false).await;
    let base = sb.oauth2().base_url();
    assert!(
        real.contains(&format!(
            "iss={}",
            url::form_urlencoded::byte_serialize(base.as_bytes()).collect::<String>()
        )),
        "{real}"
    );
    let forged = real.replace(
        &url::form_urlencoded::byte_serialize(base.as_bytes()).collect::<String>(),
        "https%3A%2F%2Fhonest.example",
    );
    let rejected = flows.accept_naming(&forged).unwrap_err();
    assert_eq!(rejected.error.kind(), REJECTED);
    assert_eq!(
        rejected.error.to_string(),
        format!(
            "Latch rejected the sign-in callback (it was answered by the server `https://honest.example`, not by \
             this account's issuer `{base}`: another server may have sent your browser on to the wrong one); start \
             connecting the account again."
        )
    );
    assert_eq!(rejected.account.as_ref().map(AccountId::as_str), Some("oauth2-main"));
    let doubled = format!("{real}&iss=https%3A%2F%2Fhonest.example");
    let e = flows.accept(&doubled).unwrap_err();
    assert!(e.to_string().contains("`iss` more than once"), "{e}");
    assert_eq!(sb.oauth2().count("oauth2.token"), 0);
    let (flow, params) = flows.accept(&real).unwrap();
    engine
        .complete(&account, &secrets, flow, params)
        .await
        .expect("the real answer completes");
    assert_eq!(sb.oauth2().count("oauth2.token"), 1);
}

/// An `iss` the account cannot check (no issuer recorded) is refused with
/// what to do, rather than let through unchecked.
#[tokio::test]
async fn forged_or_not_an_iss_the_account_records_no_issuer_for_is_refused() {
    let (sb, _engine, _account, _secrets, flows, real) = issuer_case(true, None, false).await;
    let e = flows.accept(&real).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "Latch rejected the sign-in callback (it was answered by the server `{base}`, and this account records \
             no issuer to check that against; if `{base}` is this account's server, enter it as the account's \
             issuer); start connecting the account again.",
            base = sb.oauth2().base_url()
        )
    );
    assert_eq!(sb.oauth2().count("oauth2.token"), 0);
}

/// A server that always names itself (`require_iss`): an answer without
/// `iss` is refused. Without `require_iss` the same answer completes (a
/// server that does not know RFC 9207).
#[tokio::test]
async fn forged_answer_without_iss_is_refused_where_the_server_always_sends_it() {
    let (sb, _engine, _account, _secrets, flows, real) = issuer_case(false, Some("{base}"), true).await;
    let e = flows.accept(&real).unwrap_err();
    assert!(
        e.to_string()
            .contains("it does not say which server answered (no `iss`), and this account's server always says so"),
        "{e}"
    );
    assert_eq!(sb.oauth2().count("oauth2.token"), 0);

    let (sb, engine, account, secrets, flows, real) = issuer_case(false, Some("{base}"), false).await;
    let (flow, params) = flows.accept(&real).unwrap();
    engine.complete(&account, &secrets, flow, params).await.unwrap();
    assert_eq!(sb.oauth2().count("oauth2.token"), 1);
}

// The loopback way back, as both front ends run it: a Latch, the listener
// through the one gate, and the sign-in page the browser is opened on.

/// A loopback sign-in started through [`Latch`], its listener not yet
/// serving, and the address the fake's consent redirected to.
struct LoopbackCase {
    sb: Sandbox,
    latch: latch_core::Latch,
    _home: tempfile::TempDir,
    account: Account,
    flows: PendingFlows,
    sign_in: latch_core::signin::LoopbackSignIn,
    port: u16,
    /// The real callback's request target (`/callback?code=…&state=…`).
    real: String,
}

async fn loopback_case() -> LoopbackCase {
    let redirect = latch_sandbox::harness::loopback_redirect();
    let sb = latch_sandbox::harness::sandbox_with_redirects(&[&redirect]).await;
    let home = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(latch_core::store::MemoryStore::new());
    let latch = latch_core::Latch::with_secrets(Some(home.path().to_owned()), store, Default::default()).unwrap();
    let draft = latch_sandbox::demo::wazzup(&sb.base_urls(), &demo(), &redirect, Grant::AuthorizationCode);
    let (account, secrets) = latch_sandbox::harness::account(draft, "wazzup-loopback");
    let account = latch.add(account, secrets).unwrap();
    let latch_core::signin::Return::Loopback(way_back) = latch_core::signin::Return::of(&account).unwrap() else {
        panic!("{redirect} is a loopback redirect");
    };
    let flows = PendingFlows::new();
    let sign_in = latch.start_loopback_sign_in(&account, &way_back, &flows).await.unwrap();
    let back = browse(&sign_in.url).await;
    let back = url::Url::parse(&back).unwrap();
    LoopbackCase {
        port: back.port().unwrap(),
        real: format!("{}?{}", back.path(), back.query().unwrap()),
        sb,
        latch,
        _home: home,
        account,
        flows,
        sign_in,
    }
}

/// One raw request to the listener, as anything on this machine may send
/// it; the whole answer (or why there is none: a listener that took an
/// earlier request as the callback has closed).
fn send(port: u16, head: String) -> String {
    use std::io::{Read, Write};
    let mut stream = match std::net::TcpStream::connect(("127.0.0.1", port)) {
        Ok(stream) => stream,
        Err(e) => return format!("(no listener: {e})"),
    };
    let mut answer = String::new();
    if let Err(e) = stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.read_to_string(&mut answer))
    {
        answer.push_str(&format!("(cut off: {e})"));
    }
    answer
}

/// What a browser sends for the real callback.
fn navigation(port: u16, target: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nSec-Fetch-Mode: navigate\r\n\r\n")
}

impl LoopbackCase {
    /// Serves the listener while `browser` (blocking socket work) runs;
    /// then completes the accepted flow. Returns what `browser` returned.
    async fn serve_while<R: Send + 'static>(
        self,
        browser: impl FnOnce(u16, String) -> R + Send + 'static,
    ) -> (R, Connected) {
        let (port, real) = (self.port, self.real.clone());
        let LoopbackCase {
            sb,
            latch,
            _home,
            account,
            flows,
            sign_in,
            ..
        } = self;
        let browsing = tokio::task::spawn_blocking(move || browser(port, real));
        let served = sign_in
            .callback(&flows, Duration::from_secs(60), std::future::pending())
            .await;
        let seen = browsing.await.expect("the browser's part panicked");
        let (flow, params) = served.expect("the real callback is accepted");
        latch
            .complete_authorization(&account, flow, params)
            .await
            .expect("the sign-in completes");
        (
            seen,
            Connected {
                sb,
                latch,
                _home,
                account,
            },
        )
    }
}

/// What is left after a loopback sign-in: the fake and the store, to look at.
struct Connected {
    sb: Sandbox,
    latch: latch_core::Latch,
    _home: tempfile::TempDir,
    account: Account,
}

impl Connected {
    fn connected_once(&self) {
        assert_eq!(
            self.sb.wazzup().count("wazzup.token"),
            1,
            "one exchange of the real code"
        );
        let secrets = self.latch.secrets(&self.account).unwrap();
        assert!(secrets.tokens.is_some(), "the account is connected");
    }
}

/// Issue 15, item 4 (another local user answers a loopback sign-in): the
/// browser is opened on a private page, not with the address in an
/// opener's command line, so what another user can read of the sign-in
/// (the opener's argv: the page's path) tells them neither the `state` nor
/// the PKCE challenge; the page is this user's alone, leads to the
/// address, and is gone when the sign-in ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_callback_of_another_user_learns_nothing_from_the_openers_argv() {
    use std::os::unix::fs::PermissionsExt;
    let c = loopback_case().await;
    let page = c.latch.sign_in_page(&c.sign_in.url).unwrap();
    let argv = page.path().to_string_lossy().into_owned();
    let url = c.sign_in.url.clone();
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).unwrap().1.into_owned();
    for secret in [param("state"), param("code_challenge"), c.port.to_string()] {
        assert!(!argv.contains(&secret), "the opener's argv {argv:?} holds {secret:?}");
    }
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(page.path()), 0o600, "only this user reads the page");
    assert_eq!(
        mode(page.path().parent().unwrap()),
        0o700,
        "only this user lists its directory"
    );
    assert_eq!(latch_sandbox::harness::page_target(page.path()), url.as_str());
    // Another user guessing from what argv shows is refused; the real callback completes.
    let name = page.path().file_stem().unwrap().to_string_lossy().into_owned();
    let ((forged, real), done) = c
        .serve_while(move |port, real| {
            let forged = send(port, navigation(port, &format!("/callback?code=theirs&state={name}")));
            let ok = send(port, navigation(port, &real));
            (forged, ok)
        })
        .await;
    assert!(forged.starts_with("HTTP/1.1 400 "), "{forged}");
    assert!(real.starts_with("HTTP/1.1 200 OK\r\n"), "{real}");
    done.connected_once();
    let path = page.path().to_owned();
    drop(page);
    assert!(!path.exists(), "no page with a state in it is left behind");
}

/// Issue 15, item 7: sockets that connect and say nothing do not hold back
/// the browser's callback. By order, not by a clock: the callback is
/// answered and the sign-in completes while every idle socket is still
/// unanswered (each reads only the listener's close). Served one at a time,
/// each idle socket would get its refusal first. (The one assumption: the
/// few milliseconds between the idle sockets' connect and the callback stay
/// under the listener's 2 s head timeout.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_idle_sockets_do_not_hold_back_the_real_callback() {
    let c = loopback_case().await;
    let ((idle, answer), done) = c
        .serve_while(|port, real| {
            let idle: Vec<_> = (0..4)
                .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
                .collect();
            (idle, send(port, navigation(port, &real)))
        })
        .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    done.connected_once();
    for (n, mut socket) in idle.into_iter().enumerate() {
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut socket, &mut got).unwrap();
        assert_eq!(String::from_utf8_lossy(&got), "", "idle socket {n} was answered first");
    }
}

/// Issue 15, item 12: a DNS-rebinding page (its own name in `Host`) and a
/// web page's `fetch` (`Sec-Fetch-Mode: cors`) are refused before the gate,
/// even carrying the real callback, with the one generic page; the
/// browser's own navigation then completes the sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_rebinding_host_and_cross_site_fetch_are_refused_and_the_sign_in_completes() {
    let c = loopback_case().await;
    let ((rebound, fetched, real), done) = c
        .serve_while(|port, real| {
            let rebound = send(
                port,
                format!("GET {real} HTTP/1.1\r\nHost: evil.example:{port}\r\nSec-Fetch-Mode: navigate\r\n\r\n"),
            );
            let fetched = send(
                port,
                format!("GET {real} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nSec-Fetch-Mode: cors\r\n\r\n"),
            );
            (rebound, fetched, send(port, navigation(port, &real)))
        })
        .await;
    assert!(rebound.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{rebound}");
    assert_eq!(fetched, rebound, "one page for every refusal");
    assert!(
        rebound.contains("Latch did not accept this request.") && !rebound.contains("state"),
        "{rebound}"
    );
    assert!(real.starts_with("HTTP/1.1 200 OK\r\n"), "{real}");
    done.connected_once();
}
