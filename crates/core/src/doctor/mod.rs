//! `latch doctor`: is this machine ready for Latch, and if not, what to do.
//!
//! Each check looks at one thing Latch depends on but does not own: the
//! keyring, the data directory, the desktop's handler of Latch's URL scheme,
//! the sandbox's ports, the clock. Each answers with one [`Check`]: what was
//! found and, when it is not fine, what to do — the exact command where
//! there is one. The checks read the same rules and use the same words as the
//! code they stand in front of (`store::private`, `store::keyring`), so the
//! doctor and the error a person meets later cannot disagree.
//!
//! They live in the core, not in the command line, so the window can show
//! them too. They change nothing: the data directory is not made, the
//! keyring keeps no entry, and the ports are bound only for a moment.

mod clock;
mod home;
mod keyring;
mod ports;
mod scheme;

pub use clock::{Ntp, judge as judge_clock};

use crate::model::UnixTime;
use serde::Serialize;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// The answer of one check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check: `keyring`, `data-directory`, `url-scheme`, `sandbox-ports`, `clock`.
    pub check: &'static str,
    pub status: Status,
    /// What was found, as a sentence without its full stop.
    pub found: String,
    /// What to do, starting in lower case; `None` when there is nothing to do.
    pub fix: Option<String>,
}

/// `ok` needs nothing; `warn` works but may surprise; `fail` breaks something.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Check {
    fn ok(check: &'static str, found: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Ok,
            found: found.into(),
            fix: None,
        }
    }

    fn warn(check: &'static str, found: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Warn,
            fix: Some(fix.into()),
            ..Self::ok(check, found)
        }
    }

    fn fail(check: &'static str, found: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            status: Status::Fail,
            ..Self::warn(check, found, fix)
        }
    }
}

/// What the checks are run for.
pub struct Setup {
    /// The data directory; `None`: `LATCH_HOME`, else the platform's default.
    pub home: Option<PathBuf>,
    /// The ports `latch sandbox` tries first, each with its fake's name.
    pub sandbox_ports: Vec<(&'static str, u16)>,
    /// When the program asking was built (Unix seconds): a clock before it is wrong.
    pub built_at: UnixTime,
}

/// Every check, in the order a person fixes them.
pub fn run(setup: &Setup) -> Vec<Check> {
    vec![
        keyring::check(),
        home::check(setup.home.clone()),
        scheme::check(),
        ports::check(&setup.sandbox_ports),
        clock::check(setup.built_at),
    ]
}

/// How long a helper program (`xdg-mime`, `timedatectl`) may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a helper program with no stdin and waits for it, at most
/// [`HELPER_TIMEOUT`]: a doctor that hangs helps nobody.
fn run_helper(command: &mut Command) -> std::io::Result<Output> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match receiver.recv_timeout(HELPER_TIMEOUT) {
        Ok(output) => output,
        Err(_) => {
            kill(pid);
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("it did not answer within {} s", HELPER_TIMEOUT.as_secs()),
            ))
        }
    }
}

#[cfg(unix)]
fn kill(pid: u32) {
    // SAFETY: kill has no memory effects; the child is not reaped yet (its
    // waiting thread still holds it), so the pid is still this child's.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
}

#[cfg(not(unix))]
fn kill(_pid: u32) {}
