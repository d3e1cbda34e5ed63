//! Test helper: rewrites the index in a tight loop until killed.
//!
//! `latch-store-index-writer <home>` prints `writing` once the first write is
//! done, then keeps changing the account list (adding, relabelling, removing)
//! through `Store` — the same path as the product — so that a SIGKILL lands
//! at every stage of a write. Each label carries the generation it was
//! written in, so the test can check that what it loads is one whole version.

#[path = "../support/mod.rs"]
mod support;

use latch_core::store::{MemoryStore, Store};
use std::io::Write;
use std::sync::Arc;

fn main() {
    let home = std::env::args_os()
        .nth(1)
        .expect("usage: latch-store-index-writer <home>");
    let store = Store::open(Some(home.into()), Arc::new(MemoryStore::new())).expect("open store");
    // Go on from the last generation on disk, so generations count every
    // write across all the writers the test kills.
    let mut generation: u64 = store
        .accounts()
        .expect("accounts")
        .iter()
        .filter_map(|a| a.label.split_whitespace().nth(1)?.parse().ok())
        .max()
        .unwrap_or(0);
    let mut announced = false;
    loop {
        generation += 1;
        let slot = generation % 7;
        let mut account = support::account(&format!("acct-{slot}"));
        account.label = format!("generation {generation} {}", "x".repeat((generation % 300) as usize));
        if generation.is_multiple_of(5) {
            store.remove_account(&account.id).expect("remove");
        } else {
            store.upsert_account(&account).expect("upsert");
        }
        if !announced {
            println!("writing");
            std::io::stdout().flush().expect("flush");
            announced = true;
        }
    }
}
