//! PayU flows against the fake PayU (documents 001 and 003).

mod flows_support;

use flows_support::*;
use latch_core::ErrorKind;
use latch_core::flows::{CallbackParams, PendingFlow, RevokeOutcome};
use latch_core::secret::ClientSecret;
use latch_sandbox::{Fault, FaultKind};

fn form_keys(r: &latch_sandbox::RecordedRequest) -> Vec<String> {
    r.form().into_iter().map(|(k, _)| k).collect()
}

#[tokio::test]
async fn payu_connect_through_the_consent_page_keeps_merchant_and_user() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = payu(&sb);
    let (url, _) = engine.start_authorization(&account, &secrets).unwrap();
    assert_eq!(url.path(), "/app/account/signup");
    assert_eq!(
        url.query_pairs().find(|(k, _)| k == "reseller_id").unwrap().1,
        demo().payu_reseller_id
    );

    let tokens = connect(&engine, &account, &secrets).await;
    assert_eq!(
        tokens.extras["merchantId"],
        demo().payu_merchant_id,
        "from the redirect's merchantId"
    );
    assert_eq!(tokens.extras["user_uuid"], "11ed-933c-d307ba06-b71a-0a64ecf8a4cc");
    assert_eq!(tokens.token_type, "Bearer");
    assert!(tokens.expires_at.unwrap() >= now() + 7190);

    let token = last(&sb.payu().requests(), "payu.token");
    assert!(
        token
            .header("content-type")
            .unwrap()
            .starts_with("application/x-www-form-urlencoded"),
        "a form, never JSON"
    );
    assert_eq!(
        form_keys(&token),
        [
            "client_id",
            "client_secret",
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier"
        ]
    );
    assert!(
        token.header("cookie").is_none(),
        "the document's Cookie header is an artefact"
    );
}

/// Issue 15 item 11: the consent page gets an S256 challenge, and the fake
/// refuses the code without the verifier that proves it — so a flow that
/// drops the verifier fails here.
#[tokio::test]
async fn payu_consent_sends_s256_pkce_and_the_exchange_needs_the_verifier() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = payu(&sb);
    let (mut pending, callback) = consented(&engine, &account, &secrets).await;
    let verifier = pending.verifier.take().expect("the flow keeps a verifier");
    assert_s256(&last(&sb.payu().requests(), "payu.signup"), &verifier);
    let e = refused_exchange(&engine, &account, &secrets, pending, &callback).await;
    assert_eq!(e.kind(), ErrorKind::ProviderRefused, "{e}");
    assert_eq!(e.provider_code(), Some("invalid_grant"), "{e}");
}

#[tokio::test]
async fn payu_wrong_client_secret_is_explained_whatever_the_status() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, mut secrets) = payu(&sb);
    let (pending, callback) = consented(&engine, &account, &secrets).await;
    secrets.client_secret = Some(ClientSecret::new("wrong"));
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
        "PayU refused the request (invalid_client: client authentication failed: unknown client, missing or wrong \
         client secret); check the client id and client secret in the account settings."
    );
}

#[tokio::test]
async fn payu_missing_client_secret_is_caught_before_the_browser_opens() {
    let sb = sandbox().await;
    let (account, mut secrets) = payu(&sb);
    secrets.client_secret = None;
    let e = engine().start_authorization(&account, &secrets).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("PayU needs the client secret"), "{e}");
    assert_eq!(sb.payu().count("payu.token"), 0);
}

#[tokio::test]
async fn payu_wrong_redirect_and_used_code_are_invalid_grant() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = payu(&sb);
    let (mut pending, callback) = consented(&engine, &account, &secrets).await;
    pending.redirect_uri = OTHER_REDIRECT.into();
    let mut params = CallbackParams::from_url(&callback).unwrap();
    params.redirect_base = None;
    let e = engine.complete(&account, &secrets, pending, params).await.unwrap_err();
    assert_eq!(e.provider_code(), Some("invalid_grant"));
    assert!(
        e.to_string()
            .contains("with the redirect URI whitelisted in your PayU partner dashboard"),
        "{e}"
    );

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
    let replay = PendingFlow::from_secrets(&account, saved);
    let e = engine
        .complete(&account, &secrets, replay, CallbackParams::from_url(&callback).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.provider_code(), Some("invalid_grant"));
    assert_eq!(e.kind(), ErrorKind::ProviderRefused, "a bad code is not a lost account");
}

#[tokio::test]
async fn payu_refresh_rotates_and_works_without_client_secret() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = payu(&sb);
    let first = connect(&engine, &account, &secrets).await;
    let store = store_with(&account, &secrets, first.clone());
    let renewed = engine.refresh(&account, &store).await.unwrap();
    assert_ne!(renewed.refresh_token, first.refresh_token);
    assert_eq!(
        renewed.extras["merchantId"],
        demo().payu_merchant_id,
        "extras survive a refresh"
    );
    assert_eq!(
        form_keys(&last(&sb.payu().requests(), "payu.token")),
        ["client_id", "client_secret", "grant_type", "refresh_token"]
    );

    let mut public = secrets.clone();
    public.client_secret = None;
    let store = store_with(&account, &public, renewed.clone());
    let again = engine
        .refresh(&account, &store)
        .await
        .expect("client_secret is optional on refresh (document 003)");
    assert_eq!(
        form_keys(&last(&sb.payu().requests(), "payu.token")),
        ["client_id", "grant_type", "refresh_token"]
    );
    assert_eq!(stored(&store, &account), again);
}

#[tokio::test]
async fn payu_used_refresh_token_needs_a_reconnect() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = payu(&sb);
    let first = connect(&engine, &account, &secrets).await;
    engine
        .refresh(&account, &store_with(&account, &secrets, first.clone()))
        .await
        .unwrap();
    // A second copy of the old set (say, a backup) tries the dead refresh token.
    let stale = store_with(&account, &secrets, first.clone());
    let e = engine.refresh(&account, &stale).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "PayU no longer accepts this account's authorization (the refresh token is invalid, expired or revoked); \
         connect the account again."
    );
    assert_eq!(stored(&stale, &account), first, "nothing is lost");
}

#[tokio::test]
async fn payu_created_at_in_milliseconds_is_read_as_seconds() {
    let sb = sandbox().await;
    sb.payu().settings().created_at_millis = true;
    let tokens = connect(&engine(), &payu(&sb).0, &payu(&sb).1).await;
    let created: i64 = tokens.extras["created_at"].parse().unwrap();
    assert!((now() - 60..=now() + 60).contains(&created), "{created} is seconds");
}

#[tokio::test]
async fn payu_rfc_statuses_read_the_same() {
    let sb = sandbox().await;
    sb.payu().settings().rfc_statuses = true;
    let engine = engine();
    let (account, secrets) = payu(&sb);
    let first = connect(&engine, &account, &secrets).await;
    engine
        .refresh(&account, &store_with(&account, &secrets, first.clone()))
        .await
        .unwrap();
    let e = engine
        .refresh(&account, &store_with(&account, &secrets, first))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect);
}

#[tokio::test]
async fn payu_revoke_sends_refresh_token_first_then_access_token() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, mut secrets) = payu(&sb);
    let tokens = connect(&engine, &account, &secrets).await;
    secrets.tokens = Some(tokens.clone());
    assert_eq!(engine.revoke(&account, &secrets).await.unwrap(), RevokeOutcome::Revoked);
    let revokes: Vec<_> = sb
        .payu()
        .requests()
        .into_iter()
        .filter(|r| r.route == "payu.revoke")
        .collect();
    assert_eq!(revokes.len(), 2);
    let first = revokes[0].form();
    assert!(first.contains(&("token".into(), tokens.refresh_token.as_ref().unwrap().secret().into())));
    assert!(first.contains(&("token_type_hint".into(), "refresh_token".into())));
    assert!(
        revokes[1]
            .form()
            .contains(&("token".into(), tokens.access_token.secret().into()))
    );
    let e = engine
        .refresh(&account, &store_with(&account, &secrets, tokens))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NeedsReconnect, "the refresh token is dead at PayU");
}

#[tokio::test]
async fn payu_revoke_503_keeps_the_token_and_says_so() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, mut secrets) = payu(&sb);
    secrets.tokens = Some(connect(&engine, &account, &secrets).await);
    sb.payu().inject(
        "payu.revoke",
        Fault::once(FaultKind::json_status(503, serde_json::json!({}))),
    );
    let outcome = engine.revoke(&account, &secrets).await.unwrap();
    assert_eq!(outcome, RevokeOutcome::StillValid);
    assert!(!outcome.delete_locally());
    assert!(outcome.message("PayU").contains("still valid and Latch keeps it"));
}

#[tokio::test]
async fn payu_html_error_page_is_an_invalid_answer_naming_the_status() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = payu(&sb);
    let first = connect(&engine, &account, &secrets).await;
    sb.payu().inject(
        "payu.token",
        Fault::once(FaultKind::html_status(502, "<html><h1>502 Bad Gateway</h1></html>")),
    );
    let store = store_with(&account, &secrets, first.clone());
    let e = engine.refresh(&account, &store).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "PayU sent an answer Latch cannot read (an HTML page with HTTP status 502 instead of JSON); try again later, \
         and check the account's server address if it keeps happening."
    );
    assert_eq!(stored(&store, &account), first);
}

/// The rows of documents 001 and 003 that Latch's own requests never
/// provoke (it always sends grant_type, refresh_token and redirect_uri),
/// played by the fake's fault switch — all with HTTP 401, as documented.
#[tokio::test]
async fn payu_every_documented_error_row_reads_as_advice() {
    let sb = sandbox().await;
    let engine = engine();
    let (account, secrets) = payu(&sb);
    let first = connect(&engine, &account, &secrets).await;
    let store = store_with(&account, &secrets, first.clone());
    let rows = [
        (
            "invalid_request",
            "a required parameter (grant type or refresh token) was missing or malformed",
            ErrorKind::ProviderRefused,
        ),
        (
            "invalid_client",
            "check the client id and client secret in the account settings",
            ErrorKind::ProviderRefused,
        ),
        (
            "unsupported_grant_type",
            "the server does not support this grant type",
            ErrorKind::ProviderRefused,
        ),
        ("invalid_grant", "connect the account again", ErrorKind::NeedsReconnect),
    ];
    for (code, advice, kind) in rows {
        sb.payu().inject(
            "payu.token",
            Fault::once(FaultKind::json_status(
                401,
                serde_json::json!({"error": code, "error_description": "RFC 6749 words."}),
            )),
        );
        let e = engine.refresh(&account, &store).await.unwrap_err();
        assert_eq!((e.provider_code(), e.kind()), (Some(code), kind));
        assert!(e.to_string().contains(advice), "{code}: {e}");
        assert_eq!(stored(&store, &account), first, "{code}: nothing lost");
    }
}
