//! A team's accounts as a file it can keep in git: what `latch export`
//! writes and `latch import` (and the window's Export and Import dialogs)
//! read. The file holds each account's id, provider, label and the fields
//! of its connect form, as `latch edit --set` names them — never a secret,
//! never a token (the settings hold none; the keyring keeps them).
//!
//! Reading a file checks every entry before anything is added, through the
//! same draft and rules as adding an account by hand, so that a file with a
//! mistake adds nothing. What the file cannot hold (each account's secret,
//! Wazzup's login e-mail, which the keyring keeps with the password) is
//! asked of the person: [`Planned::asks`] names it, field by field.

use crate::model::{Account, AccountId, ProviderKind};
use crate::providers::AccountDraft;
use crate::providers::catalogue::{Field, FieldKind};
use crate::providers::edit::editable;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a file of Latch's accounts says it is.
pub const KIND: &str = "latch-accounts";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct TransferFile {
    pub kind: String,
    pub version: u32,
    pub accounts: Vec<Entry>,
}

/// One account of the file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub provider: String,
    pub label: String,
    /// The connect form's fields (not the label, not the secret).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}

/// Why a text is not a file of accounts this Latch reads. Shown after the
/// name of what was read ("accounts.json is not …", "The pasted text is not …").
#[derive(Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Not JSON, or not this file's shape; the parser's words.
    NotAnExport(String),
    /// Another kind of file, or another version of this one.
    Foreign { kind: String, version: u32 },
}

impl Unreadable {
    /// The sentence, with `what` (a file's name, "The pasted text") first.
    pub fn describe(&self, what: &str) -> String {
        match self {
            Self::NotAnExport(why) => format!("{what} is not a file Latch exported: {why}"),
            Self::Foreign { kind, version } => {
                format!("{what} is a `{kind}` file, version {version}; this Latch reads `{KIND}` version {VERSION}")
            }
        }
    }
}

impl TransferFile {
    /// The file of these accounts, in this order.
    pub fn of(accounts: &[Account]) -> Self {
        Self {
            kind: KIND.into(),
            version: VERSION,
            accounts: accounts
                .iter()
                .map(|account| Entry {
                    id: account.id.to_string(),
                    provider: account.provider().id().to_owned(),
                    label: account.label.clone(),
                    settings: editable(account)
                        .into_iter()
                        .filter(|(name, _)| name != "label")
                        .collect(),
                })
                .collect(),
        }
    }

    /// The file's text: pretty JSON, ending in a newline (a file for git).
    pub fn text(&self) -> String {
        serde_json::to_string_pretty(self).expect("plain data") + "\n"
    }

    pub fn parse(text: &str) -> Result<Self, Unreadable> {
        let file: Self = serde_json::from_str(text).map_err(|e| Unreadable::NotAnExport(e.to_string()))?;
        if file.kind != KIND || file.version != VERSION {
            return Err(Unreadable::Foreign {
                kind: file.kind,
                version: file.version,
            });
        }
        Ok(file)
    }

    /// Every entry as a draft, with whether an account of its id is there
    /// already (`existing`), or every problem of the file, each naming its
    /// entry. Nothing is added here.
    pub fn plan(&self, existing: &[AccountId]) -> Result<Vec<Planned>, Vec<String>> {
        let mut planned = Vec::new();
        let mut problems = Vec::new();
        for entry in &self.accounts {
            match draft_of(entry) {
                Ok((id, draft)) => planned.push(Planned {
                    exists: existing.contains(&id),
                    entry: entry.clone(),
                    id,
                    draft,
                }),
                Err(problem) => problems.push(problem),
            }
        }
        let mut seen = Vec::new();
        for p in &planned {
            if seen.contains(&&p.id) {
                problems.push(format!("{}: the file has two accounts of this id", p.id));
            }
            seen.push(&p.id);
        }
        if problems.is_empty() {
            Ok(planned)
        } else {
            Err(problems)
        }
    }
}

/// An entry of a file, checked: the draft it makes.
pub struct Planned {
    pub entry: Entry,
    pub id: AccountId,
    pub draft: AccountDraft,
    /// An account of this id is in Latch already: importing leaves it as it is.
    pub exists: bool,
}

impl Planned {
    /// The fields the person fills in before this entry is added, in the
    /// form's order: those it cannot go without (a required secret, a login
    /// e-mail), and the secret its grant shows even where it may be left
    /// out (a public client, a client that signs a JWT instead) — the file
    /// never holds it, so it is asked rather than silently dropped.
    pub fn asks(&self) -> Vec<&'static Field> {
        let info = self.draft.info();
        let grant = self.draft.grant();
        let missing: Vec<&str> = self
            .draft
            .problems()
            .into_iter()
            .filter(|p| p.missing)
            .map(|p| p.field)
            .collect();
        info.fields
            .iter()
            .filter(|f| {
                missing.contains(&f.name)
                    || (f.kind == FieldKind::Secret && f.shown.holds(grant) && self.draft.secret.is_none())
            })
            .collect()
    }

    /// Whether the entry can be added without `field` (an optional secret).
    pub fn optional(&self, field: &Field) -> bool {
        !field.required.holds(self.draft.grant())
    }

    /// Puts the person's answer in its place: a secret as the draft's
    /// secret (empty leaves none), anything else as a value. Only the
    /// fields [`Planned::asks`] names are taken; the file's own values stay.
    pub fn answer(&mut self, field: &str, value: String) {
        let asked = self.asks();
        let Some(f) = asked.iter().find(|f| f.name == field) else {
            return;
        };
        if f.kind == FieldKind::Secret {
            if !value.trim().is_empty() {
                self.draft.secret = Some(crate::secret::DraftSecret::new(value));
            }
        } else {
            self.draft.set(f.name, value);
        }
    }
}

/// The draft an entry describes, or what is wrong with it, naming it.
fn draft_of(entry: &Entry) -> Result<(AccountId, AccountDraft), String> {
    let name = &entry.id;
    let id = AccountId::parse(name).ok_or_else(|| format!("`{name}` cannot be an account id"))?;
    let kind = ProviderKind::from_id(&entry.provider)
        .ok_or_else(|| format!("{name}: there is no provider `{}`", entry.provider))?;
    let mut draft = AccountDraft::new(kind);
    draft.set("label", entry.label.clone());
    let info = draft.info();
    for (field, value) in &entry.settings {
        match info.fields.iter().find(|f| f.name == field) {
            Some(f) if f.kind == FieldKind::Secret => {
                return Err(format!("{name}: `{field}` is a secret and has no place in this file"));
            }
            Some(f) if f.name == "label" => {
                return Err(format!("{name}: the label goes beside the settings, not among them"));
            }
            Some(_) => {
                draft.set(field, value.clone());
            }
            None => return Err(format!("{name}: {} has no field `{field}`", info.name)),
        }
    }
    // A missing value is asked for on import; a wrong one is the file's.
    let problems: Vec<String> = draft
        .problems()
        .into_iter()
        .filter(|p| !p.missing)
        .map(|p| p.message)
        .collect();
    if !problems.is_empty() {
        return Err(format!("{name}: {}", problems.join(" ")));
    }
    Ok((id, draft))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(accounts: &str) -> String {
        format!(r#"{{"kind": "latch-accounts", "version": 1, "accounts": [{accounts}]}}"#)
    }

    #[test]
    fn a_file_of_another_kind_or_version_is_named_as_such() {
        let other = r#"{"kind": "latch-accounts", "version": 2, "accounts": []}"#;
        let said = TransferFile::parse(other).unwrap_err().describe("team.json");
        assert_eq!(
            said,
            "team.json is a `latch-accounts` file, version 2; this Latch reads `latch-accounts` version 1"
        );
        let said = TransferFile::parse("<html>").unwrap_err().describe("The pasted text");
        assert!(
            said.starts_with("The pasted text is not a file Latch exported: "),
            "{said}"
        );
    }

    #[test]
    fn every_problem_of_a_file_is_named_and_none_is_planned() {
        let text = file(
            r#"{"id": "good", "provider": "wordapp", "label": "Good", "settings": {"grant": "client_credentials", "client_id": "c"}},
               {"id": "bad", "provider": "wordapp", "label": "Bad", "settings": {"secret": "oops"}},
               {"id": "odd", "provider": "nope", "label": "Odd"},
               {"id": "good", "provider": "wordapp", "label": "Again", "settings": {"grant": "client_credentials", "client_id": "d"}}"#,
        );
        let problems = TransferFile::parse(&text).unwrap().plan(&[]).err().expect("problems");
        assert_eq!(
            problems,
            [
                "bad: `secret` is a secret and has no place in this file",
                "odd: there is no provider `nope`",
                "good: the file has two accounts of this id",
            ]
        );
    }

    #[test]
    fn a_planned_entry_asks_for_its_secret_and_takes_only_what_it_asked() {
        let text = file(
            r#"{"id": "robot", "provider": "wordapp", "label": "Robot", "settings": {"grant": "client_credentials", "client_id": "c"}}"#,
        );
        let existing = [AccountId::parse("other").unwrap()];
        let mut plan = TransferFile::parse(&text).unwrap().plan(&existing).unwrap();
        let robot = &mut plan[0];
        assert!(!robot.exists);
        let asked: Vec<&str> = robot.asks().iter().map(|f| f.name).collect();
        assert_eq!(asked, ["secret"]);
        // Not asked: the file's client id stays.
        robot.answer("client_id", "changed".into());
        robot.answer("secret", "s3cret".into());
        assert!(robot.asks().is_empty());
        assert_eq!(robot.draft.values["client_id"], "c");
        assert!(robot.draft.problems().is_empty());
    }

    #[test]
    fn a_secret_the_grant_may_go_without_is_still_asked_and_may_be_left_out() {
        let text = file(
            r#"{"id": "partner", "provider": "oauth2", "label": "Partner", "settings": {"grant": "client_credentials", "token_url": "https://id.example.com/token", "client_id": "c"}}"#,
        );
        let mut plan = TransferFile::parse(&text).unwrap().plan(&[]).unwrap();
        let partner = &mut plan[0];
        let asked: Vec<(&str, bool)> = partner.asks().iter().map(|f| (f.name, partner.optional(f))).collect();
        assert_eq!(asked, [("secret", true)]);
        partner.answer("secret", String::new());
        assert!(partner.draft.secret.is_none());
        assert!(partner.draft.problems().is_empty(), "it can be added without one");
    }
}
