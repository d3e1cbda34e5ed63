//! How accounts read on a terminal and in `--json` (a stable shape,
//! documented in the README).

use latch_core::model::{Account, AccountStatus, TokenSet, UnixTime};
use latch_core::secret::AccessToken;
use serde::Serialize;

#[derive(Serialize)]
pub struct AccountJson<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub provider: &'static str,
    /// not-connected, valid, expired, needs-reconnect, revoked, linked
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UnixTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'a str>,
    /// A demo account of the sandbox (its servers are fakes): only `true` is written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sandbox: bool,
}

pub fn account_json(account: &Account, now: UnixTime) -> AccountJson<'_> {
    let expires_at = account.token.as_ref().and_then(|t| t.expires_at);
    AccountJson {
        id: account.id.as_str(),
        label: &account.label,
        provider: account.provider().id(),
        status: status(account, now),
        reason: match &account.status {
            AccountStatus::NeedsReconnect { reason } => Some(reason),
            _ => None,
        },
        expires_at,
        expires_in: expires_at.map(|at| at - now),
        scope: account.token.as_ref().and_then(|t| t.scope.as_deref()),
        sandbox: account.sandbox,
    }
}

/// The provider's name, and for a demo account that its server is the sandbox's fake.
pub fn provider_name(account: &Account) -> String {
    let name = account.provider().display_name();
    if account.sandbox {
        format!("{name} (sandbox)")
    } else {
        name.to_owned()
    }
}

pub fn status(account: &Account, now: UnixTime) -> &'static str {
    match &account.status {
        AccountStatus::NotConnected => "not-connected",
        AccountStatus::NeedsReconnect { .. } => "needs-reconnect",
        AccountStatus::Revoked => "revoked",
        AccountStatus::Linked => "linked",
        AccountStatus::Connected => match account.token.as_ref().and_then(|t| t.expires_at) {
            Some(at) if at <= now => "expired",
            _ => "valid",
        },
    }
}

/// Rows under a header, each column as wide as its widest cell.
pub fn write_table<const N: usize>(
    out: &mut dyn std::io::Write,
    header: &[&str; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    let header = header.map(String::from);
    let mut widths = [0usize; N];
    for row in std::iter::once(&header).chain(rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(rows) {
        let line: Vec<String> = row.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

/// `3 m ago`, `2 h 5 m ago`, `just now`.
pub fn ago(at: UnixTime, now: UnixTime) -> String {
    match now - at {
        s if s < 5 => "just now".into(),
        s => format!("{} ago", span(s)),
    }
}

/// `1 h 12 m`, `23 h 59 m`, `45 s`, `expired 3 m ago`.
pub fn expires_in(expires_at: Option<UnixTime>, now: UnixTime) -> String {
    let Some(at) = expires_at else {
        return "no expiry".into();
    };
    let left = at - now;
    if left <= 0 {
        return format!("expired {} ago", span(-left));
    }
    span(left)
}

fn span(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} m", s / 60),
        s if s < 86400 => format!("{} h {} m", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

/// `latch token --json`: the credential the account hands out, under its
/// own name (`access_token`, or `id_token` for an account that hands that
/// out), never both.
#[derive(Serialize)]
pub struct TokenJson<'a> {
    pub account: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<&'a str>,
    pub token_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<UnixTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'a str>,
}

pub fn token_json<'a>(account: &'a Account, tokens: &'a TokenSet, credential: &'a AccessToken) -> TokenJson<'a> {
    let is_access_token = *credential == tokens.access_token;
    TokenJson {
        account: account.id.as_str(),
        access_token: is_access_token.then(|| credential.secret()),
        id_token: (!is_access_token).then(|| credential.secret()),
        token_type: &tokens.token_type,
        expires_at: tokens.expires_at,
        scope: tokens.scope.as_deref(),
    }
}

pub fn print_json(value: &impl Serialize) {
    println!("{}", serde_json::to_string_pretty(value).expect("JSON of plain data"));
}

/// What [`print_json`] prints, to `out`.
pub fn write_json(out: &mut dyn std::io::Write, value: &impl Serialize) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(value).expect("JSON of plain data")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_like_a_person_writes_it() {
        assert_eq!(expires_in(Some(100 + 4320), 100), "1 h 12 m");
        assert_eq!(expires_in(Some(86399), 0), "23 h 59 m");
        assert_eq!(expires_in(Some(45), 0), "45 s");
        assert_eq!(expires_in(Some(0), 180), "expired 3 m ago");
        assert_eq!(expires_in(None, 0), "no expiry");
    }
}
