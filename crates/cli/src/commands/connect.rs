//! `latch connect`: run the account's flow and store its tokens.
//!
//! Authorization code: through a loopback listener when the redirect_uri is
//! `http://127.0.0.1…` (the browser comes back to us), otherwise by reading
//! the address the browser landed on — or just the code — from stdin. Both go
//! through the same validation as the window's deep link. Password grant:
//! the password is read from the terminal (or stdin) and used once. Device
//! code (RFC 8628): the user code and the address are shown (as `gh auth
//! login` does), the complete address opened, and the core polls until the
//! person approves; the device code itself is never shown.
//!
//! The browser is opened on the core's private sign-in page, which leads to
//! the provider: the address, with its `state` and PKCE challenge, is never
//! in the opener's command line, where other local users could read it. The
//! page is kept until the sign-in ends and deleted then.

use crate::cli::ConnectArgs;
use crate::env::Env;
use crate::exit::Failure;
use crate::output::expires_in;
use latch_core::Latch;
use latch_core::flows::PendingFlows;
use latch_core::model::{Account, Grant, TokenSet};
use latch_core::redirect::page::SignInPage;
use latch_core::secret::Password;
use latch_core::signin::{Return, accept_pasted, without_pkce};
use std::io::Write;
use std::time::Duration;
use url::Url;

pub async fn run(env: &mut Env<'_>, args: ConnectArgs) -> Result<(), Failure> {
    let latch = env.latch;
    let account = latch.find(&args.account)?;
    // Connecting again is how a person confirms a server changed on purpose.
    if let Some(change) = latch.server_change(&account)? {
        if !env.confirm(&change.question(&account), args.yes)? {
            return Err(change.error().into());
        }
        latch.confirm_servers(&account)?;
    }
    let tokens = match account.settings.grant() {
        Some(Grant::AuthorizationCode) => authorization_code(env, &account, &args).await?,
        Some(Grant::Password) => {
            let password = read_password(env, &account)?;
            latch
                .connect_with_password(&account, args.username.as_deref().unwrap_or(""), password)
                .await?
        }
        Some(Grant::ClientCredentials) => latch.connect_with_client_credentials(&account).await?,
        Some(Grant::DeviceCode) => device_code(env, &account, &args).await?,
        None => {
            return Err(Failure::usage(format!(
                "{} is a {} account: link its WhatsApp number with `latch link {} --phone <number>`",
                account.id,
                account.provider().display_name(),
                account.id
            )));
        }
    };
    report(env, &account, &tokens)
}

async fn authorization_code(env: &mut Env<'_>, account: &Account, args: &ConnectArgs) -> Result<TokenSet, Failure> {
    let latch = env.latch;
    let timeout = Duration::from_secs(args.timeout);
    if let Some(warning) = without_pkce(account) {
        writeln!(env.stderr, "{warning}")?;
    }
    // The one gate of every redirect, shared with the window.
    let flows = PendingFlows::new();
    let (flow, callback) = match Return::of(account)? {
        Return::Loopback(redirect) => {
            let sign_in = latch.start_loopback_sign_in(account, &redirect, &flows).await?;
            let _page = show_url(env, &sign_in.url, args.no_browser, "")?;
            let waiting = sign_in.callback(&flows, timeout, ctrl_c());
            counting_down(env, "Waiting for the browser to come back", timeout, waiting).await??
        }
        Return::DeepLink | Return::Paste => {
            let (url, pending) = latch.start_authorization(account, None)?;
            flows.insert(pending);
            let _page = show_url(
                env,
                &url,
                args.no_browser,
                "After signing in, paste the address your browser landed on (or just the code) and press Enter:",
            )?;
            let line = env.read_line()?;
            accept_pasted(&flows, account, &line)?
        }
    };
    Ok(latch.complete_authorization(account, flow, callback).await?)
}

/// The device code sign-in: show the code and where to type it, open the
/// address that carries it, and wait (Ctrl-C cancels).
async fn device_code(env: &mut Env<'_>, account: &Account, args: &ConnectArgs) -> Result<TokenSet, Failure> {
    let latch = env.latch;
    let device = latch.start_device_sign_in(account).await?;
    writeln!(
        env.stderr,
        "First copy your one-time code: {}\nThen open {} and type it in.",
        device.user_code, device.verification_uri
    )?;
    // Kept until the sign-in ends, like the other sign-ins' pages.
    let page = match device.verification_uri_complete.as_deref().map(Url::parse) {
        Some(Ok(url)) if !args.no_browser => open_page(env, &url)?,
        _ => None,
    };
    if page.is_some() {
        writeln!(env.stderr, "Opened the page in your browser, with the code filled in.")?;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(device.expires_in);
    let terminal = env.stderr_is_terminal;
    let stderr = &mut env.stderr;
    let waiting = latch.finish_device_sign_in(account, &device, |_| {
        let left = deadline.saturating_duration_since(std::time::Instant::now()).as_secs();
        let text = format!(
            "Waiting for approval; the code expires in {}:{:02}…",
            left / 60,
            left % 60
        );
        let _ = if terminal {
            write!(stderr, "\r{text}\x1b[K").and_then(|()| stderr.flush())
        } else {
            writeln!(stderr, "{text}")
        };
    });
    let outcome = tokio::select! {
        outcome = waiting => outcome,
        () = ctrl_c() => Err(latch_core::Error::CallbackRejected("the sign-in was cancelled".into())),
    };
    if terminal {
        write!(env.stderr, "\r\x1b[K")?;
    }
    drop(page);
    Ok(outcome?)
}

/// Opens the sign-in in the browser (or shows the address to open); the
/// page returned must be kept until the sign-in ends.
fn show_url(env: &mut Env, url: &Url, no_browser: bool, then: &str) -> Result<Option<SignInPage>, Failure> {
    let page = if no_browser { None } else { open_page(env, url)? };
    if page.is_none() {
        writeln!(env.stderr, "Open this address in a browser to sign in:")?;
        writeln!(env.stdout, "{url}")?;
    } else {
        writeln!(
            env.stderr,
            "Opened the sign-in page in your browser. If it did not open, visit:\n{url}"
        )?;
    }
    if !then.is_empty() {
        writeln!(env.stderr, "{then}")?;
    }
    Ok(page)
}

/// Awaits `work`, saying what it waits for: on a terminal a spinner and the
/// time left, redrawn in place (gh's manners); in a log one line.
async fn counting_down<T>(
    env: &mut Env<'_>,
    what: &str,
    timeout: Duration,
    work: impl std::future::Future<Output = T>,
) -> Result<T, Failure> {
    if !env.stderr_is_terminal {
        writeln!(env.stderr, "{what}…")?;
        return Ok(work.await);
    }
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let deadline = std::time::Instant::now() + timeout;
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    let mut frame = 0;
    tokio::pin!(work);
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            _ = tick.tick() => {
                let left = deadline.saturating_duration_since(std::time::Instant::now()).as_secs();
                write!(
                    env.stderr,
                    "\r{} {what}: {}:{:02} left (Ctrl-C cancels)\x1b[K",
                    FRAMES[frame % FRAMES.len()],
                    left / 60,
                    left % 60
                )?;
                env.stderr.flush()?;
                frame += 1;
            }
        }
    };
    write!(env.stderr, "\r\x1b[K")?;
    Ok(out)
}

/// Writes the private page that leads to `url` and hands its path to the
/// browser; `None` when either fails (the address is shown instead).
fn open_page(env: &mut Env, url: &Url) -> Result<Option<SignInPage>, Failure> {
    let page = match env.latch.sign_in_page(url) {
        Ok(page) => page,
        Err(e) => {
            writeln!(env.stderr, "{e}")?;
            return Ok(None);
        }
    };
    Ok((env.browser)(page.path()).is_ok().then_some(page))
}

fn read_password(env: &mut Env, account: &Account) -> Result<Password, Failure> {
    let prompt = format!("{} password (used once, not stored): ", Latch::provider_name(account));
    let password = if env.stdin_is_terminal {
        rpassword::prompt_password(prompt)?
    } else {
        env.read_line()?
    };
    Ok(Password::new(password))
}

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

fn report(env: &mut Env, account: &Account, tokens: &TokenSet) -> Result<(), Failure> {
    if env.json {
        env.print_json(&serde_json::json!({
            "account": account.id,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope,
        }))
    } else {
        writeln!(
            env.stderr,
            "Connected {} ({}): the token expires in {}.",
            account.id,
            Latch::provider_name(account),
            expires_in(tokens.expires_at, latch_core::time::now())
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::env::testing::{Home, env, parsed, with_stdin};
    use latch_core::model::Grant;
    use latch_sandbox::harness::{self, SCHEME_REDIRECT};
    use latch_sandbox::{DemoCredentials, demo};
    use std::io::Write;
    use std::sync::Mutex;
    use std::time::Duration;

    /// The paste path of an account that comes back by deep link: the
    /// "browser" follows the fake's consent page and pastes what it landed
    /// on (or only the code, or an address of another sign-in) into stdin,
    /// which is a real pipe the verb blocks on as it would on a terminal.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connect_takes_the_pasted_address_or_code_and_refuses_another_sign_ins() {
        type Paste = fn(&str) -> String;
        let rows: [(&str, Paste, Option<u8>); 3] = [
            ("the address", |landed| landed.to_owned(), None),
            (
                "the code alone",
                |landed| {
                    let url = url::Url::parse(landed).unwrap();
                    url.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned()
                },
                None,
            ),
            (
                "another sign-in's address",
                |landed| landed.replace("state=", "state=other"),
                Some(crate::exit::CALLBACK),
            ),
        ];
        let sandbox = harness::sandbox().await;
        for (what, paste, failure) in rows {
            let home = Home::new();
            let draft = demo::wazzup(
                &sandbox.base_urls(),
                &DemoCredentials::default(),
                SCHEME_REDIRECT,
                Grant::AuthorizationCode,
            );
            let (account, secrets) = harness::account(draft, "wazzup-main");
            home.latch.add(account, secrets).unwrap();
            let (reader, writer) = std::io::pipe().unwrap();
            let (mut env, out) = with_stdin(&home.latch, false, Box::new(std::io::BufReader::new(reader)), false);
            let opened = std::sync::Arc::new(Mutex::new(None::<(std::path::PathBuf, String)>));
            let writer = Mutex::new(Some(writer));
            let seen = opened.clone();
            env.browser = Box::new(move |page: &std::path::Path| {
                let url = harness::page_target(page);
                *seen.lock().unwrap() = Some((page.to_owned(), url.clone()));
                let mut writer = writer.lock().unwrap().take().expect("the browser opens once");
                tokio::spawn(async move {
                    let landed = harness::follow_consent(&url).await;
                    writeln!(writer, "{}", paste(&landed)).unwrap();
                });
                Ok(())
            });
            let result = run(&mut env, parsed!(Connect, &["connect", "wazzup-main"])).await;
            drop(env);
            let (page, url) = opened.lock().unwrap().clone().expect("the browser was opened");
            let state = url::Url::parse(&url)
                .unwrap()
                .query_pairs()
                .find(|(k, _)| k == "state")
                .unwrap()
                .1
                .into_owned();
            assert!(
                !page.to_string_lossy().contains(&state),
                "{what}: the browser was handed {page:?}"
            );
            assert!(!page.exists(), "{what}: the sign-in page outlived its sign-in");
            let stderr = out.stderr.text();
            let asked = format!(
                "Opened the sign-in page in your browser. If it did not open, visit:\n{url}\n\
                 After signing in, paste the address your browser landed on (or just the code) and press Enter:\n"
            );
            assert!(stderr.starts_with(&asked), "{what}: {stderr}");
            assert_eq!(out.stdout.text(), "", "{what}: the URL went to the browser");
            let account = home.latch.find("wazzup-main").unwrap();
            match failure {
                None => {
                    result.unwrap_or_else(|f| panic!("{what}: {}", f.message));
                    let said = &stderr[asked.len()..];
                    assert!(
                        said.starts_with("Connected wazzup-main (Wazzup): the token expires in "),
                        "{what}: {said}"
                    );
                    assert!(home.latch.secrets(&account).unwrap().tokens.is_some(), "{what}");
                }
                Some(status) => {
                    let failure = result.expect_err(what);
                    assert_eq!(failure.status, status, "{what}: {}", failure.message);
                    assert_eq!(&stderr[asked.len()..], "", "{what}");
                    assert!(home.latch.secrets(&account).unwrap().tokens.is_none(), "{what}");
                }
            }
        }
    }

    /// Issue 15 item 11: connecting an account with PKCE off says what that
    /// costs before the browser opens (here the paste is empty: the verb ends).
    /// Issue 19: `connect` waited without a word of how long it would wait.
    #[tokio::test]
    async fn a_terminal_sees_a_spinner_and_the_time_left_while_connect_waits() {
        let home = Home::new();
        let (mut terminal, out) = env(&home.latch, false, "", false);
        terminal.stderr_is_terminal = true;
        // Long enough for the spinner's second frame (one every 120 ms).
        let work = async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            42
        };
        let waited = super::counting_down(
            &mut terminal,
            "Waiting for the browser to come back",
            Duration::from_secs(600),
            work,
        );
        assert_eq!(waited.await.unwrap(), 42);
        let said = out.stderr.text();
        assert!(
            said.starts_with("\r⠋ Waiting for the browser to come back: 9:59 left (Ctrl-C cancels)\x1b[K\r⠙ "),
            "{said:?}"
        );
        assert!(said.ends_with("\r\x1b[K"), "the line is cleared at the end: {said:?}");

        let (mut log, out) = env(&home.latch, false, "", false);
        super::counting_down(
            &mut log,
            "Waiting for the browser to come back",
            Duration::from_secs(600),
            async {},
        )
        .await
        .unwrap();
        assert_eq!(out.stderr.text(), "Waiting for the browser to come back…\n");
    }

    #[tokio::test]
    async fn connect_with_pkce_off_says_what_that_costs() {
        let home = Home::new();
        let draft = demo::oauth2(
            &crate::env::testing::fixed_urls(),
            &DemoCredentials::default(),
            SCHEME_REDIRECT,
            "basic",
            false,
            Grant::AuthorizationCode,
        );
        crate::env::testing::add_demo(&home.latch, draft, "oauth2-main");
        let (mut env, out) = crate::env::testing::env(&home.latch, false, "\n", false);
        let result = run(&mut env, parsed!(Connect, &["connect", "oauth2-main", "--no-browser"])).await;
        drop(env);
        assert!(result.is_err(), "nothing was pasted");
        assert!(
            out.stderr.text().starts_with(
                "PKCE is off for oauth2-main: whoever sees the authorization code on its way back (another program on \
                 this computer, a browser extension, a log) can exchange it for the account's tokens. Turn PKCE off \
                 only for a server that refuses it.\n"
            ),
            "{}",
            out.stderr.text()
        );
    }
}
