//! `latch remove`: forget an account locally.

use crate::cli::ConfirmArgs;
use crate::exit::Failure;
use crate::output::print_json;
use latch_core::Latch;

pub fn run(latch: &Latch, args: ConfirmArgs, json: bool) -> Result<(), Failure> {
    let account = latch.find(&args.account)?;
    let question = format!(
        "Remove {} ({})? Its secrets are deleted from the keyring; nothing is sent to {}.",
        account.id,
        account.label,
        account.provider().display_name()
    );
    if !super::confirm(&question, args.yes)? {
        return Err(Failure::usage("nothing removed"));
    }
    latch.remove(&account)?;
    if json {
        print_json(&serde_json::json!({ "account": account.id, "removed": true }));
    } else {
        eprintln!("Removed {}.", account.id);
    }
    Ok(())
}
