//! Starting an authorization and completing it from the redirect back
//! (RFC 6749 §4.1, RFC 7636, RFC 9207, DESIGN invariant 2).
//!
//! [`Engine::start_authorization`] returns the URL to open and a
//! [`PendingFlow`]: the state, the PKCE verifier, the redirect URI, the
//! issuer to expect, the account and a deadline. A pending flow is not
//! `Clone`, and [`Engine::complete`] consumes it, so a flow completes at most
//! once; [`PendingFlows`] is the in-memory table the redirect capture looks
//! flows up in by state, removing what it finds.
//!
//! A callback is accepted only if it arrives before the deadline, at the
//! redirect address the flow started with, with exactly the flow's state,
//! and naming the flow's server when it names one (`iss`). The address and
//! `iss` checks are the defence against a mix-up (RFC 9700 §4.4): a hostile
//! server that sends the browser on to an honest one, hoping the honest
//! server's code comes back under the hostile flow's state. The honest
//! server redirects to its own account's address (each account has one,
//! `…/callback/<account id>`) and names itself in `iss`; either gives the
//! bounce away. Both are checked before the flow is taken, so a refused
//! callback cancels nothing.
//!
//! A provider's `error` is reported in the provider's words when the state
//! matches or is absent (some servers drop it on errors); a callback with a
//! wrong state is rejected whatever it says.

use super::{Engine, provider_name};
use crate::error::Error;
use crate::model::{Account, AccountId, AccountSecrets, IssuerCheck, PendingSecrets, ProviderKind, TokenSet, UnixTime};
use crate::pkce;
use crate::providers::{Authorization, GrantRequest};
use crate::secret::{AuthorizationCode, Nonce, PkceVerifier, State};
use std::sync::Mutex;
use url::Url;

/// An authorization that has started and not finished. Single use.
#[derive(Debug)]
pub struct PendingFlow {
    pub account_id: AccountId,
    pub provider: ProviderKind,
    pub state: State,
    pub verifier: Option<PkceVerifier>,
    /// The OpenID Connect nonce the request sent, which the id_token must carry.
    pub nonce: Option<Nonce>,
    pub redirect_uri: String,
    pub deadline: UnixTime,
    /// What the response's `iss` must say.
    pub iss: IssuerCheck,
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
            iss: self.iss.clone(),
            nonce: self.nonce.clone(),
        }
    }

    pub fn from_secrets(account: &Account, secrets: PendingSecrets) -> Self {
        Self {
            account_id: account.id.clone(),
            provider: account.provider(),
            state: secrets.state.clone(),
            verifier: secrets.verifier.clone(),
            nonce: secrets.nonce.clone(),
            redirect_uri: secrets.redirect_uri.clone(),
            deadline: secrets.deadline,
            iss: secrets.iss.clone(),
        }
    }

    pub fn is_expired_at(&self, now: UnixTime) -> bool {
        now > self.deadline
    }
}

/// A callback the gate turned down. `account` is the account whose sign-in
/// its state named, when it named one: only then is the refusal news for a
/// sign-in. A callback that names none is junk, a replay or a forgery, and
/// must not speak for any sign-in (a connect dialog does not show it).
#[derive(Debug)]
pub struct Rejected {
    pub account: Option<AccountId>,
    pub error: Error,
}

impl Rejected {
    fn unnamed(error: Error) -> Self {
        Self { account: None, error }
    }
}

impl From<Rejected> for Error {
    fn from(rejected: Rejected) -> Self {
        rejected.error
    }
}

/// Pending flows of this process, found by state and removed when found.
#[derive(Default)]
pub struct PendingFlows {
    table: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    flows: Vec<PendingFlow>,
    kept: Kept,
}

/// Whether the flows kept in the keyring have been read into the table
/// ([`PendingFlows::read_kept_once`]). Until they are, the table remembers
/// the states it handed out, so that reading them cannot bring back a flow
/// that was used in the meantime (its keyring copy may not be gone yet).
enum Kept {
    Unread { taken: Vec<State> },
    Read,
}

impl Default for Kept {
    fn default() -> Self {
        Self::Unread { taken: Vec::new() }
    }
}

impl Table {
    fn remove(&mut self, index: usize) -> PendingFlow {
        let flow = self.flows.swap_remove(index);
        if let Kept::Unread { taken } = &mut self.kept {
            taken.push(flow.state.clone());
        }
        flow
    }
}

impl PendingFlows {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds a flow; a newer flow for the same account replaces the older.
    pub fn insert(&self, flow: PendingFlow) {
        let mut table = self.lock();
        table.flows.retain(|f| f.account_id != flow.account_id);
        table.flows.push(flow);
    }

    /// Removes and returns the flow with this state (compared in constant
    /// time). Expired flows are dropped on the way.
    pub fn take(&self, state: &State) -> Result<PendingFlow, Error> {
        self.take_checked(state, |_| Ok(())).map_err(Error::from)
    }

    /// [`PendingFlows::take`], when `check` passes the flow; a flow that
    /// fails it stays where it is.
    fn take_checked(
        &self,
        state: &State,
        check: impl FnOnce(&PendingFlow) -> Result<(), Error>,
    ) -> Result<PendingFlow, Rejected> {
        let now = crate::time::now();
        let mut table = self.lock();
        let position = table.flows.iter().position(|f| &f.state == state);
        let outcome = match position {
            None => Err(Rejected::unnamed(Error::CallbackRejected(
                "its state matches no sign-in in progress: it was already used, has expired, or was not started by this Latch"
                    .into(),
            ))),
            Some(i) if table.flows[i].is_expired_at(now) => {
                let flow = table.remove(i);
                Err(Rejected {
                    account: Some(flow.account_id),
                    error: expired(),
                })
            }
            Some(i) => match check(&table.flows[i]) {
                Ok(()) => Ok(table.remove(i)),
                Err(error) => Err(Rejected {
                    account: Some(table.flows[i].account_id.clone()),
                    error,
                }),
            },
        };
        table.flows.retain(|f| !f.is_expired_at(now));
        outcome
    }

    /// When the account's sign-in in progress runs out (Unix seconds), and
    /// the `state` it was started with; `None` when it has none (or it ran
    /// out already).
    pub fn waiting(&self, account: &AccountId) -> Option<(UnixTime, State)> {
        let now = crate::time::now();
        let table = self.lock();
        let flow = table
            .flows
            .iter()
            .find(|f| &f.account_id == account && !f.is_expired_at(now))?;
        Some((flow.deadline, flow.state.clone()))
    }

    /// Removes and returns the account's flow, if any (Cancel, or a pasted
    /// bare code, which names no state).
    pub fn take_for_account(&self, account: &AccountId) -> Option<PendingFlow> {
        let mut table = self.lock();
        let position = table.flows.iter().position(|f| &f.account_id == account)?;
        Some(table.remove(position))
    }

    /// Adds the flows `read` finds (those kept in the keyring), the first
    /// time it is called; later calls read nothing. A flow this table handed
    /// out already, or one for an account that has a newer flow here, is not
    /// added. The table is locked while `read` runs, so no flow is taken
    /// half-way through.
    pub fn read_kept_once(&self, read: impl FnOnce() -> Vec<PendingFlow>) {
        let mut table = self.lock();
        let Kept::Unread { taken } = std::mem::replace(&mut table.kept, Kept::Read) else {
            return;
        };
        for flow in read() {
            let used = taken.contains(&flow.state);
            let newer = table.flows.iter().any(|f| f.account_id == flow.account_id);
            if !used && !newer {
                table.flows.push(flow);
            }
        }
    }

    /// The one way in for every redirect (deep link, loopback, paste): the
    /// callback is read strictly, then the flow its `state` names is taken.
    /// A callback that names no pending flow leaves every flow in place, so
    /// junk or a forgery cannot cancel the real sign-in.
    pub fn accept(&self, callback_url: &str) -> Result<(PendingFlow, CallbackParams), Error> {
        self.accept_naming(callback_url).map_err(Error::from)
    }

    /// [`PendingFlows::accept`], saying which account's sign-in a refused
    /// callback named, if any. A callback whose state names a flow but that
    /// arrived at another address, or from another server (`iss`), leaves
    /// that flow in place too.
    pub fn accept_naming(&self, callback_url: &str) -> Result<(PendingFlow, CallbackParams), Rejected> {
        let params = CallbackParams::from_url(callback_url).map_err(Rejected::unnamed)?;
        let Some(state) = &params.state else {
            return Err(Rejected::unnamed(Error::CallbackRejected("it carries no state".into())));
        };
        let flow = self.take_checked(state, |flow| {
            check_address(flow, &params)?;
            check_issuer(&flow.iss, params.issuer.as_deref())
        })?;
        Ok((flow, params))
    }

    pub fn len(&self) -> usize {
        self.lock().flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An issuer as a message may show it: the callback's `iss` is whatever the
/// browser was sent with, so it is cut short and kept to one plain line.
fn quoted(issuer: &str) -> String {
    let mut shown: String = issuer.chars().filter(|c| !c.is_control()).take(100).collect();
    if issuer.chars().count() > 100 {
        shown.push('…');
    }
    shown
}

fn expired() -> Error {
    Error::CallbackRejected("the sign-in took longer than the 10 minutes allowed".into())
}

/// The callback came back to the address its flow started with. When it
/// came to another account's address (`…/callback/<id>`), the refusal says
/// so: that is the mark of a mix-up. (It names the flow's account, not the
/// one in the address: a refusal never repeats what a callback said.)
fn check_address(flow: &PendingFlow, params: &CallbackParams) -> Result<(), Error> {
    let Some(base) = &params.redirect_base else {
        return Ok(());
    };
    if base == &redirect_base(&flow.redirect_uri) {
        return Ok(());
    }
    let named = Url::parse(base).ok().and_then(|url| account_named_by(&url));
    Err(Error::CallbackRejected(match named {
        Some(other) if other != flow.account_id => format!(
            "it arrived at another account's redirect address, but its state belongs to the sign-in of `{}`: \
             another server may have sent your browser on to the wrong one",
            flow.account_id
        ),
        _ => "it arrived at another redirect address than the one the sign-in started with".into(),
    }))
}

/// The account a redirect address is for: Latch's per-account addresses end
/// in `/callback/<account id>` (`app.latch.desktop:/oauth/callback/<id>`,
/// `http://127.0.0.1:PORT/callback/<id>`).
pub fn account_named_by(url: &Url) -> Option<AccountId> {
    let mut segments = url.path_segments()?.rev();
    let last = segments.next()?;
    if segments.next()? != "callback" {
        return None;
    }
    AccountId::parse(last)
}

/// The response's `iss` against the issuer the flow's account records
/// (RFC 9207 §2.4: the same string, or the response is refused).
///
/// An `iss` when the account records no issuer is refused too. A server
/// that sends `iss` supports RFC 9207 and publishes its issuer, so the
/// person can record it once; letting an `iss` through unchecked would let
/// the one answer that names a server other than the one meant pass
/// exactly when nobody wrote down which server was meant. Guessing the
/// issuer instead (from the authorization endpoint's origin, say) would be
/// wrong for servers whose issuer is not their endpoints' host, and a guess
/// nobody can see is worse than a question the person answers once.
fn check_issuer(check: &IssuerCheck, iss: Option<&str>) -> Result<(), Error> {
    let IssuerCheck::Checked { issuer, required } = check else {
        return Ok(());
    };
    let refused = |reason: String| Err(Error::CallbackRejected(reason));
    match (iss.map(quoted).as_deref(), issuer.as_deref().map(quoted).as_deref()) {
        (Some(_), Some(_)) if iss == issuer.as_deref() => Ok(()), // the strings, not what is shown of them
        (Some(iss), Some(issuer)) => refused(format!(
            "it was answered by the server `{iss}`, not by this account's issuer `{issuer}`: another server may have \
             sent your browser on to the wrong one"
        )),
        (Some(iss), None) => refused(format!(
            "it was answered by the server `{iss}`, and this account records no issuer to check that against; if \
             `{iss}` is this account's server, enter it as the account's issuer"
        )),
        (None, _) if *required => refused(
            "it does not say which server answered (no `iss`), and this account's server always says so: the \
             answer may come from another server"
                .into(),
        ),
        (None, _) => Ok(()),
    }
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
    /// The server that answered (RFC 9207 `iss`).
    pub issuer: Option<String>,
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
                "iss" => params.issuer = Some(value),
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
const CALLBACK_KEYS: [&str; 6] = ["code", "state", "error", "error_description", "merchantId", "iss"];

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

/// A redirect URI without its query and fragment (empty if it is no URL).
fn redirect_base(redirect_uri: &str) -> String {
    Url::parse(redirect_uri).map(|u| base_of(&u)).unwrap_or_default()
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
        let Authorization { url, verifier, nonce } = provider.authorize(&state)?;
        let flow = PendingFlow {
            account_id: account.id.clone(),
            provider: account.provider(),
            state,
            verifier,
            nonce,
            redirect_uri,
            deadline: crate::time::now() + self.config.pending_ttl.as_secs() as UnixTime,
            iss: provider.issuer_check(),
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
        if let Some(base) = &callback.redirect_base
            && base != &redirect_base(&pending.redirect_uri)
        {
            return Err(Error::CallbackRejected(
                "it arrived at another redirect address than the one the sign-in started with".into(),
            ));
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
        let mut tokens = self
            .run_grant_with(account, secrets, grant, pending.nonce.as_ref())
            .await?;
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
            nonce: None,
            redirect_uri: "http://127.0.0.1/cb".into(),
            deadline: crate::time::now() + 600,
            iss: IssuerCheck::NotChecked,
        };
        flows.insert(flow);
        assert!(flows.take(&State::new("s2")).is_err());
        assert!(flows.take(&State::new("s1")).is_ok());
        let again = flows.take(&State::new("s1")).unwrap_err();
        assert!(again.to_string().contains("already used"), "{again}");
    }

    #[test]
    fn an_iss_is_quoted_short_and_on_one_line() {
        let check = IssuerCheck::Checked {
            issuer: Some("https://as.example".into()),
            required: false,
        };
        let iss = format!("https://evil.example/\n{}", "x".repeat(5000));
        let message = check_issuer(&check, Some(&iss)).unwrap_err().to_string();
        assert!(!message.chars().any(char::is_control), "{message}");
        assert!(message.chars().count() < 400, "{message}");
        assert!(message.contains("`https://evil.example/xxx"), "{message}");
        assert!(
            message.contains("…`, not by this account's issuer `https://as.example`"),
            "{message}"
        );
        assert!(check_issuer(&check, Some("https://as.example")).is_ok());
        assert!(
            check_issuer(&IssuerCheck::NotChecked, Some(&iss)).is_ok(),
            "not read where nothing is recorded"
        );
    }

    fn flow(account: &str, state: &str) -> PendingFlow {
        PendingFlow {
            account_id: AccountId::parse(account).unwrap(),
            provider: ProviderKind::Oauth2,
            state: State::new(state),
            verifier: None,
            nonce: None,
            redirect_uri: format!("app.latch.desktop:/oauth/callback/{account}"),
            deadline: crate::time::now() + 600,
            iss: IssuerCheck::NotChecked,
        }
    }

    /// The 10 minutes include their last second: a callback at the deadline
    /// completes, one a second later is refused (the sign-in page is swept on
    /// the same rule, `redirect::page::sweep`).
    #[test]
    fn a_flow_is_good_at_its_deadline_and_expired_a_second_later() {
        let mut flow = flow("a", "s1");
        flow.deadline = 1_700_000_000;
        assert!(!flow.is_expired_at(1_700_000_000 - 1));
        assert!(!flow.is_expired_at(1_700_000_000), "expired at its deadline");
        assert!(flow.is_expired_at(1_700_000_000 + 1), "good past its deadline");
    }

    /// Connect pressed again replaces that account's sign-in; another
    /// account's sign-in, started meanwhile, goes on waiting.
    #[test]
    fn a_newer_sign_in_replaces_its_own_accounts_and_leaves_the_others() {
        let flows = PendingFlows::new();
        flows.insert(flow("a", "a-first"));
        flows.insert(flow("b", "b-only"));
        flows.insert(flow("a", "a-again"));
        assert_eq!(flows.len(), 2);
        let e = flows.take(&State::new("a-first")).unwrap_err();
        assert!(e.to_string().contains("matches no sign-in"), "{e}");
        assert_eq!(flows.take(&State::new("b-only")).unwrap().account_id.as_str(), "b");
        assert_eq!(flows.take(&State::new("a-again")).unwrap().account_id.as_str(), "a");
    }

    /// The tests that say "the flow was used up" ask `is_empty`: it must say
    /// no while a flow waits.
    #[test]
    fn the_table_is_empty_only_while_no_sign_in_waits() {
        let flows = PendingFlows::new();
        assert!(flows.is_empty());
        flows.insert(flow("a", "s1"));
        assert!(!flows.is_empty(), "a waiting sign-in is not an empty table");
        flows.take(&State::new("s1")).unwrap();
        assert!(flows.is_empty());
    }

    /// A deep link the running window cannot answer makes it read the flows
    /// kept in the keyring, once. A kept flow whose state this run already
    /// used (its keyring copy not gone yet), or whose account started a
    /// newer sign-in here, must not come back: its callback would redeem a
    /// used code or revive a replaced sign-in. Another account's kept flow
    /// is read in.
    #[test]
    fn kept_flows_are_read_once_and_never_bring_back_a_used_or_replaced_sign_in() {
        let flows = PendingFlows::new();
        flows.insert(flow("used", "used-state"));
        flows.take(&State::new("used-state")).unwrap();
        flows.insert(flow("replaced", "replaced-newer"));
        let mut reads = 0;
        flows.read_kept_once(|| {
            reads += 1;
            vec![
                flow("used", "used-state"),
                flow("replaced", "replaced-older"),
                flow("kept", "kept-state"),
            ]
        });
        flows.read_kept_once(|| {
            reads += 1;
            vec![flow("late", "late-state")]
        });
        assert_eq!(reads, 1, "the keyring is read once a run");
        for gone in ["used-state", "replaced-older", "late-state"] {
            let e = flows.take(&State::new(gone)).unwrap_err();
            assert!(e.to_string().contains("matches no sign-in"), "{gone}: {e}");
        }
        assert_eq!(
            flows.take(&State::new("kept-state")).unwrap().account_id.as_str(),
            "kept"
        );
        assert_eq!(
            flows.take(&State::new("replaced-newer")).unwrap().account_id.as_str(),
            "replaced"
        );
        assert!(flows.is_empty());
    }

    /// An `iss` of up to 100 characters is shown whole; only a longer one
    /// is cut, and only then does the message say so with `…`.
    #[test]
    fn an_iss_of_100_characters_is_shown_whole_and_one_more_is_cut() {
        let check = IssuerCheck::Checked {
            issuer: Some("https://as.example".into()),
            required: false,
        };
        let exactly = format!(
            "https://evil.example/{}",
            "x".repeat(100 - "https://evil.example/".len())
        );
        assert_eq!(exactly.chars().count(), 100);
        let message = check_issuer(&check, Some(&exactly)).unwrap_err().to_string();
        assert!(message.contains(&format!("`{exactly}`, not by")), "{message}");
        assert!(!message.contains('…'), "{message}");
        let longer = format!("{exactly}y");
        let message = check_issuer(&check, Some(&longer)).unwrap_err().to_string();
        assert!(message.contains(&format!("`{exactly}…`, not by")), "{message}");
    }

    /// A callback at another address of the flow's own account (an old
    /// loopback port, say, for a deep-link sign-in) is refused as at the
    /// wrong address, not reported as a mix-up with another account.
    #[test]
    fn a_callback_at_another_address_of_its_own_account_is_not_called_a_mix_up() {
        let flows = PendingFlows::new();
        flows.insert(flow("a", "s1"));
        let rejected = flows
            .accept_naming("http://127.0.0.1:8976/callback/a?code=c&state=s1")
            .unwrap_err();
        assert_eq!(rejected.account.as_ref().map(AccountId::as_str), Some("a"));
        assert_eq!(
            rejected.error.to_string(),
            "Latch rejected the sign-in callback (it arrived at another redirect address than the one the sign-in \
             started with); start connecting the account again."
        );
        assert_eq!(flows.len(), 1, "the refused callback cancelled nothing");
    }

    /// `from_url` refuses a repeated `code` (or `code` with `auth_code`)
    /// before it gets here; a caller of `from_pairs` itself gets the first
    /// code, never one a later pair put in its place.
    #[test]
    fn from_pairs_keeps_the_first_code() {
        let p = CallbackParams::from_pairs([("auth_code", "first"), ("code", "second"), ("code", "third")]);
        assert_eq!(p.code.unwrap().secret(), "first");
    }

    /// A real callback is a few hundred bytes; 8 KiB is accepted whole and
    /// a byte more is refused (the surrounding whitespace a paste brings
    /// does not count).
    #[test]
    fn a_callback_of_exactly_8_kib_is_read_and_one_byte_more_is_refused() {
        let head = "https://partner.example/cb?code=c&state=s1&pad=";
        let exactly = format!("{head}{}", "x".repeat(MAX_CALLBACK_LEN - head.len()));
        assert_eq!(exactly.len(), MAX_CALLBACK_LEN);
        let p = CallbackParams::from_url(&format!("  {exactly}\n")).unwrap();
        assert_eq!(p.code.unwrap().secret(), "c");
        assert_eq!(p.state.unwrap().secret(), "s1");
        let e = CallbackParams::from_url(&format!("{exactly}x")).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::CallbackRejected);
        assert!(
            e.to_string()
                .contains("its address is 8193 bytes long, more than the 8192"),
            "{e}"
        );
    }

    /// Pasted text that is not a URL is read as a bare query only when it
    /// looks like one: it has a `=` and no whitespace. A code copied without
    /// its name, or two lines pasted together, are told to paste the whole
    /// address, not read as a callback that lacks its state.
    #[test]
    fn pasted_text_is_a_query_only_with_an_equals_sign_and_no_whitespace() {
        for pasted in ["4/0AbC-dEf?x", "code=c1 state=s1", "code=c1&state=s1\tpad=1"] {
            let e = CallbackParams::from_url(pasted).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{pasted}: {e}");
            assert!(e.to_string().contains("not a callback URL"), "{pasted}: {e}");
        }
        let p = CallbackParams::from_url("code=c1&state=s1").unwrap();
        assert_eq!(p.state.unwrap().secret(), "s1");
    }

    /// A sign-in waits the engine's `pending_ttl` from the moment it starts.
    #[test]
    fn a_sign_in_waits_the_engines_pending_ttl_from_its_start() {
        let draft = crate::providers::AccountDraft {
            provider: ProviderKind::Oauth2,
            values: [
                ("label", "A"),
                ("token_url", "https://partner.example/token"),
                ("authorize_url", "https://partner.example/authorize"),
                ("client_id", "c"),
                ("redirect_uri", "https://partner.example/cb"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            secret: None,
        };
        let (account, secrets) = draft.build(AccountId::parse("a").unwrap(), 0).unwrap();
        let engine = Engine::new(crate::EngineConfig {
            pending_ttl: std::time::Duration::from_secs(90),
            ..Default::default()
        })
        .unwrap();
        let before = crate::time::now();
        let (_, flow) = engine.start_authorization(&account, &secrets).unwrap();
        let after = crate::time::now();
        assert!(
            (before + 90..=after + 90).contains(&flow.deadline),
            "the deadline {} is not 90 s after the start ({before}..={after})",
            flow.deadline
        );
    }

    /// RFC 9207 §2.4 compares the `iss` with the recorded issuer as strings.
    /// What a message shows of them is cut at 100 characters and loses its
    /// control characters; two issuers that differ only past the cut, or by
    /// a control character, are still two servers.
    #[test]
    fn an_iss_that_differs_only_where_the_message_cannot_show_it_is_refused() {
        let recorded = format!("https://as.example/tenants/{}", "a".repeat(100));
        let check = IssuerCheck::Checked {
            issuer: Some(recorded.clone()),
            required: true,
        };
        assert!(check_issuer(&check, Some(&recorded)).is_ok());
        let past_the_cut = format!("https://as.example/tenants/{}b", "a".repeat(99));
        let with_a_bell = format!("https://as.example/tenants/\u{7}{}", "a".repeat(100));
        for iss in [past_the_cut, with_a_bell] {
            let e = check_issuer(&check, Some(&iss)).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::CallbackRejected, "{iss:?}: {e}");
            assert!(e.to_string().contains("not by this account's issuer"), "{iss:?}: {e}");
        }
    }
}
