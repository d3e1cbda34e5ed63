//! The provider catalogue: what a front end shows of each provider — its
//! names, the fields of its connect form (label, kind, when required, its
//! default, the rule its value must follow, help), the grants it offers and
//! what revoking does there — and the one rule set both front ends validate
//! a new account with.
//!
//! The window's connect dialog and `latch add` fill in an [`AccountDraft`]
//! (field name → value); [`AccountDraft::problems`] checks it against the
//! provider's fields and [`AccountDraft::build`] turns it into settings and
//! secrets through the provider's own `build` function, which routes each
//! secret to its place. Neither front end knows a provider's fields.

use crate::error::Error;
use crate::model::{Account, AccountId, AccountSecrets, AccountStatus, Grant, ProviderKind, ProviderSettings};
use crate::secret::DraftSecret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The redirect URI that brings the browser back to the window, one per
/// account: [`ACCOUNT_PART`] becomes the account's id when the account is
/// made (`app.latch.desktop:/oauth/callback/wazzup-main`, the per-provider
/// path of RFC 8252 §7.1's example). An address of its own per account is
/// what lets the gate tell a mix-up (RFC 9700 §4.4): an honest server sends
/// the browser to its own account's address, whatever state a hostile one
/// passed it.
pub const SCHEME_REDIRECT: &str = "app.latch.desktop:/oauth/callback/{account}";

/// The part of a redirect URI that becomes the account's id.
pub const ACCOUNT_PART: &str = "{account}";

/// One provider as the catalogue describes it.
#[derive(Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProviderInfo {
    pub kind: ProviderKind,
    /// The name used on the command line and in JSON.
    pub id: &'static str,
    /// The name a person reads.
    pub name: &'static str,
    /// One line under the name in the picker.
    pub blurb: &'static str,
    /// The grants a person can choose, the default first; empty when the
    /// provider has no OAuth tokens.
    pub grants: &'static [Grant],
    pub fields: &'static [Field],
    /// Settings and secrets from a checked draft. Not sent anywhere.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub build: fn(&Draft) -> Result<(ProviderSettings, AccountSecrets), Error>,
}

/// How a field is typed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    Text,
    /// Goes to the keyring; never shown again, never a command-line flag.
    Secret,
    Url,
    Email,
    Select,
    Checkbox,
}

/// When a field applies: always, or only with some grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "when", content = "grants", rename_all = "kebab-case")]
pub enum When {
    Never,
    Always,
    /// With one of these grants.
    Grants(&'static [Grant]),
    /// With any grant but these.
    NotGrants(&'static [Grant]),
}

impl When {
    pub fn holds(self, grant: Option<Grant>) -> bool {
        match self {
            Self::Never => false,
            Self::Always => true,
            Self::Grants(gs) => grant.is_some_and(|g| gs.contains(&g)),
            Self::NotGrants(gs) => grant.is_none_or(|g| !gs.contains(&g)),
        }
    }
}

/// What a field's value must look like when it is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    Any,
    /// An absolute http(s) URL.
    Url,
    /// An absolute URL, or Latch's own `app.latch.desktop:` scheme.
    RedirectUri,
    /// Something with an `@`.
    Email,
    /// 1 to 19 digits.
    Digits,
    /// One of the field's options.
    Choice,
    /// Extra request parameters as a query string (`name=value&…`), none of
    /// them one that Latch sends itself ([`OWN_PARAMETERS`]).
    Params,
    /// Absolute URIs without a fragment (RFC 8707 §2), comma- or space-separated.
    Uris,
}

/// The parameters Latch writes itself on authorization, token, device,
/// revocation and introspection requests; extra parameters may not set them
/// (the scope, audience and resources have fields of their own).
pub const OWN_PARAMETERS: &[&str] = &[
    "response_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "grant_type",
    "refresh_token",
    "username",
    "password",
    "device_code",
    "token",
    "token_type_hint",
    "audience",
    "resource",
];

/// The pairs of an extra-parameters value (`a=1&b=2`), or `None` when one
/// is not `name=value` with a name of its own or names what Latch sends.
pub fn extra_params(value: &str) -> Option<Vec<(String, String)>> {
    let value = value.trim();
    if value.is_empty() {
        return Some(Vec::new());
    }
    let mut pairs = Vec::new();
    for piece in value.split('&') {
        if !piece.contains('=') {
            return None;
        }
        let (name, v) = url::form_urlencoded::parse(piece.as_bytes()).next()?;
        let name = name.trim();
        if name.is_empty() || OWN_PARAMETERS.contains(&name) {
            return None;
        }
        pairs.push((name.to_owned(), v.into_owned()));
    }
    Some(pairs)
}

/// RFC 8707 §2: a resource is an absolute URI without a fragment.
fn is_resource(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|u| u.fragment().is_none())
}

/// What is wrong with a redirect URI that `connect` would refuse, with the
/// fix: a loopback one Latch will not serve (`localhost`, `[::1]`), or an
/// address without its scheme. `None` when it will do.
fn redirect_problem(value: &str) -> Option<String> {
    if value.starts_with("app.latch.desktop:") {
        return None;
    }
    let bare_address = !value.contains(char::is_whitespace)
        && value
            .split(['/', ':'])
            .next()
            .is_some_and(|host| host.contains('.') || host == "localhost");
    if !value.contains("://") && bare_address {
        let fixed = if value.starts_with("127.0.0.1") || value.starts_with("localhost") {
            format!("http://{}", value.replacen("localhost", "127.0.0.1", 1))
        } else {
            format!("https://{value}")
        };
        return Some(format!("Add the scheme: {fixed}."));
    }
    match crate::redirect::loopback::LoopbackRedirect::parse(value) {
        Err(why) => {
            let mut why = why;
            if let Some(first) = why.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            Some(format!("{why}."))
        }
        Ok(_) if !url::Url::parse(value).is_ok_and(|u| u.has_host()) => Some(URL_PROBLEM.to_owned()),
        Ok(_) => None,
    }
}

impl Rule {
    /// What is wrong with `value`, more precisely than the field's own
    /// problem sentence, where the rule knows (a redirect URI's fix).
    pub fn explain(self, value: &str) -> Option<String> {
        match self {
            Self::RedirectUri => redirect_problem(value),
            _ => None,
        }
    }

    pub fn accepts(self, value: &str, options: &[Choice]) -> bool {
        match self {
            Self::Any => true,
            Self::Url => crate::providers::parse_url(value).is_ok(),
            Self::RedirectUri => redirect_problem(value).is_none(),
            Self::Email => value.contains('@') && !value.starts_with('@') && !value.ends_with('@'),
            Self::Digits => (1..=19).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()),
            Self::Choice => options.iter().any(|o| o.value == value),
            Self::Params => extra_params(value).is_some(),
            Self::Uris => value
                .split([',', ' ', '\t', '\n'])
                .filter(|s| !s.is_empty())
                .all(is_resource),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
}

/// One field of a provider's connect form.
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Field {
    /// The draft's key; the CLI's flag is `--` and this with `-` for `_`
    /// unless [`Field::flag`] says otherwise.
    pub name: &'static str,
    pub label: &'static str,
    pub help: Option<&'static str>,
    pub kind: FieldKind,
    pub options: &'static [Choice],
    /// Used when the value is left empty.
    pub default: Option<&'static str>,
    pub required: When,
    pub shown: When,
    pub rule: Rule,
    /// What to say when the value breaks the rule.
    pub problem: &'static str,
    /// The command line's flag, when it is not the name.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub flag: Option<&'static str>,
}

impl Field {
    /// A plain optional text field; the other settings are set with `..`.
    pub const fn text(name: &'static str, label: &'static str) -> Self {
        Self {
            name,
            label,
            help: None,
            kind: FieldKind::Text,
            options: &[],
            default: None,
            required: When::Never,
            shown: When::Always,
            rule: Rule::Any,
            problem: "",
            flag: None,
        }
    }

    /// The command-line flag that sets this field, without the dashes.
    pub fn flag(&self) -> String {
        self.flag
            .map(str::to_owned)
            .unwrap_or_else(|| self.name.replace('_', "-"))
    }
}

/// The fields every provider's form starts with.
pub const LABEL: Field = Field {
    help: Some("A name you will recognise."),
    required: When::Always,
    ..Field::text("label", "Name in Latch")
};

pub const URL_PROBLEM: &str = "Enter a whole address, such as https://example.com/path.";

/// The grant field of providers with a choice of grants.
pub const fn grant_field(grants: &'static [Choice]) -> Field {
    Field {
        kind: FieldKind::Select,
        options: grants,
        default: Some(grants[0].value),
        rule: Rule::Choice,
        ..Field::text("grant", "How to sign in")
    }
}

pub const AUTHORIZATION_CODE: Choice = Choice {
    value: "authorization_code",
    label: "In the browser (authorization code)",
};
pub const PASSWORD: Choice = Choice {
    value: "password",
    label: "Username and password",
};
pub const CLIENT_CREDENTIALS: Choice = Choice {
    value: "client_credentials",
    label: "Client credentials (no user)",
};
pub const DEVICE_CODE: Choice = Choice {
    value: "device_code",
    label: "With a code on another device (device flow)",
};

/// A redirect URI field's help: the provider's own first sentence, then
/// what each kind of address does.
#[macro_export]
macro_rules! redirect_help {
    ($first:literal) => {
        concat!(
            $first,
            " app.latch.desktop:/oauth/callback/{account} comes back to this window; http://127.0.0.1:PORT/callback/{account} makes Latch listen; your own website means you paste the address the browser lands on. {account} becomes this account's id (made from its name: \"Wazzup main\" is wazzup-main), so each account has an address of its own: register that one."
        )
    };
}

/// The provider's server, with its documented address as the default.
pub const fn server_field(default: &'static str) -> Field {
    Field {
        kind: FieldKind::Url,
        default: Some(default),
        required: When::Always,
        rule: Rule::Url,
        problem: URL_PROBLEM,
        ..Field::text("base_url", "Server")
    }
}

/// The redirect URI field, with its help (see [`redirect_help!`]).
pub const fn redirect_field(help: &'static str, when: When) -> Field {
    Field {
        help: Some(help),
        kind: FieldKind::Url,
        default: Some(SCHEME_REDIRECT),
        required: when,
        shown: when,
        rule: Rule::RedirectUri,
        problem: URL_PROBLEM,
        ..Field::text("redirect_uri", "Redirect URI")
    }
}

pub const CODE_ONLY: When = When::Grants(&[Grant::AuthorizationCode]);
pub const DEVICE_ONLY: When = When::Grants(&[Grant::DeviceCode]);

/// A new account as a front end filled it in.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AccountDraft {
    pub provider: ProviderKind,
    /// Field name → value, as typed. The secret is not among them.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    /// The one secret the provider needs (client secret, Wazzup partner
    /// password, GREEN-API apiTokenInstance); straight to the keyring.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional, type = "string"))]
    pub secret: Option<DraftSecret>,
}

/// A field's problem, for the form to show beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldProblem {
    pub field: &'static str,
    /// The field is required and was left empty (rather than breaking its rule).
    pub missing: bool,
    pub message: String,
}

/// A checked draft, as a provider's `build` reads it: defaults applied.
pub struct Draft<'a> {
    values: BTreeMap<&'static str, String>,
    secret: Option<&'a str>,
    pub grant: Option<Grant>,
}

impl Draft<'_> {
    /// The value or its default, trimmed; empty when neither.
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    /// `None` when empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// A comma- or space-separated list.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .split([',', ' ', '\t', '\n'])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name) == "true"
    }

    pub fn secret(&self) -> Option<&str> {
        self.secret
    }

    /// The secrets of a provider whose one secret is the client secret.
    pub fn client_secret(&self) -> AccountSecrets {
        AccountSecrets {
            client_secret: self.secret.map(crate::secret::ClientSecret::new),
            ..Default::default()
        }
    }
}

fn grant_of(value: &str) -> Option<Grant> {
    match value {
        "authorization_code" => Some(Grant::AuthorizationCode),
        "password" => Some(Grant::Password),
        "client_credentials" => Some(Grant::ClientCredentials),
        "device_code" => Some(Grant::DeviceCode),
        _ => None,
    }
}

impl AccountDraft {
    pub fn new(provider: ProviderKind) -> Self {
        Self {
            provider,
            values: BTreeMap::new(),
            secret: None,
        }
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.values.insert(name.to_owned(), value.into());
        self
    }

    pub fn info(&self) -> &'static ProviderInfo {
        super::registry::entry(self.provider)
    }

    fn value(&self, field: &Field) -> String {
        let typed = match field.kind {
            FieldKind::Secret => self.secret.as_ref().map(DraftSecret::secret),
            _ => self.values.get(field.name).map(String::as_str),
        };
        let typed = typed.map(str::trim).unwrap_or("");
        match (typed, field.default) {
            ("", Some(default)) if field.kind != FieldKind::Secret => default.to_owned(),
            _ => typed.to_owned(),
        }
    }

    /// The grant the draft asks for: the grant field's value, or the
    /// provider's only or first grant.
    pub fn grant(&self) -> Option<Grant> {
        let info = self.info();
        match info.fields.iter().find(|f| f.name == "grant") {
            Some(field) => grant_of(&self.value(field)),
            None => info.grants.first().copied(),
        }
    }

    /// Every field that applies and breaks its rule or is missing, in the
    /// form's order. Empty when the draft can be built.
    pub fn problems(&self) -> Vec<FieldProblem> {
        let grant = self.grant();
        let mut problems = Vec::new();
        for field in self.info().fields {
            if !field.shown.holds(grant) && !field.required.holds(grant) {
                continue;
            }
            let value = self.value(field);
            if value.is_empty() {
                if field.required.holds(grant) && field.kind != FieldKind::Checkbox {
                    problems.push(FieldProblem {
                        field: field.name,
                        missing: true,
                        message: format!("{} is needed.", field.label),
                    });
                }
            } else if field.kind != FieldKind::Checkbox && !field.rule.accepts(&value, field.options) {
                let message = match field.rule {
                    Rule::Choice => {
                        let choices: Vec<&str> = field.options.iter().map(|o| o.value).collect();
                        format!("{} must be one of: {}.", field.label, choices.join(", "))
                    }
                    rule => rule.explain(&value).unwrap_or_else(|| field.problem.to_owned()),
                };
                problems.push(FieldProblem {
                    field: field.name,
                    missing: false,
                    message,
                });
            }
        }
        problems
    }

    /// The account and its secrets, or the first problem as one sentence
    /// naming the provider.
    pub fn build(&self, id: AccountId, now: crate::model::UnixTime) -> Result<(Account, AccountSecrets), Error> {
        let info = self.info();
        if let Some(problem) = self.problems().into_iter().next() {
            return Err(Error::InvalidInput(format!("{}: {}", info.name, problem.message)));
        }
        let values = info
            .fields
            .iter()
            .filter(|f| f.kind != FieldKind::Secret)
            .map(|f| match f.rule {
                Rule::RedirectUri => (f.name, self.value(f).replace(ACCOUNT_PART, id.as_str())),
                _ => (f.name, self.value(f)),
            })
            .collect();
        let draft = Draft {
            values,
            secret: self
                .secret
                .as_ref()
                .map(|s| s.secret().trim())
                .filter(|s| !s.is_empty()),
            grant: self.grant(),
        };
        let (settings, secrets) = (info.build)(&draft)?;
        let account = Account {
            id,
            label: draft.get("label").to_owned(),
            settings,
            status: AccountStatus::NotConnected,
            token: None,
            created_at: now,
            sandbox: false,
            store: None,
        };
        Ok((account, secrets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 19: `add` and the form took redirect URIs that `connect` then
    /// refused; now the draft refuses them, with the fix.
    #[test]
    fn a_redirect_connect_would_refuse_is_refused_when_the_account_is_made() {
        let mut draft = AccountDraft::new(ProviderKind::Wordapp);
        draft
            .set("label", "W")
            .set("client_id", "c")
            .set("grant", "authorization_code");
        draft.secret = Some(DraftSecret::new("s"));
        let problem = |redirect: &str| {
            let mut draft = draft.clone();
            draft.set("redirect_uri", redirect);
            draft
                .problems()
                .into_iter()
                .find(|p| p.field == "redirect_uri")
                .map(|p| p.message)
        };
        assert_eq!(
            problem("http://localhost:8976/cb").as_deref(),
            Some(
                "The redirect_uri http://localhost:8976/cb uses `localhost`; register http://127.0.0.1:8976/cb \
                 instead (RFC 8252 §8.3: `localhost` can resolve elsewhere)."
            )
        );
        assert!(
            problem("http://[::1]:8976/cb")
                .unwrap()
                .contains("register http://127.0.0.1:8976/cb instead")
        );
        assert_eq!(
            problem("127.0.0.1:8976/cb").as_deref(),
            Some("Add the scheme: http://127.0.0.1:8976/cb.")
        );
        assert_eq!(
            problem("localhost:8976/cb").as_deref(),
            Some("Add the scheme: http://127.0.0.1:8976/cb.")
        );
        assert_eq!(
            problem("example.com/cb").as_deref(),
            Some("Add the scheme: https://example.com/cb.")
        );
        for fine in [
            "http://127.0.0.1:8976/cb",
            "http://127.0.0.1/cb",
            "app.latch.desktop:/oauth/callback/{account}",
            "https://shop.example/cb",
        ] {
            assert_eq!(problem(fine), None, "{fine}");
        }
    }
}
