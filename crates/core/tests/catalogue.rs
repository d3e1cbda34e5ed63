//! The provider catalogue is the one source of what a provider's form has:
//! walked here for every provider in the registry.

use latch_core::model::{AccountId, Grant, ProviderKind};
use latch_core::providers::catalogue::{FieldKind, Rule, When};
use latch_core::providers::{AccountDraft, registry};
use latch_sandbox::DemoCredentials;
use latch_sandbox::demo::{self, BaseUrls};

const REDIRECT: &str = "app.latch.desktop:/oauth/callback";

/// A complete draft for every provider and each of its grants.
fn complete_drafts() -> Vec<AccountDraft> {
    let urls = BaseUrls::of_ports(latch_sandbox::Ports::FIXED);
    let d = DemoCredentials::default();
    let mut drafts = vec![demo::payu(&urls, &d, REDIRECT), demo::green_api(&urls, &d)];
    for grant in [Grant::AuthorizationCode, Grant::ClientCredentials] {
        drafts.push(demo::wazzup(&urls, &d, REDIRECT, grant));
    }
    for grant in [Grant::AuthorizationCode, Grant::Password, Grant::ClientCredentials] {
        drafts.push(demo::wordapp(&urls, &d, REDIRECT, grant));
        drafts.push(demo::oauth2(&urls, &d, REDIRECT, "basic", true, grant));
    }
    drafts
}

fn id() -> AccountId {
    AccountId::parse("a").unwrap()
}

#[test]
fn every_provider_in_the_registry_has_one_catalogue_entry_that_names_it_everywhere() {
    let drafts = complete_drafts();
    for kind in registry::ALL {
        let info = registry::entry(kind);
        assert_eq!(info.kind, kind);
        assert_eq!(ProviderKind::from_id(info.id), Some(kind), "{}", info.id);
        assert_eq!(kind.display_name(), info.name);
        assert!(!info.blurb.is_empty(), "{}", info.name);
        assert_eq!(
            info.fields[0].name, "label",
            "{}: every form starts with its name",
            info.name
        );
        let draft = drafts
            .iter()
            .find(|d| d.provider == kind)
            .unwrap_or_else(|| panic!("{} has a demo draft", info.name));
        let (account, _) = draft.build(id(), 0).unwrap();
        let provider = account.settings.provider();
        assert_eq!(provider.kind(), kind);
        // Other OAuth 2.0 is named by its server's address, the others as
        // the catalogue names them.
        let expected = match kind {
            ProviderKind::Oauth2 => match &account.settings {
                latch_core::model::ProviderSettings::Oauth2(s) => {
                    let url = url::Url::parse(s.issuer.as_deref().unwrap_or(&s.token_url)).unwrap();
                    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
                }
                _ => unreachable!(),
            },
            _ => info.name.to_owned(),
        };
        assert_eq!(
            provider.name(),
            expected,
            "the account's provider names itself as Latch names it everywhere"
        );
        assert_eq!(
            provider.grant().is_none(),
            info.grants.is_empty(),
            "{}: grants offered iff the provider has OAuth tokens",
            info.name
        );
        assert!(
            provider.revoke_consequence().ends_with('.'),
            "{}: {}",
            info.name,
            provider.revoke_consequence()
        );
    }
}

#[test]
fn a_complete_draft_builds_settings_with_its_values_and_secret() {
    for draft in complete_drafts() {
        assert_eq!(draft.problems(), vec![], "{:?}", draft.provider);
        let (account, secrets) = draft.build(id(), 7).unwrap();
        assert_eq!(account.created_at, 7);
        assert_eq!(account.settings.kind(), draft.provider);
        assert_eq!(account.settings.grant(), draft.grant());
        let secret = draft.secret.as_ref().unwrap().secret();
        let stored = serde_json::to_string(&secrets).unwrap();
        assert!(
            stored.contains(secret),
            "{:?}: the secret reaches the account's secrets",
            draft.provider
        );
        let settings = serde_json::to_string(&account.settings).unwrap();
        assert!(
            !settings.contains(secret),
            "{:?}: the secret stays out of the settings",
            draft.provider
        );
    }
}

#[test]
fn each_required_field_left_empty_is_named_and_nothing_else() {
    for draft in complete_drafts() {
        let info = draft.info();
        let grant = draft.grant();
        for field in info.fields.iter().filter(|f| f.required.holds(grant)) {
            let mut without = draft.clone();
            match field.kind {
                FieldKind::Secret => without.secret = None,
                _ => {
                    without.values.remove(field.name);
                }
            }
            let problems = without.problems();
            if field.default.is_some() {
                assert_eq!(
                    problems,
                    vec![],
                    "{}.{} falls back to its default",
                    info.name,
                    field.name
                );
                continue;
            }
            assert_eq!(problems.len(), 1, "{}.{}: {problems:?}", info.name, field.name);
            assert_eq!(problems[0].field, field.name);
            assert!(problems[0].missing);
            assert_eq!(problems[0].message, format!("{} is needed.", field.label));
            let e = without.build(id(), 0).unwrap_err();
            assert_eq!(e.to_string(), format!("{}: {} is needed.", info.name, field.label));
        }
    }
}

#[test]
fn each_rule_refuses_a_value_that_breaks_it_with_the_fields_own_words() {
    for draft in complete_drafts() {
        let info = draft.info();
        let grant = draft.grant();
        for field in info
            .fields
            .iter()
            .filter(|f| f.rule != Rule::Any && f.shown.holds(grant))
        {
            let mut bad = draft.clone();
            bad.set(field.name, "not valid here");
            let problems = bad.problems();
            assert_eq!(problems.len(), 1, "{}.{}: {problems:?}", info.name, field.name);
            assert_eq!(problems[0].field, field.name);
            assert!(!problems[0].missing);
            if field.rule != Rule::Choice {
                assert_eq!(problems[0].message, field.problem, "{}.{}", info.name, field.name);
            }
        }
    }
}

#[test]
fn the_forms_of_the_old_window_and_cli_now_agree() {
    let urls = BaseUrls::of_ports(latch_sandbox::Ports::FIXED);
    let d = DemoCredentials::default();
    // The window asked for an `@` in Wazzup's e-mail and the CLI did not: now both do.
    let mut wazzup = demo::wazzup(&urls, &d, REDIRECT, Grant::AuthorizationCode);
    wazzup.set("email", "partner");
    assert_eq!(
        wazzup.problems()[0].message,
        "Enter the e-mail you log in to Wazzup with."
    );
    // Wazzup has no password grant, whichever front end asks.
    wazzup.set("email", "partner@example.com").set("grant", "password");
    assert_eq!(
        wazzup.problems()[0].message,
        "How to sign in must be one of: authorization_code, client_credentials."
    );
    // A client-credentials Wazzup account needs no redirect URI.
    let mut machine = demo::wazzup(&urls, &d, "", Grant::ClientCredentials);
    machine.values.remove("redirect_uri");
    assert_eq!(machine.problems(), vec![]);
    // Defaults come from the catalogue: PayU starts on UAT, OAuth 2.0 with PKCE and Basic.
    let mut oauth = AccountDraft::new(ProviderKind::Oauth2);
    oauth
        .set("label", "O")
        .set("token_url", "https://as.example/token")
        .set("authorize_url", "https://as.example/authorize")
        .set("client_id", "c");
    let (account, _) = oauth.build(id(), 0).unwrap();
    let json = serde_json::to_value(&account.settings).unwrap();
    assert_eq!(json["pkce"], true);
    assert_eq!(json["client_auth"], "basic");
    assert_eq!(
        json["redirect_uri"], "app.latch.desktop:/oauth/callback/a",
        "the default redirect is the account's own"
    );
    let payu = demo::payu(&urls, &d, REDIRECT);
    assert!(!payu.values.contains_key("environment"));
    let json = serde_json::to_value(&payu.build(id(), 0).unwrap().0.settings).unwrap();
    assert_eq!(json["environment"], "uat");
}

#[test]
fn fields_shown_only_with_some_grants_are_not_asked_for_with_others() {
    let wordapp = registry::entry(ProviderKind::Wordapp);
    let username = wordapp.fields.iter().find(|f| f.name == "username").unwrap();
    assert_eq!(username.shown, When::Grants(&[Grant::Password]));
    let mut draft = AccountDraft::new(ProviderKind::Wordapp);
    draft.set("label", "W").set("grant", "password");
    let names: Vec<&str> = draft.problems().iter().map(|p| p.field).collect();
    assert_eq!(names, ["username"], "no client or redirect for the password grant");
}

/// Issue 15 item 5: every provider's default redirect (the connect form's,
/// left as it is) is an address of the account's own, and `{account}` in a
/// typed one becomes the id too; an address typed without it is kept as it
/// is (accounts made before keep working).
#[test]
fn each_account_gets_a_redirect_address_of_its_own() {
    for mut draft in complete_drafts() {
        if draft.grant() != Some(Grant::AuthorizationCode) {
            continue;
        }
        draft.values.remove("redirect_uri");
        let (account, _) = draft.build(AccountId::parse("acme-2").unwrap(), 0).unwrap();
        assert_eq!(
            account.settings.redirect_uri(),
            Some("app.latch.desktop:/oauth/callback/acme-2"),
            "{:?}",
            draft.provider
        );
        draft.set("redirect_uri", "http://127.0.0.1:8976/callback/{account}");
        let (account, _) = draft.build(AccountId::parse("acme-2").unwrap(), 0).unwrap();
        assert_eq!(
            account.settings.redirect_uri(),
            Some("http://127.0.0.1:8976/callback/acme-2")
        );
        draft.set("redirect_uri", REDIRECT);
        let (account, _) = draft.build(id(), 0).unwrap();
        assert_eq!(account.settings.redirect_uri(), Some(REDIRECT));
    }
}

/// Issue 15 item 11: every provider's authorization request carries an S256
/// challenge and keeps its verifier, unless an Other OAuth 2.0 account has
/// PKCE off — and `uses_pkce` says which, for what `latch connect` tells.
#[test]
fn every_authorization_sends_s256_pkce_unless_turned_off() {
    let state = latch_core::secret::State::new("s");
    for draft in complete_drafts() {
        if draft.grant() != Some(Grant::AuthorizationCode) {
            continue;
        }
        let (account, _) = draft.build(id(), 0).unwrap();
        let provider = account.settings.provider();
        let authorization = provider.authorize(&state).unwrap();
        let method = authorization
            .url
            .query_pairs()
            .find(|(k, _)| k == "code_challenge_method")
            .map(|(_, v)| v.into_owned());
        assert!(provider.uses_pkce(), "{:?}", draft.provider);
        assert_eq!(method.as_deref(), Some("S256"), "{:?}", draft.provider);
        assert!(authorization.verifier.is_some(), "{:?}", draft.provider);
        assert!(latch_core::signin::without_pkce(&account).is_none());
    }
    let urls = BaseUrls::of_ports(latch_sandbox::Ports::FIXED);
    let draft = demo::oauth2(
        &urls,
        &DemoCredentials::default(),
        REDIRECT,
        "basic",
        false,
        Grant::AuthorizationCode,
    );
    let (account, _) = draft.build(id(), 0).unwrap();
    let provider = account.settings.provider();
    assert!(!provider.uses_pkce());
    let authorization = provider.authorize(&state).unwrap();
    assert!(authorization.verifier.is_none());
    assert!(!authorization.url.query().unwrap().contains("code_challenge"));
    let warning = latch_core::signin::without_pkce(&account).unwrap();
    assert!(
        warning.starts_with("PKCE is off for a: whoever sees the authorization code"),
        "{warning}"
    );
}

/// The issuer is a URL, and `require_iss` needs one: without an issuer
/// there is nothing to require `iss` to match.
#[test]
fn an_oauth2_issuer_is_checked_and_require_iss_needs_it() {
    let urls = BaseUrls::of_ports(latch_sandbox::Ports::FIXED);
    let mut draft = demo::oauth2(
        &urls,
        &DemoCredentials::default(),
        REDIRECT,
        "basic",
        true,
        Grant::AuthorizationCode,
    );
    draft.set("issuer", "not a url");
    assert_eq!(draft.problems()[0].field, "issuer");
    draft.set("issuer", "").set("require_iss", "true");
    let e = draft.build(id(), 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Other OAuth 2.0: enter the issuer too: Latch can only insist that the server names itself when it knows which name to expect."
    );
    draft.set("issuer", "https://as.example");
    let (account, _) = draft.build(id(), 0).unwrap();
    let json = serde_json::to_value(&account.settings).unwrap();
    assert_eq!(json["issuer"], "https://as.example");
    assert_eq!(json["require_iss"], true);
}
