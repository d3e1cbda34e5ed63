//! The Vault store against a real OpenBao dev server (`bao server -dev`,
//! `latch_sandbox::harness::bao`), set up as an operator sets one up for
//! Latch: a narrow policy on `secret/data/latch/*` and an AppRole. Each test
//! has its own server. Without OpenBao installed these tests fail and say to
//! run `scripts/setup --test`.

mod support;

use latch_core::http::HttpConfig;
use latch_core::secret::{VaultSecretId, VaultToken};
use latch_core::store::{SecretStore, SecretStoreError, VaultAuth, VaultError, VaultSettings, VaultStore};
use latch_sandbox::harness::bao::{Bao, LATCH_POLICY, Operator};
use latch_sandbox::harness::free_port;
use std::sync::{Arc, Barrier};
use std::time::Duration;
use support::{id, secrets};

fn http() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    }
}

fn store_at(address: &str, mount: &str, auth: VaultAuth) -> VaultStore {
    let settings = VaultSettings::new(address, mount, "latch", None).expect("good settings");
    VaultStore::new(settings, auth, http()).expect("the store is made")
}

fn with_token(address: &str, token: &str) -> VaultStore {
    store_at(address, "secret", VaultAuth::Token(VaultToken::new(token)))
}

fn started() -> (Bao, Operator) {
    let bao = Bao::start();
    let operator = bao.operator_setup();
    (bao, operator)
}

fn vault_error(e: SecretStoreError) -> VaultError {
    match e {
        SecretStoreError::Vault(e) => e,
        other => panic!("expected a Vault error, got {other:?}"),
    }
}

#[test]
fn secrets_go_in_and_come_back_out_and_delete_removes_every_version() {
    let (bao, operator) = started();
    let store = with_token(&operator.address, &operator.token);
    let account = id("wazzup-main");
    assert_eq!(store.get(&account).unwrap(), None, "nothing there yet");
    assert_eq!(store.get_versioned(&account).unwrap(), (None, 0));

    let first = secrets("vault-rt", 1, 2_000_000_000);
    store.put(&account, &first).unwrap();
    assert_eq!(store.get_versioned(&account).unwrap(), (Some(first.clone()), 1));
    let second = secrets("vault-rt", 2, 2_000_000_000);
    store.put(&account, &second).unwrap();
    assert_eq!(store.get_versioned(&account).unwrap(), (Some(second.clone()), 2));

    // As an operator sees it: one KV v2 secret holding the JSON of the secrets.
    let field = bao.ok(&["kv", "get", "-field=tokens", "secret/latch/wazzup-main"], None);
    assert!(field.contains("vault-rt-access-2"), "{field}");

    store.delete(&account).unwrap();
    assert_eq!(
        store.get_versioned(&account).unwrap(),
        (None, 0),
        "no version left to read back"
    );
    let out = bao.run(&["kv", "metadata", "get", "secret/latch/wazzup-main"], None);
    assert!(
        !out.status.success(),
        "the metadata went too, and with it every old version"
    );
    store.delete(&account).unwrap();
}

#[test]
fn two_writers_at_the_same_version_exactly_one_wins() {
    let (_bao, operator) = started();
    let account = id("wordapp-shared");
    let store = Arc::new(with_token(&operator.address, &operator.token));
    assert_eq!(
        store.put_cas(&account, &secrets("seed", 0, 2_000_000_000), 0).unwrap(),
        1
    );
    let e = store
        .put_cas(&account, &secrets("late", 0, 2_000_000_000), 0)
        .unwrap_err();
    assert!(e.is_conflict(), "creating what exists is a conflict: {e}");

    for round in 1..=5u32 {
        let (_, version) = store.get_versioned(&account).unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let writers: Vec<_> = ["machine-a", "machine-b"]
            .into_iter()
            .map(|who| {
                // Each "machine" has its own client and its own login.
                let mine = with_token(&operator.address, &operator.token);
                let (barrier, account) = (barrier.clone(), account.clone());
                std::thread::spawn(move || {
                    let wrote = secrets(who, round, 2_000_000_000);
                    barrier.wait();
                    let result = mine.put_cas(&account, &wrote, version);
                    (who, result, wrote)
                })
            })
            .collect();
        let results: Vec<_> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        let winners: Vec<_> = results.iter().filter(|(_, r, _)| r.is_ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one write lands: {results:?}");
        // What the winner wrote, as it wrote it (its `obtained_at` is the
        // second it was made, which a set made again later may not share).
        let (new_version, written) = (*winners[0].1.as_ref().unwrap(), winners[0].2.clone());
        assert_eq!(new_version, version + 1);
        let loser = results.iter().find(|(_, r, _)| r.is_err()).unwrap();
        let e = loser.1.as_ref().unwrap_err();
        assert!(e.is_conflict(), "{e}");
        assert!(
            e.to_string().contains(&format!("after Latch read version {version}")),
            "{e}"
        );
        let (now, at) = store.get_versioned(&account).unwrap();
        assert_eq!((now, at), (Some(written), version + 1));
    }
}

#[test]
fn an_app_role_logs_in_and_logs_in_again_once_its_token_is_revoked() {
    let (bao, operator) = started();
    let auth = VaultAuth::app_role(operator.role_id.clone(), VaultSecretId::new(operator.secret_id.clone()));
    assert!(
        !format!("{auth:?}").contains(&operator.secret_id),
        "Debug hides the secret id"
    );
    let store = store_at(&operator.address, "secret", auth);
    let account = id("payu-prod");
    let before = tokens(&bao);
    store.put(&account, &secrets("approle", 1, 2_000_000_000)).unwrap();
    assert_eq!(store.get(&account).unwrap(), Some(secrets("approle", 1, 2_000_000_000)));
    assert_eq!(tokens(&bao), before + 1, "one login, kept for every call after it");

    // The operator revokes every token the AppRole gave: the store logs in again.
    bao.ok(&["token", "revoke", "-mode=path", "auth/approle/login"], None);
    assert_eq!(tokens(&bao), before, "the store's token is gone");
    store.put(&account, &secrets("approle", 2, 2_000_000_000)).unwrap();
    assert_eq!(store.get(&account).unwrap(), Some(secrets("approle", 2, 2_000_000_000)));
    assert_eq!(tokens(&bao), before + 1, "a new login, once");

    // A secret id that was destroyed buys nothing, and the message says what to do.
    let bad = store_at(
        &operator.address,
        "secret",
        VaultAuth::app_role(operator.role_id.clone(), VaultSecretId::new("not-the-secret-id")),
    );
    let e = vault_error(bad.get(&account).unwrap_err());
    assert!(matches!(e, VaultError::BadAppRole { .. }), "{e:?}");
    assert!(e.to_string().contains("refused the AppRole login"), "{e}");
    assert!(e.to_string().contains("ask the operator for a new secret id"), "{e}");
}

/// How many tokens the server holds now.
fn tokens(bao: &Bao) -> usize {
    let listed = bao.ok(&["list", "-format=json", "auth/token/accessors"], None);
    serde_json::from_str::<Vec<String>>(&listed).expect("a JSON list").len()
}

#[test]
fn a_sealed_server_says_so_and_how_to_unseal_it() {
    let (bao, operator) = started();
    let store = with_token(&operator.address, &operator.token);
    let account = id("sealed-one");
    store.put(&account, &secrets("sealed", 1, 2_000_000_000)).unwrap();
    bao.seal();
    let e = vault_error(store.get(&account).unwrap_err());
    assert_eq!(
        e,
        VaultError::Sealed {
            address: operator.address.clone()
        }
    );
    assert!(e.to_string().contains("is sealed"), "{e}");
    assert!(e.to_string().contains("bao operator unseal"), "{e}");
    let e = vault_error(store.put(&account, &secrets("sealed", 2, 2_000_000_000)).unwrap_err());
    assert!(matches!(e, VaultError::Sealed { .. }), "{e:?}");
}

#[test]
fn an_unreachable_server_is_named_by_its_address() {
    let address = format!("http://127.0.0.1:{}", free_port());
    let store = with_token(&address, "any-token");
    let e = vault_error(store.get(&id("anything")).unwrap_err());
    assert!(
        matches!(&e, VaultError::Unreachable { address: a, .. } if *a == address),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("Latch cannot reach OpenBao/Vault at {address}")),
        "{e}"
    );
    assert!(!e.to_string().contains("any-token"));
}

#[test]
fn a_bad_or_revoked_token_is_called_invalid_or_expired() {
    let (bao, operator) = started();
    let bad = with_token(&operator.address, "s.not-a-real-token");
    let e = vault_error(bad.get(&id("x")).unwrap_err());
    assert!(matches!(e, VaultError::BadToken { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("refused the token Latch was given as invalid or expired"),
        "{e}"
    );
    assert!(!e.to_string().contains("s.not-a-real-token"), "never the token itself");

    // A token that worked and was revoked since: the same sentence.
    let store = with_token(&operator.address, &operator.token);
    store.put(&id("x"), &secrets("revoked", 1, 2_000_000_000)).unwrap();
    // (The token on the operator's stdin, not in an argv.)
    bao.ok(&["write", "auth/token/revoke", "token=-"], Some(&operator.token));
    let e = vault_error(store.get(&id("x")).unwrap_err());
    assert!(matches!(e, VaultError::BadToken { .. }), "{e:?}");
}

#[test]
fn a_policy_without_write_names_the_capability_and_the_path() {
    let (bao, operator) = started();
    bao.policy(
        "latch-read-only",
        r#"
path "secret/data/latch/*" { capabilities = ["read"] }
path "secret/metadata/latch/*" { capabilities = ["read"] }
"#,
    );
    let token = bao.token(&["latch-read-only"]);
    let store = with_token(&operator.address, &token);
    let account = id("read-only");
    assert_eq!(store.get(&account).unwrap(), None, "reading is allowed");
    let e = vault_error(store.put(&account, &secrets("ro", 1, 2_000_000_000)).unwrap_err());
    assert_eq!(
        e.to_string(),
        "The Vault token may not create and update `secret/data/latch/read-only` (its policies allow read \
         there); ask the Vault operator to grant \"create and update\" on \"secret/data/latch/read-only\" in \
         Latch's policy."
    );
    let e = vault_error(store.delete(&account).unwrap_err());
    assert!(
        e.to_string()
            .starts_with("The Vault token may not delete `secret/metadata/latch/read-only`"),
        "{e}"
    );

    // Latch's own policy: everything it needs on its prefix, nothing beside it.
    let store = with_token(&operator.address, &operator.token);
    store.put(&account, &secrets("rw", 1, 2_000_000_000)).unwrap();
    let other_prefix = VaultStore::new(
        VaultSettings::new(&operator.address, "secret", "not-latch", None).unwrap(),
        VaultAuth::Token(VaultToken::new(operator.token.clone())),
        http(),
    )
    .unwrap();
    let e = vault_error(other_prefix.get(&account).unwrap_err());
    assert!(
        e.to_string().starts_with(
            "The Vault token may not read `secret/data/not-latch/read-only` (its policies allow nothing there)"
        ),
        "{e}"
    );
    assert!(LATCH_POLICY.contains("secret/data/latch/*"));
}

#[test]
fn a_kv_version_1_mount_is_refused_before_anything_is_written() {
    let (bao, _operator) = started();
    bao.ok(&["secrets", "enable", "-version=1", "-path=kv1", "kv"], None);
    let store = store_at(
        bao.address(),
        "kv1",
        VaultAuth::Token(VaultToken::new(bao.root_token())),
    );
    let e = vault_error(store.put(&id("v1"), &secrets("v1", 1, 2_000_000_000)).unwrap_err());
    assert_eq!(
        e,
        VaultError::NotKv2 {
            address: bao.address().to_owned(),
            mount: "kv1".into(),
            found: "1".into()
        }
    );
    assert!(e.to_string().contains("bao kv enable-versioning kv1/"), "{e}");
    let listed = bao.run(&["kv", "list", "kv1/"], None);
    assert!(!listed.status.success(), "nothing was written to the v1 mount");

    let store = store_at(
        bao.address(),
        "nothing-here",
        VaultAuth::Token(VaultToken::new(bao.root_token())),
    );
    let e = vault_error(store.get(&id("v1")).unwrap_err());
    assert!(matches!(e, VaultError::NoMount { .. }), "{e:?}");
}

#[test]
fn debug_shows_where_the_store_is_never_its_token() {
    let store = with_token("http://127.0.0.1:8200", "s.very-secret-token");
    let shown = format!("{store:?}");
    assert!(
        shown.contains("http://127.0.0.1:8200") && shown.contains("token"),
        "{shown}"
    );
    assert!(!shown.contains("very-secret"), "{shown}");
}

#[test]
fn a_namespace_is_sent_with_every_request_and_keeps_its_secrets_apart() {
    let bao = Bao::start();
    bao.ok(&["namespace", "create", "team"], None);
    bao.ok(
        &[
            "secrets",
            "enable",
            "-namespace=team",
            "-version=2",
            "-path=secret",
            "kv",
        ],
        None,
    );
    let root = || VaultAuth::Token(VaultToken::new(bao.root_token()));
    let settings = VaultSettings::new(bao.address(), "secret", "latch", Some("team")).unwrap();
    let team = VaultStore::new(settings, root(), http()).unwrap();
    let account = id("shared");
    team.put(&account, &secrets("team", 1, 2_000_000_000)).unwrap();
    assert_eq!(team.get(&account).unwrap(), Some(secrets("team", 1, 2_000_000_000)));

    let field = bao.ok(
        &["kv", "get", "-namespace=team", "-field=tokens", "secret/latch/shared"],
        None,
    );
    assert!(field.contains("team-access-1"), "{field}");
    let outside = store_at(bao.address(), "secret", root());
    assert_eq!(
        outside.get(&account).unwrap(),
        None,
        "the root namespace has its own secret/"
    );
}
