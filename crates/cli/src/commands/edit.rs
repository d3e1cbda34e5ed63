//! `latch edit`: change an account's label or settings after it was added.
//!
//! The fields are the provider's form fields, as for `add --set`; the core
//! applies and checks them ([`latch_core::providers::edit`]). When the new
//! settings would send the account's secrets to a server they were not
//! issued for, the person is asked first (or says `--yes`), and the keyring
//! entry is then bound to the new server.

use crate::cli::{EditArgs, RenameArgs};
use crate::env::Env;
use crate::exit::Failure;
use crate::output::account_json;
use latch_core::providers::edit::edited;
use std::io::Write;

pub fn run(env: &mut Env, args: EditArgs) -> Result<(), Failure> {
    let latch = env.latch;
    let account = latch.find(&args.account)?;
    let mut changes = Vec::new();
    if let Some(label) = &args.label {
        changes.push(("label".to_owned(), label.clone()));
    }
    for pair in &args.set {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("--set wants FIELD=VALUE, not `{pair}`")))?;
        changes.push((name.trim().to_owned(), value.to_owned()));
    }
    let secret = super::add::read_secret_from(
        env,
        args.secret_stdin,
        args.secret_env.as_deref(),
        args.private_key_file.as_deref(),
    )?;
    let store = match &args.store {
        Some(said) => Some(super::store::choice(env, said)?),
        None => None,
    };
    if changes.is_empty() && secret.is_none() && store.is_none() {
        return Err(Failure::usage(
            "nothing to change: give --label, --set FIELD=VALUE, --secret-stdin or --store (`latch edit --help`)",
        ));
    }
    if let (Some(from), Some(None)) = (&account.store, &store) {
        let question = format!(
            "Move {}'s secrets out of the shared store `{from}` into this machine's keyring? They are deleted \
             from the store, so every other machine that uses it loses it.",
            account.id
        );
        if !env.confirm(&question, args.yes)? {
            return Err(Failure::usage("nothing changed"));
        }
    }
    let new = edited(&account, &changes)?;
    let confirmed = match latch.server_change(&new)? {
        Some(change) => {
            if !env.confirm(&change.question(&new), args.yes)? {
                return Err(Failure::usage("nothing changed"));
            }
            true
        }
        None => false,
    };
    let saved = if changes.is_empty() {
        account
    } else {
        latch.edit(&new, confirmed)?
    };
    if let Some(secret) = secret {
        latch.replace_secret(&saved, &latch_core::secret::DraftSecret::new(secret))?;
    }
    let saved = match &store {
        Some(to) => latch.move_to_store(&saved, to.as_deref())?,
        None => saved,
    };
    if env.json {
        env.print_json(&account_json(&saved, latch_core::time::now()))?;
    } else {
        writeln!(env.stderr, "Changed {}.", saved.id)?;
    }
    Ok(())
}

/// `latch rename ID LABEL`: the label only, which sends nothing anywhere.
pub fn rename(env: &mut Env, args: RenameArgs) -> Result<(), Failure> {
    let latch = env.latch;
    let account = latch.find(&args.account)?;
    let new = edited(&account, &[("label".to_owned(), args.label)])?;
    let saved = latch.edit(&new, false)?;
    if env.json {
        env.print_json(&account_json(&saved, latch_core::time::now()))?;
    } else {
        writeln!(env.stderr, "Renamed {} to \"{}\".", saved.id, saved.label)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::env::testing::{Home, env, parsed};
    use latch_core::Latch;
    use latch_core::model::{AccountId, ProviderKind};
    use latch_core::providers::AccountDraft;
    use latch_core::secret::DraftSecret;

    fn acme(latch: &Latch) {
        let mut draft = AccountDraft::new(ProviderKind::Oauth2);
        draft
            .set("label", "Acme")
            .set("client_id", "c")
            .set("authorize_url", "https://login.acme.example/authorize")
            .set("token_url", "https://api.acme.example/token");
        draft.secret = Some(DraftSecret::new("s"));
        let (account, secrets) = draft.build(AccountId::parse("acme").unwrap(), 0).unwrap();
        latch.add(account, secrets).unwrap();
    }

    fn origins(latch: &Latch) -> Vec<String> {
        latch.secrets(&latch.find("acme").unwrap()).unwrap().origins
    }

    /// Issue 15: a changed endpoint used to take the secrets with it; now
    /// `edit` asks on a terminal, wants --yes on a pipe, and only then binds.
    #[tokio::test]
    async fn a_new_server_is_asked_for_and_bound_only_when_confirmed() {
        let home = Home::new();
        acme(&home.latch);
        let words = [
            "edit",
            "acme",
            "--set",
            "token_url=https://tokens.elsewhere.example/token",
        ];
        let question = "acme's server changed from https://api.acme.example to https://tokens.elsewhere.example. \
                        Send this account's secrets to https://tokens.elsewhere.example from now on?";
        for (terminal, stdin) in [(false, "y\n"), (true, "n\n")] {
            let (mut env, _out) = env(&home.latch, false, stdin, terminal);
            let failure = run(&mut env, parsed!(Edit, &words)).unwrap_err();
            assert_eq!(failure.status, crate::exit::USAGE, "terminal={terminal}");
            assert!(
                failure.message.starts_with(question) || failure.message == "nothing changed",
                "{}",
                failure.message
            );
            assert_eq!(
                origins(&home.latch),
                ["https://api.acme.example"],
                "terminal={terminal}"
            );
            assert_eq!(
                home.latch.server_change(&home.latch.find("acme").unwrap()).unwrap(),
                None
            );
        }
        let (mut env, out) = env(&home.latch, false, "y\n", true);
        run(&mut env, parsed!(Edit, &words)).unwrap();
        assert_eq!(out.stderr.text(), format!("{question} [y/N] Changed acme.\n"));
        assert_eq!(origins(&home.latch), ["https://tokens.elsewhere.example"]);
    }

    #[tokio::test]
    async fn a_label_or_a_path_on_the_same_server_asks_nothing() {
        let home = Home::new();
        acme(&home.latch);
        let (mut env, out) = env(&home.latch, false, "", false);
        let words = [
            "edit",
            "acme",
            "--label",
            "Acme prod",
            "--set",
            "token_url=https://api.acme.example/v2/token",
        ];
        run(&mut env, parsed!(Edit, &words)).unwrap();
        assert_eq!(out.stderr.text(), "Changed acme.\n");
        assert_eq!(home.latch.find("acme").unwrap().label, "Acme prod");
        assert_eq!(origins(&home.latch), ["https://api.acme.example"]);
    }

    #[tokio::test]
    async fn rename_changes_the_label_and_nothing_else() {
        let home = Home::new();
        acme(&home.latch);
        let before = home.latch.find("acme").unwrap();
        let (mut first, out) = env(&home.latch, false, "", false);
        super::rename(&mut first, parsed!(Rename, &["rename", "Acme", "Acme staging"])).unwrap();
        assert_eq!(out.stderr.text(), "Renamed acme to \"Acme staging\".\n");
        let after = home.latch.find("acme").unwrap();
        assert_eq!(after.label, "Acme staging");
        assert_eq!((after.settings, after.id), (before.settings, before.id));
        let (mut second, _) = env(&home.latch, false, "", false);
        let failure = super::rename(&mut second, parsed!(Rename, &["rename", "acme", " "])).unwrap_err();
        assert_eq!(failure.message, "The label cannot be empty.");
    }

    #[tokio::test]
    async fn a_new_secret_from_stdin_replaces_the_old_and_keeps_everything_else() {
        let home = Home::new();
        acme(&home.latch);
        let before = home.latch.secrets(&home.latch.find("acme").unwrap()).unwrap();
        let (mut verb_env, out) = env(&home.latch, false, "the-new-secret\n", false);
        run(&mut verb_env, parsed!(Edit, &["edit", "acme", "--secret-stdin"])).unwrap();
        assert_eq!(out.stderr.text(), "Changed acme.\n");
        let after = home.latch.secrets(&home.latch.find("acme").unwrap()).unwrap();
        assert_eq!(after.client_secret.as_ref().unwrap().secret(), "the-new-secret");
        assert_eq!((after.origins, after.tokens), (before.origins, before.tokens));
        let (mut empty, _) = env(&home.latch, false, "\n", false);
        let failure = run(&mut empty, parsed!(Edit, &["edit", "acme", "--secret-stdin"])).unwrap_err();
        assert_eq!(failure.message, "the secret is empty");
    }
}
