//! `latch token`, `latch header`, `latch refresh`.
//!
//! The token goes to stdout and nowhere else: no log line, no stderr.

use crate::env::Env;
use crate::exit::Failure;
use crate::output::{expires_in, token_json};
use std::io::Write;

pub async fn token(env: &mut Env<'_>, name: &str) -> Result<(), Failure> {
    let account = env.latch.find(name)?;
    let tokens = env.latch.valid_token(&account).await?;
    if env.json {
        env.print_json(&token_json(&account, &tokens))?;
    } else {
        writeln!(env.stdout, "{}", tokens.access_token.secret())?;
    }
    Ok(())
}

pub async fn header(env: &mut Env<'_>, name: &str) -> Result<(), Failure> {
    let account = env.latch.find(name)?;
    let tokens = env.latch.valid_token(&account).await?;
    let header = format!("Authorization: Bearer {}", tokens.access_token.secret());
    if env.json {
        env.print_json(&serde_json::json!({ "account": account.id, "header": header }))?;
    } else {
        writeln!(env.stdout, "{header}")?;
    }
    Ok(())
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
    use latch_core::model::{AccountStatus, TokenSet};
    use latch_core::secret::AccessToken;
    use latch_sandbox::harness;

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
            extras: Default::default(),
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
        let header_json =
            "{\n  \"account\": \"robot\",\n  \"header\": \"Authorization: Bearer in-process-access-token\"\n}\n";
        let rows = [
            ("token", false, "in-process-access-token\n".to_owned()),
            ("token", true, token_json),
            (
                "header",
                false,
                "Authorization: Bearer in-process-access-token\n".to_owned(),
            ),
            ("header", true, header_json.to_owned()),
        ];
        for (verb, json, stdout) in rows {
            let (mut env, out) = env(&home.latch, json, "", false);
            match verb {
                "token" => super::token(&mut env, "robot").await,
                _ => super::header(&mut env, "robot").await,
            }
            .unwrap_or_else(|f| panic!("{verb}: {}", f.message));
            assert_eq!(out.stdout.text(), stdout, "{verb} --json {json}");
            assert_eq!(out.stderr.text(), "", "{verb} --json {json}: nothing on stderr");
        }
    }

    #[tokio::test]
    async fn an_unknown_account_is_not_found() {
        let home = Home::new();
        let (mut env, out) = env(&home.latch, false, "", false);
        let failure = super::token(&mut env, "nobody").await.unwrap_err();
        assert_eq!(failure.status, crate::exit::NOT_FOUND);
        assert_eq!(out.stdout.text(), "");
    }
}
