//! The provider interface: everything that is particular to one provider,
//! behind one trait.
//!
//! [`Provider`] is implemented by each provider's settings type
//! ([`crate::model::WazzupSettings`], [`crate::model::PayuSettings`], …): an
//! account's settings *are* its provider, bound to that account's endpoints.
//! That keeps the trait object-safe without a settings parameter that each
//! implementation would have to unwrap again, and it means the only place
//! that turns an account's [`crate::model::ProviderSettings`] into its
//! implementation is [`super::registry`]. The flows in [`crate::flows`] ask
//! the trait what to send and how to read the answer; they send, sequence
//! and store, and never ask which provider it is.
//!
//! The default methods are the plain RFC 6749 behaviour (errors read by
//! [`super::rfc6749`]); a provider overrides only what differs, the way
//! git-credential-manager's host providers do.
//!
//! [`Provider::secret_endpoints`] says which endpoints an account's secrets
//! may ever be sent to: only each implementation knows which of its settings
//! are endpoints and which are pages for the browser. [`crate::binding`]
//! records their origins in the keyring entry and checks every call against
//! that record.
//!
//! How an API request is authenticated is the provider's too, so that
//! `latch api`, `latch header`, `latch exec`, the probe and the window build
//! it the same way: [`Provider::api_url`] (the API base joined with a path;
//! GREEN-API puts its instance and token in the path instead),
//! [`Provider::api_headers`] (a Bearer header by default; Wordapp adds
//! `X-Api-Version`) and [`Provider::credential_vars`] (what a program is
//! handed in its environment).

use super::{Auth, Call, GrantRequest, Step, parse_url, rfc6749};
use crate::error::Error;
use crate::http::Answer;
use crate::model::{AccountSecrets, Grant, IssuerCheck, ProviderKind, TokenSet, UnixTime};
use crate::secret::{AccessToken, Nonce, PkceVerifier, State};
use url::Url;

/// What an authorization request needs: the page to open and, with PKCE,
/// the verifier the code exchange will prove it with.
pub struct Authorization {
    pub url: Url,
    pub verifier: Option<PkceVerifier>,
    /// The OpenID Connect `nonce` the request carries, which the id_token
    /// must give back.
    pub nonce: Option<Nonce>,
}

/// Where an account's id_tokens are verified: the issuer they must name,
/// the client they must be for, and the server's keys.
pub struct IdTokenSource {
    pub issuer: String,
    pub client_id: String,
    pub jwks_uri: Url,
    /// The id_token is what the account hands out: the set is good only
    /// as long as it is.
    pub bounds_expiry: bool,
}

/// Where an API request goes. The URL may hold a secret (GREEN-API's token
/// is in its path): `shown` is the same address with the secret masked, the
/// only form a message, an error or verbose output may print (and `Debug`).
pub struct ApiUrl {
    pub url: Url,
    pub shown: String,
}

/// Shows the masked address only.
impl std::fmt::Debug for ApiUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ApiUrl").field(&self.shown).finish()
    }
}

impl ApiUrl {
    /// An address that holds no secret: shown as it is.
    pub fn plain(url: Url) -> Self {
        let shown = url.to_string();
        Self { url, shown }
    }
}

/// What revoking an account means at its provider.
pub enum RevokePlan {
    /// There is nothing to revoke (no token, no instance token).
    Nothing,
    /// The provider has no way to revoke: the access token stays valid there
    /// until `expires_at`.
    NotSupported { expires_at: Option<UnixTime> },
    /// Send these calls in order (RFC 7009: the refresh token first); each
    /// answer is read by [`Provider::read_revoke_answer`]. `name` is the
    /// provider as errors of these calls name it.
    Send { name: String, calls: Vec<Call> },
}

/// How one revoke call ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked, or already invalid (RFC 7009 §2.2): go on.
    Done,
    /// The server could not revoke now and the token is still valid (§2.2.1).
    StillValid,
}

/// Everything a flow needs to know about one provider, bound to one
/// account's settings. See the module docs for why it is implemented on the
/// settings types.
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;

    /// The name a person reads (errors, lists, the browser's answer page):
    /// the provider's, or for a server Latch knows only by its address
    /// (Other OAuth 2.0) that server's host.
    fn name(&self) -> &str {
        super::registry::entry(self.kind()).name
    }

    /// How the account obtains its tokens; `None` for a provider that has
    /// no OAuth tokens (GREEN-API links a number with a code).
    fn grant(&self) -> Option<Grant>;

    /// Where the provider sends the browser back, as configured; `None` when
    /// the account signs in without a browser.
    fn redirect_uri(&self) -> Option<&str>;

    /// Uses another redirect URI (a loopback listener's actual port).
    fn set_redirect_uri(&mut self, uri: &str);

    /// The username the password grant uses when none is typed, when the
    /// account keeps one (Wordapp).
    fn username(&self) -> Option<&str> {
        None
    }

    /// The redirect URI an authorization request must use, or a sentence
    /// saying which setting is missing.
    fn authorization_redirect(&self) -> Result<String, Error> {
        self.redirect_uri()
            .filter(|uri| !uri.trim().is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::InvalidInput(
                    "This account has no redirect URI; add the one registered with the provider in the account settings."
                        .into(),
                )
            })
    }

    /// Every endpoint the account's secrets may be sent to (token,
    /// revocation, API calls), read from its settings; never a page that
    /// only the browser opens. Their origins are what [`crate::binding`]
    /// records beside the secrets.
    fn secret_endpoints(&self) -> Result<Vec<Url>, Error>;

    /// The secret the code exchange will need and the account lacks, named
    /// for a person ("the client secret"): checked before the browser opens,
    /// so nobody approves access only to fail afterwards.
    fn missing_exchange_secret(&self, secrets: &AccountSecrets) -> Option<&'static str>;

    /// The authorization request (RFC 6749 §4.1.1) for `state`, with an
    /// S256 PKCE challenge when [`Provider::uses_pkce`] (RFC 7636).
    fn authorize(&self, state: &State) -> Result<Authorization, Error>;

    /// Whether the authorization request carries a PKCE challenge. Every
    /// provider sends one (a server that does not know PKCE ignores it);
    /// only an Other OAuth 2.0 account can turn it off.
    fn uses_pkce(&self) -> bool {
        true
    }

    /// What the authorization response's `iss` is checked against
    /// (RFC 9207): nothing, for a provider with no issuer to record.
    fn issuer_check(&self) -> IssuerCheck {
        IssuerCheck::NotChecked
    }

    /// Where an id_token in a token answer is verified; `None` when the
    /// account cannot verify one (no issuer or JWKS recorded): it is then
    /// not kept.
    fn id_token_source(&self) -> Result<Option<IdTokenSource>, Error> {
        Ok(None)
    }

    /// Puts a new value of the account's one secret (the form's secret
    /// field: a client secret by default) into `secrets`, leaving the tokens
    /// as they are (`latch edit --secret-stdin`, the window's Edit).
    fn replace_secret(&self, secrets: &mut AccountSecrets, secret: &str) -> Result<(), Error> {
        secrets.client_secret = Some(crate::secret::ClientSecret::new(secret));
        Ok(())
    }

    /// The credential every hand-out gives (`latch token`, `header`, `api`,
    /// `exec`, the window's Copy): the access token, unless the account
    /// says otherwise.
    fn credential(&self, tokens: &TokenSet) -> Result<AccessToken, Error> {
        Ok(tokens.access_token.clone())
    }

    /// An `error` on the redirect back, in the provider's words.
    fn authorize_error(&self, error: &str, description: Option<&str>) -> Error {
        rfc6749::code_refusal(self.name(), Step::AuthorizationCode, error, description)
    }

    /// The token request of a grant.
    fn token_call(&self, secrets: &AccountSecrets, grant: &GrantRequest) -> Result<Call, Error>;

    /// Reads the token endpoint's answer into a token set, or the error it
    /// means for a person.
    fn read_token_answer(&self, answer: &Answer, step: Step, received_at: UnixTime) -> Result<TokenSet, Error>;

    /// What revoking does here, given what the account holds. `now` decides
    /// whether the access token has expired.
    fn revoke_plan(&self, secrets: &AccountSecrets, now: UnixTime) -> Result<RevokePlan, Error>;

    /// What revoking will do here, said to the person before it is done
    /// (the window's confirmation, `latch revoke`'s question).
    fn revoke_consequence(&self) -> String {
        format!(
            "Latch asks {} to revoke the tokens, so they stop working everywhere, then deletes them from this computer.",
            self.name()
        )
    }

    /// Reads one revoke answer: 2xx is done, 503 is "still valid"
    /// (RFC 7009 §2.2.1), anything else is the provider's refusal.
    fn read_revoke_answer(&self, answer: &Answer) -> Result<Revoked, Error> {
        match answer.status {
            200..=299 => Ok(Revoked::Done),
            503 => Ok(Revoked::StillValid),
            _ => Err(rfc6749::refusal(self.name(), answer, Step::Revoke)),
        }
    }

    /// The base of the provider's API, which a path in `latch api ACCOUNT
    /// PATH` is joined to: from the account's settings, with the
    /// provider's documented default.
    fn api_base(&self) -> Result<Url, Error>;

    /// Where an API request for `target` goes: a path joined to
    /// [`Provider::api_base`], or a whole URL on one of the servers the
    /// account's secrets may reach (nowhere else: the token would follow).
    fn api_url(&self, _secrets: &AccountSecrets, target: &str) -> Result<ApiUrl, Error> {
        let url = join_api(&self.api_base()?, target)?;
        let allowed = self.secret_endpoints()?;
        let origin = crate::binding::origin(&url);
        if !allowed.iter().any(|e| crate::binding::origin(e) == origin) {
            let servers: Vec<String> = allowed.iter().map(crate::binding::origin).collect();
            return Err(Error::InvalidInput(format!(
                "{origin} is not one of this account's servers ({}), and Latch sends its token nowhere else; give a path instead, or change the account's API base with `latch edit`.",
                servers.join(", ")
            )));
        }
        Ok(ApiUrl::plain(url))
    }

    /// The headers that authenticate an API request with `access_token`:
    /// `Authorization: Bearer` by default.
    fn api_headers(&self, access_token: &AccessToken) -> Result<Vec<(&'static str, String)>, Error> {
        Ok(vec![("authorization", format!("Bearer {}", access_token.secret()))])
    }

    /// What a program is handed in its environment (`latch exec`, `latch
    /// env`): variable-name suffixes and values, the credential first. The
    /// access token by default; `access_token` is `None` for a provider
    /// without OAuth tokens.
    fn credential_vars(
        &self,
        _secrets: &AccountSecrets,
        access_token: Option<&AccessToken>,
    ) -> Result<Vec<(&'static str, String)>, Error> {
        let token =
            access_token.ok_or_else(|| Error::InvalidInput(format!("{} has no access token here.", self.name())))?;
        Ok(vec![("TOKEN", token.secret().to_owned())])
    }

    /// The API path (joined to [`Provider::api_base`]) or URL of a cheap
    /// authenticated call that shows whether a token works; `None` when
    /// Latch knows none for this provider.
    fn probe_target(&self) -> Option<String> {
        None
    }

    /// Whether the account has an introspection endpoint
    /// ([`Provider::introspection_call`]).
    fn introspects(&self) -> bool {
        false
    }

    /// The introspection request for an access token (RFC 7662), the
    /// generic check of a server that offers it; `None` when the account
    /// has no introspection endpoint. Its answer is read by
    /// [`rfc6749::read_introspection`].
    fn introspection_call(&self, _secrets: &AccountSecrets, _token: &AccessToken) -> Result<Option<Call>, Error> {
        Ok(None)
    }

    /// The test call of [`Provider::probe_target`], authenticated like any
    /// API request (`access_token` is `None` for a provider without OAuth
    /// tokens, whose credential is in `secrets`).
    fn probe_call(&self, secrets: &AccountSecrets, access_token: Option<&AccessToken>) -> Result<Option<Call>, Error> {
        let Some(target) = self.probe_target() else {
            return Ok(None);
        };
        let mut call = Call::get(self.api_url(secrets, &target)?.url, Auth::None);
        if let Some(token) = access_token {
            call.headers = self.api_headers(token)?;
        }
        Ok(Some(call))
    }

    /// What a failed test call means.
    fn probe_refusal(&self, answer: &Answer) -> Error {
        rfc6749::refusal(self.name(), answer, Step::Probe)
    }

    /// What a test call the server accepted (2xx) says: a sentence when the
    /// credential works but the account can no longer do its work, and only
    /// a person can fix it (GREEN-API: WhatsApp was unlinked from the
    /// instance). `None`: usable.
    fn probe_unusable(&self, _answer: &Answer) -> Option<String> {
        None
    }
}

/// `target` on `base`: a whole `http(s)` URL as it is, or a path (with its
/// query) appended to the base's path. Either way it goes through
/// [`parse_url`], so plain `http` reaches only loopback.
pub fn join_api(base: &Url, target: &str) -> Result<Url, Error> {
    let target = target.trim();
    if target.is_empty() {
        return Err(Error::InvalidInput(
            "Give the API path to call, such as /v2/channels, or a whole URL on the account's server.".into(),
        ));
    }
    if target.contains("://") {
        return parse_url(target);
    }
    if target.starts_with("//") {
        return Err(Error::InvalidInput(format!(
            "`{}` names no server Latch can check; give a path on the account's API (one leading /) or a whole https:// URL.",
            target.chars().take(80).collect::<String>()
        )));
    }
    let base = base.as_str().trim_end_matches('/');
    let base = base.split(['?', '#']).next().unwrap_or(base);
    parse_url(&format!("{base}/{}", target.trim_start_matches('/')))
}

/// The error of every OAuth step on a provider that has no OAuth tokens.
pub(crate) fn not_oauth(name: &str) -> Error {
    Error::InvalidInput(format!(
        "{name} has no OAuth tokens: link the instance with a phone code or a QR code instead."
    ))
}
