//! `latch remove`: forget an account locally.

use crate::cli::ConfirmArgs;
use crate::env::Env;
use crate::exit::Failure;
use std::io::Write;

pub fn run(env: &mut Env, args: ConfirmArgs) -> Result<(), Failure> {
    let account = env.latch.find(&args.account)?;
    let question = format!(
        "Remove {} ({})? Its secrets are deleted from the keyring; nothing is sent to {}.",
        account.id,
        account.label,
        latch_core::Latch::provider_name(&account)
    );
    if !env.confirm(&question, args.yes)? {
        return Err(Failure::usage("nothing removed"));
    }
    env.latch.remove(&account)?;
    if env.json {
        env.print_json(&serde_json::json!({ "account": account.id, "removed": true }))?;
    } else {
        writeln!(env.stderr, "Removed {}.", account.id)?;
    }
    Ok(())
}
