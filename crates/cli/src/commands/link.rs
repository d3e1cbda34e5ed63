//! `latch link`: link a WhatsApp number to a GREEN-API instance by a code.
//!
//! The terminal version of the window's dialog: check the instance's state
//! (refuse, with the way out, when a number is linked already unless
//! `--logout`), ask GREEN-API for a code (it can take 30 s), print it grouped
//! as WhatsApp shows it on stdout, and count down on stderr while watching
//! the instance. stdout carries only what a script needs: the code, then
//! "WhatsApp linked: +…" (or, with `--json`, one JSON object per line).

use crate::cli::LinkArgs;
use crate::exit::{Failure, LINK_EXPIRED, PROVIDER, USAGE};
use latch_core::Latch;
use latch_core::flows::{LinkOutcome, LinkWatch};
use latch_core::model::Account;
use latch_core::phone::PhoneNumber;
use latch_core::providers::green_api::{InstanceState, LinkCode};
use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When stderr is not a terminal, one countdown line this often.
const PLAIN_COUNTDOWN_EVERY: Duration = Duration::from_secs(10);

pub async fn run(latch: &Latch, args: LinkArgs, json: bool) -> Result<(), Failure> {
    let account = latch.find(&args.account)?;
    let Some(settings) = account.settings.green_api() else {
        return Err(Failure::usage(format!(
            "{} is a {} account; `latch link` links GREEN-API accounts, use `latch connect {}` instead",
            account.id,
            account.provider().display_name(),
            account.id
        )));
    };
    let typed = args.phone.as_deref().or(settings.phone.as_deref()).ok_or_else(|| {
        Failure::usage(format!(
            "no phone number for {}; give the WhatsApp number with --phone, e.g. `latch link {} --phone \"+44 1234 567890\"`",
            account.id, account.id
        ))
    })?;
    // Before any request: a number that cannot be right is refused here.
    let phone = PhoneNumber::parse(typed)?;

    ready_instance(latch, &account, args.logout).await?;

    eprintln!("Asking GREEN-API for a link code (this can take 30 s)…");
    let code = latch.request_link_code(&account, &phone.to_string()).await?;
    let watch = LinkWatch {
        lifetime: args
            .lifetime_ms
            .map(Duration::from_millis)
            .unwrap_or(LinkWatch::default().lifetime),
        interval: args
            .poll_ms
            .map(Duration::from_millis)
            .unwrap_or(LinkWatch::default().interval),
    };
    show_code(&account, &code, watch.lifetime, json);

    let outcome = {
        let watching = latch.wait_until_linked(&account, &code, watch);
        tokio::pin!(watching);
        let countdown = Countdown::new(&code, watch.lifetime);
        loop {
            tokio::select! {
                outcome = &mut watching => break outcome,
                () = tokio::time::sleep(countdown.tick()) => countdown.show(),
            }
        }
    };
    Countdown::clear();
    match outcome? {
        LinkOutcome::Linked => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "account": account.id, "linked": true, "phone": phone.to_string() })
                );
            } else {
                println!("WhatsApp linked: {phone}");
            }
            Ok(())
        }
        LinkOutcome::Expired { last_state } => {
            let why = match last_state {
                Some(state @ (InstanceState::Starting | InstanceState::Blocked | InstanceState::YellowCard)) => {
                    format!(" ({})", state.message().trim_end_matches('.'))
                }
                _ => String::new(),
            };
            Err(Failure {
                status: LINK_EXPIRED,
                message: format!(
                    "The code expired{why}; run `latch link {}` again for a new one.",
                    account.id
                ),
            })
        }
    }
}

/// Leaves the instance ready for a code: logs a linked number out when
/// asked to, and refuses every other state with its sentence.
async fn ready_instance(latch: &Latch, account: &Account, logout: bool) -> Result<(), Failure> {
    match latch.instance_state(account).await? {
        InstanceState::NotAuthorized => Ok(()),
        InstanceState::Authorized if logout => {
            latch.logout(account).await?;
            eprintln!("Logged out the WhatsApp number that was linked to {}.", account.id);
            Ok(())
        }
        InstanceState::Authorized => Err(Failure {
            status: USAGE,
            message: format!(
                "A WhatsApp number is already linked to {}'s instance; run `latch link {} --logout` to log it out and link again.",
                account.id, account.id
            ),
        }),
        other => Err(Failure {
            status: PROVIDER,
            message: other.message(),
        }),
    }
}

fn show_code(account: &Account, code: &LinkCode, lifetime: Duration, json: bool) {
    if json {
        let expires_at = code
            .expires_at(lifetime)
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        println!(
            "{}",
            serde_json::json!({ "account": account.id, "code": code.code, "expires_at": expires_at })
        );
    } else {
        eprintln!("\nLink code for {}:\n", code.phone);
        println!("    {}", code.grouped());
        eprintln!(
            "\nOn the phone, in WhatsApp: Settings → Linked devices → Link a device → \
             Link with phone number instead, then type the code."
        );
    }
    let _ = std::io::stdout().flush();
}

/// The time left, on stderr: one line rewritten each second on a terminal,
/// a line every [`PLAIN_COUNTDOWN_EVERY`] otherwise (logs, pipes).
struct Countdown<'a> {
    code: &'a LinkCode,
    lifetime: Duration,
    terminal: bool,
}

impl<'a> Countdown<'a> {
    fn new(code: &'a LinkCode, lifetime: Duration) -> Self {
        let countdown = Self {
            code,
            lifetime,
            terminal: std::io::stderr().is_terminal(),
        };
        countdown.show();
        countdown
    }

    /// How long until the next line.
    fn tick(&self) -> Duration {
        let every = if self.terminal {
            Duration::from_secs(1)
        } else {
            PLAIN_COUNTDOWN_EVERY
        };
        // Land on whole seconds of the time left, so the display steps evenly.
        let left = self.code.remaining_of(self.lifetime, SystemTime::now());
        let into_second = Duration::from_nanos(u64::from(left.subsec_nanos()));
        let wait = if into_second.is_zero() {
            every
        } else {
            into_second + every - Duration::from_secs(1)
        };
        wait.max(Duration::from_millis(50))
    }

    fn show(&self) {
        let left = self.code.remaining_of(self.lifetime, SystemTime::now());
        let text = format!(
            "Code {} expires in {}; waiting for WhatsApp…",
            self.code.grouped(),
            clock(left)
        );
        if self.terminal {
            eprint!("\r{text}\x1b[K");
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{text}");
        }
    }

    /// Ends the countdown line on a terminal.
    fn clear() {
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[K");
        }
    }
}

/// `2:30`, `0:07`.
fn clock(left: Duration) -> String {
    let s = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_as_minutes_and_seconds_rounded_up() {
        assert_eq!(clock(Duration::from_secs(150)), "2:30");
        assert_eq!(clock(Duration::from_millis(6200)), "0:07");
        assert_eq!(clock(Duration::ZERO), "0:00");
    }
}
