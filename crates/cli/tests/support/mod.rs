//! A harness for running the built `latch` against the fake providers: each
//! test gets its own `LATCH_HOME` and a running sandbox, and talks to the
//! real keyring: the test command's private D-Bus session, or one started
//! for this test process (`latch_sandbox::harness::keyring_bus`); without
//! either a test fails.

#![allow(dead_code)]

pub mod interop;

use latch_sandbox::harness;
use latch_sandbox::{DemoCredentials, Sandbox};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Env {
    pub home: tempfile::TempDir,
    pub sandbox: Sandbox,
    /// A loopback redirect on a port no other test uses, registered with every fake.
    pub loopback_redirect: String,
    /// The keyring's D-Bus session.
    pub bus: String,
}

pub const SCHEME_REDIRECT: &str = harness::SCHEME_REDIRECT;

/// A fresh home and sandbox on a real keyring; panics, saying how to run
/// the test, when no keyring can be had.
pub async fn env() -> Env {
    let bus = harness::keyring_bus();
    let loopback_redirect = harness::loopback_redirect();
    let sandbox = harness::sandbox_with_redirects(&[SCHEME_REDIRECT, &loopback_redirect]).await;
    Env {
        home: tempfile::tempdir().unwrap(),
        sandbox,
        loopback_redirect,
        bus,
    }
}

/// A test-unique account id: every test shares one keyring.
pub fn unique(name: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{name}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

impl Env {
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_latch"));
        cmd.args(args)
            .env("LATCH_HOME", self.home.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env_remove("LATCH_NO_BROWSER");
        cmd
    }

    /// Runs `latch` with `stdin` and waits for it.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("latch runs");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        wait(child)
    }

    /// Runs `latch` and expects success; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "latch {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all, "")).expect("JSON on stdout")
    }

    /// Adds a Wordapp account on the password grant and connects it.
    pub fn wordapp_password_account(&self) -> String {
        let id = unique("wordapp");
        let base = self.sandbox.wordapp().base_url();
        self.ok(
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
                "demo",
                "--base-url",
                &base,
                "--secret-stdin",
            ],
            "demo-wordapp-secret\n",
        );
        self.ok(&["connect", &id], "demo-password\n");
        id
    }

    /// Adds a GREEN-API account on the sandbox's demo instance with `token`
    /// as its apiTokenInstance and, if given, a saved phone number.
    pub fn green_api_account(&self, token: &str, phone: Option<&str>) -> String {
        let id = unique("green");
        let base = self.sandbox.green_api().base_url();
        let instance = DemoCredentials::default().green_api_id_instance.to_string();
        let mut args = vec![
            "add",
            "green-api",
            "--label",
            "WhatsApp",
            "--id",
            &id,
            "--api-url",
            &base,
            "--instance",
            &instance,
            "--secret-stdin",
        ];
        if let Some(phone) = phone {
            args.extend(["--phone", phone]);
        }
        self.ok(&args, &format!("{token}\n"));
        id
    }
}

/// Runs `cmd` with `stdin` piped in and waits for it.
pub fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("latch runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    wait(child)
}

pub fn wait(child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output().expect("latch output"));
    while !waiter.is_finished() {
        assert!(
            Instant::now() < deadline,
            "latch (pid {pid}) did not finish within a minute"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    waiter.join().unwrap()
}

/// Reads lines from a child's stdout until one starts with `prefix`.
pub fn read_line_starting(reader: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "latch closed stdout before printing {prefix}"
        );
        if line.starts_with(prefix) {
            return line.trim_end().to_owned();
        }
    }
}

pub fn stdout_reader(child: &mut Child) -> BufReader<std::process::ChildStdout> {
    BufReader::new(child.stdout.take().unwrap())
}

impl Env {
    /// Adds a Wazzup account that comes back to the loopback listener.
    pub fn add_wazzup_on_loopback(&self) -> String {
        let id = unique("wazzup");
        let base = self.sandbox.wazzup().base_url();
        let add = self
            .cmd(&[
                "add",
                "wazzup",
                "--label",
                "Wazzup",
                "--id",
                &id,
                "--client-id",
                "demo-wazzup-client",
                "--email",
                "partner@demo.latch",
                "--redirect-uri",
                &self.loopback_redirect,
                "--base-url",
                &base,
                "--secret-env",
                "WAZZUP_PARTNER_PASSWORD",
            ])
            .env("WAZZUP_PARTNER_PASSWORD", "demo-partner-password")
            .output()
            .unwrap();
        assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
        id
    }

    /// Adds a Wazzup account that comes back to the loopback listener, and
    /// connects it through the fake's consent page.
    pub async fn connected_wazzup(&self) -> String {
        let id = self.add_wazzup_on_loopback();
        let mut child = self
            .cmd(&["connect", &id, "--no-browser"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let url = read_line_starting(&mut stdout_reader(&mut child), "http");
        let back = harness::follow_consent(&url).await;
        reqwest::get(&back).await.unwrap();
        let out = wait(child);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        id
    }

    /// Adds a PayU account whose redirect comes back by the URL scheme
    /// (connected by pasting the redirect).
    pub fn add_payu(&self) -> String {
        let id = unique("payu");
        let payu = self.sandbox.payu().base_url();
        self.ok(
            &[
                "add",
                "payu",
                "--label",
                "PayU",
                "--id",
                &id,
                "--accounts-url",
                &payu,
                "--onboarding-url",
                &payu,
                "--client-id",
                "demo-payu-client",
                "--redirect-uri",
                SCHEME_REDIRECT,
                "--reseller-id",
                "demo-reseller",
                "--secret-stdin",
            ],
            "demo-payu-secret\n",
        );
        id
    }

    /// Adds a PayU account and connects it by pasting the redirect back.
    pub async fn connected_payu(&self) -> String {
        let id = self.add_payu();
        let mut child = self
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
        id
    }

    /// Adds an Other OAuth 2.0 account on the client-credentials grant,
    /// with the fake's userinfo as its test call, and connects it.
    pub fn connected_oauth2(&self) -> String {
        let id = unique("oauth2");
        let base = self.sandbox.oauth2().base_url();
        let demo = DemoCredentials::default();
        self.ok(
            &[
                "add",
                "oauth2",
                "--label",
                "OAuth",
                "--id",
                &id,
                "--grant",
                "client-credentials",
                "--token-url",
                &format!("{base}/token"),
                "--client-id",
                &demo.oauth2_client_id,
                "--set",
                "probe_url=/userinfo",
                "--secret-stdin",
            ],
            &format!("{}\n", demo.oauth2_client_secret),
        );
        self.ok(&["connect", &id], "");
        id
    }
}
