//! Fake PayU against documents 001 and 003 and providers.md §6.3.

use std::time::Duration;

use serde_json::Value;

use crate::harness::{Harness, REDIRECT, location, param, start, status_json, status_text};

const CLIENT_ID: &str = "demo-payu-client";
const SECRET: &str = "demo-payu-secret";

const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.";
const INVALID_REQUEST: &str =
    "The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.";
const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
const UNSUPPORTED_GRANT: &str = "The authorization grant type is not supported by the authorization server.";

/// A documented failure row: its name, the form sent, the expected error and description.
type Row<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);

async fn consent(h: &Harness) -> String {
    let url = format!(
        "{}/app/account/signup?reseller_id=demo-reseller&state=st-42",
        h.sb.payu().base_url()
    );
    let loc = location(&h.http.get(url).send().await.unwrap());
    param(&loc, "auth_code").expect("auth_code")
}

async fn token(h: &Harness, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = h
        .http
        .post(format!("{}/oauth/token", h.sb.payu().base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    status_json(resp).await
}

fn code_form(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ]
}

fn without<'a>(form: &[(&'a str, &'a str)], key: &str) -> Vec<(&'a str, &'a str)> {
    form.iter().filter(|(k, _)| *k != key).copied().collect()
}

fn with<'a>(form: &[(&'a str, &'a str)], key: &'a str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut f = without(form, key);
    f.push((key, value));
    f
}

async fn connect(h: &Harness) -> Value {
    let code = consent(h).await;
    let (status, body) = token(h, &code_form(&code)).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn probe(h: &Harness, access: &str) -> u16 {
    h.http
        .get(format!("{}/api/me", h.sb.payu().base_url()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn payu_consent_redirects_with_auth_code_merchant_id_and_state() {
    let h = start().await;
    let url = format!(
        "{}/app/account/signup?reseller_id=demo-reseller&state=st-42",
        h.sb.payu().base_url()
    );
    let loc = location(&h.http.get(url).send().await.unwrap());
    assert_eq!(loc.as_str().split('?').next(), Some(REDIRECT));
    assert!(param(&loc, "auth_code").is_some_and(|c| c.len() == 64));
    assert_eq!(param(&loc, "merchantId").as_deref(), Some("8012345"));
    assert_eq!(param(&loc, "state").as_deref(), Some("st-42"));
    assert_eq!(param(&loc, "code"), None);

    let unknown = format!(
        "{}/app/account/signup?reseller_id=nobody&state=s",
        h.sb.payu().base_url()
    );
    let resp = h.http.get(unknown).send().await.unwrap();
    assert!(resp.headers().get("location").is_none());
    let (status, page) = status_text(resp).await;
    assert_eq!(status, 400);
    assert!(page.contains("<html>"));
}

#[tokio::test]
async fn payu_code_exchange_returns_the_documented_fields() {
    let h = start().await;
    let body = connect(&h).await;
    for hex in ["access_token", "refresh_token"] {
        let v = body[hex].as_str().unwrap();
        assert!(v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()), "{hex}");
    }
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7199);
    assert!(body.get("expire_in").is_none());
    assert!(body["scope"].as_str().unwrap().starts_with("credentials_using_oauth "));
    assert_eq!(body["user_uuid"], "11ed-933c-d307ba06-b71a-0a64ecf8a4cc");
    let created = body["created_at"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(created.abs_diff(now) < 60, "created_at is in seconds");
    assert_eq!(probe(&h, body["access_token"].as_str().unwrap()).await, 200);
    let req =
        h.sb.payu()
            .requests()
            .into_iter()
            .find(|r| r.route == "payu.token")
            .unwrap();
    assert_eq!(req.header("content-type"), Some("application/x-www-form-urlencoded"));
}

#[tokio::test]
async fn payu_document_001_failure_rows_answer_401_with_rfc_descriptions() {
    let h = start().await;
    let code = consent(&h).await;
    let good = code_form(&code);
    let rows: Vec<Row> = vec![
        (
            "without client secret",
            without(&good, "client_secret"),
            "invalid_client",
            INVALID_CLIENT,
        ),
        (
            "without redirect URL",
            without(&good, "redirect_uri"),
            "invalid_request",
            INVALID_REQUEST,
        ),
        (
            "invalid client secret",
            with(&good, "client_secret", "nope"),
            "invalid_client",
            INVALID_CLIENT,
        ),
        (
            "without grant type",
            without(&good, "grant_type"),
            "invalid_request",
            INVALID_REQUEST,
        ),
        (
            "invalid grant type",
            with(&good, "grant_type", "authorisation_code"),
            "invalid_client",
            INVALID_CLIENT,
        ),
        (
            "without authorization code",
            without(&good, "code"),
            "invalid_grant",
            INVALID_GRANT,
        ),
        (
            "invalid auth code",
            with(&good, "code", "abc"),
            "invalid_grant",
            INVALID_GRANT,
        ),
        (
            "invalid redirect URL",
            with(&good, "redirect_uri", "https://abc.in"),
            "invalid_grant",
            INVALID_GRANT,
        ),
    ];
    for (row, form, error, description) in rows {
        let (status, body) = token(&h, &form).await;
        assert_eq!(status, 401, "{row}");
        assert_eq!(body["error"], error, "{row}");
        assert_eq!(body["error_description"], description, "{row}");
    }
    // None of the failures used the code up.
    assert_eq!(token(&h, &good).await.0, 200);
}

#[tokio::test]
async fn payu_document_003_refresh_rows() {
    let h = start().await;
    let first = connect(&h).await;
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let good = vec![
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let rows: Vec<Row> = vec![
        (
            "without grant type",
            without(&good, "grant_type"),
            "invalid_request",
            INVALID_REQUEST,
        ),
        (
            "without refresh token",
            without(&good, "refresh_token"),
            "invalid_request",
            INVALID_REQUEST,
        ),
        (
            "invalid client",
            with(&good, "client_id", "nobody"),
            "invalid_client",
            INVALID_CLIENT,
        ),
        (
            "invalid grant type",
            with(&good, "grant_type", "refresh"),
            "unsupported_grant_type",
            UNSUPPORTED_GRANT,
        ),
        (
            "invalid refresh token",
            with(&good, "refresh_token", "0000"),
            "invalid_grant",
            INVALID_GRANT,
        ),
    ];
    for (row, form, error, description) in rows {
        let (status, body) = token(&h, &form).await;
        assert_eq!((status, body["error"].as_str().unwrap()), (401, error), "{row}");
        assert_eq!(body["error_description"], description, "{row}");
    }
    // "without client secret" is a success row.
    let (status, second) = token(&h, &without(&good, "client_secret")).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"].as_str().unwrap(), refresh);
    assert!(second["user_uuid"].is_string());
    // The old refresh token is dead after rotation (assumption, switchable).
    let (status, body) = token(&h, &good).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_grant"));
}

#[tokio::test]
async fn payu_old_refresh_token_can_be_kept_alive() {
    let h = start().await;
    h.sb.payu().settings().old_refresh_token_stays_valid = true;
    let first = connect(&h).await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let form = [
        ("client_id", CLIENT_ID),
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
    ];
    assert_eq!(token(&h, &form).await.0, 200);
    assert_eq!(token(&h, &form).await.0, 200);
}

#[tokio::test]
async fn payu_switches_created_at_to_milliseconds_and_statuses_to_rfc() {
    let h = start().await;
    {
        let mut s = h.sb.payu().settings();
        s.created_at_millis = true;
        s.rfc_statuses = true;
    }
    let body = connect(&h).await;
    assert!(body["created_at"].as_u64().unwrap() > 1_000_000_000_000);
    let (status, body) = token(&h, &[("client_id", CLIENT_ID), ("client_secret", SECRET)]).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "invalid_request"));
    let (status, _) = token(&h, &[("client_id", CLIENT_ID), ("grant_type", "authorization_code")]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn payu_token_endpoint_takes_form_only() {
    let h = start().await;
    let code = consent(&h).await;
    let json_body: serde_json::Map<String, Value> = code_form(&code)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
    let resp = h
        .http
        .post(format!("{}/oauth/token", h.sb.payu().base_url()))
        .json(&json_body)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(resp).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_request"));
}

#[tokio::test]
async fn payu_code_is_single_use_and_expires() {
    let h = start().await;
    let code = consent(&h).await;
    assert_eq!(token(&h, &code_form(&code)).await.0, 200);
    assert_eq!(token(&h, &code_form(&code)).await.1["error"], "invalid_grant");
    let code = consent(&h).await;
    h.sb.payu().advance(Duration::from_secs(601));
    assert_eq!(token(&h, &code_form(&code)).await.1["error"], "invalid_grant");
}

#[tokio::test]
async fn payu_revoke_kills_the_token_at_once_with_an_empty_200() {
    let h = start().await;
    let body = connect(&h).await;
    let access = body["access_token"].as_str().unwrap();
    let url = format!("{}/oauth/revoke", h.sb.payu().base_url());
    let resp = h
        .http
        .post(&url)
        .form(&[("client_id", CLIENT_ID), ("client_secret", "bad"), ("token", access)]);
    let (status, body) = status_json(resp.send().await.unwrap()).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (401, "invalid_client"));
    assert_eq!(probe(&h, access).await, 200);

    let resp = h
        .http
        .post(&url)
        .form(&[("client_id", CLIENT_ID), ("client_secret", SECRET), ("token", access)]);
    let (status, text) = status_text(resp.send().await.unwrap()).await;
    assert_eq!((status, text.as_str()), (200, ""));
    assert_eq!(probe(&h, access).await, 401);
}

#[tokio::test]
async fn payu_access_token_expires_on_the_fake_clock() {
    let h = start().await;
    let body = connect(&h).await;
    let access = body["access_token"].as_str().unwrap();
    h.sb.payu().advance(Duration::from_secs(7199));
    let resp = h
        .http
        .get(format!("{}/api/me", h.sb.payu().base_url()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("www-authenticate").is_some());
    let (status, body) = status_json(resp).await;
    assert_eq!(
        (status, body["error_description"].as_str().unwrap()),
        (401, "The access token expired")
    );
}

#[tokio::test]
async fn payu_client_credentials_and_password_grants() {
    let h = start().await;
    let (status, body) = token(
        &h,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
            ("grant_type", "client_credentials"),
            ("scope", "create_payment_links"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "create_payment_links");

    let form = [
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("grant_type", "password"),
        ("username", "reseller@demo.latch"),
        ("password", "demo-reseller-password"),
        ("scope", "hub_session"),
    ];
    let (status, session) = token(&h, &form).await;
    assert_eq!(status, 200);
    assert_eq!(session["scope"], "hub_session");
    assert_eq!(
        token(&h, &with(&form, "password", "wrong")).await.1["error"],
        "invalid_grant"
    );

    // Partner Payments step 2: the hub_session token asks for a merchant's code.
    let resp = h
        .http
        .post(format!("{}/api/v1/merchants/auth_code", h.sb.payu().base_url()))
        .bearer_auth(session["access_token"].as_str().unwrap())
        .form(&[
            ("merchant_id", "8012345"),
            ("reseller_uuid", "r-1"),
            ("redirect_uri", REDIRECT),
            ("scopes", "partner_payments"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(resp).await;
    assert_eq!(status, 200);
    let code = body["code"].as_str().unwrap();
    let (status, tokens) = token(&h, &code_form(code)).await;
    assert_eq!((status, tokens["scope"].as_str().unwrap()), (200, "partner_payments"));
}
