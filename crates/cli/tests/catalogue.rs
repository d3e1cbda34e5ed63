//! `latch add` validates with the core's catalogue: for every provider in the
//! registry, what it says is missing or wrong is what the catalogue says, in
//! the command line's words (the flag to add). Nothing here needs the
//! keyring: a refused draft never reaches it.

use latch_core::model::ProviderKind;
use latch_core::providers::catalogue::FieldKind;
use latch_core::providers::{AccountDraft, registry};
use std::process::{Command, Output};

fn latch(args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latch"));
    cmd.args(args).env("LATCH_HOME", home.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("latch runs")
}

fn said(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

/// Issue 19: every missing field at once, not one per try.
#[test]
fn latch_add_names_the_flag_of_every_field_the_catalogue_finds_missing() {
    for kind in registry::ALL {
        let info = registry::entry(kind);
        let mut draft = AccountDraft::new(kind);
        draft.set("label", "L");
        let problems = draft.problems();
        assert!(!problems.is_empty(), "a draft with only a label lacks something");
        let out = latch(&["add", info.id, "--label", "L"], &[]);
        assert_eq!(out.status.code(), Some(2), "{}: {}", info.id, said(&out));
        let lines: Vec<String> = problems
            .iter()
            .map(|problem| {
                let field = info.fields.iter().find(|f| f.name == problem.field).unwrap();
                match field.kind {
                    FieldKind::Secret => format!(
                        "{} needs its {}: pass it on stdin with --secret-stdin, or name an environment variable with --secret-env",
                        info.name, field.label
                    ),
                    _ => format!("{} needs --{}", info.name, field.flag()),
                }
            })
            .collect();
        assert_eq!(said(&out), format!("latch: {}", lines.join("\n")), "{}", info.id);
    }
}

#[test]
fn latch_add_refuses_what_the_window_refuses_in_the_same_words() {
    let mut draft = AccountDraft::new(ProviderKind::Wazzup);
    draft.set("label", "L").set("client_id", "c").set("email", "partner");
    draft.secret = Some(latch_core::secret::DraftSecret::new("pw"));
    let problem = &draft.problems()[0];
    assert_eq!(problem.field, "email");
    let out = latch(
        &[
            "add",
            "wazzup",
            "--label",
            "L",
            "--client-id",
            "c",
            "--email",
            "partner",
            "--secret-env",
            "PW",
        ],
        &[("PW", "pw")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(said(&out), format!("latch: Wazzup: --email: {}", problem.message));
}

#[test]
fn latch_add_takes_only_the_providers_in_the_registry() {
    let out = latch(&["add", "acme", "--label", "L"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let ids: Vec<&str> = registry::ALL.iter().map(|k| k.id()).collect();
    assert!(said(&out).contains(&ids.join(", ")), "{}", said(&out));
}

#[test]
fn a_secret_is_never_a_flag_even_through_set() {
    let out = latch(&["add", "payu", "--label", "L", "--set", "secret=s3cr3t"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        said(&out).contains("is a secret: pass it with --secret-stdin or --secret-env"),
        "{}",
        said(&out)
    );
    let out = latch(&["add", "payu", "--label", "L", "--set", "colour=blue"], &[]);
    assert!(
        said(&out).starts_with("latch: PayU has no field `colour`; its fields are label, environment"),
        "{}",
        said(&out)
    );
}
