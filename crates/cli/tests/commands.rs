//! Every `latch` command, run as a script runs it, against the fake providers
//! and the real keyring.

mod support;

use latch_sandbox::harness;
use latch_sandbox::{Fault, FaultKind};
use std::io::Write;
use std::process::Stdio;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wordapp_password_grant_add_connect_token_header_with_json_shapes() {
    let env = env().await;
    let id = env.wordapp_password_account();
    assert_eq!(env.sandbox.wordapp().count("wordapp.token"), 1);

    let accounts = env.json(&["accounts"]);
    let row = &accounts[0];
    let mut keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["expires_at", "expires_in", "id", "label", "provider", "scope", "status"]
    );
    assert_eq!(
        (row["id"].as_str(), row["provider"].as_str(), row["status"].as_str()),
        (Some(&*id), Some("wordapp"), Some("valid"))
    );
    assert!(row["expires_in"].as_i64().unwrap() > 7000);

    let token = env.json(&["token", &id]);
    let plain = env.ok(&["token", &id], "");
    assert_eq!(plain.trim_end(), token["access_token"].as_str().unwrap());
    assert_eq!(token["account"], id.as_str());
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(
        env.ok(&["header", &id], ""),
        format!("Authorization: Bearer {}\nX-Api-Version: 1\n", plain.trim_end()),
        "Wordapp's requests carry X-Api-Version (document 004)"
    );
    assert_eq!(
        env.sandbox.wordapp().count("wordapp.token"),
        1,
        "a valid token is not refreshed"
    );

    // A lifetime of its own for the refreshed set, so the value printed can
    // only come from this answer; expiry is the time it arrived + expires_in.
    env.sandbox.wordapp().settings().expires_in = 5400;
    let before = latch_core::time::now();
    let refreshed = env.json(&["refresh", &id]);
    let after = latch_core::time::now();
    let mut keys: Vec<&str> = refreshed.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["account", "expires_at", "scope"], "{refreshed}");
    assert_eq!(refreshed["account"], id.as_str());
    assert_eq!(refreshed["scope"], "public", "the scope the fake granted");
    let expires_at = refreshed["expires_at"].as_i64().expect("expires_at in Unix seconds");
    assert!(
        (before + 5400..=after + 5400).contains(&expires_at),
        "expires_at {expires_at} is not the answer's arrival ({before}..={after}) + 5400 s"
    );
    let row = env.json(&["accounts"])[0].clone();
    assert_eq!(row["expires_at"], expires_at, "the list shows the refreshed expiry");
    assert_eq!(env.sandbox.wordapp().count("wordapp.token"), 2);
    assert_ne!(env.ok(&["token", &id], ""), plain, "refresh gave a new access token");
}

/// `connect --username` sends the typed username, not the one saved with the
/// account (issue 21: a password grant that ignored it passed every test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wordapp_connect_with_a_typed_username_sends_that_username() {
    let env = env().await;
    let id = unique("wordapp");
    let base = env.sandbox.wordapp().base_url();
    env.ok(
        &[
            "add",
            "wordapp",
            "--label",
            "Wordapp",
            "--id",
            &id,
            "--grant",
            "password",
            "--client-id",
            "demo-wordapp-client",
            "--username",
            "saved-but-not-a-wordapp-user",
            "--base-url",
            &base,
            "--secret-stdin",
        ],
        "demo-wordapp-secret\n",
    );
    let username_sent = || {
        let requests = env.sandbox.wordapp().requests();
        let token = requests
            .iter()
            .rev()
            .find(|r| r.route == "wordapp.token")
            .expect("a token request");
        token
            .form()
            .into_iter()
            .find(|(k, _)| k == "username")
            .expect("a username")
            .1
    };

    // A wrong typed username with the right password: the fake refuses it (exit 5).
    let out = env.run(&["connect", &id, "--username", "nobody"], "demo-password\n");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some(
            "latch: Wordapp refused the request (invalid_grant: the username or password is wrong); check them and \
             try again."
        )
    );
    assert_eq!(username_sent(), "nobody");

    // The saved username is not a Wordapp user; the typed e-mail is.
    let connected: serde_json::Value = serde_json::from_str(&env.ok(
        &["--json", "connect", &id, "--username", "demo@demo.latch"],
        "demo-password\n",
    ))
    .unwrap();
    assert_eq!(username_sent(), "demo@demo.latch");
    assert_eq!(connected["account"], id.as_str());
    assert_eq!(connected["scope"], "public");
    assert_eq!(env.json(&["accounts"])[0]["status"], "valid");
    assert_eq!(env.sandbox.wordapp().count("wordapp.token"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wazzup_connect_through_the_loopback_listener_closes_the_port() {
    let env = env().await;
    let id = env.add_wazzup_on_loopback();

    let mut child = env
        .cmd(&["connect", &id, "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = read_line_starting(&mut stdout_reader(&mut child), "http");
    assert!(
        url.contains("/v2/oauth/authorize?") && url.contains("code_challenge_method=S256"),
        "{url}"
    );
    let back = harness::follow_consent(&url).await;
    assert!(back.starts_with(&env.loopback_redirect), "{back}");
    let page = reqwest::get(&back).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("return to Latch"));
    let out = wait(child);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let port = url::Url::parse(&env.loopback_redirect).unwrap().port().unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the loopback port must be closed"
    );
    let exchange = env
        .sandbox
        .wazzup()
        .requests()
        .into_iter()
        .find(|r| r.route == "wazzup.token")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&exchange.body).unwrap();
    assert_eq!(body["grant_type"], "authorization_code");
    assert!(body["authorize_code_data"]["code_verifier"].as_str().unwrap().len() >= 43);
    assert!(
        env.ok(&["token", &id], "").starts_with("eyJ"),
        "Wazzup's access tokens look like JWTs"
    );
}

/// Issue 15, item 4: `latch connect` used to run `xdg-open <authorize URL>`,
/// so the `state`, the PKCE challenge and the loopback port were in a
/// command line every local user can read, and another user could answer
/// the sign-in. Now the opener is handed a private page (0600, in the
/// user's 0700 runtime directory) that leads to the address; the sign-in
/// still completes, and the page is deleted when it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_hands_the_opener_a_private_page_never_the_address() {
    use std::os::unix::fs::PermissionsExt;
    let env = env().await;
    let id = env.add_wazzup_on_loopback();
    let opener = harness::FakeOpener::new();
    let runtime = tempfile::tempdir().unwrap();
    let child = env
        .cmd(&["connect", &id])
        .env("PATH", opener.path_var())
        .env("XDG_RUNTIME_DIR", runtime.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let opened = opener.wait();
    let argv = opened.args.join(" ");
    for name in ["state=", "code_challenge="] {
        assert!(!argv.contains(name), "the opener's command line `{argv}` holds {name}");
    }
    let url = harness::page_target_in(&opened.page);
    let parsed = url::Url::parse(&url).unwrap();
    let param = |name: &str| parsed.query_pairs().find(|(k, _)| k == name).unwrap().1.into_owned();
    let port = url::Url::parse(&env.loopback_redirect).unwrap().port().unwrap();
    for (what, secret) in [
        ("state", param("state")),
        ("code_challenge", param("code_challenge")),
        ("loopback port", port.to_string()),
    ] {
        assert!(
            !argv.contains(&secret),
            "the opener's command line `{argv}` holds the {what}"
        );
    }
    let page = opened.file();
    assert_eq!(opened.mode, "600", "the page {page:?} is readable by others");
    assert_eq!(page.parent().unwrap(), runtime.path().join("latch"));
    let dir_mode = std::fs::metadata(page.parent().unwrap()).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert!(url.contains("/v2/oauth/authorize?"), "{url}");

    let back = harness::follow_consent(&url).await;
    let answer = reqwest::get(&back).await.unwrap();
    assert_eq!(answer.status(), 200);
    let out = wait(child);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("Opened the sign-in page in your browser."),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!page.exists(), "the sign-in page outlived its sign-in");
    assert!(env.ok(&["token", &id], "").starts_with("eyJ"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payu_connect_by_pasting_the_redirect_url_and_rejecting_a_forged_one() {
    let env = env().await;
    let id = env.add_payu();

    // A forged paste: the right shape, another state. Rejected, nothing stored.
    let mut child = env
        .cmd(&["connect", &id, "--no-browser"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = read_line_starting(&mut stdout_reader(&mut child), "http");
    let back = harness::follow_consent(&url).await;
    assert!(
        back.starts_with(SCHEME_REDIRECT) && back.contains("auth_code="),
        "{back}"
    );
    let forged = back.replace("state=", "state=x");
    writeln!(child.stdin.take().unwrap(), "{forged}").unwrap();
    let out = wait(child);
    assert_eq!(out.status.code(), Some(8), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("state"));
    assert_eq!(env.json(&["accounts"])[0]["status"], "not-connected");
    assert_eq!(
        env.sandbox.payu().count("payu.token"),
        0,
        "a forged callback never reaches the token endpoint"
    );

    // The real paste connects.
    let mut child = env
        .cmd(&["connect", &id, "--no-browser"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = read_line_starting(&mut stdout_reader(&mut child), "http");
    let back = harness::follow_consent(&url).await;
    writeln!(child.stdin.take().unwrap(), "{back}").unwrap();
    let out = wait(child);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let row = &env.json(&["accounts"])[0];
    assert_eq!(row["status"], "valid");
    assert!(row["scope"].as_str().unwrap().contains("credentials_using_oauth"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_statuses_say_what_kind_of_failure_it_was() {
    let env = env().await;
    let one_line = |out: &std::process::Output| {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.starts_with("latch: ") || err.starts_with("error: "), "{err}");
        err
    };

    // usage
    let out = env.run(&["add", "payu", "--label", "x", "--secret-stdin"], "s\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(one_line(&out).contains("--client-id"));
    // not found
    let out = env.run(&["token", "no-such-account"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(one_line(&out).contains("no-such-account"));

    // provider refused: client credentials with the wrong secret
    let wrong = unique("wordapp-cc");
    let base = env.sandbox.wordapp().base_url();
    env.ok(
        &[
            "add",
            "wordapp",
            "--label",
            "CC",
            "--id",
            &wrong,
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wordapp-client",
            "--base-url",
            &base,
            "--secret-stdin",
        ],
        "not-the-secret\n",
    );
    let out = env.run(&["connect", &wrong], "");
    assert_eq!(out.status.code(), Some(5), "{}", one_line(&out));

    // network: nothing listens there
    let dead = unique("wordapp-dead");
    let closed = format!("http://127.0.0.1:{}", harness::free_port());
    env.ok(
        &[
            "add",
            "wordapp",
            "--label",
            "Dead",
            "--id",
            &dead,
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wordapp-client",
            "--base-url",
            &closed,
            "--secret-stdin",
        ],
        "demo-wordapp-secret\n",
    );
    let out = env.run(&["connect", &dead], "");
    assert_eq!(out.status.code(), Some(6), "{}", one_line(&out));

    // needs reconnect: Wordapp refuses the refresh token (RFC 6749 invalid_grant)
    let id = env.wordapp_password_account();
    env.sandbox.wordapp().inject(
        "wordapp.token",
        Fault::once(FaultKind::json_status(
            400,
            serde_json::json!({"error": "invalid_grant", "error_description": "The provided authorization grant is invalid."}),
        )),
    );
    let out = env.run(&["refresh", &id], "");
    assert_eq!(out.status.code(), Some(4), "{}", one_line(&out));
    let row = env
        .json(&["accounts"])
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["status"], "needs-reconnect");
    assert!(row["reason"].as_str().is_some());

    // keyring: no D-Bus session at all
    let out = env
        .cmd(&["token", &id])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(one_line(&out).contains("keyring"));
    assert_eq!(String::from_utf8_lossy(&out.stderr).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_token_calls_on_an_expiring_token_make_one_refresh() {
    let env = env().await;
    env.sandbox.wordapp().settings().expires_in = 30; // within `token`'s one-minute margin
    let id = env.wordapp_password_account();
    env.sandbox.wordapp().settings().expires_in = 7200;
    let before = env.sandbox.wordapp().count("wordapp.token");

    let children: Vec<_> = (0..50)
        .map(|_| {
            env.cmd(&["token", &id])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children.into_iter().map(wait).collect();
    for out in &outputs {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let tokens: std::collections::HashSet<_> = outputs.iter().map(|o| o.stdout.clone()).collect();
    assert_eq!(tokens.len(), 1, "all 50 print the same token");
    assert_eq!(
        env.sandbox.wordapp().count("wordapp.token") - before,
        1,
        "exactly one refresh at the provider"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_then_remove() {
    let env = env().await;
    let id = env.wordapp_password_account();
    let out = env.run(&["revoke", &id], "");
    assert_eq!(out.status.code(), Some(2), "no --yes and no terminal: refuse to guess");
    assert_eq!(env.sandbox.wordapp().count("wordapp.revoke"), 0);

    let revoked = env.json(&["revoke", &id, "--yes"]);
    assert_eq!(revoked["outcome"], "revoked");
    assert_eq!(env.sandbox.wordapp().count("wordapp.revoke"), 1);
    assert_eq!(env.json(&["accounts"])[0]["status"], "revoked");
    assert_eq!(env.run(&["token", &id], "").status.code(), Some(4));

    let removed = env.json(&["remove", &id, "--yes"]);
    assert_eq!(removed["removed"], true);
    assert_eq!(env.json(&["accounts"]), serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_come_from_stdin_or_a_named_variable_never_a_flag() {
    let env = env().await;
    let out = env.run(
        &[
            "add",
            "payu",
            "--label",
            "x",
            "--client-id",
            "c",
            "--redirect-uri",
            "https://x",
            "--client-secret",
            "s",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2), "there is no flag for a secret");
    let out = env
        .cmd(&[
            "add",
            "payu",
            "--label",
            "x",
            "--client-id",
            "c",
            "--redirect-uri",
            "https://x",
            "--secret-env",
            "LATCH_TEST_UNSET_VAR",
        ])
        .env_remove("LATCH_TEST_UNSET_VAR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LATCH_TEST_UNSET_VAR"));
    assert_eq!(env.json(&["accounts"]), serde_json::json!([]), "nothing half-made");
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let script = String::from_utf8(out.stdout).unwrap();
        // The registration of clap's dynamic completion: the shell asks
        // `latch` itself (tests/manners.rs completes in a real bash).
        assert!(
            script.contains("COMPLETE=") && script.contains("latch"),
            "{shell}: {script}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_data_directory_or_any_output_after_connect_and_refreshes() {
    let env = env().await;
    let mut printed = String::new();
    let id = unique("wordapp-audit");
    let base = env.sandbox.wordapp().base_url();
    let mut run = |args: &[&str], stdin: &str| {
        let out = env.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed.push_str(&String::from_utf8_lossy(&out.stderr));
        if !matches!(args.first(), Some(&"token" | &"header")) {
            printed.push_str(&String::from_utf8_lossy(&out.stdout));
        }
    };
    run(
        &[
            "add",
            "wordapp",
            "--label",
            "Audit",
            "--id",
            &id,
            "--grant",
            "password",
            "--client-id",
            "demo-wordapp-client",
            "--username",
            "demo",
            "--base-url",
            &base,
            "--secret-stdin",
        ],
        "demo-wordapp-secret\n",
    );
    run(&["connect", &id], "demo-password\n");
    for _ in 0..3 {
        run(&["refresh", &id], "");
    }
    run(&["accounts"], "");
    run(&["--json", "accounts"], "");

    // Every secret that existed: what Latch sent and what the provider answered.
    let mut secrets = vec!["demo-wordapp-secret".to_owned(), "demo-password".to_owned()];
    for request in env.sandbox.wordapp().requests() {
        secrets.extend(
            request
                .form()
                .into_iter()
                .filter(|(k, _)| k.contains("token"))
                .map(|(_, v)| v),
        );
    }
    let token = env.json(&["token", &id])["access_token"].as_str().unwrap().to_owned();
    secrets.push(token);
    assert!(
        secrets.len() >= 6,
        "the refreshes sent their refresh tokens: {}",
        secrets.len()
    );

    let mut files = String::new();
    for entry in walk(env.home.path()) {
        files.push_str(&String::from_utf8_lossy(&std::fs::read(&entry).unwrap()));
    }
    assert!(files.contains(&id), "the index is in the data directory");
    for secret in &secrets {
        assert!(!files.contains(secret.as_str()), "a secret is in the data directory");
        assert!(
            !printed.contains(secret.as_str()),
            "a secret was printed by a command that should not"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

#[test]
fn latch_sandbox_starts_the_fakes_and_prints_their_addresses() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .args(["sandbox", "--any-port"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = stdout_reader(&mut child);
    let mut lines = Vec::new();
    for name in ["wazzup", "payu", "wordapp", "green-api", "oauth2"] {
        let line = read_line_starting(&mut reader, &format!("  {name}"));
        let url = line.split_whitespace().last().unwrap().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        lines.push(url);
    }
    // Each answers HTTP on its port (a 404 for / is an answer).
    for url in &lines {
        let port = url.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(stream, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 "), "{url} answered {answer:?}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_profiles_with_the_same_account_id_keep_separate_secrets() {
    let first = env().await;
    let second = tempfile::tempdir().unwrap();
    let base = first.sandbox.wordapp().base_url();
    let add = |home: &std::path::Path, secret: &str| {
        let mut child = first
            .cmd(&[
                "add",
                "wordapp",
                "--label",
                "Robot",
                "--id",
                "robot",
                "--grant",
                "client-credentials",
                "--client-id",
                "demo-wordapp-client",
                "--base-url",
                &base,
                "--secret-stdin",
            ])
            .env("LATCH_HOME", home)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{secret}").unwrap();
        assert!(wait(child).status.success());
    };
    add(first.home.path(), "demo-wordapp-secret");
    add(second.path(), "another-profiles-wrong-secret");

    // The first profile still has its own (right) secret; the second its own (wrong) one.
    let out = first.run(&["connect", "robot"], "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = first
        .cmd(&["connect", "robot"])
        .env("LATCH_HOME", second.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = first
        .cmd(&["remove", "robot", "--yes"])
        .env("LATCH_HOME", second.path())
        .output();
    let _ = first.run(&["remove", "robot", "--yes"], "");
}

#[test]
fn a_bad_timeout_setting_is_a_usage_error_naming_the_variable() {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .arg("accounts")
        .env("LATCH_HOME", home.path())
        .env("LATCH_HTTP_TIMEOUT_SECS", "two minutes")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("LATCH_HTTP_TIMEOUT_SECS is \"two minutes\""),
        "{stderr}"
    );
}

/// Issue 15, item 1, as a person meets it: `index.json` edited behind
/// Latch's back (here: the Wordapp account's server moved to a second
/// sandbox) makes `latch refresh` send nothing, exit 4 and say why; the
/// secrets follow only after `latch edit … --yes` or `connect --yes`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_index_cannot_send_the_secrets_to_another_server() {
    let env = env().await;
    let hostile = latch_sandbox::harness::sandbox().await;
    let id = env.wordapp_password_account();
    let (from, to) = (env.sandbox.wordapp().base_url(), hostile.wordapp().base_url());
    let index = env.home.path().join("index.json");
    let text = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, text.replace(&from, &to)).unwrap();

    let out = env.run(&["refresh", &id], "");
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "latch: This account's server changed from {from} to {to}, so Latch sent nothing; if you made that \
             change, connect the account again to confirm the new server.\n"
        )
    );
    let out = env.run(&["token", &id], "");
    assert_eq!(
        out.status.code(),
        Some(0),
        "a token still valid is printed: it goes to no server"
    );
    assert!(
        hostile.wordapp().requests().is_empty(),
        "{:?}",
        hostile.wordapp().requests()
    );

    // On a pipe, `connect` wants --yes before it trusts the new server.
    let out = env.run(&["connect", &id], "demo-password\n");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(hostile.wordapp().requests().is_empty());
    env.ok(&["connect", &id, "--yes"], "demo-password\n");
    assert_eq!(hostile.wordapp().count("wordapp.token"), 1);
}

/// `latch` with a data directory of its own and no keyring at all: the D-Bus
/// session it is pointed at does not exist.
fn latch_without_a_keyring(home: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_latch"))
        .args(args)
        .env("LATCH_HOME", home)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/latch-test-bus")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    wait(child)
}

/// Issue 15, item 14: `latch add` whose secret cannot reach the keyring
/// leaves no account behind in the index (the roll-back used to stop at the
/// unreachable keyring and keep the row).
#[test]
fn add_without_a_keyring_fails_with_status_7_and_leaves_no_account() {
    let home = tempfile::tempdir().unwrap();
    let out = latch_without_a_keyring(
        home.path(),
        &[
            "add",
            "wordapp",
            "--label",
            "Robot",
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wordapp-client",
            "--base-url",
            "http://127.0.0.1:9",
            "--secret-stdin",
        ],
        "demo-wordapp-secret\n",
    );
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keyring"));
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.path().join("index.json")).unwrap_or_else(|_| b"{}".to_vec()))
            .unwrap();
    assert_eq!(
        index["accounts"].as_array().map_or(0, Vec::len),
        0,
        "nothing half made: {index}"
    );
    let listed = latch_without_a_keyring(home.path(), &["--json", "accounts"], "");
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "[]");
}

/// Issue 15, item 9: a data directory other users can write is refused with
/// the storage status and the command that fixes it, and nothing is written
/// into it.
#[cfg(unix)]
#[test]
fn a_world_writable_data_directory_is_refused_with_status_7_and_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("shared");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = latch_without_a_keyring(&home, &["accounts"], "");
    assert_eq!(out.status.code(), Some(7));
    let shown = home.display();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "latch: The data directory {shown} is writable by other users (mode 0777); run `chmod 700 {shown}` or \
             set LATCH_HOME to a private directory.\n"
        )
    );
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0, "nothing written into it");
}

/// Issue 15, item 3: `latch sandbox` on the README's ports with one of them
/// held by another program (8972, PayU's) serves that fake elsewhere, says
/// so, prints only addresses it serves, points the demo accounts there and
/// sends the other program nothing. (In the `window` test group: the fixed
/// ports are shared with the window's tests.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latch_sandbox_on_the_fixed_ports_skips_a_taken_one_and_prints_only_its_own() {
    let env = env().await;
    let squatter = std::net::TcpListener::bind(("127.0.0.1", 8972)).expect("127.0.0.1:8972 free to squat");
    squatter.set_nonblocking(true).unwrap();
    // Killed however the test ends: a sandbox left running would hold the ports.
    struct Running(Option<std::process::Child>);
    impl Drop for Running {
        fn drop(&mut self) {
            if let Some(mut child) = self.0.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
    let mut running = Running(Some(
        env.cmd(&["sandbox", "--add-accounts"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let mut reader = stdout_reader(running.0.as_mut().unwrap());
    let mut printed = Vec::new();
    for name in ["wazzup", "payu", "wordapp", "green-api", "oauth2"] {
        let line = read_line_starting(&mut reader, &format!("  {name}"));
        printed.push(line.split_whitespace().last().unwrap().to_owned());
    }
    assert!(!printed[1].ends_with(":8972"), "{printed:?}");
    for url in &printed {
        let port = url.rsplit(':').next().unwrap().parse::<u16>().unwrap();
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            stream,
            "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 404") && answer.to_ascii_lowercase().ends_with("not found"),
            "{url} answered {answer:?}"
        );
    }
    assert!(squatter.accept().is_err(), "the program on 8972 was connected to");

    // The demo accounts point at the printed addresses and are listed as sandbox accounts.
    let accounts = env.json(&["accounts"]);
    let ids: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5, "{accounts}");
    assert!(
        accounts.as_array().unwrap().iter().all(|a| a["sandbox"] == true),
        "{accounts}"
    );
    let index = std::fs::read_to_string(env.home.path().join("index.json")).unwrap();
    assert!(
        index.contains(&format!("\"{}\"", printed[1])),
        "PayU's demo is on {}: {index}",
        printed[1]
    );
    assert!(!index.contains(":8972"), "{index}");
    let table = env.ok(&["accounts"], "");
    assert!(table.contains("PayU (sandbox)"), "{table}");

    let mut child = running.0.take().unwrap();
    let _ = child.kill();
    let out = wait(child);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!(
            "Port 8972 is taken by another program, so the payu fake is on {} instead",
            printed[1]
        )),
        "{said}"
    );
}
