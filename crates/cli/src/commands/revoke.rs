//! `latch revoke`: revoke at the provider where it can, delete locally.

use crate::cli::ConfirmArgs;
use crate::exit::Failure;
use crate::output::print_json;
use latch_core::Latch;
use latch_core::flows::RevokeOutcome;

pub async fn run(latch: &Latch, args: ConfirmArgs, json: bool) -> Result<(), Failure> {
    let account = latch.find(&args.account)?;
    let provider = Latch::provider_name(&account);
    let question = format!(
        "{} Revoke {}?",
        account.settings.provider().revoke_consequence(),
        account.id
    );
    if !super::confirm(&question, args.yes)? {
        return Err(Failure::usage("nothing revoked"));
    }
    let outcome = latch.revoke(&account).await?;
    let message = outcome.message(provider);
    if json {
        let name = match outcome {
            RevokeOutcome::Revoked => "revoked",
            RevokeOutcome::NotSupported { .. } => "not-supported",
            RevokeOutcome::StillValid => "still-valid",
            RevokeOutcome::NothingToRevoke => "nothing-to-revoke",
        };
        print_json(&serde_json::json!({ "account": account.id, "outcome": name, "message": message }));
    } else {
        eprintln!("{message}");
    }
    if outcome == RevokeOutcome::StillValid {
        return Err(Failure {
            status: crate::exit::PROVIDER,
            message,
        });
    }
    Ok(())
}
