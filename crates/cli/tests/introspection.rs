//! Issue 18: an Other OAuth 2.0 account without a test call is checked by
//! RFC 7662 introspection when its server has an endpoint for it (discovery
//! fills it in), and the per-request knobs (audience, resource indicators,
//! extra parameters) reach the server on the requests they belong to. All
//! through the built `latch` against the sandbox's OAuth 2.0 fake.

mod support;

use latch_sandbox::{DemoCredentials, Fault, FaultKind};
use serde_json::json;
use support::{Env, env, unique};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A client-credentials account added by discovery (so with the fake's
/// introspection endpoint and no test call), connected; `more` are extra
/// `latch add` arguments.
fn discovered_account(env: &Env, more: &[&str]) -> String {
    let base = env.sandbox.oauth2().base_url();
    let demo = DemoCredentials::default();
    let id = unique("introspected");
    let mut args = vec![
        "add",
        "oauth2",
        "--label",
        "Introspected",
        "--id",
        &id,
        "--issuer",
        &base,
        "--grant",
        "client-credentials",
        "--client-id",
        &demo.oauth2_client_id,
        "--secret-stdin",
    ];
    args.extend_from_slice(more);
    let out = env.run(&args, &format!("{}\n", demo.oauth2_client_secret));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("introspection endpoint: {base}/introspect")),
        "discovery says what it filled in: {}",
        stderr(&out)
    );
    env.ok(&["connect", &id], "");
    id
}

fn check(env: &Env, id: &str) -> (Option<i32>, serde_json::Value, String) {
    let out = env.run(&["--json", "status", id, "--check"], "");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or(json!([{}]));
    (out.status.code(), rows[0].clone(), stderr(&out))
}

/// An active token is a working one: one introspection, no new token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_check_asks_the_introspection_endpoint_and_an_active_token_works() {
    let env = env().await;
    let fake = env.sandbox.oauth2();
    let id = discovered_account(&env, &[]);
    let tokens = fake.count("oauth2.token");
    let (code, row, err) = check(&env, &id);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(row["check"], "works", "{row}");
    assert_eq!(fake.count("oauth2.introspect"), 1);
    assert_eq!(fake.count("oauth2.token"), tokens, "nothing refreshed");
    let asked = fake
        .requests()
        .into_iter()
        .find(|r| r.route == "oauth2.introspect")
        .unwrap();
    let token = env.ok(&["token", &id], "").trim().to_owned();
    assert!(
        asked.form().contains(&("token".into(), token)),
        "it asked about the account's access token"
    );
    assert!(
        asked
            .form()
            .contains(&("token_type_hint".into(), "access_token".into())),
        "{:?}",
        asked.form()
    );
}

/// A token the server no longer knows (revoked there behind Latch's back)
/// is renewed once and asked about again: the new one works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_at_the_server_is_renewed_once_and_then_works() {
    let env = env().await;
    let fake = env.sandbox.oauth2();
    let id = discovered_account(&env, &[]);
    let old = env.ok(&["token", &id], "").trim().to_owned();
    let demo = DemoCredentials::default();
    let revoked = reqwest::Client::new()
        .post(fake.revoke_url())
        .basic_auth(&demo.oauth2_client_id, Some(&demo.oauth2_client_secret))
        .form(&[("token", old.as_str())])
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    assert!(!fake.is_live(&old));
    let tokens = fake.count("oauth2.token");

    let (code, row, err) = check(&env, &id);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(row["check"], "works", "{row}");
    assert_eq!(fake.count("oauth2.introspect"), 2, "the dead token, then the new one");
    assert_eq!(fake.count("oauth2.token"), tokens + 1, "one renewal");
    let new = env.ok(&["token", &id], "").trim().to_owned();
    assert_ne!(new, old);
    assert!(fake.is_live(&new));
}

/// A server that keeps saying "not active", even of a token it has just
/// issued, turns the account to "needs reconnect" (exit status 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_still_inactive_after_a_renewal_needs_reconnecting() {
    let env = env().await;
    let fake = env.sandbox.oauth2();
    let id = discovered_account(&env, &[]);
    fake.inject(
        "oauth2.introspect",
        Fault::always(FaultKind::json_status(200, json!({"active": false}))),
    );
    let (code, row, err) = check(&env, &id);
    assert_eq!(code, Some(4), "{err}");
    assert_eq!(row["check"], "failed", "{row}");
    assert_eq!(row["status"], "needs-reconnect", "{row}");
    assert!(
        row["check_error"]
            .as_str()
            .unwrap_or_default()
            .contains("introspection endpoint says the access token is not active"),
        "{row}"
    );
    assert_eq!(fake.count("oauth2.introspect"), 2);
}

/// A refusal at the introspection endpoint is about Latch's client, not the
/// token: it is said and the account stays connected, so nobody is asked
/// to reconnect (exit status 0, as for any check that failed for another reason).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_refused_at_the_introspection_endpoint_leaves_the_account_as_it_was() {
    let env = env().await;
    let fake = env.sandbox.oauth2();
    let id = discovered_account(&env, &[]);
    fake.inject(
        "oauth2.introspect",
        Fault::once(FaultKind::json_status(
            401,
            json!({"error": "invalid_client", "error_description": "Client authentication failed."}),
        )),
    );
    let (code, row, err) = check(&env, &id);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(row["check"], "failed", "{row}");
    assert_eq!(row["status"], "valid", "{row}");
    assert_eq!(row["needs_person"], false, "{row}");
    assert!(
        row["check_error"]
            .as_str()
            .unwrap_or_default()
            .contains("invalid_client"),
        "{row}"
    );
    assert_eq!(env.json(&["accounts"])[0]["status"], "valid");
}

/// The audience, the resources and the extra token parameters given to
/// `latch add` are on the token request the server sees; the extra
/// parameters are not on the introspection request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audience_resources_and_extra_parameters_reach_the_token_request() {
    let env = env().await;
    let fake = env.sandbox.oauth2();
    let id = discovered_account(
        &env,
        &[
            "--set",
            "audience=https://api.example/",
            "--set",
            "resource=https://a.example/ https://b.example/x",
            "--set",
            "token_params=tenant=t%201&x=y",
        ],
    );
    let asked = fake
        .requests()
        .into_iter()
        .rfind(|r| r.route == "oauth2.token")
        .unwrap();
    let form = asked.form();
    let pairs: Vec<(&str, &str)> = form
        .iter()
        .filter(|(n, _)| ["audience", "resource", "tenant", "x"].contains(&n.as_str()))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("audience", "https://api.example/"),
            ("resource", "https://a.example/"),
            ("resource", "https://b.example/x"),
            ("tenant", "t 1"),
            ("x", "y"),
        ]
    );
    let (code, _, err) = check(&env, &id);
    assert_eq!(code, Some(0), "{err}");
    let introspected = fake
        .requests()
        .into_iter()
        .find(|r| r.route == "oauth2.introspect")
        .unwrap();
    assert!(!introspected.form().iter().any(|(n, _)| n == "tenant"));
}

/// Extra parameters that would replace what Latch sends are refused when
/// the account is added (exit status 2), and nothing is added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_parameters_naming_latchs_own_are_refused_at_add() {
    let env = env().await;
    let base = env.sandbox.oauth2().base_url();
    for set in [
        "token_params=grant_type=password",
        "authorize_params=state=fixed",
        "refresh_params=no-equals-sign",
        "resource=https://a.example/#fragment",
    ] {
        let out = env.run(
            &[
                "add",
                "oauth2",
                "--label",
                "Bad",
                "--grant",
                "client-credentials",
                "--token-url",
                &format!("{base}/token"),
                "--client-id",
                "c",
                "--set",
                set,
            ],
            "",
        );
        assert_eq!(out.status.code(), Some(2), "{set}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("name=value") || stderr(&out).contains("absolute URI"),
            "{set}: {}",
            stderr(&out)
        );
    }
    assert_eq!(env.json(&["accounts"]), json!([]));
}
