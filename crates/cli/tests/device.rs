//! `latch connect` of an Other OAuth 2.0 account on the device code grant
//! (RFC 8628), the built binary against the sandbox's fake: it shows the
//! user code, the person answers at the fake's device page (its hook), and
//! the tokens land in the real keyring, or the refusal is said.

mod support;

use latch_sandbox::DemoCredentials;
use latch_sandbox::oauth2::DeviceDecision;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use support::*;

const CODE_LINE: &str = "First copy your one-time code: ";

fn add_device_account(env: &Env) -> String {
    let id = unique("device");
    let base = env.sandbox.oauth2().base_url();
    let demo = DemoCredentials::default();
    env.ok(
        &[
            "add",
            "oauth2",
            "--label",
            "Device",
            "--id",
            &id,
            "--set",
            "grant=device_code",
            "--set",
            &format!("token_url={base}/token"),
            "--set",
            &format!("device_authorization_url={base}/device_authorization"),
            "--set",
            &format!("client_id={}", demo.oauth2_client_id),
            "--secret-stdin",
        ],
        &format!("{}\n", demo.oauth2_client_secret),
    );
    id
}

/// Runs `latch connect`, answers at the device page with `decision` once the
/// code is shown, and returns the output and everything `connect` wrote to stderr.
fn connect_and_answer(env: &Env, id: &str, decision: DeviceDecision) -> (std::process::Output, String) {
    env.sandbox.oauth2().settings().device_interval = Some(1);
    let mut child = env
        .cmd(&["connect", id, "--no-browser"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latch runs");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let code = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no user code shown: {seen}");
        seen.push_str(&line);
        if let Some(code) = line.trim_end().strip_prefix(CODE_LINE) {
            break code.to_owned();
        }
    };
    assert_eq!(env.sandbox.oauth2().user_codes(), vec![code.clone()]);
    assert!(env.sandbox.oauth2().decide_device(&code, decision));
    let out = wait(child);
    let rest = {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        rest
    };
    (out, seen + &rest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_shows_the_user_code_and_stores_the_tokens_once_approved() {
    let env = env().await;
    let id = add_device_account(&env);
    let (out, stderr) = connect_and_answer(&env, &id, DeviceDecision::Approved);
    assert!(out.status.success(), "connect failed: {stderr}");
    let base = env.sandbox.oauth2().base_url();
    assert!(
        stderr.contains(&format!("Then open {base}/device and type it in.")),
        "{stderr}"
    );
    assert!(
        stderr.contains("Waiting for approval; the code expires in "),
        "{stderr}"
    );
    let device_code = last(&env.sandbox.oauth2().requests(), "oauth2.token");
    let device_code = device_code
        .form()
        .into_iter()
        .find(|(k, _)| k == "device_code")
        .expect("polled with the device code")
        .1;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stderr.contains(&device_code) && !stdout.contains(&device_code),
        "the device code is never shown"
    );
    let token = env.ok(&["token", &id], "");
    assert!(
        env.sandbox.oauth2().is_live(token.trim()),
        "latch token hands out the approved token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_says_the_sign_in_was_refused_when_denied_at_the_device_page() {
    let env = env().await;
    let id = add_device_account(&env);
    let (out, stderr) = connect_and_answer(&env, &id, DeviceDecision::Denied);
    assert_eq!(out.status.code(), Some(5), "a provider refusal: {stderr}");
    assert!(
        stderr.contains("the sign-in was refused on the server's page"),
        "{stderr}"
    );
    let status = env.run(&["token", &id], "");
    assert!(!status.status.success(), "no token was stored");
}

fn last(requests: &[latch_sandbox::RecordedRequest], route: &str) -> latch_sandbox::RecordedRequest {
    requests
        .iter()
        .rev()
        .find(|r| r.route == route)
        .cloned()
        .unwrap_or_else(|| panic!("no {route} request"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_wait_and_stores_nothing() {
    let env = env().await;
    let id = add_device_account(&env);
    env.sandbox.oauth2().settings().device_interval = Some(1);
    let mut child = env
        .cmd(&["connect", &id, "--no-browser"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latch runs");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("Waiting for approval") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "no countdown shown");
    }
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let out = wait(child);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(out.status.code(), Some(8), "cancelled: {rest}");
    assert!(rest.contains("the sign-in was cancelled"), "{rest}");
    assert!(!env.run(&["token", &id], "").status.success(), "no token was stored");
}
