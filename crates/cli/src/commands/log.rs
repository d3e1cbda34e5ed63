//! `latch log`: who took which token, from the hand-out log
//! (`latch_core::handouts`), newest last.
//!
//! An account named here may be one that was removed since: its entries
//! stay in the log, so its id still finds them.

use crate::cli::LogArgs;
use crate::env::Env;
use crate::exit::Failure;
use latch_core::handouts::Handout;
use latch_core::{AccountId, ErrorKind};
use std::io::Write;

pub fn run(env: &mut Env, args: LogArgs) -> Result<(), Failure> {
    let account = match &args.account {
        Some(name) => Some(account_id(env, name)?),
        None => None,
    };
    let all = env.latch.handouts(account.as_ref())?;
    let shown = &all[all.len().saturating_sub(args.limit)..];
    if env.json {
        return env.print_json(&shown);
    }
    if shown.is_empty() {
        let what = account.map_or("Nothing".to_owned(), |id| format!("No credential of {id}"));
        writeln!(env.stderr, "{what} has been handed out yet.")?;
        return Ok(());
    }
    let verb_width = shown.iter().map(|h| h.verb.as_str().len()).max().unwrap_or(0);
    let account_width = shown.iter().map(|h| h.account.as_str().len()).max().unwrap_or(0);
    for handout in shown {
        writeln!(
            env.stdout,
            "{}  {:<verb_width$}  {:<account_width$}  by {}",
            latch_core::time::local(handout.at),
            handout.verb.as_str(),
            handout.account.as_str(),
            asked_by(handout)
        )?;
    }
    Ok(())
}

/// The account an argument names: an account's id or label, or the id of
/// one that is gone but left entries in the log.
fn account_id(env: &Env, name: &str) -> Result<AccountId, Failure> {
    let unknown = match env.latch.find(name) {
        Ok(account) => return Ok(account.id),
        Err(e) if e.kind() == ErrorKind::NotFound => e,
        Err(e) => return Err(e.into()),
    };
    if let Some(id) = AccountId::parse(name)
        && !env.latch.handouts(Some(&id))?.is_empty()
    {
        return Ok(id);
    }
    Err(unknown.into())
}

/// `sh -c … (pid 4200)`: the one who asked, as the log saw them.
fn asked_by(handout: &Handout) -> String {
    let by = handout.asked_by();
    let command = by
        .command
        .as_deref()
        .unwrap_or("a command whose line could not be read");
    format!("{command} (pid {})", by.pid)
}

#[cfg(test)]
mod tests {
    use crate::env::testing::{Home, add_demo, env, parsed, wordapp_robot};
    use latch_core::handouts::{FILE_NAME, Handout, Process, Verb};
    use latch_core::model::AccountId;

    fn line(account: &str, verb: Verb, at: i64, parent: Option<&str>) -> String {
        let handout = Handout {
            at,
            account: AccountId::parse(account).unwrap(),
            verb,
            process: Process {
                pid: 700,
                command: Some("latch-desktop".into()),
            },
            parent: Some(Process {
                pid: 600,
                command: parent.map(str::to_owned),
            }),
        };
        serde_json::to_string(&handout).unwrap() + "\n"
    }

    /// A log of four hand-outs of two accounts, one of them since removed.
    fn home_with_a_log() -> Home {
        let home = Home::new();
        add_demo(&home.latch, wordapp_robot(), "robot");
        let log = [
            line(
                "robot",
                Verb::Token,
                1_775_397_792,
                Some("sh -c latch token robot; : marker"),
            ),
            line("gone", Verb::Exec, 1_775_397_800, Some("make deploy")),
            line("robot", Verb::WindowCopy, 1_775_397_900, Some("launcher")),
            line("robot", Verb::Header, 1_775_398_000, None),
        ];
        std::fs::write(home.latch.store().home().join(FILE_NAME), log.concat()).unwrap();
        home
    }

    fn run(home: &Home, json: bool, words: &[&str]) -> (Result<(), crate::exit::Failure>, String, String) {
        // nextest runs each test in a process of its own: the variable is this test's.
        unsafe { std::env::set_var("TZ", "UTC") };
        let args = parsed!(Log, &[&["log"], words].concat());
        let (mut env, out) = env(&home.latch, json, "", false);
        let result = super::run(&mut env, args);
        (result, out.stdout.text(), out.stderr.text())
    }

    #[test]
    fn each_hand_out_is_a_line_with_its_time_verb_account_and_who_asked() {
        let home = home_with_a_log();
        let rows: [(&[&str], &str); 5] = [
            (
                &[],
                "2026-04-05 14:03:12  token        robot  by sh -c latch token robot; : marker (pid 600)\n\
                 2026-04-05 14:03:20  exec         gone   by make deploy (pid 600)\n\
                 2026-04-05 14:05:00  window-copy  robot  by latch-desktop (pid 700)\n\
                 2026-04-05 14:06:40  header       robot  by a command whose line could not be read (pid 600)\n",
            ),
            (
                &["robot", "--limit", "2"],
                "2026-04-05 14:05:00  window-copy  robot  by latch-desktop (pid 700)\n\
                 2026-04-05 14:06:40  header       robot  by a command whose line could not be read (pid 600)\n",
            ),
            (
                &["wordapp robot (sandbox)", "--limit", "1"],
                "2026-04-05 14:06:40  header  robot  by a command whose line could not be read (pid 600)\n",
            ),
            (&["gone"], "2026-04-05 14:03:20  exec  gone  by make deploy (pid 600)\n"),
            (
                &["--limit", "1"],
                "2026-04-05 14:06:40  header  robot  by a command whose line could not be read (pid 600)\n",
            ),
        ];
        for (words, stdout) in rows {
            let (result, out, err) = run(&home, false, words);
            result.unwrap_or_else(|f| panic!("{words:?}: {}", f.message));
            assert_eq!(out, stdout, "latch log {words:?}");
            assert_eq!(err, "", "latch log {words:?}");
        }
    }

    #[test]
    fn json_is_the_array_of_entries_as_the_log_keeps_them() {
        let home = home_with_a_log();
        let (result, out, _) = run(&home, true, &["robot", "--limit", "2"]);
        result.unwrap();
        let entries: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            entries,
            serde_json::json!([
                {"at": 1_775_397_900, "account": "robot", "verb": "window-copy",
                 "process": {"pid": 700, "command": "latch-desktop"},
                 "parent": {"pid": 600, "command": "launcher"}},
                {"at": 1_775_398_000, "account": "robot", "verb": "header",
                 "process": {"pid": 700, "command": "latch-desktop"},
                 "parent": {"pid": 600, "command": null}},
            ])
        );
    }

    #[test]
    fn an_empty_log_says_so_and_an_unknown_account_is_not_found() {
        let home = Home::new();
        add_demo(&home.latch, wordapp_robot(), "robot");
        let (result, out, err) = run(&home, false, &[]);
        result.unwrap();
        assert_eq!((out.as_str(), err.as_str()), ("", "Nothing has been handed out yet.\n"));
        let (result, out, err) = run(&home, false, &["robot"]);
        result.unwrap();
        assert_eq!(
            (out.as_str(), err.as_str()),
            ("", "No credential of robot has been handed out yet.\n")
        );
        let (result, out, _) = run(&home, true, &[]);
        result.unwrap();
        assert_eq!(out, "[]\n");
        let failure = run(&home, false, &["nobody"]).0.unwrap_err();
        assert_eq!(failure.status, crate::exit::NOT_FOUND);
        assert!(failure.message.contains("no account `nobody`"), "{}", failure.message);
    }
}
