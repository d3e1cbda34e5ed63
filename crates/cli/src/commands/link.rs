//! `latch link`: link a WhatsApp number to a GREEN-API instance by a code.
//!
//! The terminal version of the window's dialog: check the instance's state
//! (refuse, with the way out, when a number is linked already unless
//! `--logout`), ask GREEN-API for a code (it can take 30 s), print it grouped
//! as WhatsApp shows it on stdout, and count down on stderr while watching
//! the instance. stdout carries only what a script needs: the code, then
//! "WhatsApp linked: +…" (or, with `--json`, one JSON object per line).

use crate::cli::LinkArgs;
use crate::env::Env;
use crate::exit::{Failure, LINK_EXPIRED, PROVIDER, USAGE};
use latch_core::Latch;
use latch_core::flows::{LinkOutcome, LinkWatch};
use latch_core::model::Account;
use latch_core::phone::PhoneNumber;
use latch_core::providers::green_api::{InstanceState, LinkCode};
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When stderr is not a terminal, one countdown line this often.
const PLAIN_COUNTDOWN_EVERY: Duration = Duration::from_secs(10);

pub async fn run(env: &mut Env<'_>, args: LinkArgs) -> Result<(), Failure> {
    let latch = env.latch;
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

    ready_instance(env, &account, args.logout).await?;

    writeln!(env.stderr, "Asking GREEN-API for a link code (this can take 30 s)…")?;
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
    show_code(env, &account, &code, watch.lifetime)?;

    let countdown = Countdown {
        code: &code,
        lifetime: watch.lifetime,
        terminal: env.stderr_is_terminal,
    };
    let outcome = {
        let watching = latch.wait_until_linked(&account, &code, watch);
        tokio::pin!(watching);
        countdown.show(env)?;
        loop {
            tokio::select! {
                outcome = &mut watching => break outcome,
                () = tokio::time::sleep(countdown.tick()) => countdown.show(env)?,
            }
        }
    };
    countdown.clear(env)?;
    match outcome? {
        LinkOutcome::Linked => {
            if env.json {
                writeln!(
                    env.stdout,
                    "{}",
                    serde_json::json!({ "account": account.id, "linked": true, "phone": phone.to_string() })
                )?;
            } else {
                writeln!(env.stdout, "WhatsApp linked: {phone}")?;
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
async fn ready_instance(env: &mut Env<'_>, account: &Account, logout: bool) -> Result<(), Failure> {
    let latch: &Latch = env.latch;
    match latch.instance_state(account).await? {
        InstanceState::NotAuthorized => Ok(()),
        InstanceState::Authorized if logout => {
            latch.logout(account).await?;
            writeln!(
                env.stderr,
                "Logged out the WhatsApp number that was linked to {}.",
                account.id
            )?;
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

fn show_code(env: &mut Env, account: &Account, code: &LinkCode, lifetime: Duration) -> Result<(), Failure> {
    if env.json {
        let expires_at = code
            .expires_at(lifetime)
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut shown = serde_json::json!({ "account": account.id, "code": code.code, "expires_at": expires_at });
        if let Some(fake) = latch_sandbox::demo::link_code_warning(account) {
            shown["warning"] = fake.into();
        }
        writeln!(env.stdout, "{shown}")?;
    } else {
        writeln!(env.stderr, "\nLink code for {}:\n", code.phone)?;
        writeln!(env.stdout, "    {}", code.grouped())?;
        match latch_sandbox::demo::link_code_warning(account) {
            Some(fake) => writeln!(env.stderr, "\n{fake}")?,
            None => writeln!(
                env.stderr,
                "\nOn the phone, in WhatsApp: Settings → Linked devices → Link a device → \
                 Link with phone number instead, then type the code."
            )?,
        }
    }
    let _ = env.stdout.flush();
    Ok(())
}

/// The time left, on stderr: one line rewritten each second on a terminal,
/// a line every [`PLAIN_COUNTDOWN_EVERY`] otherwise (logs, pipes).
struct Countdown<'a> {
    code: &'a LinkCode,
    lifetime: Duration,
    terminal: bool,
}

impl Countdown<'_> {
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

    fn show(&self, env: &mut Env) -> Result<(), Failure> {
        let left = self.code.remaining_of(self.lifetime, SystemTime::now());
        let text = format!(
            "Code {} expires in {}; waiting for WhatsApp…",
            self.code.grouped(),
            clock(left)
        );
        if self.terminal {
            write!(env.stderr, "\r{text}\x1b[K")?;
            let _ = env.stderr.flush();
        } else {
            writeln!(env.stderr, "{text}")?;
        }
        Ok(())
    }

    /// Ends the countdown line on a terminal.
    fn clear(&self, env: &mut Env) -> Result<(), Failure> {
        if self.terminal {
            write!(env.stderr, "\r\x1b[K")?;
        }
        Ok(())
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

#[cfg(test)]
mod in_process {
    use super::run;
    use crate::env::testing::{Home, env, parsed};
    use latch_core::model::Grant;
    use latch_sandbox::harness::{self, SCHEME_REDIRECT};
    use latch_sandbox::{DemoCredentials, demo};
    use std::time::{Duration, Instant};

    /// What is refused before any request, in the words a person reads.
    #[tokio::test]
    async fn link_refuses_other_providers_and_missing_or_impossible_numbers() {
        let home = Home::new();
        let sandbox = harness::sandbox().await;
        let (urls, d) = (sandbox.base_urls(), DemoCredentials::default());
        let (mut green, secrets) = harness::account(demo::green_api(&urls, &d), "green");
        if let latch_core::model::ProviderSettings::GreenApi(settings) = &mut green.settings {
            settings.phone = None;
        }
        home.latch.add(green, secrets).unwrap();
        let (robot, secrets) = harness::account(
            demo::wordapp(&urls, &d, SCHEME_REDIRECT, Grant::ClientCredentials),
            "robot",
        );
        home.latch.add(robot, secrets).unwrap();
        let rows: [(&[&str], &str); 2] = [
            (
                &["robot"],
                "robot is a Wordapp account; `latch link` links GREEN-API accounts, use `latch connect robot` instead",
            ),
            (
                &["green"],
                "no phone number for green; give the WhatsApp number with --phone, e.g. `latch link green --phone \"+44 1234 567890\"`",
            ),
        ];
        for (flags, message) in rows {
            let (mut env, out) = env(&home.latch, false, "", false);
            let failure = run(&mut env, parsed!(Link, &[&["link"][..], flags].concat()))
                .await
                .expect_err(message);
            assert_eq!(
                (failure.status, failure.message.as_str()),
                (crate::exit::USAGE, message)
            );
            assert_eq!((out.stdout.text(), out.stderr.text()), (String::new(), String::new()));
        }
        let (mut env, out) = env(&home.latch, false, "", false);
        let failure = run(&mut env, parsed!(Link, &["link", "green", "--phone", "12"]))
            .await
            .unwrap_err();
        assert_eq!(failure.status, crate::exit::USAGE, "{}", failure.message);
        assert_eq!(out.stdout.text(), "");
        assert_eq!(
            sandbox.green_api().requests().len(),
            0,
            "nothing was asked of GREEN-API"
        );
    }

    /// stdout carries the code and then the number linked, nothing else; the
    /// countdown goes to stderr as plain lines when stderr is not a terminal.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn link_prints_the_code_then_the_number_and_counts_down_on_stderr() {
        let home = Home::new();
        let sandbox = harness::sandbox().await;
        let d = DemoCredentials::default();
        let (green, secrets) = harness::account(demo::green_api(&sandbox.base_urls(), &d), "green");
        home.latch.add(green, secrets).unwrap();
        let (mut env, out) = env(&home.latch, false, "", false);
        let phone_types_the_code = async {
            let deadline = Instant::now() + Duration::from_secs(20);
            let code = loop {
                if let Some(code) = out.stdout.text().lines().next() {
                    break code.trim().to_owned();
                }
                assert!(Instant::now() < deadline, "no code on stdout");
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            assert!(sandbox.green_api().enter_code(d.green_api_id_instance, &code));
            code
        };
        let (result, code) = tokio::join!(
            run(&mut env, parsed!(Link, &["link", "green", "--poll-ms", "50"])),
            phone_types_the_code
        );
        result.unwrap_or_else(|f| panic!("{}", f.message));
        assert_eq!(
            out.stdout.text(),
            format!("    {code}\nWhatsApp linked: +441234567890\n")
        );
        let stderr = out.stderr.text();
        assert!(
            stderr.starts_with("Asking GREEN-API for a link code (this can take 30 s)…\n"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("Code {code} expires in ")) && !stderr.contains('\r'),
            "plain countdown lines: {stderr}"
        );
    }
}
