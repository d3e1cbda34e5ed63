//! "Other OAuth 2.0" flows against the fake RFC 6749 / 7636 / 7009 server.

mod flows_support;

use base64::Engine as _;
use flows_support::*;
use latch_core::ErrorKind;
use latch_core::flows::{CallbackParams, RevokeOutcome};
use latch_core::model::{ClientAuth, Grant};
use latch_core::secret::Password;
use latch_sandbox::oauth2::ClientAuthMode;

#[tokio::test]
async fn oauth2_code_flow_with_pkce_and_basic_client_auth() {
    let sb = sandbox().await;
    sb.oauth2().settings().client_auth = ClientAuthMode::Basic;
    sb.oauth2().settings().require_pkce = true;
    let engine = engine();
    let (account, secrets) = oauth2(&sb, ClientAuth::Basic, true, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    assert!(tokens.refresh_token.is_some());
    let requests = sb.oauth2().requests();
    let authorize = last(&requests, "oauth2.authorize");
    assert_eq!(
        authorize.query_param("scope"),
        Some("read write"),
        "space-joined (RFC 6749 §3.3)"
    );
    assert_eq!(authorize.query_param("code_challenge_method"), Some("S256"));
    let token = last(&requests, "oauth2.token");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        demo().oauth2_client_id,
        demo().oauth2_client_secret
    ));
    assert_eq!(token.header("authorization"), Some(format!("Basic {basic}").as_str()));
    assert!(
        !token.form().iter().any(|(k, _)| k == "client_secret"),
        "the secret is not also in the body"
    );
    assert!(token.form().iter().any(|(k, _)| k == "code_verifier"));
}

#[tokio::test]
async fn oauth2_body_client_auth_where_the_server_wants_it() {
    let sb = sandbox().await;
    sb.oauth2().settings().client_auth = ClientAuthMode::Body;
    let engine = engine();
    let (account, secrets) = oauth2(&sb, ClientAuth::Body, false, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    let token = last(&sb.oauth2().requests(), "oauth2.token");
    assert!(token.header("authorization").is_none());
    assert!(
        token
            .form()
            .contains(&("client_secret".into(), demo().oauth2_client_secret))
    );
    let store = store_with(&account, &secrets, tokens.clone());
    let renewed = engine.refresh(&account, &store).await.unwrap();
    assert_ne!(renewed.refresh_token, tokens.refresh_token);
}

#[tokio::test]
async fn oauth2_wrong_client_auth_method_is_explained() {
    let sb = sandbox().await;
    sb.oauth2().settings().client_auth = ClientAuthMode::Basic;
    let (account, secrets) = oauth2(&sb, ClientAuth::Body, false, Grant::ClientCredentials);
    let e = engine().client_credentials(&account, &secrets).await.unwrap_err();
    assert_eq!(e.provider_code(), Some("invalid_client"));
    assert!(
        e.to_string()
            .contains("check the client id, the client secret and the client authentication method"),
        "{e}"
    );
}

#[tokio::test]
async fn oauth2_wrong_verifier_is_refused_by_the_server() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = oauth2(&sb, ClientAuth::Basic, true, Grant::AuthorizationCode);
    let (mut pending, callback) = consented(&engine, &account, &secrets).await;
    pending.verifier = Some(latch_core::pkce::new_verifier().unwrap());
    let e = engine
        .complete(
            &account,
            &secrets,
            pending,
            CallbackParams::from_url(&callback).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.provider_code(), Some("invalid_grant"));
    assert_eq!(e.kind(), ErrorKind::ProviderRefused);
}

#[tokio::test]
async fn oauth2_password_and_client_credentials_grants() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = oauth2(&sb, ClientAuth::Basic, false, Grant::Password);
    let tokens = engine
        .password(&account, &secrets, "demo", Password::new(demo().oauth2_password))
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_some());
    let (account, secrets) = oauth2(&sb, ClientAuth::Basic, false, Grant::ClientCredentials);
    let machine = engine.client_credentials(&account, &secrets).await.unwrap();
    // Without a refresh token, a client-credentials account renews by running the grant again.
    let mut expiring = machine.clone();
    expiring.expires_at = Some(now() + 5);
    let store = store_with(&account, &secrets, expiring);
    let renewed = engine
        .valid_token(&account, &store, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_ne!(renewed.access_token, machine.access_token);
}

#[tokio::test]
async fn oauth2_revoke_refresh_token_first_with_hint() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, mut secrets) = oauth2(&sb, ClientAuth::Basic, true, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    secrets.tokens = Some(tokens.clone());
    assert_eq!(engine.revoke(&account, &secrets).await.unwrap(), RevokeOutcome::Revoked);
    let revokes: Vec<_> = sb
        .oauth2()
        .requests()
        .into_iter()
        .filter(|r| r.route == "oauth2.revoke")
        .collect();
    assert_eq!(revokes.len(), 2);
    assert!(
        revokes[0]
            .form()
            .contains(&("token_type_hint".into(), "refresh_token".into()))
    );
    assert!(
        revokes[1]
            .form()
            .contains(&("token_type_hint".into(), "access_token".into()))
    );
    let e = engine
        .refresh(&account, &store_with(&account, &secrets, tokens))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
}

#[tokio::test]
async fn oauth2_revoke_unavailable_keeps_the_token() {
    let sb = sandbox().await;
    sb.oauth2().settings().revoke_unavailable = true;
    let engine = engine();
    let (account, mut secrets) = oauth2(&sb, ClientAuth::Basic, true, Grant::AuthorizationCode);
    secrets.tokens = Some(connect(&engine, &account, &secrets).await);
    let outcome = engine.revoke(&account, &secrets).await.unwrap();
    assert_eq!(outcome, RevokeOutcome::StillValid);
    assert_eq!(
        outcome.message("Other OAuth 2.0"),
        "Other OAuth 2.0 could not revoke the token right now (HTTP 503), so it is still valid and Latch keeps it; try again later."
    );
}

#[tokio::test]
async fn oauth2_without_a_revoke_url_says_the_token_stays_valid() {
    let sb = sandbox().await;
    let engine = engine();
    let (mut account, mut secrets) = oauth2(&sb, ClientAuth::Basic, true, Grant::AuthorizationCode);
    if let latch_core::model::ProviderSettings::Oauth2(s) = &mut account.settings {
        s.revoke_url = None;
    }
    secrets.tokens = Some(connect(&engine, &account, &secrets).await);
    let outcome = engine.revoke(&account, &secrets).await.unwrap();
    assert!(matches!(outcome, RevokeOutcome::NotSupported { .. }));
    assert_eq!(sb.oauth2().count("oauth2.revoke"), 0);
}

#[tokio::test]
async fn oauth2_denied_consent_is_explained() {
    let sb = sandbox().await;
    sb.oauth2().settings().consent = latch_sandbox::Consent::Deny;
    let engine = engine();
    let (account, secrets) = oauth2(&sb, ClientAuth::Basic, true, Grant::AuthorizationCode);
    let (pending, callback) = consented(&engine, &account, &secrets).await;
    let e = engine
        .complete(
            &account,
            &secrets,
            pending,
            CallbackParams::from_url(&callback).unwrap(),
        )
        .await
        .unwrap_err();
    // Issue 19: "Other OAuth 2.0 refused…" named no server; now its address.
    let server = url::Url::parse(&sb.oauth2().base_url()).unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "127.0.0.1:{} refused the request (access_denied: the access request was refused); connect the account \
             again and approve the request.",
            server.port().unwrap()
        )
    );
}

/// Issue 17, item 5: a server that says when its refresh tokens end
/// (Keycloak's `refresh_expires_in`) has that end kept with the token set
/// and in the index's part of it, for the warning ahead of it; a refresh
/// answer with a new refresh token brings a new end, one that keeps the
/// old refresh token keeps the old end.
#[tokio::test]
async fn oauth2_a_refresh_tokens_end_is_kept_where_the_server_says_it() {
    let sb = sandbox().await;
    sb.oauth2().settings().client_auth = ClientAuthMode::Basic;
    sb.oauth2().settings().refresh_expires_in = Some(1800);
    let engine = engine();
    let (account, secrets) = oauth2(&sb, ClientAuth::Basic, true, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    assert_eq!(tokens.refresh_expires_at, Some(tokens.obtained_at + 1800));
    assert_eq!(
        tokens.meta().refresh_expires_at,
        tokens.refresh_expires_at,
        "in the index's part"
    );

    sb.oauth2().settings().refresh_expires_in = Some(900);
    let store = store_with(&account, &secrets, tokens.clone());
    let renewed = engine.refresh(&account, &store).await.unwrap();
    assert_ne!(renewed.refresh_token, tokens.refresh_token, "rotated");
    assert_eq!(renewed.refresh_expires_at, Some(renewed.obtained_at + 900));
}

/// The claims of the `client_assertion` a recorded request carried.
fn assertion_claims(request: &latch_sandbox::RecordedRequest) -> serde_json::Value {
    let form = request.form();
    assert!(
        form.contains(&("client_assertion_type".into(), latch_core::jose::ASSERTION_TYPE.into())),
        "{form:?}"
    );
    let (_, assertion) = form
        .iter()
        .find(|(k, _)| k == "client_assertion")
        .expect("an assertion");
    latch_core::jwt::claims(assertion).expect("a JWT")
}

#[tokio::test]
async fn oauth2_client_secret_jwt_signs_with_the_secret_and_never_sends_it() {
    let sb = sandbox().await;
    sb.oauth2().settings().client_auth = ClientAuthMode::SecretJwt;
    let engine = engine();
    let (account, mut secrets) = oauth2(&sb, ClientAuth::SecretJwt, true, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    let store = store_with(&account, &secrets, tokens.clone());
    let renewed = engine.refresh(&account, &store).await.unwrap();
    secrets.tokens = Some(renewed);
    assert_eq!(engine.revoke(&account, &secrets).await.unwrap(), RevokeOutcome::Revoked);

    let sent: Vec<_> = sb
        .oauth2()
        .requests()
        .into_iter()
        .filter(|r| r.route == "oauth2.token" || r.route == "oauth2.revoke")
        .collect();
    assert_eq!(sent.len(), 4, "exchange, refresh and two revocations");
    let mut jtis = Vec::new();
    for request in &sent {
        assert!(request.header("authorization").is_none(), "{}", request.route);
        assert!(
            !request.form().iter().any(|(k, _)| k == "client_secret"),
            "{}",
            request.route
        );
        let claims = assertion_claims(request);
        assert_eq!(claims["aud"], sb.oauth2().token_url());
        assert_eq!(claims["iss"], demo().oauth2_client_id);
        jtis.push(claims["jti"].to_string());
    }
    jtis.dedup();
    assert_eq!(jtis.len(), 4, "a new jti for each request");
}

#[tokio::test]
async fn oauth2_private_key_jwt_with_the_key_latch_made() {
    let sb = sandbox().await;
    sb.oauth2().settings().client_auth = ClientAuthMode::PrivateKeyJwt;
    let engine = engine();
    let (account, secrets) = oauth2(&sb, ClientAuth::PrivateKeyJwt, false, Grant::ClientCredentials);
    assert!(secrets.client_secret.is_none() && secrets.private_key.is_some());
    engine.client_credentials(&account, &secrets).await.unwrap();
    let token = last(&sb.oauth2().requests(), "oauth2.token");
    let (_, assertion) = token.form().into_iter().find(|(k, _)| k == "client_assertion").unwrap();
    let header = jsonwebtoken::decode_header(&assertion).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(assertion_claims(&token)["sub"], demo().oauth2_client_id);

    // A key the server does not know (a new pair not yet registered) is
    // refused in words that name the way out.
    sb.oauth2().settings().clients[0].jwks.clear();
    let e = engine.client_credentials(&account, &secrets).await.unwrap_err();
    assert_eq!(e.provider_code(), Some("invalid_client"));
    assert!(e.to_string().contains("client authentication method"), "{e}");
}

#[tokio::test]
async fn oauth2_an_assertion_account_without_its_key_says_what_to_do() {
    let sb = sandbox().await;
    let (account, mut secrets) = oauth2(&sb, ClientAuth::PrivateKeyJwt, false, Grant::ClientCredentials);
    secrets.private_key = None;
    let e = engine().client_credentials(&account, &secrets).await.unwrap_err();
    assert!(e.to_string().contains("latch key <account> --new"), "{e}");
    assert!(
        sb.oauth2().requests().iter().all(|r| r.route != "oauth2.token"),
        "nothing sent"
    );
}
