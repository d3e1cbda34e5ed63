//! Issue 16: handing the credential to the work, through the built `latch`
//! against the fakes: `latch api` with each provider's own authentication,
//! a killed token noticed (refresh and retry, then "needs reconnect"),
//! `status --check`, `exec` and its token endpoint, `env`, `--min-valid`,
//! and the README's curl example that keeps the token out of every argv.

mod support;

use latch_sandbox::{Fault, FaultKind};
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::{env, wait};

/// The last request a fake received on `route`.
fn last(requests: Vec<latch_sandbox::RecordedRequest>, route: &str) -> latch_sandbox::RecordedRequest {
    requests
        .into_iter()
        .rev()
        .find(|r| r.route == route)
        .unwrap_or_else(|| panic!("no request on {route}"))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Each provider's test endpoint, reached by `latch api` with exactly the
/// authentication its document asks for. The fakes refuse anything else
/// (Wordapp without X-Api-Version, GREEN-API without the token in the path).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latch_api_authenticates_each_provider_its_own_way() {
    let env = env().await;
    let wazzup = env.connected_wazzup().await;
    let payu = env.connected_payu().await;
    let wordapp = env.wordapp_password_account();
    let oauth2 = env.connected_oauth2();
    let demo = latch_sandbox::DemoCredentials::default();
    let green = env.green_api_account(&demo.green_api_token, None);

    let out = env.ok(&["api", &wazzup, "/channels"], "");
    assert!(out.contains(r#""data":["#), "Wazzup's channels: {out}");
    let seen = last(env.sandbox.wazzup().requests(), "wazzup.channels");
    let token = env.ok(&["token", &wazzup], "");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {}", token.trim()).as_str())
    );

    env.ok(&["api", &payu, "/api/me"], "");
    let token = env.ok(&["token", &payu], "");
    let seen = last(env.sandbox.payu().requests(), "payu.me");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {}", token.trim()).as_str())
    );

    env.ok(&["api", &oauth2, "/userinfo"], "");
    let token = env.ok(&["token", &oauth2], "");
    let seen = last(env.sandbox.oauth2().requests(), "oauth2.userinfo");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {}", token.trim()).as_str())
    );

    // Wordapp: the Bearer token and X-Api-Version, both.
    let out = env.ok(&["api", &wordapp, "/api/me"], "");
    assert!(out.contains("demo"), "Wordapp's /api/me names the user: {out}");
    let seen = last(env.sandbox.wordapp().requests(), "wordapp.me");
    assert_eq!(seen.header("x-api-version"), Some("1"));
    assert!(seen.header("authorization").unwrap().starts_with("Bearer "));

    // GREEN-API: the instance and the token in the path, no Authorization header.
    let out = env.ok(&["api", &green, "getStateInstance"], "");
    assert!(out.contains("stateInstance"), "{out}");
    let seen = last(env.sandbox.green_api().requests(), "green_api.getStateInstance");
    assert_eq!(
        seen.path,
        format!(
            "/waInstance{}/getStateInstance/{}",
            demo.green_api_id_instance, demo.green_api_token
        )
    );
    assert_eq!(seen.header("authorization"), None);
    // …and GREEN-API has no header to give.
    let out = env.run(&["header", &green], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("in the URL path"), "{}", stderr(&out));
}

/// A token the provider killed is noticed by `latch api`: refreshed once
/// and the request sent again; when the refresh is refused too, the account
/// turns to "needs reconnect" (exit 4), and the index (the window) says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_token_is_refreshed_once_then_the_account_needs_reconnect() {
    let env = env().await;
    let wazzup = env.connected_wazzup().await;
    let first = env.ok(&["token", &wazzup], "").trim().to_owned();
    assert!(env.sandbox.wazzup().revoke_token(&first), "the fake knew the token");
    let refreshes = env.sandbox.wazzup().count("wazzup.token");

    let answer = env.json(&["api", &wazzup, "/channels"]);
    assert_eq!(answer["status"], 200, "{answer}");
    assert_eq!(answer["retried"], true, "the 401 was refreshed and retried");
    assert_eq!(
        env.sandbox.wazzup().count("wazzup.token"),
        refreshes + 1,
        "exactly one refresh"
    );
    let second = env.ok(&["token", &wazzup], "").trim().to_owned();
    assert_ne!(first, second);

    // Wordapp: the user revokes the access in Wordapp's settings: the
    // access and the refresh token die (the password grant names no client,
    // document 004).
    let wordapp = env.wordapp_password_account();
    env.sandbox.wordapp().revoke_grant("demo", "");
    let before = env.sandbox.wordapp().count("wordapp.me");
    let out = env.run(&["api", &wordapp, "/api/me"], "");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("connect the account again"), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "no body of a refused call is printed");
    assert_eq!(
        env.sandbox.wordapp().count("wordapp.me"),
        before + 1,
        "no retry after a refused refresh"
    );
    let row = env
        .json(&["accounts"])
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == wordapp.as_str())
        .cloned()
        .unwrap();
    assert_eq!(row["status"], "needs-reconnect", "{row}");
}

/// The token is still refused right after a refresh: not a loop, one retry,
/// then "needs reconnect".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_401_after_the_refresh_is_not_retried_again() {
    let env = env().await;
    let wazzup = env.connected_wazzup().await;
    env.sandbox.wazzup().inject(
        "wazzup.channels",
        Fault::always(FaultKind::json_status(
            401,
            serde_json::json!({"error": "unauthorized"}),
        )),
    );
    let refreshes = env.sandbox.wazzup().count("wazzup.token");
    let out = env.run(&["api", &wazzup, "/channels"], "");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("again right after a refresh"), "{}", stderr(&out));
    assert_eq!(
        env.sandbox.wazzup().count("wazzup.channels"),
        2,
        "the call and one retry"
    );
    assert_eq!(env.sandbox.wazzup().count("wazzup.token"), refreshes + 1);
    assert_eq!(env.json(&["accounts"])[0]["status"], "needs-reconnect");
}

/// `latch status --check` asks each provider; a token killed at the fake
/// whose refresh is refused turns its account to "needs reconnect" and the
/// exit status to 4, while the others stay as they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_check_finds_the_dead_token_and_says_who_needs_a_person() {
    let env = env().await;
    let payu = env.connected_payu().await;
    let wordapp = env.wordapp_password_account();
    let demo = latch_sandbox::DemoCredentials::default();
    let green = env.green_api_account(&demo.green_api_token, None);
    let out = env.run(&["--json", "status", &payu, &wordapp, "--check"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["check"], "works");
    assert_eq!(rows[1]["check"], "works");

    env.sandbox.wordapp().revoke_grant("demo", "");
    let out = env.run(&["--json", "status", &payu, &wordapp, &green, "--check"], "");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["check"], "works", "{rows}");
    assert_eq!(rows[0]["needs_person"], false);
    assert_eq!(rows[1]["check"], "failed", "{rows}");
    assert_eq!(rows[1]["status"], "needs-reconnect");
    assert_eq!(rows[1]["needs_person"], true);
    assert!(stderr(&out).contains(&wordapp), "{}", stderr(&out));
    // GREEN-API not linked yet: a person must link it.
    assert_eq!(rows[2]["status"], "not-connected");
    assert_eq!(rows[2]["needs_person"], true);
}

/// The README's example: `latch header ID | curl -H @- URL`. While curl
/// waits for a slow answer, no process's argv holds the token; the same
/// scan does find it in `curl -H "$(latch header ID)"`, so it can fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_curl_example_keeps_the_token_out_of_every_argv() {
    let env = env().await;
    let wordapp = env.wordapp_password_account();
    let token = env.ok(&["token", &wordapp], "").trim().to_owned();
    let url = format!("{}/api/me", env.sandbox.wordapp().base_url());
    let latch = env!("CARGO_BIN_EXE_latch");
    let piped = format!("'{latch}' header {wordapp} | curl -sS -o /dev/null -w '%{{http_code}}' -H @- {url}");
    let in_argv = format!("curl -sS -o /dev/null -w '%{{http_code}}' -H \"$('{latch}' header {wordapp})\" {url}");
    for (script, leaks) in [(piped, false), (in_argv, true)] {
        env.sandbox
            .wordapp()
            .inject("wordapp.me", Fault::once(FaultKind::Delay(Duration::from_millis(1500))));
        let child = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .env("LATCH_HOME", env.home.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &env.bus)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let seen = scan_argvs_while_running(&token, pid);
        let out = wait(child);
        assert_eq!(stdout(&out), "200", "{script}: {}", stderr(&out));
        assert!(seen.curl_was_seen, "{script}: the scan saw curl running");
        assert_eq!(seen.token_in_argv, leaks, "{script}");
    }
}

struct Scan {
    curl_was_seen: bool,
    token_in_argv: bool,
}

/// Reads every process's command line until `pid` exits.
fn scan_argvs_while_running(token: &str, pid: u32) -> Scan {
    let mut scan = Scan {
        curl_was_seen: false,
        token_in_argv: false,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::path::Path::new(&format!("/proc/{pid}/stat")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
        && Instant::now() < deadline
    {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(argv) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let argv = String::from_utf8_lossy(&argv);
            scan.curl_was_seen |= argv.starts_with("curl\0");
            scan.token_in_argv |= argv.contains(token);
        }
    }
    scan
}

/// `--min-valid` refreshes a token that would not live that long, and only
/// then; `--force-refresh` always does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_min_valid_and_force_refresh_decide_when_to_refresh() {
    let env = env().await;
    let wordapp = env.wordapp_password_account();
    let count = || env.sandbox.wordapp().count("wordapp.token");
    let start = count();
    let first = env.ok(&["token", &wordapp, "--min-valid", "10m"], "");
    assert_eq!(count(), start, "a two-hour token lives ten more minutes");
    let second = env.ok(&["token", &wordapp, "--min-valid", "3h"], "");
    assert_eq!(count(), start + 1, "but not three more hours");
    assert_ne!(first, second);
    let third = env.ok(&["header", &wordapp, "--force-refresh"], "");
    assert_eq!(count(), start + 2);
    assert!(!third.contains(second.trim()));
    let bad = env.run(&["token", &wordapp, "--min-valid", "soon"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("not a duration"), "{}", stderr(&bad));
}

/// `exec` hands the child its variables, and a local endpoint that still
/// answers with a working token after a refresh rotated the first one
/// (Wordapp kills the old token on refresh); `env` prints the same
/// variables; the child's exit status is latch's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_hands_a_token_that_outlives_a_rotation_and_env_prints_the_same() {
    let env = env().await;
    let wordapp = env.wordapp_password_account();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let fetch = r#"curl -sS -H "Authorization: Bearer $LATCH_EXEC_KEY" "$LATCH_EXEC_URL/token/$ID""#;
    let script = format!(
        "env > {d}/env.tmp && mv {d}/env.tmp {d}/env; {fetch} > {d}/first.tmp && mv {d}/first.tmp {d}/first; \
         while [ ! -e {d}/go ]; do sleep 0.05; done; {fetch} > {d}/second; exit 7"
    );
    let child = env
        .cmd(&["exec", &wordapp, "--", "sh", "-c", &script])
        .env("ID", &wordapp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let first_file = dir.path().join("first");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !first_file.exists() {
        assert!(Instant::now() < deadline, "the child never fetched its token");
        std::thread::sleep(Duration::from_millis(20));
    }
    let first = std::fs::read_to_string(&first_file).unwrap();
    let child_env = std::fs::read_to_string(dir.path().join("env")).unwrap();
    let prefix = latch_core::api::var_prefix(&wordapp);
    assert!(
        child_env.contains(&format!("{prefix}_TOKEN={first}\n")),
        "the variable and the endpoint agree"
    );
    assert!(child_env.contains(&format!("{prefix}_API_VERSION=1\n")));

    env.ok(&["refresh", &wordapp], "");
    std::fs::write(dir.path().join("go"), "").unwrap();
    let out = wait(child);
    assert_eq!(out.status.code(), Some(7), "the child's status: {}", stderr(&out));
    let second = std::fs::read_to_string(dir.path().join("second")).unwrap();
    assert_ne!(first, second, "the endpoint hands the rotated token");
    assert_eq!(second, env.ok(&["token", &wordapp], "").trim());
    let probe = |token: &str| {
        let me = format!("{}/api/me", env.sandbox.wordapp().base_url());
        let out = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-H",
                "X-Api-Version: 1",
                "-H",
            ])
            .arg(format!("Authorization: Bearer {token}"))
            .arg(me)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(probe(&first), "401", "the refresh killed the first token");
    assert_eq!(probe(&second), "200");

    // The endpoint closed with the child.
    let url = child_env
        .lines()
        .find_map(|l| l.strip_prefix("LATCH_EXEC_URL="))
        .unwrap();
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

    // `env` prints what `exec` set.
    let printed = env.json(&["env", &wordapp]);
    assert_eq!(printed[format!("{prefix}_TOKEN")], second.as_str());
    assert_eq!(printed[format!("{prefix}_API_VERSION")], "1");
    let sh = env.ok(&["env", &wordapp, "--format", "sh"], "");
    assert_eq!(
        sh,
        format!("export {prefix}_TOKEN='{second}'\nexport {prefix}_API_VERSION='1'\n")
    );
}

/// The endpoint answers only with its key, only for the accounts given to
/// exec, and never a browser's request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exec_endpoint_refuses_without_its_key_other_accounts_and_browsers() {
    let env = env().await;
    let wordapp = env.wordapp_password_account();
    let other = env.wordapp_password_account();
    let script = r#"
        get() { curl -s -o /dev/null -w '%{http_code} ' "$@"; }
        get "$LATCH_EXEC_URL/token/$ID"
        get -H "Authorization: Bearer wrong" "$LATCH_EXEC_URL/token/$ID"
        get -H "Authorization: Bearer $LATCH_EXEC_KEY" "$LATCH_EXEC_URL/token/$OTHER"
        get -H "Authorization: Bearer $LATCH_EXEC_KEY" -H "Origin: http://evil.example" "$LATCH_EXEC_URL/token/$ID"
        get -H "Authorization: Bearer $LATCH_EXEC_KEY" -H "Host: rebound.example" "$LATCH_EXEC_URL/token/$ID"
        get -H "Authorization: Bearer $LATCH_EXEC_KEY" "$LATCH_EXEC_URL/token/$ID"
    "#;
    let out = env
        .cmd(&["exec", &wordapp, "--", "sh", "-c", script])
        .env("ID", &wordapp)
        .env("OTHER", &other)
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "401 401 404 403 403 200 ", "{}", stderr(&out));
}

/// Signals reach the command, its status is passed on, a missing command
/// is 127, and `exec` does not nest by accident.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_forwards_signals_passes_the_status_and_refuses_to_nest() {
    let env = env().await;
    let wordapp = env.wordapp_password_account();
    let mut child = env
        .cmd(&[
            "exec",
            &wordapp,
            "--",
            "sh",
            "-c",
            "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    support::read_line_starting(&mut support::stdout_reader(&mut child), "ready");
    // SAFETY: a plain kill of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = wait(child);
    assert_eq!(out.status.code(), Some(42), "the trap ran: {}", stderr(&out));

    let out = env.run(&["exec", &wordapp, "--", "no-such-program-latch"], "");
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));

    let latch = env!("CARGO_BIN_EXE_latch");
    let nested = env.run(&["exec", &wordapp, "--", latch, "exec", &wordapp, "--", "true"], "");
    assert_eq!(nested.status.code(), Some(2), "{}", stderr(&nested));
    assert!(
        stderr(&nested).contains("already inside `latch exec`"),
        "{}",
        stderr(&nested)
    );
    let allowed = env.run(
        &[
            "exec", &wordapp, "--", latch, "exec", "--nested", &wordapp, "--", "true",
        ],
        "",
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
}

/// No secret in what `latch api` says: GREEN-API's address is shown with
/// its token masked. A redirect is printed, never followed, so the token
/// never reaches the other server; a URL on another server is refused
/// before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_masks_secrets_never_follows_redirects_and_stays_on_the_accounts_servers() {
    let env = env().await;
    let demo = latch_sandbox::DemoCredentials::default();
    let green = env.green_api_account(&demo.green_api_token, None);
    env.sandbox.green_api().inject(
        "green_api.getStateInstance",
        Fault::once(FaultKind::json_status(500, serde_json::json!({"error": "boom"}))),
    );
    let out = env.run(&["api", "-i", &green, "getStateInstance"], "");
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    assert!(stderr(&out).contains("/getStateInstance/***"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&demo.green_api_token));
    assert!(stdout(&out).starts_with("HTTP 500\r\n"), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with(r#"{"error":"boom"}"#),
        "the body is printed all the same"
    );

    let wordapp = env.wordapp_password_account();
    let elsewhere = format!("{}/userinfo", env.sandbox.oauth2().base_url());
    env.sandbox.wordapp().inject(
        "wordapp.me",
        Fault::once(FaultKind::Status {
            status: 302,
            body: String::new(),
            content_type: "text/plain".into(),
            headers: vec![("location".into(), elsewhere.clone())],
        }),
    );
    let out = env.run(&["api", &wordapp, "/api/me"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("does not follow redirects"), "{}", stderr(&out));
    assert_eq!(
        env.sandbox.oauth2().count("oauth2.userinfo"),
        0,
        "the redirect was not followed"
    );

    let out = env.run(&["api", &wordapp, &elsewhere], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not one of this account's servers"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.sandbox.oauth2().count("oauth2.userinfo"), 0);

    // A body from stdin, sent as JSON; a header of the person's own.
    env.sandbox.green_api().set_state(
        demo.green_api_id_instance,
        Some(latch_sandbox::green_api::InstanceState::Authorized),
    );
    let out = env
        .cmd(&["api", &green, "POST", "sendMessage", "--data", "@-", "-H", "X-Trace: 7"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = out;
    std::io::Write::write_all(
        &mut out.stdin.take().unwrap(),
        br#"{"chatId":"441234567890@c.us","message":"hi"}"#,
    )
    .unwrap();
    let out = wait(out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("idMessage"), "{}", stdout(&out));
    let seen = last(env.sandbox.green_api().requests(), "green_api.sendMessage");
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(seen.header("x-trace"), Some("7"));
    assert_eq!(seen.json().unwrap()["message"], "hi");
}

/// Every new way of handing out a credential is in the hand-out log, and
/// `latch status` says when the account was last used and by whom.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_exec_and_env_are_in_the_hand_out_log_and_status_shows_the_last() {
    let env = env().await;
    let wordapp = env.wordapp_password_account();
    env.ok(&["api", &wordapp, "/api/me"], "");
    env.ok(&["exec", &wordapp, "--", "true"], "");
    env.ok(&["env", &wordapp], "");
    let log = env.json(&["log", &wordapp]);
    let verbs: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["verb"].as_str().unwrap())
        .collect();
    assert_eq!(verbs, ["api", "exec", "env"]);
    let status = env.json(&["status", &wordapp]);
    assert!(
        status[0]["last_used_by"].as_str().unwrap().starts_with("env by "),
        "{status}"
    );
    assert!(status[0]["last_used_at"].as_i64().is_some());
}
