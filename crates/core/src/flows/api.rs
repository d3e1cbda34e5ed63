//! One authenticated API request, as the provider builds it; the refresh
//! and retry around it are [`crate::Latch::api`]'s.

use super::Engine;
use crate::api::{ApiRequest, MAX_API_ANSWER_BYTES, parse_method};
use crate::error::Error;
use crate::http::RawAnswer;
use crate::model::{Account, AccountSecrets};
use crate::secret::AccessToken;

impl Engine {
    /// Sends `request` with the account's credential (`access_token`, or
    /// for a provider without OAuth tokens the one in `secrets`). Returns
    /// the answer and the address as it may be shown.
    pub async fn api(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        access_token: Option<&AccessToken>,
        request: &ApiRequest,
    ) -> Result<(RawAnswer, String), Error> {
        let provider = account.settings.provider();
        let method = parse_method(&request.method)?;
        let target = provider.api_url(secrets, &request.target)?;
        crate::binding::check(secrets, &target.url)?;
        let mut builder = self.http.client().request(method, target.url);
        let has = |name: &str| request.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        if !has("accept") {
            builder = builder.header(reqwest::header::ACCEPT, "application/json");
        }
        if let Some(token) = access_token {
            for (name, value) in provider.api_headers(token)? {
                builder = builder.header(name, value);
            }
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &request.body {
            if !has("content-type") {
                builder = builder.header(reqwest::header::CONTENT_TYPE, "application/json");
            }
            builder = builder.body(body.clone());
        }
        let answer = self
            .http
            .exchange(provider.name(), builder, MAX_API_ANSWER_BYTES)
            .await?;
        Ok((answer, target.shown))
    }
}
