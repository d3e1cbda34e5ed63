//! `latch revoke`: revoke at the provider where it can, delete locally.

use crate::cli::ConfirmArgs;
use crate::env::Env;
use crate::exit::Failure;
use latch_core::Latch;
use latch_core::flows::RevokeOutcome;
use std::io::Write;

pub async fn run(env: &mut Env<'_>, args: ConfirmArgs) -> Result<(), Failure> {
    let account = env.latch.find(&args.account)?;
    let provider = Latch::provider_name(&account);
    let shared = match &account.store {
        Some(store) => format!(" It is shared through the store `{store}`: every machine that uses it loses access."),
        None => String::new(),
    };
    let question = format!(
        "{}{shared} Revoke {}?",
        account.settings.provider().revoke_consequence(),
        account.id
    );
    if !env.confirm(&question, args.yes)? {
        return Err(Failure::usage("nothing revoked"));
    }
    let outcome = env.latch.revoke(&account).await?;
    let message = outcome.message(provider);
    if env.json {
        let name = match outcome {
            RevokeOutcome::Revoked => "revoked",
            RevokeOutcome::NotSupported { .. } => "not-supported",
            RevokeOutcome::StillValid => "still-valid",
            RevokeOutcome::NothingToRevoke => "nothing-to-revoke",
        };
        env.print_json(&serde_json::json!({ "account": account.id, "outcome": name, "message": message }))?;
    } else {
        writeln!(env.stderr, "{message}")?;
    }
    if outcome == RevokeOutcome::StillValid {
        return Err(Failure {
            status: crate::exit::PROVIDER,
            message,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::env::testing::{Home, add_demo, env, parsed, wordapp_robot};

    /// The question is asked on a terminal only; a pipe must say --yes. An
    /// account never connected has nothing to revoke: no provider is called.
    #[tokio::test]
    async fn revoke_asks_on_a_terminal_and_wants_yes_on_a_pipe() {
        let draft = wordapp_robot();
        let probe = Home::new();
        let account = add_demo(&probe.latch, draft.clone(), "robot");
        let question = format!("{} Revoke robot?", account.settings.provider().revoke_consequence());
        let said =
            latch_core::flows::RevokeOutcome::NothingToRevoke.message(latch_core::Latch::provider_name(&account));
        let asked = format!("{question} [y/N] ");
        let piped = format!("{question} Add --yes to confirm when stdin is not a terminal.");
        // flags, stdin is a terminal, stdin, Ok(stderr) or Err(message)
        type Row<'a> = (&'a [&'a str], bool, &'a str, Result<String, String>);
        let rows: [Row; 6] = [
            (&["robot"], false, "y\n", Err(piped)),
            (&["robot"], true, "n\n", Err("nothing revoked".into())),
            (&["robot"], true, "\n", Err("nothing revoked".into())),
            (&["robot"], true, "y\n", Ok(format!("{asked}{said}\n"))),
            (&["robot"], true, "yes\n", Ok(format!("{asked}{said}\n"))),
            (&["robot", "--yes"], false, "", Ok(format!("{said}\n"))),
        ];
        for (flags, terminal, stdin, expected) in rows {
            let home = Home::new();
            add_demo(&home.latch, draft.clone(), "robot");
            let (mut env, out) = env(&home.latch, false, stdin, terminal);
            let result = run(&mut env, parsed!(Revoke, &[&["revoke"][..], flags].concat())).await;
            let row = format!("{flags:?} terminal={terminal} stdin={stdin:?}");
            match expected {
                Ok(stderr) => {
                    result.unwrap_or_else(|f| panic!("{row}: {}", f.message));
                    assert_eq!(out.stderr.text(), stderr, "{row}");
                }
                Err(message) => {
                    let failure = result.expect_err(&row);
                    assert_eq!(failure.status, crate::exit::USAGE, "{row}");
                    assert_eq!(failure.message, message, "{row}");
                    let stderr = if terminal { asked.as_str() } else { "" };
                    assert_eq!(out.stderr.text(), stderr, "{row}");
                }
            }
            assert_eq!(out.stdout.text(), "", "{row}");
        }
    }
}
