//! Test helper: uses the OS keyring in a process of its own, so that a test
//! can give it a broken environment (no D-Bus session, no Secret Service, a
//! locked keyring) and read what a person would read.
//!
//! `latch-store-probe get|put` connects and reads or writes one entry; it
//! prints `ok`, or `unavailable: <message>` (exit 2), or `error: <message>`
//! (exit 3).
//!
//! `latch-store-probe check` runs `KeyringStore::check` on a store that
//! connects at its first use, and prints the same as `get`.
//!
//! `latch-store-probe diagnose` runs `latch doctor`'s keyring question
//! (`KeyringStore::diagnose`): it prints `ok`, or the trouble's parts on
//! lines of their own (`trouble: <kind>`, `found: …`, `fix: …`,
//! `detail: …`) and exits 4.
//!
//! `latch-store-probe home` prints where the store would live here.
//!
//! `latch-store-probe story <home> <account>` reads a secret prefix from
//! stdin and plays a person's story: connect an account, refresh it several
//! times, list it, remove it — printing what the CLI would print (accounts,
//! secrets through their redacting `Debug`), so a test can scan the output and
//! the data directory for secret values.

#[path = "../support/mod.rs"]
mod support;

use latch_core::AccountStatus;
use latch_core::store::{KeyringStore, KeyringTrouble, SecretStore, SecretStoreError, Store, StoreError};
use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("get") => probe(false),
        Some("put") => probe(true),
        Some("check") => KeyringStore::lazy().check().map_err(StoreError::from),
        Some("diagnose") => return diagnose(),
        Some("story") => story(&args[1], &args[2]),
        Some("home") => Store::default_home().map(|home| println!("{}", home.display())),
        _ => panic!("usage: latch-store-probe get|put|check|diagnose|home|story <home> <account>"),
    };
    match result {
        Ok(()) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(StoreError::Secrets(SecretStoreError::Unavailable(message))) => {
            println!("unavailable: {message}");
            ExitCode::from(2)
        }
        Err(other) => {
            println!("error: {other}");
            ExitCode::from(3)
        }
    }
}

fn diagnose() -> ExitCode {
    match KeyringStore::diagnose() {
        Ok(()) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(KeyringTrouble {
            kind,
            found,
            fix,
            detail,
        }) => {
            println!("trouble: {kind:?}\nfound: {found}\nfix: {fix}\ndetail: {detail}");
            ExitCode::from(4)
        }
    }
}

fn probe(write: bool) -> Result<(), StoreError> {
    let keyring = KeyringStore::connect()?;
    let id = support::id(&format!("latch-probe-{}", std::process::id()));
    if write {
        keyring.put(&id, &support::secrets("probe", 0, 0))?;
        keyring.delete(&id)?;
    } else {
        keyring.get(&id)?;
    }
    Ok(())
}

fn story(home: &str, account: &str) -> Result<(), StoreError> {
    let mut prefix = String::new();
    std::io::stdin().read_to_string(&mut prefix).expect("prefix on stdin");
    let prefix = prefix.trim();
    let store = Store::open(Some(home.into()), Store::default_secret_store()?)?;
    let id = support::id(account);
    store.upsert_account(&support::account(account))?;
    for generation in 0..5 {
        let _guard = store.lock_account(&id)?;
        let before = store.secrets(&id)?;
        eprintln!("refreshing {id}: had {before:?}");
        let secrets = support::secrets(prefix, generation, support::now() + 3600);
        store.put_secrets(&id, &secrets)?;
        let mut account = store.account(&id)?.expect("account");
        account.status = AccountStatus::Connected;
        store.upsert_account(&account)?;
        println!("refreshed: {:?}", store.secrets(&id)?);
    }
    println!("accounts: {:?}", store.accounts()?);
    store.remove_account(&id)?;
    assert!(store.secrets(&id)?.is_none(), "secrets outlived their account");
    Ok(())
}
