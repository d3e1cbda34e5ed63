//! `latch remove`: forget an account locally.

use crate::cli::RemoveArgs;
use crate::env::Env;
use crate::exit::Failure;
use std::io::Write;

pub fn run(env: &mut Env, args: RemoveArgs) -> Result<(), Failure> {
    let account = env.latch.find(&args.account)?;
    let provider = latch_core::Latch::provider_name(&account);
    let question = match (&account.store, args.delete_shared) {
        (None, _) => format!(
            "Remove {} ({})? Its secrets are deleted from the keyring; nothing is sent to {provider}.",
            account.id, account.label
        ),
        (Some(store), false) => format!(
            "Remove {} ({}) from this machine? Its secrets stay in the shared store `{store}` for the other \
             machines (--delete-shared deletes them there too); nothing is sent to {provider}.",
            account.id, account.label
        ),
        (Some(store), true) => format!(
            "Remove {} ({}) and delete its secrets from the shared store `{store}`? Every machine that uses it \
             loses it; nothing is sent to {provider}.",
            account.id, account.label
        ),
    };
    if !env.confirm(&question, args.yes)? {
        return Err(Failure::usage("nothing removed"));
    }
    if account.store.is_some() && args.delete_shared {
        env.latch.store().delete_shared_secrets(&account)?;
    }
    env.latch.remove(&account)?;
    if env.json {
        env.print_json(&serde_json::json!({ "account": account.id, "removed": true }))?;
    } else {
        writeln!(env.stderr, "Removed {}.", account.id)?;
    }
    Ok(())
}
