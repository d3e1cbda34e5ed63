//! `latch token`, `latch header`, `latch refresh`.
//!
//! The token goes to stdout and nowhere else: no log line, no stderr, no
//! argv. `header` prints what the provider's requests carry, one header a
//! line, so that `latch header ID | curl -H @- URL` keeps the token out of
//! curl's argv (which every local user can read in `ps`). Each hand-out is
//! noted in the hand-out log (`latch log`) before it is printed; a refresh
//! hands nothing out.

use crate::cli::TokenArgs;
use crate::env::Env;
use crate::exit::Failure;
use crate::output::{expires_in, token_json};
use latch_core::handouts::Verb;
use latch_core::model::{Account, TokenSet};
use std::io::Write;

/// The account's token, refreshed first as the flags ask.
async fn obtain(env: &Env<'_>, args: &TokenArgs) -> Result<(Account, TokenSet), Failure> {
    let account = env.latch.find(&args.account)?;
    let tokens = if args.force_refresh {
        env.latch.refresh(&account).await?
    } else {
        env.latch.valid_token_for(&account, args.min_valid).await?
    };
    Ok((account, tokens))
}

pub async fn token(env: &mut Env<'_>, args: &TokenArgs) -> Result<(), Failure> {
    let (account, tokens) = obtain(env, args).await?;
    let credential = account.settings.provider().credential(&tokens)?;
    env.record_handout(&account, Verb::Token);
    if env.json {
        env.print_json(&token_json(&account, &tokens, &credential))?;
    } else {
        writeln!(env.stdout, "{}", credential.secret())?;
    }
    Ok(())
}

pub async fn header(env: &mut Env<'_>, args: &TokenArgs) -> Result<(), Failure> {
    let account = env.latch.find(&args.account)?;
    // GREEN-API has no header to give: say so before anything is refreshed.
    let provider = account.settings.provider();
    if provider.grant().is_none() {
        provider.api_headers(&latch_core::secret::AccessToken::new(""))?;
    }
    let (account, tokens) = obtain(env, args).await?;
    let lines: Vec<String> = provider
        .api_headers(&provider.credential(&tokens)?)?
        .into_iter()
        .map(|(name, value)| format!("{}: {value}", header_case(name)))
        .collect();
    env.record_handout(&account, Verb::Header);
    if env.json {
        env.print_json(&serde_json::json!({
            "account": account.id,
            "header": lines[0],
            "headers": lines,
        }))?;
    } else {
        for line in &lines {
            writeln!(env.stdout, "{line}")?;
        }
    }
    Ok(())
}

/// `x-api-version` → `X-Api-Version`, as people write headers.
fn header_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

pub async fn refresh(env: &mut Env<'_>, name: &str) -> Result<(), Failure> {
    let account = env.latch.find(name)?;
    let tokens = env.latch.refresh(&account).await?;
    if env.json {
        env.print_json(&serde_json::json!({
            "account": account.id,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope,
        }))?;
    } else {
        writeln!(
            env.stderr,
            "Refreshed {}: expires in {}.",
            account.id,
            expires_in(tokens.expires_at, latch_core::time::now())
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::env::testing::{Home, env, wordapp_robot};
    use latch_core::handouts::{FILE_NAME, Verb};
    use latch_core::model::{AccountStatus, TokenSet};
    use latch_core::secret::AccessToken;
    use latch_sandbox::harness;

    fn args(account: &str) -> crate::cli::TokenArgs {
        crate::cli::TokenArgs {
            account: account.into(),
            min_valid: std::time::Duration::from_secs(60),
            force_refresh: false,
        }
    }

    /// A connected account whose token is good for another hour: no call
    /// reaches a provider.
    fn connected(home: &Home) -> TokenSet {
        let draft = wordapp_robot();
        let (mut account, mut secrets) = harness::account(draft, "robot");
        let tokens = TokenSet {
            access_token: AccessToken::new("in-process-access-token"),
            refresh_token: None,
            token_type: "Bearer".into(),
            scope: Some("read".into()),
            obtained_at: harness::now(),
            expires_at: Some(harness::now() + 3600),
            refresh_expires_at: None,
            extras: Default::default(),
            id_token: None,
        };
        account.token = Some(tokens.meta());
        account.status = AccountStatus::Connected;
        secrets.tokens = Some(tokens.clone());
        home.latch.add(account, secrets).unwrap();
        tokens
    }

    /// The token goes to stdout and nowhere else, in each verb and shape.
    #[tokio::test]
    async fn token_and_header_print_the_token_on_stdout_only() {
        let home = Home::new();
        let expires = connected(&home).expires_at.unwrap();
        let token_json = format!(
            "{{\n  \"account\": \"robot\",\n  \"access_token\": \"in-process-access-token\",\n  \"token_type\": \"Bearer\",\n  \"expires_at\": {expires},\n  \"scope\": \"read\"\n}}\n"
        );
        let header_json = "{\n  \"account\": \"robot\",\n  \"header\": \"Authorization: Bearer in-process-access-token\",\n  \"headers\": [\n    \"Authorization: Bearer in-process-access-token\",\n    \"X-Api-Version: 1\"\n  ]\n}\n";
        let rows = [
            ("token", false, "in-process-access-token\n".to_owned()),
            ("token", true, token_json),
            (
                "header",
                false,
                "Authorization: Bearer in-process-access-token\nX-Api-Version: 1\n".to_owned(),
            ),
            ("header", true, header_json.to_owned()),
        ];
        for (verb, json, stdout) in rows {
            let (mut env, out) = env(&home.latch, json, "", false);
            let args = args("robot");
            match verb {
                "token" => super::token(&mut env, &args).await,
                _ => super::header(&mut env, &args).await,
            }
            .unwrap_or_else(|f| panic!("{verb}: {}", f.message));
            assert_eq!(out.stdout.text(), stdout, "{verb} --json {json}");
            assert_eq!(out.stderr.text(), "", "{verb} --json {json}: nothing on stderr");
        }
    }

    /// Each hand-out is in the log with its verb; the token is not.
    #[tokio::test]
    async fn token_and_header_note_each_hand_out_in_the_log_but_not_the_token() {
        let home = Home::new();
        connected(&home);
        for json in [false, true] {
            let (mut token, _) = env(&home.latch, json, "", false);
            super::token(&mut token, &args("robot")).await.unwrap();
            let (mut header, _) = env(&home.latch, json, "", false);
            super::header(&mut header, &args("robot")).await.unwrap();
        }
        let id = latch_core::AccountId::parse("robot").unwrap();
        let verbs: Vec<Verb> = home.latch.handouts(Some(&id)).unwrap().iter().map(|h| h.verb).collect();
        assert_eq!(verbs, [Verb::Token, Verb::Header, Verb::Token, Verb::Header]);
        let log = std::fs::read_to_string(home.latch.store().home().join(FILE_NAME)).unwrap();
        assert!(
            !log.contains("in-process-access-token"),
            "the token is in the log: {log}"
        );
    }

    /// A log that cannot be written keeps nothing from the token's owner:
    /// the token is printed, and one line on stderr says why and what to do.
    #[tokio::test]
    async fn a_log_that_cannot_be_written_is_one_warning_and_the_token_still_comes() {
        let home = Home::new();
        connected(&home);
        let path = home.latch.store().home().join(FILE_NAME);
        std::fs::create_dir(&path).unwrap();
        let (mut env, out) = env(&home.latch, false, "", false);
        super::token(&mut env, &args("robot")).await.unwrap();
        assert_eq!(out.stdout.text(), "in-process-access-token\n");
        let warning = out.stderr.text();
        assert_eq!(warning.lines().count(), 1, "{warning}");
        assert!(
            warning
                .starts_with("latch: warning: this hand-out is not in the log: Latch could not open the hand-out log"),
            "{warning}"
        );
        assert!(
            warning.contains(&format!("mv {0} {0}.old", path.display())),
            "{warning}"
        );
        assert!(!warning.contains("in-process-access-token"));
    }

    #[tokio::test]
    async fn an_unknown_account_is_not_found() {
        let home = Home::new();
        let (mut env, out) = env(&home.latch, false, "", false);
        let failure = super::token(&mut env, &args("nobody")).await.unwrap_err();
        assert_eq!(failure.status, crate::exit::NOT_FOUND);
        assert_eq!(out.stdout.text(), "");
    }
}
