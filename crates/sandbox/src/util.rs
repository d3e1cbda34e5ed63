//! Small HTTP and crypto helpers the fakes share: random values, header parsing,
//! body decoding, redirects, PKCE, redirect-URI matching.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // getrandom only fails when the OS has no entropy source; a fake may then
    // fall back to a time-seeded value rather than abort a test run.
    if getrandom::fill(&mut buf).is_err() {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let digest = Sha256::digest(format!("{seed:?}{n}"));
        for (i, b) in buf.iter_mut().enumerate() {
            *b = digest[i % digest.len()];
        }
    }
    buf
}

/// `n` random bytes as lower-case hex (`2n` characters).
pub(crate) fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `Authorization: Basic` credentials, decoded; `None` if absent or malformed.
pub(crate) fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// Percent-decodes a Basic credential half (RFC 6749 §2.3.1 form-encodes client_id/secret).
pub(crate) fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("v={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `Authorization: Bearer` token; `None` if absent or another scheme.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    content_type(headers) == "application/x-www-form-urlencoded"
}

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    content_type(headers) == "application/json"
}

/// A form body as a map; a repeated field keeps its first value. Empty values count as absent.
pub(crate) fn form_map(body: &Bytes) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if !v.is_empty() {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
    }
    map
}

pub(crate) fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (status, axum::Json(value)).into_response()
}

pub(crate) fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

pub(crate) fn text(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.to_owned(),
    )
        .into_response()
}

/// An HTML error page: what a browser shows when the server will not redirect.
pub(crate) fn html_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{message}</p></body></html>",
        title = escape_html(title),
        message = escape_html(message)
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// 401 for a bad bearer token, Doorkeeper-style: a `WWW-Authenticate` header and an RFC 6750 body.
pub(crate) fn bearer_unauthorized(realm: &str, description: &str) -> Response {
    let mut resp = json(
        StatusCode::UNAUTHORIZED,
        serde_json::json!({ "error": "invalid_token", "error_description": description }),
    );
    let challenge = format!("Bearer realm=\"{realm}\", error=\"invalid_token\", error_description=\"{description}\"");
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// `302 Found` to `base` with `params` appended to its query.
pub(crate) fn redirect(base: &str, params: &[(&str, &str)]) -> Response {
    let location = match url::Url::parse(base) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        // Registered redirects are validated when configured; this is a last resort.
        Err(_) => {
            return html_page(
                StatusCode::BAD_REQUEST,
                "Invalid redirect",
                "The redirect URI is not a URL.",
            );
        }
    };
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// BASE64URL(SHA-256(verifier)) — RFC 7636 §4.2.
pub(crate) fn pkce_s256(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.1: 43–128 characters of `A-Z a-z 0-9 - . _ ~`.
pub(crate) fn pkce_well_formed(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Checks a PKCE verifier against the stored challenge. `method` is `S256` or `plain` (any case).
pub(crate) fn pkce_matches(method: &str, challenge: &str, verifier: &str) -> bool {
    if method.eq_ignore_ascii_case("s256") {
        ct_eq(&pkce_s256(verifier), challenge)
    } else {
        ct_eq(verifier, challenge)
    }
}

/// The PKCE challenge of an authorization request (RFC 7636 §4.3) at a fake
/// whose document does not name PKCE (PayU, Wordapp): none, or a
/// well-formed challenge with `S256` or `plain` (the default method).
pub(crate) fn requested_pkce(
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<(String, String)>, &'static str> {
    match (challenge, method.unwrap_or("plain")) {
        (None, _) => Ok(None),
        (Some(c), _) if !pkce_well_formed(c) => Err("Malformed code_challenge."),
        (Some(c), m @ ("S256" | "plain")) => Ok(Some((c.to_owned(), m.to_owned()))),
        (Some(_), _) => Err("Unsupported code_challenge_method."),
    }
}

/// Whether a code's redemption proves the challenge it was issued with
/// (RFC 7636 §4.6): always, when it was issued without one.
pub(crate) fn proves_pkce(pkce: Option<&(String, String)>, verifier: Option<&String>) -> bool {
    match (pkce, verifier) {
        (None, _) => true,
        (Some((challenge, method)), Some(verifier)) => pkce_matches(method, challenge, verifier),
        (Some(_), None) => false,
    }
}

/// Constant-time comparison for secrets (length leaks, content does not).
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Is `given` one of the `registered` redirect URIs? Exact string match, except that
/// with `loopback_any_port` a `http://127.0.0.1` / `http://[::1]` / `localhost` URI
/// matches whatever its port (RFC 8252 §7.3).
pub(crate) fn redirect_allowed(registered: &[String], given: &str, loopback_any_port: bool) -> bool {
    if registered.iter().any(|r| r == given) {
        return true;
    }
    if !loopback_any_port {
        return false;
    }
    let Ok(given) = url::Url::parse(given) else {
        return false;
    };
    registered.iter().filter_map(|r| url::Url::parse(r).ok()).any(|r| {
        is_loopback(&r)
            && r.scheme() == given.scheme()
            && r.host_str() == given.host_str()
            && r.path() == given.path()
            && r.query() == given.query()
    })
}

fn is_loopback(u: &url::Url) -> bool {
    u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1") | Some("[::1]") | Some("localhost"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn loopback_redirect_matches_any_port_only_when_allowed() {
        let reg = vec!["http://127.0.0.1:8976/callback".to_owned()];
        assert!(redirect_allowed(&reg, "http://127.0.0.1:8976/callback", false));
        assert!(!redirect_allowed(&reg, "http://127.0.0.1:9999/callback", false));
        assert!(redirect_allowed(&reg, "http://127.0.0.1:9999/callback", true));
        assert!(!redirect_allowed(&reg, "http://127.0.0.1:9999/other", true));
    }

    #[test]
    fn basic_auth_decodes_and_rejects_garbage() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic dXNlcjpwYXNz"));
        assert_eq!(basic_auth(&h), Some(("user".into(), "pass".into())));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_auth(&h), None);
    }
}
