//! `latch connect`: run the account's flow and store its tokens.
//!
//! Authorization code: through a loopback listener when the redirect_uri is
//! `http://127.0.0.1…` (the browser comes back to us), otherwise by reading
//! the address the browser landed on — or just the code — from stdin. Both go
//! through the same validation as the window's deep link. Password grant:
//! the password is read from the terminal (or stdin) and used once.

use crate::cli::ConnectArgs;
use crate::exit::{CALLBACK, Failure};
use crate::output::{expires_in, print_json};
use latch_core::accounts::Latch;
use latch_core::flows::{CallbackParams, PendingFlow, PendingFlows};
use latch_core::model::{Account, Grant, TokenSet};
use latch_core::redirect::loopback::{LoopbackError, LoopbackListener, LoopbackRedirect, Verdict};
use latch_core::secret::{AuthorizationCode, Password};
use std::io::IsTerminal;
use std::time::Duration;

pub async fn run(latch: &Latch, args: ConnectArgs, json: bool) -> Result<(), Failure> {
    let account = latch.find(&args.account)?;
    let tokens = match account.settings.grant() {
        Some(Grant::AuthorizationCode) => authorization_code(latch, &account, &args).await?,
        Some(Grant::Password) => {
            let password = read_password(&account)?;
            latch
                .connect_with_password(&account, args.username.as_deref().unwrap_or(""), password)
                .await?
        }
        Some(Grant::ClientCredentials) => latch.connect_with_client_credentials(&account).await?,
        None => {
            return Err(Failure::usage(format!(
                "{} is a GREEN-API account: link its WhatsApp number with `latch link {} --phone <number>`",
                account.id, account.id
            )));
        }
    };
    report(&account, &tokens, json);
    Ok(())
}

async fn authorization_code(latch: &Latch, account: &Account, args: &ConnectArgs) -> Result<TokenSet, Failure> {
    let timeout = Duration::from_secs(args.timeout);
    // The one gate of every redirect, shared with the window.
    let flows = PendingFlows::new();
    let loopback = account
        .settings
        .redirect_uri()
        .map(LoopbackRedirect::parse)
        .transpose()
        .map_err(Failure::usage)?
        .flatten();
    match loopback {
        Some(redirect) => {
            let listener = LoopbackListener::bind(&redirect).await.map_err(|e| Failure {
                status: crate::exit::USAGE,
                message: format!(
                    "cannot listen on 127.0.0.1:{} for the redirect: {e}",
                    redirect.port.unwrap_or(0)
                ),
            })?;
            let (url, pending) = latch.start_authorization(account, Some(&listener.redirect_uri()))?;
            flows.insert(pending);
            show_url(url.as_str(), args.no_browser, "Waiting for the browser to come back…");
            let judge = |callback: &str| match flows.accept(callback) {
                Ok(accepted) => Verdict::<_, std::convert::Infallible>::Accept(accepted),
                Err(e) => Verdict::Reject(e.to_string()),
            };
            let (flow, callback) = listener.serve(timeout, ctrl_c(), judge).await.map_err(|e| match e {
                LoopbackError::Failed(never) => match never {},
                other => Failure {
                    status: CALLBACK,
                    message: other.to_string(),
                },
            })?;
            Ok(latch.complete_authorization(account, flow, callback).await?)
        }
        None => {
            let (url, pending) = latch.start_authorization(account, None)?;
            flows.insert(pending);
            show_url(
                url.as_str(),
                args.no_browser,
                "After signing in, paste the address your browser landed on (or just the code) and press Enter:",
            );
            let line = super::read_line()?;
            let (flow, callback) = pasted(&flows, account, &line)?;
            Ok(latch.complete_authorization(account, flow, callback).await?)
        }
    }
}

/// A pasted redirect URL (through the one gate), or a bare code. A bare code
/// carries no `state`; the person copied it from the sign-in they started,
/// which is what the state would prove, so it is taken as this flow's.
fn pasted(flows: &PendingFlows, account: &Account, line: &str) -> Result<(PendingFlow, CallbackParams), Failure> {
    let line = line.trim();
    let rejected = |message: &str| Failure {
        status: CALLBACK,
        message: message.into(),
    };
    if line.is_empty() {
        return Err(rejected("nothing was pasted; run `latch connect` again"));
    }
    let looks_like_url = line.contains("://") || line.contains(":/") || line.contains('?') || line.contains('=');
    if looks_like_url {
        return Ok(flows.accept(line)?);
    }
    if !line.chars().all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c)) {
        return Err(rejected("that is neither a redirect address nor a code"));
    }
    let flow = flows
        .take_for_account(&account.id)
        .ok_or_else(|| rejected("no sign-in is waiting"))?;
    let params = CallbackParams {
        code: Some(AuthorizationCode::new(line)),
        state: Some(flow.state.clone()),
        ..Default::default()
    };
    Ok((flow, params))
}

fn show_url(url: &str, no_browser: bool, then: &str) {
    if no_browser || open_browser(url).is_err() {
        eprintln!("Open this address in a browser to sign in:");
        println!("{url}");
    } else {
        eprintln!("Opened the sign-in page in your browser. If it did not open, visit:\n{url}");
    }
    eprintln!("{then}");
}

fn open_browser(url: &str) -> std::io::Result<()> {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let status = std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other("no browser"))
    }
}

fn read_password(account: &Account) -> Result<Password, Failure> {
    let prompt = format!("{} password (used once, not stored): ", Latch::provider_name(account));
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)?
    } else {
        super::read_line()?
    };
    Ok(Password::new(password))
}

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

fn report(account: &Account, tokens: &TokenSet, json: bool) {
    if json {
        print_json(&serde_json::json!({
            "account": account.id,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope,
        }));
    } else {
        eprintln!(
            "Connected {} ({}): the token expires in {}.",
            account.id,
            Latch::provider_name(account),
            expires_in(tokens.expires_at, latch_core::time::now())
        );
    }
}
