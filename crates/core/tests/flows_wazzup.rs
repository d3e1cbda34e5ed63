//! Wazzup flows against the fake Wazzup (document 000).

mod flows_support;

use base64::Engine as _;
use flows_support::*;
use latch_core::ErrorKind;
use latch_core::flows::{CallbackParams, PendingFlow, RevokeOutcome};
use latch_core::model::{Grant, ProviderSettings};
use latch_core::secret::{Password, PkceVerifier, State};
use latch_core::store::SecretStore;
use serde_json::json;
use std::time::Duration;

fn wazzup_settings(account: &mut latch_core::Account) -> &mut latch_core::model::WazzupSettings {
    match &mut account.settings {
        ProviderSettings::Wazzup(s) => s,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn wazzup_connect_follows_the_document_to_the_letter() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let before = now();
    let tokens = connect(&engine, &account, &secrets).await;

    let requests = sb.wazzup().requests();
    let authorize = last(&requests, "wazzup.authorize");
    let q = |k| authorize.query_param(k).unwrap_or_default().to_owned();
    assert_eq!(q("response_type"), "code");
    assert_eq!(q("client_id"), demo().wazzup_client_id);
    assert_eq!(q("redirect_uri"), REDIRECT);
    assert_eq!(q("scope"), "transport,crm");
    assert_eq!(q("code_challenge_method"), "S256");
    assert!(q("state").len() >= 22, "state of at least 128 bits");

    let token = last(&requests, "wazzup.token");
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", demo().wazzup_email, demo().wazzup_password));
    assert_eq!(token.header("authorization"), Some(format!("Basic {basic}").as_str()));
    assert!(
        token.header("content-type").unwrap().starts_with("application/json"),
        "JSON, never a form"
    );
    let body = token.json().expect("a JSON body");
    assert_eq!(body["grant_type"], "authorization_code");
    let data = &body["authorize_code_data"];
    assert_eq!(data["redirect_uri"], REDIRECT);
    assert_eq!(data["client_id"], demo().wazzup_client_id);
    let verifier = data["code_verifier"].as_str().unwrap();
    assert_eq!(
        latch_core::pkce::challenge(&PkceVerifier::new(verifier), latch_core::pkce::ChallengeMethod::S256),
        q("code_challenge")
    );
    assert!(token.header("user-agent").unwrap().starts_with("Latch/"));

    assert!(tokens.access_token.secret().starts_with("eyJ"));
    assert!(tokens.refresh_token.as_ref().unwrap().secret().starts_with("def50200"));
    let expires_at = tokens.expires_at.unwrap();
    assert!(
        (before + 86400..=now() + 86400).contains(&expires_at),
        "receive time + expires_in"
    );
}

#[tokio::test]
async fn wazzup_wrong_partner_password_is_explained() {
    let sb = sandbox().await;
    let (account, mut secrets) = wazzup(&sb, Grant::ClientCredentials);
    secrets.partner_login.as_mut().unwrap().password = Password::new("not-the-password");
    let e = engine().client_credentials(&account, &secrets).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Wazzup refused the request (OAUTH_AUTHORIZATION_HEADER_INVALID: the Authorization header was not accepted); \
         check the partner e-mail and password in the account settings."
    );
    assert!(!e.to_string().contains("not-the-password"));
}

#[tokio::test]
async fn wazzup_wrong_verifier_is_refused_by_the_fake() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
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
    assert_eq!(e.provider_code(), Some("OAUTH_CODE_VERIFIER"));
    assert!(
        e.to_string().contains("the PKCE code_verifier is missing or wrong"),
        "{e}"
    );
}

#[tokio::test]
async fn wazzup_code_is_single_use_and_expires() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let (pending, callback) = consented(&engine, &account, &secrets).await;
    let saved = pending.to_secrets();
    engine
        .complete(
            &account,
            &secrets,
            pending,
            CallbackParams::from_url(&callback).unwrap(),
        )
        .await
        .unwrap();
    // The same code again (e.g. a replayed deep link for a restored flow).
    let replay = PendingFlow::from_secrets(&account, saved);
    let e = engine
        .complete(&account, &secrets, replay, CallbackParams::from_url(&callback).unwrap())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("the authorization code is invalid: it expired or does not belong to your client"),
        "{e}"
    );

    let (pending, callback) = consented(&engine, &account, &secrets).await;
    sb.wazzup().advance(Duration::from_secs(11 * 60));
    let e = engine
        .complete(
            &account,
            &secrets,
            pending,
            CallbackParams::from_url(&callback).unwrap(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.provider_code(), Some("OAUTH_AUTHORIZATION_CODE_INVALID"));
}

#[tokio::test]
async fn wazzup_redirect_and_client_id_mismatches_are_explained() {
    let sb = sandbox().await;
    let engine = engine();
    let (mut account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let (mut pending, callback) = consented(&engine, &account, &secrets).await;
    pending.redirect_uri = OTHER_REDIRECT.into();
    let mut params = CallbackParams::from_url(&callback).unwrap();
    params.redirect_base = None;
    let e = engine.complete(&account, &secrets, pending, params).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("use the redirect_uri agreed upon with Wazzup in the account settings"),
        "{e}"
    );

    let (pending, callback) = consented(&engine, &account, &secrets).await;
    wazzup_settings(&mut account).client_id = "someone-elses-client".into();
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
        "Wazzup refused the request (OAUTH_CLIENT_ID_MISMATCH: the client_id does not belong to your application); \
         check the client id in the account settings."
    );
}

#[tokio::test]
async fn wazzup_forbidden_scope_on_the_redirect_is_explained() {
    let sb = sandbox().await;
    sb.wazzup().settings().authorize_errors_redirect = true;
    let engine = engine();
    let (mut account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    wazzup_settings(&mut account).scopes = vec!["transport".into(), "billing".into()];
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
        "Wazzup refused the request (OAUTH_SCOPE_FORBIDDEN: the requested scope is not permitted); agree the \
         requested permissions (scope) with your Wazzup manager."
    );
    assert_eq!(
        sb.wazzup().count("wazzup.token"),
        0,
        "nothing is exchanged after an error"
    );
}

#[tokio::test]
async fn wazzup_inactive_partner_is_told_to_call_the_manager() {
    let sb = sandbox().await;
    sb.wazzup().settings().partners[0].active = false;
    let (account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    let e = engine().client_credentials(&account, &secrets).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("contact your Wazzup manager to activate the partner account"),
        "{e}"
    );
}

#[tokio::test]
async fn wazzup_machine_token_uses_client_credentials_data() {
    let sb = sandbox().await;
    let (account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    let tokens = engine().client_credentials(&account, &secrets).await.unwrap();
    assert!(tokens.refresh_token.is_none());
    let body = last(&sb.wazzup().requests(), "wazzup.token").json().unwrap();
    assert_eq!(
        body,
        json!({"grant_type": "client_credentials", "client_credentials_data": {"scope": "transport,crm"}})
    );
}

#[tokio::test]
async fn wazzup_refresh_keeps_the_new_refresh_token() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let first = connect(&engine, &account, &secrets).await;
    let store = store_with(&account, &secrets, first.clone());
    let renewed = engine.refresh(&account, &store).await.unwrap();
    assert_ne!(renewed.refresh_token, first.refresh_token, "the fake rotates");
    assert_eq!(stored(&store, &account), renewed, "written to the store");
    let body = last(&sb.wazzup().requests(), "wazzup.token").json().unwrap();
    assert_eq!(body["grant_type"], "refresh_token");
    assert_eq!(
        body["refresh_token_data"]["refresh_token"],
        first.refresh_token.unwrap().secret()
    );
    assert_eq!(body["refresh_token_data"]["client_id"], demo().wazzup_client_id);
    // The kept token works: a second refresh succeeds.
    engine.refresh(&account, &store).await.unwrap();
}

#[tokio::test]
async fn wazzup_refresh_keeps_old_refresh_token_when_none_returned() {
    let sb = sandbox().await;
    {
        let mut s = sb.wazzup().settings();
        s.refresh_returns_refresh_token = false;
        s.rotate_refresh_tokens = false;
    }
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let first = connect(&engine, &account, &secrets).await;
    let store = store_with(&account, &secrets, first.clone());
    let renewed = engine.refresh(&account, &store).await.unwrap();
    assert_ne!(renewed.access_token, first.access_token);
    assert_eq!(renewed.refresh_token, first.refresh_token);
    assert_eq!(stored(&store, &account).refresh_token, first.refresh_token);
}

#[tokio::test]
async fn wazzup_two_concurrent_refreshes_make_one_call() {
    use latch_sandbox::{Fault, FaultKind};
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let store = store_with(&account, &secrets, connect(&engine, &account, &secrets).await);
    let calls = sb.wazzup().count("wazzup.token");
    // The fake answers slowly, so the second caller surely arrives mid-flight.
    sb.wazzup().inject(
        "wazzup.token",
        Fault::once(FaultKind::Delay(Duration::from_millis(300))),
    );
    let (a, b) = tokio::join!(engine.refresh(&account, &store), engine.refresh(&account, &store));
    assert_eq!(
        sb.wazzup().count("wazzup.token"),
        calls + 1,
        "one request for two callers"
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert_eq!(stored(&store, &account), a);
    // With rotation on, a second request would have used a dead refresh token:
    // the next refresh works only because exactly one happened.
    engine.refresh(&account, &store).await.unwrap();
}

#[tokio::test]
async fn wazzup_revoked_refresh_token_needs_a_reconnect_and_loses_nothing() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let first = connect(&engine, &account, &secrets).await;
    assert!(
        sb.wazzup()
            .revoke_refresh_token(first.refresh_token.as_ref().unwrap().secret())
    );
    let store = store_with(&account, &secrets, first.clone());
    let e = engine.refresh(&account, &store).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
    assert_eq!(
        e.to_string(),
        "Wazzup no longer accepts this account's authorization (the refresh token is invalid or expired, so the \
         whole authorization must be repeated); connect the account again."
    );
    assert_eq!(stored(&store, &account), first, "the stored set is untouched");
}

/// A store whose first read is stale: another process rotated the tokens
/// between our read and the provider's answer.
struct RotatedMeanwhile {
    inner: latch_core::store::MemoryStore,
    stale: std::sync::Mutex<Option<latch_core::AccountSecrets>>,
}

impl SecretStore for RotatedMeanwhile {
    fn get(
        &self,
        id: &latch_core::AccountId,
    ) -> Result<Option<latch_core::AccountSecrets>, latch_core::store::SecretStoreError> {
        match self.stale.lock().unwrap().take() {
            Some(stale) => Ok(Some(stale)),
            None => self.inner.get(id),
        }
    }
    fn put(
        &self,
        id: &latch_core::AccountId,
        s: &latch_core::AccountSecrets,
    ) -> Result<(), latch_core::store::SecretStoreError> {
        self.inner.put(id, s)
    }
    fn delete(&self, id: &latch_core::AccountId) -> Result<(), latch_core::store::SecretStoreError> {
        self.inner.delete(id)
    }
}

#[tokio::test]
async fn wazzup_refresh_rotated_by_another_process_rereads_the_store() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let old = connect(&engine, &account, &secrets).await;
    // "Another process" refreshes: the old refresh token dies (rotation), the store holds the new set.
    let other = store_with(&account, &secrets, old.clone());
    let theirs = latch_core::Engine::new(Default::default())
        .unwrap()
        .refresh(&account, &other)
        .await
        .unwrap();
    let store = RotatedMeanwhile {
        inner: other,
        stale: std::sync::Mutex::new(Some(latch_core::AccountSecrets {
            tokens: Some(old.clone()),
            ..secrets.clone()
        })),
    };
    let calls = sb.wazzup().count("wazzup.token");
    let got = engine
        .refresh(&account, &store)
        .await
        .expect("the rotated set is used, not a reconnect");
    assert_eq!(got, theirs);
    assert_eq!(
        sb.wazzup().count("wazzup.token"),
        calls + 1,
        "one refused refresh, then the store's fresh set"
    );
}

/// The re-read after a refused refresh compares the whole pair: another
/// process that renewed only the access token (the refresh token stayed)
/// has still renewed the set, and its set is used. (A mutant that compared
/// either token alone declared the account lost.)
#[tokio::test]
async fn a_set_renewed_meanwhile_with_the_same_refresh_token_is_used() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let old = connect(&engine, &account, &secrets).await;
    let other = store_with(&account, &secrets, old.clone());
    let mut theirs = latch_core::Engine::new(Default::default())
        .unwrap()
        .refresh(&account, &other)
        .await
        .unwrap();
    theirs.refresh_token = old.refresh_token.clone();
    let mut kept = other.get(&account.id).unwrap().unwrap();
    kept.tokens = Some(theirs.clone());
    other.put(&account.id, &kept).unwrap();
    let store = RotatedMeanwhile {
        inner: other,
        stale: std::sync::Mutex::new(Some(latch_core::AccountSecrets {
            tokens: Some(old.clone()),
            ..secrets.clone()
        })),
    };
    let got = engine
        .refresh(&account, &store)
        .await
        .expect("the set renewed meanwhile is used");
    assert_eq!(got, theirs);
}

/// Only a refusal of the refresh token sends Latch back to the store: a
/// passing failure (here a 503) is reported as what it was, for the
/// scheduler's backoff, even when the store changed meanwhile.
#[tokio::test]
async fn a_passing_failure_is_reported_as_such_even_if_the_store_changed() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let old = connect(&engine, &account, &secrets).await;
    let other = store_with(&account, &secrets, old.clone());
    latch_core::Engine::new(Default::default())
        .unwrap()
        .refresh(&account, &other)
        .await
        .unwrap();
    let store = RotatedMeanwhile {
        inner: other,
        stale: std::sync::Mutex::new(Some(latch_core::AccountSecrets {
            tokens: Some(old.clone()),
            ..secrets.clone()
        })),
    };
    sb.wazzup().inject(
        "wazzup.token",
        latch_sandbox::Fault::once(latch_sandbox::FaultKind::json_status(
            503,
            json!({"error": "unavailable"}),
        )),
    );
    let e = engine.refresh(&account, &store).await.unwrap_err();
    assert_ne!(e.kind(), ErrorKind::NeedsReconnect, "{e}");
    assert!(e.to_string().contains("Wazzup"), "{e}");
}

/// An account on the code grant whose set has no refresh token cannot be
/// renewed: it needs a person, and nothing is sent (the client credentials
/// grant is only for accounts that use it).
#[tokio::test]
async fn a_code_grant_set_without_a_refresh_token_needs_reconnect_and_sends_nothing() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let mut set = connect(&engine, &account, &secrets).await;
    set.refresh_token = None;
    let store = store_with(&account, &secrets, set);
    let calls = sb.wazzup().count("wazzup.token");
    let e = engine.refresh(&account, &store).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
    assert!(e.to_string().contains("the provider gave no refresh token"), "{e}");
    assert_eq!(sb.wazzup().count("wazzup.token"), calls, "nothing was sent");
}

#[tokio::test]
async fn wazzup_valid_token_refreshes_only_when_expiring() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let first = connect(&engine, &account, &secrets).await;
    let store = store_with(&account, &secrets, first.clone());
    let calls = sb.wazzup().count("wazzup.token");
    let same = engine
        .valid_token(&account, &store, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(same, first);
    assert_eq!(sb.wazzup().count("wazzup.token"), calls, "fresh: no call");

    let mut expiring = first.clone();
    expiring.expires_at = Some(now() + 30);
    let store = store_with(&account, &secrets, expiring);
    let renewed = engine
        .valid_token(&account, &store, Duration::from_secs(60))
        .await
        .unwrap();
    assert_ne!(renewed.access_token, first.access_token);
    assert_eq!(sb.wazzup().count("wazzup.token"), calls + 1);
}

#[tokio::test]
async fn wazzup_revoke_says_the_token_stays_valid_until_it_expires() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, mut secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    let expires_at = tokens.expires_at;
    secrets.tokens = Some(tokens);
    let outcome = engine.revoke(&account, &secrets).await.unwrap();
    assert_eq!(outcome, RevokeOutcome::NotSupported { expires_at });
    assert!(outcome.delete_locally());
    assert_eq!(
        outcome.message("Wazzup"),
        "Wazzup offers no way to revoke a token, so it stays valid at Wazzup until it expires; the local copy is deleted."
    );
}

#[tokio::test]
async fn wazzup_probe_tells_expired_from_revoked() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let tokens = connect(&engine, &account, &secrets).await;
    engine
        .probe(&account, &Default::default(), Some(&tokens.access_token))
        .await
        .unwrap();
    assert!(
        last(&sb.wazzup().requests(), "wazzup.channels")
            .header("authorization")
            .unwrap()
            .starts_with("Bearer eyJ")
    );

    sb.wazzup().advance(Duration::from_secs(86400 + 1));
    let e = engine
        .probe(&account, &Default::default(), Some(&tokens.access_token))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("the token is invalid or expired); refresh the token"),
        "{e}"
    );

    let fresh = connect(&engine, &account, &secrets).await;
    assert!(sb.wazzup().revoke_token(fresh.access_token.secret()));
    let e = engine
        .probe(&account, &Default::default(), Some(&fresh.access_token))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
}

#[tokio::test]
async fn wazzup_callback_with_a_wrong_state_is_rejected_before_any_exchange() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let (pending, callback) = consented(&engine, &account, &secrets).await;
    let mut params = CallbackParams::from_url(&callback).unwrap();
    params.state = Some(State::new("forged"));
    let e = engine.complete(&account, &secrets, pending, params).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Latch rejected the sign-in callback (its state does not match the sign-in that was started); start \
         connecting the account again."
    );

    let (mut pending, callback) = consented(&engine, &account, &secrets).await;
    pending.deadline = now() - 1;
    let e = engine
        .complete(
            &account,
            &secrets,
            pending,
            CallbackParams::from_url(&callback).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("took longer than the 10 minutes allowed"), "{e}");

    let (pending, callback) = consented(&engine, &account, &secrets).await;
    let elsewhere = callback.replace(REDIRECT, "https://evil.example/callback");
    let e = engine
        .complete(
            &account,
            &secrets,
            pending,
            CallbackParams::from_url(&elsewhere).unwrap(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("another redirect address"), "{e}");
    assert_eq!(sb.wazzup().count("wazzup.token"), 0, "no code was exchanged");
}

/// Every row of document 000's token error table, as the person reads it.
/// Rows Latch's own requests cannot provoke are played by the fake's fault switch.
#[tokio::test]
async fn wazzup_every_documented_token_error_reads_as_the_documents_advice() {
    use latch_sandbox::{Fault, FaultKind};
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    let rows = [
        (
            "VALIDATION_FAILED",
            400,
            "Input data validation error",
            "check the client id, redirect URI and scopes",
        ),
        (
            "OAUTH_INVALID_GRANT_TYPE",
            400,
            "Invalid grant type specified",
            "make sure the grant_type value is correct",
        ),
        (
            "OAUTH_REDIRECT_URI_MISMATCH",
            400,
            "Incorrect redirect_uri specified",
            "use the redirect_uri agreed upon with Wazzup",
        ),
        (
            "OAUTH_AUTHORIZATION_CODE_INVALID",
            401,
            "Invalid authorization code",
            "connect the account again to get a new authorization code",
        ),
        (
            "OAUTH_CODE_CHALLENGE_METHOD_UNSUPPORTED",
            400,
            "Unknown PKCE method",
            "use a supported PKCE method (S256, PLAIN)",
        ),
        (
            "OAUTH_CODE_VERIFIER",
            401,
            "Invalid or missing code_verifier",
            "the PKCE code_verifier is missing or wrong",
        ),
        (
            "OAUTH_REQUESTED_SUBJECT_MISMATCH",
            401,
            "Requested subject doesn't match",
            "make sure you are using the correct machine token",
        ),
        (
            "OAUTH_SUBJECT_TOKEN_TYPE_INVALID",
            400,
            "Mismatched subject_token_type",
            "verify the subject_token_type",
        ),
        (
            "OAUTH_CLIENT_ID_MISMATCH",
            401,
            "client_id mismatch",
            "check the client id in the account settings",
        ),
        (
            "OAUTH_REFRESH_TOKEN_INVALID",
            401,
            "Invalid or expired refresh_token",
            "connect the account again",
        ),
        (
            "OAUTH_AUTHORIZATION_HEADER_INVALID",
            401,
            "Invalid authorization header",
            "check the partner e-mail and password",
        ),
        (
            "OAUTH_INVALID_PARTNER_TOKEN",
            401,
            "Invalid or expired partner_token",
            "use a valid partner token",
        ),
        (
            "OAUTH_TOKEN_INVALID_OR_EXPIRED",
            401,
            "Token is invalid or expired",
            "refresh the token or connect the account again",
        ),
        (
            "OAUTH_TOKEN_UNKNOWN_OR_REVOKED",
            401,
            "Token is unknown or has been revoked",
            "connect the account again",
        ),
        (
            "OAUTH_PARTNER_NOT_FOUND",
            403,
            "Partner not found",
            "make sure the client id is correct",
        ),
        (
            "OAUTH_PARTNER_NOT_ACTIVE",
            403,
            "Partner is inactive",
            "contact your Wazzup manager to activate the partner account",
        ),
        (
            "OAUTH_CLIENT_NOT_BELONGS_TO_PARTNER",
            403,
            "The end-customer does not belong",
            "verify that the customer is associated with your partner account",
        ),
        (
            "OAUTH_SCOPE_FORBIDDEN",
            403,
            "Requested scope is not permitted",
            "agree the requested permissions (scope) with your Wazzup manager",
        ),
    ];
    for (code, status, description, advice) in rows {
        sb.wazzup().inject(
            "wazzup.token",
            Fault::once(FaultKind::json_status(
                status,
                json!({"error": code, "description": description}),
            )),
        );
        let e = engine.client_credentials(&account, &secrets).await.unwrap_err();
        assert_eq!(e.provider_code(), Some(code));
        assert!(e.to_string().contains(advice), "{code}: {e}");
        assert!(e.to_string().ends_with('.'), "{code}: one finished sentence: {e}");
    }
}

#[tokio::test]
async fn wazzup_malformed_verifier_is_a_validation_failure() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = wazzup(&sb, Grant::AuthorizationCode);
    let (mut pending, callback) = consented(&engine, &account, &secrets).await;
    pending.verifier = Some(PkceVerifier::new("too-short"));
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
        "Wazzup refused the request (VALIDATION_FAILED: the request did not pass Wazzup's input validation); check \
         the client id, redirect URI and scopes in the account settings."
    );
}
