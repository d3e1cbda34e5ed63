//! Discovery: an OAuth 2.0 server's metadata read from its issuer URL, and
//! the Other OAuth 2.0 draft it fills.
//!
//! Two documents are tried, in this order:
//! 1. RFC 8414's `/.well-known/oauth-authorization-server`, *path-aware*:
//!    the well-known part goes between the host and the issuer's path
//!    (§3.1), so `https://a.example/tenant` is read from
//!    `https://a.example/.well-known/oauth-authorization-server/tenant`;
//! 2. OpenID Connect Discovery's `/.well-known/openid-configuration`,
//!    appended to the issuer (OIDC Discovery §4).
//!
//! The `issuer` in the document must equal the issuer given, character for
//! character (RFC 8414 §3.3): a document that names another server is
//! refused, as a mix-up (RFC 9207's attack starts with metadata that lies
//! about who it is). Every endpoint must be https (plain http only to a
//! loopback address, [`crate::http::check_transport`]), since the account's
//! secrets will be sent there.
//!
//! This module only builds the URLs and reads the answer; the fetching is
//! [`crate::flows::Engine::discover`], through the engine's one HTTP client
//! (timeouts, size cap, no redirects). [`ServerMetadata::fill`] writes into
//! an [`AccountDraft`] only the fields a person left empty, so every one
//! stays theirs to override.
//!
//! Read and kept for what comes next, though no flow uses them yet: the
//! introspection (RFC 7662), device authorization (RFC 8628) and JWKS
//! endpoints, and the grants the server offers. `latch discover` shows them.

use super::catalogue::AccountDraft;
use crate::error::Error;
use crate::http::Answer;
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

/// RFC 8414 §3's well-known suffix.
pub const OAUTH_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";
/// OpenID Connect Discovery 1.0 §4's.
pub const OPENID_WELL_KNOWN: &str = "/.well-known/openid-configuration";

/// What a server's metadata says, as Latch uses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerMetadata {
    pub issuer: String,
    /// The document it was read from.
    pub source: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: String,
    pub revocation_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub userinfo_endpoint: Option<String>,
    /// Empty when the document says nothing: RFC 8414 §2 reads that as
    /// "no PKCE".
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 8414 §2's default when absent: `client_secret_basic`.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// RFC 8414 §2's default when absent: `authorization_code`, `implicit`.
    pub grant_types_supported: Vec<String>,
    /// RFC 9207 §3: the server names itself (`iss`) on every authorization response.
    pub authorization_response_iss_parameter_supported: bool,
}

/// The two documents to try for `issuer`, in order (RFC 8414 §3.1, then
/// OIDC Discovery §4). The issuer must be an https URL (http only to a
/// loopback address) without a query or fragment (RFC 8414 §2).
pub fn well_known_urls(issuer: &str) -> Result<[Url; 2], Error> {
    let url = issuer_url(issuer)?;
    let path = url.path().trim_end_matches('/').to_owned();
    let mut oauth = url.clone();
    oauth.set_path(&format!("{OAUTH_WELL_KNOWN}{path}"));
    let mut openid = url;
    openid.set_path(&format!("{path}{OPENID_WELL_KNOWN}"));
    Ok([oauth, openid])
}

fn issuer_url(issuer: &str) -> Result<Url, Error> {
    let refuse = |what: &str| Error::InvalidInput(format!("The issuer \"{}\" {what}.", shown(issuer)));
    let url =
        Url::parse(issuer.trim()).map_err(|_| refuse("is not a URL: give one such as https://auth.example.com"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(
            "has a query or a fragment, which an issuer never has (RFC 8414 §2): give the issuer alone",
        ));
    }
    if url.host().is_none() {
        return Err(refuse("names no host: give one such as https://auth.example.com"));
    }
    crate::http::check_transport(&url)?;
    Ok(url)
}

/// An issuer as it may be shown: printable and short.
fn shown(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Why a document was refused, naming the issuer.
fn bad(issuer: &str, problem: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("The metadata of {} cannot be used: {problem}.", shown(issuer)))
}

/// Reads the metadata document `answer`, fetched from `source` for `issuer`.
pub fn read_metadata(issuer: &str, source: &Url, answer: &Answer) -> Result<ServerMetadata, Error> {
    let issuer = issuer.trim();
    let doc = match answer.json(&shown(issuer)) {
        Ok(Value::Object(doc)) => doc,
        Ok(_) => return Err(bad(issuer, format!("{source} is JSON but not an object"))),
        Err(Error::InvalidAnswer { detail, .. }) => return Err(bad(issuer, format!("{source} sent {detail}"))),
        Err(e) => return Err(e),
    };
    let named = string(issuer, &doc, "issuer")?.ok_or_else(|| bad(issuer, "it has no `issuer`"))?;
    if named != issuer {
        return Err(bad(
            issuer,
            format!(
                "it names the issuer \"{}\", not \"{}\": a server must describe only itself (RFC 8414 §3.3), so this may be another server posing as it; check the issuer URL",
                shown(&named),
                shown(issuer)
            ),
        ));
    }
    let token_endpoint = endpoint(issuer, &doc, "token_endpoint")?
        .ok_or_else(|| bad(issuer, "it has no `token_endpoint`, which Latch needs for every grant"))?;
    Ok(ServerMetadata {
        issuer: named,
        source: source.to_string(),
        authorization_endpoint: endpoint(issuer, &doc, "authorization_endpoint")?,
        token_endpoint,
        revocation_endpoint: endpoint(issuer, &doc, "revocation_endpoint")?,
        introspection_endpoint: endpoint(issuer, &doc, "introspection_endpoint")?,
        device_authorization_endpoint: endpoint(issuer, &doc, "device_authorization_endpoint")?,
        jwks_uri: endpoint(issuer, &doc, "jwks_uri")?,
        userinfo_endpoint: endpoint(issuer, &doc, "userinfo_endpoint")?,
        code_challenge_methods_supported: strings(issuer, &doc, "code_challenge_methods_supported")?
            .unwrap_or_default(),
        token_endpoint_auth_methods_supported: strings(issuer, &doc, "token_endpoint_auth_methods_supported")?
            .unwrap_or_else(|| vec!["client_secret_basic".into()]),
        grant_types_supported: strings(issuer, &doc, "grant_types_supported")?
            .unwrap_or_else(|| vec!["authorization_code".into(), "implicit".into()]),
        authorization_response_iss_parameter_supported: match doc.get("authorization_response_iss_parameter_supported")
        {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(bad(
                    issuer,
                    "`authorization_response_iss_parameter_supported` is not true or false",
                ));
            }
        },
    })
}

fn string(issuer: &str, doc: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(issuer, format!("`{name}` is not a string"))),
    }
}

/// An endpoint: an absolute https URL (http only to loopback).
fn endpoint(issuer: &str, doc: &Map<String, Value>, name: &str) -> Result<Option<String>, Error> {
    let Some(value) = string(issuer, doc, name)? else {
        return Ok(None);
    };
    let url = Url::parse(&value).map_err(|_| bad(issuer, format!("`{name}` is not a URL")))?;
    if crate::http::check_transport(&url).is_err() {
        return Err(bad(
            issuer,
            format!(
                "`{name}` is {}, which is not https: secrets sent there would cross the network unencrypted (plain http is allowed only to 127.0.0.1 or [::1])",
                shown(&url.origin().ascii_serialization())
            ),
        ));
    }
    Ok(Some(value))
}

fn strings(issuer: &str, doc: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, Error> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| bad(issuer, format!("`{name}` is not a list of strings"))),
        Some(_) => Err(bad(issuer, format!("`{name}` is not a list"))),
    }
}

/// A field of the Other OAuth 2.0 draft, and the value the metadata gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Filled {
    /// The draft's field.
    pub field: &'static str,
    pub value: String,
}

impl ServerMetadata {
    /// Each endpoint the server has, as (what it is, its URL), in the order
    /// a flow meets them; the third part says whether a flow of Latch's
    /// uses it yet. Both front ends list them from here.
    pub fn endpoints(&self) -> Vec<(&'static str, &str, bool)> {
        [
            ("authorization endpoint", self.authorization_endpoint.as_deref(), true),
            ("token endpoint", Some(self.token_endpoint.as_str()), true),
            ("revocation endpoint", self.revocation_endpoint.as_deref(), true),
            ("introspection endpoint", self.introspection_endpoint.as_deref(), true),
            (
                "device authorization endpoint",
                self.device_authorization_endpoint.as_deref(),
                true,
            ),
            ("JWKS", self.jwks_uri.as_deref(), false),
            ("userinfo endpoint", self.userinfo_endpoint.as_deref(), false),
        ]
        .into_iter()
        .filter_map(|(name, url, used)| url.map(|url| (name, url, used)))
        .collect()
    }

    /// Whether PKCE with S256 (the only method Latch sends) is offered.
    pub fn offers_s256(&self) -> bool {
        self.code_challenge_methods_supported.iter().any(|m| m == "S256")
    }

    /// The draft's `client_auth` for the methods the server offers:
    /// `client_secret_basic` first (RFC 6749 §2.3.1 says servers must
    /// support it), then `client_secret_post`, then the signed assertions
    /// of RFC 7523 (`private_key_jwt` before `client_secret_jwt`: no secret
    /// is shared); `None` when it offers none of them (a public client).
    pub fn client_auth(&self) -> Option<&'static str> {
        let offers = |m: &str| self.token_endpoint_auth_methods_supported.iter().any(|o| o == m);
        [
            ("client_secret_basic", "basic"),
            ("client_secret_post", "body"),
            ("private_key_jwt", "private_key_jwt"),
            ("client_secret_jwt", "secret_jwt"),
        ]
        .into_iter()
        .find(|(method, _)| offers(method))
        .map(|(_, value)| value)
    }

    /// The fields of an Other OAuth 2.0 draft this metadata decides.
    pub fn fields(&self) -> Vec<Filled> {
        let fields = [
            ("issuer", Some(self.issuer.clone())),
            ("authorize_url", self.authorization_endpoint.clone()),
            ("token_url", Some(self.token_endpoint.clone())),
            ("revoke_url", self.revocation_endpoint.clone()),
            ("device_authorization_url", self.device_authorization_endpoint.clone()),
            ("introspection_url", self.introspection_endpoint.clone()),
            ("jwks_uri", self.jwks_uri.clone()),
            (
                "require_iss",
                Some(self.authorization_response_iss_parameter_supported.to_string()),
            ),
            ("pkce", Some(self.offers_s256().to_string())),
            ("client_auth", self.client_auth().map(str::to_owned)),
        ];
        fields
            .into_iter()
            .filter_map(|(field, value)| value.map(|value| Filled { field, value }))
            .collect()
    }

    /// Fills the draft's empty fields from the metadata; a field the person
    /// set keeps its value. Returns what was filled, in the form's order.
    /// Refuses PKCE asked for by the person on a server that offers only
    /// `plain`: Latch sends S256, which such a server would reject.
    pub fn fill(&self, draft: &mut AccountDraft) -> Result<Vec<Filled>, Error> {
        let pkce_asked = draft.values.get("pkce").is_some_and(|v| v.trim() == "true");
        if pkce_asked && !self.offers_s256() && !self.code_challenge_methods_supported.is_empty() {
            return Err(bad(
                &self.issuer,
                "it offers PKCE only with the `plain` method, which shows the secret it should protect; Latch sends only S256, so leave PKCE off for this server",
            ));
        }
        let mut filled = Vec::new();
        for field in self.fields() {
            let typed = draft.values.get(field.field).is_some_and(|v| !v.trim().is_empty());
            if !typed {
                draft.set(field.field, field.value.clone());
                filled.push(field);
            }
        }
        Ok(filled)
    }

    /// What the person should know about this server beyond the fields:
    /// each a sentence.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if !self.offers_s256() {
            notes.push(if self.code_challenge_methods_supported.is_empty() {
                "The server does not say it supports PKCE, so PKCE is off; turn it on if you know it does.".to_owned()
            } else {
                "The server offers PKCE only with `plain`, which Latch does not send, so PKCE is off.".to_owned()
            });
        }
        match self.client_auth() {
            None => notes.push(format!(
                "The server offers none of the client authentication methods Latch has (it offers: {}): Latch can use it only as a public client, without a secret.",
                self.token_endpoint_auth_methods_supported.join(", ")
            )),
            Some("private_key_jwt") => notes.push(
                "The server authenticates clients by a signed assertion (private_key_jwt): leave the secret empty and Latch makes a key pair when the account is added; register its public key (shown then, and by `latch key ID`) with the server.".to_owned(),
            ),
            Some(_) => {}
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProviderKind;
    use serde_json::json;

    fn answer(status: u16, content_type: &str, body: &str) -> Answer {
        Answer {
            status,
            content_type: Some(content_type.into()),
            body: body.as_bytes().to_vec(),
        }
    }

    fn doc(issuer: &str) -> Value {
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "revocation_endpoint": format!("{issuer}/revoke"),
            "introspection_endpoint": format!("{issuer}/introspect"),
            "device_authorization_endpoint": format!("{issuer}/device"),
            "jwks_uri": format!("{issuer}/jwks"),
            "code_challenge_methods_supported": ["plain", "S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "authorization_response_iss_parameter_supported": true,
        })
    }

    fn read(issuer: &str, doc: &Value) -> Result<ServerMetadata, Error> {
        let source = Url::parse("https://auth.example/.well-known/oauth-authorization-server").unwrap();
        read_metadata(issuer, &source, &answer(200, "application/json", &doc.to_string()))
    }

    /// RFC 8414 §3.1: the well-known part between host and path, any
    /// final `/` removed first; OIDC: appended to the issuer.
    #[test]
    fn well_known_urls_put_rfc8414_between_host_and_path_and_openid_after() {
        let rows = [
            (
                "https://auth.example",
                "https://auth.example/.well-known/oauth-authorization-server",
                "https://auth.example/.well-known/openid-configuration",
            ),
            (
                "https://auth.example/",
                "https://auth.example/.well-known/oauth-authorization-server",
                "https://auth.example/.well-known/openid-configuration",
            ),
            (
                "https://auth.example/tenant/one",
                "https://auth.example/.well-known/oauth-authorization-server/tenant/one",
                "https://auth.example/tenant/one/.well-known/openid-configuration",
            ),
            (
                "http://127.0.0.1:8975/realms/x/",
                "http://127.0.0.1:8975/.well-known/oauth-authorization-server/realms/x",
                "http://127.0.0.1:8975/realms/x/.well-known/openid-configuration",
            ),
        ];
        for (issuer, oauth, openid) in rows {
            let [a, b] = well_known_urls(issuer).unwrap();
            assert_eq!((a.as_str(), b.as_str()), (oauth, openid), "{issuer}");
        }
    }

    #[test]
    fn an_issuer_that_is_not_a_plain_https_url_is_refused_in_words() {
        let rows = [
            ("auth.example", "is not a URL"),
            ("https://auth.example/?tenant=1", "has a query or a fragment"),
            ("https://auth.example/#x", "has a query or a fragment"),
            ("http://auth.example", "plain http"),
        ];
        for (issuer, says) in rows {
            let e = well_known_urls(issuer).unwrap_err().to_string();
            assert!(e.contains(says), "{issuer}: {e}");
        }
    }

    #[test]
    fn a_good_document_is_read_whole() {
        let m = read("https://auth.example", &doc("https://auth.example")).unwrap();
        assert_eq!(m.token_endpoint, "https://auth.example/token");
        assert_eq!(
            m.authorization_endpoint.as_deref(),
            Some("https://auth.example/authorize")
        );
        assert_eq!(m.revocation_endpoint.as_deref(), Some("https://auth.example/revoke"));
        assert_eq!(
            m.introspection_endpoint.as_deref(),
            Some("https://auth.example/introspect")
        );
        assert_eq!(
            m.device_authorization_endpoint.as_deref(),
            Some("https://auth.example/device")
        );
        assert_eq!(m.jwks_uri.as_deref(), Some("https://auth.example/jwks"));
        assert!(m.authorization_response_iss_parameter_supported);
        assert!(m.offers_s256());
        assert_eq!(m.client_auth(), Some("basic"), "basic is preferred to post");
        assert_eq!(m.grant_types_supported, ["authorization_code", "refresh_token"]);
    }

    /// RFC 8414 §2's defaults for what a document leaves out.
    #[test]
    fn what_a_document_leaves_out_takes_rfc8414_defaults() {
        let m = read(
            "https://auth.example",
            &json!({"issuer": "https://auth.example", "token_endpoint": "https://auth.example/token"}),
        )
        .unwrap();
        assert_eq!(m.token_endpoint_auth_methods_supported, ["client_secret_basic"]);
        assert_eq!(m.grant_types_supported, ["authorization_code", "implicit"]);
        assert!(m.code_challenge_methods_supported.is_empty());
        assert!(!m.authorization_response_iss_parameter_supported);
        assert!(!m.offers_s256());
    }

    /// Each row: the issuer given, the document, and what the refusal says
    /// (it always names the issuer).
    #[test]
    fn bad_documents_are_refused_naming_the_issuer_and_the_fault() {
        let issuer = "https://auth.example";
        let with = |key: &str, value: Value| {
            let mut d = doc(issuer);
            d[key] = value;
            d
        };
        let mut no_token = doc(issuer);
        no_token.as_object_mut().unwrap().remove("token_endpoint");
        let rows: Vec<(&str, Value, &str)> = vec![
            (
                issuer,
                with("issuer", json!("https://evil.example")),
                "names the issuer \"https://evil.example\"",
            ),
            (
                issuer,
                with("issuer", json!("https://auth.example/")),
                "not \"https://auth.example\"",
            ),
            ("https://auth.example/", doc(issuer), "not \"https://auth.example/\""),
            (issuer, no_token, "has no `token_endpoint`"),
            (
                issuer,
                with("token_endpoint", json!("http://auth.example/token")),
                "`token_endpoint` is http://auth.example",
            ),
            (
                issuer,
                with("revocation_endpoint", json!("http://10.0.0.1/revoke")),
                "not https",
            ),
            (
                issuer,
                with("token_endpoint", json!("/token")),
                "`token_endpoint` is not a URL",
            ),
            (
                issuer,
                with("token_endpoint", json!(7)),
                "`token_endpoint` is not a string",
            ),
            (
                issuer,
                with("code_challenge_methods_supported", json!("S256")),
                "is not a list",
            ),
            (
                issuer,
                with("authorization_response_iss_parameter_supported", json!("yes")),
                "not true or false",
            ),
            (issuer, json!(["issuer"]), "is JSON but not an object"),
            (issuer, json!({}), "has no `issuer`"),
        ];
        for (given, document, says) in rows {
            let e = read(given, &document).unwrap_err().to_string();
            assert!(e.contains(says), "{document}: {e}");
            assert!(e.starts_with(&format!("The metadata of {given} cannot be used")), "{e}");
        }
        let source = Url::parse("https://auth.example/.well-known/openid-configuration").unwrap();
        let e = read_metadata(issuer, &source, &answer(200, "text/html", "<html>Sign in</html>"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("an HTML page"), "{e}");
        assert!(e.contains("https://auth.example"), "{e}");
        let e = read_metadata(issuer, &source, &answer(200, "text/plain", "issuer=x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not JSON"), "{e}");
    }

    #[test]
    fn fill_sets_only_what_the_person_left_empty() {
        let m = read("https://auth.example", &doc("https://auth.example")).unwrap();
        let mut draft = AccountDraft::new(ProviderKind::Oauth2);
        draft.set("token_url", "https://auth.example/other-token");
        draft.set("client_auth", "body");
        let filled = m.fill(&mut draft).unwrap();
        assert_eq!(draft.values["token_url"], "https://auth.example/other-token");
        assert_eq!(draft.values["client_auth"], "body");
        assert_eq!(draft.values["authorize_url"], "https://auth.example/authorize");
        assert_eq!(draft.values["issuer"], "https://auth.example");
        assert_eq!(draft.values["require_iss"], "true");
        assert_eq!(draft.values["pkce"], "true");
        assert!(
            !filled
                .iter()
                .any(|f| f.field == "token_url" || f.field == "client_auth")
        );
    }

    /// PKCE on only with S256; with only `plain` it stays off and a person
    /// asking for it is refused.
    #[test]
    fn pkce_follows_s256_and_is_refused_with_only_plain() {
        let issuer = "https://auth.example";
        let mut plain = doc(issuer);
        plain["code_challenge_methods_supported"] = json!(["plain"]);
        let m = read(issuer, &plain).unwrap();
        let mut draft = AccountDraft::new(ProviderKind::Oauth2);
        m.fill(&mut draft).unwrap();
        assert_eq!(draft.values["pkce"], "false");
        assert!(m.notes().iter().any(|n| n.contains("only with `plain`")));
        let mut asked = AccountDraft::new(ProviderKind::Oauth2);
        asked.set("pkce", "true");
        let e = m.fill(&mut asked).unwrap_err().to_string();
        assert!(e.contains("only with the `plain` method"), "{e}");
    }

    #[test]
    fn client_auth_prefers_basic_then_post_then_assertions_else_none() {
        let issuer = "https://auth.example";
        let rows = [
            (json!(["client_secret_post"]), Some("body")),
            (json!(["client_secret_basic", "client_secret_post"]), Some("basic")),
            (
                json!(["private_key_jwt", "client_secret_jwt", "none"]),
                Some("private_key_jwt"),
            ),
            (json!(["client_secret_jwt"]), Some("secret_jwt")),
            (json!(["tls_client_auth", "none"]), None),
        ];
        for (methods, expected) in rows {
            let mut d = doc(issuer);
            d["token_endpoint_auth_methods_supported"] = methods.clone();
            let m = read(issuer, &d).unwrap();
            assert_eq!(m.client_auth(), expected, "{methods}");
        }
    }
}
