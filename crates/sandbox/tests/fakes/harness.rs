//! What every test of the fakes needs, over the shared test harness
//! (`latch_sandbox::harness`): a started sandbox, its HTTP client that does
//! not follow redirects (the tests read `Location` themselves), and PKCE test
//! vectors.

use latch_sandbox::Sandbox;
use latch_sandbox::harness;
use reqwest::{Client, Response, StatusCode, Url};
use serde_json::Value;

/// RFC 7636 Appendix B verifier and its S256 challenge.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const REDIRECT: &str = harness::SCHEME_REDIRECT;
pub const LOOPBACK_REDIRECT: &str = harness::DEMO_LOOPBACK_REDIRECT;

pub struct Harness {
    pub sb: Sandbox,
    pub http: Client,
}

pub async fn start() -> Harness {
    Harness {
        sb: harness::sandbox().await,
        http: harness::browser().clone(),
    }
}

/// The `Location` of a 302, parsed.
pub fn location(resp: &Response) -> Url {
    assert_eq!(resp.status(), StatusCode::FOUND, "expected a redirect");
    let loc = resp
        .headers()
        .get("location")
        .expect("Location header")
        .to_str()
        .expect("ascii");
    Url::parse(loc).expect("Location is a URL")
}

pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Status and JSON body of an answer.
pub async fn status_json(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Status and text body of an answer.
pub async fn status_text(resp: Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}
