//! The window's Export and Import: the same file `latch export` writes and
//! `latch import` reads (`latch_core::transfer`), by the same checks. The
//! file holds no secret, so its text may be shown in the window; the
//! secrets an import asks for come from the person's typing and go
//! straight to the keyring. Files are chosen in the desktop's own file
//! dialog and read and written here, in Rust: the window gets no access to
//! the file system, and a file that is not an export reaches it only as
//! the parser's sentence about it, never as its content.

use crate::state::AppState;
use latch_core::Error;
use latch_core::model::AccountId;
use latch_core::providers::catalogue::{FieldKind, FieldProblem};
use latch_core::transfer::{Entry, TransferFile};
use serde::Serialize;
use std::collections::BTreeMap;
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_dialog::DialogExt;

/// The name the save dialog proposes.
const FILE_NAME: &str = "latch-accounts.json";

/// The text of the file of the accounts `ids` names, in that order.
#[tauri::command]
pub fn export_text(state: State<'_, AppState>, ids: Vec<String>) -> Result<String, Error> {
    Ok(file_of(&state, &ids)?.text())
}

/// Puts the file's text on the clipboard (plain text: it holds no secret).
#[tauri::command]
pub fn copy_export(app: AppHandle, state: State<'_, AppState>, ids: Vec<String>) -> Result<String, Error> {
    let file = file_of(&state, &ids)?;
    app.clipboard()
        .write_text(file.text())
        .map_err(super::clipboard_failed)?;
    Ok(format!(
        "Copied the settings of {} to the clipboard.",
        accounts(file.accounts.len())
    ))
}

/// Asks where to save the file (the desktop's save dialog) and writes it
/// there; `None` when the person cancelled.
#[tauri::command]
pub async fn save_export(app: AppHandle, ids: Vec<String>) -> Result<Option<String>, Error> {
    let state = tauri::Manager::state::<AppState>(&app);
    let file = file_of(&state, &ids)?;
    let chosen = app
        .dialog()
        .file()
        .set_title("Export accounts")
        .set_file_name(FILE_NAME)
        .add_filter("Latch accounts", &["json"])
        .blocking_save_file();
    let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    std::fs::write(&path, file.text())
        .map_err(|e| Error::InvalidInput(format!("Latch could not write {}: {e}", path.display())))?;
    Ok(Some(format!(
        "Saved the settings of {} to {}.",
        accounts(file.accounts.len()),
        path.display()
    )))
}

fn file_of(state: &AppState, ids: &[String]) -> Result<TransferFile, Error> {
    let latch = state.latch()?;
    let chosen = ids.iter().map(|id| latch.find(id)).collect::<Result<Vec<_>, _>>()?;
    Ok(TransferFile::of(&chosen))
}

fn accounts(n: usize) -> String {
    if n == 1 {
        "1 account".into()
    } else {
        format!("{n} accounts")
    }
}

/// What the Import dialog shows of a file: its accounts and what each asks
/// for, or every problem that keeps the file from being imported.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ImportPlan {
    /// The file's name, or "The pasted text".
    pub source: String,
    pub accounts: Vec<ImportAccount>,
    /// The file's problems; when there are any, nothing can be imported.
    pub problems: Vec<String>,
    /// The entries as read, handed back to `import_accounts` (no secret).
    #[cfg_attr(test, ts(type = "unknown[]"))]
    pub entries: Vec<Entry>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ImportAccount {
    pub id: String,
    pub label: String,
    /// The provider's name, as the connect form has it.
    pub provider: String,
    /// An account of this id is in Latch already: it is left as it is.
    pub exists: bool,
    /// What the person fills in (the secret, a login e-mail), in form order.
    pub asks: Vec<Asked>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Asked {
    pub name: String,
    pub label: String,
    /// `secret`, `email` or `text`: how the field is typed.
    pub kind: String,
    pub help: Option<String>,
    /// The account can be added without it.
    pub optional: bool,
}

/// Reads a pasted file.
#[tauri::command]
pub fn read_import(state: State<'_, AppState>, text: String) -> Result<ImportPlan, Error> {
    plan_of(&state, "The pasted text", &text)
}

/// Asks for a file (the desktop's open dialog) and reads it; `None` when
/// the person cancelled.
#[tauri::command]
pub async fn choose_import(app: AppHandle) -> Result<Option<ImportPlan>, Error> {
    let chosen = app
        .dialog()
        .file()
        .set_title("Import accounts")
        .add_filter("Latch accounts", &["json"])
        .blocking_pick_file();
    let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let text =
        std::fs::read_to_string(&path).map_err(|e| Error::InvalidInput(format!("Latch could not read {name}: {e}")))?;
    let state = tauri::Manager::state::<AppState>(&app);
    plan_of(&state, &name, &text).map(Some)
}

fn plan_of(state: &AppState, source: &str, text: &str) -> Result<ImportPlan, Error> {
    let file = TransferFile::parse(text).map_err(|e| Error::InvalidInput(format!("{}.", e.describe(source))))?;
    let existing = existing(state)?;
    let (accounts, problems) = match file.plan(&existing) {
        Ok(plan) => (
            plan.iter()
                .map(|p| ImportAccount {
                    id: p.id.to_string(),
                    label: p.entry.label.clone(),
                    provider: p.draft.info().name.to_owned(),
                    exists: p.exists,
                    asks: if p.exists {
                        Vec::new()
                    } else {
                        p.asks().into_iter().map(|f| asked(f, p.optional(f))).collect()
                    },
                })
                .collect(),
            Vec::new(),
        ),
        Err(problems) => (Vec::new(), problems),
    };
    Ok(ImportPlan {
        source: source.to_owned(),
        accounts,
        problems,
        entries: file.accounts,
    })
}

fn asked(field: &latch_core::providers::catalogue::Field, optional: bool) -> Asked {
    let kind = match field.kind {
        FieldKind::Secret => "secret",
        FieldKind::Email => "email",
        _ => "text",
    };
    Asked {
        name: field.name.to_owned(),
        label: field.label.to_owned(),
        kind: kind.to_owned(),
        help: field.help.map(str::to_owned),
        optional,
    }
}

fn existing(state: &AppState) -> Result<Vec<AccountId>, Error> {
    Ok(state.latch()?.accounts()?.into_iter().map(|a| a.id).collect())
}

/// What `import_accounts` came to.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ImportOutcome {
    /// Every account the person kept is in Latch now (in the keyring).
    Imported {
        ids: Vec<String>,
        kept: usize,
        message: String,
    },
    /// Some answers are missing or wrong: nothing was added. Field problems
    /// by account id, for the dialog to show beside each field.
    Problems {
        by_account: Vec<(String, Vec<FieldProblem>)>,
    },
}

/// Adds the entries of a plan (all of them but `skip` and those that
/// exist), each with the person's `answers` (account id → field → value).
/// Every account is checked first: if one is missing something, none is
/// added, and the dialog shows what is missing where.
#[tauri::command]
pub fn import_accounts(
    app: AppHandle,
    state: State<'_, AppState>,
    entries: Vec<Entry>,
    answers: BTreeMap<String, BTreeMap<String, String>>,
    skip: Vec<String>,
) -> Result<ImportOutcome, Error> {
    let latch = state.latch()?;
    let file = TransferFile {
        kind: latch_core::transfer::KIND.into(),
        version: latch_core::transfer::VERSION,
        accounts: entries,
    };
    let plan = file
        .plan(&existing(&state)?)
        .map_err(|problems| Error::InvalidInput(problems.join("; ")))?;
    let mut ready = Vec::new();
    let mut by_account = Vec::new();
    let mut kept = 0;
    for mut planned in plan {
        if planned.exists {
            kept += 1;
            continue;
        }
        if skip.contains(&planned.entry.id) {
            continue;
        }
        for (field, value) in answers.get(&planned.entry.id).into_iter().flatten() {
            planned.answer(field, value.clone());
        }
        let problems = planned.draft.problems();
        if problems.is_empty() {
            ready.push(planned);
        } else {
            by_account.push((planned.entry.id.clone(), problems));
        }
    }
    if !by_account.is_empty() {
        return Ok(ImportOutcome::Problems { by_account });
    }
    let mut ids = Vec::new();
    let now = latch_core::time::now();
    let added = ready.into_iter().try_for_each(|planned| {
        let (account, secrets) = planned.draft.build(planned.id.clone(), now)?;
        latch.add(account, secrets)?;
        ids.push(planned.id.to_string());
        Ok::<_, Error>(())
    });
    if !ids.is_empty() {
        crate::callback::accounts_changed(&app);
    }
    added?;
    let message = match (ids.len(), kept) {
        (0, 0) => "Nothing was imported.".to_owned(),
        (0, _) => "Nothing was imported: the file's accounts are in Latch already.".to_owned(),
        (n, 0) => format!("Imported {}. Connect each to use it.", accounts(n)),
        (n, k) => format!(
            "Imported {}; {k} {} in Latch already and left as {}. Connect each new one to use it.",
            accounts(n),
            if k == 1 { "was" } else { "were" },
            if k == 1 { "it was" } else { "they were" }
        ),
    };
    Ok(ImportOutcome::Imported { ids, kept, message })
}
