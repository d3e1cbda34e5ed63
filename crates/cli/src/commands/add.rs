//! `latch add <provider>`: an account from flags. Its one secret (client
//! secret, Wazzup partner password, GREEN-API apiTokenInstance) comes from
//! stdin or a named environment variable — never a flag, which `ps` shows.

use crate::cli::{AddArgs, ClientAuthArg, EnvironmentArg, GrantArg, ProviderArg};
use crate::exit::Failure;
use crate::output::{account_json, print_json};
use latch_core::accounts::Latch;
use latch_core::model::*;
use latch_core::secret::{ApiToken, ClientSecret, Password};

pub fn run(latch: &Latch, args: AddArgs, json: bool) -> Result<(), Failure> {
    let id = match &args.id {
        Some(id) => AccountId::parse(id).ok_or_else(|| {
            Failure::usage(format!(
                "`{id}` cannot be an account id: use lower-case letters, digits, `.`, `_` and `-` (at most 64)"
            ))
        })?,
        None => latch.free_id(&args.label)?,
    };
    let secret = read_secret(&args)?;
    let (settings, secrets) = settings(&args, secret)?;
    let account = Account {
        id,
        label: args.label.clone(),
        settings,
        status: AccountStatus::NotConnected,
        token: None,
        created_at: latch_core::time::now(),
    };
    let account = latch.add(account, secrets)?;
    if json {
        print_json(&account_json(&account, latch_core::time::now()));
    } else {
        println!("{}", account.id);
        let next = match account.settings.grant() {
            Some(_) => format!("latch connect {}", account.id),
            None => format!("latch link {} --phone <number>", account.id),
        };
        eprintln!(
            "Added {} ({}). Next: {next}",
            account.label,
            account.provider().display_name()
        );
    }
    Ok(())
}

fn read_secret(args: &AddArgs) -> Result<Option<String>, Failure> {
    let secret = if args.secret_stdin {
        Some(super::read_line()?)
    } else if let Some(var) = &args.secret_env {
        Some(std::env::var(var).map_err(|_| Failure::usage(format!("the environment variable {var} is not set")))?)
    } else {
        None
    };
    match secret {
        Some(s) if s.is_empty() => Err(Failure::usage("the secret is empty")),
        other => Ok(other),
    }
}

fn need<'a>(value: &'a Option<String>, flag: &str, provider: &str) -> Result<&'a str, Failure> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| Failure::usage(format!("{provider} needs --{flag}")))
}

fn need_secret(secret: Option<String>, what: &str, provider: &str) -> Result<String, Failure> {
    secret.ok_or_else(|| {
        Failure::usage(format!(
            "{provider} needs its {what}: pass it on stdin with --secret-stdin, or name an environment variable with --secret-env"
        ))
    })
}

fn scopes(args: &AddArgs, default: &[&str]) -> Vec<String> {
    match &args.scopes {
        Some(s) => s
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        None => default.iter().map(|s| s.to_string()).collect(),
    }
}

fn grant(arg: Option<GrantArg>, default: Grant) -> Grant {
    match arg {
        None => default,
        Some(GrantArg::AuthorizationCode) => Grant::AuthorizationCode,
        Some(GrantArg::Password) => Grant::Password,
        Some(GrantArg::ClientCredentials) => Grant::ClientCredentials,
    }
}

fn settings(args: &AddArgs, secret: Option<String>) -> Result<(ProviderSettings, AccountSecrets), Failure> {
    let mut secrets = AccountSecrets::default();
    let settings = match args.provider {
        ProviderArg::Wazzup => {
            let grant = grant(args.grant, Grant::AuthorizationCode);
            if grant == Grant::Password {
                return Err(Failure::usage(
                    "Wazzup has no password grant: use authorization-code or client-credentials",
                ));
            }
            let email = need(&args.email, "email", "Wazzup")?;
            let password = need_secret(secret, "partner password", "Wazzup")?;
            secrets.partner_login = Some(PartnerLogin {
                email: email.to_owned(),
                password: Password::new(password),
            });
            ProviderSettings::Wazzup(WazzupSettings {
                base_url: args
                    .base_url
                    .clone()
                    .unwrap_or_else(|| "https://tech.wazzup24.com".into()),
                client_id: need(&args.client_id, "client-id", "Wazzup")?.to_owned(),
                redirect_uri: match grant {
                    Grant::AuthorizationCode => need(&args.redirect_uri, "redirect-uri", "Wazzup")?.to_owned(),
                    _ => args.redirect_uri.clone().unwrap_or_default(),
                },
                scopes: scopes(args, &["transport", "crm"]),
                grant,
            })
        }
        ProviderArg::Payu => {
            secrets.client_secret = Some(ClientSecret::new(need_secret(secret, "client_secret", "PayU")?));
            ProviderSettings::Payu(PayuSettings {
                environment: match args.environment {
                    EnvironmentArg::Uat => PayuEnvironment::Uat,
                    EnvironmentArg::Production => PayuEnvironment::Production,
                },
                accounts_url: args.accounts_url.clone(),
                onboarding_url: args.onboarding_url.clone(),
                client_id: need(&args.client_id, "client-id", "PayU")?.to_owned(),
                redirect_uri: need(&args.redirect_uri, "redirect-uri", "PayU")?.to_owned(),
                reseller_id: args.reseller_id.clone(),
            })
        }
        ProviderArg::Wordapp => {
            let grant = grant(args.grant, Grant::AuthorizationCode);
            if grant != Grant::Password || secret.is_some() {
                secrets.client_secret = Some(ClientSecret::new(need_secret(secret, "client_secret", "Wordapp")?));
            }
            if grant != Grant::Password {
                need(&args.client_id, "client-id", "Wordapp")?;
            }
            if grant == Grant::AuthorizationCode {
                need(&args.redirect_uri, "redirect-uri", "Wordapp")?;
            }
            ProviderSettings::Wordapp(WordappSettings {
                base_url: args
                    .base_url
                    .clone()
                    .unwrap_or_else(|| "https://app.wordapp.com".into()),
                grant,
                client_id: args.client_id.clone(),
                redirect_uri: args.redirect_uri.clone(),
                username: args.username.clone(),
                api_version: args.api_version.clone(),
            })
        }
        ProviderArg::Oauth2 => {
            let grant = grant(args.grant, Grant::AuthorizationCode);
            if let Some(secret) = secret {
                secrets.client_secret = Some(ClientSecret::new(secret));
            }
            ProviderSettings::Oauth2(OAuth2Settings {
                authorize_url: match grant {
                    Grant::AuthorizationCode => need(&args.authorize_url, "authorize-url", "OAuth 2.0")?.to_owned(),
                    _ => args.authorize_url.clone().unwrap_or_default(),
                },
                token_url: need(&args.token_url, "token-url", "OAuth 2.0")?.to_owned(),
                revoke_url: args.revoke_url.clone(),
                client_id: need(&args.client_id, "client-id", "OAuth 2.0")?.to_owned(),
                client_auth: match args.client_auth {
                    ClientAuthArg::Basic => ClientAuth::Basic,
                    ClientAuthArg::Body => ClientAuth::Body,
                },
                redirect_uri: match grant {
                    Grant::AuthorizationCode => need(&args.redirect_uri, "redirect-uri", "OAuth 2.0")?.to_owned(),
                    _ => args.redirect_uri.clone().unwrap_or_default(),
                },
                scopes: scopes(args, &[]),
                pkce: !args.no_pkce,
                grant,
            })
        }
        ProviderArg::GreenApi => {
            secrets.api_token = Some(ApiToken::new(need_secret(secret, "apiTokenInstance", "GREEN-API")?));
            ProviderSettings::GreenApi(GreenApiSettings {
                api_url: need(&args.api_url, "api-url", "GREEN-API")?.to_owned(),
                id_instance: args
                    .instance
                    .ok_or_else(|| Failure::usage("GREEN-API needs --instance (the idInstance)"))?,
                phone: args.phone.clone(),
            })
        }
    };
    Ok((settings, secrets))
}
