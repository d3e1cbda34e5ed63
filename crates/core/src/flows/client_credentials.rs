//! The client credentials grant (RFC 6749 §4.4): a token for the client
//! itself, with no user (Wazzup's machine token, a Wordapp robot). Its
//! "refresh" runs the grant again (see `refresh.rs`).

use super::Engine;
use crate::error::Error;
use crate::model::{Account, AccountSecrets, TokenSet};
use crate::providers::GrantRequest;

impl Engine {
    /// The client credentials grant (Wazzup: the partner's machine token).
    pub async fn client_credentials(&self, account: &Account, secrets: &AccountSecrets) -> Result<TokenSet, Error> {
        self.run_grant(account, secrets, GrantRequest::ClientCredentials).await
    }
}
