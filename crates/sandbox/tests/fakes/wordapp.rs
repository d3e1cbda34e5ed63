//! Fake Wordapp against document 004 and providers.md §6.4.

use std::time::Duration;

use latch_sandbox::Consent;
use serde_json::{Value, json};

use crate::harness::{Harness, LOOPBACK_REDIRECT, REDIRECT, location, param, start, status_json, status_text};

const CLIENT_ID: &str = "demo-wordapp-client";
const SECRET: &str = "demo-wordapp-secret";

async fn token(h: &Harness, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = h
        .http
        .post(format!("{}/oauth/token", h.sb.wordapp().base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    status_json(resp).await
}

async fn password_login(h: &Harness, username: &str) -> Value {
    let (status, body) = token(
        h,
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", "demo-password"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn me(h: &Harness, access: &str) -> (u16, Value) {
    let resp = h
        .http
        .get(format!("{}/api/me", h.sb.wordapp().base_url()))
        .bearer_auth(access)
        .header("X-Api-Version", "1")
        .send()
        .await
        .unwrap();
    status_json(resp).await
}

fn authorize_url(h: &Harness, redirect: &str) -> String {
    format!(
        "{}/oauth/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri={}&state=xyz",
        h.sb.wordapp().base_url(),
        url_encode(redirect)
    )
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn code_flow(h: &Harness) -> Value {
    let loc = location(&h.http.get(authorize_url(h, REDIRECT)).send().await.unwrap());
    let code = param(&loc, "code").expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
    ];
    let (status, body) = token(h, &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn wordapp_password_grant_accepts_username_or_email() {
    let h = start().await;
    let body = password_login(&h, "demo").await;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 7200);
    assert_eq!(body["scope"], "public");
    assert!(body["created_at"].as_u64().is_some());
    assert_eq!(body["access_token"].as_str().unwrap().len(), 64);
    let by_email = password_login(&h, "demo@demo.latch").await;
    assert_eq!(
        me(&h, by_email["access_token"].as_str().unwrap()).await.1["username"],
        "demo"
    );

    let (status, body) = token(
        &h,
        &[("grant_type", "password"), ("username", "demo"), ("password", "wrong")],
    )
    .await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"));
}

#[tokio::test]
async fn wordapp_new_login_invalidates_the_previous_token() {
    let h = start().await;
    let first = password_login(&h, "demo").await;
    let first_access = first["access_token"].as_str().unwrap();
    assert_eq!(me(&h, first_access).await.0, 200);
    let _second = password_login(&h, "demo").await;
    let (status, body) = me(&h, first_access).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_token"));
}

#[tokio::test]
async fn wordapp_authorize_requires_an_exact_registered_redirect() {
    let h = start().await;
    for bad in [
        "app.latch.desktop:/oauth/callback/",
        "http://127.0.0.1:9999/callback",
        "https://evil.example/",
    ] {
        let resp = h.http.get(authorize_url(&h, bad)).send().await.unwrap();
        assert!(resp.headers().get("location").is_none(), "{bad}");
        let (status, page) = status_text(resp).await;
        assert_eq!(status, 400);
        assert!(page.contains("redirect uri included is not valid"));
    }
    let loc = location(&h.http.get(authorize_url(&h, LOOPBACK_REDIRECT)).send().await.unwrap());
    assert!(loc.as_str().starts_with(LOOPBACK_REDIRECT));
    assert_eq!(param(&loc, "state").as_deref(), Some("xyz"));
}

#[tokio::test]
async fn wordapp_denied_consent_redirects_with_access_denied() {
    let h = start().await;
    h.sb.wordapp().settings().consent = Consent::Deny;
    let loc = location(&h.http.get(authorize_url(&h, REDIRECT)).send().await.unwrap());
    assert_eq!(param(&loc, "error").as_deref(), Some("access_denied"));
    assert!(param(&loc, "error_description").is_some_and(|d| d.contains("denied")));
    assert_eq!(param(&loc, "code"), None);
}

#[tokio::test]
async fn wordapp_existing_grant_skips_the_consent_screen() {
    let h = start().await;
    let _ = location(&h.http.get(authorize_url(&h, REDIRECT)).send().await.unwrap());
    h.sb.wordapp().settings().consent = Consent::Deny;
    let loc = location(&h.http.get(authorize_url(&h, REDIRECT)).send().await.unwrap());
    assert!(
        param(&loc, "code").is_some(),
        "an existing grant redirects straight back with a code"
    );
}

#[tokio::test]
async fn wordapp_code_exchange_checks_client_code_and_redirect() {
    let h = start().await;
    let body = code_flow(&h).await;
    assert_eq!(me(&h, body["access_token"].as_str().unwrap()).await.0, 200);

    let loc = location(&h.http.get(authorize_url(&h, REDIRECT)).send().await.unwrap());
    let code = param(&loc, "code").unwrap();
    let good = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
    ];
    let mut wrong_secret = good;
    wrong_secret[4] = ("client_secret", "nope");
    let (status, body) = token(&h, &wrong_secret).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"));
    let mut wrong_redirect = good;
    wrong_redirect[2] = ("redirect_uri", LOOPBACK_REDIRECT);
    let (status, body) = token(&h, &wrong_redirect).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"));
    assert_eq!(token(&h, &good).await.0, 200);
    let (status, body) = token(&h, &good).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "invalid_grant"),
        "a code is single use"
    );
}

#[tokio::test]
async fn wordapp_code_expires_on_the_fake_clock() {
    let h = start().await;
    let loc = location(&h.http.get(authorize_url(&h, REDIRECT)).send().await.unwrap());
    let code = param(&loc, "code").unwrap();
    h.sb.wordapp().advance(Duration::from_secs(601));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
    ];
    assert_eq!(token(&h, &form).await.1["error"], "invalid_grant");
}

#[tokio::test]
async fn wordapp_client_credentials_has_no_refresh_token() {
    let h = start().await;
    let (status, body) = token(
        &h,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none());
    let (status, body) = token(&h, &[("grant_type", "client_credentials")]).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"));
    let (status, body) = token(&h, &[("grant_type", "implicit")]).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (400, "unsupported_grant_type")
    );
}

#[tokio::test]
async fn wordapp_refresh_revokes_the_old_access_token() {
    let h = start().await;
    let first = code_flow(&h).await;
    let (old_access, old_refresh) = (
        first["access_token"].as_str().unwrap(),
        first["refresh_token"].as_str().unwrap(),
    );
    let (status, second) = token(&h, &[("grant_type", "refresh_token"), ("refresh_token", old_refresh)]).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(me(&h, old_access).await.0, 401);
    assert_eq!(me(&h, second["access_token"].as_str().unwrap()).await.0, 200);
    let (status, body) = token(&h, &[("grant_type", "refresh_token"), ("refresh_token", old_refresh)]).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"));
}

#[tokio::test]
async fn wordapp_revoke_needs_authorization_header_and_token_field() {
    let h = start().await;
    let body = password_login(&h, "demo").await;
    let access = body["access_token"].as_str().unwrap();
    let url = format!("{}/oauth/revoke", h.sb.wordapp().base_url());
    let (status, _) = status_json(h.http.post(&url).form(&[("token", access)]).send().await.unwrap()).await;
    assert_eq!(status, 403);
    assert_eq!(me(&h, access).await.0, 200);
    let (status, _) = status_json(
        h.http
            .post(&url)
            .bearer_auth(access)
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);

    let resp = h
        .http
        .post(&url)
        .bearer_auth(access)
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(status_json(resp).await, (200, json!({})));
    assert_eq!(me(&h, access).await.0, 401);

    let resp = h
        .http
        .post(&url)
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[("token", "unknown")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_json(resp).await,
        (200, json!({})),
        "unknown tokens revoke quietly"
    );
}

#[tokio::test]
async fn wordapp_probe_requires_bearer_and_api_version() {
    let h = start().await;
    let body = password_login(&h, "demo").await;
    let access = body["access_token"].as_str().unwrap();
    let url = format!("{}/api/me", h.sb.wordapp().base_url());
    let no_version = h.http.get(&url).bearer_auth(access).send().await.unwrap();
    assert_eq!(no_version.status(), 400);
    let no_bearer = h.http.get(&url).header("X-Api-Version", "1").send().await.unwrap();
    assert_eq!(no_bearer.status(), 401);
    h.sb.wordapp().settings().api_version = Some("2".into());
    assert_eq!(me(&h, access).await.0, 400);
    h.sb.wordapp().settings().api_version = Some("1".into());
    assert_eq!(me(&h, access).await.0, 200);
    h.sb.wordapp().advance(Duration::from_secs(7200));
    assert_eq!(me(&h, access).await.1["error_description"], "The access token expired");
}

#[tokio::test]
async fn wordapp_changed_app_scopes_invalidate_tokens_and_grants() {
    let h = start().await;
    let body = code_flow(&h).await;
    let access = body["access_token"].as_str().unwrap();
    h.sb.wordapp().change_app_scopes(CLIENT_ID, "public write");
    assert_eq!(me(&h, access).await.0, 401);
    h.sb.wordapp().settings().consent = Consent::Deny;
    let loc = location(&h.http.get(authorize_url(&h, REDIRECT)).send().await.unwrap());
    assert_eq!(
        param(&loc, "error").as_deref(),
        Some("access_denied"),
        "the user must consent again"
    );
}
