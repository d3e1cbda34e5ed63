//! Who took which token, through the built `latch`: the hand-out log that
//! `latch token` and `latch header` write, as scripts run them, against the
//! fake providers and the real keyring.

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use support::*;

/// Every line of the log, each of which must be one whole entry.
fn entries(env: &Env) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(env.home.path().join("handouts.jsonl")).unwrap_or_default();
    text.lines()
        .map(|line| {
            let entry: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("a damaged line in the log ({e}): {line:?}"));
            let mut keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(keys, ["account", "at", "parent", "process", "verb"], "{line}");
            entry
        })
        .collect()
}

fn log_text(env: &Env) -> String {
    std::fs::read_to_string(env.home.path().join("handouts.jsonl")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_taken_by_a_script_names_the_script_and_never_the_token() {
    let env = env().await;
    let id = env.wordapp_password_account();
    assert_eq!(entries(&env).len(), 0, "adding and connecting hand nothing out");

    // The script prints its pid, then runs latch; the marker after it is
    // in the script's command line only.
    let script = format!("echo $$ >&2; \"$0\" token {id}; \"$0\" header {id}; : marker-XYZ");
    let out = Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_latch")])
        .env("LATCH_HOME", env.home.path())
        .env("DBUS_SESSION_BUS_ADDRESS", &env.bus)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");
    let script_pid: u64 = stderr
        .trim()
        .parse()
        .expect("only the script's pid on stderr: no warning");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().next().unwrap().to_owned();
    assert!(token.len() > 16, "a token: {token:?}");

    let log = entries(&env);
    assert_eq!(log.len(), 2, "{log:?}");
    for (entry, verb) in log.iter().zip(["token", "header"]) {
        assert_eq!(entry["verb"], verb);
        assert_eq!(entry["account"], id.as_str());
        assert_eq!(entry["parent"]["pid"], script_pid, "the script is the parent");
        let parent = entry["parent"]["command"].as_str().unwrap();
        assert!(
            parent.starts_with("sh -c echo $$") && parent.contains(": marker-XYZ "),
            "{parent}"
        );
        let process = entry["process"]["command"].as_str().unwrap();
        assert!(process.ends_with(&format!("latch {verb} {id}")), "{process}");
        assert_ne!(entry["process"]["pid"], script_pid);
        let at = entry["at"].as_i64().unwrap();
        assert!(
            (latch_core::time::now() - 60..=latch_core::time::now()).contains(&at),
            "{at}"
        );
    }

    env.ok(&["refresh", &id], "");
    let refreshed = env.ok(&["--json", "token", &id], "");
    assert_eq!(
        entries(&env).len(),
        3,
        "a refresh is not a hand-out; the token after it is"
    );
    let refreshed: serde_json::Value = serde_json::from_str(&refreshed).unwrap();
    let text = log_text(&env);
    for secret in [token.as_str(), refreshed["access_token"].as_str().unwrap()] {
        assert!(!text.contains(secret), "a token in handouts.jsonl");
    }
    assert!(!text.contains("demo-password") && !text.contains("demo-wordapp-secret"));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(env.home.path().join("handouts.jsonl"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    // `latch log` reads like the entries: time, verb, account, who asked.
    let shown = env.ok(&["log", &id], "");
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert!(
        lines[0].contains(&format!("  token   {id}  by sh -c echo $$")),
        "{shown}"
    );
    assert!(lines[0].contains(": marker-XYZ "), "{shown}");
    assert!(lines[0].ends_with(&format!(" (pid {script_pid})")), "{shown}");
    assert!(lines[1].contains(&format!("  header  {id}  by sh -c")), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_latch_token_at_once_leave_fifty_whole_lines_and_latch_log_shows_them() {
    let env = env().await;
    let id = env.wordapp_password_account();
    env.ok(&["header", &id], "");

    let children: Vec<_> = (0..50)
        .map(|_| {
            env.cmd(&["token", &id])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("latch runs")
        })
        .collect();
    let mut tokens = BTreeSet::new();
    for child in children {
        let out = wait(child);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.is_empty(), "{stderr}");
        tokens.insert(String::from_utf8(out.stdout).unwrap().trim_end().to_owned());
    }
    assert_eq!(tokens.len(), 1, "one valid token, not refreshed");

    let log = entries(&env);
    assert_eq!(log.len(), 51, "the header and exactly 50 tokens");
    let pids: BTreeSet<u64> = log[1..].iter().map(|e| e["process"]["pid"].as_u64().unwrap()).collect();
    assert_eq!(pids.len(), 50, "one line from each process");
    assert!(
        log[1..]
            .iter()
            .all(|e| e["verb"] == "token" && e["account"] == id.as_str())
    );
    assert!(
        !log_text(&env).contains(tokens.first().unwrap().as_str()),
        "the token in the log"
    );

    // The last 50 by default, newest last; asked for by this test process.
    let shown = env.ok(&["log", &id], "");
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 50, "{shown}");
    let me = format!("(pid {})", std::process::id());
    assert!(
        lines
            .iter()
            .all(|l| l.contains(&format!("  token  {id}  by ")) && l.ends_with(&me)),
        "{shown}"
    );
    let all = env.json(&["log", &id, "--limit", "100"]);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 51);
    assert_eq!(all[0]["verb"], "header", "oldest first");
    assert_eq!(
        all.as_slice(),
        log.as_slice(),
        "--json is the entries as the log keeps them"
    );
    let everyone = env.json(&["log"]);
    assert_eq!(
        everyone.as_array().unwrap().as_slice(),
        &log[1..],
        "no account: the last 50 of all"
    );
}
