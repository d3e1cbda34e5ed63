//! The generic RFC 6749 / 7636 / 7009 server.

use std::time::Duration;

use latch_sandbox::oauth2::ClientAuthMode;
use reqwest::RequestBuilder;
use serde_json::Value;

use crate::harness::{CHALLENGE, Harness, REDIRECT, VERIFIER, location, param, start, status_json, status_text};

const CLIENT_ID: &str = "demo-oauth2-client";
const SECRET: &str = "demo-oauth2-secret";

fn authorize(h: &Harness, extra: &str) -> String {
    format!(
        "{}?response_type=code&client_id={CLIENT_ID}&redirect_uri=app.latch.desktop%3A%2Foauth%2Fcallback&state=s1&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        h.sb.oauth2().authorize_url()
    )
}

async fn code(h: &Harness) -> String {
    let loc = location(&h.http.get(authorize(h, "")).send().await.unwrap());
    assert_eq!(param(&loc, "state").as_deref(), Some("s1"));
    param(&loc, "code").unwrap()
}

fn token_req(h: &Harness) -> RequestBuilder {
    h.http.post(h.sb.oauth2().token_url())
}

async fn exchange(h: &Harness, code: &str, verifier: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    status_json(
        token_req(h)
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn userinfo(h: &Harness, access: &str) -> u16 {
    let url = format!("{}/userinfo", h.sb.oauth2().base_url());
    h.http
        .get(url)
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn oauth2_code_flow_with_pkce_and_basic_client_auth() {
    let h = start().await;
    let code = code(&h).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let resp = token_req(&h)
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let (status, body) = status_json(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["refresh_token"].is_string());
    assert_eq!(userinfo(&h, body["access_token"].as_str().unwrap()).await, 200);
}

#[tokio::test]
async fn oauth2_pkce_mismatch_and_missing_verifier_are_invalid_grant() {
    let h = start().await;
    let code = code(&h).await;
    let (status, body) = exchange(&h, &code, &"a".repeat(43)).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let (status, body) = status_json(
        token_req(&h)
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"));
    assert_eq!(exchange(&h, &code, VERIFIER).await.0, 200);
}

#[tokio::test]
async fn oauth2_reused_or_expired_code_is_invalid_grant() {
    let h = start().await;
    let first = code(&h).await;
    assert_eq!(exchange(&h, &first, VERIFIER).await.0, 200);
    assert_eq!(exchange(&h, &first, VERIFIER).await.1["error"], "invalid_grant");
    let second = code(&h).await;
    h.sb.oauth2().advance(Duration::from_secs(600));
    assert_eq!(exchange(&h, &second, VERIFIER).await.1["error"], "invalid_grant");
}

#[tokio::test]
async fn oauth2_redirect_rules() {
    let h = start().await;
    let base = h.sb.oauth2().authorize_url();
    let evil = format!("{base}?response_type=code&client_id={CLIENT_ID}&redirect_uri=https%3A%2F%2Fevil.example%2F");
    let resp = h.http.get(evil).send().await.unwrap();
    assert!(resp.headers().get("location").is_none());
    assert_eq!(status_text(resp).await.0, 400);
    // RFC 8252 §7.3: loopback redirects match on any port.
    let loopback = format!(
        "{base}?response_type=code&client_id={CLIENT_ID}&redirect_uri=http%3A%2F%2F127.0.0.1%3A41000%2Fcallback"
    );
    assert!(
        location(&h.http.get(loopback).send().await.unwrap())
            .as_str()
            .starts_with("http://127.0.0.1:41000/callback?code=")
    );
    // Errors after the redirect is trusted go back to the client.
    let loc = location(
        &h.http
            .get(authorize(&h, "&response_type=token").replace("response_type=code&", ""))
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(param(&loc, "error").as_deref(), Some("unsupported_response_type"));
    assert_eq!(param(&loc, "state").as_deref(), Some("s1"));
}

#[tokio::test]
async fn oauth2_redirect_uri_at_token_must_match() {
    let h = start().await;
    let code = code(&h).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:8976/callback"),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = status_json(
        token_req(&h)
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"));
}

#[tokio::test]
async fn oauth2_client_auth_mode_is_enforced() {
    let h = start().await;
    let body_auth = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
    ];
    assert_eq!(
        status_json(token_req(&h).form(&body_auth).send().await.unwrap())
            .await
            .0,
        200
    );

    h.sb.oauth2().settings().client_auth = ClientAuthMode::Basic;
    let resp = token_req(&h).form(&body_auth).send().await.unwrap();
    assert!(
        resp.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let (status, body) = status_json(resp).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"));
    let basic = token_req(&h)
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[("grant_type", "client_credentials")]);
    assert_eq!(basic.send().await.unwrap().status(), 200);

    h.sb.oauth2().settings().client_auth = ClientAuthMode::Body;
    let basic = token_req(&h)
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[("grant_type", "client_credentials")]);
    assert_eq!(
        status_json(basic.send().await.unwrap()).await.1["error"],
        "invalid_client"
    );

    h.sb.oauth2().settings().client_auth = ClientAuthMode::Either;
    let both = token_req(&h).basic_auth(CLIENT_ID, Some(SECRET)).form(&body_auth);
    assert_eq!(
        status_json(both.send().await.unwrap()).await.1["error"],
        "invalid_request"
    );
    let wrong = token_req(&h)
        .basic_auth(CLIENT_ID, Some("nope"))
        .form(&[("grant_type", "client_credentials")]);
    assert_eq!(status_json(wrong.send().await.unwrap()).await.0, 401);
}

#[tokio::test]
async fn oauth2_refresh_rotates_and_revoke_follows_rfc7009() {
    let h = start().await;
    let code = code(&h).await;
    let (_, first) = exchange(&h, &code, VERIFIER).await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (status, second) = status_json(
        token_req(&h)
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, reused) = status_json(
        token_req(&h)
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(reused["error"], "invalid_grant");

    let access = second["access_token"].as_str().unwrap();
    let new_refresh = second["refresh_token"].as_str().unwrap();
    let revoke = |token: &str| {
        h.http
            .post(h.sb.oauth2().revoke_url())
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&[("token", token.to_owned())])
    };
    assert_eq!(
        status_text(revoke("never-issued").send().await.unwrap()).await,
        (200, String::new())
    );
    assert_eq!(revoke(new_refresh).send().await.unwrap().status(), 200);
    assert!(
        !h.sb.oauth2().is_live(access),
        "revoking the refresh token also revokes its access token"
    );
    assert_eq!(userinfo(&h, access).await, 401);

    h.sb.oauth2().settings().revoke_unavailable = true;
    let resp = revoke("x").send().await.unwrap();
    assert_eq!(resp.headers()["retry-after"], "1");
    assert_eq!(status_json(resp).await.1["error"], "temporarily_unavailable");
}

#[tokio::test]
async fn oauth2_require_pkce_and_denied_consent() {
    let h = start().await;
    h.sb.oauth2().settings().require_pkce = true;
    let url = format!(
        "{}?response_type=code&client_id={CLIENT_ID}&redirect_uri=app.latch.desktop%3A%2Foauth%2Fcallback",
        h.sb.oauth2().authorize_url()
    );
    let loc = location(&h.http.get(&url).send().await.unwrap());
    assert_eq!(param(&loc, "error").as_deref(), Some("invalid_request"));
    let loc = location(
        &h.http
            .get(authorize(&h, "").replace("S256", "S512"))
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(param(&loc, "error").as_deref(), Some("invalid_request"));
    h.sb.oauth2().settings().consent = latch_sandbox::Consent::Deny;
    let loc = location(&h.http.get(authorize(&h, "")).send().await.unwrap());
    assert_eq!(param(&loc, "error").as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn oauth2_password_grant() {
    let h = start().await;
    let form = [
        ("grant_type", "password"),
        ("username", "demo"),
        ("password", "demo-password"),
    ];
    let (status, body) = status_json(
        token_req(&h)
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["refresh_token"].is_string());
    let bad = [("grant_type", "password"), ("username", "demo"), ("password", "x")];
    let (status, body) = status_json(
        token_req(&h)
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&bad)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_grant"));
}

/// A client-credentials request authenticated by `assertion` (RFC 7523).
async fn with_assertion(h: &Harness, assertion: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", latch_core::jose::ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    status_json(token_req(h).form(&form).send().await.unwrap()).await
}

#[tokio::test]
async fn oauth2_client_assertions_are_checked_as_rfc_7523_says() {
    use latch_core::jose::{AssertionKey, SigningKey, client_assertion, generate_key};
    use latch_core::secret::ClientSecret;
    let h = start().await;
    h.sb.oauth2().settings().client_auth = ClientAuthMode::SecretJwt;
    let token_url = h.sb.oauth2().token_url();
    let secret = ClientSecret::new(SECRET);
    let now = latch_core::time::now();
    let sign = |aud: &str, key: AssertionKey<'_>, at| client_assertion(CLIENT_ID, aud, key, at).unwrap();

    // client_secret_jwt: good once, for the token endpoint, while it lives.
    let good = sign(&token_url, AssertionKey::Secret(&secret), now);
    assert_eq!(with_assertion(&h, good.secret()).await.0, 200);
    let (status, body) = with_assertion(&h, good.secret()).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (401, Some("The client assertion was used before."))
    );
    let elsewhere = sign("https://other.example/token", AssertionKey::Secret(&secret), now);
    assert_eq!(
        with_assertion(&h, elsewhere.secret()).await.1["error"],
        "invalid_client"
    );
    let stale = sign(&token_url, AssertionKey::Secret(&secret), now - 120);
    assert_eq!(with_assertion(&h, stale.secret()).await.1["error"], "invalid_client");
    let wrong = ClientSecret::new("not-the-secret");
    assert_eq!(
        with_assertion(&h, sign(&token_url, AssertionKey::Secret(&wrong), now).secret())
            .await
            .0,
        401
    );
    // Basic is not what this server takes now.
    let basic = token_req(&h)
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[("grant_type", "client_credentials")]);
    assert_eq!(status_json(basic.send().await.unwrap()).await.0, 401);

    // private_key_jwt: only a registered key signs for the client.
    h.sb.oauth2().settings().client_auth = ClientAuthMode::PrivateKeyJwt;
    let key = SigningKey::read(&generate_key().unwrap()).unwrap();
    let unregistered = sign(&token_url, AssertionKey::Private(&key), now);
    assert_eq!(with_assertion(&h, unregistered.secret()).await.0, 401);
    h.sb.oauth2().settings().clients[0].jwks.push(key.public_jwk().clone());
    let registered = sign(&token_url, AssertionKey::Private(&key), now);
    assert_eq!(with_assertion(&h, registered.secret()).await.0, 200);
    let by_secret = sign(&token_url, AssertionKey::Secret(&secret), now);
    assert_eq!(
        with_assertion(&h, by_secret.secret()).await.0,
        401,
        "the mode wants a key"
    );

    let metadata: Value = h
        .http
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            h.sb.oauth2().base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        serde_json::json!(["private_key_jwt", "none"])
    );
}
