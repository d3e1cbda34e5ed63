//! An authenticated test call: does the provider accept this token?
//!
//! Wordapp asks for `Authorization` and `X-Api-Version` on every API call and
//! answers 401 whenever a token is no longer valid (document 004). Wazzup
//! takes `Authorization: Bearer` on end-customer calls (`GET /v2/channels`).

use super::{Engine, provider_name};
use crate::error::Error;
use crate::model::{Account, ProviderSettings};
use crate::providers::{Auth, Call, Step, endpoint, oauth2, wazzup, wordapp};
use crate::secret::AccessToken;

impl Engine {
    /// Calls the provider with the token; `Ok` when it is accepted.
    pub async fn probe(&self, account: &Account, access_token: &AccessToken) -> Result<(), Error> {
        let call = match &account.settings {
            ProviderSettings::Wordapp(s) => {
                wordapp::probe_call(s, &self.config.wordapp_probe_path, access_token.secret())?
            }
            ProviderSettings::Wazzup(s) => {
                let base = s.base_url.trim().trim_end_matches('/');
                let base = base.strip_suffix("/v2").unwrap_or(base);
                Call::get(
                    endpoint(base, "/v2/channels")?,
                    Auth::Bearer(access_token.secret().to_owned()),
                )
            }
            _ => {
                return Err(Error::InvalidInput(format!(
                    "Latch knows no test call for {}; use the token in a request of your own.",
                    provider_name(account)
                )));
            }
        };
        let name = provider_name(account);
        let answer = self.http.send(name, call.into_request(self.http.client())).await?;
        if answer.is_success() {
            return Ok(());
        }
        Err(match &account.settings {
            ProviderSettings::Wordapp(_) if answer.status == 401 => wordapp::unauthorized(&answer),
            ProviderSettings::Wazzup(_) => wazzup::refusal(&answer, Step::Probe),
            _ => oauth2::refusal(name, &answer, Step::Probe),
        })
    }
}
