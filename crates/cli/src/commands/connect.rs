//! `latch connect`: run the account's flow and store its tokens.
//!
//! Authorization code: through a loopback listener when the redirect_uri is
//! `http://127.0.0.1…` (the browser comes back to us), otherwise by reading
//! the address the browser landed on — or just the code — from stdin. Both go
//! through the same validation as the window's deep link. Password grant:
//! the password is read from the terminal (or stdin) and used once.

use crate::cli::ConnectArgs;
use crate::exit::Failure;
use crate::output::{expires_in, print_json};
use latch_core::Latch;
use latch_core::flows::PendingFlows;
use latch_core::model::{Account, Grant, TokenSet};
use latch_core::secret::Password;
use latch_core::signin::{Return, accept_pasted};
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
                "{} is a {} account: link its WhatsApp number with `latch link {} --phone <number>`",
                account.id,
                account.provider().display_name(),
                account.id
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
    let (flow, callback) = match Return::of(account)? {
        Return::Loopback(redirect) => {
            let sign_in = latch.start_loopback_sign_in(account, &redirect, &flows).await?;
            show_url(
                sign_in.url.as_str(),
                args.no_browser,
                "Waiting for the browser to come back…",
            );
            sign_in.callback(&flows, timeout, ctrl_c()).await?
        }
        Return::DeepLink | Return::Paste => {
            let (url, pending) = latch.start_authorization(account, None)?;
            flows.insert(pending);
            show_url(
                url.as_str(),
                args.no_browser,
                "After signing in, paste the address your browser landed on (or just the code) and press Enter:",
            );
            let line = super::read_line()?;
            accept_pasted(&flows, account, &line)?
        }
    };
    Ok(latch.complete_authorization(account, flow, callback).await?)
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
