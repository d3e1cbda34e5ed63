//! Accounts shared through OpenBao (issue 20), through the built `latch`
//! binaries against a real `bao server -dev` and the fake providers.
//!
//! Two data directories stand for two machines (`LATCH_MACHINE` names
//! them). Machine A has the keyring; machine B has none (its D-Bus address
//! leads nowhere) and only `VAULT_ADDR`/`VAULT_TOKEN`, as a server would.

mod support;

use latch_sandbox::harness::bao::{Bao, Operator};
use std::process::{Command, Output, Stdio};
use support::*;

/// A second "machine": its own data directory, no keyring, Vault from the environment.
struct Machine {
    home: tempfile::TempDir,
    name: &'static str,
    bus: Option<String>,
    operator: Operator,
}

impl Machine {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_latch"));
        cmd.args(args)
            .env("LATCH_HOME", self.home.path())
            .env("LATCH_MACHINE", self.name)
            .env("VAULT_ADDR", &self.operator.address)
            .env("VAULT_TOKEN", &self.operator.token)
            .env_remove("VAULT_ROLE_ID")
            .env_remove("VAULT_SECRET_ID")
            .env_remove("LATCH_NO_BROWSER");
        match &self.bus {
            Some(bus) => cmd.env("DBUS_SESSION_BUS_ADDRESS", bus),
            // A headless server: no session bus at all.
            None => cmd.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/latch-test-bus"),
        };
        cmd
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("latch runs");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{}: latch {args:?} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A dev OpenBao set up as an operator would, and two machines that know its store `team`.
fn two_machines(env: &Env) -> (Bao, Machine, Machine) {
    let bao = Bao::start();
    let operator = bao.operator_setup();
    let a = Machine {
        home: tempfile::tempdir().unwrap(),
        name: "machine-a",
        bus: Some(env.bus.clone()),
        operator: operator.clone(),
    };
    let b = Machine {
        home: tempfile::tempdir().unwrap(),
        name: "machine-b",
        bus: None,
        operator,
    };
    for m in [&a, &b] {
        m.ok(&["store", "add", "team", "--address", bao.address()], "");
    }
    (bao, a, b)
}

/// A Wordapp account on the password grant (the fake rotates the refresh
/// token on every use, and refuses a used one), added on A into the store
/// `team` and connected there with a token that expires in 30 s, then
/// attached on B.
fn shared_wordapp(env: &Env, a: &Machine, b: &Machine) -> String {
    let fake = env.sandbox.wordapp();
    let id = unique("shared");
    let base = fake.base_url();
    a.ok(
        &[
            "add",
            "wordapp",
            "--label",
            "Shared Wordapp",
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
            "--store",
            "vault:team",
            "--secret-stdin",
        ],
        "demo-wordapp-secret\n",
    );
    fake.settings().expires_in = 30;
    a.ok(&["connect", &id], "demo-password\n");
    fake.settings().expires_in = 7200;
    b.ok(&["store", "attach", "team", &id], "");
    id
}

fn entry(bao: &Bao, id: &str) -> serde_json::Value {
    let out = bao.ok(&["kv", "get", "-format=json", &format!("secret/latch/{id}")], None);
    serde_json::from_str(&out).expect("bao prints JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_processes_on_two_machines_make_exactly_one_refresh_and_print_one_token() {
    let env = env().await;
    let (bao, a, b) = two_machines(&env);
    let id = shared_wordapp(&env, &a, &b);
    let fake = env.sandbox.wordapp();
    let before = entry(&bao, &id);
    let old_refresh = before["data"]["data"]["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_access = before["data"]["data"]["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refreshes_before = fake.count("wordapp.token");
    // Wordapp takes a second to answer a refresh, so that every process,
    // on both machines, has read the due set before any new one is written:
    // without the lease, each machine's first process would send the
    // refresh token (and the second use of a rotated one fails).
    fake.inject(
        "wordapp.token",
        latch_sandbox::Fault::always(latch_sandbox::FaultKind::Delay(std::time::Duration::from_secs(1))),
    );

    // The token expires within `latch token`'s minute: every process finds it due.
    let children: Vec<(&str, std::process::Child)> = (0..20)
        .flat_map(|_| [&a, &b])
        .map(|m| {
            let child = m
                .cmd(&["token", &id])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (m.name, child)
        })
        .collect();
    let mut printed = std::collections::BTreeSet::new();
    for (name, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{name}: latch token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed.insert(String::from_utf8(out.stdout).unwrap().trim().to_owned());
    }

    assert_eq!(
        fake.count("wordapp.token") - refreshes_before,
        1,
        "exactly one refresh reaches Wordapp across both machines"
    );
    assert_eq!(printed.len(), 1, "every process prints the same token: {printed:?}");
    let token = printed.into_iter().next().unwrap();
    assert_ne!(token, old_access, "the token printed is the renewed one");
    let after = entry(&bao, &id);
    let data = &after["data"]["data"];
    assert_eq!(
        data["tokens"]["access_token"],
        token.as_str(),
        "the store holds the printed token"
    );
    assert!(data.get("lease").is_none(), "the lease was given back: {data}");
    assert!(
        !fake.is_refresh_token_live(&old_refresh),
        "Wordapp rotated the refresh token"
    );
    let new_refresh = data["tokens"]["refresh_token"].as_str().unwrap();
    assert!(
        fake.is_refresh_token_live(new_refresh),
        "the stored refresh token is the live one"
    );
    let by = data["refreshed"]["machine"].as_str().unwrap();
    assert!(
        by == "machine-a" || by == "machine-b",
        "who refreshed is recorded: {data}"
    );
    // The rotated refresh token was never sent again: every token call but
    // the connect's and the one refresh would be a reuse.
    let refresh_calls = fake
        .requests()
        .into_iter()
        .filter(|r| r.route == "wordapp.token" && String::from_utf8_lossy(&r.body).contains(&old_refresh))
        .count();
    assert_eq!(refresh_calls, 1, "the old refresh token went to Wordapp once");

    // B, headless, reads the same token and says the account is shared.
    assert_eq!(b.ok(&["token", &id], "").trim(), token);
    let shown = b.ok(&["show", &id], "");
    assert!(shown.contains("team"), "show names the shared store: {shown}");
    assert!(shown.contains(by), "show says which machine refreshed it: {shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_stopped_mid_refresh_loses_nothing_and_says_so_plainly() {
    let env = env().await;
    let (bao, a, b) = two_machines(&env);
    let id = shared_wordapp(&env, &a, &b);
    let fake = env.sandbox.wordapp();
    let before = entry(&bao, &id);
    let refreshes_before = fake.count("wordapp.token");

    bao.pause();
    let out = b
        .cmd(&["token", &id])
        .env("LATCH_HTTP_TIMEOUT_SECS", "2")
        .env("LATCH_HTTP_CONNECT_TIMEOUT_SECS", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    bao.resume();

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "no token without the store");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr.contains("cannot reach OpenBao/Vault") && stderr.contains(bao.address()),
        "the error names the server and what to check: {stderr}"
    );
    assert_eq!(
        fake.count("wordapp.token"),
        refreshes_before,
        "no refresh was sent that could not be recorded"
    );
    let after = entry(&bao, &id);
    assert_eq!(
        after["data"]["metadata"]["version"],
        before["data"]["metadata"]["version"]
    );
    assert_eq!(
        after["data"]["data"]["tokens"], before["data"]["data"]["tokens"],
        "the old set is still there"
    );
    // And the account goes on once the store answers.
    assert!(!a.ok(&["token", &id], "").trim().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_without_write_access_says_which_capability_on_which_path() {
    let env = env().await;
    let (bao, a, b) = two_machines(&env);
    let id = shared_wordapp(&env, &a, &b);
    bao.policy(
        "latch-read",
        r#"path "secret/data/latch/*" { capabilities = ["read"] }
path "secret/metadata/latch/*" { capabilities = ["read"] }"#,
    );
    let read_only = bao.token(&["latch-read"]);
    let out = b
        .cmd(&["token", &id])
        .env("VAULT_TOKEN", &read_only)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("update") && stderr.contains(&format!("secret/data/latch/{id}")),
        "the message names the capability and the path: {stderr}"
    );
    let data = &entry(&bao, &id)["data"]["data"];
    assert!(
        data.get("lease").is_none(),
        "a refused lease leaves no lease behind: {data}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_shared_account_keeps_it_in_vault_unless_asked() {
    let env = env().await;
    let (bao, a, b) = two_machines(&env);
    let id = shared_wordapp(&env, &a, &b);
    a.ok(&["remove", &id, "--yes"], "");
    assert!(
        entry(&bao, &id)["data"]["data"]["tokens"].is_object(),
        "still in Vault for B"
    );
    assert!(!b.ok(&["token", &id], "").trim().is_empty(), "B still uses it");
    b.ok(&["remove", &id, "--yes", "--delete-shared"], "");
    let gone = bao.run(&["kv", "get", &format!("secret/latch/{id}")], None);
    assert!(!gone.status.success(), "--delete-shared deleted it from Vault");
    // An account of the keyring moves into the store, its token set with it.
    let local = env.wordapp_password_account();
    env.ok(&["store", "add", "team", "--address", bao.address()], "");
    let out = env
        .cmd(&["edit", &local, "--store", "team"])
        .env("VAULT_TOKEN", &a.operator.token)
        .env("VAULT_ADDR", &a.operator.address)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        entry(&bao, &local)["data"]["data"]["tokens"].is_object(),
        "the set moved into Vault"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desktops_scheduler_keeps_a_shared_account_alive_while_a_server_only_reads_it() {
    let env = env().await;
    let (bao, a, b) = two_machines(&env);
    let id = shared_wordapp(&env, &a, &b);
    let fake = env.sandbox.wordapp();
    // The desktop keeps the store's credential in its keyring, as a person would.
    a.ok(
        &["store", "login", "team", "--token-stdin"],
        &format!("{}\n", a.operator.token),
    );
    fake.settings().expires_in = 10;
    let latch = latch_core::Latch::open(Some(a.home.path().to_owned())).unwrap();
    latch.refresh(&latch.find(&id).unwrap()).await.unwrap();
    let before = fake.count("wordapp.token");

    // The desktop's scheduler runs (it refreshes at half a token's life),
    // while the server asks for a token valid 2 s more, again and again.
    let wake = tokio::sync::Notify::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let scheduler = latch_core::scheduler::run(&latch, &wake, move |e| {
        let _ = tx.send(e);
    });
    let reads = async {
        let mut scheduled = 0;
        let mut printed = std::collections::BTreeSet::new();
        while scheduled < 2 {
            let out = b.run(&["token", &id, "--min-valid", "2s"], "");
            assert!(
                out.status.success(),
                "the server reads: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            printed.insert(String::from_utf8(out.stdout).unwrap().trim().to_owned());
            while let Ok(event) = rx.try_recv() {
                match event {
                    latch_core::scheduler::Event::Refreshed(_) => scheduled += 1,
                    other => panic!("the scheduler did not refresh: {other:?}"),
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        printed
    };
    let printed = tokio::select! {
        printed = reads => printed,
        () = scheduler => unreachable!("the scheduler runs until dropped"),
        () = tokio::time::sleep(std::time::Duration::from_secs(60)) => panic!("two scheduled refreshes in 60 s"),
    };
    assert_eq!(
        fake.count("wordapp.token") - before,
        2,
        "only the scheduler's two refreshes reached Wordapp; the server only read"
    );
    assert!(
        printed.len() >= 2,
        "the server saw the scheduler's new tokens: {printed:?}"
    );
    let by = entry(&bao, &id)["data"]["data"]["refreshed"]["machine"].clone();
    assert_ne!(by, "machine-b", "the desktop refreshed it");

    // With the desktop off, the server refreshes it itself once it is due
    // (Wordapp now gives 12 s: this set's expiry differs from every earlier
    // one even within the second, as the desktop tells sets apart by it).
    fake.settings().expires_in = 12;
    let out = b.run(&["token", &id], ""); // due: it lives 12 s, less than a minute
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fake.count("wordapp.token") - before, 3);
    assert_eq!(entry(&bao, &id)["data"]["data"]["refreshed"]["machine"], "machine-b");

    // The desktop back: its index still says the token it last had is due,
    // but the server renewed it since, so its scheduler uses that set.
    let known = latch.find(&id).unwrap();
    let results = latch.refresh_many(&[known], 1).await;
    let renewed = results.into_iter().next().unwrap().expect("the desktop's refresh");
    assert_eq!(
        fake.count("wordapp.token") - before,
        3,
        "nothing sent: the server's set is fresh"
    );
    assert_eq!(
        renewed.access_token.secret(),
        entry(&bao, &id)["data"]["data"]["tokens"]["access_token"]
            .as_str()
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_logs_in_with_an_approle_from_the_environment() {
    let env = env().await;
    let (_bao, a, b) = two_machines(&env);
    let id = shared_wordapp(&env, &a, &b);
    let out = b
        .cmd(&["token", &id])
        .env_remove("VAULT_TOKEN")
        .env("VAULT_ROLE_ID", &b.operator.role_id)
        .env("VAULT_SECRET_ID", &b.operator.secret_id)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        b.ok(&["token", &id], "").trim()
    );
}

/// A listener on 127.0.0.1 that records the first request it gets.
fn recorder() -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::Read;
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    });
    (address, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_meant_for_vault_addr_is_never_sent_to_a_store_elsewhere() {
    let env = env().await;
    let (bao, a, _b) = two_machines(&env);
    // The store says a server at another address (here, one that records
    // what reaches it); the environment's token is for VAULT_ADDR's server.
    let (elsewhere, seen) = recorder();
    let c = Machine {
        home: tempfile::tempdir().unwrap(),
        name: "machine-c",
        bus: None,
        operator: a.operator.clone(),
    };
    c.ok(&["store", "add", "other", "--address", &elsewhere], "");
    let out = c.run(
        &[
            "add",
            "wordapp",
            "--label",
            "Elsewhere",
            "--id",
            &unique("elsewhere"),
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wordapp-client",
            "--base-url",
            &env.sandbox.wordapp().base_url(),
            "--store",
            "other",
            "--secret-stdin",
        ],
        "demo-wordapp-secret\n",
    );
    let reached = seen
        .recv_timeout(std::time::Duration::from_millis(300))
        .unwrap_or_default();
    assert!(
        !reached.contains(&a.operator.token),
        "the token for {} went to {elsewhere}: {reached}",
        bao.address()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "nothing to log in with for that server");
    assert!(
        stderr.contains("VAULT_ADDR names") && stderr.contains(bao.address()),
        "the error says why the environment's token was not used: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_server_has_header_api_exec_and_status_from_the_store_alone() {
    let env = env().await;
    let (_bao, a, b) = two_machines(&env);
    let id = shared_wordapp(&env, &a, &b);
    let token = b.ok(&["token", &id], "").trim().to_owned();
    let header = b.ok(&["header", &id], "");
    assert!(header.contains(&format!("Authorization: Bearer {token}")), "{header}");
    let me = b.ok(&["api", &id, "/api/me"], "");
    assert!(!me.trim().is_empty(), "the API answered through the shared token");
    let ran = b.ok(&["exec", &id, "--", "printenv"], "");
    assert!(ran.contains(&token), "exec hands the shared token to the command");
    let status = b.ok(&["status"], "");
    assert!(status.contains(&id) && status.contains("shared: team"), "{status}");
    // Revoking says what it means for the others (asked, not done: stdin is no terminal).
    let out = b.run(&["revoke", &id], "");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("every machine that uses it loses access"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_another_machine_holds_too_long_is_named_and_nothing_is_sent() {
    let env = env().await;
    let (bao, a, b) = two_machines(&env);
    let id = shared_wordapp(&env, &a, &b);
    let fake = env.sandbox.wordapp();
    let before = fake.count("wordapp.token");
    // Another machine took the lease and hangs (its lease runs for an hour).
    let mut data = entry(&bao, &id)["data"]["data"].clone();
    data["lease"] = serde_json::json!({ "by": "ana", "machine": "build-7", "nonce": "x", "until": 4_000_000_000u64 });
    let path = format!("secret/latch/{id}");
    let put = bao.run(&["kv", "put", &path, "-"], Some(&data.to_string()));
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));

    let out = b
        .cmd(&["token", &id])
        .env("LATCH_HTTP_TIMEOUT_SECS", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("ana on build-7") && stderr.contains("has not finished"),
        "the message names who holds the refresh: {stderr}"
    );
    assert_eq!(fake.count("wordapp.token"), before, "the waiting machine sent nothing");
}
