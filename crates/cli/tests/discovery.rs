//! Issue 18: discovery through the built `latch` against the sandbox's
//! OAuth 2.0 fake, which serves RFC 8414 metadata: `latch add oauth2
//! --issuer` works there too; OpenID Connect's document is the fallback;
//! every bad answer (HTML, another issuer, an http endpoint, a redirect, a
//! giant body, a slow server, nothing at all) is refused in words that name
//! the issuer, and adds nothing.

mod support;

use latch_sandbox::{DemoCredentials, Fault, FaultKind};
use serde_json::json;
use std::time::Duration;
use support::{env, unique};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_by_issuer_works_against_the_sandbox() {
    let env = env().await;
    let fake = env.sandbox.oauth2();
    let base = fake.base_url();
    let demo = DemoCredentials::default();
    let id = unique("discovered");
    let out = env.run(
        &[
            "add",
            "oauth2",
            "--label",
            "Sandbox",
            "--id",
            &id,
            "--issuer",
            &base,
            "--grant",
            "client-credentials",
            "--client-id",
            &demo.oauth2_client_id,
            "--secret-stdin",
        ],
        &format!("{}\n", demo.oauth2_client_secret),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("  token endpoint: {base}/token\n")),
        "{}",
        stderr(&out)
    );
    env.ok(&["connect", &id], "");
    let token = env.ok(&["token", &id], "").trim().to_owned();
    assert!(fake.is_live(&token), "the fake issued the token Latch holds");
    assert_eq!(fake.count("oauth2.metadata"), 1, "one metadata request");

    let shown = env.ok(&["discover", &base], "");
    for line in [
        format!("issuer: {base}"),
        format!("token endpoint: {base}/token"),
        format!("revocation endpoint: {base}/revoke"),
        "PKCE methods: S256, plain".to_owned(),
        "names itself on authorization responses (iss): no".to_owned(),
    ] {
        assert!(shown.lines().any(|l| l == line), "no {line:?} in:\n{shown}");
    }
}

/// RFC 8414's document absent (404): OpenID Connect's is read instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_falls_back_to_the_openid_configuration() {
    let env = env().await;
    let fake = env.sandbox.oauth2();
    let base = fake.base_url();
    fake.inject("oauth2.metadata", Fault::always(FaultKind::json_status(404, json!({}))));
    fake.inject(
        "oauth2.unknown",
        Fault::always(FaultKind::Json(json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "code_challenge_methods_supported": ["S256"],
        }))),
    );
    let shown = env.json(&["discover", &base]);
    assert_eq!(
        shown["metadata"]["source"],
        format!("{base}/.well-known/openid-configuration")
    );
    assert_eq!(shown["fields"]["token_url"], format!("{base}/token"));
    assert_eq!(shown["fields"]["pkce"], "true");
    assert_eq!(shown["fields"]["require_iss"], "false");
}

/// Each row: what the metadata route answers, and what the refusal says.
/// The refusal names the issuer; `add` adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_metadata_is_refused_naming_the_issuer_and_nothing_is_added() {
    let env = env().await;
    let fake = env.sandbox.oauth2();
    let base = fake.base_url();
    let doc = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut d = json!({"issuer": base, "token_endpoint": format!("{base}/token")});
        change(&mut d);
        FaultKind::Json(d)
    };
    let html = FaultKind::Status {
        status: 200,
        body: "<html><body>Sign in</body></html>".into(),
        content_type: "text/html".into(),
        headers: vec![],
    };
    let redirect = FaultKind::Status {
        status: 302,
        body: String::new(),
        content_type: "text/plain".into(),
        headers: vec![("location".into(), "https://elsewhere.example/".into())],
    };
    let rows: Vec<(FaultKind, &str)> = vec![
        (html, "an HTML page"),
        (
            doc(&|d| d["issuer"] = json!("https://evil.example")),
            "names the issuer \"https://evil.example\"",
        ),
        (
            doc(&|d| {
                d.as_object_mut().unwrap().remove("token_endpoint");
            }),
            "has no `token_endpoint`",
        ),
        (
            doc(&|d| d["token_endpoint"] = json!("http://auth.example/token")),
            "`token_endpoint` is http://auth.example, which is not https",
        ),
        (redirect, "a redirect (HTTP 302)"),
        (FaultKind::HugeBody(2 << 20), "larger than 1 MiB"),
        (
            FaultKind::Delay(Duration::from_secs(3)),
            "did not answer within 1 second",
        ),
    ];
    for (fault, says) in rows {
        fake.clear_faults();
        fake.inject("oauth2.metadata", Fault::always(fault));
        let out = env
            .cmd(&["add", "oauth2", "--label", "Bad", "--issuer", &base, "--client-id", "x"])
            .env("LATCH_HTTP_TIMEOUT_SECS", "1")
            .output()
            .unwrap();
        let said = stderr(&out);
        assert!(!out.status.success(), "{says}: added anyway");
        assert!(said.contains(says), "expected {says:?} in {said}");
        assert!(said.contains(&base), "the issuer is not named: {said}");
    }
    fake.clear_faults();
    fake.inject("oauth2.metadata", Fault::always(FaultKind::json_status(404, json!({}))));
    let out = env.run(&["discover", &base], "");
    assert!(
        stderr(&out).contains("publishes no metadata Latch can find"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("/.well-known/openid-configuration answered HTTP 404"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.json(&["accounts"]), json!([]), "nothing was added");
}
