//! The flows: authorize + callback, password, client credentials, refresh,
//! revoke, and a test call — run by one [`Engine`].
//!
//! The engine owns the HTTP client and the in-process refresh bookkeeping;
//! it holds no account data. Accounts come in as [`Account`] (settings) and
//! [`AccountSecrets`] or a [`crate::store::SecretStore`] (secrets); token sets go out.
//! Flows that *obtain* a first token set (callback, password, client
//! credentials) return it and let the caller store it together with the
//! index; a refresh writes to the store itself, because its safety depends
//! on the order of writes (see `Engine::refresh`).
//!
//! The cross-process side of "one refresh per account" belongs to the
//! store; the engine calls it through the [`CrossProcessLock`] hook, which
//! [`crate::store::Store`] implements with its per-account file lock.

mod api;
mod authorize;
mod client_credentials;
mod device;
mod discover;
mod link;
mod password_grant;
mod probe;
mod refresh;
mod revoke;

pub use authorize::{CallbackParams, MAX_CALLBACK_LEN, PendingFlow, PendingFlows, Rejected, account_named_by};
pub use device::{DEFAULT_INTERVAL, DeviceAuthorization, SLOW_DOWN_STEP};
pub use link::{LinkOutcome, LinkWatch};
pub use revoke::RevokeOutcome;

use crate::error::Error;
use crate::http::{Answer, Http, HttpConfig};
use crate::model::{Account, AccountId, AccountSecrets, TokenSet};
use crate::providers::{Call, GrantRequest, green_api};
use crate::secret::Nonce;
use url::Url;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a started authorization may take before its callback is refused.
pub const PENDING_FLOW_TTL: Duration = Duration::from_secs(10 * 60);

/// The engine's settings.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub http: HttpConfig,
    /// Lifetime of a [`PendingFlow`]; 10 minutes.
    pub pending_ttl: Duration,
    /// How long GREEN-API's getAuthorizationCode may take
    /// ([`green_api::LINK_CODE_ANSWER_TIMEOUT`], 45 s): it is documented to
    /// answer in up to 30 s. A longer whole-call timeout in `http` wins.
    pub link_code_timeout: Duration,
    /// How long one of RFC 8628's seconds lasts when polling a device code:
    /// a second; tests shorten it so a 5-second interval passes quickly.
    pub device_second: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            http: HttpConfig::default(),
            pending_ttl: PENDING_FLOW_TTL,
            link_code_timeout: green_api::LINK_CODE_ANSWER_TIMEOUT,
            device_second: Duration::from_secs(1),
        }
    }
}

/// The hook for the cross-process lock of one account (the store's file
/// lock). `lock` may block until the lock is free; the engine calls it on a
/// blocking thread and holds the returned guard for the whole refresh
/// (read, request, write), dropping it to release.
pub trait CrossProcessLock: Send + Sync {
    fn lock(&self, id: &AccountId) -> Result<Box<dyn Send>, Error>;
}

/// The store's per-account file lock, which every Latch process honours.
impl CrossProcessLock for crate::store::Store {
    fn lock(&self, id: &AccountId) -> Result<Box<dyn Send>, Error> {
        match self.lock_account(id) {
            Ok(guard) => Ok(Box::new(guard)),
            Err(e) => Err(Error::Storage(e.to_string())),
        }
    }
}

type Flight = Arc<tokio::sync::OnceCell<Result<TokenSet, Error>>>;

/// Runs the flows. One per process; cheap to share behind an `Arc`.
pub struct Engine {
    http: Http,
    config: EngineConfig,
    lock: Option<Arc<dyn CrossProcessLock>>,
    /// Refreshes in flight, one per account: callers that arrive while one
    /// runs await the same result instead of sending a second request.
    flights: Mutex<HashMap<AccountId, Flight>>,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Result<Self, Error> {
        Ok(Self {
            http: Http::new(config.http.clone())?,
            config,
            lock: None,
            flights: Mutex::new(HashMap::new()),
        })
    }

    /// Adds the cross-process account lock taken around every refresh.
    pub fn with_cross_process_lock(mut self, lock: Arc<dyn CrossProcessLock>) -> Self {
        self.lock = Some(lock);
        self
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Sends the provider's call for a grant and reads the answer.
    async fn run_grant(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        grant: GrantRequest<'_>,
    ) -> Result<TokenSet, Error> {
        self.run_grant_with(account, secrets, grant, None).await
    }

    /// [`Engine::run_grant`] for a sign-in that sent `nonce`.
    async fn run_grant_with(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        grant: GrantRequest<'_>,
        nonce: Option<&Nonce>,
    ) -> Result<TokenSet, Error> {
        let provider = account.settings.provider();
        let call = provider.token_call(secrets, &grant)?;
        let answer = self.send(secrets, provider.name(), call, None).await?;
        let tokens = provider.read_token_answer(&answer, grant.step(), crate::time::now())?;
        self.verified(account, secrets, tokens, nonce).await
    }

    /// The token set with its id_token verified (OpenID Connect Core
    /// §3.1.3.7: the signature against the server's JWKS, `iss`, `aud`,
    /// `exp`, `nonce`), or refused whole when it does not verify, so that
    /// nothing of a set carrying a forged id_token is kept. An account that
    /// cannot verify id_tokens (no issuer or JWKS URI) keeps none.
    async fn verified(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        mut tokens: TokenSet,
        nonce: Option<&Nonce>,
    ) -> Result<TokenSet, Error> {
        let Some(id_token) = tokens.id_token.take() else {
            return Ok(tokens);
        };
        let provider = account.settings.provider();
        let Some(source) = provider.id_token_source()? else {
            return Ok(tokens);
        };
        let jwks = self.jwks(provider.name(), &source.jwks_uri).await?;
        let rules = crate::jose::IdTokenRules {
            issuer: &source.issuer,
            client_id: &source.client_id,
            nonce,
            client_secret: secrets.client_secret.as_ref(),
        };
        let claims = crate::jose::verify_id_token(&id_token, &jwks, &rules).map_err(|why| {
            Error::invalid_answer(provider.name(), format!("an id_token Latch does not trust: {why}"))
        })?;
        // Handed out, the id_token is the credential: it lives no longer than its `exp`.
        if source.bounds_expiry
            && let Some(exp) = claims["exp"].as_i64()
        {
            tokens.expires_at = Some(tokens.expires_at.map_or(exp, |at| at.min(exp)));
        }
        tokens.id_token = Some(id_token);
        Ok(tokens)
    }

    /// The server's JWKS: public keys, fetched with nothing secret through
    /// the engine's one client (timeouts, the size cap, no redirects).
    async fn jwks(&self, provider: &str, url: &Url) -> Result<serde_json::Value, Error> {
        let request = self.http.client().get(url.clone()).header("accept", "application/json");
        let answer = self.http.send(provider, request).await?;
        if !answer.is_success() {
            return Err(Error::invalid_answer(
                provider,
                format!(
                    "its JWKS ({url}) answered HTTP {}, so no id_token can be verified",
                    answer.status
                ),
            ));
        }
        match answer.json_or_empty(provider)? {
            Some(jwks) => Ok(jwks),
            None => Err(Error::invalid_answer(provider, format!("an empty JWKS at {url}"))),
        }
    }

    /// Sends a call that carries the account's secrets, once its origin is
    /// one they are bound to ([`crate::binding::check`]): every call of every
    /// flow goes through here. `timeout` replaces the whole-call timeout.
    async fn send(
        &self,
        secrets: &AccountSecrets,
        provider: &str,
        call: Call,
        timeout: Option<Duration>,
    ) -> Result<Answer, Error> {
        crate::binding::check(secrets, &call.url)?;
        let request = call.into_request(self.http.client());
        match timeout {
            Some(timeout) => self.http.send_within(provider, request, timeout).await,
            None => self.http.send(provider, request).await,
        }
    }
}

/// The name a person reads for an account's provider.
pub fn provider_name(account: &Account) -> &str {
    account.settings.provider().name()
}
