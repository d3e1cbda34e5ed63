//! Commands that connect an account: create it, start its flow, take a
//! pasted callback, cancel. The browser is opened from Rust; tokens never
//! come back through here.

use super::account::{Target, changing};
use crate::callback::{self, SCHEME};
use crate::state::AppState;
use latch_core::Error;
use latch_core::flows::CallbackParams;
use latch_core::model::{Account, AccountSecrets, AccountStatus, Grant, PartnerLogin, ProviderSettings};
use latch_core::redirect::loopback::{LoopbackListener, LoopbackRedirect, Verdict};
use latch_core::secret::{ApiToken, AuthorizationCode, ClientSecret, Password};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tauri::{AppHandle, Manager, State};
use tauri_plugin_opener::OpenerExt;

/// How long a loopback listener waits for the browser.
const LOOPBACK_WAIT: Duration = Duration::from_secs(10 * 60);

/// A new account as the connect dialog fills it in. `secret` is the one
/// secret the provider needs (client secret, Wazzup partner password,
/// GREEN-API apiTokenInstance); it goes straight to the keyring.
#[derive(Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct NewAccount {
    label: String,
    settings: ProviderSettings,
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    secret: Option<String>,
    /// Wazzup: the partner's login e-mail.
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    email: Option<String>,
}

#[tauri::command]
pub fn add_account(state: State<'_, AppState>, app: AppHandle, draft: NewAccount) -> Result<Account, Error> {
    let latch = state.latch()?;
    let label = draft.label.trim();
    if label.is_empty() {
        return Err(refused("Give the account a name you will recognise."));
    }
    let secret = draft.secret.filter(|s| !s.is_empty());
    let mut secrets = AccountSecrets::default();
    match &draft.settings {
        ProviderSettings::Wazzup(_) => {
            let email = draft
                .email
                .filter(|e| e.contains('@'))
                .ok_or_else(|| refused("Wazzup needs the partner's login e-mail."))?;
            let password = secret.ok_or_else(|| refused("Wazzup needs the partner's password."))?;
            secrets.partner_login = Some(PartnerLogin {
                email,
                password: Password::new(password),
            });
        }
        ProviderSettings::GreenApi(_) => {
            secrets.api_token = Some(ApiToken::new(
                secret.ok_or_else(|| refused("GREEN-API needs the apiTokenInstance."))?,
            ));
        }
        _ => secrets.client_secret = secret.map(ClientSecret::new),
    }
    let account = Account {
        id: latch.free_id(label)?,
        label: label.to_owned(),
        settings: draft.settings,
        status: AccountStatus::NotConnected,
        token: None,
        created_at: latch_core::time::now(),
    };
    let account = latch.add(account, secrets)?;
    crate::callback::accounts_changed(&app);
    Ok(account)
}

/// A refusal written here, in the shell: the input cannot be used.
fn refused(sentence: &str) -> Error {
    Error::InvalidInput(sentence.to_owned())
}

/// What the dialog shows after Connect.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ConnectStarted {
    /// The browser is on the provider's page; the redirect comes back
    /// `via` a deep link, the loopback listener, or the paste field.
    Waiting { url: String, via: Via },
    /// Done already (client credentials).
    Connected { message: String },
    /// The password grant: ask for the password, then `connect_with_password`.
    NeedsPassword,
}

/// How the browser's redirect comes back to Latch.
#[derive(Clone, Copy, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The app's URL scheme, opened by the desktop.
    DeepLink,
    /// A listener on 127.0.0.1.
    Loopback,
    /// The person pastes the address the browser landed on.
    Paste,
}

#[tauri::command]
pub async fn connect_account(app: AppHandle, id: String) -> Result<ConnectStarted, Error> {
    let target = Target::find(&app, &id)?;
    match target.account.settings.grant() {
        Some(Grant::AuthorizationCode) => start_browser_flow(&target).await,
        Some(Grant::Password) => Ok(ConnectStarted::NeedsPassword),
        Some(Grant::ClientCredentials) => {
            let outcome = target.latch.connect_with_client_credentials(&target.account).await;
            target.announce(outcome).map(|_| ConnectStarted::Connected {
                message: format!("Connected {}.", target.account.label),
            })
        }
        None => Err(refused(
            "A GREEN-API account is linked with a code, not connected in a browser.",
        )),
    }
}

async fn start_browser_flow(target: &Target<'_>) -> Result<ConnectStarted, Error> {
    let Target {
        app,
        state,
        latch,
        account,
    } = target;
    cancel_listener(state, account);
    let redirect = account.settings.redirect_uri().unwrap_or_default();
    let loopback = LoopbackRedirect::parse(redirect).map_err(|reason| Error::InvalidInput(capitalized(&reason)))?;
    let (url, via) = match loopback {
        Some(loopback) => {
            let listener = LoopbackListener::bind(&loopback).await.map_err(|e| {
                Error::InvalidInput(format!(
                    "Latch cannot listen on 127.0.0.1 for the redirect ({e}); close what uses that port or register another redirect_uri."
                ))
            })?;
            let (url, flow) = latch.start_authorization(account, Some(&listener.redirect_uri()))?;
            state.flows.insert(flow);
            let (cancel, cancelled) = tokio::sync::oneshot::channel::<()>();
            state.listeners.lock().unwrap().insert(account.id.clone(), cancel);
            let app = (*app).clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                let judge = |callback: &str| match state.flows.accept(callback) {
                    Ok(accepted) => Verdict::<_, std::convert::Infallible>::Accept(accepted),
                    Err(e) => Verdict::Reject(e.to_string()),
                };
                let served = listener
                    .serve(
                        LOOPBACK_WAIT,
                        async {
                            let _ = cancelled.await;
                        },
                        judge,
                    )
                    .await;
                if let (Ok((flow, params)), Ok(latch)) = (served, state.latch()) {
                    let _ = callback::complete(&app, latch, flow, params).await;
                }
            });
            (url, Via::Loopback)
        }
        None => {
            let (url, flow) = latch.start_authorization(account, None)?;
            callback::remember(state, latch, account, flow)?;
            (
                url,
                if redirect.starts_with(&format!("{SCHEME}:")) {
                    Via::DeepLink
                } else {
                    Via::Paste
                },
            )
        }
    };
    // LATCH_NO_BROWSER: show the address only (tests, and machines without a browser).
    if std::env::var_os("LATCH_NO_BROWSER").is_none()
        && let Err(e) = app.opener().open_url(url.as_str(), None::<&str>)
    {
        eprintln!("latch-desktop: could not open the browser: {e}");
    }
    Ok(ConnectStarted::Waiting {
        url: url.to_string(),
        via,
    })
}

/// `the redirect_uri … uses localhost; …` as a sentence of its own.
fn capitalized(reason: &str) -> String {
    let mut chars = reason.chars();
    let first = chars.next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    format!("{first}{}.", chars.as_str().trim_end_matches('.'))
}

/// The address the browser landed on, or just the code, pasted by the person.
#[tauri::command]
pub async fn submit_callback(app: AppHandle, id: String, pasted: String) -> Result<(), Error> {
    let pasted = pasted.trim();
    if pasted.is_empty() {
        return Err(refused("Paste the address your browser landed on, or the code."));
    }
    let looks_like_url = pasted.contains(':') || pasted.contains('?') || pasted.contains('=');
    if looks_like_url {
        return callback::handle(&app, pasted).await;
    }
    // A bare code names no state: it belongs to this account's sign-in, which
    // the person started here and copied it from.
    let target = Target::find(&app, &id)?;
    let flow = target
        .state
        .flows
        .take_for_account(&target.account.id)
        .ok_or_else(|| refused("No sign-in is waiting for this account; press Connect again."))?;
    let params = CallbackParams {
        code: Some(AuthorizationCode::new(pasted)),
        state: Some(flow.state.clone()),
        ..Default::default()
    };
    callback::complete(&app, target.latch, flow, params).await
}

#[tauri::command]
pub fn cancel_connect(app: AppHandle, id: String) -> Result<(), Error> {
    let target = Target::find(&app, &id)?;
    cancel_listener(target.state, &target.account);
    target.state.flows.take_for_account(&target.account.id);
    callback::forget_kept_flow(target.latch, &target.account);
    Ok(())
}

/// The password grant: the password is used for this one request.
#[tauri::command]
pub async fn connect_with_password(
    app: AppHandle,
    id: String,
    username: String,
    password: String,
) -> Result<String, Error> {
    changing(&app, &id, async |t| {
        t.latch
            .connect_with_password(&t.account, &username, Password::new(password))
            .await?;
        Ok(format!("Connected {}.", t.account.label))
    })
    .await
}

fn cancel_listener(state: &AppState, account: &Account) {
    if let Some(cancel) = state.listeners.lock().unwrap().remove(&account.id) {
        let _ = cancel.send(());
    }
}
