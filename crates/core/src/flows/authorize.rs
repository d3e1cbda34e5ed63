//! Starting an authorization and completing it from the redirect back
//! (RFC 6749 §4.1, RFC 7636, DESIGN invariant 2).
//!
//! [`Engine::start_authorization`] returns the URL to open and a
//! [`PendingFlow`]: the state, the PKCE verifier, the redirect URI, the
//! account and a deadline. A pending flow is not `Clone`, and
//! [`Engine::complete`] consumes it, so a flow completes at most once;
//! [`PendingFlows`] is the in-memory table the redirect capture looks flows
//! up in by state, removing what it finds.
//!
//! A callback is accepted only if it arrives before the deadline, at the
//! redirect address the flow started with, with exactly the flow's state.
//! A provider's `error` is reported in the provider's words when the state
//! matches or is absent (some servers drop it on errors); a callback with a
//! wrong state is rejected whatever it says.

use super::{Engine, provider_name};
use crate::error::Error;
use crate::model::{Account, AccountId, AccountSecrets, PendingSecrets, ProviderKind, TokenSet, UnixTime};
use crate::pkce;
use crate::providers::{Authorization, GrantRequest};
use crate::secret::{AuthorizationCode, PkceVerifier, State};
use std::sync::Mutex;
use url::Url;

/// An authorization that has started and not finished. Single use.
#[derive(Debug)]
pub struct PendingFlow {
    pub account_id: AccountId,
    pub provider: ProviderKind,
    pub state: State,
    pub verifier: Option<PkceVerifier>,
    pub redirect_uri: String,
    pub deadline: UnixTime,
}

impl PendingFlow {
    /// What is kept in the keyring so that a deep link arriving after a
    /// restart can still complete the flow.
    pub fn to_secrets(&self) -> PendingSecrets {
        PendingSecrets {
            state: self.state.clone(),
            verifier: self.verifier.clone(),
            redirect_uri: self.redirect_uri.clone(),
            deadline: self.deadline,
        }
    }

    pub fn from_secrets(account: &Account, secrets: PendingSecrets) -> Self {
        Self {
            account_id: account.id.clone(),
            provider: account.provider(),
            state: secrets.state.clone(),
            verifier: secrets.verifier.clone(),
            redirect_uri: secrets.redirect_uri.clone(),
            deadline: secrets.deadline,
        }
    }

    pub fn is_expired_at(&self, now: UnixTime) -> bool {
        now > self.deadline
    }
}

/// Pending flows of this process, found by state and removed when found.
#[derive(Default)]
pub struct PendingFlows {
    flows: Mutex<Vec<PendingFlow>>,
}

impl PendingFlows {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a flow; a newer flow for the same account replaces the older.
    pub fn insert(&self, flow: PendingFlow) {
        let mut flows = self.flows.lock().unwrap_or_else(|p| p.into_inner());
        flows.retain(|f| f.account_id != flow.account_id);
        flows.push(flow);
    }

    /// Removes and returns the flow with this state (compared in constant
    /// time). Expired flows are dropped on the way.
    pub fn take(&self, state: &State) -> Result<PendingFlow, Error> {
        let now = crate::time::now();
        let mut flows = self.flows.lock().unwrap_or_else(|p| p.into_inner());
        let position = flows.iter().position(|f| &f.state == state);
        let found = position.map(|i| flows.swap_remove(i));
        flows.retain(|f| !f.is_expired_at(now));
        match found {
            Some(flow) if flow.is_expired_at(now) => Err(expired()),
            Some(flow) => Ok(flow),
            None => Err(Error::CallbackRejected(
                "its state matches no sign-in in progress: it was already used, has expired, or was not started by this Latch"
                    .into(),
            )),
        }
    }

    /// Removes and returns the account's flow, if any (Cancel, or a pasted
    /// bare code, which names no state).
    pub fn take_for_account(&self, account: &AccountId) -> Option<PendingFlow> {
        let mut flows = self.flows.lock().unwrap_or_else(|p| p.into_inner());
        let position = flows.iter().position(|f| &f.account_id == account)?;
        Some(flows.swap_remove(position))
    }

    /// The one way in for every redirect (deep link, loopback, paste): the
    /// callback is read strictly, then the flow its `state` names is taken.
    /// A callback that names no pending flow leaves every flow in place, so
    /// junk or a forgery cannot cancel the real sign-in.
    pub fn accept(&self, callback_url: &str) -> Result<(PendingFlow, CallbackParams), Error> {
        let params = CallbackParams::from_url(callback_url)?;
        let Some(state) = &params.state else {
            return Err(Error::CallbackRejected("it carries no state".into()));
        };
        let flow = self.take(state)?;
        Ok((flow, params))
    }

    pub fn len(&self) -> usize {
        self.flows.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn expired() -> Error {
    Error::CallbackRejected("the sign-in took longer than the 10 minutes allowed".into())
}

/// What came back on the redirect. PayU's `auth_code` is read as `code`, its
/// `merchantId` kept for the token set.
#[derive(Debug, Default)]
pub struct CallbackParams {
    pub code: Option<AuthorizationCode>,
    pub state: Option<State>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// PayU's `merchantId`.
    pub merchant_id: Option<String>,
    /// Scheme, host and path the callback arrived at, when known: it must be
    /// the flow's redirect URI.
    pub redirect_base: Option<String>,
}

impl CallbackParams {
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut params = Self::default();
        for (key, value) in pairs {
            let value: String = value.into();
            match key.as_ref() {
                "code" | "auth_code" if params.code.is_none() => params.code = Some(AuthorizationCode::new(value)),
                "state" => params.state = Some(State::new(value)),
                "error" => params.error = Some(value),
                // Wazzup's error bodies say `description`; a redirect may too.
                "error_description" | "description" if params.error_description.is_none() => {
                    params.error_description = Some(value)
                }
                "merchantId" => params.merchant_id = Some(value),
                _ => {}
            }
        }
        params
    }

    /// Reads a full callback URL (deep link, loopback request, or one the
    /// person pasted). A bare query (`code=…&state=…`) is accepted too.
    ///
    /// This is the one gate every redirect passes, so it is strict: a URL
    /// over [`MAX_CALLBACK_LEN`], a parameter that appears twice (`code`,
    /// `state`, `error`…: which one would be the real one?), or
    /// percent-encoding that does not decode to UTF-8 is refused outright,
    /// never guessed at.
    pub fn from_url(input: &str) -> Result<Self, Error> {
        let input = input.trim();
        if input.len() > MAX_CALLBACK_LEN {
            return Err(Error::CallbackRejected(format!(
                "its address is {} bytes long, more than the {} a real callback needs",
                input.len(),
                MAX_CALLBACK_LEN
            )));
        }
        let (base, query) = match Url::parse(input) {
            Ok(url) => (Some(base_of(&url)), url.query().unwrap_or_default().to_owned()),
            Err(_) => {
                let query = input.strip_prefix('?').unwrap_or(input);
                if !query.contains('=') || query.contains(char::is_whitespace) {
                    return Err(Error::InvalidInput(
                        "That is not a callback URL; paste the whole address the browser showed after you approved access."
                            .into(),
                    ));
                }
                (None, query.to_owned())
            }
        };
        let pairs = strict_query_pairs(&query)?;
        let mut seen = std::collections::HashSet::new();
        for (key, _) in &pairs {
            let key = if key == "auth_code" { "code" } else { key.as_str() };
            if CALLBACK_KEYS.contains(&key) && !seen.insert(key.to_owned()) {
                return Err(Error::CallbackRejected(format!("it carries `{key}` more than once")));
            }
        }
        let mut params = Self::from_pairs(pairs);
        params.redirect_base = base;
        Ok(params)
    }
}

/// The longest callback URL accepted (a real one is a few hundred bytes).
pub const MAX_CALLBACK_LEN: usize = 8 * 1024;

/// The parameters whose repetition makes a callback ambiguous.
const CALLBACK_KEYS: [&str; 5] = ["code", "state", "error", "error_description", "merchantId"];

/// `application/x-www-form-urlencoded` pairs, refusing what does not decode
/// to UTF-8 (the `url` crate would replace it silently).
fn strict_query_pairs(query: &str) -> Result<Vec<(String, String)>, Error> {
    let decode = |raw: &str| -> Result<String, Error> {
        let plus_as_space = raw.replace('+', " ");
        percent_encoding::percent_decode_str(&plus_as_space)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| Error::CallbackRejected("its parameters are not valid UTF-8 once decoded".into()))
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

/// A URL without its query and fragment, for comparing redirect addresses.
fn base_of(url: &Url) -> String {
    let mut base = url.clone();
    base.set_query(None);
    base.set_fragment(None);
    base.as_str().trim_end_matches('/').to_owned()
}

/// Checks, before the browser opens, that the secrets the exchange will
/// need are there — so nobody approves access only to fail afterwards.
fn check_exchange_secrets(account: &Account, secrets: &AccountSecrets) -> Result<(), Error> {
    match account.settings.provider().missing_exchange_secret(secrets) {
        None => Ok(()),
        Some(missing) => Err(Error::InvalidInput(format!(
            "{} needs {missing} to finish connecting; add it in the account settings first.",
            provider_name(account)
        ))),
    }
}

impl Engine {
    /// The URL to open in the browser and the flow waiting for its callback.
    pub fn start_authorization(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
    ) -> Result<(Url, PendingFlow), Error> {
        check_exchange_secrets(account, secrets)?;
        let provider = account.settings.provider();
        let redirect_uri = provider.authorization_redirect()?;
        let state = pkce::new_state()?;
        let Authorization { url, verifier } = provider.authorize(&state)?;
        let flow = PendingFlow {
            account_id: account.id.clone(),
            provider: account.provider(),
            state,
            verifier,
            redirect_uri,
            deadline: crate::time::now() + self.config.pending_ttl.as_secs() as UnixTime,
        };
        Ok((url, flow))
    }

    /// Completes a flow from its callback: validates it, then exchanges the
    /// code. Consumes the flow whatever the outcome.
    pub async fn complete(
        &self,
        account: &Account,
        secrets: &AccountSecrets,
        pending: PendingFlow,
        callback: CallbackParams,
    ) -> Result<TokenSet, Error> {
        if pending.account_id != account.id || pending.provider != account.provider() {
            return Err(Error::CallbackRejected(
                "it belongs to a sign-in for another account".into(),
            ));
        }
        if pending.is_expired_at(crate::time::now()) {
            return Err(expired());
        }
        let state_matches = callback.state.as_ref().map(|s| s == &pending.state);
        if state_matches == Some(false) {
            return Err(Error::CallbackRejected(
                "its state does not match the sign-in that was started".into(),
            ));
        }
        if let Some(base) = &callback.redirect_base {
            let expected = Url::parse(&pending.redirect_uri)
                .map(|u| base_of(&u))
                .unwrap_or_default();
            if base != &expected {
                return Err(Error::CallbackRejected(
                    "it arrived at another redirect address than the one the sign-in started with".into(),
                ));
            }
        }
        if let Some(error) = &callback.error {
            return Err(account
                .settings
                .provider()
                .authorize_error(error, callback.error_description.as_deref()));
        }
        if state_matches.is_none() {
            return Err(Error::CallbackRejected("it carries no state".into()));
        }
        let Some(code) = &callback.code else {
            return Err(Error::CallbackRejected("it carries no authorization code".into()));
        };
        let grant = GrantRequest::AuthorizationCode {
            code,
            redirect_uri: &pending.redirect_uri,
            verifier: pending.verifier.as_ref(),
        };
        let mut tokens = self.run_grant(account, secrets, grant).await?;
        if let Some(merchant_id) = callback.merchant_id {
            tokens.extras.insert("merchantId".into(), merchant_id);
        }
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_are_read_with_payu_names() {
        let p = CallbackParams::from_url("https://abc.in/cb?auth_code=c1&merchantId=m9&state=s").unwrap();
        assert_eq!(p.code.unwrap().secret(), "c1");
        assert_eq!(p.merchant_id.as_deref(), Some("m9"));
        assert_eq!(p.redirect_base.as_deref(), Some("https://abc.in/cb"));
        let p = CallbackParams::from_url("?code=c2&state=s%2B").unwrap();
        assert_eq!(p.state.unwrap().secret(), "s+");
        assert!(CallbackParams::from_url("hello world").is_err());
    }

    #[test]
    fn a_pending_flow_is_taken_once() {
        let flows = PendingFlows::new();
        let flow = PendingFlow {
            account_id: AccountId::parse("a").unwrap(),
            provider: ProviderKind::Oauth2,
            state: State::new("s1"),
            verifier: None,
            redirect_uri: "http://127.0.0.1/cb".into(),
            deadline: crate::time::now() + 600,
        };
        flows.insert(flow);
        assert!(flows.take(&State::new("s2")).is_err());
        assert!(flows.take(&State::new("s1")).is_ok());
        let again = flows.take(&State::new("s1")).unwrap_err();
        assert!(again.to_string().contains("already used"), "{again}");
    }
}
