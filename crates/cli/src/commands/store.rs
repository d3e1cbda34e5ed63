//! `latch store`: the named OpenBao / HashiCorp Vault stores that accounts
//! can keep their secrets in, shared with servers and colleagues. A store's
//! settings (address, mount, prefix, namespace) are in the index; its
//! credential is in the keyring (`latch store login`) or, on a server with
//! no keyring, in the environment (`VAULT_TOKEN`, or `VAULT_ROLE_ID` and
//! `VAULT_SECRET_ID`), and is never in an argv: a token and a secret id are
//! read from stdin.

use crate::cli::{StoreAddArgs, StoreCommand, StoreCredentialArgs, StoreLoginArgs};
use crate::env::Env;
use crate::exit::Failure;
use latch_core::model::AccountId;
use latch_core::secret::{VaultSecretId, VaultToken};
use latch_core::store::VaultCredential;
use latch_core::store::index::NamedStore;
use std::io::Write;

pub fn run(env: &mut Env, command: StoreCommand) -> Result<(), Failure> {
    match command {
        StoreCommand::Add(args) => add(env, args),
        StoreCommand::List => list(env),
        StoreCommand::Login(args) => login(env, args),
        StoreCommand::Attach { store, account } => attach(env, &store, &account),
        StoreCommand::Remove { name } => remove(env, &name),
    }
}

fn add(env: &mut Env, args: StoreAddArgs) -> Result<(), Failure> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let address = args.address.or_else(|| from_env("VAULT_ADDR")).ok_or_else(|| {
        Failure::usage("give the server's address with --address https://host:8200 (or set VAULT_ADDR)")
    })?;
    let named = NamedStore {
        name: args.name.clone(),
        address: address.trim().to_owned(),
        mount: args.mount,
        prefix: args.prefix,
        namespace: args.namespace.or_else(|| from_env("VAULT_NAMESPACE")),
    };
    NamedStore::check_name(&named.name).map_err(Failure::usage)?;
    let settings = named.settings().map_err(|e| Failure::usage(e.to_string()))?;
    let named = NamedStore {
        address: settings.origin(),
        mount: settings.mount.clone(),
        prefix: settings.prefix.clone(),
        namespace: settings.namespace.clone(),
        ..named
    };
    env.latch
        .store()
        .put_store(&named)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let saved = save_credential(env, &named.name, &args.login)?;
    if env.json {
        env.print_json(
            &serde_json::json!({ "store": named.name, "address": named.address, "credential_saved": saved }),
        )?;
    } else {
        writeln!(
            env.stderr,
            "Added the store `{}` ({}, {}/{}).",
            named.name, named.address, named.mount, named.prefix
        )?;
        let in_env = ["VAULT_TOKEN", "VAULT_SECRET_ID"].iter().any(|v| from_env(v).is_some());
        if !saved && in_env {
            writeln!(
                env.stderr,
                "Its credential comes from this environment (VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID) \
                 wherever Latch runs with it."
            )?;
        } else if !saved {
            writeln!(
                env.stderr,
                "Give it a credential: `latch store login {} --token-stdin` (saved in the keyring), or set \
                 VAULT_TOKEN where Latch runs.",
                named.name
            )?;
        }
    }
    Ok(())
}

fn login(env: &mut Env, args: StoreLoginArgs) -> Result<(), Failure> {
    if !env.latch.store().stores()?.iter().any(|s| s.name == args.name) {
        return Err(Failure::usage(format!(
            "there is no store `{}`; `latch store list` shows them",
            args.name
        )));
    }
    if !save_credential(env, &args.name, &args.login)? {
        return Err(Failure::usage(
            "give --token-stdin, or --role-id ROLE_ID with the secret id on stdin",
        ));
    }
    // Say now whether it works, not at the first refresh.
    let store = env.latch.store().vault(&args.name)?;
    store.check().map_err(|e| Failure::usage(e.to_string()))?;
    writeln!(
        env.stderr,
        "Saved the credential of `{}` in the keyring; the server accepts it.",
        args.name
    )?;
    Ok(())
}

/// Reads a token (or an AppRole's secret id) from stdin and saves it in the
/// keyring; `false` when the flags ask for none.
fn save_credential(env: &mut Env, name: &str, args: &StoreCredentialArgs) -> Result<bool, Failure> {
    let credential = if args.token_stdin {
        let token = env.ask_secret("Vault token: ")?;
        if token.trim().is_empty() {
            return Err(Failure::usage("no token on stdin"));
        }
        VaultCredential::Token {
            token: VaultToken::new(token.trim()),
        }
    } else if let Some(role_id) = &args.role_id {
        let secret = env.ask_secret("AppRole secret id: ")?;
        if secret.trim().is_empty() {
            return Err(Failure::usage("no secret id on stdin"));
        }
        VaultCredential::AppRole {
            role_id: role_id.trim().to_owned(),
            secret_id: VaultSecretId::new(secret.trim()),
            mount: args.approle_mount.clone(),
        }
    } else {
        return Ok(false);
    };
    env.latch.store().keyring().put_vault_credential(name, &credential)?;
    env.latch.store().forget_vault(name);
    Ok(true)
}

fn list(env: &mut Env) -> Result<(), Failure> {
    let stores = env.latch.store().stores()?;
    let accounts = env.latch.accounts()?;
    let users = |name: &str| -> Vec<String> {
        accounts
            .iter()
            .filter(|a| a.store.as_deref() == Some(name))
            .map(|a| a.id.to_string())
            .collect()
    };
    if env.json {
        let list: Vec<serde_json::Value> = stores
            .iter()
            .map(|s| serde_json::json!({ "name": s.name, "address": s.address, "mount": s.mount, "prefix": s.prefix, "namespace": s.namespace, "accounts": users(&s.name) }))
            .collect();
        return env.print_json(&list);
    }
    if stores.is_empty() {
        writeln!(
            env.stderr,
            "No shared stores; every account keeps its secrets in the OS keyring. Add one with `latch store add NAME --address https://…`."
        )?;
        return Ok(());
    }
    for s in &stores {
        let used = users(&s.name);
        writeln!(
            env.stdout,
            "{}\t{}\t{}/{}\t{}",
            s.name,
            s.address,
            s.mount,
            s.prefix,
            if used.is_empty() {
                "-".to_owned()
            } else {
                used.join(",")
            }
        )?;
    }
    Ok(())
}

fn attach(env: &mut Env, store: &str, account: &str) -> Result<(), Failure> {
    let id = AccountId::parse(account).ok_or_else(|| Failure::usage(format!("`{account}` is not an account id")))?;
    let account = env.latch.attach(store, &id)?;
    if env.json {
        env.print_json(&crate::output::account_json(&account, latch_core::time::now()))?;
    } else {
        writeln!(
            env.stderr,
            "Added {} ({}), shared through the store `{store}`: its secrets stay there.",
            account.id, account.label
        )?;
    }
    Ok(())
}

fn remove(env: &mut Env, name: &str) -> Result<(), Failure> {
    let removed = env
        .latch
        .store()
        .remove_store(name)
        .map_err(|e| Failure::usage(e.to_string()))?;
    if !removed {
        return Err(Failure::usage(format!("there is no store `{name}`")));
    }
    writeln!(
        env.stderr,
        "Removed the store `{name}` and its saved credential; nothing in Vault was touched."
    )?;
    Ok(())
}

/// What `--store` says: `team` or `vault:team`, a named store that exists;
/// `keyring`, the OS keyring (`None`).
pub fn choice(env: &Env, said: &str) -> Result<Option<String>, Failure> {
    let said = said.trim();
    if said == "keyring" {
        return Ok(None);
    }
    let name = said.strip_prefix("vault:").unwrap_or(said);
    if env.latch.store().stores()?.iter().any(|s| s.name == name) {
        Ok(Some(name.to_owned()))
    } else {
        Err(Failure::usage(format!(
            "there is no store `{name}`: add it with `latch store add {name} --address https://…` (`latch store list` shows them), or say `keyring`"
        )))
    }
}
