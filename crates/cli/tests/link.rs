//! `latch link`: a WhatsApp number linked to a GREEN-API instance by a code
//! typed on the phone, run as a person or a script runs it, against the fake
//! GREEN-API and the real keyring.

mod support;

use latch_sandbox::DemoCredentials;
use latch_sandbox::green_api::InstanceState;
use std::io::BufRead;
use std::process::{Child, Stdio};
use support::*;

const PHONE_TYPED: &str = "+44 1234 567890";

fn instance() -> u64 {
    DemoCredentials::default().green_api_id_instance
}

fn token() -> String {
    DemoCredentials::default().green_api_token
}

/// `latch link …` with a fast watch, stdout and stderr piped.
fn spawn_link(env: &Env, args: &[&str]) -> Child {
    env.cmd(args)
        .args(["--poll-ms", "50"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latch runs")
}

/// The grouped code from `latch link`'s stdout: `ABCD-EFGH`.
fn read_code(reader: &mut impl BufRead) -> String {
    let line = read_line_starting(reader, "    ");
    let code = line.trim().to_owned();
    let (a, b) = code.split_once('-').expect("grouped with a dash");
    assert_eq!((a.len(), b.len()), (4, 4), "{code}");
    assert!(code.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()), "{code}");
    code
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_prints_the_grouped_code_and_exits_0_once_the_phone_types_it() {
    let env = env().await;
    let id = env.green_api_account(&token(), Some(PHONE_TYPED));
    let mut child = spawn_link(&env, &["link", &id]);
    let mut stdout = stdout_reader(&mut child);
    let code = read_code(&mut stdout);
    assert!(env.sandbox.green_api().enter_code(instance(), &code));
    assert_eq!(
        read_line_starting(&mut stdout, "WhatsApp"),
        "WhatsApp linked: +441234567890"
    );
    let out = wait(child);
    let stderr = stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Asking GREEN-API for a link code (this can take 30 s)"),
        "{stderr}"
    );
    assert!(stderr.contains("expires in 2:"), "a countdown: {stderr}");
    assert!(!stderr.contains(&token()) && !stderr.contains("waInstance"), "{stderr}");

    let body = env.sandbox.green_api().requests();
    let asked = body
        .iter()
        .find(|r| r.route == "green_api.getAuthorizationCode")
        .unwrap();
    assert!(
        asked.json().unwrap()["phoneNumber"].is_u64(),
        "the phone as a JSON number"
    );

    let accounts = env.json(&["accounts"]);
    let row = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap();
    assert_eq!(row["status"], "linked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_json_prints_one_object_when_the_code_arrives_and_one_when_linked() {
    let env = env().await;
    let id = env.green_api_account(&token(), None);
    let started = latch_core::time::now();
    let mut child = spawn_link(&env, &["--json", "link", &id, "--phone", "0044 1234-567890"]);
    let mut stdout = stdout_reader(&mut child);
    let first: serde_json::Value = serde_json::from_str(&read_line_starting(&mut stdout, "{")).unwrap();
    assert_eq!(first["account"], id.as_str());
    let code = first["code"].as_str().unwrap().to_owned();
    let expires_at = first["expires_at"].as_i64().unwrap();
    assert!(
        (started + 149..=latch_core::time::now() + 150).contains(&expires_at),
        "{first}"
    );
    assert!(env.sandbox.green_api().enter_code(instance(), &code));
    let last: serde_json::Value = serde_json::from_str(&read_line_starting(&mut stdout, "{")).unwrap();
    assert_eq!(
        last,
        serde_json::json!({ "account": id, "linked": true, "phone": "+441234567890" })
    );
    assert!(wait(child).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_on_an_authorized_instance_says_to_log_out_and_logout_then_links() {
    let env = env().await;
    let id = env.green_api_account(&token(), Some(PHONE_TYPED));
    env.sandbox
        .green_api()
        .set_state(instance(), Some(InstanceState::Authorized));

    let out = env.run(&["link", &id], "");
    let stderr = stderr_of(&out);
    // README, exit statuses: 2 is "a confirmation that was not given" (here
    // --logout); 1 would say "a bug: please report it".
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "latch: A WhatsApp number is already linked to {id}'s instance; run `latch link {id} --logout` to log it \
             out and link again."
        )
    );
    assert!(stderr.contains(&format!("latch link {id} --logout")), "{stderr}");
    assert_eq!(env.sandbox.green_api().count("green_api.getAuthorizationCode"), 0);
    assert_eq!(env.sandbox.green_api().count("green_api.logout"), 0);

    let mut child = spawn_link(&env, &["link", &id, "--logout"]);
    let mut stdout = stdout_reader(&mut child);
    let code = read_code(&mut stdout);
    assert_eq!(env.sandbox.green_api().count("green_api.logout"), 1);
    assert!(env.sandbox.green_api().enter_code(instance(), &code));
    read_line_starting(&mut stdout, "WhatsApp linked");
    assert!(wait(child).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_code_expiry_exits_8_and_a_second_run_gets_a_new_code() {
    let env = env().await;
    let id = env.green_api_account(&token(), Some(PHONE_TYPED));
    let mut child = spawn_link(&env, &["link", &id, "--lifetime-ms", "1500"]);
    let mut stdout = stdout_reader(&mut child);
    let old = read_code(&mut stdout);
    let out = wait(child);
    assert_eq!(out.status.code(), Some(8), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains(&format!("The code expired; run `latch link {id}` again for a new one.")),
        "{}",
        stderr_of(&out)
    );
    // GREEN-API's side: the old code's lifetime is over there too.
    env.sandbox.green_api().advance(std::time::Duration::from_secs(150));
    assert!(!env.sandbox.green_api().enter_code(instance(), &old));

    let mut child = spawn_link(&env, &["link", &id]);
    let mut stdout = stdout_reader(&mut child);
    let new = read_code(&mut stdout);
    assert_ne!(new, old);
    assert!(env.sandbox.green_api().enter_code(instance(), &new));
    read_line_starting(&mut stdout, "WhatsApp linked");
    assert!(wait(child).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_refuses_a_number_that_cannot_be_right_before_any_request() {
    let env = env().await;
    let id = env.green_api_account(&token(), None);
    let out = env.run(&["link", &id, "--phone", "07911 123456"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("include the country code"),
        "{}",
        stderr_of(&out)
    );
    let out = env.run(&["link", &id], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--phone"), "{}", stderr_of(&out));
    assert_eq!(env.sandbox.green_api().requests().len(), 0, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_status_false_and_a_wrong_token_fail_with_a_reason() {
    let env = env().await;
    let id = env.green_api_account(&token(), Some(PHONE_TYPED));
    env.sandbox.green_api().settings().code_status_false = true;
    let out = env.run(&["link", &id], "");
    assert_eq!(out.status.code(), Some(5));
    assert!(stderr_of(&out).contains("try again"), "{}", stderr_of(&out));

    let wrong = "wrong0token0never0shown000000000000000000000000";
    let id = env.green_api_account(wrong, Some(PHONE_TYPED));
    let out = env.run(&["link", &id], "");
    assert_eq!(out.status.code(), Some(5));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("check the apiTokenInstance in the GREEN-API console"),
        "{stderr}"
    );
    assert!(!stderr.contains(wrong) && !stderr.contains("waInstance"), "{stderr}");
}
