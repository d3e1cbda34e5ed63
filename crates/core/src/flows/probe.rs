//! An authenticated test call: does the provider accept this token?
//!
//! The call is the provider's ([`crate::providers::Provider::probe_call`]),
//! authenticated like every API request: Wordapp asks for `Authorization`
//! and `X-Api-Version` and answers 401 whenever a token is no longer valid
//! (document 004); Wazzup takes `Authorization: Bearer` on end-customer
//! calls (`GET /v2/channels`); GREEN-API's `getStateInstance` carries the
//! instance token in its path.

use super::Engine;
use crate::error::Error;
use crate::model::{Account, AccountSecrets};
use crate::secret::AccessToken;

impl Engine {
    /// Calls the provider with the token; `Ok` when it is accepted.
    /// `secrets` are the account's, for the servers they are bound to.
    pub async fn probe(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        access_token: Option<&AccessToken>,
    ) -> Result<(), Error> {
        let provider = account.settings.provider();
        let Some(call) = provider.probe_call(secrets, access_token)? else {
            return Err(Error::InvalidInput(format!(
                "Latch knows no test call for {}; use the token in a request of your own.",
                provider.name()
            )));
        };
        let answer = self.send(secrets, provider.name(), call, None).await?;
        if answer.is_success() {
            return Ok(());
        }
        Err(provider.probe_refusal(&answer))
    }

    /// Asks the server whether the access token is active (RFC 7662):
    /// `None` when the account has no introspection endpoint. Sent like
    /// every request with the account's secrets (their binding, TLS).
    pub async fn introspect(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        access_token: &AccessToken,
    ) -> Result<Option<bool>, Error> {
        let provider = account.settings.provider();
        let Some(call) = provider.introspection_call(secrets, access_token)? else {
            return Ok(None);
        };
        let answer = self.send(secrets, provider.name(), call, None).await?;
        crate::providers::rfc6749::read_introspection(provider.name(), &answer).map(Some)
    }
}
