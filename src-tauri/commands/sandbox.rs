//! "Try the sandbox": the fake providers, started inside the app on the same
//! fixed ports as `latch sandbox`, and demo accounts that point at them, so a
//! new user can try every flow with no credentials. The browser flows stay
//! real: Wazzup and PayU go through the browser and come back by deep link.

use crate::callback::accounts_changed;
use crate::state::AppState;
use latch_core::Error;
use latch_core::model::*;
use latch_core::secret::{ApiToken, ClientSecret, Password};
use latch_sandbox::{DemoCredentials, Ports, Sandbox, SandboxConfig};
use tauri::{AppHandle, Manager};

/// The ports `latch sandbox` uses, so its accounts work with either.
const PORTS: Ports = Ports {
    wazzup: 8971,
    payu: 8972,
    wordapp: 8973,
    green_api: 8974,
    oauth2: 8975,
};
const REDIRECT: &str = "app.latch.desktop:/oauth/callback";

#[tauri::command]
pub async fn try_sandbox(app: AppHandle) -> Result<String, Error> {
    let state = app.state::<AppState>();
    let latch = state.latch()?;
    let mut config = SandboxConfig::demo();
    config.ports = Some(PORTS);
    let running = match Sandbox::start(config).await {
        Ok(sandbox) => {
            *state.sandbox.lock().unwrap() = Some(sandbox);
            "The sandbox is running"
        }
        // Already running (another window, or `latch sandbox` in a terminal).
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => "A sandbox was already running",
        Err(e) => {
            return Err(Error::InvalidInput(format!(
                "The sandbox could not start on 127.0.0.1 ({e}); close what uses ports 8971–8975 and try again."
            )));
        }
    };
    let d = DemoCredentials::default();
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let demos: Vec<(&str, &str, ProviderSettings, AccountSecrets)> = vec![
        (
            "sandbox-wazzup",
            "Wazzup (sandbox)",
            ProviderSettings::Wazzup(WazzupSettings {
                base_url: url(PORTS.wazzup),
                client_id: d.wazzup_client_id.clone(),
                redirect_uri: REDIRECT.into(),
                scopes: vec!["transport".into(), "crm".into()],
                grant: Grant::AuthorizationCode,
            }),
            AccountSecrets {
                partner_login: Some(PartnerLogin {
                    email: d.wazzup_email.clone(),
                    password: Password::new(d.wazzup_password.clone()),
                }),
                ..Default::default()
            },
        ),
        (
            "sandbox-payu",
            "PayU (sandbox)",
            ProviderSettings::Payu(PayuSettings {
                environment: PayuEnvironment::Uat,
                accounts_url: Some(url(PORTS.payu)),
                onboarding_url: Some(url(PORTS.payu)),
                client_id: d.payu_client_id.clone(),
                redirect_uri: REDIRECT.into(),
                reseller_id: Some(d.payu_reseller_id.clone()),
            }),
            AccountSecrets {
                client_secret: Some(ClientSecret::new(d.payu_client_secret.clone())),
                ..Default::default()
            },
        ),
        (
            "sandbox-wordapp",
            "Wordapp robot (sandbox)",
            ProviderSettings::Wordapp(WordappSettings {
                base_url: url(PORTS.wordapp),
                grant: Grant::ClientCredentials,
                client_id: Some(d.wordapp_client_id.clone()),
                redirect_uri: None,
                username: None,
                api_version: None,
            }),
            AccountSecrets {
                client_secret: Some(ClientSecret::new(d.wordapp_client_secret.clone())),
                ..Default::default()
            },
        ),
        (
            "sandbox-green-api",
            "WhatsApp (sandbox)",
            ProviderSettings::GreenApi(GreenApiSettings {
                api_url: url(PORTS.green_api),
                id_instance: d.green_api_id_instance,
                phone: Some(format!("+{}", d.green_api_phone)),
            }),
            AccountSecrets {
                api_token: Some(ApiToken::new(d.green_api_token.clone())),
                ..Default::default()
            },
        ),
    ];
    let mut added = 0;
    for (id, label, settings, secrets) in demos {
        let id = AccountId::parse(id).expect("a valid demo id");
        if latch.find(id.as_str()).is_ok() {
            continue;
        }
        let account = Account {
            id,
            label: label.into(),
            settings,
            status: AccountStatus::NotConnected,
            token: None,
            created_at: latch_core::time::now(),
        };
        let account = latch.add(account, secrets)?;
        added += 1;
        if account.settings.grant() == Some(Grant::ClientCredentials) {
            latch.connect_with_client_credentials(&account).await?;
        }
    }
    accounts_changed(&app);
    Ok(format!(
        "{running} on 127.0.0.1:8971–8975 with {added} demo account{}: press Connect or Link on each to try its flow.",
        if added == 1 { "" } else { "s" }
    ))
}
