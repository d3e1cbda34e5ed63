//! Keyrings of a test's own. Most are ones that do not work, as people meet
//! them: a private D-Bus session with nothing on it ([`PrivateBus`]: no
//! Secret Service), and the same with a gnome-keyring that was started but
//! never unlocked ([`PrivateBus::start_locked_keyring`]: no `default`
//! collection, so reads find "nothing" and writes fail). A dead address (a
//! socket path that does not exist) stands for "no session bus" and needs no
//! helper. And an unlocked one no other test writes to
//! ([`PrivateBus::start_unlocked_keyring`]), for a test that asserts what is
//! *not* in the keyring afterwards.
//!
//! The bus has no service files, so nothing is started on demand; it and the
//! keyring are killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private D-Bus session daemon. Killed on drop.
pub struct PrivateBus {
    pub address: String,
    pid: String,
    _dir: tempfile::TempDir,
}

impl PrivateBus {
    pub fn start() -> PrivateBus {
        Self::start_with_rules("")
    }

    /// A bus whose policy refuses every call of `interface`'s `member`
    /// (the daemon answers it with `AccessDenied`), as a sandbox's policy
    /// would: a keyring on it that works in every other way.
    pub fn start_refusing(interface: &str, member: &str) -> PrivateBus {
        Self::start_with_rules(&format!(
            r#"<deny send_interface="{interface}" send_member="{member}"/>"#
        ))
    }

    /// `rules` come after the policy's allow-all, so they can refuse.
    fn start_with_rules(rules: &str) -> PrivateBus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("session.conf");
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:dir={}</listen>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/>{rules}</policy>
</busconfig>"#,
                dir.path().display()
            ),
        )
        .unwrap();
        let mut daemon = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--fork", "--print-address=1", "--print-pid=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon is installed");
        let mut lines = BufReader::new(daemon.stdout.take().unwrap()).lines();
        let address = lines.next().unwrap().unwrap();
        let pid = lines.next().unwrap().unwrap();
        daemon.wait().unwrap();
        PrivateBus {
            address,
            pid,
            _dir: dir,
        }
    }

    pub fn has_secret_service(&self) -> bool {
        let out = Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
            ])
            .args(["org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    /// Starts gnome-keyring's secrets component on this bus without
    /// unlocking it, and waits until it owns the Secret Service's name.
    pub fn start_locked_keyring(&self) -> PrivateKeyring {
        self.start_keyring(None)
    }

    /// The same, unlocked (its login collection made with a password), as
    /// `scripts/session.sh` starts the test command's.
    pub fn start_unlocked_keyring(&self) -> PrivateKeyring {
        self.start_keyring(Some("latch-test"))
    }

    fn start_keyring(&self, password: Option<&str>) -> PrivateKeyring {
        let data = tempfile::tempdir().unwrap();
        let mut command = Command::new("gnome-keyring-daemon");
        command.args(["--foreground", "--components=secrets"]);
        if password.is_some() {
            command.arg("--unlock");
        }
        let mut daemon = command
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_DATA_HOME", data.path())
            .env("XDG_RUNTIME_DIR", data.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon is installed");
        // `--unlock` reads the password up to the end of stdin.
        let mut stdin = daemon.stdin.take().unwrap();
        if let Some(password) = password {
            std::io::Write::write_all(&mut stdin, password.as_bytes()).unwrap();
        }
        drop(stdin);
        let keyring = PrivateKeyring { daemon, _data: data };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.has_secret_service() {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring did not come up on the private bus within 10 s"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        keyring
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.pid).status();
    }
}

/// A gnome-keyring on a [`PrivateBus`]. Killed on drop.
pub struct PrivateKeyring {
    daemon: Child,
    _data: tempfile::TempDir,
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
