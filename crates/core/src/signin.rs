//! A browser sign-in as both front ends run it: how the redirect comes back
//! for an account, the loopback listener wired to the one gate, the pasted
//! address or bare code, and the pending flow kept in the keyring so that a
//! deep link arriving after a restart still completes it.
//!
//! The window and `latch connect` differ only in what they show and where
//! the outcome goes; every decision here was made once for both.

use crate::Latch;
use crate::error::Error;
use crate::flows::{CallbackParams, PendingFlow, PendingFlows, Rejected};
use crate::model::{Account, AccountId, TokenSet};
use crate::redirect::loopback::{LoopbackError, LoopbackListener, LoopbackRedirect, Verdict};
use crate::secret::AuthorizationCode;
use std::future::Future;
use std::time::Duration;
use url::Url;

/// The desktop app's URL scheme (its identifier, RFC 8252 §7.1).
pub const SCHEME: &str = "app.latch.desktop";

/// How the browser comes back from the provider for an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Return {
    /// `http://127.0.0.1[:port]/path`: Latch listens there.
    Loopback(LoopbackRedirect),
    /// `app.latch.desktop:…`: the desktop opens the window with the address.
    DeepLink,
    /// Anything else (the partner's website): the person pastes the address
    /// the browser landed on, or the code.
    Paste,
}

impl Return {
    /// The way back of an account's redirect URI; an error for a loopback
    /// form Latch will not serve (`localhost`, `[::1]`).
    pub fn of(account: &Account) -> Result<Self, Error> {
        let redirect = account.settings.redirect_uri().unwrap_or_default();
        match LoopbackRedirect::parse(redirect).map_err(|e| Error::InvalidInput(capitalized(&e)))? {
            Some(loopback) => Ok(Self::Loopback(loopback)),
            None if redirect.starts_with(&format!("{SCHEME}:")) => Ok(Self::DeepLink),
            None => Ok(Self::Paste),
        }
    }
}

/// What starting this account's sign-in without PKCE risks, when it has
/// PKCE off (an Other OAuth 2.0 account can): said as the sign-in starts.
pub fn without_pkce(account: &Account) -> Option<String> {
    (!account.settings.provider().uses_pkce()).then(|| {
        format!(
            "PKCE is off for {}: whoever sees the authorization code on its way back (another program on this \
             computer, a browser extension, a log) can exchange it for the account's tokens. Turn PKCE off only for \
             a server that refuses it.",
            account.id
        )
    })
}

fn capitalized(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// A started sign-in whose redirect comes back to a loopback listener.
pub struct LoopbackSignIn {
    listener: LoopbackListener,
    /// The page to open in the browser.
    pub url: Url,
}

impl LoopbackSignIn {
    /// Serves the listener until the flow's callback arrives through the
    /// one gate ([`PendingFlows::accept`]), `timeout` passes, or `cancel`
    /// completes. Requests the gate rejects get an error page and the
    /// listener keeps waiting.
    pub async fn callback(
        self,
        flows: &PendingFlows,
        timeout: Duration,
        cancel: impl Future<Output = ()>,
    ) -> Result<(PendingFlow, CallbackParams), Error> {
        let judge = |callback: &str| match flows.accept(callback) {
            Ok(accepted) => Verdict::<_, std::convert::Infallible>::Accept(accepted),
            Err(e) => Verdict::Reject(e.to_string()),
        };
        self.listener.serve(timeout, cancel, judge).await.map_err(|e| match e {
            LoopbackError::Failed(never) => match never {},
            LoopbackError::TimedOut(waited) => Error::CallbackRejected(format!(
                "no answer came back from the browser within {} seconds",
                waited.as_secs()
            )),
            LoopbackError::Cancelled => Error::CallbackRejected("the sign-in was cancelled".into()),
            LoopbackError::Io(e) => Error::InvalidInput(format!(
                "The loopback listener on 127.0.0.1 failed ({e}); connect the account again."
            )),
        })
    }
}

impl Latch {
    /// Binds the loopback listener of `redirect`, starts the authorization
    /// with the listener's actual address, and puts the flow in `flows`.
    pub async fn start_loopback_sign_in(
        &self,
        account: &Account,
        redirect: &LoopbackRedirect,
        flows: &PendingFlows,
    ) -> Result<LoopbackSignIn, Error> {
        let listener = LoopbackListener::bind(redirect)
            .await
            .map_err(|e| {
                Error::InvalidInput(format!(
                    "Latch cannot listen on 127.0.0.1:{} for the redirect ({e}); close what uses that port or register another.",
                    redirect.port.unwrap_or(0)
                ))
            })?
            .for_provider(crate::flows::provider_name(account));
        let (url, flow) = self.start_authorization(account, Some(&listener.redirect_uri()))?;
        flows.insert(flow);
        Ok(LoopbackSignIn { listener, url })
    }

    /// Starts an authorization whose redirect comes back as a deep link or a
    /// pasted address: the flow goes to `flows` and to the account's keyring
    /// entry, where a later start of Latch finds it ([`Latch::kept_flows`]).
    pub fn start_kept_sign_in(&self, account: &Account, flows: &PendingFlows) -> Result<Url, Error> {
        let (url, flow) = self.start_authorization(account, None)?;
        let mut secrets = self.secrets(account)?;
        secrets.pending = Some(flow.to_secrets());
        self.store()
            .put_secrets(&account.id, &secrets)
            .map_err(|e| Error::Storage(e.to_string()))?;
        flows.insert(flow);
        Ok(url)
    }

    /// The flows kept in the keyring that are still before their deadline.
    pub fn kept_flows(&self) -> Vec<PendingFlow> {
        let now = crate::time::now();
        let mut kept = Vec::new();
        for account in self.accounts().unwrap_or_default() {
            let Ok(Some(secrets)) = self.store().secrets(&account.id) else {
                continue;
            };
            if let Some(pending) = secrets.pending.filter(|p| p.deadline >= now) {
                kept.push(PendingFlow::from_secrets(&account, pending));
            }
        }
        kept
    }

    /// Drops the flow kept in the keyring for a later start (done or cancelled).
    pub fn forget_kept_flow(&self, account: &Account) {
        if let Ok(Some(mut secrets)) = self.store().secrets(&account.id)
            && secrets.pending.take().is_some()
        {
            let _ = self.store().put_secrets(&account.id, &secrets);
        }
    }

    /// A callback delivered by deep link, from its arrival to the stored
    /// token set: the gate, then the exchange.
    ///
    /// The flow may be in memory (this run started it) or only in the
    /// keyring (the link started this Latch): the kept flows are read into
    /// `flows` once in a run, at the first link memory cannot answer
    /// ([`PendingFlows::read_kept_once`]) — never every account's entry per
    /// link, which a stream of forged links could ask for. The flow found is
    /// consumed, in memory and in the keyring, before its code is sent: a
    /// link delivered twice finds nothing the second time, and if the
    /// exchange then fails the person starts again, as with any used code.
    pub async fn complete_deep_link(&self, flows: &PendingFlows, url: &str) -> Result<(Account, TokenSet), Refused> {
        let (flow, params) = self.accept_deep_link(flows, url)?;
        let account = self.find(flow.account_id.as_str()).map_err(|error| Refused {
            account: Some(flow.account_id.clone()),
            error,
        })?;
        self.forget_kept_flow(&account);
        match self.complete_authorization(&account, flow, params).await {
            Ok(tokens) => Ok((account, tokens)),
            Err(error) => Err(Refused {
                account: Some(account.id),
                error,
            }),
        }
    }

    fn accept_deep_link(&self, flows: &PendingFlows, url: &str) -> Result<(PendingFlow, CallbackParams), Refused> {
        match flows.accept_naming(url) {
            Err(Rejected { account: None, .. }) => {
                flows.read_kept_once(|| self.kept_flows());
                Ok(flows.accept_naming(url)?)
            }
            accepted => Ok(accepted?),
        }
    }
}

/// A sign-in that did not complete, and the account it was for when the
/// callback named one (see [`Rejected`]).
#[derive(Debug)]
pub struct Refused {
    pub account: Option<AccountId>,
    pub error: Error,
}

impl From<Rejected> for Refused {
    fn from(rejected: Rejected) -> Self {
        Self {
            account: rejected.account,
            error: rejected.error,
        }
    }
}

/// What a person pasted after signing in: the address the browser landed on
/// (through the one gate), or just the code. A bare code carries no `state`;
/// the person copied it from the sign-in they started for this account,
/// which is what the state would prove, so it is taken as that flow's.
pub fn accept_pasted(
    flows: &PendingFlows,
    account: &Account,
    pasted: &str,
) -> Result<(PendingFlow, CallbackParams), Error> {
    let pasted = normalized_paste(pasted);
    let pasted = pasted.as_str();
    if pasted.is_empty() {
        return Err(Error::InvalidInput(
            "Nothing was pasted: paste the address your browser landed on, or the code.".into(),
        ));
    }
    if pasted.contains([':', '?', '=']) {
        return flows.accept(pasted);
    }
    if !pasted
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c))
    {
        return Err(Error::InvalidInput(
            "That is neither the address your browser landed on nor a code; paste the whole address.".into(),
        ));
    }
    let flow = flows
        .take_for_account(&account.id)
        .ok_or_else(|| Error::CallbackRejected("no sign-in is waiting for this account".into()))?;
    let params = CallbackParams {
        code: Some(AuthorizationCode::new(pasted)),
        state: Some(flow.state.clone()),
        ..Default::default()
    };
    Ok((flow, params))
}

/// A paste as the person meant it: without the spaces around it, the quotes
/// or angle brackets a chat or a mail put around it, the line breaks a
/// terminal wrapped an address with, and with Latch's scheme as its
/// redirect URI spells it (`app.latch.desktop:/…`, where some browsers and
/// providers show `app.latch.desktop://…`). What is wrong after that is
/// said by the gate, and leaves the sign-in waiting.
pub fn normalized_paste(pasted: &str) -> String {
    let mut text = pasted.trim();
    for (open, close) in [('"', '"'), ('\'', '\''), ('<', '>'), ('`', '`')] {
        if let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
            text = inner.trim();
        }
    }
    let mut text = if text.contains([':', '?']) {
        text.chars().filter(|c| !c.is_whitespace()).collect()
    } else {
        text.to_owned()
    };
    let doubled = format!("{SCHEME}://");
    if text.starts_with(&doubled) {
        text.replace_range(..doubled.len(), &format!("{SCHEME}:/"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountId, ProviderKind};
    use crate::secret::State;

    fn flows_with(account: &str) -> PendingFlows {
        let flows = PendingFlows::new();
        flows.insert(PendingFlow {
            account_id: AccountId::parse(account).unwrap(),
            provider: ProviderKind::Oauth2,
            state: State::new("s1"),
            verifier: None,
            nonce: None,
            redirect_uri: "https://partner.example/cb".into(),
            deadline: crate::time::now() + 600,
            iss: Default::default(),
        });
        flows
    }

    fn account(id: &str) -> Account {
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
        draft.build(AccountId::parse(id).unwrap(), 0).unwrap().0
    }

    #[test]
    fn a_bare_code_belongs_to_the_accounts_own_sign_in() {
        let flows = flows_with("a");
        let (flow, params) = accept_pasted(&flows, &account("a"), "  abc-123  ").unwrap();
        assert_eq!(flow.account_id.as_str(), "a");
        assert_eq!(params.code.unwrap().secret(), "abc-123");
        assert_eq!(params.state.unwrap().secret(), "s1");
        assert!(flows.is_empty(), "the flow is taken");
    }

    #[test]
    fn a_bare_code_for_an_account_with_no_sign_in_is_rejected_and_takes_nothing() {
        let flows = flows_with("a");
        let e = accept_pasted(&flows, &account("b"), "abc").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::CallbackRejected);
        assert!(e.to_string().contains("no sign-in is waiting for this account"), "{e}");
        assert_eq!(flows.len(), 1);
    }

    #[test]
    fn anything_with_a_colon_question_mark_or_equals_goes_through_the_gate() {
        for pasted in [
            "https://partner.example/cb?code=c&state=wrong",
            "code=c&state=wrong",
            "x:y",
        ] {
            let flows = flows_with("a");
            let e = accept_pasted(&flows, &account("a"), pasted).unwrap_err();
            assert!(
                matches!(
                    e.kind(),
                    crate::ErrorKind::CallbackRejected | crate::ErrorKind::InvalidInput
                ),
                "{pasted}: {e}"
            );
            assert_eq!(flows.len(), 1, "{pasted}: a wrong state leaves the real flow");
        }
        let flows = flows_with("a");
        let (_, params) = accept_pasted(&flows, &account("a"), "https://partner.example/cb?code=c&state=s1").unwrap();
        assert_eq!(params.code.unwrap().secret(), "c");
    }

    /// Issue 19: one paste with a double slash ended the sign-in.
    #[test]
    fn a_paste_is_read_as_meant_quotes_wraps_and_a_doubled_slash_aside() {
        for (pasted, meant) in [
            (
                "  \"app.latch.desktop://oauth/callback/a?code=c&state=s1\" ",
                "app.latch.desktop:/oauth/callback/a?code=c&state=s1",
            ),
            (
                "<https://partner.example/cb?code=c&state=s1>",
                "https://partner.example/cb?code=c&state=s1",
            ),
            (
                "https://partner.example/cb?code=c&\n  state=s1",
                "https://partner.example/cb?code=c&state=s1",
            ),
            ("'abc-123'", "abc-123"),
            ("two words", "two words"),
        ] {
            assert_eq!(normalized_paste(pasted), meant, "{pasted:?}");
        }
        let flows = flows_with("a");
        let (_, params) =
            accept_pasted(&flows, &account("a"), "`https://partner.example/cb?code=c&\nstate=s1`").unwrap();
        assert_eq!(params.code.unwrap().secret(), "c");
    }

    #[test]
    fn empty_and_odd_pastes_are_refused_plainly() {
        let flows = flows_with("a");
        let e = accept_pasted(&flows, &account("a"), "   ").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        let e = accept_pasted(&flows, &account("a"), "two words").unwrap_err();
        assert!(e.to_string().starts_with("That is neither"), "{e}");
        assert_eq!(flows.len(), 1);
    }

    #[test]
    fn the_way_back_follows_the_redirect_uri() {
        let mut a = account("a");
        assert_eq!(Return::of(&a).unwrap(), Return::Paste);
        a.settings.set_redirect_uri("app.latch.desktop:/oauth/callback");
        assert_eq!(Return::of(&a).unwrap(), Return::DeepLink);
        a.settings.set_redirect_uri("http://127.0.0.1:9/cb");
        assert!(matches!(Return::of(&a).unwrap(), Return::Loopback(r) if r.port == Some(9)));
        a.settings.set_redirect_uri("http://localhost:9/cb");
        let e = Return::of(&a).unwrap_err();
        assert!(e.to_string().contains("register http://127.0.0.1:9/cb instead"), "{e}");
    }
}
