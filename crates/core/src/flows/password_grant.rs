//! The password grant (legacy, RFC 6749 §4.3): a username and a password
//! typed by the person, for a first token set without a browser.
//!
//! The password is taken by value and dropped — wiped, since [`Password`]
//! zeroizes on drop — as soon as the request is built: it is used once and
//! never stored.

use super::Engine;
use crate::error::Error;
use crate::model::{Account, AccountSecrets, TokenSet};
use crate::providers::GrantRequest;
use crate::secret::Password;

impl Engine {
    /// The password grant. `username` defaults to the account's setting
    /// (Wordapp keeps the username or e-mail there: [`crate::providers::Provider::username`]) when empty.
    pub async fn password(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        username: &str,
        password: Password,
    ) -> Result<TokenSet, Error> {
        let username = match username.trim() {
            "" => account.settings.provider().username().unwrap_or_default().to_owned(),
            name => name.to_owned(),
        };
        if username.is_empty() {
            return Err(Error::InvalidInput(
                "The password grant needs a username or e-mail; type it in, then try again.".into(),
            ));
        }
        if password.secret().is_empty() {
            return Err(Error::InvalidInput(
                "The password is empty; type it in, then try again.".into(),
            ));
        }
        let result = self
            .run_grant(
                account,
                secrets,
                GrantRequest::Password {
                    username: &username,
                    password: &password,
                },
            )
            .await;
        drop(password);
        result
    }
}
