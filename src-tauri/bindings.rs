//! The TypeScript types of everything that crosses the window's IPC, made
//! from the Rust types by ts-rs and checked in under `ui/src/lib/bindings/`,
//! where `ui/src/lib/ipc.ts` imports them. The test below renders them all
//! and fails when the checked-in files differ, so a Rust type cannot change
//! without the UI's type check seeing it. To write them again:
//!
//! ```text
//! scripts/bindings        # UPDATE_BINDINGS=1 cargo test -p latch-desktop --lib bindings
//! ```
//!
//! `catalogue.json` beside them is the provider catalogue
//! (`latch_core::providers::catalogue`), which the page imports: its
//! provider picker, connect forms and defaults are the core's, checked here
//! the same way.
//!
//! What is listed here is what the page may receive or send. Types that hold
//! a secret (`TokenSet`, `AccountSecrets`, the `secret` module's types) have
//! no TypeScript type at all: the page never gets one.

use crate::callback::ConnectFinished;
use crate::commands::{CodeShown, ConnectStarted, Discovered, ImportOutcome, ImportPlan, InstanceReport, LinkFinished};
use latch_core::Account;
use latch_core::details::Details;
use latch_core::error::ErrorReport;
use latch_core::model::ProviderKind;
use latch_core::providers::catalogue::FieldProblem;
use latch_core::providers::{AccountDraft, ProviderInfo, registry};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::{Config, TS};

/// Where the checked-in bindings live.
fn checked_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src/lib/bindings")
}

/// How to write the bindings again, as the failure says it.
const REGENERATE: &str = "scripts/bindings (or: UPDATE_BINDINGS=1 cargo test -p latch-desktop --lib bindings)";

/// Every binding, by file name, as ts-rs writes it. Times and GREEN-API's
/// instance id are `i64`/`u64` in Rust and plain JSON numbers on the wire
/// (well below 2^53), so they are `number`, not ts-rs's default `bigint`.
fn render() -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cfg = Config::new().with_large_int("number").with_out_dir(dir.path());
    // The roots: command answers and arguments, event payloads, errors. What
    // they refer to (settings, status, token meta, error kinds) comes along.
    Account::export_all(&cfg).unwrap();
    AccountDraft::export_all(&cfg).unwrap();
    ProviderInfo::export_all(&cfg).unwrap();
    FieldProblem::export_all(&cfg).unwrap();
    ProviderKind::export_all(&cfg).unwrap();
    ConnectStarted::export_all(&cfg).unwrap();
    Discovered::export_all(&cfg).unwrap();
    ConnectFinished::export_all(&cfg).unwrap();
    InstanceReport::export_all(&cfg).unwrap();
    CodeShown::export_all(&cfg).unwrap();
    LinkFinished::export_all(&cfg).unwrap();
    Details::export_all(&cfg).unwrap();
    ImportPlan::export_all(&cfg).unwrap();
    ImportOutcome::export_all(&cfg).unwrap();
    ErrorReport::export_all(&cfg).unwrap();
    let mut files = read_ts(dir.path());
    // The catalogue itself: the picker, the connect forms and their defaults
    // come from the core's registry, compiled into the page.
    let catalogue = serde_json::to_string_pretty(&registry::ALL.map(registry::entry)).unwrap();
    files.insert(CATALOGUE.into(), catalogue + "\n");
    files
}

/// The catalogue's file among the bindings.
const CATALOGUE: &str = "catalogue.json";

fn read_ts(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    let mut files = BTreeMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        assert!(path.is_file(), "bindings are flat files: {}", path.display());
        let name = entry.file_name().into_string().expect("a UTF-8 file name");
        if name.ends_with(".ts") || name == CATALOGUE {
            files.insert(name, std::fs::read_to_string(&path).expect("a readable binding"));
        }
    }
    files
}

#[test]
fn bindings_are_up_to_date() {
    let rendered = render();
    let dir = checked_in();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for stale in read_ts(&dir).keys().filter(|name| !rendered.contains_key(*name)) {
            std::fs::remove_file(dir.join(stale)).unwrap();
        }
        for (name, text) in &rendered {
            std::fs::write(dir.join(name), text).unwrap();
        }
        return;
    }
    let on_disk = read_ts(&dir);
    let names = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&on_disk),
        names(&rendered),
        "the bindings in ui/src/lib/bindings/ are not the ones the Rust types make; run {REGENERATE}"
    );
    for (name, text) in &rendered {
        assert!(
            on_disk[name] == *text,
            "ui/src/lib/bindings/{name} is stale: the Rust type changed; run {REGENERATE}\n--- checked in\n{}\n--- from the Rust types\n{text}",
            on_disk[name]
        );
    }
}

/// No binding is a secret's. The secret types are not `TS` at all, so a
/// type holding one could not be listed above without failing to compile;
/// this checks that no file and no import names one either.
#[test]
fn no_binding_describes_a_secret() {
    let rendered = render();
    assert!(rendered.contains_key("Account.ts") && rendered.contains_key("ErrorReport.ts"));
    let secrets = [
        "TokenSet",
        "AccountSecrets",
        "PendingSecrets",
        "PartnerLogin",
        "AccessToken",
        "RefreshToken",
        "ClientSecret",
        "Password",
        "ApiToken",
        "PkceVerifier",
        "State",
        "AuthorizationCode",
    ];
    for (name, text) in &rendered {
        for secret in secrets {
            assert_ne!(name.as_str(), format!("{secret}.ts"), "a binding for {secret}");
            assert!(
                !text.contains(&format!("import type {{ {secret} }}")),
                "{name} refers to {secret}"
            );
        }
    }
}
