//! Wordapp flows against the fake Wordapp (document 004).

mod flows_support;

use flows_support::*;
use latch_core::ErrorKind;
use latch_core::flows::{CallbackParams, RevokeOutcome};
use latch_core::model::{Grant, ProviderSettings};
use latch_core::secret::Password;
use latch_sandbox::Consent;

#[tokio::test]
async fn wordapp_password_grant_accepts_username_or_email_and_keeps_no_password() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wordapp(&sb, Grant::Password);
    let by_name = engine
        .password(&account, &secrets, "", Password::new(demo().wordapp_password))
        .await
        .unwrap();
    assert_eq!(by_name.token_type, "bearer");
    assert!(by_name.refresh_token.is_some());
    let token = last(&sb.wordapp().requests(), "wordapp.token");
    assert!(
        token
            .header("content-type")
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    );
    assert_eq!(
        token.form(),
        vec![
            ("grant_type".to_owned(), "password".to_owned()),
            ("username".to_owned(), demo().wordapp_username),
            ("password".to_owned(), demo().wordapp_password),
        ]
    );
    let by_mail = engine
        .password(
            &account,
            &secrets,
            &demo().wordapp_email,
            Password::new(demo().wordapp_password),
        )
        .await;
    assert!(by_mail.is_ok());
    assert_eq!(
        username_sent(&sb),
        demo().wordapp_email,
        "the typed e-mail reached the fake"
    );
    let kept = serde_json::to_string(&by_mail.unwrap()).unwrap();
    assert!(
        !kept.contains(&demo().wordapp_password),
        "the token set carries no password"
    );
}

/// The username the fake received on the last token request.
fn username_sent(sb: &latch_sandbox::Sandbox) -> String {
    last(&sb.wordapp().requests(), "wordapp.token")
        .form()
        .into_iter()
        .find(|(k, _)| k == "username")
        .expect("the password grant sends a username")
        .1
}

/// A typed username wins over the one saved with the account (issue 21: a
/// grant that ignored it passed every core test).
#[tokio::test]
async fn wordapp_password_grant_sends_the_typed_username_not_the_saved_one() {
    let sb = sandbox().await;
    let engine = engine();
    let (mut account, secrets) = wordapp(&sb, Grant::Password);
    let ProviderSettings::Wordapp(settings) = &mut account.settings else {
        unreachable!()
    };
    settings.username = Some("saved-but-not-a-wordapp-user".into());
    for typed in [demo().wordapp_email, demo().wordapp_username] {
        let tokens = engine
            .password(&account, &secrets, &typed, Password::new(demo().wordapp_password))
            .await
            .unwrap_or_else(|e| panic!("{typed}: {e}"));
        assert_eq!(username_sent(&sb), typed, "the fake received the typed username");
        assert_eq!(tokens.scope.as_deref(), Some("public"));
    }
    // Nothing typed: the saved one goes, and the fake refuses it.
    let e = engine
        .password(&account, &secrets, "  ", Password::new(demo().wordapp_password))
        .await
        .unwrap_err();
    assert_eq!(username_sent(&sb), "saved-but-not-a-wordapp-user");
    assert_eq!(e.kind(), ErrorKind::ProviderRefused, "{e}");
}

/// The right password with a wrong typed username is refused by the fake,
/// even though the account's saved username would have worked.
#[tokio::test]
async fn wordapp_password_grant_with_a_wrong_typed_username_is_refused() {
    let sb = sandbox().await;
    let (account, secrets) = wordapp(&sb, Grant::Password);
    let e = engine()
        .password(&account, &secrets, "nobody", Password::new(demo().wordapp_password))
        .await
        .unwrap_err();
    assert_eq!(username_sent(&sb), "nobody");
    assert_eq!(e.kind(), ErrorKind::ProviderRefused, "{e}");
    assert_eq!(
        e.to_string(),
        "Wordapp refused the request (invalid_grant: the username or password is wrong); check them and try again."
    );
}

#[tokio::test]
async fn wordapp_wrong_password_is_explained() {
    let sb = sandbox().await;
    let (account, secrets) = wordapp(&sb, Grant::Password);
    let e = engine()
        .password(&account, &secrets, "demo", Password::new("guess"))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Wordapp refused the request (invalid_grant: the username or password is wrong); check them and try again."
    );
    assert!(!format!("{e:?}").contains("guess"));
}

#[tokio::test]
async fn wordapp_authorization_code_connects() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wordapp(&sb, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    assert!(tokens.expires_at.unwrap() >= now() + 7190);
    let authorize = last(&sb.wordapp().requests(), "wordapp.authorize");
    assert_eq!(authorize.query_param("response_type"), Some("code"));
    assert_eq!(authorize.query_param("redirect_uri"), Some(REDIRECT));
    let keys: Vec<String> = last(&sb.wordapp().requests(), "wordapp.token")
        .form()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        [
            "grant_type",
            "code",
            "redirect_uri",
            "client_id",
            "client_secret",
            "code_verifier"
        ]
    );
    engine
        .probe(&account, &Default::default(), Some(&tokens.access_token))
        .await
        .unwrap();
}

/// Issue 15 item 11: the authorization request carries an S256 challenge,
/// and the fake (as Doorkeeper does) refuses the code without the verifier
/// that proves it — so a flow that drops the verifier fails here.
#[tokio::test]
async fn wordapp_authorization_code_sends_s256_pkce_and_needs_the_verifier() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wordapp(&sb, Grant::AuthorizationCode);
    let (mut pending, callback) = consented(&engine, &account, &secrets).await;
    let verifier = pending.verifier.take().expect("the flow keeps a verifier");
    assert_s256(&last(&sb.wordapp().requests(), "wordapp.authorize"), &verifier);
    let e = refused_exchange(&engine, &account, &secrets, pending, &callback).await;
    assert_eq!(e.kind(), latch_core::ErrorKind::ProviderRefused, "{e}");
    assert_eq!(e.provider_code(), Some("invalid_grant"), "{e}");
}

#[tokio::test]
async fn wordapp_refusal_on_the_consent_screen_is_explained() {
    let sb = sandbox().await;
    sb.wordapp().settings().consent = Consent::Deny;
    let engine = engine();
    let (account, secrets) = wordapp(&sb, Grant::AuthorizationCode);
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
    assert_eq!(
        e.to_string(),
        "Wordapp refused the request (access_denied: the access request was refused on Wordapp's authorization \
         screen); connect the account again and click Authorize."
    );
    assert_eq!(sb.wordapp().count("wordapp.token"), 0);
}

#[tokio::test]
async fn wordapp_client_credentials_gets_a_token() {
    let sb = sandbox().await;
    let (account, secrets) = wordapp(&sb, Grant::ClientCredentials);
    let tokens = engine().client_credentials(&account, &secrets).await.unwrap();
    assert!(tokens.refresh_token.is_none());
    let mut wrong = secrets.clone();
    wrong.client_secret = Some(latch_core::secret::ClientSecret::new("nope"));
    let e = engine().client_credentials(&account, &wrong).await.unwrap_err();
    assert_eq!(e.provider_code(), Some("invalid_client"));
}

#[tokio::test]
async fn wordapp_refresh_kills_the_old_access_token() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wordapp(&sb, Grant::Password);
    let first = engine
        .password(&account, &secrets, "", Password::new(demo().wordapp_password))
        .await
        .unwrap();
    let store = store_with(&account, &secrets, first.clone());
    let renewed = engine.refresh(&account, &store).await.unwrap();
    assert_eq!(
        last(&sb.wordapp().requests(), "wordapp.token").form(),
        vec![
            ("grant_type".to_owned(), "refresh_token".to_owned()),
            (
                "refresh_token".to_owned(),
                first.refresh_token.as_ref().unwrap().secret().to_owned()
            ),
        ]
    );
    assert_ne!(renewed.refresh_token, first.refresh_token);
    engine
        .probe(&account, &Default::default(), Some(&renewed.access_token))
        .await
        .unwrap();
    let e = engine
        .probe(&account, &Default::default(), Some(&first.access_token))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Wordapp no longer accepts this account's authorization (the token was refused with HTTP 401: it expired, \
         was revoked, or a newer sign-in replaced it); connect the account again."
    );
}

#[tokio::test]
async fn wordapp_a_new_sign_in_invalidates_the_previous_token() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wordapp(&sb, Grant::AuthorizationCode);
    let first = connect(&engine, &account, &secrets).await;
    let second = connect(&engine, &account, &secrets).await;
    engine
        .probe(&account, &Default::default(), Some(&second.access_token))
        .await
        .unwrap();
    assert_eq!(
        engine
            .probe(&account, &Default::default(), Some(&first.access_token))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NeedsReconnect
    );
    let e = engine
        .refresh(&account, &store_with(&account, &secrets, first))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
}

#[tokio::test]
async fn wordapp_scope_change_means_reconnect() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wordapp(&sb, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    sb.wordapp()
        .change_app_scopes(&demo().wordapp_client_id, "public write");
    assert_eq!(
        engine
            .probe(&account, &Default::default(), Some(&tokens.access_token))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NeedsReconnect
    );
}

#[tokio::test]
async fn wordapp_revoke_sends_token_and_authorization_header() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, mut secrets) = wordapp(&sb, Grant::Password);
    let tokens = engine
        .password(&account, &secrets, "", Password::new(demo().wordapp_password))
        .await
        .unwrap();
    secrets.tokens = Some(tokens.clone());
    assert_eq!(engine.revoke(&account, &secrets).await.unwrap(), RevokeOutcome::Revoked);
    let revoke = last(&sb.wordapp().requests(), "wordapp.revoke");
    assert_eq!(
        revoke.form(),
        vec![("token".to_owned(), tokens.access_token.secret().to_owned())]
    );
    assert_eq!(
        revoke.header("authorization"),
        Some(format!("Bearer {}", tokens.access_token.secret()).as_str())
    );
    assert_eq!(
        engine
            .probe(&account, &Default::default(), Some(&tokens.access_token))
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NeedsReconnect
    );
    let e = engine
        .refresh(&account, &store_with(&account, &secrets, tokens))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
}

#[tokio::test]
async fn wordapp_probe_sends_the_configured_api_version() {
    let sb = sandbox().await;
    sb.wordapp().settings().api_version = Some("2".into());
    let engine = engine();
    let (mut account, secrets) = wordapp(&sb, Grant::Password);
    let tokens = engine
        .password(&account, &secrets, "", Password::new(demo().wordapp_password))
        .await
        .unwrap();
    let e = engine
        .probe(&account, &Default::default(), Some(&tokens.access_token))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("invalid_api_version"), "{e}");
    assert_eq!(
        last(&sb.wordapp().requests(), "wordapp.me").header("x-api-version"),
        Some("1")
    );
    if let ProviderSettings::Wordapp(s) = &mut account.settings {
        s.api_version = Some("2".into());
    }
    engine
        .probe(&account, &Default::default(), Some(&tokens.access_token))
        .await
        .unwrap();
}

#[tokio::test]
async fn wordapp_revoke_of_an_expired_token_authenticates_as_the_application() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, mut secrets) = wordapp(&sb, Grant::AuthorizationCode);
    let mut tokens = connect(&engine, &account, &secrets).await;
    sb.wordapp().advance(std::time::Duration::from_secs(7201));
    tokens.expires_at = Some(now() - 1);
    secrets.tokens = Some(tokens.clone());
    assert_eq!(engine.revoke(&account, &secrets).await.unwrap(), RevokeOutcome::Revoked);
    let revoke = last(&sb.wordapp().requests(), "wordapp.revoke");
    assert!(revoke.header("authorization").unwrap().starts_with("Basic "));
    let e = engine
        .refresh(&account, &store_with(&account, &secrets, tokens))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect, "the paired refresh token died too");
}
