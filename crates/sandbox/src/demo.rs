//! The sandbox's demo accounts: drafts in the core's catalogue terms that
//! point at the fakes and carry the demo credentials, so the window's "Try
//! the sandbox", `latch sandbox --add-accounts` and the tests create the
//! same accounts, through the same rules as a person's form.

use crate::{DemoCredentials, Ports, Sandbox};
use latch_core::Latch;
use latch_core::model::{AccountId, Grant, ProviderKind};
use latch_core::providers::AccountDraft;
use latch_core::secret::DraftSecret;
use latch_core::{Account, Error};

/// Where each fake answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrls {
    pub wazzup: String,
    pub payu: String,
    pub wordapp: String,
    pub green_api: String,
    pub oauth2: String,
}

impl BaseUrls {
    pub fn of_ports(ports: Ports) -> Self {
        let url = |port: u16| format!("http://127.0.0.1:{port}");
        Self {
            wazzup: url(ports.wazzup),
            payu: url(ports.payu),
            wordapp: url(ports.wordapp),
            green_api: url(ports.green_api),
            oauth2: url(ports.oauth2),
        }
    }
}

impl Sandbox {
    pub fn base_urls(&self) -> BaseUrls {
        BaseUrls {
            wazzup: self.wazzup().base_url(),
            payu: self.payu().base_url(),
            wordapp: self.wordapp().base_url(),
            green_api: self.green_api().base_url(),
            oauth2: self.oauth2().base_url(),
        }
    }
}

fn grant_name(grant: Grant) -> &'static str {
    match grant {
        Grant::AuthorizationCode => "authorization_code",
        Grant::Password => "password",
        Grant::ClientCredentials => "client_credentials",
    }
}

fn draft(provider: ProviderKind, label: &str, values: &[(&str, String)], secret: Option<&str>) -> AccountDraft {
    let mut draft = AccountDraft::new(provider);
    draft.set("label", label);
    for (name, value) in values {
        draft.set(name, value.clone());
    }
    draft.secret = secret.map(DraftSecret::new);
    draft
}

/// A Wazzup partner account at the fake, with the catalogue's default scopes.
pub fn wazzup(urls: &BaseUrls, d: &DemoCredentials, redirect_uri: &str, grant: Grant) -> AccountDraft {
    draft(
        ProviderKind::Wazzup,
        "Wazzup (sandbox)",
        &[
            ("base_url", urls.wazzup.clone()),
            ("client_id", d.wazzup_client_id.clone()),
            ("email", d.wazzup_email.clone()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("grant", grant_name(grant).into()),
        ],
        Some(&d.wazzup_password),
    )
}

/// A PayU partner client at the fake (consent page and token server both
/// there), in the catalogue's default environment.
pub fn payu(urls: &BaseUrls, d: &DemoCredentials, redirect_uri: &str) -> AccountDraft {
    draft(
        ProviderKind::Payu,
        "PayU (sandbox)",
        &[
            ("accounts_url", urls.payu.clone()),
            ("onboarding_url", urls.payu.clone()),
            ("client_id", d.payu_client_id.clone()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("reseller_id", d.payu_reseller_id.clone()),
        ],
        Some(&d.payu_client_secret),
    )
}

/// A Wordapp application at the fake; the password grant keeps the demo username.
pub fn wordapp(urls: &BaseUrls, d: &DemoCredentials, redirect_uri: &str, grant: Grant) -> AccountDraft {
    let mut values = vec![
        ("base_url", urls.wordapp.clone()),
        ("grant", grant_name(grant).into()),
        ("client_id", d.wordapp_client_id.clone()),
    ];
    match grant {
        Grant::AuthorizationCode => values.push(("redirect_uri", redirect_uri.to_owned())),
        Grant::Password => values.push(("username", d.wordapp_username.clone())),
        Grant::ClientCredentials => {}
    }
    let label = match grant {
        Grant::ClientCredentials => "Wordapp robot (sandbox)",
        _ => "Wordapp (sandbox)",
    };
    draft(ProviderKind::Wordapp, label, &values, Some(&d.wordapp_client_secret))
}

/// A GREEN-API instance at the fake, with the demo phone number.
pub fn green_api(urls: &BaseUrls, d: &DemoCredentials) -> AccountDraft {
    draft(
        ProviderKind::GreenApi,
        "WhatsApp (sandbox)",
        &[
            ("api_url", urls.green_api.clone()),
            ("id_instance", d.green_api_id_instance.to_string()),
            ("phone", format!("+{}", d.green_api_phone)),
        ],
        Some(&d.green_api_token),
    )
}

/// A client of the generic OAuth 2.0 fake.
pub fn oauth2(
    urls: &BaseUrls,
    d: &DemoCredentials,
    redirect_uri: &str,
    client_auth: &str,
    pkce: bool,
    grant: Grant,
) -> AccountDraft {
    let base = &urls.oauth2;
    draft(
        ProviderKind::Oauth2,
        "OAuth 2.0 (sandbox)",
        &[
            ("grant", grant_name(grant).into()),
            ("authorize_url", format!("{base}/authorize")),
            ("token_url", format!("{base}/token")),
            ("revoke_url", format!("{base}/revoke")),
            ("client_id", d.oauth2_client_id.clone()),
            ("client_auth", client_auth.into()),
            ("redirect_uri", redirect_uri.to_owned()),
            ("scopes", "read write".into()),
            ("pkce", pkce.to_string()),
        ],
        Some(&d.oauth2_client_secret),
    )
}

/// One demo account of the set "Try the sandbox" adds.
pub struct DemoAccount {
    pub id: &'static str,
    pub draft: AccountDraft,
}

/// What "Try the sandbox" adds: every provider's own flow, coming back to
/// the window by deep link (`redirect_uri`).
pub fn accounts(urls: &BaseUrls, d: &DemoCredentials, redirect_uri: &str) -> Vec<DemoAccount> {
    vec![
        DemoAccount {
            id: "sandbox-wazzup",
            draft: wazzup(urls, d, redirect_uri, Grant::AuthorizationCode),
        },
        DemoAccount {
            id: "sandbox-payu",
            draft: payu(urls, d, redirect_uri),
        },
        DemoAccount {
            id: "sandbox-wordapp",
            draft: wordapp(urls, d, redirect_uri, Grant::ClientCredentials),
        },
        DemoAccount {
            id: "sandbox-green-api",
            draft: green_api(urls, d),
        },
    ]
}

/// Adds the demo accounts that are not there yet and connects those that
/// need no browser (client credentials). Returns the accounts added.
pub async fn add_accounts(latch: &Latch, urls: &BaseUrls, redirect_uri: &str) -> Result<Vec<Account>, Error> {
    let mut added = Vec::new();
    for demo in accounts(urls, &DemoCredentials::default(), redirect_uri) {
        let id = AccountId::parse(demo.id).expect("a valid demo id");
        if latch.find(id.as_str()).is_ok() {
            continue;
        }
        let (account, secrets) = demo.draft.build(id, latch_core::time::now())?;
        let account = latch.add(account, secrets)?;
        if account.settings.grant() == Some(Grant::ClientCredentials) {
            latch.connect_with_client_credentials(&account).await?;
        }
        added.push(account);
    }
    Ok(added)
}
