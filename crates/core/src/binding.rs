//! Endpoint binding: an account's secrets go only to the servers they were
//! issued for.
//!
//! The index file (`index.json`) is not secret and is re-read on every call,
//! so anything that can write the data directory but not the keyring (a
//! sandboxed app, a sync tool restoring another file, a typo) could point an
//! account's token endpoint elsewhere and have the next refresh carry the
//! refresh token and the client secret there. So the keyring entry records,
//! beside the secrets, the origins (scheme, host, port) of every endpoint the
//! provider says they may reach ([`crate::providers::Provider::secret_endpoints`]),
//! and the engine checks each call that carries a secret against that record
//! before anything is sent ([`check`]). A changed endpoint is refused with a
//! sentence that names both servers; changing it on purpose is `latch edit`
//! or connecting again, which ask first and then [`bind`] the new origins.
//!
//! An entry written before Latch kept this record has none; its calls are
//! not checked, and the next write records the account's origins as they are
//! then (trust on first use, once).

use crate::error::Error;
use crate::model::{Account, AccountSecrets};
use url::Url;

/// The origins of the account's secret-carrying endpoints, as its settings
/// say now: sorted, without repeats.
pub fn origins(account: &Account) -> Result<Vec<String>, Error> {
    let mut origins: Vec<String> = account
        .settings
        .provider()
        .secret_endpoints()?
        .iter()
        .map(origin)
        .collect();
    origins.sort();
    origins.dedup();
    Ok(origins)
}

/// Records the account's current origins in its secrets (written by the caller).
pub fn bind(account: &Account, secrets: &mut AccountSecrets) -> Result<(), Error> {
    secrets.origins = origins(account)?;
    Ok(())
}

/// [`bind`], for an entry that has no record yet.
pub fn bind_if_unbound(account: &Account, secrets: &mut AccountSecrets) -> Result<(), Error> {
    if secrets.origins.is_empty() {
        bind(account, secrets)?;
    }
    Ok(())
}

/// Refuses a call to `url` unless its origin is one the secrets are bound to.
pub fn check(secrets: &AccountSecrets, url: &Url) -> Result<(), Error> {
    let to = origin(url);
    if secrets.origins.is_empty() || secrets.origins.contains(&to) {
        return Ok(());
    }
    Err(Error::ServerChanged {
        from: secrets.origins.join(" and "),
        to,
    })
}

/// How the account's settings moved away from the servers its secrets are
/// bound to: `None` when they did not (or nothing is bound yet).
pub fn change(account: &Account, secrets: &AccountSecrets) -> Result<Option<ServerChange>, Error> {
    if secrets.origins.is_empty() {
        return Ok(None);
    }
    let now = origins(account)?;
    let new: Vec<String> = now.iter().filter(|o| !secrets.origins.contains(o)).cloned().collect();
    Ok((!new.is_empty()).then(|| ServerChange {
        from: secrets.origins.clone(),
        to: new,
    }))
}

/// The bound origins, and the account's origins that are not among them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerChange {
    pub from: Vec<String>,
    pub to: Vec<String>,
}

impl ServerChange {
    /// The question asked before the new servers are trusted.
    pub fn question(&self, account: &Account) -> String {
        format!(
            "{}'s server changed from {} to {}. Send this account's secrets to {} from now on?",
            account.id,
            self.from.join(" and "),
            self.to.join(" and "),
            self.to.join(" and ")
        )
    }

    /// The refusal when nobody confirmed.
    pub fn error(&self) -> Error {
        Error::ServerChanged {
            from: self.from.join(" and "),
            to: self.to.join(" and "),
        }
    }
}

/// `https://host[:port]`, the port only when it is not the scheme's default.
pub fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, AccountStatus, ClientAuth, Grant, OAuth2Settings, ProviderSettings};

    fn account(token_url: &str, revoke_url: Option<&str>) -> Account {
        Account {
            id: AccountId::parse("acme").unwrap(),
            label: "Acme".into(),
            settings: ProviderSettings::Oauth2(OAuth2Settings {
                authorize_url: "https://login.acme.example/authorize".into(),
                token_url: token_url.into(),
                revoke_url: revoke_url.map(str::to_owned),
                client_id: "c".into(),
                client_auth: ClientAuth::Basic,
                redirect_uri: "app.latch.desktop:/callback".into(),
                scopes: vec![],
                pkce: true,
                grant: Grant::AuthorizationCode,
                issuer: None,
                require_iss: false,
                api_base: None,
                probe_url: None,
                device_authorization_url: None,
                introspection_url: None,
                jwks_uri: None,
                hand_out: Default::default(),
                requests: Default::default(),
            }),
            status: AccountStatus::NotConnected,
            token: None,
            created_at: 0,
            sandbox: false,
            store: None,
        }
    }

    #[test]
    fn the_record_holds_the_origins_of_secret_endpoints_only() {
        let a = account(
            "https://api.acme.example:8443/token",
            Some("https://api.acme.example:8443/revoke"),
        );
        // One origin for both endpoints; the browser's authorize page is not one.
        assert_eq!(origins(&a).unwrap(), ["https://api.acme.example:8443"]);
        let b = account("https://api.acme.example/token", Some("https://revoke.acme.example/r"));
        assert_eq!(
            origins(&b).unwrap(),
            ["https://api.acme.example", "https://revoke.acme.example"]
        );
    }

    #[test]
    fn a_call_to_another_origin_is_refused_naming_both() {
        let mut secrets = AccountSecrets::default();
        bind(&account("https://api.acme.example/token", None), &mut secrets).unwrap();
        assert!(check(&secrets, &Url::parse("https://api.acme.example/other/path").unwrap()).is_ok());
        for elsewhere in [
            "https://evil.example/token",
            "http://api.acme.example/token",
            "https://api.acme.example:444/token",
        ] {
            let e = check(&secrets, &Url::parse(elsewhere).unwrap()).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::ServerChanged);
            assert!(
                e.to_string()
                    .starts_with("This account's server changed from https://api.acme.example to "),
                "{e}"
            );
        }
    }

    #[test]
    fn an_unbound_entry_is_bound_once_and_not_rebound() {
        let mut secrets = AccountSecrets::default();
        assert!(check(&secrets, &Url::parse("https://anywhere.example/").unwrap()).is_ok());
        bind_if_unbound(&account("https://api.acme.example/token", None), &mut secrets).unwrap();
        bind_if_unbound(&account("https://evil.example/token", None), &mut secrets).unwrap();
        assert_eq!(secrets.origins, ["https://api.acme.example"]);
    }

    #[test]
    fn a_change_names_only_the_new_servers() {
        let mut secrets = AccountSecrets::default();
        bind(&account("https://api.acme.example/token", None), &mut secrets).unwrap();
        assert_eq!(
            change(&account("https://api.acme.example/t2", None), &secrets).unwrap(),
            None
        );
        let moved = account("https://api.acme.example/token", Some("https://revoke.acme.example/r"));
        let change = change(&moved, &secrets).unwrap().unwrap();
        assert_eq!(change.to, ["https://revoke.acme.example"]);
        assert!(
            change
                .question(&moved)
                .starts_with("acme's server changed from https://api.acme.example to https://revoke.acme.example.")
        );
    }
}
