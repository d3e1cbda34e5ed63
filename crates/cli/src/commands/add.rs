//! `latch add <provider>`: an account from flags. Its one secret (client
//! secret, Wazzup partner password, GREEN-API apiTokenInstance) comes from
//! stdin or a named environment variable — never a flag, which `ps` shows.
//!
//! The flags fill in the core's [`AccountDraft`], the same draft the
//! window's connect dialog fills: which fields a provider has, which are
//! required, their defaults and rules, and where the secret goes are the
//! core's catalogue. This module only names the flags.
//!
//! With `--issuer` (Other OAuth 2.0), the server's metadata fills what the
//! flags left empty ([`ServerMetadata::fill`]), and each endpoint found is
//! said on stderr, so a person sees where their secret will go.

use crate::cli::AddArgs;
use crate::env::Env;
use crate::exit::Failure;
use crate::output::account_json;
use clap::ValueEnum;
use latch_core::model::{AccountId, ProviderKind};
use latch_core::providers::catalogue::{FieldKind, FieldProblem, Rule};
use latch_core::providers::{AccountDraft, ProviderInfo};
use latch_core::secret::DraftSecret;
use std::io::Write;

pub async fn run(env: &mut Env<'_>, args: AddArgs) -> Result<(), Failure> {
    let latch = env.latch;
    let chosen_id = match &args.id {
        Some(id) => Some(AccountId::parse(id).ok_or_else(|| {
            Failure::usage(format!(
                "`{id}` cannot be an account id: use lower-case letters, digits, `.`, `_` and `-` (at most 64)"
            ))
        })?),
        None => None,
    };
    let mut args = args;
    if args.provider.is_none() {
        args.provider = Some(ask_provider(env)?);
    }
    let mut draft = draft(&args, read_secret(env, &args)?)?;
    if let Some(issuer) = &args.issuer {
        discover_into(env, &mut draft, issuer).await?;
    }
    // On a terminal, what the flags left out is asked for, as gh does.
    if env.stdin_is_terminal && !env.json {
        ask_missing(env, &mut draft, "")?;
    }
    let problems = draft.problems();
    if !problems.is_empty() {
        let said: Vec<String> = problems.iter().map(|p| said(draft.info(), p)).collect();
        return Err(Failure::usage(said.join("\n")));
    }
    let label = draft
        .values
        .get("label")
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    let id = match chosen_id {
        Some(id) => id,
        None => latch.free_id(&label)?,
    };
    if let Some(same) = latch.accounts()?.iter().find(|a| a.label.eq_ignore_ascii_case(&label)) {
        writeln!(
            env.stderr,
            "Note: {} is labelled \"{}\" too; name them apart with `latch rename`.",
            same.id, same.label
        )?;
    }
    let (mut account, secrets) = draft.build(id, latch_core::time::now())?;
    account.store = match &args.store {
        Some(said) => super::store::choice(env, said)?,
        None => None,
    };
    let account = latch.add(account, secrets)?;
    if env.json {
        env.print_json(&account_json(&account, latch_core::time::now()))?;
    } else {
        writeln!(env.stdout, "{}", account.id)?;
        let next = match account.settings.grant() {
            Some(_) => format!("latch connect {}", account.id),
            None => format!("latch link {} --phone <number>", account.id),
        };
        writeln!(
            env.stderr,
            "Added {} ({}). Next: {next}",
            account.label,
            latch_core::Latch::provider_name(&account)
        )?;
        if let Some(jwk) = latch.public_key(&account)? {
            writeln!(
                env.stderr,
                "Register this public key with the server as the client's key (`latch key {}` prints it again):\n{}",
                account.id,
                serde_json::to_string(&jwk).expect("a JWK serializes")
            )?;
        }
        if account.settings.grant() == Some(latch_core::model::Grant::AuthorizationCode)
            && let Some(redirect) = account.settings.redirect_uri()
        {
            writeln!(
                env.stderr,
                "The redirect URI registered with {} must be {redirect}",
                latch_core::Latch::provider_name(&account)
            )?;
        }
    }
    Ok(())
}

/// Fills the draft's empty fields from the issuer's metadata and says
/// what was found, one line per endpoint.
async fn discover_into(env: &mut Env<'_>, draft: &mut AccountDraft, issuer: &str) -> Result<(), Failure> {
    let metadata = env.latch.engine().discover(issuer).await?;
    let filled = metadata.fill(draft)?;
    writeln!(env.stderr, "Discovered {} ({}):", metadata.issuer, metadata.source)?;
    for line in super::discover::endpoint_lines(&metadata) {
        writeln!(env.stderr, "  {line}")?;
    }
    // What the flags set to something else than the server says.
    let kept: Vec<&str> = metadata
        .fields()
        .into_iter()
        .filter(|f| !filled.contains(f) && draft.values.get(f.field).map(|v| v.trim()) != Some(f.value.as_str()))
        .map(|f| f.field)
        .collect();
    if !kept.is_empty() {
        let flags: Vec<String> = kept.iter().map(|f| f.replace('_', "-")).collect();
        writeln!(env.stderr, "  kept from the flags: {}", flags.join(", "))?;
    }
    for note in metadata.notes() {
        writeln!(env.stderr, "  {note}")?;
    }
    Ok(())
}

/// The draft the flags describe. A value clap parsed as a choice goes in
/// under the catalogue's spelling (`authorization_code`).
pub fn draft(args: &AddArgs, secret: Option<String>) -> Result<AccountDraft, Failure> {
    let provider = args.provider.as_deref().unwrap_or_default();
    let kind =
        ProviderKind::from_id(provider).ok_or_else(|| Failure::usage(format!("there is no provider `{provider}`")))?;
    let mut draft = AccountDraft::new(kind);
    let flags: [(&str, Option<String>); 21] = [
        ("label", args.label.clone()),
        ("client_id", args.client_id.clone()),
        ("redirect_uri", args.redirect_uri.clone()),
        ("scopes", args.scopes.clone()),
        ("grant", args.grant.as_ref().map(ChoiceName::name)),
        ("base_url", args.base_url.clone()),
        ("email", args.email.clone()),
        ("environment", args.environment.as_ref().map(ChoiceName::name)),
        ("accounts_url", args.accounts_url.clone()),
        ("onboarding_url", args.onboarding_url.clone()),
        ("reseller_id", args.reseller_id.clone()),
        ("username", args.username.clone()),
        ("api_version", args.api_version.clone()),
        ("issuer", args.issuer.clone()),
        ("authorize_url", args.authorize_url.clone()),
        ("token_url", args.token_url.clone()),
        ("revoke_url", args.revoke_url.clone()),
        ("client_auth", args.client_auth.as_ref().map(ChoiceName::name)),
        ("pkce", args.no_pkce.then(|| "false".to_owned())),
        ("api_url", args.api_url.clone()),
        ("id_instance", args.instance.map(|n| n.to_string())),
    ];
    let info = draft.info();
    for (name, value) in flags {
        let Some(value) = value else { continue };
        if !info.fields.iter().any(|f| f.name == name) {
            let flag = name.replace('_', "-");
            let flag = if name == "id_instance" { "instance".into() } else { flag };
            let flag = if name == "pkce" { "no-pkce".into() } else { flag };
            return Err(Failure::usage(format!("{} takes no --{flag}", info.name)));
        }
        draft.set(name, value);
    }
    if let Some(phone) = &args.phone {
        draft.set("phone", phone.clone());
    }
    for pair in &args.set {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(Failure::usage(format!("--set takes FIELD=VALUE, not `{pair}`")));
        };
        match info.fields.iter().find(|f| f.name == name) {
            Some(field) if field.kind == FieldKind::Secret => {
                return Err(Failure::usage(format!(
                    "{} is a secret: pass it with --secret-stdin or --secret-env, never as a flag",
                    field.label
                )));
            }
            Some(_) => {
                draft.set(name, value);
            }
            None => {
                let names: Vec<&str> = info.fields.iter().map(|f| f.name).collect();
                return Err(Failure::usage(format!(
                    "{} has no field `{name}`; its fields are {}",
                    info.name,
                    names.join(", ")
                )));
            }
        }
    }
    draft.secret = secret.map(DraftSecret::new);
    Ok(draft)
}

/// Asks for each field the draft needs and does not have, in the form's
/// order: on a terminal with its label (a secret without echo), else one
/// line of stdin each. `who` names the account in the prompts (import).
/// An empty answer leaves the field empty, for the problems to say.
fn ask_missing(env: &mut Env, draft: &mut AccountDraft, who: &str) -> Result<(), Failure> {
    let info = draft.info();
    // Asked one at a time: a grant given changes which fields are needed.
    let mut asked: Vec<&str> = Vec::new();
    loop {
        let missing = draft
            .problems()
            .into_iter()
            .find(|p| p.missing && !asked.contains(&p.field));
        let Some(problem) = missing else { return Ok(()) };
        asked.push(problem.field);
        let field = info
            .fields
            .iter()
            .find(|f| f.name == problem.field)
            .expect("a field of the form");
        let prompt = format!("{who}{}: ", field.label);
        if field.kind == FieldKind::Secret {
            let secret = env.ask_secret(&prompt)?;
            if !secret.trim().is_empty() {
                draft.secret = Some(DraftSecret::new(secret));
            }
        } else {
            let value = env.ask(&prompt)?;
            draft.set(field.name, value);
        }
    }
}

/// The provider, asked for on a terminal; a pipe must name it.
fn ask_provider(env: &mut Env) -> Result<String, Failure> {
    let ids: Vec<&str> = latch_core::providers::registry::ALL.iter().map(|k| k.id()).collect();
    if !env.stdin_is_terminal {
        return Err(Failure::usage(format!(
            "name the provider: latch add <{}>",
            ids.join("|")
        )));
    }
    for kind in latch_core::providers::registry::ALL {
        writeln!(env.stderr, "  {:<10} {}", kind.id(), kind.display_name())?;
    }
    loop {
        let answer = env.ask("Provider: ")?;
        let answer = answer.trim();
        if ids.contains(&answer) {
            return Ok(answer.to_owned());
        }
        if answer.is_empty() {
            return Err(Failure::usage("no provider chosen; nothing added"));
        }
        writeln!(env.stderr, "`{answer}` is none of {}.", ids.join(", "))?;
    }
}

/// A clap choice under the catalogue's spelling.
trait ChoiceName {
    fn name(&self) -> String;
}

impl<T: ValueEnum> ChoiceName for T {
    fn name(&self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().replace('-', "_"))
            .unwrap_or_default()
    }
}

/// A problem of the draft in the command line's words: the flag to add.
fn said(info: &ProviderInfo, problem: &FieldProblem) -> String {
    let field = info.fields.iter().find(|f| f.name == problem.field);
    match field {
        Some(field) if field.kind == FieldKind::Secret => format!(
            "{} needs its {}: pass it on stdin with --secret-stdin, or name an environment variable with --secret-env",
            info.name, field.label
        ),
        Some(field) if problem.missing => format!("{} needs --{}", info.name, field.flag()),
        Some(field) if field.rule == Rule::Choice => {
            let choices: Vec<String> = field.options.iter().map(|o| o.value.replace('_', "-")).collect();
            format!(
                "{}: --{} must be one of: {}",
                info.name,
                field.flag(),
                choices.join(", ")
            )
        }
        Some(field) => format!("{}: --{}: {}", info.name, field.flag(), problem.message),
        None => format!("{}: {}", info.name, problem.message),
    }
}

fn read_secret(env: &mut Env, args: &AddArgs) -> Result<Option<String>, Failure> {
    read_secret_from(
        env,
        args.secret_stdin,
        args.secret_env.as_deref(),
        args.private_key_file.as_deref(),
    )
}

/// The account's secret from the first line of stdin, an environment
/// variable or a PEM file (never from a flag, which `ps` shows); `None`
/// when none of them is given.
pub fn read_secret_from(
    env: &mut Env,
    stdin: bool,
    var: Option<&str>,
    file: Option<&std::path::Path>,
) -> Result<Option<String>, Failure> {
    let secret = if let Some(path) = file {
        Some(
            std::fs::read_to_string(path)
                .map_err(|e| Failure::usage(format!("cannot read the private key file {}: {e}", path.display())))?,
        )
    } else if stdin {
        Some(env.read_line()?)
    } else if let Some(var) = var {
        Some(std::env::var(var).map_err(|_| Failure::usage(format!("the environment variable {var} is not set")))?)
    } else {
        None
    };
    match secret {
        Some(s) if s.is_empty() => Err(Failure::usage("the secret is empty")),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::env::testing::{Home, env, parsed};
    use latch_core::model::AccountId;
    use latch_core::store::SecretStore;

    /// Each row: the flags, stdin, and what the verb says: the id on stdout
    /// and the next step on stderr, or the usage error a person reads.
    #[tokio::test]
    async fn add_says_the_next_step_or_which_flag_is_missing() {
        let wordapp = [
            "wordapp",
            "--label",
            "Robot",
            "--grant",
            "client-credentials",
            "--client-id",
            "demo-wordapp-client",
        ];
        let with = |more: &[&'static str]| [&wordapp[..], more].concat();
        // flags, stdin, Ok((stdout, stderr)) or Err(message)
        type Row<'a> = (Vec<&'a str>, &'a str, Result<(&'a str, &'a str), &'a str>);
        let rows: Vec<Row> = vec![
            (
                with(&["--id", "robot", "--secret-stdin"]),
                "demo-wordapp-secret\n",
                Ok(("robot\n", "Added Robot (Wordapp). Next: latch connect robot\n")),
            ),
            (
                vec![
                    "green-api",
                    "--label",
                    "Shop",
                    "--id",
                    "shop",
                    "--instance",
                    "1101000001",
                    "--api-url",
                    "http://127.0.0.1:8974",
                    "--secret-stdin",
                ],
                "token\n",
                Ok((
                    "shop\n",
                    "Added Shop (GREEN-API). Next: latch link shop --phone <number>\n",
                )),
            ),
            (
                vec![
                    "wordapp",
                    "--label",
                    "Writer",
                    "--client-id",
                    "demo-wordapp-client",
                    "--secret-stdin",
                ],
                "demo-wordapp-secret\n",
                Ok((
                    "writer\n",
                    "Added Writer (Wordapp). Next: latch connect writer\n\
                     The redirect URI registered with Wordapp must be app.latch.desktop:/oauth/callback/writer\n",
                )),
            ),
            (
                with(&["--id", "robot2", "--secret-stdin"]),
                "\n",
                Err("the secret is empty"),
            ),
            (
                with(&["--id", "bad id"]),
                "",
                Err("`bad id` cannot be an account id: use lower-case letters, digits, `.`, `_` and `-` (at most 64)"),
            ),
            (
                with(&["--set", "nonsense"]),
                "",
                Err("--set takes FIELD=VALUE, not `nonsense`"),
            ),
            (with(&["--email", "a@b.c"]), "", Err("Wordapp takes no --email")),
            (
                with(&["--issuer", "https://auth.example"]),
                "",
                Err("Wordapp takes no --issuer"),
            ),
        ];
        for (args, stdin, expected) in rows {
            let home = Home::new();
            let (mut env, out) = env(&home.latch, false, stdin, false);
            let result = run(&mut env, *parsed!(Add, &[&["add"], &args[..]].concat())).await;
            match expected {
                Ok((stdout, stderr)) => {
                    result.unwrap_or_else(|f| panic!("{args:?}: {}", f.message));
                    assert_eq!(out.stdout.text(), stdout, "{args:?}");
                    assert_eq!(out.stderr.text(), stderr, "{args:?}");
                    let id = AccountId::parse(stdout.trim_end()).unwrap();
                    let secrets = home.secrets.get(&id).unwrap().expect("its secrets are stored");
                    let stored = secrets
                        .client_secret
                        .map(|s| s.secret().to_owned())
                        .or(secrets.api_token.map(|t| t.secret().to_owned()));
                    assert_eq!(
                        stored.as_deref(),
                        Some(stdin.trim_end()),
                        "{args:?}: the secret from stdin"
                    );
                }
                Err(message) => {
                    let failure = result.expect_err(message);
                    assert_eq!(failure.status, crate::exit::USAGE, "{args:?}");
                    assert_eq!(failure.message, message, "{args:?}");
                    assert_eq!(out.stdout.text(), "", "{args:?}");
                    assert!(home.latch.accounts().unwrap().is_empty(), "{args:?}: nothing added");
                }
            }
        }
    }

    fn oauth2_robot(more: &[&'static str]) -> Vec<&'static str> {
        let flags = [
            "add",
            "oauth2",
            "--label",
            "Robot",
            "--id",
            "robot",
            "--grant",
            "client-credentials",
            "--token-url",
            "https://auth.example/token",
            "--client-id",
            "robot-client",
        ];
        [&flags[..], more].concat()
    }

    #[tokio::test]
    async fn private_key_jwt_makes_a_key_pair_and_shows_the_public_key_to_register() {
        let home = Home::new();
        let (mut env, out) = env(&home.latch, false, "", false);
        run(
            &mut env,
            *parsed!(Add, &oauth2_robot(&["--client-auth", "private-key-jwt"])),
        )
        .await
        .unwrap();
        let secrets = home.secrets.get(&AccountId::parse("robot").unwrap()).unwrap().unwrap();
        let pem = secrets.private_key.expect("a private key in the keyring");
        assert!(pem.secret().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert!(secrets.client_secret.is_none());
        let stderr = out.stderr.text();
        let jwk_line = stderr.lines().find(|l| l.starts_with('{')).expect("the JWK is shown");
        let jwk: serde_json::Value = serde_json::from_str(jwk_line).unwrap();
        assert_eq!((jwk["kty"].as_str(), jwk["crv"].as_str()), (Some("EC"), Some("P-256")));
        assert!(jwk.get("d").is_none(), "no private part: {stderr}");
        assert!(stderr.contains("latch key robot"), "{stderr}");
    }

    #[tokio::test]
    async fn private_key_jwt_takes_a_pem_from_a_file_and_refuses_one_it_cannot_use() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("key.pem");
        std::fs::write(&good, latch_core::jose::generate_key().unwrap().secret()).unwrap();
        let bad = dir.path().join("cert.pem");
        std::fs::write(&bad, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
        let (good, bad) = (good.to_str().unwrap().to_owned(), bad.to_str().unwrap().to_owned());

        let home = Home::new();
        let (mut verb_env, _) = env(&home.latch, false, "", false);
        let args = oauth2_robot(&["--client-auth", "private-key-jwt", "--private-key-file"]);
        run(&mut verb_env, *parsed!(Add, &[&args[..], &[good.as_str()]].concat()))
            .await
            .unwrap();
        let stored = home.secrets.get(&AccountId::parse("robot").unwrap()).unwrap().unwrap();
        assert_eq!(
            stored.private_key.unwrap().secret(),
            std::fs::read_to_string(&good).unwrap().trim(),
            "the given key, not a new one"
        );

        let home = Home::new();
        let (mut env, _) = env(&home.latch, false, "", false);
        let failure = run(&mut env, *parsed!(Add, &[&args[..], &[bad.as_str()]].concat()))
            .await
            .unwrap_err();
        assert!(failure.message.contains("not a private key"), "{}", failure.message);
        assert!(home.latch.accounts().unwrap().is_empty(), "nothing added");
    }

    #[tokio::test]
    async fn client_secret_jwt_needs_the_secret() {
        let home = Home::new();
        let (mut env, _) = env(&home.latch, false, "", false);
        let failure = run(&mut env, *parsed!(Add, &oauth2_robot(&["--client-auth", "secret-jwt"])))
            .await
            .unwrap_err();
        assert!(
            failure
                .message
                .contains("client_secret_jwt signs with the client secret"),
            "{}",
            failure.message
        );
    }

    /// Issue 19: `add` said one missing flag at a time.
    #[tokio::test]
    async fn every_missing_flag_is_said_at_once() {
        let home = Home::new();
        let (mut env, _) = env(&home.latch, false, "", false);
        let failure = run(
            &mut env,
            *parsed!(Add, &["add", "wordapp", "--grant", "client-credentials"]),
        )
        .await
        .unwrap_err();
        let lines: Vec<&str> = failure.message.lines().collect();
        assert_eq!(
            lines,
            [
                "Wordapp needs --label",
                "Wordapp needs --client-id",
                "Wordapp needs its Secret Key (client_secret): pass it on stdin with --secret-stdin, or name an environment variable with --secret-env",
            ]
        );
        assert!(home.latch.accounts().unwrap().is_empty());
    }

    /// On a terminal, `add` asks for what the flags left out, as gh does.
    #[tokio::test]
    async fn on_a_terminal_add_asks_for_each_missing_field() {
        // Each test runs in a process of its own (nextest): the variable is this test's.
        unsafe { std::env::set_var("LATCH_TEST_ADD_SECRET", "demo-wordapp-secret") };
        let home = Home::new();
        let (mut env, out) = env(&home.latch, false, "Robot\ndemo-wordapp-client\n", true);
        let words = [
            "add",
            "wordapp",
            "--grant",
            "client-credentials",
            "--secret-env",
            "LATCH_TEST_ADD_SECRET",
        ];
        run(&mut env, *parsed!(Add, &words)).await.unwrap();
        assert_eq!(out.stdout.text(), "robot\n");
        assert!(
            out.stderr
                .text()
                .starts_with("Name in Latch: API Key (client_id): Added Robot (Wordapp)."),
            "{}",
            out.stderr.text()
        );
        let robot = home.latch.find("robot").unwrap();
        let secrets = home.latch.secrets(&robot).unwrap();
        assert_eq!(secrets.client_secret.unwrap().secret(), "demo-wordapp-secret");
    }

    #[tokio::test]
    async fn a_second_account_with_the_same_label_is_added_with_a_note() {
        let home = Home::new();
        for _ in 0..2 {
            let (mut env, out) = env(&home.latch, false, "demo-wordapp-secret\n", false);
            let words = [
                "add",
                "wordapp",
                "--label",
                "Robot",
                "--grant",
                "client-credentials",
                "--client-id",
                "c",
                "--secret-stdin",
            ];
            run(&mut env, *parsed!(Add, &words)).await.unwrap();
            if home.latch.accounts().unwrap().len() == 2 {
                assert!(
                    out.stderr
                        .text()
                        .starts_with("Note: robot is labelled \"Robot\" too; name them apart with `latch rename`.\n"),
                    "{}",
                    out.stderr.text()
                );
            }
        }
        assert_eq!(home.latch.accounts().unwrap().len(), 2);
    }
}
