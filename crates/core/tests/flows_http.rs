//! The HTTP rules every flow follows, against misbehaving fakes: giant
//! bodies, trickling and slow servers, dropped connections, redirects,
//! closed ports. Each ends in a clear error, never a hang or a panic, and
//! the stored token set survives.

mod flows_support;

use flows_support::*;
use latch_core::ErrorKind;
use latch_core::http::HttpConfig;
use latch_core::model::Grant;
use latch_sandbox::{Fault, FaultKind};
use std::time::{Duration, Instant};

fn short() -> latch_core::Engine {
    engine_with(HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(1),
        max_answer_bytes: 64 * 1024,
    })
}

#[tokio::test]
async fn a_giant_answer_is_cut_off_with_a_clear_error() {
    let sb = sandbox().await;
    let (account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    sb.wazzup()
        .inject("wazzup.token", Fault::once(FaultKind::HugeBody(5 * 1024 * 1024)));
    let e = short().client_credentials(&account, &secrets).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidAnswer);
    assert!(
        e.to_string()
            .starts_with("Wazzup sent an answer Latch cannot read (an answer larger than 64 KiB"),
        "{e}"
    );
}

#[tokio::test]
async fn a_trickling_answer_times_out_on_the_whole_call() {
    let sb = sandbox().await;
    let (account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    sb.wazzup().inject(
        "wazzup.token",
        Fault::once(FaultKind::Trickle {
            bytes_per_sec: 20,
            total: 2000,
        }),
    );
    let started = Instant::now();
    let e = short().client_credentials(&account, &secrets).await.unwrap_err();
    assert_eq!(e.to_string(), "Wazzup did not answer within 1 second; try again later.");
    assert!(started.elapsed() < Duration::from_secs(5), "gave up on time");
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let sb = sandbox().await;
    let (account, secrets) = payu(&sb);
    let tokens = connect(&engine(), &account, &secrets).await;
    let store = store_with(&account, &secrets, tokens.clone());
    sb.payu()
        .inject("payu.token", Fault::once(FaultKind::Delay(Duration::from_secs(3))));
    let e = short().refresh(&account, &store).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(stored(&store, &account), tokens, "a failed refresh loses nothing");
}

#[tokio::test]
async fn a_dropped_connection_is_a_network_error() {
    let sb = sandbox().await;
    let (account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    sb.wazzup()
        .inject("wazzup.token", Fault::once(FaultKind::ConnectionReset));
    let e = short().client_credentials(&account, &secrets).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(
        e.to_string()
            .ends_with("check the internet connection and the account's server address, then try again.")
    );
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    let sb = sandbox().await;
    let (mut account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    if let latch_core::model::ProviderSettings::Wazzup(s) = &mut account.settings {
        s.base_url = format!("http://127.0.0.1:{port}");
    }
    let e = short().client_credentials(&account, &secrets).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Could not reach Wazzup (the connection failed); check the internet connection and the account's server address, then try again."
    );
}

#[tokio::test]
async fn a_redirect_on_the_token_endpoint_is_not_followed() {
    let sb = sandbox().await;
    let (account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    let elsewhere = format!("{}/v2/oauth/token", sb.payu().base_url());
    sb.wazzup().inject(
        "wazzup.token",
        Fault::once(FaultKind::Status {
            status: 307,
            body: String::new(),
            content_type: "text/plain".into(),
            headers: vec![("location".into(), elsewhere)],
        }),
    );
    let e = short().client_credentials(&account, &secrets).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("a redirect (HTTP 307), which Latch does not follow"),
        "{e}"
    );
    assert_eq!(
        sb.payu().requests().len(),
        0,
        "the partner's credentials went nowhere else"
    );
}

#[tokio::test]
async fn a_non_json_success_is_an_invalid_answer() {
    let sb = sandbox().await;
    let (account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    sb.wazzup().inject(
        "wazzup.token",
        Fault::once(FaultKind::Status {
            status: 200,
            body: "OK".into(),
            content_type: "text/plain".into(),
            headers: vec![],
        }),
    );
    let e = short().client_credentials(&account, &secrets).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("an answer that is not JSON, with HTTP status 200"),
        "{e}"
    );
    sb.wazzup().inject(
        "wazzup.token",
        Fault::once(FaultKind::Json(serde_json::json!({"data": {"token_type": "Bearer"}}))),
    );
    let e = short().client_credentials(&account, &secrets).await.unwrap_err();
    assert!(e.to_string().contains("a token answer without an access_token"), "{e}");
}

#[tokio::test]
async fn a_malformed_server_address_is_refused_before_any_request() {
    let sb = sandbox().await;
    let (mut account, secrets) = wazzup(&sb, Grant::ClientCredentials);
    if let latch_core::model::ProviderSettings::Wazzup(s) = &mut account.settings {
        s.base_url = "tech.wazzup24 .com".into();
    }
    let e = short().client_credentials(&account, &secrets).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        e.to_string()
            .contains("is not a valid http(s) URL; fix it in the account settings"),
        "{e}"
    );
}
