//! Changing an existing account's settings by the names of its connect
//! form's fields (`latch edit ID --set token_url=…`), the one way both
//! front ends change an account after it was added.
//!
//! The catalogue says which fields a provider has and the rule each value
//! must follow; the settings are changed through their serialized form, so a
//! field is a setting exactly when the settings type has it, and nothing
//! here knows a provider. Secrets are not edited here: they never pass
//! through a command line, and the account's keyring entry keeps them.
//! Where the new settings send the secrets to another server, the caller
//! asks the person first ([`crate::Latch::edit`] refuses otherwise).

use super::catalogue::{FieldKind, LABEL};
use super::registry;
use crate::error::Error;
use crate::model::{Account, ProviderSettings};
use serde_json::Value;

/// The account with `changes` (field name → value) applied; an empty value
/// clears an optional setting. Each value is checked against its field's
/// rule; a field the provider does not have, a secret, or a value the
/// settings cannot hold is refused with a sentence naming the field.
pub fn edited(account: &Account, changes: &[(String, String)]) -> Result<Account, Error> {
    let info = registry::entry(account.provider());
    let mut edited = account.clone();
    let mut settings = serde_json::to_value(&account.settings).expect("settings serialize");
    for (name, value) in changes {
        let value = value.trim();
        if name == LABEL.name {
            if value.is_empty() {
                return Err(Error::InvalidInput("The label cannot be empty.".into()));
            }
            edited.label = value.to_owned();
            continue;
        }
        let Some(field) = info.fields.iter().find(|f| f.name == name) else {
            let names: Vec<&str> = info
                .fields
                .iter()
                .filter(|f| f.kind != FieldKind::Secret)
                .map(|f| f.name)
                .collect();
            return Err(Error::InvalidInput(format!(
                "A {} account has no field `{name}`; the fields are {}.",
                info.name,
                names.join(", ")
            )));
        };
        if field.kind == FieldKind::Secret {
            return Err(Error::InvalidInput(format!(
                "`{name}` is a secret and is never changed from the command line; remove the account and add it again to replace it."
            )));
        }
        if !value.is_empty() && !field.rule.accepts(value, field.options) {
            let problem = field.rule.explain(value).unwrap_or_else(|| field.problem.to_owned());
            return Err(Error::InvalidInput(format!("{}: {problem}", field.label)));
        }
        // A form field the settings do not keep (Wazzup's login e-mail lives
        // with its password in the keyring) would be dropped without a word.
        if settings.get(name.as_str()).is_none() && !keeps(&settings, name, field.kind) {
            return Err(Error::InvalidInput(format!(
                "`{name}` is kept in the keyring with the account's secret; remove the account and add it again to change it."
            )));
        }
        let object = settings.as_object_mut().expect("settings are an object");
        let typed = typed(object.get(name), field.kind, value);
        object.insert(name.clone(), typed);
        let read: ProviderSettings = serde_json::from_value(settings.clone()).map_err(|_| {
            Error::InvalidInput(format!(
                "{}: \"{value}\" is not a value this setting can hold.",
                field.label
            ))
        })?;
        settings = serde_json::to_value(&read).expect("settings serialize");
    }
    edited.settings = serde_json::from_value(settings).expect("settings read back");
    Ok(edited)
}

/// The fields of the account's form that [`edited`] can change, with their
/// values now as a form shows them (a list comma-separated, a flag
/// `true`/`false`), in the form's order: the label, and every field that is
/// not a secret and that the settings keep.
pub fn editable(account: &Account) -> Vec<(String, String)> {
    let info = registry::entry(account.provider());
    let settings = serde_json::to_value(&account.settings).expect("settings serialize");
    let mut values = Vec::new();
    for field in info.fields {
        if field.name == LABEL.name {
            values.push((field.name.to_owned(), account.label.clone()));
            continue;
        }
        if field.kind == FieldKind::Secret {
            continue;
        }
        match settings.get(field.name) {
            Some(value) => values.push((field.name.to_owned(), shown(value))),
            // An optional setting that is not set: the settings keep it if
            // a value put there survives a round trip.
            None if keeps(&settings, field.name, field.kind) => {
                let unset = if field.kind == FieldKind::Checkbox { "false" } else { "" };
                values.push((field.name.to_owned(), unset.to_owned()));
            }
            None => {}
        }
    }
    values
}

fn keeps(settings: &Value, name: &str, kind: FieldKind) -> bool {
    let mut probe = settings.clone();
    probe[name] = typed(None, kind, "true");
    serde_json::from_value::<ProviderSettings>(probe)
        .ok()
        .and_then(|read| serde_json::to_value(read).ok())
        .is_some_and(|back| back.get(name).is_some())
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join(","),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The value in the type the setting has now: a list is comma-separated, a
/// flag `true`/`false`, a number digits; an empty value clears it.
fn typed(current: Option<&Value>, kind: FieldKind, value: &str) -> Value {
    if value.is_empty() {
        return match current {
            Some(Value::Array(_)) => Value::Array(Vec::new()),
            _ => Value::Null,
        };
    }
    // An unset checkbox (left out of the settings when false) is still a flag.
    let current = match (current, kind) {
        (None, FieldKind::Checkbox) => Some(&Value::Bool(false)),
        (current, _) => current,
    };
    match current {
        Some(Value::Array(_)) => Value::Array(
            value
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        Some(Value::Bool(_)) => match value {
            "true" | "yes" | "on" => Value::Bool(true),
            "false" | "no" | "off" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        Some(Value::Number(_)) => value
            .parse::<u64>()
            .map_or_else(|_| Value::String(value.to_owned()), Value::from),
        _ => Value::String(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AccountId;
    use crate::providers::AccountDraft;
    use crate::secret::DraftSecret;

    fn oauth2() -> Account {
        let mut draft = AccountDraft::new(crate::model::ProviderKind::Oauth2);
        draft
            .set("label", "Acme")
            .set("client_id", "c")
            .set("authorize_url", "https://login.acme.example/authorize")
            .set("token_url", "https://api.acme.example/token");
        draft.secret = Some(DraftSecret::new("s"));
        draft.build(AccountId::parse("acme").unwrap(), 0).unwrap().0
    }

    fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fields_change_by_their_form_names_in_their_own_types() {
        let a = oauth2();
        let e = edited(
            &a,
            &set(&[
                ("label", "Acme staging"),
                ("token_url", "https://staging.acme.example/token"),
                ("scopes", "read, write"),
                ("pkce", "false"),
                ("revoke_url", "https://api.acme.example/revoke"),
            ]),
        )
        .unwrap();
        assert_eq!(e.label, "Acme staging");
        let ProviderSettings::Oauth2(s) = &e.settings else {
            panic!()
        };
        assert_eq!(s.token_url, "https://staging.acme.example/token");
        assert_eq!(s.scopes, ["read", "write"]);
        assert!(!s.pkce);
        assert_eq!(s.revoke_url.as_deref(), Some("https://api.acme.example/revoke"));
        let cleared = edited(&e, &set(&[("revoke_url", "")])).unwrap();
        let ProviderSettings::Oauth2(s) = &cleared.settings else {
            panic!()
        };
        assert_eq!(s.revoke_url, None);
    }

    #[test]
    fn the_editable_fields_are_the_forms_without_secrets_with_their_values() {
        let names = |a: &Account| editable(a).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        let a = oauth2();
        let values = editable(&a);
        assert!(values.contains(&("label".into(), "Acme".into())));
        assert!(values.contains(&("token_url".into(), "https://api.acme.example/token".into())));
        assert!(
            values.contains(&("revoke_url".into(), String::new())),
            "optional and unset: {values:?}"
        );
        assert!(values.contains(&("pkce".into(), "true".into())));
        assert!(
            values.contains(&("require_iss".into(), "false".into())),
            "a flag left out when false: {values:?}"
        );
        let strict = edited(
            &a,
            &set(&[("issuer", "https://login.acme.example"), ("require_iss", "true")]),
        )
        .unwrap();
        let ProviderSettings::Oauth2(s) = &strict.settings else {
            panic!()
        };
        assert!(s.require_iss);
        assert_eq!(s.issuer.as_deref(), Some("https://login.acme.example"));
        assert!(!names(&a).contains(&"secret".to_owned()));
        // Every editable field takes its own value back unchanged.
        assert_eq!(edited(&a, &values).unwrap(), a);
        // Wazzup's e-mail is kept with the password, in the keyring.
        let mut draft = AccountDraft::new(crate::model::ProviderKind::Wazzup);
        draft
            .set("label", "W")
            .set("client_id", "c")
            .set("email", "p@example.com");
        draft.secret = Some(DraftSecret::new("pw"));
        let w = draft.build(AccountId::parse("w").unwrap(), 0).unwrap().0;
        assert!(!names(&w).contains(&"email".to_owned()), "{:?}", names(&w));
        let e = edited(&w, &set(&[("email", "q@example.com")])).unwrap_err();
        assert!(e.to_string().contains("is kept in the keyring"), "{e}");
        assert!(names(&w).contains(&"base_url".to_owned()));
        assert_eq!(edited(&w, &editable(&w)).unwrap(), w);
    }

    #[test]
    fn unknown_fields_secrets_and_broken_values_are_refused_by_name() {
        let a = oauth2();
        for (pair, said) in [
            (("colour", "red"), "has no field `colour`"),
            (("secret", "x"), "is a secret and is never changed"),
            (("token_url", "http://tokens.example.com/token"), "Token endpoint"),
            (("grant", "telepathy"), "How to sign in"),
        ] {
            let e = edited(&a, &set(&[pair])).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            assert!(e.to_string().contains(said), "{pair:?}: {e}");
        }
    }
}
