//! A real keyring for a test that needs one, so that no such test can pass
//! without having touched it (issue 21).
//!
//! With `LATCH_TEST_KEYRING` set, the test uses the D-Bus session the test
//! command started (scripts/test, through scripts/session.sh). Without it,
//! the first call starts a private one for this test process the same way —
//! a `dbus-daemon` with an unlocked gnome-keyring, by sourcing
//! scripts/session.sh in a shell — and points `DBUS_SESSION_BUS_ADDRESS` at
//! it. The shell waits on a pipe only this process holds: when the process
//! ends, however it ends, the pipe closes and the shell stops both daemons.
//! When neither works, the test fails and says how to run it.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

const HOW: &str = "needs the private keyring: run scripts/test, or start one as scripts/session.sh does \
                   (start_keyring) and set LATCH_TEST_KEYRING=1";

const SESSION_SH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/session.sh");

/// The private session's shell, kept open for the life of the process.
struct Session {
    address: String,
    _lifeline: ChildStdin,
    _shell: Child,
}

static SESSION: OnceLock<Result<Session, String>> = OnceLock::new();

/// Makes sure this process talks to a real, unlocked keyring and returns its
/// D-Bus address; panics with how to get one when there is none.
pub fn keyring_bus() -> String {
    if std::env::var_os("LATCH_TEST_KEYRING").is_some() {
        return std::env::var("DBUS_SESSION_BUS_ADDRESS")
            .unwrap_or_else(|_| panic!("LATCH_TEST_KEYRING is set but DBUS_SESSION_BUS_ADDRESS is not: {HOW}"));
    }
    match SESSION.get_or_init(start) {
        Ok(session) => session.address.clone(),
        Err(why) => panic!("this test {HOW} (starting a private one here failed: {why})"),
    }
}

fn start() -> Result<Session, String> {
    let script = format!(
        r#"set -euo pipefail
cleanup=()
trap 'for c in "${{cleanup[@]}}"; do eval "$c" || true; done' EXIT
source '{SESSION_SH}'
start_keyring
echo "$DBUS_SESSION_BUS_ADDRESS"
read -r _ || true
"#
    );
    let mut shell = Command::new("bash")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("bash: {e}"))?;
    let lifeline = shell.stdin.take().expect("piped stdin");
    let mut address = String::new();
    BufReader::new(shell.stdout.take().expect("piped stdout"))
        .read_line(&mut address)
        .map_err(|e| e.to_string())?;
    let address = address.trim().to_owned();
    if address.is_empty() {
        let status = shell.wait().map_err(|e| e.to_string())?;
        return Err(format!("scripts/session.sh's start_keyring ended with {status}"));
    }
    // SAFETY: set once, inside the OnceLock's initializer, before this
    // process's first keyring client; std's readers of the environment take
    // the same lock as set_var. Under nextest each test is its own process.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address) };
    Ok(Session {
        address,
        _lifeline: lifeline,
        _shell: shell,
    })
}
