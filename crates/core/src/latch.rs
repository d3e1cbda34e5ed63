//! `Latch`: the account operations the window and the command line share.
//!
//! [`Latch`] joins the [`Store`] (index + keyring) and the [`Engine`] (flows)
//! so that both front ends do the same thing in the same order: a new token
//! set goes to the keyring and its expiry to the index together; a refused
//! refresh turns the account to "needs reconnect"; a revoke deletes the local
//! secrets only when the provider's answer allows it.

use crate::api::{ApiRequest, ApiResponse};
use crate::binding::ServerChange;
use crate::error::Error;
use crate::flows::{
    CallbackParams, Engine, EngineConfig, LinkOutcome, LinkWatch, PendingFlow, RevokeOutcome, provider_name,
};
use crate::handouts::{Handout, HandoutLog, Verb};
use crate::model::{Account, AccountId, AccountSecrets, AccountStatus, TokenSet};
use crate::phone::PhoneNumber;
use crate::providers::green_api::{InstanceState, LinkCode};
use crate::secret::Password;
use crate::store::{KeyringStore, SecretStore, Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// `latch token` refreshes first when the token expires within this.
pub const TOKEN_MIN_VALIDITY: Duration = Duration::from_secs(60);

pub struct Latch {
    store: Arc<Store>,
    engine: Engine,
}

impl Latch {
    /// The user's Latch: `LATCH_HOME` (or the platform's data directory) and
    /// the OS keyring, connected on first use so that commands which read no
    /// secret work without one.
    ///
    /// The timeouts of every provider call come from `LATCH_HTTP_TIMEOUT_SECS`
    /// and `LATCH_HTTP_CONNECT_TIMEOUT_SECS` when set ([`crate::http::HttpConfig::from_env`]);
    /// a bad value is an error here, not a silent default.
    pub fn open(home: Option<PathBuf>) -> Result<Self, Error> {
        let config = EngineConfig {
            http: crate::http::HttpConfig::from_env()?,
            ..EngineConfig::default()
        };
        Self::open_with(home, config)
    }

    /// [`Latch::open`] with the engine's settings, e.g. the timeouts a
    /// person set: `EngineConfig { http: HttpConfig::from_env()?, ..Default::default() }`.
    pub fn open_with(home: Option<PathBuf>, config: EngineConfig) -> Result<Self, Error> {
        let home = match home {
            Some(home) => home,
            None => Store::default_home().map_err(storage)?,
        };
        let profile = crate::store::profile::profile_of(&home)?;
        Self::with_secrets(Some(home), Arc::new(KeyringStore::lazy_in(profile)), config)
    }

    pub fn with_secrets(
        home: Option<PathBuf>,
        secrets: Arc<dyn SecretStore>,
        config: EngineConfig,
    ) -> Result<Self, Error> {
        let store = Arc::new(Store::open(home, secrets).map_err(storage)?);
        let engine = Engine::new(config)?.with_cross_process_lock(store.clone());
        Ok(Self { store, engine })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Every account, soonest expiry first (accounts without expiry last).
    pub fn accounts(&self) -> Result<Vec<Account>, Error> {
        let mut accounts = self.store.accounts().map_err(storage)?;
        accounts.sort_by_key(|a| {
            (
                a.token.as_ref().and_then(|t| t.expires_at).unwrap_or(i64::MAX),
                a.id.clone(),
            )
        });
        Ok(accounts)
    }

    /// An account by its id, or by its label when no id matches.
    pub fn find(&self, name: &str) -> Result<Account, Error> {
        let accounts = self.store.accounts().map_err(storage)?;
        if let Some(account) = accounts.iter().find(|a| a.id.as_str() == name) {
            return Ok(account.clone());
        }
        let by_label: Vec<&Account> = accounts.iter().filter(|a| a.label.eq_ignore_ascii_case(name)).collect();
        match by_label.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::UnknownAccount(match closest(name, &accounts) {
                Some(near) => format!("There is no account `{name}`; did you mean `{near}`?"),
                None => format!("There is no account `{name}`; `latch accounts` lists them."),
            })),
            _ => Err(Error::InvalidInput(format!(
                "Several accounts are labelled `{name}`; name one by its id (`latch accounts` lists them)."
            ))),
        }
    }

    /// Saves a new account and its secrets. The id must be free.
    pub fn add(&self, account: Account, secrets: AccountSecrets) -> Result<Account, Error> {
        if self.store.account(&account.id).map_err(storage)?.is_some() {
            return Err(Error::InvalidInput(format!(
                "An account with the id `{}` exists already; choose another with --id.",
                account.id
            )));
        }
        let mut secrets = secrets;
        crate::binding::bind(&account, &mut secrets)?;
        if let Some(shared) = self.route(&account)?.shared() {
            create_shared(shared, &account, secrets)?;
            self.store.upsert_account(&account).map_err(storage)?;
            return Ok(account);
        }
        self.store.upsert_account(&account).map_err(storage)?;
        if let Err(e) = self.store.put_secrets(&account.id, &secrets) {
            // Leave nothing half made: an account whose secrets did not reach
            // the keyring is removed. The keyring is likely what failed, so
            // its entry goes only if it can, and the index row goes on its
            // own (`remove_account` would stop at the keyring and keep it).
            if let Ok(secrets) = self.store.secrets_for(&account) {
                let _ = secrets.delete(&account.id);
            }
            let _ = self
                .store
                .update_accounts(|accounts| accounts.retain(|a| a.id != account.id));
            return Err(storage(e));
        }
        Ok(account)
    }

    /// Moves an account's secrets to another store: `Some(name)`, a named
    /// Vault store (shared from then on), `None`, the OS keyring. The
    /// secrets are written to the new store first (a shared store refuses
    /// an id it already holds), then the index row points there, then the
    /// old store's entry goes: a failure at any step leaves a store that
    /// still holds them.
    pub fn move_to_store(&self, account: &Account, to: Option<&str>) -> Result<Account, Error> {
        if account.store.as_deref() == to {
            return Ok(account.clone());
        }
        let _lock = self.store.lock_account(&account.id).map_err(storage)?;
        let account = self.fresh(account)?;
        let from = self.route(&account)?;
        let secrets = from.get(&account.id)?.unwrap_or_default();
        let mut moved = account.clone();
        moved.store = to.map(str::to_owned);
        let target = self.route(&moved)?;
        match target.shared() {
            Some(shared) => create_shared(shared, &moved, secrets)?,
            None => target.put(&moved.id, &secrets)?,
        }
        self.store.upsert_account(&moved).map_err(storage)?;
        from.delete(&account.id)?;
        Ok(moved)
    }

    /// Adds, on this machine, an account another machine put in the shared
    /// store `store`: its settings and secrets come from the store's entry.
    pub fn attach(&self, store: &str, id: &AccountId) -> Result<Account, Error> {
        if self.store.account(id).map_err(storage)?.is_some() {
            return Err(Error::InvalidInput(format!(
                "An account with the id `{id}` exists here already; remove it first, or move it with `latch edit \
                 {id} --store {store}`."
            )));
        }
        let vault = self.store.vault(store).map_err(storage)?;
        let entry = crate::store::SharedSecrets::read_shared(vault.as_ref(), id)?;
        let Some(mut account) = entry.account.filter(|_| entry.secrets.is_some()) else {
            return Err(Error::InvalidInput(format!(
                "The store `{store}` holds no account `{id}` (or one that an older Latch wrote, without its \
                 settings); on the machine that has it, run `latch edit {id} --store {store}`."
            )));
        };
        account.id = id.clone();
        account.store = Some(store.to_owned());
        account.sandbox = false;
        self.store.upsert_account(&account).map_err(storage)?;
        Ok(account)
    }

    /// Who refreshed a shared account last, and where; `None` for an
    /// account in the keyring or one nobody refreshed through the store yet.
    pub fn last_refresh(&self, account: &Account) -> Result<Option<crate::store::Refreshed>, Error> {
        let store = self.route(account)?;
        match store.shared() {
            Some(shared) => Ok(shared.read_shared(&account.id)?.refreshed),
            None => Ok(None),
        }
    }

    /// A free id made from a label: `wazzup-main`, `wazzup-main-2`, …
    pub fn free_id(&self, label: &str) -> Result<AccountId, Error> {
        let base = AccountId::slug(label);
        let taken: Vec<AccountId> = self
            .store
            .accounts()
            .map_err(storage)?
            .into_iter()
            .map(|a| a.id)
            .collect();
        if !taken.contains(&base) {
            return Ok(base);
        }
        (2..)
            .map(|n| AccountId::parse(&format!("{base}-{n}")).expect("a slug with a number is an id"))
            .find(|id| !taken.contains(id))
            .ok_or_else(|| Error::InvalidInput("no free account id".into()))
    }

    /// How the account's settings moved away from the servers its secrets
    /// are bound to; `None` when they did not (see [`crate::binding`]).
    /// Connecting again asks [`ServerChange::question`] and then calls
    /// [`Latch::confirm_servers`].
    pub fn server_change(&self, account: &Account) -> Result<Option<ServerChange>, Error> {
        crate::binding::change(account, &self.secrets(account)?)
    }

    /// Binds the account's secrets to the servers its settings name now:
    /// what a person confirms after changing a server on purpose.
    pub fn confirm_servers(&self, account: &Account) -> Result<(), Error> {
        let Some(mut secrets) = self.store.secrets(&account.id).map_err(storage)? else {
            return Ok(()); // nothing is kept, so nothing is bound
        };
        crate::binding::bind(account, &mut secrets)?;
        self.store.put_secrets(&account.id, &secrets).map_err(storage)
    }

    /// Replaces an account's label and settings (`latch edit`). The id, the
    /// provider, the status and the token stay. When the new settings name
    /// servers the secrets are not bound to, `confirmed` says the person
    /// agreed to send them there ([`Latch::server_change`]'s question); the
    /// secrets are then bound to the new servers. The index row is put back
    /// if the keyring cannot be written, so nothing is left half changed.
    pub fn edit(&self, edited: &Account, confirmed: bool) -> Result<Account, Error> {
        let before = self.store.account(&edited.id).map_err(storage)?.ok_or_else(|| {
            Error::UnknownAccount(format!(
                "There is no account `{}`; `latch accounts` lists them.",
                edited.id
            ))
        })?;
        if edited.provider() != before.provider() {
            return Err(Error::InvalidInput(format!(
                "{} is a {} account; its provider cannot be changed (add a new account instead).",
                before.id,
                before.provider().display_name()
            )));
        }
        let mut account = before.clone();
        account.label = edited.label.clone();
        account.settings = edited.settings.clone();
        let stored = self.store.secrets(&account.id).map_err(storage)?;
        let change = match &stored {
            Some(secrets) => crate::binding::change(&account, secrets)?,
            None => None,
        };
        crate::binding::origins(&account)?; // every endpoint must read
        if let Some(change) = &change
            && !confirmed
        {
            return Err(change.error());
        }
        self.store.upsert_account(&account).map_err(storage)?;
        if let (Some(mut secrets), Some(_)) = (stored, change) {
            crate::binding::bind(&account, &mut secrets)?;
            if let Err(e) = self.store.put_secrets(&account.id, &secrets) {
                let _ = self.store.upsert_account(&before);
                return Err(storage(e));
            }
        }
        Ok(account)
    }

    /// Replaces the account's one secret (client secret, Wazzup partner
    /// password, GREEN-API apiTokenInstance, or a private_key_jwt key),
    /// under the account's lock so that no refresh writes the secrets
    /// meanwhile. Its tokens and the servers its secrets are bound to stay.
    pub fn replace_secret(&self, account: &Account, secret: &crate::secret::DraftSecret) -> Result<(), Error> {
        let secret = secret.secret().trim();
        if secret.is_empty() {
            return Err(Error::InvalidInput("The new secret is empty; nothing changed.".into()));
        }
        let _lock = self.store.lock_account(&account.id).map_err(storage)?;
        let mut secrets = self.secrets(account)?;
        account.settings.provider().replace_secret(&mut secrets, secret)?;
        if secrets.origins.is_empty() {
            crate::binding::bind(account, &mut secrets)?;
        }
        self.store.put_secrets(&account.id, &secrets).map_err(storage)
    }

    /// The public half of the account's private key (a `private_key_jwt`
    /// client's) as a JWK, to register with the server; `None` when the
    /// account keeps no private key.
    pub fn public_key(&self, account: &Account) -> Result<Option<serde_json::Value>, Error> {
        match self.secrets(account)?.private_key {
            Some(key) => Ok(Some(crate::jose::SigningKey::read(&key)?.public_jwk().clone())),
            None => Ok(None),
        }
    }

    /// Makes a new key pair for the account (`latch key --new`): the new
    /// private key replaces the old one in the keyring, under the account's
    /// lock so that no refresh writes the secrets meanwhile. Returns the new
    /// public JWK; the server refuses the account until it has it.
    pub fn new_key(&self, account: &Account) -> Result<serde_json::Value, Error> {
        let key = crate::jose::generate_key()?;
        let jwk = crate::jose::SigningKey::read(&key)?.public_jwk().clone();
        let _lock = self.store.lock_account(&account.id).map_err(storage)?;
        let mut secrets = self.secrets(account)?;
        secrets.private_key = Some(key);
        // A new key changes no server: the origins stay those confirmed.
        if secrets.origins.is_empty() {
            crate::binding::bind(account, &mut secrets)?;
        }
        self.store.put_secrets(&account.id, &secrets).map_err(storage)?;
        Ok(jwk)
    }

    pub fn secrets(&self, account: &Account) -> Result<AccountSecrets, Error> {
        Ok(self.store.secrets(&account.id).map_err(storage)?.unwrap_or_default())
    }

    /// Starts an authorization: the URL for the browser and the pending flow.
    /// `redirect_uri` overrides the account's (a loopback listener's port).
    pub fn start_authorization(
        &self,
        account: &Account,
        redirect_uri: Option<&str>,
    ) -> Result<(url::Url, PendingFlow), Error> {
        let mut account = account.clone();
        if let Some(uri) = redirect_uri {
            account.settings.set_redirect_uri(uri);
        }
        let secrets = self.secrets(&account)?;
        self.engine.start_authorization(&account, &secrets)
    }

    /// Completes an authorization from its callback and stores the tokens.
    pub async fn complete_authorization(
        &self,
        account: &Account,
        pending: PendingFlow,
        callback: CallbackParams,
    ) -> Result<TokenSet, Error> {
        let secrets = self.secrets(account)?;
        let tokens = self.engine.complete(account, &secrets, pending, callback).await?;
        self.keep_new_tokens(account, secrets, tokens)
    }

    /// The password grant: the password is used for this one request.
    pub async fn connect_with_password(
        &self,
        account: &Account,
        username: &str,
        password: Password,
    ) -> Result<TokenSet, Error> {
        let secrets = self.secrets(account)?;
        let tokens = self.engine.password(account, &secrets, username, password).await?;
        self.keep_new_tokens(account, secrets, tokens)
    }

    pub async fn connect_with_client_credentials(&self, account: &Account) -> Result<TokenSet, Error> {
        let secrets = self.secrets(account)?;
        let tokens = self.engine.client_credentials(account, &secrets).await?;
        self.keep_new_tokens(account, secrets, tokens)
    }

    /// Starts the device code sign-in (RFC 8628): the codes to show.
    pub async fn start_device_sign_in(&self, account: &Account) -> Result<crate::flows::DeviceAuthorization, Error> {
        let secrets = self.secrets(account)?;
        self.engine.start_device_authorization(account, &secrets).await
    }

    /// Waits for the person to approve the device code, then keeps the
    /// tokens. `on_wait` hears each interval before Latch waits it out.
    pub async fn finish_device_sign_in(
        &self,
        account: &Account,
        device: &crate::flows::DeviceAuthorization,
        on_wait: impl FnMut(Duration),
    ) -> Result<TokenSet, Error> {
        let secrets = self.secrets(account)?;
        let tokens = self
            .engine
            .poll_device_authorization(account, &secrets, device, on_wait)
            .await?;
        self.keep_new_tokens(account, secrets, tokens)
    }

    /// A token that is valid for at least [`TOKEN_MIN_VALIDITY`], refreshed
    /// first if needed (`latch token`).
    pub async fn valid_token(&self, account: &Account) -> Result<TokenSet, Error> {
        let result = self
            .engine
            .valid_token(account, self.route(account)?.as_ref(), TOKEN_MIN_VALIDITY)
            .await;
        self.record(account, result)
    }

    /// A token that is valid for at least `min_validity`, refreshed first
    /// if needed (`latch token --min-valid`, `latch exec`).
    pub async fn valid_token_for(&self, account: &Account, min_validity: Duration) -> Result<TokenSet, Error> {
        let result = self
            .engine
            .valid_token(account, self.route(account)?.as_ref(), min_validity)
            .await;
        self.record(account, result)
    }

    /// An authenticated request to the account's API (see [`crate::api`]):
    /// the token refreshed first unless it lives `min_validity` longer; on
    /// a 401 one refresh and one retry; a refused refresh or a second 401
    /// turns the account to "needs reconnect" and is that error.
    pub async fn api(&self, account: &Account, request: &ApiRequest) -> Result<ApiResponse, Error> {
        self.api_call(account, request).await.map_err(|e| e.about(account))
    }

    async fn api_call(&self, account: &Account, request: &ApiRequest) -> Result<ApiResponse, Error> {
        let secrets = self.secrets(account)?;
        let provider = account.settings.provider();
        let oauth = provider.grant().is_some();
        let token = match oauth {
            true => Some(provider.credential(&self.valid_token_for(account, request.min_validity).await?)?),
            false => None,
        };
        let (answer, shown_url) = self.engine.api(account, &secrets, token.as_ref(), request).await?;
        if answer.status != 401 {
            return Ok(response(answer, shown_url, false));
        }
        if !oauth {
            return Err(self.needs_reconnect(
                account,
                "it refused the apiTokenInstance (HTTP 401): it was changed or deleted in the GREEN-API console",
            ));
        }
        let renewed = provider.credential(&self.refresh(account).await?)?;
        let (answer, shown_url) = self.engine.api(account, &secrets, Some(&renewed), request).await?;
        if answer.status == 401 {
            return Err(self.needs_reconnect(
                account,
                "it refused the access token with HTTP 401, and again right after a refresh",
            ));
        }
        Ok(response(answer, shown_url, true))
    }

    /// Does the provider take the account's credential? Its test call
    /// ([`crate::providers::Provider::probe_target`]) sent as [`Latch::api`]
    /// sends any request: a 401 is refreshed once and retried once, and a
    /// credential still refused turns the account to "needs reconnect".
    ///
    /// Without a test call, a server with an introspection endpoint is
    /// asked whether the token is active (RFC 7662): an inactive token is
    /// refreshed once and asked about again, and one still inactive turns
    /// the account to "needs reconnect".
    pub async fn check(&self, account: &Account) -> Result<(), Error> {
        let provider = account.settings.provider();
        let Some(target) = provider.probe_target() else {
            if provider.introspects() {
                return self.introspect_or_reconnect(account).await;
            }
            return Err(Error::InvalidInput(format!(
                "Latch knows no test call for this {} account; add one in its settings (`latch edit {} --set probe_url=…`, or `introspection_url=…` where the server has RFC 7662 introspection).",
                provider.name(),
                account.id
            )));
        };
        let request = ApiRequest {
            method: "GET".into(),
            target,
            headers: Vec::new(),
            body: None,
            min_validity: TOKEN_MIN_VALIDITY,
        };
        let answer = self.api(account, &request).await?;
        let content_type = answer
            .headers
            .iter()
            .find(|(n, _)| n == "content-type")
            .map(|(_, v)| v.clone());
        if (200..300).contains(&answer.status) {
            let accepted = crate::http::Answer {
                status: answer.status,
                content_type,
                body: answer.body,
            };
            return match provider.probe_unusable(&accepted) {
                None => Ok(()),
                Some(reason) => Err(self.needs_reconnect_because(account, None, &reason)),
            };
        }
        if answer.status == 429 {
            let retry_after = answer
                .headers
                .iter()
                .find(|(n, _)| n == "retry-after")
                .and_then(|(_, v)| crate::http::parse_retry_after(v, std::time::SystemTime::now()));
            return Err(Error::RateLimited {
                provider: provider.name().to_owned(),
                retry_after,
            });
        }
        Err(provider.probe_refusal(&crate::http::Answer {
            status: answer.status,
            content_type,
            body: answer.body,
        }))
    }

    /// [`Latch::check`] by introspection (the account has an endpoint for it).
    async fn introspect_or_reconnect(&self, account: &Account) -> Result<(), Error> {
        let secrets = &self.secrets(account)?;
        let token = self.valid_token_for(account, TOKEN_MIN_VALIDITY).await?;
        if self.engine.introspect(account, secrets, &token.access_token).await? == Some(true) {
            return Ok(());
        }
        let renewed = self.refresh(account).await?;
        if self.engine.introspect(account, secrets, &renewed.access_token).await? == Some(true) {
            return Ok(());
        }
        Err(self.needs_reconnect(
            account,
            "its introspection endpoint says the access token is not active, and again right after a refresh",
        ))
    }

    /// The variables a program is handed for the account (`latch exec`,
    /// `latch env`): name suffixes and values, the credential first, with
    /// a token valid for `min_validity`.
    pub async fn credential_vars(
        &self,
        account: &Account,
        min_validity: Duration,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let secrets = self.secrets(account)?;
        let provider = account.settings.provider();
        let token = match provider.grant() {
            Some(_) => Some(provider.credential(&self.valid_token_for(account, min_validity).await?)?),
            None => None,
        };
        provider.credential_vars(&secrets, token.as_ref())
    }

    /// Turns the account to "needs reconnect" with `reason` and returns
    /// that error (the row is written first: the window follows the index).
    fn needs_reconnect(&self, account: &Account, reason: &str) -> Error {
        self.needs_reconnect_because(account, Some("401"), reason)
    }

    /// [`Latch::needs_reconnect`], with the provider's code if it gave one.
    fn needs_reconnect_because(&self, account: &Account, code: Option<&str>, reason: &str) -> Error {
        let error = Error::NeedsReconnect {
            provider: provider_name(account).to_owned(),
            code: code.map(str::to_owned),
            reason: reason.to_owned(),
        };
        match self.record(account, Err(error)) {
            Err(e) => e,
            Ok(_) => unreachable!("recording an error returns it"),
        }
    }

    /// Refreshes now.
    pub async fn refresh(&self, account: &Account) -> Result<TokenSet, Error> {
        let result = self.engine.refresh(account, self.route(account)?.as_ref()).await;
        self.record(account, result)
    }

    /// Refreshes many accounts, at most `in_flight` requests at a time, and
    /// records them all in one write of the index (the scheduler's batches:
    /// one index write per refresh would make 10,000 accounts crawl). Each
    /// new token set is in the keyring before the index is written; results
    /// come back in the order of `accounts`.
    pub async fn refresh_many(&self, accounts: &[Account], in_flight: usize) -> Vec<Result<TokenSet, Error>> {
        use futures_util::StreamExt;
        use futures_util::stream::FuturesOrdered;
        // A plain loop rather than `stream::iter(..).map(..).buffered(..)`, whose
        // closure makes the future not `Send` for every lifetime (tokio::spawn).
        let mut results = Vec::with_capacity(accounts.len());
        let routes: Vec<Result<Arc<dyn SecretStore>, Error>> = accounts.iter().map(|a| self.route(a)).collect();
        let mut waiting = accounts.iter().zip(&routes);
        let mut running = FuturesOrdered::new();
        for (account, route) in waiting.by_ref().take(in_flight.max(1)) {
            running.push_back(self.refresh_routed(account, route));
        }
        while let Some(result) = running.next().await {
            results.push(result);
            if let Some((account, route)) = waiting.next() {
                running.push_back(self.refresh_routed(account, route));
            }
        }
        let written = self.store.update_accounts(|index| {
            for (account, result) in accounts.iter().zip(&results) {
                if let Some(current) = index.iter_mut().find(|a| a.id == account.id) {
                    apply(current, result);
                }
            }
        });
        if let Err(e) = written {
            let e = storage(e);
            for result in &mut results {
                if result.is_ok() {
                    *result = Err(e.clone());
                }
            }
        }
        results
    }

    /// Revokes at the provider where it can (the provider's revoke plan:
    /// RFC 7009, GREEN-API's logout, or nothing), then deletes the local
    /// secrets unless the provider said the token is still valid.
    pub async fn revoke(&self, account: &Account) -> Result<RevokeOutcome, Error> {
        let secrets = self.secrets(account)?;
        let outcome = self.engine.revoke(account, &secrets).await?;
        if outcome.delete_locally() {
            self.route(account)?
                .delete(&account.id)
                .map_err(|e| Error::Storage(e.to_string()))?;
            let mut account = self.fresh(account)?;
            account.token = None;
            account.status = AccountStatus::Revoked;
            self.store.upsert_account(&account).map_err(storage)?;
        }
        Ok(outcome)
    }

    /// GREEN-API: the instance's state (getStateInstance).
    pub async fn instance_state(&self, account: &Account) -> Result<InstanceState, Error> {
        let secrets = self.secrets(account)?;
        self.engine.instance_state(account, &secrets).await
    }

    /// GREEN-API: logs the instance out (unlinks its WhatsApp number). A
    /// linked account turns back to "not connected".
    pub async fn logout(&self, account: &Account) -> Result<(), Error> {
        let secrets = self.secrets(account)?;
        self.engine.logout(account, &secrets).await?;
        let mut account = self.fresh(account)?;
        if account.status == AccountStatus::Linked {
            account.status = AccountStatus::NotConnected;
            self.store.upsert_account(&account).map_err(storage)?;
        }
        Ok(())
    }

    /// GREEN-API: asks for a link code for the number as the person typed
    /// it. A number that cannot be right is refused before any request.
    pub async fn request_link_code(&self, account: &Account, phone: &str) -> Result<LinkCode, Error> {
        let phone = PhoneNumber::parse(phone)?;
        let secrets = self.secrets(account)?;
        self.engine.request_link_code(account, &secrets, phone).await
    }

    /// GREEN-API: watches the instance until the code is typed or its
    /// lifetime (`watch.lifetime`, counted from the code's arrival) is over;
    /// once linked, the account is marked so with its number.
    pub async fn wait_until_linked(
        &self,
        account: &Account,
        code: &LinkCode,
        watch: LinkWatch,
    ) -> Result<LinkOutcome, Error> {
        let secrets = self.secrets(account)?;
        let deadline = code.expires_at(watch.lifetime);
        let outcome = self
            .engine
            .wait_until_linked(account, &secrets, deadline, watch.interval)
            .await?;
        if outcome == LinkOutcome::Linked {
            self.mark_linked(account, code.phone)?;
        }
        Ok(outcome)
    }

    /// GREEN-API: records that the instance is linked to `phone`.
    pub fn mark_linked(&self, account: &Account, phone: PhoneNumber) -> Result<Account, Error> {
        let mut account = self.fresh(account)?;
        if let Some(s) = account.settings.green_api_mut() {
            s.phone = Some(phone.to_string());
        }
        account.status = AccountStatus::Linked;
        self.store.upsert_account(&account).map_err(storage)?;
        Ok(account)
    }

    /// Forgets an account: its keyring entry and its row in the index.
    /// Nothing is sent to the provider (that is `revoke`).
    pub fn remove(&self, account: &Account) -> Result<(), Error> {
        self.store.remove_account(&account.id).map_err(storage)?;
        Ok(())
    }

    /// Notes in the hand-out log (`crate::handouts`) that a credential of
    /// `account` is being handed out by `verb`, from this process. Call it
    /// once the credential is in hand and before it leaves. When it fails,
    /// hand the credential out all the same and show the error: the person
    /// asked for their own token, and the sentence says how to fix the log.
    pub fn record_handout(&self, account: &Account, verb: Verb) -> Result<(), Error> {
        self.handout_log().append(&Handout::now(account.id.clone(), verb))
    }

    /// The hand-outs in the log, oldest first: every account's, or one's.
    pub fn handouts(&self, account: Option<&AccountId>) -> Result<Vec<Handout>, Error> {
        let mut all = self.handout_log().read()?;
        if let Some(id) = account {
            all.retain(|h| &h.account == id);
        }
        Ok(all)
    }

    /// The account's latest hand-out, if the log has one.
    pub fn last_handout(&self, account: &AccountId) -> Result<Option<Handout>, Error> {
        Ok(self.handouts(Some(account))?.pop())
    }

    fn handout_log(&self) -> HandoutLog {
        HandoutLog::in_home(self.store.home())
    }

    /// The provider's name for messages.
    pub fn provider_name(account: &Account) -> &str {
        provider_name(account)
    }

    fn keep_new_tokens(
        &self,
        account: &Account,
        mut secrets: AccountSecrets,
        tokens: TokenSet,
    ) -> Result<TokenSet, Error> {
        secrets.tokens = Some(tokens.clone());
        secrets.pending = None;
        self.store.put_secrets(&account.id, &secrets).map_err(storage)?;
        let mut account = self.fresh(account)?;
        account.token = Some(tokens.meta());
        account.status = AccountStatus::Connected;
        self.store.upsert_account(&account).map_err(storage)?;
        Ok(tokens)
    }

    /// After a refresh: the index follows the keyring (expiry), or the
    /// account turns to "needs reconnect".
    fn record(&self, account: &Account, result: Result<TokenSet, Error>) -> Result<TokenSet, Error> {
        let result = result.map_err(|e| e.about(account));
        let mut current = self.fresh(account)?;
        if apply(&mut current, &result) {
            self.store.upsert_account(&current).map_err(storage)?;
        }
        result
    }

    async fn refresh_routed(
        &self,
        account: &Account,
        route: &Result<Arc<dyn SecretStore>, Error>,
    ) -> Result<TokenSet, Error> {
        match route {
            Ok(store) => self.engine.refresh(account, store.as_ref()).await,
            Err(e) => Err(e.clone()),
        }
    }

    /// Where the account's secrets live (the keyring, or its Vault store).
    fn route(&self, account: &Account) -> Result<Arc<dyn SecretStore>, Error> {
        self.store.secrets_for(account).map_err(storage)
    }

    /// The account as the index has it now (another process may have changed it).
    fn fresh(&self, account: &Account) -> Result<Account, Error> {
        Ok(self
            .store
            .account(&account.id)
            .map_err(storage)?
            .unwrap_or_else(|| account.clone()))
    }
}

/// What a refresh's result means for the account's row in the index: the
/// new set's meta, or "needs reconnect". Returns whether the row changed.
fn apply(account: &mut Account, result: &Result<TokenSet, Error>) -> bool {
    match result {
        Ok(tokens) => {
            let meta = Some(tokens.meta());
            let changed = account.token != meta || account.status != AccountStatus::Connected;
            account.token = meta;
            account.status = AccountStatus::Connected;
            changed
        }
        // An account never connected (or revoked) stays so: there was
        // nothing to reconnect.
        Err(Error::NeedsReconnect { .. })
            if matches!(account.status, AccountStatus::NotConnected | AccountStatus::Revoked) =>
        {
            false
        }
        Err(Error::NeedsReconnect { reason, .. }) => {
            account.status = AccountStatus::NeedsReconnect { reason: reason.clone() };
            true
        }
        // Edited settings point elsewhere: a person must confirm, so the
        // list says so (and the scheduler stops trying).
        Err(Error::ServerChanged { from, to }) => {
            account.status = AccountStatus::NeedsReconnect {
                reason: format!(
                    "its server changed from {from} to {to}, so Latch sent nothing; connect it again to confirm the new server"
                ),
            };
            true
        }
        Err(_) => false,
    }
}

/// Creates a shared account's entry, with its settings, only if no machine
/// put one of that id in the store already (check-and-set at version 0).
fn create_shared(
    shared: &dyn crate::store::SharedSecrets,
    account: &Account,
    secrets: AccountSecrets,
) -> Result<(), Error> {
    let entry = crate::store::SharedEntry {
        secrets: Some(secrets),
        account: Some(account.clone()),
        ..Default::default()
    };
    match shared.write_shared(&account.id, &entry, 0) {
        Ok(_) => Ok(()),
        Err(e) if e.is_conflict() => {
            let (store, id) = (account.store.as_deref().unwrap_or_default(), &account.id);
            Err(Error::InvalidInput(format!(
                "The store `{store}` already holds an account `{id}`: another machine shares one of that id. Use \
                 it with `latch store attach {store} {id}`, or give this one another id."
            )))
        }
        Err(e) => Err(e.into()),
    }
}

fn response(answer: crate::http::RawAnswer, shown_url: String, retried: bool) -> ApiResponse {
    ApiResponse {
        status: answer.status,
        headers: answer.headers,
        body: answer.body,
        shown_url,
        retried,
    }
}

fn storage(e: StoreError) -> Error {
    Error::Storage(e.to_string())
}

/// The id of the account whose id or label is nearest to a mistyped
/// `name` (as clap suggests a subcommand: Jaro-Winkler, 0.8 or closer).
fn closest(name: &str, accounts: &[Account]) -> Option<String> {
    let name = name.to_lowercase();
    accounts
        .iter()
        .flat_map(|a| {
            [a.id.as_str().to_owned(), a.label.to_lowercase()]
                .map(|candidate| (strsim::jaro_winkler(&name, &candidate), a.id.to_string()))
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, id)| id)
}
