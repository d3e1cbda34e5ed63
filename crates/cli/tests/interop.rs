//! Issue 18: the built `latch` against a certified OpenID Provider
//! (`oidc-provider`, see `support/interop.rs`), not only against our own
//! fakes: discovery, authorization code with PKCE S256 and `iss` through the
//! loopback redirect (a confidential and a public client), a forged `iss`
//! refused, refresh with rotation, revoke, and client credentials with
//! client_secret_basic, client_secret_post, client_secret_jwt and
//! private_key_jwt (a key Latch made, and an RSA key from a PEM file).
//! What the server thinks of a token is asked of the server itself
//! (introspection, RFC 7662), never read from Latch.

mod support;

use latch_core::Latch;
use latch_core::model::{ClientAuth, OAuth2Settings, ProviderSettings, TokenSet};
use std::process::{Output, Stdio};
use support::interop::{BASIC, DEVICE, OidcServer, POST, PUBLIC, SECRET_JWT};
use support::{Env, env, read_line_starting, stdout_reader, unique, wait};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `latch add oauth2 --issuer` for `client`, with `more` flags; returns the
/// account's id and what `add` printed.
fn add_by_issuer(env: &Env, server: &OidcServer, client: (&str, &str), more: &[&str]) -> (String, Output) {
    let id = unique("oidc");
    let mut args = vec![
        "add",
        "oauth2",
        "--label",
        "OIDC",
        "--id",
        &id,
        "--issuer",
        &server.issuer,
        "--client-id",
        client.0,
        "--secret-stdin",
    ];
    args.extend_from_slice(more);
    let out = env.run(&args, &format!("{}\n", client.1));
    assert!(out.status.success(), "add: {}", stderr(&out));
    (id, out)
}

/// Adds an authorization-code account coming back to the loopback listener.
fn add_code_account(env: &Env, server: &OidcServer) -> String {
    let scopes = "openid offline_access";
    add_by_issuer(
        env,
        server,
        BASIC,
        &["--redirect-uri", &env.loopback_redirect, "--scopes", scopes],
    )
    .0
}

fn settings(env: &Env, id: &str) -> OAuth2Settings {
    let latch = Latch::open(Some(env.home.path().to_owned())).unwrap();
    match latch.find(id).unwrap().settings {
        ProviderSettings::Oauth2(s) => s,
        other => panic!("not an OAuth 2.0 account: {other:?}"),
    }
}

fn tokens(env: &Env, id: &str) -> TokenSet {
    let latch = Latch::open(Some(env.home.path().to_owned())).unwrap();
    let account = latch.find(id).unwrap();
    latch.secrets(&account).unwrap().tokens.expect("a token set")
}

fn refresh_token(set: &TokenSet) -> String {
    set.refresh_token.as_ref().expect("a refresh token").secret().to_owned()
}

/// Starts `latch connect`, plays the person at the server, and returns the
/// running `connect` and the callback the server sent the browser to.
async fn start_connect(env: &Env, server: &OidcServer, id: &str) -> (std::process::Child, String, String) {
    let mut child = env
        .cmd(&["connect", id, "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = read_line_starting(&mut stdout_reader(&mut child), "http");
    let callback = server.sign_in(&url, "alice").await;
    (child, url, callback)
}

/// The callback with its `iss` replaced (or removed, with `None`).
fn with_iss(callback: &str, iss: Option<&str>) -> String {
    let mut url = url::Url::parse(callback).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().filter(|(k, _)| k != "iss").collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &pairs {
            q.append_pair(k, v);
        }
        if let Some(iss) = iss {
            q.append_pair("iss", iss);
        }
    }
    url.to_string()
}

async fn connected(env: &Env, server: &OidcServer) -> String {
    let id = add_code_account(env, server);
    let (child, _, callback) = start_connect(env, server, &id).await;
    let back = reqwest::get(&callback).await.unwrap();
    assert_eq!(back.status(), 200, "the listener takes the real callback");
    let out = wait(child);
    assert!(out.status.success(), "connect: {}", stderr(&out));
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_by_issuer_fills_the_endpoints_from_the_servers_metadata() {
    let env = env().await;
    let server = OidcServer::start();
    let (id, out) = add_by_issuer(&env, &server, BASIC, &["--redirect-uri", &env.loopback_redirect]);
    let said = stderr(&out);
    let iss = &server.issuer;
    for line in [
        format!("Discovered {iss} ({iss}/.well-known/oauth-authorization-server):"),
        format!("  authorization endpoint: {iss}/auth"),
        format!("  token endpoint: {iss}/token"),
        format!("  revocation endpoint: {iss}/token/revocation"),
        format!("  introspection endpoint: {iss}/token/introspection"),
        format!("  device authorization endpoint: {iss}/device/auth"),
        format!("  JWKS: {iss}/jwks (not used yet)"),
    ] {
        assert!(said.lines().any(|l| l == line), "no line {line:?} in:\n{said}");
    }
    let s = settings(&env, &id);
    assert_eq!(s.authorize_url, format!("{iss}/auth"));
    assert_eq!(s.token_url, format!("{iss}/token"));
    assert_eq!(s.revoke_url, Some(format!("{iss}/token/revocation")));
    assert_eq!(s.issuer.as_deref(), Some(iss.as_str()));
    assert!(s.require_iss, "the metadata says the server sends iss");
    assert!(s.pkce, "the server offers S256");
    assert_eq!(s.client_auth, ClientAuth::Basic, "basic is preferred");

    // A flag given explicitly wins over the metadata.
    let (id, out) = add_by_issuer(
        &env,
        &server,
        POST,
        &["--client-auth", "body", "--revoke-url", &format!("{iss}/elsewhere")],
    );
    let s = settings(&env, &id);
    assert_eq!(s.client_auth, ClientAuth::Body);
    assert_eq!(s.revoke_url, Some(format!("{iss}/elsewhere")));
    assert!(
        stderr(&out).contains("kept from the flags: revoke-url, client-auth"),
        "{}",
        stderr(&out)
    );

    // `latch discover --json` says the same, and what add would set.
    let shown = env.json(&["discover", iss]);
    assert_eq!(shown["metadata"]["token_endpoint"], format!("{iss}/token"));
    assert_eq!(shown["fields"]["require_iss"], "true");
    assert_eq!(shown["metadata"]["code_challenge_methods_supported"][0], "S256");

    // An issuer that is not the server's own (a trailing slash is another
    // string) is refused, and nothing is added.
    let before = env.json(&["accounts"]).as_array().unwrap().len();
    let out = env.run(
        &[
            "add",
            "oauth2",
            "--label",
            "Wrong",
            "--issuer",
            &format!("{iss}/"),
            "--client-id",
            "x",
        ],
        "",
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("names the issuer"), "{}", stderr(&out));
    assert_eq!(env.json(&["accounts"]).as_array().unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_with_pkce_and_iss_completes_through_the_loopback_redirect() {
    let env = env().await;
    let server = OidcServer::start();
    let id = add_code_account(&env, &server);
    let (child, url, callback) = start_connect(&env, &server, &id).await;
    let asked: Vec<(String, String)> = url::Url::parse(&url).unwrap().query_pairs().into_owned().collect();
    assert!(
        asked.contains(&("code_challenge_method".into(), "S256".into())),
        "{url}"
    );
    let came: Vec<(String, String)> = url::Url::parse(&callback).unwrap().query_pairs().into_owned().collect();
    assert!(came.contains(&("iss".into(), server.issuer.clone())), "{callback}");
    let back = reqwest::get(&callback).await.unwrap();
    assert_eq!(back.status(), 200);
    let out = wait(child);
    assert!(out.status.success(), "connect: {}", stderr(&out));

    let token = env.ok(&["token", &id], "").trim().to_owned();
    let seen = server.introspect(BASIC, &token).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], BASIC.0, "{seen}");
    assert_eq!(seen["sub"], "alice", "{seen}");
}

/// A public client (no secret, `token_endpoint_auth_method: none`): PKCE
/// is all that ties the code to Latch, and the server insists on it. With
/// PKCE turned off the server refuses the sign-in on the redirect itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_client_signs_in_and_refreshes_with_pkce_alone() {
    let env = env().await;
    let server = OidcServer::start();
    let add = |more: &[&str]| {
        let id = unique("public");
        let mut args = vec![
            "add",
            "oauth2",
            "--label",
            "Public",
            "--id",
            &id,
            "--issuer",
            &server.issuer,
            "--client-id",
            PUBLIC,
            "--redirect-uri",
            &env.loopback_redirect,
            "--scopes",
            "openid offline_access",
        ];
        args.extend_from_slice(more);
        env.ok(&args, "");
        id
    };
    let id = add(&[]);
    let (child, _, callback) = start_connect(&env, &server, &id).await;
    assert_eq!(reqwest::get(&callback).await.unwrap().status(), 200);
    let out = wait(child);
    assert!(out.status.success(), "connect: {}", stderr(&out));
    let old = refresh_token(&tokens(&env, &id));
    env.ok(&["refresh", &id], "");
    assert_ne!(refresh_token(&tokens(&env, &id)), old, "rotated");
    assert!(!env.ok(&["token", &id], "").trim().is_empty());

    let id = add(&["--no-pkce"]);
    let (child, _, callback) = start_connect(&env, &server, &id).await;
    assert!(callback.contains("error=invalid_request"), "{callback}");
    reqwest::get(&callback).await.unwrap();
    let out = wait(child);
    assert!(!out.status.success(), "a sign-in without PKCE was completed");
    assert!(stderr(&out).contains("invalid_request"), "{}", stderr(&out));
}

/// RFC 9207: a callback naming another server (or none, from a server that
/// always names itself) is refused at the loopback listener before its code
/// is sent anywhere; the flow stays, and the real callback still completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_whose_iss_names_another_server_is_refused() {
    let env = env().await;
    let server = OidcServer::start();
    let id = add_code_account(&env, &server);
    let (mut child, _, callback) = start_connect(&env, &server, &id).await;
    for forged in [
        with_iss(&callback, Some("https://evil.example")),
        with_iss(&callback, None),
    ] {
        let answer = reqwest::get(&forged).await.unwrap();
        assert_eq!(answer.status(), 400, "{forged} was not refused");
        assert!(child.try_wait().unwrap().is_none(), "connect ended on {forged}");
    }
    let latch = Latch::open(Some(env.home.path().to_owned())).unwrap();
    let secrets = latch.secrets(&latch.find(&id).unwrap()).unwrap();
    assert!(secrets.tokens.is_none(), "no tokens from a forged callback");

    let answer = reqwest::get(&callback).await.unwrap();
    assert_eq!(answer.status(), 200, "the real callback is still taken");
    let out = wait(child);
    assert!(out.status.success(), "connect: {}", stderr(&out));
}

/// The server rotates the refresh token on every refresh: after `latch
/// refresh`, the old one is dead at the server and Latch holds the new one,
/// which works (had Latch sent the old one again, the server would have
/// revoked the whole grant, and the second refresh would fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_the_old_refresh_token_is_refused_by_the_server() {
    let env = env().await;
    let server = OidcServer::start();
    let id = connected(&env, &server).await;
    let old = refresh_token(&tokens(&env, &id));
    assert_eq!(server.introspect(BASIC, &old).await["active"], true);

    env.ok(&["refresh", &id], "");
    let new = refresh_token(&tokens(&env, &id));
    assert_ne!(new, old, "the server rotated the refresh token");
    assert_eq!(
        server.introspect(BASIC, &old).await["active"],
        false,
        "the old one is dead"
    );
    assert_eq!(server.introspect(BASIC, &new).await["active"], true);

    env.ok(&["refresh", &id], "");
    let newest = refresh_token(&tokens(&env, &id));
    assert_ne!(newest, new);
    assert_eq!(
        server.introspect(BASIC, &newest).await["active"],
        true,
        "the grant lives"
    );

    let (status, body) = server.refresh(BASIC, &old).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_leaves_the_tokens_inactive_at_the_server() {
    let env = env().await;
    let server = OidcServer::start();
    let id = connected(&env, &server).await;
    let set = tokens(&env, &id);
    let access = set.access_token.secret().to_owned();
    let refresh = refresh_token(&set);
    assert_eq!(server.introspect(BASIC, &access).await["active"], true);

    let out = env.run(&["revoke", &id, "--yes"], "");
    assert!(out.status.success(), "revoke: {}", stderr(&out));
    assert_eq!(server.introspect(BASIC, &refresh).await["active"], false);
    assert_eq!(server.introspect(BASIC, &access).await["active"], false);
}

/// Client credentials with each client authentication method: Basic as
/// discovery chooses it, the form body as the flag asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_client_secret_basic_and_client_secret_post() {
    let env = env().await;
    let server = OidcServer::start();
    for (client, more) in [
        (BASIC, &["--grant", "client-credentials"][..]),
        (POST, &["--grant", "client-credentials", "--client-auth", "body"][..]),
    ] {
        let (id, _) = add_by_issuer(&env, &server, client, more);
        env.ok(&["connect", &id], "");
        let token = env.ok(&["token", &id], "").trim().to_owned();
        let seen = server.introspect(client, &token).await;
        assert_eq!(seen["active"], true, "{}: {seen}", client.0);
        assert_eq!(seen["client_id"], client.0, "{seen}");
    }
    // The secret is what the server checks (it takes either method from
    // either client): a wrong one is refused, in the server's words.
    let (id, _) = add_by_issuer(
        &env,
        &server,
        (POST.0, "not-the-secret"),
        &["--grant", "client-credentials"],
    );
    let out = env.run(&["connect", &id], "");
    assert!(!out.status.success(), "a wrong client secret was accepted");
    assert!(stderr(&out).contains("invalid_client"), "{}", stderr(&out));
}

/// RFC 7523 client assertions: client_secret_jwt for a client the server
/// has, and private_key_jwt for clients registered (RFC 7591) with the
/// public key `latch` printed: one key Latch made, one RSA key the person
/// brought as a PEM file. Each connects, its token is active at the server
/// for that client, and the check (introspection, itself authenticated by
/// an assertion) works; a new key pair is refused until it is registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_client_secret_jwt_and_private_key_jwt() {
    let env = env().await;
    let server = OidcServer::start();
    let works = |id: &str, client_id: &str| {
        env.ok(&["connect", id], "");
        let token = env.ok(&["token", id], "").trim().to_owned();
        let out = env.run(&["--json", "status", id, "--check"], "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(rows[0]["check"], "works", "{rows}");
        (token, client_id.to_owned())
    };

    let (id, _) = add_by_issuer(
        &env,
        &server,
        SECRET_JWT,
        &["--grant", "client-credentials", "--client-auth", "secret-jwt"],
    );
    assert_eq!(settings(&env, &id).client_auth, ClientAuth::SecretJwt);
    let mut issued = vec![works(&id, SECRET_JWT.0)];

    let rsa_pem = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/src/testdata/rsa-2048.pem");
    let mut keyed = Vec::new();
    for key_flags in [&[][..], &["--private-key-file", rsa_pem][..]] {
        let id = unique("oidc");
        let mut args = vec![
            "add",
            "oauth2",
            "--label",
            "Keyed",
            "--id",
            &id,
            "--issuer",
            &server.issuer,
            "--client-id",
            "not-registered-yet",
            "--grant",
            "client-credentials",
            "--client-auth",
            "private-key-jwt",
        ];
        args.extend_from_slice(key_flags);
        let out = env.run(&args, "");
        assert!(out.status.success(), "add: {}", stderr(&out));
        assert!(stderr(&out).contains("Register this public key"), "{}", stderr(&out));
        assert_eq!(settings(&env, &id).client_auth, ClientAuth::PrivateKeyJwt);
        let jwks: serde_json::Value = serde_json::from_str(&env.ok(&["key", &id, "--jwks"], "")).unwrap();
        let client_id = server
            .register(serde_json::json!({
                "token_endpoint_auth_method": "private_key_jwt",
                "jwks": jwks,
                "grant_types": ["client_credentials"],
                "response_types": [],
                "redirect_uris": [],
            }))
            .await;
        env.ok(&["edit", &id, "--set", &format!("client_id={client_id}")], "");
        issued.push(works(&id, &client_id));
        keyed.push(id);
    }
    for (token, client_id) in &issued {
        let seen = server.introspect(BASIC, token).await;
        assert_eq!(seen["active"], true, "{seen}");
        assert_eq!(seen["client_id"], client_id.as_str(), "{seen}");
    }

    // A new key pair: the server knows only the old public key.
    env.ok(&["key", &keyed[0], "--new", "--yes"], "");
    let out = env.run(&["connect", &keyed[0]], "");
    assert!(!out.status.success(), "an unregistered key was accepted");
    assert!(stderr(&out).contains("invalid_client"), "{}", stderr(&out));
}

/// Connects `id` through the server's pages and the loopback redirect;
/// returns what `connect` printed.
async fn sign_in(env: &Env, server: &OidcServer, id: &str) -> Output {
    let (child, _, callback) = start_connect(env, server, id).await;
    reqwest::get(&callback).await.unwrap();
    wait(child)
}

/// OpenID Connect: with the openid scope Latch sends a nonce, and the
/// id_token that comes back is verified (the server's JWKS, `iss`, `aud`,
/// `exp`, the nonce) and kept; an account that hands it out gives it to
/// `latch token` and `latch header`, and a refresh brings a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_token_is_verified_kept_and_handed_out_where_the_account_says() {
    let env = env().await;
    let server = OidcServer::start();
    let (id, _) = add_by_issuer(
        &env,
        &server,
        BASIC,
        &[
            "--redirect-uri",
            &env.loopback_redirect,
            "--scopes",
            "openid offline_access",
            "--set",
            "hand_out=id_token",
        ],
    );
    assert_eq!(
        settings(&env, &id).jwks_uri,
        Some(format!("{}/jwks", server.issuer)),
        "from discovery"
    );
    let (child, url, callback) = start_connect(&env, &server, &id).await;
    let nonce = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "nonce")
        .map(|(_, v)| v.into_owned())
        .expect("a nonce on the authorization request");
    reqwest::get(&callback).await.unwrap();
    let out = wait(child);
    assert!(out.status.success(), "connect: {}", stderr(&out));

    let handed = env.ok(&["token", &id], "").trim().to_owned();
    let kept = tokens(&env, &id);
    assert_eq!(
        kept.id_token.as_ref().map(|t| t.secret()),
        Some(handed.as_str()),
        "the id_token is handed out"
    );
    assert_ne!(kept.access_token.secret(), handed);
    let claims = latch_core::jwt::claims(&handed).unwrap();
    assert_eq!(
        (claims["sub"].as_str(), claims["aud"].as_str()),
        (Some("alice"), Some(BASIC.0))
    );
    assert_eq!(
        (claims["iss"].as_str(), claims["nonce"].as_str()),
        (Some(server.issuer.as_str()), Some(nonce.as_str()))
    );
    assert_eq!(
        env.ok(&["header", &id], "").trim(),
        format!("Authorization: Bearer {handed}")
    );

    // An id_token made in the same second as the first would be the same
    // bytes (same claims, deterministic RS256): let the clock pass its `iat`.
    let iat = claims["iat"].as_i64().unwrap();
    while latch_core::time::now() <= iat {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let before = tokens(&env, &id).access_token;
    env.ok(&["refresh", &id], "");
    let renewed = env.ok(&["token", &id], "").trim().to_owned();
    assert_ne!(tokens(&env, &id).access_token, before, "the refresh ran");
    assert_ne!(renewed, handed, "the refresh brought a new id_token");
    assert_eq!(latch_core::jwt::claims(&renewed).unwrap()["sub"], "alice");
}

/// A man in the middle on the token endpoint that changes the id_token's
/// `sub` (its signature then no longer verifies): the sign-in is refused,
/// said plainly, and nothing is kept. The server's own answer, relayed
/// untouched, connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_id_token_is_refused_and_nothing_is_kept() {
    let env = env().await;
    let server = OidcServer::start();
    let tamper = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let proxy = token_proxy(format!("{}/token", server.issuer), tamper.clone()).await;
    let (id, _) = add_by_issuer(
        &env,
        &server,
        BASIC,
        &[
            "--redirect-uri",
            &env.loopback_redirect,
            "--scopes",
            "openid",
            "--token-url",
            &proxy,
        ],
    );
    let out = sign_in(&env, &server, &id).await;
    assert!(!out.status.success(), "a tampered id_token was taken");
    assert!(
        stderr(&out).contains("an id_token Latch does not trust: its signature does not verify"),
        "{}",
        stderr(&out)
    );
    let latch = Latch::open(Some(env.home.path().to_owned())).unwrap();
    assert!(
        latch.secrets(&latch.find(&id).unwrap()).unwrap().tokens.is_none(),
        "nothing kept"
    );

    tamper.store(false, std::sync::atomic::Ordering::SeqCst);
    let out = sign_in(&env, &server, &id).await;
    assert!(out.status.success(), "connect: {}", stderr(&out));
    assert!(tokens(&env, &id).id_token.is_some());
}

/// Serves POST /token on 127.0.0.1, relaying it to `upstream`; while
/// `tamper` holds, the answer's id_token gets another `sub` (its header
/// and signature left as they were). Returns the proxy's token URL.
async fn token_proxy(upstream: String, tamper: std::sync::Arc<std::sync::atomic::AtomicBool>) -> String {
    use axum::http::{HeaderMap, StatusCode};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let relay = move |headers: HeaderMap, body: axum::body::Bytes| {
        let (upstream, tamper) = (upstream.clone(), tamper.clone());
        async move {
            let mut request = reqwest::Client::new().post(&upstream).body(body.to_vec());
            for name in ["authorization", "content-type"] {
                if let Some(value) = headers.get(name) {
                    request = request.header(name, value.to_str().unwrap());
                }
            }
            let answer = request.send().await.unwrap();
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let mut body: serde_json::Value = answer.json().await.unwrap();
            if tamper.load(std::sync::atomic::Ordering::SeqCst)
                && let Some(id_token) = body["id_token"].as_str()
            {
                let parts: Vec<&str> = id_token.split('.').collect();
                let mut claims = latch_core::jwt::claims(id_token).unwrap();
                claims["sub"] = "mallory".into();
                let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
                body["id_token"] = format!("{}.{payload}.{}", parts[0], parts[2]).into();
            }
            (status, axum::Json(body))
        }
    };
    let app = axum::Router::new().route("/token", axum::routing::post(relay));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Starts `latch connect` of a device code account (added by issuer, so the
/// device authorization endpoint comes from the metadata), answers at the
/// server's own /device pages, and returns `connect`'s output, its stderr
/// and what the server's last page said.
async fn connect_by_device(env: &Env, server: &OidcServer, approve: bool) -> (String, Output, String) {
    let (id, _) = add_by_issuer(
        env,
        server,
        DEVICE,
        &["--grant", "device-code", "--scopes", "openid offline_access"],
    );
    assert_eq!(
        settings(env, &id).device_authorization_url,
        Some(format!("{}/device/auth", server.issuer)),
        "filled from the metadata"
    );
    let mut child = env
        .cmd(&["connect", &id, "--no-browser"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = std::io::BufReader::new(child.stderr.take().unwrap());
    let code = read_line_starting(&mut said, "First copy your one-time code: ")
        .trim_start_matches("First copy your one-time code: ")
        .to_owned();
    let open = read_line_starting(&mut said, "Then open ");
    let verification_uri = open
        .trim_start_matches("Then open ")
        .trim_end_matches(" and type it in.");
    assert_eq!(verification_uri, format!("{}/device", server.issuer));
    let page = server.approve_device(verification_uri, &code, "alice", approve).await;
    let out = wait(child);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut said, &mut rest).unwrap();
    (id, out, format!("{rest}\n{page}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_approved_at_the_servers_device_pages_gives_a_working_token() {
    let env = env().await;
    let server = OidcServer::start();
    let (id, out, said) = connect_by_device(&env, &server, true).await;
    assert!(out.status.success(), "connect: {said}");
    let token = env.ok(&["token", &id], "");
    let view = server.introspect(DEVICE, token.trim()).await;
    assert_eq!(view["active"], true, "the server knows the token: {view}");
    assert_eq!(view["client_id"], DEVICE.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_aborted_at_the_servers_page_is_said_and_stores_nothing() {
    let env = env().await;
    let server = OidcServer::start();
    let (id, out, said) = connect_by_device(&env, &server, false).await;
    assert_eq!(out.status.code(), Some(5), "a provider refusal: {said}");
    assert!(said.contains("the sign-in was refused on the server's page"), "{said}");
    assert!(!env.run(&["token", &id], "").status.success(), "no token was stored");
}

/// `latch status --check` of an account without a test call asks the
/// server's introspection endpoint (discovery filled it in): a live token
/// works; once the grant is revoked at the server behind Latch's back, the
/// token is inactive, the one refresh is refused, and the account needs
/// reconnecting (exit status 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_check_asks_the_servers_introspection_endpoint() {
    let env = env().await;
    let server = OidcServer::start();
    let id = connected(&env, &server).await;
    assert_eq!(
        settings(&env, &id).introspection_url,
        Some(format!("{}/token/introspection", server.issuer))
    );
    assert_eq!(
        settings(&env, &id).probe_url,
        None,
        "no test call: introspection is the check"
    );
    let out = env.run(&["--json", "status", &id, "--check"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["check"], "works", "{rows}");

    server.revoke(BASIC, &refresh_token(&tokens(&env, &id))).await;
    let access = tokens(&env, &id).access_token.secret().to_owned();
    assert_eq!(server.introspect(BASIC, &access).await["active"], false);
    let out = env.run(&["--json", "status", &id, "--check"], "");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["check"], "failed", "{rows}");
    assert_eq!(rows[0]["status"], "needs-reconnect", "{rows}");
}

/// RFC 8707: a resource indicator reaches the server, whose token is then
/// for that API (a JWT whose audience is the resource); a resource the
/// server does not know is refused in its words, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resource_indicator_gets_a_token_for_that_api() {
    let env = env().await;
    let server = OidcServer::start();
    let (id, _) = add_by_issuer(
        &env,
        &server,
        BASIC,
        &[
            "--grant",
            "client-credentials",
            "--scopes",
            "api:read",
            "--set",
            "resource=https://api.latch.test/",
        ],
    );
    env.ok(&["connect", &id], "");
    let token = env.ok(&["token", &id], "").trim().to_owned();
    let claims = latch_core::jwt::claims(&token).expect("a token for the API is a JWT");
    assert_eq!(claims["aud"], "https://api.latch.test/", "{claims}");
    assert_eq!(claims["scope"], "api:read", "{claims}");

    let (other, _) = add_by_issuer(
        &env,
        &server,
        BASIC,
        &[
            "--grant",
            "client-credentials",
            "--set",
            "resource=https://unknown.latch.test/",
        ],
    );
    let out = env.run(&["connect", &other], "");
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("invalid_target"), "{}", stderr(&out));
    assert!(!env.run(&["token", &other], "").status.success(), "nothing stored");
}

/// A device code nobody approves ends when it expires (the server's
/// `expires_in`, here 6 s): said plainly (exit status 5), nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_code_nobody_approves_expires_and_stores_nothing() {
    let env = env().await;
    let server = OidcServer::start_with(&[("LATCH_INTEROP_DEVICE_CODE_TTL", "6")]);
    let (id, _) = add_by_issuer(&env, &server, DEVICE, &["--grant", "device-code", "--scopes", "openid"]);
    let out = env
        .cmd(&["connect", &id, "--no-browser"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(
        said.contains("the code expires in 0:05") || said.contains("the code expires in 0:06"),
        "the countdown starts from the server's 6 s: {said}"
    );
    assert!(
        stderr(&out).contains("expired_token: the code was not approved in time"),
        "{}",
        stderr(&out)
    );
    assert!(!env.run(&["token", &id], "").status.success(), "nothing stored");
}
