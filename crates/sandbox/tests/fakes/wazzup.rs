//! Fake Wazzup against document 000 and providers.md §6.1.

use std::time::Duration;

use reqwest::Url;
use serde_json::{Value, json};

use crate::harness::{CHALLENGE, Harness, REDIRECT, VERIFIER, location, param, start, status_json};

const EMAIL: &str = "partner@demo.latch";
const PASSWORD: &str = "demo-partner-password";
const CLIENT_ID: &str = "demo-wazzup-client";

/// Query parameters to change (`None` removes one) on the default authorize request.
type Overrides<'a> = &'a [(&'a str, Option<&'a str>)];

fn authorize_url(h: &Harness, overrides: &[(&str, Option<&str>)]) -> Url {
    let mut params: Vec<(&str, Option<&str>)> = vec![
        ("response_type", Some("code")),
        ("client_id", Some(CLIENT_ID)),
        ("redirect_uri", Some(REDIRECT)),
        ("scope", Some("transport,crm")),
        ("state", Some("state_partner_123")),
        ("code_challenge", Some(CHALLENGE)),
        ("code_challenge_method", Some("S256")),
    ];
    for (k, v) in overrides {
        match params.iter_mut().find(|(pk, _)| pk == k) {
            Some(p) => p.1 = *v,
            None => params.push((k, *v)),
        }
    }
    let mut url = Url::parse(&format!("{}/v2/oauth/authorize", h.sb.wazzup().base_url())).unwrap();
    for (k, v) in params {
        if let Some(v) = v {
            url.query_pairs_mut().append_pair(k, v);
        }
    }
    url
}

async fn get_code(h: &Harness, overrides: &[(&str, Option<&str>)]) -> String {
    let resp = h.http.get(authorize_url(h, overrides)).send().await.unwrap();
    param(&location(&resp), "code").expect("code on the redirect")
}

async fn token(h: &Harness, body: Value) -> (u16, Value) {
    let resp = h
        .http
        .post(format!("{}/v2/oauth/token", h.sb.wazzup().base_url()))
        .basic_auth(EMAIL, Some(PASSWORD))
        .json(&body)
        .send()
        .await
        .unwrap();
    status_json(resp).await
}

fn code_body(code: &str, verifier: Option<&str>) -> Value {
    let mut data = json!({ "code": code, "redirect_uri": REDIRECT, "client_id": CLIENT_ID });
    if let Some(v) = verifier {
        data["code_verifier"] = json!(v);
    }
    json!({ "grant_type": "authorization_code", "authorize_code_data": data })
}

async fn connect(h: &Harness) -> Value {
    let code = get_code(h, &[]).await;
    let (status, body) = token(h, code_body(&code, Some(VERIFIER))).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn probe(h: &Harness, access: &str) -> (u16, Value) {
    let resp = h
        .http
        .get(format!("{}/v2/channels", h.sb.wazzup().base_url()))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    status_json(resp).await
}

fn refresh_body(refresh: &str) -> Value {
    json!({ "grant_type": "refresh_token", "refresh_token_data": { "refresh_token": refresh, "client_id": CLIENT_ID } })
}

#[tokio::test]
async fn wazzup_connect_with_pkce_s256_returns_wrapped_jwt_tokens() {
    let h = start().await;
    let resp = h.http.get(authorize_url(&h, &[])).send().await.unwrap();
    let loc = location(&resp);
    assert_eq!(loc.as_str().split('?').next(), Some(REDIRECT));
    assert_eq!(param(&loc, "state").as_deref(), Some("state_partner_123"));
    let code = param(&loc, "code").unwrap();

    let (status, body) = token(&h, code_body(&code, Some(VERIFIER))).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    let access = data["access_token"].as_str().unwrap();
    assert!(access.starts_with("eyJ") && access.split('.').count() == 3);
    let claims = latch_sandbox::jwt::claims(access).unwrap();
    let ts = body["meta"]["timestamp"].as_u64().unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap(), ts + 86400);
    assert_eq!(claims["sub"], "12345678");
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 86400);
    assert!(data["refresh_token"].as_str().unwrap().starts_with("def50200"));
    assert!(body.get("access_token").is_none(), "tokens sit under data");

    let (status, body) = probe(&h, access).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([]));

    let req =
        h.sb.wazzup()
            .requests()
            .into_iter()
            .find(|r| r.route == "wazzup.token")
            .unwrap();
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert!(req.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(req.json().unwrap()["authorize_code_data"]["code_verifier"], VERIFIER);
}

#[tokio::test]
async fn wazzup_accepts_plain_pkce_in_either_case() {
    let h = start().await;
    for method in ["plain", "PLAIN"] {
        let code = get_code(
            &h,
            &[
                ("code_challenge", Some(VERIFIER)),
                ("code_challenge_method", Some(method)),
            ],
        )
        .await;
        let (status, body) = token(&h, code_body(&code, Some(VERIFIER))).await;
        assert_eq!(status, 200, "{method}: {body}");
    }
}

#[tokio::test]
async fn wazzup_authorize_rejects_bad_requests_with_documented_codes() {
    let h = start().await;
    h.sb.wazzup()
        .settings()
        .partners
        .push(latch_sandbox::wazzup::WazzupPartner {
            email: "sleepy@demo.latch".into(),
            password: "x".into(),
            client_id: "inactive-client".into(),
            active: false,
            allowed_scopes: vec!["transport".into()],
            redirect_uris: vec![REDIRECT.into()],
        });
    let cases: &[(Overrides, u16, &str)] = &[
        (&[("state", None)], 400, "VALIDATION_FAILED"),
        (&[("response_type", Some("token"))], 400, "VALIDATION_FAILED"),
        (&[("code_challenge", Some("short"))], 400, "VALIDATION_FAILED"),
        (&[("client_id", Some("nobody"))], 403, "OAUTH_PARTNER_NOT_FOUND"),
        (
            &[("client_id", Some("inactive-client"))],
            403,
            "OAUTH_PARTNER_NOT_ACTIVE",
        ),
        (
            &[("redirect_uri", Some("https://evil.example/cb"))],
            400,
            "OAUTH_REDIRECT_URI_MISMATCH",
        ),
        (&[("scope", Some("transport,billing"))], 403, "OAUTH_SCOPE_FORBIDDEN"),
        (
            &[("code_challenge_method", Some("S512"))],
            400,
            "OAUTH_CODE_CHALLENGE_METHOD_UNSUPPORTED",
        ),
    ];
    for (overrides, want_status, want_code) in cases {
        let resp = h.http.get(authorize_url(&h, overrides)).send().await.unwrap();
        assert!(
            resp.headers().get("location").is_none(),
            "{want_code}: must not redirect"
        );
        let (status, body) = status_json(resp).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (*want_status, *want_code),
            "{overrides:?}"
        );
        assert!(body["description"].as_str().is_some_and(|d| !d.is_empty()));
    }
}

#[tokio::test]
async fn wazzup_authorize_accepts_scope_with_space_after_comma() {
    let h = start().await;
    let code = get_code(&h, &[("scope", Some("transport, crm"))]).await;
    assert!(!code.is_empty());
}

#[tokio::test]
async fn wazzup_authorize_errors_can_be_redirects_but_never_to_unregistered_uris() {
    let h = start().await;
    h.sb.wazzup().settings().authorize_errors_redirect = true;
    let resp = h
        .http
        .get(authorize_url(&h, &[("scope", Some("billing"))]))
        .send()
        .await
        .unwrap();
    let loc = location(&resp);
    assert_eq!(param(&loc, "error").as_deref(), Some("OAUTH_SCOPE_FORBIDDEN"));
    assert_eq!(param(&loc, "state").as_deref(), Some("state_partner_123"));
    let resp = h
        .http
        .get(authorize_url(&h, &[("redirect_uri", Some("https://evil.example/cb"))]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
}

#[tokio::test]
async fn wazzup_token_checks_partner_basic_auth() {
    let h = start().await;
    let code = get_code(&h, &[]).await;
    let url = format!("{}/v2/oauth/token", h.sb.wazzup().base_url());
    let no_header = h
        .http
        .post(&url)
        .json(&code_body(&code, Some(VERIFIER)))
        .send()
        .await
        .unwrap();
    let wrong = h
        .http
        .post(&url)
        .basic_auth(EMAIL, Some("wrong"))
        .json(&code_body(&code, Some(VERIFIER)));
    let bearer = h
        .http
        .post(&url)
        .bearer_auth("abc")
        .json(&code_body(&code, Some(VERIFIER)));
    for resp in [no_header, wrong.send().await.unwrap(), bearer.send().await.unwrap()] {
        let (status, body) = status_json(resp).await;
        assert_eq!(
            (status, body["error"].as_str().unwrap()),
            (401, "OAUTH_AUTHORIZATION_HEADER_INVALID")
        );
    }
    // The code was not used up by the failed attempts.
    assert_eq!(token(&h, code_body(&code, Some(VERIFIER))).await.0, 200);
}

#[tokio::test]
async fn wazzup_token_rejects_form_bodies_and_bad_shapes() {
    let h = start().await;
    let code = get_code(&h, &[]).await;
    let resp = h
        .http
        .post(format!("{}/v2/oauth/token", h.sb.wazzup().base_url()))
        .basic_auth(EMAIL, Some(PASSWORD))
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(resp).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "VALIDATION_FAILED"));

    let cases = [
        (
            json!({ "grant_type": "authorization_code", "code": code }),
            400,
            "VALIDATION_FAILED",
        ),
        (json!({ "authorize_code_data": {} }), 400, "VALIDATION_FAILED"),
        (json!({ "grant_type": "password" }), 400, "OAUTH_INVALID_GRANT_TYPE"),
        (
            json!({ "grant_type": "authorization_code", "authorize_code_data": { "code": code, "redirect_uri": REDIRECT } }),
            400,
            "VALIDATION_FAILED",
        ),
    ];
    for (body, want_status, want) in cases {
        let (status, answer) = token(&h, body.clone()).await;
        assert_eq!(
            (status, answer["error"].as_str().unwrap()),
            (want_status, want),
            "{body}"
        );
    }
}

#[tokio::test]
async fn wazzup_code_exchange_errors_follow_the_table() {
    let h = start().await;
    let code = get_code(&h, &[]).await;
    let mut wrong_client = code_body(&code, Some(VERIFIER));
    wrong_client["authorize_code_data"]["client_id"] = json!("someone-else");
    let mut wrong_redirect = code_body(&code, Some(VERIFIER));
    wrong_redirect["authorize_code_data"]["redirect_uri"] = json!("http://127.0.0.1:8976/callback");
    let cases = [
        (
            code_body("not-a-code", Some(VERIFIER)),
            401,
            "OAUTH_AUTHORIZATION_CODE_INVALID",
        ),
        (wrong_client, 401, "OAUTH_CLIENT_ID_MISMATCH"),
        (wrong_redirect, 400, "OAUTH_REDIRECT_URI_MISMATCH"),
        (code_body(&code, None), 401, "OAUTH_CODE_VERIFIER"),
        (code_body(&code, Some(&"x".repeat(43))), 401, "OAUTH_CODE_VERIFIER"),
        (code_body(&code, Some("too-short")), 400, "VALIDATION_FAILED"),
    ];
    for (body, want_status, want) in cases {
        let (status, answer) = token(&h, body.clone()).await;
        assert_eq!(
            (status, answer["error"].as_str().unwrap()),
            (want_status, want),
            "{body}"
        );
    }
    h.sb.wazzup().settings().malformed_verifier_is_validation_failed = false;
    let (_, answer) = token(&h, code_body(&code, Some("too-short"))).await;
    assert_eq!(answer["error"], "OAUTH_CODE_VERIFIER");
}

#[tokio::test]
async fn wazzup_code_is_single_use() {
    let h = start().await;
    let code = get_code(&h, &[]).await;
    assert_eq!(token(&h, code_body(&code, Some(VERIFIER))).await.0, 200);
    let (status, body) = token(&h, code_body(&code, Some(VERIFIER))).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "OAUTH_AUTHORIZATION_CODE_INVALID")
    );
}

#[tokio::test]
async fn wazzup_code_expires_on_the_fake_clock() {
    let h = start().await;
    h.sb.wazzup().settings().code_ttl = Duration::from_secs(60);
    let code = get_code(&h, &[]).await;
    h.sb.wazzup().advance(Duration::from_secs(61));
    let (_, body) = token(&h, code_body(&code, Some(VERIFIER))).await;
    assert_eq!(body["error"], "OAUTH_AUTHORIZATION_CODE_INVALID");
}

#[tokio::test]
async fn wazzup_refresh_rotates_and_kills_the_old_refresh_token() {
    let h = start().await;
    let first = connect(&h).await;
    let old = first["data"]["refresh_token"].as_str().unwrap();
    let (status, second) = token(&h, refresh_body(old)).await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["data"]["refresh_token"], first["data"]["refresh_token"]);
    assert_ne!(second["data"]["access_token"], first["data"]["access_token"]);
    let (status, body) = token(&h, refresh_body(old)).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "OAUTH_REFRESH_TOKEN_INVALID")
    );
}

#[tokio::test]
async fn wazzup_refresh_without_rotation_keeps_the_same_refresh_token() {
    let h = start().await;
    h.sb.wazzup().settings().rotate_refresh_tokens = false;
    let first = connect(&h).await;
    let old = first["data"]["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let (status, body) = token(&h, refresh_body(old)).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["refresh_token"], old);
    }
}

#[tokio::test]
async fn wazzup_refresh_can_answer_without_a_refresh_token() {
    let h = start().await;
    h.sb.wazzup().settings().refresh_returns_refresh_token = false;
    let first = connect(&h).await;
    let (status, body) = token(&h, refresh_body(first["data"]["refresh_token"].as_str().unwrap())).await;
    assert_eq!(status, 200);
    assert!(body["data"].get("refresh_token").is_none());
}

#[tokio::test]
async fn wazzup_refresh_body_shape_and_client_are_checked() {
    let h = start().await;
    let first = connect(&h).await;
    let refresh = first["data"]["refresh_token"].as_str().unwrap();
    let top_level = json!({ "grant_type": "refresh_token", "refresh_token": refresh });
    let (status, body) = token(&h, top_level.clone()).await;
    assert_eq!((status, body["error"].as_str().unwrap()), (400, "VALIDATION_FAILED"));
    let mut wrong_client = refresh_body(refresh);
    wrong_client["refresh_token_data"]["client_id"] = json!("other");
    let (_, body) = token(&h, wrong_client).await;
    assert_eq!(body["error"], "OAUTH_CLIENT_ID_MISMATCH");
    h.sb.wazzup().settings().accept_top_level_refresh_token = true;
    assert_eq!(token(&h, top_level).await.0, 200);
}

#[tokio::test]
async fn wazzup_probe_tells_expired_from_revoked_tokens() {
    let h = start().await;
    let first = connect(&h).await;
    let access = first["data"]["access_token"].as_str().unwrap().to_owned();
    h.sb.wazzup().advance(Duration::from_secs(86400));
    let (status, body) = probe(&h, &access).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "OAUTH_TOKEN_INVALID_OR_EXPIRED")
    );

    let second = connect(&h).await;
    let access = second["data"]["access_token"].as_str().unwrap();
    assert!(h.sb.wazzup().revoke_token(access));
    let (status, body) = probe(&h, access).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (401, "OAUTH_TOKEN_UNKNOWN_OR_REVOKED")
    );
    let (_, body) = probe(&h, "made-up").await;
    assert_eq!(body["error"], "OAUTH_TOKEN_UNKNOWN_OR_REVOKED");
}

#[tokio::test]
async fn wazzup_access_tokens_can_be_opaque() {
    let h = start().await;
    h.sb.wazzup().settings().jwt_access_tokens = false;
    let body = connect(&h).await;
    let access = body["data"]["access_token"].as_str().unwrap();
    assert!(!access.starts_with("eyJ") && !access.contains('.'));
    assert_eq!(probe(&h, access).await.0, 200);
}

#[tokio::test]
async fn wazzup_machine_token_exchanges_for_a_customer_token() {
    let h = start().await;
    let (status, machine) = token(
        &h,
        json!({ "grant_type": "client_credentials", "client_credentials_data": { "scope": "transport,crm" } }),
    )
    .await;
    assert_eq!(status, 200, "{machine}");
    assert!(machine["data"].get("refresh_token").is_none());
    let machine_token = machine["data"]["access_token"].as_str().unwrap();
    // A machine token is not a customer token.
    assert_eq!(probe(&h, machine_token).await.0, 401);

    let exchange = |token_type: &str, account: &str| {
        json!({ "grant_type": "token_exchange", "token_exchange_data": {
            "subject_token": machine_token, "subject_token_type": token_type, "account_id": account } })
    };
    let at = "urn:ietf:params:oauth:token-type:access_token";
    let (status, body) = token(&h, exchange(at, "12345678")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(probe(&h, body["data"]["access_token"].as_str().unwrap()).await.0, 200);

    let (_, body) = token(&h, exchange("jwt", "12345678")).await;
    assert_eq!(body["error"], "OAUTH_SUBJECT_TOKEN_TYPE_INVALID");
    let (_, body) = token(&h, exchange(at, "99999999")).await;
    assert_eq!(body["error"], "OAUTH_CLIENT_NOT_BELONGS_TO_PARTNER");
    let mut bad = exchange(at, "12345678");
    bad["token_exchange_data"]["subject_token"] = json!("nope");
    let (_, body) = token(&h, bad).await;
    assert_eq!(body["error"], "OAUTH_INVALID_PARTNER_TOKEN");

    let (status, body) = token(
        &h,
        json!({ "grant_type": "client_credentials", "client_credentials_data": { "scope": "billing" } }),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (403, "OAUTH_SCOPE_FORBIDDEN")
    );
}

#[tokio::test]
async fn wazzup_error_names_and_statuses_are_configurable() {
    let h = start().await;
    {
        let mut s = h.sb.wazzup().settings();
        s.codes.authorization_code_invalid = "OAUTH_AUTHORIZATION_CODE_EXPIRED".into();
        s.statuses.insert("OAUTH_AUTHORIZATION_CODE_EXPIRED".into(), 422);
    }
    let (status, body) = token(&h, code_body("nope", Some(VERIFIER))).await;
    assert_eq!(
        (status, body["error"].as_str().unwrap()),
        (422, "OAUTH_AUTHORIZATION_CODE_EXPIRED")
    );
}
