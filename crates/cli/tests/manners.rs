//! The command line's manners (issue 19), through the built `latch` on the
//! real keyring: "did you mean", account ids completed by a real bash,
//! tables that fit a real terminal (a pseudo-terminal from `script`), and
//! plain rows on a pipe, and an export that holds no secret.

mod support;

use std::process::Command;
use support::*;

/// Two Wordapp robots, `robot-one` and `writer`, with their secrets.
fn two_robots(env: &Env) -> (String, String) {
    let base = env.sandbox.wordapp().base_url();
    let (one, two) = (unique("robot-one"), unique("writer"));
    for (id, label, secret) in [
        (&one, "Robot one", "demo-wordapp-secret"),
        (&two, "Writer", "second-secret-9377"),
    ] {
        env.ok(
            &[
                "add",
                "wordapp",
                "--label",
                label,
                "--id",
                id,
                "--grant",
                "client-credentials",
                "--client-id",
                "demo-wordapp-client",
                "--base-url",
                &base,
                "--secret-stdin",
            ],
            &format!("{secret}\n"),
        );
    }
    (one, two)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_account_or_command_gets_a_did_you_mean() {
    let env = env().await;
    let (one, _) = two_robots(&env);
    let typo = &one[..one.len() - 1];
    let out = env.run(&["token", typo], "");
    assert!(!out.status.success());
    assert_eq!(
        stderr(&out).trim(),
        format!("latch: There is no account `{typo}`; did you mean `{one}`?")
    );
    let out = env.run(&["token", "nothing-like-it-at-all"], "");
    assert_eq!(
        stderr(&out).trim(),
        "latch: There is no account `nothing-like-it-at-all`; `latch accounts` lists them."
    );
    let out = env.run(&["tokn", &one], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("a similar subcommand exists: 'token'"),
        "{}",
        stderr(&out)
    );
}

/// The registration `latch completions bash` prints, sourced in a real
/// bash whose completion function is then called as bash calls it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_completes_account_ids_from_this_computer() {
    let env = env().await;
    let (one, two) = two_robots(&env);
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_latch")).parent().unwrap();
    let complete = |line: &[&str]| -> Vec<String> {
        let words = line.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" ");
        let script = format!(
            "source <(latch completions bash)\n\
             COMP_WORDS=({words}); COMP_CWORD={}; COMP_TYPE=9\n\
             _clap_complete_latch latch '{}' '{}'\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            line.len() - 1,
            line[line.len() - 1],
            line[line.len() - 2],
        );
        let out = Command::new("bash")
            .arg("-c")
            .arg(script)
            .env(
                "PATH",
                format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
            )
            .env("LATCH_HOME", env.home.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &env.bus)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(complete(&["latch", "token", "robot"]), vec![one.clone()]);
    assert_eq!(complete(&["latch", "show", "wri"]), vec![two.clone()]);
    let mut all = complete(&["latch", "revoke", ""]);
    all.retain(|c| !c.starts_with('-'));
    all.sort();
    assert_eq!(all, [one.clone(), two.clone()]);
    assert!(
        complete(&["latch", "tok"]).contains(&"token".to_owned()),
        "commands complete too"
    );
}

/// `latch accounts` on a pseudo-terminal of `columns` columns, as a person
/// sees it (`script` gives it the terminal; `stty` sets its width).
fn on_a_terminal(env: &Env, columns: u16, vars: &[(&str, &str)]) -> String {
    let latch = env!("CARGO_BIN_EXE_latch");
    let mut cmd = Command::new("script");
    cmd.args([
        "-qec",
        &format!("stty rows 40 cols {columns}; {latch} accounts"),
        "/dev/null",
    ])
    .env("LATCH_HOME", env.home.path())
    .env("DBUS_SESSION_BUS_ADDRESS", &env.bus)
    .env_remove("COLUMNS")
    .env_remove("NO_COLOR");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("script(1) runs");
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap().replace("\r\n", "\n")
}

fn without_colour(text: &str) -> String {
    let mut plain = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_fits_a_60_or_200_column_terminal_in_colour_and_is_plain_rows_on_a_pipe() {
    let env = env().await;
    let (one, two) = two_robots(&env);
    env.ok(
        &[
            "rename",
            &one,
            "Robot one, which posts the shop's articles every morning",
        ],
        "",
    );

    let narrow = on_a_terminal(&env, 60, &[]);
    assert!(
        narrow.contains("\x1b[33mnot-connected\x1b[0m"),
        "the status in colour: {narrow:?}"
    );
    let plain = without_colour(&narrow);
    assert!(plain.starts_with("ID "), "a header: {plain}");
    for line in plain.lines() {
        assert!(line.chars().count() <= 60, "{line:?} is wider than 60");
    }
    assert!(plain.contains('…'), "the long label is cut: {plain}");

    let wide = without_colour(&on_a_terminal(&env, 200, &[]));
    assert!(
        wide.contains("Robot one, which posts the shop's articles every morning"),
        "{wide}"
    );
    assert!(!wide.contains('…'), "{wide}");

    let no_colour = on_a_terminal(&env, 200, &[("NO_COLOR", "1")]);
    assert!(!no_colour.contains('\x1b'), "NO_COLOR: {no_colour:?}");

    let piped = env.ok(&["accounts"], "");
    let mut rows: Vec<&str> = piped.lines().collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            format!("{one}\tRobot one, which posts the shop's articles every morning\tWordapp\tnot-connected\t"),
            format!("{two}\tWriter\tWordapp\tnot-connected\t"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_holds_no_secret_and_imports_on_another_computer() {
    let env = env().await;
    let (one, two) = two_robots(&env);
    let file = env.home.path().join("team.json");
    env.ok(&["export", "-o", file.to_str().unwrap()], "");
    let text = std::fs::read_to_string(&file).unwrap();
    for secret in ["demo-wordapp-secret", "second-secret-9377"] {
        assert!(!text.contains(secret), "{secret} is in the export:\n{text}");
    }
    assert!(text.contains(&one) && text.contains(&two), "{text}");

    let other = tempfile::tempdir().unwrap();
    let mut import = env.cmd(&["import", file.to_str().unwrap()]);
    import.env("LATCH_HOME", other.path());
    let out = support::run_with_stdin(import, "demo-wordapp-secret\nsecond-secret-9377\n");
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    // Never connected: a read says how to connect it, and changes nothing.
    let mut token = env.cmd(&["--json", "token", &one]);
    token.env("LATCH_HOME", other.path());
    let out = support::run_with_stdin(token, "");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        format!(
            "latch: Robot one is not connected yet; connect it first (`latch connect {one}`, or Connect in the window)."
        )
    );
    let mut list = env.cmd(&["--json", "accounts"]);
    list.env("LATCH_HOME", other.path());
    let listed: serde_json::Value = serde_json::from_slice(&support::run_with_stdin(list, "").stdout).unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status"] == "not-connected"),
        "{listed}"
    );
    // The imported robot works: its secret reached the keyring.
    let mut connect = env.cmd(&["connect", &one]);
    connect.env("LATCH_HOME", other.path());
    let out = support::run_with_stdin(connect, "");
    assert!(out.status.success(), "{}", stderr(&out));
    for id in [&one, &two] {
        let mut remove = env.cmd(&["remove", id, "--yes"]);
        remove.env("LATCH_HOME", other.path());
        support::run_with_stdin(remove, "");
    }
}

/// Issue 19: `latch` alone, with no window installed, exited 1 (a bug's code).
#[test]
fn latch_without_its_window_says_so_and_exits_as_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("latch");
    std::fs::copy(env!("CARGO_BIN_EXE_latch"), &lone).unwrap();
    let out = Command::new(&lone)
        .env("PATH", dir.path())
        .env("LATCH_HOME", dir.path().join("home"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out).trim(),
        "latch: the window, latch-desktop, is not installed beside latch or on the PATH. Every command \
         works without it: `latch accounts`, `latch add`, `latch connect`, `latch token`; `latch --help` lists them all."
    );
}

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_latch")).args(args).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

/// Issue 19: `latch add <provider> --help` listed all 25 flags of every provider.
#[test]
fn add_help_for_a_provider_shows_only_its_flags() {
    let wazzup = help(&["add", "wazzup", "--help"]);
    assert!(wazzup.starts_with("Create a Wazzup account from flags."), "{wazzup}");
    for flag in [
        "--label",
        "--client-id",
        "--email",
        "--redirect-uri",
        "--secret-stdin",
        "--set",
    ] {
        assert!(wazzup.contains(flag), "{flag} in:\n{wazzup}");
    }
    for flag in [
        "--issuer",
        "--api-url",
        "--instance",
        "--environment",
        "--private-key-file",
        "<PROVIDER>",
    ] {
        assert!(!wazzup.contains(flag), "{flag} is not Wazzup's:\n{wazzup}");
    }
    let oauth2 = help(&["add", "oauth2", "-h"]);
    for flag in [
        "--issuer",
        "--token-url",
        "--client-auth",
        "--private-key-file",
        "--no-pkce",
    ] {
        assert!(oauth2.contains(flag), "{flag} in:\n{oauth2}");
    }
    assert!(!oauth2.contains("--email"), "{oauth2}");
    let green = help(&["add", "green-api", "--help"]);
    assert!(
        green.contains("--instance") && !green.contains("--client-id"),
        "{green}"
    );
    // The generic help still lists them all, and each command shows examples.
    assert!(help(&["add", "--help"]).contains("--issuer"));
}

#[test]
fn add_on_a_pipe_without_a_provider_names_them() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_latch"))
        .arg("add")
        .env("LATCH_HOME", home.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).trim(),
        "latch: name the provider: latch add <wazzup|payu|green-api|wordapp|oauth2>"
    );
}
