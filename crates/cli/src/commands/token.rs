//! `latch token`, `latch header`, `latch refresh`.
//!
//! The token goes to stdout and nowhere else: no log line, no stderr.

use crate::exit::Failure;
use crate::output::{expires_in, print_json, token_json};
use latch_core::Latch;

pub async fn token(latch: &Latch, name: &str, json: bool) -> Result<(), Failure> {
    let account = latch.find(name)?;
    let tokens = latch.valid_token(&account).await?;
    if json {
        print_json(&token_json(&account, &tokens));
    } else {
        println!("{}", tokens.access_token.secret());
    }
    Ok(())
}

pub async fn header(latch: &Latch, name: &str, json: bool) -> Result<(), Failure> {
    let account = latch.find(name)?;
    let tokens = latch.valid_token(&account).await?;
    let header = format!("Authorization: Bearer {}", tokens.access_token.secret());
    if json {
        print_json(&serde_json::json!({ "account": account.id, "header": header }));
    } else {
        println!("{header}");
    }
    Ok(())
}

pub async fn refresh(latch: &Latch, name: &str, json: bool) -> Result<(), Failure> {
    let account = latch.find(name)?;
    let tokens = latch.refresh(&account).await?;
    if json {
        print_json(&serde_json::json!({
            "account": account.id,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope,
        }));
    } else {
        eprintln!(
            "Refreshed {}: expires in {}.",
            account.id,
            expires_in(tokens.expires_at, latch_core::time::now())
        );
    }
    Ok(())
}
