//! `latch export` and `latch import`: a team's accounts as a file it can
//! keep in git. The file holds each account's id, provider, label and the
//! fields of its connect form, as `latch edit --set` names them — never a
//! secret, never a token (the settings on disk hold none; the keyring keeps
//! them). The file and its checks are the core's (`latch_core::transfer`,
//! which the window's Export and Import use too); importing asks for what
//! the file cannot hold (each account's secret, Wazzup's
//! login e-mail, which the keyring keeps with the password): on a terminal
//! with a prompt (a secret without echo), else one line of stdin per value,
//! in the file's order and each account's form order.

use crate::cli::{ExportArgs, ImportArgs};
use crate::env::Env;
use crate::exit::Failure;
use latch_core::model::AccountId;
use latch_core::providers::catalogue::FieldKind;
use latch_core::transfer::TransferFile;
use std::io::Write;

pub fn export(env: &mut Env, args: ExportArgs) -> Result<(), Failure> {
    let latch = env.latch;
    let chosen = if args.accounts.is_empty() {
        let all = latch.accounts()?;
        let demos = all.iter().filter(|a| a.sandbox).count();
        if demos > 0 {
            writeln!(
                env.stderr,
                "Left out {demos} sandbox demo account(s): their servers are this computer's fakes."
            )?;
        }
        all.into_iter().filter(|a| !a.sandbox).collect()
    } else {
        args.accounts
            .iter()
            .map(|name| latch.find(name))
            .collect::<Result<Vec<_>, _>>()?
    };
    let file = TransferFile::of(&chosen);
    let text = file.text();
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
            writeln!(
                env.stderr,
                "Wrote {} account(s) to {}.",
                file.accounts.len(),
                path.display()
            )?;
        }
        None => write!(env.stdout, "{text}")?,
    }
    Ok(())
}

pub fn import(env: &mut Env, args: ImportArgs) -> Result<(), Failure> {
    let latch = env.latch;
    let shown = args.file.display().to_string();
    let text = std::fs::read_to_string(&args.file).map_err(|e| Failure::usage(format!("cannot read {shown}: {e}")))?;
    let file = TransferFile::parse(&text).map_err(|e| Failure::usage(e.describe(&shown)))?;
    // Every entry is checked before any is added: a file with a mistake
    // adds nothing.
    let existing: Vec<AccountId> = latch.accounts()?.into_iter().map(|a| a.id).collect();
    let plan = file.plan(&existing).map_err(|problems| {
        Failure::usage(format!(
            "{shown} has problems; nothing was imported:\n  {}",
            problems.join("\n  ")
        ))
    })?;
    let (mut added, mut kept) = (Vec::new(), 0);
    for mut planned in plan {
        let id = planned.id.clone();
        if planned.exists {
            writeln!(env.stderr, "{id}: exists already; left as it is.")?;
            kept += 1;
            continue;
        }
        let who = format!("{} ({id}): ", planned.entry.label);
        for field in planned.asks() {
            let prompt = if planned.optional(field) {
                format!("{who}{} (Enter to leave it out): ", field.label)
            } else {
                format!("{who}{}: ", field.label)
            };
            let value = if field.kind == FieldKind::Secret {
                env.ask_secret(&prompt)?
            } else {
                env.ask(&prompt)?
            };
            planned.answer(field.name, value);
        }
        let problems = planned.draft.problems();
        if !problems.is_empty() {
            let said: Vec<String> = problems.into_iter().map(|p| p.message).collect();
            writeln!(env.stderr, "{id}: not imported: {}", said.join(" "))?;
            continue;
        }
        let (account, secrets) = planned
            .draft
            .build(id.clone(), latch_core::time::now())
            .map_err(|e| Failure::usage(format!("{id}: {e}")))?;
        latch.add(account, secrets)?;
        added.push(id);
    }
    if env.json {
        let ids: Vec<&str> = added.iter().map(AccountId::as_str).collect();
        env.print_json(&serde_json::json!({ "imported": ids, "kept": kept }))?;
    } else {
        for id in &added {
            writeln!(env.stdout, "{id}")?;
        }
        writeln!(
            env.stderr,
            "Imported {} account(s). Next: `latch connect ID` for each.",
            added.len()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{export, import};
    use crate::env::testing::{Home, add_demo, env, fixed_urls, parsed, wordapp_robot};
    use latch_core::model::Grant;
    use latch_sandbox::harness::SCHEME_REDIRECT;
    use latch_sandbox::{DemoCredentials, demo};

    /// Two accounts made as `add` makes them, not marked as demo accounts.
    fn team() -> Home {
        let home = Home::new();
        let (urls, d) = (fixed_urls(), DemoCredentials::default());
        add_demo(&home.latch, wordapp_robot(), "robot");
        add_demo(
            &home.latch,
            demo::wazzup(&urls, &d, SCHEME_REDIRECT, Grant::AuthorizationCode),
            "wazzup-main",
        );
        home
    }

    #[test]
    fn an_exported_file_holds_no_secret_and_imports_into_another_home_as_it_was() {
        let from = team();
        let (mut env1, out) = env(&from.latch, false, "", false);
        export(&mut env1, parsed!(Export, &["export"])).unwrap();
        let text = out.stdout.text();
        // Scan the file for every secret the keyring holds for these accounts.
        for account in from.latch.accounts().unwrap() {
            let secrets = serde_json::to_value(from.latch.secrets(&account).unwrap()).unwrap();
            let mut found = Vec::new();
            strings(&secrets, &mut found);
            for secret in found.iter().filter(|s| s.len() >= 6 && !s.starts_with("http")) {
                assert!(
                    !text.contains(secret.as_str()),
                    "the secret {secret:?} is in the export:\n{text}"
                );
            }
            assert!(!found.is_empty(), "{} has secrets to look for", account.id);
        }
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &text).unwrap();

        let to = Home::new();
        let path = file.path().to_str().unwrap();
        // Not a terminal: one line of stdin per account that needs a secret, in the file's order.
        let (mut env2, out) = env(
            &to.latch,
            false,
            "robot-secret\npartner@shop.example\nwazzup-password\n",
            false,
        );
        import(&mut env2, parsed!(Import, &["import", path])).unwrap();
        let mut ids = out.stdout.text().lines().map(str::to_owned).collect::<Vec<_>>();
        ids.sort();
        assert_eq!(ids, ["robot", "wazzup-main"]);
        for account in from.latch.accounts().unwrap() {
            let copy = to.latch.find(account.id.as_str()).unwrap();
            assert_eq!(
                (copy.label.clone(), copy.settings.clone()),
                (account.label.clone(), account.settings.clone())
            );
        }
        let robot = to.latch.secrets(&to.latch.find("robot").unwrap()).unwrap();
        assert_eq!(robot.client_secret.unwrap().secret(), "robot-secret");

        // Again: nothing is added twice.
        let (mut env3, out) = env(&to.latch, false, "", false);
        import(&mut env3, parsed!(Import, &["import", path])).unwrap();
        assert_eq!(out.stdout.text(), "");
        assert!(
            out.stderr.text().contains("robot: exists already; left as it is."),
            "{}",
            out.stderr.text()
        );
    }

    fn strings(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::String(s) => found.push(s.clone()),
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, found)),
            serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, found)),
            _ => {}
        }
    }

    #[test]
    fn a_file_with_a_mistake_imports_nothing_and_names_every_problem() {
        let to = Home::new();
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            r#"{"kind": "latch-accounts", "version": 1, "accounts": [
                {"id": "good", "provider": "wordapp", "label": "Good", "settings": {"grant": "client_credentials", "client_id": "c"}},
                {"id": "bad", "provider": "wordapp", "label": "Bad", "settings": {"secret": "oops"}},
                {"id": "odd", "provider": "nope", "label": "Odd"}
            ]}"#,
        )
        .unwrap();
        let (mut env, _out) = env(&to.latch, false, "s\n", false);
        let failure = import(&mut env, parsed!(Import, &["import", file.path().to_str().unwrap()])).unwrap_err();
        assert!(failure.message.contains("nothing was imported"), "{}", failure.message);
        assert!(
            failure.message.contains("there is no provider `nope`"),
            "{}",
            failure.message
        );
        assert!(to.latch.accounts().unwrap().is_empty());
    }
}
