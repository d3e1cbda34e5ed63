//! The sandbox's demo accounts: drafts in the core's catalogue terms that
//! point at the fakes and carry the demo credentials, so the window's "Try
//! the sandbox", `latch sandbox --add-accounts` and the tests create the
//! same accounts, through the same rules as a person's form.
//!
//! # Only a sandbox Latch started itself
//!
//! A demo account sends its (demo) secrets to its endpoints, opens the
//! browser at them and shows a GREEN-API link code they answer. So its
//! endpoints must be a sandbox this process started, never whatever
//! happens to listen on a port: a program that takes 127.0.0.1:8973 first
//! would otherwise receive the client secret, serve the consent pages and
//! hand out a link code that links *its* WhatsApp instance to the phone of
//! whoever types it.
//!
//! Of the two ways to make sure of that, ports the OS chooses and a per-run
//! secret the listener must prove on fixed ports, Latch takes the first: a
//! port the OS has just given to this process cannot be someone else's, and
//! nothing has to be proven before each request (the core, the scheduler
//! and the CLI would all have to ask). The price is that a sandbox that
//! starts again has new addresses, so the accounts that point at the old
//! one are moved: [`add_accounts`] and [`point_accounts`] rewrite every
//! account marked [`Account::sandbox`] (and no other) through [`repoint`],
//! the one place a demo account's endpoints change. The window starts its
//! sandbox again on launch when it holds demo accounts, before its
//! scheduler runs, so a demo account never points at a port another
//! program may have taken since.
//!
//! `latch sandbox` still tries the README's ports first
//! ([`Sandbox::start_preferring`]), and takes another one for a fake whose
//! port is taken: it prints only the addresses it serves.

use crate::{DemoCredentials, Ports, Sandbox};
use latch_core::Latch;
use latch_core::model::{AccountId, AccountSecrets, AccountStatus, Grant, ProviderKind};
use latch_core::providers::AccountDraft;
use latch_core::secret::DraftSecret;
use latch_core::{Account, Error};

/// What both front ends say beside a link code from the sandbox's GREEN-API.
pub const FAKE_LINK_CODE: &str = "This code comes from Latch's sandbox and is fake: do not type it into \
     WhatsApp. A real link code comes only from a GREEN-API instance of your own.";

/// [`FAKE_LINK_CODE`] for a sandbox account, nothing for any other.
pub fn link_code_warning(account: &Account) -> Option<&'static str> {
    account.sandbox.then_some(FAKE_LINK_CODE)
}

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
        Grant::DeviceCode => "device_code",
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
        Grant::ClientCredentials | Grant::DeviceCode => {}
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
            ("device_authorization_url", format!("{base}/device_authorization")),
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
/// the window by deep link (`redirect_uri`); the Other OAuth 2.0 one is a
/// robot that authenticates with a signed assertion (`client_secret_jwt`).
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
        DemoAccount {
            id: "sandbox-oauth2",
            draft: oauth2(urls, d, redirect_uri, "secret_jwt", true, Grant::ClientCredentials),
        },
    ]
}

/// Adds the demo accounts that are not there yet, points those already
/// there at this sandbox ([`point_accounts`]), and connects those that need
/// no browser (client credentials). Returns the accounts added.
///
/// An account that has a demo id but is not a demo account is a person's
/// own: it is left alone, and no demo account is added in its place.
pub async fn add_accounts(latch: &Latch, urls: &BaseUrls, redirect_uri: &str) -> Result<Vec<Account>, Error> {
    let mut added = Vec::new();
    for (fresh, secrets) in built(urls, redirect_uri)? {
        let account = match stored_demo(latch, &fresh, redirect_uri)? {
            Stored::Demo(existing) => {
                point(latch, *existing, fresh, &secrets).await?;
                continue;
            }
            Stored::Other => continue,
            Stored::None => latch.add(fresh, secrets)?,
        };
        connect_at_once(latch, &account).await?;
        added.push(account);
    }
    Ok(added)
}

/// Points the demo accounts that are there at this sandbox, adding none:
/// what the window does when it starts its sandbox again on launch.
/// Returns how many had to move.
pub async fn point_accounts(latch: &Latch, urls: &BaseUrls, redirect_uri: &str) -> Result<usize, Error> {
    let mut moved = 0;
    for (fresh, secrets) in built(urls, redirect_uri)? {
        if let Stored::Demo(existing) = stored_demo(latch, &fresh, redirect_uri)?
            && point(latch, *existing, fresh, &secrets).await?
        {
            moved += 1;
        }
    }
    Ok(moved)
}

/// Whether any account is a demo account of the sandbox.
pub fn has_accounts(latch: &Latch, redirect_uri: &str) -> Result<bool, Error> {
    for (fresh, _) in built(&BaseUrls::of_ports(Ports::FIXED), redirect_uri)? {
        if let Stored::Demo(_) = stored_demo(latch, &fresh, redirect_uri)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The demo accounts for `urls`, built and marked.
fn built(urls: &BaseUrls, redirect_uri: &str) -> Result<Vec<(Account, AccountSecrets)>, Error> {
    accounts(urls, &DemoCredentials::default(), redirect_uri)
        .into_iter()
        .map(|demo| {
            let id = AccountId::parse(demo.id).expect("a valid demo id");
            let (mut account, secrets) = demo.draft.build(id, latch_core::time::now())?;
            account.sandbox = true;
            Ok((account, secrets))
        })
        .collect()
}

/// What the store holds under a demo account's id.
enum Stored {
    None,
    /// A demo account: marked as one, or made by a Latch from before the
    /// mark, which pointed it at the fixed ports with exactly the demo's settings.
    Demo(Box<Account>),
    /// A person's own account that happens to have that id.
    Other,
}

fn stored_demo(latch: &Latch, fresh: &Account, redirect_uri: &str) -> Result<Stored, Error> {
    let existing = latch
        .store()
        .account(&fresh.id)
        .map_err(|e| Error::Storage(e.to_string()))?;
    let Some(existing) = existing else {
        return Ok(Stored::None);
    };
    if existing.sandbox {
        return Ok(Stored::Demo(Box::new(existing)));
    }
    let fixed = built(&BaseUrls::of_ports(Ports::FIXED), redirect_uri)?;
    let before_the_mark = fixed
        .iter()
        .any(|(a, _)| a.id == existing.id && a.settings == existing.settings);
    Ok(if before_the_mark {
        Stored::Demo(Box::new(existing))
    } else {
        Stored::Other
    })
}

/// Moves `existing` to `fresh`'s endpoints if they differ; says whether it moved.
async fn point(latch: &Latch, existing: Account, fresh: Account, secrets: &AccountSecrets) -> Result<bool, Error> {
    if existing.settings == fresh.settings {
        if !existing.sandbox {
            let marked = Account {
                sandbox: true,
                store: None,
                ..existing
            };
            latch
                .store()
                .upsert_account(&marked)
                .map_err(|e| Error::Storage(e.to_string()))?;
        }
        return Ok(false);
    }
    let account = repoint(latch, &existing, fresh, secrets)?;
    connect_at_once(latch, &account).await?;
    Ok(true)
}

/// Points a sandbox account at a sandbox that started again: its endpoints
/// become `fresh`'s, and since the old sandbox is gone with every token it
/// issued, it is "not connected" again with the demo secrets only. The one
/// place a demo account's endpoints change.
pub fn repoint(latch: &Latch, existing: &Account, fresh: Account, secrets: &AccountSecrets) -> Result<Account, Error> {
    let moved = Account {
        settings: fresh.settings,
        sandbox: true,
        store: None,
        status: AccountStatus::NotConnected,
        token: None,
        ..existing.clone()
    };
    let store = latch.store();
    store
        .upsert_account(&moved)
        .map_err(|e| Error::Storage(e.to_string()))?;
    store
        .put_secrets(&moved.id, secrets)
        .map_err(|e| Error::Storage(e.to_string()))?;
    Ok(moved)
}

/// Client credentials need no person: connect such an account now.
async fn connect_at_once(latch: &Latch, account: &Account) -> Result<(), Error> {
    if account.settings.grant() == Some(Grant::ClientCredentials) {
        latch.connect_with_client_credentials(account).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SandboxConfig;
    use latch_core::EngineConfig;
    use latch_core::store::MemoryStore;
    use std::sync::Arc;

    const REDIRECT: &str = "app.latch.desktop:/oauth/callback";

    fn latch(home: &tempfile::TempDir) -> Latch {
        Latch::with_secrets(
            Some(home.path().into()),
            Arc::new(MemoryStore::new()),
            EngineConfig::default(),
        )
        .unwrap()
    }

    /// Issue 15, item 3: a sandbox that starts again moves the demo accounts
    /// to its own addresses — the marked ones and those an older Latch made
    /// on the fixed ports — and leaves a person's own account alone, even
    /// one with a demo id.
    #[tokio::test]
    async fn a_new_sandbox_moves_only_the_demo_accounts_to_its_own_addresses() {
        let home = tempfile::tempdir().unwrap();
        let latch = latch(&home);
        let fixed = built(&BaseUrls::of_ports(Ports::FIXED), REDIRECT).unwrap();
        for (mut account, secrets) in fixed {
            match account.id.as_str() {
                // Made before the mark: the demo's settings on the fixed ports.
                "sandbox-wazzup" | "sandbox-wordapp" => account.sandbox = false,
                // A person's own PayU client that happens to have the demo's id.
                "sandbox-payu" => {
                    account.sandbox = false;
                    account.label = "My PayU".into();
                    if let latch_core::model::ProviderSettings::Payu(p) = &mut account.settings {
                        p.accounts_url = Some("https://secure.snd.payu.com".into());
                    }
                }
                _ => continue,
            }
            latch.add(account, secrets).unwrap();
        }
        let payu_before = latch
            .store()
            .account(&AccountId::parse("sandbox-payu").unwrap())
            .unwrap();

        let sandbox = Sandbox::start(SandboxConfig::demo()).await.unwrap();
        let urls = sandbox.base_urls();
        let added = add_accounts(&latch, &urls, REDIRECT).await.unwrap();
        let added: Vec<&str> = added.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            added,
            ["sandbox-green-api", "sandbox-oauth2"],
            "only the missing demo accounts are added"
        );

        let wanted = built(&urls, REDIRECT).unwrap();
        for (fresh, _) in &wanted {
            let stored = latch.store().account(&fresh.id).unwrap().unwrap();
            if fresh.id.as_str() == "sandbox-payu" {
                assert_eq!(
                    Some(&stored),
                    payu_before.as_ref(),
                    "a person's own account is left alone"
                );
                continue;
            }
            assert!(stored.sandbox, "{} is marked", stored.id);
            assert_eq!(stored.settings, fresh.settings, "{} points at this sandbox", stored.id);
        }
        // The robot was connected again, at this sandbox.
        let robot = latch.find("sandbox-wordapp").unwrap();
        assert_eq!(robot.status, AccountStatus::Connected);
        assert_eq!(sandbox.wordapp().count("wordapp.token"), 1);

        // A second start (the window launched again) moves them once more.
        drop(sandbox);
        let again = Sandbox::start(SandboxConfig::demo()).await.unwrap();
        assert_eq!(point_accounts(&latch, &again.base_urls(), REDIRECT).await.unwrap(), 4);
        assert_eq!(point_accounts(&latch, &again.base_urls(), REDIRECT).await.unwrap(), 0);
        assert_eq!(again.wordapp().count("wordapp.token"), 1);
        // The OAuth 2.0 robot too, by a client_secret_jwt assertion.
        assert_eq!(again.oauth2().count("oauth2.token"), 1);
        assert_eq!(latch.find("sandbox-oauth2").unwrap().status, AccountStatus::Connected);
        assert!(has_accounts(&latch, REDIRECT).unwrap());
    }

    #[test]
    fn only_a_sandbox_account_gets_the_fake_link_code_warning() {
        let (mut account, _) = built(&BaseUrls::of_ports(Ports::FIXED), REDIRECT).unwrap().remove(3);
        assert_eq!(account.id.as_str(), "sandbox-green-api");
        assert_eq!(link_code_warning(&account), Some(FAKE_LINK_CODE));
        assert!(FAKE_LINK_CODE.contains("fake: do not type it into WhatsApp"));
        account.sandbox = false;
        assert_eq!(link_code_warning(&account), None);
    }
}
