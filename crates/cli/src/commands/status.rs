//! `latch status [ACCOUNT…] [--check]`: is each account ready for work?
//!
//! Without `--check` it reads only the index and the hand-out log (no
//! keyring, no network): the state, the time left, when the token was last
//! refreshed and last handed out, and to whom (`latch log`). `--check` asks
//! each provider with its test call (`Provider::probe_call`: Wazzup's
//! channels, PayU's and Wordapp's `/api/me`, GREEN-API's getStateInstance,
//! an OAuth 2.0 account's test call when it has one) and a token the
//! provider refuses turns the account to "needs reconnect" — in the index,
//! so the window shows it too. The exit status is 4 when any account needs
//! a person (connect it again, or connect it at all), so a cron job or a CI
//! step can ask `latch status --check || notify`.

use crate::cli::StatusArgs;
use crate::env::Env;
use crate::exit::{self, Failure};
use crate::output::{Column, ago, expires_in, provider_name, status, status_color, write_table};
use latch_core::model::{Account, AccountStatus, UnixTime};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Row {
    id: String,
    label: String,
    provider: &'static str,
    /// As the table shows it (with "(sandbox)" for a demo account).
    #[serde(skip)]
    provider_name: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<UnixTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refreshed_at: Option<UnixTime>,
    /// The last hand-out (`latch log`): when, how, and who asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_at: Option<UnixTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_by: Option<String>,
    /// `works`, `failed` or `skipped`, with `--check` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check_error: Option<String>,
    needs_person: bool,
}

pub async fn run(env: &mut Env<'_>, args: StatusArgs) -> Result<(), Failure> {
    let accounts = match args.accounts.is_empty() {
        true => env.latch.accounts()?,
        false => args
            .accounts
            .iter()
            .map(|name| env.latch.find(name))
            .collect::<Result<_, _>>()?,
    };
    // One read of the hand-out log for every row; a log that cannot be
    // read leaves the column empty (`latch log` says why).
    let handouts = env.latch.handouts(None).unwrap_or_default();
    let mut rows = Vec::with_capacity(accounts.len());
    for account in &accounts {
        let (check, check_error) = match args.check {
            false => (None, None),
            true => check(env, account).await,
        };
        // The check may have changed the row (a refresh, "needs reconnect").
        let account = env.latch.find(account.id.as_str()).unwrap_or_else(|_| account.clone());
        let mut row = row(&account, check, check_error, latch_core::time::now());
        if let Some(last) = handouts.iter().rev().find(|h| h.account == account.id) {
            row.last_used_at = Some(last.at);
            row.last_used_by = Some(format!(
                "{} by {}",
                last.verb.as_str(),
                last.asked_by().command.as_deref().unwrap_or("?")
            ));
        }
        rows.push(row);
    }
    if env.json {
        env.print_json(&rows)?;
    } else if rows.is_empty() {
        writeln!(env.stderr, "No accounts yet: add one with `latch add <provider>`.")?;
    } else {
        print(env, &rows)?;
    }
    match rows.iter().filter(|r| r.needs_person).count() {
        0 => Ok(()),
        n => Err(Failure {
            status: exit::NEEDS_RECONNECT,
            message: format!(
                "{n} of {} account{} need{} you: {}.",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                if n == 1 { "s" } else { "" },
                rows.iter()
                    .filter(|r| r.needs_person)
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// Only an account that holds a credential is asked about.
async fn check(env: &Env<'_>, account: &Account) -> (Option<&'static str>, Option<String>) {
    if !matches!(account.status, AccountStatus::Connected | AccountStatus::Linked) {
        return (Some("skipped"), None);
    }
    match env.latch.check(account).await {
        Ok(()) => (Some("works"), None),
        Err(e) => (Some("failed"), Some(e.to_string())),
    }
}

fn row(account: &Account, check: Option<&'static str>, check_error: Option<String>, now: UnixTime) -> Row {
    let token = account.token.as_ref();
    let state = status(account, now);
    let dead_end = state == "expired" && !token.is_some_and(|t| t.has_refresh_token);
    Row {
        id: account.id.to_string(),
        label: account.label.clone(),
        provider: account.provider().id(),
        provider_name: provider_name(account),
        status: state,
        reason: match &account.status {
            AccountStatus::NeedsReconnect { reason } => Some(reason.clone()),
            _ => None,
        },
        expires_at: token.and_then(|t| t.expires_at),
        refreshed_at: token.map(|t| t.obtained_at),
        last_used_at: None,
        last_used_by: None,
        check,
        check_error,
        needs_person: matches!(state, "needs-reconnect" | "not-connected") || dead_end,
    }
}

fn print(env: &mut Env<'_>, rows: &[Row]) -> Result<(), Failure> {
    let now = latch_core::time::now();
    let table: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.provider_name.clone(),
                r.status.to_owned(),
                match r.status {
                    "valid" | "expired" => expires_in(r.expires_at, now),
                    _ => String::new(),
                },
                r.refreshed_at.map(|at| ago(at, now)).unwrap_or_default(),
                r.last_used_at.map(|at| ago(at, now)).unwrap_or_default(),
                r.check.unwrap_or_default().to_owned(),
            ]
        })
        .collect();
    let columns = [
        Column::fixed("ID"),
        Column::shrinks("PROVIDER"),
        Column::fixed("STATUS"),
        Column::fixed("EXPIRES IN"),
        Column::fixed("REFRESHED"),
        Column::fixed("LAST USED"),
        Column::shrinks("CHECK"),
    ];
    let terminal = env.terminal;
    write_table(&mut env.stdout, terminal, &columns, &table, |column, cell| {
        (column == 2).then(|| status_color(cell)).flatten()
    })?;
    // Under the table on a terminal; on a pipe, stdout stays rows of cells.
    let notes: &mut dyn Write = if terminal.is_some() {
        &mut env.stdout
    } else {
        &mut env.stderr
    };
    for r in rows {
        if let Some(reason) = r.reason.as_deref().filter(|_| r.status == "needs-reconnect") {
            writeln!(notes, "{}: {reason}; run `latch connect {}`.", r.id, r.id)?;
        } else if let Some(error) = &r.check_error {
            writeln!(notes, "{}: {error}", r.id)?;
        }
    }
    Ok(())
}
