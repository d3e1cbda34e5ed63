//! `latch exec ACCOUNT[=VAR]… -- COMMAND…`: runs a command with the accounts'
//! credentials in its environment, as `aws-vault exec` and `op run` do.
//!
//! - The variables are the provider's (`Provider::credential_vars`): the
//!   token as `{ID}_TOKEN` (`wazzup-main` → `WAZZUP_MAIN_TOKEN`); Wordapp
//!   adds `{ID}_API_VERSION`; GREEN-API gets `{ID}_API_TOKEN`,
//!   `{ID}_ID_INSTANCE` and `{ID}_API_URL`. `ACCOUNT=VAR` names the first.
//!   Each token is valid for at least `--min-valid` when the command starts.
//! - For a command that outlives its token, a local endpoint hands out the
//!   current one ([`latch_core::handoff`]): `LATCH_EXEC_URL` and
//!   `LATCH_EXEC_KEY`. It closes when the command exits.
//! - Nothing is written to disk and no secret goes into an argv.
//! - Signals sent to `latch` are passed on (an interrupt from the terminal
//!   already reached the command, which shares the terminal's process
//!   group, so it is not sent twice); the command's exit status is
//!   `latch`'s (128 + N when signal N ended it).
//! - Inside another `latch exec` (its `LATCH_EXEC_URL` is set) it refuses,
//!   unless `--nested`: a script that calls itself would otherwise stack
//!   endpoints and shadow variables without anyone noticing.

use crate::cli::ExecArgs;
use crate::exit::Failure;
use latch_core::Latch;
use latch_core::api::{is_var_name, var_prefix};
use latch_core::handoff::{KEY_VAR, TokenEndpoint, URL_VAR};
use latch_core::model::Account;
use std::time::Duration;

/// One account as the command line names it: `ACCOUNT` or `ACCOUNT=VAR`.
pub struct Spec {
    pub account: Account,
    pub var: Option<String>,
}

/// Reads `ACCOUNT[=VAR]` words into accounts.
pub fn specs(latch: &Latch, words: &[String]) -> Result<Vec<Spec>, Failure> {
    words
        .iter()
        .map(|word| {
            let (name, var) = match word.split_once('=') {
                Some((name, var)) if is_var_name(var) => (name, Some(var.to_owned())),
                Some((_, var)) => {
                    return Err(Failure::usage(format!(
                        "`{var}` is not a variable name: letters, digits and _, not starting with a digit."
                    )));
                }
                None => (word.as_str(), None),
            };
            Ok(Spec {
                account: latch.find(name)?,
                var,
            })
        })
        .collect()
}

/// The variables of every account, in order: name and value. Two accounts
/// that would set one variable are refused.
pub async fn variables(
    latch: &Latch,
    specs: &[Spec],
    min_validity: Duration,
) -> Result<Vec<(String, String)>, Failure> {
    let mut all: Vec<(String, String)> = Vec::new();
    for spec in specs {
        let prefix = var_prefix(spec.account.id.as_str());
        let vars = latch.credential_vars(&spec.account, min_validity).await?;
        for (i, (suffix, value)) in vars.into_iter().enumerate() {
            let name = match (&spec.var, i) {
                (Some(var), 0) => var.clone(),
                _ => format!("{prefix}_{suffix}"),
            };
            if all.iter().any(|(n, _)| *n == name) {
                return Err(Failure::usage(format!(
                    "Two accounts would both set {name}; name one with ACCOUNT=VAR."
                )));
            }
            all.push((name, value));
        }
    }
    Ok(all)
}

pub async fn run(latch: &Latch, args: ExecArgs) -> Result<(), Failure> {
    if std::env::var_os(URL_VAR).is_some() && !args.nested {
        return Err(Failure::usage(format!(
            "This is already inside `latch exec` ({URL_VAR} is set): run the command directly, or add --nested to start another one."
        )));
    }
    let specs = specs(latch, &args.accounts)?;
    let vars = variables(latch, &specs, args.min_valid).await?;
    for spec in &specs {
        if let Err(e) = latch.record_handout(&spec.account, latch_core::handouts::Verb::Exec) {
            eprintln!("latch: warning: this hand-out is not in the log: {e}");
        }
    }
    let endpoint = TokenEndpoint::bind().await?;
    // Before the command starts: a signal that arrives in between must not
    // end `latch` and leave the command running alone.
    let signals = Signals::install()?;
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut command = tokio::process::Command::new(program);
    command
        .args(rest)
        .envs(vars)
        .env(URL_VAR, endpoint.url())
        .env(KEY_VAR, endpoint.key());
    let mut child = command.spawn().map_err(|e| cannot_run(program, &e))?;
    let accounts: Vec<Account> = specs.into_iter().map(|s| s.account).collect();
    let pid = child.id();
    let status = endpoint
        .serve_until(
            latch,
            &accounts,
            args.min_valid,
            signals.forward_until(pid, child.wait()),
        )
        .await?;
    match exit_code(status) {
        0 => Ok(()),
        code => Err(Failure {
            status: code,
            message: String::new(),
        }),
    }
}

/// 127 when the command is not found, 126 when it cannot run, as a shell says.
fn cannot_run(program: &str, e: &std::io::Error) -> Failure {
    let status = match e.kind() {
        std::io::ErrorKind::NotFound => 127,
        _ => 126,
    };
    Failure {
        status,
        message: format!("cannot run `{program}`: {e}."),
    }
}

fn exit_code(status: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return (128 + signal).clamp(0, 255) as u8;
    }
    status.code().map_or(1, |c| c.clamp(0, 255) as u8)
}

/// The signals `latch` passes on to its command.
struct Signals {
    #[cfg(unix)]
    streams: Vec<(tokio::signal::unix::SignalKind, tokio::signal::unix::Signal)>,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let kinds = [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
            SignalKind::quit(),
            SignalKind::user_defined1(),
            SignalKind::user_defined2(),
        ];
        let mut streams = Vec::new();
        for kind in kinds {
            streams.push((kind, signal(kind)?));
        }
        Ok(Self { streams })
    }

    #[cfg(not(unix))]
    fn install() -> std::io::Result<Self> {
        Ok(Self {})
    }

    /// Waits for `wait`, passing the signals `latch` receives to `pid`.
    #[cfg(unix)]
    async fn forward_until<F: std::future::Future<Output = std::io::Result<std::process::ExitStatus>>>(
        mut self,
        pid: Option<u32>,
        wait: F,
    ) -> std::io::Result<std::process::ExitStatus> {
        let mut wait = std::pin::pin!(wait);
        loop {
            let received = futures_util::future::select_all(self.streams.iter_mut().map(|(kind, s)| {
                let kind = *kind;
                Box::pin(async move {
                    s.recv().await;
                    kind
                })
            }));
            tokio::select! {
                status = &mut wait => return status,
                (kind, _, _) = received => {
                    if let Some(pid) = pid.filter(|_| !from_the_terminal(kind)) {
                        // SAFETY: kill has no memory preconditions; a stale pid at worst gets ESRCH.
                        unsafe { libc::kill(pid as libc::pid_t, kind.as_raw_value()) };
                    }
                }
            }
        }
    }

    #[cfg(not(unix))]
    async fn forward_until<F: std::future::Future<Output = std::io::Result<std::process::ExitStatus>>>(
        self,
        _pid: Option<u32>,
        wait: F,
    ) -> std::io::Result<std::process::ExitStatus> {
        wait.await
    }
}

/// An interrupt or quit while `latch` is in the terminal's foreground
/// process group came from the keyboard, and the command (in the same
/// group) has it already.
#[cfg(unix)]
fn from_the_terminal(kind: tokio::signal::unix::SignalKind) -> bool {
    let keyboard = [libc::SIGINT, libc::SIGQUIT].contains(&kind.as_raw_value());
    // SAFETY: plain queries of this process and its terminal.
    keyboard && unsafe { libc::tcgetpgrp(libc::STDIN_FILENO) == libc::getpgrp() }
}
